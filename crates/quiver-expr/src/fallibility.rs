//! Which expressions can raise an error while they are evaluated. A filter
//! may evaluate the conjuncts that cannot in any order, and on only the
//! rows the others have kept, without changing what a query answers or
//! whether it fails; the ones that can keep their written order and run
//! last (see `quiver_execution::operators::filter`).

use arrow::datatypes::DataType;

use crate::{Expr, QSchema};

impl Expr {
    /// Whether evaluating the expression over `schema` can fail for some
    /// rows: arithmetic (overflow, division by zero), a cast that can
    /// overflow or not parse, a function, a subquery. Comparisons, IN
    /// lists, LIKE with a constant pattern, IS NULL and the logical
    /// operators over parts that cannot fail cannot either.
    pub fn can_fail(&self, schema: &QSchema) -> bool {
        match self {
            Expr::Column(_) | Expr::Literal(_) => false,
            Expr::Alias(e, _) | Expr::Not(e) | Expr::IsNull(e) | Expr::IsNotNull(e) => {
                e.can_fail(schema)
            }
            Expr::Binary(l, op, r) => {
                !(op.is_comparison() || op.is_logical()) || l.can_fail(schema) || r.can_fail(schema)
            }
            Expr::InList { expr, list, .. } => {
                expr.can_fail(schema) || list.iter().any(|e| e.can_fail(schema))
            }
            Expr::Like { expr, pattern, .. } => {
                !matches!(pattern.as_ref(), Expr::Literal(_)) || expr.can_fail(schema)
            }
            Expr::TryCast(e, _) => e.can_fail(schema),
            Expr::Try(_) => false,
            Expr::Cast(e, to) => {
                e.can_fail(schema)
                    || !e
                        .data_type(schema)
                        .is_ok_and(|from| cast_cannot_fail(&from, to))
            }
            _ => true,
        }
    }
}

/// Whether every value of type `from` converts to `to`: the same type, a
/// wider integer, float or decimal, an integer to a float (perhaps
/// rounded), a date to a wider date, or anything to a string.
fn cast_cannot_fail(from: &DataType, to: &DataType) -> bool {
    use DataType::*;
    if from == to || matches!(to, Utf8 | LargeUtf8 | Utf8View) {
        return true;
    }
    match (from, to) {
        (Date32, Date64) | (Float32, Float64) => true,
        (Decimal128(p1, s1), Decimal128(p2, s2)) => {
            s2 >= s1 && i16::from(*p2) - i16::from(*s2) >= i16::from(*p1) - i16::from(*s1)
        }
        _ => match (integer_digits(from), integer_range(from), integer_range(to)) {
            (_, Some(f), Some(t)) => t.0 <= f.0 && f.1 <= t.1,
            (Some(digits), _, _) => match to {
                Float32 | Float64 => true,
                Decimal128(p, s) => i16::from(*p) - i16::from(*s) >= i16::from(digits),
                _ => false,
            },
            _ => false,
        },
    }
}

/// The smallest and largest value of an integer type.
fn integer_range(t: &DataType) -> Option<(i128, i128)> {
    use DataType::*;
    Some(match t {
        Int8 => (i8::MIN.into(), i8::MAX.into()),
        Int16 => (i16::MIN.into(), i16::MAX.into()),
        Int32 => (i32::MIN.into(), i32::MAX.into()),
        Int64 => (i64::MIN.into(), i64::MAX.into()),
        UInt8 => (0, u8::MAX.into()),
        UInt16 => (0, u16::MAX.into()),
        UInt32 => (0, u32::MAX.into()),
        UInt64 => (0, u64::MAX.into()),
        _ => return None,
    })
}

/// The most decimal digits a value of an integer type has.
fn integer_digits(t: &DataType) -> Option<u8> {
    let (min, max) = integer_range(t)?;
    Some(min.unsigned_abs().max(max.unsigned_abs()).to_string().len() as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Column, Operator, QField};
    use arrow::datatypes::Field;
    use datafusion_common::ScalarValue;

    fn schema() -> QSchema {
        QSchema::new(vec![
            QField::new(None, Field::new("i", DataType::Int32, true)),
            QField::new(None, Field::new("s", DataType::Utf8, true)),
        ])
    }

    fn col(name: &str) -> Expr {
        Expr::Column(Column::new(None::<&str>, name))
    }

    fn lit(v: i32) -> Expr {
        Expr::Literal(ScalarValue::Int32(Some(v)))
    }

    #[test]
    fn comparisons_cannot_fail_and_arithmetic_can() {
        let s = schema();
        let compare = Expr::Binary(Box::new(col("i")), Operator::Lt, Box::new(lit(3)));
        assert!(!compare.can_fail(&s));
        assert!(!Expr::Not(Box::new(compare.clone())).can_fail(&s));
        let sum = Expr::Binary(Box::new(col("i")), Operator::Plus, Box::new(lit(1)));
        assert!(sum.can_fail(&s));
        let sum_compared = Expr::Binary(Box::new(sum), Operator::Gt, Box::new(lit(0)));
        assert!(sum_compared.can_fail(&s));
        let listed = Expr::InList {
            expr: Box::new(col("i")),
            list: vec![lit(1), lit(2)],
            negated: false,
        };
        assert!(!listed.can_fail(&s));
    }

    #[test]
    fn like_with_a_constant_pattern_cannot_fail() {
        let s = schema();
        let like = |pattern: Expr| Expr::Like {
            negated: false,
            case_insensitive: false,
            expr: Box::new(col("s")),
            pattern: Box::new(pattern),
            escape: None,
        };
        let constant = Expr::Literal(ScalarValue::Utf8(Some("%a%".into())));
        assert!(!like(constant).can_fail(&s));
        assert!(like(col("s")).can_fail(&s));
    }

    #[test]
    fn only_widening_casts_cannot_fail() {
        let s = schema();
        let cast = |to: DataType| Expr::Cast(Box::new(col("i")), to);
        assert!(!cast(DataType::Int64).can_fail(&s));
        assert!(!cast(DataType::Float64).can_fail(&s));
        assert!(!cast(DataType::Decimal128(12, 2)).can_fail(&s));
        assert!(!cast(DataType::Utf8).can_fail(&s));
        assert!(cast(DataType::Int16).can_fail(&s));
        assert!(cast(DataType::UInt32).can_fail(&s));
        assert!(cast(DataType::Decimal128(10, 2)).can_fail(&s));
        let parse = Expr::Cast(Box::new(col("s")), DataType::Int32);
        assert!(parse.can_fail(&s));
        assert!(cast_cannot_fail(
            &DataType::Decimal128(15, 2),
            &DataType::Decimal128(20, 4)
        ));
        assert!(!cast_cannot_fail(
            &DataType::Decimal128(15, 2),
            &DataType::Decimal128(15, 4)
        ));
    }
}
