//! One data file, local or in an object store, and the ways to read it.

use std::io::Read;
use std::ops::Range;
use std::path::{Path, PathBuf};
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
use tokio::task::JoinHandle;

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

    /// A reader for the Parquet decoder. `row_groups` lists the byte ranges
    /// the decoder will ask for, one entry per row group in reading order:
    /// an object reader fetches the next row group's ranges while the
    /// current one is decoded. Object reads fetch only the byte ranges
    /// asked for, coalescing nearby ones into one request and issuing the
    /// rest concurrently.
    pub async fn parquet_reader(
        &self,
        row_groups: Vec<Vec<Range<u64>>>,
    ) -> Result<Box<dyn AsyncFileReader>> {
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
                row_groups,
                ahead: None,
            })),
        }
    }
}

/// Bytes of the end of a file fetched with the footer in one request, so the
/// footer of a typical file needs no second round trip.
const FOOTER_PREFETCH: usize = 64 * 1024;

/// A fetch started ahead of need: which row group, and the task.
type Prefetch = (usize, JoinHandle<object_store::Result<Vec<Bytes>>>);

/// Reads byte ranges of one object for the Parquet decoder, one row group
/// ahead.
struct ObjectReader {
    store: Arc<dyn ObjectStore>,
    path: ObjectPath,
    size: u64,
    /// The ranges of each row group to be read, in order.
    row_groups: Vec<Vec<Range<u64>>>,
    /// The fetch of the row group after the one last asked for.
    ahead: Option<Prefetch>,
}

impl ObjectReader {
    /// Fetches `ranges` in a task: the merged requests of [`coalesce`],
    /// concurrently, cut back into the ranges asked for.
    fn fetch(&self, ranges: Vec<Range<u64>>) -> JoinHandle<object_store::Result<Vec<Bytes>>> {
        let (store, path) = (Arc::clone(&self.store), self.path.clone());
        tokio::spawn(async move {
            let requests = coalesce(&ranges);
            let fetched = futures::future::try_join_all(
                requests.iter().map(|r| store.get_range(&path, r.clone())),
            )
            .await?;
            Ok(ranges
                .iter()
                .map(|r| {
                    let i = requests.partition_point(|m| m.end < r.end);
                    let offset = requests[i].start;
                    fetched[i].slice((r.start - offset) as usize..(r.end - offset) as usize)
                })
                .collect())
        })
    }
}

/// Gaps up to this much in all are always read through rather than split
/// into more requests: S3 sends 4 MiB on one connection in about the time a
/// new request takes to answer (tens of milliseconds).
const ALWAYS_MERGE_GAP: u64 = 4 * 1024 * 1024;

/// The requests that cover `ranges`: neighbours are merged, reading the gap
/// between them, while the gaps read in all stay within the larger of 4 MiB
/// and the bytes asked for. Each request costs a round trip (and, on S3, a
/// fee), so reading up to twice the bytes in fewer requests is the better
/// trade.
fn coalesce(ranges: &[Range<u64>]) -> Vec<Range<u64>> {
    let mut sorted = ranges.to_vec();
    sorted.sort_by_key(|r| r.start);
    let wanted: u64 = sorted.iter().map(|r| r.end - r.start).sum();
    let mut budget = wanted.max(ALWAYS_MERGE_GAP);
    let mut merged: Vec<Range<u64>> = vec![];
    for r in sorted {
        match merged.last_mut() {
            Some(last) if r.start <= last.end.saturating_add(budget) => {
                budget -= r.start.saturating_sub(last.end);
                last.end = last.end.max(r.end);
            }
            _ => merged.push(r),
        }
    }
    merged
}

impl Drop for ObjectReader {
    fn drop(&mut self) {
        if let Some((_, task)) = self.ahead.take() {
            task.abort();
        }
    }
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

    fn get_byte_ranges(
        &mut self,
        ranges: Vec<Range<u64>>,
    ) -> BoxFuture<'_, parquet::errors::Result<Vec<Bytes>>> {
        async move {
            let index = self.row_groups.iter().position(|r| *r == ranges);
            let prefetched = match (self.ahead.take(), index) {
                (Some((i, task)), Some(want)) if i == want => Some(task),
                (Some((_, task)), _) => {
                    task.abort();
                    None
                }
                (None, _) => None,
            };
            let current = prefetched.unwrap_or_else(|| self.fetch(ranges));
            if let Some(next) = index.map(|i| i + 1).filter(|&n| n < self.row_groups.len()) {
                self.ahead = Some((next, self.fetch(self.row_groups[next].clone())));
            }
            current
                .await
                .map_err(|e| ParquetError::External(Box::new(e)))?
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearby_ranges_merge_within_the_budget() {
        const MIB: u64 = 1024 * 1024;
        // Small ranges far apart: only gaps within 4 MiB in all are read.
        assert_eq!(
            coalesce(&[0..10, 20..30, 3 * MIB..3 * MIB + 10, 10 * MIB..10 * MIB + 5]),
            vec![0..3 * MIB + 10, 10 * MIB..10 * MIB + 5]
        );
        // Large ranges: gaps up to their total size are read through.
        assert_eq!(
            coalesce(&[8 * MIB..12 * MIB, 0..4 * MIB, 18 * MIB..20 * MIB]),
            vec![0..20 * MIB]
        );
        assert_eq!(
            coalesce(&[0..2 * MIB, 6 * MIB..8 * MIB, 16 * MIB..18 * MIB]),
            vec![0..8 * MIB, 16 * MIB..18 * MIB]
        );
    }
}
