//! Tables over text files read row by row: CSV and newline-delimited JSON.
//! The schema is inferred from a sample of each file (or given) and merged
//! across files; a scan reads whole files, spread over the partitions, on
//! blocking threads.

use std::io::{BufReader, Read};
use std::sync::Arc;

use arrow::datatypes::{Schema, SchemaRef};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;
use quiver_execution::plan::{ExecutionPlan, TaskContext};
use quiver_execution::progress::ProgressShare;
use quiver_execution::run_state::NodeId;
use quiver_execution::stream::{spawn_blocking_reader, SendableRecordBatchStream};
use quiver_execution::{ScanRequest, TableProvider};
use quiver_expr::{internal_err, QuiverError, Result};
use tokio::sync::mpsc;

use crate::bad_rows::{as_text, convert, BadRows, RecordFilter};
use crate::compression::Compression;
use crate::csv::CsvOptions;
use crate::data_file::DataFile;
use crate::listing::list_files;
use crate::store::StorageOptions;

/// Batches read from one file.
type BatchReader = Box<dyn Iterator<Item = std::result::Result<RecordBatch, ArrowError>> + Send>;

/// How the lines of a text file become rows.
#[derive(Debug, Clone)]
pub enum TextFormat {
    /// Comma (or otherwise) separated values.
    Csv(CsvOptions),
    /// One JSON object per line; nested objects become structs and arrays
    /// lists.
    Json {
        /// How many lines per file are read to infer the columns.
        schema_infer_max_records: usize,
        /// How the files are compressed.
        compression: Compression,
    },
}

impl TextFormat {
    fn name(&self) -> &'static str {
        match self {
            TextFormat::Csv(_) => "CSV",
            TextFormat::Json { .. } => "JSON",
        }
    }

    /// The bytes of `file`, decompressed.
    fn open(&self, file: &DataFile) -> Result<Box<dyn Read + Send>> {
        let compression = match self {
            TextFormat::Csv(o) => o.compression,
            TextFormat::Json { compression, .. } => *compression,
        };
        compression.decode(file.read()?, file.name())
    }

    /// The context added to errors about `file`.
    fn reading(&self, file: &DataFile) -> String {
        format!("reading {} file '{}'", self.name(), file.name())
    }

    fn infer_schema(&self, path: &DataFile) -> Result<Schema> {
        let file = BufReader::new(self.open(path)?);
        let inferred = match self {
            TextFormat::Csv(o) if o.on_error != BadRows::Error => {
                // Rows with the wrong number of fields do not count.
                let fixed = RecordFilter::new(file, o.syntax(), None, o.on_error);
                o.format()
                    .infer_schema(fixed, Some(o.schema_infer_max_records))
                    .map(|(schema, _)| schema)
            }
            TextFormat::Csv(o) => o
                .format()
                .infer_schema(file, Some(o.schema_infer_max_records))
                .map(|(schema, _)| schema),
            TextFormat::Json {
                schema_infer_max_records,
                ..
            } => arrow::json::reader::infer_json_schema(file, Some(*schema_infer_max_records))
                .map(|(schema, _)| schema),
        };
        let schema = inferred.map_err(|e| QuiverError::from(e).context(self.reading(path)))?;
        match self {
            TextFormat::Json {
                schema_infer_max_records,
                ..
            } => {
                let order = json_key_order(self.open(path)?, *schema_infer_max_records);
                Ok(in_key_order(schema, &order))
            }
            TextFormat::Csv(_) => Ok(schema),
        }
    }

    fn reader(
        &self,
        path: &DataFile,
        schema: &SchemaRef,
        batch_size: usize,
        projection: Option<&Vec<usize>>,
    ) -> Result<BatchReader> {
        let file = BufReader::new(self.open(path)?);
        Ok(match self {
            TextFormat::Csv(o) if o.on_error == BadRows::Error => {
                let mut builder = arrow::csv::ReaderBuilder::new(Arc::clone(schema))
                    .with_format(o.format())
                    .with_batch_size(batch_size);
                if let Some(p) = projection {
                    builder = builder.with_projection(p.clone());
                }
                Box::new(builder.build(file)?)
            }
            TextFormat::Csv(o) => {
                // Fix the field counts, parse every column as text, then
                // convert what converts.
                let fields = schema.fields().len();
                let fixed = RecordFilter::new(file, o.syntax(), Some(fields), o.on_error);
                let mut builder = arrow::csv::ReaderBuilder::new(as_text(schema))
                    .with_format(o.format())
                    .with_batch_size(batch_size);
                let projected = match projection {
                    Some(p) => {
                        builder = builder.with_projection(p.clone());
                        Arc::new(schema.project(p)?)
                    }
                    None => Arc::clone(schema),
                };
                let mode = o.on_error;
                let reader = builder.build(BufReader::new(fixed))?;
                Box::new(reader.map(move |batch| {
                    batch.and_then(|b| {
                        convert(&b, &projected, mode)
                            .map_err(|e| ArrowError::ExternalError(Box::new(e)))
                    })
                }))
            }
            TextFormat::Json { .. } => {
                let reader = arrow::json::ReaderBuilder::new(Arc::clone(schema))
                    .with_batch_size(batch_size)
                    .build(file)?;
                match projection.cloned() {
                    None => Box::new(reader),
                    Some(p) => Box::new(reader.map(move |b| b.and_then(|b| b.project(&p)))),
                }
            }
        })
    }
}

/// The top-level keys of the first `lines` JSON lines of `file`, in order of
/// first appearance (the inferred schema sorts them by name).
fn json_key_order(file: Box<dyn Read + Send>, lines: usize) -> Vec<String> {
    use std::io::BufRead;
    let mut keys: Vec<String> = vec![];
    for line in BufReader::new(file)
        .lines()
        .take(lines)
        .map_while(|l| l.ok())
    {
        let mut depth = 0usize;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '{' | '[' => depth += 1,
                '}' | ']' => depth = depth.saturating_sub(1),
                '"' => {
                    let mut text = String::new();
                    while let Some(c) = chars.next() {
                        match c {
                            '\\' => {
                                if let Some(escaped) = chars.next() {
                                    text.push(escaped);
                                }
                            }
                            '"' => break,
                            other => text.push(other),
                        }
                    }
                    while chars.peek().is_some_and(|c| c.is_whitespace()) {
                        chars.next();
                    }
                    if depth == 1 && chars.peek() == Some(&':') && !keys.contains(&text) {
                        keys.push(text);
                    }
                }
                _ => {}
            }
        }
    }
    keys
}

/// `schema` with its fields in `order` (fields not listed keep their place
/// after the listed ones).
fn in_key_order(schema: Schema, order: &[String]) -> Schema {
    let mut fields: Vec<_> = schema.fields().iter().cloned().collect();
    fields.sort_by_key(|f| {
        order
            .iter()
            .position(|k| k == f.name())
            .unwrap_or(usize::MAX)
    });
    Schema::new(fields)
}

/// A table over one or more CSV or JSON files.
#[derive(Debug)]
pub struct TextTable {
    files: Vec<DataFile>,
    schema: SchemaRef,
    format: TextFormat,
}

impl TextTable {
    /// CSV files at `location` (a file, glob or directory; local, `s3://`
    /// or `http(s)://`), with the schema given in `options` or inferred.
    pub fn csv(location: &str, options: CsvOptions, storage: &StorageOptions) -> Result<Self> {
        let schema = options.schema.clone();
        let files = list_files(location, storage)?;
        Self::try_new(location, files, TextFormat::Csv(options), schema)
    }

    /// Newline-delimited JSON files at `location`, with the given schema or
    /// one inferred from the first `schema_infer_max_records` lines of each.
    pub fn json(
        location: &str,
        schema: Option<SchemaRef>,
        schema_infer_max_records: usize,
        compression: Compression,
        storage: &StorageOptions,
    ) -> Result<Self> {
        let format = TextFormat::Json {
            schema_infer_max_records,
            compression,
        };
        let files = list_files(location, storage)?;
        Self::try_new(location, files, format, schema)
    }

    fn try_new(
        location: &str,
        files: Vec<DataFile>,
        format: TextFormat,
        schema: Option<SchemaRef>,
    ) -> Result<Self> {
        let schema = match schema {
            Some(s) => s,
            None => {
                let schemas = files
                    .iter()
                    .map(|path| format.infer_schema(path))
                    .collect::<Result<Vec<_>>>()?;
                Arc::new(Schema::try_merge(schemas).map_err(|e| {
                    QuiverError::Plan(format!(
                        "{} files under '{location}' have conflicting columns: {e}",
                        format.name()
                    ))
                })?)
            }
        };
        if schema.fields().is_empty() {
            return Err(QuiverError::Plan(format!(
                "{} file(s) at '{location}' have no columns: the files are empty",
                format.name()
            )));
        }
        Ok(Self {
            files,
            schema,
            format,
        })
    }
}

#[async_trait::async_trait]
impl TableProvider for TextTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
    fn kind(&self) -> &str {
        match self.format {
            TextFormat::Csv(_) => "csv",
            TextFormat::Json { .. } => "json",
        }
    }
    fn estimated_rows(&self) -> Option<usize> {
        // Text files carry no row count: about 100 bytes per row.
        let bytes: u64 = self.files.iter().filter_map(DataFile::size).sum();
        Some((bytes / 100).max(1) as usize)
    }
    async fn scan(&self, request: &ScanRequest) -> Result<Arc<dyn ExecutionPlan>> {
        let projection = request.projection.as_ref();
        let n = request.target_partitions.max(1).min(self.files.len());
        let mut partitions: Vec<Vec<DataFile>> = vec![vec![]; n];
        for (i, f) in self.files.iter().enumerate() {
            partitions[i % n].push(f.clone());
        }
        let schema = match projection {
            Some(p) => Arc::new(self.schema.project(p)?),
            None => Arc::clone(&self.schema),
        };
        Ok(Arc::new(TextFileExec {
            id: NodeId::next(),
            partitions,
            reader: Arc::new(FileReader {
                file_schema: Arc::clone(&self.schema),
                projection: projection.cloned(),
                format: self.format.clone(),
            }),
            schema,
        }))
    }
}

/// What every partition of a scan needs to read its files.
#[derive(Debug)]
struct FileReader {
    file_schema: SchemaRef,
    projection: Option<Vec<usize>>,
    format: TextFormat,
}

impl FileReader {
    /// Sends the batches of `path`; false when the receiver is gone.
    fn read_file(
        &self,
        path: &DataFile,
        batch_size: usize,
        tx: &mpsc::Sender<Result<RecordBatch>>,
    ) -> Result<bool> {
        let reader = self.format.reader(
            path,
            &self.file_schema,
            batch_size,
            self.projection.as_ref(),
        )?;
        for batch in reader {
            let batch =
                batch.map_err(|e| QuiverError::from(e).context(self.format.reading(path)))?;
            if tx.blocking_send(Ok(batch)).is_err() {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

/// Reads CSV or JSON files, whole files per partition.
#[derive(Debug)]
pub struct TextFileExec {
    partitions: Vec<Vec<DataFile>>,
    reader: Arc<FileReader>,
    /// The projected output schema.
    schema: SchemaRef,
    /// The operator's identity ([`ExecutionPlan::node_id`]).
    id: NodeId,
}

impl ExecutionPlan for TextFileExec {
    quiver_execution::node_basics!(leaf);
    fn name(&self) -> &'static str {
        match self.reader.format {
            TextFormat::Csv(_) => "CsvExec",
            TextFormat::Json { .. } => "JsonExec",
        }
    }
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
    fn output_partitions(&self) -> usize {
        self.partitions.len()
    }
    fn details(&self) -> String {
        let files: usize = self.partitions.iter().map(Vec::len).sum();
        format!(
            "files={files}, projection=[{}]",
            crate::column_names(&self.schema)
        )
    }
    fn execute(
        &self,
        partition: usize,
        ctx: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let Some(files) = self.partitions.get(partition).cloned() else {
            return internal_err!(
                "{} has {} partitions, asked for {partition}",
                self.name(),
                self.partitions.len()
            );
        };
        // Each file counts towards the statement's progress from the start
        // and is done when it has been read.
        let mut shares: Vec<ProgressShare> = files
            .iter()
            .map(|file| ProgressShare::new(Arc::clone(&ctx.progress), file.size().unwrap_or(0), 1))
            .collect();
        let reader = Arc::clone(&self.reader);
        let stream = spawn_blocking_reader(self.schema(), 2, move |tx| {
            for (path, share) in files.iter().zip(shares.iter_mut()) {
                if !reader.read_file(path, ctx.batch_size, tx)? {
                    break;
                }
                share.rows_read(1);
            }
            Ok(())
        });
        Ok(Box::pin(stream))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::write;
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::{DataType, Int64Type};
    use quiver_execution::collect;

    async fn read(table: &TextTable, projection: Option<Vec<usize>>) -> Result<Vec<RecordBatch>> {
        let plan = table.scan(&ScanRequest::new(projection, 2)).await?;
        collect(plan, Arc::new(TaskContext::default())).await
    }

    #[tokio::test]
    async fn json_lines_infer_nested_columns_and_merge_files() {
        let dir = tempfile::tempdir().unwrap();
        write(&dir, "a.json", "{\"id\": 1, \"tags\": [\"x\", \"y\"], \"geo\": {\"lat\": 1.5}}\n{\"id\": 2, \"tags\": []}\n");
        write(&dir, "b.json", "{\"id\": 3, \"note\": \"late column\"}\n");
        let table = TextTable::json(
            dir.path().to_str().unwrap(),
            None,
            1000,
            Compression::Auto,
            &Default::default(),
        )
        .unwrap();
        let schema = table.schema();
        let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(names, vec!["id", "tags", "geo", "note"]);
        assert!(matches!(schema.field(1).data_type(), DataType::List(_)));
        assert!(matches!(schema.field(2).data_type(), DataType::Struct(_)));
        let batches = read(&table, Some(vec![0, 3])).await.unwrap();
        let mut ids = vec![];
        let mut notes = vec![];
        for b in &batches {
            let id = b.column(0).as_primitive::<Int64Type>();
            let note = b.column(1).as_string::<i32>();
            for i in 0..b.num_rows() {
                ids.push(id.value(i));
                notes.push(note.is_valid(i).then(|| note.value(i).to_string()));
            }
        }
        let mut rows: Vec<_> = ids.into_iter().zip(notes).collect();
        rows.sort();
        assert_eq!(
            rows,
            vec![(1, None), (2, None), (3, Some("late column".to_string()))]
        );
    }

    #[tokio::test]
    async fn malformed_json_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "bad.json", "{\"id\": 1}\n{\"id\": 2\n");
        let err = TextTable::json(&path, None, 1000, Compression::Auto, &Default::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("bad.json"), "{err}");
        let sample_one =
            TextTable::json(&path, None, 1, Compression::Auto, &Default::default()).unwrap();
        let err = read(&sample_one, None).await.unwrap_err().to_string();
        assert!(
            err.contains("reading JSON file") && err.contains("bad.json"),
            "{err}"
        );
    }
}
