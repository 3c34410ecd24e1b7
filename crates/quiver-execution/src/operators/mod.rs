//! The physical operators, one per module.

pub mod aggregate;
pub mod analyze;
pub mod asof_join;
pub mod coalesce;
pub mod expand;
pub mod filter;
pub mod first_per_partition;
pub mod generated;
pub mod join;
pub mod limit;
pub mod memory;
pub mod merge;
mod packed_sort;
pub mod positional_join;
pub mod projection;
pub mod read_once;
pub mod recursive;
pub mod repartition;
pub mod set_operation;
pub mod shared;
pub mod sort;
mod sorted_gather;
mod top_per_group;
pub mod union;
pub mod unnest;
pub mod window;

#[cfg(test)]
pub(crate) mod test_util;

use std::fmt;
use std::sync::Arc;

use arrow::compute::SortOptions;

use crate::physical_expr::PhysicalExpr;

/// A physical sort key.
#[derive(Debug, Clone)]
pub struct PhysicalSortExpr {
    /// The key.
    pub expr: Arc<dyn PhysicalExpr>,
    /// Direction and NULL placement.
    pub options: SortOptions,
}

impl fmt::Display for PhysicalSortExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} NULLS {}",
            self.expr,
            if self.options.descending {
                "DESC"
            } else {
                "ASC"
            },
            if self.options.nulls_first {
                "FIRST"
            } else {
                "LAST"
            }
        )
    }
}

/// Renders sort keys for EXPLAIN.
pub(crate) fn display_sort_exprs(exprs: &[PhysicalSortExpr]) -> String {
    exprs
        .iter()
        .map(|e| e.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
