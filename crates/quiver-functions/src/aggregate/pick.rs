//! Aggregates that pick one row's value: `any_value` (some non-NULL value),
//! `first` / `arbitrary` and `last` (the first or last row's value, NULL
//! included, in the order rows arrive, or in the call's ORDER BY), and
//! `arg_min` / `arg_max` (`min_by` / `max_by`): the value at the row with
//! the least or greatest key, over the rows where neither is NULL
//! (`arg_min(arg, key, n)`: the args of the n least keys, `top_n.rs`).

use std::cmp::Ordering;
use std::sync::Arc;

use arrow::array::{make_comparator, Array, ArrayRef, AsArray, BooleanArray};
use arrow::datatypes::{DataType, Field};
use quiver_expr::types::sql_type_name;

use super::top_n::{top_n_count, top_n_state, top_n_type, TopN};
use quiver_expr::{AggregateFunction, GroupsAccumulator, QuiverError, Result, ScalarValue};

/// Which row a [`Pick`] aggregate takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Which {
    AnyValue,
    First,
    Last,
    ArgMin,
    ArgMax,
}

impl Which {
    fn keyed(self) -> bool {
        matches!(self, Which::ArgMin | Which::ArgMax)
    }
    /// Whether a NULL value can be the answer (not merely skipped).
    fn keeps_nulls(self) -> bool {
        matches!(self, Which::First | Which::Last)
    }
}

/// A picking aggregate.
#[derive(Debug)]
pub struct Pick {
    name: &'static str,
    aliases: &'static [&'static str],
    which: Which,
}

impl Pick {
    /// Every picking aggregate.
    pub fn all() -> Vec<Pick> {
        let make = |name, aliases, which| Pick {
            name,
            aliases,
            which,
        };
        vec![
            make("any_value", &[][..], Which::AnyValue),
            make("first", &["arbitrary"], Which::First),
            make("last", &[], Which::Last),
            make("arg_min", &["min_by", "argmin"], Which::ArgMin),
            make("arg_max", &["max_by", "argmax"], Which::ArgMax),
        ]
    }
}

impl AggregateFunction for Pick {
    fn name(&self) -> &str {
        self.name
    }
    fn aliases(&self) -> &'static [&'static str] {
        self.aliases
    }
    fn skips_null_inputs(&self) -> bool {
        !self.which.keeps_nulls()
    }
    fn depends_on_input_order(&self) -> bool {
        matches!(self.which, Which::First | Which::Last)
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if let (true, [value, key, count]) = (self.which.keyed(), arg_types) {
            let mut types = self.coerce_types(&[value.clone(), key.clone()])?;
            types.push(top_n_count(self.name, count)?);
            return Ok(types);
        }
        let wanted = if self.which.keyed() { 2 } else { 1 };
        if arg_types.len() != wanted {
            return Err(QuiverError::Plan(format!(
                "aggregate {} takes {wanted} argument{} but was given {}",
                self.name,
                if wanted == 2 { "s (value, key)" } else { "" },
                arg_types.len()
            )));
        }
        if let Some(key) = arg_types.get(1) {
            if matches!(
                key,
                DataType::List(_) | DataType::Struct(_) | DataType::Map(..)
            ) {
                return Err(QuiverError::Schema(format!(
                    "aggregate {} cannot order by {}",
                    self.name,
                    sql_type_name(key)
                )));
            }
        }
        Ok(arg_types
            .iter()
            .map(|t| match t {
                DataType::Null => DataType::Int64,
                t => t.clone(),
            })
            .collect())
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(match arg_types {
            [value, _, _] => top_n_type(value),
            _ => arg_types[0].clone(),
        })
    }
    fn state_fields(&self, name: &str, arg_types: &[DataType]) -> Result<Vec<Field>> {
        if let [value, key, _] = arg_types {
            return Ok(top_n_state(name, value, Some(key)));
        }
        let mut fields = vec![Field::new(
            format!("{name}[value]"),
            arg_types[0].clone(),
            true,
        )];
        if let Some(key) = arg_types.get(1) {
            fields.push(Field::new(format!("{name}[key]"), key.clone(), true));
        }
        fields.push(Field::new(
            format!("{name}[seen]"),
            DataType::Boolean,
            false,
        ));
        Ok(fields)
    }
    fn create_accumulator(&self, arg_types: &[DataType]) -> Result<Box<dyn GroupsAccumulator>> {
        if arg_types.len() == 3 {
            let descending = self.which == Which::ArgMax;
            return Ok(Box::new(TopN::new(
                self.name,
                descending,
                true,
                arg_types[0].clone(),
            )));
        }
        Ok(Box::new(PickAccumulator {
            which: self.which,
            value_type: arg_types[0].clone(),
            key_type: arg_types.get(1).cloned(),
            picked: vec![],
        }))
    }
}

/// Per group: the picked value and its key, once a row was picked.
#[derive(Debug)]
struct PickAccumulator {
    which: Which,
    value_type: DataType,
    key_type: Option<DataType>,
    picked: Vec<Option<(ScalarValue, ScalarValue)>>,
}

impl PickAccumulator {
    /// Takes rows of `values` (and `keys`) into their groups; `present`
    /// marks the rows that stand for a row at all (a merged state of a
    /// group that saw nothing does not).
    fn add(
        &mut self,
        values: &ArrayRef,
        keys: Option<&ArrayRef>,
        present: Option<&BooleanArray>,
        group_indices: &[usize],
        total: usize,
    ) -> Result<()> {
        self.picked.resize(total, None);
        let usable = |row: usize| {
            present.is_none_or(|p| p.value(row))
                && (self.which.keeps_nulls() || values.is_valid(row))
                && keys.is_none_or(|k| k.is_valid(row))
        };
        // The best row of this batch for each group, then one comparison
        // with what the group holds.
        let mut best: Vec<Option<usize>> = vec![None; total];
        let compare = match keys {
            Some(k) => Some(make_comparator(k.as_ref(), k.as_ref(), Default::default())?),
            None => None,
        };
        for (row, &g) in group_indices.iter().enumerate() {
            if !usable(row) {
                continue;
            }
            let replace = match (best[g], &compare) {
                (None, _) => true,
                (Some(_), None) => self.which == Which::Last,
                (Some(b), Some(cmp)) => matches!(
                    (self.which, cmp(row, b)),
                    (Which::ArgMin, Ordering::Less) | (Which::ArgMax, Ordering::Greater)
                ),
            };
            if replace {
                best[g] = Some(row);
            }
        }
        for (g, row) in best.into_iter().enumerate() {
            let Some(row) = row else { continue };
            let value = ScalarValue::try_from_array(values, row)?;
            let key = match keys {
                Some(k) => ScalarValue::try_from_array(k, row)?,
                None => ScalarValue::Null,
            };
            let replace = match (&self.picked[g], self.which) {
                (None, _) | (Some(_), Which::Last) => true,
                (Some(_), Which::AnyValue | Which::First) => false,
                (Some((_, held)), Which::ArgMin) => key.partial_cmp(held) == Some(Ordering::Less),
                (Some((_, held)), Which::ArgMax) => {
                    key.partial_cmp(held) == Some(Ordering::Greater)
                }
            };
            if replace {
                self.picked[g] = Some((value, key));
            }
        }
        Ok(())
    }

    fn column(
        &self,
        part: impl Fn(&(ScalarValue, ScalarValue)) -> &ScalarValue,
        t: &DataType,
    ) -> Result<ArrayRef> {
        let null = ScalarValue::try_from(t)?;
        let values = self
            .picked
            .iter()
            .map(|p| p.as_ref().map_or(&null, &part).clone());
        if self.picked.is_empty() {
            return Ok(arrow::array::new_empty_array(t));
        }
        Ok(ScalarValue::iter_to_array(values)?)
    }
}

impl GroupsAccumulator for PickAccumulator {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total: usize,
    ) -> Result<()> {
        self.add(&values[0], values.get(1), None, group_indices, total)
    }

    fn merge_batch(
        &mut self,
        states: &[ArrayRef],
        group_indices: &[usize],
        total: usize,
    ) -> Result<()> {
        let keys = self.key_type.as_ref().map(|_| &states[1]);
        let present = states[states.len() - 1].as_boolean().clone();
        self.add(&states[0], keys, Some(&present), group_indices, total)
    }

    fn state(&mut self) -> Result<Vec<ArrayRef>> {
        let mut out = vec![self.column(|p| &p.0, &self.value_type)?];
        if let Some(key_type) = &self.key_type {
            out.push(self.column(|p| &p.1, key_type)?);
        }
        let seen: BooleanArray = self.picked.iter().map(|p| Some(p.is_some())).collect();
        out.push(Arc::new(seen));
        self.picked.clear();
        Ok(out)
    }

    fn evaluate(&mut self) -> Result<ArrayRef> {
        let out = self.column(|p| &p.0, &self.value_type)?;
        self.picked.clear();
        Ok(out)
    }

    fn size(&self) -> usize {
        self.picked.capacity() * std::mem::size_of::<Option<(ScalarValue, ScalarValue)>>()
            + self
                .picked
                .iter()
                .flatten()
                .map(|(v, k)| v.size() + k.size())
                .sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, StringArray};

    fn pick(name: &str) -> Pick {
        Pick::all().into_iter().find(|p| p.name == name).unwrap()
    }

    #[test]
    fn arg_min_skips_null_keys_and_values_and_merges() {
        let f = pick("arg_min");
        let types = [DataType::Utf8, DataType::Int64];
        let mut a = f.create_accumulator(&types).unwrap();
        let values: ArrayRef = Arc::new(StringArray::from(vec![Some("a"), None, Some("c")]));
        let keys: ArrayRef = Arc::new(Int64Array::from(vec![Some(5), Some(1), None]));
        a.update_batch(&[values, keys], &[0, 0, 0], 1).unwrap();
        let mut b = f.create_accumulator(&types).unwrap();
        let values: ArrayRef = Arc::new(StringArray::from(vec![Some("d")]));
        let keys: ArrayRef = Arc::new(Int64Array::from(vec![Some(3)]));
        b.update_batch(&[values, keys], &[0], 2).unwrap();
        let mut merged = f.create_accumulator(&types).unwrap();
        merged.merge_batch(&a.state().unwrap(), &[0], 2).unwrap();
        merged.merge_batch(&b.state().unwrap(), &[0, 1], 2).unwrap();
        let out = merged.evaluate().unwrap();
        assert_eq!(out.as_string::<i32>().value(0), "d");
        assert!(out.is_null(1));
    }

    #[test]
    fn first_and_last_keep_nulls_any_value_skips_them() {
        let values: ArrayRef = Arc::new(Int64Array::from(vec![None, Some(2), Some(3), None]));
        let run = |name: &str| {
            let mut acc = pick(name).create_accumulator(&[DataType::Int64]).unwrap();
            acc.update_batch(std::slice::from_ref(&values), &[0, 0, 0, 0], 1)
                .unwrap();
            let out = acc.evaluate().unwrap();
            out.is_valid(0)
                .then(|| out.as_primitive::<arrow::datatypes::Int64Type>().value(0))
        };
        assert_eq!(run("first"), None);
        assert_eq!(run("last"), None);
        assert_eq!(run("any_value"), Some(2));
    }
}
