//! Tables over a stream of batches that can be read only once (an Arrow
//! `RecordBatchReader`: a Python generator, a socket, a pipe): the rows are
//! never held whole; the first query that runs a scan of the table reads
//! the stream as it goes, and a later scan is an error that says so.
//! Planning (EXPLAIN) does not read it.

use std::sync::{Arc, Mutex};

use crate::plan::{ExecutionPlan, TaskContext};
use crate::run_state::NodeId;
use crate::stream::{spawn_blocking_reader, SendableRecordBatchStream};
use crate::table_provider::{ScanRequest, TableProvider};
use arrow::datatypes::SchemaRef;
use arrow::record_batch::{RecordBatch, RecordBatchReader};
use quiver_expr::{QuiverError, Result};

/// The reader a [`ReadOnceTable`] holds until a scan takes it, shared with
/// its scans.
#[derive(Clone)]
struct HeldReader(Arc<Mutex<Option<Box<dyn RecordBatchReader + Send>>>>);

impl std::fmt::Debug for HeldReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let held = self.0.lock().map(|r| r.is_some()).unwrap_or(false);
        write!(f, "HeldReader({})", if held { "unread" } else { "taken" })
    }
}

/// A table whose rows a reader gives once.
#[derive(Debug)]
pub struct ReadOnceTable {
    /// The table's name, for the error of a second read.
    name: String,
    schema: SchemaRef,
    reader: HeldReader,
}

impl ReadOnceTable {
    /// The table `name` over the rows of `reader`.
    pub fn new(name: &str, reader: Box<dyn RecordBatchReader + Send>) -> Self {
        Self {
            name: name.to_string(),
            schema: reader.schema(),
            reader: HeldReader(Arc::new(Mutex::new(Some(reader)))),
        }
    }
}

#[async_trait::async_trait]
impl TableProvider for ReadOnceTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }

    fn kind(&self) -> &str {
        "stream"
    }

    async fn scan(&self, request: &ScanRequest) -> Result<Arc<dyn ExecutionPlan>> {
        let schema = match &request.projection {
            Some(p) => Arc::new(self.schema.project(p)?),
            None => Arc::clone(&self.schema),
        };
        Ok(Arc::new(ReadOnceExec {
            name: self.name.clone(),
            reader: self.reader.clone(),
            projection: request.projection.clone(),
            schema,
            id: NodeId::next(),
        }))
    }
}

/// Reads a [`ReadOnceTable`]'s stream, in one partition, on a thread of its
/// own (the reader may block), a batch ahead of its consumer.
#[derive(Debug)]
pub struct ReadOnceExec {
    name: String,
    reader: HeldReader,
    projection: Option<Vec<usize>>,
    schema: SchemaRef,
    /// The operator's identity ([`ExecutionPlan::node_id`]).
    id: NodeId,
}

impl ExecutionPlan for ReadOnceExec {
    crate::node_basics!(leaf);
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
    fn output_partitions(&self) -> usize {
        1
    }
    fn details(&self) -> String {
        format!("table={}", self.name)
    }
    fn execute(
        &self,
        partition: usize,
        ctx: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        crate::plan::only_partition(self, partition)?;
        let taken = self
            .reader
            .0
            .lock()
            .map_err(|_| {
                QuiverError::Internal(format!("the stream of {} was poisoned", self.name))
            })?
            .take();
        let Some(mut reader) = taken else {
            return Err(QuiverError::Execution(format!(
                "the stream registered as {} was already read: a stream (such as a \
                 RecordBatchReader) can be read only once; register a table made from it \
                 (in Python, reader.read_all()) to query it again",
                self.name
            )));
        };
        let projection = self.projection.clone();
        let name = self.name.clone();
        let stream = spawn_blocking_reader(self.schema(), 2, move |tx| {
            for batch in reader.by_ref() {
                let batch = batch.map_err(|e| {
                    QuiverError::Execution(format!("reading the stream {name}: {e}"))
                })?;
                for slice in slices(&batch, ctx.batch_size) {
                    let slice = match &projection {
                        Some(p) => slice.project(p)?,
                        None => slice,
                    };
                    if tx.blocking_send(Ok(slice)).is_err() {
                        return Ok(());
                    }
                }
            }
            Ok(())
        });
        Ok(Box::pin(stream))
    }
}

/// `batch` cut into batches of at most `size` rows (shared, not copied).
fn slices(batch: &RecordBatch, size: usize) -> impl Iterator<Item = RecordBatch> + '_ {
    let size = size.max(1);
    (0..batch.num_rows())
        .step_by(size)
        .map(move |start| batch.slice(start, size.min(batch.num_rows() - start)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::collect;
    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};
    use arrow::error::ArrowError;
    use arrow::record_batch::RecordBatchIterator;

    fn reader(batches: Vec<Result<RecordBatch, ArrowError>>) -> Box<dyn RecordBatchReader + Send> {
        let schema = Arc::new(Schema::new(vec![
            Field::new("n", DataType::Int64, false),
            Field::new("s", DataType::Utf8, false),
        ]));
        Box::new(RecordBatchIterator::new(batches, schema))
    }

    fn numbers(from: i64, to: i64) -> RecordBatch {
        let n: Vec<i64> = (from..to).collect();
        let s: Vec<String> = n.iter().map(|n| n.to_string()).collect();
        let schema = Arc::new(Schema::new(vec![
            Field::new("n", DataType::Int64, false),
            Field::new("s", DataType::Utf8, false),
        ]));
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int64Array::from(n)),
                Arc::new(StringArray::from(s)),
            ],
        )
        .unwrap()
    }

    fn context(batch_size: usize) -> Arc<TaskContext> {
        Arc::new(TaskContext {
            batch_size,
            ..TaskContext::default()
        })
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reads_the_projected_rows_in_batches_then_refuses_a_second_read() {
        let table = ReadOnceTable::new("r", reader(vec![Ok(numbers(0, 10)), Ok(numbers(10, 13))]));
        let scan = table
            .scan(&ScanRequest::new(Some(vec![1]), 4))
            .await
            .unwrap();
        // Planning a second scan does not read the stream.
        let again = table.scan(&ScanRequest::new(None, 4)).await.unwrap();
        let batches = collect(scan, context(4)).await.unwrap();
        let rows: Vec<usize> = batches.iter().map(|b| b.num_rows()).collect();
        assert_eq!(rows, [4, 4, 2, 3]);
        assert_eq!(batches[0].schema().field(0).name(), "s");
        let texts: Vec<&str> = batches
            .iter()
            .flat_map(|b| {
                b.column(0)
                    .as_any()
                    .downcast_ref::<StringArray>()
                    .unwrap()
                    .iter()
            })
            .map(Option::unwrap)
            .collect();
        assert_eq!(texts.len(), 13);
        assert_eq!((texts[0], texts[12]), ("0", "12"));
        let error = collect(again, context(4)).await.unwrap_err().to_string();
        assert!(
            error.contains("the stream registered as r was already read"),
            "{error}"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_error_of_the_reader_is_the_query_error() {
        let failing = vec![
            Ok(numbers(0, 2)),
            Err(ArrowError::ComputeError("the generator raised".into())),
        ];
        let table = ReadOnceTable::new("broken", reader(failing));
        let scan = table.scan(&ScanRequest::new(None, 1)).await.unwrap();
        let error = collect(scan, context(8)).await.unwrap_err().to_string();
        assert!(error.contains("reading the stream broken"), "{error}");
        assert!(error.contains("the generator raised"), "{error}");
    }
}
