//! The UUID type: 16 bytes, held as Arrow's `FixedSizeBinary(16)` (every
//! such column is a UUID to Quiver; other fixed-size binaries are BLOBs).
//! Its text is DuckDB's, lower-case hex in groups of 8-4-4-4-12; text is
//! read as DuckDB reads it: 32 hex digits, hyphens anywhere between them,
//! optionally in braces. Byte order is value order, so UUIDs sort as their
//! text does, as in DuckDB.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, FixedSizeBinaryBuilder};
use arrow::datatypes::DataType;

use crate::error::{QuiverError, Result};

/// The Arrow type of UUID values.
pub const UUID: DataType = DataType::FixedSizeBinary(UUID_BYTES);

/// How many bytes a UUID holds.
const UUID_BYTES: i32 = 16;

/// Whether `t` is the UUID type.
pub fn is_uuid(t: &DataType) -> bool {
    t == &UUID
}

/// A UUID's text: `550e8400-e29b-41d4-a716-446655440000`.
pub fn uuid_text(bytes: &[u8]) -> String {
    let mut text = String::with_capacity(36);
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            text.push('-');
        }
        text.push_str(&format!("{b:02x}"));
    }
    text
}

/// The bytes of a UUID written as `text`; `None` when it is not one.
pub fn parse_uuid(text: &str) -> Option<[u8; 16]> {
    let inner = match text.strip_prefix('{') {
        Some(rest) => rest.strip_suffix('}')?,
        None => text,
    };
    let mut bytes = [0u8; 16];
    let mut digits = 0;
    for c in inner.chars() {
        if c == '-' {
            continue;
        }
        let nibble = c.to_digit(16)? as u8;
        let byte = bytes.get_mut(digits / 2)?;
        *byte = (*byte << 4) | nibble;
        digits += 1;
    }
    (digits == 32 && !inner.starts_with('-') && !inner.ends_with('-')).then_some(bytes)
}

/// Strings (of any Arrow string type) read as UUIDs: text that is not one
/// is an error, or NULL when `safe`.
pub fn uuids_from_text(array: &ArrayRef, safe: bool) -> Result<ArrayRef> {
    let text = arrow::compute::cast(array, &DataType::Utf8)?;
    let text = text.as_string::<i32>();
    let mut out = FixedSizeBinaryBuilder::with_capacity(text.len(), UUID_BYTES);
    for t in text.iter() {
        match t.map(|t| (t, parse_uuid(t))) {
            None => out.append_null(),
            Some((_, Some(bytes))) => out.append_value(bytes)?,
            Some(_) if safe => out.append_null(),
            Some((t, None)) => {
                return Err(QuiverError::Execution(format!(
                    "cannot convert '{t}' to UUID: expected 32 hex digits, as in \
                     '550e8400-e29b-41d4-a716-446655440000'"
                )))
            }
        }
    }
    Ok(Arc::new(out.finish()))
}

/// The field metadata key naming a field's Arrow extension type.
const EXTENSION_NAME_KEY: &str = "ARROW:extension:name";

/// `field` with its UUIDs, at any depth, marked as Arrow's canonical
/// `arrow.uuid` extension type (the same 16 bytes): how UUIDs leave Quiver,
/// so that Parquet files hold the UUID logical type and pyarrow reads
/// `uuid.UUID` values.
pub fn with_uuid_extension(field: &arrow::datatypes::FieldRef) -> arrow::datatypes::FieldRef {
    crate::types::map_fields(field, &|f| match is_uuid(f.data_type()) {
        true => {
            let mut metadata = f.metadata().clone();
            metadata.insert(EXTENSION_NAME_KEY.into(), "arrow.uuid".into());
            f.with_metadata(metadata)
        }
        false => f,
    })
}

/// The text of each UUID of `array` (a UUID column), NULL where it is NULL.
pub fn uuid_texts(array: &dyn Array) -> Vec<Option<String>> {
    let uuids = array.as_fixed_size_binary();
    uuids.iter().map(|u| u.map(uuid_text)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::StringArray;

    #[test]
    fn text_reads_back_as_the_same_bytes() {
        let text = "550e8400-e29b-41d4-a716-446655440000";
        let bytes = parse_uuid(text).unwrap();
        assert_eq!(bytes[0], 0x55);
        assert_eq!(uuid_text(&bytes), text);
        for other in [
            "550E8400E29B41D4A716446655440000",
            "{550e8400-e29b-41d4-a716-446655440000}",
            "550e-8400e29b-41d4-a716-446655440000",
        ] {
            assert_eq!(parse_uuid(other), Some(bytes), "{other}");
        }
    }

    #[test]
    fn malformed_text_is_not_a_uuid() {
        for bad in [
            "",
            "x",
            " 550e8400-e29b-41d4-a716-446655440000",
            "550e8400-e29b-41d4-a716-44665544000",
            "550e8400-e29b-41d4-a716-4466554400000",
            "{550e8400-e29b-41d4-a716-446655440000",
            "-550e8400e29b41d4a716446655440000",
            "550e8400-e29b-41d4-a716-44665544000g",
        ] {
            assert_eq!(parse_uuid(bad), None, "{bad}");
        }
    }

    #[test]
    fn columns_convert_strictly_or_safely() {
        let texts: ArrayRef = Arc::new(StringArray::from(vec![
            Some("00000000-0000-0000-0000-000000000001"),
            None,
            Some("nope"),
        ]));
        let error = uuids_from_text(&texts, false).unwrap_err().to_string();
        assert!(error.contains("cannot convert 'nope' to UUID"), "{error}");
        let safe = uuids_from_text(&texts, true).unwrap();
        assert_eq!(
            uuid_texts(safe.as_ref()),
            vec![
                Some("00000000-0000-0000-0000-000000000001".to_string()),
                None,
                None
            ]
        );
    }
}
