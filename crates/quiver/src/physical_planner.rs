//! Chooses physical operators for a logical plan: how partitions are used,
//! where data is exchanged, and which algorithm runs each step.

use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use arrow::compute::SortOptions;
use arrow::datatypes::{Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatchOptions;
use futures::future::BoxFuture;
use futures::FutureExt;
use quiver_execution::operators::aggregate::{AggregateExec, AggregateExpr, AggregateMode};
use quiver_execution::operators::analyze::AnalyzeExec;
use quiver_execution::operators::coalesce::CoalescePartitionsExec;
use quiver_execution::operators::expand::ExpandExec;
use quiver_execution::operators::filter::{Conjunct, FilterExec};
use quiver_execution::operators::first_per_partition::FirstPerPartition;
use quiver_execution::operators::limit::LimitExec;
use quiver_execution::operators::memory::MemoryExec;
use quiver_execution::operators::merge::SortPreservingMergeExec;
use quiver_execution::operators::projection::ProjectionExec;
use quiver_execution::operators::recursive::{RecursiveQueryExec, WorkTableExec, WorkTableRows};
use quiver_execution::operators::repartition::RepartitionExec;
use quiver_execution::operators::set_operation::SetOperationExec;
use quiver_execution::operators::sort::SortExec;
use quiver_execution::operators::union::UnionExec;
use quiver_execution::operators::unnest::UnnestExec;
use quiver_execution::operators::window::{WindowExec, WindowExpr};
use quiver_execution::operators::PhysicalSortExpr;
use quiver_execution::physical_expr::{ColumnExpr, UnaryExpr, UnaryOp};
use quiver_execution::plan::display_plan;
use quiver_execution::{
    canonical_key, create_physical_expr, ExecutionPlan, PhysicalExpr, ProviderSource, ScanRequest,
};
use quiver_expr::logical_plan::{
    Aggregate, ExplainMode, Projection, SubqueryAlias, TableScan, Values, Window,
};
use quiver_expr::stack::{growing_stack, with_stack_for};
use quiver_expr::work_table::WorkTable;
use quiver_expr::{internal_err, Expr, LogicalPlan, QSchema, QuiverError, Result, ScalarValue};

use quiver_optimizer::cardinality::selectivity;
use quiver_optimizer::explain::display_with_estimates;

use crate::config::SessionConfig;
use crate::physical_optimizer::PhysicalOptimizer;
use crate::repeated_scans::RepeatedScans;
use crate::shared_subplans::SharedSubplans;

/// Turns optimized logical plans into executable ones.
pub struct PhysicalPlanner<'a> {
    pub(crate) config: &'a SessionConfig,
    /// The session's memory limit now (which `SET` may have changed since
    /// `config` was made); `None` for no limit.
    pub(crate) memory_limit: Option<usize>,
    /// Subplans the query contains more than once, planned once.
    shared: SharedSubplans,
    /// Tables the query scans more than once, whose scans share reads.
    repeated_scans: RepeatedScans,
    /// The rewrites of the plan once it is made.
    passes: PhysicalOptimizer,
    /// How many steps a recursive CTE may take.
    pub(crate) max_recursion_depth: usize,
    /// The working tables of the recursive CTEs being planned, innermost
    /// last, by the logical working table's id.
    work_tables: std::sync::Mutex<Vec<(u64, Arc<WorkTableRows>)>>,
}

impl<'a> PhysicalPlanner<'a> {
    /// A planner using `config`'s partitioning and memory limit.
    pub fn new(config: &'a SessionConfig) -> Self {
        Self {
            config,
            memory_limit: config.memory_limit,
            shared: SharedSubplans::default(),
            repeated_scans: RepeatedScans::default(),
            passes: PhysicalOptimizer::new(),
            max_recursion_depth: crate::context::DEFAULT_MAX_RECURSION_DEPTH,
            work_tables: std::sync::Mutex::default(),
        }
    }

    /// With recursive CTEs limited to `steps` steps.
    pub fn with_max_recursion_depth(mut self, steps: usize) -> Self {
        self.max_recursion_depth = steps;
        self
    }

    /// With the memory limit `limit` instead of `config`'s.
    pub fn with_memory_limit(mut self, limit: Option<usize>) -> Self {
        self.memory_limit = limit;
        self
    }

    /// The physical plan for `plan`, with output columns named as in the
    /// logical plan.
    pub async fn create_physical_plan(&self, plan: &LogicalPlan) -> Result<Arc<dyn ExecutionPlan>> {
        self.shared.count_in(plan);
        self.repeated_scans
            .count_in(plan, &self.shared, self.memory_limit);
        let physical = self.plan(plan).await?;
        let optimized = with_stack_for(plan.depth(), || self.passes.optimize(physical))?;
        rename_to(optimized, plan.schema())
    }

    pub(crate) fn plan<'p>(
        &'p self,
        plan: &'p LogicalPlan,
    ) -> BoxFuture<'p, Result<Arc<dyn ExecutionPlan>>> {
        let planned = async move {
            let Some(key) = self.shared.key_of(plan) else {
                return self.plan_node(plan).await;
            };
            if let Some(planned) = self.shared.planned(key) {
                return Ok(planned);
            }
            self.shared.enter();
            let input = self.plan_node(plan).await;
            self.shared.leave();
            Ok(self.shared.remember(key, input?))
        };
        // Each level of the plan awaits the next: grow the stack as needed.
        growing_stack(planned).boxed()
    }

    async fn plan_node(&self, plan: &LogicalPlan) -> Result<Arc<dyn ExecutionPlan>> {
        Ok(match plan {
            LogicalPlan::TableScan(scan) => {
                let request = ScanRequest {
                    limit: scan.fetch,
                    ..ScanRequest::new(scan.projection.clone(), self.config.target_partitions)
                };
                self.plan_scan(scan, &request).await?
            }
            LogicalPlan::Projection(p) => {
                let input = self.plan(&p.input).await?;
                let exprs = p
                    .exprs
                    .iter()
                    .map(|e| create_physical_expr(e, p.input.schema()))
                    .collect::<Result<_>>()?;
                Arc::new(ProjectionExec::new(exprs, p.schema.to_arrow(), input))
            }
            LogicalPlan::Filter(f) => {
                let input = match f.input.as_ref() {
                    LogicalPlan::TableScan(scan) => {
                        let conjuncts: Vec<Expr> =
                            quiver_expr::expr::split_conjunction(&f.predicate)
                                .into_iter()
                                .cloned()
                                .collect();
                        let request = ScanRequest {
                            selectivity: Some(selectivity(&f.predicate, &f.input)),
                            ..ScanRequest::new(
                                scan.projection.clone(),
                                self.config.target_partitions,
                            )
                            .with_filters(conjuncts)
                        };
                        self.plan_scan(scan, &request).await?
                    }
                    LogicalPlan::Window(w) => {
                        self.plan_window(w, first_rows_wanted(&f.predicate, w))
                            .await?
                    }
                    other => self.plan(other).await?,
                };
                let schema = f.input.schema();
                let conjuncts = quiver_expr::expr::split_conjunction(&f.predicate)
                    .into_iter()
                    .map(|e| {
                        Ok(Conjunct {
                            expr: create_physical_expr(e, schema)?,
                            can_fail: e.can_fail(schema),
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                Arc::new(FilterExec::with_conjuncts(conjuncts, input))
            }
            LogicalPlan::Aggregate(a) => self.plan_aggregate(a).await?,
            LogicalPlan::Window(w) => self.plan_window(w, None).await?,
            LogicalPlan::Expand(e) => {
                let input = self.plan(&e.input).await?;
                let lists = e
                    .projections
                    .iter()
                    .map(|list| {
                        list.iter()
                            .map(|x| create_physical_expr(x, e.input.schema()))
                            .collect::<Result<Vec<_>>>()
                    })
                    .collect::<Result<_>>()?;
                Arc::new(ExpandExec::new(lists, e.schema.to_arrow(), input))
            }
            LogicalPlan::RecursiveQuery(r) => {
                let rows = Arc::new(WorkTableRows::default());
                let work_tables = || self.work_tables.lock().unwrap_or_else(|e| e.into_inner());
                work_tables().push((r.work_table.id(), Arc::clone(&rows)));
                let planned = async {
                    Ok::<_, QuiverError>((
                        self.plan(&r.static_term).await?,
                        self.plan(&r.recursive_term).await?,
                    ))
                }
                .await;
                work_tables().pop();
                let (static_term, recursive_term) = planned?;
                Arc::new(RecursiveQueryExec::new(
                    &r.name,
                    static_term,
                    recursive_term,
                    rows,
                    r.distinct,
                    self.max_recursion_depth,
                ))
            }
            LogicalPlan::Unnest(u) => {
                let input = self.plan(&u.input).await?;
                Arc::new(UnnestExec::new(u.positions(), u.schema.to_arrow(), input))
            }
            LogicalPlan::Sort(s) => {
                let input = self.plan(&s.input).await?;
                let exprs = physical_sort_keys(&s.exprs, s.input.schema(), |e| e)?;
                let sorted: Arc<dyn ExecutionPlan> =
                    Arc::new(SortExec::new(exprs.clone(), input, s.fetch));
                if sorted.output_partitions() > 1 {
                    Arc::new(SortPreservingMergeExec::new(exprs, sorted, s.fetch))
                } else {
                    sorted
                }
            }
            LogicalPlan::Limit(l) => {
                let input = self.plan(&l.input).await?;
                if input.output_partitions() > 1 {
                    let per_partition = l.fetch.map(|f| f + l.skip);
                    let local = Arc::new(LimitExec::new(0, per_partition, input));
                    Arc::new(LimitExec::new(
                        l.skip,
                        l.fetch,
                        Arc::new(CoalescePartitionsExec::new(local)),
                    ))
                } else {
                    Arc::new(LimitExec::new(l.skip, l.fetch, input))
                }
            }
            LogicalPlan::SubqueryAlias(a) => rename_to(self.plan(&a.input).await?, &a.schema)?,
            LogicalPlan::Values(v) => Arc::new(values_exec(v)?),
            LogicalPlan::EmptyRelation(e) => {
                let schema = e.schema.to_arrow();
                let batches = if e.produce_one_row {
                    let options = RecordBatchOptions::new().with_row_count(Some(1));
                    vec![RecordBatch::try_new_with_options(
                        Arc::clone(&schema),
                        vec![],
                        &options,
                    )?]
                } else {
                    vec![]
                };
                Arc::new(MemoryExec::try_new(schema, vec![batches])?)
            }
            LogicalPlan::Explain(e) => {
                let physical = self.plan(&e.plan).await?;
                if e.mode == ExplainMode::Analyze {
                    // The physical passes run over the whole plan, this
                    // node included.
                    return Ok(Arc::new(AnalyzeExec::new(physical, e.schema.to_arrow())));
                }
                let physical = self.passes.optimize(physical)?;
                let mut rows = e.stages.clone();
                rows.push(("logical_plan".to_string(), display_with_estimates(&e.plan)));
                rows.push(("physical_plan".to_string(), display_plan(physical.as_ref())));
                let (kinds, plans): (Vec<String>, Vec<String>) = rows.into_iter().unzip();
                let schema = e.schema.to_arrow();
                let kinds: ArrayRef = Arc::new(StringArray::from(kinds));
                let plans: ArrayRef = Arc::new(StringArray::from(plans));
                let batch = RecordBatch::try_new(Arc::clone(&schema), vec![kinds, plans])?;
                Arc::new(MemoryExec::try_new(schema, vec![vec![batch]])?)
            }
            LogicalPlan::Ddl(_) => return internal_err!("DDL reached the physical planner"),
            LogicalPlan::Join(j) => self.plan_join(j).await?,
            LogicalPlan::AsofJoin(j) => self.plan_asof_join(j).await?,
            LogicalPlan::PositionalJoin(j) => self.plan_positional_join(j).await?,
            LogicalPlan::Union(u) => {
                let mut inputs = vec![];
                for input in &u.inputs {
                    inputs.push(self.plan(input).await?);
                }
                Arc::new(UnionExec::new(inputs, u.schema.to_arrow()))
            }
            LogicalPlan::SetOperation(s) => {
                let left = self.plan(&s.left).await?;
                let right = self.plan(&s.right).await?;
                Arc::new(SetOperationExec::new(left, right, s.op, s.all))
            }
        })
    }

    /// A scan of `scan`'s table as `request` asks, sharing what it fetches
    /// with the query's other scans of the table.
    async fn plan_scan(
        &self,
        scan: &TableScan,
        request: &ScanRequest,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if let Some(work_table) = scan.source.as_any().downcast_ref::<WorkTable>() {
            let rows = self
                .work_tables
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .iter()
                .rev()
                .find(|(id, _)| *id == work_table.id())
                .map(|(_, rows)| Arc::clone(rows));
            let Some(rows) = rows else {
                return internal_err!(
                    "the working table of {} is read outside it",
                    work_table.name()
                );
            };
            let exec = WorkTableExec::try_new(
                work_table.name(),
                rows,
                &quiver_expr::TableSource::schema(work_table),
                request.projection.clone(),
            )?;
            return Ok(Arc::new(exec));
        }
        let Some(provider) = scan.source.as_any().downcast_ref::<ProviderSource>() else {
            return internal_err!("table {} has no physical provider", scan.table_name);
        };
        let shared_reads = self.repeated_scans.shared_reads(&provider.0);
        if shared_reads.is_none() {
            return provider.0.scan(request).await;
        }
        let request = ScanRequest {
            shared_reads,
            ..request.clone()
        };
        provider.0.scan(&request).await
    }

    /// Two phases (partial per partition, hash exchange on the keys, final)
    /// unless an aggregate is DISTINCT, which needs all of a group's rows in
    /// one place: then the raw rows are exchanged and aggregated once.
    async fn plan_aggregate(&self, a: &Aggregate) -> Result<Arc<dyn ExecutionPlan>> {
        if let Some(counted) = count_from_metadata(a)? {
            return Ok(counted);
        }
        let input = self.plan(&a.input).await?;
        let in_schema = a.input.schema();
        let names: Vec<String> = a.schema.field_names();
        let groups: Vec<(Arc<dyn PhysicalExpr>, String)> = a
            .group_exprs
            .iter()
            .zip(&names)
            .map(|(e, name)| {
                Ok((
                    canonical_key(create_physical_expr(e, in_schema)?),
                    name.clone(),
                ))
            })
            .collect::<Result<_>>()?;
        let aggs = a
            .aggr_exprs
            .iter()
            .zip(&names[a.group_exprs.len()..])
            .map(|(e, name)| aggregate_expr(e, in_schema, name))
            .collect::<Result<Vec<_>>>()?;
        let n = self.config.target_partitions;
        let single_partition = input.output_partitions() == 1;
        let one_phase =
            |x: &AggregateExpr| x.distinct || x.func.0.holistic() || !x.order_by.is_empty();
        if single_partition || aggs.iter().any(one_phase) {
            let input: Arc<dyn ExecutionPlan> = match (single_partition, groups.is_empty()) {
                (true, _) => input,
                (false, true) => Arc::new(CoalescePartitionsExec::new(input)),
                (false, false) => {
                    let keys = groups.iter().map(|(e, _)| Arc::clone(e)).collect();
                    Arc::new(RepartitionExec::new(keys, n, input))
                }
            };
            return Ok(Arc::new(AggregateExec::try_new(
                AggregateMode::Single,
                groups,
                aggs,
                input,
            )?));
        }
        let partial = Arc::new(AggregateExec::try_new(
            AggregateMode::Partial,
            groups.clone(),
            aggs.clone(),
            input,
        )?);
        let partial_schema = partial.schema();
        let final_groups: Vec<(Arc<dyn PhysicalExpr>, String)> = groups
            .iter()
            .enumerate()
            .map(|(i, (e, name))| {
                let col: Arc<dyn PhysicalExpr> =
                    Arc::new(ColumnExpr::new(name, i, e.data_type().clone()));
                (col, partial_schema.field(i).name().clone())
            })
            .collect();
        let exchanged: Arc<dyn ExecutionPlan> = if final_groups.is_empty() {
            Arc::new(CoalescePartitionsExec::new(partial))
        } else {
            let keys = final_groups.iter().map(|(e, _)| Arc::clone(e)).collect();
            Arc::new(RepartitionExec::new(keys, n, partial))
        };
        Ok(Arc::new(AggregateExec::try_new(
            AggregateMode::Final,
            final_groups,
            aggs,
            exchanged,
        )?))
    }
}

impl PhysicalPlanner<'_> {
    /// Window calls: the input hash-partitioned by the PARTITION BY keys
    /// (or gathered into one partition without them), sorted by those keys
    /// and the ORDER BY keys in each partition, then the window operator.
    /// Keys compare as SQL does (`-0.0 = 0.0`), so that the sort keeps
    /// equal keys together.
    /// `first_rows`: only rows ranked up to this many in their partition
    /// are wanted (a filter above says so, see [`first_rows_wanted`]), so
    /// the sort keeps only those.
    async fn plan_window(
        &self,
        w: &Window,
        first_rows: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let Some(Expr::Window(first)) = w.window_exprs.first() else {
            return internal_err!("window operator without window calls");
        };
        let in_schema = w.input.schema();
        let input = self.plan(&w.input).await?;
        let partition_by = first
            .partition_by
            .iter()
            .map(|e| Ok(canonical_key(create_physical_expr(e, in_schema)?)))
            .collect::<Result<Vec<_>>>()?;
        let order_by = physical_sort_keys(&first.order_by, in_schema, canonical_key)?;
        let names = w.schema.field_names();
        let exprs = w
            .window_exprs
            .iter()
            .zip(&names[in_schema.len()..])
            .map(|(e, name)| window_expr(e, in_schema, name))
            .collect::<Result<Vec<_>>>()?;
        // A window operator right below with the same PARTITION BY has
        // already placed and sorted the rows (the binder puts the longest
        // ORDER BY lowest).
        let below = match w.input.as_ref() {
            LogicalPlan::Window(lower) => match lower.window_exprs.first() {
                Some(Expr::Window(l)) if l.partition_by == first.partition_by => Some(l),
                _ => None,
            },
            _ => None,
        };
        if let Some(lower) = below {
            let sorted_already = lower.order_by.len() >= first.order_by.len()
                && lower.order_by[..first.order_by.len()] == first.order_by[..];
            if sorted_already {
                return Ok(Arc::new(WindowExec::new(
                    partition_by,
                    order_by,
                    exprs,
                    input,
                )));
            }
        }
        let input: Arc<dyn ExecutionPlan> =
            match (partition_by.is_empty(), input.output_partitions()) {
                (false, _) if below.is_some() => input,
                (true, 1) => input,
                (true, _) => Arc::new(CoalescePartitionsExec::new(input)),
                (false, _) => Arc::new(RepartitionExec::new(
                    partition_by.clone(),
                    self.config.target_partitions,
                    input,
                )),
            };
        let sort_keys: Vec<PhysicalSortExpr> = partition_by
            .iter()
            .map(|e| PhysicalSortExpr {
                expr: Arc::clone(e),
                options: SortOptions::default(),
            })
            .chain(order_by.iter().cloned())
            .collect();
        let sorted: Arc<dyn ExecutionPlan> = match (sort_keys.is_empty(), first_rows) {
            (true, _) => input,
            (false, None) => Arc::new(SortExec::new(sort_keys, input, None)),
            (false, Some(k)) => Arc::new(
                SortExec::new(sort_keys, input, None).with_first_per_partition(FirstPerPartition {
                    keys: partition_by.len(),
                    k,
                }),
            ),
        };
        Ok(Arc::new(WindowExec::new(
            partition_by,
            order_by,
            exprs,
            sorted,
        )))
    }
}

/// How many first rows of each partition a filter over the window `w`
/// needs, when it keeps only rows where a call bounded by the row's
/// position (`row_number()`, `rank()`) is at most (or below) a constant,
/// and every call of `w` depends only on the rows up to a row's peers
/// (`WindowFunction::needs_only_preceding_rows`).
fn first_rows_wanted(predicate: &Expr, w: &Window) -> Option<usize> {
    let function = |e: &Expr| match e {
        Expr::Window(call) => match &call.kind {
            quiver_expr::WindowKind::Function(f) => Some(Arc::clone(&f.0)),
            quiver_expr::WindowKind::Aggregate(_) => None,
        },
        _ => None,
    };
    let prefix_only = |e: &Expr| function(e).is_some_and(|f| f.needs_only_preceding_rows());
    if !w.window_exprs.iter().all(prefix_only) {
        return None;
    }
    let width = w.input.schema().len();
    let bounded_call = |c: &quiver_expr::Column| {
        let index = w.schema.index_of(c).ok()?.checked_sub(width)?;
        function(&w.window_exprs[index])
            .filter(|f| f.bounded_by_position())
            .map(|_| ())
    };
    quiver_expr::expr::split_conjunction(predicate)
        .into_iter()
        .filter_map(|conjunct| {
            let Expr::Binary(l, op, r) = conjunct else {
                return None;
            };
            let (column, op, limit) = match (l.as_ref(), r.as_ref()) {
                (Expr::Column(c), Expr::Literal(v)) => (c, *op, v),
                (Expr::Literal(v), Expr::Column(c)) => (c, op.swap(), v),
                _ => return None,
            };
            bounded_call(column)?;
            let ScalarValue::Int64(Some(n)) = limit else {
                return None;
            };
            let k = match op {
                quiver_expr::Operator::LtEq | quiver_expr::Operator::Eq => *n,
                quiver_expr::Operator::Lt => n - 1,
                _ => return None,
            };
            usize::try_from(k).ok().filter(|k| *k >= 1)
        })
        .min()
}

/// A window call bound to its operator's input.
fn window_expr(e: &Expr, schema: &QSchema, name: &str) -> Result<WindowExpr> {
    let Expr::Window(call) = e else {
        return internal_err!("{e} is not a window call");
    };
    let args = call
        .args
        .iter()
        .map(|a| {
            let expr = create_physical_expr(a, schema)?;
            // DISTINCT compares values as SQL does (-0.0 = 0.0).
            Ok(if call.distinct {
                canonical_key(expr)
            } else {
                expr
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(WindowExpr {
        kind: call.kind.clone(),
        args,
        distinct: call.distinct,
        ignore_nulls: call.ignore_nulls,
        frame: call.frame.clone(),
        name: name.to_string(),
        data_type: e.data_type(schema)?,
    })
}

/// `count(*)` (one or more, no GROUP BY) directly over a table that knows
/// its exact row count (Parquet footers, tables in memory): one row of that
/// count, with no scan. `None` when the aggregate is anything else.
fn count_from_metadata(a: &Aggregate) -> Result<Option<Arc<dyn ExecutionPlan>>> {
    let count_star = |e: &Expr| {
        matches!(e.unalias(), Expr::Aggregate(call)
            if call.args.is_empty() && call.func.0.accepts_star())
    };
    if !a.group_exprs.is_empty() || a.aggr_exprs.is_empty() || !a.aggr_exprs.iter().all(count_star)
    {
        return Ok(None);
    }
    let mut input = a.input.as_ref();
    while let LogicalPlan::Projection(Projection { input: inner, .. })
    | LogicalPlan::SubqueryAlias(SubqueryAlias { input: inner, .. }) = input
    {
        input = inner;
    }
    let LogicalPlan::TableScan(scan) = input else {
        return Ok(None);
    };
    let rows = scan
        .source
        .as_any()
        .downcast_ref::<ProviderSource>()
        .and_then(|p| p.0.exact_rows())
        .and_then(|n| i64::try_from(n).ok());
    let Some(rows) = rows else {
        return Ok(None);
    };
    let schema = a.schema.to_arrow();
    let columns: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .map(|_| Arc::new(Int64Array::from(vec![rows])) as ArrayRef)
        .collect();
    let batch = RecordBatch::try_new(Arc::clone(&schema), columns)?;
    Ok(Some(Arc::new(MemoryExec::try_new(
        schema,
        vec![vec![batch]],
    )?)))
}

fn aggregate_expr(e: &Expr, schema: &QSchema, name: &str) -> Result<AggregateExpr> {
    let Expr::Aggregate(call) = e else {
        return internal_err!("{e} is not an aggregate call");
    };
    // DISTINCT compares its arguments' values as SQL does (-0.0 = 0.0).
    let argument = |a| {
        let expr = create_physical_expr(a, schema)?;
        Ok(if call.distinct {
            canonical_key(expr)
        } else {
            expr
        })
    };
    Ok(AggregateExpr {
        func: call.func.clone(),
        args: call.args.iter().map(argument).collect::<Result<_>>()?,
        distinct: call.distinct,
        order_by: physical_sort_keys(&call.order_by, schema, |e| e)?,
        filter: match &call.filter {
            Some(condition) => Some(create_physical_expr(condition, schema)?),
            None => None,
        },
        name: name.to_string(),
    })
}

/// Sort keys over `schema`, each key's expression passed through `wrap`.
///
/// A list, struct or map orders its NULL elements as DuckDB does: after
/// every value, so first when descending (the whole order reversed). The
/// row format puts them where the key's own NULLs go, so when those go
/// elsewhere (`NULLS LAST` descending, `NULLS FIRST` ascending) an `IS
/// NULL` key placing the key's NULLs comes before it.
fn physical_sort_keys(
    keys: &[quiver_expr::SortExpr],
    schema: &QSchema,
    wrap: impl Fn(Arc<dyn PhysicalExpr>) -> Arc<dyn PhysicalExpr>,
) -> Result<Vec<PhysicalSortExpr>> {
    let mut physical = vec![];
    for k in keys {
        let expr = wrap(create_physical_expr(&k.expr, schema)?);
        let descending = !k.asc;
        if expr.data_type().is_nested() && k.nulls_first != descending {
            physical.push(PhysicalSortExpr {
                expr: Arc::new(UnaryExpr::new(UnaryOp::IsNull, Arc::clone(&expr))),
                options: SortOptions {
                    descending: k.nulls_first,
                    nulls_first: false,
                },
            });
        }
        let nulls_first = match expr.data_type().is_nested() {
            true => descending,
            false => k.nulls_first,
        };
        physical.push(PhysicalSortExpr {
            expr,
            options: SortOptions {
                descending,
                nulls_first,
            },
        });
    }
    Ok(physical)
}

/// Renames the output columns of `plan` to those of `schema` (same count and
/// types) when they differ.
fn rename_to(plan: Arc<dyn ExecutionPlan>, schema: &QSchema) -> Result<Arc<dyn ExecutionPlan>> {
    let current = plan.schema();
    if current.fields().len() != schema.len() {
        return internal_err!(
            "physical plan has {} columns, logical plan {}",
            current.fields().len(),
            schema.len()
        );
    }
    let same = current
        .fields()
        .iter()
        .zip(schema.fields())
        .all(|(a, b)| a.name() == b.name());
    if same {
        return Ok(plan);
    }
    let fields: Vec<Field> = current
        .fields()
        .iter()
        .zip(schema.fields())
        .map(|(f, q)| f.as_ref().clone().with_name(q.name()))
        .collect();
    let exprs = current
        .fields()
        .iter()
        .enumerate()
        .map(|(i, f)| {
            Arc::new(ColumnExpr::new(f.name(), i, f.data_type().clone())) as Arc<dyn PhysicalExpr>
        })
        .collect();
    let renamed: SchemaRef = Arc::new(Schema::new(fields));
    Ok(Arc::new(ProjectionExec::new(exprs, renamed, plan)))
}

/// Evaluates the (constant) rows of a VALUES list into one batch.
fn values_exec(v: &Values) -> Result<MemoryExec> {
    let schema = v.schema.to_arrow();
    if v.rows.is_empty() {
        return MemoryExec::try_new(schema, vec![vec![]]);
    }
    let empty = QSchema::empty();
    let one_row = RecordBatch::try_new_with_options(
        Arc::new(Schema::empty()),
        vec![],
        &RecordBatchOptions::new().with_row_count(Some(1)),
    )?;
    let mut columns = vec![];
    for (c, field) in schema.fields().iter().enumerate() {
        let values = v
            .rows
            .iter()
            .map(|row| {
                let value = create_physical_expr(&row[c], &empty)?.evaluate_to_array(&one_row)?;
                Ok(ScalarValue::try_from_array(&value, 0)?)
            })
            .collect::<Result<Vec<_>>>()?;
        let array = if field.data_type().is_null() {
            arrow::array::new_null_array(field.data_type(), values.len())
        } else {
            ScalarValue::iter_to_array(values).map_err(QuiverError::from)?
        };
        columns.push(array);
    }
    let batch = RecordBatch::try_new(Arc::clone(&schema), columns)?;
    MemoryExec::try_new(schema, vec![vec![batch]])
}
