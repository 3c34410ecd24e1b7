//! `coalesce(a, b, ...)`: the first argument that is not NULL.

use arrow::array::Array;
use arrow::compute::kernels::zip::zip;
use arrow::compute::{cast, is_not_null};
use arrow::datatypes::DataType;
use quiver_expr::{ColumnarValue, Result, ScalarFunction};

use super::common_arg_type;

/// `coalesce`.
#[derive(Debug)]
pub struct Coalesce;

impl ScalarFunction for Coalesce {
    fn name(&self) -> &str {
        "coalesce"
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        common_arg_type("coalesce", arg_types)
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(arg_types[0].clone())
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        if let Some(first_scalar) = args
            .iter()
            .position(|a| matches!(a, ColumnarValue::Scalar(s) if !s.is_null()))
        {
            if args[..first_scalar]
                .iter()
                .all(|a| matches!(a, ColumnarValue::Scalar(_)))
            {
                return Ok(args[first_scalar].clone());
            }
        }
        let data_type = args[0].data_type();
        let mut result = args[args.len() - 1].to_array(num_rows)?;
        for arg in args[..args.len() - 1].iter().rev() {
            let a = arg.to_array(num_rows)?;
            if a.null_count() == 0 {
                result = a;
                continue;
            }
            result = zip(&is_not_null(&a)?, &a, &result)?;
        }
        if result.data_type() != &data_type {
            result = cast(&result, &data_type)?;
        }
        Ok(ColumnarValue::Array(result))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{AsArray, Int64Array};
    use arrow::datatypes::Int64Type;
    use quiver_expr::ScalarValue;
    use std::sync::Arc;

    #[test]
    fn picks_first_non_null_per_row() {
        let a = ColumnarValue::Array(Arc::new(Int64Array::from(vec![Some(1), None, None])));
        let b = ColumnarValue::Array(Arc::new(Int64Array::from(vec![Some(9), Some(2), None])));
        let c = ColumnarValue::Scalar(ScalarValue::Int64(Some(3)));
        let out = Coalesce
            .invoke(&[a, b, c], 3)
            .unwrap()
            .into_array(3)
            .unwrap();
        assert_eq!(out.as_primitive::<Int64Type>().values(), &[1, 2, 3]);
    }

    #[test]
    fn coerces_to_a_common_type() {
        let t = Coalesce
            .coerce_types(&[DataType::Int32, DataType::Null, DataType::Int64])
            .unwrap();
        assert_eq!(t, vec![DataType::Int64; 3]);
        assert!(Coalesce
            .coerce_types(&[DataType::Int32, DataType::Boolean])
            .is_err());
    }
}
