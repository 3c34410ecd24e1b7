//! Skipping Parquet row groups that cannot hold a row passing a filter:
//! each conjunct `column op constant` (`=`, `<`, `<=`, `>`, `>=`) or
//! `column IN (constants)` is checked against every row group's minimum and
//! maximum of that column, read from the footer. A row group whose
//! statistics are missing is always read.

use arrow::array::{Array, ArrayRef, BooleanArray};
use arrow::compute::kernels::cmp::{gt, gt_eq, lt, lt_eq};
use arrow::compute::{and, or};
use arrow::datatypes::Schema;
use parquet::arrow::arrow_reader::statistics::StatisticsConverter;
use parquet::file::metadata::ParquetMetaData;
use quiver_expr::{Expr, Operator, ScalarValue};

/// A conjunct that row-group statistics can refute: `column op value`,
/// where `=` may list several values (an IN list: equal to any of them).
#[derive(Debug, Clone)]
pub(crate) struct Bound {
    column: String,
    op: Operator,
    values: Vec<ScalarValue>,
}

/// The conjuncts of `filters` of the form `column op constant`,
/// `constant op column` or `column IN (constants)` (qualifiers ignored;
/// NULLs in an IN list dropped, as they match nothing).
pub(crate) fn bounds(filters: &[Expr]) -> Vec<Bound> {
    filters
        .iter()
        .filter_map(|f| {
            if matches!(f, Expr::InList { .. }) {
                let (column, values) = f.column_equal_to_constants()?;
                return Some(Bound {
                    column: column.name.clone(),
                    op: Operator::Eq,
                    values: values
                        .into_iter()
                        .filter(|v| !v.is_null())
                        .cloned()
                        .collect(),
                });
            }
            let Expr::Binary(left, op, right) = f else {
                return None;
            };
            let (column, op, value) = match (left.as_ref(), right.as_ref()) {
                (Expr::Column(c), Expr::Literal(v)) => (c, *op, v),
                (Expr::Literal(v), Expr::Column(c)) => (c, op.swap(), v),
                _ => return None,
            };
            let comparable = matches!(
                op,
                Operator::Eq | Operator::Lt | Operator::LtEq | Operator::Gt | Operator::GtEq
            );
            (comparable && !value.is_null()).then(|| Bound {
                column: column.name.clone(),
                op,
                values: vec![value.clone()],
            })
        })
        .collect()
}

/// For each row group of a file, whether it may hold rows passing every
/// bound. `schema` is the file's Arrow schema.
pub(crate) fn row_groups_to_read(
    metadata: &ParquetMetaData,
    schema: &Schema,
    bounds: &[Bound],
) -> Vec<bool> {
    let mut keep = vec![true; metadata.num_row_groups()];
    for bound in bounds {
        if let Some(may_match) = check(metadata, schema, bound) {
            for (row_group, k) in keep.iter_mut().enumerate() {
                if may_match.is_valid(row_group) && !may_match.value(row_group) {
                    *k = false;
                }
            }
        }
    }
    keep
}

/// Per row group, whether `bound` may hold there (NULL: unknown); `None`
/// when the statistics or the constant cannot be compared.
fn check(metadata: &ParquetMetaData, schema: &Schema, bound: &Bound) -> Option<BooleanArray> {
    let schema_descr = metadata.file_metadata().schema_descr();
    let converter = StatisticsConverter::try_new(&bound.column, schema, schema_descr).ok()?;
    let mins: ArrayRef = converter.row_group_mins(metadata.row_groups()).ok()?;
    let maxes: ArrayRef = converter.row_group_maxes(metadata.row_groups()).ok()?;
    bound.may_hold(&mins, &maxes)
}

impl Bound {
    /// The column the bound is on.
    pub(crate) fn column(&self) -> &str {
        &self.column
    }

    /// For each range of values from `mins[i]` to `maxes[i]` (a row
    /// group's or a page's), whether the bound may hold for a value in it
    /// (NULL: unknown); `None` when the constant cannot be compared.
    pub(crate) fn may_hold(&self, mins: &ArrayRef, maxes: &ArrayRef) -> Option<BooleanArray> {
        if self.values.is_empty() {
            // `IN (NULL)`: no value can pass.
            return Some(BooleanArray::from(vec![false; mins.len()]));
        }
        self.values
            .iter()
            .map(|value| {
                let value = value.cast_to(mins.data_type()).ok()?.to_scalar().ok()?;
                let result = match self.op {
                    Operator::Eq => and(&lt_eq(mins, &value).ok()?, &gt_eq(maxes, &value).ok()?),
                    Operator::Lt => lt(mins, &value),
                    Operator::LtEq => lt_eq(mins, &value),
                    Operator::Gt => gt(maxes, &value),
                    Operator::GtEq => gt_eq(maxes, &value),
                    _ => return None,
                };
                result.ok()
            })
            .reduce(|any, one| or(&any?, &one?).ok())?
    }
}
