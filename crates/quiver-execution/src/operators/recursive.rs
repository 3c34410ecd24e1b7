//! Recursive CTEs: `RecursiveQueryExec` runs the static term, then the
//! recursive term again and again, each time over the rows the step before
//! made, which `WorkTableExec` serves from the run's `WorkTableRows`, until
//! a step makes no rows. Every step runs with a fresh run state, so
//! operators that share state between partitions (a hash join's build
//! side) build it anew. The rows held (the working table, and for UNION the
//! rows seen) are charged to the memory pool.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use arrow::array::{BooleanArray, RecordBatch};
use arrow::compute::filter_record_batch;
use arrow::datatypes::SchemaRef;
use arrow::row::{OwnedRow, RowConverter, SortField};
use futures::stream::{self, TryStreamExt};
use quiver_expr::{QuiverError, Result};

use crate::memory_pool::MemoryReservation;
use crate::plan::{execute_stream, ExecutionPlan, TaskContext};
use crate::run_state::NodeId;
use crate::stream::{RecordBatchStreamAdapter, SendableRecordBatchStream};

/// The rows the recursive term reads in the current step.
#[derive(Debug, Default)]
pub struct WorkTableRows {
    batches: Mutex<Vec<RecordBatch>>,
}

impl WorkTableRows {
    fn set(&self, batches: Vec<RecordBatch>) {
        *self.batches.lock().unwrap_or_else(|e| e.into_inner()) = batches;
    }
    fn get(&self) -> Vec<RecordBatch> {
        self.batches
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// Reads the working table: the rows of the step before.
#[derive(Debug)]
pub struct WorkTableExec {
    name: String,
    rows: Arc<WorkTableRows>,
    projection: Option<Vec<usize>>,
    schema: SchemaRef,
    /// The operator's identity ([`ExecutionPlan::node_id`]).
    id: NodeId,
}

impl WorkTableExec {
    /// A scan of `rows` (the working table of CTE `name`, whose columns
    /// are `table_schema`), keeping the columns at `projection`.
    pub fn try_new(
        name: &str,
        rows: Arc<WorkTableRows>,
        table_schema: &SchemaRef,
        projection: Option<Vec<usize>>,
    ) -> Result<Self> {
        let schema = match &projection {
            Some(p) => Arc::new(table_schema.project(p)?),
            None => Arc::clone(table_schema),
        };
        Ok(Self {
            name: name.to_string(),
            rows,
            projection,
            schema,
            id: NodeId::next(),
        })
    }
}

impl ExecutionPlan for WorkTableExec {
    crate::node_basics!(leaf);
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
    fn output_partitions(&self) -> usize {
        1
    }
    fn details(&self) -> String {
        self.name.clone()
    }
    fn execute(
        &self,
        _partition: usize,
        _ctx: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let projection = self.projection.clone();
        let batches = self.rows.get().into_iter().map(move |b| {
            Ok(match &projection {
                Some(p) => b.project(p)?,
                None => b,
            })
        });
        Ok(RecordBatchStreamAdapter::boxed(
            self.schema(),
            stream::iter(batches.collect::<Vec<_>>()),
        ))
    }
}

/// Runs a recursive CTE (one output partition).
#[derive(Debug)]
pub struct RecursiveQueryExec {
    name: String,
    static_term: Arc<dyn ExecutionPlan>,
    recursive_term: Arc<dyn ExecutionPlan>,
    rows: Arc<WorkTableRows>,
    distinct: bool,
    max_steps: usize,
    /// The static term's columns, each nullable.
    schema: SchemaRef,
    /// The operator's identity ([`ExecutionPlan::node_id`]).
    id: NodeId,
}

/// `schema` with every field nullable.
fn nullable(schema: &SchemaRef) -> SchemaRef {
    let fields: Vec<arrow::datatypes::Field> = schema
        .fields()
        .iter()
        .map(|f| f.as_ref().clone().with_nullable(true))
        .collect();
    Arc::new(arrow::datatypes::Schema::new(fields))
}

impl RecursiveQueryExec {
    /// Runs `static_term`, then `recursive_term` (which reads `rows`) until
    /// a step makes no rows, dropping rows already made when `distinct`;
    /// more than `max_steps` steps is an error.
    pub fn new(
        name: &str,
        static_term: Arc<dyn ExecutionPlan>,
        recursive_term: Arc<dyn ExecutionPlan>,
        rows: Arc<WorkTableRows>,
        distinct: bool,
        max_steps: usize,
    ) -> Self {
        Self {
            name: name.to_string(),
            schema: nullable(&static_term.schema()),
            static_term,
            recursive_term,
            rows,
            distinct,
            max_steps,
            id: NodeId::next(),
        }
    }
}

/// What a run carries from step to step.
struct Run {
    ctx: Arc<TaskContext>,
    recursive_term: Arc<dyn ExecutionPlan>,
    rows: Arc<WorkTableRows>,
    /// Rows made so far (UNION only), in row format.
    seen: Option<(RowConverter, HashSet<OwnedRow>)>,
    reservation: MemoryReservation,
    /// The schema every step's batches are given.
    schema: SchemaRef,
    name: String,
    steps: usize,
    max_steps: usize,
    /// The first step runs the static term.
    first: Option<Arc<dyn ExecutionPlan>>,
    done: bool,
}

impl Run {
    /// The rows of `batches` not made before (all of them for UNION ALL),
    /// remembered.
    fn new_rows(&mut self, batches: Vec<RecordBatch>) -> Result<Vec<RecordBatch>> {
        let Some((converter, seen)) = &mut self.seen else {
            return Ok(batches);
        };
        let mut out = vec![];
        for batch in batches {
            let rows = converter.convert_columns(batch.columns())?;
            let keep: BooleanArray = rows
                .iter()
                .map(|r| {
                    let fresh = seen.insert(r.owned());
                    if fresh {
                        self.reservation.try_grow(r.as_ref().len() + 32)?;
                    }
                    Ok(Some(fresh))
                })
                .collect::<Result<_>>()?;
            let kept = filter_record_batch(&batch, &keep)?;
            if kept.num_rows() > 0 {
                out.push(kept);
            }
        }
        Ok(out)
    }

    /// One step: the static term's rows, or the recursive term's over the
    /// previous step's; `None` once a step makes no rows.
    async fn step(&mut self) -> Result<Option<Vec<RecordBatch>>> {
        if self.done {
            return Ok(None);
        }
        let (plan, ctx) = match self.first.take() {
            Some(static_term) => (static_term, Arc::clone(&self.ctx)),
            None => {
                self.steps += 1;
                let fresh = TaskContext {
                    run_state: Arc::default(),
                    ..self.ctx.as_ref().clone()
                };
                (Arc::clone(&self.recursive_term), Arc::new(fresh))
            }
        };
        let batches: Vec<RecordBatch> = execute_stream(plan, ctx)?.try_collect().await?;
        let batches = batches
            .into_iter()
            .map(|b| RecordBatch::try_new(Arc::clone(&self.schema), b.columns().to_vec()))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let fresh = self.new_rows(batches)?;
        // The working table now holds this step's rows (and is charged for
        // them) in place of the step before's.
        let held: usize = self
            .rows
            .get()
            .iter()
            .map(RecordBatch::get_array_memory_size)
            .sum();
        let holding: usize = fresh.iter().map(RecordBatch::get_array_memory_size).sum();
        self.reservation.try_grow(holding)?;
        self.reservation.shrink(held.min(self.reservation.size()));
        if fresh.iter().all(|b| b.num_rows() == 0) {
            self.done = true;
            self.rows.set(vec![]);
            return Ok(None);
        }
        // Only a step that makes rows counts towards the limit.
        if self.steps > self.max_steps {
            return Err(QuiverError::Execution(format!(
                "the recursive CTE {} did not end after {} steps; SET max_recursion_depth = \
                 <n> allows more",
                self.name, self.max_steps
            )));
        }
        self.rows.set(fresh.clone());
        Ok(Some(fresh))
    }
}

impl ExecutionPlan for RecursiveQueryExec {
    crate::node_basics!(@id);
    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let [static_term, recursive_term] = <[Arc<dyn ExecutionPlan>; 2]>::try_from(children)
            .map_err(|_| QuiverError::Internal("a recursive query has two children".into()))?;
        Ok(Arc::new(Self {
            name: self.name.clone(),
            schema: nullable(&static_term.schema()),
            static_term,
            recursive_term,
            rows: Arc::clone(&self.rows),
            distinct: self.distinct,
            max_steps: self.max_steps,
            id: self.id,
        }))
    }
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.static_term, &self.recursive_term]
    }
    fn output_partitions(&self) -> usize {
        1
    }
    fn details(&self) -> String {
        let kind = if self.distinct { "UNION" } else { "UNION ALL" };
        format!("{} ({kind})", self.name)
    }
    fn execute(
        &self,
        _partition: usize,
        ctx: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let seen = if self.distinct {
            let fields = self
                .schema()
                .fields()
                .iter()
                .map(|f| SortField::new(f.data_type().clone()))
                .collect();
            Some((RowConverter::new(fields)?, HashSet::new()))
        } else {
            None
        };
        let run = Run {
            reservation: ctx.reservation("RecursiveQueryExec", 0),
            schema: self.schema(),
            ctx,
            recursive_term: Arc::clone(&self.recursive_term),
            rows: Arc::clone(&self.rows),
            seen,
            name: self.name.clone(),
            steps: 0,
            max_steps: self.max_steps,
            first: Some(Arc::clone(&self.static_term)),
            done: false,
        };
        let steps = stream::try_unfold(run, |mut run| async move {
            Ok::<_, QuiverError>(run.step().await?.map(|batches| (batches, run)))
        });
        let batches = steps
            .map_ok(|batches| stream::iter(batches.into_iter().map(Ok::<_, QuiverError>)))
            .try_flatten();
        Ok(RecordBatchStreamAdapter::boxed(self.schema(), batches))
    }
}
