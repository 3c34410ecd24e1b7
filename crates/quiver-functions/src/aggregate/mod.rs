//! Built-in aggregate functions, each with a vectorized accumulator that
//! updates many groups per call.

mod bool_agg;
mod count;
mod min_max;
mod string_agg;
mod sum_avg;
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
        Arc::new(Sum),
        Arc::new(Avg),
        Arc::new(MinMax::min()),
        Arc::new(MinMax::max()),
        Arc::new(bool_agg::BoolAggregate::and("bool_and")),
        Arc::new(bool_agg::BoolAggregate::and("every")),
        Arc::new(bool_agg::BoolAggregate::or()),
        Arc::new(string_agg::StringAgg),
    ];
    for v in variance::Variance::all() {
        all.push(Arc::new(v));
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
    match array.nulls().filter(|n| n.null_count() > 0) {
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
    if counts.len() == 1 {
        counts[0] += (array.len() - array.null_count()) as i64;
    } else {
        for_each_valid(array, group_indices, |_, g| counts[g] += 1);
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
