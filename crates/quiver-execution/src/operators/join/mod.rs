//! Joins. The right input is the build side, read whole; the left input is
//! the probe side, streamed. A hash join indexes the build rows by key and
//! pairs each probe row with the build rows of equal keys; a nested-loop
//! join pairs it with every build row. Either way a filter may then reject
//! pairs, and the join type decides the output.
//!
//! Build modes: `CollectBuild` builds once from all right partitions and
//! shares it with every probe partition (for a small build side);
//! `Partitioned` expects both inputs hash-partitioned on the keys and
//! builds one table per partition.

mod build;
#[cfg(test)]
mod differential_tests;
mod grace;
mod key_index;
mod key_slots;
mod probe;

use std::collections::VecDeque;
use std::sync::Arc;

use arrow::datatypes::{Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use futures::future::BoxFuture;
use futures::{FutureExt, StreamExt};
use quiver_expr::logical_plan::JoinType;
use quiver_expr::{internal_err, Expr, QSchema, QuiverError, Result};
use tokio::sync::OnceCell;

use self::build::BuildSide;
use self::grace::{partitioned_join_stream, PartitionJoin};
use self::probe::{ProbeSpec, Prober};
use crate::dynamic_filter::{
    DynamicFilter, KeySummary, PartitionedKeys, PublishedKeys, MAX_LISTED_KEYS,
};
use crate::metrics::execute_child;
use crate::operators::coalesce::CoalescePartitionsExec;
use crate::physical_expr::{create_physical_expr, PhysicalExpr};
use crate::plan::{ExecutionPlan, TaskContext};
use crate::run_state::NodeId;
use crate::stream::{RecordBatchStreamAdapter, SendableRecordBatchStream};

/// How the build side is shared between probe partitions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuildMode {
    /// One build from all right partitions, shared by every probe partition.
    CollectBuild,
    /// Both inputs partitioned alike on the keys; one build per partition.
    Partitioned,
}

/// Equi-join keys: (probe-side expression, build-side expression).
pub type JoinOn = Vec<(Arc<dyn PhysicalExpr>, Arc<dyn PhysicalExpr>)>;

/// A join condition beyond the keys. It reads only some columns: `columns`
/// are their indices among the left columns followed by the right ones, and
/// `expr` refers to them by position in that list.
#[derive(Debug, Clone)]
pub struct JoinFilter {
    /// The condition, over the `columns`.
    pub expr: Arc<dyn PhysicalExpr>,
    /// Indices of the used columns in (left columns ++ right columns).
    pub columns: Vec<usize>,
}

impl JoinFilter {
    /// Binds `filter` (over `both`: the left columns, then the right ones)
    /// to just the columns it reads.
    pub fn try_new(filter: &Expr, both: &QSchema) -> Result<Self> {
        let mut columns = filter
            .columns()
            .iter()
            .map(|c| both.index_of(c))
            .collect::<Result<Vec<_>>>()?;
        columns.sort_unstable();
        columns.dedup();
        let used = QSchema::new(columns.iter().map(|&i| both.field(i).clone()).collect());
        Ok(Self {
            expr: create_physical_expr(filter, &used)?,
            columns,
        })
    }
}

/// A hash join (with keys) or a nested-loop join (without).
#[derive(Debug, Clone)]
pub struct JoinExec {
    left: Arc<dyn ExecutionPlan>,
    right: Arc<dyn ExecutionPlan>,
    on: JoinOn,
    filter: Option<JoinFilter>,
    join_type: JoinType,
    mode: BuildMode,
    null_aware: bool,
    schema: SchemaRef,
    /// What a single join evaluates, named in its error.
    single_row_source: Option<String>,
    /// The identity of the join's state in a run: its shared build side
    /// (`CollectBuild` mode) or the key summaries its partitions hand in
    /// (`Partitioned` mode).
    id: NodeId,
    /// Filters set from the build keys once the build side is read (a
    /// shared one when it is read, a partitioned one when every partition's
    /// is): (index of the key in `on`, the filter its probe-side scan
    /// reads).
    dynamic_filters: Vec<(usize, Arc<DynamicFilter>)>,
}

impl JoinExec {
    /// A hash join of `left` (probe) and `right` (build) on `on`.
    /// `filter` is evaluated over the left columns followed by the right
    /// columns; `schema` is the output schema of `join_type`.
    #[allow(clippy::too_many_arguments)]
    pub fn hash(
        left: Arc<dyn ExecutionPlan>,
        right: Arc<dyn ExecutionPlan>,
        on: JoinOn,
        filter: Option<JoinFilter>,
        join_type: JoinType,
        mode: BuildMode,
        null_aware: bool,
        schema: SchemaRef,
    ) -> Result<Self> {
        if on.is_empty() {
            return internal_err!("a hash join needs at least one key");
        }
        if mode == BuildMode::Partitioned && left.output_partitions() != right.output_partitions() {
            return internal_err!(
                "partitioned hash join inputs have {} and {} partitions",
                left.output_partitions(),
                right.output_partitions()
            );
        }
        let mut join = Self::nested_loop(left, right, filter, join_type, schema);
        join.on = on;
        join.mode = mode;
        join.null_aware = null_aware;
        Ok(join)
    }

    /// A nested-loop join: every pair of rows that `filter` accepts (every
    /// pair, with no filter).
    pub fn nested_loop(
        left: Arc<dyn ExecutionPlan>,
        right: Arc<dyn ExecutionPlan>,
        filter: Option<JoinFilter>,
        join_type: JoinType,
        schema: SchemaRef,
    ) -> Self {
        Self {
            left,
            right,
            on: vec![],
            filter,
            join_type,
            mode: BuildMode::CollectBuild,
            null_aware: false,
            schema,
            single_row_source: None,
            id: NodeId::next(),
            dynamic_filters: vec![],
        }
    }

    /// Publishes the range of build key `on[i]` in each `(i, filter)` once
    /// the build side is read, for the probe side's scans: a shared build
    /// when it is read, a partitioned one when every partition's is (from
    /// all of them). The planner attaches filters only to joins whose output
    /// needs no probe row without a match.
    pub fn with_dynamic_filters(mut self, filters: Vec<(usize, Arc<DynamicFilter>)>) -> Self {
        self.dynamic_filters = filters;
        self
    }

    /// The dynamic filters' keys in the run of `ctx`.
    fn published_keys(&self, ctx: &TaskContext) -> Vec<(usize, Arc<PublishedKeys>)> {
        self.dynamic_filters
            .iter()
            .map(|(key, filter)| (*key, filter.in_run(ctx)))
            .collect()
    }

    /// The gathering of the partitions' key summaries in the run of `ctx`
    /// (a partitioned build with dynamic filters only).
    fn partitioned_keys(&self, ctx: &TaskContext) -> Option<Arc<PartitionedKeys>> {
        if self.dynamic_filters.is_empty() {
            return None;
        }
        let partitions = self.left.output_partitions();
        let filters = self.published_keys(ctx);
        Some(ctx.run_state(self.id, || PartitionedKeys::new(filters, partitions)))
    }

    /// The keys whose build side's values can filter the probe side's
    /// scans: (index of the key in `on`, the probe-side column it is), for
    /// a join whose output needs no probe row without a match (inner, left
    /// semi, right, right semi, right anti; not NULL-aware) and keys that
    /// are plain probe columns.
    pub fn filterable_probe_keys(&self) -> Vec<(usize, usize)> {
        let drops_unmatched_probe_rows = matches!(
            self.join_type,
            JoinType::Inner
                | JoinType::LeftSemi
                | JoinType::Right
                | JoinType::RightSemi
                | JoinType::RightAnti
        );
        if !drops_unmatched_probe_rows || self.null_aware {
            return vec![];
        }
        self.on
            .iter()
            .enumerate()
            .filter_map(|(i, (probe, _))| Some((i, probe.as_column()?)))
            .collect()
    }

    /// Names what a [`JoinType::LeftSingle`] join evaluates (such as a
    /// scalar subquery's SQL) for the error when a row has two matches.
    pub fn with_single_row_source(mut self, source: impl Into<String>) -> Self {
        self.single_row_source = Some(source.into());
        self
    }

    fn probe_spec(&self, ctx: &TaskContext) -> ProbeSpec {
        let mut all = self.left.schema().fields().to_vec();
        all.extend(self.right.schema().fields().iter().cloned());
        let used = self.filter.as_ref().map_or(&[][..], |f| &f.columns[..]);
        let fields: Vec<_> = used
            .iter()
            .map(|&i| Arc::new(all[i].as_ref().clone().with_nullable(true)))
            .collect();
        ProbeSpec {
            join_type: self.join_type,
            keys: self.on.iter().map(|(l, _)| Arc::clone(l)).collect(),
            filter: self.filter.clone(),
            filter_schema: Arc::new(Schema::new(fields)),
            null_aware: self.null_aware,
            single_row_source: self
                .single_row_source
                .clone()
                .map_or("a scalar subquery".to_string(), |s| {
                    format!("scalar subquery {s}")
                }),
            schema: Arc::clone(&self.schema),
            batch_size: ctx.batch_size,
        }
    }

    /// The future that produces this partition's build side.
    fn build_side(
        &self,
        partition: usize,
        ctx: Arc<TaskContext>,
    ) -> BoxFuture<'static, Result<Arc<BuildSide>>> {
        let keys: Vec<Arc<dyn PhysicalExpr>> = self.on.iter().map(|(_, r)| Arc::clone(r)).collect();
        let hashed = !keys.is_empty();
        let name = self.name();
        let right = Arc::clone(&self.right);
        let schema = right.schema();
        let metrics = ctx.operator_metrics(self);
        let report = move |build: &BuildSide| {
            if let Some(m) = &metrics {
                m.add_peak_memory(build.memory_size());
            }
        };
        match self.mode {
            BuildMode::Partitioned => async move {
                let reservation = ctx.reservation(&format!("{name} build side"), partition);
                let input = execute_child(&right, partition, ctx)?;
                let build =
                    BuildSide::collect(input, schema, &keys, hashed, 1, reservation).await?;
                report(&build);
                Ok(Arc::new(build))
            }
            .boxed(),
            BuildMode::CollectBuild => {
                let probes = self.left.output_partitions();
                let shared = ctx.run_state(self.id, OnceCell::<Arc<BuildSide>>::new);
                let filters = self.published_keys(&ctx);
                async move {
                    let build = shared
                        .get_or_try_init(|| async {
                            let reservation = ctx.memory_pool.reservation(format!(
                                "{name} build side (shared by all partitions)"
                            ));
                            let input = CoalescePartitionsExec::new(right).execute(0, ctx)?;
                            let build = BuildSide::collect(
                                input,
                                schema,
                                &keys,
                                hashed,
                                probes,
                                reservation,
                            )
                            .await?;
                            publish_key_ranges(&build, &filters)?;
                            report(&build);
                            Ok::<_, QuiverError>(Arc::new(build))
                        })
                        .await?;
                    Ok(Arc::clone(build))
                }
                .boxed()
            }
        }
    }
}

/// Sets each dynamic filter from its build key column.
fn publish_key_ranges(build: &BuildSide, filters: &[(usize, Arc<PublishedKeys>)]) -> Result<()> {
    for ((_, filter), summary) in filters.iter().zip(key_summaries(build, filters)?) {
        if let Some(summary) = summary {
            filter.publish(summary);
        }
    }
    Ok(())
}

/// For each dynamic filter, what its build key column allows (`None` for a
/// key type without a usable order).
fn key_summaries(
    build: &BuildSide,
    filters: &[(usize, Arc<PublishedKeys>)],
) -> Result<Vec<Option<KeySummary>>> {
    let Some(table) = build.table.as_ref().filter(|_| !filters.is_empty()) else {
        return Ok(vec![None; filters.len()]);
    };
    // Listing the keys is exact only for a single key; with several, each
    // column's distinct values would have to be found on their own.
    let listed = (table.keys().len() == 1)
        .then(|| table.distinct_rows(MAX_LISTED_KEYS))
        .flatten();
    // A column has at most as many distinct values as the whole key.
    let distinct = table.distinct_count();
    filters
        .iter()
        .map(|(key, _)| match table.keys().get(*key) {
            Some(keys) => KeySummary::of(keys, listed.as_deref(), distinct),
            None => Ok(None),
        })
        .collect()
}

/// Where a probe partition's stream is.
enum ProbeState {
    /// Waiting for the build side.
    Building(
        BoxFuture<'static, Result<Arc<BuildSide>>>,
        SendableRecordBatchStream,
        ProbeSpec,
    ),
    /// Reading probe batches; `pending` holds output not yet returned.
    Probing(Prober, SendableRecordBatchStream, VecDeque<RecordBatch>),
    /// Returning the last outputs.
    Draining(VecDeque<RecordBatch>),
}

/// Runs one probe partition: build, then probe batch by batch, then the
/// build-side rows if this partition finishes last.
fn probe_stream(
    state: ProbeState,
    probe_schema: SchemaRef,
) -> impl futures::Stream<Item = Result<RecordBatch>> + Send {
    futures::stream::unfold(Some(state), move |state| {
        let probe_schema = Arc::clone(&probe_schema);
        async move {
            let mut state = state?;
            loop {
                state = match state {
                    ProbeState::Building(build, input, spec) => match build.await {
                        Ok(build) => {
                            let prober = Prober::new(spec, build);
                            if prober.outputs_nothing() {
                                // The probe side is dropped unread.
                                return None;
                            }
                            ProbeState::Probing(prober, input, VecDeque::new())
                        }
                        Err(e) => return Some((Err(e), None)),
                    },
                    ProbeState::Probing(mut prober, mut input, mut pending) => {
                        if let Some(batch) = pending.pop_front() {
                            return Some((
                                Ok(batch),
                                Some(ProbeState::Probing(prober, input, pending)),
                            ));
                        }
                        if prober.is_probing() {
                            match prober.step() {
                                Ok(out) => pending.extend(out),
                                Err(e) => return Some((Err(e), None)),
                            }
                            // Probing is CPU work: let other tasks (and
                            // cancellation) in between steps.
                            tokio::task::yield_now().await;
                            state = ProbeState::Probing(prober, input, pending);
                            continue;
                        }
                        match input.next().await {
                            Some(Ok(batch)) => match prober.start(batch) {
                                Ok(()) => ProbeState::Probing(prober, input, pending),
                                Err(e) => return Some((Err(e), None)),
                            },
                            Some(Err(e)) => return Some((Err(e), None)),
                            None => match prober.finish(&probe_schema) {
                                Ok(out) => ProbeState::Draining(out.into()),
                                Err(e) => return Some((Err(e), None)),
                            },
                        }
                    }
                    ProbeState::Draining(mut pending) => {
                        let batch = pending.pop_front()?;
                        return Some((Ok(batch), Some(ProbeState::Draining(pending))));
                    }
                };
            }
        }
    })
}

impl ExecutionPlan for JoinExec {
    /// An inner join passes both inputs' columns through, left then right.
    fn column_sources(&self, column: usize) -> Vec<(usize, usize)> {
        if self.join_type != JoinType::Inner {
            return vec![];
        }
        let left_columns = self.left.schema().fields().len();
        match column.checked_sub(left_columns) {
            None => vec![(0, column)],
            Some(right) => vec![(1, right)],
        }
    }
    crate::node_basics!(left, right);
    fn name(&self) -> &'static str {
        if self.on.is_empty() {
            "NestedLoopJoinExec"
        } else {
            "HashJoinExec"
        }
    }
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.left, &self.right]
    }
    fn output_partitions(&self) -> usize {
        self.left.output_partitions()
    }
    fn details(&self) -> String {
        let mut text = format!("{}", self.join_type);
        if !self.on.is_empty() {
            let keys: Vec<String> = self.on.iter().map(|(l, r)| format!("{l} = {r}")).collect();
            text.push_str(&format!(", on=[{}]", keys.join(", ")));
        }
        if let Some(f) = &self.filter {
            text.push_str(&format!(", filter={}", f.expr));
        }
        if !self.on.is_empty() {
            text.push_str(match self.mode {
                BuildMode::CollectBuild => ", mode=collect_build",
                BuildMode::Partitioned => ", mode=partitioned",
            });
        }
        if self.null_aware {
            text.push_str(", null_aware");
        }
        text
    }
    fn execute(
        &self,
        partition: usize,
        ctx: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let probe_input = execute_child(&self.left, partition, Arc::clone(&ctx))?;
        let spec = self.probe_spec(&ctx);
        if self.mode == BuildMode::Partitioned && !self.on.is_empty() && !self.null_aware {
            let key_filters = self.partitioned_keys(&ctx);
            let join = PartitionJoin {
                build_input: execute_child(&self.right, partition, Arc::clone(&ctx))?,
                probe_input,
                build_keys: self.on.iter().map(|(_, r)| Arc::clone(r)).collect(),
                spec,
                metrics: ctx.operator_metrics(self),
                ctx,
                consumer: format!("{} build side", self.name()),
                partition,
                key_filters,
            };
            let stream = partitioned_join_stream(join, self.left.schema());
            return Ok(RecordBatchStreamAdapter::boxed(self.schema(), stream));
        }
        let build = self.build_side(partition, ctx);
        let stream = probe_stream(
            ProbeState::Building(build, probe_input, spec),
            self.left.schema(),
        );
        Ok(RecordBatchStreamAdapter::boxed(self.schema(), stream))
    }
}
