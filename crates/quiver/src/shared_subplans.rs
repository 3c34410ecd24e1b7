//! Subplans that a query contains more than once — a CTE or view read in
//! two places, as TPC-H Q15 reads `revenue0` in its join and in its
//! `max(total_revenue)` subquery — are planned once, as a
//! [`SharedExec`] that computes them once for every place.
//!
//! Only aggregates are shared (their results are small and costly to
//! compute again), only where estimated at up to [`MAX_SHARED_ROWS`] rows
//! (the shared result is held in memory), and never one inside another
//! shared one. Two places are the same subplan when their plans print
//! alike. The scans of a shared subplan take no dynamic filters: a filter
//! from a join above one place must not narrow what another place reads.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use quiver_execution::operators::shared::SharedExec;
use quiver_execution::ExecutionPlan;
use quiver_expr::LogicalPlan;
use quiver_optimizer::cardinality::estimate_rows;

/// The most rows a shared subplan is estimated to produce.
const MAX_SHARED_ROWS: f64 = 1_000_000.0;

/// The repeated subplans of one query and their plans once made.
#[derive(Debug, Default)]
pub(crate) struct SharedSubplans {
    /// How often each aggregate's printed plan occurs in the query.
    occurrences: Mutex<HashMap<String, usize>>,
    /// Shared subplans planned so far, by printed plan.
    planned: Mutex<HashMap<String, Arc<dyn ExecutionPlan>>>,
    /// How many shared subplans are being planned, one inside another.
    depth: AtomicUsize,
}

impl SharedSubplans {
    /// Counts the aggregates of `plan` (the whole query) by printed plan.
    pub(crate) fn count_in(&self, plan: &LogicalPlan) {
        let mut occurrences = self.occurrences.lock().unwrap_or_else(|e| e.into_inner());
        count_aggregates(plan, &mut occurrences);
    }

    /// The key under which `plan` is shared, if it is one of the query's
    /// repeated subplans and may be shared here.
    pub(crate) fn key_of(&self, plan: &LogicalPlan) -> Option<String> {
        if !matches!(plan, LogicalPlan::Aggregate(_)) || self.inside() {
            return None;
        }
        let key = plan.display_indent();
        let occurrences = self.occurrences.lock().unwrap_or_else(|e| e.into_inner());
        let repeated = occurrences.get(&key).is_some_and(|&n| n > 1);
        (repeated && estimate_rows(plan) <= MAX_SHARED_ROWS).then_some(key)
    }

    /// The shared plan made for `key` at an earlier place, if any.
    pub(crate) fn planned(&self, key: &str) -> Option<Arc<dyn ExecutionPlan>> {
        let planned = self.planned.lock().unwrap_or_else(|e| e.into_inner());
        planned.get(key).cloned()
    }

    /// Marks the start of planning a shared subplan.
    pub(crate) fn enter(&self) {
        self.depth.fetch_add(1, Ordering::AcqRel);
    }

    /// Marks the end of planning a shared subplan.
    pub(crate) fn leave(&self) {
        self.depth.fetch_sub(1, Ordering::AcqRel);
    }

    /// Wraps `input`, the plan just made for `key`, to be computed once for
    /// all its places, and remembers it.
    pub(crate) fn remember(
        &self,
        key: String,
        input: Arc<dyn ExecutionPlan>,
    ) -> Arc<dyn ExecutionPlan> {
        let consumers = {
            let occurrences = self.occurrences.lock().unwrap_or_else(|e| e.into_inner());
            occurrences.get(&key).copied().unwrap_or(1)
        };
        let shared: Arc<dyn ExecutionPlan> = Arc::new(SharedExec::new(input, consumers));
        let mut planned = self.planned.lock().unwrap_or_else(|e| e.into_inner());
        planned.insert(key, Arc::clone(&shared));
        shared
    }

    /// Whether a shared subplan is being planned now (its scans then take
    /// no dynamic filters).
    pub(crate) fn inside(&self) -> bool {
        self.depth.load(Ordering::Acquire) > 0
    }
}

fn count_aggregates(plan: &LogicalPlan, occurrences: &mut HashMap<String, usize>) {
    if matches!(plan, LogicalPlan::Aggregate(_)) {
        *occurrences.entry(plan.display_indent()).or_default() += 1;
    }
    for input in plan.inputs() {
        count_aggregates(input, occurrences);
    }
}
