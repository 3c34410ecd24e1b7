//! Rewrites of the physical plan, after it is made: one list of named
//! passes, run in order, like the logical optimizer's rules.

use std::sync::Arc;

use quiver_execution::ExecutionPlan;
use quiver_expr::Result;

use crate::dynamic_filters::DynamicFilters;

/// One rewrite of a physical plan.
pub(crate) trait PhysicalOptimizerRule: Send + Sync + std::fmt::Debug {
    /// The pass's name, for errors and documentation.
    fn name(&self) -> &'static str;

    /// The rewritten plan (the plan itself when the pass does not apply).
    /// Operators above a change are rebuilt with
    /// [`ExecutionPlan::with_new_children`].
    fn rewrite(&self, plan: Arc<dyn ExecutionPlan>) -> Result<Arc<dyn ExecutionPlan>>;
}

/// The physical passes, in the order they run.
#[derive(Debug)]
pub(crate) struct PhysicalOptimizer {
    passes: Vec<Box<dyn PhysicalOptimizerRule>>,
}

impl PhysicalOptimizer {
    /// The built-in passes.
    pub(crate) fn new() -> Self {
        Self {
            passes: vec![Box::new(DynamicFilters)],
        }
    }

    /// `plan` after every pass.
    pub(crate) fn optimize(&self, plan: Arc<dyn ExecutionPlan>) -> Result<Arc<dyn ExecutionPlan>> {
        self.passes.iter().try_fold(plan, |plan, pass| {
            pass.rewrite(plan)
                .map_err(|e| e.context(format!("physical pass {}", pass.name())))
        })
    }
}
