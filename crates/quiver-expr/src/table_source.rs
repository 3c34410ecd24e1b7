//! What the planner needs to know about a table: its schema. The physical
//! side (how to scan it) is attached by the engine behind [`TableSource::as_any`].

use std::any::Any;
use std::fmt::Debug;

use arrow::datatypes::SchemaRef;
use datafusion_common::ScalarValue;

/// What is known about the values of one column of a table, for estimates.
/// Every part is optional: a table reports what it knows cheaply.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ColumnStatistics {
    /// The smallest non-null value.
    pub min: Option<ScalarValue>,
    /// The largest non-null value.
    pub max: Option<ScalarValue>,
    /// How many values are NULL.
    pub null_count: Option<usize>,
    /// An estimate (or upper bound) of the number of distinct non-null values.
    pub distinct: Option<usize>,
}

/// A table as the logical planner sees it.
pub trait TableSource: Send + Sync + Debug {
    /// For downcasting to the concrete provider.
    fn as_any(&self) -> &dyn Any;

    /// The table's columns.
    fn schema(&self) -> SchemaRef;

    /// Whether `other` is a handle on the same table (two scans of it are
    /// the same scan). By default, whether it is the same handle.
    fn same_table(&self, other: &dyn TableSource) -> bool {
        let address = |s: &dyn Any| std::ptr::from_ref(s).cast::<()>();
        address(self.as_any()) == address(other.as_any())
    }

    /// The number of rows, exact or estimated, when known; the optimizer
    /// uses it to order joins.
    fn estimated_rows(&self) -> Option<usize> {
        None
    }

    /// What is known about the values of column `column` (an index into
    /// [`TableSource::schema`]).
    fn column_statistics(&self, column: usize) -> Option<ColumnStatistics> {
        let _ = column;
        None
    }

    /// The SQL text of column `column`'s `DEFAULT` value, which an INSERT
    /// that does not name the column stores; `None` for NULL.
    fn column_default(&self, column: usize) -> Option<String> {
        let _ = column;
        None
    }

    /// The table's `PRIMARY KEY` and `UNIQUE` constraints (what an
    /// `ON CONFLICT` names).
    fn unique_keys(&self) -> Vec<crate::logical_plan::UniqueKey> {
        vec![]
    }

    /// The table's `CHECK` constraints, as SQL text over its columns.
    fn check_constraints(&self) -> Vec<String> {
        vec![]
    }
}
