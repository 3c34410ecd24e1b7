//! Join planning: gathers each block of inner joins with the filters above
//! them, pushes single-table predicates onto their tables, and rebuilds the
//! block greedily — always performing the join with the smallest estimated
//! result next, joining only connected inputs while any remain — so that
//! equalities become hash-join keys and the smaller input is built. Outer,
//! semi and anti joins get their keys extracted and conditions on the
//! non-preserved side pushed into it.

use std::collections::BTreeSet;
use std::sync::Arc;

use quiver_expr::expr::{conjunction, split_conjunction};
use quiver_expr::logical_plan::{Filter, Join, JoinType};
use quiver_expr::{Column, Expr, LogicalPlan, Operator, Result};

use crate::cardinality::{estimate_rows, selectivity};
use crate::join_keys::{side_of, split_keys, Side};
use crate::OptimizerRule;

/// Orders inner joins and turns join conditions into keys.
pub struct JoinOrder;

impl OptimizerRule for JoinOrder {
    fn name(&self) -> &str {
        "join_order"
    }
    fn rewrite(&self, plan: LogicalPlan) -> Result<LogicalPlan> {
        optimize(&plan)
    }
}

fn optimize(plan: &LogicalPlan) -> Result<LogicalPlan> {
    if is_inner_block(plan) {
        return plan_block(plan);
    }
    if let Some(pushed) = push_into_preserved_side(plan)? {
        return optimize(&pushed);
    }
    if let Some(planned) = semi_join_into_block(plan)? {
        return Ok(planned);
    }
    let inputs = plan
        .inputs()
        .into_iter()
        .map(|i| optimize(i).map(Arc::new))
        .collect::<Result<Vec<_>>>()?;
    let plan = plan.with_new_inputs(inputs)?;
    match plan {
        LogicalPlan::Join(j) => keyed_join(&j),
        other => Ok(other),
    }
}

/// For a filter over a join that keeps its left rows as they are (outer,
/// semi, anti, mark, single), moves the conjuncts over only left columns
/// below the join. `None` when there is nothing to move.
fn push_into_preserved_side(plan: &LogicalPlan) -> Result<Option<LogicalPlan>> {
    let LogicalPlan::Filter(f) = plan else {
        return Ok(None);
    };
    let LogicalPlan::Join(j) = f.input.as_ref() else {
        return Ok(None);
    };
    if !matches!(
        j.join_type,
        JoinType::Left
            | JoinType::LeftSemi
            | JoinType::LeftAnti
            | JoinType::LeftMark
            | JoinType::LeftSingle
    ) {
        return Ok(None);
    }
    let left_schema = j.left.schema();
    let (down, stay): (Vec<Expr>, Vec<Expr>) = split_conjunction(&f.predicate)
        .into_iter()
        .cloned()
        .partition(|c| {
            !c.columns().is_empty()
                && c.columns()
                    .iter()
                    .all(|col| matches!(left_schema.find(col), Ok(Some(_))))
        });
    if down.is_empty() {
        return Ok(None);
    }
    let left = with_filter(j.left.as_ref().clone(), down)?;
    let join = j.with_inputs(Arc::new(left), Arc::clone(&j.right))?;
    Ok(Some(with_filter(LogicalPlan::Join(join), stay)?))
}

/// `(a AND b) OR (a AND c)` as `a AND (b OR c)`: conjuncts common to every
/// branch of a disjunction are taken out, so that a join condition repeated
/// in each branch can become a join key.
fn factor_disjunction(e: Expr) -> Vec<Expr> {
    let mut branches = vec![];
    collect_disjuncts(&e, &mut branches);
    if branches.len() < 2 {
        return vec![e];
    }
    let conjuncts: Vec<Vec<Expr>> = branches
        .iter()
        .map(|b| split_conjunction(b).into_iter().cloned().collect())
        .collect();
    let common: Vec<Expr> = conjuncts[0]
        .iter()
        .filter(|c| conjuncts[1..].iter().all(|other| other.contains(c)))
        .cloned()
        .collect();
    if common.is_empty() {
        return vec![e];
    }
    let mut rest = None;
    for branch in conjuncts {
        let remaining: Vec<Expr> = branch.into_iter().filter(|c| !common.contains(c)).collect();
        let Some(branch) = conjunction(remaining) else {
            // One branch is just the common part, so the OR is always true
            // once the common conjuncts hold.
            return common;
        };
        rest = Some(match rest {
            None => branch,
            Some(r) => Expr::or(r, branch),
        });
    }
    common.into_iter().chain(rest).collect()
}

fn collect_disjuncts<'a>(e: &'a Expr, out: &mut Vec<&'a Expr>) {
    match e {
        Expr::Binary(l, Operator::Or, r) => {
            collect_disjuncts(l, out);
            collect_disjuncts(r, out);
        }
        other => out.push(other),
    }
}

/// An inner join, possibly under filters.
fn is_inner_block(plan: &LogicalPlan) -> bool {
    match plan {
        LogicalPlan::Filter(f) => is_inner_block(&f.input),
        LogicalPlan::Join(j) => j.join_type == JoinType::Inner && !j.null_aware,
        _ => false,
    }
}

/// A non-inner join with equalities in its condition turned into keys, and
/// conjuncts over only the non-preserved side pushed into that side.
fn keyed_join(j: &Join) -> Result<LogicalPlan> {
    let (ls, rs) = (j.left.schema().clone(), j.right.schema().clone());
    let conjuncts: Vec<Expr> = j
        .filter
        .as_ref()
        .map(|f| split_conjunction(f).into_iter().cloned().collect())
        .unwrap_or_default();
    let push_right = !matches!(j.join_type, JoinType::Right | JoinType::Full);
    let push_left = matches!(j.join_type, JoinType::Right);
    let mut left_only = vec![];
    let mut right_only = vec![];
    let mut rest = vec![];
    for c in conjuncts {
        match side_of(&c, &ls, &rs) {
            Side::Right if push_right => right_only.push(c),
            Side::Left if push_left => left_only.push(c),
            _ => rest.push(c),
        }
    }
    let (mut on, rest) = split_keys(rest, &ls, &rs)?;
    on.splice(0..0, j.on.iter().cloned());
    let left = with_filter(j.left.as_ref().clone(), left_only)?;
    let right = with_filter(j.right.as_ref().clone(), right_only)?;
    let mut join = Join::try_new(
        Arc::new(left),
        Arc::new(right),
        j.join_type,
        on,
        conjunction(rest),
        j.null_aware,
    )?;
    join.subquery = j.subquery.clone();
    Ok(LogicalPlan::Join(join))
}

fn with_filter(plan: LogicalPlan, predicates: Vec<Expr>) -> Result<LogicalPlan> {
    Ok(match conjunction(predicates) {
        Some(p) => LogicalPlan::Filter(Filter::try_new(p, Arc::new(plan))?),
        None => plan,
    })
}

/// Collects the inputs and conditions of a block of inner joins.
fn collect(
    plan: &LogicalPlan,
    leaves: &mut Vec<LogicalPlan>,
    predicates: &mut Vec<Expr>,
) -> Result<()> {
    match plan {
        LogicalPlan::Filter(f) if is_inner_block(plan) => {
            predicates.extend(split_conjunction(&f.predicate).into_iter().cloned());
            collect(&f.input, leaves, predicates)
        }
        LogicalPlan::Join(j) if is_inner_block(plan) => {
            predicates.extend(
                j.on.iter()
                    .map(|(l, r)| l.clone().binary(Operator::Eq, r.clone())),
            );
            if let Some(f) = &j.filter {
                predicates.extend(split_conjunction(f).into_iter().cloned());
            }
            collect(&j.left, leaves, predicates)?;
            collect(&j.right, leaves, predicates)
        }
        other => {
            leaves.push(optimize(other)?);
            Ok(())
        }
    }
}

/// A partial join result during the greedy search.
struct Component {
    plan: LogicalPlan,
    leaves: BTreeSet<usize>,
    rows: f64,
}

/// A condition spanning two or more inputs.
struct JoinPredicate {
    expr: Expr,
    leaves: BTreeSet<usize>,
    applied: bool,
}

fn plan_block(root: &LogicalPlan) -> Result<LogicalPlan> {
    let mut leaves = vec![];
    let mut collected = vec![];
    collect(root, &mut leaves, &mut collected)?;
    build_block(leaves, collected, root.schema())
}

/// For a semi or anti join whose left input is a block of inner joins and
/// whose condition reads one input of that block only, moves the semi join
/// onto that input (filtering it before the other joins) and plans the
/// block. `None` when that does not apply, or when the semi join's right
/// side is estimated larger than that input: then the other joins are
/// likely to shrink the input more cheaply first.
fn semi_join_into_block(plan: &LogicalPlan) -> Result<Option<LogicalPlan>> {
    let LogicalPlan::Join(j) = plan else {
        return Ok(None);
    };
    if !matches!(j.join_type, JoinType::LeftSemi | JoinType::LeftAnti) || !is_inner_block(&j.left) {
        return Ok(None);
    }
    let mut leaves = vec![];
    let mut collected = vec![];
    collect(&j.left, &mut leaves, &mut collected)?;
    let left_schema = j.left.schema();
    let mut used: Vec<Column> = j.on.iter().flat_map(|(l, _)| l.columns()).collect();
    if let Some(f) = &j.filter {
        used.extend(
            f.columns()
                .into_iter()
                .filter(|c| matches!(left_schema.find(c), Ok(Some(_)))),
        );
    }
    let probe = conjunction(used.into_iter().map(Expr::Column));
    let owner = match probe.as_ref().map(|p| leaves_of(p, &leaves)) {
        Some(Some(set)) if set.len() == 1 => set.first().copied(),
        _ => None,
    };
    let Some(owner) = owner else {
        return Ok(None);
    };
    if estimate_rows(&j.right) >= estimate_rows(&leaves[owner]) {
        return Ok(None);
    }
    let right = Arc::new(optimize(&j.right)?);
    let leaf = Arc::new(std::mem::replace(&mut leaves[owner], empty_plan()));
    let semi = j.with_inputs(leaf, right)?;
    leaves[owner] = keyed_join(&semi)?;
    Ok(Some(build_block(leaves, collected, left_schema)?))
}

fn empty_plan() -> LogicalPlan {
    quiver_expr::logical_plan::one_row()
}

/// Joins the `leaves` of a block under its `collected` conditions and
/// projects the result to `schema` (the block's original column order).
fn build_block(
    leaves: Vec<LogicalPlan>,
    collected: Vec<Expr>,
    schema: &quiver_expr::QSchema,
) -> Result<LogicalPlan> {
    let predicates: Vec<Expr> = collected.into_iter().flat_map(factor_disjunction).collect();

    let mut local: Vec<Vec<Expr>> = vec![vec![]; leaves.len()];
    let mut spanning = vec![];
    let mut top = vec![];
    for p in predicates {
        match leaves_of(&p, &leaves) {
            Some(set) if set.len() == 1 => local[*set.first().unwrap_or(&0)].push(p),
            Some(set) if set.len() > 1 => spanning.push(JoinPredicate {
                expr: p,
                leaves: set,
                applied: false,
            }),
            _ => top.push(p),
        }
    }
    let leaves = leaves
        .into_iter()
        .zip(local)
        .map(|(leaf, preds)| with_filter(leaf, preds))
        .collect::<Result<Vec<_>>>()?;
    let leaf_rows: Vec<f64> = leaves.iter().map(estimate_rows).collect();
    let mut components: Vec<Component> = leaves
        .iter()
        .enumerate()
        .map(|(i, plan)| Component {
            plan: plan.clone(),
            leaves: BTreeSet::from([i]),
            rows: leaf_rows[i],
        })
        .collect();

    while components.len() > 1 {
        let (a, b, rows) = next_pair(&components, &spanning, &leaves, &leaf_rows);
        let (a, b) = (a.min(b), a.max(b));
        let second = components.remove(b);
        let first = components.remove(a);
        let merged: BTreeSet<usize> = first.leaves.union(&second.leaves).copied().collect();
        let conditions: Vec<Expr> = spanning
            .iter_mut()
            .filter(|p| !p.applied && p.leaves.is_subset(&merged))
            .map(|p| {
                p.applied = true;
                p.expr.clone()
            })
            .collect();
        // The larger input is probed; the smaller (right) one is built.
        let (probe, build) = if first.rows >= second.rows {
            (first, second)
        } else {
            (second, first)
        };
        let (ls, rs) = (probe.plan.schema().clone(), build.plan.schema().clone());
        let (on, rest) = split_keys(conditions, &ls, &rs)?;
        let join = Join::try_new(
            Arc::new(probe.plan),
            Arc::new(build.plan),
            JoinType::Inner,
            on,
            conjunction(rest),
            false,
        )?;
        components.push(Component {
            plan: LogicalPlan::Join(join),
            leaves: merged,
            rows: rows.max(1.0),
        });
    }
    let Some(mut plan) = components.pop().map(|c| c.plan) else {
        return quiver_expr::internal_err!("a join block without inputs");
    };
    top.extend(spanning.into_iter().filter(|p| !p.applied).map(|p| p.expr));
    plan = with_filter(plan, top)?;
    crate::project_to(plan, schema)
}

/// The pair of components to join next and its estimated result size:
/// among connected pairs, the smallest result; with none connected, the
/// two smallest components (a cross join).
fn next_pair(
    components: &[Component],
    spanning: &[JoinPredicate],
    leaves: &[LogicalPlan],
    leaf_rows: &[f64],
) -> (usize, usize, f64) {
    let mut best: Option<(usize, usize, f64)> = None;
    for a in 0..components.len() {
        for b in a + 1..components.len() {
            let (ca, cb) = (&components[a], &components[b]);
            let union: BTreeSet<usize> = ca.leaves.union(&cb.leaves).copied().collect();
            let connecting: Vec<&JoinPredicate> = spanning
                .iter()
                .filter(|p| {
                    !p.applied
                        && p.leaves.is_subset(&union)
                        && !p.leaves.is_disjoint(&ca.leaves)
                        && !p.leaves.is_disjoint(&cb.leaves)
                })
                .collect();
            if connecting.is_empty() {
                continue;
            }
            let rows = join_rows(ca, cb, &connecting, leaves, leaf_rows);
            if best.is_none_or(|(_, _, r)| rows < r) {
                best = Some((a, b, rows));
            }
        }
    }
    best.unwrap_or_else(|| {
        let mut order: Vec<usize> = (0..components.len()).collect();
        order.sort_by(|&x, &y| components[x].rows.total_cmp(&components[y].rows));
        let (a, b) = (order[0], order[1]);
        (a, b, components[a].rows * components[b].rows)
    })
}

/// |A ⋈ B| = |A|·|B| / max(distinct(a.k), distinct(b.k)) for the most
/// selective equality, times a fixed selectivity for other conditions.
fn join_rows(
    a: &Component,
    b: &Component,
    connecting: &[&JoinPredicate],
    leaves: &[LogicalPlan],
    leaf_rows: &[f64],
) -> f64 {
    let mut divisor: f64 = 1.0;
    let mut factor = 1.0;
    for p in connecting {
        match &p.expr {
            Expr::Binary(l, Operator::Eq, r) => {
                let d = distinct(l, leaves, leaf_rows).max(distinct(r, leaves, leaf_rows));
                divisor = divisor.max(d);
            }
            other => factor *= selectivity(other),
        }
    }
    a.rows * b.rows / divisor * factor
}

/// The estimated distinct values of a join key: for a column traced to a
/// table, the table's bound (capped by the rows of its input); otherwise
/// the rows of the input it comes from.
fn distinct(e: &Expr, leaves: &[LogicalPlan], leaf_rows: &[f64]) -> f64 {
    let Some(leaf) = leaves_of(e, leaves).and_then(|s| s.first().copied()) else {
        return 1.0;
    };
    let rows = leaf_rows[leaf];
    match e.unalias() {
        Expr::Column(c) => column_distinct(&leaves[leaf], c).map_or(rows, |d| d.min(rows)),
        _ => rows,
    }
}

/// Distinct values of column `c` of `plan`, traced down to a table scan.
fn column_distinct(plan: &LogicalPlan, c: &Column) -> Option<f64> {
    let index = plan.schema().find(c).ok()??;
    match plan {
        LogicalPlan::TableScan(s) => {
            let base = s.projection.as_ref().map_or(index, |p| p[index]);
            s.source.distinct_values(base).map(|d| d as f64)
        }
        LogicalPlan::Filter(_) | LogicalPlan::Sort(_) | LogicalPlan::Limit(_) => {
            let input = plan.inputs()[0];
            column_distinct(input, c)
        }
        LogicalPlan::SubqueryAlias(a) => {
            column_distinct(&a.input, &a.input.schema().field(index).column())
        }
        LogicalPlan::Projection(p) => match p.exprs[index].unalias() {
            Expr::Column(inner) => column_distinct(&p.input, inner),
            _ => None,
        },
        LogicalPlan::Aggregate(a) => match a.group_exprs.get(index).map(Expr::unalias) {
            Some(Expr::Column(inner)) => column_distinct(&a.input, inner),
            _ => None,
        },
        LogicalPlan::Join(j) => {
            column_distinct(&j.left, c).or_else(|| column_distinct(&j.right, c))
        }
        _ => None,
    }
}

/// The inputs of the block whose columns `e` uses; `None` when a column
/// resolves to no input (or to several).
fn leaves_of(e: &Expr, leaves: &[LogicalPlan]) -> Option<BTreeSet<usize>> {
    let mut set = BTreeSet::new();
    for c in e.columns() {
        let owners: Vec<usize> = leaves
            .iter()
            .enumerate()
            .filter(|(_, l)| matches!(l.schema().find(&c), Ok(Some(_))))
            .map(|(i, _)| i)
            .collect();
        match owners.as_slice() {
            [one] => {
                set.insert(*one);
            }
            _ => return None,
        }
    }
    Some(set)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::*;

    fn ordered(plan: &LogicalPlan) -> String {
        JoinOrder.rewrite(plan.clone()).unwrap().display_indent()
    }

    fn cross(l: Arc<LogicalPlan>, r: Arc<LogicalPlan>) -> Arc<LogicalPlan> {
        Arc::new(LogicalPlan::Join(Join::cross(l, r).unwrap()))
    }

    #[test]
    fn equalities_become_keys_and_single_table_conditions_move_down() {
        let condition = eq(qcol("t", "a"), qcol("u", "a")).and(gt(qcol("u", "b"), lit(1)));
        let plan = filter(condition, cross(scan(), scan_as("u")));
        assert_eq!(
            ordered(&plan),
            "Join: Inner on=[t.a = u.a]\n  TableScan: t projection=[a, b, c, s]\n  Filter: (u.b > 1)\n    TableScan: u projection=[a, b, c, s]\n"
        );
    }

    #[test]
    fn a_key_repeated_in_every_branch_of_an_or_is_factored_out() {
        let branch = |v| eq(qcol("t", "a"), qcol("u", "a")).and(eq(qcol("u", "b"), lit(v)));
        let plan = filter(branch(1).or(branch(2)), cross(scan(), scan_as("u")));
        assert_eq!(
            ordered(&plan),
            "Join: Inner on=[t.a = u.a]\n  TableScan: t projection=[a, b, c, s]\n  Filter: ((u.b = 1) OR (u.b = 2))\n    TableScan: u projection=[a, b, c, s]\n"
        );
    }

    #[test]
    fn connected_inputs_are_joined_before_a_cross_product() {
        // FROM t, u, v WHERE t.a = v.a AND v.b = u.b: t and u share no
        // condition, so neither pair (t, u) comes first.
        let plan = filter(
            eq(qcol("t", "a"), qcol("v", "a")).and(eq(qcol("v", "b"), qcol("u", "b"))),
            cross(cross(scan(), scan_as("u")), scan_as("v")),
        );
        let text = ordered(&plan);
        assert!(!text.contains("Join: Inner\n"), "no cross join:\n{text}");
        assert_eq!(text.matches("Join: Inner on=").count(), 2, "{text}");
        assert!(
            text.starts_with("Projection: t.a, t.b, t.c, t.s, u.a"),
            "{text}"
        );
    }

    #[test]
    fn outer_join_conditions_on_the_inner_side_are_pushed_into_it() {
        let condition = eq(qcol("t", "a"), qcol("u", "a")).and(gt(qcol("u", "b"), lit(1)));
        let plan = LogicalPlan::Join(
            Join::try_new(
                scan(),
                scan_as("u"),
                JoinType::Left,
                vec![],
                Some(condition),
                false,
            )
            .unwrap(),
        );
        assert_eq!(
            ordered(&plan),
            "Join: Left on=[t.a = u.a]\n  TableScan: t projection=[a, b, c, s]\n  Filter: (u.b > 1)\n    TableScan: u projection=[a, b, c, s]\n"
        );
    }
}
