//! Conversions between Arrow's date and timestamp values and calendar
//! values, shared by the date and time functions. Timestamps are handled as
//! microseconds since 1970-01-01 00:00:00 (the session's time zone is UTC),
//! dates as days since then.

use arrow::array::{Array, AsArray, Int64Array};
use arrow::compute::cast;
use arrow::datatypes::{
    DataType, Date32Type, Time64MicrosecondType, TimeUnit, TimestampMicrosecondType,
};
use chrono::{DateTime, NaiveDate, NaiveDateTime};
use quiver_expr::zones::local_times;
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

/// The values of a date or timestamp column as microseconds since the
/// epoch (a date at its midnight, an instant with a time zone at its local
/// time there, a TIME as microseconds since midnight).
pub fn micros_of(input: &dyn Array) -> Result<Int64Array> {
    Ok(match input.data_type() {
        DataType::Date32 => input
            .as_primitive::<Date32Type>()
            .unary(|d| i64::from(d) * MICROS_PER_DAY),
        DataType::Timestamp(_, Some(_)) => local_times(input)?,
        DataType::Date64 | DataType::Timestamp(..) => {
            let t = cast(input, &DataType::Timestamp(TimeUnit::Microsecond, None))?;
            t.as_primitive::<TimestampMicrosecondType>()
                .reinterpret_cast()
        }
        DataType::Time32(_) | DataType::Time64(_) => {
            let t = cast(input, &DataType::Time64(TimeUnit::Microsecond))?;
            t.as_primitive::<Time64MicrosecondType>().reinterpret_cast()
        }
        other => return internal_err!("expected a date or timestamp, got {other}"),
    })
}

/// Whether `t` is a time of day (TIME).
pub fn is_time(t: &DataType) -> bool {
    matches!(t, DataType::Time32(_) | DataType::Time64(_))
}

/// The (year, month 1–12, day 1–31) of `days` since 1970-01-01 in the
/// proleptic Gregorian calendar, by integer arithmetic alone (Howard
/// Hinnant's `civil_from_days`): a few nanoseconds, where a chrono date
/// costs tens.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month as u32, day as u32)
}

/// Days since 1970-01-01 of a (year, month 1–12, day) date, the inverse of
/// [`civil_from_days`].
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = year - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let shifted_month = i64::from((month + 9) % 12);
    let day_of_year = (153 * shifted_month + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The day of the week of `days` since 1970-01-01, Monday = 0.
pub fn weekday_from_monday(days: i64) -> i64 {
    // 1970-01-01 was a Thursday.
    (days + 3).rem_euclid(7)
}

/// The values of a date or timestamp column as instants: microseconds
/// since 1970-01-01 UTC (a date or a timestamp without a zone at its local
/// time read as UTC), for `epoch` and `epoch_ms`, which count from the same
/// instant in every zone.
pub fn instants_of(input: &dyn Array) -> Result<Int64Array> {
    match input.data_type() {
        DataType::Timestamp(_, Some(zone)) => {
            let t = cast(
                input,
                &DataType::Timestamp(TimeUnit::Microsecond, Some(zone.clone())),
            )?;
            Ok(t.as_primitive::<TimestampMicrosecondType>()
                .reinterpret_cast())
        }
        _ => micros_of(input),
    }
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
    use chrono::Datelike;

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

    #[test]
    fn civil_dates_agree_with_chrono() {
        for d in (-800_000..800_000)
            .step_by(97)
            .chain([-1, 0, 59, 60, 11_016])
        {
            let c = date(d).unwrap();
            let (y, m, day) = civil_from_days(i64::from(d));
            assert_eq!(
                (y, m, day),
                (i64::from(c.year()), c.month(), c.day()),
                "{c}"
            );
            assert_eq!(days_from_civil(y, m, day), i64::from(d));
            let monday = i64::from(c.weekday().num_days_from_monday());
            assert_eq!(weekday_from_monday(i64::from(d)), monday);
        }
    }
}
