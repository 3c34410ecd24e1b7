//! `list(x)` (`array_agg`): a group's values as a LIST, NULLs included, in
//! the order rows arrive (or the call's ORDER BY); NULL for a group without
//! rows, as in DuckDB. Values are kept in Arrow arrays with the group of
//! each beside it, and gathered group by group at the end; partial lists
//! from other partitions are appended element by element.

use std::sync::Arc;

use arrow::array::{new_null_array, Array, ArrayRef, AsArray, ListArray, UInt32Array};
use arrow::buffer::{NullBuffer, OffsetBuffer};
use arrow::compute::take;
use arrow::datatypes::{DataType, Field};
use quiver_expr::{AggregateFunction, GroupsAccumulator, QuiverError, Result};

use super::collected::{by_group, CollectedValues};
use super::one_arg;

/// `list`.
#[derive(Debug)]
pub struct List;

/// The LIST type of values of type `t`.
fn list_of(t: &DataType) -> DataType {
    DataType::List(Arc::new(Field::new("item", t.clone(), true)))
}

impl AggregateFunction for List {
    fn name(&self) -> &str {
        "list"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["array_agg"]
    }
    fn depends_on_input_order(&self) -> bool {
        true
    }
    fn skips_null_inputs(&self) -> bool {
        false
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        one_arg("list", arg_types)?;
        Ok(vec![match &arg_types[0] {
            DataType::Null => DataType::Int32,
            t => t.clone(),
        }])
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(list_of(&arg_types[0]))
    }
    fn state_fields(&self, name: &str, arg_types: &[DataType]) -> Result<Vec<Field>> {
        Ok(vec![Field::new(
            format!("{name}[list]"),
            list_of(&arg_types[0]),
            true,
        )])
    }
    fn create_accumulator(&self, arg_types: &[DataType]) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(ListAccumulator {
            element: arg_types[0].clone(),
            values: CollectedValues::default(),
            total: 0,
        }))
    }
}

/// Every value of every group, in arrival order.
#[derive(Debug)]
struct ListAccumulator {
    element: DataType,
    values: CollectedValues,
    total: usize,
}

impl ListAccumulator {
    /// Each group's list: the values gathered group by group, each group's
    /// in arrival order.
    fn take_lists(&mut self) -> Result<ArrayRef> {
        let total = std::mem::take(&mut self.total);
        let Some((values, groups)) = self.values.take()? else {
            return Ok(new_null_array(&list_of(&self.element), total));
        };
        let (starts, order) = by_group(&groups, total);
        let gathered = take(&values, &UInt32Array::from(order), None)?;
        let offsets = OffsetBuffer::new(
            starts
                .iter()
                .map(|&s| i32::try_from(s))
                .collect::<std::result::Result<Vec<i32>, _>>()
                .map_err(|_| QuiverError::Execution("a list has more than 2^31 values".into()))?
                .into(),
        );
        let present = NullBuffer::from(
            starts
                .windows(2)
                .map(|w| w[1] > w[0])
                .collect::<Vec<bool>>(),
        );
        let field = Arc::new(Field::new("item", self.element.clone(), true));
        Ok(Arc::new(ListArray::try_new(
            field,
            offsets,
            gathered,
            Some(present),
        )?))
    }
}

impl GroupsAccumulator for ListAccumulator {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total: usize,
    ) -> Result<()> {
        self.total = self.total.max(total);
        self.values
            .push(Arc::clone(&values[0]), group_indices.iter().copied());
        Ok(())
    }

    fn merge_batch(
        &mut self,
        states: &[ArrayRef],
        group_indices: &[usize],
        total: usize,
    ) -> Result<()> {
        self.total = self.total.max(total);
        let lists = states[0].as_list::<i32>();
        let offsets = lists.value_offsets();
        let (first, last) = (offsets[0] as usize, offsets[offsets.len() - 1] as usize);
        let elements = lists.values().slice(first, last - first);
        let groups = group_indices.iter().enumerate().flat_map(|(row, &g)| {
            let length = if lists.is_valid(row) {
                (offsets[row + 1] - offsets[row]) as usize
            } else {
                0
            };
            std::iter::repeat_n(g, length)
        });
        let groups: Vec<usize> = groups.collect();
        self.values.push(elements, groups.into_iter());
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ArrayRef>> {
        Ok(vec![self.take_lists()?])
    }

    fn evaluate(&mut self) -> Result<ArrayRef> {
        self.take_lists()
    }

    fn size(&self) -> usize {
        self.values.size()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::Int64Array;

    #[test]
    fn lists_keep_nulls_and_arrival_order_across_partials() {
        let part = |values: Vec<Option<i64>>, groups: &[usize]| {
            let mut acc = List.create_accumulator(&[DataType::Int64]).unwrap();
            let values: ArrayRef = Arc::new(Int64Array::from(values));
            acc.update_batch(&[values], groups, 3).unwrap();
            acc.state().unwrap()
        };
        let a = part(vec![Some(1), None, Some(3)], &[0, 0, 1]);
        let b = part(vec![Some(4)], &[0]);
        let mut merged = List.create_accumulator(&[DataType::Int64]).unwrap();
        merged.merge_batch(&a, &[0, 1, 2], 3).unwrap();
        merged.merge_batch(&b, &[0, 1, 2], 3).unwrap();
        let out = merged.evaluate().unwrap();
        let out = out.as_list::<i32>();
        let group = |g: usize| {
            let v = out.value(g);
            let v = v.as_primitive::<arrow::datatypes::Int64Type>();
            (0..v.len())
                .map(|i| v.is_valid(i).then(|| v.value(i)))
                .collect::<Vec<_>>()
        };
        assert_eq!(group(0), vec![Some(1), None, Some(4)]);
        assert_eq!(group(1), vec![Some(3)]);
        assert!(out.is_null(2));
    }
}
