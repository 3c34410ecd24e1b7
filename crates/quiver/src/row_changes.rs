//! Applies an `UPDATE` or `DELETE` plan's result to a table: the plan gives
//! every row of the table with a last BOOLEAN column flagging the rows the
//! statement changes (see `Ddl::ChangeRows`).

use arrow::array::{AsArray, BooleanArray};
use arrow::compute::{filter_record_batch, not};
use arrow::record_batch::RecordBatch;
use quiver_expr::{QuiverError, Result};

/// The table's new rows (without the flag column; without the flagged rows
/// for a DELETE) and how many rows the statement changed.
pub(crate) fn apply(batches: Vec<RecordBatch>, delete: bool) -> Result<(Vec<RecordBatch>, u64)> {
    let mut rows = Vec::with_capacity(batches.len());
    let mut changed = 0u64;
    for batch in batches {
        let Some(last) = batch.num_columns().checked_sub(1) else {
            return Err(QuiverError::Internal(
                "a row change without its flag".into(),
            ));
        };
        let mut kept = batch;
        let flag_column = kept.remove_column(last);
        let flags: &BooleanArray = flag_column.as_boolean();
        changed += flags.true_count() as u64;
        if delete {
            kept = filter_record_batch(&kept, &not(flags)?)?;
        }
        rows.push(kept);
    }
    Ok((rows, changed))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{ArrayRef, Int64Array};

    use super::*;

    fn batch() -> RecordBatch {
        let values: ArrayRef = Arc::new(Int64Array::from(vec![1, 2, 3]));
        let flags: ArrayRef = Arc::new(BooleanArray::from(vec![true, false, true]));
        RecordBatch::try_from_iter([("x", values), ("__changed", flags)]).unwrap()
    }

    #[test]
    fn a_delete_drops_the_flagged_rows_and_counts_them() {
        let (rows, changed) = apply(vec![batch()], true).unwrap();
        assert_eq!(changed, 2);
        assert_eq!(rows[0].num_columns(), 1);
        let kept = rows[0]
            .column(0)
            .as_primitive::<arrow::datatypes::Int64Type>();
        assert_eq!(kept.values().to_vec(), vec![2]);
    }

    #[test]
    fn an_update_keeps_every_row_and_counts_the_flagged() {
        let (rows, changed) = apply(vec![batch()], false).unwrap();
        assert_eq!(changed, 2);
        assert_eq!(rows[0].num_rows(), 3);
        assert_eq!(rows[0].num_columns(), 1);
    }
}
