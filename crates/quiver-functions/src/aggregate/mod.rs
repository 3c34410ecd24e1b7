//! Built-in aggregate functions, each with a vectorized accumulator that
//! updates many groups per call.

mod approx_distinct;
mod approx_quantile;
mod bitwise;
mod bool_agg;
mod collected;
mod count;
mod covariance;
mod holistic;
mod list;
mod min_max;
mod pick;
mod product;
mod shape;
mod string_agg;
mod sum_avg;
mod top_n;
mod variance;

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray};
use arrow::buffer::NullBuffer;
use arrow::datatypes::DataType;
use quiver_expr::types::sql_type_name;
use quiver_expr::{AggregateFunction, GroupsAccumulator, QuiverError, Result};

pub use count::Count;
pub use min_max::MinMax;
pub use sum_avg::{Avg, Sum};

/// Every built-in aggregate function.
pub fn builtins() -> Vec<Arc<dyn AggregateFunction>> {
    let mut all: Vec<Arc<dyn AggregateFunction>> = vec![
        Arc::new(Count),
        Arc::new(count::CountIf),
        Arc::new(approx_distinct::ApproxCountDistinct),
        Arc::new(approx_quantile::ApproxQuantile),
        Arc::new(list::List),
        Arc::new(Sum),
        Arc::new(Avg),
        Arc::new(MinMax::min()),
        Arc::new(MinMax::max()),
        Arc::new(bool_agg::BoolAggregate::and("bool_and")),
        Arc::new(bool_agg::BoolAggregate::and("every")),
        Arc::new(bool_agg::BoolAggregate::or()),
        Arc::new(string_agg::StringAgg),
        Arc::new(product::Product),
    ];
    for v in variance::Variance::all() {
        all.push(Arc::new(v));
    }
    for h in holistic::Holistic::all() {
        all.push(Arc::new(h));
    }
    for c in covariance::CoMoments::all() {
        all.push(Arc::new(c));
    }
    for s in shape::Shape::all() {
        all.push(Arc::new(s));
    }
    for p in pick::Pick::all() {
        all.push(Arc::new(p));
    }
    for b in bitwise::Bitwise::all() {
        all.push(Arc::new(b));
    }
    all
}

/// Checks that an aggregate got exactly one argument.
fn one_arg(name: &str, arg_types: &[DataType]) -> Result<()> {
    if arg_types.len() != 1 {
        return Err(QuiverError::Plan(format!(
            "aggregate {name} takes 1 argument but was given {}",
            arg_types.len()
        )));
    }
    Ok(())
}

/// The error for an aggregate called with a type it does not support.
fn unsupported(name: &str, t: &DataType) -> QuiverError {
    QuiverError::Schema(format!(
        "aggregate {name} cannot be applied to {}",
        sql_type_name(t)
    ))
}

/// A validity buffer from per-group "has a value" flags.
fn validity(seen: &[bool]) -> Option<NullBuffer> {
    if seen.iter().all(|s| *s) {
        None
    } else {
        Some(NullBuffer::from(
            BooleanArray::from(seen.to_vec()).values().clone(),
        ))
    }
}

/// Calls `f(row, group)` for every non-null row of `array`.
fn for_each_valid(array: &dyn Array, group_indices: &[usize], mut f: impl FnMut(usize, usize)) {
    // Logical NULLs: an array of type NULL has no validity buffer, yet
    // every value is NULL.
    match array.logical_nulls().filter(|n| n.null_count() > 0) {
        None => group_indices
            .iter()
            .enumerate()
            .for_each(|(row, &g)| f(row, g)),
        Some(nulls) => group_indices
            .iter()
            .enumerate()
            .filter(|(row, _)| nulls.is_valid(*row))
            .for_each(|(row, &g)| f(row, g)),
    }
}

/// Adds to `counts[g]` one for each non-NULL value of `array` in group `g`
/// (`group_indices` gives each row's group): for one group, the number of
/// valid values at once.
fn count_valid(array: &dyn Array, group_indices: &[usize], counts: &mut [i64]) {
    let nulls = array.logical_null_count();
    if counts.len() == 1 {
        counts[0] += (array.len() - nulls) as i64;
    } else if nulls == 0 && counts.len() <= LANE_GROUPS {
        fold_in_lanes(group_indices, counts, 0, |n, _| n + 1, |a, b| a + b);
    } else {
        for_each_valid(array, group_indices, |_, g| counts[g] += 1);
    }
}

/// Groups up to this many are folded in [`LANES`] copies at once.
const LANE_GROUPS: usize = 16;

/// Independent copies of the groups' states that [`fold_in_lanes`] keeps.
const LANES: usize = 4;

/// Folds every row into its group's state, `state[g] = fold(state[g],
/// row)`, for at most [`LANE_GROUPS`] groups. With few groups, consecutive
/// rows mostly update the same state, and each update would wait for the
/// one before it to reach memory; here row `r` updates copy `r % LANES`, so
/// that four chains of updates run side by side, and the copies are then
/// combined into `state` with `combine`.
fn fold_in_lanes<S: Copy>(
    group_indices: &[usize],
    state: &mut [S],
    zero: S,
    mut fold: impl FnMut(S, usize) -> S,
    mut combine: impl FnMut(S, S) -> S,
) {
    let mut lanes = [[zero; LANE_GROUPS]; LANES];
    let whole = group_indices.len() / LANES * LANES;
    for (chunk, groups) in group_indices[..whole].chunks_exact(LANES).enumerate() {
        for (lane, &g) in groups.iter().enumerate() {
            lanes[lane][g] = fold(lanes[lane][g], chunk * LANES + lane);
        }
    }
    for (row, &g) in group_indices.iter().enumerate().skip(whole) {
        lanes[0][g] = fold(lanes[0][g], row);
    }
    for (g, s) in state.iter_mut().enumerate() {
        for lane in &lanes {
            *s = combine(*s, lane[g]);
        }
    }
}

/// An accumulator whose intermediate state is its result (sum, min, max):
/// raw values and partial states from other partitions fold in the same way.
trait SelfMergingAccumulator: Send + std::fmt::Debug {
    /// Folds `values` (raw values or partial results) into the groups.
    fn add(&mut self, values: &ArrayRef, group_indices: &[usize], total: usize) -> Result<()>;

    /// The value of every group, leaving the accumulator empty.
    fn take(&mut self) -> Result<ArrayRef>;

    /// Approximate heap memory held, in bytes.
    fn heap_size(&self) -> usize;
}

/// Presents a [`SelfMergingAccumulator`] as a [`GroupsAccumulator`].
#[derive(Debug)]
struct SelfMerging<A>(A);

impl<A: SelfMergingAccumulator> GroupsAccumulator for SelfMerging<A> {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total: usize,
    ) -> Result<()> {
        self.0.add(&values[0], group_indices, total)
    }
    fn merge_batch(
        &mut self,
        states: &[ArrayRef],
        group_indices: &[usize],
        total: usize,
    ) -> Result<()> {
        self.0.add(&states[0], group_indices, total)
    }
    fn state(&mut self) -> Result<Vec<ArrayRef>> {
        Ok(vec![self.0.take()?])
    }
    fn evaluate(&mut self) -> Result<ArrayRef> {
        self.0.take()
    }
    fn size(&self) -> usize {
        self.0.heap_size()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::Int64Array;

    #[test]
    fn folding_in_lanes_matches_folding_row_by_row() {
        for (rows, groups) in [(0, 3), (1, 1), (7, 2), (1000, 16), (1003, 5)] {
            let group_indices: Vec<usize> = (0..rows).map(|r| (r * 7 + r / 3) % groups).collect();
            let mut expected = vec![10i64; groups];
            for (row, &g) in group_indices.iter().enumerate() {
                expected[g] += row as i64;
            }
            let mut state = vec![10i64; groups];
            fold_in_lanes(
                &group_indices,
                &mut state,
                0,
                |s, row| s + row as i64,
                |a, b| a + b,
            );
            assert_eq!(state, expected, "{rows} rows in {groups} groups");

            let values = Int64Array::from(vec![1; rows]);
            let mut counts = vec![0i64; groups];
            count_valid(&values, &group_indices, &mut counts);
            let mut by_row = vec![0i64; groups];
            group_indices.iter().for_each(|&g| by_row[g] += 1);
            assert_eq!(counts, by_row);
        }
    }
}
