//! Tables held in memory: made by `CREATE TABLE`, filled by `INSERT`.

use std::sync::{Arc, RwLock};

use arrow::array::Array;
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use quiver_execution::operators::memory::MemoryExec;
use quiver_execution::plan::ExecutionPlan;
use quiver_execution::{ScanRequest, TableProvider};
use quiver_expr::{QuiverError, Result};

/// Rows in memory, appended to atomically: an INSERT adds all its rows or
/// none.
#[derive(Debug)]
pub struct MemTable {
    schema: SchemaRef,
    batches: RwLock<Vec<RecordBatch>>,
    /// Each column's `DEFAULT` value as SQL text.
    defaults: Vec<Option<String>>,
}

impl MemTable {
    /// An empty table with `schema`.
    pub fn new(schema: SchemaRef) -> Self {
        Self {
            defaults: vec![None; schema.fields().len()],
            schema,
            batches: RwLock::new(vec![]),
        }
    }

    /// The table with each column's `DEFAULT` value (SQL text, `None` for
    /// NULL), by position.
    pub fn with_defaults(mut self, defaults: Vec<Option<String>>) -> Self {
        self.defaults = defaults;
        self
    }

    /// A table holding `batches`, which are relabelled with `schema` (same
    /// column types; names and nullability from `schema`).
    pub fn try_with_batches(schema: SchemaRef, batches: Vec<RecordBatch>) -> Result<Self> {
        let table = Self::new(schema);
        table.append(batches)?;
        Ok(table)
    }

    fn snapshot(&self) -> Vec<RecordBatch> {
        self.batches
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Appends `batches` after checking them against the schema.
    fn append(&self, batches: Vec<RecordBatch>) -> Result<u64> {
        let (checked, rows) = self.checked(batches)?;
        self.batches
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .extend(checked);
        Ok(rows)
    }

    /// `batches` checked against the schema (types, and no NULL in a NOT
    /// NULL column) and labelled with it, and their rows.
    fn checked(&self, batches: Vec<RecordBatch>) -> Result<(Vec<RecordBatch>, u64)> {
        let mut checked = Vec::with_capacity(batches.len());
        let mut rows = 0u64;
        for b in batches {
            if b.num_columns() != self.schema.fields().len() {
                return Err(QuiverError::Internal(format!(
                    "inserting {} columns into a table of {}",
                    b.num_columns(),
                    self.schema.fields().len()
                )));
            }
            for (field, column) in self.schema.fields().iter().zip(b.columns()) {
                if !field.is_nullable() && column.null_count() > 0 {
                    return Err(QuiverError::Execution(format!(
                        "NULL value in column \"{}\", which is NOT NULL",
                        field.name()
                    )));
                }
            }
            rows += b.num_rows() as u64;
            checked.push(RecordBatch::try_new(
                Arc::clone(&self.schema),
                b.columns().to_vec(),
            )?);
        }
        Ok((checked, rows))
    }
}

#[async_trait::async_trait]
impl TableProvider for MemTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
    fn kind(&self) -> &str {
        "memory"
    }
    fn estimated_rows(&self) -> Option<usize> {
        Some(self.snapshot().iter().map(|b| b.num_rows()).sum())
    }
    fn exact_rows(&self) -> Option<usize> {
        self.estimated_rows()
    }
    async fn scan(&self, request: &ScanRequest) -> Result<Arc<dyn ExecutionPlan>> {
        let batches = self.snapshot();
        let (schema, batches) = match &request.projection {
            Some(p) => (
                Arc::new(self.schema.project(p)?),
                batches
                    .iter()
                    .map(|b| b.project(p))
                    .collect::<std::result::Result<Vec<_>, _>>()?,
            ),
            None => (Arc::clone(&self.schema), batches),
        };
        let n = request.target_partitions.clamp(1, batches.len().max(1));
        let mut partitions = vec![vec![]; n];
        for (i, b) in batches.into_iter().enumerate() {
            partitions[i % n].push(b);
        }
        Ok(Arc::new(MemoryExec::try_new(schema, partitions)?))
    }
    fn insert(&self, batches: Vec<RecordBatch>) -> Result<u64> {
        self.append(batches)
    }
    fn column_default(&self, column: usize) -> Option<String> {
        self.defaults.get(column).cloned().flatten()
    }
    fn stored_rows(&self, skip: usize) -> Option<Vec<RecordBatch>> {
        let mut rows = vec![];
        let mut to_skip = skip;
        for batch in self.snapshot() {
            if to_skip >= batch.num_rows() {
                to_skip -= batch.num_rows();
                continue;
            }
            rows.push(batch.slice(to_skip, batch.num_rows() - to_skip));
            to_skip = 0;
        }
        Some(rows)
    }
    fn replace(&self, batches: Vec<RecordBatch>) -> Result<()> {
        let (checked, _) = self.checked(batches)?;
        *self.batches.write().unwrap_or_else(|e| e.into_inner()) = checked;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::Int64Array;
    use arrow::datatypes::{DataType, Field, Schema};

    fn batch(values: Vec<Option<i64>>) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, true)]));
        RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(values))]).unwrap()
    }

    #[test]
    fn inserts_are_all_or_nothing_and_respect_not_null() {
        let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, false)]));
        let table = MemTable::new(schema);
        assert_eq!(
            table.insert(vec![batch(vec![Some(1), Some(2)])]).unwrap(),
            2
        );
        let err = table
            .insert(vec![batch(vec![Some(3)]), batch(vec![None])])
            .unwrap_err();
        assert!(err.to_string().contains("NOT NULL"), "{err}");
        assert_eq!(
            table.estimated_rows(),
            Some(2),
            "the failed insert added nothing"
        );
    }
}
