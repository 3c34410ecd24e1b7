//! The files of one write, made visible together or not at all.
//!
//! A local file is written under a hidden temporary name in its final
//! directory and renamed into place when every file of the write is
//! complete. An object is written as a multipart upload, which S3 shows only
//! once it is completed; the uploads are completed when every file is
//! written, and aborted on any error (S3 has no multi-object transaction,
//! so a failure while completing them can leave the ones already completed).

use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use object_store::ObjectStoreExt;
use quiver_execution::memory_pool::MemoryReservation;
use quiver_expr::{QuiverError, Result};

use crate::format::BatchWriter;
use crate::part_upload::PartUpload;
use crate::store::{store_error, RemoteLocation};
use crate::write::WriteOptions;

/// Upload parts of one object in flight at once.
const PARTS_IN_FLIGHT: usize = 4;

/// The most files a write keeps open at once (like DuckDB's
/// `partitioned_write_max_open_files`, within the usual limit of 1024 open
/// file descriptors): past it, a partitioned write closes
/// the file written least recently, and its partition's later rows go to a
/// new file beside it (`data_1.parquet`, ...).
const MAX_OPEN_FILES: usize = 500;

/// Bytes written by a format writer, waiting to be uploaded.
#[derive(Clone, Default)]
struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl SharedBuffer {
    fn len(&self) -> usize {
        self.0.lock().map_or(0, |b| b.len())
    }

    fn take(&self) -> Vec<u8> {
        self.0
            .lock()
            .map(|mut b| std::mem::take(&mut *b))
            .unwrap_or_default()
    }
}

impl Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let mut buffer = self
            .0
            .lock()
            .map_err(|_| std::io::Error::other("upload buffer poisoned"))?;
        buffer.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Where a pending file's bytes go.
enum Sink {
    /// A local file under a temporary name, renamed to `target` on commit.
    Local { temp: PathBuf, target: PathBuf },
    /// A multipart upload, fed from `buffer`.
    Upload {
        url: String,
        upload: Box<PartUpload>,
        buffer: SharedBuffer,
    },
}

/// One file being written.
struct PendingFile {
    writer: Box<dyn BatchWriter>,
    sink: Sink,
    /// When it was last written to, in writes of the transaction.
    last_write: u64,
}

fn io_error(name: &str, what: &str, e: impl std::fmt::Display) -> QuiverError {
    QuiverError::Io(format!("cannot {what} '{name}': {e}"))
}

/// A hidden name beside `target` for writing it.
fn temporary_name(target: &Path) -> Result<PathBuf> {
    let name = target
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| QuiverError::Plan(format!("'{}' is not a file name", target.display())))?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    Ok(target.with_file_name(format!(".{name}.tmp-{}-{nanos}", std::process::id())))
}

impl PendingFile {
    async fn create(target: &str, schema: &SchemaRef, options: &WriteOptions) -> Result<Self> {
        match RemoteLocation::parse(target)? {
            Some(remote) => Self::create_object(target, remote, schema, options).await,
            None => Self::create_local(target, schema, options),
        }
    }

    fn create_local(target: &str, schema: &SchemaRef, options: &WriteOptions) -> Result<Self> {
        let target = PathBuf::from(crate::listing::local_path(target));
        let dir = target.parent().filter(|d| !d.as_os_str().is_empty());
        if let Some(dir) = dir {
            std::fs::create_dir_all(dir)
                .map_err(|e| io_error(&dir.display().to_string(), "create directory", e))?;
        }
        let temp = temporary_name(&target)?;
        let file =
            File::create(&temp).map_err(|e| io_error(&temp.display().to_string(), "create", e))?;
        Ok(Self {
            writer: options.format.writer(Box::new(file), schema, options)?,
            sink: Sink::Local { temp, target },
            last_write: 0,
        })
    }

    async fn create_object(
        url: &str,
        remote: RemoteLocation,
        schema: &SchemaRef,
        options: &WriteOptions,
    ) -> Result<Self> {
        if remote.is_http {
            return Err(QuiverError::Plan(format!(
                "cannot write to '{url}': HTTP locations are read-only; write to a local path or s3://"
            )));
        }
        let store = remote.store(&options.storage)?;
        let path = remote.object_path(&remote.key)?;
        let upload = store
            .put_multipart(&path)
            .await
            .map_err(|e| store_error("write", url, &e))?;
        let buffer = SharedBuffer::default();
        Ok(Self {
            writer: options
                .format
                .writer(Box::new(buffer.clone()), schema, options)?,
            sink: Sink::Upload {
                url: url.to_string(),
                upload: Box::new(PartUpload::new(upload)),
                buffer,
            },
            last_write: 0,
        })
    }

    async fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let written = match self.writer.write(batch) {
            Ok(()) => self.sink.send().await,
            Err(e) => Err(e),
        };
        written.map_err(|e| self.sink.failed(e))
    }

    /// Bytes the file holds in memory: its encoder's and its upload's.
    fn buffered_bytes(&self) -> usize {
        self.writer.buffered_bytes() + self.sink.buffered_bytes()
    }

    /// Ends the row group being encoded and hands its bytes to the sink.
    async fn end_row_group(&mut self) -> Result<()> {
        let ended = match self.writer.end_row_group() {
            Ok(()) => self.sink.send().await,
            Err(e) => Err(e),
        };
        ended.map_err(|e| self.sink.failed(e))
    }

    /// Writes the file's trailer and hands the last bytes to its sink.
    async fn finish(self) -> (Sink, Result<()>) {
        let PendingFile {
            writer, mut sink, ..
        } = self;
        let result = match writer.finish() {
            Ok(()) => sink.send().await,
            Err(e) => Err(e),
        };
        let result = result.map_err(|e| sink.failed(e));
        (sink, result)
    }
}

impl Sink {
    /// `e`, said to have happened writing this sink's file (the encoders
    /// report a full disk without naming the file).
    fn failed(&self, e: QuiverError) -> QuiverError {
        let name = match self {
            Sink::Local { target, .. } => target.display().to_string(),
            Sink::Upload { url, .. } => url.clone(),
        };
        if e.to_string().contains(&name) {
            e
        } else {
            e.context(format!("writing '{name}'"))
        }
    }

    /// Bytes waiting in memory to be uploaded.
    fn buffered_bytes(&self) -> usize {
        match self {
            Sink::Local { .. } => 0,
            Sink::Upload { upload, buffer, .. } => buffer.len() + upload.buffered_bytes(),
        }
    }

    /// Uploads the last bytes of a finished file, so that it holds no
    /// memory while it waits to be made visible.
    async fn upload_rest(&mut self) -> Result<()> {
        if let Sink::Upload { url, upload, .. } = self {
            upload
                .upload_last_part()
                .await
                .map_err(|e| store_error("write", url, &e))?;
        }
        Ok(())
    }

    /// Hands bytes written so far to an upload, waiting while too many
    /// parts are in flight.
    async fn send(&mut self) -> Result<()> {
        if let Sink::Upload {
            url,
            upload,
            buffer,
        } = self
        {
            upload.put(&buffer.take());
            upload
                .wait_for_capacity(PARTS_IN_FLIGHT)
                .await
                .map_err(|e| store_error("write", url, &e))?;
        }
        Ok(())
    }

    /// Makes a finished file visible under its name.
    async fn make_visible(self) -> Result<()> {
        match self {
            Sink::Local { temp, target } => std::fs::rename(&temp, &target)
                .map_err(|e| io_error(&target.display().to_string(), "write", e)),
            Sink::Upload {
                url, mut upload, ..
            } => match upload.finish().await {
                Ok(()) => Ok(()),
                Err(e) => {
                    let _ = upload.abort().await;
                    Err(store_error("write", &url, &e))
                }
            },
        }
    }
}

/// Files of one write, all committed together or all removed. The memory
/// its open files hold (Parquet row groups being encoded, upload parts)
/// counts against the session's limit: when it would pass it, the least
/// recently written files are closed.
pub(crate) struct Transaction {
    open: HashMap<String, PendingFile>,
    /// Files finished early (too many open, or memory), not yet visible.
    closed: Vec<Sink>,
    /// How many files each key has had, which numbers the next one.
    files_per_key: HashMap<String, usize>,
    /// Writes so far: the clock of [`PendingFile::last_write`].
    writes: u64,
    /// Temporary local files not yet renamed into place.
    temps: Vec<PathBuf>,
    /// The memory the open files hold.
    reservation: MemoryReservation,
}

impl Transaction {
    /// An empty transaction whose open files' memory is held in
    /// `reservation`.
    pub(crate) fn new(reservation: MemoryReservation) -> Self {
        Self {
            open: HashMap::new(),
            closed: Vec::new(),
            files_per_key: HashMap::new(),
            writes: 0,
            temps: Vec::new(),
            reservation,
        }
    }

    /// Writes `batch` to the open file of `key`, first creating it at
    /// `file_name(n)`, where `n` counts the files `key` had before (always
    /// 0 unless files had to be closed early).
    pub(crate) async fn write(
        &mut self,
        key: &str,
        file_name: impl Fn(usize) -> String,
        schema: &SchemaRef,
        options: &WriteOptions,
        batch: Option<&RecordBatch>,
    ) -> Result<()> {
        let file = self.open_file(key, file_name, schema, options).await?;
        if let Some(batch) = batch {
            file.write(batch).await?;
            self.keep_within_memory().await?;
        }
        Ok(())
    }

    /// Writes `batch` as row groups of their own to the file of `key`
    /// (see [`Self::write`]): the file holds nothing afterwards.
    pub(crate) async fn write_row_groups(
        &mut self,
        key: &str,
        file_name: impl Fn(usize) -> String,
        schema: &SchemaRef,
        options: &WriteOptions,
        batch: &RecordBatch,
    ) -> Result<()> {
        let file = self.open_file(key, file_name, schema, options).await?;
        file.write(batch).await?;
        file.end_row_group().await?;
        self.keep_within_memory().await
    }

    /// The open file of `key`, created if there is none, marked as the
    /// most recently written.
    async fn open_file(
        &mut self,
        key: &str,
        file_name: impl Fn(usize) -> String,
        schema: &SchemaRef,
        options: &WriteOptions,
    ) -> Result<&mut PendingFile> {
        if !self.open.contains_key(key) {
            if self.open.len() >= MAX_OPEN_FILES {
                self.close_least_recent().await?;
            }
            let count = self.files_per_key.entry(key.to_string()).or_default();
            let target = file_name(*count);
            *count += 1;
            let file = PendingFile::create(&target, schema, options).await?;
            if let Sink::Local { temp, .. } = &file.sink {
                self.temps.push(temp.clone());
            }
            self.open.insert(key.to_string(), file);
        }
        self.writes += 1;
        let now = self.writes;
        let file = self
            .open
            .get_mut(key)
            .ok_or_else(|| QuiverError::Internal(format!("the file of '{key}' is not open")))?;
        file.last_write = now;
        Ok(file)
    }

    /// Bytes the open files hold.
    fn buffered_bytes(&self) -> usize {
        self.open.values().map(PendingFile::buffered_bytes).sum()
    }

    /// Holds the open files' memory in the reservation; when it cannot
    /// grow, closes the least recently written files until the rest fit
    /// (an out-of-memory error when even one file does not). Closing, not
    /// flushing: a Parquet file keeps every row group's metadata until it is
    /// closed, so many tiny row groups would cost more than they free.
    async fn keep_within_memory(&mut self) -> Result<()> {
        while self.open.len() > 1 && self.reservation.try_resize(self.buffered_bytes()).is_err() {
            self.close_least_recent().await?;
        }
        self.reservation.try_resize(self.buffered_bytes())
    }

    /// Finishes the open file written least recently; it becomes visible
    /// with the others on commit.
    async fn close_least_recent(&mut self) -> Result<()> {
        let oldest = self
            .open
            .iter()
            .min_by_key(|(_, file)| file.last_write)
            .map(|(key, _)| key.clone());
        let Some(file) = oldest.and_then(|key| self.open.remove(&key)) else {
            return Ok(());
        };
        let (mut sink, finished) = file.finish().await;
        let result = match finished {
            Ok(()) => sink.upload_rest().await,
            Err(e) => Err(e),
        };
        self.closed.push(sink);
        result
    }

    /// Finishes every file, then makes each visible: renames local files
    /// into place and completes uploads. On error, what is not yet visible
    /// is removed or aborted.
    pub(crate) async fn commit(mut self) -> Result<()> {
        let files: Vec<PendingFile> = std::mem::take(&mut self.open).into_values().collect();
        let mut sinks = std::mem::take(&mut self.closed);
        let mut failure = None;
        for file in files {
            if failure.is_some() {
                sinks.push(file.sink);
                continue;
            }
            let (sink, result) = file.finish().await;
            sinks.push(sink);
            failure = result.err();
        }
        if let Some(e) = failure {
            abort(sinks).await;
            return Err(e);
        }
        let mut sinks = sinks.into_iter();
        while let Some(sink) = sinks.next() {
            if let Err(e) = sink.make_visible().await {
                abort(sinks).await;
                return Err(e);
            }
        }
        self.temps.clear();
        Ok(())
    }

    /// Aborts every upload; local temporary files go when `self` is dropped.
    pub(crate) async fn abort(mut self) {
        let files = std::mem::take(&mut self.open).into_values();
        let closed = std::mem::take(&mut self.closed);
        abort(files.map(|f| f.sink).chain(closed)).await;
    }
}

/// Aborts the uploads among `sinks` (best effort: the error that led here
/// is the one to report).
async fn abort(sinks: impl IntoIterator<Item = Sink>) {
    for sink in sinks {
        if let Sink::Upload { mut upload, .. } = sink {
            let _ = upload.abort().await;
        }
    }
}

impl Drop for Transaction {
    /// Removes whatever was not committed (uploads abort themselves when
    /// dropped unfinished).
    fn drop(&mut self) {
        self.open.clear();
        self.closed.clear();
        for temp in &self.temps {
            let _ = std::fs::remove_file(temp);
        }
    }
}
