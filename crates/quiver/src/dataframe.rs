//! A planned query, ready to run.

use std::sync::Arc;

use crate::context::SessionState;
use crate::physical_planner::PhysicalPlanner;
use crate::pretty::render_table;
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use futures::{StreamExt, TryStreamExt};
use quiver_datasource::{write_stream, WriteOptions};
use quiver_execution::memory_pool::batch_memory_size;
use quiver_execution::stream::{stop_when, RecordBatchStreamAdapter};
use quiver_execution::{execute_stream, ExecutionPlan, SendableRecordBatchStream, TaskContext};
use quiver_expr::logical_plan::EmptyRelation;
use quiver_expr::stack::with_stack_for;
use quiver_expr::{LogicalPlan, QSchema, QuiverError, Result};

/// What the out-of-memory error of [`DataFrame::collect`] advises.
const COLLECT_ADVICE: &str = "try SET memory_limit = '…' with a larger value, add a LIMIT, \
     or stream the result (execute_stream; in the shell a text format such as csv, or .maxrows)";

/// How long a statement waits at its end for its operators to give their
/// memory back (they do within moments of its last batch; the wait is
/// bounded so that a stuck task cannot hang the session).
const RELEASE_PATIENCE: std::time::Duration = std::time::Duration::from_secs(5);

/// The result of planning a statement: run it with [`DataFrame::collect`],
/// [`DataFrame::execute_stream`] or [`DataFrame::show`].
#[derive(Debug, Clone)]
pub struct DataFrame {
    state: Arc<SessionState>,
    plan: LogicalPlan,
    /// For statements that write rows, how many they wrote.
    rows_changed: Option<u64>,
    /// The result is only that count (no `RETURNING`).
    count_only: bool,
}

impl DataFrame {
    pub(crate) fn new(state: Arc<SessionState>, plan: LogicalPlan) -> Self {
        Self {
            state,
            plan,
            rows_changed: None,
            count_only: false,
        }
    }

    /// The session the frame belongs to.
    pub(crate) fn state(&self) -> Arc<SessionState> {
        Arc::clone(&self.state)
    }

    /// The one-row result `count` of a statement that wrote `rows` rows.
    pub(crate) fn row_count(state: Arc<SessionState>, plan: LogicalPlan, rows: u64) -> Self {
        Self {
            state,
            plan,
            rows_changed: Some(rows),
            count_only: true,
        }
    }

    /// The `RETURNING` rows (`plan`) of a statement that wrote `rows` rows.
    pub(crate) fn returned(state: Arc<SessionState>, plan: LogicalPlan, rows: u64) -> Self {
        Self {
            state,
            plan,
            rows_changed: Some(rows),
            count_only: false,
        }
    }

    /// True when the result is only the count of rows a statement wrote
    /// (INSERT, UPDATE, DELETE and COPY without `RETURNING`).
    pub fn is_count(&self) -> bool {
        self.count_only
    }

    /// The result of a statement that returns no rows (DDL).
    pub(crate) fn empty(state: Arc<SessionState>) -> Self {
        let plan = LogicalPlan::EmptyRelation(EmptyRelation {
            produce_one_row: false,
            schema: Arc::new(QSchema::empty()),
        });
        Self::new(state, plan)
    }

    /// For INSERT, UPDATE, DELETE and COPY: how many rows they wrote (their
    /// result is that count, or the `RETURNING` rows); None for every
    /// other statement.
    pub fn rows_changed(&self) -> Option<u64> {
        self.rows_changed
    }

    /// True for statements that produce no result set (DDL).
    pub fn is_empty_statement(&self) -> bool {
        matches!(&self.plan, LogicalPlan::EmptyRelation(e) if !e.produce_one_row && e.schema.is_empty())
    }

    /// The logical plan as bound (before optimization).
    pub fn logical_plan(&self) -> &LogicalPlan {
        &self.plan
    }

    /// The result's columns.
    pub fn schema(&self) -> SchemaRef {
        self.plan.schema().to_arrow()
    }

    /// The optimized logical plan.
    pub fn optimized_plan(&self) -> Result<LogicalPlan> {
        let depth = self.state.max_expression_depth();
        if self.plan.depth() > depth {
            return Err(QuiverError::Plan(format!(
                "the query's plan is nested more than {depth} levels deep (CTEs, views, joins \
                 or set operations built on one another); SET max_expression_depth = <n> \
                 allows deeper ones"
            )));
        }
        with_stack_for(depth, || {
            self.state
                .optimizer
                .optimize(self.plan.clone(), &self.state.disabled_rules())
        })
    }

    /// The executable plan.
    pub async fn physical_plan(&self) -> Result<Arc<dyn ExecutionPlan>> {
        let optimized = self.optimized_plan()?;
        PhysicalPlanner::new(&self.state.config)
            .with_memory_limit(self.state.memory_pool.limit())
            .with_max_recursion_depth(self.state.max_recursion_depth())
            .create_physical_plan(&optimized)
            .await
    }

    /// A context for one run of this query's physical plan: the session's
    /// batch size, memory pool and spill directory, and fresh state for the
    /// operators' partitions to share. One plan may run in several such
    /// contexts, one after the other or at once.
    pub fn task_context(&self) -> Arc<TaskContext> {
        Arc::new(TaskContext {
            batch_size: self.state.config.batch_size,
            metrics: None,
            memory_pool: self.state.memory_pool.for_run(),
            spill_directory: self.state.temp_directory(),
            run_state: Arc::default(),
            progress: Arc::clone(&self.state.progress),
        })
    }

    /// Runs the query and returns all result batches. The batches count
    /// against the session's memory limit while they are collected: a
    /// result larger than the limit is an out-of-memory error (stream it
    /// with [`execute_stream`](Self::execute_stream) instead).
    pub async fn collect(&self) -> Result<Vec<RecordBatch>> {
        let mut held = self
            .state
            .memory_pool
            .reservation("the collected result")
            .with_advice(COLLECT_ADVICE);
        let ctx = self.task_context();
        // Only the run's pool is kept: the run's shared state (in its
        // context) goes with its stream.
        let run_memory = Arc::clone(&ctx.memory_pool);
        let mut stream = self.execute_stream_in(ctx).await?;
        let mut batches = vec![];
        let mut read_all = async || {
            while let Some(batch) = stream.try_next().await? {
                held.try_grow(batch_memory_size(&batch))?;
                batches.push(batch);
            }
            Ok(())
        };
        let result = read_all().await;
        drop(stream);
        // The run's tasks give back their memory as they end, a moment after
        // the last batch or the error: the statement that follows must not
        // find it still held.
        run_memory.released(RELEASE_PATIENCE).await;
        result.map(|()| batches)
    }

    /// Runs the query and returns a stream of result batches. Dropping the
    /// stream stops the query; so does [`SessionContext::interrupt`], after
    /// which the stream ends with "Query cancelled".
    ///
    /// Its end comes once the query's operators have given back their
    /// memory, so that the next statement finds it free.
    ///
    /// [`SessionContext::interrupt`]: crate::SessionContext::interrupt
    pub async fn execute_stream(&self) -> Result<SendableRecordBatchStream> {
        let ctx = self.task_context();
        let run_memory = Arc::clone(&ctx.memory_pool);
        let stream = self.execute_stream_in(ctx).await?;
        let schema = stream.schema();
        let released = futures::stream::once(async move {
            run_memory.released(RELEASE_PATIENCE).await;
        })
        .filter_map(|()| async { None });
        Ok(RecordBatchStreamAdapter::boxed(
            schema,
            stream.chain(released),
        ))
    }

    /// [`DataFrame::execute_stream`] in the run context `ctx`.
    async fn execute_stream_in(&self, ctx: Arc<TaskContext>) -> Result<SendableRecordBatchStream> {
        let interrupted = self.state.next_interrupt();
        let stream = execute_stream(self.physical_plan().await?, ctx)?;
        Ok(stop_when(stream, interrupted))
    }

    /// Runs the query and writes its rows to `location` with `options`
    /// (format, compression, partitioning); returns the number of rows.
    /// No partial file is left behind on failure. `location` may be local
    /// or `s3://`; the session's S3 settings apply where `options.storage`
    /// does not override them.
    pub async fn write(&self, location: &str, options: &WriteOptions) -> Result<u64> {
        let mut options = options.clone();
        options.storage = self
            .state
            .storage_for(location)
            .with_overrides(&options.storage);
        let writers = self
            .state
            .memory_pool
            .reservation("the files being written");
        write_stream(self.execute_stream().await?, location, &options, writers).await
    }

    /// Writes the result as one Parquet file (zstd-compressed).
    pub async fn write_parquet(&self, path: &str) -> Result<u64> {
        self.write_as("parquet", path).await
    }

    /// Writes the result as one CSV file with a header line.
    pub async fn write_csv(&self, path: &str) -> Result<u64> {
        self.write_as("csv", path).await
    }

    /// Writes the result as one newline-delimited JSON file.
    pub async fn write_json(&self, path: &str) -> Result<u64> {
        self.write_as("json", path).await
    }

    /// Writes the result as one file in the session's format `format`.
    async fn write_as(&self, format: &str, path: &str) -> Result<u64> {
        let format = self.state.formats().find(format)?;
        self.write(path, &WriteOptions::new(format)).await
    }

    /// Runs the query and prints the result as a table.
    pub async fn show(&self) -> Result<()> {
        let batches = self.collect().await?;
        println!("{}", render_table(&self.schema(), &batches, false)?);
        Ok(())
    }
}
