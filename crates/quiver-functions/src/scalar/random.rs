//! `random()`: a DOUBLE uniform in [0, 1) (as in DuckDB and PostgreSQL),
//! drawn anew for every row. Volatile: the optimizer never folds it into a
//! constant, shares two calls, or moves it where it would run for other
//! rows. (`uuid()` draws the same way, in `uuid.rs`.)

use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array};
use arrow::datatypes::DataType;
use quiver_expr::{ColumnarValue, Result, ScalarFunction, Volatility};
use rand::Rng;

use super::check_arity;

/// `random()`.
#[derive(Debug)]
pub struct Random;

impl ScalarFunction for Random {
    fn name(&self) -> &str {
        "random"
    }
    fn volatility(&self) -> Volatility {
        Volatility::Volatile
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(self.name(), arg_types, 0, 0)?;
        Ok(vec![])
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }
    fn invoke(&self, _: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        let mut rng = rand::thread_rng();
        let values: ArrayRef = Arc::new(
            (0..num_rows)
                .map(|_| rng.gen::<f64>())
                .collect::<Float64Array>(),
        );
        Ok(ColumnarValue::Array(values))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::AsArray;
    use arrow::datatypes::Float64Type;

    #[test]
    fn every_row_draws_its_own_value_in_the_unit_interval() {
        let ColumnarValue::Array(values) = Random.invoke(&[], 1000).unwrap() else {
            panic!("one value per row")
        };
        let values = values.as_primitive::<Float64Type>();
        assert_eq!(values.len(), 1000);
        assert!(values.values().iter().all(|v| (0.0..1.0).contains(v)));
        let mut distinct: Vec<u64> = values.values().iter().map(|v| v.to_bits()).collect();
        distinct.sort_unstable();
        distinct.dedup();
        assert!(distinct.len() > 990, "{} distinct of 1000", distinct.len());
    }
}
