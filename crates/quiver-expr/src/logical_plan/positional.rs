//! The logical `POSITIONAL JOIN` (DuckDB's): the first row of each side
//! together, then the second, and so on; the shorter side is padded with
//! NULLs.

use std::sync::Arc;

use super::{nullable_fields, LogicalPlan};
use crate::schema::{QSchema, QSchemaRef};

/// `left POSITIONAL JOIN right`: rows paired by their position in each
/// side's order (a scan's order is its files' order; a side with ORDER BY
/// has that order).
#[derive(Debug, Clone, PartialEq)]
pub struct PositionalJoin {
    /// The left input.
    pub left: Arc<LogicalPlan>,
    /// The right input.
    pub right: Arc<LogicalPlan>,
    /// Both sides' columns, every one nullable (either side may run out).
    pub schema: QSchemaRef,
}

impl PositionalJoin {
    /// `left POSITIONAL JOIN right`.
    pub fn new(left: Arc<LogicalPlan>, right: Arc<LogicalPlan>) -> Self {
        let fields = [
            nullable_fields(left.schema()),
            nullable_fields(right.schema()),
        ]
        .concat();
        Self {
            left,
            right,
            schema: Arc::new(QSchema::new(fields)),
        }
    }
}
