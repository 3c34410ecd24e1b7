//! Values written as text the way DuckDB writes them, for the types whose
//! Arrow text differs: TIMESTAMP and TIME (a fraction of a second without
//! trailing zeros, `10:00:00.25`; a zone's offset as `+05:30` or `-05`),
//! INTERVAL (`1 year 2 months 3 days 04:05:06`,
//! `00:00:00` for nothing), BLOB (printable ASCII as it is, other bytes as
//! `\xAA`), and LIST, STRUCT and MAP (`[1, 2]`, `{'a': 1, 'b': x}`,
//! `{1=2}`) built from their elements' text, a string element quoted only
//! where it would read ambiguously (`['a,b']`). `CAST(… AS VARCHAR)`, the
//! shell's tables and CSV output all write values through it.

use std::sync::Arc;

use arrow::array::timezone::Tz;
use arrow::array::{Array, ArrayRef, AsArray, StringArray};
use arrow::datatypes::{
    DataType, IntervalMonthDayNano, IntervalUnit, Time64MicrosecondType, TimeUnit,
    TimestampMicrosecondType,
};

use crate::cast::cast_array;
use crate::error::Result;
use crate::types::is_string;
use crate::zones;

/// Whether values of type `t` are written differently from Arrow's text.
pub fn needs_sql_text(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Timestamp(..)
            | DataType::Time32(_)
            | DataType::Time64(_)
            | DataType::Interval(IntervalUnit::MonthDayNano)
            | DataType::Binary
            | DataType::LargeBinary
            | DataType::BinaryView
            | DataType::FixedSizeBinary(_)
            | DataType::List(_)
            | DataType::LargeList(_)
            | DataType::FixedSizeList(..)
            | DataType::Struct(_)
            | DataType::Map(..)
    )
}

/// `array` as text (a `Utf8` array, NULL where it is NULL).
pub fn sql_text(array: &ArrayRef) -> Result<ArrayRef> {
    let texts = texts(array, false)?;
    Ok(Arc::new(StringArray::from(texts)))
}

/// The text of every value of `array`; `nested` quotes strings that would
/// read ambiguously inside a list or struct.
fn texts(array: &ArrayRef, nested: bool) -> Result<Vec<Option<String>>> {
    let valid = |i: usize| array.is_valid(i);
    let out: Vec<Option<String>> = match array.data_type() {
        DataType::Timestamp(_, zone) => {
            let micros = arrow::compute::cast(
                array,
                &DataType::Timestamp(TimeUnit::Microsecond, zone.clone()),
            )?;
            let micros = micros.as_primitive::<TimestampMicrosecondType>();
            let tz = zone.as_deref().map(zones::zone).transpose()?;
            (0..micros.len())
                .map(|i| valid(i).then(|| timestamp_text(micros.value(i), tz.as_ref())))
                .collect()
        }
        DataType::Time32(_) | DataType::Time64(_) => {
            let micros = arrow::compute::cast(array, &DataType::Time64(TimeUnit::Microsecond))?;
            let micros = micros.as_primitive::<Time64MicrosecondType>();
            (0..micros.len())
                .map(|i| valid(i).then(|| clock_text(micros.value(i))))
                .collect()
        }
        DataType::Interval(IntervalUnit::MonthDayNano) => {
            let a = array.as_primitive::<arrow::datatypes::IntervalMonthDayNanoType>();
            (0..a.len())
                .map(|i| valid(i).then(|| interval_text(a.value(i))))
                .collect()
        }
        t if crate::uuid::is_uuid(t) => crate::uuid::uuid_texts(array.as_ref()),
        DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::FixedSizeBinary(_) => {
            let a = arrow::compute::cast(array, &DataType::Binary)?;
            let a = a.as_binary::<i32>();
            (0..a.len())
                .map(|i| valid(i).then(|| blob_text(a.value(i))))
                .collect()
        }
        DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(..) => {
            let list =
                arrow::compute::cast(array, &DataType::LargeList(list_field(array.data_type())))?;
            let list = list.as_list::<i64>();
            let values = texts(list.values(), true)?;
            let offsets = list.value_offsets();
            (0..list.len())
                .map(|i| {
                    valid(i).then(|| {
                        let (start, end) = (offsets[i] as usize, offsets[i + 1] as usize);
                        let items: Vec<&str> = values[start..end]
                            .iter()
                            .map(|v| v.as_deref().unwrap_or("NULL"))
                            .collect();
                        format!("[{}]", items.join(", "))
                    })
                })
                .collect()
        }
        DataType::Struct(fields) => {
            let s = array.as_struct();
            let columns = s
                .columns()
                .iter()
                .map(|c| texts(c, true))
                .collect::<Result<Vec<_>>>()?;
            (0..s.len())
                .map(|i| {
                    valid(i).then(|| {
                        fn value(c: &[Option<String>], i: usize) -> &str {
                            c[i].as_deref().unwrap_or("NULL")
                        }
                        if crate::types::is_tuple(fields) {
                            let parts: Vec<&str> = columns.iter().map(|c| value(c, i)).collect();
                            return format!("({})", parts.join(", "));
                        }
                        let parts: Vec<String> = fields
                            .iter()
                            .zip(&columns)
                            .map(|(f, c)| format!("'{}': {}", f.name(), value(c, i)))
                            .collect();
                        format!("{{{}}}", parts.join(", "))
                    })
                })
                .collect()
        }
        DataType::Map(..) => {
            let m = array.as_map();
            let keys = texts(m.keys(), true)?;
            let values = texts(m.values(), true)?;
            let offsets = m.value_offsets();
            (0..m.len())
                .map(|i| {
                    valid(i).then(|| {
                        let (start, end) = (offsets[i] as usize, offsets[i + 1] as usize);
                        let pairs: Vec<String> = (start..end)
                            .map(|j| {
                                format!(
                                    "{}={}",
                                    keys[j].as_deref().unwrap_or("NULL"),
                                    values[j].as_deref().unwrap_or("NULL")
                                )
                            })
                            .collect();
                        format!("{{{}}}", pairs.join(", "))
                    })
                })
                .collect()
        }
        t => {
            let quote = nested && is_string(t);
            let text = cast_array(array, &DataType::Utf8)?;
            let text = text.as_string::<i32>();
            (0..text.len())
                .map(|i| {
                    valid(i).then(|| {
                        let v = text.value(i);
                        if quote && ambiguous(v) {
                            format!("'{}'", v.replace('\'', "''"))
                        } else {
                            v.to_string()
                        }
                    })
                })
                .collect()
        }
    };
    Ok(out)
}

/// The element field of a list type, for a cast to `LargeList`.
fn list_field(t: &DataType) -> arrow::datatypes::FieldRef {
    match t {
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => f.clone(),
        _ => Arc::new(arrow::datatypes::Field::new("item", DataType::Null, true)),
    }
}

/// Whether a string inside a list or struct needs quotes to read back as
/// one value: empty, `NULL`, padded with spaces, or holding a character
/// that separates or delimits values.
fn ambiguous(s: &str) -> bool {
    s.is_empty()
        || s.eq_ignore_ascii_case("null")
        || s.starts_with(char::is_whitespace)
        || s.ends_with(char::is_whitespace)
        || s.contains([',', '[', ']', '{', '}', '\'', '"', ':', '=', '\\'])
}

/// `.fraction` of a second without trailing zeros (empty for none).
fn fraction_text(micros: i64) -> String {
    if micros == 0 {
        return String::new();
    }
    let digits = format!("{micros:06}");
    format!(".{}", digits.trim_end_matches('0'))
}

/// A time of day, `micros` after midnight: `HH:MM:SS[.fraction]`.
fn clock_text(micros: i64) -> String {
    let (hours, minutes, seconds) = (
        micros / 3_600_000_000,
        micros / 60_000_000 % 60,
        micros / 1_000_000 % 60,
    );
    format!(
        "{hours:02}:{minutes:02}:{seconds:02}{}",
        fraction_text(micros % 1_000_000)
    )
}

/// A timestamp (`instant` microseconds since 1970-01-01 UTC): its local
/// date and time, with the zone's offset when it has a zone (`+05:30`,
/// `-05`).
fn timestamp_text(instant: i64, zone: Option<&Tz>) -> String {
    let local = zone.map_or(instant, |tz| zones::local_micros_of(instant, tz));
    let Some(t) = chrono::DateTime::from_timestamp_micros(local) else {
        return instant.to_string();
    };
    let mut text = format!(
        "{} {}",
        t.format("%Y-%m-%d"),
        clock_text(local.rem_euclid(86_400_000_000))
    );
    if zone.is_some() {
        let offset_minutes = (local - instant) / 60_000_000;
        let sign = if offset_minutes < 0 { '-' } else { '+' };
        let (hours, minutes) = (offset_minutes.abs() / 60, offset_minutes.abs() % 60);
        text.push_str(&format!("{sign}{hours:02}"));
        if minutes != 0 {
            text.push_str(&format!(":{minutes:02}"));
        }
    }
    text
}

/// BLOB bytes: printable ASCII as it is, other bytes as `\xAA`.
fn blob_text(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if (0x20..0x7f).contains(&b) && b != b'\\' {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("\\x{b:02X}"));
        }
    }
    out
}

/// An interval as DuckDB writes it: years, months and days as words, the
/// time as `[-]HH:MM:SS[.ffffff]`; `00:00:00` when all are zero.
pub fn interval_text(i: IntervalMonthDayNano) -> String {
    let plural = |n: i64, unit: &str| {
        if n.abs() == 1 {
            format!("{n} {unit}")
        } else {
            format!("{n} {unit}s")
        }
    };
    let mut parts = vec![];
    let (years, months) = (i64::from(i.months) / 12, i64::from(i.months) % 12);
    if years != 0 {
        parts.push(plural(years, "year"));
    }
    if months != 0 {
        parts.push(plural(months, "month"));
    }
    if i.days != 0 {
        parts.push(plural(i64::from(i.days), "day"));
    }
    let micros = i.nanoseconds / 1000;
    if micros != 0 || parts.is_empty() {
        let sign = if micros < 0 { "-" } else { "" };
        let m = micros.unsigned_abs();
        let (hours, minutes, seconds) =
            (m / 3_600_000_000, m / 60_000_000 % 60, m / 1_000_000 % 60);
        let mut time = format!("{sign}{hours:02}:{minutes:02}:{seconds:02}");
        let fraction = m % 1_000_000;
        if fraction != 0 {
            let digits = format!("{fraction:06}");
            time.push('.');
            time.push_str(digits.trim_end_matches('0'));
        }
        parts.push(time);
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{BinaryArray, Int64Array, IntervalMonthDayNanoArray, ListArray};
    use arrow::datatypes::Int64Type;

    fn text_of(array: ArrayRef) -> Vec<Option<String>> {
        let out = sql_text(&array).unwrap();
        out.as_string::<i32>()
            .iter()
            .map(|v| v.map(str::to_string))
            .collect()
    }

    #[test]
    fn intervals_as_duckdb_writes_them() {
        let hour = 3_600_000_000_000;
        for (months, days, nanos, expected) in [
            (
                14,
                3,
                4 * hour + 5 * 60_000_000_000 + 6_000_000_000,
                "1 year 2 months 3 days 04:05:06",
            ),
            (0, 0, 0, "00:00:00"),
            (0, -29, 0, "-29 days"),
            (0, 0, -90 * 60_000_000_000, "-01:30:00"),
            (0, 0, 1_500_000_000, "00:00:01.5"),
            (1, 1, 0, "1 month 1 day"),
            (-13, -17, 0, "-1 year -1 month -17 days"),
        ] {
            assert_eq!(
                interval_text(IntervalMonthDayNano::new(months, days, nanos)),
                expected
            );
        }
        let column =
            IntervalMonthDayNanoArray::from(vec![None, Some(IntervalMonthDayNano::new(0, 2, 0))]);
        assert_eq!(text_of(Arc::new(column)), [None, Some("2 days".into())]);
    }

    #[test]
    fn timestamps_and_times_without_trailing_zeros() {
        let new_york = zones::zone("America/New_York").unwrap();
        let kolkata = zones::zone("Asia/Kolkata").unwrap();
        // 2024-01-01 15:00:00.25 UTC
        let t = 1_704_121_200_250_000;
        assert_eq!(timestamp_text(t, None), "2024-01-01 15:00:00.25");
        assert_eq!(
            timestamp_text(t, Some(&new_york)),
            "2024-01-01 10:00:00.25-05"
        );
        assert_eq!(
            timestamp_text(t, Some(&kolkata)),
            "2024-01-01 20:30:00.25+05:30"
        );
        assert_eq!(clock_text(37_815_000_000), "10:30:15");
        assert_eq!(clock_text(37_815_500_000), "10:30:15.5");
    }

    #[test]
    fn blobs_and_lists() {
        let blob = BinaryArray::from(vec![&b"hi\xaa\\"[..]]);
        assert_eq!(text_of(Arc::new(blob)), [Some(r"hi\xAA\x5C".to_string())]);
        let list = ListArray::from_iter_primitive::<Int64Type, _, _>(vec![
            Some(vec![Some(1), None]),
            None,
            Some(vec![]),
        ]);
        assert_eq!(
            text_of(Arc::new(list)),
            [Some("[1, NULL]".to_string()), None, Some("[]".to_string())]
        );
        let plain: ArrayRef = Arc::new(Int64Array::from(vec![1]));
        assert!(!needs_sql_text(plain.data_type()));
        assert!(ambiguous("a,b") && ambiguous("") && !ambiguous("ab"));
    }
}
