//! The physical plan trait and helpers to run a plan.

use std::any::Any;
use std::fmt::{Debug, Write};
use std::path::PathBuf;
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use futures::TryStreamExt;
use quiver_expr::{internal_err, Result};

use crate::dynamic_filter::DynamicFilter;
use crate::memory_pool::{MemoryPool, MemoryReservation};
use crate::metrics::{execute_child, MetricsRegistry};
use crate::operators::coalesce::CoalescePartitionsExec;
use crate::progress::ScanProgress;
use crate::run_state::{NodeId, RunState};
use crate::stream::{catch_panics, SendableRecordBatchStream};

/// Settings every operator can read while it runs.
#[derive(Debug, Clone)]
pub struct TaskContext {
    /// Target number of rows per batch.
    pub batch_size: usize,
    /// Where operators' metrics go when the run collects them
    /// (`EXPLAIN ANALYZE`).
    pub metrics: Option<Arc<MetricsRegistry>>,
    /// The session's memory budget, from which buffering operators reserve.
    pub memory_pool: Arc<MemoryPool>,
    /// Where operators write spill files.
    pub spill_directory: PathBuf,
    /// What the partitions of each operator share during this run.
    pub run_state: Arc<RunState>,
    /// Where scans report how much they have read (the shell's progress
    /// bar reads it).
    pub progress: Arc<ScanProgress>,
}

impl Default for TaskContext {
    fn default() -> Self {
        Self {
            batch_size: 8192,
            metrics: None,
            memory_pool: Arc::new(MemoryPool::default()),
            spill_directory: std::env::temp_dir(),
            run_state: Arc::default(),
            progress: Arc::default(),
        }
    }
}

impl TaskContext {
    /// An empty reservation from the session's pool for partition
    /// `partition` of `operator` (named in errors, e.g. "SortExec partition 2").
    pub fn reservation(&self, operator: &str, partition: usize) -> MemoryReservation {
        self.memory_pool
            .reservation(format!("{operator} partition {partition}"))
    }

    /// The state of type `T` that the partitions of `node` share in this
    /// run, made by `make` for the first that asks.
    pub fn run_state<T: std::any::Any + Send + Sync>(
        &self,
        node: NodeId,
        make: impl FnOnce() -> T,
    ) -> Arc<T> {
        self.run_state.get_or_insert(node, make)
    }

    /// Like [`TaskContext::reservation`], for an operator that spills when
    /// the reservation cannot grow.
    pub fn spillable_reservation(&self, operator: &str, partition: usize) -> MemoryReservation {
        self.memory_pool
            .spillable_reservation(format!("{operator} partition {partition}"))
    }
}

/// A value seen as [`Any`], for downcasting: every operator is one, so
/// `plan.as_any().downcast_ref::<FilterExec>()` finds out what a
/// `dyn ExecutionPlan` is.
pub trait AsAny {
    /// The value as [`Any`].
    fn as_any(&self) -> &dyn Any;
}

impl<T: Any> AsAny for T {
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A physical operator: produces `output_partitions()` independent streams of
/// record batches.
pub trait ExecutionPlan: AsAny + Send + Sync + Debug {
    /// The operator's name for EXPLAIN: its type's name, e.g. `FilterExec`.
    fn name(&self) -> &'static str {
        let full = std::any::type_name::<Self>();
        full.rsplit("::").next().unwrap_or(full)
    }

    /// The operator's identity, given when it is made and kept by the
    /// copies [`ExecutionPlan::with_new_children`] makes: the state its
    /// partitions share in a run ([`TaskContext::run_state`]) and its
    /// metrics are kept under it.
    fn node_id(&self) -> NodeId;

    /// The schema of the batches produced.
    fn schema(&self) -> SchemaRef;

    /// The inputs.
    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>>;

    /// The same operator over `children` in place of its inputs (as many,
    /// in the same order, with the same columns): how a rewrite of a
    /// physical plan rebuilds the operators above what it changed. The copy
    /// keeps the operator's identity for run state, so it replaces the
    /// original rather than standing beside it.
    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>>;

    /// How many partitions `execute` may be called with.
    fn output_partitions(&self) -> usize;

    /// Where output column `column` comes from unchanged: (input, column of
    /// that input) pairs, one for most operators and one per input of a
    /// union; none when the operator computes the column or may invent
    /// values for it (an outer join's padding, an aggregate's results).
    /// Physical rewrites follow columns down the plan with it.
    fn column_sources(&self, column: usize) -> Vec<(usize, usize)> {
        let _ = column;
        vec![]
    }

    /// This operator reading only rows that may pass `filter` on its output
    /// column `column`, when it is a scan that can use a dynamic filter
    /// (`None` otherwise).
    fn with_dynamic_filter(
        &self,
        column: usize,
        filter: Arc<DynamicFilter>,
    ) -> Option<Arc<dyn ExecutionPlan>> {
        let _ = (column, filter);
        None
    }

    /// The operator's parameters for EXPLAIN, e.g. the predicate of a filter.
    fn details(&self) -> String {
        String::new()
    }

    /// Starts producing partition `partition`. Inputs are started with
    /// [`crate::metrics::execute_child`], so that their metrics are counted.
    fn execute(&self, partition: usize, ctx: Arc<TaskContext>)
        -> Result<SendableRecordBatchStream>;
}

/// Implements [`ExecutionPlan::node_id`] (from a field `id`) and
/// [`ExecutionPlan::with_new_children`] for an operator: `node_basics!(leaf)`
/// for one without inputs (with [`ExecutionPlan::children`], none), `node_basics!(input)` for a `Clone` one that keeps
/// its input in a field `input`, `node_basics!(left, right)` for a `Clone`
/// one with fields `left` and `right`. The copies keep the identity.
#[macro_export]
macro_rules! node_basics {
    (@id) => {
        fn node_id(&self) -> $crate::run_state::NodeId {
            self.id
        }
    };
    (leaf) => {
        $crate::node_basics!(@id);
        fn children(&self) -> Vec<&::std::sync::Arc<dyn $crate::ExecutionPlan>> {
            vec![]
        }
        fn with_new_children(
            self: ::std::sync::Arc<Self>,
            children: Vec<::std::sync::Arc<dyn $crate::ExecutionPlan>>,
        ) -> ::quiver_expr::Result<::std::sync::Arc<dyn $crate::ExecutionPlan>> {
            $crate::plan::no_children(self, children)
        }
    };
    (input) => {
        $crate::node_basics!(@id);
        fn with_new_children(
            self: ::std::sync::Arc<Self>,
            children: Vec<::std::sync::Arc<dyn $crate::ExecutionPlan>>,
        ) -> ::quiver_expr::Result<::std::sync::Arc<dyn $crate::ExecutionPlan>> {
            let input = $crate::plan::only_child(self.as_ref(), children)?;
            Ok(::std::sync::Arc::new(Self {
                input,
                ..self.as_ref().clone()
            }))
        }
    };
    (left, right) => {
        $crate::node_basics!(@id);
        fn with_new_children(
            self: ::std::sync::Arc<Self>,
            children: Vec<::std::sync::Arc<dyn $crate::ExecutionPlan>>,
        ) -> ::quiver_expr::Result<::std::sync::Arc<dyn $crate::ExecutionPlan>> {
            let (left, right) = $crate::plan::two_children(self.as_ref(), children)?;
            Ok(::std::sync::Arc::new(Self {
                left,
                right,
                ..self.as_ref().clone()
            }))
        }
    };
}

/// The one input in `children`, given to `operator`'s
/// [`ExecutionPlan::with_new_children`]; an internal error for any other
/// number.
pub fn only_child(
    operator: &dyn ExecutionPlan,
    children: Vec<Arc<dyn ExecutionPlan>>,
) -> Result<Arc<dyn ExecutionPlan>> {
    match <[_; 1]>::try_from(children) {
        Ok([child]) => Ok(child),
        Err(children) => wrong_children(operator, children.len()),
    }
}

/// The two inputs in `children`, as [`only_child`] takes one.
pub fn two_children(
    operator: &dyn ExecutionPlan,
    children: Vec<Arc<dyn ExecutionPlan>>,
) -> Result<(Arc<dyn ExecutionPlan>, Arc<dyn ExecutionPlan>)> {
    match <[_; 2]>::try_from(children) {
        Ok([left, right]) => Ok((left, right)),
        Err(children) => wrong_children(operator, children.len()),
    }
}

/// `operator` itself, for a leaf given no children in
/// [`ExecutionPlan::with_new_children`].
pub fn no_children<T: ExecutionPlan + 'static>(
    operator: Arc<T>,
    children: Vec<Arc<dyn ExecutionPlan>>,
) -> Result<Arc<dyn ExecutionPlan>> {
    if !children.is_empty() {
        return wrong_children(operator.as_ref(), children.len());
    }
    Ok(operator)
}

/// Checks that `partition` is 0, for [`ExecutionPlan::execute`] of an
/// operator with one output partition; an internal error otherwise.
pub fn only_partition(operator: &dyn ExecutionPlan, partition: usize) -> Result<()> {
    match partition {
        0 => Ok(()),
        _ => internal_err!(
            "{} has one partition, asked for {partition}",
            operator.name()
        ),
    }
}

/// The error for an operator given `given` inputs it does not take.
fn wrong_children<T>(operator: &dyn ExecutionPlan, given: usize) -> Result<T> {
    internal_err!(
        "{} has {} inputs, given {given}",
        operator.name(),
        operator.children().len()
    )
}

/// The plan as an indented tree, one operator per line.
pub fn display_plan(plan: &dyn ExecutionPlan) -> String {
    fn walk(plan: &dyn ExecutionPlan, depth: usize, out: &mut String) {
        let details = plan.details();
        let sep = if details.is_empty() { "" } else { ": " };
        let _ = writeln!(
            out,
            "{}{}{sep}{details}, partitions={}",
            "  ".repeat(depth),
            plan.name(),
            plan.output_partitions()
        );
        for c in plan.children() {
            walk(c.as_ref(), depth + 1, out);
        }
    }
    let mut out = String::new();
    walk(plan, 0, &mut out);
    out
}

/// Runs every partition of `plan` in parallel and returns one merged stream.
pub fn execute_stream(
    plan: Arc<dyn ExecutionPlan>,
    ctx: Arc<TaskContext>,
) -> Result<SendableRecordBatchStream> {
    let stream = match plan.output_partitions() {
        1 => execute_child(&plan, 0, ctx)?,
        _ => CoalescePartitionsExec::new(plan).execute(0, ctx)?,
    };
    Ok(catch_panics(stream))
}

/// Runs `plan` to completion and returns all its batches.
pub async fn collect(
    plan: Arc<dyn ExecutionPlan>,
    ctx: Arc<TaskContext>,
) -> Result<Vec<RecordBatch>> {
    execute_stream(plan, ctx)?.try_collect().await
}
