//! What each operator did while a plan ran, for `EXPLAIN ANALYZE`.
//!
//! When a [`TaskContext`] carries a [`MetricsRegistry`], every stream an
//! operator gets from its inputs through [`execute_child`] is counted: rows
//! and batches it produced and the time spent computing them. That time
//! excludes the time of the inputs polled inside it (tracked per thread),
//! so each operator shows its own work. Operators may add their own
//! counters, e.g. a scan's bytes read, through
//! [`TaskContext::operator_metrics`].

use std::cell::Cell;
use std::collections::HashMap;
use std::fmt::Write;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use futures::{Stream, StreamExt};
use quiver_expr::stack::grow_on_demand;
use quiver_expr::Result;

use crate::plan::{ExecutionPlan, TaskContext};
use crate::run_state::NodeId;
use crate::stream::{RecordBatchStream, SendableRecordBatchStream};

/// The counter of the bytes an operator held at its peak.
pub const PEAK_MEMORY: &str = "peak_memory_bytes";

/// The counters of one operator, summed over its partitions.
#[derive(Debug, Default)]
pub struct OperatorMetrics {
    output_rows: AtomicU64,
    output_batches: AtomicU64,
    compute_nanos: AtomicU64,
    /// Operator-specific counters in the order first added.
    counters: Mutex<Vec<(&'static str, u64)>>,
}

impl OperatorMetrics {
    /// Adds `value` to the operator-specific counter `name`.
    pub fn add(&self, name: &'static str, value: u64) {
        let mut counters = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        match counters.iter_mut().find(|(n, _)| *n == name) {
            Some((_, v)) => *v += value,
            None => counters.push((name, value)),
        }
    }

    /// Records `bytes` as the most memory one partition of the operator held
    /// at once (its data: buffered batches, hash tables, group states);
    /// EXPLAIN ANALYZE shows the sum over partitions, which run at once.
    pub fn add_peak_memory(&self, bytes: usize) {
        self.add(PEAK_MEMORY, u64::try_from(bytes).unwrap_or(u64::MAX));
    }

    /// Rows the operator produced.
    pub fn output_rows(&self) -> u64 {
        self.output_rows.load(Ordering::Relaxed)
    }

    /// The operator's value of counter `name`, if it added one.
    pub fn counter(&self, name: &str) -> Option<u64> {
        let counters = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        counters.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }

    /// The counters as `name=value` pairs for display.
    fn describe(&self) -> String {
        let mut out = format!(
            "output_rows={}, batches={}, compute={}",
            self.output_rows(),
            self.output_batches.load(Ordering::Relaxed),
            format_duration(Duration::from_nanos(
                self.compute_nanos.load(Ordering::Relaxed)
            ))
        );
        let counters = self.counters.lock().unwrap_or_else(|e| e.into_inner());
        for (name, value) in counters.iter() {
            let _ = write!(out, ", {name}={value}");
        }
        out
    }
}

/// Durations as people read them: `850µs`, `12.3ms`, `1.52s`.
pub fn format_duration(d: Duration) -> String {
    let micros = d.as_secs_f64() * 1e6;
    if micros < 1000.0 {
        format!("{micros:.0}µs")
    } else if micros < 1e6 {
        format!("{:.1}ms", micros / 1000.0)
    } else {
        format!("{:.2}s", micros / 1e6)
    }
}

/// The metrics of every operator of one run, by operator
/// ([`ExecutionPlan::node_id`]).
#[derive(Debug, Default)]
pub struct MetricsRegistry {
    operators: Mutex<HashMap<NodeId, Arc<OperatorMetrics>>>,
}

impl MetricsRegistry {
    /// The counters of the operator `node`, created on first use.
    fn for_node(&self, node: NodeId) -> Arc<OperatorMetrics> {
        let mut operators = self.operators.lock().unwrap_or_else(|e| e.into_inner());
        Arc::clone(operators.entry(node).or_default())
    }

    /// The counters of `plan`, if it ran.
    pub fn get(&self, plan: &dyn ExecutionPlan) -> Option<Arc<OperatorMetrics>> {
        let operators = self.operators.lock().unwrap_or_else(|e| e.into_inner());
        operators.get(&plan.node_id()).cloned()
    }

    /// The plan as an indented tree like [`crate::plan::display_plan`],
    /// each operator followed by what it did.
    pub fn display_plan(&self, plan: &dyn ExecutionPlan) -> String {
        fn walk(
            registry: &MetricsRegistry,
            plan: &dyn ExecutionPlan,
            depth: usize,
            out: &mut String,
        ) {
            let details = plan.details();
            let sep = if details.is_empty() { "" } else { ": " };
            let metrics = registry
                .get(plan)
                .map_or_else(|| "not run".to_string(), |m| m.describe());
            let _ = writeln!(
                out,
                "{}{}{sep}{details}, partitions={}, {metrics}",
                "  ".repeat(depth),
                plan.name(),
                plan.output_partitions(),
            );
            for c in plan.children() {
                walk(registry, c.as_ref(), depth + 1, out);
            }
        }
        let mut out = String::new();
        walk(self, plan, 0, &mut out);
        out
    }
}

impl TaskContext {
    /// The counters of `operator` when this run collects metrics.
    pub fn operator_metrics(&self, operator: &dyn ExecutionPlan) -> Option<Arc<OperatorMetrics>> {
        self.metrics
            .as_ref()
            .map(|registry| registry.for_node(operator.node_id()))
    }
}

/// Starts partition `partition` of the input `child`. Operators run their
/// inputs through this (not `child.execute`) so that a run collecting
/// metrics counts what each input produced.
pub fn execute_child(
    child: &Arc<dyn ExecutionPlan>,
    partition: usize,
    ctx: Arc<TaskContext>,
) -> Result<SendableRecordBatchStream> {
    let metrics = ctx.operator_metrics(child.as_ref());
    // Plans nest as deep as a query's CTEs and joins: grow the stack when
    // the recursion down the plan needs it.
    let stream = grow_on_demand(|| child.execute(partition, ctx))?;
    Ok(match metrics {
        Some(metrics) => Box::pin(MeteredStream {
            inner: stream,
            metrics,
        }),
        None => stream,
    })
}

/// Starts every partition of the input `child`, all of them before the
/// caller runs any: an operator that spawns its inputs' streams must not
/// let the first one run while the next is still being started, or that
/// first one takes the whole memory pool before the others' spillable
/// reservations exist and count towards the fair share.
pub fn execute_children(
    child: &Arc<dyn ExecutionPlan>,
    ctx: &Arc<TaskContext>,
) -> Result<Vec<SendableRecordBatchStream>> {
    (0..child.output_partitions())
        .map(|p| execute_child(child, p, Arc::clone(ctx)))
        .collect()
}

thread_local! {
    /// Time spent in metered polls nested inside the current one.
    static NESTED_NANOS: Cell<u64> = const { Cell::new(0) };
}

/// Counts the batches of a stream and the time spent producing them.
struct MeteredStream {
    inner: SendableRecordBatchStream,
    metrics: Arc<OperatorMetrics>,
}

impl Stream for MeteredStream {
    type Item = Result<RecordBatch>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let outer = NESTED_NANOS.with(|n| n.replace(0));
        let start = Instant::now();
        let poll = self.inner.poll_next_unpin(cx);
        let elapsed = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let nested = NESTED_NANOS.with(|n| n.replace(outer.saturating_add(elapsed)));
        let m = &self.metrics;
        m.compute_nanos
            .fetch_add(elapsed.saturating_sub(nested), Ordering::Relaxed);
        if let Poll::Ready(Some(Ok(batch))) = &poll {
            m.output_rows
                .fetch_add(batch.num_rows() as u64, Ordering::Relaxed);
            m.output_batches.fetch_add(1, Ordering::Relaxed);
        }
        poll
    }
}

impl RecordBatchStream for MeteredStream {
    fn schema(&self) -> SchemaRef {
        self.inner.schema()
    }
}
