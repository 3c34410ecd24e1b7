//! The n least or greatest of a group, as a list, as in DuckDB: `min(x, n)`
//! and `max(x, n)` (the values, smallest or largest first), `arg_min(arg,
//! key, n)` and `arg_max(arg, key, n)` (the `arg`s of the rows with the
//! least or greatest keys). Rows whose value (or key) is NULL are passed
//! over; a group without rows gives NULL.
//!
//! Each group's candidates are collected and cut down to the best n
//! whenever many have piled up, and at the end; the partial state is the
//! best n so far (the args, the keys, and n), so the aggregate runs in two
//! phases like `min`.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Int64Array, ListArray, UInt32Array};
use arrow::buffer::{NullBuffer, OffsetBuffer};
use arrow::compute::{filter, take, SortOptions};
use arrow::datatypes::{DataType, Field, Int64Type};
use quiver_expr::{GroupsAccumulator, QuiverError, Result};

use super::collected::{order_by_group, CollectedValues};

/// The list type of a top-n result of `t` values.
pub(super) fn top_n_type(t: &DataType) -> DataType {
    DataType::List(Arc::new(Field::new_list_field(t.clone(), true)))
}

/// The state fields of a top-n call: the args, the keys when they differ
/// from them, and n.
pub(super) fn top_n_state(name: &str, arg: &DataType, key: Option<&DataType>) -> Vec<Field> {
    let mut fields = vec![Field::new(format!("{name}[args]"), top_n_type(arg), true)];
    if let Some(key) = key {
        fields.push(Field::new(format!("{name}[keys]"), top_n_type(key), true));
    }
    fields.push(Field::new(format!("{name}[n]"), DataType::Int64, true));
    fields
}

/// The type the count n of a top-n call is cast to: an integer; an error
/// naming the function otherwise.
pub(super) fn top_n_count(name: &str, count: &DataType) -> Result<DataType> {
    if quiver_expr::types::is_integer(count) || count == &DataType::Null {
        Ok(DataType::Int64)
    } else {
        Err(QuiverError::Plan(format!(
            "the count n of {name} must be an integer, not {}",
            quiver_expr::types::sql_type_name(count)
        )))
    }
}

/// Collects candidates past this many beyond n per group before cutting
/// them down.
const SLACK_ROWS: usize = 1 << 16;

/// The accumulator of a top-n call.
#[derive(Debug)]
pub(super) struct TopN {
    name: &'static str,
    /// Greatest first (`max`, `arg_max`).
    descending: bool,
    /// Whether the keys are a separate argument (`arg_min`, `arg_max`).
    keyed: bool,
    arg_type: DataType,
    n: Option<usize>,
    args: CollectedValues,
    keys: CollectedValues,
    rows: usize,
    total: usize,
}

impl TopN {
    /// A top-n accumulator of `arg_type` values, ordered by a separate key
    /// when `keyed`.
    pub(super) fn new(
        name: &'static str,
        descending: bool,
        keyed: bool,
        arg_type: DataType,
    ) -> Self {
        Self {
            name,
            descending,
            keyed,
            arg_type,
            n: None,
            args: CollectedValues::default(),
            keys: CollectedValues::default(),
            rows: 0,
            total: 0,
        }
    }

    /// Reads n from its column: the same positive number on every row.
    fn take_n(&mut self, column: &ArrayRef) -> Result<()> {
        let column = column.as_primitive::<Int64Type>();
        for i in 0..column.len() {
            let n = match column.is_valid(i).then(|| column.value(i)) {
                Some(n) if n > 0 => n as usize,
                Some(n) => {
                    return Err(QuiverError::Execution(format!(
                        "the count n of {} must be greater than 0, not {n}",
                        self.name
                    )))
                }
                None => {
                    return Err(QuiverError::Execution(format!(
                        "the count n of {} must not be NULL",
                        self.name
                    )))
                }
            };
            match self.n {
                Some(known) if known != n => {
                    return Err(QuiverError::Execution(format!(
                        "the count n of {} must be the same for every row",
                        self.name
                    )))
                }
                _ => self.n = Some(n),
            }
        }
        Ok(())
    }

    /// Adds candidates: `args[i]` with key `keys[i]` in group `groups[i]`,
    /// passing over rows where either is NULL.
    fn add(&mut self, args: &ArrayRef, keys: &ArrayRef, groups: &[usize]) -> Result<()> {
        let valid = match (args.logical_nulls(), keys.logical_nulls()) {
            (None, None) => None,
            (a, k) => NullBuffer::union(a.as_ref(), k.as_ref()),
        };
        let (args, keys, groups): (ArrayRef, ArrayRef, Vec<usize>) = match valid {
            Some(valid) if valid.null_count() > 0 => {
                let mask = BooleanArray::new(valid.inner().clone(), None);
                let groups = groups
                    .iter()
                    .enumerate()
                    .filter(|(row, _)| valid.is_valid(*row))
                    .map(|(_, &g)| g)
                    .collect();
                (filter(args, &mask)?, filter(keys, &mask)?, groups)
            }
            _ => (Arc::clone(args), Arc::clone(keys), groups.to_vec()),
        };
        self.rows += groups.len();
        if self.keyed {
            self.keys.push(keys, groups.iter().copied());
        }
        self.args.push(args, groups.into_iter());
        let n = self.n.unwrap_or(1);
        if self.rows > n.saturating_mul(self.total).saturating_add(SLACK_ROWS) {
            let (args, keys, offsets) = self.best()?;
            self.refill(args, keys, &offsets);
        }
        Ok(())
    }

    /// Puts the candidates `best` returned back, group by group.
    fn refill(&mut self, args: ArrayRef, keys: ArrayRef, offsets: &[i32]) {
        let groups: Vec<usize> = offsets
            .windows(2)
            .enumerate()
            .flat_map(|(g, w)| std::iter::repeat_n(g, (w[1] - w[0]) as usize))
            .collect();
        self.rows = groups.len();
        if self.keyed {
            self.keys.push(keys, groups.iter().copied());
        }
        self.args.push(args, groups.into_iter());
    }

    /// The best n candidates of every group, best first: their args and
    /// keys, and each group's offsets into them. Leaves no candidates.
    fn best(&mut self) -> Result<(ArrayRef, ArrayRef, Vec<i32>)> {
        let total = self.total;
        let n = self.n.unwrap_or(1);
        let (args, groups) = match self.args.take()? {
            Some(taken) => taken,
            None => {
                let empty = arrow::array::new_empty_array(&self.arg_type);
                return Ok((Arc::clone(&empty), empty, vec![0; total + 1]));
            }
        };
        let keys = match self.keys.take()? {
            Some((keys, _)) => keys,
            None => Arc::clone(&args),
        };
        let groups = UInt32Array::from(groups);
        let order = order_by_group(
            &groups,
            &keys,
            Some(SortOptions {
                descending: self.descending,
                nulls_first: false,
            }),
        )?;
        let mut picks = Vec::with_capacity(order.len().min(n.saturating_mul(total)));
        let mut offsets = vec![0i32; total + 1];
        let mut i = 0;
        let order = order.values();
        while i < order.len() {
            let g = groups.value(order[i] as usize) as usize;
            let mut end = i;
            while end < order.len() && groups.value(order[end] as usize) as usize == g {
                end += 1;
            }
            let kept = (end - i).min(n);
            picks.extend_from_slice(&order[i..i + kept]);
            offsets[g + 1] = kept as i32;
            i = end;
        }
        for g in 0..total {
            offsets[g + 1] += offsets[g];
        }
        let picks = UInt32Array::from(picks);
        Ok((
            take(&args, &picks, None)?,
            take(&keys, &picks, None)?,
            offsets,
        ))
    }

    /// The lists of `values` cut at `offsets`, NULL for empty groups.
    fn lists(values: ArrayRef, offsets: Vec<i32>) -> Result<ArrayRef> {
        let present: NullBuffer = offsets.windows(2).map(|w| w[1] > w[0]).collect();
        let field = Arc::new(Field::new_list_field(values.data_type().clone(), true));
        Ok(Arc::new(ListArray::try_new(
            field,
            OffsetBuffer::new(offsets.into()),
            values,
            Some(present),
        )?))
    }
}

impl TopN {
    /// Notes `total` groups and splits `values` (arguments or state) into
    /// n, which comes last, and the rest.
    fn count_and_rest<'v>(
        &mut self,
        values: &'v [ArrayRef],
        total: usize,
    ) -> Result<(&'v ArrayRef, &'v [ArrayRef])> {
        self.total = self.total.max(total);
        values
            .split_last()
            .ok_or_else(|| QuiverError::Internal(format!("{} got no values", self.name)))
    }
}

impl GroupsAccumulator for TopN {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total: usize,
    ) -> Result<()> {
        let (n, columns) = self.count_and_rest(values, total)?;
        self.take_n(n)?;
        let keys = if self.keyed { &columns[1] } else { &columns[0] };
        self.add(&columns[0], keys, group_indices)
    }

    fn merge_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total: usize,
    ) -> Result<()> {
        let (n, lists) = self.count_and_rest(values, total)?;
        if n.null_count() < n.len() {
            let known = filter(n, &arrow::compute::is_not_null(n)?)?;
            self.take_n(&known)?;
        }
        let args = lists[0].as_list::<i32>();
        let groups: Vec<usize> = args
            .value_offsets()
            .windows(2)
            .enumerate()
            .flat_map(|(row, w)| std::iter::repeat_n(group_indices[row], (w[1] - w[0]) as usize))
            .collect();
        let flat = |list: &ListArray| {
            let first = list.value_offsets()[0] as usize;
            list.values().slice(first, groups.len())
        };
        let arg_values = flat(args);
        let key_values = match lists.get(1) {
            Some(keys) if self.keyed => flat(keys.as_list::<i32>()),
            _ => Arc::clone(&arg_values),
        };
        self.add(&arg_values, &key_values, &groups)
    }

    fn state(&mut self) -> Result<Vec<ArrayRef>> {
        let (args, keys, offsets) = self.best()?;
        let n: ArrayRef = Arc::new(Int64Array::from(vec![self.n.map(|n| n as i64); self.total]));
        let mut state = vec![Self::lists(args, offsets.clone())?];
        if self.keyed {
            state.push(Self::lists(keys, offsets)?);
        }
        state.push(n);
        Ok(state)
    }

    fn evaluate(&mut self) -> Result<ArrayRef> {
        let (args, _, offsets) = self.best()?;
        Self::lists(args, offsets)
    }

    fn size(&self) -> usize {
        self.args.size() + self.keys.size()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ints(values: &[Option<i64>]) -> ArrayRef {
        Arc::new(Int64Array::from(values.to_vec()))
    }

    fn listed(array: &ArrayRef) -> Vec<Option<Vec<Option<i64>>>> {
        let lists = array.as_list::<i32>();
        (0..lists.len())
            .map(|i| {
                lists.is_valid(i).then(|| {
                    let v = lists.value(i);
                    v.as_primitive::<Int64Type>().iter().collect()
                })
            })
            .collect()
    }

    #[test]
    fn keeps_the_n_smallest_of_each_group_across_two_phases() {
        let n = ints(&[Some(2); 5]);
        let mut partial = TopN::new("min", false, false, DataType::Int64);
        let values = ints(&[Some(5), None, Some(1), Some(3), Some(9)]);
        partial
            .update_batch(&[values, Arc::clone(&n)], &[0, 0, 0, 0, 1], 3)
            .unwrap();
        let state = partial.state().unwrap();
        let mut last = TopN::new("min", false, false, DataType::Int64);
        last.merge_batch(&state, &[0, 1, 2], 3).unwrap();
        let more = ints(&[Some(0), Some(4)]);
        let n2 = ints(&[Some(2); 2]);
        last.update_batch(&[more, n2], &[0, 1], 3).unwrap();
        let result = last.evaluate().unwrap();
        assert_eq!(
            listed(&result),
            vec![
                Some(vec![Some(0), Some(1)]),
                Some(vec![Some(4), Some(9)]),
                None
            ]
        );
    }

    #[test]
    fn many_candidates_are_cut_down_as_they_arrive() {
        let mut acc = TopN::new("max", true, false, DataType::Int64);
        for chunk in 0..10 {
            let values: Vec<Option<i64>> = (0..50_000).map(|i| Some(chunk * 50_000 + i)).collect();
            let n = ints(&vec![Some(2); values.len()]);
            let groups: Vec<usize> = (0..values.len()).map(|i| i % 2).collect();
            acc.update_batch(&[ints(&values), n], &groups, 2).unwrap();
            assert!(acc.rows <= 2 * 2 + SLACK_ROWS + 50_000, "{}", acc.rows);
        }
        let result = acc.evaluate().unwrap();
        assert_eq!(
            listed(&result),
            vec![
                Some(vec![Some(499_998), Some(499_996)]),
                Some(vec![Some(499_999), Some(499_997)])
            ]
        );
    }

    #[test]
    fn n_must_be_positive() {
        let mut acc = TopN::new("max", true, false, DataType::Int64);
        let err = acc
            .update_batch(&[ints(&[Some(1)]), ints(&[Some(0)])], &[0], 1)
            .unwrap_err();
        assert!(err.to_string().contains("greater than 0"), "{err}");
    }
}
