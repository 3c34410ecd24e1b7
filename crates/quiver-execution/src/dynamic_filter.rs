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

use arrow::array::{downcast_primitive_array, Array, ArrayRef, AsArray};
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
            let (min, max) = extremes(keys)?;
            KeyRange::Between { min, max, values }
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

/// The smallest and the largest non-NULL value of `keys`, which has one:
/// one pass over the values for numbers, dates, times and strings.
fn extremes(keys: &ArrayRef) -> Result<(ScalarValue, ScalarValue)> {
    let (smallest, largest) = downcast_primitive_array!(
        keys => extreme_positions(keys.iter()),
        DataType::Utf8 => extreme_positions(keys.as_string::<i32>().iter()),
        DataType::LargeUtf8 => extreme_positions(keys.as_string::<i64>().iter()),
        DataType::Utf8View => extreme_positions(keys.as_string_view().iter()),
        _ => (sorted_first(keys, false)?, sorted_first(keys, true)?),
    );
    Ok((
        ScalarValue::try_from_array(keys, smallest)?,
        ScalarValue::try_from_array(keys, largest)?,
    ))
}

/// The positions of the smallest and the largest non-NULL value.
fn extreme_positions<T: PartialOrd + Copy>(
    values: impl Iterator<Item = Option<T>>,
) -> (usize, usize) {
    let mut smallest: Option<(usize, T)> = None;
    let mut largest: Option<(usize, T)> = None;
    for (i, v) in values.enumerate() {
        let Some(v) = v else { continue };
        if smallest.is_none_or(|(_, s)| v < s) {
            smallest = Some((i, v));
        }
        if largest.is_none_or(|(_, l)| v > l) {
            largest = Some((i, v));
        }
    }
    (
        smallest.map_or(0, |(i, _)| i),
        largest.map_or(0, |(i, _)| i),
    )
}

/// The position of the first non-NULL value of `keys` in ascending (or
/// descending) order, for types without a faster way.
fn sorted_first(keys: &ArrayRef, descending: bool) -> Result<usize> {
    let options = SortOptions {
        descending,
        nulls_first: false,
    };
    Ok(sort_to_indices(keys.as_ref(), Some(options), Some(1))?.value(0) as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Float64Array, Int32Array, StringViewArray};

    #[test]
    fn a_filter_reads_as_nothing_until_set_then_as_the_key_range() {
        let filter = DynamicFilter::new("k");
        assert_eq!(filter.conjuncts(), None);
        let keys: ArrayRef = Arc::new(Int32Array::from(vec![
            Some(7),
            None,
            Some(3),
            Some(9),
            Some(5),
        ]));
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
    fn extremes_are_found_in_any_order() {
        for values in [vec![9, 7, 3], vec![3, 7, 9], vec![7, 3, 9, 1], vec![4]] {
            let keys: ArrayRef = Arc::new(Int32Array::from(values.clone()));
            let (min, max) = extremes(&keys).unwrap();
            let expect = |v: Option<&i32>| ScalarValue::Int32(v.copied());
            assert_eq!(min, expect(values.iter().min()), "{values:?}");
            assert_eq!(max, expect(values.iter().max()), "{values:?}");
        }
        let strings: ArrayRef = Arc::new(StringViewArray::from(vec![
            Some("m"),
            None,
            Some("b"),
            Some("z"),
        ]));
        let (min, max) = extremes(&strings).unwrap();
        assert_eq!(min, ScalarValue::Utf8View(Some("b".into())));
        assert_eq!(max, ScalarValue::Utf8View(Some("z".into())));
    }

    #[test]
    fn float_keys_leave_the_filter_unset() {
        let keys: ArrayRef = Arc::new(Float64Array::from(vec![0.0, -0.0]));
        let filter = DynamicFilter::new("f");
        filter.set_from_keys(&keys, None).unwrap();
        assert_eq!(filter.range(), None);
    }
}
