//! Subplans that a query contains more than once — a CTE or view read in
//! two places, as TPC-H Q15 reads `revenue0` in its join and in its
//! `max(total_revenue)` subquery — are planned once, as a
//! [`SharedExec`] that computes them once for every place.
//!
//! Only aggregates are shared (their results are small and costly to
//! compute again), only where estimated at up to [`MAX_SHARED_ROWS`] rows
//! (the shared result is held in memory), and never one inside another
//! shared one. Two places are the same subplan when their plans are equal
//! as trees (`LogicalPlan: PartialEq`, scans of the same table). The scans
//! of a shared subplan take no dynamic filters: a filter from a join above
//! one place must not narrow what another place reads.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use quiver_execution::operators::shared::SharedExec;
use quiver_execution::ExecutionPlan;
use quiver_expr::LogicalPlan;
use quiver_optimizer::cardinality::estimate_rows;

/// The most rows a shared subplan is estimated to produce.
const MAX_SHARED_ROWS: f64 = 1_000_000.0;

/// Which of a query's distinct aggregate subplans a place holds: its index
/// in [`SharedSubplans`]' list of them.
pub(crate) type SubplanKey = usize;

/// The repeated subplans of one query and their plans once made.
#[derive(Debug, Default)]
pub(crate) struct SharedSubplans {
    /// The query's distinct aggregate subplans, each with how often it
    /// occurs; a [`SubplanKey`] is a position in this list.
    occurrences: Mutex<Vec<(LogicalPlan, usize)>>,
    /// Shared subplans planned so far, by key.
    planned: Mutex<HashMap<SubplanKey, Arc<dyn ExecutionPlan>>>,
    /// How many shared subplans are being planned, one inside another.
    depth: AtomicUsize,
}

impl SharedSubplans {
    /// Counts the aggregates of `plan` (the whole query), equal ones
    /// together.
    pub(crate) fn count_in(&self, plan: &LogicalPlan) {
        let mut occurrences = self.occurrences.lock().unwrap_or_else(|e| e.into_inner());
        count_aggregates(plan, &mut occurrences);
    }

    /// The key under which `plan` is shared, if it is one of the query's
    /// repeated subplans and may be shared here.
    pub(crate) fn key_of(&self, plan: &LogicalPlan) -> Option<SubplanKey> {
        if !matches!(plan, LogicalPlan::Aggregate(_)) || self.inside() {
            return None;
        }
        let occurrences = self.occurrences.lock().unwrap_or_else(|e| e.into_inner());
        let key = occurrences.iter().position(|(p, _)| p == plan)?;
        let repeated = occurrences[key].1 > 1;
        (repeated && estimate_rows(plan) <= MAX_SHARED_ROWS).then_some(key)
    }

    /// The shared plan made for `key` at an earlier place, if any.
    pub(crate) fn planned(&self, key: SubplanKey) -> Option<Arc<dyn ExecutionPlan>> {
        let planned = self.planned.lock().unwrap_or_else(|e| e.into_inner());
        planned.get(&key).cloned()
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
        key: SubplanKey,
        input: Arc<dyn ExecutionPlan>,
    ) -> Arc<dyn ExecutionPlan> {
        let consumers = {
            let occurrences = self.occurrences.lock().unwrap_or_else(|e| e.into_inner());
            occurrences.get(key).map_or(1, |(_, n)| *n)
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

fn count_aggregates(plan: &LogicalPlan, occurrences: &mut Vec<(LogicalPlan, usize)>) {
    if matches!(plan, LogicalPlan::Aggregate(_)) {
        match occurrences.iter_mut().find(|(p, _)| p == plan) {
            Some((_, n)) => *n += 1,
            None => occurrences.push((plan.clone(), 1)),
        }
    }
    for input in plan.inputs() {
        count_aggregates(input, occurrences);
    }
}
