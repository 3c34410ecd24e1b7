//! `range(…)` and `generate_series(…)` in FROM: a one-column table of
//! integers from a start to an end by a step (`range` leaves the end out,
//! `generate_series` keeps it), or of timestamps stepped by an interval
//! (dates count as midnight). The rows are generated as a scan reads them.

use std::sync::Arc;

use arrow::array::{Int64Array, RecordBatch, TimestampMicrosecondArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use quiver_expr::{
    FileTables, FunctionTable, GeneratedRows, QuiverError, Result, ScalarValue, TableFunction,
};

use crate::scalar::datetime::{civil_from_days, days_from_civil};

/// The most rows a series stepped by months may have (they are made up
/// front, since month lengths differ).
const MAX_MONTH_STEPPED_ROWS: usize = 10_000_000;

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// `range` or `generate_series` as a table function.
#[derive(Debug)]
pub struct SeriesTable {
    inclusive: bool,
}

impl SeriesTable {
    /// `range(..)`: the end left out.
    pub fn range() -> Self {
        Self { inclusive: false }
    }
    /// `generate_series(..)`: the end kept.
    pub fn generate_series() -> Self {
        Self { inclusive: true }
    }
}

/// An integer series: `count` values from `start` by `step`.
#[derive(Debug)]
struct IntegerSeries {
    schema: SchemaRef,
    start: i64,
    step: i64,
    count: u64,
}

impl GeneratedRows for IntegerSeries {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
    fn num_rows(&self) -> u64 {
        self.count
    }
    fn rows(&self, start: u64, len: usize) -> Result<RecordBatch> {
        let first = self.start as i128 + start as i128 * self.step as i128;
        let values: Int64Array = (0..len as i128)
            .map(|i| (first + i * self.step as i128) as i64)
            .collect();
        Ok(RecordBatch::try_new(self.schema(), vec![Arc::new(values)])?)
    }
}

/// A timestamp series: evenly spaced microseconds, or values made up front
/// when the step has months.
#[derive(Debug)]
enum TimestampValues {
    Even { start: i64, step: i64, count: u64 },
    Listed(Vec<i64>),
}

/// A series of timestamps.
#[derive(Debug)]
struct TimestampSeries {
    schema: SchemaRef,
    values: TimestampValues,
}

impl GeneratedRows for TimestampSeries {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
    fn num_rows(&self) -> u64 {
        match &self.values {
            TimestampValues::Even { count, .. } => *count,
            TimestampValues::Listed(v) => v.len() as u64,
        }
    }
    fn rows(&self, start: u64, len: usize) -> Result<RecordBatch> {
        let values: Vec<i64> = match &self.values {
            TimestampValues::Even { start: s, step, .. } => (0..len as i64)
                .map(|i| s + (start as i64 + i) * step)
                .collect(),
            TimestampValues::Listed(v) => v[start as usize..start as usize + len].to_vec(),
        };
        let values = TimestampMicrosecondArray::from(values);
        Ok(RecordBatch::try_new(self.schema(), vec![Arc::new(values)])?)
    }
}

/// How many values a series from `start` by `step` has before passing
/// `end` (reaching it counts when `inclusive`); 0 when it goes the other
/// way.
fn integer_count(start: i64, end: i64, step: i64, inclusive: bool) -> u64 {
    let (start, end, step) = (start as i128, end as i128, step as i128);
    let span = if step > 0 { end - start } else { start - end };
    let step = step.abs();
    if span < 0 || (span == 0 && !inclusive) {
        return 0;
    }
    let count = if inclusive {
        span / step + 1
    } else {
        (span + step - 1) / step
    };
    count as u64
}

/// `micros` plus `months` calendar months, the day clamped to the month's
/// length (Jan 31 + 1 month is Feb 28 or 29).
fn add_months(micros: i64, months: i64) -> Option<i64> {
    let days = micros.div_euclid(MICROS_PER_DAY);
    let time = micros.rem_euclid(MICROS_PER_DAY);
    let (year, month, day) = civil_from_days(days);
    let index = year.checked_mul(12)? + i64::from(month) - 1 + months;
    let (year, month) = (index.div_euclid(12), index.rem_euclid(12) as u32 + 1);
    let next = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    let length = days_from_civil(next.0, next.1, 1) - days_from_civil(year, month, 1);
    let day = i64::from(day).min(length) as u32;
    days_from_civil(year, month, day)
        .checked_mul(MICROS_PER_DAY)?
        .checked_add(time)
}

/// The microseconds of a timestamp or date argument.
fn instant(value: &ScalarValue) -> Option<i64> {
    match value {
        ScalarValue::TimestampMicrosecond(Some(v), None) => Some(*v),
        ScalarValue::Date32(Some(d)) => Some(i64::from(*d) * MICROS_PER_DAY),
        _ => None,
    }
}

impl SeriesTable {
    fn name(&self) -> &'static str {
        if self.inclusive {
            "generate_series"
        } else {
            "range"
        }
    }

    fn integers(&self, args: &[ScalarValue]) -> Result<Option<Arc<dyn GeneratedRows>>> {
        let ints: Option<Vec<i64>> = args
            .iter()
            .map(|a| match a {
                ScalarValue::Int8(Some(v)) => Some(i64::from(*v)),
                ScalarValue::Int16(Some(v)) => Some(i64::from(*v)),
                ScalarValue::Int32(Some(v)) => Some(i64::from(*v)),
                ScalarValue::Int64(Some(v)) => Some(*v),
                ScalarValue::UInt8(Some(v)) => Some(i64::from(*v)),
                ScalarValue::UInt16(Some(v)) => Some(i64::from(*v)),
                ScalarValue::UInt32(Some(v)) => Some(i64::from(*v)),
                _ => None,
            })
            .collect();
        let Some(ints) = ints else {
            return Ok(None);
        };
        let (start, end, step) = match ints.as_slice() {
            [end] => (0, *end, 1),
            [start, end] => (*start, *end, 1),
            [start, end, step] => (*start, *end, *step),
            _ => return Ok(None),
        };
        if step == 0 {
            return Err(QuiverError::Plan(format!(
                "the step of {}() cannot be 0",
                self.name()
            )));
        }
        let schema = Arc::new(Schema::new(vec![Field::new(
            self.name(),
            DataType::Int64,
            false,
        )]));
        Ok(Some(Arc::new(IntegerSeries {
            schema,
            start,
            step,
            count: integer_count(start, end, step, self.inclusive),
        })))
    }

    fn timestamps(&self, args: &[ScalarValue]) -> Result<Option<Arc<dyn GeneratedRows>>> {
        let [start, end, ScalarValue::IntervalMonthDayNano(Some(step))] = args else {
            return Ok(None);
        };
        let (Some(start), Some(end)) = (instant(start), instant(end)) else {
            return Ok(None);
        };
        let schema = Arc::new(Schema::new(vec![Field::new(
            self.name(),
            DataType::Timestamp(TimeUnit::Microsecond, None),
            false,
        )]));
        let fixed = i64::from(step.days)
            .checked_mul(MICROS_PER_DAY)
            .and_then(|d| d.checked_add(step.nanoseconds / 1000));
        let values = match fixed {
            Some(0) if step.months == 0 => {
                return Err(QuiverError::Plan(format!(
                    "the step of {}() cannot be an empty interval",
                    self.name()
                )))
            }
            Some(micros) if step.months == 0 => TimestampValues::Even {
                start,
                step: micros,
                count: integer_count(start, end, micros, self.inclusive),
            },
            _ => {
                let forward = step.months > 0 || (step.months == 0 && fixed.unwrap_or(0) > 0);
                let mut values = vec![];
                let mut at = start;
                loop {
                    let within = match (forward, self.inclusive) {
                        (true, true) => at <= end,
                        (true, false) => at < end,
                        (false, true) => at >= end,
                        (false, false) => at > end,
                    };
                    if !within {
                        break;
                    }
                    if values.len() >= MAX_MONTH_STEPPED_ROWS {
                        return Err(QuiverError::Plan(format!(
                            "{}() stepped by months makes at most {MAX_MONTH_STEPPED_ROWS} rows",
                            self.name()
                        )));
                    }
                    values.push(at);
                    let next = add_months(at, i64::from(step.months))
                        .zip(fixed)
                        .and_then(|(t, f)| t.checked_add(f));
                    match next {
                        Some(next) if (next > at) == forward && next != at => at = next,
                        Some(_) => {
                            return Err(QuiverError::Plan(format!(
                                "the step of {}() turns back on itself (an interval whose \
                                 months and days point different ways)",
                                self.name()
                            )))
                        }
                        None => break,
                    }
                }
                TimestampValues::Listed(values)
            }
        };
        Ok(Some(Arc::new(TimestampSeries { schema, values })))
    }
}

impl TableFunction for SeriesTable {
    fn name(&self) -> &str {
        SeriesTable::name(self)
    }
    fn table(
        &self,
        args: &[ScalarValue],
        named: &[(String, ScalarValue)],
        files: &dyn FileTables,
    ) -> Result<FunctionTable> {
        if let Some((name, _)) = named.first() {
            return Err(QuiverError::Plan(format!(
                "{}() takes no named argument {name}",
                self.name()
            )));
        }
        let rows = match self.integers(args)? {
            Some(rows) => rows,
            None => self.timestamps(args)?.ok_or_else(|| {
                let types: Vec<String> = args.iter().map(|a| a.data_type().to_string()).collect();
                QuiverError::Plan(format!(
                    "{}() takes ([start,] end [, step]) as integers, or (start, end, step) as \
                     timestamps or dates with an INTERVAL step; got ({})",
                    self.name(),
                    types.join(", ")
                ))
            })?,
        };
        files.generated_table(self.name(), rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_stop_before_or_at_the_end() {
        assert_eq!(integer_count(0, 10, 1, false), 10);
        assert_eq!(integer_count(0, 10, 1, true), 11);
        assert_eq!(integer_count(1, 10, 3, false), 3);
        assert_eq!(integer_count(10, 1, -3, true), 4);
        assert_eq!(integer_count(5, 1, 1, true), 0);
        assert_eq!(integer_count(1, 1, 1, false), 0);
        assert_eq!(integer_count(i64::MIN, i64::MAX, i64::MAX, true), 3);
    }

    #[test]
    fn months_clamp_to_the_month_end() {
        let jan31 = days_from_civil(2024, 1, 31) * MICROS_PER_DAY;
        let feb29 = days_from_civil(2024, 2, 29) * MICROS_PER_DAY;
        assert_eq!(add_months(jan31, 1), Some(feb29));
        let dec15 = days_from_civil(2023, 12, 15) * MICROS_PER_DAY + 5;
        assert_eq!(
            add_months(dec15, 2),
            Some(days_from_civil(2024, 2, 15) * MICROS_PER_DAY + 5)
        );
        assert_eq!(
            add_months(jan31, -2),
            Some(days_from_civil(2023, 11, 30) * MICROS_PER_DAY)
        );
    }
}
