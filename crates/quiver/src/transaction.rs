//! Explicit transactions: `BEGIN` … `COMMIT` or `ROLLBACK`. The session's
//! catalog is saved at `BEGIN` (entries, and the rows of the tables Quiver
//! holds, which are shared, not copied); `ROLLBACK` puts it back. With a
//! database directory, the statements' changes are stored together, in one
//! commit, at `COMMIT`. After a statement fails inside a transaction, only
//! `ROLLBACK` or `COMMIT` is accepted, and both roll back, as in DuckDB and
//! PostgreSQL.
//! Settings are not part of transactions.

use arrow::record_batch::RecordBatch;
use quiver_expr::{QuiverError, Result};

use crate::catalog::{Catalog, CatalogEntry, CatalogSnapshot};
use crate::database::StoredChange;

/// An open transaction.
#[derive(Debug)]
pub struct Transaction {
    /// The catalog at `BEGIN`.
    saved: CatalogSnapshot,
    /// The rows then of each table Quiver holds, by its place in the saved
    /// entries.
    rows: Vec<(usize, Vec<RecordBatch>)>,
    /// What the transaction's statements changed, for the database.
    pending: Vec<StoredChange>,
    /// A statement failed.
    aborted: bool,
}

impl Transaction {
    /// Starts a transaction over `catalog` as it is now.
    pub fn begin(catalog: &Catalog) -> Self {
        let saved = catalog.snapshot();
        let rows = saved
            .entries()
            .iter()
            .enumerate()
            .filter_map(|(i, (_, entry))| match entry {
                CatalogEntry::Table(table) => table.stored_rows(0).map(|rows| (i, rows)),
                CatalogEntry::View(_) | CatalogEntry::Macro(_) => None,
            })
            .collect();
        Self {
            saved,
            rows,
            pending: vec![],
            aborted: false,
        }
    }

    /// Fails when an earlier statement failed.
    pub fn check_usable(&self) -> Result<()> {
        if self.aborted {
            return Err(QuiverError::Plan(
                "the transaction was aborted by an earlier error; ROLLBACK to end it".into(),
            ));
        }
        Ok(())
    }

    /// A statement of the transaction failed.
    pub fn abort(&mut self) {
        self.aborted = true;
    }

    /// Whether a statement failed.
    pub fn is_aborted(&self) -> bool {
        self.aborted
    }

    /// Notes a change to store at `COMMIT`.
    pub fn defer(&mut self, change: StoredChange) {
        self.pending.push(change);
    }

    /// The changes to store, in order.
    pub fn take_pending(&mut self) -> Vec<StoredChange> {
        std::mem::take(&mut self.pending)
    }

    /// Puts `catalog` back as it was at `BEGIN`.
    pub fn roll_back(self, catalog: &Catalog) -> Result<()> {
        for (i, rows) in self.rows {
            if let CatalogEntry::Table(table) = &self.saved.entries()[i].1 {
                table.replace(rows)?;
            }
        }
        catalog.restore(self.saved);
        Ok(())
    }
}
