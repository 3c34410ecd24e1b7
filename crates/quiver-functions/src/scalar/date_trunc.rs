//! `date_trunc('unit', x)`: a date or timestamp cut down to the start of
//! its year, quarter, month, week (Monday), day, hour, minute or second.
//! Dates stay dates and timestamps stay timestamps.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Date32Type, TimeUnit, TimestampMicrosecondType};
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, Timelike};
use quiver_expr::{exec_err, ColumnarValue, Result, ScalarFunction, ScalarValue};

use super::{check_arity, map_values, wrong_types};

/// `date_trunc`.
#[derive(Debug)]
pub struct DateTrunc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Second,
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Quarter,
    Year,
}

fn parse_unit(name: &str) -> Option<Unit> {
    Some(match name.to_ascii_lowercase().trim_end_matches('s') {
        "year" => Unit::Year,
        "quarter" => Unit::Quarter,
        "month" => Unit::Month,
        "week" => Unit::Week,
        "day" => Unit::Day,
        "hour" => Unit::Hour,
        "minute" => Unit::Minute,
        "second" => Unit::Second,
        _ => return None,
    })
}

fn truncate_date(d: NaiveDate, unit: Unit) -> NaiveDate {
    let first_of = |month: u32| NaiveDate::from_ymd_opt(d.year(), month, 1).unwrap_or(d);
    match unit {
        Unit::Year => first_of(1),
        Unit::Quarter => first_of((d.month0() / 3) * 3 + 1),
        Unit::Month => first_of(d.month()),
        Unit::Week => d - Duration::days(i64::from(d.weekday().num_days_from_monday())),
        _ => d,
    }
}

fn truncate(t: NaiveDateTime, unit: Unit) -> NaiveDateTime {
    let day = truncate_date(t.date(), unit)
        .and_hms_opt(0, 0, 0)
        .unwrap_or(t);
    match unit {
        Unit::Second => t.with_nanosecond(0).unwrap_or(t),
        Unit::Minute => t.date().and_hms_opt(t.hour(), t.minute(), 0).unwrap_or(t),
        Unit::Hour => t.date().and_hms_opt(t.hour(), 0, 0).unwrap_or(t),
        _ => day,
    }
}

const EPOCH: NaiveDate = match NaiveDate::from_ymd_opt(1970, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

impl ScalarFunction for DateTrunc {
    fn name(&self) -> &str {
        "date_trunc"
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity("date_trunc", arg_types, 2, 2)?;
        let source = match &arg_types[1] {
            DataType::Date32 | DataType::Date64 | DataType::Null => DataType::Date32,
            DataType::Timestamp(_, tz) => DataType::Timestamp(TimeUnit::Microsecond, tz.clone()),
            _ => return Err(wrong_types("date_trunc", arg_types)),
        };
        Ok(vec![DataType::Utf8, source])
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(arg_types[1].clone())
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        let unit = match &args[0] {
            ColumnarValue::Scalar(ScalarValue::Utf8(Some(u))) => match parse_unit(u) {
                Some(unit) => unit,
                None => return exec_err!("date_trunc: unknown unit '{u}'"),
            },
            _ => {
                return exec_err!("date_trunc: the unit must be a constant string such as 'month'")
            }
        };
        map_values(&args[1], num_rows, |input| truncate_array(input, unit))
    }
}

/// Truncates every date or timestamp of `input` to `unit`.
fn truncate_array(input: &dyn Array, unit: Unit) -> Result<ArrayRef> {
    Ok(match input.data_type() {
        DataType::Date32 => Arc::new(input.as_primitive::<Date32Type>().unary::<_, Date32Type>(
            |days| {
                let d = EPOCH + Duration::days(i64::from(days));
                (truncate_date(d, unit) - EPOCH).num_days() as i32
            },
        )),
        data_type => {
            let micros = cast(input, &DataType::Timestamp(TimeUnit::Microsecond, None))?;
            let out = micros
                .as_primitive::<TimestampMicrosecondType>()
                .unary::<_, TimestampMicrosecondType>(|us| {
                    match DateTime::from_timestamp_micros(us) {
                        Some(t) => truncate(t.naive_utc(), unit).and_utc().timestamp_micros(),
                        None => us,
                    }
                });
            cast(&out, data_type)?
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn dates_truncate_to_unit_starts() {
        let d = date(2024, 8, 15);
        assert_eq!(truncate_date(d, Unit::Year), date(2024, 1, 1));
        assert_eq!(truncate_date(d, Unit::Quarter), date(2024, 7, 1));
        assert_eq!(truncate_date(d, Unit::Month), date(2024, 8, 1));
        // 2024-08-15 is a Thursday; its week starts on Monday the 12th.
        assert_eq!(truncate_date(d, Unit::Week), date(2024, 8, 12));
        assert_eq!(parse_unit("MONTHS"), Some(Unit::Month));
        assert_eq!(parse_unit("fortnight"), None);
        let t = d.and_hms_opt(13, 45, 30).unwrap();
        assert_eq!(truncate(t, Unit::Hour), d.and_hms_opt(13, 0, 0).unwrap());
    }
}
