//! UUID functions, as DuckDB's: `uuid()` (also `gen_random_uuid()` and
//! `uuidv4()`) draws a random version 4 UUID and `uuidv7()` a version 7
//! one (the Unix time in milliseconds, then random bits, so that they sort
//! by when they were made), anew for every row (volatile);
//! `uuid_extract_version(u)` gives a UUID's version and
//! `uuid_extract_timestamp(u)` the time in a version 7 UUID.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, FixedSizeBinaryBuilder, TimestampMicrosecondArray, UInt32Array,
};
use arrow::datatypes::{DataType, TimeUnit};
use quiver_expr::types::is_string;
use quiver_expr::uuid::{is_uuid, uuid_text, UUID};
use quiver_expr::{ColumnarValue, QuiverError, Result, ScalarFunction, Volatility};
use rand::Rng;

use super::{check_arity, map_values, wrong_types};

/// Which UUIDs a [`NewUuid`] draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Version {
    /// Random (version 4).
    Random,
    /// Time-ordered (version 7).
    TimeOrdered,
}

/// `uuid()` or `uuidv7()`.
#[derive(Debug)]
pub struct NewUuid {
    version: Version,
}

impl NewUuid {
    /// `uuid()`, `gen_random_uuid()`, `uuidv4()`.
    pub fn random() -> Self {
        Self {
            version: Version::Random,
        }
    }
    /// `uuidv7()`.
    pub fn time_ordered() -> Self {
        Self {
            version: Version::TimeOrdered,
        }
    }
}

/// `bytes` marked as a UUID of `version` (RFC 9562's variant bits too).
fn marked(mut bytes: [u8; 16], version: u8) -> [u8; 16] {
    bytes[6] = (bytes[6] & 0x0f) | (version << 4);
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    bytes
}

/// A version 7 UUID made at `millis` after 1970, with random bits after.
fn time_ordered(millis: u64, rng: &mut impl Rng) -> [u8; 16] {
    let mut bytes: [u8; 16] = rng.gen();
    bytes[..6].copy_from_slice(&millis.to_be_bytes()[2..]);
    marked(bytes, 7)
}

impl ScalarFunction for NewUuid {
    fn name(&self) -> &str {
        match self.version {
            Version::Random => "uuid",
            Version::TimeOrdered => "uuidv7",
        }
    }
    fn aliases(&self) -> &'static [&'static str] {
        match self.version {
            Version::Random => &["gen_random_uuid", "uuidv4"],
            Version::TimeOrdered => &[],
        }
    }
    fn volatility(&self) -> Volatility {
        Volatility::Volatile
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(self.name(), arg_types, 0, 0)?;
        Ok(vec![])
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(UUID)
    }
    fn invoke(&self, _: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        let mut rng = rand::thread_rng();
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64);
        let mut out = FixedSizeBinaryBuilder::with_capacity(num_rows, 16);
        for _ in 0..num_rows {
            let bytes = match self.version {
                Version::Random => marked(rng.gen(), 4),
                Version::TimeOrdered => time_ordered(millis, &mut rng),
            };
            out.append_value(bytes)?;
        }
        Ok(ColumnarValue::Array(Arc::new(out.finish())))
    }
}

/// What [`UuidPart`] takes from a UUID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// Its version (the high four bits of byte 6).
    Version,
    /// The time in a version 7 UUID.
    Timestamp,
}

/// `uuid_extract_version(u)` or `uuid_extract_timestamp(u)`.
#[derive(Debug)]
pub struct UuidPart {
    part: Part,
}

impl UuidPart {
    /// `uuid_extract_version(u)`.
    pub fn version() -> Self {
        Self {
            part: Part::Version,
        }
    }
    /// `uuid_extract_timestamp(u)`.
    pub fn timestamp() -> Self {
        Self {
            part: Part::Timestamp,
        }
    }
}

/// The version of the UUID `bytes`.
fn version_of(bytes: &[u8]) -> u8 {
    bytes[6] >> 4
}

impl ScalarFunction for UuidPart {
    fn name(&self) -> &str {
        match self.part {
            Part::Version => "uuid_extract_version",
            Part::Timestamp => "uuid_extract_timestamp",
        }
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(self.name(), arg_types, 1, 1)?;
        match &arg_types[0] {
            t if is_uuid(t) || is_string(t) || t == &DataType::Null => Ok(vec![UUID]),
            _ => Err(wrong_types(self.name(), arg_types)),
        }
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(match self.part {
            Part::Version => DataType::UInt32,
            Part::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
        })
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        map_values(&args[0], num_rows, |values| {
            let uuids = values.as_fixed_size_binary();
            let out: ArrayRef = match self.part {
                Part::Version => Arc::new(
                    uuids
                        .iter()
                        .map(|u| u.map(|u| u32::from(version_of(u))))
                        .collect::<UInt32Array>(),
                ),
                Part::Timestamp => {
                    let mut micros = Vec::with_capacity(uuids.len());
                    for u in uuids.iter() {
                        micros.push(u.map(timestamp_micros).transpose()?);
                    }
                    Arc::new(TimestampMicrosecondArray::from(micros).with_timezone("UTC"))
                }
            };
            Ok(out)
        })
    }
}

/// The time a version 7 UUID was made, in microseconds after 1970; an
/// error for other versions.
fn timestamp_micros(bytes: &[u8]) -> Result<i64> {
    if version_of(bytes) != 7 {
        return Err(QuiverError::Execution(format!(
            "uuid_extract_timestamp: {} is a version {} UUID; only version 7 holds a time",
            uuid_text(bytes),
            version_of(bytes)
        )));
    }
    let mut millis = [0u8; 8];
    millis[2..].copy_from_slice(&bytes[..6]);
    Ok(i64::from_be_bytes(millis) * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drawn(f: NewUuid, rows: usize) -> Vec<[u8; 16]> {
        let ColumnarValue::Array(values) = f.invoke(&[], rows).unwrap() else {
            panic!("one value per row")
        };
        assert!(is_uuid(values.data_type()));
        let values = values.as_fixed_size_binary();
        values
            .iter()
            .map(|v| v.unwrap().try_into().unwrap())
            .collect()
    }

    #[test]
    fn random_uuids_are_version_4_and_differ() {
        let mut seen = drawn(NewUuid::random(), 100);
        for u in &seen {
            assert_eq!(version_of(u), 4);
            assert_eq!(u[8] & 0xc0, 0x80, "{}", uuid_text(u));
        }
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 100);
    }

    #[test]
    fn time_ordered_uuids_hold_the_time_they_were_made() {
        let before = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64;
        for u in drawn(NewUuid::time_ordered(), 10) {
            assert_eq!(version_of(&u), 7);
            let made = timestamp_micros(&u).unwrap() / 1000;
            assert!(
                (before..before + 60_000).contains(&made),
                "{made} vs {before}"
            );
        }
        let v4 = marked([0; 16], 4);
        let error = timestamp_micros(&v4).unwrap_err().to_string();
        assert!(error.contains("version 4 UUID"), "{error}");
    }
}
