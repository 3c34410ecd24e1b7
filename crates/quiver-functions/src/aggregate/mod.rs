//! Built-in aggregate functions, each with a vectorized accumulator that
//! updates many groups per call.

mod count;
mod min_max;
mod sum_avg;

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray};
use arrow::buffer::NullBuffer;
use arrow::datatypes::DataType;
use quiver_expr::types::sql_type_name;
use quiver_expr::{AggregateFunction, QuiverError, Result};

pub use count::Count;
pub use min_max::MinMax;
pub use sum_avg::{Avg, Sum};

/// Every built-in aggregate function.
pub fn builtins() -> Vec<Arc<dyn AggregateFunction>> {
    vec![
        Arc::new(Count),
        Arc::new(Sum),
        Arc::new(Avg),
        Arc::new(MinMax::min()),
        Arc::new(MinMax::max()),
    ]
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
fn for_each_valid(
    array: &dyn Array,
    group_indices: &[usize],
    mut f: impl FnMut(usize, usize) -> Result<()>,
) -> Result<()> {
    match array.nulls() {
        None => group_indices
            .iter()
            .enumerate()
            .try_for_each(|(row, &g)| f(row, g)),
        Some(nulls) => group_indices
            .iter()
            .enumerate()
            .filter(|(row, _)| nulls.is_valid(*row))
            .try_for_each(|(row, &g)| f(row, g)),
    }
}

/// Helper for tests and accumulators: the array of a state or result.
fn single(array: ArrayRef) -> Vec<ArrayRef> {
    vec![array]
}
