//! The probe side of a join: pairs each probe row with candidate build rows
//! (equal keys for a hash join, every row for a nested-loop join), keeps the
//! pairs the filter accepts, and produces the output of each join type.

use std::sync::Arc;

use arrow::array::{new_null_array, Array, ArrayRef, BooleanArray, RecordBatch, UInt32Array};
use arrow::compute::{filter_record_batch, take};
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatchOptions;
use quiver_expr::logical_plan::JoinType;
use quiver_expr::{exec_err, Result};

use super::build::{any_null, BuildSide, NO_ROW};
use super::JoinFilter;
use crate::physical_expr::{evaluate_predicate, PhysicalExpr};

/// What the probe side of one join needs, shared by its partitions.
#[derive(Debug, Clone)]
pub(crate) struct ProbeSpec {
    pub(crate) join_type: JoinType,
    /// Probe-side key expressions (empty for a nested-loop join).
    pub(crate) keys: Vec<Arc<dyn PhysicalExpr>>,
    /// The condition beyond the keys.
    pub(crate) filter: Option<JoinFilter>,
    /// The schema of the columns `filter` reads.
    pub(crate) filter_schema: SchemaRef,
    /// NULL-aware anti/mark semantics (`NOT IN`, `IN`).
    pub(crate) null_aware: bool,
    /// What a single join evaluates, for its "more than one row" error.
    pub(crate) single_row_source: String,
    /// The join's output schema.
    pub(crate) schema: SchemaRef,
    pub(crate) batch_size: usize,
}

impl ProbeSpec {
    /// Whether the join outputs (or suppresses) build rows by whether they
    /// matched, so matches must be tracked on the build side.
    pub(crate) fn tracks_build_rows(&self) -> bool {
        matches!(
            self.join_type,
            JoinType::Right | JoinType::Full | JoinType::RightSemi | JoinType::RightAnti
        )
    }

    /// Whether each matching pair is an output row.
    fn outputs_pairs(&self) -> bool {
        matches!(
            self.join_type,
            JoinType::Inner
                | JoinType::Left
                | JoinType::Right
                | JoinType::Full
                | JoinType::LeftSingle
        )
    }

    /// Whether one match per probe row is enough to know its output.
    fn first_match_only(&self) -> bool {
        self.filter.is_none()
            && matches!(
                self.join_type,
                JoinType::LeftSemi | JoinType::LeftAnti | JoinType::LeftMark
            )
    }
}

/// One probe partition's state.
pub(crate) struct Prober {
    spec: ProbeSpec,
    build: Arc<BuildSide>,
    /// Build rows matched by this partition (when tracked).
    visited: Vec<bool>,
    heads: Vec<u32>,
}

/// Pairs of (probe row, build row) being accumulated.
#[derive(Default)]
struct Pairs {
    probe: Vec<u32>,
    build: Vec<u32>,
}

impl Prober {
    pub(crate) fn new(spec: ProbeSpec, build: Arc<BuildSide>) -> Self {
        let visited = if spec.tracks_build_rows() {
            vec![false; build.num_rows()]
        } else {
            vec![]
        };
        Self {
            spec,
            build,
            visited,
            heads: vec![],
        }
    }

    /// The output batches for one probe batch.
    pub(crate) fn probe(&mut self, batch: &RecordBatch) -> Result<Vec<RecordBatch>> {
        let rows = batch.num_rows();
        let keys = self
            .spec
            .keys
            .iter()
            .map(|k| k.evaluate_to_array(batch))
            .collect::<Result<Vec<ArrayRef>>>()?;
        if let Some(table) = &self.build.table {
            table.lookup(&keys, &mut self.heads)?;
        }
        let mut matches = vec![0u32; rows];
        let mut out = vec![];
        let mut pairs = Pairs::default();
        let chunk = self.spec.batch_size.max(1);
        let build_rows = self.build.num_rows() as u32;
        let build = Arc::clone(&self.build);
        for row in 0..rows {
            match &build.table {
                Some(table) => {
                    let mut b = self.heads[row];
                    while b != NO_ROW {
                        pairs.probe.push(row as u32);
                        pairs.build.push(b);
                        if self.spec.first_match_only() {
                            break;
                        }
                        b = table.next(b);
                        if pairs.probe.len() >= chunk {
                            self.flush(batch, &mut pairs, &mut matches, &mut out)?;
                        }
                    }
                }
                None => {
                    for b in 0..build_rows {
                        pairs.probe.push(row as u32);
                        pairs.build.push(b);
                        if pairs.probe.len() >= chunk {
                            self.flush(batch, &mut pairs, &mut matches, &mut out)?;
                        }
                    }
                }
            }
            if pairs.probe.len() >= chunk {
                self.flush(batch, &mut pairs, &mut matches, &mut out)?;
            }
        }
        self.flush(batch, &mut pairs, &mut matches, &mut out)?;
        self.probe_side_output(batch, &keys, &matches, &mut out)?;
        Ok(out)
    }

    /// Applies the filter to the accumulated pairs, counts matches, and
    /// outputs the pairs if the join type wants them.
    fn flush(
        &mut self,
        batch: &RecordBatch,
        pairs: &mut Pairs,
        matches: &mut [u32],
        out: &mut Vec<RecordBatch>,
    ) -> Result<()> {
        if pairs.probe.is_empty() {
            return Ok(());
        }
        let mut probe_idx = UInt32Array::from(std::mem::take(&mut pairs.probe));
        let mut build_idx = UInt32Array::from(std::mem::take(&mut pairs.build));
        if let Some(filter) = &self.spec.filter {
            let probe_width = batch.num_columns();
            let columns = filter
                .columns
                .iter()
                .map(|&c| {
                    Ok(if c < probe_width {
                        take(batch.column(c).as_ref(), &probe_idx, None)?
                    } else {
                        take(
                            self.build.batch.column(c - probe_width).as_ref(),
                            &build_idx,
                            None,
                        )?
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let options = RecordBatchOptions::new().with_row_count(Some(probe_idx.len()));
            let used = RecordBatch::try_new_with_options(
                Arc::clone(&self.spec.filter_schema),
                columns,
                &options,
            )?;
            let keep = evaluate_predicate(filter.expr.as_ref(), &used)?;
            let keep = without_nulls(keep);
            probe_idx = downcast_u32(arrow::compute::filter(&probe_idx, &keep)?)?;
            build_idx = downcast_u32(arrow::compute::filter(&build_idx, &keep)?)?;
        }
        for &p in probe_idx.values() {
            matches[p as usize] += 1;
        }
        if !self.visited.is_empty() {
            for &b in build_idx.values() {
                self.visited[b as usize] = true;
            }
        }
        if self.spec.outputs_pairs() && !probe_idx.is_empty() {
            out.push(self.combine(batch, &probe_idx, &build_idx, Arc::clone(&self.spec.schema))?);
        }
        Ok(())
    }

    /// Probe columns taken at `probe_idx` next to build columns taken at
    /// `build_idx` (NULL where an index is NULL).
    fn combine(
        &self,
        batch: &RecordBatch,
        probe_idx: &UInt32Array,
        build_idx: &UInt32Array,
        schema: SchemaRef,
    ) -> Result<RecordBatch> {
        let mut columns = Vec::with_capacity(schema.fields().len());
        for c in batch.columns() {
            columns.push(take(c.as_ref(), probe_idx, None)?);
        }
        for c in self.build.batch.columns() {
            columns.push(take(c.as_ref(), build_idx, None)?);
        }
        Ok(RecordBatch::try_new(schema, columns)?)
    }

    /// Output decided per probe row once all its pairs are known.
    fn probe_side_output(
        &self,
        batch: &RecordBatch,
        keys: &[ArrayRef],
        matches: &[u32],
        out: &mut Vec<RecordBatch>,
    ) -> Result<()> {
        let rows = batch.num_rows();
        let build_empty = self.build.num_rows() == 0;
        let build_has_null = self.build.table.as_ref().is_some_and(|t| t.has_null_key());
        let key_null = |row: usize| any_null(keys, row);
        match self.spec.join_type {
            JoinType::LeftSingle => {
                if matches.iter().any(|&m| m > 1) {
                    return exec_err!("{} returned more than one row", self.spec.single_row_source);
                }
                self.unmatched_probe_rows(batch, matches, out)
            }
            JoinType::Left | JoinType::Full => self.unmatched_probe_rows(batch, matches, out),
            JoinType::LeftSemi => {
                let keep: BooleanArray = matches.iter().map(|&m| Some(m > 0)).collect();
                push_nonempty(out, filter_record_batch(batch, &keep)?);
                Ok(())
            }
            JoinType::LeftAnti => {
                let keep: BooleanArray = if self.spec.null_aware && !build_empty {
                    (0..rows)
                        .map(|r| Some(matches[r] == 0 && !build_has_null && !key_null(r)))
                        .collect()
                } else {
                    matches.iter().map(|&m| Some(m == 0)).collect()
                };
                push_nonempty(out, filter_record_batch(batch, &keep)?);
                Ok(())
            }
            JoinType::LeftMark => {
                let mark: BooleanArray = (0..rows)
                    .map(|r| {
                        if matches[r] > 0 {
                            Some(true)
                        } else if self.spec.null_aware
                            && !build_empty
                            && (build_has_null || key_null(r))
                        {
                            None
                        } else {
                            Some(false)
                        }
                    })
                    .collect();
                let mut columns = batch.columns().to_vec();
                columns.push(Arc::new(mark));
                if rows > 0 {
                    out.push(RecordBatch::try_new(
                        Arc::clone(&self.spec.schema),
                        columns,
                    )?);
                }
                Ok(())
            }
            JoinType::Inner | JoinType::Right | JoinType::RightSemi | JoinType::RightAnti => Ok(()),
        }
    }

    /// Probe rows without a match, with NULL build columns.
    fn unmatched_probe_rows(
        &self,
        batch: &RecordBatch,
        matches: &[u32],
        out: &mut Vec<RecordBatch>,
    ) -> Result<()> {
        let rows: Vec<u32> = (0..batch.num_rows() as u32)
            .filter(|&r| matches[r as usize] == 0)
            .collect();
        if rows.is_empty() {
            return Ok(());
        }
        let probe_idx = UInt32Array::from(rows);
        let build_idx = UInt32Array::new_null(probe_idx.len());
        out.push(self.combine(batch, &probe_idx, &build_idx, Arc::clone(&self.spec.schema))?);
        Ok(())
    }

    /// Output after the whole probe partition: build rows by whether any
    /// partition matched them, produced by the partition that finishes last.
    pub(crate) fn finish(&mut self, probe_schema: &SchemaRef) -> Result<Vec<RecordBatch>> {
        if !self.spec.tracks_build_rows() {
            return Ok(vec![]);
        }
        let Some(visited) = self.build.finish_probe(&self.visited) else {
            return Ok(vec![]);
        };
        let wanted = matches!(self.spec.join_type, JoinType::RightSemi);
        let rows: Vec<u32> = (0..visited.len() as u32)
            .filter(|&r| visited[r as usize] == wanted)
            .collect();
        let mut out = vec![];
        for chunk in rows.chunks(self.spec.batch_size.max(1)) {
            let build_idx = UInt32Array::from(chunk.to_vec());
            let mut columns = vec![];
            if self.spec.join_type.outputs_left() {
                for f in probe_schema.fields() {
                    columns.push(new_null_array(f.data_type(), chunk.len()));
                }
            }
            for c in self.build.batch.columns() {
                columns.push(take(c.as_ref(), &build_idx, None)?);
            }
            out.push(RecordBatch::try_new(
                Arc::clone(&self.spec.schema),
                columns,
            )?);
        }
        Ok(out)
    }
}

fn push_nonempty(out: &mut Vec<RecordBatch>, batch: RecordBatch) {
    if batch.num_rows() > 0 {
        out.push(batch);
    }
}

/// A filter mask with NULL read as false.
fn without_nulls(mask: BooleanArray) -> BooleanArray {
    match mask.nulls() {
        None => mask,
        Some(_) => mask.iter().map(|v| Some(v == Some(true))).collect(),
    }
}

fn downcast_u32(array: ArrayRef) -> Result<UInt32Array> {
    match array.as_any().downcast_ref::<UInt32Array>() {
        Some(a) => Ok(a.clone()),
        None => exec_err!("join index array is not UInt32"),
    }
}
