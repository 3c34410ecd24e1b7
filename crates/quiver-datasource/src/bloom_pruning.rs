//! Skipping Parquet row groups by their bloom filters. A writer may store,
//! per column chunk, a split-block bloom filter of the values in it; a
//! conjunct `column = constant` or `column IN (constants)` cannot hold in a
//! row group whose filter says every one of the constants is absent. This
//! catches what min/max statistics cannot: a value inside the range of an
//! unsorted column that the row group does not contain.
//!
//! A bloom filter hashes the value's Parquet encoding, so a constant is
//! probed only where that encoding is unambiguous: integers stored as
//! INT32 or INT64, dates, and strings or binary stored as BYTE_ARRAY.
//! Floats are not probed (`0.0 = -0.0` but they hash differently), nor
//! decimals, timestamps or unsigned integers, whose stored form depends on
//! the writer. The filters are read only when a chunk to be read has one.

use arrow::datatypes::{DataType, Schema};
use parquet::arrow::arrow_reader::ArrowReaderMetadata;
use parquet::arrow::ParquetRecordBatchStreamBuilder;
use parquet::basic::Type as PhysicalType;
use parquet::bloom_filter::Sbbf;
use parquet::file::metadata::ParquetMetaData;
use quiver_expr::{Expr, QuiverError, Result, ScalarValue};

use crate::data_file::DataFile;

/// Constants one column must equal one of: `column = c` or `column IN (…)`.
#[derive(Debug, Clone)]
pub(crate) struct BloomProbe {
    column: String,
    values: Vec<ScalarValue>,
}

/// The conjuncts of `filters` that bloom filters can refute (qualifiers
/// ignored, NULL constants dropped since they never match).
pub(crate) fn bloom_probes(filters: &[Expr]) -> Vec<BloomProbe> {
    filters
        .iter()
        .filter_map(|f| {
            let (column, values) = f.column_equal_to_constants()?;
            let values: Vec<ScalarValue> = values
                .into_iter()
                .filter(|v| !v.is_null())
                .cloned()
                .collect();
            (!values.is_empty()).then(|| BloomProbe {
                column: column.name.clone(),
                values,
            })
        })
        .collect()
}

/// A constant in the form a writer hashed into a bloom filter.
#[derive(Debug, PartialEq)]
enum Hashed {
    Int32(i32),
    Int64(i64),
    Bytes(Vec<u8>),
}

impl Hashed {
    fn may_be_in(&self, filter: &Sbbf) -> bool {
        match self {
            Hashed::Int32(v) => filter.check(v),
            Hashed::Int64(v) => filter.check(v),
            Hashed::Bytes(v) => filter.check(v.as_slice()),
        }
    }
}

/// `value` as stored in a column of `column_type` with `physical` type,
/// when converting it there loses nothing and its stored form is known.
fn hashed_form(
    value: &ScalarValue,
    column_type: &DataType,
    physical: PhysicalType,
) -> Option<Hashed> {
    let stored = value.cast_to(column_type).ok()?;
    if stored.cast_to(&value.data_type()).ok()? != *value {
        return None;
    }
    let hashed = match (stored, physical) {
        (ScalarValue::Int8(Some(v)), PhysicalType::INT32) => Hashed::Int32(v.into()),
        (ScalarValue::Int16(Some(v)), PhysicalType::INT32) => Hashed::Int32(v.into()),
        (ScalarValue::Int32(Some(v)), PhysicalType::INT32)
        | (ScalarValue::Date32(Some(v)), PhysicalType::INT32) => Hashed::Int32(v),
        (ScalarValue::Int64(Some(v)), PhysicalType::INT64) => Hashed::Int64(v),
        (
            ScalarValue::Utf8(Some(s))
            | ScalarValue::LargeUtf8(Some(s))
            | ScalarValue::Utf8View(Some(s)),
            PhysicalType::BYTE_ARRAY,
        ) => Hashed::Bytes(s.into_bytes()),
        (
            ScalarValue::Binary(Some(b))
            | ScalarValue::LargeBinary(Some(b))
            | ScalarValue::BinaryView(Some(b)),
            PhysicalType::BYTE_ARRAY,
        ) => Hashed::Bytes(b),
        _ => return None,
    };
    Some(hashed)
}

/// A probe resolved against one file: the leaf column and the constants.
struct FileProbe {
    column: String,
    leaf: usize,
    values: Vec<Hashed>,
}

/// The probes that apply to the file's top-level primitive columns, every
/// constant in its stored form (a probe with a constant that has none is
/// dropped, as it cannot rule a row group out).
fn file_probes(
    metadata: &ParquetMetaData,
    schema: &Schema,
    probes: &[BloomProbe],
) -> Vec<FileProbe> {
    let descr = metadata.file_metadata().schema_descr();
    probes
        .iter()
        .filter_map(|probe| {
            let field = schema.field_with_name(&probe.column).ok()?;
            let leaf = (0..descr.num_columns()).find(|&i| {
                let column = descr.column(i);
                let path = column.path().parts();
                path.len() == 1 && path[0] == probe.column
            })?;
            let physical = descr.column(leaf).physical_type();
            let values = probe
                .values
                .iter()
                .map(|v| hashed_form(v, field.data_type(), physical))
                .collect::<Option<Vec<_>>>()?;
            Some(FileProbe {
                column: probe.column.clone(),
                leaf,
                values,
            })
        })
        .collect()
}

/// The row groups of `row_groups` whose bloom filters do not rule out a
/// probe. `schema` is the file's Arrow schema. Reads nothing when no chunk
/// to be read has a bloom filter for a probed column.
pub(crate) async fn row_groups_passing(
    file: &DataFile,
    metadata: &ArrowReaderMetadata,
    schema: &Schema,
    row_groups: Vec<usize>,
    probes: &[BloomProbe],
) -> Result<Vec<usize>> {
    let footer = metadata.metadata();
    let probes = file_probes(footer, schema, probes);
    let has_filter = |rg: usize, p: &FileProbe| {
        footer
            .row_group(rg)
            .column(p.leaf)
            .bloom_filter_offset()
            .is_some()
    };
    let any = row_groups
        .iter()
        .any(|&rg| probes.iter().any(|p| has_filter(rg, p)));
    if !any {
        return Ok(row_groups);
    }
    let reader = file.parquet_reader(None, None).await?;
    let mut builder = ParquetRecordBatchStreamBuilder::new_with_metadata(reader, metadata.clone());
    let mut passing = Vec::with_capacity(row_groups.len());
    'row_groups: for rg in row_groups {
        for probe in probes.iter().filter(|p| has_filter(rg, p)) {
            let filter = builder
                .get_row_group_column_bloom_filter(rg, probe.leaf)
                .await
                .map_err(|e| {
                    QuiverError::from(e).context(format!(
                        "reading the bloom filter of column '{}' in row group {rg}",
                        probe.column
                    ))
                })?;
            if let Some(filter) = filter {
                if !probe.values.iter().any(|v| v.may_be_in(&filter)) {
                    continue 'row_groups;
                }
            }
        }
        passing.push(rg);
    }
    Ok(passing)
}

#[cfg(test)]
mod tests {
    use super::*;
    use quiver_expr::{Column, Operator};

    fn column(name: &str) -> Box<Expr> {
        Box::new(Expr::Column(Column::bare(name)))
    }

    #[test]
    fn equalities_and_in_lists_of_constants_become_probes() {
        let int = |v| Expr::Literal(ScalarValue::Int64(Some(v)));
        let filters = vec![
            Expr::Binary(column("a"), Operator::Eq, Box::new(int(3))),
            Expr::Binary(Box::new(int(4)), Operator::Eq, column("b")),
            Expr::InList {
                expr: column("c"),
                list: vec![int(1), Expr::Literal(ScalarValue::Int64(None)), int(2)],
                negated: false,
            },
            Expr::InList {
                expr: column("d"),
                list: vec![int(1)],
                negated: true,
            },
            Expr::Binary(column("e"), Operator::Lt, Box::new(int(3))),
            Expr::Binary(column("f"), Operator::Eq, column("g")),
        ];
        let probes = bloom_probes(&filters);
        let summary: Vec<(&str, usize)> = probes
            .iter()
            .map(|p| (p.column.as_str(), p.values.len()))
            .collect();
        assert_eq!(summary, [("a", 1), ("b", 1), ("c", 2)]);
    }

    #[test]
    fn constants_are_probed_in_their_stored_form_only_when_exact() {
        let i32_col = DataType::Int32;
        assert_eq!(
            hashed_form(&ScalarValue::Int64(Some(7)), &i32_col, PhysicalType::INT32),
            Some(Hashed::Int32(7))
        );
        // Out of the column's range: converting would change the value.
        assert_eq!(
            hashed_form(
                &ScalarValue::Int64(Some(1 << 40)),
                &i32_col,
                PhysicalType::INT32
            ),
            None
        );
        assert_eq!(
            hashed_form(
                &ScalarValue::Float64(Some(1.5)),
                &DataType::Int64,
                PhysicalType::INT64
            ),
            None
        );
        assert_eq!(
            hashed_form(
                &ScalarValue::Float64(Some(0.0)),
                &DataType::Float64,
                PhysicalType::DOUBLE
            ),
            None
        );
        assert_eq!(
            hashed_form(
                &ScalarValue::from("x"),
                &DataType::Utf8View,
                PhysicalType::BYTE_ARRAY
            ),
            Some(Hashed::Bytes(b"x".to_vec()))
        );
    }
}
