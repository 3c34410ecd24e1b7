//! Filters that become known while a query runs. A hash join reads its
//! whole build side before it reads a single probe row; once it has, the
//! range of the build keys (and, when there are few, the keys themselves)
//! says which probe rows can possibly match. The join publishes that range
//! in a [`DynamicFilter`] shared with the scan at the bottom of its probe
//! side, and the scan skips the row groups and pages that the range rules
//! out (by min/max statistics, the page index and bloom filters) before it
//! reads them. The join itself still compares every probe row, so a scan
//! that reads more than needed (because it started before the range was
//! known, or cannot use it) is only slower, never wrong.

use std::sync::{Arc, OnceLock};

use arrow::array::{Array, ArrayRef};
use arrow::compute::{sort_to_indices, SortOptions};
use arrow::datatypes::DataType;
use quiver_expr::{Column, Expr, Operator, Result, ScalarValue};

/// Build keys up to this many distinct values are also published as a
/// list, which bloom filters can check one by one.
pub const MAX_LISTED_KEYS: usize = 32;

/// What the build side's keys allow on the probe side.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyRange {
    /// The build side has no non-NULL key: no probe row can match.
    Empty,
    /// Every build key lies in `min..=max`; `values` lists them when there
    /// are at most [`MAX_LISTED_KEYS`].
    Between {
        /// The smallest key.
        min: ScalarValue,
        /// The largest key.
        max: ScalarValue,
        /// The distinct keys, when few.
        values: Option<Vec<ScalarValue>>,
    },
}

/// A range on one column of a scan, set once by a join while the query
/// runs. Until it is set, the scan reads as if it were not there.
#[derive(Debug)]
pub struct DynamicFilter {
    column: String,
    range: OnceLock<KeyRange>,
}

impl DynamicFilter {
    /// A filter, not set yet, on the scanned table's column `column`.
    pub fn new(column: impl Into<String>) -> Arc<Self> {
        Arc::new(Self {
            column: column.into(),
            range: OnceLock::new(),
        })
    }

    /// The table column the filter is on.
    pub fn column(&self) -> &str {
        &self.column
    }

    /// Sets the filter from the build side's key column `keys` and its
    /// distinct keys' row positions (`None` when there are many). Keys of a
    /// type without a usable order (floats, whose `-0.0` and `0.0` and NaNs
    /// compare unlike their statistics, and nested types) leave it unset.
    pub fn set_from_keys(&self, keys: &ArrayRef, distinct_rows: Option<&[u32]>) -> Result<()> {
        if !has_usable_order(keys.data_type()) {
            return Ok(());
        }
        let range = if keys.null_count() == keys.len() {
            KeyRange::Empty
        } else {
            let values = distinct_rows
                .map(|rows| {
                    rows.iter()
                        .map(|&r| ScalarValue::try_from_array(keys, r as usize))
                        .collect::<std::result::Result<Vec<_>, _>>()
                })
                .transpose()?;
            KeyRange::Between {
                min: extreme(keys, false)?,
                max: extreme(keys, true)?,
                values,
            }
        };
        // Set once: a second build (there is none for a shared build) would
        // publish the same keys.
        let _ = self.range.set(range);
        Ok(())
    }

    /// The range, once set.
    pub fn range(&self) -> Option<&KeyRange> {
        self.range.get()
    }

    /// The filter as conjuncts over the bare column, once set: `FALSE` when
    /// nothing can match, else `column >= min`, `column <= max` and, with
    /// few keys, `column IN (keys)`.
    pub fn conjuncts(&self) -> Option<Vec<Expr>> {
        let column = || Box::new(Expr::Column(Column::bare(&self.column)));
        Some(match self.range.get()? {
            KeyRange::Empty => vec![Expr::Literal(ScalarValue::Boolean(Some(false)))],
            KeyRange::Between { min, max, values } => {
                let literal = |v: &ScalarValue| Box::new(Expr::Literal(v.clone()));
                let mut conjuncts = vec![
                    Expr::Binary(column(), Operator::GtEq, literal(min)),
                    Expr::Binary(column(), Operator::LtEq, literal(max)),
                ];
                if let Some(values) = values {
                    conjuncts.push(Expr::InList {
                        expr: column(),
                        list: values.iter().map(|v| Expr::Literal(v.clone())).collect(),
                        negated: false,
                    });
                }
                conjuncts
            }
        })
    }
}

/// Whether keys of `data_type` compare in the order their statistics do.
fn has_usable_order(data_type: &DataType) -> bool {
    use DataType::*;
    matches!(
        data_type,
        Int8 | Int16
            | Int32
            | Int64
            | UInt8
            | UInt16
            | UInt32
            | UInt64
            | Date32
            | Date64
            | Decimal128(_, _)
            | Decimal256(_, _)
            | Timestamp(_, _)
            | Utf8
            | LargeUtf8
            | Utf8View
            | Binary
            | LargeBinary
            | BinaryView
    )
}

/// The smallest (or with `largest`, the largest) non-NULL value of `keys`,
/// which has one.
fn extreme(keys: &ArrayRef, largest: bool) -> Result<ScalarValue> {
    let options = SortOptions {
        descending: largest,
        nulls_first: false,
    };
    let first = sort_to_indices(keys.as_ref(), Some(options), Some(1))?;
    Ok(ScalarValue::try_from_array(keys, first.value(0) as usize)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Float64Array, Int32Array, StringViewArray};

    #[test]
    fn a_filter_reads_as_nothing_until_set_then_as_the_key_range() {
        let filter = DynamicFilter::new("k");
        assert_eq!(filter.conjuncts(), None);
        let keys: ArrayRef = Arc::new(Int32Array::from(vec![Some(7), None, Some(3), Some(9)]));
        filter.set_from_keys(&keys, None).unwrap();
        let text: Vec<String> = filter
            .conjuncts()
            .unwrap()
            .iter()
            .map(|e| e.to_string())
            .collect();
        assert_eq!(text, ["(k >= 3)", "(k <= 9)"]);
    }

    #[test]
    fn few_keys_are_listed_and_no_keys_match_nothing() {
        let keys: ArrayRef = Arc::new(StringViewArray::from(vec!["b", "a", "b"]));
        let filter = DynamicFilter::new("s");
        filter.set_from_keys(&keys, Some(&[0, 1])).unwrap();
        let Some(KeyRange::Between { min, max, values }) = filter.range() else {
            panic!("unset");
        };
        let view = |s: &str| ScalarValue::Utf8View(Some(s.into()));
        assert_eq!((min, max), (&view("a"), &view("b")));
        assert_eq!(values.as_ref().map(Vec::len), Some(2));
        assert_eq!(filter.conjuncts().unwrap().len(), 3);

        let nulls: ArrayRef = Arc::new(Int32Array::from(vec![None, None]));
        let empty = DynamicFilter::new("k");
        empty.set_from_keys(&nulls, Some(&[])).unwrap();
        assert_eq!(empty.range(), Some(&KeyRange::Empty));
    }

    #[test]
    fn float_keys_leave_the_filter_unset() {
        let keys: ArrayRef = Arc::new(Float64Array::from(vec![0.0, -0.0]));
        let filter = DynamicFilter::new("f");
        filter.set_from_keys(&keys, None).unwrap();
        assert_eq!(filter.range(), None);
    }
}
