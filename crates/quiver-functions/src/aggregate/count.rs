//! `count(*)` and `count(x)`.

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
