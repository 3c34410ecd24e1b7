//! Floats as SQL compares them. Arrow's kernels order floats by IEEE total
//! order, where `-0.0 < 0.0` and NaNs with different bits differ; DuckDB
//! and PostgreSQL treat `-0.0` and `0.0` as equal and every NaN as one value
//! (greater than all others). Mapping `-0.0` to `0.0` and each NaN to the
//! one positive quiet NaN before comparing, hashing or grouping gives SQL's
//! answers with Arrow's kernels.

use std::fmt;
use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, BooleanArray, PrimitiveArray, Scalar};
use arrow::compute::kernels::cmp::eq;
use arrow::datatypes::{ArrowPrimitiveType, DataType, Float32Type, Float64Type};
use arrow::record_batch::RecordBatch;
use quiver_expr::{ColumnarValue, Operator, Result};

use super::PhysicalExpr;

/// `array` with `-0.0` as `0.0` and every NaN as the positive quiet NaN;
/// any other array unchanged.
pub fn canonical_floats(array: ArrayRef) -> ArrayRef {
    match array.data_type() {
        DataType::Float64 => replace::<Float64Type>(array, |v| {
            if v.is_nan() {
                (v.to_bits() != f64::NAN.to_bits()).then_some(f64::NAN)
            } else {
                (v == 0.0 && v.is_sign_negative()).then_some(0.0)
            }
        }),
        DataType::Float32 => replace::<Float32Type>(array, |v| {
            if v.is_nan() {
                (v.to_bits() != f32::NAN.to_bits()).then_some(f32::NAN)
            } else {
                (v == 0.0 && v.is_sign_negative()).then_some(0.0)
            }
        }),
        _ => array,
    }
}

/// `array` with each value that `replacement` gives one for replaced by it,
/// or `array` itself when there is none.
fn replace<T: ArrowPrimitiveType>(
    array: ArrayRef,
    replacement: impl Fn(T::Native) -> Option<T::Native>,
) -> ArrayRef {
    let values = array.as_primitive::<T>();
    if !values.values().iter().any(|&v| replacement(v).is_some()) {
        return array;
    }
    let replaced: PrimitiveArray<T> = values.unary(|v| replacement(v).unwrap_or(v));
    Arc::new(replaced)
}

/// Which rows of `values` equal `other` (one value or one per row), as SQL
/// compares: floats made canonical first.
pub(crate) fn equal_rows(values: &ArrayRef, other: ColumnarValue) -> Result<BooleanArray> {
    if values.data_type().is_nested() {
        // Lists, structs and maps, which Arrow's `eq` does not take.
        let other = other.into_array(values.len())?;
        return super::nested_compare::compare_nested(Operator::Eq, values, &other);
    }
    let values = canonical_floats(Arc::clone(values));
    Ok(match other {
        ColumnarValue::Scalar(scalar) => {
            eq(&values, &Scalar::new(canonical_floats(scalar.to_array()?)))?
        }
        ColumnarValue::Array(array) => eq(&values, &canonical_floats(array))?,
    })
}

/// A key expression whose floats are made canonical (see the module
/// documentation), for grouping, joining and DISTINCT.
#[derive(Debug)]
pub struct CanonicalFloatExpr {
    input: Arc<dyn PhysicalExpr>,
}

/// `expr`, made canonical when it yields floats.
pub fn canonical_key(expr: Arc<dyn PhysicalExpr>) -> Arc<dyn PhysicalExpr> {
    match expr.data_type() {
        DataType::Float32 | DataType::Float64 => Arc::new(CanonicalFloatExpr { input: expr }),
        _ => expr,
    }
}

impl fmt::Display for CanonicalFloatExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.input)
    }
}

impl PhysicalExpr for CanonicalFloatExpr {
    fn data_type(&self) -> &DataType {
        self.input.data_type()
    }

    fn evaluate(&self, batch: &RecordBatch) -> Result<ColumnarValue> {
        Ok(match self.input.evaluate(batch)? {
            ColumnarValue::Array(array) => ColumnarValue::Array(canonical_floats(array)),
            ColumnarValue::Scalar(scalar) => {
                let array = canonical_floats(scalar.to_array()?);
                ColumnarValue::Scalar(quiver_expr::ScalarValue::try_from_array(&array, 0)?)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::Float64Array;

    #[test]
    fn negative_zero_and_nans_compare_as_sql_says() {
        let left: ArrayRef = Arc::new(Float64Array::from(vec![-0.0, f64::NAN, 1.5]));
        let right: ArrayRef = Arc::new(Float64Array::from(vec![0.0, -f64::NAN, 1.5]));
        assert_eq!(eq(&left, &right).unwrap().true_count(), 1);
        let equal = eq(&canonical_floats(left), &canonical_floats(right)).unwrap();
        assert_eq!(equal.true_count(), 3);
    }

    #[test]
    fn arrays_without_such_values_are_kept() {
        let array: ArrayRef = Arc::new(Float64Array::from(vec![Some(1.0), None]));
        assert!(Arc::ptr_eq(&canonical_floats(Arc::clone(&array)), &array));
    }
}
