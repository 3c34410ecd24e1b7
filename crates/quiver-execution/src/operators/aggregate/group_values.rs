//! Group tables: map group keys to dense group numbers, in order of first
//! appearance.
//!
//! [`ColumnGroupValues`] stores keys column by column and compares a row's
//! keys only when its hash matches a stored group; it covers primitive,
//! boolean and string keys. [`RowGroupValues`] encodes any keys in Arrow's
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
use hashbrown::HashTable;
use quiver_expr::Result;

/// Numbers the distinct keys of a grouping.
pub trait GroupValues: Send {
    /// Writes the group number of every row of `keys` into `groups`.
    fn intern(&mut self, keys: &[ArrayRef], groups: &mut Vec<usize>) -> Result<()>;

    /// The key columns of every group, in group-number order.
    fn emit(&mut self) -> Result<Vec<ArrayRef>>;

    /// The number of distinct groups seen.
    fn num_groups(&self) -> usize;

    /// Approximate memory held, in bytes.
    fn size(&self) -> usize;
}

/// The best group table for keys of the given types.
pub fn new_group_values(types: &[DataType]) -> Result<Box<dyn GroupValues>> {
    let columns: Option<Vec<Box<dyn KeyColumn>>> = types.iter().map(key_column).collect();
    Ok(match columns {
        Some(columns) => Box::new(ColumnGroupValues {
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

/// Keys stored column by column; rows are hashed a column at a time.
#[derive(Default)]
pub struct ColumnGroupValues {
    columns: Vec<Box<dyn KeyColumn>>,
    table: HashTable<(u64, usize)>,
    hashes: Vec<u64>,
    groups: usize,
}

impl GroupValues for ColumnGroupValues {
    fn intern(&mut self, keys: &[ArrayRef], groups: &mut Vec<usize>) -> Result<()> {
        groups.clear();
        let rows = keys.first().map_or(0, |k| k.len());
        self.hashes.clear();
        self.hashes.resize(rows, 0);
        create_hashes(
            keys,
            &RandomState::with_seed(GROUP_HASH_SEED),
            &mut self.hashes,
        )?;
        for (c, k) in self.columns.iter_mut().zip(keys) {
            c.set_batch(k);
        }
        let Self {
            columns,
            table,
            hashes,
            groups: next_group,
        } = self;
        let same_key = |columns: &[Box<dyn KeyColumn>], g: usize, row: usize| {
            columns.iter().all(|c| c.equals(g, row))
        };
        // Keys often come in runs (sorted or clustered data): a row whose key
        // is the previous row's needs no table lookup.
        let mut previous: Option<(u64, usize)> = None;
        for (row, &hash) in hashes.iter().enumerate() {
            if let Some((h, g)) = previous {
                if h == hash && same_key(columns, g, row) {
                    groups.push(g);
                    continue;
                }
            }
            let entry = table.entry(
                hash,
                |&(h, g)| h == hash && same_key(columns, g, row),
                |&(h, _)| h,
            );
            let group = match entry {
                hashbrown::hash_table::Entry::Occupied(o) => o.get().1,
                hashbrown::hash_table::Entry::Vacant(v) => {
                    let g = *next_group;
                    v.insert((hash, g));
                    for c in columns.iter_mut() {
                        c.append(row);
                    }
                    *next_group += 1;
                    g
                }
            };
            previous = Some((hash, group));
            groups.push(group);
        }
        Ok(())
    }

    fn emit(&mut self) -> Result<Vec<ArrayRef>> {
        self.table.clear();
        self.groups = 0;
        Ok(self.columns.iter_mut().map(|c| c.take()).collect())
    }

    fn num_groups(&self) -> usize {
        self.groups
    }

    fn size(&self) -> usize {
        self.columns.iter().map(|c| c.size()).sum::<usize>()
            + self.table.capacity() * 16
            + self.hashes.capacity() * 8
    }
}

/// Keys of any types, encoded in Arrow's row format.
pub struct RowGroupValues {
    converter: RowConverter,
    rows: Rows,
    table: HashTable<(u64, usize)>,
    hasher: RandomState,
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
            table: HashTable::new(),
            hasher: RandomState::with_seed(GROUP_HASH_SEED),
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
            let group = match self
                .table
                .find(hash, |&(h, g)| h == hash && rows.row(g) == row)
            {
                Some(&(_, g)) => g,
                None => {
                    let g = self.rows.num_rows();
                    self.rows.push(row);
                    self.table.insert_unique(hash, (hash, g), |&(h, _)| h);
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

    fn size(&self) -> usize {
        self.rows.size() + self.table.capacity() * 16
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int32Array, ListArray};
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
}
