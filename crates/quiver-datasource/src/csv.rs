//! CSV tables: the schema is inferred from a sample of rows (or given), and
//! a scan reads whole files, spread over the partitions.

use std::fs::File;
use std::io::{BufReader, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Arc;

use arrow::csv::reader::Format;
use arrow::csv::ReaderBuilder;
use arrow::datatypes::{Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use quiver_execution::plan::{ExecutionPlan, TaskContext};
use quiver_execution::stream::{ReceiverStream, SendableRecordBatchStream};
use quiver_execution::TableProvider;
use quiver_expr::{internal_err, QuiverError, Result};
use tokio::sync::mpsc;

use crate::listing::list_files;

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
    /// `schema_infer_max_records`. Unknown keys are an error.
    pub fn with_options(mut self, options: &[(String, String)]) -> Result<Self> {
        for (key, value) in options {
            let k = key.trim_start_matches("format.");
            match k {
                "header" | "has_header" => self.has_header = boolean(key, value)?,
                "delimiter" | "delim" | "sep" => self.delimiter = single_byte(key, value)?,
                "quote" => self.quote = single_byte(key, value)?,
                "escape" => self.escape = Some(single_byte(key, value)?),
                "comment" => self.comment = Some(single_byte(key, value)?),
                "schema_infer_max_records" | "sample_size" => {
                    self.schema_infer_max_records = value.parse().map_err(|_| {
                        QuiverError::Plan(format!("CSV option '{key}' must be a positive number, got '{value}'"))
                    })?
                }
                _ => {
                    return Err(QuiverError::Plan(format!(
                        "unknown CSV option '{key}'; known options: header, delimiter, quote, escape, comment, \
                         schema_infer_max_records"
                    )))
                }
            }
        }
        Ok(self)
    }

    fn format(&self) -> Format {
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
        f
    }
}

/// A table over one or more CSV files.
#[derive(Debug)]
pub struct CsvTable {
    files: Vec<PathBuf>,
    schema: SchemaRef,
    options: CsvOptions,
}

fn open(path: &PathBuf) -> Result<File> {
    File::open(path)
        .map_err(|e| QuiverError::Io(format!("cannot open CSV file '{}': {e}", path.display())))
}

impl CsvTable {
    /// The files `location` names, with the schema given in `options` or
    /// inferred from the first `schema_infer_max_records` rows of each file.
    pub fn try_new(location: &str, options: CsvOptions) -> Result<Self> {
        let files = list_files(location)?;
        let schema = match &options.schema {
            Some(s) => Arc::clone(s),
            None => {
                let format = options.format();
                let mut schemas = vec![];
                for path in &files {
                    let (schema, _) = format
                        .infer_schema(
                            BufReader::new(open(path)?),
                            Some(options.schema_infer_max_records),
                        )
                        .map_err(|e| {
                            QuiverError::from(e)
                                .context(format!("reading CSV file '{}'", path.display()))
                        })?;
                    schemas.push(schema);
                }
                Arc::new(Schema::try_merge(schemas).map_err(|e| {
                    QuiverError::Plan(format!(
                        "CSV files under '{location}' have conflicting columns: {e}"
                    ))
                })?)
            }
        };
        if schema.fields().is_empty() {
            return Err(QuiverError::Plan(format!(
                "CSV file(s) at '{location}' have no columns: the files are empty"
            )));
        }
        Ok(Self {
            files,
            schema,
            options,
        })
    }
}

#[async_trait::async_trait]
impl TableProvider for CsvTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
    fn kind(&self) -> &str {
        "csv"
    }
    fn estimated_rows(&self) -> Option<usize> {
        // About 100 bytes per row: a rough guess until statistics exist.
        let bytes: u64 = self
            .files
            .iter()
            .filter_map(|f| std::fs::metadata(f).ok())
            .map(|m| m.len())
            .sum();
        Some((bytes / 100).max(1) as usize)
    }
    async fn scan(
        &self,
        projection: Option<&Vec<usize>>,
        target_partitions: usize,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let n = target_partitions.max(1).min(self.files.len());
        let mut partitions: Vec<Vec<PathBuf>> = vec![vec![]; n];
        for (i, f) in self.files.iter().enumerate() {
            partitions[i % n].push(f.clone());
        }
        let schema = match projection {
            Some(p) => Arc::new(self.schema.project(p)?),
            None => Arc::clone(&self.schema),
        };
        Ok(Arc::new(CsvExec {
            partitions,
            file_schema: Arc::clone(&self.schema),
            schema,
            projection: projection.cloned(),
            options: self.options.clone(),
        }))
    }
}

/// Reads CSV files, whole files per partition.
#[derive(Debug)]
pub struct CsvExec {
    partitions: Vec<Vec<PathBuf>>,
    file_schema: SchemaRef,
    /// The projected output schema.
    schema: SchemaRef,
    projection: Option<Vec<usize>>,
    options: CsvOptions,
}

impl CsvExec {
    fn read_file(
        &self,
        path: &PathBuf,
        batch_size: usize,
        tx: &mpsc::Sender<Result<RecordBatch>>,
    ) -> Result<bool> {
        let mut file = open(path)?;
        file.seek(SeekFrom::Start(0))?;
        let mut builder = ReaderBuilder::new(Arc::clone(&self.file_schema))
            .with_format(self.options.format())
            .with_batch_size(batch_size);
        if let Some(p) = &self.projection {
            builder = builder.with_projection(p.clone());
        }
        let reader = builder.build(BufReader::new(file))?;
        for batch in reader {
            let batch = batch.map_err(|e| {
                QuiverError::from(e).context(format!("reading CSV file '{}'", path.display()))
            })?;
            if tx.blocking_send(Ok(batch)).is_err() {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

impl ExecutionPlan for CsvExec {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![]
    }
    fn output_partitions(&self) -> usize {
        self.partitions.len()
    }
    fn details(&self) -> String {
        let files: usize = self.partitions.iter().map(Vec::len).sum();
        let cols: Vec<String> = self
            .schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        format!("files={files}, projection=[{}]", cols.join(", "))
    }
    fn execute(
        &self,
        partition: usize,
        ctx: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let Some(files) = self.partitions.get(partition).cloned() else {
            return internal_err!(
                "CsvExec has {} partitions, asked for {partition}",
                self.partitions.len()
            );
        };
        let (tx, rx) = mpsc::channel(2);
        let reader = CsvExec {
            partitions: vec![],
            file_schema: Arc::clone(&self.file_schema),
            schema: self.schema(),
            projection: self.projection.clone(),
            options: self.options.clone(),
        };
        let task = tokio::task::spawn_blocking(move || {
            for path in &files {
                match reader.read_file(path, ctx.batch_size, &tx) {
                    Ok(true) => {}
                    Ok(false) => return,
                    Err(e) => {
                        let _ = tx.blocking_send(Err(e));
                        return;
                    }
                }
            }
        });
        Ok(Box::pin(ReceiverStream::new(self.schema(), rx, vec![task])))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::{DataType, Int64Type};
    use quiver_execution::collect;

    fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    }

    #[tokio::test]
    async fn infers_types_and_reads_quoted_fields() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            &dir,
            "a.csv",
            "id,name,score\n1,\"Smith, Jo\",2.5\n2,,\n3,\"say \"\"hi\"\"\",4\n",
        );
        let table = CsvTable::try_new(&path, CsvOptions::default()).unwrap();
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
            table.scan(None, 4).await.unwrap(),
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
        let msg = CsvTable::try_new(&path, CsvOptions::default())
            .unwrap_err()
            .to_string();
        assert!(msg.contains("bad.csv") && msg.contains("line 4"), "{msg}");
        // Past the inference sample, the scan reports the row instead.
        let sample = CsvOptions {
            schema_infer_max_records: 1,
            ..CsvOptions::default()
        };
        let table = CsvTable::try_new(&path, sample).unwrap();
        let err = collect(
            table.scan(None, 1).await.unwrap(),
            Arc::new(TaskContext::default()),
        )
        .await
        .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("bad.csv") && msg.contains("line 4"), "{msg}");
    }

    #[test]
    fn empty_files_are_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "empty.csv", "");
        let err = CsvTable::try_new(&path, CsvOptions::default())
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
