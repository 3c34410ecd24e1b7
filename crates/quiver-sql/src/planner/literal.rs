//! Literals and type names: numbers, `DATE '..'`-style typed strings,
//! `INTERVAL '..'`, and SQL type names mapped to Arrow types.

use std::sync::Arc;

use arrow::datatypes::{
    DataType, Field, IntervalMonthDayNano, IntervalUnit, TimeUnit, DECIMAL128_MAX_PRECISION,
};
use quiver_expr::cast::cast_scalar;
use quiver_expr::{QuiverError, Result, ScalarValue};
use sqlparser::ast;

/// A numeric literal: BIGINT if it is a whole number that fits, DECIMAL if it
/// is written with a decimal point, DOUBLE if it has an exponent.
pub fn parse_number(text: &str) -> Result<ScalarValue> {
    let bad = || QuiverError::Plan(format!("invalid number '{text}'"));
    if text.contains(['e', 'E']) {
        return text
            .parse::<f64>()
            .map(|v| ScalarValue::Float64(Some(v)))
            .map_err(|_| bad());
    }
    if let Some((int_part, frac_part)) = text.split_once('.') {
        let digits = format!("{int_part}{frac_part}");
        let scale = frac_part.len();
        let precision = digits.trim_start_matches('0').len().max(scale).max(1);
        if precision > DECIMAL128_MAX_PRECISION as usize {
            return text
                .parse::<f64>()
                .map(|v| ScalarValue::Float64(Some(v)))
                .map_err(|_| bad());
        }
        let value: i128 = if digits.is_empty() {
            0
        } else {
            digits.parse().map_err(|_| bad())?
        };
        return Ok(ScalarValue::Decimal128(
            Some(value),
            precision as u8,
            scale as i8,
        ));
    }
    if let Ok(v) = text.parse::<i64>() {
        return Ok(ScalarValue::Int64(Some(v)));
    }
    match text.parse::<i128>() {
        Ok(v) if text.len() <= DECIMAL128_MAX_PRECISION as usize => {
            Ok(ScalarValue::Decimal128(Some(v), text.len() as u8, 0))
        }
        _ => Err(QuiverError::Plan(format!("number '{text}' is too large"))),
    }
}

/// The Arrow type the SQL type written `text` names (`BIGINT`,
/// `DECIMAL(10, 2)`, `VARCHAR[]`, `STRUCT(a INTEGER)`); an error naming
/// `text` when it names none.
pub fn parse_sql_type(text: &str) -> Result<DataType> {
    let not_a_type = || QuiverError::Plan(format!("'{text}' is not a SQL type"));
    let cast =
        super::parse_expression(&format!("CAST(NULL AS {text})")).map_err(|_| not_a_type())?;
    match cast {
        ast::Expr::Cast { data_type, .. } => sql_to_arrow_type(&data_type),
        _ => Err(not_a_type()),
    }
}

/// Maps a SQL type name to an Arrow type.
pub fn sql_to_arrow_type(data_type: &ast::DataType) -> Result<DataType> {
    if let Some(nested) = nested_type(data_type)? {
        return Ok(nested);
    }
    let text = data_type.to_string().to_lowercase();
    let (name, args) = match text.split_once('(') {
        Some((n, rest)) => (n.trim().to_string(), rest.trim_end_matches(')').to_string()),
        None => (text.trim().to_string(), String::new()),
    };
    let numbers: Vec<i64> = args
        .split(',')
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    Ok(match name.as_str() {
        "boolean" | "bool" => DataType::Boolean,
        "tinyint" | "int1" => DataType::Int8,
        "smallint" | "int2" => DataType::Int16,
        "int" | "integer" | "int4" | "signed" => DataType::Int32,
        "bigint" | "int8" | "long" | "int64" => DataType::Int64,
        "utinyint" | "tinyint unsigned" => DataType::UInt8,
        "usmallint" | "smallint unsigned" => DataType::UInt16,
        "uinteger" | "int unsigned" | "integer unsigned" | "unsigned" => DataType::UInt32,
        "ubigint" | "bigint unsigned" => DataType::UInt64,
        // FLOAT is 4 bytes, as in DuckDB (PostgreSQL's is 8); FLOAT(p) with
        // more than 24 bits of precision is a DOUBLE.
        "float" if numbers.first().is_some_and(|p| *p > 24) => DataType::Float64,
        "real" | "float4" | "float32" | "float" => DataType::Float32,
        "double" | "double precision" | "float8" | "float64" => DataType::Float64,
        "decimal" | "numeric" | "dec" => {
            let (p, s) = match numbers.as_slice() {
                [] => (18, 3),
                [p] => (*p, 0),
                [p, s, ..] => (*p, *s),
            };
            if !(1..=DECIMAL128_MAX_PRECISION as i64).contains(&p) || s < 0 || s > p {
                return Err(QuiverError::Plan(format!(
                    "invalid DECIMAL({p},{s}): precision must be 1 to 38 and scale 0 to precision"
                )));
            }
            DataType::Decimal128(p as u8, s as i8)
        }
        "varchar" | "text" | "string" | "char" | "character" | "character varying" | "bpchar"
        | "nvarchar" | "json" => DataType::Utf8,
        "date" => DataType::Date32,
        "timestamp" | "datetime" | "timestamp without time zone" => {
            DataType::Timestamp(TimeUnit::Microsecond, None)
        }
        "timestamptz" | "timestamp with time zone" => {
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
        }
        "interval" => DataType::Interval(IntervalUnit::MonthDayNano),
        "time" | "time without time zone" => DataType::Time64(TimeUnit::Microsecond),
        "blob" | "bytea" | "binary" | "varbinary" => DataType::Binary,
        "uuid" => quiver_expr::uuid::UUID,
        _ => {
            return Err(QuiverError::Plan(format!(
                "unknown or unsupported type {}",
                data_type
            )))
        }
    })
}

/// The most elements a fixed-size array type may hold (DuckDB's limit).
const MAX_ARRAY_SIZE: i32 = 100_000;

/// The Arrow type of a nested SQL type: `T[]` and `ARRAY<T>` (a LIST),
/// `STRUCT(a T, ..)` and `MAP(K, V)`; `None` for other types.
fn nested_type(data_type: &ast::DataType) -> Result<Option<DataType>> {
    use ast::{ArrayElemTypeDef as Elem, DataType as T};
    Ok(Some(match data_type {
        T::Array(Elem::SquareBracket(item, None) | Elem::AngleBracket(item)) => DataType::List(
            Arc::new(Field::new_list_field(sql_to_arrow_type(item)?, true)),
        ),
        // `INTEGER[3]`: a fixed-size array.
        T::Array(Elem::SquareBracket(item, Some(size))) => {
            let size = i32::try_from(*size)
                .ok()
                .filter(|s| (1..=MAX_ARRAY_SIZE).contains(s))
                .ok_or_else(|| {
                    QuiverError::Plan(format!(
                        "the size of an array type ({data_type}) must be 1 to {MAX_ARRAY_SIZE}"
                    ))
                })?;
            DataType::FixedSizeList(
                Arc::new(Field::new_list_field(sql_to_arrow_type(item)?, true)),
                size,
            )
        }
        T::Struct(fields, _) => {
            let fields = fields
                .iter()
                .map(|f| {
                    let name = f.field_name.as_ref().ok_or_else(|| {
                        QuiverError::Plan(format!("every field of {data_type} needs a name"))
                    })?;
                    Ok(Field::new(
                        &name.value,
                        sql_to_arrow_type(&f.field_type)?,
                        true,
                    ))
                })
                .collect::<Result<Vec<_>>>()?;
            DataType::Struct(fields.into())
        }
        T::Map(key, value) => {
            let entries = vec![
                Field::new("key", sql_to_arrow_type(key)?, false),
                Field::new("value", sql_to_arrow_type(value)?, true),
            ];
            DataType::Map(
                Arc::new(Field::new(
                    "entries",
                    DataType::Struct(entries.into()),
                    false,
                )),
                false,
            )
        }
        _ => return Ok(None),
    }))
}

/// `DATE '1998-12-01'`, `TIMESTAMP '..'` and other typed string literals,
/// converted now so a bad value is reported at planning time.
/// `target` is the type the literal becomes (the SQL type's, with a time
/// zone made the session's).
pub fn typed_string(
    data_type: &ast::DataType,
    target: &DataType,
    value: &str,
) -> Result<ScalarValue> {
    if target == &DataType::Interval(IntervalUnit::MonthDayNano) {
        return parse_interval(value, None);
    }
    cast_scalar(&ScalarValue::Utf8(Some(value.to_string())), target).map_err(|e| {
        let why = match e {
            QuiverError::Execution(why) => format!(": {why}"),
            _ => String::new(),
        };
        QuiverError::Plan(format!(
            "invalid {} literal '{value}'{why}",
            data_type.to_string().to_uppercase()
        ))
    })
}

/// The nanoseconds of a time written `[-]HH:MM[:SS[.fraction]]` in an
/// interval (`1 day 04:05:06`).
fn time_of_day_nanos(text: &str) -> Option<i64> {
    let (negative, text) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let fields: Vec<&str> = text.split(':').collect();
    if !(2..=3).contains(&fields.len()) {
        return None;
    }
    let hours: i64 = fields[0].parse().ok()?;
    let minutes: i64 = fields[1].parse().ok()?;
    let seconds: f64 = fields.get(2).map_or(Ok(0.0), |s| s.parse()).ok()?;
    if !(0..60).contains(&minutes) || !(0.0..60.0).contains(&seconds) {
        return None;
    }
    let nanos = (hours * 3600 + minutes * 60) * 1_000_000_000 + (seconds * 1e9).round() as i64;
    Some(if negative { -nanos } else { nanos })
}

/// Parses interval text such as `3 months`, `1 year 2 days`, `90` (with a
/// unit given by `INTERVAL '90' DAY`), `-1 hour` or `1 day 04:05:06`.
pub fn parse_interval(text: &str, unit: Option<&ast::DateTimeField>) -> Result<ScalarValue> {
    let bad = |why: &str| QuiverError::Plan(format!("invalid interval '{text}': {why}"));
    let (mut months, mut days, mut nanos) = (0i64, 0i64, 0i64);
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut i = 0;
    while i < words.len() {
        if words[i].contains(':') {
            nanos += time_of_day_nanos(words[i])
                .ok_or_else(|| bad("expected [-]HH:MM[:SS[.ffffff]]"))?;
            i += 1;
            continue;
        }
        let amount: f64 = words[i].parse().map_err(|_| bad("expected a number"))?;
        let unit_name = match (words.get(i + 1), unit) {
            (Some(w), _) => {
                i += 2;
                w.to_lowercase()
            }
            (None, Some(u)) => {
                i += 1;
                u.to_string().to_lowercase()
            }
            (None, None) => {
                i += 1;
                "second".to_string()
            }
        };
        let unit_name = unit_name.trim_end_matches('s');
        const NANOS_PER_SECOND: f64 = 1e9;
        match unit_name {
            "year" => months += (amount * 12.0) as i64,
            "month" | "mon" => months += amount as i64,
            "week" => days += (amount * 7.0) as i64,
            "day" => days += amount as i64,
            "hour" => nanos += (amount * 3600.0 * NANOS_PER_SECOND) as i64,
            "minute" | "min" => nanos += (amount * 60.0 * NANOS_PER_SECOND) as i64,
            "second" | "sec" => nanos += (amount * NANOS_PER_SECOND) as i64,
            "millisecond" | "m" => nanos += (amount * 1e6) as i64,
            "microsecond" | "u" => nanos += (amount * 1e3) as i64,
            other => return Err(bad(&format!("unknown unit '{other}'"))),
        }
    }
    if words.is_empty() {
        return Err(bad("empty"));
    }
    let months = i32::try_from(months).map_err(|_| bad("too large"))?;
    let days = i32::try_from(days).map_err(|_| bad("too large"))?;
    Ok(ScalarValue::IntervalMonthDayNano(Some(
        IntervalMonthDayNano::new(months, days, nanos),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_parse() {
        assert_eq!(parse_sql_type("BIGINT").unwrap(), DataType::Int64);
        assert_eq!(parse_sql_type("varchar").unwrap(), DataType::Utf8);
        assert!(parse_sql_type("NOT A TYPE").is_err());
        assert!(parse_sql_type("INTEGER) + (1").is_err());
    }

    #[test]
    fn numbers_get_sql_types() {
        assert_eq!(parse_number("42").unwrap(), ScalarValue::Int64(Some(42)));
        assert_eq!(
            parse_number("0.06").unwrap(),
            ScalarValue::Decimal128(Some(6), 2, 2)
        );
        assert_eq!(
            parse_number("12.50").unwrap(),
            ScalarValue::Decimal128(Some(1250), 4, 2)
        );
        assert_eq!(
            parse_number("1e3").unwrap(),
            ScalarValue::Float64(Some(1000.0))
        );
        assert_eq!(
            parse_number("9223372036854775808").unwrap(),
            ScalarValue::Decimal128(Some(9223372036854775808), 19, 0)
        );
        assert!(parse_number("1".repeat(50).as_str())
            .unwrap_err()
            .to_string()
            .contains("too large"));
    }

    #[test]
    fn intervals() {
        let i = |t: &str| match parse_interval(t, None).unwrap() {
            ScalarValue::IntervalMonthDayNano(Some(v)) => (v.months, v.days, v.nanoseconds),
            other => panic!("{other:?}"),
        };
        assert_eq!(i("3 months"), (3, 0, 0));
        assert_eq!(i("1 year 2 days"), (12, 2, 0));
        assert_eq!(i("-1 hour"), (0, 0, -3_600_000_000_000));
        let day = ast::DateTimeField::Day;
        assert!(
            matches!(parse_interval("90", Some(&day)).unwrap(), ScalarValue::IntervalMonthDayNano(Some(v)) if v.days == 90)
        );
        assert!(parse_interval("3 fortnights", None)
            .unwrap_err()
            .to_string()
            .contains("unknown unit"));
    }
}
