//! The tables, views and macros a session knows, by case-insensitive name.

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
/// are looked up ignoring case.
#[derive(Debug, Default)]
pub struct Catalog {
    entries: RwLock<HashMap<String, (String, CatalogEntry)>>,
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

    /// Adds `entry` as `name`. Errors if the name is taken, unless `replace`.
    pub fn insert(&self, name: &str, entry: CatalogEntry, replace: bool) -> Result<()> {
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

    /// Every entry with its name, to put back with [`Catalog::restore`].
    pub fn snapshot(&self) -> Vec<(String, CatalogEntry)> {
        self.read().values().cloned().collect()
    }

    /// Makes the catalog hold exactly `entries` again.
    pub fn restore(&self, entries: Vec<(String, CatalogEntry)>) {
        *self.write() = entries
            .into_iter()
            .map(|(name, entry)| (name.to_lowercase(), (name, entry)))
            .collect();
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
