//! Date and time functions computed row by row: `dayname`, `monthname`,
//! `last_day`, `make_date`, `make_timestamp`, `date_diff` (`datediff`),
//! `date_sub` (`datesub`), `age`, `to_timestamp`, `time_bucket`.
//! Dates given where a timestamp is expected are taken at midnight.
//!
//! `date_diff(part, start, end)` counts the `part` boundaries crossed going
//! from `start` to `end` (`date_diff('month', DATE '2024-01-31', DATE
//! '2024-02-01')` is 1), except `week`, which counts whole 7-day spans, as
//! in DuckDB; `date_sub` counts whole parts (0 for that pair).

use chrono::{Datelike, Duration, Months, NaiveDate, NaiveDateTime, NaiveTime, Timelike};

use super::datetime::{date, datetime, days, micros, EPOCH_DATE, MICROS_PER_DAY};
use super::row_fn::{Kind, Out, RowFunction, Val};
use arrow::datatypes::IntervalMonthDayNano;

use Kind::{Date, Float, Int, Interval, Str, Timestamp};

const MICROS_PER_SECOND: i64 = 1_000_000;

fn instant(v: Val) -> Result<NaiveDateTime, String> {
    datetime(v.timestamp()).ok_or_else(|| format!("timestamp {} is out of range", v.timestamp()))
}

fn calendar_date(v: Val) -> Result<NaiveDate, String> {
    date(v.date()).ok_or_else(|| format!("date {} is out of range", v.date()))
}

fn date_out(d: NaiveDate) -> Result<Out, String> {
    days(d)
        .map(Out::Date)
        .ok_or_else(|| format!("date {d} is out of range"))
}

fn dayname(v: &[Val]) -> Result<Out, String> {
    Ok(Out::Str(instant(v[0])?.format("%A").to_string()))
}

fn monthname(v: &[Val]) -> Result<Out, String> {
    Ok(Out::Str(instant(v[0])?.format("%B").to_string()))
}

fn last_day(v: &[Val]) -> Result<Out, String> {
    let d = calendar_date(v[0])?;
    let first = d.with_day(1).unwrap_or(d);
    let next_month = first
        .checked_add_months(Months::new(1))
        .ok_or_else(|| format!("date {d} is out of range"))?;
    date_out(next_month - Duration::days(1))
}

/// A calendar date from its year, month and day.
fn ymd(year: i64, month: i64, day: i64) -> Result<NaiveDate, String> {
    let fits = |n: i64| u32::try_from(n).ok();
    i32::try_from(year)
        .ok()
        .zip(fits(month).zip(fits(day)))
        .and_then(|(y, (m, d))| NaiveDate::from_ymd_opt(y, m, d))
        .ok_or_else(|| format!("date field value out of range: {year}-{month}-{day}"))
}

fn make_date(v: &[Val]) -> Result<Out, String> {
    date_out(ymd(v[0].int(), v[1].int(), v[2].int())?)
}

fn make_timestamp(v: &[Val]) -> Result<Out, String> {
    let day = ymd(v[0].int(), v[1].int(), v[2].int())?;
    let (hour, minute, second) = (v[3].int(), v[4].int(), v[5].float());
    let out_of_range = || format!("time field value out of range: {hour}:{minute}:{second}");
    if !(0..24).contains(&hour) || !(0..60).contains(&minute) || !(0.0..60.0).contains(&second) {
        return Err(out_of_range());
    }
    let whole = second.trunc() as u32;
    let micro = ((second - second.trunc()) * 1e6).round() as u32;
    let time = NaiveTime::from_hms_micro_opt(hour as u32, minute as u32, whole, micro)
        .ok_or_else(out_of_range)?;
    Ok(Out::Timestamp(micros(day.and_time(time))))
}

fn make_time(v: &[Val]) -> Result<Out, String> {
    let (hour, minute, second) = (v[0].int(), v[1].int(), v[2].float());
    if !(0..24).contains(&hour) || !(0..60).contains(&minute) || !(0.0..60.0).contains(&second) {
        return Err(format!(
            "time field value out of range: {hour}:{minute}:{second}"
        ));
    }
    Ok(Out::Time(
        (hour * 3600 + minute * 60) * MICROS_PER_SECOND + (second * 1e6).round() as i64,
    ))
}

/// `to_timestamp(seconds)`: seconds since 1970-01-01 as a TIMESTAMP.
fn to_timestamp(v: &[Val]) -> Result<Out, String> {
    let seconds = v[0].float();
    let us = seconds * 1e6;
    if !us.is_finite() || us.abs() >= i64::MAX as f64 || datetime(us as i64).is_none() {
        return Err(format!("{seconds} seconds is out of the TIMESTAMP range"));
    }
    Ok(Out::Timestamp(us.round() as i64))
}

/// A unit of `date_diff` and `date_sub`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    Millennium,
    Century,
    Decade,
    Year,
    Quarter,
    Month,
    Week,
    Day,
    Hour,
    Minute,
    Second,
    Millisecond,
    Microsecond,
}

impl Part {
    fn parse(name: &str) -> Result<Self, String> {
        Ok(match name.to_ascii_lowercase().as_str() {
            "millennium" | "millennia" | "mil" => Part::Millennium,
            "century" | "centuries" | "cent" => Part::Century,
            "decade" | "decades" | "dec" => Part::Decade,
            "year" | "years" | "y" | "yr" | "yrs" => Part::Year,
            "quarter" | "quarters" => Part::Quarter,
            "month" | "months" | "mon" | "mons" => Part::Month,
            "week" | "weeks" | "w" => Part::Week,
            "day" | "days" | "d" | "dayofmonth" | "doy" | "dayofyear" | "dow" | "isodow" => {
                Part::Day
            }
            "hour" | "hours" | "h" | "hr" | "hrs" => Part::Hour,
            "minute" | "minutes" | "m" | "min" | "mins" => Part::Minute,
            "second" | "seconds" | "s" | "sec" | "secs" => Part::Second,
            "millisecond" | "milliseconds" | "ms" | "msec" | "msecs" => Part::Millisecond,
            "microsecond" | "microseconds" | "us" | "usec" | "usecs" => Part::Microsecond,
            _ => return Err(format!("unknown date part '{name}'")),
        })
    }

    /// The length of the part in microseconds, for the parts of fixed
    /// length.
    fn fixed_micros(self) -> Option<i64> {
        Some(match self {
            Part::Week => 7 * MICROS_PER_DAY,
            Part::Day => MICROS_PER_DAY,
            Part::Hour => 3600 * MICROS_PER_SECOND,
            Part::Minute => 60 * MICROS_PER_SECOND,
            Part::Second => MICROS_PER_SECOND,
            Part::Millisecond => 1000,
            Part::Microsecond => 1,
            _ => return None,
        })
    }

    /// Months in one part, for the calendar parts.
    fn months(self) -> i64 {
        match self {
            Part::Millennium => 12_000,
            Part::Century => 1200,
            Part::Decade => 120,
            Part::Year => 12,
            Part::Quarter => 3,
            _ => 1,
        }
    }
}

/// Microseconds from `start` to `end`; an error when the span does not fit.
fn span(start: i64, end: i64) -> Result<i64, String> {
    end.checked_sub(start)
        .ok_or_else(|| "the time between the two values is out of range".to_string())
}

/// Months since year 0 of `t`'s month.
fn month_number(t: NaiveDateTime) -> i64 {
    i64::from(t.year()) * 12 + i64::from(t.month0())
}

fn date_diff(v: &[Val]) -> Result<Out, String> {
    let part = Part::parse(v[0].str())?;
    let (start, end) = (v[1].timestamp(), v[2].timestamp());
    Ok(Out::Int(match part {
        Part::Week => span(start, end)? / (7 * MICROS_PER_DAY),
        p => match p.fixed_micros() {
            Some(unit) => end.div_euclid(unit) - start.div_euclid(unit),
            None => {
                let (s, e) = (instant(v[1])?, instant(v[2])?);
                let span = p.months();
                month_number(e).div_euclid(span) - month_number(s).div_euclid(span)
            }
        },
    }))
}

/// Whole months from `start` to `end` (negative when `end` is earlier).
fn whole_months(start: NaiveDateTime, end: NaiveDateTime) -> i64 {
    let mut months = month_number(end) - month_number(start);
    let shifted = |m: i64| {
        let add = Months::new(m.unsigned_abs() as u32);
        if m >= 0 {
            start.checked_add_months(add)
        } else {
            start.checked_sub_months(add)
        }
    };
    while months > 0 && shifted(months).is_some_and(|t| t > end) {
        months -= 1;
    }
    while months < 0 && shifted(months).is_some_and(|t| t < end) {
        months += 1;
    }
    months
}

fn date_sub(v: &[Val]) -> Result<Out, String> {
    let part = Part::parse(v[0].str())?;
    let (start, end) = (v[1].timestamp(), v[2].timestamp());
    Ok(Out::Int(match part.fixed_micros() {
        Some(unit) => span(start, end)? / unit,
        None => whole_months(instant(v[1])?, instant(v[2])?) / part.months(),
    }))
}

/// Days in the month of `d`.
fn days_in_month(d: NaiveDate) -> i64 {
    let first = d.with_day(1).unwrap_or(d);
    first
        .checked_add_months(Months::new(1))
        .map_or(31, |next| (next - first).num_days())
}

/// `age(end, start)`: the time from `start` to `end` in years, months, days
/// and time of day, as DuckDB and PostgreSQL count it (a negative
/// difference has every part negative). `age(t)` counts from `t` to
/// today's midnight.
fn age(v: &[Val]) -> Result<Out, String> {
    let (end, start) = match v {
        [end, start] => (instant(*end)?, instant(*start)?),
        [start] => {
            let today = chrono::Utc::now().date_naive();
            (today.and_time(NaiveTime::MIN), instant(*start)?)
        }
        _ => return Err("age takes one or two timestamps".into()),
    };
    let (later, earlier, sign) = if end >= start {
        (end, start, 1)
    } else {
        (start, end, -1)
    };
    let mut months = month_number(later) - month_number(earlier);
    let mut days = i64::from(later.day()) - i64::from(earlier.day());
    let mut time = later.time().num_seconds_from_midnight() as i64 * MICROS_PER_SECOND
        + i64::from(later.nanosecond() / 1000)
        - (earlier.time().num_seconds_from_midnight() as i64 * MICROS_PER_SECOND
            + i64::from(earlier.nanosecond() / 1000));
    if time < 0 {
        time += MICROS_PER_DAY;
        days -= 1;
    }
    if days < 0 {
        days += days_in_month(earlier.date());
        months -= 1;
    }
    let narrow = |n: i64| i32::try_from(n * sign).map_err(|_| "the age does not fit an INTERVAL");
    Ok(Out::Interval(IntervalMonthDayNano::new(
        narrow(months)?,
        narrow(days)?,
        time * sign * 1000,
    )))
}

/// The start of the bucket of `width` that holds `t`. Buckets of months
/// count from 2000-01-01, others from 2000-01-03 (a Monday), unless an
/// `origin` is given.
fn time_bucket(v: &[Val]) -> Result<Out, String> {
    let width = v[0].interval();
    let t = v[1].timestamp();
    match (width.months, width.days, width.nanoseconds) {
        (months, 0, 0) if months > 0 => {
            let origin = match v.get(2) {
                Some(o) => instant(*o)?,
                None => NaiveDate::from_ymd_opt(2000, 1, 1)
                    .unwrap_or(EPOCH_DATE)
                    .and_time(NaiveTime::MIN),
            };
            let elapsed = whole_months(origin, instant(v[1])?).div_euclid(i64::from(months))
                * i64::from(months);
            let add = Months::new(elapsed.unsigned_abs() as u32);
            let start = if elapsed >= 0 {
                origin.checked_add_months(add)
            } else {
                origin.checked_sub_months(add)
            };
            start
                .map(|s| Out::Timestamp(micros(s)))
                .ok_or_else(|| "the bucket is out of range".into())
        }
        (0, days, nanos) if days >= 0 && nanos >= 0 && (days > 0 || nanos > 0) => {
            let width = i64::from(days) * MICROS_PER_DAY + nanos / 1000;
            if width == 0 {
                return Err("the bucket width must be at least a microsecond".into());
            }
            let origin = match v.get(2) {
                Some(o) => o.timestamp(),
                None => 946_857_600 * MICROS_PER_SECOND,
            };
            Ok(Out::Timestamp(
                origin + span(origin, t)?.div_euclid(width) * width,
            ))
        }
        _ => Err(
            "the bucket width must be positive, and either months or days and time, not both"
                .into(),
        ),
    }
}

/// The date and time functions each named as it is called.
pub fn functions() -> Vec<RowFunction> {
    vec![
        RowFunction::new("dayname", &[Timestamp], 0, Str, dayname),
        RowFunction::new("monthname", &[Timestamp], 0, Str, monthname),
        RowFunction::new("last_day", &[Date], 0, Date, last_day),
        RowFunction::new("make_date", &[Int, Int, Int], 0, Date, make_date),
        RowFunction::new(
            "make_timestamp",
            &[Int, Int, Int, Int, Int, Float],
            0,
            Timestamp,
            make_timestamp,
        ),
        RowFunction::new("to_timestamp", &[Float], 0, Timestamp, to_timestamp),
        RowFunction::new("make_time", &[Int, Int, Float], 0, Kind::Time, make_time),
        RowFunction::new("date_diff", &[Str, Timestamp, Timestamp], 0, Int, date_diff)
            .with_aliases(&["datediff"]),
        RowFunction::new("date_sub", &[Str, Timestamp, Timestamp], 0, Int, date_sub)
            .with_aliases(&["datesub"]),
        RowFunction::new("age", &[Timestamp, Timestamp], 1, Interval, age),
        RowFunction::new(
            "time_bucket",
            &[Interval, Timestamp, Timestamp],
            1,
            Timestamp,
            time_bucket,
        )
        .with_date_result_for_date(1),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::scalar::row_fn::RowFn;

    fn ts(s: &str) -> Val<'static> {
        let t = NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
        Val::Timestamp(micros(t))
    }

    fn part(p: &'static str) -> Val<'static> {
        Val::Str(p)
    }

    #[test]
    fn differences_count_boundaries_or_whole_parts() {
        type Case = (RowFn, &'static str, &'static str, &'static str, i64);
        let cases: [Case; 9] = [
            (
                date_diff,
                "month",
                "2024-01-31 00:00:00",
                "2024-02-01 00:00:00",
                1,
            ),
            (
                date_sub,
                "month",
                "2024-01-31 00:00:00",
                "2024-02-29 00:00:00",
                1,
            ),
            (
                date_sub,
                "month",
                "2024-01-15 00:00:00",
                "2024-03-14 00:00:00",
                1,
            ),
            (
                date_diff,
                "day",
                "2024-01-01 10:00:00",
                "2024-01-03 09:00:00",
                2,
            ),
            (
                date_sub,
                "day",
                "2024-01-01 10:00:00",
                "2024-01-03 09:00:00",
                1,
            ),
            (
                date_diff,
                "week",
                "2024-01-06 00:00:00",
                "2024-01-08 00:00:00",
                0,
            ),
            (
                date_diff,
                "hour",
                "2024-01-01 10:59:00",
                "2024-01-01 11:01:00",
                1,
            ),
            (
                date_diff,
                "year",
                "2024-12-31 00:00:00",
                "2025-01-01 00:00:00",
                1,
            ),
            (
                date_diff,
                "day",
                "2024-03-01 00:00:00",
                "2024-01-01 00:00:00",
                -60,
            ),
        ];
        for (f, p, start, end, expected) in cases {
            assert_eq!(
                f(&[part(p), ts(start), ts(end)]),
                Ok(Out::Int(expected)),
                "{p} from {start} to {end}"
            );
        }
        let same = ts("2024-01-01 00:00:00");
        assert!(date_diff(&[part("fortnight"), same, same]).is_err());
    }

    #[test]
    fn ages_borrow_from_the_earlier_month() {
        let interval = |months, days, hours: i64| {
            Out::Interval(IntervalMonthDayNano::new(
                months,
                days,
                hours * 3_600_000_000_000,
            ))
        };
        let age_of = |a, b| age(&[ts(a), ts(b)]).unwrap();
        assert_eq!(
            age_of("2024-03-01 00:00:00", "2023-01-15 00:00:00"),
            interval(13, 17, 0)
        );
        assert_eq!(
            age_of("2023-01-15 00:00:00", "2024-03-01 00:00:00"),
            interval(-13, -17, 0)
        );
        assert_eq!(
            age_of("2024-03-01 10:00:00", "2024-02-28 12:00:00"),
            interval(0, 1, 22)
        );
        assert_eq!(
            age_of("2024-01-31 00:00:00", "2024-02-29 00:00:00"),
            interval(0, -29, 0)
        );
    }

    #[test]
    fn calendar_constructors_and_names() {
        assert_eq!(
            make_date(&[Val::Int(2024), Val::Int(2), Val::Int(29)]).map(|_| ()),
            Ok(())
        );
        let err = make_date(&[Val::Int(2024), Val::Int(2), Val::Int(30)]).unwrap_err();
        assert!(err.contains("date field value out of range"), "{err}");
        let feb = days(NaiveDate::from_ymd_opt(2024, 2, 10).unwrap()).unwrap();
        let end = days(NaiveDate::from_ymd_opt(2024, 2, 29).unwrap()).unwrap();
        assert_eq!(last_day(&[Val::Date(feb)]), Ok(Out::Date(end)));
        assert_eq!(
            dayname(&[ts("2024-03-15 00:00:00")]),
            Ok(Out::Str("Friday".into()))
        );
    }

    #[test]
    fn buckets_of_time_and_of_months() {
        let minutes = Val::Interval(IntervalMonthDayNano::new(0, 0, 15 * 60 * 1_000_000_000));
        assert_eq!(
            time_bucket(&[minutes, ts("2024-03-15 10:07:00")]),
            Ok(ts("2024-03-15 10:00:00")).map(|v| Out::Timestamp(v.timestamp()))
        );
        let week = Val::Interval(IntervalMonthDayNano::new(0, 7, 0));
        assert_eq!(
            time_bucket(&[week, ts("2024-03-15 00:00:00")]),
            Ok(Out::Timestamp(ts("2024-03-11 00:00:00").timestamp()))
        );
        let quarter = Val::Interval(IntervalMonthDayNano::new(3, 0, 0));
        assert_eq!(
            time_bucket(&[quarter, ts("2024-03-15 00:00:00")]),
            Ok(Out::Timestamp(ts("2024-01-01 00:00:00").timestamp()))
        );
    }
}
