//! Turns logical expressions into physical ones bound to an input schema.

use std::sync::Arc;

use arrow::datatypes::Schema;
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use quiver_expr::stack::with_stack_for;
use quiver_expr::{
    internal_err, ColumnarValue, Expr, LikeKind, QSchema, Result, ScalarFunctionRef, ScalarValue,
};

use super::binary::BinaryExpr;
use super::case::CaseExpr;
use super::deep::{DeepExpr, DEEP_EXPRESSION};
use super::lambda::{LambdaExpr, PlannedLambda};
use super::like::LikeExpr;
use super::simple::{
    CastExpr, ColumnExpr, InListExpr, LiteralExpr, ScalarFunctionExpr, UnaryExpr, UnaryOp,
};
use super::try_expr::TryExpr;
use super::PhysicalExpr;

/// Binds `expr` to `input`, resolving columns to positions. Parts that use
/// no column (and call no volatile function) are evaluated once here and
/// become constants.
pub fn create_physical_expr(expr: &Expr, input: &QSchema) -> Result<Arc<dyn PhysicalExpr>> {
    let depth = expr.depth();
    let physical = with_stack_for(depth, || plan_expr(expr, input))?;
    Ok(if depth > DEEP_EXPRESSION {
        Arc::new(DeepExpr::new(physical, depth))
    } else {
        physical
    })
}

/// [`create_physical_expr`] for a part of an expression.
fn plan_expr(expr: &Expr, input: &QSchema) -> Result<Arc<dyn PhysicalExpr>> {
    let physical = bind(expr, input)?;
    if matches!(expr, Expr::Literal(_) | Expr::Column(_))
        || !expr.columns().is_empty()
        || expr.is_volatile()
    {
        return Ok(physical);
    }
    Ok(fold(&physical).unwrap_or(physical))
}

/// The value of `expr`, which reads no column, computed now; `None` when it
/// cannot be (an error such as `1 / 0` is then left for the rows that need
/// the value to report).
pub fn evaluate_constant(expr: &Expr) -> Option<ScalarValue> {
    let physical = bind(expr, &QSchema::empty()).ok()?;
    value_of(&physical)
}

/// The value of a column-free expression, as a constant. `None` when it
/// cannot be computed now (an error such as `1 / 0` is then reported only if
/// a row ever needs the value, e.g. in a CASE branch).
fn fold(expr: &Arc<dyn PhysicalExpr>) -> Option<Arc<dyn PhysicalExpr>> {
    Some(Arc::new(LiteralExpr::new(value_of(expr)?)))
}

fn value_of(expr: &Arc<dyn PhysicalExpr>) -> Option<ScalarValue> {
    let options = RecordBatchOptions::new().with_row_count(Some(1));
    let one_row =
        RecordBatch::try_new_with_options(Arc::new(Schema::empty()), vec![], &options).ok()?;
    let value = match expr.evaluate(&one_row).ok()? {
        ColumnarValue::Scalar(v) => v,
        ColumnarValue::Array(a) if a.len() == 1 => ScalarValue::try_from_array(&a, 0).ok()?,
        ColumnarValue::Array(_) => return None,
    };
    Some(value)
}

fn bind(expr: &Expr, input: &QSchema) -> Result<Arc<dyn PhysicalExpr>> {
    let go = |e: &Expr| plan_expr(e, input);
    Ok(match expr {
        Expr::Column(c) => {
            let index = input.index_of(c)?;
            let field = &input.field(index).field;
            Arc::new(ColumnExpr::new(
                field.name(),
                index,
                field.data_type().clone(),
            ))
        }
        Expr::Literal(v) => Arc::new(LiteralExpr::new(v.clone())),
        Expr::Alias(e, _) => go(e)?,
        Expr::Binary(l, op, r) => {
            Arc::new(BinaryExpr::new(go(l)?, *op, go(r)?, expr.data_type(input)?))
        }
        Expr::Not(e) => Arc::new(UnaryExpr::new(UnaryOp::Not, go(e)?)),
        Expr::Negative(e) => Arc::new(UnaryExpr::new(UnaryOp::Negative, go(e)?)),
        Expr::IsNull(e) => Arc::new(UnaryExpr::new(UnaryOp::IsNull, go(e)?)),
        Expr::IsNotNull(e) => Arc::new(UnaryExpr::new(UnaryOp::IsNotNull, go(e)?)),
        Expr::Cast(e, t) => Arc::new(CastExpr::new(go(e)?, t.clone())),
        Expr::TryCast(e, t) => Arc::new(CastExpr::new_try(go(e)?, t.clone())),
        Expr::Try(e) => Arc::new(TryExpr::new(go(e)?)),
        Expr::InList {
            expr: e,
            list,
            negated,
        } => Arc::new(InListExpr::new(
            go(e)?,
            list.iter().map(go).collect::<Result<_>>()?,
            *negated,
        )),
        Expr::Like {
            negated,
            case_insensitive,
            expr: e,
            pattern,
            escape,
        } => Arc::new(LikeExpr::new(
            LikeKind {
                negated: *negated,
                case_insensitive: *case_insensitive,
                escape: *escape,
            },
            go(e)?,
            go(pattern)?,
        )),
        Expr::Case {
            operand,
            when_then,
            else_expr,
        } => {
            let parts = operand
                .iter()
                .chain(else_expr)
                .map(AsRef::as_ref)
                .chain(when_then.iter().flat_map(|(w, t)| [w, t]));
            let infallible = parts.into_iter().all(|p| !p.can_fail(input));
            Arc::new(
                CaseExpr::new(
                    operand.as_deref().map(go).transpose()?,
                    when_then
                        .iter()
                        .map(|(w, t)| Ok((go(w)?, go(t)?)))
                        .collect::<Result<_>>()?,
                    else_expr.as_deref().map(go).transpose()?,
                    expr.data_type(input)?,
                )
                .on_every_row(infallible),
            )
        }
        Expr::ScalarFunction(f, args) => {
            let func = match f.0.prepare(&Expr::constants(args))? {
                Some(prepared) => ScalarFunctionRef(prepared),
                None => f.clone(),
            };
            Arc::new(ScalarFunctionExpr::new(
                func,
                args.iter().map(go).collect::<Result<_>>()?,
                expr.data_type(input)?,
            ))
        }
        Expr::Lambda(call) => {
            let body_schema = call.body_schema(input)?;
            Arc::new(LambdaExpr::new(PlannedLambda {
                func: call.func.clone(),
                list: go(&call.list)?,
                others: call.others.iter().map(go).collect::<Result<_>>()?,
                captures: call.captures.iter().map(go).collect::<Result<_>>()?,
                param_count: call.params.len(),
                body: create_physical_expr(&call.body, &body_schema)?,
                body_schema: body_schema.to_arrow(),
                data_type: expr.data_type(input)?,
            }))
        }
        Expr::Aggregate(_) => return internal_err!("aggregate {expr} outside an aggregation"),
        Expr::Window(_) => return internal_err!("window call {expr} outside a window operator"),
        Expr::OuterColumn { .. }
        | Expr::ScalarSubquery(_)
        | Expr::Exists { .. }
        | Expr::Quantified { .. } => {
            return internal_err!("subquery expression {expr} was not rewritten into a join")
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use quiver_expr::{Column, Operator, QField};

    fn lit(v: i64) -> Expr {
        Expr::Literal(ScalarValue::Int64(Some(v)))
    }

    #[test]
    fn constant_parts_are_folded_once() {
        let schema = QSchema::new(vec![QField::new(
            None,
            arrow::datatypes::Field::new("a", arrow::datatypes::DataType::Int64, true),
        )]);
        let constant = lit(2).binary(Operator::Multiply, lit(21));
        assert_eq!(
            create_physical_expr(&constant, &schema)
                .unwrap()
                .to_string(),
            "42"
        );
        let with_column = Expr::Column(Column::bare("a")).binary(Operator::Plus, constant);
        assert_eq!(
            create_physical_expr(&with_column, &schema)
                .unwrap()
                .to_string(),
            "a@0 + 42"
        );
    }

    #[test]
    fn failing_constants_wait_until_they_are_needed() {
        let schema = QSchema::empty();
        let division = lit(1).binary(Operator::Divide, lit(0));
        let physical = create_physical_expr(&division, &schema).unwrap();
        assert_eq!(physical.to_string(), "1 / 0");
    }
}
