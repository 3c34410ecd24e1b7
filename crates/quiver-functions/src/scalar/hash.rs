//! `hash(a, b, …)`: a UBIGINT hash of the argument values together, the
//! same for equal values in any run of the same build (NULL hashes too), as
//! DuckDB's `hash`. Seeded samples (`TABLESAMPLE … REPEATABLE (seed)`)
//! draw from it.

use std::sync::Arc;

use arrow::array::{ArrayRef, UInt64Array};
use arrow::datatypes::DataType;
use arrow::row::{RowConverter, SortField};
use quiver_expr::{ColumnarValue, QuiverError, Result, ScalarFunction};

use super::{result_rows, shaped};

/// `hash(…)`.
#[derive(Debug)]
pub struct Hash;

/// FNV-1a over `bytes`, then a final avalanche (splitmix64's), so that
/// nearby values spread over the whole range.
fn stable_hash(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

impl ScalarFunction for Hash {
    fn name(&self) -> &str {
        "hash"
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if arg_types.is_empty() {
            return Err(QuiverError::Plan(
                "function hash needs at least one argument".into(),
            ));
        }
        Ok(arg_types.to_vec())
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::UInt64)
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        let rows = result_rows(args, num_rows);
        let columns = args
            .iter()
            .map(|a| a.to_array(rows))
            .collect::<Result<Vec<ArrayRef>>>()?;
        let fields = columns
            .iter()
            .map(|c| SortField::new(c.data_type().clone()))
            .collect();
        let encoded = RowConverter::new(fields)?.convert_columns(&columns)?;
        let hashes: UInt64Array = (0..rows)
            .map(|row| Some(stable_hash(encoded.row(row).as_ref())))
            .collect();
        shaped(args, Arc::new(hashes))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, Int64Array, StringArray};
    use quiver_expr::ScalarValue;

    #[test]
    fn equal_values_hash_alike_and_nulls_hash_too() {
        let ints = ColumnarValue::Array(Arc::new(Int64Array::from(vec![Some(1), Some(1), None])));
        let strings = ColumnarValue::Array(Arc::new(StringArray::from(vec!["a", "a", "a"])));
        let ColumnarValue::Array(out) = Hash.invoke(&[ints, strings], 3).unwrap() else {
            panic!("an array");
        };
        let out = out.as_any().downcast_ref::<UInt64Array>().unwrap();
        assert_eq!(out.value(0), out.value(1));
        assert_ne!(out.value(0), out.value(2));
        assert_eq!(out.null_count(), 0);
        let one = Hash
            .invoke(&[ColumnarValue::Scalar(ScalarValue::Int64(Some(1)))], 1)
            .unwrap();
        let again = Hash
            .invoke(&[ColumnarValue::Scalar(ScalarValue::Int64(Some(1)))], 1)
            .unwrap();
        assert_eq!(format!("{one:?}"), format!("{again:?}"));
    }
}
