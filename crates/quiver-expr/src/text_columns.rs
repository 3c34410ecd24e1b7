//! Columns made ready for writers of text formats, so that values are
//! written as DuckDB writes them ([`crate::value_text`]) rather than in
//! Arrow's form (or not at all):
//!
//! - for CSV and the shell's tables, every column whose text Quiver writes
//!   differently from Arrow (timestamps, times, intervals, BLOBs, UUIDs,
//!   lists, structs, maps) becomes VARCHAR;
//! - for JSON, such scalar columns become strings, and lists, structs and
//!   maps stay arrays and objects (a map's keys as text), their items made
//!   ready the same way; a tuple is an array of its fields (as text when
//!   their types differ).

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, GenericListArray, ListArray, MapArray, OffsetSizeTrait, StructArray,
};
use arrow::buffer::OffsetBuffer;
use arrow::datatypes::{DataType, Field, Fields, Schema};
use arrow::record_batch::RecordBatch;

use crate::error::Result;
use crate::value_text::{needs_sql_text, sql_text};

/// `column` as it is shown: as its SQL text where Quiver writes values
/// differently from Arrow.
pub fn displayed(column: &ArrayRef) -> Result<ArrayRef> {
    if needs_sql_text(column.data_type()) {
        sql_text(column)
    } else {
        Ok(Arc::clone(column))
    }
}

/// `batch` with each column [`displayed`], for CSV.
pub fn displayed_batch(batch: &RecordBatch) -> Result<RecordBatch> {
    converted(batch, displayed)
}

/// `column` as JSON writes it: see the module's documentation.
pub fn json_ready(column: &ArrayRef) -> Result<ArrayRef> {
    let nulls = column.nulls().cloned();
    Ok(match column.data_type() {
        DataType::List(_) => list_ready::<i32>(column)?,
        DataType::LargeList(_) => list_ready::<i64>(column)?,
        DataType::Struct(fields) if crate::types::is_tuple(fields) => tuple_ready(column)?,
        DataType::Struct(fields) => {
            let children = column
                .as_struct()
                .columns()
                .iter()
                .map(json_ready)
                .collect::<Result<Vec<_>>>()?;
            let fields: Fields = fields
                .iter()
                .zip(&children)
                .map(|(f, c)| Field::new(f.name(), c.data_type().clone(), f.is_nullable()))
                .collect();
            Arc::new(StructArray::try_new(fields, children, nulls)?)
        }
        // An object, its keys written as text.
        DataType::Map(field, sorted) => {
            let map = column.as_map();
            let keys = crate::cast::cast_array(map.keys(), &DataType::Utf8)?;
            let values = json_ready(map.values())?;
            let DataType::Struct(entry_fields) = field.data_type() else {
                return displayed(column);
            };
            let fields: Fields = [(&keys, &entry_fields[0]), (&values, &entry_fields[1])]
                .into_iter()
                .map(|(c, f)| Field::new(f.name(), c.data_type().clone(), f.is_nullable()))
                .collect();
            let entries = StructArray::try_new(fields.clone(), vec![keys, values], None)?;
            let field = Arc::new(Field::new(
                field.name(),
                DataType::Struct(fields),
                field.is_nullable(),
            ));
            Arc::new(MapArray::try_new(
                field,
                map.offsets().clone(),
                entries,
                nulls,
                *sorted,
            )?)
        }
        _ => displayed(column)?,
    })
}

/// A tuple column [`json_ready`]: an array of its fields, as DuckDB writes
/// one (fields of different types as their text).
fn tuple_ready(column: &ArrayRef) -> Result<ArrayRef> {
    let tuples = column.as_struct();
    let mut fields = tuples
        .columns()
        .iter()
        .map(json_ready)
        .collect::<Result<Vec<_>>>()?;
    let same_type = fields
        .windows(2)
        .all(|w| w[0].data_type() == w[1].data_type());
    if !same_type {
        fields = fields
            .iter()
            .map(|f| crate::cast::cast_array(f, &DataType::Utf8))
            .collect::<Result<_>>()?;
    }
    let item = fields
        .first()
        .map_or(DataType::Null, |f| f.data_type().clone());
    let order: Vec<(usize, usize)> = (0..tuples.len())
        .flat_map(|row| (0..fields.len()).map(move |field| (field, row)))
        .collect();
    let refs: Vec<&dyn Array> = fields.iter().map(|f| f.as_ref()).collect();
    let values = match refs.is_empty() {
        true => arrow::array::new_empty_array(&item),
        false => arrow::compute::interleave(&refs, &order)?,
    };
    let field = Arc::new(Field::new_list_field(item, true));
    let offsets = OffsetBuffer::from_lengths(std::iter::repeat_n(fields.len(), tuples.len()));
    let nulls = tuples.nulls().cloned();
    Ok(Arc::new(ListArray::try_new(field, offsets, values, nulls)?))
}

/// A list column [`json_ready`]: its items made ready.
fn list_ready<O: OffsetSizeTrait>(column: &ArrayRef) -> Result<ArrayRef> {
    let list = column.as_list::<O>();
    let values = json_ready(list.values())?;
    let field = Arc::new(Field::new_list_field(values.data_type().clone(), true));
    let offsets = list.offsets().clone();
    let nulls = list.nulls().cloned();
    Ok(Arc::new(GenericListArray::<O>::try_new(
        field, offsets, values, nulls,
    )?))
}

/// `batch` with each column [`json_ready`].
pub fn json_ready_batch(batch: &RecordBatch) -> Result<RecordBatch> {
    converted(batch, json_ready)
}

/// `batch` with `convert` applied to each column (as it is when nothing in
/// it needs converting).
fn converted(
    batch: &RecordBatch,
    convert: impl Fn(&ArrayRef) -> Result<ArrayRef>,
) -> Result<RecordBatch> {
    if !batch
        .schema()
        .fields()
        .iter()
        .any(|f| needs_sql_text(f.data_type()))
    {
        return Ok(batch.clone());
    }
    let columns = batch
        .columns()
        .iter()
        .map(convert)
        .collect::<Result<Vec<_>>>()?;
    let fields: Vec<Field> = batch
        .schema()
        .fields()
        .iter()
        .zip(&columns)
        .map(|(f, c)| Field::new(f.name(), c.data_type().clone(), f.is_nullable()))
        .collect();
    Ok(RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        columns,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, TimestampMicrosecondArray};

    fn batch_of(columns: Vec<(&str, ArrayRef)>) -> RecordBatch {
        RecordBatch::try_from_iter(columns).unwrap()
    }

    #[test]
    fn csv_columns_become_text_and_plain_ones_stay() {
        let stamp: ArrayRef = Arc::new(TimestampMicrosecondArray::from(vec![Some(1_500_000)]));
        let number: ArrayRef = Arc::new(Int64Array::from(vec![7]));
        let batch = batch_of(vec![("t", stamp), ("n", number)]);
        let shown = displayed_batch(&batch).unwrap();
        assert_eq!(shown.column(0).data_type(), &DataType::Utf8);
        assert_eq!(
            shown.column(0).as_string::<i32>().value(0),
            "1970-01-01 00:00:01.5"
        );
        assert_eq!(shown.column(1).data_type(), &DataType::Int64);
    }

    #[test]
    fn json_writes_a_tuple_as_an_array() {
        let tuple = |columns: Vec<ArrayRef>| -> ArrayRef {
            let fields: Fields = columns
                .iter()
                .map(|c| Field::new("", c.data_type().clone(), true))
                .collect();
            Arc::new(StructArray::try_new(fields, columns, None).unwrap())
        };
        let numbers = tuple(vec![
            Arc::new(Int64Array::from(vec![1, 3])),
            Arc::new(Int64Array::from(vec![2, 4])),
        ]);
        let ready = json_ready(&numbers).unwrap();
        let lists = ready.as_list::<i32>();
        assert_eq!(
            lists
                .value(1)
                .as_primitive::<arrow::datatypes::Int64Type>()
                .values(),
            &[3, 4]
        );
        let mixed = tuple(vec![
            Arc::new(Int64Array::from(vec![1])),
            Arc::new(arrow::array::StringArray::from(vec!["a"])),
        ]);
        let ready = json_ready(&mixed).unwrap();
        let items = ready.as_list::<i32>().value(0);
        let items = items.as_string::<i32>();
        assert_eq!((items.value(0), items.value(1)), ("1", "a"));
    }

    #[test]
    fn json_keeps_lists_and_structs_nested_with_their_items_as_text() {
        let stamps: ArrayRef = Arc::new(TimestampMicrosecondArray::from(vec![Some(0), None]));
        let list: ArrayRef = Arc::new(ListArray::new(
            Arc::new(Field::new_list_field(stamps.data_type().clone(), true)),
            arrow::buffer::OffsetBuffer::from_lengths([2]),
            Arc::clone(&stamps),
            None,
        ));
        let ready = json_ready(&list).unwrap();
        let items = ready.as_list::<i32>().values();
        assert_eq!(items.data_type(), &DataType::Utf8);
        assert_eq!(items.as_string::<i32>().value(0), "1970-01-01 00:00:00");
        assert!(items.is_null(1));
    }
}
