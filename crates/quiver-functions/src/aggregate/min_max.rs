//! `min(x)` and `max(x)` over numbers, dates, timestamps, strings,
//! booleans, intervals, UUIDs, lists, structs and maps (compared as DuckDB does: a month is 30 days, a
//! day 24 hours, so `INTERVAL 1 MONTH` < `INTERVAL 40 DAYS`); `min(x, n)`
//! and `max(x, n)` are the n least or greatest (`top_n.rs`).

use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, PrimitiveArray, StringArray, StringViewArray, UInt32Array};
use arrow::compute::SortOptions;
use arrow::datatypes::*;
use arrow::row::{OwnedRow, RowConverter, SortField};
use quiver_expr::types::is_string;
use quiver_expr::uuid::is_uuid;
use quiver_expr::{AggregateFunction, GroupsAccumulator, Result};

use super::bool_agg::BoolAggregate;
use super::top_n::{top_n_count, top_n_state, top_n_type, TopN};
use super::{for_each_valid, one_arg, unsupported, validity, SelfMerging, SelfMergingAccumulator};

/// `min` or `max`.
#[derive(Debug)]
pub struct MinMax {
    is_min: bool,
}

impl MinMax {
    /// `min`.
    pub fn min() -> Self {
        Self { is_min: true }
    }
    /// `max`.
    pub fn max() -> Self {
        Self { is_min: false }
    }
}

macro_rules! primitive_accumulator {
    ($t:expr, $is_min:expr, $($variant:pat => $arrow:ty),* $(,)?) => {
        match $t {
            $($variant => Some(Box::new(SelfMerging(PrimitiveMinMax::<$arrow>::new($is_min, $t.clone()))) as Box<dyn GroupsAccumulator>),)*
            _ => None,
        }
    };
}

impl AggregateFunction for MinMax {
    fn name(&self) -> &str {
        if self.is_min {
            "min"
        } else {
            "max"
        }
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if let [value, count] = arg_types {
            return Ok(vec![value.clone(), top_n_count(self.name(), count)?]);
        }
        one_arg(self.name(), arg_types)?;
        Ok(vec![match &arg_types[0] {
            // A string view stays one: casting it would copy every string.
            DataType::Utf8View => DataType::Utf8View,
            t if is_string(t) => DataType::Utf8,
            DataType::Null => DataType::Int64,
            t => t.clone(),
        }])
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(match arg_types {
            [value, _] => top_n_type(value),
            _ => arg_types[0].clone(),
        })
    }
    fn state_fields(&self, name: &str, arg_types: &[DataType]) -> Result<Vec<Field>> {
        if let [value, _] = arg_types {
            return Ok(top_n_state(name, value, None));
        }
        Ok(vec![Field::new(
            format!("{name}[{}]", self.name()),
            arg_types[0].clone(),
            true,
        )])
    }
    fn create_accumulator(&self, arg_types: &[DataType]) -> Result<Box<dyn GroupsAccumulator>> {
        let t = &arg_types[0];
        if arg_types.len() == 2 {
            let name = if self.is_min { "min" } else { "max" };
            return Ok(Box::new(TopN::new(name, !self.is_min, false, t.clone())));
        }
        if t == &DataType::Boolean {
            // false < true, as in DuckDB and PostgreSQL: min is bool_and, max bool_or.
            let boolean = match self.is_min {
                true => BoolAggregate::and("min"),
                false => BoolAggregate::or(),
            };
            return boolean.create_accumulator(arg_types);
        }
        if t == &DataType::Interval(IntervalUnit::MonthDayNano) {
            return Ok(Box::new(SelfMerging(IntervalMinMax {
                is_min: self.is_min,
                values: vec![],
            })));
        }
        if is_uuid(t) || t.is_nested() {
            return Ok(Box::new(SelfMerging(RowMinMax::new(self.is_min, t)?)));
        }
        if matches!(t, DataType::Utf8 | DataType::Utf8View) {
            return Ok(Box::new(SelfMerging(StringMinMax {
                is_min: self.is_min,
                values: vec![],
                view: t == &DataType::Utf8View,
            })));
        }
        primitive_accumulator!(t, self.is_min,
            DataType::Int8 => Int8Type, DataType::Int16 => Int16Type,
            DataType::Int32 => Int32Type, DataType::Int64 => Int64Type,
            DataType::UInt8 => UInt8Type, DataType::UInt16 => UInt16Type,
            DataType::UInt32 => UInt32Type, DataType::UInt64 => UInt64Type,
            DataType::Float32 => Float32Type, DataType::Float64 => Float64Type,
            DataType::Decimal128(..) => Decimal128Type, DataType::Date32 => Date32Type,
            DataType::Timestamp(TimeUnit::Second, _) => TimestampSecondType,
            DataType::Timestamp(TimeUnit::Millisecond, _) => TimestampMillisecondType,
            DataType::Timestamp(TimeUnit::Microsecond, _) => TimestampMicrosecondType,
            DataType::Timestamp(TimeUnit::Nanosecond, _) => TimestampNanosecondType,
        )
        .ok_or_else(|| unsupported(self.name(), t))
    }
}

#[derive(Debug)]
struct PrimitiveMinMax<T: ArrowPrimitiveType> {
    is_min: bool,
    values: Vec<T::Native>,
    seen: Vec<bool>,
    data_type: DataType,
}

impl<T: ArrowPrimitiveType> PrimitiveMinMax<T> {
    fn new(is_min: bool, data_type: DataType) -> Self {
        Self {
            is_min,
            values: vec![],
            seen: vec![],
            data_type,
        }
    }
}

impl<T: ArrowPrimitiveType + std::fmt::Debug> SelfMergingAccumulator for PrimitiveMinMax<T> {
    fn add(&mut self, values: &ArrayRef, group_indices: &[usize], total: usize) -> Result<()> {
        self.values.resize(total, T::Native::default());
        self.seen.resize(total, false);
        let values = values.as_primitive::<T>();
        let raw = values.values();
        let is_min = self.is_min;
        for_each_valid(values, group_indices, |row, g| {
            let v = raw[row];
            let better = if is_min {
                v.is_lt(self.values[g])
            } else {
                v.is_gt(self.values[g])
            };
            if !self.seen[g] || better {
                self.values[g] = v;
                self.seen[g] = true;
            }
        });
        Ok(())
    }

    fn take(&mut self) -> Result<ArrayRef> {
        let nulls = validity(&self.seen);
        self.seen.clear();
        let array = PrimitiveArray::<T>::new(std::mem::take(&mut self.values).into(), nulls);
        Ok(Arc::new(array.with_data_type(self.data_type.clone())))
    }

    fn heap_size(&self) -> usize {
        self.values.capacity() * std::mem::size_of::<T::Native>() + self.seen.capacity()
    }
}

/// The length of an interval in nanoseconds, months as 30 days: the
/// order DuckDB gives intervals.
fn interval_order(i: IntervalMonthDayNano) -> i128 {
    const DAY: i128 = 86_400_000_000_000;
    (i128::from(i.months) * 30 + i128::from(i.days)) * DAY + i128::from(i.nanoseconds)
}

#[derive(Debug)]
struct IntervalMinMax {
    is_min: bool,
    values: Vec<Option<IntervalMonthDayNano>>,
}

impl SelfMergingAccumulator for IntervalMinMax {
    fn add(&mut self, values: &ArrayRef, group_indices: &[usize], total: usize) -> Result<()> {
        self.values.resize(total, None);
        let values = values.as_primitive::<IntervalMonthDayNanoType>();
        for_each_valid(values, group_indices, |row, g| {
            let v = values.value(row);
            let better = match self.values[g] {
                None => true,
                Some(held) if self.is_min => interval_order(v) < interval_order(held),
                Some(held) => interval_order(v) > interval_order(held),
            };
            if better {
                self.values[g] = Some(v);
            }
        });
        Ok(())
    }

    fn take(&mut self) -> Result<ArrayRef> {
        let values = std::mem::take(&mut self.values);
        Ok(Arc::new(PrimitiveArray::<IntervalMonthDayNanoType>::from(
            values,
        )))
    }

    fn heap_size(&self) -> usize {
        self.values.capacity() * std::mem::size_of::<Option<IntervalMonthDayNano>>()
    }
}

/// Values the row format encodes (UUIDs, lists, structs, maps), in the
/// order of their encoding: DuckDB's order, NULL elements after values.
#[derive(Debug)]
struct RowMinMax {
    is_min: bool,
    converter: RowConverter,
    values: Vec<Option<OwnedRow>>,
}

impl RowMinMax {
    fn new(is_min: bool, t: &DataType) -> Result<Self> {
        let nulls_last = SortOptions {
            descending: false,
            nulls_first: false,
        };
        let field = SortField::new_with_options(t.clone(), nulls_last);
        Ok(Self {
            is_min,
            converter: RowConverter::new(vec![field])?,
            values: vec![],
        })
    }
}

impl SelfMergingAccumulator for RowMinMax {
    fn add(&mut self, values: &ArrayRef, group_indices: &[usize], total: usize) -> Result<()> {
        self.values.resize(total, None);
        let rows = self
            .converter
            .convert_columns(std::slice::from_ref(values))?;
        for_each_valid(values.as_ref(), group_indices, |row, g| {
            let v = rows.row(row);
            let better = match &self.values[g] {
                None => true,
                Some(cur) if self.is_min => v < cur.row(),
                Some(cur) => v > cur.row(),
            };
            if better {
                self.values[g] = Some(v.owned());
            }
        });
        Ok(())
    }

    fn take(&mut self) -> Result<ArrayRef> {
        let values = std::mem::take(&mut self.values);
        let present: Vec<_> = values.iter().flatten().map(OwnedRow::row).collect();
        let mut next = 0u32;
        let positions: UInt32Array = values
            .iter()
            .map(|v| {
                v.as_ref().map(|_| {
                    next += 1;
                    next - 1
                })
            })
            .collect();
        let found = self.converter.convert_rows(present)?;
        Ok(arrow::compute::take(&found[0], &positions, None)?)
    }

    fn heap_size(&self) -> usize {
        self.converter.size()
            + self
                .values
                .iter()
                .map(|v| v.as_ref().map_or(0, |r| r.as_ref().len()) + 32)
                .sum::<usize>()
    }
}

#[derive(Debug)]
struct StringMinMax {
    is_min: bool,
    values: Vec<Option<String>>,
    /// Whether the strings come, and go out, as string views.
    view: bool,
}

impl StringMinMax {
    /// Keeps `v` for group `g` if it is the group's first or better.
    fn offer(&mut self, g: usize, v: &str) {
        let replace = match &self.values[g] {
            None => true,
            Some(cur) if self.is_min => v < cur.as_str(),
            Some(cur) => v > cur.as_str(),
        };
        if replace {
            self.values[g] = Some(v.to_string());
        }
    }
}

impl SelfMergingAccumulator for StringMinMax {
    fn add(&mut self, values: &ArrayRef, group_indices: &[usize], total: usize) -> Result<()> {
        self.values.resize(total, None);
        if self.view {
            let strings = values.as_string_view();
            for_each_valid(strings, group_indices, |row, g| {
                self.offer(g, strings.value(row))
            });
        } else {
            let strings = values.as_string::<i32>();
            for_each_valid(strings, group_indices, |row, g| {
                self.offer(g, strings.value(row))
            });
        }
        Ok(())
    }

    fn take(&mut self) -> Result<ArrayRef> {
        let values = std::mem::take(&mut self.values);
        Ok(if self.view {
            Arc::new(StringViewArray::from(values))
        } else {
            Arc::new(StringArray::from(values))
        })
    }

    fn heap_size(&self) -> usize {
        self.values
            .iter()
            .map(|v| v.as_ref().map_or(0, String::capacity) + 24)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, BooleanArray, Float64Array};

    #[test]
    fn min_and_max_of_floats_and_strings() {
        let v: ArrayRef = Arc::new(Float64Array::from(vec![
            Some(2.0),
            None,
            Some(-1.0),
            Some(5.0),
        ]));
        let mut min = MinMax::min()
            .create_accumulator(&[DataType::Float64])
            .unwrap();
        min.update_batch(std::slice::from_ref(&v), &[0, 0, 0, 1], 3)
            .unwrap();
        let out = min.evaluate().unwrap();
        assert_eq!(out.as_primitive::<Float64Type>().value(0), -1.0);
        assert_eq!(out.as_primitive::<Float64Type>().value(1), 5.0);
        assert!(out.is_null(2));

        let s: ArrayRef = Arc::new(StringArray::from(vec![Some("pear"), Some("apple"), None]));
        let mut max = MinMax::max().create_accumulator(&[DataType::Utf8]).unwrap();
        max.update_batch(&[s], &[0, 0, 1], 2).unwrap();
        let state = max.state().unwrap();
        let mut merged = MinMax::max().create_accumulator(&[DataType::Utf8]).unwrap();
        merged.merge_batch(&state, &[0, 0], 1).unwrap();
        assert_eq!(
            merged.evaluate().unwrap().as_string::<i32>().value(0),
            "pear"
        );
    }

    #[test]
    fn booleans_order_false_before_true() {
        let values: ArrayRef = Arc::new(BooleanArray::from(vec![
            Some(true),
            None,
            Some(false),
            Some(true),
            None,
        ]));
        for (function, expected) in [
            (MinMax::min(), [false, true]),
            (MinMax::max(), [true, true]),
        ] {
            let mut acc = function.create_accumulator(&[DataType::Boolean]).unwrap();
            acc.update_batch(&[Arc::clone(&values)], &[0, 0, 0, 1, 1], 2)
                .unwrap();
            let out = acc.evaluate().unwrap();
            let out = out.as_boolean();
            assert_eq!(
                [out.value(0), out.value(1)],
                expected,
                "{}",
                function.name()
            );
        }
    }

    #[test]
    fn string_views_stay_views_through_both_phases() {
        let max = MinMax::max();
        assert_eq!(
            max.coerce_types(&[DataType::Utf8View]).unwrap(),
            [DataType::Utf8View]
        );
        let v: ArrayRef = Arc::new(StringViewArray::from(vec![
            Some("a string longer than twelve bytes"),
            None,
            Some("b"),
            Some("ab"),
        ]));
        let mut partial = max.create_accumulator(&[DataType::Utf8View]).unwrap();
        partial
            .update_batch(std::slice::from_ref(&v), &[0, 1, 0, 1], 2)
            .unwrap();
        let state = partial.state().unwrap();
        assert_eq!(state[0].data_type(), &DataType::Utf8View);
        let mut last = max.create_accumulator(&[DataType::Utf8View]).unwrap();
        last.merge_batch(&state, &[0, 0], 1).unwrap();
        let out = last.evaluate().unwrap();
        assert_eq!(out.as_string_view().value(0), "b");
    }
}
