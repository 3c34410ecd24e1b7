//! Comparisons of nested values (lists, structs, maps), which Arrow's
//! comparison kernels do not take: both sides are encoded in Arrow's row
//! format, whose byte order is the values' order (element by element, a
//! shorter list before a longer one it starts, NULL elements last).

use std::cmp::Ordering;

use arrow::array::{Array, ArrayRef, BooleanArray};
use arrow::compute::SortOptions;
use arrow::row::{RowConverter, SortField};
use quiver_expr::{Operator, QuiverError, Result};

/// `l op r` row by row for two nested columns of the same type and length;
/// `op` is a comparison or `IS [NOT] DISTINCT FROM`.
pub fn compare_nested(op: Operator, l: &ArrayRef, r: &ArrayRef) -> Result<BooleanArray> {
    // NULL elements after every value, as DuckDB orders them.
    let nulls_last = SortOptions {
        descending: false,
        nulls_first: false,
    };
    let field = SortField::new_with_options(l.data_type().clone(), nulls_last);
    let converter = RowConverter::new(vec![field])?;
    let left = converter.convert_columns(&[ArrayRef::clone(l)])?;
    let right = converter.convert_columns(&[ArrayRef::clone(r)])?;
    (0..l.len())
        .map(|i| {
            let (l_null, r_null) = (l.is_null(i), r.is_null(i));
            let order = || left.row(i).cmp(&right.row(i));
            Ok(match op {
                Operator::IsDistinctFrom => Some(l_null != r_null || (!l_null && order().is_ne())),
                Operator::IsNotDistinctFrom => {
                    Some(l_null == r_null && (l_null || order().is_eq()))
                }
                _ if l_null || r_null => None,
                Operator::Eq => Some(order() == Ordering::Equal),
                Operator::NotEq => Some(order() != Ordering::Equal),
                Operator::Lt => Some(order() == Ordering::Less),
                Operator::LtEq => Some(order() != Ordering::Greater),
                Operator::Gt => Some(order() == Ordering::Greater),
                Operator::GtEq => Some(order() != Ordering::Less),
                other => {
                    return Err(QuiverError::Internal(format!(
                        "{other} is not a comparison of nested values"
                    )))
                }
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::ListArray;
    use arrow::datatypes::Int64Type;

    use super::*;

    fn lists(rows: Vec<Option<Vec<Option<i64>>>>) -> ArrayRef {
        Arc::new(ListArray::from_iter_primitive::<Int64Type, _, _>(rows))
    }

    #[test]
    fn lists_compare_element_by_element_with_nulls_propagating() {
        let l = lists(vec![
            Some(vec![Some(1), Some(2)]),
            Some(vec![Some(1)]),
            None,
            Some(vec![Some(1), Some(3)]),
        ]);
        let r = lists(vec![
            Some(vec![Some(1), Some(2)]),
            Some(vec![Some(1), Some(0)]),
            None,
            Some(vec![Some(1), Some(2)]),
        ]);
        let eq = compare_nested(Operator::Eq, &l, &r).unwrap();
        assert_eq!(
            eq.iter().collect::<Vec<_>>(),
            vec![Some(true), Some(false), None, Some(false)]
        );
        let lt = compare_nested(Operator::Lt, &l, &r).unwrap();
        assert_eq!(
            lt.iter().collect::<Vec<_>>(),
            vec![Some(false), Some(true), None, Some(false)]
        );
        let same = compare_nested(Operator::IsNotDistinctFrom, &l, &r).unwrap();
        assert_eq!(
            same.iter().collect::<Vec<_>>(),
            vec![Some(true), Some(false), Some(true), Some(false)]
        );
    }
}
