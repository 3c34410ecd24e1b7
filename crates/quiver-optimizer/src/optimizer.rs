//! The optimizer: the list of rules, run in order, pass after pass, until
//! no rule changes the plan.

use std::collections::BTreeSet;
use std::sync::Arc;

use quiver_expr::logical_plan::{Explain, ExplainMode};
use quiver_expr::window::WindowFunctionRef;
use quiver_expr::{LogicalPlan, QuiverError, Result};

use crate::rule::OptimizerRule;
use crate::{
    common_subexpressions, decorrelate, distinct_aggregates, eliminate_aggregates, eliminate_sorts,
    fold_constants, join_order, merge_projections, or_to_in_list, outer_to_inner, prune_columns,
    push_down_filter, push_down_limit, set_operations, unwrap_cast,
};

/// The most passes over the rules; rewrites settle within two in practice.
const MAX_PASSES: usize = 3;

/// Runs a list of rules over plans. A session builds one and keeps it.
pub struct Optimizer {
    rules: Vec<Box<dyn OptimizerRule>>,
}

impl Default for Optimizer {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Optimizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.rule_names()).finish()
    }
}

impl Optimizer {
    /// The built-in rules, in the order they run. A rule may appear twice
    /// (filters are pushed down again after join ordering placed
    /// conditions on join inputs).
    pub fn new() -> Self {
        Self::built_in(decorrelate::Decorrelate::default())
    }

    /// The built-in rules, with `row_number` for the rewrites that number
    /// rows (a LIMIT inside a correlated subquery).
    pub fn with_row_number(row_number: WindowFunctionRef) -> Self {
        Self::built_in(decorrelate::Decorrelate::with_row_number(row_number))
    }

    fn built_in(decorrelate: decorrelate::Decorrelate) -> Self {
        Self::with_rules(vec![
            Box::new(fold_constants::FoldConstants),
            Box::new(decorrelate),
            Box::new(set_operations::SetOperationsToJoins),
            Box::new(distinct_aggregates::DistinctAggregates),
            Box::new(eliminate_aggregates::EliminateAggregates),
            Box::new(eliminate_sorts::EliminateSorts),
            Box::new(outer_to_inner::OuterToInner),
            Box::new(unwrap_cast::UnwrapCast),
            Box::new(or_to_in_list::OrToInList),
            Box::new(push_down_filter::PushDownFilter),
            Box::new(join_order::JoinKeys),
            Box::new(join_order::JoinOrder),
            Box::new(push_down_filter::PushDownFilter),
            Box::new(push_down_limit::PushDownLimit),
            Box::new(common_subexpressions::CommonSubexpressions),
            Box::new(prune_columns::PruneColumns),
            Box::new(merge_projections::MergeProjections),
        ])
    }

    /// An optimizer running exactly `rules`, in order.
    pub fn with_rules(rules: Vec<Box<dyn OptimizerRule>>) -> Self {
        Self { rules }
    }

    /// The names of the rules, each once, in the order they first run.
    pub fn rule_names(&self) -> Vec<&'static str> {
        let mut names = vec![];
        for rule in &self.rules {
            if !names.contains(&rule.name()) {
                names.push(rule.name());
            }
        }
        names
    }

    /// The names of the rules that may be switched off (all but the
    /// [`OptimizerRule::required`] ones), each once, in order.
    pub fn optional_rule_names(&self) -> Vec<&'static str> {
        let required: Vec<&str> = self
            .rules
            .iter()
            .filter(|r| r.required())
            .map(|r| r.name())
            .collect();
        self.rule_names()
            .into_iter()
            .filter(|name| !required.contains(name))
            .collect()
    }

    /// The set of rule names in `list` (comma-separated, as `SET
    /// optimizer.disabled_rules` takes it; `all` names every optional rule);
    /// an error names any that is not a rule of this optimizer, or one that
    /// cannot be switched off.
    pub fn parse_rule_list(&self, list: &str) -> Result<BTreeSet<String>> {
        let optional = self.optional_rule_names();
        if list.trim().eq_ignore_ascii_case("all") {
            return Ok(optional.iter().map(|name| name.to_string()).collect());
        }
        list.split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(|name| {
                let name = name.to_ascii_lowercase();
                if optional.contains(&name.as_str()) {
                    Ok(name)
                } else if self.rule_names().contains(&name.as_str()) {
                    Err(QuiverError::Plan(format!(
                        "optimizer rule '{name}' cannot be switched off: queries cannot run \
                         without it"
                    )))
                } else {
                    Err(QuiverError::Plan(format!(
                        "unknown optimizer rule '{name}'; the rules that can be switched off \
                         are {}",
                        optional.join(", ")
                    )))
                }
            })
            .collect()
    }

    /// Applies the rules not named in `disabled` in order, pass after pass,
    /// until a pass changes nothing (at most [`MAX_PASSES`]): one rule's
    /// rewrite may open the way for an earlier one. Under `EXPLAIN VERBOSE`
    /// the plan before the rules and after each rule that changed it are
    /// recorded in the explain node.
    pub fn optimize(&self, plan: LogicalPlan, disabled: &BTreeSet<String>) -> Result<LogicalPlan> {
        match plan {
            LogicalPlan::Explain(e) if e.mode == ExplainMode::Verbose => {
                let mut stages =
                    vec![("initial_logical_plan".to_string(), e.plan.display_indent())];
                if !disabled.is_empty() {
                    let names: Vec<&str> = disabled.iter().map(String::as_str).collect();
                    stages.push(("disabled_rules".to_string(), names.join(", ")));
                }
                let current = self.run(e.plan.as_ref().clone(), disabled, Some(&mut stages))?;
                Ok(LogicalPlan::Explain(Explain {
                    plan: Arc::new(current),
                    stages,
                    ..e
                }))
            }
            plan => self.run(plan, disabled, None),
        }
    }

    /// The passes of [`Optimizer::optimize`], recording each change in
    /// `stages` when given.
    fn run(
        &self,
        plan: LogicalPlan,
        disabled: &BTreeSet<String>,
        mut stages: Option<&mut Vec<(String, String)>>,
    ) -> Result<LogicalPlan> {
        let mut current = plan;
        for pass in 1..=MAX_PASSES {
            let mut changed = false;
            for rule in self
                .rules
                .iter()
                .filter(|r| r.required() || !disabled.contains(r.name()))
            {
                let rewritten = rule.rewrite(current)?;
                current = rewritten.data;
                if !rewritten.transformed {
                    continue;
                }
                changed = true;
                if let Some(stages) = stages.as_deref_mut() {
                    let label = match pass {
                        1 => format!("logical_plan after {}", rule.name()),
                        n => format!("logical_plan after {} (pass {n})", rule.name()),
                    };
                    stages.push((label, current.display_indent()));
                }
            }
            if !changed {
                break;
            }
        }
        Ok(current)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::*;

    #[test]
    fn every_rule_is_named_once_and_unknown_names_are_refused() {
        let optimizer = Optimizer::new();
        let names = optimizer.rule_names();
        assert_eq!(names.first(), Some(&"fold_constants"));
        assert_eq!(
            names.iter().filter(|n| **n == "push_down_filter").count(),
            1
        );
        let parsed = optimizer
            .parse_rule_list(" prune_columns, PUSH_DOWN_FILTER ,")
            .unwrap();
        assert_eq!(
            parsed.into_iter().collect::<Vec<_>>(),
            ["prune_columns", "push_down_filter"]
        );
        let err = optimizer.parse_rule_list("join_reorder").unwrap_err();
        assert!(err
            .to_string()
            .contains("unknown optimizer rule 'join_reorder'"));
        assert!(err.to_string().contains("prune_columns"), "{err}");
        let err = optimizer.parse_rule_list("decorrelate").unwrap_err();
        assert!(err.to_string().contains("cannot be switched off"), "{err}");
        assert!(!optimizer.optional_rule_names().contains(&"join_keys"));
        assert!(optimizer.optional_rule_names().contains(&"join_order"));
    }

    #[test]
    fn disabled_rules_do_not_run() {
        let optimizer = Optimizer::new();
        let plan = filter(
            eq(col("a"), lit(1).binary(quiver_expr::Operator::Plus, lit(2))),
            scan(),
        );
        let folded = optimizer
            .optimize(plan.as_ref().clone(), &BTreeSet::new())
            .unwrap();
        assert!(
            folded.display_indent().contains("t.a = 3"),
            "{}",
            folded.display_indent()
        );
        let all = optimizer
            .parse_rule_list(&optimizer.optional_rule_names().join(","))
            .unwrap();
        assert_eq!(optimizer.parse_rule_list(" ALL ").unwrap(), all);
        let untouched = optimizer.optimize(plan.as_ref().clone(), &all).unwrap();
        assert_eq!(&untouched, plan.as_ref());
    }

    #[test]
    fn verbose_explain_records_only_rules_that_changed_the_plan() {
        let optimizer = Optimizer::new();
        let plan = filter(
            eq(col("a"), lit(1).binary(quiver_expr::Operator::Plus, lit(2))),
            scan(),
        );
        let explain = LogicalPlan::Explain(Explain::new(plan, ExplainMode::Verbose));
        let disabled = optimizer.parse_rule_list("prune_columns").unwrap();
        let LogicalPlan::Explain(e) = optimizer.optimize(explain, &disabled).unwrap() else {
            panic!("an explain node")
        };
        let labels: Vec<&str> = e.stages.iter().map(|(label, _)| label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "initial_logical_plan",
                "disabled_rules",
                "logical_plan after fold_constants"
            ]
        );
        assert!(e.stages[2].1.contains("t.a = 3"), "{}", e.stages[2].1);
    }
}
