//! A call of a lambda function (`list_transform(l, lambda x: x + t.k)`):
//! the list, the arguments after the lambda and the captured values are
//! evaluated over the batch; the body is evaluated over batches of
//! parameter values, each with the captured values of its row.

use std::fmt;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, ListArray, UInt32Array};
use arrow::compute::take;
use arrow::datatypes::{DataType, Field, SchemaRef};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use quiver_expr::{ColumnarValue, LambdaBody, LambdaFunctionRef, Result};

use super::PhysicalExpr;

/// `func(list, lambda params: body, others..)`, its body planned over the
/// parameters followed by the captures.
#[derive(Debug)]
pub struct LambdaExpr {
    func: LambdaFunctionRef,
    list: Arc<dyn PhysicalExpr>,
    others: Vec<Arc<dyn PhysicalExpr>>,
    captures: Vec<Arc<dyn PhysicalExpr>>,
    param_count: usize,
    body: Arc<dyn PhysicalExpr>,
    body_schema: SchemaRef,
    data_type: DataType,
}

/// The parts of a [`LambdaExpr`], planned.
#[derive(Debug)]
pub struct PlannedLambda {
    /// The function.
    pub func: LambdaFunctionRef,
    /// The list argument.
    pub list: Arc<dyn PhysicalExpr>,
    /// The arguments after the lambda.
    pub others: Vec<Arc<dyn PhysicalExpr>>,
    /// The values of the calling row the body reads.
    pub captures: Vec<Arc<dyn PhysicalExpr>>,
    /// How many parameters the lambda takes.
    pub param_count: usize,
    /// The body, over `body_schema`.
    pub body: Arc<dyn PhysicalExpr>,
    /// The parameters, then the captures.
    pub body_schema: SchemaRef,
    /// The call's result type.
    pub data_type: DataType,
}

impl LambdaExpr {
    /// The call made of `parts`.
    pub fn new(parts: PlannedLambda) -> Self {
        Self {
            func: parts.func,
            list: parts.list,
            others: parts.others,
            captures: parts.captures,
            param_count: parts.param_count,
            body: parts.body,
            body_schema: parts.body_schema,
            data_type: parts.data_type,
        }
    }
}

impl fmt::Display for LambdaExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}({}, lambda: {}",
            self.func.0.name(),
            self.list,
            self.body
        )?;
        for other in &self.others {
            write!(f, ", {other}")?;
        }
        f.write_str(")")
    }
}

/// The body of one evaluation: the captured values of every row of the
/// batch.
struct BoundBody<'a> {
    body: &'a dyn PhysicalExpr,
    schema: &'a SchemaRef,
    captures: Vec<ArrayRef>,
}

impl LambdaBody for BoundBody<'_> {
    fn evaluate(&self, mut params: Vec<ArrayRef>, rows: &UInt32Array) -> Result<ArrayRef> {
        for captured in &self.captures {
            params.push(take(captured.as_ref(), rows, None)?);
        }
        let options = RecordBatchOptions::new().with_row_count(Some(rows.len()));
        let batch = RecordBatch::try_new_with_options(Arc::clone(self.schema), params, &options)?;
        self.body.evaluate_to_array(&batch)
    }

    fn parameter_type(&self, i: usize) -> &DataType {
        self.schema.field(i).data_type()
    }
}

impl PhysicalExpr for LambdaExpr {
    fn data_type(&self) -> &DataType {
        &self.data_type
    }

    fn evaluate(&self, batch: &RecordBatch) -> Result<ColumnarValue> {
        let all = |es: &[Arc<dyn PhysicalExpr>]| -> Result<Vec<ArrayRef>> {
            es.iter().map(|e| e.evaluate_to_array(batch)).collect()
        };
        let list = self.list.evaluate_to_array(batch)?;
        let list = match list.data_type() {
            DataType::List(_) => list.as_list::<i32>().clone(),
            _ => ListArray::new_null(
                Arc::new(Field::new_list_field(DataType::Null, true)),
                list.len(),
            ),
        };
        let body = BoundBody {
            body: self.body.as_ref(),
            schema: &self.body_schema,
            captures: all(&self.captures)?,
        };
        let result = self
            .func
            .0
            .invoke(&list, &all(&self.others)?, self.param_count, &body)?;
        Ok(ColumnarValue::Array(result))
    }
}
