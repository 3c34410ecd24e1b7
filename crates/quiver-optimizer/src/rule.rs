//! What an optimizer rule is: a named rewrite of a logical plan that says
//! whether it changed anything.

use quiver_expr::{LogicalPlan, Result};

/// A value after a rewrite, and whether the rewrite changed it.
#[derive(Debug, Clone)]
pub struct Transformed<T> {
    /// The value, rewritten or as it was.
    pub data: T,
    /// Whether `data` differs from what the rewrite was given.
    pub transformed: bool,
}

impl<T> Transformed<T> {
    /// `data`, changed by the rewrite.
    pub fn yes(data: T) -> Self {
        Self {
            data,
            transformed: true,
        }
    }

    /// `data`, left as it was.
    pub fn no(data: T) -> Self {
        Self {
            data,
            transformed: false,
        }
    }

    /// `data`, changed when `transformed` says so.
    pub fn new(data: T, transformed: bool) -> Self {
        Self { data, transformed }
    }

    /// Applies a further rewrite `f` to the value; the result is changed when
    /// either rewrite changed it.
    pub fn and_then(self, f: impl FnOnce(T) -> Result<Transformed<T>>) -> Result<Transformed<T>> {
        let next = f(self.data)?;
        Ok(Transformed::new(
            next.data,
            self.transformed || next.transformed,
        ))
    }
}

impl Transformed<LogicalPlan> {
    /// `after`, changed when it differs from `before` as a plan tree: for
    /// rules that rebuild whole subtrees (join ordering, filter placement,
    /// column pruning) and would otherwise have to track every node they
    /// rebuilt.
    pub fn compared(before: &LogicalPlan, after: LogicalPlan) -> Self {
        let transformed = &after != before;
        Self::new(after, transformed)
    }
}

/// One logical rewrite, run by the [`crate::Optimizer`] in its place in
/// [`crate::Optimizer::rules`].
pub trait OptimizerRule: Send + Sync {
    /// The rule's name: how `EXPLAIN VERBOSE` labels its output and how
    /// `SET optimizer.disabled_rules` switches it off.
    fn name(&self) -> &'static str;

    /// Whether the plan cannot run without this rewrite, so that it cannot
    /// be switched off: a lowering step rather than an optimization.
    fn required(&self) -> bool {
        false
    }

    /// The rewritten plan, and whether the rule changed it. A rule that does
    /// not apply returns the plan as it was, unchanged.
    fn rewrite(&self, plan: LogicalPlan) -> Result<Transformed<LogicalPlan>>;
}
