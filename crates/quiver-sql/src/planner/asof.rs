//! Binds `ASOF [LEFT] JOIN`: DuckDB's form, `ON keys AND l.t >= r.t` (the
//! parser marks it, see `crate::asof`), and Snowflake's, `MATCH_CONDITION
//! (l.t >= r.t) ON keys`. The ON condition must be equalities between the
//! two sides plus, in DuckDB's form, exactly one inequality between them.
//! DuckDB's `USING (k, …, t)` means equal keys and `l.t >= r.t`.

use std::sync::Arc;

use quiver_expr::expr::split_conjunction;
use quiver_expr::logical_plan::{AsofComparison, AsofJoin, JoinType, LogicalPlan, PositionalJoin};
use quiver_expr::{Expr, Operator, QSchema, QuiverError, Result};
use sqlparser::ast::{self, JoinConstraint};

use super::relation::{using_names, using_pairs};
use super::SqlPlanner;
use crate::asof::{ASOF_INNER_MARKER, ASOF_LEFT_MARKER, POSITIONAL_MARKER};

/// Which input an expression reads.
#[derive(Debug, PartialEq, Eq)]
enum Side {
    Left,
    Right,
}

/// The input whose columns `expr` reads; None when it reads both or none.
fn side_of(expr: &Expr, left: &QSchema, right: &QSchema) -> Option<Side> {
    let columns = expr.columns();
    let all_in = |s: &QSchema| columns.iter().all(|c| matches!(s.find(c), Ok(Some(_))));
    match (columns.is_empty(), all_in(left), all_in(right)) {
        (true, _, _) => None,
        (false, true, false) => Some(Side::Left),
        (false, false, true) => Some(Side::Right),
        _ => None,
    }
}

/// The comparison an inequality operator makes, `left op right`.
fn comparison_of(op: Operator) -> Option<AsofComparison> {
    Some(match op {
        Operator::GtEq => AsofComparison::GreaterEq,
        Operator::Gt => AsofComparison::Greater,
        Operator::LtEq => AsofComparison::LessEq,
        Operator::Lt => AsofComparison::Less,
        _ => return None,
    })
}

/// The comparison seen from the other side (`r <= l` is `l >= r`).
fn flipped(comparison: AsofComparison) -> AsofComparison {
    match comparison {
        AsofComparison::GreaterEq => AsofComparison::LessEq,
        AsofComparison::Greater => AsofComparison::Less,
        AsofComparison::LessEq => AsofComparison::GreaterEq,
        AsofComparison::Less => AsofComparison::Greater,
    }
}

const SHAPE: &str = "an ASOF JOIN condition is equalities between the two sides and one \
     inequality (>=, >, <= or <) between a left and a right time";

impl SqlPlanner<'_> {
    /// `left ASOF JOIN right` with `match_condition` and `constraint` as
    /// sqlparser gives them.
    pub(crate) fn asof_join(
        &self,
        left: LogicalPlan,
        right: LogicalPlan,
        match_condition: &ast::Expr,
        constraint: &JoinConstraint,
    ) -> Result<LogicalPlan> {
        let (left, right) = (Arc::new(left), Arc::new(right));
        let both = left.schema().join(right.schema());
        let marker = match match_condition {
            ast::Expr::Identifier(i) if i.quote_style.is_none() => Some(i.value.as_str()),
            _ => None,
        };
        if marker == Some(POSITIONAL_MARKER) {
            return positional_join(left, right, constraint);
        }
        let (keep_unmatched, mut conjuncts) = match marker {
            Some(ASOF_INNER_MARKER) => (false, vec![]),
            Some(ASOF_LEFT_MARKER) => (true, vec![]),
            _ => (false, vec![self.sql_to_expr(match_condition, &both)?]),
        };
        // `USING (k, …, t)`: equal keys, and the last column `l.t >= r.t`,
        // each column once in the output (as DuckDB does).
        let mut using = None;
        match constraint {
            JoinConstraint::On(on) => {
                let on = self.sql_to_expr(on, &both)?;
                conjuncts.extend(split_conjunction(&on).into_iter().cloned());
            }
            JoinConstraint::Using(names) if marker.is_some() => {
                let (ls, rs) = (left.schema(), right.schema());
                let pairs = using_pairs(ls, rs, &using_names(names)?)?;
                for (i, &(l, r)) in pairs.iter().enumerate() {
                    let op = if i + 1 == pairs.len() {
                        Operator::GtEq
                    } else {
                        Operator::Eq
                    };
                    conjuncts.push(Expr::Binary(
                        Box::new(Expr::Column(ls.field(l).column())),
                        op,
                        Box::new(Expr::Column(rs.field(r).column())),
                    ));
                }
                using = Some(pairs);
            }
            JoinConstraint::None if marker.is_none() => {}
            _ => {
                return Err(QuiverError::NotImplemented(format!(
                    "ASOF JOIN with NATURAL; write the condition with ON ({SHAPE})"
                )))
            }
        }
        let (ls, rs) = (left.schema(), right.schema());
        let mut on = vec![];
        let mut time: Option<((Expr, Expr), AsofComparison)> = None;
        for conjunct in conjuncts {
            let Expr::Binary(a, op, b) = &conjunct else {
                return Err(QuiverError::Plan(format!("{SHAPE}, not {conjunct}")));
            };
            let (l, r, comparison) = match (side_of(a, ls, rs), side_of(b, ls, rs)) {
                (Some(Side::Left), Some(Side::Right)) => {
                    ((**a).clone(), (**b).clone(), comparison_of(*op))
                }
                (Some(Side::Right), Some(Side::Left)) => (
                    (**b).clone(),
                    (**a).clone(),
                    comparison_of(*op).map(flipped),
                ),
                _ => return Err(QuiverError::Plan(format!("{SHAPE}, not {conjunct}"))),
            };
            // Both sides in one type, as a comparison of them coerces them.
            let Expr::Binary(l, _, r) = self.binary(l, *op, r, &both)? else {
                return Err(QuiverError::Internal(format!("ASOF condition {conjunct}")));
            };
            match (op, comparison) {
                (Operator::Eq, _) => on.push((*l, *r)),
                (_, Some(comparison)) if time.is_none() => {
                    let kind = l.data_type(&both)?;
                    let orderable = kind.is_numeric() || kind.is_temporal();
                    if !orderable {
                        return Err(QuiverError::NotImplemented(format!(
                            "ASOF JOIN times of type {}; they must be numbers, dates, times or timestamps",
                            quiver_expr::types::sql_type_name(&kind)
                        )));
                    }
                    time = Some(((*l, *r), comparison));
                }
                (_, Some(_)) => {
                    return Err(QuiverError::Plan(format!(
                        "an ASOF JOIN takes one inequality; {conjunct} is a second"
                    )))
                }
                _ => return Err(QuiverError::Plan(format!("{SHAPE}, not {conjunct}"))),
            }
        }
        let Some((times, comparison)) = time else {
            return Err(QuiverError::Plan(format!(
                "an ASOF JOIN needs an inequality (>=, >, <= or <) between a left and a right time; {SHAPE}"
            )));
        };
        let join = LogicalPlan::AsofJoin(AsofJoin::try_new(
            Arc::clone(&left),
            Arc::clone(&right),
            on,
            times,
            comparison,
            keep_unmatched,
        )?);
        match using {
            Some(pairs) => {
                let kind = if keep_unmatched {
                    JoinType::Left
                } else {
                    JoinType::Inner
                };
                self.merge_using_columns(join, left.schema(), right.schema(), &pairs, kind)
            }
            None => Ok(join),
        }
    }
}

/// `left POSITIONAL JOIN right`, which takes no condition.
fn positional_join(
    left: Arc<LogicalPlan>,
    right: Arc<LogicalPlan>,
    constraint: &JoinConstraint,
) -> Result<LogicalPlan> {
    let on_true = matches!(
        constraint,
        JoinConstraint::On(ast::Expr::Value(v)) if v.value == ast::Value::Boolean(true)
    );
    if !on_true {
        return Err(QuiverError::Plan(
            "POSITIONAL JOIN pairs rows by position and takes no ON or USING".into(),
        ));
    }
    Ok(LogicalPlan::PositionalJoin(PositionalJoin::new(
        left, right,
    )))
}
