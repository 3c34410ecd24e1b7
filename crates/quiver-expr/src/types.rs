//! Type rules: which types two operands are brought to before an operator
//! runs, what the operator returns, and SQL names for Arrow types.
//!
//! Integers combine to the wider integer (overflow is an error, not a
//! promotion); integers and decimals combine as decimals; anything with a
//! float becomes `DOUBLE`. Decimal results follow the rules of the Arrow
//! kernels: `+`/`-` keep the larger scale and gain one digit, `*` adds
//! precisions and scales, `/` has the dividend's scale plus 4.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, IntervalUnit, TimeUnit, DECIMAL128_MAX_PRECISION};

use crate::error::{QuiverError, Result};
use crate::expr::Operator;

/// True for the signed and unsigned integer types.
pub fn is_integer(t: &DataType) -> bool {
    t.is_integer()
}

/// True for integers, floats and decimals.
pub fn is_numeric(t: &DataType) -> bool {
    t.is_numeric() && !matches!(t, DataType::Float16)
}

/// True for the three Arrow string representations.
pub fn is_string(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

/// Whether a struct of `fields` is a tuple (`(1, 'a')`, `row(…)`): one
/// whose fields have no names.
pub fn is_tuple(fields: &arrow::datatypes::Fields) -> bool {
    fields.iter().all(|f| f.name().is_empty())
}

/// `field` rebuilt from the bottom up: `change` applied to the fields at
/// every depth (list items, struct fields, map entries) and then to
/// `field` itself. For a schema about to leave Quiver (a file, Python):
/// the arrays do not change, only how their types are described.
pub fn map_fields(
    field: &arrow::datatypes::FieldRef,
    change: &dyn Fn(Field) -> Field,
) -> arrow::datatypes::FieldRef {
    let children = match field.data_type() {
        DataType::List(item) => Some(DataType::List(map_fields(item, change))),
        DataType::LargeList(item) => Some(DataType::LargeList(map_fields(item, change))),
        DataType::FixedSizeList(item, size) => {
            Some(DataType::FixedSizeList(map_fields(item, change), *size))
        }
        DataType::Struct(fields) => Some(DataType::Struct(
            fields.iter().map(|f| map_fields(f, change)).collect(),
        )),
        DataType::Map(entries, sorted) => Some(DataType::Map(map_fields(entries, change), *sorted)),
        _ => None,
    };
    let own = field.as_ref().clone();
    let own = match children {
        Some(t) => own.with_data_type(t),
        None => own,
    };
    Arc::new(change(own))
}

/// True for timestamps of any unit and zone.
pub fn is_timestamp(t: &DataType) -> bool {
    matches!(t, DataType::Timestamp(..))
}

/// The decimal type that holds every value of an integer type exactly.
fn integer_as_decimal(t: &DataType) -> Option<(u8, i8)> {
    Some(match t {
        DataType::Int8 | DataType::UInt8 => (3, 0),
        DataType::Int16 | DataType::UInt16 => (5, 0),
        DataType::Int32 | DataType::UInt32 => (10, 0),
        DataType::Int64 => (19, 0),
        DataType::UInt64 => (20, 0),
        DataType::Decimal128(p, s) => (*p, *s),
        _ => return None,
    })
}

fn bit_width(t: &DataType) -> usize {
    t.primitive_width().unwrap_or(8) * 8
}

fn integer_coercion(l: &DataType, r: &DataType) -> DataType {
    use DataType::*;
    let (ls, rs) = (l.is_signed_integer(), r.is_signed_integer());
    let width = bit_width(l).max(bit_width(r));
    match (ls, rs) {
        (true, true) => {
            if bit_width(l) >= bit_width(r) {
                l.clone()
            } else {
                r.clone()
            }
        }
        (false, false) => {
            if bit_width(l) >= bit_width(r) {
                l.clone()
            } else {
                r.clone()
            }
        }
        _ => {
            // Mixed signedness: a signed type wide enough for the unsigned side.
            let unsigned_width = if ls { bit_width(r) } else { bit_width(l) };
            match width.max(unsigned_width * 2) {
                16 => Int16,
                32 => Int32,
                64 => Int64,
                _ => Decimal128(20, 0),
            }
        }
    }
}

fn decimal_union(l: (u8, i8), r: (u8, i8)) -> DataType {
    let scale = l.1.max(r.1);
    let int_digits = (l.0 as i8 - l.1).max(r.0 as i8 - r.1);
    let precision = ((int_digits + scale) as u8).min(DECIMAL128_MAX_PRECISION);
    DataType::Decimal128(precision, scale)
}

/// The type both sides of a numeric operation are brought to, if any.
fn numeric_coercion(l: &DataType, r: &DataType) -> Option<DataType> {
    use DataType::*;
    if !is_numeric(l) || !is_numeric(r) {
        return None;
    }
    if l == r {
        return Some(l.clone());
    }
    if matches!(l, Float64) || matches!(r, Float64) || l.is_floating() || r.is_floating() {
        return Some(if matches!((l, r), (Float32, Float32)) {
            Float32
        } else {
            Float64
        });
    }
    if is_integer(l) && is_integer(r) {
        return Some(integer_coercion(l, r));
    }
    Some(decimal_union(
        integer_as_decimal(l)?,
        integer_as_decimal(r)?,
    ))
}

/// The common type two values are brought to so that they can be compared,
/// or combined in `CASE`, `IN`, `COALESCE` or `UNION`. `None` if there is none.
/// (A string *literal* next to a typed value is read as that type by the
/// planner before this rule applies, as PostgreSQL reads untyped literals.)
pub fn common_type(l: &DataType, r: &DataType) -> Option<DataType> {
    use DataType::*;
    if l == r {
        return Some(l.clone());
    }
    match (l, r) {
        (Null, other) | (other, Null) => Some(other.clone()),
        _ if is_numeric(l) && is_numeric(r) => numeric_coercion(l, r),
        _ if is_string(l) && is_string(r) => Some(Utf8),
        // Text meets a UUID as the UUID it spells, as in DuckDB.
        (FixedSizeBinary(_), t) | (t, FixedSizeBinary(_))
            if is_string(t) && (crate::uuid::is_uuid(l) || crate::uuid::is_uuid(r)) =>
        {
            Some(crate::uuid::UUID)
        }
        (Date32, Timestamp(u, tz)) | (Timestamp(u, tz), Date32) => Some(Timestamp(*u, tz.clone())),
        // A TIMESTAMP meets a TIMESTAMP WITH TIME ZONE as the instant its
        // local time names in that zone (the session's), as in DuckDB.
        (Timestamp(_, None), Timestamp(_, Some(tz)))
        | (Timestamp(_, Some(tz)), Timestamp(_, None)) => {
            Some(Timestamp(TimeUnit::Microsecond, Some(tz.clone())))
        }
        (Timestamp(_, tz1), Timestamp(_, tz2)) if tz1 == tz2 => {
            Some(Timestamp(TimeUnit::Microsecond, tz1.clone()))
        }
        (List(a), List(b)) => {
            let item = common_type(a.data_type(), b.data_type())?;
            Some(List(Arc::new(Field::new_list_field(item, true))))
        }
        // Structs with the same field names, field by field.
        (Struct(a), Struct(b)) if a.len() == b.len() => {
            let fields = a
                .iter()
                .zip(b.iter())
                .map(|(x, y)| {
                    (x.name() == y.name()).then_some(())?;
                    let t = common_type(x.data_type(), y.data_type())?;
                    Some(Field::new(x.name(), t, true))
                })
                .collect::<Option<Vec<_>>>()?;
            Some(Struct(fields.into()))
        }
        _ => None,
    }
}

/// The types the operands of `l op r` are cast to before it runs.
pub fn binary_operand_types(
    l: &DataType,
    op: Operator,
    r: &DataType,
) -> Result<(DataType, DataType)> {
    use DataType::*;
    let mismatch = || {
        QuiverError::Schema(format!(
            "operator {op} cannot be applied to {} and {}",
            sql_type_name(l),
            sql_type_name(r)
        ))
    };
    if op.is_logical() {
        return match (l, r) {
            (Boolean | Null, Boolean | Null) => Ok((Boolean, Boolean)),
            _ => Err(QuiverError::Schema(format!(
                "{op} needs BOOLEAN operands, found {} and {}",
                sql_type_name(l),
                sql_type_name(r)
            ))),
        };
    }
    if op.is_bitwise() {
        return match (l, r) {
            (Null, Null) => Ok((Int64, Int64)),
            (Null, t) | (t, Null) if is_integer(t) => Ok((t.clone(), t.clone())),
            _ if is_integer(l) && is_integer(r) => {
                let t = numeric_coercion(l, r).ok_or_else(mismatch)?;
                Ok((t.clone(), t))
            }
            _ => Err(QuiverError::Schema(format!(
                "operator {op} needs integers, found {} and {}",
                sql_type_name(l),
                sql_type_name(r)
            ))),
        };
    }
    if op.is_comparison() || op.is_distinction() {
        let t = common_type(l, r).ok_or_else(|| {
            QuiverError::Schema(format!(
                "cannot compare {} with {}",
                sql_type_name(l),
                sql_type_name(r)
            ))
        })?;
        return Ok((t.clone(), t));
    }
    if op == Operator::StringConcat {
        return Ok((Utf8, Utf8));
    }
    // Arithmetic.
    let interval = Interval(IntervalUnit::MonthDayNano);
    let days = |t: &DataType| is_integer(t) || t == &Null;
    match (l, r) {
        // Days added to or taken from a date, and the days between two
        // dates (DuckDB's DATE + INTEGER, DATE - INTEGER, DATE - DATE).
        (Date32, t) if days(t) && matches!(op, Operator::Plus | Operator::Minus) => {
            Ok((Date32, Int32))
        }
        (t, Date32) if days(t) && op == Operator::Plus => Ok((Int32, Date32)),
        (Date32, Date32) if op == Operator::Minus => Ok((Date32, Date32)),
        (Timestamp(_, tz1), Timestamp(_, tz2)) if op == Operator::Minus && tz1 == tz2 => {
            let t = Timestamp(TimeUnit::Microsecond, tz1.clone());
            Ok((t.clone(), t))
        }
        (Date32 | Timestamp(..), Interval(_)) if matches!(op, Operator::Plus | Operator::Minus) => {
            Ok((l.clone(), interval))
        }
        // A date plus a time of day is that moment (DuckDB's DATE + TIME).
        (Date32, Time32(_) | Time64(_)) if op == Operator::Plus => Ok((
            Timestamp(TimeUnit::Microsecond, None),
            Time64(TimeUnit::Microsecond),
        )),
        (Time32(_) | Time64(_), Date32) if op == Operator::Plus => Ok((
            Time64(TimeUnit::Microsecond),
            Timestamp(TimeUnit::Microsecond, None),
        )),
        (Interval(_), Date32 | Timestamp(..)) if op == Operator::Plus => Ok((interval, r.clone())),
        (Interval(_), Interval(_)) if matches!(op, Operator::Plus | Operator::Minus) => {
            Ok((interval.clone(), interval))
        }
        (Null, Null) => Ok((Int64, Int64)),
        (Null, other) | (other, Null) if is_numeric(other) => Ok((other.clone(), other.clone())),
        _ => {
            let t = numeric_coercion(l, r).ok_or_else(mismatch)?;
            match t {
                // Decimals keep their own precision and scale: the kernel
                // computes the result type from both.
                Decimal128(..) => Ok((
                    decimal_of(l).ok_or_else(mismatch)?,
                    decimal_of(r).ok_or_else(mismatch)?,
                )),
                t => Ok((t.clone(), t)),
            }
        }
    }
}

fn decimal_of(t: &DataType) -> Option<DataType> {
    integer_as_decimal(t).map(|(p, s)| DataType::Decimal128(p, s))
}

/// The result type of `l op r` for operands already of the types given by
/// [`binary_operand_types`].
pub fn binary_result_type(l: &DataType, op: Operator, r: &DataType) -> Result<DataType> {
    use DataType::*;
    if op.is_comparison() || op.is_logical() || op.is_distinction() {
        return Ok(Boolean);
    }
    if op == Operator::StringConcat {
        return Ok(Utf8);
    }
    let max = DECIMAL128_MAX_PRECISION;
    Ok(match (l, r) {
        (Decimal128(p1, s1), Decimal128(p2, s2)) => {
            let (p1, s1, p2, s2) = (*p1 as i16, *s1 as i16, *p2 as i16, *s2 as i16);
            let (p, s) = match op {
                Operator::Plus | Operator::Minus => {
                    let s = s1.max(s2);
                    (s + (p1 - s1).max(p2 - s2) + 1, s)
                }
                Operator::Multiply => (p1 + p2 + 1, s1 + s2),
                Operator::Divide => {
                    let s = (s1 + 4).min(38);
                    (p1 - s1 + s2 + s, s)
                }
                _ => {
                    let s = s1.max(s2);
                    (s + (p1 - s1).min(p2 - s2), s)
                }
            };
            Decimal128((p as u8).min(max), s as i8)
        }
        (Timestamp(_, None), Time64(_)) | (Time64(_), Timestamp(_, None)) => {
            Timestamp(TimeUnit::Microsecond, None)
        }
        (Date32 | Timestamp(..), Interval(_)) => l.clone(),
        (Interval(_), Date32 | Timestamp(..)) => r.clone(),
        (Date32, Int32) | (Int32, Date32) => Date32,
        (Date32, Date32) if op == Operator::Minus => Int64,
        (Timestamp(..), Timestamp(..)) if op == Operator::Minus => {
            Interval(IntervalUnit::MonthDayNano)
        }
        _ if l == r => l.clone(),
        _ => {
            return Err(QuiverError::Internal(format!(
                "operands of {op} were not coerced: {} and {}",
                sql_type_name(l),
                sql_type_name(r)
            )))
        }
    })
}

/// The SQL spelling of an Arrow type, as shown to users.
pub fn sql_type_name(t: &DataType) -> String {
    use DataType::*;
    match t {
        Null => "NULL".into(),
        Boolean => "BOOLEAN".into(),
        Int8 => "TINYINT".into(),
        Int16 => "SMALLINT".into(),
        Int32 => "INTEGER".into(),
        Int64 => "BIGINT".into(),
        UInt8 => "UTINYINT".into(),
        UInt16 => "USMALLINT".into(),
        UInt32 => "UINTEGER".into(),
        UInt64 => "UBIGINT".into(),
        Float16 => "HALF".into(),
        Float32 => "FLOAT".into(),
        Float64 => "DOUBLE".into(),
        Decimal128(p, s) | Decimal256(p, s) => format!("DECIMAL({p},{s})"),
        Utf8 | LargeUtf8 | Utf8View => "VARCHAR".into(),
        FixedSizeBinary(_) if crate::uuid::is_uuid(t) => "UUID".into(),
        Binary | LargeBinary | BinaryView | FixedSizeBinary(_) => "BLOB".into(),
        Date32 | Date64 => "DATE".into(),
        Timestamp(_, None) => "TIMESTAMP".into(),
        Timestamp(_, Some(_)) => "TIMESTAMP WITH TIME ZONE".into(),
        Time32(_) | Time64(_) => "TIME".into(),
        Interval(_) | Duration(_) => "INTERVAL".into(),
        List(f) | LargeList(f) | ListView(f) | LargeListView(f) => {
            format!("{}[]", sql_type_name(f.data_type()))
        }
        FixedSizeList(f, n) => format!("{}[{n}]", sql_type_name(f.data_type())),
        Struct(fields) if is_tuple(fields) => {
            let types: Vec<String> = fields
                .iter()
                .map(|f| sql_type_name(f.data_type()))
                .collect();
            format!("TUPLE({})", types.join(", "))
        }
        Struct(fields) => {
            let fields: Vec<String> = fields
                .iter()
                .map(|f| format!("{} {}", f.name(), sql_type_name(f.data_type())))
                .collect();
            format!("STRUCT({})", fields.join(", "))
        }
        Map(entries, _) => match entries.data_type() {
            Struct(kv) if kv.len() == 2 => format!(
                "MAP({}, {})",
                sql_type_name(kv[0].data_type()),
                sql_type_name(kv[1].data_type())
            ),
            _ => "MAP".into(),
        },
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DataType::*;

    #[test]
    fn numeric_comparisons_find_a_common_type() {
        assert_eq!(common_type(&Int32, &Int64), Some(Int64));
        assert_eq!(common_type(&Int32, &UInt32), Some(Int64));
        assert_eq!(
            common_type(&Int64, &Decimal128(15, 2)),
            Some(Decimal128(21, 2))
        );
        assert_eq!(
            common_type(&Decimal128(15, 2), &Decimal128(3, 3)),
            Some(Decimal128(16, 3))
        );
        assert_eq!(common_type(&Float32, &Decimal128(15, 2)), Some(Float64));
        assert_eq!(common_type(&Utf8, &Date32), None);
        assert_eq!(common_type(&Utf8View, &Utf8), Some(Utf8));
        assert_eq!(common_type(&Boolean, &Int32), None);
    }

    #[test]
    fn decimal_arithmetic_types() {
        let d = Decimal128(15, 2);
        assert_eq!(
            binary_result_type(&d, Operator::Plus, &d).unwrap(),
            Decimal128(16, 2)
        );
        assert_eq!(
            binary_result_type(&d, Operator::Multiply, &d).unwrap(),
            Decimal128(31, 4)
        );
        assert_eq!(
            binary_result_type(&d, Operator::Divide, &d).unwrap(),
            Decimal128(21, 6)
        );
        let (l, r) = binary_operand_types(&Int64, Operator::Minus, &d).unwrap();
        assert_eq!((l, r), (Decimal128(19, 0), d));
    }

    #[test]
    fn mismatches_are_named() {
        let err = binary_operand_types(&Boolean, Operator::Plus, &Int32)
            .unwrap_err()
            .to_string();
        assert!(err.contains("BOOLEAN") && err.contains("INTEGER"), "{err}");
        let err = binary_operand_types(&Int32, Operator::And, &Int32)
            .unwrap_err()
            .to_string();
        assert!(err.contains("AND needs BOOLEAN"), "{err}");
    }
}
