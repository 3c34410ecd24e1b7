//! Instants and local times in a time zone, for `TIMESTAMP WITH TIME
//! ZONE`: Arrow keeps such a value as microseconds since 1970-01-01 UTC
//! with the zone on its type; its local time (what `hour()`,
//! `date_trunc`, `CAST(… AS TIMESTAMP)` and `strftime` see) is that
//! instant plus the zone's offset then. Going back, a local time that
//! occurs twice (when clocks fall back) is the later instant (standard
//! time), and one that never occurs (when clocks spring forward) is moved
//! past the gap, as in DuckDB.

use arrow::array::timezone::Tz;
use arrow::array::{Array, AsArray, Int64Array};
use arrow::datatypes::{DataType, TimeUnit, TimestampMicrosecondType};
use chrono::{DateTime, Offset, TimeZone};

use crate::error::{QuiverError, Result};

/// The zone named `name` (an IANA name or an offset such as `+02:00`).
pub fn zone(name: &str) -> Result<Tz> {
    name.parse::<Tz>()
        .map_err(|_| QuiverError::Plan(format!("unknown time zone '{name}'")))
}

/// The local time in `zone` of the instant `micros` (both in microseconds
/// since 1970-01-01).
pub fn local_micros_of(micros: i64, zone: &Tz) -> i64 {
    match DateTime::from_timestamp_micros(micros) {
        Some(t) => {
            let offset = zone.offset_from_utc_datetime(&t.naive_utc()).fix();
            micros + i64::from(offset.local_minus_utc()) * 1_000_000
        }
        None => micros,
    }
}

/// The instant whose local time in `zone` is `local` (microseconds).
pub fn instant_of(local: i64, zone: &Tz) -> i64 {
    let Some(naive) = DateTime::from_timestamp_micros(local).map(|t| t.naive_utc()) else {
        return local;
    };
    // A local time that never occurs is moved past the gap (at most a few
    // hours), then read.
    for hours in 0..4 {
        let shifted = naive + chrono::Duration::hours(hours);
        if let Some(t) = zone.from_local_datetime(&shifted).latest() {
            return t.timestamp_micros();
        }
    }
    local
}

/// The local times of a column of instants (`Timestamp` with a zone).
pub fn local_times(instants: &dyn Array) -> Result<Int64Array> {
    let DataType::Timestamp(_, Some(name)) = instants.data_type() else {
        return Err(QuiverError::Internal(format!(
            "local times of {} values",
            instants.data_type()
        )));
    };
    let tz = zone(name)?;
    let micros = arrow::compute::cast(
        instants,
        &DataType::Timestamp(TimeUnit::Microsecond, Some(name.clone())),
    )?;
    Ok(micros
        .as_primitive::<TimestampMicrosecondType>()
        .unary(|v| local_micros_of(v, &tz)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::TimestampMicrosecondArray;

    const HOUR: i64 = 3_600_000_000;

    #[test]
    fn local_times_follow_the_offset_of_their_day() {
        let new_york = zone("America/New_York").unwrap();
        // 2024-01-01 15:00 UTC is 10:00 in New York (UTC-5); 2024-07-01
        // 14:00 UTC is 10:00 there too (UTC-4).
        let winter = 1_704_121_200_000_000;
        let summer = 1_719_842_400_000_000;
        assert_eq!(local_micros_of(winter, &new_york), winter - 5 * HOUR);
        assert_eq!(local_micros_of(summer, &new_york), summer - 4 * HOUR);
        assert_eq!(instant_of(winter - 5 * HOUR, &new_york), winter);
        let column = TimestampMicrosecondArray::from(vec![winter]).with_timezone("+02:00");
        assert_eq!(local_times(&column).unwrap().value(0), winter + 2 * HOUR);
        assert!(zone("Mars/Olympus").is_err());
    }

    #[test]
    fn gaps_move_forward_and_repeats_take_the_second() {
        let new_york = zone("America/New_York").unwrap();
        // 2024-03-10 02:30 does not occur in New York; 03:30 EDT does.
        let gap = 1_710_037_800_000_000; // 2024-03-10 02:30 as a UTC wall time
        assert_eq!(instant_of(gap, &new_york), gap + HOUR + 4 * HOUR);
        // 2024-11-03 01:30 occurs twice; the second is EST (UTC-5).
        let twice = 1_730_597_400_000_000; // 2024-11-03 01:30 as a UTC wall time
        assert_eq!(instant_of(twice, &new_york), twice + 5 * HOUR);
    }
}
