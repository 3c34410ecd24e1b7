//! sqlparser reads the right operand of `IS [NOT] DISTINCT FROM` as a whole
//! expression, so `a IS NOT DISTINCT FROM b AND c` comes out as `a IS NOT
//! DISTINCT FROM (b AND c)` — a different answer from the SQL standard's,
//! PostgreSQL's and DuckDB's `(a IS NOT DISTINCT FROM b) AND c`. After
//! parsing, every such operand that is an unparenthesised AND, OR or XOR
//! is taken apart again: the comparison keeps the leftmost term, and the
//! connective goes above it. An operand written in parentheses is a
//! `Nested` expression and stays as it is.

use std::ops::ControlFlow;

use sqlparser::ast::{visit_expressions_mut, BinaryOperator, Expr, VisitMut};

/// Regroups every `IS [NOT] DISTINCT FROM` under `node` as the standard
/// reads it.
pub(crate) fn regroup_distinct_from<N: VisitMut>(node: &mut N) {
    let _ = visit_expressions_mut(node, |e| {
        if matches!(e, Expr::IsDistinctFrom(..) | Expr::IsNotDistinctFrom(..)) {
            let taken = std::mem::replace(e, Expr::value(sqlparser::ast::Value::Null));
            *e = regrouped(taken);
        }
        ControlFlow::<()>::Continue(())
    });
}

/// Whether `op` binds more loosely than `IS DISTINCT FROM`.
fn looser(op: &BinaryOperator) -> bool {
    matches!(
        op,
        BinaryOperator::And | BinaryOperator::Or | BinaryOperator::Xor
    )
}

/// `comparison` with its right operand's loose connectives lifted above it.
fn regrouped(comparison: Expr) -> Expr {
    let (left, right, negated) = match comparison {
        Expr::IsDistinctFrom(left, right) => (left, right, false),
        Expr::IsNotDistinctFrom(left, right) => (left, right, true),
        other => return other,
    };
    match *right {
        Expr::BinaryOp {
            left: first,
            op,
            right: rest,
        } if looser(&op) => Expr::BinaryOp {
            left: Box::new(regrouped(rebuild(left, first, negated))),
            op,
            right: rest,
        },
        right => rebuild(left, Box::new(right), negated),
    }
}

fn rebuild(left: Box<Expr>, right: Box<Expr>, negated: bool) -> Expr {
    match negated {
        true => Expr::IsNotDistinctFrom(left, right),
        false => Expr::IsDistinctFrom(left, right),
    }
}

#[cfg(test)]
mod tests {
    use sqlparser::ast::{self, BinaryOperator, Expr, SelectItem, SetExpr};

    use crate::parser::{parse_one_statement, Statement};

    /// The first select item of `sql`.
    fn item(sql: &str) -> Expr {
        let statement = parse_one_statement(sql).unwrap();
        let Statement::Sql(statement) = statement.statement() else {
            panic!("not SQL")
        };
        let ast::Statement::Query(query) = statement.as_ref() else {
            panic!("not a query")
        };
        let SetExpr::Select(select) = query.body.as_ref() else {
            panic!("not a SELECT")
        };
        match &select.projection[0] {
            SelectItem::UnnamedExpr(e) => e.clone(),
            _ => panic!("not an expression"),
        }
    }

    #[test]
    fn connectives_bind_more_loosely() {
        let Expr::BinaryOp { left, op, .. } = item("SELECT a IS NOT DISTINCT FROM b AND c") else {
            panic!("AND is not on top")
        };
        assert_eq!(op, BinaryOperator::And);
        assert!(matches!(*left, Expr::IsNotDistinctFrom(..)));
        // a IS DISTINCT FROM b OR c AND d: OR on top, the comparison leftmost.
        let Expr::BinaryOp { left, op, right } = item("SELECT a IS DISTINCT FROM b OR c AND d")
        else {
            panic!("OR is not on top")
        };
        assert_eq!(op, BinaryOperator::Or);
        assert!(matches!(*left, Expr::IsDistinctFrom(..)));
        assert!(matches!(
            *right,
            Expr::BinaryOp {
                op: BinaryOperator::And,
                ..
            }
        ));
    }

    #[test]
    fn parenthesised_operands_stay() {
        let Expr::IsNotDistinctFrom(_, right) = item("SELECT a IS NOT DISTINCT FROM (b AND c)")
        else {
            panic!("the comparison is not on top")
        };
        assert!(matches!(*right, Expr::Nested(_)));
    }
}
