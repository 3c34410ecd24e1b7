//! The tables a query scans more than once. Their scans share the bytes
//! they fetch from object stores ([`SharedReads`]), so each byte is fetched
//! once per query; a table scanned once keeps nothing.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use quiver_execution::shared_reads::SharedReads;
use quiver_execution::{ProviderSource, TableProvider};
use quiver_expr::LogicalPlan;

use crate::shared_subplans::{SharedSubplans, SubplanKey};

/// The most bytes a query's scans keep for each other. With a memory
/// limit, at most a quarter of it.
const SHARED_READ_BYTES: usize = 512 * 1024 * 1024;

/// The tables of one query that are scanned more than once, and where their
/// scans share what they fetch.
#[derive(Debug, Default)]
pub(crate) struct RepeatedScans {
    /// The repeated tables' providers, by address.
    tables: Mutex<HashSet<usize>>,
    reads: Mutex<Option<Arc<SharedReads>>>,
}

impl RepeatedScans {
    /// Finds the tables that `plan` (the whole query) scans more than once.
    /// A subplan that `shared` plans once for all its places is counted
    /// once. `memory_limit` bounds what the scans keep.
    pub(crate) fn count_in(
        &self,
        plan: &LogicalPlan,
        shared: &SharedSubplans,
        memory_limit: Option<usize>,
    ) {
        let mut scans = HashMap::new();
        count_scans(plan, shared, &mut HashSet::new(), &mut scans);
        let repeated: HashSet<usize> = scans
            .into_iter()
            .filter_map(|(table, n)| (n > 1).then_some(table))
            .collect();
        if !repeated.is_empty() {
            let budget = memory_limit.map_or(SHARED_READ_BYTES, |l| (l / 4).min(SHARED_READ_BYTES));
            *self.reads.lock().unwrap_or_else(|e| e.into_inner()) =
                Some(Arc::new(SharedReads::new(budget)));
        }
        *self.tables.lock().unwrap_or_else(|e| e.into_inner()) = repeated;
    }

    /// Where scans of `table` share their reads, if the query scans it more
    /// than once.
    pub(crate) fn shared_reads(&self, table: &Arc<dyn TableProvider>) -> Option<Arc<SharedReads>> {
        let tables = self.tables.lock().unwrap_or_else(|e| e.into_inner());
        if !tables.contains(&address(table)) {
            return None;
        }
        self.reads.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// The address identifying a table's provider.
fn address(table: &Arc<dyn TableProvider>) -> usize {
    Arc::as_ptr(table).cast::<()>() as usize
}

/// Adds the scans of `plan` to `scans`, by table; each subplan shared by
/// several places is visited at its first (`seen` holds their keys).
fn count_scans(
    plan: &LogicalPlan,
    shared: &SharedSubplans,
    seen: &mut HashSet<SubplanKey>,
    scans: &mut HashMap<usize, usize>,
) {
    if let Some(key) = shared.key_of(plan) {
        if !seen.insert(key) {
            return;
        }
    }
    if let LogicalPlan::TableScan(scan) = plan {
        if let Some(provider) = scan.source.as_any().downcast_ref::<ProviderSource>() {
            *scans.entry(address(&provider.0)).or_default() += 1;
        }
    }
    for input in plan.inputs() {
        count_scans(input, shared, seen, scans);
    }
}

#[cfg(test)]
mod tests {
    use arrow::datatypes::{DataType, Field, Schema};
    use quiver_datasource::memory::MemTable;

    use super::*;
    use crate::SessionContext;

    /// Whether the query `sql` over tables `t` and `u` scans each more than
    /// once, by what the planner finds.
    async fn repeated(sql: &str) -> (bool, bool) {
        let ctx = SessionContext::new();
        let schema = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Int64, true),
            Field::new("v", DataType::Int64, true),
        ]));
        let t: Arc<dyn TableProvider> = Arc::new(MemTable::new(Arc::clone(&schema)));
        let u: Arc<dyn TableProvider> = Arc::new(MemTable::new(schema));
        ctx.register_table("t", Arc::clone(&t)).unwrap();
        ctx.register_table("u", Arc::clone(&u)).unwrap();
        let plan = ctx.sql(sql).await.unwrap().optimized_plan().unwrap();
        let shared = SharedSubplans::default();
        shared.count_in(&plan);
        let scans = RepeatedScans::default();
        scans.count_in(&plan, &shared, None);
        (
            scans.shared_reads(&t).is_some(),
            scans.shared_reads(&u).is_some(),
        )
    }

    #[tokio::test]
    async fn only_tables_scanned_twice_share_reads() {
        assert_eq!(
            repeated("SELECT * FROM t JOIN u ON t.k = u.k").await,
            (false, false)
        );
        let self_join = "SELECT * FROM t a JOIN t b ON a.k = b.k JOIN u ON u.k = a.k";
        assert_eq!(repeated(self_join).await, (true, false));
        let subquery =
            "SELECT * FROM u WHERE v > (SELECT avg(v) FROM u) AND k IN (SELECT k FROM t)";
        assert_eq!(repeated(subquery).await, (false, true));
    }

    #[tokio::test]
    async fn a_shared_subplan_scans_its_table_once() {
        let twice = "WITH r AS (SELECT k, sum(v) AS s FROM t GROUP BY k) \
                     SELECT * FROM r WHERE s = (SELECT max(s) FROM r)";
        assert_eq!(repeated(twice).await, (false, false));
    }
}
