//! Reads the result of an `UPDATE` or `DELETE` plan: every row of the
//! table with a last BOOLEAN column flagging the rows the statement changes
//! (see `Ddl::ChangeRows`).

use arrow::array::{AsArray, BooleanArray};
use arrow::compute::{filter_record_batch, not};
use arrow::record_batch::RecordBatch;
use quiver_expr::{QuiverError, Result};

/// What an UPDATE or DELETE does to a table.
pub(crate) struct RowChange {
    /// The table's rows afterwards (without the flag column).
    pub rows: Vec<RecordBatch>,
    /// How many rows the statement changed.
    pub changed: u64,
    /// The changed rows (after an UPDATE, before a DELETE), when asked for.
    pub changed_rows: Vec<RecordBatch>,
}

impl RowChange {
    /// A DELETE whose plan gave the rows that stay, of a table of
    /// `before` rows.
    pub fn staying(rows: Vec<RecordBatch>, before: u64) -> Self {
        let stay: u64 = rows.iter().map(|b| b.num_rows() as u64).sum();
        RowChange {
            rows,
            changed: before.saturating_sub(stay),
            changed_rows: vec![],
        }
    }

    /// Reads flagged `batches`: an UPDATE keeps every row, a DELETE the
    /// unflagged ones; the flagged ones are kept too when `keep_changed`.
    pub fn read(batches: Vec<RecordBatch>, delete: bool, keep_changed: bool) -> Result<Self> {
        let mut change = RowChange {
            rows: Vec::with_capacity(batches.len()),
            changed: 0,
            changed_rows: vec![],
        };
        for mut batch in batches {
            let Some(last) = batch.num_columns().checked_sub(1) else {
                return Err(QuiverError::Internal(
                    "a row change without its flag".into(),
                ));
            };
            let flags = batch.remove_column(last);
            let flags: &BooleanArray = flags.as_boolean();
            change.changed += flags.true_count() as u64;
            if keep_changed {
                change
                    .changed_rows
                    .push(filter_record_batch(&batch, flags)?);
            }
            change.rows.push(match delete {
                true => filter_record_batch(&batch, &not(flags)?)?,
                false => batch,
            });
        }
        Ok(change)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{ArrayRef, BooleanArray, Int64Array};

    use super::*;

    #[test]
    fn updates_keep_every_row_and_deletes_the_unflagged_ones() {
        let values: ArrayRef = Arc::new(Int64Array::from(vec![1, 2, 3]));
        let flags: ArrayRef = Arc::new(BooleanArray::from(vec![true, false, true]));
        let batch = RecordBatch::try_from_iter([("x", values), ("__changed", flags)]).unwrap();
        let update = RowChange::read(vec![batch.clone()], false, false).unwrap();
        assert_eq!(update.changed, 2);
        assert_eq!(update.rows[0].num_rows(), 3);
        assert_eq!(update.rows[0].num_columns(), 1);
        assert!(update.changed_rows.is_empty());
        let delete = RowChange::read(vec![batch], true, true).unwrap();
        assert_eq!(delete.changed, 2);
        assert_eq!(delete.rows[0].num_rows(), 1);
        assert_eq!(delete.changed_rows[0].num_rows(), 2);
    }
}
