//! A deeply nested expression, evaluated on a stack with room for it.

use std::fmt;
use std::sync::Arc;

use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;
use quiver_expr::stack::with_stack_for;
use quiver_expr::{ColumnarValue, Result};

use super::PhysicalExpr;

/// Expressions deeper than this many levels are wrapped in a [`DeepExpr`].
pub(crate) const DEEP_EXPRESSION: usize = 64;

/// An expression of more than [`DEEP_EXPRESSION`] levels: evaluating or
/// printing it recurses once per level, which may need more stack than an
/// operator's thread has, so both run through [`with_stack_for`].
#[derive(Debug)]
pub(crate) struct DeepExpr {
    inner: Arc<dyn PhysicalExpr>,
    depth: usize,
}

impl DeepExpr {
    /// `inner`, `depth` levels deep.
    pub(crate) fn new(inner: Arc<dyn PhysicalExpr>, depth: usize) -> Self {
        Self { inner, depth }
    }
}

impl fmt::Display for DeepExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        with_stack_for(self.depth, || write!(f, "{}", self.inner))
    }
}

impl PhysicalExpr for DeepExpr {
    fn data_type(&self) -> &DataType {
        self.inner.data_type()
    }

    fn evaluate(&self, batch: &RecordBatch) -> Result<ColumnarValue> {
        with_stack_for(self.depth, || self.inner.evaluate(batch))
    }

    fn as_column(&self) -> Option<usize> {
        self.inner.as_column()
    }
}
