//! Spill files: batches an operator writes to disk when its memory
//! reservation cannot grow, and reads back later. A spill file is an Arrow
//! IPC stream in an unnamed temporary file, so it disappears when dropped
//! and leaves nothing behind even if the process is killed.

use std::fs::File;
use std::io::{BufReader, BufWriter, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use arrow::datatypes::SchemaRef;
use arrow::ipc::reader::StreamReader;
use arrow::ipc::writer::StreamWriter;
use arrow::record_batch::RecordBatch;
use quiver_expr::{QuiverError, Result};

use crate::compaction::compact_for_writing;
use crate::metrics::OperatorMetrics;
use crate::stream::{RecordBatchStreamAdapter, SendableRecordBatchStream};

/// The counter of how many times an operator wrote its buffered data out.
pub const SPILL_COUNT: &str = "spill_count";
/// The counter of rows written to spill files.
pub const SPILLED_ROWS: &str = "spilled_rows";
/// The counter of bytes written to spill files.
pub const SPILLED_BYTES: &str = "spilled_bytes";

/// A spill file being written.
pub struct SpillWriter {
    writer: StreamWriter<BufWriter<File>>,
    schema: SchemaRef,
    rows: usize,
    /// Where the file is, for errors.
    directory: PathBuf,
}

impl std::fmt::Debug for SpillWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpillWriter")
            .field("rows", &self.rows)
            .finish()
    }
}

impl SpillWriter {
    /// A new, empty spill file in `directory` for batches of `schema`.
    pub fn create(directory: &Path, schema: SchemaRef) -> Result<Self> {
        let file = tempfile::tempfile_in(directory).map_err(|e| {
            QuiverError::Io(format!(
                "cannot create a spill file in '{}' ({e}); set temp_directory to a writable \
                 directory",
                directory.display()
            ))
        })?;
        let writer = StreamWriter::try_new(BufWriter::new(file), &schema)?;
        Ok(Self {
            writer,
            schema,
            rows: 0,
            directory: directory.to_path_buf(),
        })
    }

    /// Appends `batch` (string views with only the bytes of its rows).
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let batch = compact_for_writing(batch)?;
        self.writer
            .write(&batch)
            .map_err(|e| failed(&self.directory, e.into()))?;
        self.rows += batch.num_rows();
        Ok(())
    }

    /// Rows written so far.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Completes the file, ready to be read back.
    pub fn finish(mut self) -> Result<SpillFile> {
        let directory = self.directory;
        let fail = |e: QuiverError| failed(&directory, e);
        let io = |e: std::io::Error| failed(&directory, e.into());
        self.writer.finish().map_err(|e| fail(e.into()))?;
        let mut file = self
            .writer
            .into_inner()
            .map_err(|e| fail(e.into()))?
            .into_inner()
            .map_err(|e| io(e.into_error()))?;
        let bytes = file.seek(SeekFrom::End(0)).map_err(io)?;
        file.seek(SeekFrom::Start(0)).map_err(io)?;
        Ok(SpillFile {
            file,
            schema: self.schema,
            rows: self.rows,
            bytes,
        })
    }
}

/// `e`, said to have happened writing a spill file in `directory`, with
/// what to do when the disk is full.
fn failed(directory: &Path, e: QuiverError) -> QuiverError {
    e.context(format!(
        "writing a spill file in '{}' (if the disk is full, set temp_directory to a \
         directory with more space)",
        directory.display()
    ))
}

/// A completed spill file.
#[derive(Debug)]
pub struct SpillFile {
    file: File,
    schema: SchemaRef,
    rows: usize,
    bytes: u64,
}

impl SpillFile {
    /// Rows in the file.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The file's size.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Adds the file's rows and bytes to an operator's spill counters.
    pub fn record(&self, metrics: Option<&OperatorMetrics>) {
        if let Some(m) = metrics {
            m.add(SPILLED_ROWS, self.rows as u64);
            m.add(SPILLED_BYTES, self.bytes);
        }
    }

    /// The file's batches, in the order written; the file is deleted when
    /// the stream is dropped. Reads are plain blocking reads of a local
    /// file, one batch per poll.
    pub fn into_stream(self) -> Result<SendableRecordBatchStream> {
        let reader = StreamReader::try_new(BufReader::new(self.file), None)
            .map_err(|e| QuiverError::from(e).context("reading a spill file"))?;
        let batches =
            reader.map(|b| b.map_err(|e| QuiverError::from(e).context("reading a spill file")));
        Ok(RecordBatchStreamAdapter::boxed(
            self.schema,
            futures::stream::iter(batches),
        ))
    }
}

/// Notes one spill event (an operator writing its buffered data out).
pub fn record_spill_event(metrics: Option<&OperatorMetrics>) {
    if let Some(m) = metrics {
        m.add(SPILL_COUNT, 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};
    use futures::TryStreamExt;
    use std::sync::Arc;

    #[tokio::test]
    async fn batches_read_back_as_written() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Int64, true),
            Field::new("s", DataType::Utf8, true),
        ]));
        let batch = |from: i64| {
            RecordBatch::try_new(
                Arc::clone(&schema),
                vec![
                    Arc::new(Int64Array::from(vec![Some(from), None])),
                    Arc::new(StringArray::from(vec![Some("x"), Some("")])),
                ],
            )
            .unwrap()
        };
        let mut writer = SpillWriter::create(&std::env::temp_dir(), Arc::clone(&schema)).unwrap();
        writer.write(&batch(1)).unwrap();
        writer.write(&batch(7)).unwrap();
        let file = writer.finish().unwrap();
        assert_eq!(file.rows(), 4);
        assert!(file.bytes() > 0);
        let back: Vec<RecordBatch> = file.into_stream().unwrap().try_collect().await.unwrap();
        assert_eq!(back, vec![batch(1), batch(7)]);
    }

    #[test]
    fn a_few_rows_of_a_large_string_batch_spill_only_their_own_bytes() {
        use arrow::array::{StringViewArray, UInt32Array};
        let strings: StringViewArray = (0..50_000)
            .map(|i| Some(format!("a string too long to be inlined, number {i}")))
            .collect();
        let schema = Arc::new(Schema::new(vec![Field::new("s", DataType::Utf8View, true)]));
        let rows = arrow::compute::take(&strings, &UInt32Array::from(vec![7, 40_000]), None);
        let batch = RecordBatch::try_new(Arc::clone(&schema), vec![rows.unwrap()]).unwrap();
        let mut writer = SpillWriter::create(&std::env::temp_dir(), schema).unwrap();
        writer.write(&batch).unwrap();
        let file = writer.finish().unwrap();
        assert!(
            file.bytes() < 4096,
            "{} bytes spilled for 2 rows",
            file.bytes()
        );
    }

    #[test]
    fn a_missing_directory_is_named() {
        let schema = Arc::new(Schema::new(vec![Field::new("k", DataType::Int64, true)]));
        let err = SpillWriter::create(Path::new("/no/such/quiver/dir"), schema).unwrap_err();
        assert!(err.to_string().contains("'/no/such/quiver/dir'"), "{err}");
    }
}
