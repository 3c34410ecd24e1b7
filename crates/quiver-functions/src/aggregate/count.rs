//! `count(*)`, `count(x)` and `count_if(condition)`.

use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, Int64Array};
use arrow::datatypes::{DataType, Field, Int64Type};
use quiver_expr::{AggregateFunction, GroupsAccumulator, Result, ScalarValue};

use super::count_valid;

/// `count`: rows (no argument) or non-NULL values (one argument).
#[derive(Debug)]
pub struct Count;

impl AggregateFunction for Count {
    fn additive_state(&self, _arg_types: &[DataType]) -> bool {
        true
    }
    fn name(&self) -> &str {
        "count"
    }
    fn accepts_star(&self) -> bool {
        true
    }
    fn value_over_no_rows(&self, _: &DataType) -> Result<ScalarValue> {
        Ok(ScalarValue::Int64(Some(0)))
    }
    fn nullable(&self) -> bool {
        false
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        Ok(arg_types.to_vec())
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }
    fn state_fields(&self, name: &str, _: &[DataType]) -> Result<Vec<Field>> {
        Ok(vec![Field::new(
            format!("{name}[count]"),
            DataType::Int64,
            false,
        )])
    }
    fn create_accumulator(&self, _: &[DataType]) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(CountAccumulator { counts: vec![] }))
    }
}

/// `count_if(c)`: the rows where `c` is true. As in DuckDB it is the sum
/// of `c` as 1 or 0, so a group (or an input) with no non-NULL `c` gives
/// NULL.
#[derive(Debug)]
pub struct CountIf;

impl AggregateFunction for CountIf {
    fn name(&self) -> &str {
        "count_if"
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        super::one_arg("count_if", arg_types)?;
        match &arg_types[0] {
            DataType::Boolean | DataType::Null => Ok(vec![DataType::Boolean]),
            other => Err(super::unsupported("count_if", other)),
        }
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }
    fn state_fields(&self, name: &str, _: &[DataType]) -> Result<Vec<Field>> {
        super::Sum.state_fields(name, &[DataType::Int64])
    }
    fn create_accumulator(&self, _: &[DataType]) -> Result<Box<dyn GroupsAccumulator>> {
        let sum = super::Sum.create_accumulator(&[DataType::Int64])?;
        Ok(Box::new(SumOfConditions(sum)))
    }
}

/// A sum of conditions taken as 1 (true) or 0 (false).
#[derive(Debug)]
struct SumOfConditions(Box<dyn GroupsAccumulator>);

impl GroupsAccumulator for SumOfConditions {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total: usize,
    ) -> Result<()> {
        let ones = arrow::compute::cast(&values[0], &DataType::Int64)?;
        self.0.update_batch(&[ones], group_indices, total)
    }
    fn merge_batch(&mut self, states: &[ArrayRef], groups: &[usize], total: usize) -> Result<()> {
        self.0.merge_batch(states, groups, total)
    }
    fn state(&mut self) -> Result<Vec<ArrayRef>> {
        self.0.state()
    }
    fn evaluate(&mut self) -> Result<ArrayRef> {
        self.0.evaluate()
    }
    fn size(&self) -> usize {
        self.0.size()
    }
}

#[derive(Debug)]
struct CountAccumulator {
    counts: Vec<i64>,
}

impl GroupsAccumulator for CountAccumulator {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total: usize,
    ) -> Result<()> {
        self.counts.resize(total, 0);
        match values.first() {
            None if total == 1 => self.counts[0] += group_indices.len() as i64,
            None => group_indices.iter().for_each(|&g| self.counts[g] += 1),
            Some(v) => count_valid(v.as_ref(), group_indices, &mut self.counts),
        }
        Ok(())
    }

    fn merge_batch(
        &mut self,
        states: &[ArrayRef],
        group_indices: &[usize],
        total: usize,
    ) -> Result<()> {
        self.counts.resize(total, 0);
        let partial = states[0].as_primitive::<Int64Type>();
        for (row, &g) in group_indices.iter().enumerate() {
            self.counts[g] += partial.value(row);
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ArrayRef>> {
        Ok(vec![self.evaluate()?])
    }

    fn evaluate(&mut self) -> Result<ArrayRef> {
        Ok(Arc::new(Int64Array::from(std::mem::take(&mut self.counts))))
    }

    fn size(&self) -> usize {
        self.counts.capacity() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_rows_or_non_nulls_per_group() {
        let mut rows = Count.create_accumulator(&[]).unwrap();
        rows.update_batch(&[], &[0, 1, 1], 2).unwrap();
        let mut vals = Count.create_accumulator(&[DataType::Int64]).unwrap();
        let v: ArrayRef = Arc::new(Int64Array::from(vec![Some(1), None, Some(3)]));
        vals.update_batch(&[v], &[0, 1, 1], 2).unwrap();
        let state = vals.state().unwrap();
        let mut merged = Count.create_accumulator(&[DataType::Int64]).unwrap();
        merged.merge_batch(&state, &[2, 2], 3).unwrap();
        assert_eq!(
            rows.evaluate()
                .unwrap()
                .as_primitive::<Int64Type>()
                .values(),
            &[1, 2]
        );
        assert_eq!(
            merged
                .evaluate()
                .unwrap()
                .as_primitive::<Int64Type>()
                .values(),
            &[0, 0, 2]
        );
    }
}
