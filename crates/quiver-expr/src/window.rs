//! Window calls (`f(..) OVER (PARTITION BY .. ORDER BY .. frame)`): what a
//! call computes, its frame, and the rows a window function sees when it
//! is evaluated.

use std::fmt;
use std::hash::Hash;
use std::ops::Range;
use std::sync::Arc;

use datafusion_common::ScalarValue;

use crate::expr::{AggregateFunctionRef, Expr, SortExpr};
use crate::function::WindowFunction;

/// A handle to a window function, compared and hashed by name.
#[derive(Debug, Clone)]
pub struct WindowFunctionRef(pub Arc<dyn WindowFunction>);

crate::expr::compare_by_name!(WindowFunctionRef);

/// What a window call computes at each row.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum WindowKind {
    /// An aggregate over the rows of the row's frame.
    Aggregate(AggregateFunctionRef),
    /// A window function (ranking, lag/lead, first_value...).
    Function(WindowFunctionRef),
}

impl WindowKind {
    /// The function's name.
    pub fn name(&self) -> &str {
        match self {
            WindowKind::Aggregate(f) => f.0.name(),
            WindowKind::Function(f) => f.0.name(),
        }
    }

    /// Whether the result at a row depends on the row's frame.
    pub fn uses_frame(&self) -> bool {
        match self {
            WindowKind::Aggregate(_) => true,
            WindowKind::Function(f) => f.0.uses_frame(),
        }
    }
}

/// How a frame's extent is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrameUnits {
    /// In rows.
    Rows,
    /// In values of the (single) ORDER BY key; a bound without an offset
    /// reaches to the edge of the current row's peers.
    Range,
    /// In groups of peers (rows equal in every ORDER BY key).
    Groups,
}

/// One end of a frame.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum FrameBound {
    /// The partition's first row.
    UnboundedPreceding,
    /// This far before the current row (rows, groups or a value distance);
    /// never negative or NULL.
    Preceding(ScalarValue),
    /// The current row (for RANGE and GROUPS: its peers).
    CurrentRow,
    /// This far after the current row.
    Following(ScalarValue),
    /// The partition's last row.
    UnboundedFollowing,
}

/// Rows taken out of a frame (`EXCLUDE ...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrameExclusion {
    /// `EXCLUDE NO OTHERS` (the default): nothing.
    NoOthers,
    /// `EXCLUDE CURRENT ROW`.
    CurrentRow,
    /// `EXCLUDE GROUP`: the current row and its peers.
    Group,
    /// `EXCLUDE TIES`: the current row's peers but not the row itself.
    Ties,
}

/// The rows of its partition that a row's window aggregate or value
/// function sees.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WindowFrame {
    /// How the extent is measured.
    pub units: FrameUnits,
    /// The first row.
    pub start: FrameBound,
    /// The last row.
    pub end: FrameBound,
    /// Rows taken out.
    pub exclusion: FrameExclusion,
}

impl WindowFrame {
    /// The frame the standard gives a call without one: with ORDER BY, from
    /// the partition's start to the current row's last peer; without, the
    /// whole partition.
    pub fn default_for(has_order: bool) -> Self {
        Self {
            units: FrameUnits::Range,
            start: FrameBound::UnboundedPreceding,
            end: if has_order {
                FrameBound::CurrentRow
            } else {
                FrameBound::UnboundedFollowing
            },
            exclusion: FrameExclusion::NoOthers,
        }
    }

    /// Whether every row's frame is its whole partition, whatever the order.
    pub fn is_whole_partition(&self) -> bool {
        self.start == FrameBound::UnboundedPreceding
            && self.end == FrameBound::UnboundedFollowing
            && self.exclusion == FrameExclusion::NoOthers
    }
}

impl fmt::Display for FrameBound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameBound::UnboundedPreceding => f.write_str("UNBOUNDED PRECEDING"),
            FrameBound::Preceding(n) => write!(f, "{} PRECEDING", Expr::Literal(n.clone())),
            FrameBound::CurrentRow => f.write_str("CURRENT ROW"),
            FrameBound::Following(n) => write!(f, "{} FOLLOWING", Expr::Literal(n.clone())),
            FrameBound::UnboundedFollowing => f.write_str("UNBOUNDED FOLLOWING"),
        }
    }
}

impl fmt::Display for WindowFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let units = match self.units {
            FrameUnits::Rows => "ROWS",
            FrameUnits::Range => "RANGE",
            FrameUnits::Groups => "GROUPS",
        };
        write!(f, "{units} BETWEEN {} AND {}", self.start, self.end)?;
        match self.exclusion {
            FrameExclusion::NoOthers => Ok(()),
            FrameExclusion::CurrentRow => f.write_str(" EXCLUDE CURRENT ROW"),
            FrameExclusion::Group => f.write_str(" EXCLUDE GROUP"),
            FrameExclusion::Ties => f.write_str(" EXCLUDE TIES"),
        }
    }
}

/// A window call: `kind(args) OVER (PARTITION BY .. ORDER BY .. frame)`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct WindowCall {
    /// What is computed.
    pub kind: WindowKind,
    /// The arguments.
    pub args: Vec<Expr>,
    /// `DISTINCT` inside an aggregate's call.
    pub distinct: bool,
    /// `IGNORE NULLS` (value functions only).
    pub ignore_nulls: bool,
    /// Rows with equal values of these are one partition.
    pub partition_by: Vec<Expr>,
    /// The order of the rows within a partition.
    pub order_by: Vec<SortExpr>,
    /// The frame of each row.
    pub frame: WindowFrame,
}

impl WindowCall {
    /// Whether `other` can be computed by the same operator: the same
    /// partitioning and order.
    pub fn same_window(&self, other: &WindowCall) -> bool {
        self.partition_by == other.partition_by && self.order_by == other.order_by
    }
}

/// The frame of one row: up to three ranges of row positions in the rows
/// being evaluated, in order and not overlapping (three when `EXCLUDE
/// TIES` keeps the current row between the parts before and after its
/// peers). Positions are kept in 32 bits (28 bytes a row, as every row of
/// a window partition has one); the rows evaluated at once are fewer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FrameRows {
    ranges: [(u32, u32); 3],
    len: u8,
}

/// The most rows a window evaluates at once (positions fit 32 bits).
pub const MAX_WINDOW_ROWS: usize = u32::MAX as usize;

impl FrameRows {
    /// The rows `start..end` (empty when `end <= start`).
    pub fn new(start: usize, end: usize) -> Self {
        let mut f = Self::default();
        f.push(start, end);
        f
    }

    /// Adds the rows `start..end` after those held (nothing when empty).
    pub fn push(&mut self, start: usize, end: usize) {
        if end > start && (self.len as usize) < self.ranges.len() {
            self.ranges[self.len as usize] = (start as u32, end as u32);
            self.len += 1;
        }
    }

    /// The ranges, in order.
    pub fn ranges(&self) -> impl Iterator<Item = Range<usize>> + '_ {
        self.ranges[..self.len as usize]
            .iter()
            .map(|&(s, e)| s as usize..e as usize)
    }

    /// How many rows the frame holds.
    pub fn count(&self) -> usize {
        self.ranges().map(|r| r.len()).sum()
    }

    /// The position of the frame's `n`th row (0-based), if it has one.
    pub fn nth(&self, mut n: usize) -> Option<usize> {
        for r in self.ranges() {
            if n < r.len() {
                return Some(r.start + n);
            }
            n -= r.len();
        }
        None
    }

    /// The position of the frame's `n`th row counted from its end
    /// (0 is the last row), if it has one.
    pub fn nth_from_end(&self, mut n: usize) -> Option<usize> {
        let ranges: Vec<Range<usize>> = self.ranges().collect();
        for r in ranges.into_iter().rev() {
            if n < r.len() {
                return Some(r.end - 1 - n);
            }
            n -= r.len();
        }
        None
    }
}

/// The rows a window function is evaluated over: one or more whole
/// partitions, laid end to end and sorted by the window's ORDER BY within
/// each.
#[derive(Debug, Clone, Copy)]
pub struct WindowRows<'a> {
    /// Where each partition starts, then the number of rows.
    pub partitions: &'a [usize],
    /// Where each group of peers starts, then the number of rows; a
    /// partition's start is always a group's start.
    pub peers: &'a [usize],
    /// Each row's frame, for functions that use one (empty otherwise).
    pub frames: &'a [FrameRows],
    /// `IGNORE NULLS` was given.
    pub ignore_nulls: bool,
}

impl WindowRows<'_> {
    /// The number of rows.
    pub fn len(&self) -> usize {
        self.partitions.last().copied().unwrap_or(0)
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The row ranges of the partitions, in order.
    pub fn partition_ranges(&self) -> impl Iterator<Item = Range<usize>> + '_ {
        self.partitions.windows(2).map(|w| w[0]..w[1])
    }

    /// The row ranges of the peer groups, in order.
    pub fn peer_ranges(&self) -> impl Iterator<Item = Range<usize>> + '_ {
        self.peers.windows(2).map(|w| w[0]..w[1])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_rows_count_and_index_across_ranges() {
        let mut f = FrameRows::new(2, 4);
        f.push(5, 5);
        f.push(6, 9);
        assert_eq!(f.count(), 5);
        assert_eq!(f.nth(0), Some(2));
        assert_eq!(f.nth(2), Some(6));
        assert_eq!(f.nth(5), None);
        assert_eq!(f.nth_from_end(0), Some(8));
        assert_eq!(f.nth_from_end(3), Some(3));
        assert_eq!(f.nth_from_end(5), None);
        assert_eq!(FrameRows::new(3, 1).count(), 0);
    }

    #[test]
    fn frames_print_as_sql() {
        let frame = WindowFrame {
            units: FrameUnits::Rows,
            start: FrameBound::Preceding(ScalarValue::UInt64(Some(6))),
            end: FrameBound::CurrentRow,
            exclusion: FrameExclusion::Ties,
        };
        assert_eq!(
            frame.to_string(),
            "ROWS BETWEEN 6 PRECEDING AND CURRENT ROW EXCLUDE TIES"
        );
        assert!(WindowFrame::default_for(false).is_whole_partition());
        assert!(!WindowFrame::default_for(true).is_whole_partition());
    }
}
