//! The logical optimizer of Quiver: rewrite rules applied in order.

pub mod cardinality;
pub mod common_subexpressions;
pub mod decorrelate;
pub mod distinct_aggregates;
pub mod eliminate_aggregates;
pub mod eliminate_sorts;
pub mod explain;
pub mod join_enumeration;
pub mod join_keys;
pub mod join_order;
pub mod merge_projections;
pub mod or_to_in_list;
pub mod outer_to_inner;
pub mod prune_columns;
pub mod push_down_filter;
pub mod push_down_limit;
pub mod unwrap_cast;

#[cfg(test)]
mod test_util;

use std::sync::Arc;

use quiver_expr::logical_plan::{Explain, ExplainMode, Filter, Projection};
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

/// `plan` over its inputs rewritten by `f` (`plan` itself when it has none).
fn map_inputs(
    plan: &LogicalPlan,
    f: impl Fn(&LogicalPlan) -> Result<LogicalPlan>,
) -> Result<LogicalPlan> {
    let inputs = plan
        .inputs()
        .into_iter()
        .map(|i| f(i).map(Arc::new))
        .collect::<Result<Vec<_>>>()?;
    if inputs.is_empty() {
        Ok(plan.clone())
    } else {
        plan.with_new_inputs(inputs)
    }
}

/// `plan` with every filter predicate rewritten top-down by `f`, which is
/// given each subexpression and the filter's input schema and returns its
/// replacement, or `None` to look inside it.
fn rewrite_filter_predicates(
    plan: &LogicalPlan,
    f: &dyn Fn(&Expr, &QSchema) -> Option<Expr>,
) -> Result<LogicalPlan> {
    match map_inputs(plan, |i| rewrite_filter_predicates(i, f))? {
        LogicalPlan::Filter(filter) => {
            let schema = filter.input.schema();
            let predicate = filter
                .predicate
                .clone()
                .rewrite(&mut |e| Ok(f(e, schema)))?;
            Ok(LogicalPlan::Filter(Filter::try_new(
                predicate,
                Arc::clone(&filter.input),
            )?))
        }
        other => Ok(other),
    }
}

/// One logical rewrite.
pub trait OptimizerRule: Send + Sync {
    /// A short name for EXPLAIN VERBOSE and errors.
    fn name(&self) -> &str;

    /// The rewritten plan (or the same plan when the rule does not apply).
    fn rewrite(&self, plan: LogicalPlan) -> Result<LogicalPlan>;
}

/// Runs a list of rules over a plan.
pub struct Optimizer {
    rules: Vec<Box<dyn OptimizerRule>>,
}

impl Default for Optimizer {
    fn default() -> Self {
        Self::with_rules(vec![])
    }
}

impl Optimizer {
    /// The built-in rules, run after `first` (rules defined where they
    /// need more than the logical layer, such as constant folding).
    pub fn with_rules(first: Vec<Box<dyn OptimizerRule>>) -> Self {
        let mut rules = first;
        rules.extend([
            Box::new(decorrelate::Decorrelate) as Box<dyn OptimizerRule>,
            Box::new(distinct_aggregates::DistinctAggregates),
            Box::new(eliminate_aggregates::EliminateAggregates),
            Box::new(eliminate_sorts::EliminateSorts),
            Box::new(outer_to_inner::OuterToInner),
            Box::new(unwrap_cast::UnwrapCast),
            Box::new(or_to_in_list::OrToInList),
            Box::new(push_down_filter::PushDownFilter),
            Box::new(join_order::JoinOrder),
            Box::new(push_down_filter::PushDownFilter),
            Box::new(push_down_limit::PushDownLimit),
            Box::new(common_subexpressions::CommonSubexpressions),
            Box::new(prune_columns::PruneColumns),
            Box::new(merge_projections::MergeProjections),
        ]);
        Self { rules }
    }

    /// Applies the rules in order, pass after pass, until a pass changes
    /// nothing (at most [`MAX_PASSES`]): one rule's rewrite may open the
    /// way for an earlier one. Under `EXPLAIN VERBOSE` the plan before the
    /// rules and after each rule that changed it are recorded in the
    /// explain node.
    pub fn optimize(&self, plan: LogicalPlan) -> Result<LogicalPlan> {
        match plan {
            LogicalPlan::Explain(e) if e.mode == ExplainMode::Verbose => {
                let mut stages =
                    vec![("initial_logical_plan".to_string(), e.plan.display_indent())];
                let current = self.run(e.plan.as_ref().clone(), Some(&mut stages))?;
                Ok(LogicalPlan::Explain(Explain {
                    plan: Arc::new(current),
                    stages,
                    ..e
                }))
            }
            plan => self.run(plan, None),
        }
    }

    /// The passes of [`Optimizer::optimize`], recording each change in
    /// `stages` when given.
    fn run(
        &self,
        plan: LogicalPlan,
        mut stages: Option<&mut Vec<(String, String)>>,
    ) -> Result<LogicalPlan> {
        let mut current = plan;
        for pass in 1..=MAX_PASSES {
            let start = current.display_indent();
            let mut before = start.clone();
            for rule in &self.rules {
                current = rule.rewrite(current)?;
                if let Some(stages) = stages.as_deref_mut() {
                    let after = current.display_indent();
                    if after != before {
                        let label = match pass {
                            1 => format!("logical_plan after {}", rule.name()),
                            n => format!("logical_plan after {} (pass {n})", rule.name()),
                        };
                        stages.push((label, after.clone()));
                    }
                    before = after;
                }
            }
            if current.display_indent() == start {
                break;
            }
        }
        Ok(current)
    }
}

/// The most passes over the rules; rewrites settle within two in practice.
const MAX_PASSES: usize = 3;
