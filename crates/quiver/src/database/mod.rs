//! A database directory: tables made with `CREATE TABLE` kept as Parquet
//! files, views and external tables as the statements that made them, and
//! settings, all listed in `catalog.json`. Without one, a session keeps
//! everything in memory (the default).
//!
//! Every statement that changes what is stored commits on its own: new data
//! files are written and flushed first, then a new catalog replaces the old
//! one with a rename, then files nothing refers to any more are deleted.
//! A crash or kill at any moment leaves the last committed catalog, whose
//! files are all whole; files a crash left behind are removed at the next
//! read-write open. One process at a time may open a directory for writing
//! ([`lock`]); read-only opens see the last committed state.

pub mod catalog_file;
mod lock;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use quiver_datasource::MemTable;
use quiver_expr::logical_plan::{Ddl, OnConflict, UniqueKey};
use quiver_expr::{QuiverError, Result};

use crate::catalog::{Catalog, CatalogEntry};
use crate::context::SessionContext;
use catalog_file::{sync_directory, CatalogFile, StoredObject, CATALOG_FILE};
use lock::WriterLock;

/// The directory under a database directory that holds the data files.
const DATA_DIRECTORY: &str = "data";

/// How a database directory is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpenMode {
    /// Changes are stored; no other process may write at the same time.
    /// A missing directory is created.
    ReadWrite,
    /// The last committed state is read; statements that would change it
    /// are refused. Works while another process writes.
    ReadOnly,
}

/// What a statement changes in a database directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoredChange {
    /// The table's rows (or columns) were replaced: store them whole.
    Rows(String),
    /// Rows were appended to the table: store the new ones.
    Append(String),
    /// A table was renamed.
    Rename { from: String, to: String },
    /// A view was made by the statement `sql`.
    View { name: String, sql: String },
    /// An external table was made by the statement `sql`.
    ExternalTable { name: String, sql: String },
    /// A macro was made by the statement `sql`.
    Macro { name: String, sql: String },
    /// A table or view was dropped.
    Drop(String),
    /// A setting was made.
    Set { name: String, value: String },
    /// A schema was made.
    Schema(String),
    /// A schema was dropped, with what it held.
    DropSchema(String),
}

impl StoredChange {
    /// The table, view or macro the change is about (for a rename, the
    /// old name); None for settings and schemas.
    pub fn object(&self) -> Option<&str> {
        match self {
            StoredChange::Rows(name)
            | StoredChange::Append(name)
            | StoredChange::Drop(name)
            | StoredChange::View { name, .. }
            | StoredChange::ExternalTable { name, .. }
            | StoredChange::Macro { name, .. } => Some(name),
            StoredChange::Rename { from, .. } => Some(from),
            StoredChange::Set { .. } | StoredChange::Schema(_) | StoredChange::DropSchema(_) => {
                None
            }
        }
    }

    /// What running `ddl`, written as `sql`, changes; None for statements
    /// that store nothing (COPY, PREPARE).
    pub fn of(ddl: &Ddl, sql: &str) -> Option<Self> {
        Some(match ddl {
            Ddl::CreateTable { name, .. }
            | Ddl::ReplaceTable { name, .. }
            | Ddl::ChangeRows { table: name, .. } => StoredChange::Rows(name.clone()),
            // Replacing rows changes old ones too: the table is stored again.
            Ddl::Insert {
                table,
                on_conflict: OnConflict::Replace | OnConflict::Update,
                ..
            } => StoredChange::Rows(table.clone()),
            Ddl::Insert { table, .. } => StoredChange::Append(table.clone()),
            Ddl::RenameTable { name, to } => StoredChange::Rename {
                from: name.clone(),
                to: to.clone(),
            },
            Ddl::CreateView { name, .. } => StoredChange::View {
                name: name.clone(),
                sql: sql.to_string(),
            },
            Ddl::CreateExternalTable { name, .. } => StoredChange::ExternalTable {
                name: name.clone(),
                sql: sql.to_string(),
            },
            Ddl::CreateMacro { name, .. } => StoredChange::Macro {
                name: name.clone(),
                sql: sql.to_string(),
            },
            Ddl::DropMacro { name, .. } => StoredChange::Drop(name.clone()),
            Ddl::DropTable { name, .. } | Ddl::DropView { name, .. } => {
                StoredChange::Drop(name.clone())
            }
            Ddl::Set { name, value } => StoredChange::Set {
                name: name.clone(),
                value: value.clone(),
            },
            Ddl::CreateSchema { name, .. } => StoredChange::Schema(name.clone()),
            Ddl::DropSchema { name, .. } => StoredChange::DropSchema(name.clone()),
            Ddl::CopyTo { .. }
            | Ddl::Prepare { .. }
            | Ddl::Deallocate { .. }
            | Ddl::Transaction(_)
            | Ddl::Temporary { .. } => return None,
        })
    }
}

/// An open database directory.
#[derive(Debug)]
pub struct Database {
    dir: PathBuf,
    mode: OpenMode,
    /// Held while open for writing.
    _lock: Option<WriterLock>,
    /// The state last committed.
    committed: Mutex<CatalogFile>,
    /// How many data files a large write is split into, written at once.
    parallelism: usize,
}

impl Database {
    /// Opens the database directory `dir`. For writing, a missing or empty
    /// directory becomes a new database, and files a crash left behind are
    /// removed; a directory holding other files is refused.
    pub fn open(dir: &Path, mode: OpenMode) -> Result<Self> {
        let catalog_path = dir.join(CATALOG_FILE);
        let named = |why: &str| {
            QuiverError::Io(format!(
                "cannot open the database '{}': {why}",
                dir.display()
            ))
        };
        if !catalog_path.exists() {
            if mode == OpenMode::ReadOnly {
                return Err(named(
                    "it does not exist (a read-only open does not create one)",
                ));
            }
            let empty = match std::fs::read_dir(dir) {
                Ok(mut entries) => entries.next().is_none(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
                Err(e) => return Err(named(&e.to_string())),
            };
            if !empty {
                return Err(named(&format!(
                    "the directory holds other files and no {CATALOG_FILE}, so it is not a Quiver database"
                )));
            }
            std::fs::create_dir_all(dir.join(DATA_DIRECTORY)).map_err(|e| named(&e.to_string()))?;
            let lock = WriterLock::take(dir)?;
            CatalogFile::default().commit(dir)?;
            return Ok(Self {
                dir: dir.to_path_buf(),
                mode,
                _lock: Some(lock),
                committed: Mutex::new(CatalogFile::default()),
                parallelism: default_parallelism(),
            });
        }
        let lock = match mode {
            OpenMode::ReadWrite => Some(WriterLock::take(dir)?),
            OpenMode::ReadOnly => None,
        };
        let committed = CatalogFile::read(dir)?;
        for file in committed.files() {
            if !dir.join(&file).is_file() {
                return Err(QuiverError::Io(format!(
                    "the database directory '{}' is corrupt: its data file '{file}' is missing",
                    dir.display()
                )));
            }
        }
        let database = Self {
            dir: dir.to_path_buf(),
            mode,
            _lock: lock,
            committed: Mutex::new(committed),
            parallelism: default_parallelism(),
        };
        if mode == OpenMode::ReadWrite {
            database.remove_leftovers()?;
        }
        Ok(database)
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// How it was opened.
    pub fn mode(&self) -> OpenMode {
        self.mode
    }

    fn committed(&self) -> std::sync::MutexGuard<'_, CatalogFile> {
        self.committed.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The state last committed.
    pub fn catalog(&self) -> CatalogFile {
        self.committed().clone()
    }

    /// Fails when `change` may not be made: the database is read-only.
    /// Settings are allowed (and kept in memory only).
    pub fn check_writable(&self, change: &StoredChange) -> Result<()> {
        if self.mode == OpenMode::ReadOnly && !matches!(change, StoredChange::Set { .. }) {
            return Err(QuiverError::Plan(format!(
                "the database '{}' is open read-only; this statement would change it",
                self.dir.display()
            )));
        }
        Ok(())
    }

    /// Reads a stored table's rows and schema.
    pub fn read_table(&self, files: &[String]) -> Result<(SchemaRef, Vec<RecordBatch>)> {
        let mut schema = None;
        let mut batches = vec![];
        for file in files {
            let path = self.dir.join(file);
            let failed = |e: String| {
                QuiverError::Io(format!(
                    "the database directory '{}' is corrupt: reading '{file}': {e}",
                    self.dir.display()
                ))
            };
            let opened = std::fs::File::open(&path).map_err(|e| failed(e.to_string()))?;
            let builder = ParquetRecordBatchReaderBuilder::try_new(opened)
                .map_err(|e| failed(e.to_string()))?;
            schema.get_or_insert_with(|| Arc::clone(builder.schema()));
            for batch in builder.build().map_err(|e| failed(e.to_string()))? {
                batches.push(batch.map_err(|e| failed(e.to_string()))?);
            }
        }
        let schema = schema.ok_or_else(|| {
            QuiverError::Io(format!(
                "the database directory '{}' is corrupt: a table has no data file",
                self.dir.display()
            ))
        })?;
        Ok((schema, batches))
    }

    /// Stores what `changes` did to the session's `catalog` and commits
    /// them together.
    pub fn commit(&self, changes: Vec<StoredChange>, catalog: &Catalog) -> Result<()> {
        if self.mode == OpenMode::ReadOnly {
            return Ok(());
        }
        let mut committed = self.committed();
        let mut next = committed.clone();
        for change in changes {
            self.apply(&mut next, change, catalog)?;
        }
        self.switch(&mut committed, next)
    }

    /// Changes `next` (writing any data files) as `change` changed `catalog`.
    fn apply(&self, next: &mut CatalogFile, change: StoredChange, catalog: &Catalog) -> Result<()> {
        match change {
            StoredChange::Rows(name) => self.store_whole_table(next, catalog, &name)?,
            StoredChange::Append(name) => {
                let stored = next.find(&name).and_then(|i| match &next.objects[i] {
                    StoredObject::Table { rows, .. } => Some((i, *rows)),
                    _ => None,
                });
                match stored {
                    None => self.store_whole_table(next, catalog, &name)?,
                    Some((index, before)) => {
                        self.store_appended_rows(next, catalog, &name, index, before)?
                    }
                }
            }
            StoredChange::Rename { from, to } => {
                if let Some(i) = next.find(&from) {
                    next.objects[i].rename(&to);
                }
            }
            StoredChange::View { name, sql } => put(next, StoredObject::View { name, sql }),
            StoredChange::ExternalTable { name, sql } => {
                put(next, StoredObject::ExternalTable { name, sql })
            }
            StoredChange::Macro { name, sql } => put(next, StoredObject::Macro { name, sql }),
            StoredChange::Drop(name) => {
                if catalog.get(&name).is_none() {
                    if let Some(i) = next.find(&name) {
                        next.objects.remove(i);
                    }
                }
            }
            StoredChange::Set { name, value } => {
                next.settings
                    .retain(|(n, _)| !n.eq_ignore_ascii_case(&name));
                next.settings.push((name, value));
            }
            StoredChange::Schema(name) => {
                if !next.schemas.iter().any(|s| s.eq_ignore_ascii_case(&name)) {
                    next.schemas.push(name);
                }
            }
            StoredChange::DropSchema(name) => {
                if !catalog.has_schema(&name) {
                    let prefix = format!("{}.", name.to_lowercase());
                    next.schemas.retain(|s| !s.eq_ignore_ascii_case(&name));
                    next.objects
                        .retain(|o| !o.name().to_lowercase().starts_with(&prefix));
                }
            }
        }
        Ok(())
    }

    /// Stores the whole of the table `name` in a new data file.
    fn store_whole_table(
        &self,
        next: &mut CatalogFile,
        catalog: &Catalog,
        name: &str,
    ) -> Result<()> {
        let Some(held) = held_rows(catalog, name, 0) else {
            return Ok(());
        };
        let files = self.write_data_files(next, held.schema, &held.batches)?;
        let table = StoredObject::Table {
            name: name.to_string(),
            defaults: held.defaults,
            files,
            rows: held.rows,
            keys: held
                .keys
                .into_iter()
                .map(|k| (k.columns, k.primary))
                .collect(),
            checks: held.checks,
        };
        put(next, table);
        Ok(())
    }

    /// Stores the rows of the table `name` past the `before` already stored
    /// (as its object `index` of `next` says) in a new data file.
    fn store_appended_rows(
        &self,
        next: &mut CatalogFile,
        catalog: &Catalog,
        name: &str,
        index: usize,
        before: usize,
    ) -> Result<()> {
        let Some(held) = held_rows(catalog, name, before) else {
            return Ok(());
        };
        let added: usize = held.batches.iter().map(RecordBatch::num_rows).sum();
        if added == 0 {
            return Ok(());
        }
        let new_files = self.write_data_files(next, held.schema, &held.batches)?;
        if let StoredObject::Table { files, rows, .. } = &mut next.objects[index] {
            files.extend(new_files);
            *rows += added;
        }
        Ok(())
    }

    /// Commits `next` and removes the data files only `committed` used.
    fn switch(&self, committed: &mut CatalogFile, next: CatalogFile) -> Result<()> {
        if *committed == next {
            return Ok(());
        }
        next.commit(&self.dir)?;
        let unused: Vec<String> = committed
            .files()
            .difference(&next.files())
            .cloned()
            .collect();
        *committed = next;
        for file in unused {
            // A file left here is removed at the next open.
            let _ = std::fs::remove_file(self.dir.join(file));
        }
        Ok(())
    }

    /// Writes `batches` to new data files, flushed to disk, and returns
    /// their names relative to the directory, in row order. Large writes are
    /// split into contiguous parts written on threads of their own, one per
    /// core; the first file exists even for no rows (it keeps the schema).
    fn write_data_files(
        &self,
        catalog: &mut CatalogFile,
        schema: SchemaRef,
        batches: &[RecordBatch],
    ) -> Result<Vec<String>> {
        let parts = split_rows(batches, self.parallelism);
        let names: Vec<String> = (0..parts.len())
            .map(|_| {
                let name = format!("{DATA_DIRECTORY}/{}.parquet", catalog.next_file);
                catalog.next_file += 1;
                name
            })
            .collect();
        std::thread::scope(|scope| {
            let writers: Vec<_> = names
                .iter()
                .zip(&parts)
                .map(|(name, part)| {
                    let path = self.dir.join(name);
                    let schema = Arc::clone(&schema);
                    scope.spawn(move || write_parquet(&path, schema, part))
                })
                .collect();
            writers.into_iter().try_for_each(|writer| {
                writer.join().unwrap_or_else(|_| {
                    Err(QuiverError::Internal("a data file writer panicked".into()))
                })
            })
        })?;
        sync_directory(&self.dir.join(DATA_DIRECTORY))
            .map_err(|e| QuiverError::Io(format!("cannot flush '{}': {e}", self.dir.display())))?;
        Ok(names)
    }

    /// Removes what a crash may have left: data files the catalog does not
    /// name, and a half-written catalog.
    fn remove_leftovers(&self) -> Result<()> {
        let used = self.committed().files();
        let data = self.dir.join(DATA_DIRECTORY);
        let Ok(entries) = std::fs::read_dir(&data) else {
            return Ok(());
        };
        for entry in entries.flatten() {
            let name = format!("{DATA_DIRECTORY}/{}", entry.file_name().to_string_lossy());
            if !used.contains(&name) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
        let _ = std::fs::remove_file(self.dir.join(format!("{CATALOG_FILE}.tmp")));
        Ok(())
    }
}

/// One data file per core.
fn default_parallelism() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Rows below which a write goes to one file.
const ROWS_PER_PART: usize = 1 << 20;

/// `batches` in at most `parts` contiguous groups of about equal rows, none
/// smaller than [`ROWS_PER_PART`] unless it is the only one; one (maybe
/// empty) group at least.
fn split_rows(batches: &[RecordBatch], parts: usize) -> Vec<Vec<RecordBatch>> {
    let total: usize = batches.iter().map(RecordBatch::num_rows).sum();
    let parts = parts.clamp(1, total.div_ceil(ROWS_PER_PART).max(1));
    let per_part = total.div_ceil(parts).max(1);
    let mut groups = vec![vec![]];
    let mut in_group = 0;
    for batch in batches {
        let mut offset = 0;
        while offset < batch.num_rows() {
            if in_group == per_part {
                groups.push(vec![]);
                in_group = 0;
            }
            let take = (batch.num_rows() - offset).min(per_part - in_group);
            groups
                .last_mut()
                .expect("a group")
                .push(batch.slice(offset, take));
            offset += take;
            in_group += take;
        }
    }
    groups
}

/// Writes `batches` as the Parquet file `path` and flushes it to disk.
fn write_parquet(path: &Path, schema: SchemaRef, batches: &[RecordBatch]) -> Result<()> {
    let failed = |e: String| QuiverError::Io(format!("cannot write '{}': {e}", path.display()));
    let file = std::fs::File::create(path).map_err(|e| failed(e.to_string()))?;
    // LZ4: several times faster to write than zstd, for a little more disk.
    let properties = WriterProperties::builder()
        .set_compression(Compression::LZ4_RAW)
        .build();
    let mut writer =
        ArrowWriter::try_new(file, schema, Some(properties)).map_err(|e| failed(e.to_string()))?;
    for batch in batches {
        writer.write(batch).map_err(|e| failed(e.to_string()))?;
    }
    let file = writer.into_inner().map_err(|e| failed(e.to_string()))?;
    file.sync_all().map_err(|e| failed(e.to_string()))
}

/// Puts `object` in the catalog: in place of one with its name (moved to the
/// end, since it may now refer to objects made after the old one), or last.
fn put(catalog: &mut CatalogFile, object: StoredObject) {
    if let Some(i) = catalog.find(object.name()) {
        catalog.objects.remove(i);
    }
    catalog.objects.push(object);
}

/// What a stored table's commit needs from the table Quiver holds.
struct HeldRows {
    /// Each column's `DEFAULT` as SQL text.
    defaults: Vec<Option<String>>,
    /// All its rows.
    rows: usize,
    /// The rows asked for.
    batches: Vec<RecordBatch>,
    schema: SchemaRef,
    /// Its key constraints.
    keys: Vec<UniqueKey>,
    /// Its `CHECK` constraints.
    checks: Vec<String>,
}

/// The table `name` of `catalog` when Quiver holds its rows, with its rows
/// past the first `skip`.
fn held_rows(catalog: &Catalog, name: &str, skip: usize) -> Option<HeldRows> {
    let Some(CatalogEntry::Table(table)) = catalog.get(name) else {
        return None;
    };
    let batches = table.stored_rows(skip)?;
    let schema = table.schema();
    let defaults = (0..schema.fields().len())
        .map(|i| table.column_default(i))
        .collect();
    let rows = table.exact_rows().unwrap_or(0);
    Some(HeldRows {
        defaults,
        rows,
        batches,
        schema,
        keys: table.unique_keys(),
        checks: table.check_constraints(),
    })
}

impl SessionContext {
    /// Opens the database directory at `path` for this session: its tables,
    /// views, external tables and settings appear, and from then on every
    /// statement that changes them is stored there. A session has at most
    /// one database.
    ///
    /// A view or external table that cannot be made again (it reads a
    /// table since renamed or dropped, or files that are gone) does not stop
    /// the open: it is left out of the session, stays stored, and comes back
    /// in the returned list of problems.
    pub async fn open_database(&self, path: &str, mode: OpenMode) -> Result<Vec<QuiverError>> {
        if self.database().is_some() {
            return Err(QuiverError::Plan(
                "this session already has a database open".into(),
            ));
        }
        let database = Database::open(Path::new(path), mode)?;
        let stored = database.catalog();
        for (name, value) in &stored.settings {
            self.set(name, value)?;
        }
        let mut problems = vec![];
        for schema in &stored.schemas {
            self.state().catalog.create_schema(schema, true)?;
        }
        for object in &stored.objects {
            match object {
                StoredObject::Table {
                    name,
                    defaults,
                    files,
                    keys,
                    checks,
                    ..
                } => {
                    let (schema, batches) = database.read_table(files)?;
                    let keys = keys
                        .iter()
                        .map(|(columns, primary)| UniqueKey {
                            columns: columns.clone(),
                            primary: *primary,
                        })
                        .collect();
                    let table = MemTable::try_with_batches(schema, batches)?
                        .with_defaults(defaults.clone())
                        .with_keys(keys)
                        .with_checks(checks.clone());
                    self.register_table(name, Arc::new(table))?;
                }
                StoredObject::View { name, sql }
                | StoredObject::ExternalTable { name, sql }
                | StoredObject::Macro { name, sql } => {
                    if let Err(e) = self.sql(sql).await {
                        problems.push(
                            e.context(format!("\"{name}\" of the database '{path}' is left out")),
                        );
                    }
                }
            }
        }
        self.state()
            .database
            .set(Arc::new(database))
            .map_err(|_| QuiverError::Plan("this session already has a database open".into()))?;
        Ok(problems)
    }

    /// The database directory this session stores its tables in, if any.
    pub fn database(&self) -> Option<&Arc<Database>> {
        self.state().database.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::Int64Array;
    use arrow::datatypes::{DataType, Field, Schema};

    fn batch(rows: usize) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, false)]));
        let values: Vec<i64> = (0..rows as i64).collect();
        RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(values))]).unwrap()
    }

    fn sizes(groups: &[Vec<RecordBatch>]) -> Vec<usize> {
        groups
            .iter()
            .map(|g| g.iter().map(RecordBatch::num_rows).sum())
            .collect()
    }

    #[test]
    fn large_writes_split_into_contiguous_parts() {
        let big = vec![batch(ROWS_PER_PART), batch(ROWS_PER_PART), batch(3)];
        let groups = split_rows(&big, 2);
        assert_eq!(sizes(&groups), vec![ROWS_PER_PART + 2, ROWS_PER_PART + 1]);
        assert_eq!(sizes(&split_rows(&[batch(10)], 4)), vec![10]);
        assert_eq!(sizes(&split_rows(&[], 4)), vec![0]);
    }
}
