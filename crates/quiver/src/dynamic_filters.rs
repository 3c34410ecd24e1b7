//! Planning of dynamic filters, a physical rewrite: which hash joins
//! publish their build keys' range, and to which scans on their probe
//! side. A join's key is followed down the probe side through the
//! operators that pass a column on unchanged
//! ([`ExecutionPlan::column_sources`]: filters, projections of columns,
//! exchanges, inner joins, unions, and aggregates grouped by it, since a
//! group whose key no build row has joins nothing, so neither do its input
//! rows) to the scans that read it; each such scan is rebuilt with a
//! [`DynamicFilter`] on that column ([`ExecutionPlan::with_dynamic_filter`]),
//! which the join sets once its build side is read (see
//! `quiver_execution::dynamic_filter`). A subplan computed once for several
//! places (`SharedExec`) is left alone: a filter from a join above one
//! place must not narrow what another place reads.

use std::sync::Arc;

use quiver_execution::dynamic_filter::DynamicFilter;
use quiver_execution::operators::join::JoinExec;
use quiver_execution::operators::shared::SharedExec;
use quiver_execution::ExecutionPlan;
use quiver_expr::Result;

use crate::physical_optimizer::PhysicalOptimizerRule;

/// Gives the scans below each hash join the filters its build keys set.
#[derive(Debug)]
pub(crate) struct DynamicFilters;

impl PhysicalOptimizerRule for DynamicFilters {
    fn name(&self) -> &'static str {
        "dynamic_filters"
    }

    fn rewrite(&self, plan: Arc<dyn ExecutionPlan>) -> Result<Arc<dyn ExecutionPlan>> {
        with_dynamic_filters(plan)
    }
}

/// `plan` with every join's filters planned, outer joins first (so a scan
/// lists the filters of the joins above it from the top down).
fn with_dynamic_filters(plan: Arc<dyn ExecutionPlan>) -> Result<Arc<dyn ExecutionPlan>> {
    if plan.as_any().is::<SharedExec>() {
        return Ok(plan);
    }
    let plan = match plan.as_any().downcast_ref::<JoinExec>() {
        Some(join) => filtering_probe_side(join)?,
        None => plan,
    };
    let children = plan
        .children()
        .into_iter()
        .map(|child| with_dynamic_filters(Arc::clone(child)))
        .collect::<Result<Vec<_>>>()?;
    if children.is_empty() {
        return Ok(plan);
    }
    plan.with_new_children(children)
}

/// `join` with a filter for each of its filterable keys that reaches a
/// scan, and its probe side (its left input) with those scans filtered.
fn filtering_probe_side(join: &JoinExec) -> Result<Arc<dyn ExecutionPlan>> {
    let keys = join.filterable_probe_keys();
    let children = join.children();
    let (mut probe, build) = (Arc::clone(children[0]), Arc::clone(children[1]));
    let mut filters = vec![];
    for (key, column) in keys {
        let mut filter = None;
        let (filtered, _) = filtered_below(&probe, column, &mut filter)?;
        probe = filtered;
        if let Some(filter) = filter {
            filters.push((key, filter));
        }
    }
    let join = join.clone().with_dynamic_filters(filters);
    Arc::new(join).with_new_children(vec![probe, build])
}

/// `plan` with the scans its output column `column` comes from unchanged
/// reading `filter` (made for the first scan that takes it, on its column),
/// and whether any scan took it.
fn filtered_below(
    plan: &Arc<dyn ExecutionPlan>,
    column: usize,
    filter: &mut Option<Arc<DynamicFilter>>,
) -> Result<(Arc<dyn ExecutionPlan>, bool)> {
    if plan.as_any().is::<SharedExec>() {
        return Ok((Arc::clone(plan), false));
    }
    if let Some(field) = plan.schema().fields().get(column) {
        // A filter is named after the first scan's column; operators that
        // are not scans take none.
        let candidate = match filter {
            Some(f) => Arc::clone(f),
            None => DynamicFilter::new(field.name().as_str()),
        };
        if let Some(scan) = plan.with_dynamic_filter(column, Arc::clone(&candidate)) {
            *filter = Some(candidate);
            return Ok((scan, true));
        }
    }
    let sources = plan.column_sources(column);
    if sources.is_empty() {
        return Ok((Arc::clone(plan), false));
    }
    let mut children: Vec<Arc<dyn ExecutionPlan>> =
        plan.children().into_iter().map(Arc::clone).collect();
    let mut reached = false;
    for (input, input_column) in sources {
        let Some(child) = children.get(input) else {
            continue;
        };
        let (filtered, found) = filtered_below(child, input_column, filter)?;
        children[input] = filtered;
        reached |= found;
    }
    if !reached {
        return Ok((Arc::clone(plan), false));
    }
    Ok((Arc::clone(plan).with_new_children(children)?, true))
}
