//! The frame of every row: which rows of its partition a window aggregate
//! or value function sees, for ROWS, RANGE and GROUPS frames with any
//! bounds and exclusion.

use std::cmp::Ordering;

use arrow::array::{make_comparator, Array, ArrayRef, DynComparator, Scalar};
use arrow::compute::kernels::numeric::{add, sub};
use arrow::compute::{cast, SortOptions};
use arrow::datatypes::DataType;
use quiver_expr::window::{FrameBound, FrameExclusion, FrameRows, FrameUnits, WindowFrame};
use quiver_expr::{QuiverError, Result, ScalarValue};

/// Rows laid out as partitions of peer groups, with each row's group.
pub(crate) struct Layout<'a> {
    /// Where each partition starts, then the number of rows.
    pub partitions: &'a [usize],
    /// Where each peer group starts, then the number of rows.
    pub peers: &'a [usize],
    /// The peer group of each row (an index into `peers`).
    pub group_of: &'a [usize],
}

/// The single ORDER BY key of a RANGE frame with an offset.
pub(crate) struct RangeKey<'a> {
    /// The key's values, sorted within each partition.
    pub values: &'a ArrayRef,
    /// The sort direction.
    pub options: SortOptions,
}

/// The frame of every row of `layout`.
pub(crate) fn frames(
    frame: &WindowFrame,
    layout: &Layout<'_>,
    range_key: Option<&RangeKey<'_>>,
) -> Result<Vec<FrameRows>> {
    let rows = layout.partitions.last().copied().unwrap_or(0);
    let range = match (frame.units, range_key) {
        (FrameUnits::Range, Some(key)) if has_offset(frame) => Some(RangeBounds::new(frame, key)?),
        _ => None,
    };
    let mut out = Vec::with_capacity(rows);
    for p in layout.partitions.windows(2) {
        let partition = p[0]..p[1];
        let (first_group, last_group) = (layout.group_of[p[0]], layout.group_of[p[1].max(1) - 1]);
        let non_null = range.as_ref().map(|r| r.non_null_rows(&partition));
        let mut cursors = (partition.start, partition.start);
        for row in partition.clone() {
            let group = layout.group_of[row];
            let peers = layout.peers[group]..layout.peers[group + 1];
            let bound = |b: &FrameBound, is_end: bool, cursor: &mut usize| -> usize {
                match b {
                    FrameBound::UnboundedPreceding => partition.start,
                    FrameBound::UnboundedFollowing => partition.end,
                    FrameBound::CurrentRow => match frame.units {
                        FrameUnits::Rows => row + usize::from(is_end),
                        _ if is_end => peers.end,
                        _ => peers.start,
                    },
                    FrameBound::Preceding(n) | FrameBound::Following(n) => {
                        let back = matches!(b, FrameBound::Preceding(_));
                        match frame.units {
                            FrameUnits::Rows => {
                                let n = count(n) as i128;
                                let at = row as i128 + if back { -n } else { n };
                                let at = at + i128::from(is_end);
                                at.clamp(partition.start as i128, partition.end as i128) as usize
                            }
                            FrameUnits::Groups => {
                                let n = count(n);
                                let target = if back {
                                    group.checked_sub(n).filter(|g| *g >= first_group)
                                } else {
                                    group.checked_add(n).filter(|g| *g <= last_group)
                                };
                                match target {
                                    Some(g) => layout.peers[g + usize::from(is_end)],
                                    None if back => partition.start,
                                    None => partition.end,
                                }
                            }
                            FrameUnits::Range => {
                                let (Some(r), Some(nn)) = (&range, &non_null) else {
                                    return partition.start;
                                };
                                if !nn.contains(&row) {
                                    // A NULL key's offsets reach only its peers.
                                    return if is_end { peers.end } else { peers.start };
                                }
                                r.seek(row, is_end, nn, cursor)
                            }
                        }
                    }
                }
            };
            let (start_cursor, end_cursor) = &mut cursors;
            let start = bound(&frame.start, false, start_cursor);
            let end = bound(&frame.end, true, end_cursor);
            out.push(exclude(frame.exclusion, start, end, row, &peers));
        }
    }
    Ok(out)
}

/// Whether a bound of `frame` has an offset.
fn has_offset(frame: &WindowFrame) -> bool {
    [&frame.start, &frame.end]
        .iter()
        .any(|b| matches!(b, FrameBound::Preceding(_) | FrameBound::Following(_)))
}

/// A ROWS or GROUPS offset (the binder makes them non-negative BIGINTs).
fn count(n: &ScalarValue) -> usize {
    match n {
        ScalarValue::UInt64(Some(n)) => usize::try_from(*n).unwrap_or(usize::MAX),
        _ => 0,
    }
}

/// The frame `start..end` of `row`, less what `exclusion` takes out.
fn exclude(
    exclusion: FrameExclusion,
    start: usize,
    end: usize,
    row: usize,
    peers: &std::ops::Range<usize>,
) -> FrameRows {
    let (cut_start, cut_end) = match exclusion {
        FrameExclusion::NoOthers => return FrameRows::new(start, end),
        FrameExclusion::CurrentRow => (row, row + 1),
        FrameExclusion::Group | FrameExclusion::Ties => (peers.start, peers.end),
    };
    let mut f = FrameRows::new(start, end.min(cut_start));
    if exclusion == FrameExclusion::Ties && start <= row && row < end {
        f.push(row, row + 1);
    }
    f.push(start.max(cut_end), end);
    f
}

/// Where a RANGE frame's offset bounds reach to at each row: the key plus
/// or minus the offset, in the key's type (integers as DECIMAL(38, 0), so
/// that no bound overflows), compared with the keys in their sort order.
struct RangeBounds {
    /// Whether each row's key is NULL.
    nulls: Option<arrow::buffer::NullBuffer>,
    nulls_first: bool,
    /// Compares a row's key with a row's start bound, and with its end bound.
    start: Option<DynComparator>,
    end: Option<DynComparator>,
}

impl RangeBounds {
    fn new(frame: &WindowFrame, key: &RangeKey<'_>) -> Result<Self> {
        let keys = if key.values.data_type().is_integer() {
            cast(key.values, &DataType::Decimal128(38, 0))?
        } else {
            key.values.clone()
        };
        let descending = key.options.descending;
        let bound = |b: &FrameBound| -> Result<Option<DynComparator>> {
            let (n, back) = match b {
                FrameBound::Preceding(n) => (n, true),
                FrameBound::Following(n) => (n, false),
                _ => return Ok(None),
            };
            if keys.data_type().is_null() {
                // No key has a value, so no bound is ever sought.
                return Ok(None);
            }
            let mut offset = n.to_array_of_size(1)?;
            if !matches!(offset.data_type(), DataType::Interval(_)) {
                offset = cast(&offset, keys.data_type())?;
            }
            let offset = Scalar::new(offset);
            let shifted = if back != descending {
                sub(&keys, &offset)
            } else {
                add(&keys, &offset)
            }
            .map_err(|e| {
                QuiverError::Execution(format!("RANGE frame offset {n} cannot be applied: {e}"))
            })?;
            Ok(Some(make_comparator(
                keys.as_ref(),
                shifted.as_ref(),
                key.options,
            )?))
        };
        Ok(Self {
            start: bound(&frame.start)?,
            end: bound(&frame.end)?,
            nulls: keys.logical_nulls(),
            nulls_first: key.options.nulls_first,
        })
    }

    /// The rows of `partition` whose key is not NULL (NULLs sort together
    /// at one end).
    fn non_null_rows(&self, partition: &std::ops::Range<usize>) -> std::ops::Range<usize> {
        let nulls = match &self.nulls {
            Some(n) => partition.clone().filter(|&r| n.is_null(r)).count(),
            None => 0,
        };
        if self.nulls_first {
            partition.start + nulls..partition.end
        } else {
            partition.start..partition.end - nulls
        }
    }

    /// The first row of `rows` whose key is not before (`is_end`: is
    /// after) the bound of `row`, moving `cursor` on from where the
    /// previous row's search ended (bounds only grow along the rows).
    fn seek(
        &self,
        row: usize,
        is_end: bool,
        rows: &std::ops::Range<usize>,
        cursor: &mut usize,
    ) -> usize {
        let compare = if is_end { &self.end } else { &self.start };
        let Some(compare) = compare else {
            return rows.start;
        };
        *cursor = (*cursor).clamp(rows.start, rows.end);
        while *cursor < rows.end {
            let ord = compare(*cursor, row);
            let past = if is_end {
                ord == Ordering::Greater
            } else {
                ord != Ordering::Less
            };
            if past {
                break;
            }
            *cursor += 1;
        }
        *cursor
    }
}
