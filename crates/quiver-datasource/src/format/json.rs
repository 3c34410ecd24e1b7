//! Newline-delimited JSON, one object per line: tables over JSON files
//! ([`TextTable::json`]) and the JSON writer of `COPY`.

use std::io::Write;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use arrow::json::writer::LineDelimited;
use quiver_execution::TableProvider;
use quiver_expr::text_columns::{json_ready_batch, json_writer};
use quiver_expr::{QuiverError, Result};

use super::{BatchWriter, FileFormat};
use crate::compression::Compression;
use crate::store::StorageOptions;
use crate::text::TextTable;
use crate::write::WriteOptions;

/// The newline-delimited JSON format.
#[derive(Debug)]
pub struct JsonFormat;

/// How newline-delimited JSON files are read: the Rust form of
/// `read_json`'s options.
#[derive(Debug, Clone)]
pub struct JsonOptions {
    /// The columns, if known (otherwise inferred).
    pub schema: Option<SchemaRef>,
    /// How many lines per file are read to infer the columns (1000).
    pub schema_infer_max_records: usize,
    /// How the files are compressed (by default, from the extension).
    pub compression: Compression,
}

impl Default for JsonOptions {
    fn default() -> Self {
        Self {
            schema: None,
            schema_infer_max_records: 1000,
            compression: Compression::Auto,
        }
    }
}

impl JsonOptions {
    /// The table over the files at `location` read with these options.
    pub fn open(&self, location: &str, storage: &StorageOptions) -> Result<TextTable> {
        TextTable::json(
            location,
            self.schema.clone(),
            self.schema_infer_max_records,
            self.compression,
            storage,
        )
    }
}

impl FileFormat for JsonFormat {
    fn name(&self) -> &'static str {
        "json"
    }
    fn extensions(&self) -> &'static [&'static str] {
        &["json", "ndjson", "jsonl"]
    }
    /// Options: `schema_infer_max_records` (or `sample_size`; default
    /// 1000) and `compression` (default from the extension).
    fn open_table(
        &self,
        location: &str,
        options: &[(String, String)],
        schema: Option<SchemaRef>,
        storage: &StorageOptions,
    ) -> Result<Arc<dyn TableProvider>> {
        let (sample, compression) = json_options(options)?;
        let table = TextTable::json(location, schema, sample, compression, storage)?;
        Ok(Arc::new(table))
    }
    fn write_options(&self) -> &'static [&'static str] {
        &[]
    }
    fn writer(
        &self,
        out: Box<dyn Write + Send>,
        _schema: &SchemaRef,
        _options: &WriteOptions,
    ) -> Result<Box<dyn BatchWriter>> {
        let writer = json_writer().build::<_, LineDelimited>(out);
        Ok(Box::new(writer))
    }
}

impl BatchWriter for arrow::json::Writer<Box<dyn Write + Send>, LineDelimited> {
    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        Ok(arrow::json::Writer::write(self, &json_ready_batch(batch)?)?)
    }
    fn finish(mut self: Box<Self>) -> Result<()> {
        arrow::json::Writer::finish(&mut self)?;
        Ok(())
    }
}

/// The options of a JSON table: how many lines to infer the schema from,
/// and the compression.
fn json_options(options: &[(String, String)]) -> Result<(usize, Compression)> {
    let mut sample = 1000;
    let mut compression = Compression::Auto;
    for (key, value) in options {
        match key.as_str() {
            "compression" => compression = Compression::from_name(value)?,
            "schema_infer_max_records" | "sample_size" => {
                sample = value.parse().map_err(|_| {
                    QuiverError::Plan(format!(
                        "JSON option '{key}' must be a positive number, got '{value}'"
                    ))
                })?
            }
            other => {
                return Err(QuiverError::Plan(format!(
                "unknown JSON option '{other}'; expected schema_infer_max_records or compression"
            )))
            }
        }
    }
    Ok((sample, compression))
}
