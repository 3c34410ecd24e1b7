//! `floor(x)` and `ceil(x)`: integers are returned unchanged, doubles as
//! doubles, decimals as decimals with scale 0.

use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, Decimal128Array};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Decimal128Type, Float64Type};
use quiver_expr::types::is_numeric;
use quiver_expr::{ColumnarValue, Result, ScalarFunction};

use super::{check_arity, map_values, wrong_types};

/// `floor` or `ceil`.
#[derive(Debug)]
pub struct Rounding {
    up: bool,
}

impl Rounding {
    /// `floor`: the largest integer not above x.
    pub fn floor() -> Self {
        Self { up: false }
    }
    /// `ceil`: the smallest integer not below x.
    pub fn ceil() -> Self {
        Self { up: true }
    }

    fn decimal(&self, a: &Decimal128Array, scale: i8, to: &DataType) -> Result<ArrayRef> {
        let unit = 10i128.pow(scale.max(0) as u32);
        let out: Decimal128Array = a.unary(|v| {
            let q = v.div_euclid(unit);
            if self.up && v.rem_euclid(unit) != 0 {
                q + 1
            } else {
                q
            }
        });
        Ok(Arc::new(out.with_data_type(to.clone())))
    }
}

impl ScalarFunction for Rounding {
    fn name(&self) -> &str {
        if self.up {
            "ceil"
        } else {
            "floor"
        }
    }
    fn aliases(&self) -> &'static [&'static str] {
        if self.up {
            &["ceiling"]
        } else {
            &[]
        }
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(self.name(), arg_types, 1, 1)?;
        match &arg_types[0] {
            DataType::Null | DataType::Float32 => Ok(vec![DataType::Float64]),
            t if is_numeric(t) => Ok(vec![t.clone()]),
            _ => Err(wrong_types(self.name(), arg_types)),
        }
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(match &arg_types[0] {
            DataType::Decimal128(p, s) => {
                let digits = (i16::from(*p) - i16::from(*s) + 1).clamp(1, 38) as u8;
                DataType::Decimal128(digits, 0)
            }
            other => other.clone(),
        })
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        map_values(&args[0], num_rows, |input| {
            Ok(match input.data_type() {
                DataType::Float64 => {
                    let f = if self.up { f64::ceil } else { f64::floor };
                    Arc::new(
                        input
                            .as_primitive::<Float64Type>()
                            .unary::<_, Float64Type>(f),
                    )
                }
                DataType::Decimal128(_, s) => {
                    let to = self.return_type(&[input.data_type().clone()])?;
                    let wide = cast(input, &DataType::Decimal128(38, *s))?;
                    self.decimal(wide.as_primitive::<Decimal128Type>(), *s, &to)?
                }
                _ => arrow::array::make_array(input.to_data()),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quiver_expr::ScalarValue;

    fn dec(v: i128) -> ColumnarValue {
        ColumnarValue::Scalar(ScalarValue::Decimal128(Some(v), 5, 2))
    }

    #[test]
    fn decimals_round_toward_the_right_side() {
        let floor = Rounding::floor().invoke(&[dec(-250)], 1).unwrap();
        let ceil = Rounding::ceil().invoke(&[dec(-250)], 1).unwrap();
        let up = Rounding::ceil().invoke(&[dec(201)], 1).unwrap();
        let value = |c: ColumnarValue| match c {
            ColumnarValue::Scalar(ScalarValue::Decimal128(Some(v), _, 0)) => v,
            other => panic!("{other:?}"),
        };
        assert_eq!((value(floor), value(ceil), value(up)), (-3, -2, 3));
    }

    #[test]
    fn doubles_stay_doubles() {
        let x = ColumnarValue::Scalar(ScalarValue::Float64(Some(-1.5)));
        let out = Rounding::floor().invoke(&[x], 1).unwrap();
        assert!(matches!(out, ColumnarValue::Scalar(ScalarValue::Float64(Some(v))) if v == -2.0));
    }
}
