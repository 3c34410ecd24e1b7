//! `sum(x)` and `avg(x)`.
//!
//! `sum` of integers is BIGINT (overflow is an error), of decimals
//! DECIMAL(38, s), of floats DOUBLE. `avg` is DOUBLE, as in DuckDB.

use std::cell::Cell;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Float64Array, Int64Array, PrimitiveArray};
use arrow::datatypes::{
    ArrowNativeTypeOp, ArrowPrimitiveType, DataType, Decimal128Type, Field, Float64Type, Int64Type,
};
use quiver_expr::types::sql_type_name;
use quiver_expr::{AggregateFunction, GroupsAccumulator, QuiverError, Result};

use super::{
    count_valid, fold_in_lanes, for_each_valid, one_arg, unsupported, validity, SelfMerging,
    SelfMergingAccumulator, LANE_GROUPS,
};

fn sum_input_type(name: &str, t: &DataType) -> Result<DataType> {
    Ok(match t {
        DataType::Null => DataType::Int64,
        t if t.is_integer() => DataType::Int64,
        DataType::Float32 | DataType::Float64 => DataType::Float64,
        t @ DataType::Decimal128(..) => t.clone(),
        other => return Err(unsupported(name, other)),
    })
}

/// `sum`.
#[derive(Debug)]
pub struct Sum;

impl AggregateFunction for Sum {
    fn additive_state(&self, arg_types: &[DataType]) -> bool {
        matches!(arg_types, [DataType::Int64 | DataType::Decimal128(..)])
    }
    fn name(&self) -> &str {
        "sum"
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        one_arg("sum", arg_types)?;
        Ok(vec![sum_input_type("sum", &arg_types[0])?])
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(match &arg_types[0] {
            DataType::Decimal128(_, s) => DataType::Decimal128(38, *s),
            other => other.clone(),
        })
    }
    fn state_fields(&self, name: &str, arg_types: &[DataType]) -> Result<Vec<Field>> {
        Ok(vec![Field::new(
            format!("{name}[sum]"),
            self.return_type(arg_types)?,
            true,
        )])
    }
    fn create_accumulator(&self, arg_types: &[DataType]) -> Result<Box<dyn GroupsAccumulator>> {
        let result = self.return_type(arg_types)?;
        Ok(match &arg_types[0] {
            DataType::Int64 => Box::new(SelfMerging(SumAccumulator::<Int64Type>::new(result))),
            DataType::Float64 => Box::new(SelfMerging(SumAccumulator::<Float64Type>::new(result))),
            DataType::Decimal128(..) => {
                Box::new(SelfMerging(SumAccumulator::<Decimal128Type>::new(result)))
            }
            other => return Err(unsupported("sum", other)),
        })
    }
}

/// Addition that reports overflow instead of failing, so a whole batch can
/// be summed without a branch per row and checked once at the end.
pub trait OverflowingAdd: Copy {
    /// `self + other` (wrapped on overflow) and whether it overflowed.
    fn add_overflowing(self, other: Self) -> (Self, bool);
}

impl OverflowingAdd for i64 {
    fn add_overflowing(self, other: Self) -> (Self, bool) {
        self.overflowing_add(other)
    }
}

impl OverflowingAdd for i128 {
    fn add_overflowing(self, other: Self) -> (Self, bool) {
        self.overflowing_add(other)
    }
}

impl OverflowingAdd for f64 {
    fn add_overflowing(self, other: Self) -> (Self, bool) {
        (self + other, false)
    }
}

/// Per-group sums. Integer and decimal overflow is an error.
#[derive(Debug)]
struct SumAccumulator<T: ArrowPrimitiveType> {
    sums: Vec<T::Native>,
    seen: Vec<bool>,
    result_type: DataType,
}

impl<T: ArrowPrimitiveType> SumAccumulator<T>
where
    T::Native: OverflowingAdd,
{
    fn new(result_type: DataType) -> Self {
        Self {
            sums: vec![],
            seen: vec![],
            result_type,
        }
    }

    fn add(&mut self, values: &ArrayRef, group_indices: &[usize], total: usize) -> Result<()> {
        self.sums.resize(total, T::Native::ZERO);
        self.seen.resize(total, false);
        let values = values.as_primitive::<T>();
        let raw = values.values();
        let mut overflow = false;
        if total == 1 {
            // One group (a global aggregate): the sum stays in a register
            // instead of going through memory at every row.
            let mut sum = self.sums[0];
            let mut add = |v: T::Native| {
                let (s, o) = sum.add_overflowing(v);
                sum = s;
                overflow |= o;
            };
            match values.nulls().filter(|n| n.null_count() > 0) {
                None => raw.iter().for_each(|&v| add(v)),
                Some(_) => values.iter().flatten().for_each(add),
            }
            self.sums[0] = sum;
            self.seen[0] |= values.len() > values.null_count();
        } else if values.null_count() == 0 && total <= LANE_GROUPS {
            let overflowed = Cell::new(false);
            let add = |a: T::Native, b: T::Native| {
                let (s, o) = a.add_overflowing(b);
                overflowed.set(overflowed.get() | o);
                s
            };
            let (fold, combine) = (|s, row: usize| add(s, raw[row]), add);
            fold_in_lanes(
                group_indices,
                &mut self.sums,
                T::Native::ZERO,
                fold,
                combine,
            );
            group_indices.iter().for_each(|&g| self.seen[g] = true);
            overflow = overflowed.get();
        } else {
            // Borrowed apart so that the loop need not reload them per row.
            let (sums, seen) = (&mut self.sums[..], &mut self.seen[..]);
            for_each_valid(values, group_indices, |row, g| {
                let (sum, o) = sums[g].add_overflowing(raw[row]);
                sums[g] = sum;
                seen[g] = true;
                overflow |= o;
            });
        }
        if overflow {
            return Err(QuiverError::Execution(format!(
                "numeric overflow in sum: the total does not fit {}",
                sql_type_name(&self.result_type)
            )));
        }
        Ok(())
    }

    fn take(&mut self) -> Result<ArrayRef> {
        let nulls = validity(&self.seen);
        self.seen.clear();
        let array = PrimitiveArray::<T>::new(std::mem::take(&mut self.sums).into(), nulls);
        Ok(Arc::new(array.with_data_type(self.result_type.clone())))
    }
}

impl<T: ArrowPrimitiveType + std::fmt::Debug> SelfMergingAccumulator for SumAccumulator<T>
where
    T::Native: OverflowingAdd,
{
    fn add(&mut self, values: &ArrayRef, group_indices: &[usize], total: usize) -> Result<()> {
        SumAccumulator::add(self, values, group_indices, total)
    }
    fn take(&mut self) -> Result<ArrayRef> {
        SumAccumulator::take(self)
    }
    fn heap_size(&self) -> usize {
        self.sums.capacity() * std::mem::size_of::<T::Native>() + self.seen.capacity()
    }
}

/// `avg`.
#[derive(Debug)]
pub struct Avg;

impl AggregateFunction for Avg {
    fn additive_state(&self, arg_types: &[DataType]) -> bool {
        matches!(arg_types, [DataType::Decimal128(..)])
    }
    fn name(&self) -> &str {
        "avg"
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        one_arg("avg", arg_types)?;
        Ok(vec![match sum_input_type("avg", &arg_types[0])? {
            DataType::Int64 => DataType::Float64,
            other => other,
        }])
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }
    fn state_fields(&self, name: &str, arg_types: &[DataType]) -> Result<Vec<Field>> {
        Ok(vec![
            Field::new(format!("{name}[sum]"), Sum.return_type(arg_types)?, true),
            Field::new(format!("{name}[count]"), DataType::Int64, false),
        ])
    }
    fn create_accumulator(&self, arg_types: &[DataType]) -> Result<Box<dyn GroupsAccumulator>> {
        let sum_type = Sum.return_type(arg_types)?;
        Ok(match &arg_types[0] {
            DataType::Float64 => Box::new(AvgAccumulator::<Float64Type>::new(sum_type, 1.0, |v| v)),
            DataType::Decimal128(_, s) => Box::new(AvgAccumulator::<Decimal128Type>::new(
                sum_type,
                10f64.powi(*s as i32),
                |v| v as f64,
            )),
            other => return Err(unsupported("avg", other)),
        })
    }
}

/// A sum and a count per group; the result is their quotient as DOUBLE.
#[derive(Debug)]
struct AvgAccumulator<T: ArrowPrimitiveType> {
    sums: SumAccumulator<T>,
    counts: Vec<i64>,
    /// Divides a raw sum into its value (10^scale for decimals).
    unit: f64,
    to_f64: fn(T::Native) -> f64,
}

impl<T: ArrowPrimitiveType> AvgAccumulator<T>
where
    T::Native: OverflowingAdd,
{
    fn new(sum_type: DataType, unit: f64, to_f64: fn(T::Native) -> f64) -> Self {
        Self {
            sums: SumAccumulator::new(sum_type),
            counts: vec![],
            unit,
            to_f64,
        }
    }
}

impl<T: ArrowPrimitiveType + std::fmt::Debug> GroupsAccumulator for AvgAccumulator<T>
where
    T::Native: OverflowingAdd,
{
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total: usize,
    ) -> Result<()> {
        self.counts.resize(total, 0);
        count_valid(values[0].as_ref(), group_indices, &mut self.counts);
        self.sums.add(&values[0], group_indices, total)
    }
    fn merge_batch(
        &mut self,
        states: &[ArrayRef],
        group_indices: &[usize],
        total: usize,
    ) -> Result<()> {
        self.counts.resize(total, 0);
        let counts = states[1].as_primitive::<Int64Type>();
        for (row, &g) in group_indices.iter().enumerate() {
            self.counts[g] += counts.value(row);
        }
        self.sums.add(&states[0], group_indices, total)
    }
    fn state(&mut self) -> Result<Vec<ArrayRef>> {
        let counts: ArrayRef = Arc::new(Int64Array::from(std::mem::take(&mut self.counts)));
        Ok(vec![self.sums.take()?, counts])
    }
    fn evaluate(&mut self) -> Result<ArrayRef> {
        let sums = self.sums.take()?;
        let sums = sums.as_primitive::<T>();
        let counts = std::mem::take(&mut self.counts);
        let out: Float64Array = counts
            .iter()
            .enumerate()
            .map(|(g, &n)| (n > 0).then(|| (self.to_f64)(sums.value(g)) / self.unit / n as f64))
            .collect();
        Ok(Arc::new(out))
    }
    fn size(&self) -> usize {
        self.sums.heap_size() + self.counts.capacity() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, Decimal128Array};

    #[test]
    fn integer_sum_overflow_is_an_error() {
        let mut acc = Sum.create_accumulator(&[DataType::Int64]).unwrap();
        let v: ArrayRef = Arc::new(Int64Array::from(vec![i64::MAX, 1]));
        let err = acc.update_batch(&[v], &[0, 0], 1).unwrap_err().to_string();
        assert!(err.contains("overflow"), "{err}");
        // Also with few groups, summed in lanes, and with many.
        for total in [2, 100] {
            let mut acc = Sum.create_accumulator(&[DataType::Int64]).unwrap();
            let v: ArrayRef = Arc::new(Int64Array::from(vec![i64::MAX, 5, 1]));
            let err = acc.update_batch(&[v], &[1, 0, 1], total).unwrap_err();
            assert!(err.to_string().contains("overflow"), "{err}");
        }
    }

    #[test]
    fn decimal_sum_widens_and_skips_nulls() {
        let t = DataType::Decimal128(15, 2);
        assert_eq!(
            Sum.return_type(std::slice::from_ref(&t)).unwrap(),
            DataType::Decimal128(38, 2)
        );
        let mut acc = Sum.create_accumulator(&[t]).unwrap();
        let v: ArrayRef = Arc::new(
            Decimal128Array::from(vec![Some(150), None, Some(250)])
                .with_precision_and_scale(15, 2)
                .unwrap(),
        );
        acc.update_batch(&[v], &[0, 1, 0], 2).unwrap();
        let out = acc.evaluate().unwrap();
        assert_eq!(out.data_type(), &DataType::Decimal128(38, 2));
        assert_eq!(out.as_primitive::<Decimal128Type>().value(0), 400);
        assert!(out.is_null(1), "a group with only NULLs sums to NULL");
    }

    #[test]
    fn avg_of_decimals_through_two_phases() {
        let t = DataType::Decimal128(15, 2);
        let mut partial = Avg.create_accumulator(std::slice::from_ref(&t)).unwrap();
        let v: ArrayRef = Arc::new(
            Decimal128Array::from(vec![100, 200, 400])
                .with_precision_and_scale(15, 2)
                .unwrap(),
        );
        partial.update_batch(&[v], &[0, 0, 1], 2).unwrap();
        let state = partial.state().unwrap();
        let mut fin = Avg.create_accumulator(&[t]).unwrap();
        fin.merge_batch(&state, &[0, 0], 1).unwrap();
        let out = fin.evaluate().unwrap();
        assert!((out.as_primitive::<Float64Type>().value(0) - 7.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn one_group_sums_and_averages_like_many() {
        let t = DataType::Decimal128(15, 2);
        let decimals = |v: Vec<Option<i128>>| -> ArrayRef {
            Arc::new(
                Decimal128Array::from(v)
                    .with_precision_and_scale(15, 2)
                    .unwrap(),
            )
        };
        let batches = [
            decimals(vec![None, None]),
            decimals(vec![Some(4), None, Some(-1)]),
            decimals(vec![Some(7), Some(2)]),
        ];
        for function in [&Sum as &dyn AggregateFunction, &Avg] {
            let mut one = function
                .create_accumulator(std::slice::from_ref(&t))
                .unwrap();
            let mut two = function
                .create_accumulator(std::slice::from_ref(&t))
                .unwrap();
            for (i, batch) in batches.iter().enumerate() {
                let rows = batch.len();
                one.update_batch(std::slice::from_ref(batch), &vec![0; rows], 1)
                    .unwrap();
                if i == 0 {
                    assert!(one.evaluate().unwrap().is_null(0), "only NULLs so far");
                    one.update_batch(std::slice::from_ref(batch), &vec![0; rows], 1)
                        .unwrap();
                }
                // The same rows in group 1 of two.
                two.update_batch(std::slice::from_ref(batch), &vec![1; rows], 2)
                    .unwrap();
            }
            let (one, two) = (one.evaluate().unwrap(), two.evaluate().unwrap());
            let (one, two) = (one.slice(0, 1).to_data(), two.slice(1, 1).to_data());
            assert_eq!(one, two, "{}", function.name());
        }
    }
}
