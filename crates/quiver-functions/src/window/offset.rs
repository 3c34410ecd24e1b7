//! `lag` and `lead`: the value a number of rows before or after the current
//! one in its partition, or a default past the partition's edge.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray, UInt64Array};
use arrow::compute::kernels::zip::zip;
use arrow::compute::take;
use arrow::datatypes::DataType;
use quiver_expr::window::WindowRows;
use quiver_expr::{Result, WindowFunction};

use super::{arg_count, int_arg, ValidPositions};

/// `lag(x [, offset [, default]])` (`backwards`) or `lead(...)`.
#[derive(Debug)]
struct Offset {
    name: &'static str,
    backwards: bool,
}

/// `lag` and `lead`.
pub(super) fn all() -> Vec<Arc<dyn WindowFunction>> {
    vec![
        Arc::new(Offset {
            name: "lag",
            backwards: true,
        }),
        Arc::new(Offset {
            name: "lead",
            backwards: false,
        }),
    ]
}

/// Where a row's value comes from.
enum Source {
    /// This row's value.
    Row(usize),
    /// The default: the offset leads out of the partition.
    Default,
    /// NULL: the offset is NULL.
    Null,
}

impl Offset {
    /// The row `offset` rows from `row` (backwards for lag; a negative
    /// offset turns the direction round) within `partition`.
    fn source(
        &self,
        row: usize,
        offset: i64,
        partition: &std::ops::Range<usize>,
        valid: Option<&ValidPositions>,
    ) -> Source {
        let back = self.backwards == (offset >= 0);
        let n = offset.unsigned_abs() as usize;
        let found = match valid {
            None if back => row.checked_sub(n).filter(|r| *r >= partition.start),
            None => row.checked_add(n).filter(|r| *r < partition.end),
            // With IGNORE NULLS, an offset of 0 is the row itself.
            Some(_) if n == 0 => Some(row),
            Some(v) if back => v.nth_back_in(partition.start, row, n - 1),
            Some(v) => v.nth_in(row + 1, partition.end, n - 1),
        };
        found.map_or(Source::Default, Source::Row)
    }
}

impl WindowFunction for Offset {
    fn name(&self) -> &str {
        self.name
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        arg_count(self.name, arg_types, 1, 3)?;
        let value = arg_types[0].clone();
        Ok([value.clone(), DataType::Int64, value][..arg_types.len()].to_vec())
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(arg_types[0].clone())
    }
    fn accepts_null_treatment(&self) -> bool {
        true
    }

    fn evaluate(&self, args: &[ArrayRef], rows: &WindowRows<'_>) -> Result<ArrayRef> {
        let offsets = if args.len() > 1 {
            Some(int_arg(self.name, args, 1)?)
        } else {
            None
        };
        let valid = rows.ignore_nulls.then(|| ValidPositions::new(&args[0]));
        let mut indices = Vec::with_capacity(rows.len());
        let mut use_default = Vec::with_capacity(rows.len());
        for partition in rows.partition_ranges() {
            for row in partition.clone() {
                let offset = match offsets {
                    None => Some(1),
                    Some(o) if o.is_null(row) => None,
                    Some(o) => Some(o.value(row)),
                };
                let source = match offset {
                    None => Source::Null,
                    Some(o) => self.source(row, o, &partition, valid.as_ref()),
                };
                indices.push(match source {
                    Source::Row(r) => Some(r as u64),
                    Source::Default | Source::Null => None,
                });
                use_default.push(matches!(source, Source::Default));
            }
        }
        let taken = take(&args[0], &UInt64Array::from(indices), None)?;
        match args.get(2) {
            Some(default) => Ok(zip(&BooleanArray::from(use_default), default, &taken)?),
            None => Ok(taken),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int32Array, Int64Array};

    fn run(
        name: &str,
        args: &[ArrayRef],
        partitions: &[usize],
        ignore_nulls: bool,
    ) -> Vec<Option<i32>> {
        let f = all().into_iter().find(|f| f.name() == name).unwrap();
        let rows = WindowRows {
            partitions,
            peers: partitions,
            frames: &[],
            ignore_nulls,
        };
        let out = f.evaluate(args, &rows).unwrap();
        let out = out.as_any().downcast_ref::<Int32Array>().unwrap();
        (0..out.len())
            .map(|i| out.is_valid(i).then(|| out.value(i)))
            .collect()
    }

    #[test]
    fn lag_and_lead_stay_in_their_partition() {
        let x: ArrayRef = Arc::new(Int32Array::from(vec![1, 2, 3, 4, 5]));
        assert_eq!(
            run("lag", std::slice::from_ref(&x), &[0, 3, 5], false),
            vec![None, Some(1), Some(2), None, Some(4)]
        );
        assert_eq!(
            run("lead", std::slice::from_ref(&x), &[0, 3, 5], false),
            vec![Some(2), Some(3), None, Some(5), None]
        );
        let two: ArrayRef = Arc::new(Int64Array::from(vec![
            Some(2),
            Some(-1),
            None,
            Some(0),
            Some(2),
        ]));
        let default: ArrayRef = Arc::new(Int32Array::from(vec![0; 5]));
        assert_eq!(
            run("lag", &[x, two, default], &[0, 5], false),
            vec![Some(0), Some(3), None, Some(4), Some(3)]
        );
    }

    #[test]
    fn ignore_nulls_counts_only_values() {
        let x: ArrayRef = Arc::new(Int32Array::from(vec![Some(1), None, None, Some(4), None]));
        assert_eq!(
            run("lag", std::slice::from_ref(&x), &[0, 5], true),
            vec![None, Some(1), Some(1), Some(1), Some(4)]
        );
        assert_eq!(
            run("lead", &[x], &[0, 5], true),
            vec![Some(4), Some(4), Some(4), None, None]
        );
    }
}
