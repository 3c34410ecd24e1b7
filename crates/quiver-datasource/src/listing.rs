//! Turns a location (a file, a glob, or a directory; local or in an object
//! store) into a list of files, and lists a directory's immediate entries.

use std::path::Path;
use std::sync::Arc;

use futures::TryStreamExt;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};
use quiver_expr::{QuiverError, Result};

use crate::data_file::DataFile;
use crate::store::{block_on, retry_cut_responses, store_error, RemoteLocation, StorageOptions};

/// How globs match, locally and in object stores: `*` stays within one
/// directory (`**` crosses them) and does not match hidden names.
const GLOB_OPTIONS: glob::MatchOptions = glob::MatchOptions {
    case_sensitive: true,
    require_literal_separator: true,
    require_literal_leading_dot: true,
};

/// True when `location` contains glob wildcards.
pub(crate) fn is_glob(location: &str) -> bool {
    location.contains(['*', '?', '['])
}

/// Strips a `file://` prefix.
pub(crate) fn local_path(location: &str) -> &str {
    location.strip_prefix("file://").unwrap_or(location)
}

/// True for names listings skip: hidden files and `_`-prefixed ones such as
/// `_SUCCESS`.
fn is_hidden(name: &str) -> bool {
    name.starts_with('.') || name.starts_with('_')
}

/// The files a location names, sorted: the file itself, every file matching
/// a glob (`data/*.parquet`, `s3://bucket/data/**/*.csv`), or every file
/// under a directory or key prefix (recursively, skipping hidden files and
/// `_`-prefixed ones such as `_SUCCESS`). A location that matches nothing is
/// an error naming it. `http(s)://` locations name single files.
pub fn list_files(location: &str, storage: &StorageOptions) -> Result<Vec<DataFile>> {
    if let Some(remote) = RemoteLocation::parse(location)? {
        return list_remote(location, remote, storage);
    }
    let path = local_path(location);
    if is_glob(path) {
        let pattern = glob::glob_with(path, GLOB_OPTIONS)
            .map_err(|e| QuiverError::Plan(format!("invalid glob pattern '{location}': {e}")))?;
        let mut files: Vec<_> = pattern
            .filter_map(|p| p.ok())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(QuiverError::Io(format!("no files match '{location}'")));
        }
        return Ok(files.into_iter().map(DataFile::local).collect());
    }
    let p = Path::new(path);
    match std::fs::metadata(p) {
        Ok(m) if m.is_dir() => {
            let mut files = vec![];
            walk(p, &mut files)
                .map_err(|e| QuiverError::Io(format!("cannot list directory '{location}': {e}")))?;
            files.sort();
            if files.is_empty() {
                return Err(QuiverError::Io(format!(
                    "directory '{location}' contains no data files"
                )));
            }
            Ok(files.into_iter().map(DataFile::local).collect())
        }
        Ok(_) => Ok(vec![DataFile::local(p.to_path_buf())]),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(QuiverError::Io(format!("file not found: '{location}'")))
        }
        Err(e) => Err(QuiverError::Io(format!("cannot read '{location}': {e}"))),
    }
}

/// [`list_files`] for a location in an object store.
fn list_remote(
    location: &str,
    remote: RemoteLocation,
    storage: &StorageOptions,
) -> Result<Vec<DataFile>> {
    let store = remote.store(storage)?;
    let owned = location.to_string();
    block_on(async move { list_objects(&owned, &remote, store).await })?
}

async fn list_objects(
    location: &str,
    remote: &RemoteLocation,
    store: Arc<dyn ObjectStore>,
) -> Result<Vec<DataFile>> {
    let key = remote.key.as_str();
    let file = |meta: object_store::ObjectMeta| {
        let url = remote.url_of(meta.location.as_ref());
        DataFile::object(url, Arc::clone(&store), meta.location, meta.size)
    };
    if is_glob(key) {
        if remote.is_http {
            return Err(QuiverError::Plan(format!(
                "'{location}': HTTP servers cannot be listed, so globs and directories work only \
                 for local and s3:// locations; name a single file"
            )));
        }
        let pattern = glob::Pattern::new(key)
            .map_err(|e| QuiverError::Plan(format!("invalid glob pattern '{location}': {e}")))?;
        let literal = &key[..key.find(['*', '?', '[']).unwrap_or(key.len())];
        let prefix = &literal[..literal.rfind('/').unwrap_or(0)];
        let objects = list_prefix(location, &store, prefix).await?;
        let files: Vec<DataFile> = objects
            .into_iter()
            .filter(|m| pattern.matches_with(m.location.as_ref(), GLOB_OPTIONS))
            .map(file)
            .collect();
        if files.is_empty() {
            return Err(QuiverError::Io(format!("no files match '{location}'")));
        }
        return Ok(files);
    }
    // A key names an object, or else a prefix to list. (Some S3-compatible
    // servers answer HEAD on a "directory" with an error, not 404.)
    let mut head_error = None;
    if !key.is_empty() && !key.ends_with('/') {
        let path = remote.object_path(key)?;
        match store.head(&path).await {
            Ok(meta) => return Ok(vec![file(meta)]),
            Err(object_store::Error::NotFound { .. }) if remote.is_http => {
                return Err(QuiverError::Io(format!("file not found: '{location}'")))
            }
            Err(e) if remote.is_http => return Err(store_error("read", location, &e)),
            Err(object_store::Error::NotFound { .. }) => {}
            Err(e) => head_error = Some(e),
        }
    }
    let prefix = key.trim_end_matches('/');
    let objects = list_prefix(location, &store, prefix).await?;
    let files: Vec<DataFile> = objects
        .into_iter()
        .filter(|m| {
            let relative = m.location.as_ref()[prefix.len()..].trim_start_matches('/');
            !relative.split('/').any(is_hidden) && !relative.is_empty()
        })
        .map(file)
        .collect();
    match head_error {
        _ if !files.is_empty() => Ok(files),
        Some(e) => Err(store_error("read", location, &e)),
        None => Err(QuiverError::Io(format!(
            "no such object or prefix: '{location}'"
        ))),
    }
}

/// Every object under `prefix` (a directory-like prefix; empty for the whole
/// bucket), sorted by key.
async fn list_prefix(
    location: &str,
    store: &Arc<dyn ObjectStore>,
    prefix: &str,
) -> Result<Vec<object_store::ObjectMeta>> {
    let prefix = (!prefix.is_empty()).then(|| ObjectPath::from(prefix));
    let mut objects: Vec<_> =
        retry_cut_responses(|| store.list(prefix.as_ref()).try_collect::<Vec<_>>())
            .await
            .map_err(|e| store_error("list", location, &e))?;
    objects.sort_by(|a, b| a.location.cmp(&b.location));
    Ok(objects)
}

/// What a directory immediately holds: its sub-directories (full names, as
/// locations) and its files.
#[derive(Debug, Default)]
pub struct DirectoryEntries {
    /// Sub-directories, sorted, as locations (`dir/sub`, `s3://b/dir/sub`).
    pub directories: Vec<String>,
    /// Files directly in the directory, sorted.
    pub files: Vec<DataFile>,
}

/// The entries directly inside directory (or key prefix) `location`,
/// skipping hidden ones; `None` when `location` is not a directory (a file,
/// a glob, an HTTP URL, or nothing at all).
pub fn list_directory(
    location: &str,
    storage: &StorageOptions,
) -> Result<Option<DirectoryEntries>> {
    if is_glob(location) {
        return Ok(None);
    }
    match RemoteLocation::parse(location)? {
        Some(remote) if remote.is_http => Ok(None),
        Some(remote) => {
            let store = remote.store(storage)?;
            let owned = location.to_string();
            block_on(async move { list_remote_directory(&owned, &remote, store).await })?
        }
        None => {
            let path = Path::new(local_path(location));
            if !path.is_dir() {
                return Ok(None);
            }
            let error = |e: std::io::Error| {
                QuiverError::Io(format!("cannot list directory '{location}': {e}"))
            };
            let mut entries = DirectoryEntries::default();
            for entry in std::fs::read_dir(path).map_err(error)? {
                let entry = entry.map_err(error)?;
                if is_hidden(&entry.file_name().to_string_lossy()) {
                    continue;
                }
                let child = entry.path();
                if child.is_dir() {
                    entries.directories.push(child.display().to_string());
                } else {
                    entries.files.push(DataFile::local(child));
                }
            }
            entries.directories.sort();
            entries.files.sort_by(|a, b| a.name().cmp(b.name()));
            Ok(Some(entries))
        }
    }
}

async fn list_remote_directory(
    location: &str,
    remote: &RemoteLocation,
    store: Arc<dyn ObjectStore>,
) -> Result<Option<DirectoryEntries>> {
    let prefix = remote.key.trim_end_matches('/');
    let prefix_path = (!prefix.is_empty()).then(|| ObjectPath::from(prefix));
    let listing = retry_cut_responses(|| store.list_with_delimiter(prefix_path.as_ref()))
        .await
        .map_err(|e| store_error("list", location, &e))?;
    let visible = |p: &ObjectPath| p.filename().is_some_and(|n| !is_hidden(n));
    let mut entries = DirectoryEntries {
        directories: listing
            .common_prefixes
            .iter()
            .filter(|p| visible(p))
            .map(|p| remote.url_of(p.as_ref()))
            .collect(),
        files: listing
            .objects
            .into_iter()
            .filter(|m| visible(&m.location))
            .map(|m| {
                let url = remote.url_of(m.location.as_ref());
                DataFile::object(url, Arc::clone(&store), m.location, m.size)
            })
            .collect(),
    };
    if entries.directories.is_empty() && entries.files.is_empty() {
        return Ok(None);
    }
    entries.directories.sort();
    entries.files.sort_by(|a, b| a.name().cmp(b.name()));
    Ok(Some(entries))
}

fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if is_hidden(&name) {
            continue;
        }
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_files_globs_and_directories() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("sub")).unwrap();
        for f in ["a.csv", "sub/b.csv", "_SUCCESS", ".hidden", "c.parquet"] {
            std::fs::write(root.join(f), "x\n").unwrap();
        }
        let none = StorageOptions::default();
        let all = list_files(root.to_str().unwrap(), &none).unwrap();
        assert_eq!(all.len(), 3, "{all:?}");
        let csvs = list_files(&format!("{}/**/*.csv", root.display()), &none).unwrap();
        assert_eq!(csvs.len(), 2);
        let one = list_files(&format!("file://{}/a.csv", root.display()), &none).unwrap();
        assert_eq!(one.len(), 1);
        let err = list_files(&format!("{}/missing.csv", root.display()), &none)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("file not found") && err.contains("missing.csv"),
            "{err}"
        );
        let err = list_files(&format!("{}/*.json", root.display()), &none)
            .unwrap_err()
            .to_string();
        assert!(err.contains("no files match"), "{err}");
    }
}
