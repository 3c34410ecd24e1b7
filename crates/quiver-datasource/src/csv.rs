//! CSV reading options, as set from SQL (`OPTIONS (..)`) or code. The
//! table and scan are shared with JSON in [`crate::text`].

use arrow::csv::reader::Format;

use crate::bad_rows::{BadRows, Syntax};
use crate::compression::Compression;
use arrow::datatypes::SchemaRef;
use quiver_expr::{QuiverError, Result};

/// How CSV files are read.
#[derive(Debug, Clone)]
pub struct CsvOptions {
    /// The first line holds column names.
    pub has_header: bool,
    /// Field separator.
    pub delimiter: u8,
    /// Quote character.
    pub quote: u8,
    /// Escape character inside quoted fields, if any.
    pub escape: Option<u8>,
    /// Lines starting with this character are skipped.
    pub comment: Option<u8>,
    /// How many rows per file are read to infer column types.
    pub schema_infer_max_records: usize,
    /// Column names and types, if known (otherwise inferred).
    pub schema: Option<SchemaRef>,
    /// Text that stands for NULL (besides an empty field).
    pub null_value: Option<String>,
    /// How the files are compressed.
    pub compression: Compression,
    /// What to do with rows that do not fit the columns.
    pub on_error: BadRows,
}

impl Default for CsvOptions {
    fn default() -> Self {
        Self {
            has_header: true,
            delimiter: b',',
            quote: b'"',
            escape: None,
            comment: None,
            schema_infer_max_records: 1000,
            schema: None,
            null_value: None,
            compression: Compression::Auto,
            on_error: BadRows::Error,
        }
    }
}

fn single_byte(key: &str, value: &str) -> Result<u8> {
    let v = if value == "\\t" { "\t" } else { value };
    match v.as_bytes() {
        [b] => Ok(*b),
        _ => Err(QuiverError::Plan(format!(
            "CSV option '{key}' must be a single character, got '{value}'"
        ))),
    }
}

fn boolean(key: &str, value: &str) -> Result<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Ok(true),
        "false" | "0" | "no" | "off" => Ok(false),
        _ => Err(QuiverError::Plan(format!(
            "CSV option '{key}' must be true or false, got '{value}'"
        ))),
    }
}

impl CsvOptions {
    /// Applies `OPTIONS ('key' 'value', ...)` from SQL. Known keys: `header`,
    /// `delimiter` (or `delim`, `sep`), `quote`, `escape`, `comment`,
    /// `null`, `compression`, `on_error` (`error`, `skip`, `null`),
    /// `ignore_errors` (`on_error 'skip'`), `schema_infer_max_records`.
    /// Unknown keys are an error.
    pub fn with_options(mut self, options: &[(String, String)]) -> Result<Self> {
        for (key, value) in options {
            let k = key.trim_start_matches("format.");
            match k {
                "header" | "has_header" => self.has_header = boolean(key, value)?,
                "delimiter" | "delim" | "sep" => self.delimiter = single_byte(key, value)?,
                "quote" => self.quote = single_byte(key, value)?,
                "escape" => self.escape = Some(single_byte(key, value)?),
                "comment" => self.comment = Some(single_byte(key, value)?),
                "null" | "nullstr" | "null_value" => self.null_value = Some(value.clone()),
                "compression" => self.compression = Compression::from_name(value)?,
                "on_error" => self.on_error = BadRows::from_name(value)?,
                "ignore_errors" => {
                    if boolean(key, value)? {
                        self.on_error = BadRows::Skip;
                    }
                }
                "schema_infer_max_records" | "sample_size" => {
                    self.schema_infer_max_records = value.parse().map_err(|_| {
                        QuiverError::Plan(format!("CSV option '{key}' must be a positive number, got '{value}'"))
                    })?
                }
                _ => {
                    return Err(QuiverError::Plan(format!(
                        "unknown CSV option '{key}'; known options: header, delimiter, quote, escape, comment, \
                         null, compression, on_error, ignore_errors, schema_infer_max_records"
                    )))
                }
            }
        }
        Ok(self)
    }

    /// The record syntax, for finding rows with the wrong number of fields.
    pub(crate) fn syntax(&self) -> Syntax {
        Syntax {
            delimiter: self.delimiter,
            quote: self.quote,
            escape: self.escape,
            comment: self.comment,
            has_header: self.has_header,
        }
    }

    /// The arrow-csv format these options describe.
    pub(crate) fn format(&self) -> Format {
        let mut f = Format::default()
            .with_header(self.has_header)
            .with_delimiter(self.delimiter)
            .with_quote(self.quote);
        if let Some(e) = self.escape {
            f = f.with_escape(e);
        }
        if let Some(c) = self.comment {
            f = f.with_comment(c);
        }
        if let Some(null) = &self.null_value {
            // Empty fields stay NULL too.
            let pattern = format!("^(|{})$", regex::escape(null));
            if let Ok(re) = regex::Regex::new(&pattern) {
                f = f.with_null_regex(re);
            }
        }
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::write;
    use crate::text::TextTable;
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::{DataType, Int64Type};
    use quiver_execution::collect;
    use quiver_execution::plan::TaskContext;
    use quiver_execution::ScanRequest;
    use quiver_execution::TableProvider;
    use std::sync::Arc;

    #[tokio::test]
    async fn infers_types_and_reads_quoted_fields() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            &dir,
            "a.csv",
            "id,name,score\n1,\"Smith, Jo\",2.5\n2,,\n3,\"say \"\"hi\"\"\",4\n",
        );
        let table = TextTable::csv(&path, CsvOptions::default(), &Default::default()).unwrap();
        let types: Vec<DataType> = table
            .schema()
            .fields()
            .iter()
            .map(|f| f.data_type().clone())
            .collect();
        assert_eq!(
            types,
            vec![DataType::Int64, DataType::Utf8, DataType::Float64]
        );
        let batches = collect(
            table.scan(&ScanRequest::new(None, 4)).await.unwrap(),
            Arc::new(TaskContext::default()),
        )
        .await
        .unwrap();
        let b = &batches[0];
        assert_eq!(b.column(0).as_primitive::<Int64Type>().values(), &[1, 2, 3]);
        let names = b.column(1).as_string::<i32>();
        assert_eq!(names.value(0), "Smith, Jo");
        assert!(names.is_null(1), "an empty field is NULL");
        assert_eq!(names.value(2), "say \"hi\"");
    }

    #[tokio::test]
    async fn bad_rows_name_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "bad.csv", "a,b\n1,2\n3,4\n5\n");
        let msg = TextTable::csv(&path, CsvOptions::default(), &Default::default())
            .unwrap_err()
            .to_string();
        assert!(msg.contains("bad.csv") && msg.contains("line 4"), "{msg}");
        // Past the inference sample, the scan reports the row instead.
        let sample = CsvOptions {
            schema_infer_max_records: 1,
            ..CsvOptions::default()
        };
        let table = TextTable::csv(&path, sample, &Default::default()).unwrap();
        let err = collect(
            table.scan(&ScanRequest::new(None, 1)).await.unwrap(),
            Arc::new(TaskContext::default()),
        )
        .await
        .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("bad.csv") && msg.contains("line 4"), "{msg}");
    }

    #[tokio::test]
    async fn null_strings_and_gzip_files() {
        use std::io::Write;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("n.csv.gz");
        let mut gz = flate2::write::GzEncoder::new(
            std::fs::File::create(&path).unwrap(),
            Default::default(),
        );
        gz.write_all(b"id,name\n1,NA\n2,bo\n3,\n").unwrap();
        gz.finish().unwrap();
        let options = CsvOptions::default()
            .with_options(&[("null".into(), "NA".into())])
            .unwrap();
        let table = TextTable::csv(path.to_str().unwrap(), options, &Default::default()).unwrap();
        assert_eq!(
            table.schema().field(0).data_type(),
            &DataType::Int64,
            "the compressed file was read for inference"
        );
        let batches = collect(
            table.scan(&ScanRequest::new(None, 1)).await.unwrap(),
            Arc::new(TaskContext::default()),
        )
        .await
        .unwrap();
        let names = batches[0].column(1).as_string::<i32>();
        assert!(names.is_null(0), "NA is NULL");
        assert_eq!(names.value(1), "bo");
        assert!(names.is_null(2), "an empty field is still NULL");
        assert!(CsvOptions::default()
            .with_options(&[("compression".into(), "rar".into())])
            .is_err());
    }

    #[test]
    fn empty_files_are_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "empty.csv", "");
        let err = TextTable::csv(&path, CsvOptions::default(), &Default::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("have no columns") && err.contains("empty.csv"),
            "{err}"
        );
    }

    #[test]
    fn options_are_validated() {
        let opts = vec![
            ("delimiter".to_string(), "|".to_string()),
            ("header".to_string(), "false".to_string()),
        ];
        let o = CsvOptions::default().with_options(&opts).unwrap();
        assert_eq!((o.delimiter, o.has_header), (b'|', false));
        let bad = vec![("delimiter".to_string(), "||".to_string())];
        assert!(CsvOptions::default().with_options(&bad).is_err());
        let unknown = vec![("colour".to_string(), "red".to_string())];
        assert!(CsvOptions::default()
            .with_options(&unknown)
            .unwrap_err()
            .to_string()
            .contains("unknown CSV option"));
    }
}
