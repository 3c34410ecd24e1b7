//! CASE, evaluated so that each THEN and ELSE sees only the rows that select
//! it: `CASE WHEN x = 0 THEN 0 ELSE 1 / x END` never divides by zero. A CASE
//! none of whose parts can fail is evaluated whole on every row and its
//! branches chosen row by row (`zip`), which costs far less than splitting
//! the batch (a `FILTER (WHERE …)` aggregate is such a CASE).

use std::fmt;
use std::sync::Arc;

use arrow::array::{new_null_array, Array, ArrayRef, BooleanArray, UInt32Array};
use arrow::compute::kernels::zip::zip;
use arrow::compute::{cast, filter, filter_record_batch, interleave, not, prep_null_mask_filter};
use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;
use quiver_expr::{ColumnarValue, QuiverError, Result};

use super::canonical::equal_rows;
use super::{evaluate_predicate, PhysicalExpr};

/// `CASE [operand] WHEN .. THEN .. [ELSE ..] END`.
#[derive(Debug)]
pub struct CaseExpr {
    operand: Option<Arc<dyn PhysicalExpr>>,
    when_then: Vec<(Arc<dyn PhysicalExpr>, Arc<dyn PhysicalExpr>)>,
    else_expr: Option<Arc<dyn PhysicalExpr>>,
    data_type: DataType,
    /// None of the parts can fail, so each may run on every row.
    on_every_row: bool,
}

impl CaseExpr {
    /// A CASE whose branches all produce `data_type`.
    pub fn new(
        operand: Option<Arc<dyn PhysicalExpr>>,
        when_then: Vec<(Arc<dyn PhysicalExpr>, Arc<dyn PhysicalExpr>)>,
        else_expr: Option<Arc<dyn PhysicalExpr>>,
        data_type: DataType,
    ) -> Self {
        Self {
            operand,
            when_then,
            else_expr,
            data_type,
            on_every_row: false,
        }
    }

    /// The CASE, evaluated whole on every row when `infallible` (none of
    /// its parts can raise an error).
    pub fn on_every_row(mut self, infallible: bool) -> Self {
        self.on_every_row = infallible;
        self
    }

    /// `values` as the CASE's type (a NULL branch is NULL-typed).
    fn typed(&self, values: ArrayRef) -> Result<ArrayRef> {
        match values.data_type() == &self.data_type {
            true => Ok(values),
            false => Ok(cast(&values, &self.data_type)?),
        }
    }

    /// Every part evaluated on every row, the first branch that matches
    /// chosen for each.
    fn evaluate_on_every_row(&self, batch: &RecordBatch) -> Result<ArrayRef> {
        let mut result = match &self.else_expr {
            Some(e) => self.typed(e.evaluate_to_array(batch)?)?,
            None => new_null_array(&self.data_type, batch.num_rows()),
        };
        for (when, then) in self.when_then.iter().rev() {
            let hit = self.matches(when.as_ref(), batch)?;
            let values = self.typed(then.evaluate_to_array(batch)?)?;
            result = zip(&hit, &values, &result)?;
        }
        Ok(result)
    }

    /// Which of the `rows` select a WHEN branch (NULL counts as no).
    fn matches(&self, when: &dyn PhysicalExpr, rows: &RecordBatch) -> Result<BooleanArray> {
        let hit = match &self.operand {
            None => evaluate_predicate(when, rows)?,
            Some(operand) => {
                let value = operand.evaluate_to_array(rows)?;
                equal_rows(&value, when.evaluate(rows)?)?
            }
        };
        Ok(if hit.null_count() > 0 {
            prep_null_mask_filter(&hit)
        } else {
            hit
        })
    }
}

impl fmt::Display for CaseExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CASE")?;
        if let Some(o) = &self.operand {
            write!(f, " {o}")?;
        }
        for (w, t) in &self.when_then {
            write!(f, " WHEN {w} THEN {t}")?;
        }
        if let Some(e) = &self.else_expr {
            write!(f, " ELSE {e}")?;
        }
        f.write_str(" END")
    }
}

impl PhysicalExpr for CaseExpr {
    fn data_type(&self) -> &DataType {
        &self.data_type
    }

    fn evaluate(&self, batch: &RecordBatch) -> Result<ColumnarValue> {
        if self.on_every_row {
            return Ok(ColumnarValue::Array(self.evaluate_on_every_row(batch)?));
        }
        let n = batch.num_rows();
        // Pieces of the result: values for some rows, with those rows' positions.
        let mut pieces: Vec<ArrayRef> = vec![new_null_array(&self.data_type, 1)];
        let mut source: Vec<(usize, usize)> = vec![(0, 0); n];
        let mut remaining = batch.clone();
        let mut positions = UInt32Array::from_iter_values(0..n as u32);
        let data_type = &self.data_type;
        let mut place = |values: ArrayRef, at: &UInt32Array, pieces: &mut Vec<ArrayRef>| {
            // A branch that is an untyped NULL gives a NULL-typed array.
            let values = match values.data_type() == data_type {
                true => values,
                false => cast(&values, data_type)?,
            };
            let piece = pieces.len();
            for (k, row) in at.values().iter().enumerate() {
                source[*row as usize] = (piece, k);
            }
            pieces.push(values);
            Ok::<_, QuiverError>(())
        };
        for (when, then) in &self.when_then {
            if remaining.num_rows() == 0 {
                break;
            }
            let hit = self.matches(when.as_ref(), &remaining)?;
            if hit.true_count() > 0 {
                let chosen = filter_record_batch(&remaining, &hit)?;
                let at = filter(&positions, &hit)?;
                let values = then.evaluate_to_array(&chosen)?;
                place(
                    values,
                    at.as_any()
                        .downcast_ref::<UInt32Array>()
                        .expect("filter keeps type"),
                    &mut pieces,
                )?;
            }
            let rest = not(&hit)?;
            remaining = filter_record_batch(&remaining, &rest)?;
            let kept = filter(&positions, &rest)?;
            positions = kept
                .as_any()
                .downcast_ref::<UInt32Array>()
                .expect("filter keeps type")
                .clone();
        }
        if let (Some(else_expr), true) = (&self.else_expr, remaining.num_rows() > 0) {
            let values = else_expr.evaluate_to_array(&remaining)?;
            place(values, &positions, &mut pieces)?;
        }
        let refs: Vec<&dyn Array> = pieces.iter().map(|p| p.as_ref()).collect();
        Ok(ColumnarValue::Array(interleave(&refs, &source)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::physical_expr::binary::BinaryExpr;
    use crate::physical_expr::simple::{ColumnExpr, LiteralExpr};
    use arrow::array::{AsArray, Int64Array};
    use arrow::datatypes::{Field, Int64Type, Schema};
    use quiver_expr::{Operator, ScalarValue};

    #[test]
    fn branches_see_only_their_rows() {
        let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, true)]));
        let batch = RecordBatch::try_new(
            schema,
            vec![Arc::new(Int64Array::from(vec![Some(0), Some(4), None]))],
        )
        .unwrap();
        let x: Arc<dyn PhysicalExpr> = Arc::new(ColumnExpr::new("x", 0, DataType::Int64));
        let lit = |v: i64| -> Arc<dyn PhysicalExpr> {
            Arc::new(LiteralExpr::new(ScalarValue::Int64(Some(v))))
        };
        let is_zero = Arc::new(BinaryExpr::new(
            Arc::clone(&x),
            Operator::Eq,
            lit(0),
            DataType::Boolean,
        ));
        let inverse = Arc::new(BinaryExpr::new(
            lit(8),
            Operator::Divide,
            Arc::clone(&x),
            DataType::Int64,
        ));
        let case = CaseExpr::new(
            None,
            vec![(is_zero, lit(-1))],
            Some(inverse),
            DataType::Int64,
        );
        let out = case.evaluate_to_array(&batch).unwrap();
        let out = out.as_primitive::<Int64Type>();
        assert_eq!((out.value(0), out.value(1)), (-1, 2));
        assert!(out.is_null(2));
    }

    #[test]
    fn evaluated_on_every_row_the_first_matching_branch_wins() {
        let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, true)]));
        let batch = RecordBatch::try_new(
            schema,
            vec![Arc::new(Int64Array::from(vec![
                Some(1),
                Some(5),
                None,
                Some(9),
            ]))],
        )
        .unwrap();
        let x: Arc<dyn PhysicalExpr> = Arc::new(ColumnExpr::new("x", 0, DataType::Int64));
        let lit = |v: i64| -> Arc<dyn PhysicalExpr> {
            Arc::new(LiteralExpr::new(ScalarValue::Int64(Some(v))))
        };
        let below = |v: i64| -> Arc<dyn PhysicalExpr> {
            Arc::new(BinaryExpr::new(
                Arc::clone(&x),
                Operator::Lt,
                lit(v),
                DataType::Boolean,
            ))
        };
        for else_expr in [None, Some(Arc::clone(&x))] {
            let case = CaseExpr::new(
                None,
                vec![
                    (below(3), lit(10)),
                    (below(6), lit(20)),
                    (below(2), lit(30)),
                ],
                else_expr.clone(),
                DataType::Int64,
            )
            .on_every_row(true);
            let out = case.evaluate_to_array(&batch).unwrap();
            let out = out.as_primitive::<Int64Type>();
            assert_eq!((out.value(0), out.value(1)), (10, 20));
            // A NULL condition does not match: the ELSE (here NULL x) or NULL.
            assert!(out.is_null(2));
            match else_expr {
                Some(_) => assert_eq!(out.value(3), 9),
                None => assert!(out.is_null(3)),
            }
        }
    }

    #[test]
    fn simple_case_without_else_gives_null() {
        let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, true)]));
        let batch =
            RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(vec![1, 2]))]).unwrap();
        let x: Arc<dyn PhysicalExpr> = Arc::new(ColumnExpr::new("x", 0, DataType::Int64));
        let lit = |v: i64| -> Arc<dyn PhysicalExpr> {
            Arc::new(LiteralExpr::new(ScalarValue::Int64(Some(v))))
        };
        let case = CaseExpr::new(Some(x), vec![(lit(2), lit(20))], None, DataType::Int64);
        let out = case.evaluate_to_array(&batch).unwrap();
        assert!(out.is_null(0));
        assert_eq!(out.as_primitive::<Int64Type>().value(1), 20);
    }
}
