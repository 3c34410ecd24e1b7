//! Physical planning of joins: which input is built, whether the build is
//! shared or partitioned, and hash versus nested-loop.

use std::sync::Arc;

use quiver_execution::operators::asof_join::AsofJoinExec;
use quiver_execution::operators::coalesce::CoalescePartitionsExec;
use quiver_execution::operators::join::{BuildMode, JoinExec, JoinFilter};
use quiver_execution::operators::positional_join::PositionalJoinExec;
use quiver_execution::operators::projection::ProjectionExec;
use quiver_execution::operators::repartition::RepartitionExec;
use quiver_execution::physical_expr::ColumnExpr;
use quiver_execution::{canonical_key, create_physical_expr, ExecutionPlan, PhysicalExpr};
use quiver_expr::logical_plan::{AsofJoin, Join, JoinType, PositionalJoin};
use quiver_expr::{Expr, LogicalPlan, Result};
use quiver_optimizer::cardinality::estimate_rows;

use crate::physical_planner::PhysicalPlanner;
use crate::SessionConfig;

/// Build sides estimated at up to this many rows are always built once and
/// shared by all probe partitions. Larger ones are shared too when building
/// them on one thread costs less than hash-partitioning both inputs, so that
/// each of the N partitions builds its own share (see [`build_is_shared`]).
const SHARED_BUILD_MAX_ROWS: f64 = 1_000_000.0;

/// The probe side is swapped to the build side when it is estimated at
/// less than this fraction of the build side.
const SWAP_RATIO: f64 = 0.5;

/// The share of the memory limit a shared build side may be estimated to
/// take; larger ones are partitioned, which can spill.
const SHARED_BUILD_MAX_MEMORY_SHARE: f64 = 0.25;

/// A hash join's inputs as the planner estimates them.
struct JoinSizes {
    build_rows: f64,
    probe_rows: f64,
    /// Estimated bytes of one build row and its key-table entry.
    build_row_bytes: f64,
}

/// Whether a hash join's build side is built once and shared, rather than
/// both inputs being hash-partitioned into `partitions` and each partition
/// building its own table. A shared build runs on one thread while the
/// other partitions wait: it costs about `build_rows`, against
/// `build_rows / partitions` for a partitioned one. Partitioning moves
/// every row of both inputs through an exchange, about
/// `(build_rows + probe_rows) / partitions`. Counting a row built and a row
/// repartitioned alike, sharing pays while
/// `build_rows * (partitions - 1) <= build_rows + probe_rows`. A shared
/// build cannot spill, so one estimated past a quarter of the memory limit
/// is partitioned.
fn build_is_shared(sizes: &JoinSizes, partitions: usize, memory_limit: Option<usize>) -> bool {
    let JoinSizes {
        build_rows,
        probe_rows,
        build_row_bytes,
    } = *sizes;
    if build_rows <= SHARED_BUILD_MAX_ROWS || partitions <= 1 {
        return true;
    }
    let fits = memory_limit.is_none_or(|limit| {
        build_rows * build_row_bytes <= limit as f64 * SHARED_BUILD_MAX_MEMORY_SHARE
    });
    let others = (partitions - 1) as f64;
    fits && build_rows * others <= build_rows + probe_rows
}

/// Estimated bytes of a row of `schema` held in a join's build side, with
/// its key-table entry: fixed-width columns their width, strings and
/// other variable-width values 32 bytes.
fn build_row_bytes(schema: &quiver_expr::QSchema) -> f64 {
    let key_entry = 20.0;
    let columns: f64 = schema
        .to_arrow()
        .fields()
        .iter()
        .map(|f| f.data_type().primitive_width().unwrap_or(32) as f64)
        .sum();
    columns + key_entry
}

impl PhysicalPlanner<'_> {
    /// A join whose right input is built, swapping inputs first when the
    /// left one is much smaller and the join type allows it.
    pub(crate) async fn plan_join(&self, join: &Join) -> Result<Arc<dyn ExecutionPlan>> {
        let (left_rows, right_rows) = (estimate_rows(&join.left), estimate_rows(&join.right));
        let swapped = match join.join_type.swap() {
            Some(t) if !join.null_aware && left_rows < right_rows * SWAP_RATIO => Some(t),
            _ => None,
        };
        let Some(swapped_type) = swapped else {
            let sizes = JoinSizes {
                build_rows: right_rows,
                probe_rows: left_rows,
                build_row_bytes: build_row_bytes(join.right.schema()),
            };
            return self.plan_join_as_given(join, &sizes).await;
        };
        let on = join
            .on
            .iter()
            .map(|(l, r)| (r.clone(), l.clone()))
            .collect();
        let flipped = Join::try_new(
            Arc::clone(&join.right),
            Arc::clone(&join.left),
            swapped_type,
            on,
            join.filter.clone(),
            false,
        )?;
        let sizes = JoinSizes {
            build_rows: left_rows,
            probe_rows: right_rows,
            build_row_bytes: build_row_bytes(join.left.schema()),
        };
        let plan = self.plan_join_as_given(&flipped, &sizes).await?;
        if !(swapped_type.outputs_left() && swapped_type.outputs_right()) {
            return Ok(plan);
        }
        // Put the columns back in the original order: left, then right.
        let (l, r) = (join.left.schema().len(), join.right.schema().len());
        let schema = plan.schema();
        let order = (r..r + l).chain(0..r);
        let exprs = order
            .map(|i| {
                let f = schema.field(i);
                Arc::new(ColumnExpr::new(f.name(), i, f.data_type().clone()))
                    as Arc<dyn PhysicalExpr>
            })
            .collect();
        Ok(Arc::new(ProjectionExec::new(
            exprs,
            join.schema.to_arrow(),
            plan,
        )))
    }

    /// `POSITIONAL JOIN`: each side planned with one partition, so that it
    /// gives its rows in order (a scan in its files' order).
    pub(crate) async fn plan_positional_join(
        &self,
        join: &PositionalJoin,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let left = self.plan_in_order(&join.left).await?;
        let right = self.plan_in_order(&join.right).await?;
        Ok(Arc::new(PositionalJoinExec::new(
            left,
            right,
            join.schema.to_arrow(),
        )))
    }

    /// `plan` planned by a planner of its own at one partition, so that
    /// its rows come in order.
    async fn plan_in_order(&self, plan: &LogicalPlan) -> Result<Arc<dyn ExecutionPlan>> {
        let config = SessionConfig {
            target_partitions: 1,
            ..self.config.clone()
        };
        PhysicalPlanner::new(&config)
            .with_memory_limit(self.memory_limit)
            .with_max_recursion_depth(self.max_recursion_depth)
            .create_physical_plan(plan)
            .await
    }

    /// An as-of join: with equality keys, both inputs are partitioned by
    /// them and each partition joined on its own; without, in one
    /// partition.
    pub(crate) async fn plan_asof_join(&self, join: &AsofJoin) -> Result<Arc<dyn ExecutionPlan>> {
        let n = self.config.target_partitions;
        let mut left = self.plan(&join.left).await?;
        let mut right = self.plan(&join.right).await?;
        let (ls, rs) = (join.left.schema(), join.right.schema());
        let mut keys = vec![];
        for (l, r) in &join.on {
            keys.push((
                canonical_key(create_physical_expr(l, ls)?),
                canonical_key(create_physical_expr(r, rs)?),
            ));
        }
        let times = (
            create_physical_expr(&join.times.0, ls)?,
            create_physical_expr(&join.times.1, rs)?,
        );
        if keys.is_empty() || n == 1 {
            for side in [&mut left, &mut right] {
                if side.output_partitions() > 1 {
                    *side = Arc::new(CoalescePartitionsExec::new(Arc::clone(side)));
                }
            }
        } else {
            let left_keys = keys.iter().map(|(l, _)| Arc::clone(l)).collect();
            let right_keys = keys.iter().map(|(_, r)| Arc::clone(r)).collect();
            left = Arc::new(RepartitionExec::new(left_keys, n, left));
            right = Arc::new(RepartitionExec::new(right_keys, n, right));
        }
        Ok(Arc::new(AsofJoinExec::new(
            left,
            right,
            keys,
            times,
            join.comparison,
            join.keep_unmatched,
            join.schema.to_arrow(),
        )))
    }

    async fn plan_join_as_given(
        &self,
        join: &Join,
        sizes: &JoinSizes,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let n = self.config.target_partitions;
        let surely_shared = build_is_shared(sizes, n, self.memory_limit)
            || join.null_aware
            || join.join_type == JoinType::LeftMark;
        let mut left = self.plan(&join.left).await?;
        let mut right = self.plan(&join.right).await?;
        let (ls, rs) = (join.left.schema(), join.right.schema());
        let schema = join.schema.to_arrow();
        let filter = match &join.filter {
            Some(f) => Some(JoinFilter::try_new(f, &ls.join(rs))?),
            None => None,
        };
        let named = |exec: JoinExec| match &join.subquery {
            Some(sql) => exec.with_single_row_source(sql.clone()),
            None => exec,
        };
        if join.on.is_empty() {
            let exec = JoinExec::nested_loop(left, right, filter, join.join_type, schema);
            return Ok(Arc::new(named(exec)));
        }
        let keys = |exprs: Vec<&Expr>, schema| {
            exprs
                .into_iter()
                .map(|e| Ok(canonical_key(create_physical_expr(e, schema)?)))
                .collect::<Result<Vec<_>>>()
        };
        let left_keys = keys(join.on.iter().map(|(l, _)| l).collect(), ls)?;
        let right_keys = keys(join.on.iter().map(|(_, r)| r).collect(), rs)?;
        let shared = surely_shared || left.output_partitions() == 1;
        let mode = if shared {
            BuildMode::CollectBuild
        } else {
            left = Arc::new(RepartitionExec::new(left_keys.clone(), n, left));
            right = Arc::new(RepartitionExec::new(right_keys.clone(), n, right));
            BuildMode::Partitioned
        };
        let exec = JoinExec::hash(
            left,
            right,
            left_keys.into_iter().zip(right_keys).collect(),
            filter,
            join.join_type,
            mode,
            join.null_aware,
            schema,
        )?;
        Ok(Arc::new(named(exec)))
    }
}

#[cfg(test)]
mod tests {
    use super::{build_is_shared, JoinSizes};

    fn shared(build_rows: f64, probe_rows: f64, partitions: usize, limit: Option<usize>) -> bool {
        let sizes = JoinSizes {
            build_rows,
            probe_rows,
            build_row_bytes: 40.0,
        };
        build_is_shared(&sizes, partitions, limit)
    }

    #[test]
    fn large_builds_are_shared_unless_partitions_would_split_the_work_or_memory_is_short() {
        // Small build sides are always shared.
        assert!(shared(900_000.0, 1_000.0, 16, Some(1)));
        // TPC-H SF10 orders of one year (2.3M) against lineitem (60M).
        assert!(shared(2.3e6, 6.0e7, 2, None));
        assert!(shared(2.3e6, 6.0e7, 16, None));
        // Many partitions split a build side that is large beside its probe.
        assert!(!shared(8.0e6, 6.0e7, 16, None));
        // With two partitions, sharing saves repartitioning the probe side.
        assert!(shared(8.0e6, 6.0e7, 2, None));
        // ... unless the 320 MB it needs is past a quarter of the limit:
        // then it is partitioned, which can spill.
        assert!(!shared(8.0e6, 6.0e7, 2, Some(1 << 30)));
        assert!(shared(8.0e6, 6.0e7, 2, Some(2 << 30)));
        // One partition: nothing to split.
        assert!(shared(1.0e9, 1.0, 1, Some(1)));
    }
}
