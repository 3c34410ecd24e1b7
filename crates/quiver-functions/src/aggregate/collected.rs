//! Values of many groups kept as they arrive, for aggregates that need a
//! group's values together at the end (`list`, `median`, `mode`): chunks of
//! Arrow arrays with the group of each value beside them, and a stable
//! counting sort that brings each group's values together.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, UInt32Array};
use arrow::compute::{concat, lexsort_to_indices, SortColumn, SortOptions};
use quiver_expr::Result;

/// Values in arrival order, and the group of each.
#[derive(Debug, Default)]
pub(super) struct CollectedValues {
    chunks: Vec<ArrayRef>,
    groups: Vec<u32>,
    bytes: usize,
}

impl CollectedValues {
    /// Adds `values`, the i-th of them in group `groups[i]`.
    pub(super) fn push(&mut self, values: ArrayRef, groups: impl Iterator<Item = usize>) {
        self.groups.extend(groups.map(|g| g as u32));
        self.bytes += values.get_array_memory_size();
        if !values.is_empty() {
            self.chunks.push(values);
        }
    }

    /// Every value as one array with the group of each, leaving the
    /// collection empty; `None` when there are none.
    pub(super) fn take(&mut self) -> Result<Option<(ArrayRef, Vec<u32>)>> {
        let chunks = std::mem::take(&mut self.chunks);
        let groups = std::mem::take(&mut self.groups);
        self.bytes = 0;
        if chunks.is_empty() {
            return Ok(None);
        }
        let refs: Vec<&dyn Array> = chunks.iter().map(|c| c.as_ref()).collect();
        Ok(Some((concat(&refs)?, groups)))
    }

    /// Approximate heap memory held, in bytes.
    pub(super) fn size(&self) -> usize {
        self.bytes + self.groups.capacity() * 4
    }
}

/// A stable counting sort of values by group: `(starts, order)`, where
/// group `g`'s values are at positions `order[starts[g]..starts[g + 1]]`,
/// in arrival order.
pub(super) fn by_group(groups: &[u32], total: usize) -> (Vec<usize>, Vec<u32>) {
    let mut starts = vec![0usize; total + 1];
    for &g in groups {
        starts[g as usize + 1] += 1;
    }
    for g in 0..total {
        starts[g + 1] += starts[g];
    }
    let mut next = starts.clone();
    let mut order = vec![0u32; groups.len()];
    for (position, &g) in groups.iter().enumerate() {
        order[next[g as usize]] = position as u32;
        next[g as usize] += 1;
    }
    (starts, order)
}

/// The positions of `values` sorted by group, then by value (with
/// `options`; ascending, NULLs last by default).
pub(super) fn order_by_group(
    groups: &UInt32Array,
    values: &ArrayRef,
    options: Option<SortOptions>,
) -> Result<UInt32Array> {
    Ok(lexsort_to_indices(
        &[
            SortColumn {
                values: Arc::new(groups.clone()),
                options: None,
            },
            SortColumn {
                values: Arc::clone(values),
                options,
            },
        ],
        None,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counting_sort_keeps_arrival_order_within_groups() {
        let (starts, order) = by_group(&[1, 0, 1, 2, 0], 4);
        assert_eq!(starts, vec![0, 2, 4, 5, 5]);
        assert_eq!(order, vec![1, 4, 0, 2, 3]);
    }
}
