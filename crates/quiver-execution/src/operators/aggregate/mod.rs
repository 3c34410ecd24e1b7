//! Hash aggregation. Runs in two phases across partitions (partial per input
//! partition, then final after repartitioning on the keys) or in one phase
//! (for DISTINCT aggregates, after the input is partitioned by the keys).

mod group_table;
mod group_values;
mod ordered;
mod packed_keys;

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use arrow::array::{new_empty_array, ArrayRef, AsArray, BooleanArray};
use arrow::compute::filter;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use arrow::row::{RowConverter, SortField};
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use quiver_expr::{AggregateFunctionRef, GroupsAccumulator, QuiverError, Result};

pub use group_values::{new_group_values, GroupValues};

use self::ordered::OrderedAccumulator;
use super::sort::slices;
use super::PhysicalSortExpr;
use crate::memory_pool::MemoryReservation;
use crate::metrics::{execute_child, OperatorMetrics};
use crate::physical_expr::{ColumnExpr, PhysicalExpr};
use crate::plan::{ExecutionPlan, TaskContext};
use crate::run_state::NodeId;
use crate::spill::{record_spill_event, SpillFile};
use crate::spill_buckets::HashBuckets;
use crate::stream::{release_as_sent, RecordBatchStreamAdapter, SendableRecordBatchStream};

/// Which phase of a (possibly two-phase) aggregation an operator runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggregateMode {
    /// Raw rows in, per-group intermediate states out.
    Partial,
    /// Intermediate states in, final values out.
    Final,
    /// Raw rows in, final values out.
    Single,
}

/// One aggregate call, bound to the operator's input.
#[derive(Debug, Clone)]
pub struct AggregateExpr {
    /// The function.
    pub func: AggregateFunctionRef,
    /// Argument expressions (already coerced); empty for `count(*)`.
    pub args: Vec<Arc<dyn PhysicalExpr>>,
    /// `DISTINCT` inside the call (only in [`AggregateMode::Single`]).
    pub distinct: bool,
    /// `ORDER BY` inside the call: each group's values reach the function
    /// in this order (only in [`AggregateMode::Single`]).
    pub order_by: Vec<PhysicalSortExpr>,
    /// `FILTER (WHERE ..)` of a function that keeps NULL inputs: only rows
    /// where it is true reach the accumulator.
    pub filter: Option<Arc<dyn PhysicalExpr>>,
    /// Output column name.
    pub name: String,
}

impl AggregateExpr {
    fn arg_types(&self) -> Vec<DataType> {
        self.args.iter().map(|a| a.data_type().clone()).collect()
    }

    /// The final result field.
    pub fn field(&self) -> Result<Field> {
        Ok(Field::new(
            &self.name,
            self.func.0.return_type(&self.arg_types())?,
            true,
        ))
    }

    /// The intermediate state fields.
    pub fn state_fields(&self) -> Result<Vec<Field>> {
        self.func.0.state_fields(&self.name, &self.arg_types())
    }
}

impl fmt::Display for AggregateExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let args: Vec<String> = self.args.iter().map(|a| a.to_string()).collect();
        let args = if args.is_empty() {
            "*".to_string()
        } else {
            args.join(", ")
        };
        let order = if self.order_by.is_empty() {
            String::new()
        } else {
            let keys: Vec<String> = self.order_by.iter().map(|k| k.to_string()).collect();
            format!(" ORDER BY {}", keys.join(", "))
        };
        write!(
            f,
            "{}({}{args}{order})",
            self.func.0.name(),
            if self.distinct { "DISTINCT " } else { "" }
        )?;
        match &self.filter {
            Some(condition) => write!(f, " FILTER (WHERE {condition})"),
            None => Ok(()),
        }
    }
}

/// What an aggregation computes: everything a partition needs to build its
/// group tables, shared by the partitions of one [`AggregateExec`].
#[derive(Debug)]
struct AggregateSpec {
    mode: AggregateMode,
    group_exprs: Vec<(Arc<dyn PhysicalExpr>, String)>,
    aggr_exprs: Vec<AggregateExpr>,
    /// The output schema.
    schema: SchemaRef,
    /// The schema of intermediate states: the group keys, then each
    /// aggregate's state columns (a Partial aggregation's output; what
    /// spilled groups are written as).
    state_schema: SchemaRef,
}

impl AggregateSpec {
    /// Whether groups can be written out and merged later: there are group
    /// keys (a global aggregate has one group and nothing to split), no
    /// DISTINCT aggregate (whose seen values are not part of its state)
    /// and no holistic one (which has no partial state).
    fn can_spill(&self) -> bool {
        !self.group_exprs.is_empty()
            && self
                .aggr_exprs
                .iter()
                .all(|a| !a.distinct && !a.func.0.holistic() && a.order_by.is_empty())
    }
}

/// Groups rows and computes aggregates, in one of three modes. When its
/// memory reservation cannot grow, a partition writes its groups' states to
/// disk, split by key hash into buckets, and aggregates each bucket on its
/// own at the end.
#[derive(Debug, Clone)]
pub struct AggregateExec {
    spec: Arc<AggregateSpec>,
    input: Arc<dyn ExecutionPlan>,
    /// The operator's identity ([`ExecutionPlan::node_id`]).
    id: NodeId,
}

impl AggregateExec {
    /// An aggregation of `input`. In `Final` mode the input is the output of
    /// a `Partial` aggregation with the same groups and aggregates.
    pub fn try_new(
        mode: AggregateMode,
        group_exprs: Vec<(Arc<dyn PhysicalExpr>, String)>,
        aggr_exprs: Vec<AggregateExpr>,
        input: Arc<dyn ExecutionPlan>,
    ) -> Result<Self> {
        let group_fields: Vec<Field> = group_exprs
            .iter()
            .map(|(e, name)| Field::new(name, e.data_type().clone(), true))
            .collect();
        let mut state_fields = group_fields.clone();
        let mut final_fields = group_fields;
        for a in &aggr_exprs {
            state_fields.extend(a.state_fields()?);
            final_fields.push(a.field()?);
        }
        let state_schema = Arc::new(Schema::new(state_fields));
        let schema = match mode {
            AggregateMode::Partial => Arc::clone(&state_schema),
            _ => Arc::new(Schema::new(final_fields)),
        };
        let spec = AggregateSpec {
            mode,
            group_exprs,
            aggr_exprs,
            schema,
            state_schema,
        };
        Ok(Self {
            id: NodeId::next(),
            spec: Arc::new(spec),
            input,
        })
    }

    /// The grouping expressions with their output names.
    pub fn group_exprs(&self) -> &[(Arc<dyn PhysicalExpr>, String)] {
        &self.spec.group_exprs
    }
}

/// For a DISTINCT aggregate: the encoder of its argument values and the
/// (group, value) pairs already fed to the accumulator.
type DistinctSeen = (RowConverter, HashSet<(usize, Box<[u8]>)>);

/// The running state of one partition's aggregation.
struct GroupState {
    /// Whether input rows are intermediate states to merge (Final mode, or
    /// spilled groups read back) rather than raw rows.
    merges_states: bool,
    group_exprs: Vec<Arc<dyn PhysicalExpr>>,
    aggr_exprs: Vec<AggregateExpr>,
    groups: Box<dyn GroupValues>,
    accumulators: Vec<Box<dyn GroupsAccumulator>>,
    /// Per DISTINCT aggregate: the (group, value) pairs already counted.
    seen: Vec<Option<DistinctSeen>>,
    /// The columns of each aggregate's state in a Final-mode input.
    state_columns: Vec<std::ops::Range<usize>>,
    group_indices: Vec<usize>,
}

impl GroupState {
    /// The state for `spec`'s input rows.
    fn for_input(spec: &AggregateSpec) -> Result<Self> {
        let group_exprs = spec
            .group_exprs
            .iter()
            .map(|(e, _)| Arc::clone(e))
            .collect();
        Self::try_new(spec, group_exprs, spec.mode == AggregateMode::Final)
    }

    /// The state for merging `spec`'s spilled groups: batches of its state
    /// schema, whose first columns are the group keys.
    fn for_spilled_states(spec: &AggregateSpec) -> Result<Self> {
        let group_exprs = spec
            .state_schema
            .fields()
            .iter()
            .take(spec.group_exprs.len())
            .enumerate()
            .map(|(i, f)| {
                Arc::new(ColumnExpr::new(f.name(), i, f.data_type().clone()))
                    as Arc<dyn PhysicalExpr>
            })
            .collect();
        Self::try_new(spec, group_exprs, true)
    }

    fn try_new(
        spec: &AggregateSpec,
        group_exprs: Vec<Arc<dyn PhysicalExpr>>,
        merges_states: bool,
    ) -> Result<Self> {
        let group_types: Vec<DataType> =
            group_exprs.iter().map(|e| e.data_type().clone()).collect();
        let accumulators = spec
            .aggr_exprs
            .iter()
            .map(|a| {
                let inner = a.func.0.create_accumulator(&a.arg_types())?;
                if a.order_by.is_empty() || merges_states {
                    return Ok(inner);
                }
                let options = a.order_by.iter().map(|k| k.options).collect();
                Ok(
                    Box::new(OrderedAccumulator::new(inner, a.arg_types(), options))
                        as Box<dyn GroupsAccumulator>,
                )
            })
            .collect::<Result<_>>()?;
        let seen = spec
            .aggr_exprs
            .iter()
            .map(|a| {
                if !a.distinct {
                    return Ok(None);
                }
                let fields = a
                    .args
                    .iter()
                    .map(|e| SortField::new(e.data_type().clone()))
                    .collect();
                Ok(Some((RowConverter::new(fields)?, HashSet::new())))
            })
            .collect::<Result<_>>()?;
        let mut state_columns = vec![];
        let mut offset = group_exprs.len();
        for a in &spec.aggr_exprs {
            let width = a.state_fields()?.len();
            state_columns.push(offset..offset + width);
            offset += width;
        }
        Ok(Self {
            merges_states,
            group_exprs,
            aggr_exprs: spec.aggr_exprs.clone(),
            groups: new_group_values(&group_types)?,
            accumulators,
            seen,
            state_columns,
            group_indices: vec![],
        })
    }

    fn update(&mut self, batch: &RecordBatch) -> Result<()> {
        let keys = self
            .group_exprs
            .iter()
            .map(|e| e.evaluate_to_array(batch))
            .collect::<Result<Vec<_>>>()?;
        if keys.is_empty() {
            self.group_indices.clear();
            self.group_indices.resize(batch.num_rows(), 0);
        } else {
            self.groups.intern(&keys, &mut self.group_indices)?;
        }
        let total = self.num_groups();
        for (i, acc) in self.accumulators.iter_mut().enumerate() {
            let agg = &self.aggr_exprs[i];
            if self.merges_states {
                let states = &batch.columns()[self.state_columns[i].clone()];
                acc.merge_batch(states, &self.group_indices, total)?;
                continue;
            }
            let args = agg
                .args
                .iter()
                .map(|e| e.evaluate_to_array(batch))
                .collect::<Result<Vec<_>>>()?;
            // An ordered call gets its sort keys after its arguments.
            let keys = agg
                .order_by
                .iter()
                .map(|k| k.expr.evaluate_to_array(batch))
                .collect::<Result<Vec<_>>>()?;
            let (columns, filtered_groups) =
                filtered_rows(agg, batch, [args, keys].concat(), &self.group_indices)?;
            let group_indices = filtered_groups.as_deref().unwrap_or(&self.group_indices);
            let (args, keys) = {
                let mut columns = columns;
                let keys = columns.split_off(agg.args.len());
                (columns, keys)
            };
            match &mut self.seen[i] {
                None => acc.update_batch(&[args, keys].concat(), group_indices, total)?,
                Some((converter, seen)) => {
                    let rows = converter.convert_columns(&args)?;
                    // NULL is one more distinct value to a function that
                    // keeps NULLs (`list`); the others pass over it.
                    let keeps_nulls = !agg.func.0.skips_null_inputs();
                    let first: BooleanArray = group_indices
                        .iter()
                        .enumerate()
                        .map(|(r, &g)| {
                            let all_valid = keeps_nulls || args.iter().all(|a| a.is_valid(r));
                            Some(all_valid && seen.insert((g, rows.row(r).as_ref().into())))
                        })
                        .collect();
                    let args = args
                        .iter()
                        .chain(&keys)
                        .map(|a| filter(a, &first))
                        .collect::<Result<Vec<_>, _>>()?;
                    let groups: Vec<usize> = group_indices
                        .iter()
                        .zip(first.values().iter())
                        .filter_map(|(g, keep)| keep.then_some(*g))
                        .collect();
                    acc.update_batch(&args, &groups, total)?;
                }
            }
        }
        Ok(())
    }

    fn num_groups(&self) -> usize {
        if self.group_exprs.is_empty() {
            1
        } else {
            self.groups.num_groups()
        }
    }

    /// See [`GroupValues::recurring_rows`].
    fn recurring_rows(&self) -> usize {
        self.groups.recurring_rows()
    }

    /// Makes sure a global aggregate (no GROUP BY) has its one group even
    /// when the input was empty, so `count(*)` of nothing is 0.
    fn ensure_global_group(&mut self, input_schema: &Schema) -> Result<()> {
        if !self.group_exprs.is_empty() {
            return Ok(());
        }
        let empty = RecordBatch::new_empty(Arc::new(input_schema.clone()));
        for (i, acc) in self.accumulators.iter_mut().enumerate() {
            let agg = &self.aggr_exprs[i];
            if self.merges_states {
                let states = &empty.columns()[self.state_columns[i].clone()];
                acc.merge_batch(states, &[], 1)?;
            } else {
                let args: Vec<ArrayRef> = agg
                    .args
                    .iter()
                    .chain(agg.order_by.iter().map(|k| &k.expr))
                    .map(|e| new_empty_array(e.data_type()))
                    .collect();
                acc.update_batch(&args, &[], 1)?;
            }
        }
        Ok(())
    }

    /// The intermediate states of `batch`'s rows taken each as a group of
    /// its own (no hashing): what a Partial aggregation sends on once it
    /// has found that grouping does not reduce its input.
    fn states_of_rows(&self, batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch> {
        let rows = batch.num_rows();
        let mut columns = self
            .group_exprs
            .iter()
            .map(|e| e.evaluate_to_array(batch))
            .collect::<Result<Vec<_>>>()?;
        let each_own: Vec<usize> = (0..rows).collect();
        for agg in &self.aggr_exprs {
            let args = agg
                .args
                .iter()
                .map(|e| e.evaluate_to_array(batch))
                .collect::<Result<Vec<_>>>()?;
            let (args, kept) = filtered_rows(agg, batch, args, &each_own)?;
            let mut acc = agg.func.0.create_accumulator(&agg.arg_types())?;
            acc.update_batch(&args, kept.as_deref().unwrap_or(&each_own), rows)?;
            columns.extend(acc.state()?);
        }
        batch_of(Arc::clone(schema), columns, rows)
    }

    /// Approximate bytes held: the group keys and every accumulator.
    fn memory_size(&self) -> usize {
        self.groups.size() + self.accumulators.iter().map(|a| a.size()).sum::<usize>()
    }

    /// Every group's keys and values: the aggregates' intermediate states if
    /// `schema` is a state schema (`emit_states`), else their final values.
    fn finish(
        mut self,
        schema: SchemaRef,
        input_schema: &Schema,
        emit_states: bool,
    ) -> Result<RecordBatch> {
        self.ensure_global_group(input_schema)?;
        let rows = self.num_groups();
        let mut columns = if self.group_exprs.is_empty() {
            vec![]
        } else {
            self.groups.emit()?
        };
        for acc in &mut self.accumulators {
            if emit_states {
                columns.extend(acc.state()?);
            } else {
                columns.push(acc.evaluate()?);
            }
        }
        batch_of(schema, columns, rows)
    }
}

/// A call's input columns and their rows' groups without the rows its
/// FILTER drops (a NULL condition drops the row too); the groups are
/// `None` when the call has no filter and every row stays.
fn filtered_rows(
    agg: &AggregateExpr,
    batch: &RecordBatch,
    columns: Vec<ArrayRef>,
    groups: &[usize],
) -> Result<(Vec<ArrayRef>, Option<Vec<usize>>)> {
    let Some(condition) = &agg.filter else {
        return Ok((columns, None));
    };
    let mask = condition.evaluate_to_array(batch)?;
    let mask = match mask.as_boolean() {
        m if arrow::array::Array::null_count(m) > 0 => arrow::compute::prep_null_mask_filter(m),
        m => m.clone(),
    };
    let columns = columns
        .iter()
        .map(|c| Ok(filter(c, &mask)?))
        .collect::<Result<Vec<_>>>()?;
    let kept = groups
        .iter()
        .zip(mask.values().iter())
        .filter_map(|(g, keep)| keep.then_some(*g))
        .collect();
    Ok((columns, Some(kept)))
}

/// `columns` (of `rows` rows) as a batch of `schema`, each cast to its
/// field's type where the accumulator produced another.
fn batch_of(schema: SchemaRef, columns: Vec<ArrayRef>, rows: usize) -> Result<RecordBatch> {
    let columns = columns
        .into_iter()
        .zip(schema.fields())
        .map(|(c, f)| {
            if c.data_type() == f.data_type() {
                Ok(c)
            } else {
                Ok(arrow::compute::cast(&c, f.data_type())?)
            }
        })
        .collect::<Result<Vec<_>>>()?;
    let options = RecordBatchOptions::new().with_row_count(Some(rows));
    Ok(RecordBatch::try_new_with_options(
        schema, columns, &options,
    )?)
}

/// How deep spilling goes: a bucket being aggregated may itself spill into
/// [`crate::spill_buckets::FANOUT`] smaller buckets, down to this depth.
const MAX_SPILL_DEPTH: usize = 3;

/// One partition's aggregation at one spill level: depth 0 reads the
/// operator's input, deeper levels read one spilled bucket.
struct PartitionAggregator {
    spec: Arc<AggregateSpec>,
    ctx: Arc<TaskContext>,
    metrics: Option<Arc<OperatorMetrics>>,
    input_schema: SchemaRef,
    depth: usize,
    state: GroupState,
    reservation: MemoryReservation,
    /// Where the groups went when memory ran out, once it has.
    buckets: Option<HashBuckets>,
    /// The most memory the groups held.
    peak: usize,
    /// Whether a Partial aggregation groups or passes rows through.
    probe: Probe,
    /// Input rows grouped while probing.
    rows_seen: usize,
}

/// What a Partial aggregation has found out about its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Probe {
    /// Still counting rows and groups.
    Counting,
    /// Grouping reduces the rows: it goes on grouping.
    Grouping,
    /// Nearly every row is a group: rows go on as states, ungrouped.
    PassingThrough,
}

/// The rows a Partial aggregation groups before it judges whether grouping
/// reduces them.
const PROBE_ROWS: usize = 100_000;

/// More groups than this fraction of the rows is no reduction.
const NO_REDUCTION: f64 = 0.8;

/// Groups past which a Partial aggregation whose keys do not come back
/// (fewer recurring rows than [`RECURRING_PER_GROUP`] a group: sorted or
/// clustered keys) sends its states on and starts afresh, so that its table
/// stays in the caches: holding the groups would save the Final
/// aggregation nothing.
const FLUSH_GROUPS: usize = 1 << 16;

/// Recurring rows a group (see [`FLUSH_GROUPS`]).
const RECURRING_PER_GROUP: f64 = 0.01;

/// What one level produced: its groups (holding their memory until they
/// are sent), or the buckets it spilled them into.
enum Aggregated {
    Groups(Vec<RecordBatch>, MemoryReservation),
    Spilled(Vec<SpillFile>),
}

impl PartitionAggregator {
    fn try_new(
        spec: Arc<AggregateSpec>,
        ctx: Arc<TaskContext>,
        metrics: Option<Arc<OperatorMetrics>>,
        input_schema: SchemaRef,
        partition: usize,
        depth: usize,
    ) -> Result<Self> {
        let state = Self::new_state(&spec, depth)?;
        Ok(Self {
            reservation: ctx.spillable_reservation("AggregateExec", partition),
            spec,
            ctx,
            metrics,
            input_schema,
            depth,
            state,
            buckets: None,
            peak: 0,
            probe: Probe::Counting,
            rows_seen: 0,
        })
    }

    fn new_state(spec: &AggregateSpec, depth: usize) -> Result<GroupState> {
        match depth {
            0 => GroupState::for_input(spec),
            _ => GroupState::for_spilled_states(spec),
        }
    }

    /// Adds `batch` to the groups; false if their memory could not be
    /// reserved.
    fn absorb(&mut self, batch: &RecordBatch) -> Result<bool> {
        self.state.update(batch)?;
        let held = self.state.memory_size();
        self.peak = self.peak.max(held);
        Ok(self.reservation.try_resize(held).is_ok())
    }

    /// Adds `batch` to the groups; spills them if their memory could not be
    /// reserved.
    fn update(&mut self, batch: &RecordBatch) -> Result<()> {
        if self.absorb(batch)? {
            return Ok(());
        }
        // An aggregation that cannot spill (any more) takes what the pool
        // has, past its share: the share only decides when to spill.
        let held = self.state.memory_size();
        if !self.spec.can_spill() {
            return self.reservation.try_resize_past_share(held);
        }
        if self.depth >= MAX_SPILL_DEPTH {
            let full = self.reservation.try_resize_past_share(held);
            return full.map_err(|e| {
                e.context(format!(
                    "aggregating after splitting the groups {MAX_SPILL_DEPTH} times by key hash"
                ))
            });
        }
        self.spill()
    }

    /// The groups' intermediate states; starts afresh.
    fn take_states(&mut self) -> Result<RecordBatch> {
        let full = std::mem::replace(&mut self.state, Self::new_state(&self.spec, self.depth)?);
        self.reservation.free();
        full.finish(
            Arc::clone(&self.spec.state_schema),
            &self.input_schema,
            true,
        )
    }

    /// Writes the groups' states to the buckets and starts afresh.
    fn spill(&mut self) -> Result<()> {
        let states = self.take_states()?;
        let buckets = match &mut self.buckets {
            Some(buckets) => buckets,
            None => self.buckets.insert(HashBuckets::create(
                &self.ctx.spill_directory,
                &self.spec.state_schema,
                self.depth,
            )?),
        };
        let keys = &states.columns()[..self.spec.group_exprs.len()];
        buckets.write(&states, keys)?;
        record_spill_event(self.metrics.as_deref());
        Ok(())
    }

    /// For a Partial aggregation, counts `rows` more input rows and decides,
    /// once [`PROBE_ROWS`] have been grouped, whether grouping is worth its
    /// cost: when nearly every row makes a group of its own, the Final
    /// aggregation would do all the work again. Then it answers true once,
    /// and from then on rows pass through as states
    /// ([`PartitionAggregator::passes_rows_through`]).
    fn grouping_does_not_reduce(&mut self, rows: usize) -> bool {
        if self.probe != Probe::Counting || self.spec.group_exprs.is_empty() {
            return false;
        }
        self.rows_seen += rows;
        if self.rows_seen < PROBE_ROWS {
            return false;
        }
        let groups = self.state.num_groups();
        self.probe = if groups as f64 > NO_REDUCTION * self.rows_seen as f64 {
            Probe::PassingThrough
        } else {
            Probe::Grouping
        };
        self.probe == Probe::PassingThrough
    }

    /// Whether a Partial aggregation's groups are many and their keys do
    /// not come back, so that it may as well send them on now (see
    /// [`FLUSH_GROUPS`]).
    fn keys_do_not_recur(&self) -> bool {
        let groups = self.state.num_groups();
        groups >= FLUSH_GROUPS
            && (self.state.recurring_rows() as f64) < RECURRING_PER_GROUP * groups as f64
    }

    /// Whether rows now pass through as states without being grouped.
    fn passes_rows_through(&self) -> bool {
        self.probe == Probe::PassingThrough
    }

    /// Reports the most memory the groups held (of the first level only:
    /// the levels below read one bucket at a time, within the same limit).
    fn report_peak(&self) {
        if let (Some(m), 0) = (&self.metrics, self.depth) {
            m.add_peak_memory(self.peak);
        }
    }

    fn finish(mut self) -> Result<Aggregated> {
        self.report_peak();
        if self.buckets.is_none() {
            let emit_states = self.spec.mode == AggregateMode::Partial;
            let groups = self.state.finish(
                Arc::clone(&self.spec.schema),
                &self.input_schema,
                emit_states,
            )?;
            let batches = slices(groups, self.ctx.batch_size);
            return Ok(Aggregated::Groups(batches, self.reservation));
        }
        if self.state.num_groups() > 0 {
            self.spill()?;
        }
        let files = self
            .buckets
            .take()
            .map_or(Ok(vec![]), HashBuckets::finish)?;
        let files: Vec<SpillFile> = files.into_iter().filter(|f| f.rows() > 0).collect();
        for file in &files {
            file.record(self.metrics.as_deref());
        }
        Ok(Aggregated::Spilled(files))
    }
}

/// The output of one partition of a Partial aggregation. It never spills:
/// when its memory is full, or its many groups' keys do not come back, it
/// sends the groups' states on and starts afresh, since the Final
/// aggregation merges any number of states of a group.
fn partial_aggregate_stream(
    spec: Arc<AggregateSpec>,
    input: SendableRecordBatchStream,
    ctx: Arc<TaskContext>,
    metrics: Option<Arc<OperatorMetrics>>,
    partition: usize,
) -> BoxStream<'static, Result<RecordBatch>> {
    let batch_size = ctx.batch_size;
    let start = PartitionAggregator::try_new(spec, ctx, metrics, input.schema(), partition, 0)
        .map(|aggregator| (aggregator, input));
    let states = futures::stream::try_unfold(Some(start), |running| async move {
        let Some(running) = running else {
            return Ok::<_, QuiverError>(None);
        };
        let (mut aggregator, mut input) = running?;
        while let Some(batch) = input.next().await {
            let batch = batch?;
            if aggregator.passes_rows_through() {
                let states = aggregator
                    .state
                    .states_of_rows(&batch, &aggregator.spec.state_schema)?;
                return Ok(Some((states, Some(Ok((aggregator, input))))));
            }
            if !aggregator.absorb(&batch)?
                || aggregator.grouping_does_not_reduce(batch.num_rows())
                || aggregator.keys_do_not_recur()
            {
                let states = aggregator.take_states()?;
                return Ok(Some((states, Some(Ok((aggregator, input))))));
            }
            // Let cancellation (a dropped stream) take effect between batches.
            tokio::task::yield_now().await;
        }
        aggregator.report_peak();
        let emit_states = true;
        let last = aggregator.state.finish(
            Arc::clone(&aggregator.spec.schema),
            &aggregator.input_schema,
            emit_states,
        )?;
        Ok(Some((last, None)))
    });
    states
        .map_ok(move |states| futures::stream::iter(slices(states, batch_size).into_iter().map(Ok)))
        .try_flatten()
        .boxed()
}

/// The output of one partition's aggregation of `input` at spill level
/// `depth`: its groups, or, if it spilled, the aggregation of each bucket in
/// turn.
fn aggregate_stream(
    spec: Arc<AggregateSpec>,
    mut input: SendableRecordBatchStream,
    ctx: Arc<TaskContext>,
    metrics: Option<Arc<OperatorMetrics>>,
    partition: usize,
    depth: usize,
) -> BoxStream<'static, Result<RecordBatch>> {
    let (bucket_spec, bucket_ctx, bucket_metrics) =
        (Arc::clone(&spec), Arc::clone(&ctx), metrics.clone());
    let level = async move {
        let mut aggregator =
            PartitionAggregator::try_new(spec, ctx, metrics, input.schema(), partition, depth)?;
        while let Some(batch) = input.next().await {
            aggregator.update(&batch?)?;
            // Let cancellation (a dropped stream) take effect between batches.
            tokio::task::yield_now().await;
        }
        aggregator.finish()
    };
    futures::stream::once(level)
        .flat_map(move |aggregated| match aggregated {
            Err(e) => futures::stream::iter([Err(e)]).boxed(),
            Ok(Aggregated::Groups(batches, reservation)) => {
                release_as_sent(batches, reservation).boxed()
            }
            Ok(Aggregated::Spilled(files)) => {
                let (spec, ctx, metrics) = (
                    Arc::clone(&bucket_spec),
                    Arc::clone(&bucket_ctx),
                    bucket_metrics.clone(),
                );
                futures::stream::iter(files)
                    .flat_map(move |file| match file.into_stream() {
                        Ok(states) => aggregate_stream(
                            Arc::clone(&spec),
                            states,
                            Arc::clone(&ctx),
                            metrics.clone(),
                            partition,
                            depth + 1,
                        ),
                        Err(e) => futures::stream::iter([Err(e)]).boxed(),
                    })
                    .boxed()
            }
        })
        .boxed()
}

impl ExecutionPlan for AggregateExec {
    /// A group key that is an input column comes from it (in every mode:
    /// a Final aggregation's keys are its Partial input's key columns);
    /// aggregate results are computed.
    fn column_sources(&self, column: usize) -> Vec<(usize, usize)> {
        let key = self.spec.group_exprs.get(column);
        let input = key.and_then(|(e, _)| e.as_column());
        input.map(|i| (0, i)).into_iter().collect()
    }
    crate::node_basics!(input);
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.spec.schema)
    }
    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }
    fn output_partitions(&self) -> usize {
        self.input.output_partitions()
    }
    fn details(&self) -> String {
        let spec = &self.spec;
        let groups: Vec<String> = spec
            .group_exprs
            .iter()
            .map(|(e, _)| e.to_string())
            .collect();
        let aggs: Vec<String> = spec.aggr_exprs.iter().map(|a| a.to_string()).collect();
        format!(
            "mode={:?}, gby=[{}], aggr=[{}]",
            spec.mode,
            groups.join(", "),
            aggs.join(", ")
        )
    }
    fn execute(
        &self,
        partition: usize,
        ctx: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let input = execute_child(&self.input, partition, Arc::clone(&ctx))?;
        let metrics = ctx.operator_metrics(self);
        let spec = Arc::clone(&self.spec);
        let groups = match spec.mode {
            AggregateMode::Partial => {
                partial_aggregate_stream(spec, input, ctx, metrics, partition)
            }
            _ => aggregate_stream(spec, input, ctx, metrics, partition, 0),
        };
        Ok(RecordBatchStreamAdapter::boxed(self.schema(), groups))
    }
}
