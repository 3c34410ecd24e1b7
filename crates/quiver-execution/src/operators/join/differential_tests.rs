//! Differential test: the same random inputs (NULL keys, duplicates, empty
//! sides) joined by the hash join (shared and partitioned builds) and by
//! the nested-loop join, for every join type and several batch sizes, must
//! give the same rows.

use std::sync::Arc;

use arrow::array::{Array, AsArray, Int64Array, RecordBatch};
use arrow::datatypes::{DataType, Field, Int64Type, Schema, SchemaRef};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use quiver_expr::logical_plan::{Join, JoinType, Values};
use quiver_expr::{Column, Expr, LogicalPlan, Operator, QSchema, ScalarValue};

use super::{BuildMode, JoinExec, JoinFilter};
use crate::dynamic_filter::{DynamicFilter, KeyRange};
use crate::operators::memory::MemoryExec;
use crate::operators::repartition::RepartitionExec;
use crate::operators::test_util::{collect_in, collect_within, limited_context};
use crate::physical_expr::{ColumnExpr, PhysicalExpr};
use crate::plan::{collect, ExecutionPlan, TaskContext};
use crate::spill::SPILL_COUNT;

/// A small deterministic pseudo-random generator (64-bit LCG).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % bound
    }
}

/// `rows` rows of (key, value) in `partitions` partitions; keys are small
/// (so they repeat) and sometimes NULL.
fn table(rng: &mut Lcg, prefix: &str, rows: usize, partitions: usize) -> Arc<dyn ExecutionPlan> {
    keyed_table(rng, prefix, rows, partitions, 8)
}

/// Like [`table`], with keys drawn from `0..distinct_keys`.
fn keyed_table(
    rng: &mut Lcg,
    prefix: &str,
    rows: usize,
    partitions: usize,
    distinct_keys: u64,
) -> Arc<dyn ExecutionPlan> {
    let schema: SchemaRef = Arc::new(Schema::new(vec![
        Field::new(format!("{prefix}k"), DataType::Int64, true),
        Field::new(format!("{prefix}v"), DataType::Int64, false),
    ]));
    let mut parts = vec![vec![]; partitions];
    for (i, part) in parts.iter_mut().enumerate() {
        let n = rows / partitions + usize::from(i < rows % partitions);
        let keys: Int64Array = (0..n)
            .map(|_| (rng.next(6) != 0).then(|| rng.next(distinct_keys) as i64))
            .collect();
        let values: Int64Array = (0..n).map(|_| rng.next(100) as i64).collect();
        if n > 0 {
            part.push(
                RecordBatch::try_new(Arc::clone(&schema), vec![Arc::new(keys), Arc::new(values)])
                    .unwrap(),
            );
        }
    }
    Arc::new(MemoryExec::try_new(schema, parts).unwrap())
}

fn qschema(plan: &Arc<dyn ExecutionPlan>) -> QSchema {
    QSchema::from_arrow(None, &plan.schema())
}

fn col(name: &str) -> Expr {
    Expr::Column(Column::bare(name))
}

/// The output schema of `join_type` over the two inputs, as the logical
/// plan computes it.
fn output_schema(
    left: &Arc<dyn ExecutionPlan>,
    right: &Arc<dyn ExecutionPlan>,
    join_type: JoinType,
) -> SchemaRef {
    let empty = |p: &Arc<dyn ExecutionPlan>| {
        let schema = qschema(p);
        let names = schema.field_names();
        let row: Vec<Expr> = schema
            .fields()
            .iter()
            .map(|f| {
                Expr::Literal(quiver_expr::ScalarValue::try_from(f.field.data_type()).unwrap())
            })
            .collect();
        Arc::new(LogicalPlan::Values(
            Values::try_new(vec![row], &names).unwrap(),
        ))
    };
    let join = Join::try_new(empty(left), empty(right), join_type, vec![], None, false).unwrap();
    join.schema.to_arrow()
}

/// Every output row as text, sorted.
fn rows(batches: &[RecordBatch]) -> Vec<String> {
    let options = FormatOptions::default().with_null("NULL");
    let mut out = vec![];
    for b in batches {
        let formatters: Vec<_> = b
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options).unwrap())
            .collect();
        for row in 0..b.num_rows() {
            let cells: Vec<String> = formatters
                .iter()
                .map(|f| f.value(row).to_string())
                .collect();
            out.push(cells.join(","));
        }
    }
    out.sort();
    out
}

async fn run(plan: Arc<dyn ExecutionPlan>, batch_size: usize) -> Vec<String> {
    rows(
        &collect(
            plan,
            Arc::new(TaskContext {
                batch_size,
                ..Default::default()
            }),
        )
        .await
        .unwrap(),
    )
}

/// Runs `plan` within `memory_limit` bytes; returns its rows and how many
/// times it spilled.
async fn run_within(plan: Arc<dyn ExecutionPlan>, memory_limit: usize) -> (Vec<String>, u64) {
    let (batches, metrics) = collect_within(&plan, 256, memory_limit).await;
    (rows(&batches), metrics.counter(SPILL_COUNT).unwrap_or(0))
}

const JOIN_TYPES: [JoinType; 9] = [
    JoinType::Inner,
    JoinType::Left,
    JoinType::Right,
    JoinType::Full,
    JoinType::LeftSemi,
    JoinType::LeftAnti,
    JoinType::RightSemi,
    JoinType::RightAnti,
    JoinType::LeftMark,
];

#[tokio::test]
async fn hash_and_nested_loop_joins_agree() {
    let mut rng = Lcg(42);
    let sizes = [(0, 5), (5, 0), (1, 1), (13, 9), (40, 57)];
    for (left_rows, right_rows) in sizes {
        let left = table(&mut rng, "l", left_rows, 2);
        let right = table(&mut rng, "r", right_rows, 3);
        let both = qschema(&left).join(&qschema(&right));
        let keys_equal = col("lk").binary(Operator::Eq, col("rk"));
        let extra = col("lv").binary(Operator::Lt, col("rv"));
        for with_extra in [false, true] {
            let nested_condition = if with_extra {
                keys_equal.clone().and(extra.clone())
            } else {
                keys_equal.clone()
            };
            let hash_filter = with_extra.then(|| JoinFilter::try_new(&extra, &both).unwrap());
            let nested_filter = JoinFilter::try_new(&nested_condition, &both).unwrap();
            for join_type in JOIN_TYPES {
                let schema = output_schema(&left, &right, join_type);
                let lk: Arc<dyn PhysicalExpr> = Arc::new(ColumnExpr::new("lk", 0, DataType::Int64));
                let rk: Arc<dyn PhysicalExpr> = Arc::new(ColumnExpr::new("rk", 0, DataType::Int64));
                for batch_size in [1, 7, 8192] {
                    let nested = Arc::new(JoinExec::nested_loop(
                        Arc::clone(&left),
                        Arc::clone(&right),
                        Some(nested_filter.clone()),
                        join_type,
                        Arc::clone(&schema),
                    ));
                    let expected = run(nested, batch_size).await;
                    let shared = JoinExec::hash(
                        Arc::clone(&left),
                        Arc::clone(&right),
                        vec![(Arc::clone(&lk), Arc::clone(&rk))],
                        hash_filter.clone(),
                        join_type,
                        BuildMode::CollectBuild,
                        false,
                        Arc::clone(&schema),
                    )
                    .unwrap();
                    let context = format!(
                        "{join_type} with {left_rows}x{right_rows} rows, extra condition {with_extra}, batch size {batch_size}"
                    );
                    assert_eq!(
                        run(Arc::new(shared), batch_size).await,
                        expected,
                        "shared build: {context}"
                    );
                    if join_type == JoinType::LeftMark {
                        continue;
                    }
                    let partitioned =
                        partitioned_join(&left, &right, hash_filter.clone(), join_type, 3, vec![]);
                    assert_eq!(
                        run(partitioned, batch_size).await,
                        expected,
                        "partitioned build: {context}"
                    );
                }
            }
        }
    }
}

/// A hash join of `left` and `right` on `lk = rk`, both repartitioned on
/// the key into `partitions` partitions, each building its own table and
/// publishing its build keys in `dynamic_filters`.
fn partitioned_join(
    left: &Arc<dyn ExecutionPlan>,
    right: &Arc<dyn ExecutionPlan>,
    filter: Option<JoinFilter>,
    join_type: JoinType,
    partitions: usize,
    dynamic_filters: Vec<(usize, Arc<DynamicFilter>)>,
) -> Arc<dyn ExecutionPlan> {
    let lk: Arc<dyn PhysicalExpr> = Arc::new(ColumnExpr::new("lk", 0, DataType::Int64));
    let rk: Arc<dyn PhysicalExpr> = Arc::new(ColumnExpr::new("rk", 0, DataType::Int64));
    let repartition = |key: &Arc<dyn PhysicalExpr>, input: &Arc<dyn ExecutionPlan>| {
        Arc::new(RepartitionExec::new(
            vec![Arc::clone(key)],
            partitions,
            Arc::clone(input),
        ))
    };
    let join = JoinExec::hash(
        repartition(&lk, left),
        repartition(&rk, right),
        vec![(lk, rk)],
        filter,
        join_type,
        BuildMode::Partitioned,
        false,
        output_schema(left, right, join_type),
    )
    .unwrap()
    .with_dynamic_filters(dynamic_filters);
    Arc::new(join)
}

#[tokio::test]
async fn partitioned_builds_publish_the_range_of_all_their_keys_unless_one_spills() {
    let mut rng = Lcg(11);
    let left = keyed_table(&mut rng, "l", 3000, 2, 400);
    let right = keyed_table(&mut rng, "r", 2000, 3, 400);
    let right_batches = collect(Arc::clone(&right), Arc::new(TaskContext::default()))
        .await
        .unwrap();
    let keys: Vec<i64> = right_batches
        .iter()
        .flat_map(|b| {
            b.column(0)
                .as_primitive::<Int64Type>()
                .iter()
                .flatten()
                .collect::<Vec<_>>()
        })
        .collect();
    let (min, max) = (keys.iter().min().unwrap(), keys.iter().max().unwrap());
    // An inner join in `partitions` partitions publishing into `filter`.
    let publishing = |partitions, filter: &Arc<DynamicFilter>| {
        let filters = vec![(0, Arc::clone(filter))];
        partitioned_join(&left, &right, None, JoinType::Inner, partitions, filters)
    };
    let filter = DynamicFilter::new("lk");
    let run = limited_context(256, usize::MAX / 2);
    collect_in(&publishing(3, &filter), run.clone()).await;
    let Some(KeyRange::Between {
        min: lo, max: hi, ..
    }) = filter.in_run(&run).range().cloned()
    else {
        panic!("the last partition sets the filter");
    };
    assert_eq!(
        (lo, hi),
        (
            ScalarValue::Int64(Some(*min)),
            ScalarValue::Int64(Some(*max))
        )
    );
    assert_eq!(
        filter.in_run(&TaskContext::default()).range(),
        None,
        "another run starts unset"
    );

    let unset = DynamicFilter::new("lk");
    let run = limited_context(256, 32 * 1024);
    let (_, metrics) = collect_in(&publishing(2, &unset), run.clone()).await;
    assert!(metrics.counter(SPILL_COUNT).unwrap_or(0) > 0);
    assert_eq!(
        unset.in_run(&run).range(),
        None,
        "a spilled build does not know its keys"
    );
}

#[tokio::test]
async fn partitioned_joins_that_spill_agree_with_joins_in_memory() {
    let mut rng = Lcg(9);
    let left = keyed_table(&mut rng, "l", 3000, 2, 400);
    let right = keyed_table(&mut rng, "r", 2000, 3, 400);
    let both = qschema(&left).join(&qschema(&right));
    let extra = col("lv").binary(Operator::Lt, col("rv"));
    for with_extra in [false, true] {
        let filter = with_extra.then(|| JoinFilter::try_new(&extra, &both).unwrap());
        for join_type in JOIN_TYPES.into_iter().filter(|t| *t != JoinType::LeftMark) {
            let join = partitioned_join(&left, &right, filter.clone(), join_type, 2, vec![]);
            let context = format!("{join_type}, extra condition {with_extra}");
            let (in_memory, spills) = run_within(Arc::clone(&join), usize::MAX / 2).await;
            assert_eq!(spills, 0, "{context}");
            // Each partition's build side (~1,000 rows) needs about 30 kB,
            // more than its half of the limit; its largest bucket (holding
            // every NULL key, which hash alike) about 14 kB.
            let (spilled, spills) = run_within(join, 32 * 1024).await;
            assert!(spills > 0, "{context}");
            assert_eq!(spilled, in_memory, "{context}");
        }
    }
}

/// A brute-force inner join as a sanity check of the nested-loop join that
/// the other implementations are compared with.
#[tokio::test]
async fn nested_loop_inner_join_matches_brute_force() {
    let mut rng = Lcg(7);
    let left = table(&mut rng, "l", 20, 2);
    let right = table(&mut rng, "r", 15, 1);
    let both = qschema(&left).join(&qschema(&right));
    let condition = col("lk").binary(Operator::Eq, col("rk"));
    let filter = JoinFilter::try_new(&condition, &both).unwrap();
    let schema = output_schema(&left, &right, JoinType::Inner);
    let plan = Arc::new(JoinExec::nested_loop(
        Arc::clone(&left),
        Arc::clone(&right),
        Some(filter),
        JoinType::Inner,
        schema,
    ));
    let got = run(plan, 8192).await;
    let ctx = Arc::new(TaskContext::default());
    let l = collect(left, Arc::clone(&ctx)).await.unwrap();
    let r = collect(right, ctx).await.unwrap();
    let pairs = |batches: &[RecordBatch]| -> Vec<(Option<i64>, i64)> {
        batches
            .iter()
            .flat_map(|b| {
                let k = b
                    .column(0)
                    .as_any()
                    .downcast_ref::<Int64Array>()
                    .unwrap()
                    .clone();
                let v = b
                    .column(1)
                    .as_any()
                    .downcast_ref::<Int64Array>()
                    .unwrap()
                    .clone();
                (0..b.num_rows())
                    .map(move |i| (k.is_valid(i).then(|| k.value(i)), v.value(i)))
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let mut expected = vec![];
    for (lk, lv) in pairs(&l) {
        for (rk, rv) in pairs(&r) {
            if let (Some(a), Some(b)) = (lk, rk) {
                if a == b {
                    expected.push(format!("{a},{lv},{b},{rv}"));
                }
            }
        }
    }
    expected.sort();
    assert_eq!(got, expected);
    assert!(!expected.is_empty(), "the inputs share keys");
}
