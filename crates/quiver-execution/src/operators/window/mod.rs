//! The window operator: computes window calls over its input, which arrives
//! hash-partitioned by the PARTITION BY keys and sorted by them and the
//! ORDER BY keys. Rows are gathered until a window partition is complete;
//! the complete partitions gathered are then evaluated together, so that
//! many small partitions cost one pass, and sent on with one more column
//! per call.

mod framed_aggregate;
mod frames;
mod running_sums;

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;

use arrow::array::ArrayRef;
use arrow::compute::{concat_batches, partition};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use arrow::row::{OwnedRow, RowConverter, SortField};
use futures::StreamExt;
use quiver_expr::window::{FrameRows, WindowFrame, WindowKind, WindowRows, MAX_WINDOW_ROWS};
use quiver_expr::Result;

use self::framed_aggregate::FramedAggregate;
use self::frames::{frames, Layout, RangeKey};
use super::sort::slices;
use super::PhysicalSortExpr;
use crate::memory_pool::{batch_memory_size, MemoryReservation};
use crate::metrics::execute_child;
use crate::physical_expr::PhysicalExpr;
use crate::plan::{ExecutionPlan, TaskContext};
use crate::run_state::NodeId;
use crate::stream::{RecordBatchStreamAdapter, SendableRecordBatchStream};

/// One window call, bound to the operator's input.
#[derive(Debug, Clone)]
pub struct WindowExpr {
    /// What is computed.
    pub kind: WindowKind,
    /// The arguments (already coerced).
    pub args: Vec<Arc<dyn PhysicalExpr>>,
    /// `DISTINCT` (aggregates).
    pub distinct: bool,
    /// `IGNORE NULLS` (value functions).
    pub ignore_nulls: bool,
    /// Each row's frame.
    pub frame: WindowFrame,
    /// The output column's name.
    pub name: String,
    /// The output column's type.
    pub data_type: DataType,
}

impl fmt::Display for WindowExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut args: Vec<String> = self.args.iter().map(|a| a.to_string()).collect();
        if args.is_empty() && matches!(self.kind, WindowKind::Aggregate(_)) {
            args.push("*".into());
        }
        write!(
            f,
            "{}({}{})",
            self.kind.name(),
            if self.distinct { "DISTINCT " } else { "" },
            args.join(", ")
        )?;
        if self.ignore_nulls {
            f.write_str(" IGNORE NULLS")?;
        }
        if self.kind.uses_frame() {
            write!(f, " {}", self.frame)?;
        }
        Ok(())
    }
}

/// Computes window calls that share a partitioning and an order.
#[derive(Debug, Clone)]
pub struct WindowExec {
    partition_by: Vec<Arc<dyn PhysicalExpr>>,
    order_by: Vec<PhysicalSortExpr>,
    exprs: Vec<WindowExpr>,
    schema: SchemaRef,
    input: Arc<dyn ExecutionPlan>,
    /// The operator's identity ([`ExecutionPlan::node_id`]).
    id: NodeId,
}

impl WindowExec {
    /// The calls `exprs` over `input`, whose partitions each hold whole
    /// window partitions (rows equal in `partition_by`), sorted by
    /// `partition_by` and then `order_by`.
    pub fn new(
        partition_by: Vec<Arc<dyn PhysicalExpr>>,
        order_by: Vec<PhysicalSortExpr>,
        exprs: Vec<WindowExpr>,
        input: Arc<dyn ExecutionPlan>,
    ) -> Self {
        let input_schema = input.schema();
        let mut fields: Vec<Field> = input_schema
            .fields()
            .iter()
            .map(|f| f.as_ref().clone())
            .collect();
        fields.extend(
            exprs
                .iter()
                .map(|e| Field::new(&e.name, e.data_type.clone(), true)),
        );
        Self {
            partition_by,
            order_by,
            exprs,
            schema: Arc::new(Schema::new(fields)),
            input,
            id: NodeId::next(),
        }
    }
}

impl ExecutionPlan for WindowExec {
    crate::node_basics!(input);
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }
    fn output_partitions(&self) -> usize {
        self.input.output_partitions()
    }
    fn column_sources(&self, column: usize) -> Vec<(usize, usize)> {
        if column < self.input.schema().fields().len() {
            vec![(0, column)]
        } else {
            vec![]
        }
    }
    fn details(&self) -> String {
        let calls: Vec<String> = self.exprs.iter().map(|e| e.to_string()).collect();
        let mut text = format!("[{}]", calls.join(", "));
        if !self.partition_by.is_empty() {
            let keys: Vec<String> = self.partition_by.iter().map(|e| e.to_string()).collect();
            text.push_str(&format!(" partition_by=[{}]", keys.join(", ")));
        }
        if !self.order_by.is_empty() {
            let keys: Vec<String> = self.order_by.iter().map(|e| e.to_string()).collect();
            text.push_str(&format!(" order_by=[{}]", keys.join(", ")));
        }
        text
    }
    fn execute(
        &self,
        partition: usize,
        ctx: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let input = execute_child(&self.input, partition, Arc::clone(&ctx))?;
        let key_fields = self
            .partition_by
            .iter()
            .map(|e| SortField::new(e.data_type().clone()))
            .collect();
        let state = Gatherer {
            op: self.clone(),
            converter: RowConverter::new(key_fields)?,
            buffered: vec![],
            last_key: None,
            reservation: ctx.reservation(self.name(), partition),
            batch_size: ctx.batch_size,
            ready: VecDeque::new(),
        };
        let stream = futures::stream::unfold(
            (input, state, false),
            |(mut input, mut state, mut done)| async move {
                loop {
                    if let Some(batch) = state.ready.pop_front() {
                        return Some((Ok(batch), (input, state, done)));
                    }
                    if done {
                        return None;
                    }
                    let step = match input.next().await {
                        Some(Ok(batch)) => state.push(batch),
                        Some(Err(e)) => Err(e),
                        None => {
                            done = true;
                            state.finish()
                        }
                    };
                    if let Err(e) = step {
                        return Some((Err(e), (input, state, true)));
                    }
                }
            },
        );
        Ok(RecordBatchStreamAdapter::boxed(self.schema(), stream))
    }
}

/// Bytes of working memory per row evaluated, whatever the calls.
const SCRATCH_PER_ROW: usize = 24;

/// Bytes of working memory per row evaluated and window call.
const SCRATCH_PER_ROW_AND_CALL: usize = 56;

/// Gathers a partition's input until its window partitions are complete,
/// and evaluates them.
struct Gatherer {
    op: WindowExec,
    /// Encodes the PARTITION BY keys, to compare rows across batches.
    converter: RowConverter,
    /// Input rows whose last window partition may go on in the next batch.
    buffered: Vec<RecordBatch>,
    /// The PARTITION BY key of the last buffered row.
    last_key: Option<OwnedRow>,
    reservation: MemoryReservation,
    batch_size: usize,
    /// Output batches ready to be sent.
    ready: VecDeque<RecordBatch>,
}

impl Gatherer {
    /// Takes in a batch, evaluating the window partitions it completes.
    fn push(&mut self, batch: RecordBatch) -> Result<()> {
        if batch.num_rows() == 0 {
            return Ok(());
        }
        // Room for the rows and for the columns they gain.
        self.reservation.try_grow(2 * batch_memory_size(&batch))?;
        if self.op.partition_by.is_empty() {
            self.buffered.push(batch);
            return Ok(());
        }
        let keys = self
            .op
            .partition_by
            .iter()
            .map(|e| e.evaluate_to_array(&batch))
            .collect::<Result<Vec<ArrayRef>>>()?;
        let rows = self.converter.convert_columns(&keys)?;
        // Where the batch's last window partition starts.
        let last_start = (1..rows.num_rows())
            .rev()
            .find(|&i| rows.row(i) != rows.row(i - 1))
            .unwrap_or(0);
        let continues = last_start == 0
            && self
                .last_key
                .as_ref()
                .is_some_and(|k| k.row() == rows.row(0));
        self.last_key = Some(rows.row(rows.num_rows() - 1).owned());
        if continues {
            self.buffered.push(batch);
            return Ok(());
        }
        self.buffered.push(batch.slice(0, last_start));
        let rest = batch.slice(last_start, batch.num_rows() - last_start);
        self.evaluate_buffered()?;
        self.buffered.push(rest);
        Ok(())
    }

    /// Evaluates what is left at the end of the input.
    fn finish(&mut self) -> Result<()> {
        self.evaluate_buffered()?;
        self.reservation.free();
        Ok(())
    }

    /// Evaluates the buffered rows, which hold whole window partitions.
    fn evaluate_buffered(&mut self) -> Result<()> {
        let batches = std::mem::take(&mut self.buffered);
        let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        if rows > 0 {
            // What evaluation holds besides the rows and the columns they
            // gain (charged with the rows): boundaries, and per call its
            // frames (56 bytes a row, shared by calls with one frame) and
            // running totals.
            let calls = self.op.exprs.len();
            self.reservation
                .try_grow(rows * (SCRATCH_PER_ROW + SCRATCH_PER_ROW_AND_CALL * calls))?;
            let chunk = concat_batches(&self.op.input.schema(), &batches)?;
            drop(batches);
            let out = self.op.evaluate(chunk)?;
            self.ready.extend(slices(out, self.batch_size));
        }
        self.reservation.free();
        Ok(())
    }
}

impl WindowExec {
    /// The window calls over `chunk`, which holds whole window partitions:
    /// its columns and one more per call.
    fn evaluate(&self, chunk: RecordBatch) -> Result<RecordBatch> {
        let eval = |exprs: &mut dyn Iterator<Item = &Arc<dyn PhysicalExpr>>| {
            exprs
                .map(|e| e.evaluate_to_array(&chunk))
                .collect::<Result<Vec<ArrayRef>>>()
        };
        let partition_keys = eval(&mut self.partition_by.iter())?;
        let order_keys = eval(&mut self.order_by.iter().map(|o| &o.expr))?;
        let rows = chunk.num_rows();
        if rows > MAX_WINDOW_ROWS {
            return Err(quiver_expr::QuiverError::NotImplemented(format!(
                "a window partition of {rows} rows (at most {MAX_WINDOW_ROWS})"
            )));
        }
        let partitions = boundaries(&partition_keys, rows)?;
        let all_keys: Vec<ArrayRef> = partition_keys.iter().chain(&order_keys).cloned().collect();
        let peers = boundaries(&all_keys, rows)?;
        let mut group_of = Vec::with_capacity(rows);
        for (g, w) in peers.windows(2).enumerate() {
            group_of.extend(std::iter::repeat_n(g, w[1] - w[0]));
        }
        let layout = Layout {
            partitions: &partitions,
            peers: &peers,
            group_of: &group_of,
        };
        let range_key = match (order_keys.first(), self.order_by.first()) {
            (Some(values), Some(o)) if order_keys.len() == 1 => Some(RangeKey {
                values,
                options: o.options,
            }),
            _ => None,
        };
        let mut computed: Vec<(WindowFrame, Vec<FrameRows>)> = vec![];
        let mut columns = chunk.columns().to_vec();
        for e in &self.exprs {
            let args = eval(&mut e.args.iter())?;
            let frame_rows: &[FrameRows] = if e.kind.uses_frame() {
                let index = match computed.iter().position(|(f, _)| *f == e.frame) {
                    Some(i) => i,
                    None => {
                        let rows = frames(&e.frame, &layout, range_key.as_ref())?;
                        computed.push((e.frame.clone(), rows));
                        computed.len() - 1
                    }
                };
                &computed[index].1
            } else {
                &[]
            };
            let value = match &e.kind {
                WindowKind::Aggregate(func) => FramedAggregate {
                    func,
                    args: &args,
                    distinct: e.distinct,
                }
                .evaluate(&layout, frame_rows)?,
                WindowKind::Function(func) => func.0.evaluate(
                    &args,
                    &WindowRows {
                        partitions: &partitions,
                        peers: &peers,
                        frames: frame_rows,
                        ignore_nulls: e.ignore_nulls,
                    },
                )?,
            };
            columns.push(value);
        }
        Ok(RecordBatch::try_new(Arc::clone(&self.schema), columns)?)
    }
}

/// Where runs of rows equal in every one of `keys` start, then `rows`.
fn boundaries(keys: &[ArrayRef], rows: usize) -> Result<Vec<usize>> {
    if keys.is_empty() {
        return Ok(if rows == 0 { vec![0] } else { vec![0, rows] });
    }
    let ranges = partition(keys)?.ranges();
    let mut out: Vec<usize> = ranges.iter().map(|r| r.start).collect();
    out.push(rows);
    Ok(out)
}
