//! Aggregate calls with their own ORDER BY (`string_agg(x, ',' ORDER BY
//! y)`): the rows of every group are kept, with their sort keys, and when
//! the aggregation ends they are sorted by (group, keys) and fed to the
//! function in that order.

use std::sync::Arc;

use arrow::array::{new_empty_array, Array, ArrayRef, UInt32Array};
use arrow::compute::{concat, lexsort_to_indices, take, SortColumn, SortOptions};
use arrow::datatypes::DataType;
use quiver_expr::{GroupsAccumulator, QuiverError, Result};

/// Wraps the accumulator of an ordered call; its input columns are the
/// call's arguments followed by its sort keys.
#[derive(Debug)]
pub(super) struct OrderedAccumulator {
    inner: Box<dyn GroupsAccumulator>,
    /// The types of the arguments, the first input columns (the rest are
    /// keys).
    args: Vec<DataType>,
    /// Each sort key's direction and NULL placement.
    options: Vec<SortOptions>,
    /// The input columns, batch by batch.
    chunks: Vec<Vec<ArrayRef>>,
    /// The group of every row kept.
    groups: Vec<u32>,
    total: usize,
    bytes: usize,
}

impl OrderedAccumulator {
    /// Orders the input of `inner`, which takes arguments of types `args`,
    /// by keys sorted with `options`.
    pub(super) fn new(
        inner: Box<dyn GroupsAccumulator>,
        args: Vec<DataType>,
        options: Vec<SortOptions>,
    ) -> Self {
        Self {
            inner,
            args,
            options,
            chunks: vec![],
            groups: vec![],
            total: 0,
            bytes: 0,
        }
    }

    /// Feeds every kept row to the inner accumulator, in order.
    fn feed_in_order(&mut self) -> Result<()> {
        let chunks = std::mem::take(&mut self.chunks);
        let groups = UInt32Array::from(std::mem::take(&mut self.groups));
        self.bytes = 0;
        let Some(first) = chunks.first() else {
            let empty: Vec<ArrayRef> = self.args.iter().map(new_empty_array).collect();
            return self.inner.update_batch(&empty, &[], self.total);
        };
        let columns = (0..first.len())
            .map(|c| {
                let parts: Vec<&dyn Array> = chunks.iter().map(|chunk| chunk[c].as_ref()).collect();
                Ok(concat(&parts)?)
            })
            .collect::<Result<Vec<ArrayRef>>>()?;
        let mut sort_columns = vec![SortColumn {
            values: Arc::new(groups.clone()),
            options: None,
        }];
        for (key, options) in columns[self.args.len()..].iter().zip(&self.options) {
            sort_columns.push(SortColumn {
                values: Arc::clone(key),
                options: Some(*options),
            });
        }
        let order = lexsort_to_indices(&sort_columns, None)?;
        let args = columns[..self.args.len()]
            .iter()
            .map(|a| Ok(take(a, &order, None)?))
            .collect::<Result<Vec<_>>>()?;
        let sorted_groups: Vec<usize> = order
            .values()
            .iter()
            .map(|&i| groups.value(i as usize) as usize)
            .collect();
        self.inner.update_batch(&args, &sorted_groups, self.total)
    }
}

impl GroupsAccumulator for OrderedAccumulator {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total: usize,
    ) -> Result<()> {
        self.total = self.total.max(total);
        if group_indices.is_empty() {
            return Ok(());
        }
        if values.len() != self.args.len() + self.options.len() {
            return Err(QuiverError::Internal(format!(
                "an ordered aggregate got {} columns, not {} arguments and {} keys",
                values.len(),
                self.args.len(),
                self.options.len()
            )));
        }
        self.bytes += values
            .iter()
            .map(|v| v.get_array_memory_size())
            .sum::<usize>();
        self.groups.extend(group_indices.iter().map(|&g| g as u32));
        self.chunks.push(values.to_vec());
        Ok(())
    }

    fn merge_batch(&mut self, _: &[ArrayRef], _: &[usize], _: usize) -> Result<()> {
        Err(QuiverError::Internal(
            "an ordered aggregate has no partial state to merge".into(),
        ))
    }

    fn state(&mut self) -> Result<Vec<ArrayRef>> {
        Err(QuiverError::Internal(
            "an ordered aggregate has no partial state".into(),
        ))
    }

    fn evaluate(&mut self) -> Result<ArrayRef> {
        self.feed_in_order()?;
        self.inner.evaluate()
    }

    fn size(&self) -> usize {
        self.bytes + self.groups.capacity() * 4 + self.inner.size()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{AsArray, Int64Array, StringArray};

    /// A concatenating aggregate: its answer shows the order it was fed.
    #[derive(Debug, Default)]
    struct Concat(Vec<String>);

    impl GroupsAccumulator for Concat {
        fn update_batch(&mut self, v: &[ArrayRef], groups: &[usize], total: usize) -> Result<()> {
            self.0.resize(total, String::new());
            if let Some(strings) = v.first() {
                let strings = strings.as_string::<i32>();
                for (row, &g) in groups.iter().enumerate() {
                    self.0[g].push_str(strings.value(row));
                }
            }
            Ok(())
        }
        fn merge_batch(&mut self, _: &[ArrayRef], _: &[usize], _: usize) -> Result<()> {
            unreachable!()
        }
        fn state(&mut self) -> Result<Vec<ArrayRef>> {
            unreachable!()
        }
        fn evaluate(&mut self) -> Result<ArrayRef> {
            Ok(Arc::new(StringArray::from(std::mem::take(&mut self.0))))
        }
        fn size(&self) -> usize {
            0
        }
    }

    #[test]
    fn feeds_each_group_in_key_order() {
        let descending = SortOptions {
            descending: true,
            nulls_first: false,
        };
        let mut acc = OrderedAccumulator::new(
            Box::<Concat>::default(),
            vec![DataType::Utf8],
            vec![descending],
        );
        let batch = |s: Vec<&str>, k: Vec<Option<i64>>| -> Vec<ArrayRef> {
            vec![
                Arc::new(StringArray::from(s)),
                Arc::new(Int64Array::from(k)),
            ]
        };
        acc.update_batch(&batch(vec!["a", "b"], vec![Some(1), Some(3)]), &[0, 1], 2)
            .unwrap();
        acc.update_batch(
            &batch(vec!["c", "d", "e"], vec![Some(2), None, Some(5)]),
            &[0, 0, 1],
            3,
        )
        .unwrap();
        let out = acc.evaluate().unwrap();
        let out = out.as_string::<i32>();
        assert_eq!(
            (out.value(0), out.value(1), out.value(2)),
            ("cad", "eb", "")
        );
    }
}
