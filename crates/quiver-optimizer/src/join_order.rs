//! Join planning: gathers each block of inner joins with the filters above
//! them, pushes single-table predicates onto their tables, and rebuilds the
//! block in the order [`crate::join_enumeration`] chooses from estimates
//! (dynamic programming, greedy for large blocks), so that equalities
//! become hash-join keys and the smaller input of each join is built. Outer,
//! semi and anti joins get their keys extracted and conditions on the
//! non-preserved side pushed into it.

use std::collections::BTreeSet;
use std::sync::Arc;

use quiver_expr::expr::{conjunction, split_conjunction, split_disjunction};
use quiver_expr::logical_plan::{Join, JoinType};
use quiver_expr::{Column, Expr, LogicalPlan, Operator, Result};

use crate::cardinality::estimate_rows;
use crate::join_enumeration::{self, Edge, JoinTree};
use crate::join_keys::{side_of, split_keys, Side};
use crate::{with_filter, OptimizerRule, Transformed};

/// How the joins of a block are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ordering {
    /// By estimated cost ([`join_enumeration::order`]), whatever the order
    /// the inputs were written in.
    ByCost,
    /// As written ([`join_enumeration::as_written`]).
    AsWritten,
}

/// Turns join conditions into hash-join keys and places the other
/// conditions, joining the inputs of each block in the order they were
/// written (a cross product only where no condition links the next input).
/// Required: without it a join written in FROM and WHERE would run as a
/// cross product. [`JoinOrder`] then reorders by cost.
pub struct JoinKeys;

impl OptimizerRule for JoinKeys {
    fn name(&self) -> &'static str {
        "join_keys"
    }
    fn required(&self) -> bool {
        true
    }
    fn rewrite(&self, plan: LogicalPlan) -> Result<Transformed<LogicalPlan>> {
        let rewritten = optimize(&plan, Ordering::AsWritten)?;
        Ok(Transformed::compared(&plan, rewritten))
    }
}

/// Orders the joins of each block by estimated cost.
pub struct JoinOrder;

impl OptimizerRule for JoinOrder {
    fn name(&self) -> &'static str {
        "join_order"
    }
    fn rewrite(&self, plan: LogicalPlan) -> Result<Transformed<LogicalPlan>> {
        let rewritten = optimize(&plan, Ordering::ByCost)?;
        Ok(Transformed::compared(&plan, rewritten))
    }
}

fn optimize(plan: &LogicalPlan, ordering: Ordering) -> Result<LogicalPlan> {
    if is_inner_block(plan) && to_plan(plan, ordering) {
        return plan_block(plan, ordering);
    }
    if let Some(pushed) = push_into_preserved_side(plan)? {
        return optimize(&pushed, ordering);
    }
    if let Some(planned) = semi_join_into_block(plan, ordering)? {
        return Ok(planned);
    }
    let inputs = plan
        .inputs()
        .into_iter()
        .map(|i| optimize(i, ordering).map(Arc::new))
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
                && !c.is_volatile()
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
    let branches = split_disjunction(&e);
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

/// Whether the block of inner joins at `block` is to be planned: always by
/// cost, and as written only while it has conditions not yet placed (so a
/// block `join_order` planned is left as it is).
fn to_plan(block: &LogicalPlan, ordering: Ordering) -> bool {
    ordering == Ordering::ByCost || has_unplaced_conditions(block)
}

/// Whether a block of inner joins holds a condition that planning would
/// place: a filter conjunct over the block's columns (planning moves it
/// onto an input or makes it a join's key or condition), or an equality
/// between the two sides of a join that is not yet one of its keys.
fn has_unplaced_conditions(plan: &LogicalPlan) -> bool {
    match plan {
        LogicalPlan::Filter(f) if is_inner_block(plan) => {
            split_conjunction(&f.predicate)
                .into_iter()
                .any(|c| !c.columns().is_empty() && !c.is_volatile())
                || has_unplaced_conditions(&f.input)
        }
        LogicalPlan::Join(j) if is_inner_block(plan) => {
            let unkeyed = j.filter.as_ref().is_some_and(|f| {
                let conjuncts = split_conjunction(f).into_iter().cloned().collect();
                split_keys(conjuncts, j.left.schema(), j.right.schema())
                    .is_ok_and(|(keys, _)| !keys.is_empty())
            });
            unkeyed || has_unplaced_conditions(&j.left) || has_unplaced_conditions(&j.right)
        }
        _ => false,
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
            _ if c.is_volatile() => rest.push(c),
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

/// Collects the inputs and conditions of a block of inner joins.
fn collect(
    plan: &LogicalPlan,
    leaves: &mut Vec<LogicalPlan>,
    predicates: &mut Vec<Expr>,
    ordering: Ordering,
) -> Result<()> {
    match plan {
        // Conditions are gathered inputs first, so that a block already
        // joined in written order gives them back in their written order.
        LogicalPlan::Filter(f) if is_inner_block(plan) => {
            collect(&f.input, leaves, predicates, ordering)?;
            predicates.extend(split_conjunction(&f.predicate).into_iter().cloned());
            Ok(())
        }
        LogicalPlan::Join(j) if is_inner_block(plan) => {
            collect(&j.left, leaves, predicates, ordering)?;
            collect(&j.right, leaves, predicates, ordering)?;
            predicates.extend(
                j.on.iter()
                    .map(|(l, r)| l.clone().binary(Operator::Eq, r.clone())),
            );
            if let Some(f) = &j.filter {
                predicates.extend(split_conjunction(f).into_iter().cloned());
            }
            Ok(())
        }
        other => {
            leaves.push(optimize(other, ordering)?);
            Ok(())
        }
    }
}

fn plan_block(root: &LogicalPlan, ordering: Ordering) -> Result<LogicalPlan> {
    let mut leaves = vec![];
    let mut collected = vec![];
    collect(root, &mut leaves, &mut collected, ordering)?;
    build_block(leaves, collected, root.schema(), ordering)
}

/// For a semi or anti join whose left input is a block of inner joins and
/// whose condition reads one input of that block only, moves the semi join
/// onto that input (filtering it before the other joins) and plans the
/// block. `None` when that does not apply, or when the joined block is
/// estimated smaller than that input: then probing the block's result is
/// cheaper than probing the input.
fn semi_join_into_block(plan: &LogicalPlan, ordering: Ordering) -> Result<Option<LogicalPlan>> {
    let LogicalPlan::Join(j) = plan else {
        return Ok(None);
    };
    if !matches!(j.join_type, JoinType::LeftSemi | JoinType::LeftAnti)
        || !is_inner_block(&j.left)
        || !to_plan(&j.left, ordering)
    {
        return Ok(None);
    }
    let mut leaves = vec![];
    let mut collected = vec![];
    collect(&j.left, &mut leaves, &mut collected, ordering)?;
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
    let joined = build_block(leaves.clone(), collected.clone(), left_schema, ordering)?;
    if estimate_rows(&joined) < estimate_rows(&leaves[owner]) {
        return Ok(None);
    }
    let right = Arc::new(optimize(&j.right, ordering)?);
    let leaf = Arc::new(std::mem::replace(&mut leaves[owner], empty_plan()));
    let semi = j.with_inputs(leaf, right)?;
    leaves[owner] = keyed_join(&semi)?;
    Ok(Some(build_block(leaves, collected, left_schema, ordering)?))
}

fn empty_plan() -> LogicalPlan {
    quiver_expr::logical_plan::one_row()
}

/// Joins the `leaves` of a block under its `collected` conditions and
/// projects the result to `schema` (the block's original column order).
/// Conditions on one input filter it; the order of the joins is chosen by
/// [`join_enumeration::order`] over the inputs sorted by their text, so the
/// order they were written in does not matter (or, as written, by
/// [`join_enumeration::as_written`]).
fn build_block(
    mut leaves: Vec<LogicalPlan>,
    collected: Vec<Expr>,
    schema: &quiver_expr::QSchema,
    ordering: Ordering,
) -> Result<LogicalPlan> {
    if ordering == Ordering::ByCost {
        leaves.sort_by_cached_key(LogicalPlan::display_indent);
    }
    let predicates: Vec<Expr> = collected.into_iter().flat_map(factor_disjunction).collect();
    let mut local: Vec<Vec<Expr>> = vec![vec![]; leaves.len()];
    let mut edges = vec![];
    let mut top = vec![];
    for p in predicates {
        match leaves_of(&p, &leaves) {
            // A volatile condition is drawn once per joined row, above.
            _ if p.is_volatile() => top.push(p),
            Some(set) if set.len() == 1 => local[*set.first().unwrap_or(&0)].push(p),
            Some(set) if set.len() > 1 => edges.push(Edge {
                expr: p,
                leaves: set,
            }),
            _ => top.push(p),
        }
    }
    let leaves = leaves
        .into_iter()
        .zip(local)
        .map(|(leaf, preds)| with_filter(leaf, preds))
        .collect::<Result<Vec<_>>>()?;
    let tree = match ordering {
        Ordering::ByCost => {
            let rows: Vec<f64> = leaves.iter().map(estimate_rows).collect();
            join_enumeration::order(&leaves, &rows, &edges)
        }
        Ordering::AsWritten => join_enumeration::as_written(leaves.len(), &edges),
    };
    let mut applied = vec![false; edges.len()];
    let plan = tree_to_plan(&tree, &leaves, &edges, &mut applied)?;
    top.extend(
        edges
            .into_iter()
            .zip(applied)
            .filter(|(_, done)| !done)
            .map(|(e, _)| e.expr),
    );
    crate::project_to(with_filter(plan, top)?, schema)
}

/// The joins of `tree`, each with the conditions not yet `applied` whose
/// inputs it has all brought together: equalities between its sides become
/// hash keys, the rest its filter.
fn tree_to_plan(
    tree: &JoinTree,
    leaves: &[LogicalPlan],
    edges: &[Edge],
    applied: &mut [bool],
) -> Result<LogicalPlan> {
    let (probe, build) = match tree {
        JoinTree::Leaf(i) => return Ok(leaves[*i].clone()),
        JoinTree::Join { probe, build, .. } => (probe, build),
    };
    let probe_plan = tree_to_plan(probe, leaves, edges, applied)?;
    let build_plan = tree_to_plan(build, leaves, edges, applied)?;
    let covered = tree.leaves();
    let mut conditions: Vec<Expr> = edges
        .iter()
        .zip(applied.iter_mut())
        .filter(|(e, done)| !**done && e.leaves.is_subset(&covered))
        .map(|(e, done)| {
            *done = true;
            e.expr.clone()
        })
        .collect();
    // In the order of their text, so that a join's keys do not depend on
    // how the query or an earlier planning of the block listed them.
    conditions.sort_by_cached_key(Expr::to_string);
    let (ls, rs) = (probe_plan.schema().clone(), build_plan.schema().clone());
    let (on, rest) = split_keys(conditions, &ls, &rs)?;
    Ok(LogicalPlan::Join(Join::try_new(
        Arc::new(probe_plan),
        Arc::new(build_plan),
        JoinType::Inner,
        on,
        conjunction(rest),
        false,
    )?))
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
        rewritten(&JoinOrder, plan).display_indent()
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
        insta::assert_snapshot!(ordered(&plan));
        // As written: t first; u is linked to nothing joined yet, v is.
        insta::assert_snapshot!(
            "joined_as_written",
            rewritten(&JoinKeys, &plan).display_indent()
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
