//! One data file, local or in an object store, and the ways to read it.

use std::io::Read;
use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use futures::future::BoxFuture;
use futures::FutureExt;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};
use parquet::arrow::arrow_reader::ArrowReaderOptions;
use parquet::arrow::async_reader::AsyncFileReader;
use parquet::errors::ParquetError;
use parquet::file::metadata::{ParquetMetaData, ParquetMetaDataReader};
use quiver_expr::{QuiverError, Result};

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

    /// A reader for the Parquet decoder. Object reads fetch only the byte
    /// ranges asked for, coalescing nearby ones into one request and issuing
    /// the rest concurrently.
    pub async fn parquet_reader(&self) -> Result<Box<dyn AsyncFileReader>> {
        match &self.source {
            Source::Local(path) => {
                let file = tokio::fs::File::open(path)
                    .await
                    .map_err(|e| QuiverError::Io(format!("cannot open '{}': {e}", self.name)))?;
                Ok(Box::new(file))
            }
            Source::Object { store, path, size } => Ok(Box::new(ObjectReader {
                store: Arc::clone(store),
                path: path.clone(),
                size: *size,
            })),
        }
    }
}

/// Bytes of the end of a file fetched with the footer in one request, so the
/// footer of a typical file needs no second round trip.
const FOOTER_PREFETCH: usize = 64 * 1024;

/// Reads byte ranges of one object for the Parquet decoder.
struct ObjectReader {
    store: Arc<dyn ObjectStore>,
    path: ObjectPath,
    size: u64,
}

fn parquet_error(e: object_store::Error) -> ParquetError {
    ParquetError::External(Box::new(e))
}

impl AsyncFileReader for ObjectReader {
    fn get_bytes(&mut self, range: Range<u64>) -> BoxFuture<'_, parquet::errors::Result<Bytes>> {
        async move {
            self.store
                .get_range(&self.path, range)
                .await
                .map_err(parquet_error)
        }
        .boxed()
    }

    /// The store merges ranges less than 1 MiB apart into one request and
    /// issues the requests concurrently.
    fn get_byte_ranges(
        &mut self,
        ranges: Vec<Range<u64>>,
    ) -> BoxFuture<'_, parquet::errors::Result<Vec<Bytes>>> {
        async move {
            self.store
                .get_ranges(&self.path, &ranges)
                .await
                .map_err(parquet_error)
        }
        .boxed()
    }

    fn get_metadata<'a>(
        &'a mut self,
        options: Option<&'a ArrowReaderOptions>,
    ) -> BoxFuture<'a, parquet::errors::Result<Arc<ParquetMetaData>>> {
        async move {
            let size = self.size;
            let metadata = ParquetMetaDataReader::new()
                .with_arrow_reader_options(options)
                .with_prefetch_hint(Some(FOOTER_PREFETCH))
                .load_and_finish(self, size)
                .await?;
            Ok(Arc::new(metadata))
        }
        .boxed()
    }
}
