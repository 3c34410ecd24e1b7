//! What the planner needs to know about a table: its schema. The physical
//! side (how to scan it) is attached by the engine behind [`TableSource::as_any`].

use std::any::Any;
use std::fmt::Debug;

use arrow::datatypes::SchemaRef;

/// A table as the logical planner sees it.
pub trait TableSource: Send + Sync + Debug {
    /// For downcasting to the concrete provider.
    fn as_any(&self) -> &dyn Any;

    /// The table's columns.
    fn schema(&self) -> SchemaRef;

    /// The number of rows, exact or estimated, when known; the optimizer
    /// uses it to order joins.
    fn estimated_rows(&self) -> Option<usize> {
        None
    }

    /// An upper bound on the number of distinct values of column `column`
    /// (an index into [`TableSource::schema`]), when known.
    fn distinct_values(&self, column: usize) -> Option<usize> {
        let _ = column;
        None
    }
}
