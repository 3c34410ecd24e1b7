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
use quiver_expr::{QuiverError, Result};

use crate::format::BatchWriter;
use crate::part_upload::PartUpload;
use crate::store::{store_error, RemoteLocation};
use crate::write::WriteOptions;

/// Upload parts of one object in flight at once.
const PARTS_IN_FLIGHT: usize = 4;

/// Bytes written by a format writer, waiting to be uploaded.
#[derive(Clone, Default)]
struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl SharedBuffer {
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
        })
    }

    async fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let written = match self.writer.write(batch) {
            Ok(()) => self.sink.send().await,
            Err(e) => Err(e),
        };
        written.map_err(|e| self.sink.failed(e))
    }

    /// Writes the file's trailer and hands the last bytes to its sink.
    async fn finish(self) -> (Sink, Result<()>) {
        let PendingFile { writer, mut sink } = self;
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

/// Files of one write, all committed together or all removed.
#[derive(Default)]
pub(crate) struct Transaction {
    open: HashMap<String, PendingFile>,
    /// Temporary local files not yet renamed into place.
    temps: Vec<PathBuf>,
}

impl Transaction {
    /// Writes `batch` to the file `target` (a path or URL), creating it on
    /// first use.
    pub(crate) async fn write(
        &mut self,
        target: &str,
        schema: &SchemaRef,
        options: &WriteOptions,
        batch: Option<&RecordBatch>,
    ) -> Result<()> {
        if !self.open.contains_key(target) {
            let file = PendingFile::create(target, schema, options).await?;
            if let Sink::Local { temp, .. } = &file.sink {
                self.temps.push(temp.clone());
            }
            self.open.insert(target.to_string(), file);
        }
        match (self.open.get_mut(target), batch) {
            (Some(file), Some(batch)) => file.write(batch).await,
            _ => Ok(()),
        }
    }

    /// Finishes every file, then makes each visible: renames local files
    /// into place and completes uploads. On error, what is not yet visible
    /// is removed or aborted.
    pub(crate) async fn commit(mut self) -> Result<()> {
        let files: Vec<PendingFile> = std::mem::take(&mut self.open).into_values().collect();
        let mut sinks = Vec::with_capacity(files.len());
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
        abort(files.map(|f| f.sink)).await;
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
        for temp in &self.temps {
            let _ = std::fs::remove_file(temp);
        }
    }
}
