//! Unnests list columns: each input row becomes one row per element of its
//! longest list among the unnested columns, the other columns repeated and
//! shorter lists padded with NULL. Output batches end at row boundaries
//! once they reach the batch size.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, RecordBatch, UInt32Array};
use arrow::compute::take;
use arrow::datatypes::SchemaRef;
use futures::stream::{self, StreamExt};
use quiver_expr::{QuiverError, Result};

use crate::metrics::execute_child;
use crate::plan::{ExecutionPlan, TaskContext};
use crate::run_state::NodeId;
use crate::stream::{RecordBatchStreamAdapter, SendableRecordBatchStream};

/// Unnests the list columns `columns` of its input.
#[derive(Debug, Clone)]
pub struct UnnestExec {
    columns: Vec<usize>,
    schema: SchemaRef,
    input: Arc<dyn ExecutionPlan>,
    /// The operator's identity ([`ExecutionPlan::node_id`]).
    id: NodeId,
}

impl UnnestExec {
    /// Unnests `columns` (list columns) of `input`, producing `schema`.
    pub fn new(columns: Vec<usize>, schema: SchemaRef, input: Arc<dyn ExecutionPlan>) -> Self {
        Self {
            columns,
            schema,
            input,
            id: NodeId::next(),
        }
    }
}

/// How many rows each input row becomes: its longest list's length (NULL
/// lists count as empty).
fn repeats(lists: &[&arrow::array::ListArray], rows: usize) -> Vec<usize> {
    (0..rows)
        .map(|row| {
            lists
                .iter()
                .map(|l| {
                    if l.is_null(row) {
                        0
                    } else {
                        let o = l.value_offsets();
                        (o[row + 1] - o[row]) as usize
                    }
                })
                .max()
                .unwrap_or(0)
        })
        .collect()
}

/// The output of input rows `from .. to` of `batch`, given each row's
/// repeat count.
fn unnest_rows(
    batch: &RecordBatch,
    columns: &[usize],
    counts: &[usize],
    (from, to): (usize, usize),
    schema: &SchemaRef,
) -> Result<RecordBatch> {
    let repeated: UInt32Array = (from..to)
        .flat_map(|row| std::iter::repeat_n(row as u32, counts[row]))
        .collect();
    let out = batch
        .columns()
        .iter()
        .enumerate()
        .map(|(i, column)| -> Result<ArrayRef> {
            if !columns.contains(&i) {
                return Ok(take(column.as_ref(), &repeated, None)?);
            }
            let list = column.as_list::<i32>();
            let offsets = list.value_offsets();
            if columns.len() == 1 && list.null_count() == 0 {
                // One list, none NULL: its elements are the output as they are.
                let start = offsets[from] as usize;
                return Ok(list.values().slice(start, offsets[to] as usize - start));
            }
            let picks: UInt32Array = (from..to)
                .flat_map(|row| {
                    let (start, end) = (offsets[row] as usize, offsets[row + 1] as usize);
                    let len = if list.is_null(row) { 0 } else { end - start };
                    (0..counts[row]).map(move |k| (k < len).then_some((start + k) as u32))
                })
                .collect();
            Ok(take(list.values().as_ref(), &picks, None)?)
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(RecordBatch::try_new(Arc::clone(schema), out)?)
}

/// The output batches of one input batch.
fn unnest_batch(
    batch: &RecordBatch,
    columns: &[usize],
    schema: &SchemaRef,
    batch_size: usize,
) -> Result<Vec<RecordBatch>> {
    let lists = columns
        .iter()
        .map(|&c| {
            batch
                .column(c)
                .as_list_opt::<i32>()
                .ok_or_else(|| QuiverError::Internal(format!("unnest of a non-list column {c}")))
        })
        .collect::<Result<Vec<_>>>()?;
    let counts = repeats(&lists, batch.num_rows());
    let mut out = vec![];
    let (mut from, mut rows) = (0, 0);
    for (row, &count) in counts.iter().enumerate() {
        rows += count;
        if rows >= batch_size {
            out.push(unnest_rows(
                batch,
                columns,
                &counts,
                (from, row + 1),
                schema,
            )?);
            (from, rows) = (row + 1, 0);
        }
    }
    if rows > 0 {
        out.push(unnest_rows(
            batch,
            columns,
            &counts,
            (from, counts.len()),
            schema,
        )?);
    }
    Ok(out)
}

impl ExecutionPlan for UnnestExec {
    crate::node_basics!(input);
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }
    fn output_partitions(&self) -> usize {
        self.input.output_partitions()
    }
    fn details(&self) -> String {
        let names: Vec<&str> = self
            .columns
            .iter()
            .map(|&c| self.schema.field(c).name().as_str())
            .collect();
        names.join(", ")
    }
    fn execute(
        &self,
        partition: usize,
        ctx: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let columns = self.columns.clone();
        let schema = Arc::clone(&self.schema);
        let out_schema = Arc::clone(&schema);
        let batch_size = ctx.batch_size.max(1);
        let stream = execute_child(&self.input, partition, ctx)?.flat_map(move |batch| {
            let batches: Vec<Result<RecordBatch>> =
                match batch.and_then(|b| unnest_batch(&b, &columns, &schema, batch_size)) {
                    Ok(batches) => batches.into_iter().map(Ok).collect(),
                    Err(e) => vec![Err(e)],
                };
            stream::iter(batches)
        });
        Ok(RecordBatchStreamAdapter::boxed(out_schema, stream))
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::{Int64Array, ListArray, StringArray};
    use arrow::datatypes::{DataType, Field, Int64Type, Schema};

    use super::*;

    #[test]
    fn rows_repeat_per_element_with_shorter_lists_padded() {
        let a = ListArray::from_iter_primitive::<Int64Type, _, _>(vec![
            Some(vec![Some(1), Some(2)]),
            None,
            Some(vec![]),
            Some(vec![Some(3)]),
        ]);
        let b = ListArray::from_iter_primitive::<Int64Type, _, _>(vec![
            Some(vec![Some(10)]),
            Some(vec![Some(20), Some(21)]),
            None,
            Some(vec![]),
        ]);
        let tag = StringArray::from(vec!["w", "x", "y", "z"]);
        let input = RecordBatch::try_from_iter(vec![
            ("a", Arc::new(a) as ArrayRef),
            ("b", Arc::new(b) as ArrayRef),
            ("tag", Arc::new(tag) as ArrayRef),
        ])
        .unwrap();
        let schema = Arc::new(Schema::new(vec![
            Field::new("a", DataType::Int64, true),
            Field::new("b", DataType::Int64, true),
            Field::new("tag", DataType::Utf8, true),
        ]));
        for batch_size in [1, 2, 100] {
            let out = unnest_batch(&input, &[0, 1], &schema, batch_size).unwrap();
            let out = arrow::compute::concat_batches(&schema, &out).unwrap();
            let ints = |i: usize| -> Vec<Option<i64>> {
                out.column(i)
                    .as_any()
                    .downcast_ref::<Int64Array>()
                    .unwrap()
                    .iter()
                    .collect()
            };
            assert_eq!(ints(0), vec![Some(1), Some(2), None, None, Some(3)]);
            assert_eq!(ints(1), vec![Some(10), None, Some(20), Some(21), None]);
            let tags: Vec<&str> = out.column(2).as_string::<i32>().iter().flatten().collect();
            assert_eq!(tags, vec!["w", "w", "x", "x", "z"]);
        }
    }

    #[test]
    fn one_list_without_nulls_gives_its_elements_as_they_are() {
        let a = ListArray::from_iter_primitive::<Int64Type, _, _>(vec![
            Some(vec![Some(1), Some(2)]),
            Some(vec![]),
            Some(vec![Some(3), None]),
        ]);
        let input = RecordBatch::try_from_iter(vec![("a", Arc::new(a) as ArrayRef)]).unwrap();
        let schema = Arc::new(Schema::new(vec![Field::new("a", DataType::Int64, true)]));
        for batch_size in [1, 3, 100] {
            let out = unnest_batch(&input, &[0], &schema, batch_size).unwrap();
            let out = arrow::compute::concat_batches(&schema, &out).unwrap();
            let values: Vec<Option<i64>> = out
                .column(0)
                .as_any()
                .downcast_ref::<Int64Array>()
                .unwrap()
                .iter()
                .collect();
            assert_eq!(values, vec![Some(1), Some(2), Some(3), None]);
        }
    }
}
