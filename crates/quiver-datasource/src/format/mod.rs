//! File formats: how Quiver recognizes a format's files, reads them as a
//! table and writes query results in it. Each format is one module
//! implementing [`FileFormat`]; [`FileFormats`] is the list a session
//! knows, found by name (`STORED AS csv`, `COPY … (FORMAT json)`) or by a
//! file's extension. A new format is one module and one line in
//! [`FileFormats::builtin`] (or [`FileFormats::register`] from a program).

mod csv;
mod json;
mod parquet;

use std::fmt::Debug;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use quiver_execution::TableProvider;
use quiver_expr::{QuiverError, Result};

pub use self::csv::CsvFormat;
pub use self::json::{JsonFormat, JsonOptions};
pub use self::parquet::ParquetFormat;
use crate::listing::{list_files, local_path};
use crate::store::StorageOptions;
use crate::write::WriteOptions;

/// One file format.
pub trait FileFormat: Send + Sync + Debug {
    /// The format's name, lower case (`parquet`): what `STORED AS` and
    /// `COPY … (FORMAT …)` take.
    fn name(&self) -> &'static str;

    /// The file extensions that mean this format, the one written first
    /// (`["csv", "tsv"]`). A compression suffix (`x.csv.gz`) is looked
    /// through.
    fn extensions(&self) -> &'static [&'static str];

    /// A table over the files at `location` (a file, glob or directory;
    /// local, `s3://` or `http(s)://`), with the format's `options` (keys
    /// in lower case) and the columns `schema` when given (else inferred).
    /// An unknown option is an error that names it.
    fn open_table(
        &self,
        location: &str,
        options: &[(String, String)],
        schema: Option<SchemaRef>,
        storage: &StorageOptions,
    ) -> Result<Arc<dyn TableProvider>>;

    /// The `COPY` options this format honours beyond the common ones
    /// (upper case, as errors name them): a write that sets another
    /// format's option is an error.
    fn write_options(&self) -> &'static [&'static str];

    /// A writer of batches of `schema` in this format into `out`.
    fn writer(
        &self,
        out: Box<dyn Write + Send>,
        schema: &SchemaRef,
        options: &WriteOptions,
    ) -> Result<Box<dyn BatchWriter>>;
}

/// Encodes batches into one file.
pub trait BatchWriter: Send {
    /// Appends `batch`.
    fn write(&mut self, batch: &RecordBatch) -> Result<()>;

    /// Writes the format's trailer (a Parquet footer) and flushes.
    fn finish(self: Box<Self>) -> Result<()>;

    /// Bytes the writer holds in memory, not yet written out (a Parquet
    /// row group being encoded). Counted against the memory limit.
    fn buffered_bytes(&self) -> usize {
        0
    }

    /// Writes out what the writer holds, so that rows written later start
    /// a new Parquet row group. Nothing to do for formats without them.
    fn end_row_group(&mut self) -> Result<()> {
        Ok(())
    }
}

/// The file formats a session knows.
#[derive(Debug, Clone)]
pub struct FileFormats {
    formats: Vec<Arc<dyn FileFormat>>,
}

impl Default for FileFormats {
    fn default() -> Self {
        Self::builtin()
    }
}

impl FileFormats {
    /// Parquet, CSV and newline-delimited JSON.
    pub fn builtin() -> Self {
        Self {
            formats: vec![
                Arc::new(ParquetFormat),
                Arc::new(CsvFormat),
                Arc::new(JsonFormat),
            ],
        }
    }

    /// Adds `format`; it is found before a built-in one of the same name or
    /// extension.
    pub fn register(&mut self, format: Arc<dyn FileFormat>) {
        self.formats.insert(0, format);
    }

    /// The format called `name`, or whose extension `name` is
    /// (case-insensitive): `parquet`, `csv`, `tsv`, `ndjson`, …
    pub fn find(&self, name: &str) -> Result<Arc<dyn FileFormat>> {
        let name = name.to_ascii_lowercase();
        self.formats
            .iter()
            .find(|f| f.name() == name || f.extensions().contains(&name.as_str()))
            .cloned()
            .ok_or_else(|| {
                QuiverError::Plan(format!(
                    "unknown file format '{}'; the formats are {}",
                    name.to_uppercase(),
                    self.names().join(", ")
                ))
            })
    }

    /// The format a file name's extension says (`x.parquet`, `x.csv.gz`).
    pub fn from_path(&self, path: &Path) -> Option<Arc<dyn FileFormat>> {
        // `x.csv.gz` is a CSV file.
        let path = match crate::compression::Compression::from_extension(path) {
            Some(_) => Path::new(path.file_stem()?),
            None => path,
        };
        let extension = path.extension()?.to_str()?.to_ascii_lowercase();
        self.formats
            .iter()
            .find(|f| f.extensions().contains(&extension.as_str()))
            .cloned()
    }

    /// The format of a location's files: from the location's own
    /// extension, else from the files it lists.
    pub fn detect(&self, location: &str, storage: &StorageOptions) -> Result<Arc<dyn FileFormat>> {
        if let Some(f) = self.from_path(Path::new(local_path(location))) {
            return Ok(f);
        }
        let files = list_files(location, storage)?;
        let mut formats = files.iter().map(|f| self.from_path(Path::new(f.name())));
        formats.find_map(|f| f).ok_or_else(|| {
            QuiverError::Plan(format!(
                "cannot tell the file format of '{location}'; name files *.parquet or *.csv, or use \
                 CREATE EXTERNAL TABLE .. STORED AS PARQUET|CSV"
            ))
        })
    }

    /// Every format's name, upper case, for messages.
    fn names(&self) -> Vec<String> {
        self.formats
            .iter()
            .map(|f| f.name().to_uppercase())
            .collect()
    }
}

/// The error for options given to a format that takes none of them.
fn unknown_options(format: &str, options: &[(String, String)]) -> QuiverError {
    let keys: Vec<&str> = options.iter().map(|(k, _)| k.as_str()).collect();
    QuiverError::Plan(format!(
        "{format} tables take no OPTIONS (got {})",
        keys.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_found_by_name_extension_and_path() {
        let formats = FileFormats::builtin();
        assert_eq!(formats.find("PARQUET").unwrap().name(), "parquet");
        assert_eq!(formats.find("tsv").unwrap().name(), "csv");
        assert_eq!(formats.find("ndjson").unwrap().name(), "json");
        let err = formats.find("avro").unwrap_err().to_string();
        assert!(
            err.contains("unknown file format 'AVRO'; the formats are PARQUET, CSV, JSON"),
            "{err}"
        );
        let storage = StorageOptions::default();
        for (name, expected) in [
            ("x/y.PARQUET", "parquet"),
            ("x/y.tsv", "csv"),
            ("x/y.csv.bz2", "csv"),
            ("x/y.ndjson.xz", "json"),
            ("s3://bucket/y.parquet", "parquet"),
            ("https://host/data/y.csv.gz", "csv"),
        ] {
            assert_eq!(
                formats.detect(name, &storage).unwrap().name(),
                expected,
                "{name}"
            );
        }
    }
}
