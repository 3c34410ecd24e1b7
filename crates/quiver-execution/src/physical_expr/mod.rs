//! Physical expressions: evaluated on a whole record batch at a time with
//! Arrow kernels.

pub(crate) mod binary;
mod canonical;
mod case;
mod decimal;
mod deep;
mod lambda;
mod like;
mod nested_compare;
mod planner;
pub(crate) mod simple;
mod try_expr;

use std::fmt::{Debug, Display};

use arrow::array::{ArrayRef, BooleanArray};
use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;
use quiver_expr::{exec_err, ColumnarValue, Result};

pub use canonical::{canonical_floats, canonical_key};
pub use planner::{create_physical_expr, evaluate_constant};
pub use simple::{ColumnExpr, UnaryExpr, UnaryOp};

/// An expression bound to an input schema, ready to evaluate.
pub trait PhysicalExpr: Send + Sync + Debug + Display {
    /// The type of the produced values.
    fn data_type(&self) -> &DataType;

    /// Evaluates the expression for every row of `batch`.
    fn evaluate(&self, batch: &RecordBatch) -> Result<ColumnarValue>;

    /// The input column the expression is, unchanged; `None` for anything
    /// computed.
    fn as_column(&self) -> Option<usize> {
        None
    }

    /// Evaluates and materializes the result as an array of `batch.num_rows()`.
    fn evaluate_to_array(&self, batch: &RecordBatch) -> Result<ArrayRef> {
        self.evaluate(batch)?.into_array(batch.num_rows())
    }
}

/// Evaluates a predicate to a boolean array (NULL stays NULL).
pub fn evaluate_predicate(expr: &dyn PhysicalExpr, batch: &RecordBatch) -> Result<BooleanArray> {
    let array = expr.evaluate_to_array(batch)?;
    match array.as_any().downcast_ref::<BooleanArray>() {
        Some(b) => Ok(b.clone()),
        None if array.data_type() == &DataType::Null => Ok(BooleanArray::new_null(array.len())),
        None => exec_err!(
            "predicate {expr} produced {} instead of BOOLEAN",
            array.data_type()
        ),
    }
}
