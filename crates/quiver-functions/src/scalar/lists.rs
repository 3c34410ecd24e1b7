//! Making lists and reaching into them: `list_value` (the `[a, b]` and
//! `ARRAY[a, b]` literals), `array_extract` (`l[i]`, `m[k]`, `s[i]`) and
//! `list_slice` (`l[a:b]`, `s[a:b]`), 1-based as in DuckDB.

use std::sync::Arc;

use arrow::array::{
    new_empty_array, Array, ArrayRef, AsArray, GenericListArray, ListArray, StringBuilder,
    UInt32Array,
};
use arrow::buffer::OffsetBuffer;
use arrow::compute::kernels::cmp::eq;
use arrow::compute::{cast, interleave, take};
use arrow::datatypes::{DataType, Field, FieldRef};
use quiver_expr::types::sql_type_name;
use quiver_expr::{ColumnarValue, QuiverError, Result, ScalarFunction};

use super::{check_arity, common_arg_type, result_rows, shaped, wrong_types};

/// The list type holding `item`s.
pub(crate) fn list_of(item: DataType) -> DataType {
    DataType::List(Arc::new(Field::new_list_field(item, true)))
}

/// The element field of a list type; `None` for other types.
pub(crate) fn element_field(t: &DataType) -> Option<&FieldRef> {
    match t {
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => Some(f),
        _ => None,
    }
}

/// The type a list argument is brought to (every list kind becomes a
/// `List`; a NULL becomes a list of NULLs), or `None` for a non-list.
pub(crate) fn as_list_type(t: &DataType) -> Option<DataType> {
    match t {
        DataType::Null => Some(list_of(DataType::Null)),
        _ => element_field(t).map(|f| DataType::List(Arc::clone(f))),
    }
}

/// A list argument as a list column of `rows` rows.
pub(crate) fn list_column(value: &ColumnarValue, rows: usize) -> Result<ListArray> {
    let array = value.to_array(rows)?;
    match array.data_type() {
        DataType::List(_) => Ok(array.as_list::<i32>().clone()),
        DataType::Null => Ok(ListArray::new_null(
            Arc::new(Field::new_list_field(DataType::Null, true)),
            rows,
        )),
        other => Err(QuiverError::Internal(format!(
            "expected a list, found {}",
            sql_type_name(other)
        ))),
    }
}

/// A list column whose rows hold `values` cut at `offsets`.
pub(crate) fn list_array(
    offsets: OffsetBuffer<i32>,
    values: ArrayRef,
    nulls: Option<arrow::buffer::NullBuffer>,
) -> Result<ArrayRef> {
    let field = Arc::new(Field::new_list_field(values.data_type().clone(), true));
    Ok(Arc::new(ListArray::try_new(field, offsets, values, nulls)?))
}

/// The row each element belongs to, given a list's (or map's) `offsets`,
/// for the elements from the first offset to the last.
pub(crate) fn element_rows(offsets: &[i32]) -> Vec<u32> {
    let mut rows = Vec::with_capacity((offsets[offsets.len() - 1] - offsets[0]) as usize);
    for (row, w) in offsets.windows(2).enumerate() {
        rows.extend(std::iter::repeat_n(row as u32, (w[1] - w[0]) as usize));
    }
    rows
}

/// `list_value(a, b, ..)` (`list_pack`), written `[a, b, ..]` or
/// `ARRAY[a, b, ..]`: a list of the arguments, brought to one type.
#[derive(Debug)]
pub struct ListValue;

impl ScalarFunction for ListValue {
    fn name(&self) -> &str {
        "list_value"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["list_pack"]
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if arg_types.is_empty() {
            return Ok(vec![]);
        }
        common_arg_type("a list", arg_types)
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(list_of(
            arg_types.first().cloned().unwrap_or(DataType::Null),
        ))
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        let rows = result_rows(args, num_rows);
        let item = args.first().map_or(DataType::Null, |a| a.data_type());
        let field = Arc::new(Field::new_list_field(item.clone(), true));
        let width = args.len();
        let columns = args
            .iter()
            .map(|a| a.to_array(rows))
            .collect::<Result<Vec<_>>>()?;
        let values = if width == 0 {
            new_empty_array(&item)
        } else {
            let refs: Vec<&dyn Array> = columns.iter().map(|c| c.as_ref()).collect();
            let order: Vec<(usize, usize)> = (0..rows)
                .flat_map(|row| (0..width).map(move |arg| (arg, row)))
                .collect();
            interleave(&refs, &order)?
        };
        let offsets = OffsetBuffer::from_lengths(std::iter::repeat_n(width, rows));
        let list = ListArray::try_new(field, offsets, values, None)?;
        shaped(args, Arc::new(list))
    }
}

/// `unnest(l)` in a select list: one row per element of the list. The
/// binder turns each such call into an unnest operator below the select
/// list; a call anywhere else (WHERE, inside an aggregate) is an error
/// when the query is planned.
#[derive(Debug)]
pub struct Unnest;

impl Unnest {
    fn misplaced() -> QuiverError {
        QuiverError::Plan(
            "unnest() can only be used in the select list (not in WHERE, GROUP BY, an \
             aggregate or another unnest)"
                .into(),
        )
    }
}

impl ScalarFunction for Unnest {
    fn name(&self) -> &str {
        "unnest"
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(self.name(), arg_types, 1, 1)?;
        match &arg_types[0] {
            DataType::Struct(_) => Err(QuiverError::NotImplemented(
                "unnest of a STRUCT must be a whole select item (its fields become columns)".into(),
            )),
            t => Ok(vec![
                as_list_type(t).ok_or_else(|| wrong_types(self.name(), arg_types))?
            ]),
        }
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(element_field(&arg_types[0]).map_or(DataType::Null, |f| f.data_type().clone()))
    }
    fn prepare(
        &self,
        _constants: &[Option<quiver_expr::ScalarValue>],
    ) -> Result<Option<Arc<dyn ScalarFunction>>> {
        Err(Self::misplaced())
    }
    fn invoke(&self, _args: &[ColumnarValue], _num_rows: usize) -> Result<ColumnarValue> {
        Err(Self::misplaced())
    }
}

/// A 1-based position (`-1` is the last) in a sequence of `len` items as a
/// 0-based one; `None` outside it and for 0.
fn position(index: i64, len: usize) -> Option<usize> {
    let len = len as i64;
    let at = match index {
        0 => return None,
        i if i > 0 => i - 1,
        i => len + i,
    };
    (0..len).contains(&at).then_some(at as usize)
}

/// `array_extract(x, i)` (`list_extract`, `list_element`, written `x[i]`):
/// the `i`th element of a list or character of a string (1-based, `-1` the
/// last, NULL outside), or the value a map holds for the key `i`
/// (`element_at` is the same function).
#[derive(Debug)]
pub struct Extract;

impl ScalarFunction for Extract {
    fn name(&self) -> &str {
        "array_extract"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &[
            "list_extract",
            "list_element",
            "element_at",
            "map_extract_value",
        ]
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(self.name(), arg_types, 2, 2)?;
        let index = &arg_types[1];
        if let DataType::Map(entries, _) = &arg_types[0] {
            let DataType::Struct(fields) = entries.data_type() else {
                return Err(wrong_types(self.name(), arg_types));
            };
            return Ok(vec![
                arg_types[0].clone(),
                lookup_key_type(fields[0].data_type(), index),
            ]);
        }
        let container = match &arg_types[0] {
            t if quiver_expr::types::is_string(t) => DataType::Utf8,
            t => as_list_type(t).ok_or_else(|| wrong_types(self.name(), arg_types))?,
        };
        if !(quiver_expr::types::is_integer(index) || index == &DataType::Null) {
            return Err(wrong_types(self.name(), arg_types));
        }
        Ok(vec![container, DataType::Int64])
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(match &arg_types[0] {
            DataType::Map(entries, _) => match entries.data_type() {
                DataType::Struct(fields) => fields[1].data_type().clone(),
                _ => return Err(wrong_types(self.name(), arg_types)),
            },
            DataType::Utf8 => DataType::Utf8,
            t => element_field(t)
                .map(|f| f.data_type().clone())
                .unwrap_or(DataType::Null),
        })
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        let rows = result_rows(args, num_rows);
        let container = args[0].to_array(rows)?;
        let key = args[1].to_array(rows)?;
        let out = match container.data_type() {
            DataType::Utf8 => character_at(container.as_string::<i32>(), &key)?,
            DataType::Map(_, _) => map_value(container.as_map(), &key)?,
            _ => element_at(&list_column(&args[0], rows)?, &key)?,
        };
        shaped(args, out)
    }
}

/// The element of each list at each (1-based) index.
fn element_at(list: &ListArray, index: &ArrayRef) -> Result<ArrayRef> {
    let index = index.as_primitive::<arrow::datatypes::Int64Type>();
    let offsets = list.value_offsets();
    let picks: UInt32Array = (0..list.len())
        .map(|row| {
            if list.is_null(row) || index.is_null(row) {
                return None;
            }
            let start = offsets[row] as usize;
            let len = offsets[row + 1] as usize - start;
            position(index.value(row), len).map(|at| (start + at) as u32)
        })
        .collect();
    Ok(take(list.values().as_ref(), &picks, None)?)
}

/// The character of each string at each (1-based) index.
fn character_at(strings: &arrow::array::StringArray, index: &ArrayRef) -> Result<ArrayRef> {
    let index = index.as_primitive::<arrow::datatypes::Int64Type>();
    let mut out = StringBuilder::new();
    for row in 0..strings.len() {
        if strings.is_null(row) || index.is_null(row) {
            out.append_null();
            continue;
        }
        let s = strings.value(row);
        let chars = s.chars().count();
        match position(index.value(row), chars).and_then(|at| s.chars().nth(at)) {
            Some(c) => out.append_value(c.to_string()),
            None => out.append_value(""),
        }
    }
    Ok(Arc::new(out.finish()))
}

/// The type a key looked up in a map with keys of type `map_key` is cast
/// to: the map's key type, or the key's own for a map whose keys are NULL
/// (the empty map literal), where no key is found.
pub(crate) fn lookup_key_type(map_key: &DataType, given: &DataType) -> DataType {
    match map_key {
        DataType::Null => given.clone(),
        t => t.clone(),
    }
}

/// The entry of each map holding each key (the first with that key), NULL
/// where the map holds none or is NULL.
pub(crate) fn map_entries_of(map: &arrow::array::MapArray, key: &ArrayRef) -> Result<UInt32Array> {
    if map.keys().data_type() == &DataType::Null {
        return Ok(UInt32Array::new_null(map.len()));
    }
    let offsets = map.value_offsets();
    let entry_rows = element_rows(offsets);
    let first = offsets[0] as usize;
    let keys = map.keys().slice(first, entry_rows.len());
    let wanted = take(key.as_ref(), &UInt32Array::from(entry_rows), None)?;
    let wanted = cast(&wanted, keys.data_type())?;
    let hits = eq(&keys, &wanted)?;
    Ok((0..map.len())
        .map(|row| {
            if map.is_null(row) {
                return None;
            }
            let (start, end) = (offsets[row] as usize, offsets[row + 1] as usize);
            (start..end)
                .find(|&e| hits.is_valid(e - first) && hits.value(e - first))
                .map(|e| e as u32)
        })
        .collect())
}

/// The value each map holds for each key, NULL where it holds none.
fn map_value(map: &arrow::array::MapArray, key: &ArrayRef) -> Result<ArrayRef> {
    let entries = map_entries_of(map, key)?;
    Ok(take(map.values().as_ref(), &entries, None)?)
}

/// The 0-based half-open range a 1-based inclusive slice `[begin:end]` of
/// `len` items keeps (DuckDB's rules: negative bounds count from the end,
/// 0 is the start, bounds outside are clamped).
fn slice_range(begin: i64, end: i64, len: usize) -> (usize, usize) {
    let len = len as i64;
    let begin = if begin < 0 {
        len + begin + 1
    } else {
        begin.max(1)
    };
    let end = if end < 0 { len + end + 1 } else { end.min(len) };
    let from = (begin - 1).clamp(0, len);
    let to = end.clamp(0, len);
    (from as usize, to.max(from) as usize)
}

/// `list_slice(x, begin, end)` (`array_slice`, written `x[begin:end]`): the
/// elements of a list or characters of a string from `begin` to `end`,
/// 1-based and inclusive; NULL bounds give NULL.
#[derive(Debug)]
pub struct Slice;

impl ScalarFunction for Slice {
    fn name(&self) -> &str {
        "list_slice"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["array_slice"]
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(self.name(), arg_types, 3, 3)?;
        let container = match &arg_types[0] {
            t if quiver_expr::types::is_string(t) => DataType::Utf8,
            t => as_list_type(t).ok_or_else(|| wrong_types(self.name(), arg_types))?,
        };
        for bound in &arg_types[1..] {
            if !(quiver_expr::types::is_integer(bound) || bound == &DataType::Null) {
                return Err(wrong_types(self.name(), arg_types));
            }
        }
        Ok(vec![container, DataType::Int64, DataType::Int64])
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(arg_types[0].clone())
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        let rows = result_rows(args, num_rows);
        let begin = args[1].to_array(rows)?;
        let end = args[2].to_array(rows)?;
        let (begin, end) = (
            begin.as_primitive::<arrow::datatypes::Int64Type>(),
            end.as_primitive::<arrow::datatypes::Int64Type>(),
        );
        let bounds = |row: usize| -> Option<(i64, i64)> {
            (begin.is_valid(row) && end.is_valid(row)).then(|| (begin.value(row), end.value(row)))
        };
        let container = args[0].to_array(rows)?;
        if let Some(strings) = container.as_string_opt::<i32>() {
            let mut out = StringBuilder::new();
            for row in 0..rows {
                match bounds(row).filter(|_| strings.is_valid(row)) {
                    Some((b, e)) => {
                        let s = strings.value(row);
                        let (from, to) = slice_range(b, e, s.chars().count());
                        let piece: String = s.chars().skip(from).take(to - from).collect();
                        out.append_value(piece);
                    }
                    None => out.append_null(),
                }
            }
            return shaped(args, Arc::new(out.finish()));
        }
        let list = list_column(&args[0], rows)?;
        let offsets = list.value_offsets();
        let mut picks: Vec<u32> = vec![];
        let mut lengths = Vec::with_capacity(rows);
        let mut valid = Vec::with_capacity(rows);
        for row in 0..rows {
            let start = offsets[row] as usize;
            let len = offsets[row + 1] as usize - start;
            match bounds(row).filter(|_| list.is_valid(row)) {
                Some((b, e)) => {
                    let (from, to) = slice_range(b, e, len);
                    picks.extend((start + from..start + to).map(|i| i as u32));
                    lengths.push(to - from);
                    valid.push(true);
                }
                None => {
                    lengths.push(0);
                    valid.push(false);
                }
            }
        }
        let values = take(list.values().as_ref(), &UInt32Array::from(picks), None)?;
        let field = match list.data_type() {
            DataType::List(f) => Arc::clone(f),
            _ => return Err(QuiverError::Internal("list_slice over a non-list".into())),
        };
        let out = GenericListArray::<i32>::try_new(
            field,
            OffsetBuffer::from_lengths(lengths),
            values,
            Some(valid.into()),
        )?;
        shaped(args, Arc::new(out))
    }
}

#[cfg(test)]
fn int64s(values: &[Option<i64>]) -> ArrayRef {
    Arc::new(arrow::array::Int64Array::from(values.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use quiver_expr::ScalarValue;

    fn list(rows: &[Option<Vec<Option<i64>>>]) -> ArrayRef {
        Arc::new(ListArray::from_iter_primitive::<
            arrow::datatypes::Int64Type,
            _,
            _,
        >(rows.iter().cloned()))
    }

    #[test]
    fn positions_count_from_one_and_from_the_end() {
        assert_eq!(position(1, 3), Some(0));
        assert_eq!(position(-1, 3), Some(2));
        assert_eq!(position(0, 3), None);
        assert_eq!(position(4, 3), None);
        assert_eq!(position(-4, 3), None);
    }

    #[test]
    fn slices_follow_duckdb() {
        assert_eq!(slice_range(2, 3, 3), (1, 3));
        assert_eq!(slice_range(1, -1, 3), (0, 3));
        assert_eq!(slice_range(-2, 3, 3), (1, 3));
        assert_eq!(slice_range(0, 2, 3), (0, 2));
        assert_eq!(slice_range(3, 1, 3), (2, 2));
        assert_eq!(slice_range(5, 9, 3), (3, 3));
    }

    #[test]
    fn elements_are_taken_by_index_with_nulls_outside() {
        let lists = list(&[
            Some(vec![Some(1), Some(2), Some(3)]),
            None,
            Some(vec![]),
            Some(vec![Some(7)]),
        ]);
        let out = Extract
            .invoke(
                &[
                    ColumnarValue::Array(lists),
                    ColumnarValue::Array(int64s(&[Some(-1), Some(1), Some(1), None])),
                ],
                4,
            )
            .unwrap()
            .into_array(4)
            .unwrap();
        let out = out.as_primitive::<arrow::datatypes::Int64Type>();
        assert_eq!(
            out.iter().collect::<Vec<_>>(),
            vec![Some(3), None, None, None]
        );
    }

    #[test]
    fn list_values_interleave_their_arguments() {
        let out = ListValue
            .invoke(
                &[
                    ColumnarValue::Array(int64s(&[Some(1), None])),
                    ColumnarValue::Scalar(ScalarValue::Int64(Some(9))),
                ],
                2,
            )
            .unwrap()
            .into_array(2)
            .unwrap();
        let expected = list(&[Some(vec![Some(1), Some(9)]), Some(vec![None, Some(9)])]);
        assert_eq!(out.as_ref(), expected.as_ref());
    }
}
