//! Aggregates over frames. A frame that is its whole partition is one group
//! per partition; any other frame is answered from a segment tree of the
//! aggregate's intermediate states (each node holds the state of a run of
//! rows; a frame is a few nodes and at most a few rows at each end), which
//! costs O(n log n) for any frames, and works for every aggregate that can
//! merge states; aggregates whose states add up take running sums instead
//! (`running_sums.rs`, O(n)). `DISTINCT` keeps the first of equal values.

use std::collections::HashSet;

use arrow::array::{Array, ArrayRef, BooleanArray, UInt32Array};
use arrow::compute::{nullif, take};
use arrow::datatypes::DataType;
use arrow::row::{RowConverter, Rows, SortField};
use quiver_expr::window::FrameRows;
use quiver_expr::{AggregateFunctionRef, GroupsAccumulator, Result};

use super::frames::Layout;
use super::running_sums;

/// How many nodes (or rows) a node of the segment tree merges.
const FANOUT: usize = 8;

/// How many rows' frames are merged at once (bounding the memory of the
/// node lists).
const BLOCK_ROWS: usize = 8192;

/// One aggregate call over frames.
pub(crate) struct FramedAggregate<'a> {
    /// The function.
    pub func: &'a AggregateFunctionRef,
    /// The arguments' values (empty for `count(*)`).
    pub args: &'a [ArrayRef],
    /// `DISTINCT`.
    pub distinct: bool,
}

impl FramedAggregate<'_> {
    /// The aggregate over every row's frame.
    pub(crate) fn evaluate(&self, layout: &Layout<'_>, frames: &[FrameRows]) -> Result<ArrayRef> {
        let whole = frames_are_partitions(layout, frames);
        let args = if self.distinct {
            let firsts = FirstOccurrences::new(self.args, layout)?;
            if whole || frames_start_at_partitions(layout, frames) {
                // Only the first of equal values counts; NULL is skipped.
                let masked = nullif(&self.args[0], &firsts.repeated)?;
                [vec![masked], self.args[1..].to_vec()].concat()
            } else {
                return self.gathering(Some(&firsts.rows), frames);
            }
        } else {
            self.args.to_vec()
        };
        if whole {
            return self.per_partition(&args, layout);
        }
        if self.func.0.holistic() {
            return self.gathering(None, frames);
        }
        let types: Vec<DataType> = args.iter().map(|a| a.data_type().clone()).collect();
        if self.func.0.additive_state(&types) {
            return running_sums::over_frames(self.func, &args, frames);
        }
        let tree = SegmentTree::build(self.func, &args, frames.len())?;
        let mut results = vec![];
        for block in frames.chunks(BLOCK_ROWS) {
            results.push(tree.query(self.func, &args, block)?);
        }
        concat(&results)
    }

    fn accumulator(&self, args: &[ArrayRef]) -> Result<Box<dyn GroupsAccumulator>> {
        let types: Vec<DataType> = args.iter().map(|a| a.data_type().clone()).collect();
        self.func.0.create_accumulator(&types)
    }

    /// One value per partition, repeated for its rows.
    fn per_partition(&self, args: &[ArrayRef], layout: &Layout<'_>) -> Result<ArrayRef> {
        let partitions = layout.partitions.len().saturating_sub(1);
        let mut groups = Vec::with_capacity(layout.group_of.len());
        for (i, w) in layout.partitions.windows(2).enumerate() {
            groups.extend(std::iter::repeat_n(i, w[1] - w[0]));
        }
        let mut acc = self.accumulator(args)?;
        acc.update_batch(args, &groups, partitions)?;
        let values = acc.evaluate()?;
        let indices = UInt32Array::from_iter_values(groups.iter().map(|&g| g as u32));
        Ok(take(&values, &indices, None)?)
    }

    /// Frames of any shape for aggregates that cannot merge states
    /// (DISTINCT, holistic ones): each row's frame is walked, and its rows
    /// are added to the row's group; with `distinct_rows` (the argument
    /// values, encoded), only values the frame has not yet met.
    fn gathering(&self, distinct_rows: Option<&Rows>, frames: &[FrameRows]) -> Result<ArrayRef> {
        let mut results = vec![];
        for block in frames.chunks(BLOCK_ROWS) {
            let (mut picked, mut groups) = (vec![], vec![]);
            for (g, frame) in block.iter().enumerate() {
                let mut seen = HashSet::new();
                for r in frame.ranges().flatten() {
                    if distinct_rows.is_none_or(|rows| seen.insert(rows.row(r))) {
                        picked.push(r as u32);
                        groups.push(g);
                    }
                }
            }
            let indices = UInt32Array::from(picked);
            let taken = take_all(self.args, &indices)?;
            let mut acc = self.accumulator(self.args)?;
            acc.update_batch(&taken, &groups, block.len())?;
            results.push(acc.evaluate()?);
        }
        concat(&results)
    }
}

/// Whether every row's frame is exactly its partition.
fn frames_are_partitions(layout: &Layout<'_>, frames: &[FrameRows]) -> bool {
    each_row_with_partition(layout, frames).all(|(p, f)| f == FrameRows::new(p.start, p.end))
}

/// Whether every row's frame is one run of rows from its partition's start.
fn frames_start_at_partitions(layout: &Layout<'_>, frames: &[FrameRows]) -> bool {
    each_row_with_partition(layout, frames).all(|(p, f)| {
        let mut ranges = f.ranges();
        match (ranges.next(), ranges.next()) {
            (None, _) => true,
            (Some(r), None) => r.start == p.start,
            _ => false,
        }
    })
}

/// Each row's partition and frame.
fn each_row_with_partition<'a>(
    layout: &'a Layout<'_>,
    frames: &'a [FrameRows],
) -> impl Iterator<Item = (std::ops::Range<usize>, FrameRows)> + 'a {
    layout
        .partitions
        .windows(2)
        .flat_map(|w| (w[0]..w[1]).map(move |r| (w[0]..w[1], r)))
        .map(|(p, r)| (p, frames[r]))
}

/// The arguments of DISTINCT as comparable rows, and which rows repeat a
/// value seen earlier in their partition.
struct FirstOccurrences {
    rows: Rows,
    repeated: BooleanArray,
}

impl FirstOccurrences {
    fn new(args: &[ArrayRef], layout: &Layout<'_>) -> Result<Self> {
        let fields = args
            .iter()
            .map(|a| SortField::new(a.data_type().clone()))
            .collect();
        let rows = RowConverter::new(fields)?.convert_columns(args)?;
        let mut repeated = Vec::with_capacity(rows.num_rows());
        for w in layout.partitions.windows(2) {
            let mut seen = HashSet::new();
            for r in w[0]..w[1] {
                repeated.push(!seen.insert(rows.row(r)));
            }
        }
        Ok(Self {
            rows,
            repeated: BooleanArray::from(repeated),
        })
    }
}

/// `take` of every array.
fn take_all(arrays: &[ArrayRef], indices: &UInt32Array) -> Result<Vec<ArrayRef>> {
    arrays.iter().map(|a| Ok(take(a, indices, None)?)).collect()
}

fn concat(results: &[ArrayRef]) -> Result<ArrayRef> {
    let parts: Vec<&dyn Array> = results.iter().map(|a| a.as_ref()).collect();
    Ok(arrow::compute::concat(&parts)?)
}

/// The intermediate states of runs of rows: level 0 holds one state per
/// [`FANOUT`] rows, each level above one per [`FANOUT`] nodes below.
struct SegmentTree {
    levels: Vec<Vec<ArrayRef>>,
}

/// The rows or nodes that make up the frames of a block of rows, and the
/// row (group) each belongs to.
#[derive(Default)]
struct Picks {
    units: Vec<u32>,
    groups: Vec<usize>,
}

impl SegmentTree {
    /// The tree over `rows` rows of `args` (no arguments for `count(*)`).
    fn build(func: &AggregateFunctionRef, args: &[ArrayRef], rows: usize) -> Result<Self> {
        let types: Vec<DataType> = args.iter().map(|a| a.data_type().clone()).collect();
        let mut levels: Vec<Vec<ArrayRef>> = vec![];
        let mut count = rows;
        while count > 1 || levels.is_empty() {
            let nodes = count.div_ceil(FANOUT).max(1);
            let groups: Vec<usize> = (0..count).map(|i| i / FANOUT).collect();
            let mut acc = func.0.create_accumulator(&types)?;
            match levels.last() {
                None => acc.update_batch(args, &groups, nodes)?,
                Some(below) => acc.merge_batch(below, &groups, nodes)?,
            }
            levels.push(acc.state()?);
            count = nodes;
            if nodes == 1 {
                break;
            }
        }
        Ok(Self { levels })
    }

    /// The aggregate over each frame of `block`.
    fn query(
        &self,
        func: &AggregateFunctionRef,
        args: &[ArrayRef],
        block: &[FrameRows],
    ) -> Result<ArrayRef> {
        let mut rows = Picks::default();
        let mut nodes: Vec<Picks> = self.levels.iter().map(|_| Picks::default()).collect();
        for (g, frame) in block.iter().enumerate() {
            for range in frame.ranges() {
                self.decompose(range.start, range.end, |level, unit| {
                    let picks = match level {
                        None => &mut rows,
                        Some(l) => &mut nodes[l],
                    };
                    picks.units.push(unit as u32);
                    picks.groups.push(g);
                });
            }
        }
        let types: Vec<DataType> = args.iter().map(|a| a.data_type().clone()).collect();
        let mut acc = func.0.create_accumulator(&types)?;
        let values = take_all(args, &UInt32Array::from(rows.units))?;
        acc.update_batch(&values, &rows.groups, block.len())?;
        for (level, picks) in self.levels.iter().zip(nodes) {
            if picks.units.is_empty() {
                continue;
            }
            let states = take_all(level, &UInt32Array::from(picks.units))?;
            acc.merge_batch(&states, &picks.groups, block.len())?;
        }
        acc.evaluate()
    }

    /// Splits the rows `start..end` into whole nodes, as high in the tree as
    /// they reach, and single rows at the ends: `emit(None, row)` for a row,
    /// `emit(Some(level), node)` for a node.
    fn decompose(&self, start: usize, end: usize, mut emit: impl FnMut(Option<usize>, usize)) {
        let (mut lo, mut hi) = (start, end);
        let mut level: Option<usize> = None;
        while lo < hi {
            let next = level.map_or(0, |l| l + 1);
            let (up_lo, down_hi) = (lo.div_ceil(FANOUT) * FANOUT, hi / FANOUT * FANOUT);
            if up_lo >= down_hi || next >= self.levels.len() {
                (lo..hi).for_each(|u| emit(level, u));
                return;
            }
            (lo..up_lo).for_each(|u| emit(level, u));
            (down_hi..hi).for_each(|u| emit(level, u));
            lo = up_lo / FANOUT;
            hi = down_hi / FANOUT;
            level = Some(next);
        }
    }
}
