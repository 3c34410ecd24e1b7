//! Small real inputs for operator tests.

use std::sync::Arc;

use arrow::array::{AsArray, BooleanArray, Int64Array};
use arrow::datatypes::{DataType, Field, Int64Type, Schema};
use arrow::record_batch::RecordBatch;

use crate::memory_pool::MemoryPool;
use crate::metrics::{MetricsRegistry, OperatorMetrics};
use crate::operators::memory::MemoryExec;
use crate::plan::{collect, ExecutionPlan, TaskContext};

/// `partitions` partitions of `rows` rows each, with columns
/// `a` = 0, 1, 2, ... (continuing across partitions) and
/// `b` = a is even, NULL when a % 5 == 0.
pub fn int_table(partitions: usize, rows: usize) -> Arc<dyn ExecutionPlan> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("a", DataType::Int64, false),
        Field::new("b", DataType::Boolean, true),
    ]));
    let parts = (0..partitions)
        .map(|p| {
            let start = (p * rows) as i64;
            let a: Vec<i64> = (start..start + rows as i64).collect();
            let b: BooleanArray = a
                .iter()
                .map(|v| (v % 5 != 0).then_some(v % 2 == 0))
                .collect();
            let batch = RecordBatch::try_new(
                Arc::clone(&schema),
                vec![Arc::new(Int64Array::from(a)), Arc::new(b)],
            )
            .unwrap();
            vec![batch]
        })
        .collect();
    Arc::new(MemoryExec::try_new(schema, parts).unwrap())
}

/// Runs `plan` and returns column `col` (which must be Int64) of all rows.
pub async fn run_i64(plan: Arc<dyn ExecutionPlan>, col: usize) -> Vec<i64> {
    let batches = collect(
        plan,
        Arc::new(TaskContext {
            batch_size: 4,
            ..Default::default()
        }),
    )
    .await
    .unwrap();
    batches
        .iter()
        .flat_map(|b| {
            let a = b.column(col).as_primitive::<Int64Type>().clone();
            (0..a.len()).map(move |i| a.value(i))
        })
        .collect()
}

/// Runs `plan` in batches of `batch_size` rows within `memory_limit` bytes;
/// checks that every reservation was given back, and returns the batches
/// and the plan's own metrics.
pub async fn collect_within(
    plan: &Arc<dyn ExecutionPlan>,
    batch_size: usize,
    memory_limit: usize,
) -> (Vec<RecordBatch>, Arc<OperatorMetrics>) {
    collect_in(plan, limited_context(batch_size, memory_limit)).await
}

/// A run's context with batches of `batch_size` rows, `memory_limit` bytes
/// of memory, and metrics.
pub fn limited_context(batch_size: usize, memory_limit: usize) -> TaskContext {
    TaskContext {
        batch_size,
        metrics: Some(Arc::new(MetricsRegistry::default())),
        memory_pool: Arc::new(MemoryPool::new(Some(memory_limit))),
        ..Default::default()
    }
}

/// Runs `plan` in `ctx` (made by [`limited_context`]), as
/// [`collect_within`] does.
pub async fn collect_in(
    plan: &Arc<dyn ExecutionPlan>,
    ctx: TaskContext,
) -> (Vec<RecordBatch>, Arc<OperatorMetrics>) {
    let (pool, registry) = (Arc::clone(&ctx.memory_pool), ctx.metrics.clone());
    let batches = collect(Arc::clone(plan), Arc::new(ctx)).await.unwrap();
    assert_eq!(pool.reserved(), 0, "every reservation given back");
    let metrics = registry.and_then(|r| r.get(plan.as_ref()));
    (batches, metrics.expect("a run with metrics"))
}
