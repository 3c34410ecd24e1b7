//! Tables held in memory: made by `CREATE TABLE`, filled by `INSERT`.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, RwLock};

use arrow::array::{Array, ArrayRef, BooleanArray};
use arrow::compute::filter_record_batch;
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use arrow::row::{RowConverter, SortField};
use arrow::util::display::array_value_to_string;
use quiver_execution::operators::memory::MemoryExec;
use quiver_execution::plan::ExecutionPlan;
use quiver_execution::{ScanRequest, TableProvider};
use quiver_expr::logical_plan::{OnConflict, UniqueKey};
use quiver_expr::{QuiverError, Result};

/// Rows in memory, appended to atomically: an INSERT adds all its rows or
/// none, and a row that would break a key constraint fails it whole.
#[derive(Debug)]
pub struct MemTable {
    schema: SchemaRef,
    batches: RwLock<Vec<RecordBatch>>,
    /// Each column's `DEFAULT` value as SQL text.
    defaults: Vec<Option<String>>,
    /// `PRIMARY KEY` and `UNIQUE` constraints.
    keys: Vec<UniqueKey>,
    /// `CHECK` constraints as SQL text (enforced by the session, which
    /// binds SQL).
    checks: Vec<String>,
    /// For each of `keys`, the key values of the rows (in Arrow's row
    /// format), built when first needed; the lock also makes checking and
    /// adding rows one step.
    key_index: Mutex<Option<KeyIndex>>,
}

/// For each key constraint of a table, the set of its key values.
type KeyIndex = Vec<HashSet<Box<[u8]>>>;

/// A row's key value in Arrow's row format; None when it has a NULL.
type KeyValue = Option<Box<[u8]>>;

impl MemTable {
    /// An empty table with `schema`.
    pub fn new(schema: SchemaRef) -> Self {
        Self {
            defaults: vec![None; schema.fields().len()],
            schema,
            batches: RwLock::new(vec![]),
            keys: vec![],
            checks: vec![],
            key_index: Mutex::new(None),
        }
    }

    /// The table with `PRIMARY KEY` and `UNIQUE` constraints, enforced from
    /// now on (the rows it holds are checked when the first rows are added).
    pub fn with_keys(mut self, keys: Vec<UniqueKey>) -> Self {
        self.keys = keys;
        self
    }

    /// The table with `CHECK` constraints (SQL text over its columns).
    pub fn with_checks(mut self, checks: Vec<String>) -> Self {
        self.checks = checks;
        self
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

    /// Appends `batches` after checking them against the schema and the
    /// key constraints.
    fn append(&self, batches: Vec<RecordBatch>) -> Result<u64> {
        let (checked, rows) = self.checked(batches)?;
        let mut index = self.key_index.lock().unwrap_or_else(|e| e.into_inner());
        if !self.keys.is_empty() {
            if index.is_none() {
                *index = Some(self.index_of(&self.snapshot(), &[])?);
            }
            let existing = index.as_mut().expect("the index was just built");
            let added = self.index_of(&checked, existing)?;
            for (set, new) in existing.iter_mut().zip(added) {
                set.extend(new);
            }
        }
        self.batches
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .extend(checked);
        Ok(rows)
    }

    /// The key values of `batches`, for each key constraint; an error naming
    /// the first value that repeats one of `existing` or of `batches`.
    fn index_of(
        &self,
        batches: &[RecordBatch],
        existing: &[HashSet<Box<[u8]>>],
    ) -> Result<KeyIndex> {
        let mut index = vec![];
        for (k, key) in self.keys.iter().enumerate() {
            let mut values: HashSet<Box<[u8]>> = HashSet::new();
            for batch in batches {
                let (columns, keys) = self.key_values(key, batch)?;
                for (row, value) in keys.into_iter().enumerate() {
                    let Some(value) = value else {
                        continue;
                    };
                    let repeated = existing.get(k).is_some_and(|set| set.contains(&value));
                    if repeated || !values.insert(value) {
                        return Err(self.duplicate(key, &columns, row));
                    }
                }
            }
            index.push(values);
        }
        Ok(index)
    }

    /// The key columns of `batch` for `key`, and each row's key value in
    /// Arrow's row format (None when one of its columns is NULL).
    fn key_values(
        &self,
        key: &UniqueKey,
        batch: &RecordBatch,
    ) -> Result<(Vec<ArrayRef>, Vec<KeyValue>)> {
        let fields = key
            .columns
            .iter()
            .map(|&c| SortField::new(self.schema.field(c).data_type().clone()))
            .collect();
        let converter = RowConverter::new(fields)?;
        let columns: Vec<ArrayRef> = key
            .columns
            .iter()
            .map(|&c| Arc::clone(batch.column(c)))
            .collect();
        let rows = converter.convert_columns(&columns)?;
        let values = (0..batch.num_rows())
            .map(|row| {
                let null = columns.iter().any(|c| c.is_null(row));
                (!null).then(|| rows.row(row).as_ref().into())
            })
            .collect();
        Ok((columns, values))
    }

    /// `INSERT … ON CONFLICT DO NOTHING`: appends the rows whose keys are
    /// all free (the first of several new rows with one key wins).
    fn append_ignoring(&self, batches: Vec<RecordBatch>) -> Result<u64> {
        let (checked, _) = self.checked(batches)?;
        let mut index = self.key_index.lock().unwrap_or_else(|e| e.into_inner());
        if index.is_none() {
            *index = Some(self.index_of(&self.snapshot(), &[])?);
        }
        let taken = index.as_mut().expect("the index was just built");
        let mut kept_batches = vec![];
        let mut added = 0u64;
        for batch in checked {
            let keys = self
                .keys
                .iter()
                .map(|key| self.key_values(key, &batch).map(|(_, values)| values))
                .collect::<Result<Vec<_>>>()?;
            let keep: BooleanArray = (0..batch.num_rows())
                .map(|row| {
                    let free = keys
                        .iter()
                        .zip(taken.iter())
                        .all(|(values, set)| values[row].as_ref().is_none_or(|v| !set.contains(v)));
                    if free {
                        for (values, set) in keys.iter().zip(taken.iter_mut()) {
                            if let Some(v) = &values[row] {
                                set.insert(v.clone());
                            }
                        }
                    }
                    Some(free)
                })
                .collect();
            let kept = filter_record_batch(&batch, &keep)?;
            added += kept.num_rows() as u64;
            kept_batches.push(kept);
        }
        self.batches
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .extend(kept_batches);
        Ok(added)
    }

    /// `INSERT OR REPLACE`: the new rows replace those with their key (the
    /// table has one key constraint; of several new rows with one key, the
    /// first is kept, as DuckDB does).
    /// Appends `batches`, each row replacing the row with its key; of new
    /// rows with the same key the first is kept, or, when `unique`, they
    /// are an error (an upsert changing one row twice).
    fn append_replacing(&self, batches: Vec<RecordBatch>, unique: bool) -> Result<u64> {
        let [key] = self.keys.as_slice() else {
            return Err(QuiverError::NotImplemented(
                "INSERT OR REPLACE into a table with several key constraints".into(),
            ));
        };
        let (checked, _) = self.checked(batches)?;
        let mut index = self.key_index.lock().unwrap_or_else(|e| e.into_inner());
        // The first new row of each key (DuckDB keeps that one too).
        let mut new_keys: HashSet<Box<[u8]>> = HashSet::new();
        let mut first_of_key = vec![];
        for batch in &checked {
            let (columns, values) = self.key_values(key, batch)?;
            let keep: BooleanArray = values
                .into_iter()
                .map(|v| Some(v.is_none_or(|v| new_keys.insert(v))))
                .collect();
            if unique {
                if let Some(row) = keep.iter().position(|kept| kept == Some(false)) {
                    return Err(QuiverError::Execution(format!(
                        "ON CONFLICT DO UPDATE would change the row with {} twice: \
                         the INSERT gives that key more than once",
                        self.key_text(key, &columns, row)
                    )));
                }
            }
            first_of_key.push(filter_record_batch(batch, &keep)?);
        }
        let rows: u64 = first_of_key.iter().map(|b| b.num_rows() as u64).sum();
        let mut table = vec![];
        for batch in self.snapshot() {
            let (_, values) = self.key_values(key, &batch)?;
            let stays: BooleanArray = values
                .iter()
                .map(|v| Some(v.as_ref().is_none_or(|v| !new_keys.contains(v))))
                .collect();
            table.push(filter_record_batch(&batch, &stays)?);
        }
        table.extend(first_of_key);
        *index = Some(self.index_of(&table, &[])?);
        *self.batches.write().unwrap_or_else(|e| e.into_inner()) = table;
        Ok(rows)
    }

    /// The error for the row `row` of `columns`, whose values repeat a key.
    fn duplicate(&self, key: &UniqueKey, columns: &[ArrayRef], row: usize) -> QuiverError {
        let kind = if key.primary { "primary key" } else { "unique" };
        QuiverError::Execution(format!(
            "duplicate {} violates the {kind} constraint",
            self.key_text(key, columns, row)
        ))
    }

    /// The key of row `row` of the key `columns`, for messages:
    /// `key "k: 1, j: 2"`.
    fn key_text(&self, key: &UniqueKey, columns: &[ArrayRef], row: usize) -> String {
        let values: Vec<String> = key
            .columns
            .iter()
            .zip(columns)
            .map(|(&c, column)| {
                let value = array_value_to_string(column, row).unwrap_or_default();
                format!("{}: {value}", self.schema.field(c).name())
            })
            .collect();
        format!("key \"{}\"", values.join(", "))
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
    fn insert_on_conflict(
        &self,
        batches: Vec<RecordBatch>,
        on_conflict: OnConflict,
    ) -> Result<u64> {
        match on_conflict {
            OnConflict::Error => self.append(batches),
            _ if self.keys.is_empty() => Err(QuiverError::Plan(
                "ON CONFLICT and INSERT OR … need a PRIMARY KEY or UNIQUE constraint on the table"
                    .into(),
            )),
            OnConflict::Ignore => self.append_ignoring(batches),
            OnConflict::Replace => self.append_replacing(batches, false),
            OnConflict::Update => self.append_replacing(batches, true),
        }
    }
    fn replace(&self, batches: Vec<RecordBatch>) -> Result<()> {
        let (checked, _) = self.checked(batches)?;
        let mut index = self.key_index.lock().unwrap_or_else(|e| e.into_inner());
        if !self.keys.is_empty() {
            *index = Some(self.index_of(&checked, &[])?);
        }
        *self.batches.write().unwrap_or_else(|e| e.into_inner()) = checked;
        Ok(())
    }
    fn unique_keys(&self) -> Vec<UniqueKey> {
        self.keys.clone()
    }
    fn check_constraints(&self) -> Vec<String> {
        self.checks.clone()
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
