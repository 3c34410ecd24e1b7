//! sqlparser's generic dialect ranks some binary operators differently from
//! DuckDB (and PostgreSQL): it binds `^` more loosely than `+` and `*`, so
//! `2 * 3 ^ 2` came out as `(2 * 3) ^ 2` (36, where DuckDB answers 18), and
//! `||` as tightly as `*`, and `&`, `|`, `<<`, `>>` each at its own level.
//! DuckDB ranks, from tightest: `^` (and `**`), then `*` `/` `//` `%`, then
//! `+` `-`, then the other operators (`||`, `&`, `|`, `<<`, `>>`) together,
//! all left-associative. After parsing, every chain of these operators that
//! holds one whose rank differs is taken apart into its operands and
//! operators (parenthesised operands are `Nested` and stay whole) and built
//! again by DuckDB's ranks, a prefix `~` ranking with `||` (so `~1 + 1`
//! is `~(1 + 1)`, as in DuckDB). Before parsing, `**` becomes `^`.

use std::ops::ControlFlow;

use sqlparser::ast::{visit_expressions_mut, BinaryOperator, Expr, UnaryOperator, VisitMut};
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

/// Whether `e` is a chain node whose operator is misranked, or a `~`
/// (which DuckDB applies to all that follows up to an operator of the
/// lowest rank, where sqlparser applies it to the next operand only).
fn misranked_node(e: &Expr) -> bool {
    match e {
        Expr::BinaryOp { op, .. } => misranked(op),
        Expr::UnaryOp { op, .. } => *op == UnaryOperator::BitwiseNot,
        _ => false,
    }
}

/// DuckDB's rank of the prefix `~`: that of `||` and the bit operators.
const BITWISE_NOT_RANK: u8 = 1;

/// Regroups every chain of binary operators under `node` by DuckDB's ranks.
pub(crate) fn regroup_operators<N: VisitMut>(node: &mut N) {
    // Post-order: a chain's parts are regrouped before the chain, and a
    // regrouped part holding `||`-ranked operators (or a `~`) has one on
    // top, so the chain above it sees it (`^` never sits below `+` or `*`
    // as parsed).
    let _ = visit_expressions_mut(node, |e| {
        let regroup = match e {
            Expr::BinaryOp { op, left, right } => {
                rank(op).is_some()
                    && (misranked(op) || misranked_node(left) || misranked_node(right))
            }
            // sqlparser's `~` takes `1 * 2 || 3` whole.
            Expr::UnaryOp {
                op: UnaryOperator::BitwiseNot,
                expr,
            } => matches!(expr.as_ref(), Expr::BinaryOp { op, .. } if rank(op).is_some()),
            _ => false,
        };
        if regroup {
            let taken = std::mem::replace(e, Expr::value(sqlparser::ast::Value::Null));
            *e = ranked(taken);
        }
        ControlFlow::<()>::Continue(())
    });
}

/// A piece of a chain in written order.
enum Piece {
    Operand(Box<Expr>),
    Binary(BinaryOperator),
    /// A prefix `~`.
    Not,
}

/// The chain rooted at `root` in written order: an in-order walk without
/// recursion (chains can be long), which also takes `~` apart from its
/// operand.
fn pieces(root: Expr) -> Vec<Piece> {
    let mut pieces = vec![];
    let mut steps = vec![Piece::Operand(Box::new(root))];
    while let Some(step) = steps.pop() {
        let Piece::Operand(e) = step else {
            pieces.push(step);
            continue;
        };
        match *e {
            Expr::BinaryOp { left, op, right } if rank(&op).is_some() => {
                steps.push(Piece::Operand(right));
                steps.push(Piece::Binary(op));
                steps.push(Piece::Operand(left));
            }
            Expr::UnaryOp {
                op: UnaryOperator::BitwiseNot,
                expr,
            } => {
                pieces.push(Piece::Not);
                steps.push(Piece::Operand(expr));
            }
            operand => pieces.push(Piece::Operand(Box::new(operand))),
        }
    }
    pieces
}

/// The chain rooted at `root`, built again by DuckDB's ranks (operator
/// precedence parsing, every operator left-associative).
fn ranked(root: Expr) -> Expr {
    let mut values: Vec<Expr> = vec![];
    let mut pending: Vec<Piece> = vec![];
    let pending_rank = |p: &Piece| match p {
        Piece::Binary(op) => rank(op),
        _ => Some(BITWISE_NOT_RANK),
    };
    for piece in pieces(root) {
        match piece {
            Piece::Operand(e) => values.push(*e),
            Piece::Not => pending.push(Piece::Not),
            Piece::Binary(op) => {
                while pending
                    .last()
                    .is_some_and(|top| pending_rank(top) >= rank(&op))
                {
                    apply(&mut values, pending.pop());
                }
                pending.push(Piece::Binary(op));
            }
        }
    }
    while let Some(piece) = pending.pop() {
        apply(&mut values, Some(piece));
    }
    values
        .pop()
        .unwrap_or_else(|| Expr::value(sqlparser::ast::Value::Null))
}

/// Replaces the last one or two of `values` by `piece` applied to them.
fn apply(values: &mut Vec<Expr>, piece: Option<Piece>) {
    match piece {
        Some(Piece::Binary(op)) => {
            let (Some(right), Some(left)) = (values.pop(), values.pop()) else {
                return;
            };
            values.push(Expr::BinaryOp {
                left: Box::new(left),
                op,
                right: Box::new(right),
            });
        }
        Some(Piece::Not) => {
            if let Some(operand) = values.pop() {
                values.push(Expr::UnaryOp {
                    op: UnaryOperator::BitwiseNot,
                    expr: Box::new(operand),
                });
            }
        }
        _ => {}
    }
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
            ast::Expr::UnaryOp { op, expr } => format!("{op}{}", shape(expr)),
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
        assert_eq!(grouped("SELECT ~1 + 1"), "~(1 + 1)");
        assert_eq!(grouped("SELECT ~1 * 2 || 3"), "(~(1 * 2) || 3)");
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
