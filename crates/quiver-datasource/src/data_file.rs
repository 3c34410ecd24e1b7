//! One data file, local or in an object store, and the ways to read it.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};
use parquet::arrow::async_reader::AsyncFileReader;
use quiver_expr::{QuiverError, Result};

use crate::object_reader::{ObjectReader, ReadAhead, SharedObject};
use crate::store::{block_on, store_error};

/// Where a file's bytes are.
#[derive(Debug, Clone)]
enum Source {
    Local(PathBuf),
    Object {
        store: Arc<dyn ObjectStore>,
        path: ObjectPath,
        size: u64,
    },
}

/// A data file: a local path or an object (`s3://…`, `http://…`).
#[derive(Debug, Clone)]
pub struct DataFile {
    name: String,
    source: Source,
}

impl DataFile {
    /// A file on the local file system.
    pub fn local(path: PathBuf) -> Self {
        Self {
            name: path.display().to_string(),
            source: Source::Local(path),
        }
    }

    /// An object of `size` bytes at `path` in `store`, known to the user as
    /// `url`.
    pub fn object(url: String, store: Arc<dyn ObjectStore>, path: ObjectPath, size: u64) -> Self {
        Self {
            name: url,
            source: Source::Object { store, path, size },
        }
    }

    /// The path or URL, as errors and EXPLAIN show it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The path of a file on local disk; `None` for objects.
    pub fn local_path(&self) -> Option<&Path> {
        match &self.source {
            Source::Local(path) => Some(path),
            _ => None,
        }
    }

    /// The file's size in bytes, when it can be known without reading it.
    pub fn size(&self) -> Option<u64> {
        match &self.source {
            Source::Local(p) => std::fs::metadata(p).ok().map(|m| m.len()),
            Source::Object { size, .. } => Some(*size),
        }
    }

    /// The file's bytes as a reader. An object is fetched whole first.
    pub fn read(&self) -> Result<Box<dyn Read + Send>> {
        match &self.source {
            Source::Local(path) => {
                let file = std::fs::File::open(path)
                    .map_err(|e| QuiverError::Io(format!("cannot open '{}': {e}", self.name)))?;
                Ok(Box::new(file))
            }
            Source::Object { store, path, .. } => {
                let (store, path) = (Arc::clone(store), path.clone());
                let bytes = block_on(async move { store.get(&path).await?.bytes().await })?
                    .map_err(|e| store_error("read", &self.name, &e))?;
                Ok(Box::new(std::io::Cursor::new(bytes)))
            }
        }
    }

    /// A reader for the Parquet decoder. An object reader given a
    /// `read_ahead` fetches its planned ranges ahead of the decoder (see
    /// `object_reader.rs`); other ranges are fetched when asked for. A local
    /// file is read when asked; its turn passes at once. An object's reader
    /// fetches no bytes that are in `shared` and keeps there what it
    /// fetches (a local file needs no sharing: the OS caches it).
    pub(crate) async fn parquet_reader(
        &self,
        read_ahead: Option<ReadAhead>,
        shared: Option<SharedObject>,
    ) -> Result<Box<dyn AsyncFileReader>> {
        match &self.source {
            Source::Local(path) => {
                let file = tokio::fs::File::open(path)
                    .await
                    .map_err(|e| QuiverError::Io(format!("cannot open '{}': {e}", self.name)))?;
                Ok(Box::new(file))
            }
            Source::Object { store, path, size } => Ok(Box::new(ObjectReader::new(
                Arc::clone(store),
                path.clone(),
                *size,
                read_ahead,
                shared,
            ))),
        }
    }
}
