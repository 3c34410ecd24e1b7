//! Late materialization: a filter evaluated while a Parquet file is
//! decoded. The columns the filter reads are decoded first; the other
//! projected columns are then decoded only for the rows that passed, and
//! pages holding none of them are skipped. Decoding scattered rows one run
//! at a time is slower than decoding whole pages and filtering after, so
//! this pays off only when nearly every page holds no passing row: on TPC-H
//! SF1 lineitem (row groups of ~107k rows) it halves a lookup passing 1 row
//! per row group, breaks even near 5 and costs 40% more at 27. A scan uses
//! it when the filter is estimated to pass at most
//! [`MAX_ROWS_PER_ROW_GROUP`] rows of an average row group.

use arrow::array::{Array, BooleanArray};
use arrow::compute::prep_null_mask_filter;
use arrow::datatypes::{Schema, SchemaRef};
use arrow::error::ArrowError;
use parquet::arrow::arrow_reader::{ArrowPredicateFn, RowFilter};
use parquet::arrow::ProjectionMask;
use parquet::schema::types::SchemaDescriptor;
use quiver_execution::physical_expr::evaluate_predicate;
use quiver_execution::{create_physical_expr, PhysicalExpr};
use quiver_expr::expr::conjunction;
use quiver_expr::{Column, Expr, Operator, QSchema};

/// The most rows of a row group estimated to pass for which a scan filters
/// while decoding.
pub(crate) const MAX_ROWS_PER_ROW_GROUP: f64 = 4.0;

/// The conjuncts of a scan's filter that are evaluated while decoding.
#[derive(Debug, Clone)]
pub(crate) struct DecodeFilter {
    predicate: Expr,
    columns: Vec<Column>,
}

impl DecodeFilter {
    /// The decode filter for a scan of `projected` columns under `filters`
    /// (estimated to keep `selectivity` of the rows, in row groups of
    /// `row_group_rows` on average), or `None` when filtering while decoding
    /// is not expected to pay: too many rows pass, no conjunct is simple
    /// enough, or every projected column is read by the filter anyway.
    pub(crate) fn choose(
        filters: &[Expr],
        selectivity: Option<f64>,
        row_group_rows: f64,
        projected: &Schema,
    ) -> Option<Self> {
        if selectivity? * row_group_rows > MAX_ROWS_PER_ROW_GROUP {
            return None;
        }
        let pushed: Vec<Expr> = filters.iter().filter(|f| is_simple(f)).cloned().collect();
        let predicate = conjunction(pushed)?;
        let mut columns = predicate.columns();
        columns.sort_by(|a, b| a.name.cmp(&b.name));
        columns.dedup_by(|a, b| a.name == b.name);
        let read_later = projected
            .fields()
            .iter()
            .any(|f| !columns.iter().any(|c| &c.name == f.name()));
        read_later.then_some(Self { predicate, columns })
    }

    /// The filter as a Parquet row filter for one file, or `None` when the
    /// file lacks one of its columns or stores it with another type than
    /// `table` has (the filter is then left to the operator above).
    pub(crate) fn row_filter(
        &self,
        table: &Schema,
        file: &SchemaRef,
        parquet: &SchemaDescriptor,
    ) -> Option<RowFilter> {
        let mut indices = vec![];
        for column in &self.columns {
            let (index, field) = file.column_with_name(&column.name)?;
            let wanted = table.field_with_name(&column.name).ok()?;
            if field.data_type() != wanted.data_type() || field.data_type().is_nested() {
                return None;
            }
            indices.push(index);
        }
        // The decoder hands the predicate these columns in file order.
        indices.sort_unstable();
        let qualifier = self.columns.first()?.relation.clone();
        let fields = indices
            .iter()
            .map(|&i| quiver_expr::QField::new(qualifier.clone(), file.field(i).clone()))
            .collect();
        let expr = create_physical_expr(&self.predicate, &QSchema::new(fields)).ok()?;
        let mask = ProjectionMask::roots(parquet, indices);
        let predicate = ArrowPredicateFn::new(mask, move |batch| evaluate(expr.as_ref(), &batch));
        Some(RowFilter::new(vec![Box::new(predicate)]))
    }
}

impl std::fmt::Display for DecodeFilter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.predicate)
    }
}

/// Which rows of `batch` pass `expr` (NULL does not).
fn evaluate(
    expr: &dyn PhysicalExpr,
    batch: &arrow::record_batch::RecordBatch,
) -> Result<BooleanArray, ArrowError> {
    let mask =
        evaluate_predicate(expr, batch).map_err(|e| ArrowError::ComputeError(e.to_string()))?;
    Ok(if mask.null_count() > 0 {
        prep_null_mask_filter(&mask)
    } else {
        mask
    })
}

/// Whether `expr` is cheap and cannot fail: comparisons, `IN`, `LIKE`,
/// `IS [NOT] NULL` of a column with constants, combined by AND/OR/NOT.
/// Anything else (arithmetic that may overflow or divide by zero, function
/// calls) stays in the operator above, which reports its errors.
fn is_simple(expr: &Expr) -> bool {
    let column_or_literal = |e: &Expr| matches!(e, Expr::Column(_) | Expr::Literal(_));
    match expr {
        Expr::Binary(l, op, r) => match op {
            Operator::And | Operator::Or => is_simple(l) && is_simple(r),
            Operator::Eq
            | Operator::NotEq
            | Operator::Lt
            | Operator::LtEq
            | Operator::Gt
            | Operator::GtEq => column_or_literal(l) && column_or_literal(r),
            _ => false,
        },
        Expr::Not(e) => is_simple(e),
        Expr::IsNull(e) | Expr::IsNotNull(e) => matches!(e.as_ref(), Expr::Column(_)),
        Expr::InList { expr, list, .. } => {
            matches!(expr.as_ref(), Expr::Column(_))
                && list.iter().all(|e| matches!(e, Expr::Literal(_)))
        }
        Expr::Like { expr, pattern, .. } => {
            matches!(expr.as_ref(), Expr::Column(_)) && matches!(pattern.as_ref(), Expr::Literal(_))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use arrow::datatypes::{DataType, Field};
    use quiver_expr::ScalarValue;

    use super::*;

    fn column(name: &str) -> Box<Expr> {
        Box::new(Expr::Column(Column::new(Some("t"), name)))
    }

    fn int(v: i64) -> Box<Expr> {
        Box::new(Expr::Literal(ScalarValue::Int64(Some(v))))
    }

    fn projected() -> Schema {
        Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("name", DataType::Utf8, true),
        ])
    }

    #[test]
    fn a_selective_simple_filter_is_decoded_first() {
        let filters = vec![Expr::Binary(column("id"), Operator::Lt, int(5))];
        let chosen = DecodeFilter::choose(&filters, Some(0.0001), 10_000.0, &projected()).unwrap();
        assert_eq!(chosen.to_string(), "(t.id < 5)");
    }

    #[test]
    fn unselective_unknown_or_unsafe_filters_are_left_above() {
        let cheap = vec![Expr::Binary(column("id"), Operator::Lt, int(5))];
        assert!(DecodeFilter::choose(&cheap, Some(0.01), 10_000.0, &projected()).is_none());
        assert!(DecodeFilter::choose(&cheap, None, 10_000.0, &projected()).is_none());
        let division = Expr::Binary(
            Box::new(Expr::Binary(int(1), Operator::Divide, column("id"))),
            Operator::Gt,
            int(0),
        );
        assert!(DecodeFilter::choose(&[division], Some(0.0001), 10_000.0, &projected()).is_none());
    }

    #[test]
    fn a_filter_reading_every_projected_column_gains_nothing() {
        let filters = vec![
            Expr::Binary(column("id"), Operator::Lt, int(5)),
            Expr::IsNotNull(column("name")),
        ];
        assert!(DecodeFilter::choose(&filters, Some(0.0001), 10_000.0, &projected()).is_none());
    }
}
