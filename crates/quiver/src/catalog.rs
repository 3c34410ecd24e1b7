//! The tables, views, macros and schemas a session knows, by
//! case-insensitive name.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use quiver_execution::TableProvider;
use quiver_expr::logical_plan::Macro;
use quiver_expr::suggest::closest_name;
use quiver_expr::{LogicalPlan, QuiverError, Result};

/// What a name in the catalog stands for.
#[derive(Debug, Clone)]
pub enum CatalogEntry {
    /// A table backed by files or memory.
    Table(Arc<dyn TableProvider>),
    /// A stored query.
    View(Arc<LogicalPlan>),
    /// A macro (`CREATE MACRO`).
    Macro(Arc<Macro>),
}

impl CatalogEntry {
    /// "table", "view" or "macro".
    pub fn kind(&self) -> &'static str {
        match self {
            CatalogEntry::Table(_) => "table",
            CatalogEntry::View(_) => "view",
            CatalogEntry::Macro(_) => "macro",
        }
    }
}

/// Tables and views by name. Names keep the case they were created with and
/// are looked up ignoring case. An object of a schema other than `main` is
/// named `schema.name`, and its schema must exist.
#[derive(Debug, Default)]
pub struct Catalog {
    entries: RwLock<HashMap<String, (String, CatalogEntry)>>,
    /// The schemas made with `CREATE SCHEMA`, by lower-case name.
    schemas: RwLock<HashMap<String, String>>,
}

/// The catalog at one moment, to put back with [`Catalog::restore`].
#[derive(Debug, Clone)]
pub struct CatalogSnapshot {
    entries: Vec<(String, CatalogEntry)>,
    schemas: HashMap<String, String>,
}

impl CatalogSnapshot {
    /// The entries with their names.
    pub fn entries(&self) -> &[(String, CatalogEntry)] {
        &self.entries
    }
}

/// The schema part of an object's name (`s` of `s.t`), if it has one.
fn schema_of(name: &str) -> Option<&str> {
    name.split_once('.').map(|(schema, _)| schema)
}

impl Catalog {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, (String, CatalogEntry)>> {
        self.entries
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, (String, CatalogEntry)>> {
        self.entries
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The entry called `name`.
    pub fn get(&self, name: &str) -> Option<CatalogEntry> {
        self.read()
            .get(&name.to_lowercase())
            .map(|(_, e)| e.clone())
    }

    fn schemas(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, String>> {
        self.schemas
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Whether the schema `name` was made (`main` is not listed).
    pub fn has_schema(&self, name: &str) -> bool {
        self.schemas().contains_key(&name.to_lowercase())
    }

    /// Makes the schema `name`; an error if it exists, unless
    /// `if_not_exists`.
    pub fn create_schema(&self, name: &str, if_not_exists: bool) -> Result<()> {
        let mut schemas = self.schemas();
        match schemas.get(&name.to_lowercase()) {
            Some(_) if if_not_exists => Ok(()),
            Some(existing) => Err(QuiverError::Plan(format!(
                "schema \"{existing}\" already exists"
            ))),
            None => {
                schemas.insert(name.to_lowercase(), name.to_string());
                Ok(())
            }
        }
    }

    /// Drops the schema `name` and, with `cascade`, what it holds (their
    /// names are returned); without, a schema holding anything stays and
    /// that is an error. None when there is no such schema and
    /// `if_exists`.
    pub fn drop_schema(
        &self,
        name: &str,
        if_exists: bool,
        cascade: bool,
    ) -> Result<Option<Vec<String>>> {
        let key = name.to_lowercase();
        if !self.has_schema(name) {
            return match if_exists {
                true => Ok(None),
                false => Err(QuiverError::Plan(format!(
                    "schema \"{name}\" does not exist"
                ))),
            };
        }
        let mut entries = self.write();
        let held: Vec<String> = entries
            .iter()
            .filter(|(k, _)| schema_of(k) == Some(key.as_str()))
            .map(|(_, (n, _))| n.clone())
            .collect();
        if !held.is_empty() && !cascade {
            return Err(QuiverError::Plan(format!(
                "schema \"{name}\" holds {} (\"{}\" …); DROP SCHEMA … CASCADE drops them too",
                held.len(),
                held[0]
            )));
        }
        entries.retain(|k, _| schema_of(k) != Some(key.as_str()));
        self.schemas().remove(&key);
        Ok(Some(held))
    }

    /// Adds `entry` as `name`. Errors if the name is taken, unless `replace`.
    pub fn insert(&self, name: &str, entry: CatalogEntry, replace: bool) -> Result<()> {
        if let Some(schema) = schema_of(name).filter(|s| !self.has_schema(s)) {
            return Err(QuiverError::Plan(format!(
                "schema \"{schema}\" does not exist (CREATE SCHEMA {schema} makes it)"
            )));
        }
        let mut entries = self.write();
        let key = name.to_lowercase();
        if let Some((existing, old)) = entries.get(&key) {
            if !replace {
                return Err(QuiverError::Plan(format!(
                    "{} \"{existing}\" already exists",
                    old.kind()
                )));
            }
            if old.kind() != entry.kind() {
                return Err(QuiverError::Plan(format!(
                    "\"{existing}\" is a {}, not a {}",
                    old.kind(),
                    entry.kind()
                )));
            }
        }
        entries.insert(key, (name.to_string(), entry));
        Ok(())
    }

    /// Removes the `kind` ("table" or "view") called `name`. Returns false if
    /// there is none and `if_exists` is set.
    pub fn remove(&self, name: &str, kind: &str, if_exists: bool) -> Result<bool> {
        let mut entries = self.write();
        let key = name.to_lowercase();
        match entries.get(&key) {
            Some((_, e)) if e.kind() == kind => {
                entries.remove(&key);
                Ok(true)
            }
            Some((existing, e)) => Err(QuiverError::Plan(format!(
                "\"{existing}\" is a {}; use DROP {}",
                e.kind(),
                e.kind().to_uppercase()
            ))),
            None if if_exists => Ok(false),
            None => {
                let names: Vec<String> = entries.values().map(|(n, _)| n.clone()).collect();
                let mut msg = format!("{kind} \"{name}\" does not exist");
                if let Some(s) = closest_name(name, names.iter().map(String::as_str)) {
                    msg.push_str(&format!("; did you mean \"{s}\"?"));
                }
                Err(QuiverError::Plan(msg))
            }
        }
    }

    /// Every entry and schema, to put back with [`Catalog::restore`].
    pub fn snapshot(&self) -> CatalogSnapshot {
        CatalogSnapshot {
            entries: self.read().values().cloned().collect(),
            schemas: self.schemas().clone(),
        }
    }

    /// Makes the catalog hold exactly what `snapshot` held again.
    pub fn restore(&self, snapshot: CatalogSnapshot) {
        *self.write() = snapshot
            .entries
            .into_iter()
            .map(|(name, entry)| (name.to_lowercase(), (name, entry)))
            .collect();
        *self.schemas() = snapshot.schemas;
    }

    /// The schemas made with `CREATE SCHEMA`, sorted.
    pub fn schema_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.schemas().values().cloned().collect();
        names.sort();
        names
    }

    /// Every table and view: (name, kind), sorted by name.
    pub fn list(&self) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = self
            .read()
            .values()
            .filter(|(_, e)| !matches!(e, CatalogEntry::Macro(_)))
            .map(|(n, e)| (n.clone(), e.kind().to_string()))
            .collect();
        v.sort();
        v
    }
}
