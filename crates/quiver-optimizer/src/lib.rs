//! The logical optimizer of Quiver: named rewrite rules applied in order
//! ([`Optimizer`]), each a module implementing [`OptimizerRule`].

pub mod cardinality;
pub mod common_subexpressions;
pub mod decorrelate;
pub mod distinct_aggregates;
pub mod eliminate_aggregates;
pub mod eliminate_sorts;
pub mod explain;
pub mod fold_constants;
pub mod join_enumeration;
pub mod join_keys;
pub mod join_order;
pub mod merge_projections;
pub mod or_to_in_list;
pub mod outer_to_inner;
pub mod prune_columns;
pub mod push_down_filter;
pub mod push_down_limit;
pub mod set_operations;
pub mod unwrap_cast;

mod optimizer;
mod rule;

pub use optimizer::Optimizer;
pub use rule::{OptimizerRule, Transformed};

#[cfg(test)]
mod test_util;

use std::sync::Arc;

use quiver_expr::logical_plan::{Filter, Projection};
use quiver_expr::{expr, Expr, LogicalPlan, QSchema, Result};

/// `plan` projected to exactly the columns of `schema` (found by name), for
/// rules that add or reorder columns; `plan` itself when it has them already.
fn project_to(plan: LogicalPlan, schema: &QSchema) -> Result<LogicalPlan> {
    if plan.schema() == schema {
        return Ok(plan);
    }
    let exprs = schema
        .fields()
        .iter()
        .map(|f| Expr::Column(f.column()))
        .collect();
    Ok(LogicalPlan::Projection(Projection::try_new(
        exprs,
        Arc::new(plan),
    )?))
}

/// A projection of `plan` (an aggregate rewritten by a rule) that gives each
/// output column the name it had in `original`, the schema before the
/// rewrite, so that nothing above sees a difference.
fn with_names_of(plan: LogicalPlan, original: &QSchema) -> Result<LogicalPlan> {
    let renamed = plan
        .schema()
        .fields()
        .iter()
        .zip(original.fields())
        .map(|(now, before)| {
            let column = Expr::Column(now.column());
            if now.field.name() == before.field.name() {
                column
            } else {
                column.alias(before.field.name())
            }
        })
        .collect();
    Ok(LogicalPlan::Projection(Projection::try_new(
        renamed,
        Arc::new(plan),
    )?))
}

/// `plan` filtered by the conjunction of `conjuncts` (`plan` itself when
/// there are none).
fn with_filter(plan: LogicalPlan, conjuncts: Vec<Expr>) -> Result<LogicalPlan> {
    Ok(match expr::conjunction(conjuncts) {
        Some(predicate) => LogicalPlan::Filter(Filter::try_new(predicate, Arc::new(plan))?),
        None => plan,
    })
}

/// `plan` over its inputs rewritten by `f`; `plan` as it was (and
/// unchanged) when `f` changed none of them.
fn map_inputs(
    plan: &LogicalPlan,
    mut f: impl FnMut(&LogicalPlan) -> Result<Transformed<LogicalPlan>>,
) -> Result<Transformed<LogicalPlan>> {
    let mut changed = false;
    let mut inputs = vec![];
    for input in plan.inputs() {
        let rewritten = f(input)?;
        changed |= rewritten.transformed;
        inputs.push(Arc::new(rewritten.data));
    }
    if changed {
        plan.with_new_inputs(inputs).map(Transformed::yes)
    } else {
        Ok(Transformed::no(plan.clone()))
    }
}

/// `plan` with every filter predicate rewritten top-down by `f`, which is
/// given each subexpression and the filter's input schema and returns its
/// replacement, or `None` to look inside it. Changed when `f` replaced
/// anything.
fn rewrite_filter_predicates(
    plan: &LogicalPlan,
    f: &dyn Fn(&Expr, &QSchema) -> Option<Expr>,
) -> Result<Transformed<LogicalPlan>> {
    map_inputs(plan, |i| rewrite_filter_predicates(i, f))?.and_then(|plan| {
        let LogicalPlan::Filter(filter) = plan else {
            return Ok(Transformed::no(plan));
        };
        let schema = filter.input.schema();
        let mut replaced = false;
        let predicate = filter.predicate.clone().rewrite(&mut |e| {
            let replacement = f(e, schema);
            replaced |= replacement.is_some();
            Ok(replacement)
        })?;
        if !replaced {
            return Ok(Transformed::no(LogicalPlan::Filter(filter)));
        }
        let rewritten = Filter::try_new(predicate, Arc::clone(&filter.input))?;
        Ok(Transformed::yes(LogicalPlan::Filter(rewritten)))
    })
}
