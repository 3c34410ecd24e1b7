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
//! For integer keys that fill less than half of their range, the filter
//! also carries the set of build keys (a bitmap over a span of up to
//! [`MAX_SET_SPAN`] values), and the scan drops the rows whose key is not in
//! it as it reads them (`quiver-datasource/src/key_membership.rs`): checking
//! a row costs a subtraction and a load, less than carrying the row through
//! the operators up to the join and probing its hash table (TPC-H SF10 Q3,
//! Q4 and Q21: 10–16% faster).

use std::sync::{Arc, Mutex, OnceLock};

use arrow::array::{downcast_primitive_array, Array, ArrayRef, AsArray, BooleanArray, Int64Array};
use arrow::buffer::BooleanBuffer;
use arrow::compute::{sort_to_indices, SortOptions};
use arrow::datatypes::{DataType, Int64Type};
use quiver_expr::{Column, Expr, Operator, Result, ScalarValue};

use crate::plan::TaskContext;
use crate::run_state::NodeId;

/// Build keys up to this many distinct values are also published as a
/// list, which bloom filters can check one by one.
pub const MAX_LISTED_KEYS: usize = 32;

/// Integer build keys spanning up to this many values (a bitmap of 8 MiB)
/// are published as a set that scans check each row against.
pub const MAX_SET_SPAN: u64 = 1 << 26;

/// The distinct integer keys of a build side: one bit per value of their
/// range, so checking a row costs a subtraction and a load.
#[derive(Debug, Clone)]
pub struct KeySet {
    /// The value of bit 0.
    min: i64,
    /// Values `min..min + span` have a bit.
    span: u64,
    bits: Vec<u64>,
}

impl KeySet {
    /// The set of no keys.
    fn empty() -> Self {
        Self {
            min: 0,
            span: 0,
            bits: vec![],
        }
    }

    /// The set spanning `min..=max` with no key in it yet; `None` when the
    /// span is over [`MAX_SET_SPAN`].
    fn spanning(min: i64, max: i64) -> Option<Self> {
        let span = u64::try_from(i128::from(max) - i128::from(min) + 1).ok()?;
        (span <= MAX_SET_SPAN).then(|| Self {
            min,
            span,
            bits: vec![0; span.div_ceil(64) as usize],
        })
    }

    /// The non-NULL values of integer `keys` as a set; `None` for other
    /// types or keys spanning more than [`MAX_SET_SPAN`] values.
    fn of(keys: &ArrayRef) -> Option<Self> {
        let values = as_i64(keys)?;
        let mut present = values.iter().flatten();
        let Some(first) = present.next() else {
            return Some(Self::empty());
        };
        let (min, max) = present.fold((first, first), |(lo, hi), v| (lo.min(v), hi.max(v)));
        let mut set = Self::spanning(min, max)?;
        values.iter().flatten().for_each(|v| set.insert(v));
        Some(set)
    }

    fn offset(&self, value: i64) -> Option<u64> {
        let offset = value.wrapping_sub(self.min) as u64;
        (offset < self.span).then_some(offset)
    }

    /// Adds `value`, which lies in the span.
    fn insert(&mut self, value: i64) {
        if let Some(o) = self.offset(value) {
            self.bits[(o / 64) as usize] |= 1 << (o % 64);
        }
    }

    fn contains(&self, value: i64) -> bool {
        self.offset(value)
            .is_some_and(|o| self.bits[(o / 64) as usize] >> (o % 64) & 1 == 1)
    }

    /// The keys in the set, in order.
    fn values(&self) -> impl Iterator<Item = i64> + '_ {
        self.bits.iter().enumerate().flat_map(move |(word, &bits)| {
            (0..64)
                .filter(move |bit| bits >> bit & 1 == 1)
                .map(move |bit| self.min.wrapping_add((word * 64 + bit) as i64))
        })
    }

    /// The keys of both sets; `None` when they span too much together.
    fn union(self, other: Self) -> Option<Self> {
        let (small, large) = match (self.span, other.span) {
            (0, _) => return Some(other),
            (_, 0) => return Some(self),
            _ if self.span <= other.span => (self, other),
            _ => (other, self),
        };
        let max = |s: &Self| s.min.wrapping_add((s.span - 1) as i64);
        let mut all = if small.min >= large.min && max(&small) <= max(&large) {
            large
        } else {
            let mut all = Self::spanning(small.min.min(large.min), max(&small).max(max(&large)))?;
            large.values().for_each(|v| all.insert(v));
            all
        };
        small.values().for_each(|v| all.insert(v));
        Some(all)
    }

    /// Per row of `column`, whether its value is in the set (NULL: no);
    /// `None` when `column` is not of an integer type.
    pub fn contains_each(&self, column: &ArrayRef) -> Option<BooleanArray> {
        let values = as_i64(column)?;
        let raw = values.values();
        let found = match values.nulls() {
            None => BooleanBuffer::collect_bool(raw.len(), |i| self.contains(raw[i])),
            Some(nulls) => BooleanBuffer::collect_bool(raw.len(), |i| {
                nulls.is_valid(i) && self.contains(raw[i])
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

/// A filter on one column of a scan that a join sets while the query
/// runs: what the planner hands to the join and to the scans below it. What
/// the join publishes lives in the run ([`DynamicFilter::in_run`]), so each
/// run of a plan starts with the filter unset. Until it is set, the scan
/// reads as if it were not there.
#[derive(Debug)]
pub struct DynamicFilter {
    id: NodeId,
    column: String,
}

impl DynamicFilter {
    /// A filter on the scanned table's column `column`: a key range for
    /// skipping row groups and pages and, for sparse integer keys, their
    /// set for checking rows.
    pub fn new(column: impl Into<String>) -> Arc<Self> {
        Arc::new(Self {
            id: NodeId::next(),
            column: column.into(),
        })
    }

    /// The table column the filter is on.
    pub fn column(&self) -> &str {
        &self.column
    }

    /// The keys published for this filter in the run of `ctx`, shared by
    /// the join that sets them and the scans that read them.
    pub fn in_run(&self, ctx: &TaskContext) -> Arc<PublishedKeys> {
        ctx.run_state(self.id, || PublishedKeys::unset(&self.column))
    }
}

/// What one run's join has published about its build keys on a scan's
/// column, set once.
#[derive(Debug)]
pub struct PublishedKeys {
    column: String,
    range: OnceLock<KeyRange>,
    members: OnceLock<KeySet>,
}

impl PublishedKeys {
    /// Nothing published yet on `column`.
    pub fn unset(column: &str) -> Self {
        Self {
            column: column.to_string(),
            range: OnceLock::new(),
            members: OnceLock::new(),
        }
    }

    /// The table column the keys are on.
    pub fn column(&self) -> &str {
        &self.column
    }

    /// Sets the filter to what the build keys `summary` allow. The set of
    /// keys is published only when it says more than the range: keys
    /// filling less than half of it.
    pub fn publish(&self, summary: KeySummary) {
        if let (KeyRange::Between { min, max, .. }, Some(members)) =
            (&summary.range, summary.members)
        {
            if is_sparse(min, max, summary.distinct) {
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
    /// values it has, with the set of sparse integer keys. `None` for keys of a type without a usable order (floats,
    /// whose `-0.0` and `0.0` and NaNs compare unlike their statistics, and
    /// nested types).
    pub fn of(
        keys: &ArrayRef,
        distinct_rows: Option<&[u32]>,
        distinct: usize,
    ) -> Result<Option<Self>> {
        if !has_usable_order(keys.data_type()) {
            return Ok(None);
        }
        if keys.null_count() == keys.len() {
            let members = Some(KeySet::empty());
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
        let members = is_sparse(&min, &max, distinct)
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
        let members = self
            .members
            .zip(other.members)
            .and_then(|(all, more)| all.union(more));
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
    filters: Vec<(usize, Arc<PublishedKeys>)>,
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
    pub fn new(filters: Vec<(usize, Arc<PublishedKeys>)>, partitions: usize) -> Self {
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
    pub fn filters(&self) -> &[(usize, Arc<PublishedKeys>)] {
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

    /// A filter on `column` with nothing published yet.
    fn published(column: &str) -> Arc<PublishedKeys> {
        Arc::new(PublishedKeys::unset(column))
    }

    /// Sets `filter` from build keys, as a build does.
    fn set(filter: &PublishedKeys, keys: &ArrayRef, rows: Option<&[u32]>, distinct: usize) {
        if let Some(summary) = KeySummary::of(keys, rows, distinct).unwrap() {
            filter.publish(summary);
        }
    }
    use arrow::array::{Float64Array, Int32Array, StringViewArray};

    #[test]
    fn a_filter_reads_as_nothing_until_set_then_as_the_key_range() {
        let filter = published("k");
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
        let filter = published("s");
        set(&filter, &keys, Some(&[0, 1]), 2);
        let Some(KeyRange::Between { min, max, values }) = filter.range() else {
            panic!("unset");
        };
        let view = |s: &str| ScalarValue::Utf8View(Some(s.into()));
        assert_eq!((min, max), (&view("a"), &view("b")));
        assert_eq!(values.as_ref().map(Vec::len), Some(2));
        assert_eq!(filter.conjuncts().unwrap().len(), 3);

        let nulls: ArrayRef = Arc::new(Int32Array::from(vec![None, None]));
        let empty = published("k");
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
        let filter = published("k");
        assert!(filter.members().is_none());
        set(&filter, &keys, None, 2);
        let probe: ArrayRef = Arc::new(Int64Array::from(vec![Some(3), Some(4), None, Some(7)]));
        let mask = filter.members().unwrap().contains_each(&probe).unwrap();
        assert_eq!(
            mask.iter().collect::<Vec<_>>(),
            [Some(true), Some(false), Some(false), Some(true)]
        );
        let strings: ArrayRef = Arc::new(StringViewArray::from(vec!["a"]));
        let text = published("s");
        set(&text, &strings, None, 1);
        assert!(text.members().is_none());
        // Keys 1..=4 fill their range: the set would say nothing more.
        let dense: ArrayRef = Arc::new(Int32Array::from(vec![1, 2, 3, 4]));
        let dense_filter = published("k");
        set(&dense_filter, &dense, None, 4);
        assert!(dense_filter.members().is_none());
    }

    /// The keys of `set` among `-10..=10` and a few far-away values.
    fn members(set: &KeySet) -> Vec<i64> {
        let candidates = (-10..=10).chain([i64::MIN, i64::MAX, 1 << 40]);
        candidates.filter(|&v| set.contains(v)).collect()
    }

    #[test]
    fn key_sets_hold_exactly_their_keys_and_unite() {
        let ints = |v: Vec<i64>| Arc::new(Int64Array::from(v)) as ArrayRef;
        let low = KeySet::of(&ints(vec![-3, 5, -3, 0])).unwrap();
        assert_eq!(members(&low), [-3, 0, 5]);
        assert_eq!(low.values().collect::<Vec<_>>(), [-3, 0, 5]);
        // Inside the other's span, beside it, and empty.
        let inner = KeySet::of(&ints(vec![1, 4])).unwrap();
        assert_eq!(
            members(&low.clone().union(inner).unwrap()),
            [-3, 0, 1, 4, 5]
        );
        let high = KeySet::of(&ints(vec![9, 10])).unwrap();
        assert_eq!(
            members(&high.clone().union(low.clone()).unwrap()),
            [-3, 0, 5, 9, 10]
        );
        let none = KeySet::of(&ints(vec![])).unwrap();
        assert_eq!(members(&none), Vec::<i64>::new());
        assert_eq!(members(&none.union(high).unwrap()), [9, 10]);
        // Extremes, and spans too wide for a bitmap.
        let top = KeySet::of(&ints(vec![i64::MAX, i64::MAX - 1])).unwrap();
        assert_eq!(members(&top), [i64::MAX]);
        assert!(KeySet::of(&ints(vec![0, 1 << 40])).is_none());
        assert!(KeySet::of(&ints(vec![i64::MIN, i64::MAX])).is_none());
        assert!(low.union(top).is_none());
    }

    #[test]
    fn each_run_of_a_plan_starts_with_its_filters_unset() {
        let filter = DynamicFilter::new("k");
        let (first, second) = (TaskContext::default(), TaskContext::default());
        let keys: ArrayRef = Arc::new(Int32Array::from(vec![3, 9]));
        set(&filter.in_run(&first), &keys, None, 2);
        assert!(filter.in_run(&first).range().is_some());
        assert_eq!(filter.in_run(&second).range(), None);
        assert_eq!(filter.in_run(&first).column(), "k");
    }

    #[test]
    fn float_keys_leave_the_filter_unset() {
        let keys: ArrayRef = Arc::new(Float64Array::from(vec![0.0, -0.0]));
        let filter = published("f");
        set(&filter, &keys, None, 2);
        assert_eq!(filter.range(), None);
    }

    #[test]
    fn partitioned_builds_set_the_filter_from_all_partitions_keys() {
        let ints = |v: Vec<Option<i32>>| Arc::new(Int32Array::from(v)) as ArrayRef;
        let summary = |keys: &ArrayRef, rows: &[u32], distinct| {
            KeySummary::of(keys, Some(rows), distinct).unwrap()
        };
        let filter = published("k");
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
        let unknown = published("k");
        let keys = PartitionedKeys::new(vec![(0, Arc::clone(&unknown))], 2);
        keys.hand_in(None);
        keys.hand_in(Some(vec![summary(&last, &[0, 1], 2)]));
        assert_eq!(unknown.range(), None);
    }
}
