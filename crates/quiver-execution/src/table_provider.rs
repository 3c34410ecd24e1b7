//! Tables that can be scanned: the bridge from a logical `TableSource` to a
//! physical scan operator.

use std::any::Any;
use std::fmt::Debug;
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use quiver_expr::{ColumnStatistics, Expr, Result, TableSource};

use crate::plan::ExecutionPlan;
use crate::shared_reads::SharedReads;

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

    /// Appends rows as [`TableProvider::insert`] does, rows whose key is
    /// taken being left out or replacing the row that has it as
    /// `on_conflict` says; returns how many rows were added.
    fn insert_on_conflict(
        &self,
        batches: Vec<RecordBatch>,
        on_conflict: quiver_expr::logical_plan::OnConflict,
    ) -> Result<u64> {
        match on_conflict {
            quiver_expr::logical_plan::OnConflict::Error => self.insert(batches),
            _ => Err(quiver_expr::QuiverError::Plan(format!(
                "ON CONFLICT and INSERT OR … need a table with a PRIMARY KEY or UNIQUE constraint, not a {} table",
                self.kind()
            ))),
        }
    }

    /// The SQL text of column `column`'s `DEFAULT` value (tables made with
    /// `CREATE TABLE`); `None` for NULL.
    fn column_default(&self, column: usize) -> Option<String> {
        let _ = column;
        None
    }

    /// Replaces every row (an `UPDATE` or `DELETE`, computed over the rows
    /// a scan gave), all or none. Tables over files are read-only.
    fn replace(&self, batches: Vec<RecordBatch>) -> Result<()> {
        let _ = batches;
        Err(quiver_expr::QuiverError::Plan(format!(
            "cannot UPDATE or DELETE a {} table: only tables made with CREATE TABLE change",
            self.kind()
        )))
    }

    /// The table's `PRIMARY KEY` and `UNIQUE` constraints.
    fn unique_keys(&self) -> Vec<quiver_expr::logical_plan::UniqueKey> {
        vec![]
    }

    /// The table's `CHECK` constraints as SQL text over its columns, which
    /// every row written must not make false.
    fn check_constraints(&self) -> Vec<String> {
        vec![]
    }

    /// For a table whose rows Quiver holds (made with `CREATE TABLE`): its
    /// rows past the first `skip`, in the order they were added, so that a
    /// database directory can save what an INSERT appended. `None` for
    /// tables over files.
    fn stored_rows(&self, skip: usize) -> Option<Vec<RecordBatch>> {
        let _ = skip;
        None
    }

    /// A scan producing what `request` asks for.
    async fn scan(&self, request: &ScanRequest) -> Result<Arc<dyn ExecutionPlan>>;
}

/// What a scan is asked to produce.
#[derive(Debug, Clone)]
pub struct ScanRequest {
    /// Indices of the table's columns to read, in output order; `None`
    /// reads all.
    pub projection: Option<Vec<usize>>,
    /// The conjuncts of a filter that will be applied to the scan's output.
    /// A table may use them to skip data that cannot pass or to evaluate
    /// them while decoding, or ignore them: the filter still runs above.
    pub filters: Vec<Expr>,
    /// The estimated fraction of rows that pass `filters`, when statistics
    /// give one.
    pub selectivity: Option<f64>,
    /// Only this many rows (any of them) are needed: a LIMIT with nothing
    /// between it and the scan that could drop rows. A table may stop early.
    pub limit: Option<usize>,
    /// The scan is spread over at most this many partitions.
    pub target_partitions: usize,
    /// Where the query's scans of a table it scans more than once share the
    /// bytes they fetch from object stores; `None` for a table scanned once.
    pub shared_reads: Option<Arc<SharedReads>>,
}

impl ScanRequest {
    /// Every row of the columns at `projection` (all if `None`), over at
    /// most `target_partitions` partitions.
    pub fn new(projection: Option<Vec<usize>>, target_partitions: usize) -> Self {
        Self {
            projection,
            filters: vec![],
            selectivity: None,
            limit: None,
            target_partitions,
            shared_reads: None,
        }
    }

    /// The same request with the conjuncts `filters` applied above.
    pub fn with_filters(mut self, filters: Vec<Expr>) -> Self {
        self.filters = filters;
        self
    }
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
    fn same_table(&self, other: &dyn TableSource) -> bool {
        let provider = |t: &Arc<dyn TableProvider>| Arc::as_ptr(t).cast::<()>();
        other
            .as_any()
            .downcast_ref::<ProviderSource>()
            .is_some_and(|o| provider(&self.0) == provider(&o.0))
    }
    fn estimated_rows(&self) -> Option<usize> {
        self.0.estimated_rows()
    }
    fn column_statistics(&self, column: usize) -> Option<ColumnStatistics> {
        self.0.column_statistics(column)
    }
    fn column_default(&self, column: usize) -> Option<String> {
        self.0.column_default(column)
    }
    fn unique_keys(&self) -> Vec<quiver_expr::logical_plan::UniqueKey> {
        self.0.unique_keys()
    }
    fn check_constraints(&self) -> Vec<String> {
        self.0.check_constraints()
    }
}
