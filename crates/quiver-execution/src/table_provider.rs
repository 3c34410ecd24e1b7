//! Tables that can be scanned: the bridge from a logical `TableSource` to a
//! physical scan operator.

use std::any::Any;
use std::fmt::Debug;
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use quiver_expr::{ColumnStatistics, Result, TableSource};

use crate::plan::ExecutionPlan;

/// A table that knows how to produce a scan of itself.
#[async_trait::async_trait]
pub trait TableProvider: Send + Sync + Debug {
    /// The table's columns.
    fn schema(&self) -> SchemaRef;

    /// A short description for EXPLAIN and `SHOW TABLES`, e.g. `parquet`.
    fn kind(&self) -> &str;

    /// The number of rows, exact or estimated, when known cheaply.
    fn estimated_rows(&self) -> Option<usize> {
        None
    }

    /// The exact number of rows, when the table knows it without reading
    /// data (Parquet footers, tables in memory): `count(*)` over the whole
    /// table is then answered without a scan.
    fn exact_rows(&self) -> Option<usize> {
        None
    }

    /// What is known about the values of column `column`, when it is
    /// cheap to find (e.g. from Parquet footers).
    fn column_statistics(&self, column: usize) -> Option<ColumnStatistics> {
        let _ = column;
        None
    }

    /// Appends rows (an `INSERT`), all or none; returns how many. Tables
    /// over files are read-only.
    fn insert(&self, batches: Vec<RecordBatch>) -> Result<u64> {
        let _ = batches;
        Err(quiver_expr::QuiverError::Plan(format!(
            "cannot INSERT into a {} table: only tables made with CREATE TABLE take rows (write files with COPY .. TO)",
            self.kind()
        )))
    }

    /// A scan of the columns at `projection` (all if `None`), spread over at
    /// most `target_partitions` partitions. `filters` are the conjuncts of a
    /// filter that will be applied to the scan's output: a table may use them
    /// to skip data that cannot pass (the filter still runs above the scan),
    /// or ignore them.
    async fn scan(
        &self,
        projection: Option<&Vec<usize>>,
        filters: &[quiver_expr::Expr],
        target_partitions: usize,
    ) -> Result<Arc<dyn ExecutionPlan>>;
}

/// Presents a [`TableProvider`] to the logical planner.
#[derive(Debug, Clone)]
pub struct ProviderSource(pub Arc<dyn TableProvider>);

impl TableSource for ProviderSource {
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn schema(&self) -> SchemaRef {
        self.0.schema()
    }
    fn estimated_rows(&self) -> Option<usize> {
        self.0.estimated_rows()
    }
    fn column_statistics(&self, column: usize) -> Option<ColumnStatistics> {
        self.0.column_statistics(column)
    }
}
