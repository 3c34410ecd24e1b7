//! Physical planning of joins: which input is built, whether the build is
//! shared or partitioned, and hash versus nested-loop.

use std::sync::Arc;

use quiver_execution::operators::join::{BuildMode, JoinExec, JoinFilter};
use quiver_execution::operators::projection::ProjectionExec;
use quiver_execution::operators::repartition::RepartitionExec;
use quiver_execution::physical_expr::ColumnExpr;
use quiver_execution::{create_physical_expr, ExecutionPlan, PhysicalExpr};
use quiver_expr::logical_plan::{Join, JoinType};
use quiver_expr::{Expr, Result};
use quiver_optimizer::cardinality::estimate_rows;

use crate::physical_planner::PhysicalPlanner;

/// Build sides estimated at up to this many rows are built once and shared
/// by all probe partitions; larger ones are hash-partitioned with the probe
/// side so that each partition builds its own share.
const SHARED_BUILD_MAX_ROWS: f64 = 1_000_000.0;

/// The probe side is swapped to the build side when it is estimated at
/// less than this fraction of the build side.
const SWAP_RATIO: f64 = 0.5;

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
            return self.plan_join_as_given(join, right_rows).await;
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
        let plan = self.plan_join_as_given(&flipped, left_rows).await?;
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

    async fn plan_join_as_given(
        &self,
        join: &Join,
        build_rows: f64,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let n = self.config.target_partitions;
        // Decided before the inputs are planned, so that the probe side's
        // scans can be given the build keys' dynamic filters.
        let surely_shared = build_rows <= SHARED_BUILD_MAX_ROWS
            || n == 1
            || join.null_aware
            || join.join_type == JoinType::LeftMark;
        let dynamic_filters = if surely_shared && !join.on.is_empty() {
            self.dynamic_filters.register_probe_keys(join)
        } else {
            vec![]
        };
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
                .map(|e| create_physical_expr(e, schema))
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
        )?
        .with_dynamic_filters(dynamic_filters);
        Ok(Arc::new(named(exec)))
    }
}
