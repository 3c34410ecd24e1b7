//! `typeof(x)`: the SQL name of its argument's type (`'INTEGER'`), the same
//! on every row. A function rather than a constant of the binder, so that
//! `typeof(sum(x))` is still an aggregate query (one row).

use arrow::datatypes::DataType;
use quiver_expr::types::sql_type_name;
use quiver_expr::{ColumnarValue, Result, ScalarFunction, ScalarValue};

use super::check_arity;

/// `typeof`.
#[derive(Debug)]
pub struct TypeOf;

impl ScalarFunction for TypeOf {
    fn name(&self) -> &str {
        "typeof"
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(self.name(), arg_types, 1, 1)?;
        Ok(arg_types.to_vec())
    }
    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }
    fn invoke(&self, args: &[ColumnarValue], _num_rows: usize) -> Result<ColumnarValue> {
        let name = sql_type_name(&args[0].data_type());
        Ok(ColumnarValue::Scalar(ScalarValue::Utf8(Some(name))))
    }
}
