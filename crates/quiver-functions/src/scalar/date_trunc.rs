//! `date_trunc('unit', x)`: a date or timestamp cut down to the start of
//! its millennium, century, decade, year, ISO year, quarter, month, week
//! (Monday), day, hour, minute, second or millisecond. A date gives the
//! TIMESTAMP of that start (as DuckDB; PostgreSQL too), a timestamp a
//! timestamp of its own type. As in DuckDB, a millennium, century or
//! decade starts at a year divisible by 1000, 100 or 10 (2000, not 2001).
//! Computed with integer calendar arithmetic, a few nanoseconds a value.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Date32Type, TimeUnit, TimestampMicrosecondType};
use chrono::Datelike;
use quiver_expr::zones::{instant_of, local_times, zone};
use quiver_expr::{exec_err, ColumnarValue, Result, ScalarFunction, ScalarValue};

use super::datetime::{
    civil_from_days, date, days_from_civil, weekday_from_monday, MICROS_PER_DAY,
};
use super::{check_arity, map_values, wrong_types};

/// `date_trunc`.
#[derive(Debug)]
pub struct DateTrunc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Microsecond,
    Millisecond,
    Second,
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Quarter,
    Year,
    IsoYear,
    Decade,
    Century,
    Millennium,
}

fn parse_unit(name: &str) -> Option<Unit> {
    Some(match name.to_ascii_lowercase().as_str() {
        "millennium" | "millennia" | "mil" => Unit::Millennium,
        "century" | "centuries" | "cent" => Unit::Century,
        "decade" | "decades" | "dec" => Unit::Decade,
        "year" | "years" | "y" | "yr" | "yrs" => Unit::Year,
        "isoyear" => Unit::IsoYear,
        "quarter" | "quarters" => Unit::Quarter,
        "month" | "months" | "mon" | "mons" => Unit::Month,
        "week" | "weeks" | "w" => Unit::Week,
        "day" | "days" | "d" => Unit::Day,
        "hour" | "hours" | "h" | "hr" | "hrs" => Unit::Hour,
        "minute" | "minutes" | "m" | "min" | "mins" => Unit::Minute,
        "second" | "seconds" | "s" | "sec" | "secs" => Unit::Second,
        "millisecond" | "milliseconds" | "ms" | "msec" | "msecs" => Unit::Millisecond,
        "microsecond" | "microseconds" | "us" | "usec" | "usecs" => Unit::Microsecond,
        _ => return None,
    })
}

/// The first day of `unit` holding `days` since 1970-01-01; units of a day
/// or less leave it as it is.
fn truncate_days(days: i64, unit: Unit) -> i64 {
    let (year, month, day) = civil_from_days(days);
    let first_of_year = |y: i64| days_from_civil(y, 1, 1);
    match unit {
        Unit::Millennium => first_of_year(year / 1000 * 1000),
        Unit::Century => first_of_year(year / 100 * 100),
        Unit::Decade => first_of_year(year / 10 * 10),
        Unit::Year => first_of_year(year),
        Unit::IsoYear => iso_year_start(days),
        Unit::Quarter => days_from_civil(year, (month - 1) / 3 * 3 + 1, 1),
        Unit::Month => days - i64::from(day - 1),
        Unit::Week => days - weekday_from_monday(days),
        _ => days,
    }
}

/// The Monday that starts the ISO year of `days`.
fn iso_year_start(days: i64) -> i64 {
    let Some(d) = i32::try_from(days).ok().and_then(date) else {
        return days;
    };
    let week_start = days - weekday_from_monday(days);
    week_start - 7 * (i64::from(d.iso_week().week()) - 1)
}

/// `micros` since the epoch cut down to the start of `unit`.
fn truncate_micros(micros: i64, unit: Unit) -> i64 {
    let within = |length: i64| micros - micros.rem_euclid(length);
    match unit {
        Unit::Microsecond => micros,
        Unit::Millisecond => within(1000),
        Unit::Second => within(1_000_000),
        Unit::Minute => within(60_000_000),
        Unit::Hour => within(3_600_000_000),
        _ => truncate_days(micros.div_euclid(MICROS_PER_DAY), unit) * MICROS_PER_DAY,
    }
}

impl ScalarFunction for DateTrunc {
    fn name(&self) -> &str {
        "date_trunc"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["datetrunc"]
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
        Ok(match &arg_types[1] {
            DataType::Date32 => DataType::Timestamp(TimeUnit::Microsecond, None),
            other => other.clone(),
        })
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
        DataType::Date32 => Arc::new(
            input
                .as_primitive::<Date32Type>()
                .unary::<_, TimestampMicrosecondType>(|days| {
                    truncate_days(i64::from(days), unit) * MICROS_PER_DAY
                }),
        ),
        DataType::Timestamp(_, Some(name)) => {
            // Truncated in local time, then back to the instant.
            let tz = zone(name)?;
            let local = local_times(input)?;
            let out = local
                .unary::<_, TimestampMicrosecondType>(|us| {
                    instant_of(truncate_micros(us, unit), &tz)
                })
                .with_timezone(name.clone());
            cast(&out, input.data_type())?
        }
        data_type => {
            let micros = cast(input, &DataType::Timestamp(TimeUnit::Microsecond, None))?;
            let out = micros
                .as_primitive::<TimestampMicrosecondType>()
                .unary::<_, TimestampMicrosecondType>(|us| truncate_micros(us, unit));
            cast(&out, data_type)?
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn days(y: i32, m: u32, d: u32) -> i64 {
        days_from_civil(i64::from(y), m, d)
    }

    #[test]
    fn dates_truncate_to_unit_starts() {
        let d = days(2024, 8, 15);
        assert_eq!(truncate_days(d, Unit::Year), days(2024, 1, 1));
        assert_eq!(truncate_days(d, Unit::Quarter), days(2024, 7, 1));
        assert_eq!(truncate_days(d, Unit::Month), days(2024, 8, 1));
        // 2024-08-15 is a Thursday; its week starts on Monday the 12th.
        assert_eq!(truncate_days(d, Unit::Week), days(2024, 8, 12));
        assert_eq!(truncate_days(d, Unit::Decade), days(2020, 1, 1));
        assert_eq!(truncate_days(d, Unit::Century), days(2000, 1, 1));
        assert_eq!(truncate_days(d, Unit::Millennium), days(2000, 1, 1));
        // ISO year 2025 starts on Monday 2024-12-30.
        assert_eq!(
            truncate_days(days(2025, 1, 1), Unit::IsoYear),
            days(2024, 12, 30)
        );
        assert_eq!(parse_unit("MONTHS"), Some(Unit::Month));
        assert_eq!(parse_unit("fortnight"), None);
    }

    #[test]
    fn timestamps_truncate_within_the_day() {
        let t = NaiveDate::from_ymd_opt(2024, 8, 15)
            .unwrap()
            .and_hms_micro_opt(13, 45, 30, 123_456)
            .unwrap()
            .and_utc()
            .timestamp_micros();
        let at = |h, m, s, us| {
            NaiveDate::from_ymd_opt(2024, 8, 15)
                .unwrap()
                .and_hms_micro_opt(h, m, s, us)
                .unwrap()
                .and_utc()
                .timestamp_micros()
        };
        assert_eq!(truncate_micros(t, Unit::Hour), at(13, 0, 0, 0));
        assert_eq!(truncate_micros(t, Unit::Minute), at(13, 45, 0, 0));
        assert_eq!(
            truncate_micros(t, Unit::Millisecond),
            at(13, 45, 30, 123_000)
        );
        assert_eq!(
            truncate_micros(t, Unit::Month),
            days(2024, 8, 1) * MICROS_PER_DAY
        );
        // Before 1970 too.
        let early = days(1969, 12, 31) * MICROS_PER_DAY + 3_600_000_001;
        assert_eq!(
            truncate_micros(early, Unit::Hour),
            days(1969, 12, 31) * MICROS_PER_DAY + 3_600_000_000
        );
    }
}
