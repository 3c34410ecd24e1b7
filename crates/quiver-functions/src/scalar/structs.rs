//! Structs and maps: `struct_pack` (the `{'a': 1}` literal), `row` (the
//! `(1, 'a')` tuple),
//! `struct_extract` (`s.a`, `s['a']`), `map` (the `MAP {k: v}` literal),
//! `map_keys`, `map_values`, `map_entries` and `map_extract`.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, ListArray, MapArray, StructArray, UInt32Array};
use arrow::buffer::{NullBuffer, OffsetBuffer};
use arrow::compute::take;
use arrow::datatypes::{DataType, Field, Fields};
use quiver_expr::types::is_integer;
use quiver_expr::{ColumnarValue, QuiverError, Result, ScalarFunction, ScalarValue};

use super::lists::{
    as_list_type, element_field, list_array, list_column, list_of, lookup_key_type, map_entries_of,
};
use super::{check_arity, result_rows, shaped, wrong_types};

/// The text of a constant string argument.
fn constant_text(value: &Option<ScalarValue>) -> Option<&str> {
    match value {
        Some(ScalarValue::Utf8(Some(s))) => Some(s),
        _ => None,
    }
}

/// `struct_pack(a := x, b := y)`, written `{'a': x, 'b': y}`: a struct of
/// the values under the names. Bound as `struct_pack('a', x, 'b', y)`:
/// each name a constant before its value.
#[derive(Debug)]
pub struct StructPack;

impl StructPack {
    /// The struct's fields for the argument types and constant names.
    fn fields(arg_types: &[DataType], constants: &[Option<ScalarValue>]) -> Result<Fields> {
        let mut fields: Vec<Field> = vec![];
        for (i, pair) in arg_types.chunks(2).enumerate() {
            let name = constant_text(constants.get(2 * i).unwrap_or(&None)).ok_or_else(|| {
                QuiverError::Plan("struct_pack takes name := value arguments".into())
            })?;
            if fields.iter().any(|f| f.name().eq_ignore_ascii_case(name)) {
                return Err(QuiverError::Plan(format!(
                    "struct field \"{name}\" is given twice"
                )));
            }
            fields.push(Field::new(name, pair[1].clone(), true));
        }
        Ok(fields.into())
    }
}

impl ScalarFunction for StructPack {
    fn name(&self) -> &str {
        "struct_pack"
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if arg_types.is_empty() || !arg_types.len().is_multiple_of(2) {
            return Err(QuiverError::Plan(
                "struct_pack takes name := value arguments".into(),
            ));
        }
        Ok(arg_types.to_vec())
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.return_type_of_call(arg_types, &[])
    }
    fn return_type_of_call(
        &self,
        arg_types: &[DataType],
        constants: &[Option<ScalarValue>],
    ) -> Result<DataType> {
        Ok(DataType::Struct(Self::fields(arg_types, constants)?))
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        let rows = result_rows(args, num_rows);
        let types: Vec<DataType> = args.iter().map(|a| a.data_type()).collect();
        let constants: Vec<Option<ScalarValue>> = args
            .iter()
            .map(|a| match a {
                ColumnarValue::Scalar(v) => Some(v.clone()),
                ColumnarValue::Array(_) => None,
            })
            .collect();
        let fields = Self::fields(&types, &constants)?;
        let columns = args
            .chunks(2)
            .map(|pair| pair[1].to_array(rows))
            .collect::<Result<Vec<ArrayRef>>>()?;
        let out = StructArray::try_new(fields, columns, None)?;
        shaped(args, Arc::new(out))
    }
}

/// `row(a, b, …)`, also written `(a, b, …)`: a tuple, DuckDB's unnamed
/// struct, whose fields have no names (reached by position:
/// `struct_extract(t, 1)`). Tuples of the same types compare, sort and
/// group field by field.
#[derive(Debug)]
pub struct Row;

impl ScalarFunction for Row {
    fn name(&self) -> &str {
        "row"
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        Ok(arg_types
            .iter()
            .map(|t| match t {
                // A NULL field is an INTEGER, as DuckDB types it.
                DataType::Null => DataType::Int32,
                t => t.clone(),
            })
            .collect())
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(tuple_type(arg_types))
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        let rows = result_rows(args, num_rows);
        let types: Vec<DataType> = args.iter().map(|a| a.data_type()).collect();
        let DataType::Struct(fields) = tuple_type(&types) else {
            return Err(QuiverError::Internal("a tuple is a struct".into()));
        };
        let out = match args.is_empty() {
            true => StructArray::new_empty_fields(rows, None),
            false => {
                let columns = args
                    .iter()
                    .map(|a| a.to_array(rows))
                    .collect::<Result<Vec<ArrayRef>>>()?;
                StructArray::try_new(fields, columns, None)?
            }
        };
        shaped(args, Arc::new(out))
    }
}

/// The type of a tuple of values of `types`: a struct of unnamed fields.
fn tuple_type(types: &[DataType]) -> DataType {
    DataType::Struct(
        types
            .iter()
            .map(|t| Field::new("", t.clone(), true))
            .collect(),
    )
}

/// `struct_extract(s, 'name')` (written `s.name` or `s['name']`; names
/// match without regard to case, as in DuckDB), or `struct_extract(s, i)`
/// for the `i`th field (1-based): one field of a struct, NULL where the
/// struct is.
#[derive(Debug)]
pub struct StructExtract;

impl StructExtract {
    /// The position of the field a constant key names in `fields`.
    fn position(fields: &Fields, key: &Option<ScalarValue>) -> Result<usize> {
        let names = || {
            fields
                .iter()
                .map(|f| f.name().as_str())
                .collect::<Vec<_>>()
                .join(", ")
        };
        match key {
            Some(ScalarValue::Utf8(Some(name))) if quiver_expr::types::is_tuple(fields) => {
                Err(QuiverError::Plan(format!(
                    "a tuple's fields have no names (not \"{name}\"); reach them by \
                     position: struct_extract(t, 1) or t[1]"
                )))
            }
            Some(ScalarValue::Utf8(Some(name))) => fields
                .iter()
                .position(|f| f.name() == name)
                .or_else(|| {
                    fields
                        .iter()
                        .position(|f| f.name().eq_ignore_ascii_case(name))
                })
                .ok_or_else(|| {
                    QuiverError::Plan(format!(
                        "the struct has no field \"{name}\"; its fields are {}",
                        names()
                    ))
                }),
            Some(ScalarValue::Int64(Some(i))) if *i >= 1 && (*i as usize) <= fields.len() => {
                Ok(*i as usize - 1)
            }
            Some(ScalarValue::Int64(Some(i))) => Err(QuiverError::Plan(format!(
                "struct field index {i} is out of range: the struct has {} fields",
                fields.len()
            ))),
            _ => Err(QuiverError::Plan(
                "the field of struct_extract must be a constant name or position".into(),
            )),
        }
    }
}

impl ScalarFunction for StructExtract {
    fn name(&self) -> &str {
        "struct_extract"
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(self.name(), arg_types, 2, 2)?;
        let key = match &arg_types[1] {
            t if is_integer(t) => DataType::Int64,
            _ => DataType::Utf8,
        };
        match &arg_types[0] {
            DataType::Struct(_) => Ok(vec![arg_types[0].clone(), key]),
            _ => Err(wrong_types(self.name(), arg_types)),
        }
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.return_type_of_call(arg_types, &[])
    }
    fn return_type_of_call(
        &self,
        arg_types: &[DataType],
        constants: &[Option<ScalarValue>],
    ) -> Result<DataType> {
        let DataType::Struct(fields) = &arg_types[0] else {
            return Err(wrong_types(self.name(), arg_types));
        };
        let at = Self::position(fields, constants.get(1).unwrap_or(&None))?;
        Ok(fields[at].data_type().clone())
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        let rows = result_rows(args, num_rows);
        let input = args[0].to_array(rows)?;
        let input = input.as_struct();
        let key = match &args[1] {
            ColumnarValue::Scalar(v) => Some(v.clone()),
            ColumnarValue::Array(_) => None,
        };
        let at = Self::position(input.fields(), &key)?;
        let column = input.column(at);
        let out = match NullBuffer::union(input.nulls(), column.nulls()) {
            Some(nulls) if input.null_count() > 0 => arrow::array::make_array(
                column.to_data().into_builder().nulls(Some(nulls)).build()?,
            ),
            _ => Arc::clone(column),
        };
        shaped(args, out)
    }
}

/// The map type from keys of type `key` to values of type `value`.
fn map_of(key: DataType, value: DataType) -> DataType {
    let entries = Fields::from(vec![
        Field::new("key", key, false),
        Field::new("value", value, true),
    ]);
    DataType::Map(
        Arc::new(Field::new("entries", DataType::Struct(entries), false)),
        false,
    )
}

/// The key and value fields of a map type.
fn map_fields(t: &DataType) -> Option<(&Field, &Field)> {
    match t {
        DataType::Map(entries, _) => match entries.data_type() {
            DataType::Struct(f) if f.len() == 2 => Some((&f[0], &f[1])),
            _ => None,
        },
        _ => None,
    }
}

/// `map(keys, values)` (written `MAP {k1: v1, k2: v2}`): a map pairing
/// two lists of the same length; `map()` is the empty map. Keys may not be
/// NULL.
#[derive(Debug)]
pub struct MapFromLists;

impl ScalarFunction for MapFromLists {
    fn name(&self) -> &str {
        "map"
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if arg_types.is_empty() {
            return Ok(vec![]);
        }
        check_arity(self.name(), arg_types, 2, 2)?;
        arg_types
            .iter()
            .map(|t| as_list_type(t).ok_or_else(|| wrong_types(self.name(), arg_types)))
            .collect()
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        let item = |i: usize| {
            arg_types
                .get(i)
                .and_then(element_field)
                .map_or(DataType::Null, |f| f.data_type().clone())
        };
        Ok(map_of(item(0), item(1)))
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        let rows = result_rows(args, num_rows);
        let DataType::Map(entries_field, _) =
            self.return_type(&args.iter().map(|a| a.data_type()).collect::<Vec<_>>())?
        else {
            return Err(QuiverError::Internal("map type".into()));
        };
        let DataType::Struct(entry_fields) = entries_field.data_type().clone() else {
            return Err(QuiverError::Internal("map entries".into()));
        };
        let (keys, values) = if args.is_empty() {
            let empty =
                ListArray::new_null(Arc::new(Field::new_list_field(DataType::Null, true)), rows);
            (empty.clone(), empty)
        } else {
            (list_column(&args[0], rows)?, list_column(&args[1], rows)?)
        };
        let mut lengths = Vec::with_capacity(rows);
        let mut key_picks = vec![];
        let mut value_picks = vec![];
        let mut valid = Vec::with_capacity(rows);
        let (ko, vo) = (keys.value_offsets(), values.value_offsets());
        for row in 0..rows {
            let is_map = keys.is_valid(row) && values.is_valid(row);
            let (k, v) = (
                ko[row] as u32..ko[row + 1] as u32,
                vo[row] as u32..vo[row + 1] as u32,
            );
            if is_map && k.len() != v.len() {
                return Err(QuiverError::Execution(format!(
                    "map() needs as many keys as values, got {} keys and {} values",
                    k.len(),
                    v.len()
                )));
            }
            if is_map {
                lengths.push(k.len());
                key_picks.extend(k);
                value_picks.extend(v);
            } else {
                lengths.push(0);
            }
            valid.push(is_map || args.is_empty());
        }
        let key_values = take(keys.values().as_ref(), &UInt32Array::from(key_picks), None)?;
        if key_values.null_count() > 0 {
            return Err(QuiverError::Execution("map keys cannot be NULL".into()));
        }
        let value_values = take(
            values.values().as_ref(),
            &UInt32Array::from(value_picks),
            None,
        )?;
        let entries = StructArray::try_new(entry_fields, vec![key_values, value_values], None)?;
        let out = MapArray::try_new(
            entries_field,
            OffsetBuffer::from_lengths(lengths),
            entries,
            Some(valid.into()),
            false,
        )?;
        shaped(args, Arc::new(out))
    }
}

/// `map_from_entries(l)`: a map of a list of two-field structs (`[{k: 'a',
/// v: 1}]`), the first field the key, the second the value; NULL for a
/// NULL list. Keys (and entries) may not be NULL.
#[derive(Debug)]
pub struct MapFromEntries;

impl MapFromEntries {
    /// The key and value types of an entry list type.
    fn entry_types(&self, arg_types: &[DataType]) -> Result<(DataType, DataType)> {
        check_arity(self.name(), arg_types, 1, 1)?;
        match arg_types[0].clone() {
            DataType::Null => Ok((DataType::Null, DataType::Null)),
            list => match element_field(&list).map(|f| f.data_type()) {
                Some(DataType::Null) => Ok((DataType::Null, DataType::Null)),
                Some(DataType::Struct(fields)) if fields.len() == 2 => {
                    Ok((fields[0].data_type().clone(), fields[1].data_type().clone()))
                }
                _ => Err(QuiverError::Plan(format!(
                    "map_from_entries takes a list of two-field structs (key, value), not {}",
                    quiver_expr::types::sql_type_name(&arg_types[0])
                ))),
            },
        }
    }
}

impl ScalarFunction for MapFromEntries {
    fn name(&self) -> &str {
        "map_from_entries"
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        self.entry_types(arg_types)?;
        Ok(vec![
            as_list_type(&arg_types[0]).unwrap_or_else(|| arg_types[0].clone())
        ])
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        let (key, value) = self.entry_types(arg_types)?;
        Ok(map_of(key, value))
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        let rows = result_rows(args, num_rows);
        let list = list_column(&args[0], rows)?;
        let DataType::Map(entries_field, _) = self.return_type(&[args[0].data_type()])? else {
            return Err(QuiverError::Internal("map type".into()));
        };
        let DataType::Struct(entry_fields) = entries_field.data_type().clone() else {
            return Err(QuiverError::Internal("map entries".into()));
        };
        let offsets = list.value_offsets();
        let first = offsets[0] as usize;
        let used = list.values().slice(first, offsets[rows] as usize - first);
        let (keys, values) = match used.data_type() {
            DataType::Struct(_) => {
                let pairs = used.as_struct();
                if pairs.logical_null_count() > 0 || pairs.column(0).logical_null_count() > 0 {
                    return Err(QuiverError::Execution(
                        "map_from_entries: map keys cannot be NULL".into(),
                    ));
                }
                (Arc::clone(pairs.column(0)), Arc::clone(pairs.column(1)))
            }
            _ => {
                let none = arrow::array::new_null_array(&DataType::Null, 0);
                (Arc::clone(&none), none)
            }
        };
        let entries = StructArray::try_new(entry_fields, vec![keys, values], None)?;
        let lengths = offsets.windows(2).map(|w| (w[1] - w[0]) as usize);
        let out = MapArray::try_new(
            entries_field,
            OffsetBuffer::from_lengths(lengths),
            entries,
            list.nulls().cloned(),
            false,
        )?;
        shaped(args, Arc::new(out))
    }
}

/// Which part of a map a function returns.
#[derive(Debug, Clone, Copy)]
enum MapPart {
    Keys,
    Values,
    Entries,
}

/// `map_keys(m)`, `map_values(m)` and `map_entries(m)` (a list of
/// `{key, value}` structs): a map's parts as lists, in entry order.
#[derive(Debug)]
pub struct MapParts {
    part: MapPart,
}

impl MapParts {
    /// `map_keys`, `map_values` and `map_entries`.
    pub fn all() -> [Self; 3] {
        [MapPart::Keys, MapPart::Values, MapPart::Entries].map(|part| Self { part })
    }
}

impl ScalarFunction for MapParts {
    fn name(&self) -> &str {
        match self.part {
            MapPart::Keys => "map_keys",
            MapPart::Values => "map_values",
            MapPart::Entries => "map_entries",
        }
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(self.name(), arg_types, 1, 1)?;
        map_fields(&arg_types[0]).ok_or_else(|| wrong_types(self.name(), arg_types))?;
        Ok(arg_types.to_vec())
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        let (key, value) =
            map_fields(&arg_types[0]).ok_or_else(|| wrong_types(self.name(), arg_types))?;
        Ok(match self.part {
            MapPart::Keys => list_of(key.data_type().clone()),
            MapPart::Values => list_of(value.data_type().clone()),
            MapPart::Entries => list_of(DataType::Struct(
                vec![key.clone().with_nullable(true), value.clone()].into(),
            )),
        })
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        let rows = result_rows(args, num_rows);
        let map = args[0].to_array(rows)?;
        let map = map.as_map();
        let values: ArrayRef = match self.part {
            MapPart::Keys => Arc::clone(map.keys()),
            MapPart::Values => Arc::clone(map.values()),
            MapPart::Entries => {
                let entries = map.entries();
                let DataType::List(item) = self.return_type(&[map.data_type().clone()])? else {
                    return Err(QuiverError::Internal("map_entries type".into()));
                };
                let DataType::Struct(fields) = item.data_type().clone() else {
                    return Err(QuiverError::Internal("map_entries type".into()));
                };
                Arc::new(StructArray::try_new(
                    fields,
                    entries.columns().to_vec(),
                    None,
                )?)
            }
        };
        shaped(
            args,
            list_array(map.offsets().clone(), values, map.nulls().cloned())?,
        )
    }
}

/// `map_extract(m, k)` (`element_at`): a list holding the value `m` has
/// for `k`, empty when it has none (DuckDB's form; `m[k]` gives the value
/// itself).
#[derive(Debug)]
pub struct MapExtract;

impl ScalarFunction for MapExtract {
    fn name(&self) -> &str {
        "map_extract"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["element_at"]
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(self.name(), arg_types, 2, 2)?;
        let (key, _) =
            map_fields(&arg_types[0]).ok_or_else(|| wrong_types(self.name(), arg_types))?;
        Ok(vec![
            arg_types[0].clone(),
            lookup_key_type(key.data_type(), &arg_types[1]),
        ])
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        let (_, value) =
            map_fields(&arg_types[0]).ok_or_else(|| wrong_types(self.name(), arg_types))?;
        Ok(list_of(value.data_type().clone()))
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        let rows = result_rows(args, num_rows);
        let map = args[0].to_array(rows)?;
        let map = map.as_map();
        let entries = map_entries_of(map, &args[1].to_array(rows)?)?;
        let lengths = entries.iter().map(|e| usize::from(e.is_some()));
        let found: UInt32Array = entries.iter().flatten().map(Some).collect();
        let values = take(map.values().as_ref(), &found, None)?;
        let out = list_array(
            OffsetBuffer::from_lengths(lengths),
            values,
            map.nulls().cloned(),
        )?;
        shaped(args, out)
    }
}
