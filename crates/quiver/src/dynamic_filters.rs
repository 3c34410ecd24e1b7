//! Planning of dynamic filters: which hash joins publish their build keys'
//! range, and to which scans on their probe side. A join's key is followed
//! down the probe side through filters, projections that pass it on
//! unchanged, aliases, inner joins and aggregates grouped by it (a group
//! whose key no build row has joins nothing, so neither do its input rows)
//! to the scan that reads it; the scan is
//! planned with a [`DynamicFilter`] on that column, which the join sets once
//! its build side is read (see `quiver_execution::dynamic_filter`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use quiver_execution::dynamic_filter::DynamicFilter;
use quiver_execution::ProviderSource;
use quiver_expr::logical_plan::{Join, JoinType, TableScan};
use quiver_expr::{Column, Expr, LogicalPlan};

/// Filters waiting for their scans to be planned, keyed by the scan node.
#[derive(Debug, Default)]
pub(crate) struct PendingDynamicFilters {
    by_scan: Mutex<HashMap<usize, Vec<Arc<DynamicFilter>>>>,
}

/// The identity of a scan node while its plan is being planned.
fn scan_id(scan: &TableScan) -> usize {
    std::ptr::from_ref(scan) as usize
}

impl PendingDynamicFilters {
    /// For each key of `join` (left: probe side) that a scan below reads
    /// unchanged, a filter on that scan's column, registered for the scan:
    /// (index of the key, filter). None for join types whose output needs
    /// probe rows without a match.
    pub(crate) fn register_probe_keys(&self, join: &Join) -> Vec<(usize, Arc<DynamicFilter>)> {
        let drops_unmatched_probe_rows = matches!(
            join.join_type,
            JoinType::Inner
                | JoinType::LeftSemi
                | JoinType::Right
                | JoinType::RightSemi
                | JoinType::RightAnti
        );
        if !drops_unmatched_probe_rows || join.null_aware {
            return vec![];
        }
        let mut by_scan = self.by_scan.lock().unwrap_or_else(|e| e.into_inner());
        join.on
            .iter()
            .enumerate()
            .filter_map(|(i, (probe_key, _))| {
                let Expr::Column(column) = probe_key else {
                    return None;
                };
                let found = scanned_column(&join.left, column)?;
                let filter = DynamicFilter::new(found.name);
                let scan = found.scan;
                by_scan
                    .entry(scan_id(scan))
                    .or_default()
                    .push(Arc::clone(&filter));
                Some((i, filter))
            })
            .collect()
    }

    /// The filters registered for `scan`, which is being planned now.
    pub(crate) fn take(&self, scan: &TableScan) -> Vec<Arc<DynamicFilter>> {
        let mut by_scan = self.by_scan.lock().unwrap_or_else(|e| e.into_inner());
        by_scan.remove(&scan_id(scan)).unwrap_or_default()
    }
}

/// Where a join key comes from: a scan's column.
struct ScannedColumn<'a> {
    scan: &'a TableScan,
    /// The column's name in the table.
    name: String,
}

/// The scan below `plan` whose table column `column` is, unchanged; `None`
/// when the column is computed, comes through an operator that may invent
/// values for it (outer joins, an aggregate's results), or the table
/// cannot use dynamic filters.
fn scanned_column<'a>(plan: &'a LogicalPlan, column: &Column) -> Option<ScannedColumn<'a>> {
    let position = plan.schema().find(column).ok()??;
    match plan {
        LogicalPlan::TableScan(scan) => {
            let provider = scan.source.as_any().downcast_ref::<ProviderSource>()?;
            provider
                .0
                .supports_dynamic_filters()
                .then(|| ScannedColumn {
                    scan,
                    name: scan.schema.field(position).field.name().clone(),
                })
        }
        LogicalPlan::Filter(f) => scanned_column(&f.input, column),
        LogicalPlan::Projection(p) => match p.exprs.get(position)?.unalias() {
            Expr::Column(input_column) => scanned_column(&p.input, input_column),
            _ => None,
        },
        LogicalPlan::SubqueryAlias(a) => {
            let input_column = a.input.schema().field(position).column();
            scanned_column(&a.input, &input_column)
        }
        LogicalPlan::Aggregate(a) => match a.group_exprs.get(position)?.unalias() {
            Expr::Column(key) => scanned_column(&a.input, key),
            _ => None,
        },
        LogicalPlan::Join(j) if j.join_type == JoinType::Inner => {
            let left_columns = j.left.schema().len();
            if position < left_columns {
                let left_column = j.left.schema().field(position).column();
                scanned_column(&j.left, &left_column)
            } else {
                let right_column = j.right.schema().field(position - left_columns).column();
                scanned_column(&j.right, &right_column)
            }
        }
        _ => None,
    }
}
