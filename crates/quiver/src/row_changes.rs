//! Reads the result of an `UPDATE` plan: every row of the table with a
//! last BOOLEAN column flagging the rows the statement changed (see
//! `Ddl::ChangeRows`).

use arrow::array::AsArray;
use arrow::record_batch::RecordBatch;
use quiver_expr::{QuiverError, Result};

/// The table's new rows (without the flag column) and how many rows the
/// statement changed.
pub(crate) fn updated(batches: Vec<RecordBatch>) -> Result<(Vec<RecordBatch>, u64)> {
    let mut rows = Vec::with_capacity(batches.len());
    let mut changed = 0u64;
    for mut batch in batches {
        let Some(last) = batch.num_columns().checked_sub(1) else {
            return Err(QuiverError::Internal(
                "a row change without its flag".into(),
            ));
        };
        let flags = batch.remove_column(last);
        changed += flags.as_boolean().true_count() as u64;
        rows.push(batch);
    }
    Ok((rows, changed))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{ArrayRef, BooleanArray, Int64Array};

    use super::*;

    #[test]
    fn an_update_keeps_every_row_and_counts_the_flagged() {
        let values: ArrayRef = Arc::new(Int64Array::from(vec![1, 2, 3]));
        let flags: ArrayRef = Arc::new(BooleanArray::from(vec![true, false, true]));
        let batch = RecordBatch::try_from_iter([("x", values), ("__changed", flags)]).unwrap();
        let (rows, changed) = updated(vec![batch]).unwrap();
        assert_eq!(changed, 2);
        assert_eq!(rows[0].num_rows(), 3);
        assert_eq!(rows[0].num_columns(), 1);
    }
}
