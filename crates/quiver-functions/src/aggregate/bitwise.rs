//! `bit_and`, `bit_or` and `bit_xor` over a group's non-NULL integers, of
//! the input's type; NULL for a group without one.

use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, PrimitiveArray};
use arrow::datatypes::*;
use quiver_expr::types::is_integer;
use quiver_expr::{AggregateFunction, GroupsAccumulator, Result};

use super::{for_each_valid, one_arg, unsupported, validity, SelfMerging, SelfMergingAccumulator};

/// The bitwise operation of a [`Bitwise`] aggregate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    And,
    Or,
    Xor,
}

/// `bit_and`, `bit_or` or `bit_xor`.
#[derive(Debug)]
pub struct Bitwise {
    name: &'static str,
    op: Op,
}

impl Bitwise {
    /// The three bitwise aggregates.
    pub fn all() -> Vec<Bitwise> {
        [
            ("bit_and", Op::And),
            ("bit_or", Op::Or),
            ("bit_xor", Op::Xor),
        ]
        .into_iter()
        .map(|(name, op)| Bitwise { name, op })
        .collect()
    }
}

macro_rules! integer_accumulator {
    ($t:expr, $op:expr, $($variant:pat => $arrow:ty),* $(,)?) => {
        match $t {
            $($variant => Some(Box::new(SelfMerging(BitAccumulator::<$arrow> {
                op: $op,
                values: vec![],
                seen: vec![],
            })) as Box<dyn GroupsAccumulator>),)*
            _ => None,
        }
    };
}

impl AggregateFunction for Bitwise {
    fn name(&self) -> &str {
        self.name
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        one_arg(self.name, arg_types)?;
        match &arg_types[0] {
            DataType::Null => Ok(vec![DataType::Int64]),
            t if is_integer(t) => Ok(vec![t.clone()]),
            other => Err(unsupported(self.name, other)),
        }
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(arg_types[0].clone())
    }
    fn state_fields(&self, name: &str, arg_types: &[DataType]) -> Result<Vec<Field>> {
        Ok(vec![Field::new(
            format!("{name}[bits]"),
            arg_types[0].clone(),
            true,
        )])
    }
    fn create_accumulator(&self, arg_types: &[DataType]) -> Result<Box<dyn GroupsAccumulator>> {
        let t = &arg_types[0];
        integer_accumulator!(t, self.op,
            DataType::Int8 => Int8Type, DataType::Int16 => Int16Type,
            DataType::Int32 => Int32Type, DataType::Int64 => Int64Type,
            DataType::UInt8 => UInt8Type, DataType::UInt16 => UInt16Type,
            DataType::UInt32 => UInt32Type, DataType::UInt64 => UInt64Type,
        )
        .ok_or_else(|| unsupported(self.name, t))
    }
}

/// Each group's bits so far; partial results fold in like values.
#[derive(Debug)]
struct BitAccumulator<T: ArrowPrimitiveType> {
    op: Op,
    values: Vec<T::Native>,
    seen: Vec<bool>,
}

impl<T> SelfMergingAccumulator for BitAccumulator<T>
where
    T: ArrowPrimitiveType + std::fmt::Debug,
    T::Native: std::ops::BitAnd<Output = T::Native>
        + std::ops::BitOr<Output = T::Native>
        + std::ops::BitXor<Output = T::Native>,
{
    fn add(&mut self, values: &ArrayRef, group_indices: &[usize], total: usize) -> Result<()> {
        self.values.resize(total, T::Native::default());
        self.seen.resize(total, false);
        let values = values.as_primitive::<T>();
        let raw = values.values();
        for_each_valid(values, group_indices, |row, g| {
            let v = raw[row];
            self.values[g] = if !self.seen[g] {
                v
            } else {
                match self.op {
                    Op::And => self.values[g] & v,
                    Op::Or => self.values[g] | v,
                    Op::Xor => self.values[g] ^ v,
                }
            };
            self.seen[g] = true;
        });
        Ok(())
    }

    fn take(&mut self) -> Result<ArrayRef> {
        let nulls = validity(&self.seen);
        self.seen.clear();
        let values = std::mem::take(&mut self.values);
        Ok(Arc::new(PrimitiveArray::<T>::new(values.into(), nulls)))
    }

    fn heap_size(&self) -> usize {
        self.values.capacity() * std::mem::size_of::<T::Native>() + self.seen.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_bits_per_group() {
        let values: ArrayRef = Arc::new(PrimitiveArray::<Int32Type>::from(vec![
            Some(0b1100),
            Some(0b1010),
            None,
            Some(0b0110),
        ]));
        for (f, expected) in Bitwise::all().into_iter().zip([0b0000, 0b1110, 0b0000]) {
            let mut acc = f.create_accumulator(&[DataType::Int32]).unwrap();
            acc.update_batch(std::slice::from_ref(&values), &[0, 0, 1, 0], 2)
                .unwrap();
            let out = acc.evaluate().unwrap();
            let out = out.as_primitive::<Int32Type>();
            assert_eq!(out.value(0), expected, "{}", f.name);
            assert!(arrow::array::Array::is_null(out, 1));
        }
    }
}
