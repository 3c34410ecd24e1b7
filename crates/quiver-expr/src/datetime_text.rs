//! Dates and timestamps read from text, as `CAST('…' AS DATE)`, `DATE
//! '…'` and `TIMESTAMP '…'` read them: `YYYY-MM-DD` (a leading `-` for
//! years before 1), then for timestamps an optional time of day after a
//! space or `T`: `HH:MM`, `HH:MM:SS` or `HH:MM:SS.ffffff`. Errors say
//! whether the text is malformed or a field is out of range (`2024-02-30`).

use chrono::{NaiveDate, NaiveTime};

/// Why text is not a date or timestamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatetimeTextError {
    /// The text does not have the shape of one.
    Malformed,
    /// It has the shape, but a field is out of range.
    OutOfRange,
}

fn number(text: &str) -> Option<u32> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// The date at the start of `text`, and what follows it.
fn date_prefix(text: &str) -> Result<(NaiveDate, &str), DatetimeTextError> {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text),
    };
    let mut parts = rest.splitn(3, '-');
    let (Some(y), Some(m), Some(tail)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(DatetimeTextError::Malformed);
    };
    let day_len = tail.bytes().take_while(u8::is_ascii_digit).count();
    let (d, after) = tail.split_at(day_len);
    let (Some(y), Some(m), Some(d)) = (number(y), number(m), number(d)) else {
        return Err(DatetimeTextError::Malformed);
    };
    if m.to_string().len() > 2 || d.to_string().len() > 2 {
        return Err(DatetimeTextError::Malformed);
    }
    let year = i32::try_from(y).map_err(|_| DatetimeTextError::OutOfRange)?;
    let year = if negative { -year } else { year };
    let date = NaiveDate::from_ymd_opt(year, m, d).ok_or(DatetimeTextError::OutOfRange)?;
    Ok((date, after))
}

/// Days since 1970-01-01 of a date written as text.
pub fn parse_date(text: &str) -> Result<i32, DatetimeTextError> {
    let (date, rest) = date_prefix(text.trim())?;
    if !rest.is_empty() {
        return Err(DatetimeTextError::Malformed);
    }
    days_since_epoch(date)
}

fn days_since_epoch(date: NaiveDate) -> Result<i32, DatetimeTextError> {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).ok_or(DatetimeTextError::OutOfRange)?;
    i32::try_from((date - epoch).num_days()).map_err(|_| DatetimeTextError::OutOfRange)
}

/// A time of day `HH:MM[:SS[.fraction]]`.
fn time_of_day(text: &str) -> Result<NaiveTime, DatetimeTextError> {
    let (clock, fraction) = match text.split_once('.') {
        Some((c, f)) => (c, Some(f)),
        None => (text, None),
    };
    let fields: Vec<&str> = clock.split(':').collect();
    let field = |i: usize| -> Result<u32, DatetimeTextError> {
        match fields.get(i) {
            Some(f) if f.len() <= 2 => number(f).ok_or(DatetimeTextError::Malformed),
            Some(_) => Err(DatetimeTextError::Malformed),
            None => Ok(0),
        }
    };
    if !(2..=3).contains(&fields.len()) || (fraction.is_some() && fields.len() != 3) {
        return Err(DatetimeTextError::Malformed);
    }
    let micros = match fraction {
        None => 0,
        Some(f) if f.is_empty() || f.len() > 9 || number(f).is_none() => {
            return Err(DatetimeTextError::Malformed)
        }
        Some(f) => {
            let digits: String = f.chars().chain(std::iter::repeat('0')).take(6).collect();
            number(&digits).ok_or(DatetimeTextError::Malformed)?
        }
    };
    NaiveTime::from_hms_micro_opt(field(0)?, field(1)?, field(2)?, micros)
        .ok_or(DatetimeTextError::OutOfRange)
}

/// Microseconds since 1970-01-01 00:00:00 of a timestamp written as text.
pub fn parse_timestamp(text: &str) -> Result<i64, DatetimeTextError> {
    let (date, rest) = date_prefix(text.trim())?;
    let time = match rest.strip_prefix([' ', 'T']) {
        None if rest.is_empty() => NaiveTime::MIN,
        None => return Err(DatetimeTextError::Malformed),
        Some(t) => time_of_day(t.trim_start())?,
    };
    Ok(date.and_time(time).and_utc().timestamp_micros())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_their_errors() {
        assert_eq!(parse_date("1970-01-02"), Ok(1));
        assert_eq!(parse_date(" 2024-2-9 "), parse_date("2024-02-09"));
        assert_eq!(parse_date("2024-02-30"), Err(DatetimeTextError::OutOfRange));
        assert_eq!(parse_date("2024-13-01"), Err(DatetimeTextError::OutOfRange));
        assert_eq!(parse_date("2024/01/01"), Err(DatetimeTextError::Malformed));
        assert_eq!(parse_date("2024-01-01x"), Err(DatetimeTextError::Malformed));
        assert!(parse_date("-0044-03-15").is_ok());
    }

    #[test]
    fn timestamps_with_optional_seconds_and_fractions() {
        let day = 86_400_000_000;
        assert_eq!(parse_timestamp("1970-01-02"), Ok(day));
        assert_eq!(parse_timestamp("1970-01-02 00:01"), Ok(day + 60_000_000));
        assert_eq!(
            parse_timestamp("1970-01-02T00:00:01.5"),
            Ok(day + 1_500_000)
        );
        assert_eq!(
            parse_timestamp("1970-01-02 00:00:00.123456789"),
            Ok(day + 123_456)
        );
        assert_eq!(
            parse_timestamp("1970-01-02 24:00:00"),
            Err(DatetimeTextError::OutOfRange)
        );
        assert_eq!(
            parse_timestamp("1970-01-02 1"),
            Err(DatetimeTextError::Malformed)
        );
        assert_eq!(
            parse_timestamp("1970-01-02 00:00:00+02"),
            Err(DatetimeTextError::Malformed)
        );
    }
}
