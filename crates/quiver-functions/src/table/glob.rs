//! `glob('pattern')`: the files a path, glob or directory names (local or
//! remote), one row each in a column `file`, in name order; none when
//! nothing matches, as in DuckDB.

use std::sync::Arc;

use arrow::array::StringArray;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use quiver_expr::{
    FileTables, FunctionTable, GeneratedRows, QuiverError, Result, ScalarValue, TableFunction,
};

/// `glob`.
#[derive(Debug)]
pub struct Glob;

/// The names of the files found.
#[derive(Debug)]
struct FileNames {
    schema: SchemaRef,
    names: Vec<String>,
}

impl GeneratedRows for FileNames {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
    fn num_rows(&self) -> u64 {
        self.names.len() as u64
    }
    fn rows(&self, start: u64, len: usize) -> Result<RecordBatch> {
        let start = start as usize;
        let names = StringArray::from_iter_values(&self.names[start..start + len]);
        Ok(RecordBatch::try_new(self.schema(), vec![Arc::new(names)])?)
    }
}

impl TableFunction for Glob {
    fn name(&self) -> &str {
        "glob"
    }
    fn table(
        &self,
        args: &[ScalarValue],
        named: &[(String, ScalarValue)],
        files: &dyn FileTables,
    ) -> Result<FunctionTable> {
        let pattern = match (args, named) {
            ([ScalarValue::Utf8(Some(p)) | ScalarValue::LargeUtf8(Some(p))], []) => p,
            _ => {
                return Err(QuiverError::Plan(
                    "glob() takes one argument: a path, glob or directory as a string".into(),
                ))
            }
        };
        let schema = Arc::new(Schema::new(vec![Field::new("file", DataType::Utf8, false)]));
        let names = files.file_names(pattern)?;
        files.generated_table("glob", Arc::new(FileNames { schema, names }))
    }
}
