//! `bool_and` (`every`) and `bool_or`: whether all (any) non-NULL inputs of
//! a group are true; NULL for a group with no non-NULL input.

use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, BooleanArray};
use arrow::datatypes::{DataType, Field};
use quiver_expr::{AggregateFunction, GroupsAccumulator, Result};

use super::{for_each_valid, one_arg, unsupported, SelfMerging, SelfMergingAccumulator};

/// `bool_and` or `bool_or`.
#[derive(Debug)]
pub struct BoolAggregate {
    name: &'static str,
    all: bool,
}

impl BoolAggregate {
    /// `bool_and` under the given name (`bool_and` or `every`).
    pub fn and(name: &'static str) -> Self {
        Self { name, all: true }
    }
    /// `bool_or`.
    pub fn or() -> Self {
        Self {
            name: "bool_or",
            all: false,
        }
    }
}

impl AggregateFunction for BoolAggregate {
    fn name(&self) -> &str {
        self.name
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        one_arg(self.name, arg_types)?;
        match &arg_types[0] {
            DataType::Boolean | DataType::Null => Ok(vec![DataType::Boolean]),
            other => Err(unsupported(self.name, other)),
        }
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }
    fn state_fields(&self, name: &str, _: &[DataType]) -> Result<Vec<Field>> {
        Ok(vec![Field::new(
            format!("{name}[value]"),
            DataType::Boolean,
            true,
        )])
    }
    fn create_accumulator(&self, _: &[DataType]) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(SelfMerging(BoolAccumulator {
            all: self.all,
            values: vec![],
        })))
    }
}

#[derive(Debug)]
struct BoolAccumulator {
    all: bool,
    values: Vec<Option<bool>>,
}

impl SelfMergingAccumulator for BoolAccumulator {
    fn add(&mut self, values: &ArrayRef, group_indices: &[usize], total: usize) -> Result<()> {
        self.values.resize(total, None);
        let v = values.as_boolean();
        let all = self.all;
        for_each_valid(v, group_indices, |row, g| {
            let x = v.value(row);
            let current = &mut self.values[g];
            *current = Some(match *current {
                None => x,
                Some(c) if all => c && x,
                Some(c) => c || x,
            });
        });
        Ok(())
    }
    fn take(&mut self) -> Result<ArrayRef> {
        Ok(Arc::new(BooleanArray::from(std::mem::take(
            &mut self.values,
        ))))
    }
    fn heap_size(&self) -> usize {
        self.values.capacity() * 2
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::Array;

    #[test]
    fn all_and_any_ignore_nulls() {
        let v: ArrayRef = Arc::new(BooleanArray::from(vec![
            Some(true),
            Some(false),
            None,
            Some(true),
            None,
        ]));
        let groups = [0, 0, 1, 1, 2];
        let mut and = BoolAggregate::and("bool_and")
            .create_accumulator(&[])
            .unwrap();
        and.update_batch(&[Arc::clone(&v)], &groups, 3).unwrap();
        let mut or = BoolAggregate::or().create_accumulator(&[]).unwrap();
        or.update_batch(&[v], &groups, 3).unwrap();
        let and = and.evaluate().unwrap();
        let or = or.evaluate().unwrap();
        let (and, or) = (and.as_boolean(), or.as_boolean());
        assert_eq!(
            (and.value(0), and.value(1), and.is_null(2)),
            (false, true, true)
        );
        assert_eq!(
            (or.value(0), or.value(1), or.is_null(2)),
            (true, true, true)
        );
    }
}
