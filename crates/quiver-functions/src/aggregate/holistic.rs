//! Aggregates that need all of a group's values at once: `median`,
//! `quantile_cont`, `quantile_disc` (`quantile`), `mode` and `entropy`.
//!
//! Each keeps its groups' non-NULL values in Arrow arrays, with the group of
//! each value beside it; at the end one sort orders every value by (group,
//! value), and each group's answer is read from its run of sorted values:
//! an index for a discrete quantile, two neighbours to interpolate between
//! for a continuous one, runs of equal values for mode and entropy. They
//! have no partial state: the planner sends every row of a group to one
//! partition first ([`AggregateFunction::holistic`]).

use std::sync::Arc;

use arrow::array::{
    make_comparator, new_null_array, Array, ArrayRef, AsArray, Float64Array, Int64Array, MapArray,
    StructArray, UInt32Array, UInt64Array,
};
use arrow::buffer::{NullBuffer, OffsetBuffer};
use arrow::compute::{cast, filter, take};
use arrow::datatypes::{DataType, Field, Float64Type};
use quiver_expr::types::{is_numeric, sql_type_name};
use quiver_expr::{AggregateFunction, GroupsAccumulator, QuiverError, Result, ScalarValue};

use super::collected::{by_group, order_by_group, CollectedValues};
use super::top_n::top_n_type;
use super::unsupported;

/// What a [`Holistic`] aggregate reads from a group's sorted values.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Reading {
    /// Interpolated between the two values around a fraction of the way.
    Continuous,
    /// The value at a fraction of the way.
    Discrete,
    /// `median`: continuous over numbers, discrete over other types.
    Median,
    /// The most frequent value (the first met among equally frequent ones).
    Mode,
    /// `-sum(p * log2(p))` over the frequencies `p` of distinct values.
    Entropy,
    /// A MAP from each distinct value to how often it occurs, in value
    /// order.
    Histogram,
}

/// A holistic aggregate.
#[derive(Debug)]
pub struct Holistic {
    name: &'static str,
    aliases: &'static [&'static str],
    reading: Reading,
}

impl Holistic {
    /// Every holistic aggregate.
    pub fn all() -> Vec<Holistic> {
        let make = |name, aliases, reading| Holistic {
            name,
            aliases,
            reading,
        };
        vec![
            make("median", &[][..], Reading::Median),
            make("quantile_cont", &[], Reading::Continuous),
            make("quantile_disc", &["quantile"], Reading::Discrete),
            make("mode", &[], Reading::Mode),
            make("entropy", &[], Reading::Entropy),
            make("histogram", &[], Reading::Histogram),
        ]
    }

    /// The type of one answer (of each element, for a list of fractions).
    fn value_type(&self, arg_types: &[DataType]) -> DataType {
        match self.reading {
            Reading::Entropy => DataType::Float64,
            Reading::Histogram => histogram_type(&arg_types[0]),
            _ => arg_types[0].clone(),
        }
    }

    /// Whether the call takes a fraction as its second argument.
    fn takes_fraction(&self) -> bool {
        matches!(self.reading, Reading::Continuous | Reading::Discrete)
    }

    /// How values are read, given the (coerced) value type.
    fn reading_for(&self, value_type: &DataType) -> Reading {
        match self.reading {
            Reading::Median if interpolates(value_type) => Reading::Continuous,
            Reading::Median => Reading::Discrete,
            other => other,
        }
    }
}

/// The element type of a list of quantile fractions (`[0.25, 0.75]`);
/// `None` for a single fraction.
fn listed_fractions(t: &DataType) -> Option<DataType> {
    match t {
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => {
            Some(f.data_type().clone())
        }
        _ => None,
    }
}

/// The MAP type of a histogram of values of type `t`: value to count.
fn histogram_type(t: &DataType) -> DataType {
    DataType::Map(
        Arc::new(Field::new("entries", entries_type(t), false)),
        false,
    )
}

fn entries_type(t: &DataType) -> DataType {
    DataType::Struct(
        vec![
            Field::new("key", t.clone(), false),
            Field::new("value", DataType::Int64, true),
        ]
        .into(),
    )
}

/// Histograms as a MAP array: group `g`'s entries are `keys` and `counts`
/// at `offsets[g]..offsets[g + 1]`; a group without values is NULL.
fn histogram_array(
    keys: ArrayRef,
    counts: Vec<i64>,
    offsets: Vec<i32>,
    present: Vec<bool>,
) -> Result<ArrayRef> {
    let DataType::Struct(fields) = entries_type(keys.data_type()) else {
        unreachable!("entries are a struct")
    };
    let entries =
        StructArray::try_new(fields, vec![keys, Arc::new(Int64Array::from(counts))], None)?;
    let DataType::Map(field, _) = histogram_type(entries.column(0).data_type()) else {
        unreachable!("a histogram is a map")
    };
    Ok(Arc::new(MapArray::try_new(
        field,
        OffsetBuffer::new(offsets.into()),
        entries,
        Some(NullBuffer::from(present)),
        false,
    )?))
}

/// Whether a date or timestamp.
fn is_temporal(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Date32 | DataType::Date64 | DataType::Timestamp(..)
    )
}

/// The timestamp type dates and timestamps of type `t` interpolate in.
fn timestamp_of(t: &DataType) -> DataType {
    match t {
        DataType::Timestamp(unit, zone) => DataType::Timestamp(*unit, zone.clone()),
        _ => DataType::Timestamp(arrow::datatypes::TimeUnit::Microsecond, None),
    }
}

/// Whether values of (coerced) type `t` are interpolated between.
fn interpolates(t: &DataType) -> bool {
    matches!(t, DataType::Float64 | DataType::Timestamp(..))
}

/// Whether values of `t` can be sorted.
fn orderable(t: &DataType) -> bool {
    !matches!(
        t,
        DataType::List(_)
            | DataType::LargeList(_)
            | DataType::Struct(_)
            | DataType::Map(_, _)
            | DataType::Union(_, _)
    )
}

impl AggregateFunction for Holistic {
    fn name(&self) -> &str {
        self.name
    }
    fn aliases(&self) -> &'static [&'static str] {
        self.aliases
    }
    fn holistic(&self) -> bool {
        true
    }
    /// Entropy over no values is 0, as in DuckDB; the others are NULL.
    fn value_over_no_rows(&self, return_type: &DataType) -> Result<ScalarValue> {
        match self.reading {
            Reading::Entropy => Ok(ScalarValue::Float64(Some(0.0))),
            _ => Ok(ScalarValue::try_from(return_type)?),
        }
    }
    fn nullable(&self) -> bool {
        self.reading != Reading::Entropy
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let wanted = if self.takes_fraction() { 2 } else { 1 };
        if arg_types.len() != wanted {
            let what = if wanted == 2 {
                "2 arguments (value, fraction)"
            } else {
                "1 argument"
            };
            return Err(QuiverError::Plan(format!(
                "aggregate {} takes {what} but was given {}",
                self.name,
                arg_types.len()
            )));
        }
        let value = &arg_types[0];
        let numeric = is_numeric(value) || value == &DataType::Null;
        let coerced = match self.reading {
            Reading::Continuous | Reading::Median if numeric => DataType::Float64,
            // Dates and timestamps interpolate as timestamps, as in DuckDB.
            Reading::Continuous | Reading::Median if is_temporal(value) => timestamp_of(value),
            Reading::Continuous => return Err(unsupported(self.name, value)),
            _ if value == &DataType::Null => DataType::Int64,
            _ if orderable(value) => value.clone(),
            _ => return Err(unsupported(self.name, value)),
        };
        let mut out = vec![coerced];
        if wanted == 2 {
            let listed = listed_fractions(&arg_types[1]);
            let fraction = listed.as_ref().unwrap_or(&arg_types[1]);
            if !(is_numeric(fraction) || fraction == &DataType::Null) {
                return Err(QuiverError::Plan(format!(
                    "the fraction of {} must be a number or a list of numbers, not {}",
                    self.name,
                    sql_type_name(&arg_types[1])
                )));
            }
            out.push(match listed {
                Some(_) => top_n_type(&DataType::Float64),
                None => DataType::Float64,
            });
        }
        Ok(out)
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        let one = self.value_type(arg_types);
        Ok(match arg_types.get(1).and_then(listed_fractions) {
            Some(_) => top_n_type(&one),
            None => one,
        })
    }
    /// None: a holistic aggregate is computed in one phase.
    fn state_fields(&self, _name: &str, _: &[DataType]) -> Result<Vec<Field>> {
        Ok(vec![])
    }
    fn create_accumulator(&self, arg_types: &[DataType]) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(SortedValues {
            name: self.name,
            reading: self.reading_for(&arg_types[0]),
            value_type: arg_types[0].clone(),
            output: self.value_type(arg_types),
            listed: arg_types.get(1).and_then(listed_fractions).is_some(),
            values: CollectedValues::default(),
            fractions: None,
            total: 0,
        }))
    }
}

/// Every non-NULL value of every group, in arrival order.
#[derive(Debug)]
struct SortedValues {
    name: &'static str,
    reading: Reading,
    value_type: DataType,
    /// The type of one answer.
    output: DataType,
    /// Whether the call takes a list of fractions and answers a list.
    listed: bool,
    values: CollectedValues,
    /// The fractions of a quantile (the same for every row).
    fractions: Option<Vec<f64>>,
    total: usize,
}

impl SortedValues {
    /// Reads the quantile fractions from their argument column: a
    /// constant between 0 and 1, or a constant list of them.
    fn take_fraction(&mut self, column: &ArrayRef) -> Result<()> {
        for row in 0..column.len() {
            let fractions = if self.listed {
                let lists = column.as_list::<i32>();
                if lists.is_null(row) {
                    return Err(self.null_fraction());
                }
                let list = lists.value(row);
                self.fraction_values(list.as_primitive::<Float64Type>())?
            } else {
                let single = column.slice(row, 1);
                self.fraction_values(single.as_primitive::<Float64Type>())?
            };
            match &self.fractions {
                Some(known) if known != &fractions => {
                    return Err(QuiverError::Execution(format!(
                        "the fraction of {} must be the same for every row",
                        self.name
                    )))
                }
                _ => self.fractions = Some(fractions),
            }
        }
        Ok(())
    }

    fn null_fraction(&self) -> QuiverError {
        QuiverError::Execution(format!("the fraction of {} must not be NULL", self.name))
    }

    /// The fractions of `values`, each between 0 and 1.
    fn fraction_values(&self, values: &Float64Array) -> Result<Vec<f64>> {
        values
            .iter()
            .map(|f| match f {
                None => Err(self.null_fraction()),
                Some(f) if !(0.0..=1.0).contains(&f) => Err(QuiverError::Execution(format!(
                    "the fraction of {} must be between 0 and 1, not {f}",
                    self.name
                ))),
                Some(f) => Ok(f),
            })
            .collect()
    }

    /// The position in a run of `n` sorted values that a discrete quantile
    /// picks: the first at which at least that fraction of values lie.
    fn discrete_index(n: usize, fraction: f64) -> usize {
        let exact = n as f64 * fraction;
        // 10 * 0.7 is 7.000000000000001 in doubles; it means 7.
        let nearest = exact.round();
        let at_least = if (exact - nearest).abs() <= 1e-9 * nearest.max(1.0) {
            nearest
        } else {
            exact.ceil()
        };
        (at_least as usize).clamp(1, n) - 1
    }

    /// The answer for every group: one value, or a list of one per
    /// fraction.
    fn read(&mut self) -> Result<ArrayRef> {
        let total = std::mem::take(&mut self.total);
        let taken = self.values.take()?;
        let fractions = self.fractions.take().unwrap_or_else(|| vec![0.5]);
        if !self.listed {
            return self.read_at(taken.as_ref(), total, fractions[0]);
        }
        let answers = fractions
            .iter()
            .map(|&f| self.read_at(taken.as_ref(), total, f))
            .collect::<Result<Vec<_>>>()?;
        let mut present = vec![false; total];
        for &g in taken.iter().flat_map(|(_, groups)| groups) {
            present[g as usize] = true;
        }
        let picks: Vec<(usize, usize)> = (0..total)
            .flat_map(|g| (0..answers.len()).map(move |j| (j, g)))
            .collect();
        let refs: Vec<&dyn Array> = answers.iter().map(|a| a.as_ref()).collect();
        let values = match refs.is_empty() {
            true => arrow::array::new_empty_array(&self.output),
            false => arrow::compute::interleave(&refs, &picks)?,
        };
        let offsets = OffsetBuffer::from_lengths(std::iter::repeat_n(answers.len(), total));
        let field = Arc::new(Field::new_list_field(self.output.clone(), true));
        Ok(Arc::new(arrow::array::ListArray::try_new(
            field,
            offsets,
            values,
            Some(NullBuffer::from(present)),
        )?))
    }

    /// The answer for every group at `fraction`, from the values sorted by
    /// (group, value).
    fn read_at(
        &self,
        taken: Option<&(ArrayRef, Vec<u32>)>,
        total: usize,
        fraction: f64,
    ) -> Result<ArrayRef> {
        let (values, groups) = match taken {
            Some((values, groups)) => (Arc::clone(values), UInt32Array::from(groups.clone())),
            None if self.reading == Reading::Entropy => {
                return Ok(Arc::new(Float64Array::from(vec![0.0; total])))
            }
            None => return Ok(new_null_array(&self.output, total)),
        };
        if self.reading == Reading::Continuous {
            return self.interpolated(&groups, &values, total, fraction);
        }
        let order = order_by_group(&groups, &values, None)?;
        let order = order.values();
        // Each group's run of positions in `order`.
        let mut runs = vec![0..0; total];
        let mut start = 0;
        while start < order.len() {
            let g = groups.value(order[start] as usize);
            let mut end = start + 1;
            while end < order.len() && groups.value(order[end] as usize) == g {
                end += 1;
            }
            runs[g as usize] = start..end;
            start = end;
        }
        match self.reading {
            Reading::Discrete | Reading::Median => {
                let picks: UInt64Array = runs
                    .iter()
                    .map(|run| {
                        (!run.is_empty()).then(|| {
                            order[run.start + Self::discrete_index(run.len(), fraction)] as u64
                        })
                    })
                    .collect();
                Ok(take(&values, &picks, None)?)
            }
            Reading::Mode | Reading::Entropy | Reading::Histogram => {
                self.read_frequencies(&values, order, &runs)
            }
            Reading::Continuous => Err(QuiverError::Internal(
                "continuous quantiles are interpolated without sorting".into(),
            )),
        }
    }

    /// Continuous quantiles (of DOUBLE values): each group's values are
    /// gathered together (a counting sort by group), and the two order
    /// statistics around the fraction are selected in linear time, without
    /// sorting the group.
    fn interpolated(
        &self,
        groups: &UInt32Array,
        values: &ArrayRef,
        total: usize,
        fraction: f64,
    ) -> Result<ArrayRef> {
        // Timestamps interpolate in their units, as doubles (exact to 2^53).
        let numbers = match values.data_type() {
            DataType::Timestamp(..) => cast(&cast(values, &DataType::Int64)?, &DataType::Float64)?,
            _ => Arc::clone(values),
        };
        let v = numbers.as_primitive::<Float64Type>();
        let (starts, order) = by_group(groups.values(), total);
        let mut grouped: Vec<f64> = order.iter().map(|&i| v.value(i as usize)).collect();
        let out: Float64Array = (0..total)
            .map(|g| {
                let run = &mut grouped[starts[g]..starts[g + 1]];
                if run.is_empty() {
                    return None;
                }
                let position = (run.len() - 1) as f64 * fraction;
                let low = position.floor() as usize;
                let (_, &mut a, above) = run.select_nth_unstable_by(low, f64::total_cmp);
                if position == low as f64 || above.is_empty() {
                    return Some(a);
                }
                let b = above.iter().copied().min_by(f64::total_cmp).unwrap_or(a);
                Some(a + (position - low as f64) * (b - a))
            })
            .collect();
        let out: ArrayRef = Arc::new(out);
        Ok(match values.data_type() {
            DataType::Timestamp(..) => {
                let rounded: Float64Array = out
                    .as_primitive::<Float64Type>()
                    .iter()
                    .map(|v| v.map(f64::round))
                    .collect();
                cast(&cast(&rounded, &DataType::Int64)?, values.data_type())?
            }
            _ => out,
        })
    }

    /// Mode and entropy, from the runs of equal values within each group.
    fn read_frequencies(
        &self,
        values: &ArrayRef,
        order: &[u32],
        runs: &[std::ops::Range<usize>],
    ) -> Result<ArrayRef> {
        let compare = make_comparator(values.as_ref(), values.as_ref(), Default::default())?;
        let equal = |a: usize, b: usize| compare(order[a] as usize, order[b] as usize).is_eq();
        let mut modes: Vec<Option<u64>> = Vec::with_capacity(runs.len());
        let mut entropies: Vec<Option<f64>> = Vec::with_capacity(runs.len());
        // Each distinct value (a position of it) and its count, group by
        // group; the offsets of each group's entries.
        let (mut distinct, mut counts, mut offsets) = (vec![], vec![], vec![0i32]);
        for run in runs {
            if run.is_empty() {
                modes.push(None);
                entropies.push(Some(0.0));
                offsets.push(distinct.len() as i32);
                continue;
            }
            let n = run.len() as f64;
            // (count, first arrival, a position) of the most frequent value.
            let mut best: Option<(usize, u32, usize)> = None;
            let mut entropy = 0.0;
            let mut i = run.start;
            while i < run.end {
                let mut j = i + 1;
                while j < run.end && equal(i, j) {
                    j += 1;
                }
                let count = j - i;
                let first = order[i..j].iter().copied().min().unwrap_or(0);
                let better = best.is_none_or(|(c, f, _)| count > c || (count == c && first < f));
                if better {
                    best = Some((count, first, i));
                }
                let p = count as f64 / n;
                entropy -= p * p.log2();
                distinct.push(order[i]);
                counts.push(count as i64);
                i = j;
            }
            offsets.push(distinct.len() as i32);
            modes.push(best.map(|(_, _, at)| order[at] as u64));
            entropies.push(Some(if entropy == 0.0 { 0.0 } else { entropy }));
        }
        match self.reading {
            Reading::Entropy => Ok(Arc::new(Float64Array::from(entropies))),
            Reading::Histogram => {
                let keys = take(values, &UInt32Array::from(distinct), None)?;
                let present: Vec<bool> = runs.iter().map(|r| !r.is_empty()).collect();
                histogram_array(keys, counts, offsets, present)
            }
            _ => Ok(take(values, &UInt64Array::from(modes), None)?),
        }
    }
}

impl GroupsAccumulator for SortedValues {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total: usize,
    ) -> Result<()> {
        self.total = self.total.max(total);
        if let Some(fraction) = values.get(1) {
            self.take_fraction(fraction)?;
        }
        let column = &values[0];
        if column.data_type() != &self.value_type {
            return Err(QuiverError::Internal(format!(
                "{} got {} values",
                self.name,
                column.data_type()
            )));
        }
        match column.logical_nulls() {
            Some(nulls) if nulls.null_count() > 0 => {
                let valid = arrow::array::BooleanArray::new(nulls.inner().clone(), None);
                let groups = group_indices
                    .iter()
                    .enumerate()
                    .filter(|(row, _)| nulls.is_valid(*row))
                    .map(|(_, &g)| g);
                self.values.push(filter(column, &valid)?, groups);
            }
            _ => self
                .values
                .push(Arc::clone(column), group_indices.iter().copied()),
        }
        Ok(())
    }

    fn merge_batch(&mut self, _: &[ArrayRef], _: &[usize], _: usize) -> Result<()> {
        Err(QuiverError::Internal(format!(
            "{} has no partial state to merge",
            self.name
        )))
    }

    fn state(&mut self) -> Result<Vec<ArrayRef>> {
        Err(QuiverError::Internal(format!(
            "{} has no partial state",
            self.name
        )))
    }

    fn evaluate(&mut self) -> Result<ArrayRef> {
        self.read()
    }

    fn size(&self) -> usize {
        self.values.size()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, StringArray};

    fn run(name: &str, values: ArrayRef, fraction: Option<f64>, groups: &[usize]) -> ArrayRef {
        let f = Holistic::all()
            .into_iter()
            .find(|h| h.name == name)
            .unwrap();
        let mut types = vec![values.data_type().clone()];
        let mut args = vec![values];
        if let Some(q) = fraction {
            types.push(DataType::Float64);
            args.push(Arc::new(Float64Array::from(vec![q; groups.len()])));
        }
        let total = groups.iter().max().map_or(0, |g| g + 1);
        let mut acc = f.create_accumulator(&types).unwrap();
        acc.update_batch(&args, groups, total).unwrap();
        acc.evaluate().unwrap()
    }

    #[test]
    fn discrete_quantiles_pick_the_first_value_reaching_the_fraction() {
        let values: ArrayRef = Arc::new(Int64Array::from(vec![7, 0, 9, 3, 1, 8, 2, 6, 5, 4]));
        let groups = vec![0; 10];
        for (q, expected) in [(0.0, 0), (0.1, 0), (0.3, 2), (0.5, 4), (0.7, 6), (0.99, 9)] {
            let out = run("quantile_disc", Arc::clone(&values), Some(q), &groups);
            assert_eq!(
                out.as_primitive::<arrow::datatypes::Int64Type>().value(0),
                expected,
                "{q}"
            );
        }
    }

    #[test]
    fn continuous_quantiles_interpolate_per_group() {
        let values: ArrayRef = Arc::new(Float64Array::from(vec![
            Some(2.0),
            Some(10.0),
            Some(3.0),
            None,
            Some(5.0),
            Some(7.0),
        ]));
        let out = run("quantile_cont", values, Some(0.25), &[0, 1, 0, 0, 0, 0]);
        let out = out.as_primitive::<Float64Type>();
        // Group 0 holds 2, 3, 5, 7: a quarter of the way is 3 / 4 past 2.
        assert!((out.value(0) - 2.75).abs() < 1e-12);
        assert_eq!(out.value(1), 10.0);
    }

    #[test]
    fn mode_prefers_the_first_met_of_equally_frequent_values() {
        let values: ArrayRef = Arc::new(StringArray::from(vec!["b", "a", "b", "a", "c"]));
        let out = run("mode", values, None, &[0, 0, 0, 0, 1]);
        let out = out.as_string::<i32>();
        assert_eq!((out.value(0), out.value(1)), ("b", "c"));
        let values: ArrayRef = Arc::new(Int64Array::from(vec![1, 3, 3, 2]));
        let entropy = run("entropy", values, None, &[0, 0, 0, 0]);
        assert_eq!(entropy.as_primitive::<Float64Type>().value(0), 1.5);
    }

    #[test]
    fn groups_without_values_are_null() {
        let values: ArrayRef = Arc::new(Int64Array::from(vec![None, Some(4)]));
        let out = run("median", values, None, &[0, 1]);
        assert!(out.is_null(0));
    }
}
