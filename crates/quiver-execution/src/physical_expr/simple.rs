//! Leaf and one-input expressions: columns, literals, NOT, negation,
//! IS [NOT] NULL, CAST, IN lists, LIKE and function calls.

use std::fmt;
use std::sync::Arc;

use arrow::array::{Array, BooleanArray};
use arrow::compute::kernels::numeric::neg;
use arrow::compute::{is_not_null, is_null, not, or_kleene};
use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;
use quiver_expr::cast::{cast_array, try_cast_array};
use quiver_expr::{ColumnarValue, Result, ScalarFunctionRef, ScalarValue};

use super::canonical::equal_rows;
use super::PhysicalExpr;

/// Turns an array result back into a scalar when every input was scalar.
pub(crate) fn scalar_if(all_scalar: bool, array: arrow::array::ArrayRef) -> Result<ColumnarValue> {
    if all_scalar {
        Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(
            &array, 0,
        )?))
    } else {
        Ok(ColumnarValue::Array(array))
    }
}

/// Evaluates `expr` as an array, or as a one-row array if it is a scalar.
/// Returns whether it was a scalar.
pub(crate) fn eval_datum(
    expr: &dyn PhysicalExpr,
    batch: &RecordBatch,
) -> Result<(arrow::array::ArrayRef, bool)> {
    match expr.evaluate(batch)? {
        ColumnarValue::Array(a) => Ok((a, false)),
        ColumnarValue::Scalar(s) => Ok((s.to_array_of_size(1)?, true)),
    }
}

/// Column `index` of the input.
#[derive(Debug)]
pub struct ColumnExpr {
    name: String,
    index: usize,
    data_type: DataType,
}

impl ColumnExpr {
    /// The input column at `index`, called `name`, of type `data_type`.
    pub fn new(name: &str, index: usize, data_type: DataType) -> Self {
        Self {
            name: name.to_string(),
            index,
            data_type,
        }
    }

    /// The column's index in the input.
    pub fn index(&self) -> usize {
        self.index
    }
}

impl fmt::Display for ColumnExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.name, self.index)
    }
}

impl PhysicalExpr for ColumnExpr {
    fn as_column(&self) -> Option<usize> {
        Some(self.index)
    }
    fn data_type(&self) -> &DataType {
        &self.data_type
    }
    fn evaluate(&self, batch: &RecordBatch) -> Result<ColumnarValue> {
        Ok(ColumnarValue::Array(Arc::clone(batch.column(self.index))))
    }
}

/// A constant.
#[derive(Debug)]
pub struct LiteralExpr {
    value: ScalarValue,
    data_type: DataType,
}

impl LiteralExpr {
    /// The constant `value`.
    pub fn new(value: ScalarValue) -> Self {
        let data_type = value.data_type();
        Self { value, data_type }
    }
}

impl fmt::Display for LiteralExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", quiver_expr::Expr::Literal(self.value.clone()))
    }
}

impl PhysicalExpr for LiteralExpr {
    fn data_type(&self) -> &DataType {
        &self.data_type
    }
    fn evaluate(&self, _: &RecordBatch) -> Result<ColumnarValue> {
        Ok(ColumnarValue::Scalar(self.value.clone()))
    }
}

/// Which one-input operation a [`UnaryExpr`] performs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    /// Three-valued NOT.
    Not,
    /// Arithmetic negation (overflow is an error).
    Negative,
    /// IS NULL.
    IsNull,
    /// IS NOT NULL.
    IsNotNull,
}

/// NOT, negation, IS NULL, IS NOT NULL.
#[derive(Debug)]
pub struct UnaryExpr {
    op: UnaryOp,
    input: Arc<dyn PhysicalExpr>,
    data_type: DataType,
}

impl UnaryExpr {
    /// `op input`.
    pub fn new(op: UnaryOp, input: Arc<dyn PhysicalExpr>) -> Self {
        let data_type = match op {
            UnaryOp::Negative => input.data_type().clone(),
            _ => DataType::Boolean,
        };
        Self {
            op,
            input,
            data_type,
        }
    }
}

impl fmt::Display for UnaryExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.op {
            UnaryOp::Not => write!(f, "NOT {}", self.input),
            UnaryOp::Negative => write!(f, "(- {})", self.input),
            UnaryOp::IsNull => write!(f, "{} IS NULL", self.input),
            UnaryOp::IsNotNull => write!(f, "{} IS NOT NULL", self.input),
        }
    }
}

impl PhysicalExpr for UnaryExpr {
    fn data_type(&self) -> &DataType {
        &self.data_type
    }
    fn evaluate(&self, batch: &RecordBatch) -> Result<ColumnarValue> {
        let (a, scalar) = eval_datum(self.input.as_ref(), batch)?;
        let out: arrow::array::ArrayRef = match self.op {
            UnaryOp::Not => match a.as_any().downcast_ref::<BooleanArray>() {
                Some(b) => Arc::new(not(b)?),
                None => Arc::new(BooleanArray::new_null(a.len())),
            },
            // `- NULL` is NULL; Arrow has no negation of the NULL type.
            UnaryOp::Negative if a.data_type() == &DataType::Null => a,
            UnaryOp::Negative => neg(&a)?,
            UnaryOp::IsNull => Arc::new(is_null(&a)?),
            UnaryOp::IsNotNull => Arc::new(is_not_null(&a)?),
        };
        scalar_if(scalar, out)
    }
}

/// CAST; a value that does not convert is an error, not a silent NULL.
#[derive(Debug)]
pub struct CastExpr {
    input: Arc<dyn PhysicalExpr>,
    data_type: DataType,
    /// `TRY_CAST`: NULL instead of an error for a value that does not
    /// convert.
    null_on_failure: bool,
}

impl CastExpr {
    /// `CAST(input AS data_type)`.
    pub fn new(input: Arc<dyn PhysicalExpr>, data_type: DataType) -> Self {
        Self {
            input,
            data_type,
            null_on_failure: false,
        }
    }

    /// `TRY_CAST(input AS data_type)`.
    pub fn new_try(input: Arc<dyn PhysicalExpr>, data_type: DataType) -> Self {
        Self {
            input,
            data_type,
            null_on_failure: true,
        }
    }
}

impl fmt::Display for CastExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}({} AS {})",
            if self.null_on_failure {
                "TRY_CAST"
            } else {
                "CAST"
            },
            self.input,
            quiver_expr::types::sql_type_name(&self.data_type)
        )
    }
}

impl PhysicalExpr for CastExpr {
    fn data_type(&self) -> &DataType {
        &self.data_type
    }
    fn evaluate(&self, batch: &RecordBatch) -> Result<ColumnarValue> {
        let (a, scalar) = eval_datum(self.input.as_ref(), batch)?;
        let cast = if self.null_on_failure {
            try_cast_array(&a, &self.data_type)?
        } else {
            cast_array(&a, &self.data_type)?
        };
        scalar_if(scalar, cast)
    }
}

/// `expr [NOT] IN (list)` with three-valued logic: NULL when no candidate
/// matches and the value or a candidate is NULL.
#[derive(Debug)]
pub struct InListExpr {
    expr: Arc<dyn PhysicalExpr>,
    list: Vec<Arc<dyn PhysicalExpr>>,
    negated: bool,
}

impl InListExpr {
    /// `expr [NOT] IN (list)`; all of the same type.
    pub fn new(
        expr: Arc<dyn PhysicalExpr>,
        list: Vec<Arc<dyn PhysicalExpr>>,
        negated: bool,
    ) -> Self {
        Self {
            expr,
            list,
            negated,
        }
    }
}

impl fmt::Display for InListExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let items: Vec<String> = self.list.iter().map(|e| e.to_string()).collect();
        write!(
            f,
            "{} {}IN ({})",
            self.expr,
            if self.negated { "NOT " } else { "" },
            items.join(", ")
        )
    }
}

impl PhysicalExpr for InListExpr {
    fn data_type(&self) -> &DataType {
        &DataType::Boolean
    }
    fn evaluate(&self, batch: &RecordBatch) -> Result<ColumnarValue> {
        let value = self.expr.evaluate_to_array(batch)?;
        let mut found: Option<BooleanArray> = None;
        for item in &self.list {
            let hit = equal_rows(&value, item.evaluate(batch)?)?;
            found = Some(match found {
                None => hit,
                Some(acc) => or_kleene(&acc, &hit)?,
            });
        }
        let found = found.unwrap_or_else(|| BooleanArray::from(vec![false; value.len()]));
        let out = if self.negated { not(&found)? } else { found };
        Ok(ColumnarValue::Array(Arc::new(out)))
    }
}

/// A scalar function call.
#[derive(Debug)]
pub struct ScalarFunctionExpr {
    func: ScalarFunctionRef,
    args: Vec<Arc<dyn PhysicalExpr>>,
    data_type: DataType,
}

impl ScalarFunctionExpr {
    /// `func(args)` returning `data_type`.
    pub fn new(
        func: ScalarFunctionRef,
        args: Vec<Arc<dyn PhysicalExpr>>,
        data_type: DataType,
    ) -> Self {
        Self {
            func,
            args,
            data_type,
        }
    }
}

impl fmt::Display for ScalarFunctionExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let args: Vec<String> = self.args.iter().map(|e| e.to_string()).collect();
        write!(f, "{}({})", self.func.0.name(), args.join(", "))
    }
}

impl PhysicalExpr for ScalarFunctionExpr {
    fn data_type(&self) -> &DataType {
        &self.data_type
    }
    fn evaluate(&self, batch: &RecordBatch) -> Result<ColumnarValue> {
        let args = self
            .args
            .iter()
            .map(|a| a.evaluate(batch))
            .collect::<Result<Vec<_>>>()?;
        self.func.0.invoke(&args, batch.num_rows())
    }
}
