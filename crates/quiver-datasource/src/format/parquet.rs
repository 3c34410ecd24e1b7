//! Apache Parquet: tables over Parquet files ([`ParquetTable`]) and the
//! Parquet writer of `COPY`.

use std::io::Write;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{DataType, Field, FieldRef, Fields, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use quiver_execution::TableProvider;
use quiver_expr::types::{is_tuple, map_fields};
use quiver_expr::uuid::with_uuid_extension;
use quiver_expr::Result;

use super::{unknown_options, BatchWriter, FileFormat};
use crate::parquet::ParquetTable;
use crate::store::StorageOptions;
use crate::write::WriteOptions;

/// The Parquet format.
#[derive(Debug)]
pub struct ParquetFormat;

impl FileFormat for ParquetFormat {
    fn name(&self) -> &'static str {
        "parquet"
    }
    fn extensions(&self) -> &'static [&'static str] {
        &["parquet"]
    }
    /// Parquet files carry their schema; a declared one and any options
    /// are errors.
    fn open_table(
        &self,
        location: &str,
        options: &[(String, String)],
        _schema: Option<SchemaRef>,
        storage: &StorageOptions,
    ) -> Result<Arc<dyn TableProvider>> {
        if !options.is_empty() {
            return Err(unknown_options("Parquet", options));
        }
        Ok(Arc::new(ParquetTable::try_new(location, storage)?))
    }
    fn write_options(&self) -> &'static [&'static str] {
        &["COMPRESSION", "ROW_GROUP_SIZE", "BLOOM_FILTER"]
    }
    fn writer(
        &self,
        out: Box<dyn Write + Send>,
        schema: &SchemaRef,
        options: &WriteOptions,
    ) -> Result<Box<dyn BatchWriter>> {
        let props = options.parquet_properties(schema)?;
        let writer = ArrowWriter::try_new(out, parquet_schema(schema), Some(props))?;
        Ok(Box::new(writer))
    }
}

/// `schema` as it is written to Parquet: UUIDs (at any depth) marked as
/// Arrow's `arrow.uuid` extension type, which the writer stores as
/// Parquet's UUID logical type (so that DuckDB and others read them as
/// UUIDs, not BLOBs), and the fields of tuples (`row(1, 'a')`, whose
/// fields have no names) named `element1`, `element2`, … as DuckDB names
/// them, since a Parquet field needs a name.
fn parquet_schema(schema: &SchemaRef) -> SchemaRef {
    let fields: Vec<FieldRef> = schema
        .fields()
        .iter()
        .map(|f| with_uuid_extension(&map_fields(f, &named_tuple_fields)))
        .collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

/// `field` with its fields named `element1`, `element2`, … when it is a
/// tuple.
fn named_tuple_fields(field: Field) -> Field {
    match field.data_type() {
        DataType::Struct(fields) if is_tuple(fields) && !fields.is_empty() => {
            let named: Fields = fields
                .iter()
                .enumerate()
                .map(|(i, f)| f.as_ref().clone().with_name(format!("element{}", i + 1)))
                .collect();
            field.with_data_type(DataType::Struct(named))
        }
        _ => field,
    }
}

/// The most memory a Parquet writer holds for the row group it is
/// encoding: past it the row group is written out early, so that a `COPY`
/// of wide rows holds a bounded amount whatever `ROW_GROUP_SIZE` is.
const MAX_ROW_GROUP_MEMORY: usize = 32 << 20;

impl BatchWriter for ArrowWriter<Box<dyn Write + Send>> {
    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        ArrowWriter::write(self, batch)?;
        if self.memory_size() > MAX_ROW_GROUP_MEMORY {
            self.flush()?;
        }
        Ok(())
    }
    fn finish(self: Box<Self>) -> Result<()> {
        self.close()?;
        Ok(())
    }
    fn buffered_bytes(&self) -> usize {
        self.memory_size()
    }
    fn end_row_group(&mut self) -> Result<()> {
        Ok(self.flush()?)
    }
}
