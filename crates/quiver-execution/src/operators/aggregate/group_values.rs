//! The group table: maps group keys to dense group numbers.

use std::hash::BuildHasher;

use arrow::array::ArrayRef;
use arrow::datatypes::DataType;
use arrow::row::{RowConverter, Rows, SortField};
use datafusion_common::hash_utils::RandomState;
use hashbrown::HashTable;
use quiver_expr::Result;

/// Interns group keys (any number of columns of any type) as rows in Arrow's
/// row format and numbers them in order of first appearance.
pub struct GroupValues {
    converter: RowConverter,
    rows: Rows,
    table: HashTable<(u64, usize)>,
    hasher: RandomState,
}

impl GroupValues {
    /// A table for keys of the given types.
    pub fn try_new(types: &[DataType]) -> Result<Self> {
        let converter =
            RowConverter::new(types.iter().map(|t| SortField::new(t.clone())).collect())?;
        let rows = converter.empty_rows(0, 0);
        Ok(Self {
            converter,
            rows,
            table: HashTable::new(),
            hasher: RandomState::with_seed(7),
        })
    }

    /// The number of distinct groups seen.
    pub fn len(&self) -> usize {
        self.rows.num_rows()
    }

    /// True before any group was seen.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Writes the group number of every row of `keys` into `groups`.
    pub fn intern(&mut self, keys: &[ArrayRef], groups: &mut Vec<usize>) -> Result<()> {
        groups.clear();
        let batch_rows = self.converter.convert_columns(keys)?;
        for row in batch_rows.iter() {
            let hash = self.hasher.hash_one(row.as_ref());
            let rows = &self.rows;
            let group = match self
                .table
                .find(hash, |&(h, g)| h == hash && rows.row(g) == row)
            {
                Some(&(_, g)) => g,
                None => {
                    let g = self.rows.num_rows();
                    self.rows.push(row);
                    self.table.insert_unique(hash, (hash, g), |&(h, _)| h);
                    g
                }
            };
            groups.push(group);
        }
        Ok(())
    }

    /// The key columns of every group, in group-number order.
    pub fn emit(&self) -> Result<Vec<ArrayRef>> {
        Ok(self.converter.convert_rows(self.rows.iter())?)
    }

    /// Approximate memory held, in bytes.
    pub fn size(&self) -> usize {
        self.rows.size() + self.table.capacity() * 16
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{AsArray, Int32Array, StringArray};
    use arrow::datatypes::Int32Type;
    use std::sync::Arc;

    #[test]
    fn numbers_groups_by_first_appearance() {
        let mut g = GroupValues::try_new(&[DataType::Utf8, DataType::Int32]).unwrap();
        let keys: Vec<ArrayRef> = vec![
            Arc::new(StringArray::from(vec![
                Some("a"),
                Some("b"),
                Some("a"),
                None,
                None,
            ])),
            Arc::new(Int32Array::from(vec![1, 1, 1, 2, 2])),
        ];
        let mut groups = vec![];
        g.intern(&keys, &mut groups).unwrap();
        assert_eq!(groups, vec![0, 1, 0, 2, 2]);
        let out = g.emit().unwrap();
        assert_eq!(out[1].as_primitive::<Int32Type>().values(), &[1, 1, 2]);
        assert!(out[0].is_null(2), "NULL keys form one group");
    }
}
