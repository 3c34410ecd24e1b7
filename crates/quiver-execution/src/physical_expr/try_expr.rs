//! `TRY(expr)`: the expression, with NULL for each row where evaluating it
//! fails (a cast that does not convert, a division by zero, an overflow),
//! as in DuckDB. A batch whose evaluation fails is evaluated again row by
//! row to find the rows that fail; cancellation and running out of memory
//! are not caught.

use std::fmt;
use std::sync::Arc;

use arrow::array::{new_null_array, Array, ArrayRef};
use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;
use quiver_expr::{ColumnarValue, QuiverError, Result};

use super::PhysicalExpr;

/// `TRY(expr)`.
#[derive(Debug)]
pub struct TryExpr {
    expr: Arc<dyn PhysicalExpr>,
}

impl TryExpr {
    /// `TRY(expr)`.
    pub fn new(expr: Arc<dyn PhysicalExpr>) -> Self {
        Self { expr }
    }

    /// Evaluates one row: its value, or NULL when it fails.
    fn row(&self, batch: &RecordBatch, row: usize) -> Result<ArrayRef> {
        let one = batch.slice(row, 1);
        match self.expr.evaluate(&one) {
            Ok(v) => v.into_array(1),
            Err(e) if caught(&e) => Ok(new_null_array(self.expr.data_type(), 1)),
            Err(e) => Err(e),
        }
    }
}

/// Whether `TRY` turns an error into NULL: failures of the values, not of
/// the query (cancellation, the memory limit, internal errors).
fn caught(e: &QuiverError) -> bool {
    matches!(e, QuiverError::Execution(_) | QuiverError::Arrow(_))
}

impl fmt::Display for TryExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TRY({})", self.expr)
    }
}

impl PhysicalExpr for TryExpr {
    fn data_type(&self) -> &DataType {
        self.expr.data_type()
    }
    fn evaluate(&self, batch: &RecordBatch) -> Result<ColumnarValue> {
        match self.expr.evaluate(batch) {
            Ok(v) => Ok(v),
            Err(e) if !caught(&e) => Err(e),
            Err(_) => {
                let rows = (0..batch.num_rows().max(1))
                    .map(|r| {
                        if batch.num_rows() == 0 {
                            Ok(new_null_array(self.expr.data_type(), 0))
                        } else {
                            self.row(batch, r)
                        }
                    })
                    .collect::<Result<Vec<_>>>()?;
                let parts: Vec<&dyn Array> = rows.iter().map(|a| a.as_ref()).collect();
                Ok(ColumnarValue::Array(arrow::compute::concat(&parts)?))
            }
        }
    }
}
