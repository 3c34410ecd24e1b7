//! Splits join conditions into hash keys and a residual filter.

use std::collections::BTreeSet;

use quiver_expr::{Expr, Operator, QSchema, Result};

/// Which side of a join an expression's columns come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Only columns of the left input.
    Left,
    /// Only columns of the right input.
    Right,
    /// No columns at all.
    Neither,
    /// Columns of both inputs (or of neither schema).
    Both,
}

/// The side of a join `e`'s columns belong to.
pub fn side_of(e: &Expr, left: &QSchema, right: &QSchema) -> Side {
    let mut sides = BTreeSet::new();
    for c in e.columns() {
        let in_left = matches!(left.find(&c), Ok(Some(_)));
        let in_right = matches!(right.find(&c), Ok(Some(_)));
        match (in_left, in_right) {
            (true, false) => sides.insert(0),
            (false, true) => sides.insert(1),
            _ => return Side::Both,
        };
    }
    match (sides.contains(&0), sides.contains(&1)) {
        (false, false) => Side::Neither,
        (true, false) => Side::Left,
        (false, true) => Side::Right,
        (true, true) => Side::Both,
    }
}

/// Equi-join key pairs: (expression over the left input, expression over
/// the right input).
pub type JoinKeys = Vec<(Expr, Expr)>;

/// Splits `predicates` into equi-join keys (an expression over `left` equal
/// to one of the same type over `right`) and the rest.
pub fn split_keys(
    predicates: Vec<Expr>,
    left: &QSchema,
    right: &QSchema,
) -> Result<(JoinKeys, Vec<Expr>)> {
    let mut keys = vec![];
    let mut rest = vec![];
    for p in predicates {
        if let Expr::Binary(l, Operator::Eq, r) = &p {
            let pair = match (side_of(l, left, right), side_of(r, left, right)) {
                (Side::Left, Side::Right) => Some((l.as_ref().clone(), r.as_ref().clone())),
                (Side::Right, Side::Left) => Some((r.as_ref().clone(), l.as_ref().clone())),
                _ => None,
            };
            if let Some((lk, rk)) = pair {
                if lk.data_type(left)? == rk.data_type(right)? {
                    keys.push((lk, rk));
                    continue;
                }
            }
        }
        rest.push(p);
    }
    Ok((keys, rest))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::datatypes::{DataType, Field};
    use quiver_expr::{Column, QField};

    fn schema(q: &str) -> QSchema {
        QSchema::new(vec![QField::new(
            Some(q.to_string()),
            Field::new("k", DataType::Int64, true),
        )])
    }

    fn k(q: &str) -> Expr {
        Expr::Column(Column::new(Some(q), "k"))
    }

    #[test]
    fn equalities_across_sides_become_keys_in_either_order() {
        let (l, r) = (schema("a"), schema("b"));
        let preds = vec![
            k("b").binary(Operator::Eq, k("a")),
            k("a").binary(Operator::Lt, k("b")),
            k("a").binary(Operator::Eq, k("a")),
        ];
        let (keys, rest) = split_keys(preds, &l, &r).unwrap();
        assert_eq!(keys, vec![(k("a"), k("b"))]);
        assert_eq!(rest.len(), 2);
    }
}
