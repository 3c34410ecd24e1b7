//! Numeric functions: `abs` and `round`.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, PrimitiveArray};
use arrow::datatypes::*;
use arrow::error::ArrowError;
use quiver_expr::types::is_numeric;
use quiver_expr::{exec_err, ColumnarValue, QuiverError, Result, ScalarFunction, ScalarValue};

use super::{check_arity, map_values, wrong_types};

/// Applies a fallible function to every value of a primitive array.
fn map_checked<T: ArrowPrimitiveType>(
    a: &dyn Array,
    f: impl Fn(T::Native) -> Result<T::Native, ArrowError>,
) -> Result<ArrayRef> {
    let out: PrimitiveArray<T> = a.as_primitive::<T>().try_unary(f)?;
    Ok(Arc::new(out.with_data_type(a.data_type().clone())))
}

fn overflow(what: &str) -> ArrowError {
    ArrowError::ArithmeticOverflow(format!("abs of the smallest {what} does not fit"))
}

/// `abs(x)`: absolute value; overflow of the smallest integer is an error.
#[derive(Debug)]
pub struct Abs;

impl ScalarFunction for Abs {
    fn name(&self) -> &str {
        "abs"
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity("abs", arg_types, 1, 1)?;
        match &arg_types[0] {
            DataType::Null => Ok(vec![DataType::Int64]),
            t if is_numeric(t) => Ok(vec![t.clone()]),
            _ => Err(wrong_types("abs", arg_types)),
        }
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(arg_types[0].clone())
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        map_values(&args[0], num_rows, |a| match a.data_type() {
            DataType::Int8 => {
                map_checked::<Int8Type>(a, |v| v.checked_abs().ok_or_else(|| overflow("TINYINT")))
            }
            DataType::Int16 => {
                map_checked::<Int16Type>(a, |v| v.checked_abs().ok_or_else(|| overflow("SMALLINT")))
            }
            DataType::Int32 => {
                map_checked::<Int32Type>(a, |v| v.checked_abs().ok_or_else(|| overflow("INTEGER")))
            }
            DataType::Int64 => {
                map_checked::<Int64Type>(a, |v| v.checked_abs().ok_or_else(|| overflow("BIGINT")))
            }
            DataType::UInt8 | DataType::UInt16 | DataType::UInt32 | DataType::UInt64 => {
                Ok(arrow::array::make_array(a.to_data()))
            }
            DataType::Float32 => map_checked::<Float32Type>(a, |v| Ok(v.abs())),
            DataType::Float64 => map_checked::<Float64Type>(a, |v| Ok(v.abs())),
            DataType::Decimal128(..) => map_checked::<Decimal128Type>(a, |v| {
                v.checked_abs().ok_or_else(|| overflow("DECIMAL"))
            }),
            other => exec_err!("abs is not defined for {other}"),
        })
    }
}

/// How a [`Round`] treats the digits it drops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RoundMode {
    /// `round`: half away from zero.
    HalfAwayFromZero,
    /// `round_even`: half to the even neighbour (banker's rounding).
    HalfToEven,
    /// `trunc`: dropped, toward zero.
    TowardZero,
}

/// `round(x [, digits])` (half away from zero), `round_even(x [, digits])`
/// (half to even) and `trunc(x [, digits])` (toward zero). Integers are
/// unchanged; floats stay DOUBLE; decimals keep their type (the
/// one-argument form gives scale 0), so `round(2.345, 2)` is `2.350` when
/// the input has scale 3.
#[derive(Debug)]
pub struct Round {
    mode: RoundMode,
}

impl Round {
    /// `round`.
    pub fn half_away_from_zero() -> Self {
        Self {
            mode: RoundMode::HalfAwayFromZero,
        }
    }
    /// `round_even`.
    pub fn half_to_even() -> Self {
        Self {
            mode: RoundMode::HalfToEven,
        }
    }
    /// `trunc`.
    pub fn toward_zero() -> Self {
        Self {
            mode: RoundMode::TowardZero,
        }
    }
}

fn round_decimal(v: i128, scale: i8, digits: i64, mode: RoundMode) -> Result<i128, ArrowError> {
    let drop = scale as i64 - digits;
    if drop <= 0 {
        return Ok(v);
    }
    if drop > 38 {
        return Ok(0);
    }
    let factor = 10i128.pow(drop as u32);
    let (quotient, remainder) = (v / factor, v % factor);
    // |remainder| compared with half of factor, without overflow.
    let twice = remainder.unsigned_abs().saturating_mul(2);
    let away = match mode {
        RoundMode::TowardZero => false,
        RoundMode::HalfAwayFromZero => twice >= factor.unsigned_abs(),
        RoundMode::HalfToEven => {
            twice > factor.unsigned_abs() || (twice == factor.unsigned_abs() && quotient % 2 != 0)
        }
    };
    let rounded = if away {
        quotient + v.signum()
    } else {
        quotient
    };
    rounded.checked_mul(factor).ok_or_else(|| {
        ArrowError::ArithmeticOverflow("round result does not fit its DECIMAL type".into())
    })
}

fn round_float(v: f64, digits: i64, mode: RoundMode) -> f64 {
    let factor = 10f64.powi(digits.clamp(-300, 300) as i32);
    let scaled = v * factor;
    let rounded = match mode {
        RoundMode::HalfAwayFromZero => scaled.round(),
        RoundMode::HalfToEven => scaled.round_ties_even(),
        RoundMode::TowardZero => scaled.trunc(),
    };
    rounded / factor
}

impl ScalarFunction for Round {
    fn name(&self) -> &str {
        match self.mode {
            RoundMode::HalfAwayFromZero => "round",
            RoundMode::HalfToEven => "round_even",
            RoundMode::TowardZero => "trunc",
        }
    }
    fn aliases(&self) -> &'static [&'static str] {
        match self.mode {
            RoundMode::HalfToEven => &["roundbankers"],
            RoundMode::HalfAwayFromZero | RoundMode::TowardZero => &[],
        }
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let name = self.name();
        check_arity(name, arg_types, 1, 2)?;
        let value = match &arg_types[0] {
            DataType::Null | DataType::Float32 | DataType::Float64 => DataType::Float64,
            t @ DataType::Decimal128(..) => t.clone(),
            t if t.is_integer() => t.clone(),
            _ => return Err(wrong_types(name, arg_types)),
        };
        let mut out = vec![value];
        if let Some(d) = arg_types.get(1) {
            if !d.is_integer() && d != &DataType::Null {
                return Err(wrong_types(name, arg_types));
            }
            out.push(DataType::Int64);
        }
        Ok(out)
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(match &arg_types[0] {
            DataType::Decimal128(p, _) if arg_types.len() == 1 => DataType::Decimal128(*p, 0),
            t => t.clone(),
        })
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        let digits = match args.get(1) {
            None => 0,
            Some(ColumnarValue::Scalar(ScalarValue::Int64(Some(d)))) => *d,
            Some(ColumnarValue::Scalar(s)) if s.is_null() => {
                return Ok(ColumnarValue::Scalar(ScalarValue::try_from(
                    args[0].data_type(),
                )?))
            }
            Some(_) => {
                return exec_err!("{}: the number of digits must be a constant", self.name())
            }
        };
        let one_arg = args.len() == 1;
        map_values(&args[0], num_rows, |a| match a.data_type() {
            DataType::Float64 => {
                map_checked::<Float64Type>(a, |v| Ok(round_float(v, digits, self.mode)))
            }
            DataType::Decimal128(p, s) => {
                let (p, s) = (*p, *s);
                let rounded =
                    map_checked::<Decimal128Type>(a, |v| round_decimal(v, s, digits, self.mode))?;
                if one_arg {
                    let divisor = 10i128.pow(s.max(0) as u32);
                    let out: PrimitiveArray<Decimal128Type> = rounded
                        .as_primitive::<Decimal128Type>()
                        .unary(|v| v / divisor);
                    Ok(Arc::new(out.with_precision_and_scale(p, 0)?))
                } else {
                    Ok(rounded)
                }
            }
            t if t.is_integer() => Ok(arrow::array::make_array(a.to_data())),
            other => Err(QuiverError::Execution(format!(
                "{} is not defined for {other}",
                self.name()
            ))),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Decimal128Array, Float64Array, Int32Array};

    #[test]
    fn abs_overflow_is_an_error() {
        let a = ColumnarValue::Array(Arc::new(Int32Array::from(vec![
            Some(-3),
            None,
            Some(i32::MIN),
        ])));
        let err = Abs.invoke(&[a], 3).unwrap_err().to_string();
        assert!(err.contains("overflow"), "{err}");
        let ok = ColumnarValue::Array(Arc::new(Int32Array::from(vec![Some(-3), None])));
        let out = Abs.invoke(&[ok], 2).unwrap().into_array(2).unwrap();
        assert_eq!(out.as_primitive::<Int32Type>().value(0), 3);
        assert!(out.is_null(1));
    }

    #[test]
    fn rounds_half_away_from_zero() {
        let f = ColumnarValue::Array(Arc::new(Float64Array::from(vec![2.5, -2.5, 1.2345])));
        let out = Round::half_away_from_zero()
            .invoke(std::slice::from_ref(&f), 3)
            .unwrap()
            .into_array(3)
            .unwrap();
        assert_eq!(
            out.as_primitive::<Float64Type>().values(),
            &[3.0, -3.0, 1.0]
        );
        let two = ColumnarValue::Scalar(ScalarValue::Int64(Some(2)));
        let out = Round::half_away_from_zero()
            .invoke(&[f, two.clone()], 3)
            .unwrap()
            .into_array(3)
            .unwrap();
        assert_eq!(out.as_primitive::<Float64Type>().value(2), 1.23);

        let d = Decimal128Array::from(vec![12345, -12355])
            .with_precision_and_scale(10, 3)
            .unwrap();
        let out = Round::half_away_from_zero()
            .invoke(&[ColumnarValue::Array(Arc::new(d.clone())), two], 2)
            .unwrap();
        let out = out.into_array(2).unwrap();
        assert_eq!(
            out.as_primitive::<Decimal128Type>().values(),
            &[12350, -12360]
        );
        let whole = Round::half_away_from_zero()
            .invoke(&[ColumnarValue::Array(Arc::new(d))], 2)
            .unwrap()
            .into_array(2)
            .unwrap();
        assert_eq!(whole.data_type(), &DataType::Decimal128(10, 0));
        assert_eq!(whole.as_primitive::<Decimal128Type>().values(), &[12, -12]);
    }

    #[test]
    fn halves_to_even_and_toward_zero() {
        let decimal = |v: i128| ColumnarValue::Scalar(ScalarValue::Decimal128(Some(v), 5, 2));
        let digits = ColumnarValue::Scalar(ScalarValue::Int64(Some(1)));
        let value = |f: Round, v: i128| match f.invoke(&[decimal(v), digits.clone()], 1).unwrap() {
            ColumnarValue::Scalar(ScalarValue::Decimal128(Some(v), _, _)) => v,
            other => panic!("{other:?}"),
        };
        // 2.25 and 2.35 to one digit; -2.57 toward zero.
        assert_eq!(value(Round::half_to_even(), 225), 220);
        assert_eq!(value(Round::half_to_even(), 235), 240);
        assert_eq!(value(Round::half_away_from_zero(), 225), 230);
        assert_eq!(value(Round::toward_zero(), -257), -250);
        assert_eq!(round_float(2.5, 0, RoundMode::HalfToEven), 2.0);
        assert_eq!(round_float(-2.57, 1, RoundMode::TowardZero), -2.5);
    }
}
