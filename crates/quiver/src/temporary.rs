//! Temporary tables, views and macros (`CREATE TEMP …`): they live in the
//! session's catalog like any other, but their names are kept in a set so
//! that no change to them reaches the session's database directory. A
//! temporary object cannot take the name of a permanent one (DuckDB keeps
//! them in a schema of their own; Quiver has one schema).

use std::collections::HashSet;
use std::sync::RwLockWriteGuard;

use quiver_expr::logical_plan::Ddl;
use quiver_expr::{QuiverError, Result};

use crate::context::SessionContext;
use crate::database::StoredChange;

impl SessionContext {
    fn temporary_names(&self) -> RwLockWriteGuard<'_, HashSet<String>> {
        self.state()
            .temporary
            .write()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Whether `name` is a temporary object of this session.
    pub fn is_temporary(&self, name: &str) -> bool {
        self.temporary_names().contains(&name.to_lowercase())
    }

    /// Fails when `name` is taken by a permanent object.
    pub(crate) fn check_temporary_name(&self, name: &str) -> Result<()> {
        let taken = self.state().catalog.get(name).is_some();
        if taken && !self.is_temporary(name) {
            return Err(QuiverError::Plan(format!(
                "\"{name}\" is a permanent object; a temporary one cannot take its name"
            )));
        }
        Ok(())
    }

    /// Notes that `name` was created as a temporary object.
    pub(crate) fn add_temporary(&self, name: &str) {
        self.temporary_names().insert(name.to_lowercase());
    }

    /// Whether the statement `ddl`, which changes the database as
    /// `change`, concerns only the session: it changes a temporary object
    /// (creating a permanent one of the same name does not).
    pub(crate) fn stays_in_session(&self, ddl: &Ddl, change: &StoredChange) -> bool {
        !creates_permanent(ddl) && change.object().is_some_and(|name| self.is_temporary(name))
    }

    /// Keeps the temporary names current after `ddl` made `change`: a
    /// dropped one goes, a renamed one follows, and a permanent object
    /// made in a temporary one's place is permanent.
    pub(crate) fn track_temporary(&self, ddl_created_permanent: bool, change: &StoredChange) {
        let mut names = self.temporary_names();
        match change {
            StoredChange::Rename { from, to } if names.remove(&from.to_lowercase()) => {
                names.insert(to.to_lowercase());
            }
            StoredChange::Drop(name) => {
                names.remove(&name.to_lowercase());
            }
            other if ddl_created_permanent => {
                if let Some(name) = other.object() {
                    names.remove(&name.to_lowercase());
                }
            }
            _ => {}
        }
    }
}

/// Whether `ddl` creates a permanent table, view or macro.
pub(crate) fn creates_permanent(ddl: &Ddl) -> bool {
    matches!(
        ddl,
        Ddl::CreateTable { .. }
            | Ddl::CreateView { .. }
            | Ddl::CreateMacro { .. }
            | Ddl::CreateExternalTable { .. }
    )
}
