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

/// At most this many chunks of candidate pairs are filtered in one step
/// of [`Prober::step`] when none of them is output, so that a selective
/// nested-loop join still returns to its caller (and can be cancelled)
/// often.
const MAX_CHUNKS_PER_STEP: usize = 8;

/// One probe partition's state.
pub(crate) struct Prober {
    spec: ProbeSpec,
    build: Arc<BuildSide>,
    /// Build rows matched by this partition (when tracked).
    visited: Vec<bool>,
    /// The first candidate build row of each row of the current batch (a
    /// hash join's).
    heads: Vec<u32>,
    /// The probe batch being paired, if any.
    cursor: Option<ProbeCursor>,
}

/// A probe batch part-way through pairing: where the next step resumes.
struct ProbeCursor {
    batch: RecordBatch,
    /// The batch's key columns.
    keys: Vec<ArrayRef>,
    /// Accepted pairs per probe row so far.
    matches: Vec<u32>,
    /// The probe row being paired.
    row: usize,
    /// The next candidate build row of `row`, or `None` when `row` has not
    /// started.
    next_build: Option<u32>,
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
            cursor: None,
        }
    }

    /// Whether the join outputs no row whatever the probe side holds: an
    /// inner or semi join with no build rows, or `x NOT IN (…)` whose rows
    /// hold a NULL (then it is never true). The probe side need not be
    /// read.
    pub(crate) fn outputs_nothing(&self) -> bool {
        let build_empty = self.build.num_rows() == 0;
        match self.spec.join_type {
            JoinType::Inner | JoinType::LeftSemi => build_empty,
            JoinType::LeftAnti if self.spec.null_aware => {
                !build_empty && self.build.table.as_ref().is_some_and(|t| t.has_null_key())
            }
            _ => false,
        }
    }

    /// Whether a probe batch is part-way through: call [`Prober::step`]
    /// until it is not before starting the next one.
    pub(crate) fn is_probing(&self) -> bool {
        self.cursor.is_some()
    }

    /// Starts pairing the rows of `batch`; [`Prober::step`] produces the
    /// output.
    pub(crate) fn start(&mut self, batch: RecordBatch) -> Result<()> {
        let keys = self
            .spec
            .keys
            .iter()
            .map(|k| k.evaluate_to_array(&batch))
            .collect::<Result<Vec<ArrayRef>>>()?;
        if let Some(table) = &self.build.table {
            table.lookup(&keys, &mut self.heads)?;
        }
        self.cursor = Some(ProbeCursor {
            matches: vec![0; batch.num_rows()],
            batch,
            keys,
            row: 0,
            next_build: None,
        });
        Ok(())
    }

    /// Pairs more rows of the current batch and returns their output: stops
    /// after the first chunk of pairs that gives output (or a few that give
    /// none), so that the output of a probe batch never has to be held at
    /// once, however many build rows each probe row meets. The batch is
    /// done when [`Prober::is_probing`] turns false.
    pub(crate) fn step(&mut self) -> Result<Vec<RecordBatch>> {
        let Some(mut cursor) = self.cursor.take() else {
            return Ok(vec![]);
        };
        let chunk = self.spec.batch_size.max(1);
        let mut out = vec![];
        let mut pairs = Pairs::default();
        let mut chunks = 0;
        while cursor.row < cursor.batch.num_rows() {
            let row = cursor.row;
            let mut b = match cursor.next_build.take() {
                Some(b) => b,
                None => self.first_candidate(row),
            };
            while b != NO_ROW {
                pairs.probe.push(row as u32);
                pairs.build.push(b);
                b = self.next_candidate(b);
                if pairs.probe.len() >= chunk {
                    self.flush(&cursor.batch, &mut pairs, &mut cursor.matches, &mut out)?;
                    chunks += 1;
                    if !out.is_empty() || chunks >= MAX_CHUNKS_PER_STEP {
                        if b == NO_ROW {
                            cursor.row += 1;
                        } else {
                            cursor.next_build = Some(b);
                        }
                        self.cursor = Some(cursor);
                        return Ok(out);
                    }
                }
            }
            cursor.row += 1;
        }
        self.flush(&cursor.batch, &mut pairs, &mut cursor.matches, &mut out)?;
        self.probe_side_output(&cursor.batch, &cursor.keys, &cursor.matches, &mut out)?;
        Ok(out)
    }

    /// The first build row to pair with probe row `row` of the current
    /// batch ([`NO_ROW`] if none): the head of its key's chain, or the
    /// first build row of a nested-loop join.
    fn first_candidate(&self, row: usize) -> u32 {
        match &self.build.table {
            Some(_) => self.heads[row],
            None if self.build.num_rows() > 0 => 0,
            None => NO_ROW,
        }
    }

    /// The build row to pair after `b` with the same probe row.
    fn next_candidate(&self, b: u32) -> u32 {
        if self.spec.first_match_only() {
            return NO_ROW;
        }
        match &self.build.table {
            Some(table) => table.next(b),
            None if (b as usize) + 1 < self.build.num_rows() => b + 1,
            None => NO_ROW,
        }
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Int64Array, RecordBatch};
    use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
    use quiver_expr::logical_plan::JoinType;

    use super::{ProbeSpec, Prober};
    use crate::memory_pool::MemoryPool;
    use crate::operators::join::build::BuildSide;
    use crate::physical_expr::{ColumnExpr, PhysicalExpr};

    fn column(name: &str, values: impl IntoIterator<Item = i64>) -> (SchemaRef, RecordBatch) {
        let schema = Arc::new(Schema::new(vec![Field::new(name, DataType::Int64, false)]));
        let values: Int64Array = values.into_iter().collect();
        let batch = RecordBatch::try_new(Arc::clone(&schema), vec![Arc::new(values)]).unwrap();
        (schema, batch)
    }

    /// A prober of `join_type` over 300 build rows that all share one key,
    /// producing batches of at most 100 rows.
    fn prober(join_type: JoinType, hashed: bool) -> Prober {
        let (build_schema, build_rows) = column("b", std::iter::repeat_n(7, 300));
        let key: Arc<dyn PhysicalExpr> = Arc::new(ColumnExpr::new("k", 0, DataType::Int64));
        let keys = if hashed { vec![key] } else { vec![] };
        let pool = Arc::new(MemoryPool::new(None));
        let build = BuildSide::from_batches(
            &[build_rows],
            &build_schema,
            &keys,
            hashed,
            1,
            pool.reservation("test build side"),
        )
        .unwrap();
        let schema = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Int64, false),
            Field::new("b", DataType::Int64, true),
        ]));
        let spec = ProbeSpec {
            join_type,
            keys: keys.clone(),
            filter: None,
            filter_schema: Arc::new(Schema::empty()),
            null_aware: false,
            single_row_source: "a scalar subquery".into(),
            schema,
            batch_size: 100,
        };
        Prober::new(spec, Arc::new(build))
    }

    /// Steps through one probe batch, checking that no step returns more
    /// than one batch's worth of rows; returns the total rows.
    fn rows_stepping_through(prober: &mut Prober, probe: RecordBatch) -> usize {
        prober.start(probe).unwrap();
        let mut total = 0;
        while prober.is_probing() {
            let out = prober.step().unwrap();
            let rows: usize = out.iter().map(RecordBatch::num_rows).sum();
            assert!(rows <= 100 + 50, "one step returned {rows} rows");
            total += rows;
        }
        total
    }

    #[test]
    fn a_probe_batch_meeting_many_build_rows_is_output_a_batch_at_a_time() {
        for hashed in [true, false] {
            let (_, probe) = column("k", std::iter::repeat_n(7, 50));
            let mut inner = prober(JoinType::Inner, hashed);
            assert_eq!(rows_stepping_through(&mut inner, probe.clone()), 50 * 300);
            let mut left = prober(JoinType::Left, hashed);
            assert_eq!(rows_stepping_through(&mut left, probe.clone()), 50 * 300);
            let mut semi = prober(JoinType::LeftSemi, hashed);
            assert_eq!(rows_stepping_through(&mut semi, probe), 50);
        }
    }

    #[test]
    fn probe_rows_without_candidates_still_get_their_own_output() {
        let (_, probe) = column("k", [1, 2, 7]);
        let mut left = prober(JoinType::Left, true);
        assert_eq!(rows_stepping_through(&mut left, probe.clone()), 2 + 300);
        let mut anti = prober(JoinType::LeftAnti, true);
        assert_eq!(rows_stepping_through(&mut anti, probe), 2);
    }
}
