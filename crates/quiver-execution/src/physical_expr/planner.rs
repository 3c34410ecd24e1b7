//! Turns logical expressions into physical ones bound to an input schema.

use std::sync::Arc;

use quiver_expr::{internal_err, Expr, QSchema, Result};

use super::binary::BinaryExpr;
use super::case::CaseExpr;
use super::simple::{
    CastExpr, ColumnExpr, InListExpr, LikeExpr, LiteralExpr, ScalarFunctionExpr, UnaryExpr, UnaryOp,
};
use super::PhysicalExpr;

/// Binds `expr` to `input`, resolving columns to positions.
pub fn create_physical_expr(expr: &Expr, input: &QSchema) -> Result<Arc<dyn PhysicalExpr>> {
    let go = |e: &Expr| create_physical_expr(e, input);
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
        } => Arc::new(LikeExpr::new(
            *negated,
            *case_insensitive,
            go(e)?,
            go(pattern)?,
        )),
        Expr::Case {
            operand,
            when_then,
            else_expr,
        } => Arc::new(CaseExpr::new(
            operand.as_deref().map(go).transpose()?,
            when_then
                .iter()
                .map(|(w, t)| Ok((go(w)?, go(t)?)))
                .collect::<Result<_>>()?,
            else_expr.as_deref().map(go).transpose()?,
            expr.data_type(input)?,
        )),
        Expr::ScalarFunction(f, args) => Arc::new(ScalarFunctionExpr::new(
            f.clone(),
            args.iter().map(go).collect::<Result<_>>()?,
            expr.data_type(input)?,
        )),
        Expr::Aggregate(_) => return internal_err!("aggregate {expr} outside an aggregation"),
    })
}
