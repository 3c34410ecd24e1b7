//! Choosing the order of a block of inner joins from estimates.
//!
//! The inputs and the conditions between them form a (hyper)graph. Each
//! connected part of it is ordered by dynamic programming over its
//! connected subsets (the search space of DPccp: every split of a connected
//! set into two connected halves joined by a condition) when it has at most
//! [`DP_LIMIT`] inputs, and greedily beyond (always the join with the
//! smallest result next). The cost of a plan is the sum over its joins of
//! the rows each produces plus the rows of its build side, so plans with
//! small intermediate results and small hash tables win. Separate parts are
//! joined last by cross products, smallest first.
//!
//! The result does not depend on the order the inputs were written in: the
//! caller passes them in a canonical order, and ties keep the first plan
//! found in that order.

use std::collections::BTreeSet;

use quiver_expr::{Expr, LogicalPlan, Operator};

use crate::cardinality::{key_divisor, selectivity};

/// The most inputs of one connected part ordered by dynamic programming.
pub const DP_LIMIT: usize = 12;

/// A condition between two or more inputs of a block.
#[derive(Debug, Clone)]
pub struct Edge {
    /// The condition.
    pub expr: Expr,
    /// The inputs (indices into the block's inputs) whose columns it reads.
    pub leaves: BTreeSet<usize>,
}

/// A join order: the left input of each join is probed, the right is built
/// into a hash table.
#[derive(Debug, Clone, PartialEq)]
pub enum JoinTree {
    /// One input of the block.
    Leaf(usize),
    /// The join of two trees, with its estimated rows.
    Join {
        /// The probe side.
        probe: Box<JoinTree>,
        /// The build side.
        build: Box<JoinTree>,
        /// The estimated rows of the result.
        rows: f64,
    },
}

impl JoinTree {
    /// The inputs this tree joins.
    pub fn leaves(&self) -> BTreeSet<usize> {
        match self {
            JoinTree::Leaf(i) => BTreeSet::from([*i]),
            JoinTree::Join { probe, build, .. } => {
                probe.leaves().union(&build.leaves()).copied().collect()
            }
        }
    }
}

/// The estimates the search works from.
struct Estimates<'a> {
    rows: &'a [f64],
    edges: &'a [Edge],
    /// Each distinct set of inputs that conditions read, in the order the
    /// conditions first name it, with the factor its conditions multiply
    /// a join's rows by: worked out once, as the search asks for the rows
    /// of many sets.
    factors: Vec<(&'a BTreeSet<usize>, f64)>,
}

impl<'a> Estimates<'a> {
    fn new(inputs: &'a [LogicalPlan], rows: &'a [f64], edges: &'a [Edge]) -> Self {
        let mut groups: Vec<&BTreeSet<usize>> = vec![];
        for e in edges {
            if !groups.contains(&&e.leaves) {
                groups.push(&e.leaves);
            }
        }
        let factors = groups
            .into_iter()
            .map(|group| {
                let conditions: Vec<&Expr> = edges
                    .iter()
                    .filter(|e| &e.leaves == group)
                    .map(|e| &e.expr)
                    .collect();
                (group, factor(inputs, &conditions))
            })
            .collect();
        Self {
            rows,
            edges,
            factors,
        }
    }

    /// Rows of the join of `set`: the product of its inputs' rows and of
    /// the factors of the conditions within it.
    fn rows_of(&self, set: &BTreeSet<usize>) -> f64 {
        let mut rows: f64 = set.iter().map(|&i| self.rows[i]).product();
        for (group, factor) in &self.factors {
            if group.is_subset(set) {
                rows *= factor;
            }
        }
        rows.max(1.0)
    }

    /// Whether some condition within `a ∪ b` reads both `a` and `b`.
    fn connected(&self, a: &BTreeSet<usize>, b: &BTreeSet<usize>) -> bool {
        self.edges.iter().any(|e| {
            !e.leaves.is_disjoint(a)
                && !e.leaves.is_disjoint(b)
                && e.leaves.iter().all(|l| a.contains(l) || b.contains(l))
        })
    }
}

/// What conditions over the same inputs multiply a join's rows by, as one
/// factor: the most selective equality (compound keys are correlated)
/// times the selectivity of the rest.
fn factor(inputs: &[LogicalPlan], conditions: &[&Expr]) -> f64 {
    let (equalities, others): (Vec<Expr>, Vec<Expr>) = conditions
        .iter()
        .map(|e| (*e).clone())
        .partition(|e| matches!(e, Expr::Binary(_, Operator::Eq, _)));
    let inputs: Vec<&LogicalPlan> = inputs.iter().collect();
    let other: f64 = others.iter().map(|e| selectivity(e, inputs[0])).product();
    other / key_divisor(&equalities, &inputs)
}

/// The join order for inputs with estimated `rows` (after their own
/// filters) under `edges`.
pub fn order(inputs: &[LogicalPlan], rows: &[f64], edges: &[Edge]) -> JoinTree {
    let estimates = Estimates::new(inputs, rows, edges);
    let mut parts: Vec<(JoinTree, f64)> = connected_parts(inputs.len(), edges)
        .into_iter()
        .map(|part| {
            let tree = if part.len() <= DP_LIMIT {
                dynamic_programming(&estimates, &part).unwrap_or_else(|| greedy(&estimates, &part))
            } else {
                greedy(&estimates, &part)
            };
            let rows = estimates.rows_of(&tree.leaves());
            (tree, rows)
        })
        .collect();
    // Cross products of the parts, smallest first.
    parts.sort_by(|a, b| a.1.total_cmp(&b.1));
    let mut parts = parts.into_iter();
    let Some((mut tree, mut rows)) = parts.next() else {
        return JoinTree::Leaf(0);
    };
    for (next, next_rows) in parts {
        let product = rows * next_rows;
        tree = join(tree, rows, next, next_rows, product);
        rows = product;
    }
    tree
}

/// A join of two trees with the larger one probed (on a tie, the one with
/// the first input).
fn join(a: JoinTree, a_rows: f64, b: JoinTree, b_rows: f64, rows: f64) -> JoinTree {
    let a_first = a.leaves().first() < b.leaves().first();
    let (probe, build) = if a_rows > b_rows || (a_rows == b_rows && a_first) {
        (a, b)
    } else {
        (b, a)
    };
    JoinTree::Join {
        probe: Box::new(probe),
        build: Box::new(build),
        rows,
    }
}

/// A left-deep order that follows the inputs as written: from the first,
/// each join adds the first input not yet joined that a condition links to
/// those joined (the first remaining one, in a cross product, when none
/// is), probing what is joined so far and building the new input. Rows are
/// not estimated (NaN). For plans whose joins are not reordered by cost.
pub fn as_written(inputs: usize, edges: &[Edge]) -> JoinTree {
    let mut joined = BTreeSet::from([0]);
    let mut tree = JoinTree::Leaf(0);
    while joined.len() < inputs {
        let linked = |i: usize| {
            edges.iter().any(|e| {
                e.leaves.contains(&i) && e.leaves.iter().all(|l| *l == i || joined.contains(l))
            })
        };
        let mut remaining = (0..inputs).filter(|i| !joined.contains(i));
        let Some(first) = remaining.clone().next() else {
            break;
        };
        let next = remaining.find(|&i| linked(i)).unwrap_or(first);
        tree = JoinTree::Join {
            probe: Box::new(tree),
            build: Box::new(JoinTree::Leaf(next)),
            rows: f64::NAN,
        };
        joined.insert(next);
    }
    tree
}

/// The sets of inputs linked by conditions, each in ascending order,
/// ordered by their first input.
fn connected_parts(n: usize, edges: &[Edge]) -> Vec<Vec<usize>> {
    let mut part: Vec<usize> = (0..n).collect();
    fn root(part: &mut [usize], mut i: usize) -> usize {
        while part[i] != i {
            part[i] = part[part[i]];
            i = part[i];
        }
        i
    }
    for e in edges {
        let mut leaves = e.leaves.iter().copied();
        if let Some(first) = leaves.next() {
            for other in leaves {
                let (a, b) = (root(&mut part, first), root(&mut part, other));
                part[a.max(b)] = a.min(b);
            }
        }
    }
    let mut parts: Vec<Vec<usize>> = vec![];
    let mut roots: Vec<usize> = vec![];
    for i in 0..n {
        let r = root(&mut part, i);
        match roots.iter().position(|&x| x == r) {
            Some(p) => parts[p].push(i),
            None => {
                roots.push(r);
                parts.push(vec![i]);
            }
        }
    }
    parts
}

/// The best plan found for one subset in the dynamic program.
#[derive(Clone)]
struct Best {
    cost: f64,
    rows: f64,
    /// The two halves (bit masks over the part's positions); none for a leaf.
    split: Option<(usize, usize)>,
}

/// The cheapest bushy join tree over `part` (at most [`DP_LIMIT`] inputs)
/// built only from joins that have a condition; `None` when hyperedges
/// leave no such tree.
fn dynamic_programming(estimates: &Estimates<'_>, part: &[usize]) -> Option<JoinTree> {
    let n = part.len();
    let set_of = |mask: usize| -> BTreeSet<usize> {
        (0..n)
            .filter(|bit| mask & (1 << bit) != 0)
            .map(|bit| part[bit])
            .collect()
    };
    let mut best: Vec<Option<Best>> = vec![None; 1 << n];
    for (bit, &leaf) in part.iter().enumerate() {
        best[1 << bit] = Some(Best {
            cost: 0.0,
            rows: estimates.rows[leaf],
            split: None,
        });
    }
    for mask in 1..(1usize << n) {
        if mask.count_ones() < 2 {
            continue;
        }
        let lowest = mask & mask.wrapping_neg();
        let rest = mask ^ lowest;
        let mut rows = None;
        // Every split whose first half holds the lowest input, so each
        // unordered pair is seen once.
        let mut sub = rest;
        loop {
            let first = lowest | sub;
            let second = mask ^ first;
            if second != 0 {
                if let (Some(a), Some(b)) = (&best[first], &best[second]) {
                    if estimates.connected(&set_of(first), &set_of(second)) {
                        let r = *rows.get_or_insert_with(|| estimates.rows_of(&set_of(mask)));
                        let cost = a.cost + b.cost + r + a.rows.min(b.rows);
                        if best[mask].as_ref().is_none_or(|x| cost < x.cost) {
                            best[mask] = Some(Best {
                                cost,
                                rows: r,
                                split: Some((first, second)),
                            });
                        }
                    }
                }
            }
            if sub == 0 {
                break;
            }
            sub = (sub - 1) & rest;
        }
    }
    fn build(best: &[Option<Best>], part: &[usize], mask: usize) -> Option<JoinTree> {
        let entry = best[mask].as_ref()?;
        match entry.split {
            None => Some(JoinTree::Leaf(part[mask.trailing_zeros() as usize])),
            Some((a, b)) => {
                let (ra, rb) = (best[a].as_ref()?.rows, best[b].as_ref()?.rows);
                let (ta, tb) = (build(best, part, a)?, build(best, part, b)?);
                Some(join(ta, ra, tb, rb, entry.rows))
            }
        }
    }
    build(&best, part, (1 << n) - 1)
}

/// Joins the inputs of `part` one pair at a time, always the connected
/// pair with the smallest result (a cross product of the two smallest when
/// no pair is connected).
fn greedy(estimates: &Estimates<'_>, part: &[usize]) -> JoinTree {
    let mut trees: Vec<(JoinTree, BTreeSet<usize>, f64)> = part
        .iter()
        .map(|&i| (JoinTree::Leaf(i), BTreeSet::from([i]), estimates.rows[i]))
        .collect();
    while trees.len() > 1 {
        let mut best: Option<(usize, usize, f64)> = None;
        for (a, b) in linked_pairs(estimates.edges, &trees) {
            let union: BTreeSet<usize> = trees[a].1.union(&trees[b].1).copied().collect();
            let rows = estimates.rows_of(&union);
            if best.is_none_or(|(_, _, r)| rows < r) {
                best = Some((a, b, rows));
            }
        }
        let (a, b, rows) = best.unwrap_or_else(|| {
            let mut by_size: Vec<usize> = (0..trees.len()).collect();
            by_size.sort_by(|&x, &y| trees[x].2.total_cmp(&trees[y].2));
            let (x, y) = (by_size[0].min(by_size[1]), by_size[0].max(by_size[1]));
            (x, y, trees[x].2 * trees[y].2)
        });
        let (tb, sb, rb) = trees.remove(b);
        let (ta, sa, ra) = trees.remove(a);
        let union = sa.union(&sb).copied().collect();
        trees.push((join(ta, ra, tb, rb, rows), union, rows));
    }
    trees.pop().map_or(JoinTree::Leaf(0), |(tree, _, _)| tree)
}

/// The pairs `(a, b)`, `a < b`, of `trees` (each with the set of inputs it
/// joins) that some condition links: one reading both and nothing outside
/// them. Found from the conditions rather than by trying every pair, so
/// that greedy ordering stays fast over hundreds of inputs.
fn linked_pairs<T>(
    edges: &[Edge],
    trees: &[(T, BTreeSet<usize>, f64)],
) -> BTreeSet<(usize, usize)> {
    let mut owner = std::collections::HashMap::new();
    for (index, (_, leaves, _)) in trees.iter().enumerate() {
        owner.extend(leaves.iter().map(|&leaf| (leaf, index)));
    }
    edges
        .iter()
        .filter_map(|e| {
            let owners: Option<BTreeSet<usize>> =
                e.leaves.iter().map(|l| owner.get(l).copied()).collect();
            match owners?.into_iter().collect::<Vec<_>>()[..] {
                [a, b] => Some((a, b)),
                _ => None,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::*;

    fn edge(expr: Expr, leaves: &[usize]) -> Edge {
        Edge {
            expr,
            leaves: leaves.iter().copied().collect(),
        }
    }

    /// The tree as text: `(probe ⋈ build)` with input numbers.
    fn text(tree: &JoinTree) -> String {
        match tree {
            JoinTree::Leaf(i) => i.to_string(),
            JoinTree::Join { probe, build, .. } => format!("({} ⋈ {})", text(probe), text(build)),
        }
    }

    /// A chain t0 - t1 - t2 - t3 joined on column a, with the given rows
    /// and distinct counts of a.
    fn chain(sizes: &[(usize, i64)]) -> (Vec<LogicalPlan>, Vec<f64>, Vec<Edge>) {
        let names: Vec<String> = (0..sizes.len()).map(|i| format!("t{i}")).collect();
        let inputs: Vec<LogicalPlan> = sizes
            .iter()
            .zip(&names)
            .map(|(&(rows, distinct), name)| {
                stats_scan(name, rows, 1, distinct, 0).as_ref().clone()
            })
            .collect();
        let rows = sizes.iter().map(|&(r, _)| r as f64).collect();
        let edges = (1..sizes.len())
            .map(|i| {
                edge(
                    eq(qcol(&names[i - 1], "a"), qcol(&names[i], "a")),
                    &[i - 1, i],
                )
            })
            .collect();
        (inputs, rows, edges)
    }

    #[test]
    fn the_selective_end_of_a_chain_is_joined_first() {
        // t3 has one distinct key: joining it to t2 first keeps every
        // intermediate result at 10 rows.
        let (inputs, rows, edges) = chain(&[
            (100_000, 100_000),
            (100_000, 100_000),
            (1000, 1000),
            (10, 1),
        ]);
        let tree = order(&inputs, &rows, &edges);
        assert_eq!(text(&tree), "(0 ⋈ (1 ⋈ (2 ⋈ 3)))");
    }

    #[test]
    fn a_star_joins_its_most_selective_dimension_first() {
        // Fact t0 (a in 1..=1000) with dimensions of 1000, 100 and 10 rows.
        let (inputs, rows, _) = chain(&[(1_000_000, 1000), (1000, 1000), (100, 100), (10, 10)]);
        let edges: Vec<Edge> = (1..4)
            .map(|i| edge(eq(qcol("t0", "a"), qcol(&format!("t{i}"), "a")), &[0, i]))
            .collect();
        let e = Estimates::new(&inputs, &rows, &edges);
        let dp = dynamic_programming(&e, &[0, 1, 2, 3]).unwrap();
        assert_eq!(text(&dp), "(((0 ⋈ 3) ⋈ 2) ⋈ 1)");
        assert_eq!(greedy(&e, &[0, 1, 2, 3]), dp);
    }

    #[test]
    fn separate_parts_meet_in_a_cross_product_of_the_smaller_last() {
        let (inputs, rows, _) = chain(&[(10, 10), (20, 20), (30, 30)]);
        let edges = vec![edge(eq(qcol("t0", "a"), qcol("t2", "a")), &[0, 2])];
        let tree = order(&inputs, &rows, &edges);
        assert_eq!(text(&tree), "(1 ⋈ (2 ⋈ 0))");
    }

    #[test]
    fn a_condition_over_three_inputs_falls_back_to_greedy() {
        let (inputs, rows, _) = chain(&[(10, 10), (20, 20), (30, 30)]);
        let sum = qcol("t0", "a").binary(Operator::Plus, qcol("t1", "a"));
        let edges = vec![edge(eq(sum, qcol("t2", "a")), &[0, 1, 2])];
        let tree = order(&inputs, &rows, &edges);
        assert_eq!(tree.leaves(), BTreeSet::from([0, 1, 2]));
    }
}
