//! Comma (or otherwise) separated values: tables over CSV and TSV files
//! ([`TextTable::csv`]) and the CSV writer of `COPY`.

use std::io::Write;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use quiver_execution::TableProvider;
use quiver_expr::text_columns::displayed_batch;
use quiver_expr::Result;

use super::{BatchWriter, FileFormat};
use crate::csv::CsvOptions;
use crate::store::StorageOptions;
use crate::text::TextTable;
use crate::write::WriteOptions;

/// The CSV format (TSV: CSV with tabs).
#[derive(Debug)]
pub struct CsvFormat;

impl FileFormat for CsvFormat {
    fn name(&self) -> &'static str {
        "csv"
    }
    fn extensions(&self) -> &'static [&'static str] {
        &["csv", "tsv"]
    }
    /// Options as [`CsvOptions::with_options`] takes them; `*.tsv`
    /// locations are tab-separated unless a delimiter is given.
    fn open_table(
        &self,
        location: &str,
        options: &[(String, String)],
        schema: Option<SchemaRef>,
        storage: &StorageOptions,
    ) -> Result<Arc<dyn TableProvider>> {
        let mut csv = CsvOptions {
            schema,
            ..CsvOptions::default()
        };
        if location.to_lowercase().ends_with(".tsv") {
            csv.delimiter = b'\t';
        }
        let table = TextTable::csv(location, csv.with_options(options)?, storage)?;
        Ok(Arc::new(table))
    }
    fn write_options(&self) -> &'static [&'static str] {
        &["HEADER", "DELIMITER"]
    }
    fn writer(
        &self,
        out: Box<dyn Write + Send>,
        _schema: &SchemaRef,
        options: &WriteOptions,
    ) -> Result<Box<dyn BatchWriter>> {
        let writer = arrow::csv::WriterBuilder::new()
            .with_header(options.header)
            .with_delimiter(options.delimiter)
            .build(out);
        Ok(Box::new(writer))
    }
}

impl BatchWriter for arrow::csv::Writer<Box<dyn Write + Send>> {
    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        Ok(arrow::csv::Writer::write(self, &displayed_batch(batch)?)?)
    }
    fn finish(self: Box<Self>) -> Result<()> {
        self.into_inner().flush()?;
        Ok(())
    }
}
