//! Group tables: map group keys to dense group numbers, in order of first
//! appearance.
//!
//! [`ColumnGroupValues`] stores keys column by column and compares a row's
//! keys only when its hash matches a stored group; it covers primitive,
//! boolean and string keys. While every key fits 16 bytes per column (all
//! but strings longer than 12 bytes) and the groups are few, it finds
//! groups by packed keys ([`super::packed_keys`]). [`RowGroupValues`] encodes any keys in Arrow's
//! row format and is used for the other types.

use std::hash::BuildHasher;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, ArrowPrimitiveType, AsArray, BooleanArray, LargeStringArray, PrimitiveArray,
    StringArray, StringViewArray,
};
use arrow::buffer::NullBuffer;
use arrow::datatypes::*;
use arrow::row::{RowConverter, Rows, SortField};
use datafusion_common::hash_utils::{create_hashes, RandomState};
use quiver_expr::Result;

use super::group_table::{GroupTable, Lookup};
use super::packed_keys::{
    null_slot, slot_of_bytes, slot_of_short_string, slot_of_string_at, PackedKeys,
};
use crate::prefetch::PREFETCH_DISTANCE;

/// Numbers the distinct keys of a grouping.
pub trait GroupValues: Send {
    /// Writes the group number of every row of `keys` into `groups`.
    fn intern(&mut self, keys: &[ArrayRef], groups: &mut Vec<usize>) -> Result<()>;

    /// The key columns of every group, in group-number order.
    fn emit(&mut self) -> Result<Vec<ArrayRef>>;

    /// The number of distinct groups seen.
    fn num_groups(&self) -> usize;

    /// Rows, since the groups were last emitted, whose key a lookup found
    /// among the stored groups (a row continuing the run of the row before
    /// it is not looked up): how often keys come back. Sorted keys never do.
    fn recurring_rows(&self) -> usize;

    /// Approximate memory held, in bytes.
    fn size(&self) -> usize;
}

/// The best group table for keys of the given types.
pub fn new_group_values(types: &[DataType]) -> Result<Box<dyn GroupValues>> {
    let columns: Option<Vec<Box<dyn KeyColumn>>> = types.iter().map(key_column).collect();
    Ok(match columns {
        Some(columns) => Box::new(ColumnGroupValues {
            packed: Some(PackedKeys::new(columns.len())),
            // One key column of small values may index its groups directly.
            direct: (columns.len() == 1).then(Vec::new),
            has_strings: types
                .iter()
                .any(|t| matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)),
            columns,
            ..ColumnGroupValues::default()
        }),
        None => Box::new(RowGroupValues::try_new(types)?),
    })
}

const GROUP_HASH_SEED: u64 = 7;

/// One column of stored group keys. Each batch's key array is handed over
/// once ([`KeyColumn::set_batch`]), so the per-row calls need no downcast.
trait KeyColumn: Send {
    /// Makes `array` the batch that `append` and `equals` read rows of.
    fn set_batch(&mut self, array: &ArrayRef);
    /// Stores the batch's `row` as the key of the next group.
    fn append(&mut self, row: usize);
    /// Whether group `group`'s key equals the batch's `row` (NULL equals NULL).
    fn equals(&self, group: usize, row: usize) -> bool;
    /// Writes each batch row's key into slot `slot` of its `width` slots
    /// (see [`PackedKeys`]); false when some key does not fit one slot.
    fn pack(&self, slots: &mut [u128], slot: usize, width: usize) -> bool;
    /// The stored keys as an array, leaving the column empty.
    fn take(&mut self) -> ArrayRef;
    /// Approximate memory held, in bytes.
    fn size(&self) -> usize;
}

fn key_column(t: &DataType) -> Option<Box<dyn KeyColumn>> {
    macro_rules! primitive {
        ($($variant:pat => $arrow:ty),* $(,)?) => {
            match t {
                $($variant => Some(Box::new(PrimitiveKeys::<$arrow>::new(t.clone())) as Box<dyn KeyColumn>),)*
                DataType::Boolean => Some(Box::new(BooleanKeys::default())),
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Some(Box::new(StringKeys::new(t.clone()))),
                _ => None,
            }
        };
    }
    primitive!(
        DataType::Int8 => Int8Type, DataType::Int16 => Int16Type, DataType::Int32 => Int32Type,
        DataType::Int64 => Int64Type, DataType::UInt8 => UInt8Type, DataType::UInt16 => UInt16Type,
        DataType::UInt32 => UInt32Type, DataType::UInt64 => UInt64Type, DataType::Float32 => Float32Type,
        DataType::Float64 => Float64Type, DataType::Decimal128(..) => Decimal128Type,
        DataType::Date32 => Date32Type, DataType::Date64 => Date64Type,
        DataType::Timestamp(TimeUnit::Second, _) => TimestampSecondType,
        DataType::Timestamp(TimeUnit::Millisecond, _) => TimestampMillisecondType,
        DataType::Timestamp(TimeUnit::Microsecond, _) => TimestampMicrosecondType,
        DataType::Timestamp(TimeUnit::Nanosecond, _) => TimestampNanosecondType,
    )
}

/// Writes `null` into the slot of each NULL row of a key column's batch.
fn pack_nulls(
    nulls: Option<&NullBuffer>,
    slots: &mut [u128],
    slot: usize,
    width: usize,
    null: u128,
) {
    if let Some(nulls) = nulls.filter(|n| n.null_count() > 0) {
        for row in (0..nulls.len()).filter(|&r| nulls.is_null(r)) {
            slots[row * width + slot] = null;
        }
    }
}

fn take_validity(valid: &mut Vec<bool>) -> Option<NullBuffer> {
    let valid = std::mem::take(valid);
    if valid.iter().all(|v| *v) {
        None
    } else {
        Some(NullBuffer::from(valid))
    }
}

struct PrimitiveKeys<T: ArrowPrimitiveType> {
    values: Vec<T::Native>,
    valid: Vec<bool>,
    data_type: DataType,
    batch: PrimitiveArray<T>,
}

impl<T: ArrowPrimitiveType> PrimitiveKeys<T> {
    fn new(data_type: DataType) -> Self {
        let batch = PrimitiveArray::<T>::new(Vec::<T::Native>::new().into(), None);
        Self {
            values: vec![],
            valid: vec![],
            data_type,
            batch,
        }
    }
}

impl<T: ArrowPrimitiveType> KeyColumn for PrimitiveKeys<T> {
    fn set_batch(&mut self, array: &ArrayRef) {
        self.batch = array.as_primitive::<T>().clone();
    }
    fn append(&mut self, row: usize) {
        let valid = self.batch.is_valid(row);
        self.values.push(if valid {
            self.batch.value(row)
        } else {
            T::Native::default()
        });
        self.valid.push(valid);
    }
    fn equals(&self, group: usize, row: usize) -> bool {
        match (self.valid[group], self.batch.is_valid(row)) {
            (true, true) => self.values[group].is_eq(self.batch.value(row)),
            (a, b) => a == b,
        }
    }
    fn pack(&self, slots: &mut [u128], slot: usize, width: usize) -> bool {
        for (row, value) in self.batch.values().iter().enumerate() {
            match slot_of_bytes(value.to_byte_slice()) {
                Some(packed) => slots[row * width + slot] = packed,
                None => return false,
            }
        }
        let null = null_slot(std::mem::size_of::<T::Native>());
        pack_nulls(self.batch.nulls(), slots, slot, width, null);
        true
    }
    fn take(&mut self) -> ArrayRef {
        let nulls = take_validity(&mut self.valid);
        let values = std::mem::take(&mut self.values);
        Arc::new(
            PrimitiveArray::<T>::new(values.into(), nulls).with_data_type(self.data_type.clone()),
        )
    }
    fn size(&self) -> usize {
        self.values.capacity() * std::mem::size_of::<T::Native>() + self.valid.capacity()
    }
}

struct BooleanKeys {
    values: Vec<Option<bool>>,
    batch: BooleanArray,
}

impl Default for BooleanKeys {
    fn default() -> Self {
        Self {
            values: vec![],
            batch: BooleanArray::from(Vec::<bool>::new()),
        }
    }
}

impl BooleanKeys {
    fn batch_value(&self, row: usize) -> Option<bool> {
        self.batch.is_valid(row).then(|| self.batch.value(row))
    }
}

impl KeyColumn for BooleanKeys {
    fn set_batch(&mut self, array: &ArrayRef) {
        self.batch = array.as_boolean().clone();
    }
    fn append(&mut self, row: usize) {
        self.values.push(self.batch_value(row));
    }
    fn equals(&self, group: usize, row: usize) -> bool {
        self.values[group] == self.batch_value(row)
    }
    fn pack(&self, slots: &mut [u128], slot: usize, width: usize) -> bool {
        for (row, value) in self.batch.values().iter().enumerate() {
            slots[row * width + slot] = u128::from(value);
        }
        pack_nulls(self.batch.nulls(), slots, slot, width, 2);
        true
    }
    fn take(&mut self) -> ArrayRef {
        Arc::new(BooleanArray::from(std::mem::take(&mut self.values)))
    }
    fn size(&self) -> usize {
        self.values.capacity() * 2
    }
}

/// The current batch of a string key column, in its own layout.
enum StringBatch {
    Utf8(StringArray),
    Large(LargeStringArray),
    View(StringViewArray),
}

impl StringBatch {
    fn of(array: &ArrayRef) -> Self {
        match array.data_type() {
            DataType::Utf8View => StringBatch::View(array.as_string_view().clone()),
            DataType::LargeUtf8 => StringBatch::Large(array.as_string::<i64>().clone()),
            _ => StringBatch::Utf8(array.as_string::<i32>().clone()),
        }
    }

    fn is_valid(&self, row: usize) -> bool {
        match self {
            StringBatch::Utf8(a) => a.is_valid(row),
            StringBatch::Large(a) => a.is_valid(row),
            StringBatch::View(a) => a.is_valid(row),
        }
    }

    fn nulls(&self) -> Option<&NullBuffer> {
        match self {
            StringBatch::Utf8(a) => a.nulls(),
            StringBatch::Large(a) => a.nulls(),
            StringBatch::View(a) => a.nulls(),
        }
    }

    fn len(&self) -> usize {
        match self {
            StringBatch::Utf8(a) => a.len(),
            StringBatch::Large(a) => a.len(),
            StringBatch::View(a) => a.len(),
        }
    }

    fn value(&self, row: usize) -> &str {
        match self {
            StringBatch::Utf8(a) => a.value(row),
            StringBatch::Large(a) => a.value(row),
            StringBatch::View(a) => a.value(row),
        }
    }

    /// The row's 16-byte view if its string is stored inside it, else 0.
    fn inline_view(&self, row: usize) -> u128 {
        match self {
            StringBatch::View(a) => {
                let view = a.views()[row];
                if (view as u32) <= MAX_INLINE_VIEW_LEN {
                    view
                } else {
                    0
                }
            }
            _ => 0,
        }
    }
}

/// Longest string a Utf8View view holds inline.
const MAX_INLINE_VIEW_LEN: u32 = 12;

/// String keys of any Arrow string layout, stored as one byte buffer.
struct StringKeys {
    bytes: Vec<u8>,
    /// Group `g`'s key is `bytes[ends[g - 1]..ends[g]]`.
    ends: Vec<usize>,
    valid: Vec<bool>,
    /// For Utf8View input: each group's 16-byte view when the key is short
    /// enough (12 bytes or fewer) to live inside it, else 0. Two short keys
    /// are equal exactly when their views are.
    inline_views: Vec<u128>,
    data_type: DataType,
    /// Whether `data_type` is `Utf8View` (asked per row).
    is_view: bool,
    batch: StringBatch,
}

impl StringKeys {
    fn new(data_type: DataType) -> Self {
        let batch = StringBatch::Utf8(StringArray::from(Vec::<&str>::new()));
        Self {
            bytes: vec![],
            ends: vec![],
            valid: vec![],
            inline_views: vec![],
            is_view: data_type == DataType::Utf8View,
            data_type,
            batch,
        }
    }

    fn stored(&self, group: usize) -> &[u8] {
        let start = if group == 0 { 0 } else { self.ends[group - 1] };
        &self.bytes[start..self.ends[group]]
    }
}

impl KeyColumn for StringKeys {
    fn set_batch(&mut self, array: &ArrayRef) {
        self.batch = StringBatch::of(array);
    }
    fn append(&mut self, row: usize) {
        let valid = self.batch.is_valid(row);
        if valid {
            self.bytes
                .extend_from_slice(self.batch.value(row).as_bytes());
        }
        self.ends.push(self.bytes.len());
        self.valid.push(valid);
        if self.is_view {
            self.inline_views.push(if valid {
                self.batch.inline_view(row)
            } else {
                0
            });
        }
    }
    fn equals(&self, group: usize, row: usize) -> bool {
        match (self.valid[group], self.batch.is_valid(row)) {
            (true, true) => {
                if self.is_view {
                    let (stored, incoming) =
                        (self.inline_views[group], self.batch.inline_view(row));
                    if stored != 0 || incoming != 0 {
                        return stored == incoming;
                    }
                }
                self.stored(group) == self.batch.value(row).as_bytes()
            }
            (a, b) => a == b,
        }
    }
    fn pack(&self, slots: &mut [u128], slot: usize, width: usize) -> bool {
        match &self.batch {
            StringBatch::View(a) => {
                for (row, &view) in a.views().iter().enumerate() {
                    if view as u32 > MAX_INLINE_VIEW_LEN && a.is_valid(row) {
                        return false;
                    }
                    slots[row * width + slot] = view;
                }
            }
            StringBatch::Utf8(a) => {
                let (offsets, bytes) = (a.value_offsets(), a.values().as_slice());
                for row in (0..a.len()).filter(|&r| a.is_valid(r)) {
                    let (start, end) = (offsets[row] as usize, offsets[row + 1] as usize);
                    match slot_of_string_at(bytes, start, end - start) {
                        Some(packed) => slots[row * width + slot] = packed,
                        None => return false,
                    }
                }
            }
            other => {
                for row in (0..other.len()).filter(|&r| other.is_valid(r)) {
                    match slot_of_short_string(other.value(row).as_bytes()) {
                        Some(packed) => slots[row * width + slot] = packed,
                        None => return false,
                    }
                }
            }
        }
        pack_nulls(self.batch.nulls(), slots, slot, width, null_slot(16));
        true
    }
    fn take(&mut self) -> ArrayRef {
        let strings: Vec<Option<&str>> = (0..self.ends.len())
            .map(|g| {
                self.valid[g]
                    .then(|| std::str::from_utf8(self.stored(g)).expect("keys were valid UTF-8"))
            })
            .collect();
        let array: ArrayRef = match self.data_type {
            DataType::Utf8View => Arc::new(StringViewArray::from(strings)),
            DataType::LargeUtf8 => Arc::new(LargeStringArray::from(strings)),
            _ => Arc::new(StringArray::from(strings)),
        };
        self.bytes.clear();
        self.ends.clear();
        self.valid.clear();
        self.inline_views.clear();
        array
    }
    fn size(&self) -> usize {
        self.bytes.capacity()
            + self.ends.capacity() * 8
            + self.valid.capacity()
            + self.inline_views.capacity() * 16
    }
}

/// Groups up to which a table finds them by packed keys. Beyond it the
/// table no longer fits the caches, the wider packed keys cost more misses
/// than asking each column saves (`GROUP BY l_partkey` at TPC-H SF1, 200k
/// groups: 381 → 535 ms), and the table goes on by columns.
const MAX_PACKED_GROUPS: usize = 1 << 15;

/// The same limit for keys with a string column: comparing strings by
/// columns costs a `memcmp` a row, more than the packed keys' cache misses
/// (H2O q3, 100k groups of 12-byte strings: 285 → 225 ms); past it, the
/// table no longer fits the caches either (q10, 10M groups, is slower with
/// a higher limit).
const MAX_PACKED_STRING_GROUPS: usize = 1 << 18;

/// Keys stored column by column; rows are hashed a column at a time, or
/// by their packed keys while every key packs and the groups are few.
#[derive(Default)]
pub struct ColumnGroupValues {
    columns: Vec<Box<dyn KeyColumn>>,
    /// Every group's packed key, until a batch's keys do not pack.
    packed: Option<PackedKeys>,
    /// With one key column whose packed keys have all been below
    /// [`DIRECT_KEYS`] (small integers, such as codes 1..100): each key's
    /// group at the key's index ([`NO_GROUP`] for none; as long as the
    /// largest key seen), so that a row needs no hash; the hash table is
    /// empty meanwhile. Dropped, and the table filled, at the first larger
    /// key.
    direct: Option<Vec<u32>>,
    /// Rows numbered through the direct table since it was last emptied.
    direct_rows: usize,
    /// See [`GroupValues::recurring_rows`].
    recurring: usize,
    /// The last row numbered, as its key's hash and group (hash table) or
    /// its packed key (direct table): a run of equal keys may go on in the
    /// next batch.
    last_hashed: Option<(u64, usize)>,
    last_direct: Option<usize>,
    /// Whether a key column holds strings.
    has_strings: bool,
    table: GroupTable,
    hashes: Vec<u64>,
    groups: usize,
}

/// Packed keys below this index a table of groups directly (at most 4 MiB,
/// as long as the largest key).
const DIRECT_KEYS: usize = 1 << 20;

/// A direct table longer than this many entries a group (plus 1024) is too
/// sparse: the hash table would hold less.
const SPARSE_DIRECT: usize = 16;

/// An empty entry of the direct table.
const NO_GROUP: u32 = u32::MAX;

impl ColumnGroupValues {
    /// Numbers the batch's rows through the direct table, when every key of
    /// the batch is below [`DIRECT_KEYS`]; otherwise gives the table up,
    /// putting its groups in the hash table, and returns false. A table
    /// found too sparse after the batch is given up the same way.
    fn number_directly(&mut self, groups: &mut Vec<usize>) -> bool {
        let (Some(direct), Some(packed)) = (self.direct.as_mut(), self.packed.as_mut()) else {
            return false;
        };
        let largest = packed.batch().iter().copied().max().unwrap_or(0);
        if largest >= DIRECT_KEYS as u128 {
            self.leave_direct();
            return false;
        }
        // The table grows to the largest key seen.
        if direct.len() <= largest as usize {
            direct.resize(largest as usize + 1, NO_GROUP);
        }
        let mut keys = ByPackedKeys {
            packed,
            columns: &mut self.columns,
        };
        for row in 0..keys.packed.batch().len() {
            let key = keys.packed.batch()[row] as usize;
            let mut g = direct[key];
            if g == NO_GROUP {
                g = self.groups as u32;
                direct[key] = g;
                keys.store(row);
                self.groups += 1;
            } else if self.last_direct != Some(key) {
                self.recurring += 1;
            }
            self.last_direct = Some(key);
            groups.push(g as usize);
        }
        // Sparse keys (few groups over a long range, as in a bucket split
        // off by hash when spilling) would hold more memory than the hash
        // table: from now on they go through it. Only once as many rows
        // as the table is long have come: the first batches of dense keys
        // (100k ids, half of them in each of two partitions) show a small
        // share of the groups.
        self.direct_rows += keys.packed.batch().len();
        if self.direct_rows >= direct.len() && direct.len() > SPARSE_DIRECT * self.groups + 1024 {
            self.leave_direct();
        }
        true
    }

    /// Gives the direct table up, putting its groups in the hash table.
    fn leave_direct(&mut self) {
        self.direct = None;
        if let Some(packed) = &self.packed {
            for hash in packed.stored_hashes() {
                self.table.insert_new(hash);
            }
        }
    }

    /// Finds groups by their columns from now on. The stored groups are
    /// numbered again, in order, so each keeps its number.
    fn stop_packing(&mut self) -> Result<()> {
        self.packed = None;
        self.direct = None;
        let recurring = self.recurring;
        let stored = self.emit()?;
        let mut renumbered = vec![];
        self.intern(&stored, &mut renumbered)?;
        self.recurring = recurring;
        Ok(())
    }
}

/// How a batch's rows are compared with the stored groups and stored as
/// new ones.
trait BatchKeys {
    /// Whether group `group`'s key is the batch's row `row`'s.
    fn same(&self, group: usize, row: usize) -> bool;
    /// Stores the batch's row `row` as the key of the next group.
    fn store(&mut self, row: usize);
    /// Starts loading group `group`'s stored key into the caches.
    fn prefetch(&self, _group: usize) {}
}

/// Rows compared column by column.
struct ByColumns<'a>(&'a mut [Box<dyn KeyColumn>]);

impl BatchKeys for ByColumns<'_> {
    fn same(&self, group: usize, row: usize) -> bool {
        self.0.iter().all(|c| c.equals(group, row))
    }
    fn store(&mut self, row: usize) {
        self.0.iter_mut().for_each(|c| c.append(row));
    }
}

/// Rows compared by their packed keys; the columns still store the keys.
struct ByPackedKeys<'a> {
    packed: &'a mut PackedKeys,
    columns: &'a mut [Box<dyn KeyColumn>],
}

impl BatchKeys for ByPackedKeys<'_> {
    fn same(&self, group: usize, row: usize) -> bool {
        self.packed.same(group, row)
    }
    fn prefetch(&self, group: usize) {
        self.packed.prefetch(group);
    }
    fn store(&mut self, row: usize) {
        self.packed.store(row);
        self.columns.iter_mut().for_each(|c| c.append(row));
    }
}

/// Writes the group of each row (hashed in `hashes`) into `groups`, adding
/// a group numbered `next_group` for each key not seen before. The table
/// holds every group, so it numbers new ones as `next_group` counts them.
fn number_rows(
    table: &mut GroupTable,
    hashes: &[u64],
    keys: &mut impl BatchKeys,
    counts: NumberingCounts<'_>,
    groups: &mut Vec<usize>,
) {
    let NumberingCounts {
        next_group,
        recurring,
        last: previous,
    } = counts;
    debug_assert_eq!(table.len(), *next_group, "the table holds every group");
    // Keys often come in runs (sorted or clustered data): a row whose key
    // is the previous row's (perhaps the last of the batch before) needs no
    // table lookup.
    for (row, &hash) in hashes.iter().enumerate() {
        if let Some(&ahead) = hashes.get(row + PREFETCH_DISTANCE) {
            table.prefetch(ahead);
        }
        // Half as far ahead the slot has arrived: fetch the key it names,
        // which the lookup compares with.
        if let Some(g) = hashes
            .get(row + PREFETCH_DISTANCE / 2)
            .and_then(|&ahead| table.candidate(ahead))
        {
            keys.prefetch(g);
        }
        if let Some((h, g)) = *previous {
            if h == hash && keys.same(g, row) {
                groups.push(g);
                continue;
            }
        }
        let group = match table.find_or_insert(hash, |g| keys.same(g, row)) {
            Lookup::Found(g) => {
                *recurring += 1;
                g
            }
            Lookup::Inserted(g) => {
                keys.store(row);
                *next_group += 1;
                g
            }
        };
        *previous = Some((hash, group));
        groups.push(group);
    }
}

/// What [`number_rows`] updates besides the table: the next group's
/// number, [`GroupValues::recurring_rows`], and the last row's hash and
/// group.
struct NumberingCounts<'a> {
    next_group: &'a mut usize,
    recurring: &'a mut usize,
    last: &'a mut Option<(u64, usize)>,
}

impl GroupValues for ColumnGroupValues {
    fn intern(&mut self, keys: &[ArrayRef], groups: &mut Vec<usize>) -> Result<()> {
        groups.clear();
        let rows = keys.first().map_or(0, |k| k.len());
        for (c, k) in self.columns.iter_mut().zip(keys) {
            c.set_batch(k);
        }
        if let Some(packed) = self.packed.as_mut() {
            let width = packed.width();
            let slots = packed.batch_slots(rows);
            let packs = self
                .columns
                .iter()
                .enumerate()
                .all(|(i, c)| c.pack(slots, i, width));
            if packs && self.number_directly(groups) {
                return Ok(());
            }
            let packed = self.packed.as_mut().expect("still packing");
            if packs {
                packed.hash_batch(&mut self.hashes);
                let mut by_packed = ByPackedKeys {
                    packed,
                    columns: &mut self.columns,
                };
                number_rows(
                    &mut self.table,
                    &self.hashes,
                    &mut by_packed,
                    NumberingCounts {
                        next_group: &mut self.groups,
                        recurring: &mut self.recurring,
                        last: &mut self.last_hashed,
                    },
                    groups,
                );
                let limit = match self.has_strings {
                    true => MAX_PACKED_STRING_GROUPS,
                    false => MAX_PACKED_GROUPS,
                };
                if self.groups > limit {
                    self.stop_packing()?;
                }
                return Ok(());
            }
            self.stop_packing()?;
            for (c, k) in self.columns.iter_mut().zip(keys) {
                c.set_batch(k);
            }
        }
        self.hashes.clear();
        self.hashes.resize(rows, 0);
        create_hashes(
            keys,
            &RandomState::with_seed(GROUP_HASH_SEED),
            &mut self.hashes,
        )?;
        number_rows(
            &mut self.table,
            &self.hashes,
            &mut ByColumns(&mut self.columns),
            NumberingCounts {
                next_group: &mut self.groups,
                recurring: &mut self.recurring,
                last: &mut self.last_hashed,
            },
            groups,
        );
        Ok(())
    }

    fn emit(&mut self) -> Result<Vec<ArrayRef>> {
        self.table.clear();
        self.groups = 0;
        if let Some(direct) = self.direct.as_mut() {
            direct.fill(NO_GROUP);
        }
        self.direct_rows = 0;
        self.recurring = 0;
        self.last_hashed = None;
        self.last_direct = None;
        if let Some(packed) = self.packed.as_mut() {
            packed.clear();
        }
        Ok(self.columns.iter_mut().map(|c| c.take()).collect())
    }

    fn num_groups(&self) -> usize {
        self.groups
    }

    fn recurring_rows(&self) -> usize {
        self.recurring
    }

    fn size(&self) -> usize {
        self.columns.iter().map(|c| c.size()).sum::<usize>()
            + self.packed.as_ref().map_or(0, PackedKeys::size)
            + self.table.size()
            + self.hashes.capacity() * 8
            + self.direct.as_ref().map_or(0, |d| d.capacity() * 4)
    }
}

/// Keys of any types, encoded in Arrow's row format.
pub struct RowGroupValues {
    converter: RowConverter,
    rows: Rows,
    table: GroupTable,
    hasher: RandomState,
    /// See [`GroupValues::recurring_rows`].
    recurring: usize,
}

impl RowGroupValues {
    /// A table for keys of the given types.
    pub fn try_new(types: &[DataType]) -> Result<Self> {
        let converter =
            RowConverter::new(types.iter().map(|t| SortField::new(t.clone())).collect())?;
        let rows = converter.empty_rows(0, 0);
        Ok(Self {
            converter,
            rows,
            table: GroupTable::default(),
            hasher: RandomState::with_seed(GROUP_HASH_SEED),
            recurring: 0,
        })
    }
}

impl GroupValues for RowGroupValues {
    fn intern(&mut self, keys: &[ArrayRef], groups: &mut Vec<usize>) -> Result<()> {
        groups.clear();
        let batch_rows = self.converter.convert_columns(keys)?;
        for row in batch_rows.iter() {
            let hash = self.hasher.hash_one(row.as_ref());
            let rows = &self.rows;
            let group = match self.table.find_or_insert(hash, |g| rows.row(g) == row) {
                Lookup::Found(g) => {
                    self.recurring += 1;
                    g
                }
                Lookup::Inserted(g) => {
                    self.rows.push(row);
                    g
                }
            };
            groups.push(group);
        }
        Ok(())
    }

    fn emit(&mut self) -> Result<Vec<ArrayRef>> {
        Ok(self.converter.convert_rows(self.rows.iter())?)
    }

    fn num_groups(&self) -> usize {
        self.rows.num_rows()
    }

    fn recurring_rows(&self) -> usize {
        self.recurring
    }

    fn size(&self) -> usize {
        self.rows.size() + self.table.size()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_that_come_back_are_counted_and_runs_are_not() {
        let batch =
            |v: Vec<i64>| -> Vec<ArrayRef> { vec![Arc::new(arrow::array::Int64Array::from(v))] };
        // Small keys (the direct table) and large ones (the hash table).
        for base in [0, 1 << 40] {
            let mut table = new_group_values(&[DataType::Int64]).unwrap();
            let mut groups = vec![];
            // Sorted runs, one of them going on into the next batch.
            for keys in [vec![1, 1, 2, 2, 3], vec![3, 3, 4, 5, 5]] {
                let keys = keys.into_iter().map(|k| base + k).collect();
                table.intern(&batch(keys), &mut groups).unwrap();
            }
            assert_eq!(table.num_groups(), 5);
            assert_eq!(table.recurring_rows(), 0, "base {base}");
            // Keys seen before, each after another key.
            let keys = [2, 1, 2, 2].into_iter().map(|k| base + k).collect();
            table.intern(&batch(keys), &mut groups).unwrap();
            assert_eq!(groups, vec![1, 0, 1, 1]);
            assert_eq!(table.recurring_rows(), 3, "base {base}");
            table.emit().unwrap();
            assert_eq!(table.recurring_rows(), 0);
        }
    }

    #[test]
    fn sparse_small_keys_leave_the_direct_table() {
        let mut table = new_group_values(&[DataType::Int64]).unwrap();
        let mut groups = vec![];
        let batch =
            |v: Vec<i64>| -> Vec<ArrayRef> { vec![Arc::new(arrow::array::Int64Array::from(v))] };
        // Two groups over as many rows as the direct table is long do not
        // keep that 200 KB table.
        let sparse: Vec<i64> = (0..1_001).map(|i| (i % 2) * 50_000).collect();
        for _ in 0..50 {
            table.intern(&batch(sparse.clone()), &mut groups).unwrap();
            assert_eq!(&groups[..3], &[0, 1, 0]);
        }
        assert!(table.size() < 100_000, "{}", table.size());
        table
            .intern(&batch(vec![50_000, 7, 0]), &mut groups)
            .unwrap();
        assert_eq!(groups, vec![1, 2, 0]);
    }

    #[test]
    fn small_keys_numbered_directly_keep_their_groups_past_large_ones() {
        let mut table = new_group_values(&[DataType::Int64]).unwrap();
        let mut groups = vec![];
        let batch = |v: Vec<Option<i64>>| -> Vec<ArrayRef> {
            vec![Arc::new(arrow::array::Int64Array::from(v))]
        };
        table
            .intern(&batch(vec![Some(3), Some(1), Some(3)]), &mut groups)
            .unwrap();
        assert_eq!(groups, vec![0, 1, 0]);
        // A large key and a NULL end direct numbering; old groups stay.
        table
            .intern(
                &batch(vec![Some(1), Some(1 << 40), None, Some(3)]),
                &mut groups,
            )
            .unwrap();
        assert_eq!(groups, vec![1, 2, 3, 0]);
        table
            .intern(&batch(vec![Some(1 << 40), Some(7)]), &mut groups)
            .unwrap();
        assert_eq!(groups, vec![2, 4]);
        assert_eq!(table.num_groups(), 5);
    }
    use arrow::array::{Float64Array, Int32Array, Int64Array, ListArray};
    use arrow::datatypes::Int32Type;

    fn check_numbering(types: Vec<DataType>, keys: Vec<ArrayRef>) {
        let mut table = new_group_values(&types).unwrap();
        let mut groups = vec![];
        table.intern(&keys, &mut groups).unwrap();
        // Rows 0 and 2 are equal; rows 3 and 4 are both NULL.
        assert_eq!(groups, vec![0, 1, 0, 2, 2]);
        table.intern(&keys, &mut groups).unwrap();
        assert_eq!(
            groups,
            vec![0, 1, 0, 2, 2],
            "a second batch finds the same groups"
        );
        assert_eq!(table.num_groups(), 3);
        let out = table.emit().unwrap();
        assert_eq!(out.len(), keys.len());
        assert_eq!(out[0].len(), 3);
        assert!(out[0].is_null(2), "NULL keys form one group");
        assert_eq!(out[0].data_type(), keys[0].data_type());
    }

    #[test]
    fn column_wise_keys_of_each_layout() {
        let ints: ArrayRef = Arc::new(Int32Array::from(vec![
            Some(1),
            Some(2),
            Some(1),
            None,
            None,
        ]));
        let strings = vec![Some("a"), Some("b"), Some("a"), None, None];
        check_numbering(vec![DataType::Int32], vec![Arc::clone(&ints)]);
        for array in [
            Arc::new(StringArray::from(strings.clone())) as ArrayRef,
            Arc::new(LargeStringArray::from(strings.clone())),
            Arc::new(StringViewArray::from(strings.clone())),
        ] {
            check_numbering(
                vec![array.data_type().clone(), DataType::Int32],
                vec![array, Arc::clone(&ints)],
            );
        }
        let bools: ArrayRef = Arc::new(BooleanArray::from(vec![
            Some(true),
            Some(false),
            Some(true),
            None,
            None,
        ]));
        check_numbering(vec![DataType::Boolean], vec![bools]);
    }

    #[test]
    fn other_types_use_the_row_format() {
        let lists: ArrayRef = Arc::new(ListArray::from_iter_primitive::<Int32Type, _, _>(vec![
            Some(vec![Some(1)]),
            Some(vec![]),
            Some(vec![Some(1)]),
            None,
            None,
        ]));
        check_numbering(vec![lists.data_type().clone()], vec![lists]);
    }

    #[test]
    fn short_and_long_view_strings_compare_by_value() {
        let long = "a string longer than twelve bytes";
        let keys = StringViewArray::from(vec![
            Some("ab"),
            Some(long),
            Some(""),
            Some("ab"),
            Some(long),
            Some(""),
        ]);
        let mut table = new_group_values(&[DataType::Utf8View]).unwrap();
        let mut groups = vec![];
        table
            .intern(&[Arc::new(keys) as ArrayRef], &mut groups)
            .unwrap();
        assert_eq!(groups, vec![0, 1, 2, 0, 1, 2]);
        let out = table.emit().unwrap();
        assert_eq!(out[0].as_string_view().value(1), long);
    }

    #[test]
    fn composite_keys_differ_in_any_column() {
        let a: ArrayRef = Arc::new(Int32Array::from(vec![1, 1, 2]));
        let b: ArrayRef = Arc::new(StringArray::from(vec!["x", "y", "x"]));
        let mut table = new_group_values(&[DataType::Int32, DataType::Utf8]).unwrap();
        let mut groups = vec![];
        table.intern(&[a, b], &mut groups).unwrap();
        assert_eq!(groups, vec![0, 1, 2]);
    }

    #[test]
    fn a_batch_with_a_long_string_stops_packing_and_groups_keep_their_numbers() {
        let long = "a string longer than twelve bytes";
        type Layout = fn(Vec<Option<&str>>) -> ArrayRef;
        let layouts: [Layout; 3] = [
            |v| Arc::new(StringArray::from(v)),
            |v| Arc::new(LargeStringArray::from(v)),
            |v| Arc::new(StringViewArray::from(v)),
        ];
        for layout in layouts {
            let first = layout(vec![Some("ab"), None, Some("cd")]);
            let types = [first.data_type().clone(), DataType::Int64];
            let ints = |v: Vec<i64>| Arc::new(Int64Array::from(v)) as ArrayRef;
            let mut table = new_group_values(&types).unwrap();
            let mut groups = vec![];
            table
                .intern(&[first, ints(vec![1, 1, 1])], &mut groups)
                .unwrap();
            assert_eq!(groups, [0, 1, 2]);
            let second = layout(vec![Some("cd"), Some(long), None, Some("ab")]);
            table
                .intern(&[second, ints(vec![1, 1, 1, 2])], &mut groups)
                .unwrap();
            assert_eq!(groups, [2, 3, 1, 4]);
            let third = layout(vec![Some("ab"), Some(long)]);
            table
                .intern(&[third, ints(vec![1, 1])], &mut groups)
                .unwrap();
            assert_eq!(groups, [0, 3]);
            let out = table.emit().unwrap();
            let strings = arrow::compute::cast(&out[0], &DataType::Utf8).unwrap();
            let strings: Vec<Option<&str>> = strings.as_string::<i32>().iter().collect();
            assert_eq!(
                strings,
                [Some("ab"), None, Some("cd"), Some(long), Some("ab")]
            );
        }
    }

    #[test]
    fn packed_keys_tell_apart_nulls_zeros_and_float_bits() {
        let ints: ArrayRef = Arc::new(Int64Array::from(vec![Some(0), None, Some(0), None]));
        let floats: ArrayRef = Arc::new(Float64Array::from(vec![0.0, 0.0, -0.0, 0.0]));
        let mut table = new_group_values(&[DataType::Int64, DataType::Float64]).unwrap();
        let mut groups = vec![];
        table.intern(&[ints, floats], &mut groups).unwrap();
        // -0.0 and 0.0 are told apart, as by the column comparison.
        assert_eq!(groups, [0, 1, 2, 1]);
    }

    #[test]
    fn many_groups_stop_packing_and_keep_their_numbers() {
        let n = MAX_PACKED_GROUPS as i64 + 10;
        let keys: ArrayRef = Arc::new(Int64Array::from((0..n).collect::<Vec<_>>()));
        let mut table = new_group_values(&[DataType::Int64]).unwrap();
        let mut groups = vec![];
        table.intern(&[Arc::clone(&keys)], &mut groups).unwrap();
        table.intern(&[keys], &mut groups).unwrap();
        assert!(groups.iter().enumerate().all(|(row, &g)| row == g));
        assert_eq!(table.num_groups(), n as usize);
    }
}
