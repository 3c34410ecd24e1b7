//! Turns a location (a file, a glob, or a directory) into a list of files.

use std::path::{Path, PathBuf};

use quiver_expr::logical_plan::FileFormat;
use quiver_expr::{QuiverError, Result};

/// True when `location` contains glob wildcards.
fn is_glob(location: &str) -> bool {
    location.contains(['*', '?', '['])
}

/// Strips a `file://` prefix.
fn local_path(location: &str) -> &str {
    location.strip_prefix("file://").unwrap_or(location)
}

/// The files a location names, sorted: the file itself, every file matching
/// a glob (`data/*.parquet`, `data/**/*.csv`), or every file under a
/// directory (recursively, skipping hidden files and `_`-prefixed ones such
/// as `_SUCCESS`). A location that matches nothing is an error naming it.
pub fn list_files(location: &str) -> Result<Vec<PathBuf>> {
    let path = local_path(location);
    if is_glob(path) {
        let pattern = glob::glob(path)
            .map_err(|e| QuiverError::Plan(format!("invalid glob pattern '{location}': {e}")))?;
        let mut files: Vec<PathBuf> = pattern
            .filter_map(|p| p.ok())
            .filter(|p| p.is_file())
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(QuiverError::Io(format!("no files match '{location}'")));
        }
        return Ok(files);
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
            Ok(files)
        }
        Ok(_) => Ok(vec![p.to_path_buf()]),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            Err(QuiverError::Io(format!("file not found: '{location}'")))
        }
        Err(e) => Err(QuiverError::Io(format!("cannot read '{location}': {e}"))),
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name.starts_with('_') {
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

/// Guessing a [`FileFormat`] from file names.
pub trait FileFormatExt: Sized {
    /// The format a file name's extension suggests (`.parquet`, `.csv`, `.tsv`).
    fn from_path(path: &Path) -> Option<Self>;

    /// The format of a location's files: from the location's own extension,
    /// else from the files it lists.
    fn detect(location: &str) -> Result<Self>;
}

impl FileFormatExt for FileFormat {
    fn from_path(path: &Path) -> Option<Self> {
        // `x.csv.gz` is a CSV file.
        let path = match crate::compression::Compression::from_extension(path) {
            Some(_) => Path::new(path.file_stem()?),
            None => path,
        };
        FileFormat::from_name(path.extension()?.to_str()?)
    }

    fn detect(location: &str) -> Result<Self> {
        if let Some(f) = Self::from_path(Path::new(local_path(location))) {
            return Ok(f);
        }
        let files = list_files(location)?;
        files.iter().find_map(|f| Self::from_path(f)).ok_or_else(|| {
            QuiverError::Plan(format!(
                "cannot tell the file format of '{location}'; name files *.parquet or *.csv, or use \
                 CREATE EXTERNAL TABLE .. STORED AS PARQUET|CSV"
            ))
        })
    }
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
        let all = list_files(root.to_str().unwrap()).unwrap();
        assert_eq!(all.len(), 3, "{all:?}");
        let csvs = list_files(&format!("{}/**/*.csv", root.display())).unwrap();
        assert_eq!(csvs.len(), 2);
        let one = list_files(&format!("file://{}/a.csv", root.display())).unwrap();
        assert_eq!(one.len(), 1);
        let err = list_files(&format!("{}/missing.csv", root.display()))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("file not found") && err.contains("missing.csv"),
            "{err}"
        );
        let err = list_files(&format!("{}/*.json", root.display()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("no files match"), "{err}");
    }

    #[test]
    fn detects_formats() {
        assert_eq!(
            FileFormat::detect("x/y.PARQUET").unwrap(),
            FileFormat::Parquet
        );
        assert_eq!(FileFormat::detect("x/y.tsv").unwrap(), FileFormat::Csv);
    }
}
