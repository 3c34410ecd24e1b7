//! SQL's `CAST`: Arrow's casts, except that a number cast to an integer
//! type is rounded, as in PostgreSQL and DuckDB, not truncated: decimals
//! round half away from zero (`-0.50` → -1, `2.5` → 3), floating-point
//! numbers half to even (`2.5` → 2, `3.5` → 4). A value outside the target
//! type (or NaN, or an infinity) is an error, never NULL or a wrapped value.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Decimal128Array, ListArray, MapArray, StringArray, StructArray,
};
use arrow::buffer::{NullBuffer, OffsetBuffer};
use arrow::compute::{cast_with_options, CastOptions};
use arrow::datatypes::{
    DataType, Decimal128Type, Float64Type, Int64Type, TimeUnit, TimestampMicrosecondType,
};
use arrow::error::ArrowError;
use arrow::util::display::FormatOptions;
use datafusion_common::ScalarValue;

use crate::datetime_text::{parse_date, parse_timestamp, DatetimeTextError};
use crate::error::{QuiverError, Result};
use crate::nested_text;
use crate::types::is_string;
use crate::uuid::{is_uuid, uuids_from_text};
use crate::value_text::{needs_sql_text, sql_text};
use crate::zones::{instant_of, local_times, zone};

/// Whether `CAST` converts values of type `from` to `to`: Arrow's casts,
/// text of every type that has one (lists, maps, structs, intervals and
/// BLOBs as DuckDB writes them), lists, structs and maps from text, and
/// decimals to BOOLEAN.
pub fn can_cast(from: &DataType, to: &DataType) -> bool {
    (is_string(to) && needs_sql_text(from))
        || (is_string(from) && (is_nested(to) || is_uuid(to)))
        || (matches!(from, DataType::Decimal128(..)) && to == &DataType::Boolean)
        || arrow::compute::can_cast_types(from, to)
}

/// Whether `t` is a list, struct or map type.
fn is_nested(t: &DataType) -> bool {
    matches!(
        t,
        DataType::List(_)
            | DataType::LargeList(_)
            | DataType::FixedSizeList(..)
            | DataType::Struct(_)
            | DataType::Map(..)
    )
}

/// `array` cast to `target` as SQL's `CAST` does.
pub fn cast_array(array: &ArrayRef, target: &DataType) -> Result<ArrayRef> {
    convert(array, target, false)
}

/// `array` cast to `target` as SQL's `TRY_CAST` does: NULL for each value
/// that `CAST` would reject.
pub fn try_cast_array(array: &ArrayRef, target: &DataType) -> Result<ArrayRef> {
    convert(array, target, true)
}

/// A cast that fails (`safe` false) or gives NULL (`safe` true) on a
/// value that does not convert.
fn convert(array: &ArrayRef, target: &DataType, safe: bool) -> Result<ArrayRef> {
    if is_string(target) && needs_sql_text(array.data_type()) {
        return Ok(arrow::compute::cast(&sql_text(array)?, target)?);
    }
    // A decimal is true when it is not zero, as any number.
    if target == &DataType::Boolean && matches!(array.data_type(), DataType::Decimal128(..)) {
        return convert(
            &arrow::compute::cast(array, &DataType::Float64)?,
            target,
            safe,
        );
    }
    if let Some(moved) = across_zones(array, target)? {
        return Ok(moved);
    }
    if is_string(array.data_type()) {
        if let Some(read) = datetime_from_text(array, target, safe)? {
            return Ok(read);
        }
        if let Some(read) = nested_from_text(array, target, safe)? {
            return Ok(read);
        }
        if target == &DataType::Binary {
            return blob_from_text(array, safe);
        }
        if is_uuid(target) {
            return uuids_from_text(array, safe);
        }
        if let DataType::Timestamp(_, Some(name)) = target {
            return zoned_from_text(array, name, target, safe);
        }
    }
    let rounded = if target.is_integer() {
        match array.data_type() {
            DataType::Float16 | DataType::Float32 | DataType::Float64 => {
                Some(rounded_float(array)?)
            }
            DataType::Decimal128(_, scale) if *scale > 0 => Some(rounded_decimal(array, *scale)?),
            _ => None,
        }
    } else {
        None
    };
    // Timestamps become text as in DuckDB and PostgreSQL: a space between
    // date and time, the fraction of a second only when there is one.
    let options = CastOptions {
        safe,
        format_options: FormatOptions::default()
            .with_timestamp_format(Some("%Y-%m-%d %H:%M:%S%.f")),
    };
    let input = rounded.as_ref().unwrap_or(array);
    match cast_with_options(input, target, &options) {
        Ok(cast) => Ok(cast),
        Err(ArrowError::CastError(_)) if !safe => Err(cast_failure(input, target, options)),
        Err(e) => Err(e.into()),
    }
}

/// The error for a cast of `array` to `target` that failed: it names the
/// first value that does not convert, as a SQL literal, and the SQL type.
fn cast_failure(array: &ArrayRef, target: &DataType, mut options: CastOptions) -> QuiverError {
    options.safe = true;
    let first_failing = cast_with_options(array, target, &options)
        .ok()
        .and_then(|cast| (0..array.len()).find(|&i| array.is_valid(i) && cast.is_null(i)))
        .and_then(|i| ScalarValue::try_from_array(array, i).ok());
    let value = match first_failing {
        Some(v) => crate::Expr::Literal(v).to_string(),
        None => "a value".to_string(),
    };
    let why = match target {
        DataType::FixedSizeList(_, size) => {
            format!(": an array of {size} elements needs a list of {size}")
        }
        _ => String::new(),
    };
    QuiverError::Execution(format!(
        "cannot convert {value} to {}{why}",
        crate::types::sql_type_name(target)
    ))
}

/// Lists, structs and maps read from their text ([`crate::nested_text`];
/// `None` for other targets). Text that is not one is an error, or NULL
/// when `safe`; each item is cast to its type the same way.
fn nested_from_text(array: &ArrayRef, target: &DataType, safe: bool) -> Result<Option<ArrayRef>> {
    if !is_nested(target) {
        return Ok(None);
    }
    let text = arrow::compute::cast(array, &DataType::Utf8)?;
    let text = text.as_string::<i32>();
    let strings = |items: Vec<Option<String>>| -> ArrayRef { Arc::new(StringArray::from(items)) };
    let read: ArrayRef = match target {
        DataType::Struct(fields) => {
            let rows = parsed_rows(text, target, safe, |t| {
                let mut values: Vec<Option<String>> = vec![None; fields.len()];
                let mut seen = vec![false; fields.len()];
                for (name, value) in nested_text::struct_items(t)? {
                    let i = fields.iter().position(|f| f.name() == &name)?;
                    if std::mem::replace(&mut seen[i], true) {
                        return None;
                    }
                    values[i] = value;
                }
                Some(values)
            })?;
            let mut columns: Vec<Vec<Option<String>>> = vec![vec![]; fields.len()];
            for row in &rows {
                for (i, column) in columns.iter_mut().enumerate() {
                    column.push(row.as_ref().and_then(|values| values[i].clone()));
                }
            }
            let arrays = columns
                .into_iter()
                .zip(fields.iter())
                .map(|(c, f)| convert(&strings(c), f.data_type(), safe))
                .collect::<Result<Vec<_>>>()?;
            let valid: NullBuffer = rows.iter().map(Option::is_some).collect();
            Arc::new(StructArray::try_new(fields.clone(), arrays, Some(valid))?)
        }
        DataType::Map(entries, sorted) => {
            let DataType::Struct(pair) = entries.data_type() else {
                return Err(QuiverError::Internal(format!(
                    "map entries of type {entries}"
                )));
            };
            let rows = parsed_rows(text, target, safe, |t| {
                let items = nested_text::map_items(t)?;
                let mut seen = std::collections::HashSet::new();
                let unique = items
                    .iter()
                    .all(|(k, _)| k.as_ref().is_some_and(|k| seen.insert(k.clone())));
                unique.then_some(items)
            })?;
            let valid: NullBuffer = rows.iter().map(Option::is_some).collect();
            let lengths = rows.iter().map(|r| r.as_ref().map_or(0, Vec::len));
            let offsets = OffsetBuffer::from_lengths(lengths);
            let (keys, values): (Vec<_>, Vec<_>) = rows.into_iter().flatten().flatten().unzip();
            let pairs = StructArray::try_new(
                pair.clone(),
                vec![
                    convert(&strings(keys), pair[0].data_type(), false)?,
                    convert(&strings(values), pair[1].data_type(), safe)?,
                ],
                None,
            )?;
            Arc::new(MapArray::try_new(
                Arc::clone(entries),
                offsets,
                pairs,
                Some(valid),
                *sorted,
            )?)
        }
        DataType::List(field) | DataType::LargeList(field) | DataType::FixedSizeList(field, _) => {
            let rows = parsed_rows(text, target, safe, nested_text::list_items)?;
            let valid: NullBuffer = rows.iter().map(Option::is_some).collect();
            let lengths = rows.iter().map(|r| r.as_ref().map_or(0, Vec::len));
            let offsets = OffsetBuffer::from_lengths(lengths);
            let items: Vec<Option<String>> = rows.into_iter().flatten().flatten().collect();
            let values = convert(&strings(items), field.data_type(), safe)?;
            let list: ArrayRef = Arc::new(ListArray::try_new(
                Arc::clone(field),
                offsets,
                values,
                Some(valid),
            )?);
            match target {
                DataType::List(_) => list,
                _ => arrow::compute::cast(&list, target)?,
            }
        }
        _ => return Ok(None),
    };
    Ok(Some(read))
}

/// Each row of `text` read by `parse`: `None` for a NULL row, and for one
/// that does not read when `safe` (an error naming the text and `target`
/// otherwise).
fn parsed_rows<T>(
    text: &arrow::array::StringArray,
    target: &DataType,
    safe: bool,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Vec<Option<T>>> {
    (0..text.len())
        .map(|row| {
            if text.is_null(row) {
                return Ok(None);
            }
            match parse(text.value(row)) {
                Some(parsed) => Ok(Some(parsed)),
                None if safe => Ok(None),
                None => Err(QuiverError::Execution(format!(
                    "cannot convert '{}' to {}",
                    text.value(row),
                    crate::types::sql_type_name(target)
                ))),
            }
        })
        .collect()
}

/// Reads one date (as days) or timestamp (as microseconds) from text.
type TextReader = fn(&str) -> std::result::Result<i64, DatetimeTextError>;

/// Strings read as DATE or TIMESTAMP values with [`crate::datetime_text`]
/// (`None` for other targets). Text in another shape (with a zone offset,
/// say) is read by Arrow's cast; text that neither reads is an error, or
/// NULL when `safe`.
fn datetime_from_text(array: &ArrayRef, target: &DataType, safe: bool) -> Result<Option<ArrayRef>> {
    let (type_name, read): (&str, TextReader) = match target {
        DataType::Date32 => ("DATE", |t| parse_date(t).map(i64::from)),
        DataType::Timestamp(TimeUnit::Microsecond, None) => ("TIMESTAMP", parse_timestamp),
        _ => return Ok(None),
    };
    let text = arrow::compute::cast(array, &DataType::Utf8)?;
    let text = text.as_string::<i32>();
    let mut values = Vec::with_capacity(text.len());
    for t in text.iter() {
        let Some(t) = t else {
            values.push(None);
            continue;
        };
        let value = match read(t) {
            Ok(v) => Some(v),
            Err(_) if safe => None,
            Err(DatetimeTextError::OutOfRange) => {
                return Err(QuiverError::Execution(format!(
                    "{} field value out of range: '{t}'",
                    type_name.to_lowercase()
                )))
            }
            Err(DatetimeTextError::Malformed) => {
                let one: ArrayRef = Arc::new(arrow::array::StringArray::from(vec![t]));
                let fallback = cast_with_options(&one, target, &CastOptions::default())
                    .ok()
                    .filter(|v| v.is_valid(0));
                match fallback {
                    Some(v) => Some(
                        arrow::compute::cast(&v, &DataType::Int64)?
                            .as_primitive::<Int64Type>()
                            .value(0),
                    ),
                    None => {
                        return Err(QuiverError::Execution(format!(
                            "invalid {type_name} value '{t}' (expected YYYY-MM-DD{})",
                            if type_name == "DATE" {
                                ""
                            } else {
                                " [HH:MM[:SS[.ffffff]]]"
                            }
                        )))
                    }
                }
            }
        };
        values.push(value);
    }
    let out: ArrayRef = match target {
        DataType::Date32 => Arc::new(
            values
                .into_iter()
                .map(|v| v.and_then(|d| i32::try_from(d).ok()))
                .collect::<arrow::array::Date32Array>(),
        ),
        _ => Arc::new(
            values
                .into_iter()
                .collect::<arrow::array::TimestampMicrosecondArray>(),
        ),
    };
    Ok(Some(out))
}

/// Casts between a `TIMESTAMP WITH TIME ZONE` and a local `TIMESTAMP` or
/// `DATE` ([`crate::zones`]): the local time of an instant in its zone, or
/// the instant of a local time in the target's zone. `None` for casts that
/// cross no zone.
fn across_zones(array: &ArrayRef, target: &DataType) -> Result<Option<ArrayRef>> {
    let micros = DataType::Timestamp(TimeUnit::Microsecond, None);
    Ok(match (array.data_type(), target) {
        (DataType::Timestamp(_, Some(_)), DataType::Timestamp(_, None) | DataType::Date32) => {
            let local: ArrayRef = Arc::new(
                local_times(array.as_ref())?.reinterpret_cast::<TimestampMicrosecondType>(),
            );
            Some(cast_with_options(&local, target, &CastOptions::default())?)
        }
        (DataType::Timestamp(_, None) | DataType::Date32, DataType::Timestamp(_, Some(name))) => {
            let tz = zone(name)?;
            let local = arrow::compute::cast(array, &micros)?;
            let instants = local
                .as_primitive::<TimestampMicrosecondType>()
                .unary::<_, TimestampMicrosecondType>(|v| instant_of(v, &tz))
                .with_timezone(name.clone());
            Some(arrow::compute::cast(&instants, target)?)
        }
        _ => None,
    })
}

/// Strings as `TIMESTAMP WITH TIME ZONE` values in zone `name`: text
/// without an offset is local time there ([`crate::zones::instant_of`]:
/// a time skipped by a clock change moves past the gap); text with one
/// (`…+02`, `…Z`) names its instant, read by Arrow's parser.
fn zoned_from_text(
    array: &ArrayRef,
    name: &str,
    target: &DataType,
    safe: bool,
) -> Result<ArrayRef> {
    let tz = zone(name)?;
    let text = arrow::compute::cast(array, &DataType::Utf8)?;
    let text = text.as_string::<i32>();
    let mut values = Vec::with_capacity(text.len());
    for t in text.iter() {
        let value = match t {
            None => None,
            Some(t) => match parse_timestamp(t) {
                Ok(local) => Some(instant_of(local, &tz)),
                Err(_) => {
                    let one: ArrayRef = Arc::new(arrow::array::StringArray::from(vec![t]));
                    let read = cast_with_options(&one, target, &CastOptions::default())
                        .ok()
                        .filter(|v| v.is_valid(0));
                    match read {
                        Some(v) => Some(v.as_primitive::<TimestampMicrosecondType>().value(0)),
                        None if safe => None,
                        None => {
                            return Err(QuiverError::Execution(format!(
                                "invalid TIMESTAMP WITH TIME ZONE value '{t}' (expected \
                                 YYYY-MM-DD [HH:MM[:SS[.ffffff]]][+HH[:MM]])"
                            )))
                        }
                    }
                }
            },
        };
        values.push(value);
    }
    let out = arrow::array::TimestampMicrosecondArray::from(values).with_timezone(name);
    Ok(Arc::new(out))
}

/// Strings as BLOBs, as DuckDB reads them: `\xAA` is the byte 0xAA, every
/// other character stands for its UTF-8 bytes. A `\x` without two hex
/// digits is an error (NULL when `safe`).
fn blob_from_text(array: &ArrayRef, safe: bool) -> Result<ArrayRef> {
    let text = arrow::compute::cast(array, &DataType::Utf8)?;
    let text = text.as_string::<i32>();
    let mut out = arrow::array::BinaryBuilder::with_capacity(text.len(), text.value_data().len());
    for t in text.iter() {
        match t.map(blob_bytes) {
            None => out.append_null(),
            Some(Some(bytes)) => out.append_value(bytes),
            Some(None) if safe => out.append_null(),
            Some(None) => {
                return Err(QuiverError::Execution(format!(
                    "invalid BLOB value '{}': \\x must be followed by two hex digits",
                    t.unwrap_or_default()
                )))
            }
        }
    }
    Ok(Arc::new(out.finish()))
}

/// The bytes of BLOB text (`None` for a malformed `\x` escape).
fn blob_bytes(text: &str) -> Option<Vec<u8>> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && bytes.get(i + 1) == Some(&b'x') {
            let hex = std::str::from_utf8(bytes.get(i + 2..i + 4)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 4;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

/// `value` cast to `target` as SQL's `CAST` does.
pub fn cast_scalar(value: &ScalarValue, target: &DataType) -> Result<ScalarValue> {
    let cast = cast_array(&value.to_array()?, target)?;
    Ok(ScalarValue::try_from_array(&cast, 0)?)
}

/// Floating-point values rounded half to even, as DOUBLE.
fn rounded_float(array: &ArrayRef) -> Result<ArrayRef> {
    let doubles = arrow::compute::cast(array, &DataType::Float64)?;
    let rounded = doubles
        .as_primitive::<Float64Type>()
        .unary::<_, Float64Type>(f64::round_ties_even);
    Ok(Arc::new(rounded))
}

/// Decimal values of scale `scale` rounded half away from zero, as
/// DECIMAL(38, 0).
fn rounded_decimal(array: &ArrayRef, scale: i8) -> Result<ArrayRef> {
    let unit = 10i128.pow(u32::from(scale.unsigned_abs()));
    let rounded: Decimal128Array = array
        .as_primitive::<Decimal128Type>()
        .unary::<_, Decimal128Type>(|v| {
            let (quotient, remainder) = (v / unit, v % unit);
            // |remainder| >= unit / 2, without overflowing at scale 38.
            let half_or_more =
                remainder.unsigned_abs() >= unit.unsigned_abs() - remainder.unsigned_abs();
            if half_or_more {
                quotient + v.signum()
            } else {
                quotient
            }
        })
        .with_precision_and_scale(38, 0)?;
    Ok(Arc::new(rounded))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cast(value: ScalarValue, target: DataType) -> Result<ScalarValue> {
        cast_scalar(&value, &target)
    }

    #[test]
    fn decimals_round_half_away_from_zero() {
        let decimal = |v: i128| ScalarValue::Decimal128(Some(v), 5, 2);
        for (hundredths, expected) in [
            (-50, -1),
            (250, 3),
            (199, 2),
            (-149, -1),
            (49, 0),
            (-250, -3),
        ] {
            assert_eq!(
                cast(decimal(hundredths), DataType::Int32).unwrap(),
                ScalarValue::Int32(Some(expected)),
                "{hundredths}/100"
            );
        }
        let widest = ScalarValue::Decimal128(Some(5 * 10i128.pow(37)), 38, 38);
        assert_eq!(
            cast(widest, DataType::Int64).unwrap(),
            ScalarValue::Int64(Some(1))
        );
    }

    #[test]
    fn floats_round_half_to_even_and_out_of_range_is_an_error() {
        for (x, expected) in [
            (2.5, 2),
            (3.5, 4),
            (-2.5, -2),
            (2.7, 3),
            (-0.5, 0),
            (1.5, 2),
        ] {
            assert_eq!(
                cast(ScalarValue::Float64(Some(x)), DataType::Int64).unwrap(),
                ScalarValue::Int64(Some(expected)),
                "{x}"
            );
        }
        assert!(cast(ScalarValue::Float64(Some(3e10)), DataType::Int32).is_err());
        assert!(cast(ScalarValue::Float64(Some(f64::NAN)), DataType::Int32).is_err());
        assert!(cast(ScalarValue::Decimal128(Some(30000), 5, 0), DataType::Int8).is_err());
        assert_eq!(
            cast(ScalarValue::Float64(None), DataType::Int32).unwrap(),
            ScalarValue::Int32(None)
        );
    }
}
