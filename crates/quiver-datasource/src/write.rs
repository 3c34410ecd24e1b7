//! Writes query results to Parquet, CSV or newline-delimited JSON files,
//! optionally split into hive-style partition directories (`a=1/b=x/`).
//!
//! Writes are atomic: every file is written under a hidden temporary name
//! in its final directory and renamed into place only when all of them are
//! complete; on any error the temporary files are removed, so no partial
//! file is ever left behind.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, UInt32Array};
use arrow::compute::take_record_batch;
use arrow::datatypes::{Schema, SchemaRef};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use futures::StreamExt;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, GzipLevel, ZstdLevel};
use parquet::file::properties::WriterProperties;
use quiver_execution::SendableRecordBatchStream;
use quiver_expr::logical_plan::FileFormat;
use quiver_expr::{QuiverError, Result};

/// How to write files.
#[derive(Debug, Clone)]
pub struct WriteOptions {
    /// The file format.
    pub format: FileFormat,
    /// Parquet compression: `zstd` (default), `snappy`, `gzip`, `lz4`,
    /// `brotli` or `uncompressed`.
    pub compression: Option<String>,
    /// CSV: write a header line (default true).
    pub header: bool,
    /// CSV: the field separator (default `,`).
    pub delimiter: u8,
    /// Columns whose values name sub-directories; they are not written into
    /// the files themselves.
    pub partition_by: Vec<String>,
}

impl WriteOptions {
    /// Defaults for `format`.
    pub fn new(format: FileFormat) -> Self {
        Self {
            format,
            compression: None,
            header: true,
            delimiter: b',',
            partition_by: vec![],
        }
    }

    /// Applies `COPY` options (`compression`, `header`, `delimiter`/`delim`/
    /// `sep`); unknown keys are errors.
    pub fn with_options(mut self, options: &[(String, String)]) -> Result<Self> {
        for (key, value) in options {
            match key.as_str() {
                "compression" | "codec" => self.compression = Some(value.to_lowercase()),
                "header" => {
                    self.header = match value.to_lowercase().as_str() {
                        "true" | "1" | "yes" => true,
                        "false" | "0" | "no" => false,
                        _ => {
                            return Err(QuiverError::Plan(format!(
                                "HEADER must be true or false, not '{value}'"
                            )))
                        }
                    }
                }
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
                        "unknown COPY option '{other}'; expected FORMAT, COMPRESSION, HEADER, DELIMITER or PARTITION_BY"
                    )))
                }
            }
        }
        if self.format != FileFormat::Parquet
            && !matches!(
                self.compression.as_deref(),
                None | Some("none" | "uncompressed")
            )
        {
            return Err(QuiverError::Plan(format!(
                "COMPRESSION is supported for Parquet only, not {}",
                self.format
            )));
        }
        Ok(self)
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

    fn extension(&self) -> &'static str {
        match self.format {
            FileFormat::Parquet => "parquet",
            FileFormat::Csv => "csv",
            FileFormat::Json => "json",
        }
    }
}

/// One file being written under a temporary name.
struct PendingFile {
    temp: PathBuf,
    target: PathBuf,
    writer: FormatWriter,
}

enum FormatWriter {
    Parquet(Box<ArrowWriter<File>>),
    Csv(Box<arrow::csv::Writer<File>>),
    Json(arrow::json::LineDelimitedWriter<File>),
}

fn io_error(path: &Path, what: &str, e: impl std::fmt::Display) -> QuiverError {
    QuiverError::Io(format!("cannot {what} '{}': {e}", path.display()))
}

impl PendingFile {
    fn create(target: PathBuf, schema: &SchemaRef, options: &WriteOptions) -> Result<Self> {
        let dir = target.parent().filter(|d| !d.as_os_str().is_empty());
        if let Some(dir) = dir {
            std::fs::create_dir_all(dir).map_err(|e| io_error(dir, "create directory", e))?;
        }
        let name = target.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
            QuiverError::Plan(format!("'{}' is not a file name", target.display()))
        })?;
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let temp = target.with_file_name(format!(".{name}.tmp-{}-{nanos}", std::process::id()));
        let file = File::create(&temp).map_err(|e| io_error(&temp, "create", e))?;
        let writer = match options.format {
            FileFormat::Parquet => {
                let props = WriterProperties::builder()
                    .set_compression(options.parquet_compression()?)
                    .build();
                FormatWriter::Parquet(Box::new(ArrowWriter::try_new(
                    file,
                    Arc::clone(schema),
                    Some(props),
                )?))
            }
            FileFormat::Csv => FormatWriter::Csv(Box::new(
                arrow::csv::WriterBuilder::new()
                    .with_header(options.header)
                    .with_delimiter(options.delimiter)
                    .build(file),
            )),
            FileFormat::Json => FormatWriter::Json(
                arrow::json::WriterBuilder::new()
                    .with_explicit_nulls(true)
                    .build::<_, arrow::json::writer::LineDelimited>(file),
            ),
        };
        Ok(Self {
            temp,
            target,
            writer,
        })
    }

    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        match &mut self.writer {
            FormatWriter::Parquet(w) => w.write(batch)?,
            FormatWriter::Csv(w) => w.write(batch)?,
            FormatWriter::Json(w) => w.write(batch)?,
        }
        Ok(())
    }

    /// Completes the file under its temporary name.
    fn finish(self) -> Result<(PathBuf, PathBuf)> {
        match self.writer {
            FormatWriter::Parquet(w) => {
                w.close()?;
            }
            FormatWriter::Csv(w) => drop(w.into_inner()),
            FormatWriter::Json(mut w) => w.finish()?,
        }
        Ok((self.temp, self.target))
    }
}

/// Files of one write, all committed together or all removed.
#[derive(Default)]
struct Transaction {
    open: HashMap<PathBuf, PendingFile>,
    temps: Vec<PathBuf>,
}

impl Transaction {
    fn file(
        &mut self,
        target: PathBuf,
        schema: &SchemaRef,
        options: &WriteOptions,
    ) -> Result<&mut PendingFile> {
        if !self.open.contains_key(&target) {
            let file = PendingFile::create(target.clone(), schema, options)?;
            self.temps.push(file.temp.clone());
            self.open.insert(target.clone(), file);
        }
        self.open
            .get_mut(&target)
            .ok_or_else(|| QuiverError::Internal("pending file vanished".into()))
    }

    /// Finishes every file, then renames each into place.
    fn commit(mut self) -> Result<()> {
        let mut done = vec![];
        for (_, file) in std::mem::take(&mut self.open) {
            done.push(file.finish()?);
        }
        for (temp, target) in &done {
            std::fs::rename(temp, target).map_err(|e| io_error(target, "write", e))?;
        }
        self.temps.clear();
        Ok(())
    }
}

impl Drop for Transaction {
    /// Removes whatever was not committed.
    fn drop(&mut self) {
        self.open.clear();
        for temp in &self.temps {
            let _ = std::fs::remove_file(temp);
        }
    }
}

/// Writes every batch of `stream` to `location` (a file; a directory when
/// partitioning) and returns the number of rows written. Nothing is left
/// behind if the stream or a write fails.
pub async fn write_stream(
    mut stream: SendableRecordBatchStream,
    location: &str,
    options: &WriteOptions,
) -> Result<u64> {
    let schema = stream.schema();
    let partitioner = Partitioner::try_new(&schema, &options.partition_by)?;
    let mut transaction = Transaction::default();
    let mut rows = 0u64;
    if partitioner.is_none() {
        // An empty result still makes an (empty) file.
        transaction.file(PathBuf::from(location), &schema, options)?;
    }
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        rows += batch.num_rows() as u64;
        match &partitioner {
            None => transaction
                .file(PathBuf::from(location), &schema, options)?
                .write(&batch)?,
            Some(p) => {
                for (dir, part) in p.split(&batch)? {
                    let target = Path::new(location)
                        .join(dir)
                        .join(format!("data_0.{}", options.extension()));
                    transaction
                        .file(target, &p.file_schema, options)?
                        .write(&part)?;
                }
            }
        }
    }
    transaction.commit()?;
    Ok(rows)
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
    fn split(&self, batch: &RecordBatch) -> Result<Vec<(PathBuf, RecordBatch)>> {
        let options = FormatOptions::default().with_null("__HIVE_DEFAULT_PARTITION__");
        let key_columns: Vec<&ArrayRef> = self.keys.iter().map(|&i| batch.column(i)).collect();
        let formatters = key_columns
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let mut groups: Vec<(PathBuf, Vec<u32>)> = vec![];
        let mut index: HashMap<PathBuf, usize> = HashMap::new();
        for row in 0..batch.num_rows() {
            let mut dir = PathBuf::new();
            for (name, f) in self.names.iter().zip(&formatters) {
                dir.push(format!("{name}={}", escape(&f.value(row).to_string())));
            }
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

    #[test]
    fn partition_values_are_safe_directory_names() {
        assert_eq!(escape("a/b=c"), "a%2Fb%3Dc");
        assert_eq!(escape("plain value"), "plain value");
    }

    #[test]
    fn options_are_checked() {
        let csv = WriteOptions::new(FileFormat::Csv);
        let err = csv
            .clone()
            .with_options(&[("compression".into(), "zstd".into())])
            .unwrap_err();
        assert!(err.to_string().contains("Parquet only"), "{err}");
        let tab = csv
            .with_options(&[("delimiter".into(), "\\t".into())])
            .unwrap();
        assert_eq!(tab.delimiter, b'\t');
        let parquet = WriteOptions::new(FileFormat::Parquet)
            .with_options(&[("compression".into(), "lz9".into())])
            .unwrap();
        assert!(parquet.parquet_compression().is_err());
    }
}
