//! Fast decimal `+`, `-` and `*`: when the largest magnitudes of the inputs
//! prove that no result can overflow 128 bits, the arithmetic runs without a
//! per-value overflow check. Otherwise the caller falls back to Arrow's
//! checked kernels, which report overflow.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, PrimitiveArray};
use arrow::compute::binary;
use arrow::datatypes::{DataType, Decimal128Type};
use quiver_expr::{Operator, Result};

/// The largest absolute value in `a` (over all slots, NULL ones included,
/// which only makes the bound more conservative); `None` if it has no
/// absolute value (`i128::MIN`).
fn max_abs(a: &PrimitiveArray<Decimal128Type>) -> Option<i128> {
    a.values()
        .iter()
        .try_fold(0i128, |m, v| Some(m.max(v.checked_abs()?)))
}

/// `l op r` for decimal operands if it provably cannot overflow; `Ok(None)`
/// when the operands or operator are not covered. `l_scalar`/`r_scalar`
/// mark one-row arrays standing for a constant.
pub fn checked_free_decimal_op(
    op: Operator,
    l: &ArrayRef,
    l_scalar: bool,
    r: &ArrayRef,
    r_scalar: bool,
    result_type: &DataType,
) -> Result<Option<ArrayRef>> {
    let (DataType::Decimal128(_, s1), DataType::Decimal128(_, s2)) = (l.data_type(), r.data_type())
    else {
        return Ok(None);
    };
    if !matches!(op, Operator::Plus | Operator::Minus | Operator::Multiply) {
        return Ok(None);
    }
    if (l_scalar && l.null_count() > 0) || (r_scalar && r.null_count() > 0) {
        return Ok(None);
    }
    let (a, b) = (
        l.as_primitive::<Decimal128Type>(),
        r.as_primitive::<Decimal128Type>(),
    );
    let (Some(ma), Some(mb)) = (max_abs(a), max_abs(b)) else {
        return Ok(None);
    };
    let scale = (*s1).max(*s2);
    let (fa, fb) = (
        10i128.pow((scale - s1) as u32),
        10i128.pow((scale - s2) as u32),
    );
    let fits = match op {
        Operator::Multiply => ma.checked_mul(mb).is_some(),
        _ => ma
            .checked_mul(fa)
            .zip(mb.checked_mul(fb))
            .and_then(|(x, y)| x.checked_add(y))
            .is_some(),
    };
    if !fits {
        return Ok(None);
    }
    let f = move |x: i128, y: i128| -> i128 {
        match op {
            Operator::Multiply => x.wrapping_mul(y),
            Operator::Plus => x.wrapping_mul(fa).wrapping_add(y.wrapping_mul(fb)),
            _ => x.wrapping_mul(fa).wrapping_sub(y.wrapping_mul(fb)),
        }
    };
    let out: PrimitiveArray<Decimal128Type> = match (l_scalar, r_scalar) {
        (true, false) => {
            let x = a.value(0);
            b.unary(|y| f(x, y))
        }
        (false, true) => {
            let y = b.value(0);
            a.unary(|x| f(x, y))
        }
        _ => binary(a, b, f)?,
    };
    Ok(Some(Arc::new(out.with_data_type(result_type.clone()))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::Decimal128Array;
    use arrow::compute::kernels::numeric::{mul, sub};

    fn dec(values: Vec<Option<i128>>, p: u8, s: i8) -> ArrayRef {
        Arc::new(
            Decimal128Array::from(values)
                .with_precision_and_scale(p, s)
                .unwrap(),
        )
    }

    #[test]
    fn agrees_with_the_checked_kernels() {
        let price = dec(vec![Some(2116823), Some(-4598316), None, Some(0)], 15, 2);
        let discount = dec(vec![Some(4), Some(9), Some(1), None], 15, 2);
        let expected = mul(&price, &discount).unwrap();
        let got = checked_free_decimal_op(
            Operator::Multiply,
            &price,
            false,
            &discount,
            false,
            expected.data_type(),
        )
        .unwrap()
        .unwrap();
        assert_eq!(got.as_ref(), expected.as_ref());

        let one = dec(vec![Some(1)], 1, 0);
        let expected = sub(&arrow::array::Scalar::new(Arc::clone(&one)), &discount).unwrap();
        let got = checked_free_decimal_op(
            Operator::Minus,
            &one,
            true,
            &discount,
            false,
            expected.data_type(),
        )
        .unwrap()
        .unwrap();
        assert_eq!(got.as_ref(), expected.as_ref());
    }

    #[test]
    fn declines_when_overflow_is_possible() {
        let big = dec(vec![Some(10i128.pow(37))], 38, 0);
        assert!(checked_free_decimal_op(
            Operator::Multiply,
            &big,
            false,
            &big,
            false,
            &DataType::Decimal128(38, 0)
        )
        .unwrap()
        .is_none());
    }
}
