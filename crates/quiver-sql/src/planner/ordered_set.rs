//! Ordered-set aggregates, `percentile_cont(0.5) WITHIN GROUP (ORDER BY
//! x)`, `percentile_disc(..) WITHIN GROUP (..)` and `mode() WITHIN GROUP
//! (..)`, written as the quantile aggregates they are: `quantile_cont(x,
//! 0.5)`, `quantile_disc(x, ..)`, `mode(x)`.

use sqlparser::ast::{self, FunctionArg, FunctionArgExpr, FunctionArguments};

use quiver_expr::{not_impl_err, QuiverError, Result};

/// `f` (a call with `WITHIN GROUP`) as the plain call that computes it.
pub(super) fn as_plain_call(f: &ast::Function, name: &str) -> Result<ast::Expr> {
    let [order] = f.within_group.as_slice() else {
        return Err(QuiverError::Plan(format!(
            "{name}(...) WITHIN GROUP takes exactly one ORDER BY key"
        )));
    };
    let descending = order.options.asc == Some(false);
    let key = order.expr.clone();
    let FunctionArguments::List(list) = &f.args else {
        return Err(QuiverError::Plan(format!(
            "{name}(...) WITHIN GROUP needs its argument list"
        )));
    };
    if list.duplicate_treatment.is_some() || !list.clauses.is_empty() {
        return not_impl_err!("DISTINCT or clauses in {name}(...) WITHIN GROUP are not supported");
    }
    let fraction = || match list.args.as_slice() {
        [FunctionArg::Unnamed(FunctionArgExpr::Expr(q))] => Ok(q.clone()),
        _ => Err(QuiverError::Plan(format!(
            "{name}(fraction) WITHIN GROUP (ORDER BY ..) takes one fraction"
        ))),
    };
    let call = |target: &str, args: Vec<ast::Expr>| {
        let mut plain = f.clone();
        plain.within_group = vec![];
        plain.name = ast::ObjectName::from(vec![ast::Ident::new(target)]);
        plain.args = FunctionArguments::List(ast::FunctionArgumentList {
            duplicate_treatment: None,
            args: args
                .into_iter()
                .map(|a| FunctionArg::Unnamed(FunctionArgExpr::Expr(a)))
                .collect(),
            clauses: vec![],
        });
        ast::Expr::Function(plain)
    };
    let minus = |e: ast::Expr| ast::Expr::UnaryOp {
        op: ast::UnaryOperator::Minus,
        expr: Box::new(ast::Expr::Nested(Box::new(e))),
    };
    Ok(match name {
        // Continuous: the fraction q of the way down is 1 - q of the way up.
        "percentile_cont" if descending => {
            let up = ast::Expr::BinaryOp {
                left: Box::new(ast::Expr::value(ast::Value::Number("1".into(), false))),
                op: ast::BinaryOperator::Minus,
                right: Box::new(ast::Expr::Nested(Box::new(fraction()?))),
            };
            call("quantile_cont", vec![key, up])
        }
        "percentile_cont" => call("quantile_cont", vec![key, fraction()?]),
        // Discrete: the value picked going down is the negated value picked
        // going up over the negated values (numbers only).
        "percentile_disc" if descending => {
            minus(call("quantile_disc", vec![minus(key), fraction()?]))
        }
        "percentile_disc" => call("quantile_disc", vec![key, fraction()?]),
        "mode" if list.args.is_empty() => call("mode", vec![key]),
        "mode" => {
            return Err(QuiverError::Plan(
                "mode() WITHIN GROUP (ORDER BY ..) takes no arguments".into(),
            ))
        }
        other => return not_impl_err!("{other}(...) WITHIN GROUP (ORDER BY ...) is not supported"),
    })
}
