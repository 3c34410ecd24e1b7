//! `catalog.json`, the committed state of a database directory: its
//! tables (with their data files), views, external tables and settings, in
//! the order they must be recreated. It is replaced whole by a rename, so a
//! reader sees either the old or the new state, never a mix.

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;

use quiver_expr::{QuiverError, Result};
use serde::{Deserialize, Serialize};

/// The name of the catalog file in a database directory.
pub const CATALOG_FILE: &str = "catalog.json";

/// What `format` says in every catalog file.
const FORMAT: &str = "quiver-database";

/// The catalog file version this build writes and reads.
const VERSION: u32 = 1;

/// One object of the database.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StoredObject {
    /// A table whose rows are kept in the directory's Parquet files.
    Table {
        /// The table's name.
        name: String,
        /// Each column's `DEFAULT` as SQL text, by position.
        defaults: Vec<Option<String>>,
        /// Its data files, relative to the directory, in row order; the first
        /// one holds the schema even when the table is empty.
        files: Vec<String>,
        /// The rows in those files.
        rows: usize,
        /// Its `PRIMARY KEY` (true) and `UNIQUE` constraints: column
        /// positions.
        #[serde(default)]
        keys: Vec<(Vec<usize>, bool)>,
        /// Its `CHECK` constraints as SQL text.
        #[serde(default)]
        checks: Vec<String>,
    },
    /// A view, kept as the statement that made it.
    View {
        /// The view's name.
        name: String,
        /// Its `CREATE VIEW` statement.
        sql: String,
    },
    /// A table over files, kept as the statement that made it.
    ExternalTable {
        /// The table's name.
        name: String,
        /// Its `CREATE EXTERNAL TABLE` statement.
        sql: String,
    },
    /// A macro, kept as the statement that made it.
    Macro {
        /// The macro's name.
        name: String,
        /// Its `CREATE MACRO` statement.
        sql: String,
    },
}

impl StoredObject {
    /// The object's name.
    pub fn name(&self) -> &str {
        match self {
            StoredObject::Table { name, .. }
            | StoredObject::View { name, .. }
            | StoredObject::ExternalTable { name, .. }
            | StoredObject::Macro { name, .. } => name,
        }
    }

    /// Renames the object.
    pub fn rename(&mut self, to: &str) {
        match self {
            StoredObject::Table { name, .. }
            | StoredObject::View { name, .. }
            | StoredObject::ExternalTable { name, .. }
            | StoredObject::Macro { name, .. } => *name = to.to_string(),
        }
    }
}

/// The whole committed state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CatalogFile {
    /// Always "quiver-database": what this file is.
    pub format: String,
    /// The layout version.
    pub version: u32,
    /// The number the next data file is named after.
    pub next_file: u64,
    /// The objects, in the order they are recreated.
    pub objects: Vec<StoredObject>,
    /// Settings made with `SET`, by name, in the order they were made.
    pub settings: Vec<(String, String)>,
    /// The schemas made with `CREATE SCHEMA`, made again before the objects.
    #[serde(default)]
    pub schemas: Vec<String>,
}

impl Default for CatalogFile {
    fn default() -> Self {
        Self {
            format: FORMAT.to_string(),
            version: VERSION,
            next_file: 0,
            objects: vec![],
            settings: vec![],
            schemas: vec![],
        }
    }
}

impl CatalogFile {
    /// The object called `name` (ignoring case).
    pub fn find(&self, name: &str) -> Option<usize> {
        self.objects
            .iter()
            .position(|o| o.name().eq_ignore_ascii_case(name))
    }

    /// Every data file the catalog refers to.
    pub fn files(&self) -> BTreeSet<String> {
        self.objects
            .iter()
            .flat_map(|o| match o {
                StoredObject::Table { files, .. } => files.clone(),
                _ => vec![],
            })
            .collect()
    }

    /// Reads the catalog of the database directory `dir`.
    pub fn read(dir: &Path) -> Result<Self> {
        let path = dir.join(CATALOG_FILE);
        let corrupt = |why: String| {
            QuiverError::Io(format!(
                "the database directory '{}' is corrupt: {CATALOG_FILE}: {why}",
                dir.display()
            ))
        };
        let text = std::fs::read_to_string(&path).map_err(|e| corrupt(e.to_string()))?;
        let catalog: CatalogFile =
            serde_json::from_str(&text).map_err(|e| corrupt(e.to_string()))?;
        if catalog.format != FORMAT {
            return Err(corrupt(format!(
                "format is '{}', not '{FORMAT}'",
                catalog.format
            )));
        }
        if catalog.version != VERSION {
            return Err(corrupt(format!(
                "version {} is not the version {VERSION} this build reads",
                catalog.version
            )));
        }
        Ok(catalog)
    }

    /// Makes this the committed state of `dir`: written to a temporary
    /// file, flushed to disk, then renamed over the catalog, and the
    /// directory flushed so that the rename itself survives a crash.
    pub fn commit(&self, dir: &Path) -> Result<()> {
        let text = serde_json::to_string_pretty(self)
            .map_err(|e| QuiverError::Internal(format!("cannot encode the catalog: {e}")))?;
        let temporary = dir.join(format!("{CATALOG_FILE}.tmp"));
        let failed = |what: &str, e: std::io::Error| {
            QuiverError::Io(format!(
                "cannot {what} the catalog of '{}': {e}",
                dir.display()
            ))
        };
        let mut file = std::fs::File::create(&temporary).map_err(|e| failed("write", e))?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| failed("write", e))?;
        std::fs::rename(&temporary, dir.join(CATALOG_FILE)).map_err(|e| failed("replace", e))?;
        sync_directory(dir).map_err(|e| failed("flush", e))
    }
}

/// Flushes a directory's entries (new and renamed files) to disk.
pub fn sync_directory(dir: &Path) -> std::io::Result<()> {
    std::fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_catalog_round_trips_and_a_corrupt_one_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let mut catalog = CatalogFile::default();
        catalog.objects.push(StoredObject::Table {
            name: "t".into(),
            defaults: vec![None, Some("42".into())],
            files: vec!["data/0.parquet".into()],
            rows: 3,
            keys: vec![(vec![0], true)],
            checks: vec!["id > 0".into()],
        });
        catalog.objects.push(StoredObject::View {
            name: "v".into(),
            sql: "CREATE VIEW v AS SELECT 1".into(),
        });
        catalog.settings.push(("memory_limit".into(), "1GB".into()));
        catalog.commit(dir.path()).unwrap();
        assert_eq!(CatalogFile::read(dir.path()).unwrap(), catalog);
        assert_eq!(catalog.find("T"), Some(0));
        assert!(!dir.path().join("catalog.json.tmp").exists());

        std::fs::write(dir.path().join(CATALOG_FILE), "{\"format\": \"quiver-data").unwrap();
        let err = CatalogFile::read(dir.path()).unwrap_err().to_string();
        assert!(err.contains("is corrupt: catalog.json"), "{err}");
    }
}
