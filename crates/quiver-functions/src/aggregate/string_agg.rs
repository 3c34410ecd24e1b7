//! `string_agg(value [, delimiter])` (`listagg`, `group_concat`): a group's
//! non-NULL values joined, each after the first preceded by its row's
//! delimiter (a comma when none is given). The order of values within a
//! group is the order rows arrive in, or the call's ORDER BY.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, StringArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field};
use quiver_expr::types::is_string;
use quiver_expr::{AggregateFunction, GroupsAccumulator, QuiverError, Result};

/// `string_agg`.
#[derive(Debug)]
pub struct StringAgg;

impl AggregateFunction for StringAgg {
    fn name(&self) -> &str {
        "string_agg"
    }
    fn depends_on_input_order(&self) -> bool {
        true
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["listagg", "group_concat"]
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if !(1..=2).contains(&arg_types.len()) {
            return Err(QuiverError::Plan(format!(
                "aggregate string_agg takes 1 or 2 arguments (value, delimiter) but was given {}",
                arg_types.len()
            )));
        }
        for t in arg_types {
            if !(is_string(t) || t == &DataType::Null) {
                return Err(super::unsupported("string_agg", t));
            }
        }
        Ok(vec![DataType::Utf8; arg_types.len()])
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }
    fn state_fields(&self, name: &str, _: &[DataType]) -> Result<Vec<Field>> {
        Ok(vec![
            Field::new(format!("{name}[value]"), DataType::Utf8, true),
            Field::new(format!("{name}[delimiter]"), DataType::Utf8, true),
        ])
    }
    fn create_accumulator(&self, _: &[DataType]) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(StringAggAccumulator { groups: vec![] }))
    }
}

/// Per group: the joined text so far and the delimiter of its first value
/// (which goes in front of it when it is appended to another partial).
#[derive(Debug)]
struct StringAggAccumulator {
    groups: Vec<Option<(String, String)>>,
}

impl StringAggAccumulator {
    fn push(&mut self, g: usize, value: &str, delimiter: &str) {
        match &mut self.groups[g] {
            Some((text, _)) => {
                text.push_str(delimiter);
                text.push_str(value);
            }
            slot @ None => *slot = Some((value.to_string(), delimiter.to_string())),
        }
    }

    fn add(&mut self, values: &[ArrayRef], group_indices: &[usize], total: usize) -> Result<()> {
        self.groups.resize(total, None);
        let value = cast(&values[0], &DataType::Utf8)?;
        let delimiter = match values.get(1) {
            Some(d) => cast(d, &DataType::Utf8)?,
            None => Arc::new(StringArray::new_repeated(",", value.len())),
        };
        let (value, delimiter) = (value.as_string::<i32>(), delimiter.as_string::<i32>());
        for (row, &g) in group_indices.iter().enumerate() {
            if value.is_valid(row) {
                let d = if delimiter.is_valid(row) {
                    delimiter.value(row)
                } else {
                    ""
                };
                self.push(g, value.value(row), d);
            }
        }
        Ok(())
    }
}

impl GroupsAccumulator for StringAggAccumulator {
    fn update_batch(&mut self, values: &[ArrayRef], groups: &[usize], total: usize) -> Result<()> {
        self.add(values, groups, total)
    }
    fn merge_batch(&mut self, states: &[ArrayRef], groups: &[usize], total: usize) -> Result<()> {
        self.add(states, groups, total)
    }
    fn state(&mut self) -> Result<Vec<ArrayRef>> {
        let groups = std::mem::take(&mut self.groups);
        let value: StringArray = groups.iter().map(|g| g.as_ref().map(|(t, _)| t)).collect();
        let delimiter: StringArray = groups.iter().map(|g| g.as_ref().map(|(_, d)| d)).collect();
        Ok(vec![Arc::new(value), Arc::new(delimiter)])
    }
    fn evaluate(&mut self) -> Result<ArrayRef> {
        let groups = std::mem::take(&mut self.groups);
        let out: StringArray = groups.into_iter().map(|g| g.map(|(t, _)| t)).collect();
        Ok(Arc::new(out))
    }
    fn size(&self) -> usize {
        self.groups
            .iter()
            .flatten()
            .map(|(t, d)| t.capacity() + d.capacity())
            .sum::<usize>()
            + self.groups.capacity() * 48
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_values_and_merges_partials_with_their_delimiter() {
        let strings = |v: Vec<Option<&str>>| Arc::new(StringArray::from(v)) as ArrayRef;
        let mut a = StringAgg.create_accumulator(&[]).unwrap();
        a.update_batch(
            &[
                strings(vec![Some("x"), None, Some("y")]),
                strings(vec![Some(","); 3]),
            ],
            &[0, 0, 0],
            1,
        )
        .unwrap();
        let mut b = StringAgg.create_accumulator(&[]).unwrap();
        b.update_batch(
            &[strings(vec![Some("z")]), strings(vec![Some(";")])],
            &[0],
            1,
        )
        .unwrap();
        let mut merged = StringAgg.create_accumulator(&[]).unwrap();
        merged.merge_batch(&a.state().unwrap(), &[0], 1).unwrap();
        merged.merge_batch(&b.state().unwrap(), &[0], 1).unwrap();
        let out = merged.evaluate().unwrap();
        assert_eq!(out.as_string::<i32>().value(0), "x,y;z");
    }
}
