//! Conversions between Arrow's date and timestamp values and calendar
//! values, shared by the date and time functions. Timestamps are handled as
//! microseconds since 1970-01-01 00:00:00 (the session's time zone is UTC),
//! dates as days since then.

use arrow::array::{Array, AsArray, Int64Array};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Date32Type, TimeUnit, TimestampMicrosecondType};
use chrono::{DateTime, NaiveDate, NaiveDateTime};
use quiver_expr::{internal_err, Result};

/// 1970-01-01, day 0 of Arrow dates.
pub const EPOCH_DATE: NaiveDate = match NaiveDate::from_ymd_opt(1970, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

/// Microseconds in a day.
pub const MICROS_PER_DAY: i64 = 86_400_000_000;

/// Whether `t` is a date or timestamp (of any unit and zone).
pub fn is_datetime(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Date32 | DataType::Date64 | DataType::Timestamp(..)
    )
}

/// The instants of a date or timestamp column as microseconds since the
/// epoch (a date at its midnight).
pub fn micros_of(input: &dyn Array) -> Result<Int64Array> {
    Ok(match input.data_type() {
        DataType::Date32 => input
            .as_primitive::<Date32Type>()
            .unary(|d| i64::from(d) * MICROS_PER_DAY),
        DataType::Date64 | DataType::Timestamp(..) => {
            let t = cast(input, &DataType::Timestamp(TimeUnit::Microsecond, None))?;
            t.as_primitive::<TimestampMicrosecondType>()
                .reinterpret_cast()
        }
        other => return internal_err!("expected a date or timestamp, got {other}"),
    })
}

/// Microseconds since the epoch as a calendar date and time.
pub fn datetime(micros: i64) -> Option<NaiveDateTime> {
    DateTime::from_timestamp_micros(micros).map(|t| t.naive_utc())
}

/// A calendar date and time as microseconds since the epoch.
pub fn micros(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp_micros()
}

/// Days since the epoch as a calendar date.
pub fn date(days: i32) -> Option<NaiveDate> {
    EPOCH_DATE.checked_add_signed(chrono::Duration::days(i64::from(days)))
}

/// A calendar date as days since the epoch.
pub fn days(d: NaiveDate) -> Option<i32> {
    i32::try_from((d - EPOCH_DATE).num_days()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Date32Array, TimestampMillisecondArray};

    #[test]
    fn dates_and_timestamps_become_microseconds() {
        let dates = Date32Array::from(vec![Some(1), None]);
        let m = micros_of(&dates).unwrap();
        assert_eq!(m.value(0), MICROS_PER_DAY);
        assert!(m.is_null(1));
        let millis = TimestampMillisecondArray::from(vec![1500]);
        assert_eq!(micros_of(&millis).unwrap().value(0), 1_500_000);
        let t = datetime(MICROS_PER_DAY + 1).unwrap();
        assert_eq!(micros(t), MICROS_PER_DAY + 1);
        assert_eq!(days(date(19_000).unwrap()), Some(19_000));
    }
}
