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
//!
//! A filter made with [`DynamicFilter::checking_rows`] (the planner asks
//! for it when an aggregate grouped by the key lies between the scan and the
//! join: a decorrelated subquery, as in TPC-H Q2, Q17 and Q20) also carries,
//! for integer keys, the set of build keys (up to [`MAX_SET_KEYS`]), and the
//! scan drops the rows whose key is not in it as it reads, so the groups
//! nobody joins are never built. Elsewhere a set check would only replace
//! the join's own probe of the same rows, at about the same cost.

use std::sync::{Arc, Mutex, OnceLock};

use arrow::array::{downcast_primitive_array, Array, ArrayRef, AsArray, BooleanArray, Int64Array};
use arrow::buffer::BooleanBuffer;
use arrow::compute::{sort_to_indices, SortOptions};
use arrow::datatypes::{DataType, Int64Type};
use hashbrown::HashSet;
use quiver_expr::{Column, Expr, Operator, Result, ScalarValue};

/// Build keys up to this many distinct values are also published as a
/// list, which bloom filters can check one by one.
pub const MAX_LISTED_KEYS: usize = 32;

/// Integer build keys up to this many distinct values are published as a
/// set that scans check each row against.
pub const MAX_SET_KEYS: usize = 1 << 18;

/// The distinct integer keys of a build side.
#[derive(Debug, Clone)]
pub struct KeySet(HashSet<i64>);

impl KeySet {
    /// The non-NULL values of integer `keys` as a set; `None` for other
    /// types or more than [`MAX_SET_KEYS`] distinct values.
    fn of(keys: &ArrayRef) -> Option<Self> {
        let values = as_i64(keys)?;
        let mut set = HashSet::new();
        for v in values.iter().flatten() {
            set.insert(v);
            if set.len() > MAX_SET_KEYS {
                return None;
            }
        }
        Some(Self(set))
    }

    /// Per row of `column`, whether its value is in the set (NULL: no);
    /// `None` when `column` is not of an integer type.
    pub fn contains_each(&self, column: &ArrayRef) -> Option<BooleanArray> {
        let values = as_i64(column)?;
        let raw = values.values();
        let found = match values.nulls() {
            None => BooleanBuffer::collect_bool(raw.len(), |i| self.0.contains(&raw[i])),
            Some(nulls) => BooleanBuffer::collect_bool(raw.len(), |i| {
                nulls.is_valid(i) && self.0.contains(&raw[i])
            }),
        };
        Some(BooleanArray::new(found, None))
    }
}

/// Whether `distinct` integer keys fill less than half of `min..=max`.
fn is_sparse(min: &ScalarValue, max: &ScalarValue, distinct: usize) -> bool {
    let as_i128 = |v: &ScalarValue| match v.cast_to(&DataType::Int64) {
        Ok(ScalarValue::Int64(Some(v))) => Some(i128::from(v)),
        _ => None,
    };
    match (as_i128(min), as_i128(max)) {
        (Some(lo), Some(hi)) => (distinct as i128) * 2 < hi - lo + 1,
        _ => false,
    }
}

/// A column of integers (up to 64 bits, unsigned up to 32), dates or
/// timestamps as 64-bit integers; `None` for other types.
pub(crate) fn as_i64(column: &ArrayRef) -> Option<Int64Array> {
    use DataType::*;
    if !matches!(
        column.data_type(),
        Int8 | Int16 | Int32 | Int64 | UInt8 | UInt16 | UInt32 | Date32 | Date64 | Timestamp(..)
    ) {
        return None;
    }
    let cast = arrow::compute::cast(column, &Int64).ok()?;
    Some(cast.as_primitive::<Int64Type>().clone())
}

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
    /// Whether to publish the key set for checking rows.
    check_rows: bool,
    range: OnceLock<KeyRange>,
    members: OnceLock<KeySet>,
}

impl DynamicFilter {
    /// A filter, not set yet, on the scanned table's column `column`: a
    /// key range for skipping row groups and pages.
    pub fn new(column: impl Into<String>) -> Arc<Self> {
        Self::with_row_checks(column.into(), false)
    }

    /// A filter like [`DynamicFilter::new`] that also publishes sparse
    /// integer keys as a set for the scan to check each row against.
    pub fn checking_rows(column: impl Into<String>) -> Arc<Self> {
        Self::with_row_checks(column.into(), true)
    }

    fn with_row_checks(column: String, check_rows: bool) -> Arc<Self> {
        Arc::new(Self {
            column,
            check_rows,
            range: OnceLock::new(),
            members: OnceLock::new(),
        })
    }

    /// The table column the filter is on.
    pub fn column(&self) -> &str {
        &self.column
    }

    /// Whether the filter would publish the key set for checking rows.
    pub fn checks_rows(&self) -> bool {
        self.check_rows
    }

    /// Sets the filter to what the build keys `summary` allow. The set of
    /// keys is published only when it says more than the range: at most
    /// [`MAX_SET_KEYS`] keys, filling less than half of it.
    pub fn publish(&self, summary: KeySummary) {
        if let (KeyRange::Between { min, max, .. }, Some(members)) =
            (&summary.range, summary.members)
        {
            let few = summary.distinct <= MAX_SET_KEYS;
            if self.check_rows && few && is_sparse(min, max, summary.distinct) {
                let _ = self.members.set(members);
            }
        }
        // Set once: the builds that publish (a shared one, or the merged
        // partitions of a partitioned one) publish once.
        let _ = self.range.set(summary.range);
    }

    /// The build keys, once set, when they are few integers.
    pub fn members(&self) -> Option<&KeySet> {
        self.members.get()
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

/// What one build's key column says about the probe side: the range of
/// its keys, a few of them listed, and (for integer keys) their set.
#[derive(Debug, Clone)]
pub struct KeySummary {
    range: KeyRange,
    members: Option<KeySet>,
    /// At most how many distinct keys there are.
    distinct: usize,
}

impl KeySummary {
    /// The summary of key column `keys`, given its distinct keys' row
    /// positions (`None` when there are many) and at most how many distinct
    /// values it has; with `with_members`, also the set of sparse integer
    /// keys. `None` for keys of a type without a usable order (floats,
    /// whose `-0.0` and `0.0` and NaNs compare unlike their statistics, and
    /// nested types).
    pub fn of(
        keys: &ArrayRef,
        distinct_rows: Option<&[u32]>,
        distinct: usize,
        with_members: bool,
    ) -> Result<Option<Self>> {
        if !has_usable_order(keys.data_type()) {
            return Ok(None);
        }
        if keys.null_count() == keys.len() {
            let members = with_members.then(|| KeySet(HashSet::new()));
            return Ok(Some(Self {
                range: KeyRange::Empty,
                members,
                distinct: 0,
            }));
        }
        let values = distinct_rows
            .map(|rows| {
                rows.iter()
                    .map(|&r| ScalarValue::try_from_array(keys, r as usize))
                    .collect::<std::result::Result<Vec<_>, _>>()
            })
            .transpose()?;
        let (min, max) = extremes(keys)?;
        let members = (with_members && distinct <= MAX_SET_KEYS && is_sparse(&min, &max, distinct))
            .then(|| KeySet::of(keys))
            .flatten();
        Ok(Some(Self {
            range: KeyRange::Between { min, max, values },
            members,
            distinct,
        }))
    }

    /// The summary of both builds' keys together.
    fn merge(self, other: Self) -> Self {
        let range = match (self.range, other.range) {
            (KeyRange::Empty, range) | (range, KeyRange::Empty) => range,
            (
                KeyRange::Between { min, max, values },
                KeyRange::Between {
                    min: other_min,
                    max: other_max,
                    values: other_values,
                },
            ) => KeyRange::Between {
                min: if other_min < min { other_min } else { min },
                max: if other_max > max { other_max } else { max },
                values: values.zip(other_values).and_then(|(mut all, more)| {
                    for v in more {
                        if !all.contains(&v) {
                            all.push(v);
                        }
                    }
                    (all.len() <= MAX_LISTED_KEYS).then_some(all)
                }),
            },
        };
        let members =
            self.members
                .zip(other.members)
                .and_then(|(KeySet(mut all), KeySet(more))| {
                    all.extend(more);
                    (all.len() <= MAX_SET_KEYS).then_some(KeySet(all))
                });
        Self {
            range,
            members,
            distinct: self.distinct + other.distinct,
        }
    }
}

/// The filters of a partitioned hash join, where each partition builds
/// from its own share of the keys: each partition hands in its summaries,
/// and the last one to finish its build sets the filters from all of them.
/// A partition that cannot tell (its build spilled) leaves them unset.
#[derive(Debug)]
pub struct PartitionedKeys {
    filters: Vec<(usize, Arc<DynamicFilter>)>,
    gathered: Mutex<Gathered>,
}

/// The summaries handed in so far.
#[derive(Debug)]
struct Gathered {
    /// Partitions yet to hand theirs in.
    waiting: usize,
    /// Per filter, the merged summary so far (`None` for a filter some
    /// partition could not summarize).
    merged: Option<Vec<Option<KeySummary>>>,
    /// Whether some partition could tell nothing.
    unknown: bool,
}

impl PartitionedKeys {
    /// Gathers `filters` (key index, filter) from `partitions` builds.
    pub fn new(filters: Vec<(usize, Arc<DynamicFilter>)>, partitions: usize) -> Self {
        Self {
            filters,
            gathered: Mutex::new(Gathered {
                waiting: partitions,
                merged: None,
                unknown: false,
            }),
        }
    }

    /// The filters, with the index of the key each is on.
    pub fn filters(&self) -> &[(usize, Arc<DynamicFilter>)] {
        &self.filters
    }

    /// Hands in one partition's summaries, one per filter (`None`: the
    /// partition cannot tell); the last partition's sets the filters.
    pub fn hand_in(&self, summaries: Option<Vec<Option<KeySummary>>>) {
        let mut gathered = self.gathered.lock().unwrap_or_else(|e| e.into_inner());
        match summaries {
            None => gathered.unknown = true,
            Some(summaries) => {
                gathered.merged = Some(match gathered.merged.take() {
                    None => summaries,
                    Some(merged) => merged
                        .into_iter()
                        .zip(summaries)
                        .map(|(a, b)| a.zip(b).map(|(a, b)| a.merge(b)))
                        .collect(),
                });
            }
        }
        gathered.waiting = gathered.waiting.saturating_sub(1);
        if gathered.waiting > 0 || gathered.unknown {
            return;
        }
        if let Some(merged) = gathered.merged.take() {
            for ((_, filter), summary) in self.filters.iter().zip(merged) {
                if let Some(summary) = summary {
                    filter.publish(summary);
                }
            }
        }
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

    /// Sets `filter` from build keys, as a build does.
    fn set(filter: &DynamicFilter, keys: &ArrayRef, rows: Option<&[u32]>, distinct: usize) {
        if let Some(summary) = KeySummary::of(keys, rows, distinct, filter.checks_rows()).unwrap() {
            filter.publish(summary);
        }
    }
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
        set(&filter, &keys, None, 3);
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
        set(&filter, &keys, Some(&[0, 1]), 2);
        let Some(KeyRange::Between { min, max, values }) = filter.range() else {
            panic!("unset");
        };
        let view = |s: &str| ScalarValue::Utf8View(Some(s.into()));
        assert_eq!((min, max), (&view("a"), &view("b")));
        assert_eq!(values.as_ref().map(Vec::len), Some(2));
        assert_eq!(filter.conjuncts().unwrap().len(), 3);

        let nulls: ArrayRef = Arc::new(Int32Array::from(vec![None, None]));
        let empty = DynamicFilter::new("k");
        set(&empty, &nulls, Some(&[]), 0);
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
    fn integer_keys_are_published_as_a_set_rows_are_checked_against() {
        let keys: ArrayRef = Arc::new(Int32Array::from(vec![Some(7), None, Some(3)]));
        let range_only = DynamicFilter::new("k");
        set(&range_only, &keys, None, 2);
        assert!(range_only.members().is_none());
        let filter = DynamicFilter::checking_rows("k");
        assert!(filter.members().is_none());
        set(&filter, &keys, None, 2);
        let probe: ArrayRef = Arc::new(Int64Array::from(vec![Some(3), Some(4), None, Some(7)]));
        let mask = filter.members().unwrap().contains_each(&probe).unwrap();
        assert_eq!(
            mask.iter().collect::<Vec<_>>(),
            [Some(true), Some(false), Some(false), Some(true)]
        );
        let strings: ArrayRef = Arc::new(StringViewArray::from(vec!["a"]));
        let text = DynamicFilter::checking_rows("s");
        set(&text, &strings, None, 1);
        assert!(text.members().is_none());
        // Keys 1..=4 fill their range: the set would say nothing more.
        let dense: ArrayRef = Arc::new(Int32Array::from(vec![1, 2, 3, 4]));
        let dense_filter = DynamicFilter::checking_rows("k");
        set(&dense_filter, &dense, None, 4);
        assert!(dense_filter.members().is_none());
    }

    #[test]
    fn float_keys_leave_the_filter_unset() {
        let keys: ArrayRef = Arc::new(Float64Array::from(vec![0.0, -0.0]));
        let filter = DynamicFilter::new("f");
        set(&filter, &keys, None, 2);
        assert_eq!(filter.range(), None);
    }

    #[test]
    fn partitioned_builds_set_the_filter_from_all_partitions_keys() {
        let ints = |v: Vec<Option<i32>>| Arc::new(Int32Array::from(v)) as ArrayRef;
        let summary = |keys: &ArrayRef, rows: &[u32], distinct| {
            KeySummary::of(keys, Some(rows), distinct, true).unwrap()
        };
        let filter = DynamicFilter::checking_rows("k");
        let keys = PartitionedKeys::new(vec![(0, Arc::clone(&filter))], 3);
        let first = ints(vec![Some(40), Some(9_000)]);
        keys.hand_in(Some(vec![summary(&first, &[0, 1], 2)]));
        assert_eq!(filter.range(), None, "two partitions to go");
        // A partition without keys narrows nothing.
        let empty = ints(vec![None]);
        keys.hand_in(Some(vec![summary(&empty, &[], 0)]));
        assert_eq!(filter.range(), None);
        let last = ints(vec![Some(7), Some(40), None]);
        keys.hand_in(Some(vec![summary(&last, &[0, 1], 2)]));
        let Some(KeyRange::Between { min, max, values }) = filter.range() else {
            panic!("set by the last partition");
        };
        assert_eq!(
            (min, max),
            (
                &ScalarValue::Int32(Some(7)),
                &ScalarValue::Int32(Some(9_000))
            )
        );
        assert_eq!(values.as_ref().map(Vec::len), Some(3), "40 is listed once");
        let probe: ArrayRef = Arc::new(Int64Array::from(vec![7, 8, 40, 9_000]));
        let found = filter.members().unwrap().contains_each(&probe).unwrap();
        assert_eq!(found.true_count(), 3);

        // A partition that cannot tell (its build spilled) leaves it unset.
        let unknown = DynamicFilter::new("k");
        let keys = PartitionedKeys::new(vec![(0, Arc::clone(&unknown))], 2);
        keys.hand_in(None);
        keys.hand_in(Some(vec![summary(&last, &[0, 1], 2)]));
        assert_eq!(unknown.range(), None);
    }
}
