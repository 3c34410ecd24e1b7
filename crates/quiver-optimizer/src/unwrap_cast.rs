//! `CAST(col AS wider) op constant` becomes `col op constant'`, with the
//! constant converted to the column's own type. Binding widens both sides
//! of a comparison to a common type (`fare > 100 + 20` over a
//! DECIMAL(10,2) column compares `CAST(fare AS DECIMAL(21,2))`), which costs
//! a cast per row and hides the column from scans, which prune only on
//! `column op constant`. The rewrite is made only where it changes nothing:
//! the cast must widen without loss or reordering (integers to wider
//! integers or decimals, decimals to decimals with at least as many digits
//! on each side of the point, strings to strings), and the constant must
//! convert to the column's type and back unchanged.

use arrow::datatypes::DataType;
use quiver_expr::{Expr, LogicalPlan, QSchema, Result, ScalarValue};

use crate::{rewrite_filter_predicates, OptimizerRule, Transformed};

/// Compares columns in their own types where a widening cast hid them.
pub struct UnwrapCast;

impl OptimizerRule for UnwrapCast {
    fn name(&self) -> &'static str {
        "unwrap_cast"
    }
    fn rewrite(&self, plan: LogicalPlan) -> Result<Transformed<LogicalPlan>> {
        rewrite_filter_predicates(&plan, &unwrapped)
    }
}

/// `e` without the cast on its column side, when that is exact.
fn unwrapped(e: &Expr, schema: &QSchema) -> Option<Expr> {
    match e {
        Expr::Binary(l, op, r) if op.is_comparison() => match (l.as_ref(), r.as_ref()) {
            (Expr::Cast(inner, to), Expr::Literal(v)) => {
                let v = in_column_type(inner, to, v, schema)?;
                Some(Expr::Binary(inner.clone(), *op, Box::new(Expr::Literal(v))))
            }
            (Expr::Literal(v), Expr::Cast(inner, to)) => {
                let v = in_column_type(inner, to, v, schema)?;
                Some(Expr::Binary(Box::new(Expr::Literal(v)), *op, inner.clone()))
            }
            _ => None,
        },
        Expr::InList {
            expr,
            list,
            negated,
        } => {
            let Expr::Cast(inner, to) = expr.as_ref() else {
                return None;
            };
            let list = list
                .iter()
                .map(|item| match item {
                    Expr::Literal(v) => in_column_type(inner, to, v, schema).map(Expr::Literal),
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()?;
            Some(Expr::InList {
                expr: inner.clone(),
                list,
                negated: *negated,
            })
        }
        _ => None,
    }
}

/// `value` (of type `to`) in the type of `inner`, when `inner` is a column
/// that `to` widens exactly and `value` converts there and back unchanged.
fn in_column_type(
    inner: &Expr,
    to: &DataType,
    value: &ScalarValue,
    schema: &QSchema,
) -> Option<ScalarValue> {
    if !matches!(inner, Expr::Column(_)) || value.is_null() {
        return None;
    }
    let from = inner.data_type(schema).ok()?;
    if !widens_exactly(&from, to) {
        return None;
    }
    let converted = value.cast_to(&from).ok()?;
    (converted.cast_to(to).ok()? == *value).then_some(converted)
}

/// Whether every value of `from` converts to a distinct value of `to` in
/// the same order.
fn widens_exactly(from: &DataType, to: &DataType) -> bool {
    use DataType::*;
    let integer_digits = |t: &DataType| -> Option<(u8, bool)> {
        Some(match t {
            Int8 => (3, true),
            Int16 => (5, true),
            Int32 => (10, true),
            Int64 => (19, true),
            UInt8 => (3, false),
            UInt16 => (5, false),
            UInt32 => (10, false),
            UInt64 => (20, false),
            _ => return None,
        })
    };
    let width = |t: &DataType| match t {
        Int8 | UInt8 => 1,
        Int16 | UInt16 => 2,
        Int32 | UInt32 => 4,
        _ => 8,
    };
    match (from, to) {
        (Utf8 | LargeUtf8 | Utf8View, Utf8 | LargeUtf8 | Utf8View) => true,
        (Decimal128(p1, s1), Decimal128(p2, s2)) => {
            s2 >= s1 && i16::from(*p2) - i16::from(*s2) >= i16::from(*p1) - i16::from(*s1)
        }
        (f, Decimal128(p, s)) => integer_digits(f)
            .is_some_and(|(digits, _)| i16::from(*p) - i16::from(*s) >= i16::from(digits)),
        (f, t) => match (integer_digits(f), integer_digits(t)) {
            (Some((_, f_signed)), Some((_, t_signed))) => {
                (f_signed == t_signed && width(t) >= width(f))
                    || (!f_signed && t_signed && width(t) > width(f))
            }
            _ => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::*;
    use quiver_expr::Operator;

    fn decimal(v: i128, p: u8, s: i8) -> Expr {
        Expr::Literal(ScalarValue::Decimal128(Some(v), p, s))
    }

    fn first_line(predicate: Expr) -> String {
        filter_line_after(&UnwrapCast, predicate)
    }

    #[test]
    fn a_widened_column_compares_in_its_own_type() {
        let widened = Expr::Cast(Box::new(col("a")), DataType::Decimal128(25, 2));
        let predicate = widened.binary(Operator::Gt, decimal(12000, 25, 2));
        assert_eq!(first_line(predicate), "Filter: (t.a > 120)");
        let listed = Expr::InList {
            expr: Box::new(Expr::Cast(Box::new(col("s")), DataType::Utf8View)),
            list: vec![Expr::Literal(ScalarValue::Utf8View(Some("x".into())))],
            negated: false,
        };
        assert_eq!(first_line(listed), "Filter: (t.s IN ('x'))");
    }

    #[test]
    fn casts_that_lose_or_constants_that_change_stay() {
        // 1.5 is no BIGINT.
        let widened = Expr::Cast(Box::new(col("a")), DataType::Decimal128(25, 1));
        let predicate = widened.binary(Operator::Eq, decimal(15, 25, 1));
        insta::assert_snapshot!("cast_that_loses", first_line(predicate));
        // BIGINT to INT narrows.
        let narrowed = Expr::Cast(Box::new(col("a")), DataType::Int32);
        let predicate = narrowed.binary(Operator::Eq, Expr::Literal(ScalarValue::Int32(Some(1))));
        insta::assert_snapshot!("cast_that_narrows", first_line(predicate));
    }

    #[test]
    fn exact_widenings() {
        use DataType::*;
        assert!(widens_exactly(&Int32, &Int64));
        assert!(widens_exactly(&UInt32, &Int64));
        assert!(!widens_exactly(&UInt64, &Int64));
        assert!(!widens_exactly(&Int64, &Float64));
        assert!(widens_exactly(&Decimal128(10, 2), &Decimal128(21, 2)));
        assert!(!widens_exactly(&Decimal128(10, 2), &Decimal128(21, 1)));
        assert!(!widens_exactly(&Decimal128(10, 2), &Decimal128(10, 3)));
        assert!(widens_exactly(&Int64, &Decimal128(19, 0)));
        assert!(!widens_exactly(&Int64, &Decimal128(20, 2)));
    }
}
