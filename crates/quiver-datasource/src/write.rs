//! Writes query results to Parquet, CSV or newline-delimited JSON files,
//! optionally split into hive-style partition directories (`a=1/b=x/`).
//!
//! Writes are atomic: no file of a write becomes visible before all of
//! them are complete, and on any error none is left behind (local files are
//! renamed into place, S3 objects are multipart uploads completed at the
//! end). Locations may be local or `s3://`.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, UInt32Array};
use arrow::compute::take_record_batch;
use arrow::datatypes::{Schema, SchemaRef};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use futures::StreamExt;
use parquet::basic::{Compression, GzipLevel, ZstdLevel};
use parquet::file::properties::WriterProperties;
use parquet::schema::types::ColumnPath;
use quiver_execution::memory_pool::MemoryReservation;
use quiver_execution::SendableRecordBatchStream;
use quiver_expr::{QuiverError, Result};

use crate::format::FileFormat;
use crate::partition_buffers::PartitionBuffers;
use crate::store::{RemoteLocation, StorageOptions};
use crate::transaction::Transaction;

/// How to write files.
#[derive(Debug, Clone)]
pub struct WriteOptions {
    /// The file format.
    pub format: Arc<dyn FileFormat>,
    /// Parquet compression: `zstd` (default), `snappy`, `gzip`, `lz4`,
    /// `brotli` or `uncompressed`.
    pub compression: Option<String>,
    /// Parquet: the most rows in one row group (default: the writer's,
    /// about a million).
    pub row_group_size: Option<usize>,
    /// Parquet: the columns that get a bloom filter per row group (none by
    /// default; `["*"]`: every column), which lets `=` and `IN` lookups skip
    /// row groups whose min/max range holds the value but not the rows.
    pub bloom_filter_columns: Vec<String>,
    /// CSV: write a header line (default true).
    pub header: bool,
    /// CSV: the field separator (default `,`).
    pub delimiter: u8,
    /// Columns whose values name sub-directories; they are not written into
    /// the files themselves.
    pub partition_by: Vec<String>,
    /// How to reach S3 (`aws.*` options).
    pub storage: StorageOptions,
    /// Create the directory the output goes in (and its parents) when it
    /// is missing (`MKDIRS true`); by default a missing one is an error.
    pub create_directories: bool,
}

impl WriteOptions {
    /// Defaults for `format`.
    pub fn new(format: Arc<dyn FileFormat>) -> Self {
        Self {
            format,
            compression: None,
            row_group_size: None,
            bloom_filter_columns: vec![],
            header: true,
            delimiter: b',',
            partition_by: vec![],
            storage: StorageOptions::default(),
            create_directories: false,
        }
    }

    /// Applies `COPY` options (`compression`, `row_group_size`,
    /// `bloom_filter` (`true`, or a comma-separated list of columns),
    /// `header`, `delimiter`/`delim`/`sep`, `mkdirs`, `aws.*`); unknown
    /// keys are errors.
    pub fn with_options(mut self, options: &[(String, String)]) -> Result<Self> {
        for (key, value) in options {
            if StorageOptions::is_storage_key(key) {
                self.storage.set(key, value)?;
                continue;
            }
            match key.as_str() {
                "compression" | "codec" => self.compression = Some(value.to_lowercase()),
                "row_group_size" => {
                    self.row_group_size = match value.parse::<usize>() {
                        Ok(rows) if rows > 0 => Some(rows),
                        _ => {
                            return Err(QuiverError::Plan(format!(
                                "ROW_GROUP_SIZE must be a positive number of rows, not '{value}'"
                            )))
                        }
                    }
                }
                "bloom_filter" | "bloom_filters" => {
                    self.bloom_filter_columns = match value.to_lowercase().as_str() {
                        "true" | "1" | "yes" | "*" => vec!["*".into()],
                        "false" | "0" | "no" => vec![],
                        _ => value.split(',').map(|c| c.trim().to_string()).collect(),
                    }
                }
                "header" => self.header = flag("HEADER", value)?,
                "mkdirs" => self.create_directories = flag("MKDIRS", value)?,
                "delimiter" | "delim" | "sep" => {
                    let value = if value == "\\t" { "\t" } else { value.as_str() };
                    match value.as_bytes() {
                        [b] => self.delimiter = *b,
                        _ => {
                            return Err(QuiverError::Plan(format!(
                                "DELIMITER must be one character, not '{value}'"
                            )))
                        }
                    }
                }
                other => {
                    return Err(QuiverError::Plan(format!(
                        "unknown COPY option '{other}'; expected FORMAT, COMPRESSION, ROW_GROUP_SIZE, BLOOM_FILTER, HEADER, DELIMITER, PARTITION_BY or MKDIRS"
                    )))
                }
            }
        }
        let format_specific = [
            (
                "COMPRESSION",
                !matches!(
                    self.compression.as_deref(),
                    None | Some("none" | "uncompressed")
                ),
            ),
            ("ROW_GROUP_SIZE", self.row_group_size.is_some()),
            ("BLOOM_FILTER", !self.bloom_filter_columns.is_empty()),
        ];
        let honoured = self.format.write_options();
        if let Some((option, _)) = format_specific
            .iter()
            .find(|(option, set)| *set && !honoured.contains(option))
        {
            return Err(QuiverError::Plan(format!(
                "{option} is not supported for {} files",
                self.format.name().to_uppercase()
            )));
        }
        Ok(self)
    }

    /// The Parquet writer's settings for files of `schema`; a bloom filter
    /// column that `schema` lacks is an error naming it.
    pub(crate) fn parquet_properties(&self, schema: &Schema) -> Result<WriterProperties> {
        let rows = self.row_group_size.unwrap_or(DEFAULT_ROW_GROUP_ROWS);
        let mut props = WriterProperties::builder()
            .set_compression(self.parquet_compression()?)
            .set_max_row_group_row_count(Some(rows));
        if self.bloom_filter_columns.iter().any(|c| c == "*") {
            props = props.set_bloom_filter_enabled(true);
        } else {
            for column in &self.bloom_filter_columns {
                if schema.field_with_name(column).is_err() {
                    let names: Vec<&str> =
                        schema.fields().iter().map(|f| f.name().as_str()).collect();
                    return Err(QuiverError::Plan(format!(
                        "BLOOM_FILTER column '{column}' is not written; the columns are {}",
                        names.join(", ")
                    )));
                }
                let path = ColumnPath::new(vec![column.clone()]);
                props = props.set_column_bloom_filter_enabled(path, true);
            }
        }
        Ok(props.build())
    }

    fn parquet_compression(&self) -> Result<Compression> {
        Ok(match self.compression.as_deref() {
            None | Some("zstd") => Compression::ZSTD(ZstdLevel::default()),
            Some("snappy") => Compression::SNAPPY,
            Some("gzip") => Compression::GZIP(GzipLevel::default()),
            Some("lz4") => Compression::LZ4_RAW,
            Some("brotli") => Compression::BROTLI(Default::default()),
            Some("uncompressed" | "none") => Compression::UNCOMPRESSED,
            Some(other) => {
                return Err(QuiverError::Plan(format!(
                    "unknown Parquet compression '{other}'; expected zstd, snappy, gzip, lz4, brotli or uncompressed"
                )))
            }
        })
    }

    /// The extension of the files written: the format's first.
    pub(crate) fn extension(&self) -> &'static str {
        self.format.extensions().first().copied().unwrap_or("data")
    }
}

/// Rows per Parquet row group when `ROW_GROUP_SIZE` is not given: DuckDB's
/// default, small enough for row-group pruning and parallel reads.
pub const DEFAULT_ROW_GROUP_ROWS: usize = 122_880;

/// Writes every batch of `stream` to `location` (a file; a directory when
/// partitioning) and returns the number of rows written. Nothing is left
/// behind if the stream or a write fails. The memory the open files hold
/// is held in `reservation` (see [`Transaction`]).
pub async fn write_stream(
    stream: SendableRecordBatchStream,
    location: &str,
    options: &WriteOptions,
    reservation: MemoryReservation,
) -> Result<u64> {
    check_directory(location, options)?;
    let gathered = reservation.new_empty("partitions being gathered");
    let mut transaction = Transaction::new(reservation);
    match write_batches(stream, location, options, &mut transaction, gathered).await {
        Ok(rows) => {
            transaction.commit().await?;
            Ok(rows)
        }
        Err(e) => {
            transaction.abort().await;
            Err(e)
        }
    }
}

/// A boolean option's value.
fn flag(name: &str, value: &str) -> Result<bool> {
    match value.to_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err(QuiverError::Plan(format!(
            "{name} must be true or false, not '{value}'"
        ))),
    }
}

/// Fails when the local directory that `location` goes in is missing and
/// the options do not ask for it to be made: a typo in a path should not
/// quietly create a tree of directories. (A partitioned write makes
/// `location` itself, a directory, but its parent must exist.)
fn check_directory(location: &str, options: &WriteOptions) -> Result<()> {
    if options.create_directories || RemoteLocation::parse(location)?.is_some() {
        return Ok(());
    }
    let path = std::path::PathBuf::from(crate::listing::local_path(location));
    match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(parent) if !parent.is_dir() => Err(QuiverError::Io(format!(
            "cannot write to '{location}': directory '{}' does not exist; create it, or add (MKDIRS true)",
            parent.display()
        ))),
        _ => Ok(()),
    }
}

async fn write_batches(
    mut stream: SendableRecordBatchStream,
    location: &str,
    options: &WriteOptions,
    transaction: &mut Transaction,
    gathered: MemoryReservation,
) -> Result<u64> {
    let schema = stream.schema();
    let mut partitioned = Partitioner::try_new(&schema, &options.partition_by)?.map(|p| {
        let rows_per_write = options.row_group_size.unwrap_or(DEFAULT_ROW_GROUP_ROWS);
        let buffers = PartitionBuffers::new(Arc::clone(&p.file_schema), rows_per_write, gathered);
        (p, buffers)
    });
    let mut rows = 0u64;
    if partitioned.is_none() {
        // An empty result still makes an (empty) file.
        transaction
            .write(location, |_| location.to_string(), &schema, options, None)
            .await?;
    }
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        rows += batch.num_rows() as u64;
        match &mut partitioned {
            None => {
                let name = |_| location.to_string();
                transaction
                    .write(location, name, &schema, options, Some(&batch))
                    .await?
            }
            Some((p, buffers)) => {
                for (dir, part) in p.split(&batch)? {
                    buffers.push(dir, part)?;
                }
                while let Some((dir, part)) = buffers.next_to_write()? {
                    let name = partition_file(location, &dir, options);
                    transaction
                        .write_row_groups(&dir, name, &p.file_schema, options, &part)
                        .await?;
                }
            }
        }
    }
    if let Some((p, buffers)) = &mut partitioned {
        for (dir, part) in buffers.drain()? {
            let name = partition_file(location, &dir, options);
            transaction
                .write_row_groups(&dir, name, &p.file_schema, options, &part)
                .await?;
        }
    }
    Ok(rows)
}

/// Names the files of partition `dir` under `location`: the `n`th is
/// `location/dir/data_n.ext`.
fn partition_file<'a>(
    location: &'a str,
    dir: &'a str,
    options: &'a WriteOptions,
) -> impl Fn(usize) -> String + 'a {
    move |n| {
        let base = location.trim_end_matches('/');
        format!("{base}/{dir}/data_{n}.{}", options.extension())
    }
}

/// Splits batches by the values of the partition columns.
struct Partitioner {
    /// Indices of the partition columns, in `PARTITION_BY` order.
    keys: Vec<usize>,
    /// Indices of the other columns, which the files hold.
    values: Vec<usize>,
    names: Vec<String>,
    file_schema: SchemaRef,
}

impl Partitioner {
    fn try_new(schema: &Schema, partition_by: &[String]) -> Result<Option<Self>> {
        if partition_by.is_empty() {
            return Ok(None);
        }
        let keys = partition_by
            .iter()
            .map(|name| {
                schema
                    .fields()
                    .iter()
                    .position(|f| f.name().eq_ignore_ascii_case(name))
                    .ok_or_else(|| {
                        QuiverError::Plan(format!("no column \"{name}\" to partition by"))
                    })
            })
            .collect::<Result<Vec<_>>>()?;
        let values: Vec<usize> = (0..schema.fields().len())
            .filter(|i| !keys.contains(i))
            .collect();
        if values.is_empty() {
            return Err(QuiverError::Plan(
                "PARTITION_BY names every column; at least one must be left to write".into(),
            ));
        }
        let names = keys
            .iter()
            .map(|&i| schema.field(i).name().clone())
            .collect();
        let file_schema = Arc::new(schema.project(&values)?);
        Ok(Some(Self {
            keys,
            values,
            names,
            file_schema,
        }))
    }

    /// The rows of `batch` grouped by partition directory (`a=1/b=x`),
    /// without the partition columns.
    fn split(&self, batch: &RecordBatch) -> Result<Vec<(String, RecordBatch)>> {
        let options = FormatOptions::default().with_null("__HIVE_DEFAULT_PARTITION__");
        let key_columns: Vec<&ArrayRef> = self.keys.iter().map(|&i| batch.column(i)).collect();
        let formatters = key_columns
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let mut groups: Vec<(String, Vec<u32>)> = vec![];
        let mut index: HashMap<String, usize> = HashMap::new();
        for row in 0..batch.num_rows() {
            let parts: Vec<String> = self
                .names
                .iter()
                .zip(&formatters)
                .map(|(name, f)| format!("{name}={}", escape(&f.value(row).to_string())))
                .collect();
            let dir = parts.join("/");
            let slot = *index.entry(dir.clone()).or_insert_with(|| {
                groups.push((dir, vec![]));
                groups.len() - 1
            });
            groups[slot].1.push(row as u32);
        }
        let values = batch.project(&self.values)?;
        groups
            .into_iter()
            .map(|(dir, rows)| Ok((dir, take_record_batch(&values, &UInt32Array::from(rows))?)))
            .collect()
    }
}

/// A partition value made safe as a directory name: `/`, `\`, `=`, `%` and
/// control characters are percent-encoded, as Hive does.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if matches!(
            c,
            '/' | '\\' | '=' | '%' | ':' | '*' | '?' | '"' | '<' | '>' | '|'
        ) || c.is_control()
        {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::{CsvFormat, JsonFormat, ParquetFormat};

    #[test]
    fn partition_values_are_safe_directory_names() {
        assert_eq!(escape("a/b=c"), "a%2Fb%3Dc");
        assert_eq!(escape("plain value"), "plain value");
    }

    #[test]
    fn options_are_checked() {
        let csv = WriteOptions::new(Arc::new(CsvFormat));
        let err = csv
            .clone()
            .with_options(&[("compression".into(), "zstd".into())])
            .unwrap_err();
        let message = "COMPRESSION is not supported for CSV files";
        assert!(err.to_string().contains(message), "{err}");
        let tab = csv
            .with_options(&[("delimiter".into(), "\\t".into())])
            .unwrap();
        assert_eq!(tab.delimiter, b'\t');
        let parquet = WriteOptions::new(Arc::new(ParquetFormat))
            .with_options(&[("compression".into(), "lz9".into())])
            .unwrap();
        assert!(parquet.parquet_compression().is_err());
        let err = WriteOptions::new(Arc::new(JsonFormat))
            .with_options(&[("bloom_filter".into(), "true".into())])
            .unwrap_err();
        assert!(
            err.to_string()
                .contains("BLOOM_FILTER is not supported for JSON files"),
            "{err}"
        );
        let err = WriteOptions::new(Arc::new(ParquetFormat))
            .with_options(&[("row_group_size".into(), "0".into())])
            .unwrap_err();
        assert!(err.to_string().contains("ROW_GROUP_SIZE"), "{err}");
    }

    #[test]
    fn bloom_filters_are_set_per_named_column() {
        use arrow::datatypes::{DataType, Field};
        let schema = Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("name", DataType::Utf8, true),
        ]);
        let named = WriteOptions::new(Arc::new(ParquetFormat))
            .with_options(&[
                ("bloom_filter".into(), "name".into()),
                ("row_group_size".into(), "100".into()),
            ])
            .unwrap();
        let props = named.parquet_properties(&schema).unwrap();
        let has_filter = |c: &str| {
            props
                .bloom_filter_properties(&ColumnPath::new(vec![c.into()]))
                .is_some()
        };
        assert!(has_filter("name") && !has_filter("id"));
        assert_eq!(props.max_row_group_row_count(), Some(100));
        let missing = WriteOptions::new(Arc::new(ParquetFormat))
            .with_options(&[("bloom_filter".into(), "nope".into())])
            .unwrap();
        let err = missing.parquet_properties(&schema).unwrap_err();
        assert!(
            err.to_string()
                .contains("'nope' is not written; the columns are id, name"),
            "{err}"
        );
    }
}
