//! Columns made ready for writers of text formats, so that values are
//! written as DuckDB writes them ([`crate::value_text`]) rather than in
//! Arrow's form (or not at all):
//!
//! - for CSV and the shell's tables, every column whose text Quiver writes
//!   differently from Arrow (timestamps, times, intervals, BLOBs, UUIDs,
//!   lists, structs, maps) becomes VARCHAR;
//! - for JSON, such scalar columns become strings, and lists, structs and
//!   maps stay arrays and objects (a map's keys as text), their items made
//!   ready the same way; a tuple stays a struct, which a JSON writer built
//!   with [`json_writer`] writes as an array of its fields, each of its own
//!   type (`[1,"a"]`), as DuckDB does.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, GenericListArray, MapArray, OffsetSizeTrait, StructArray,
};
use arrow::datatypes::{DataType, Field, FieldRef, Fields, Schema};
use arrow::error::ArrowError;
use arrow::json::writer::{make_encoder, Encoder, EncoderFactory, EncoderOptions, NullableEncoder};
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

/// A JSON writer builder that writes tuples (structs whose fields have no
/// names) as arrays of their fields, and NULL values as `null`.
pub fn json_writer() -> arrow::json::WriterBuilder {
    arrow::json::WriterBuilder::new()
        .with_explicit_nulls(true)
        .with_encoder_factory(Arc::new(TupleArrays))
}

/// Makes the JSON encoders of tuples: arrays of their fields.
#[derive(Debug)]
struct TupleArrays;

impl EncoderFactory for TupleArrays {
    fn make_default_encoder<'a>(
        &self,
        _field: &'a FieldRef,
        array: &'a dyn Array,
        options: &'a EncoderOptions,
    ) -> std::result::Result<Option<NullableEncoder<'a>>, ArrowError> {
        // The array's type, not the field's: a list's items come with the
        // list's field.
        let DataType::Struct(fields) = array.data_type() else {
            return Ok(None);
        };
        if !crate::types::is_tuple(fields) {
            return Ok(None);
        }
        let tuples = array.as_struct();
        let items = fields
            .iter()
            .zip(tuples.columns())
            .map(|(f, column)| make_encoder(f, column.as_ref(), options))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        Ok(Some(NullableEncoder::new(
            Box::new(TupleEncoder { items }),
            tuples.nulls().cloned(),
        )))
    }
}

/// Writes a tuple as the JSON array of its fields.
struct TupleEncoder<'a> {
    items: Vec<NullableEncoder<'a>>,
}

impl Encoder for TupleEncoder<'_> {
    fn encode(&mut self, idx: usize, out: &mut Vec<u8>) {
        out.push(b'[');
        for (i, item) in self.items.iter_mut().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            match item.is_null(idx) {
                true => out.extend_from_slice(b"null"),
                false => item.encode(idx, out),
            }
        }
        out.push(b']');
    }
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
    use arrow::array::{Int64Array, ListArray, TimestampMicrosecondArray};

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
    fn json_writes_a_tuple_as_an_array_of_its_typed_fields() {
        let tuple = |columns: Vec<ArrayRef>, nulls: Option<Vec<bool>>| -> ArrayRef {
            let fields: Fields = columns
                .iter()
                .map(|c| Field::new("", c.data_type().clone(), true))
                .collect();
            let nulls = nulls.map(arrow::buffer::NullBuffer::from);
            Arc::new(StructArray::try_new(fields, columns, nulls).unwrap())
        };
        let inner = tuple(vec![Arc::new(Int64Array::from(vec![2, 4, 6]))], None);
        let mixed = tuple(
            vec![
                Arc::new(Int64Array::from(vec![Some(1), None, Some(5)])),
                Arc::new(arrow::array::StringArray::from(vec!["a", "b", "c"])),
                inner,
            ],
            Some(vec![true, true, false]),
        );
        let list: ArrayRef = Arc::new(ListArray::new(
            Arc::new(Field::new_list_field(mixed.data_type().clone(), true)),
            arrow::buffer::OffsetBuffer::from_lengths([1, 1, 1]),
            Arc::clone(&mixed),
            None,
        ));
        let batch = batch_of(vec![("t", mixed), ("l", list)]);
        let mut out = vec![];
        let mut writer = json_writer().build::<_, arrow::json::writer::LineDelimited>(&mut out);
        writer.write(&json_ready_batch(&batch).unwrap()).unwrap();
        writer.finish().unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"t\":[1,\"a\",[2]],\"l\":[[1,\"a\",[2]]]}\n\
             {\"t\":[null,\"b\",[4]],\"l\":[[null,\"b\",[4]]]}\n\
             {\"t\":null,\"l\":[null]}\n"
        );
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
