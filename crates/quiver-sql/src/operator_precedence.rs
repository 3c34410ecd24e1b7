//! sqlparser's generic dialect ranks some binary operators differently from
//! DuckDB (and PostgreSQL): it binds `^` more loosely than `+` and `*`, so
//! `2 * 3 ^ 2` came out as `(2 * 3) ^ 2` (36, where DuckDB answers 18), and
//! `||` as tightly as `*`, and `&`, `|`, `<<`, `>>` each at its own level.
//! DuckDB ranks, from tightest: `^` (and `**`), then `*` `/` `//` `%`, then
//! `+` `-`, then the other operators (`||`, `&`, `|`, `<<`, `>>`) together,
//! all left-associative. After parsing, every chain of these operators that
//! holds one whose rank differs is taken apart into its operands and
//! operators (parenthesised operands are `Nested` and stay whole) and built
//! again by DuckDB's ranks. Before parsing, `**` becomes `^`.

use std::ops::ControlFlow;

use sqlparser::ast::{visit_expressions_mut, BinaryOperator, Expr, VisitMut};
use sqlparser::tokenizer::{Token, TokenWithSpan};

/// `tokens` with each `**` (two adjacent `*`) as `^`.
pub(crate) fn rewrite_double_star(mut tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let mut i = 0;
    while i + 1 < tokens.len() {
        let follows_operand = tokens[..i]
            .iter()
            .rev()
            .find(|t| !matches!(t.token, Token::Whitespace(_)))
            .is_some_and(|t| {
                matches!(
                    t.token,
                    Token::Number(..) | Token::Word(_) | Token::RParen | Token::RBracket
                )
            });
        if follows_operand && tokens[i].token == Token::Mul && tokens[i + 1].token == Token::Mul {
            tokens[i].token = Token::Caret;
            tokens.remove(i + 1);
        }
        i += 1;
    }
    tokens
}

/// DuckDB's rank of a binary operator of the chains regrouped here (higher
/// binds tighter); `None` for the others.
fn rank(op: &BinaryOperator) -> Option<u8> {
    use BinaryOperator as B;
    Some(match op {
        B::BitwiseXor | B::PGExp => 4,
        B::Multiply | B::Divide | B::Modulo | B::DuckIntegerDivide | B::MyIntegerDivide => 3,
        B::Plus | B::Minus => 2,
        B::StringConcat
        | B::BitwiseAnd
        | B::BitwiseOr
        | B::PGBitwiseShiftLeft
        | B::PGBitwiseShiftRight => 1,
        _ => return None,
    })
}

/// Whether sqlparser ranks `op` other than DuckDB does.
fn misranked(op: &BinaryOperator) -> bool {
    matches!(rank(op), Some(1) | Some(4))
}

/// Whether `e` is a chain node whose operator is misranked.
fn misranked_node(e: &Expr) -> bool {
    matches!(e, Expr::BinaryOp { op, .. } if misranked(op))
}

/// Regroups every chain of binary operators under `node` by DuckDB's ranks.
pub(crate) fn regroup_operators<N: VisitMut>(node: &mut N) {
    // Post-order: a chain's parts are regrouped before the chain, and a
    // regrouped part holding `||`-ranked operators has one on top, so the
    // chain above it sees it (`^` never sits below `+` or `*` as parsed).
    let _ = visit_expressions_mut(node, |e| {
        let Expr::BinaryOp { op, left, right } = e else {
            return ControlFlow::<()>::Continue(());
        };
        let in_chain = rank(op).is_some();
        if in_chain && (misranked(op) || misranked_node(left) || misranked_node(right)) {
            let taken = std::mem::replace(e, Expr::value(sqlparser::ast::Value::Null));
            *e = ranked(taken);
        }
        ControlFlow::Continue(())
    });
}

/// A step of the walk over a chain: an expression to take apart, or an
/// operator to emit.
enum Step {
    Expr(Box<Expr>),
    Operator(BinaryOperator),
}

/// The chain rooted at `root`, built again by DuckDB's ranks.
fn ranked(root: Expr) -> Expr {
    // The chain's operands and operators in written order (an in-order
    // walk without recursion: chains can be long).
    let mut operands: Vec<Expr> = vec![];
    let mut operators: Vec<BinaryOperator> = vec![];
    let mut steps = vec![Step::Expr(Box::new(root))];
    while let Some(step) = steps.pop() {
        match step {
            Step::Operator(op) => operators.push(op),
            Step::Expr(e) => match *e {
                Expr::BinaryOp { left, op, right } if rank(&op).is_some() => {
                    steps.push(Step::Expr(right));
                    steps.push(Step::Operator(op));
                    steps.push(Step::Expr(left));
                }
                operand => operands.push(operand),
            },
        }
    }
    // Operator precedence parsing, every operator left-associative.
    let mut operands = operands.into_iter();
    let mut values: Vec<Expr> = operands.next().into_iter().collect();
    let mut pending: Vec<BinaryOperator> = vec![];
    for (op, operand) in operators.into_iter().zip(operands) {
        while pending.last().is_some_and(|top| rank(top) >= rank(&op)) {
            apply(&mut values, pending.pop());
        }
        pending.push(op);
        values.push(operand);
    }
    while let Some(op) = pending.pop() {
        apply(&mut values, Some(op));
    }
    values
        .pop()
        .unwrap_or_else(|| Expr::value(sqlparser::ast::Value::Null))
}

/// Replaces the last two of `values` by `op` applied to them.
fn apply(values: &mut Vec<Expr>, op: Option<BinaryOperator>) {
    let (Some(op), Some(right), Some(left)) = (op, values.pop(), values.pop()) else {
        return;
    };
    values.push(Expr::BinaryOp {
        left: Box::new(left),
        op,
        right: Box::new(right),
    });
}

#[cfg(test)]
mod tests {
    use sqlparser::ast;

    use crate::frame_exclusion::rewritten_text;
    use crate::parser::{parse_one_statement, Statement};

    /// The first select item of `sql`, parenthesised as it is grouped.
    fn grouped(sql: &str) -> String {
        let statement = parse_one_statement(sql).unwrap();
        let Statement::Sql(statement) = statement.statement() else {
            panic!("not SQL")
        };
        let ast::Statement::Query(query) = statement.as_ref() else {
            panic!("not a query")
        };
        let ast::SetExpr::Select(select) = query.body.as_ref() else {
            panic!("not a SELECT")
        };
        let ast::SelectItem::UnnamedExpr(e) = &select.projection[0] else {
            panic!("not an expression")
        };
        shape(e)
    }

    fn shape(e: &ast::Expr) -> String {
        match e {
            ast::Expr::BinaryOp { left, op, right } => {
                format!("({} {op} {})", shape(left), shape(right))
            }
            other => other.to_string(),
        }
    }

    #[test]
    fn powers_bind_tighter_than_products_and_concatenation_looser_than_sums() {
        assert_eq!(grouped("SELECT 2 * 3 ^ 2"), "(2 * (3 ^ 2))");
        assert_eq!(grouped("SELECT 2 ^ 2 * 3 + 1"), "(((2 ^ 2) * 3) + 1)");
        assert_eq!(grouped("SELECT 2 ^ 3 ^ 2"), "((2 ^ 3) ^ 2)");
        assert_eq!(grouped("SELECT 'a' || 1 + 2"), "('a' || (1 + 2))");
        assert_eq!(grouped("SELECT x + 'a' || 1 * 2"), "((x + 'a') || (1 * 2))");
        assert_eq!(grouped("SELECT 6 | 1 & 3"), "((6 | 1) & 3)");
        assert_eq!(grouped("SELECT (2 * 3) ^ 2"), "((2 * 3) ^ 2)");
        assert_eq!(grouped("SELECT a + b * c - d"), "((a + (b * c)) - d)");
    }

    #[test]
    fn double_stars_are_powers() {
        assert_eq!(
            rewritten_text(
                "SELECT 2**3, x ** 2, count(*) * 2, t.*",
                super::rewrite_double_star
            ),
            "SELECT 2^3, x ^ 2, count(*) * 2, t.*"
        );
    }
}
