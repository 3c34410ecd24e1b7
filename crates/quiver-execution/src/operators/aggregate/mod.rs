//! Hash aggregation. Runs in two phases across partitions (partial per input
//! partition, then final after repartitioning on the keys) or in one phase
//! (for DISTINCT aggregates, after the input is partitioned by the keys).

mod group_values;

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use arrow::array::{new_empty_array, ArrayRef, BooleanArray};
use arrow::compute::filter;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use arrow::row::{RowConverter, SortField};
use futures::StreamExt;
use quiver_expr::{AggregateFunctionRef, GroupsAccumulator, Result};

pub use group_values::{new_group_values, GroupValues};

use super::sort::slices;
use crate::metrics::{execute_child, OperatorMetrics};
use crate::physical_expr::PhysicalExpr;
use crate::plan::{ExecutionPlan, TaskContext};
use crate::stream::{batches_when_done, SendableRecordBatchStream};

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
        write!(
            f,
            "{}({}{args})",
            self.func.0.name(),
            if self.distinct { "DISTINCT " } else { "" }
        )
    }
}

/// Groups rows and computes aggregates, in one of three modes.
#[derive(Debug)]
pub struct AggregateExec {
    mode: AggregateMode,
    group_exprs: Vec<(Arc<dyn PhysicalExpr>, String)>,
    aggr_exprs: Vec<AggregateExpr>,
    input: Arc<dyn ExecutionPlan>,
    schema: SchemaRef,
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
        let mut fields: Vec<Field> = group_exprs
            .iter()
            .map(|(e, name)| Field::new(name, e.data_type().clone(), true))
            .collect();
        for a in &aggr_exprs {
            match mode {
                AggregateMode::Partial => fields.extend(a.state_fields()?),
                _ => fields.push(a.field()?),
            }
        }
        let schema = Arc::new(Schema::new(fields));
        Ok(Self {
            mode,
            group_exprs,
            aggr_exprs,
            input,
            schema,
        })
    }

    /// The grouping expressions with their output names.
    pub fn group_exprs(&self) -> &[(Arc<dyn PhysicalExpr>, String)] {
        &self.group_exprs
    }
}

/// For a DISTINCT aggregate: the encoder of its argument values and the
/// (group, value) pairs already fed to the accumulator.
type DistinctSeen = (RowConverter, HashSet<(usize, Box<[u8]>)>);

/// The running state of one partition's aggregation.
struct GroupState {
    mode: AggregateMode,
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
    fn try_new(exec: &AggregateExec) -> Result<Self> {
        let group_types: Vec<DataType> = exec
            .group_exprs
            .iter()
            .map(|(e, _)| e.data_type().clone())
            .collect();
        let accumulators = exec
            .aggr_exprs
            .iter()
            .map(|a| a.func.0.create_accumulator(&a.arg_types()))
            .collect::<Result<_>>()?;
        let seen = exec
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
        let mut offset = exec.group_exprs.len();
        for a in &exec.aggr_exprs {
            let width = a.state_fields()?.len();
            state_columns.push(offset..offset + width);
            offset += width;
        }
        Ok(Self {
            mode: exec.mode,
            group_exprs: exec
                .group_exprs
                .iter()
                .map(|(e, _)| Arc::clone(e))
                .collect(),
            aggr_exprs: exec.aggr_exprs.clone(),
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
            if self.mode == AggregateMode::Final {
                let states = &batch.columns()[self.state_columns[i].clone()];
                acc.merge_batch(states, &self.group_indices, total)?;
                continue;
            }
            let args = agg
                .args
                .iter()
                .map(|e| e.evaluate_to_array(batch))
                .collect::<Result<Vec<_>>>()?;
            match &mut self.seen[i] {
                None => acc.update_batch(&args, &self.group_indices, total)?,
                Some((converter, seen)) => {
                    let rows = converter.convert_columns(&args)?;
                    let first: BooleanArray = self
                        .group_indices
                        .iter()
                        .enumerate()
                        .map(|(r, &g)| {
                            let all_valid = args.iter().all(|a| a.is_valid(r));
                            Some(all_valid && seen.insert((g, rows.row(r).as_ref().into())))
                        })
                        .collect();
                    let args = args
                        .iter()
                        .map(|a| filter(a, &first))
                        .collect::<Result<Vec<_>, _>>()?;
                    let groups: Vec<usize> = self
                        .group_indices
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

    /// Makes sure a global aggregate (no GROUP BY) has its one group even
    /// when the input was empty, so `count(*)` of nothing is 0.
    fn ensure_global_group(&mut self, input_schema: &Schema) -> Result<()> {
        if !self.group_exprs.is_empty() {
            return Ok(());
        }
        let empty = RecordBatch::new_empty(Arc::new(input_schema.clone()));
        for (i, acc) in self.accumulators.iter_mut().enumerate() {
            let agg = &self.aggr_exprs[i];
            if self.mode == AggregateMode::Final {
                let states = &empty.columns()[self.state_columns[i].clone()];
                acc.merge_batch(states, &[], 1)?;
            } else {
                let args: Vec<ArrayRef> = agg
                    .args
                    .iter()
                    .map(|e| new_empty_array(e.data_type()))
                    .collect();
                acc.update_batch(&args, &[], 1)?;
            }
        }
        Ok(())
    }

    /// Approximate bytes held: the group keys and every accumulator.
    fn memory_size(&self) -> usize {
        self.groups.size() + self.accumulators.iter().map(|a| a.size()).sum::<usize>()
    }

    fn finish(mut self, schema: SchemaRef, input_schema: &Schema) -> Result<RecordBatch> {
        self.ensure_global_group(input_schema)?;
        let rows = self.num_groups();
        let mut columns = if self.group_exprs.is_empty() {
            vec![]
        } else {
            self.groups.emit()?
        };
        for acc in &mut self.accumulators {
            match self.mode {
                AggregateMode::Partial => columns.extend(acc.state()?),
                _ => columns.push(acc.evaluate()?),
            }
        }
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
}

async fn aggregate_partition(
    state: Result<GroupState>,
    mut input: SendableRecordBatchStream,
    schema: SchemaRef,
    batch_size: usize,
    metrics: Option<Arc<OperatorMetrics>>,
) -> Result<Vec<RecordBatch>> {
    let mut state = state?;
    let input_schema = input.schema();
    while let Some(batch) = input.next().await {
        state.update(&batch?)?;
        // Let cancellation (a dropped stream) take effect between batches.
        tokio::task::yield_now().await;
    }
    if let Some(m) = metrics {
        // Groups only accumulate, so the state is largest at the end.
        m.add_peak_memory(state.memory_size());
    }
    Ok(slices(state.finish(schema, &input_schema)?, batch_size))
}

impl ExecutionPlan for AggregateExec {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }
    fn output_partitions(&self) -> usize {
        self.input.output_partitions()
    }
    fn details(&self) -> String {
        let groups: Vec<String> = self
            .group_exprs
            .iter()
            .map(|(e, _)| e.to_string())
            .collect();
        let aggs: Vec<String> = self.aggr_exprs.iter().map(|a| a.to_string()).collect();
        format!(
            "mode={:?}, gby=[{}], aggr=[{}]",
            self.mode,
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
        let fut = aggregate_partition(
            GroupState::try_new(self),
            input,
            self.schema(),
            ctx.batch_size,
            ctx.operator_metrics(self),
        );
        Ok(batches_when_done(self.schema(), fut))
    }
}
