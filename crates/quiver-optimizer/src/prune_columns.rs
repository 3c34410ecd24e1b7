//! Column pruning: every table scan reads only the columns some operator
//! above it uses.

use std::collections::BTreeSet;
use std::sync::Arc;

use quiver_expr::logical_plan::{
    Expand, Projection, SubqueryAlias, TableScan, Unnest, UnnestColumn, Window,
};
use quiver_expr::{Column, Expr, LogicalPlan, QSchema, Result};

use crate::{OptimizerRule, Transformed};

/// Narrows table scans to the columns that are used.
pub struct PruneColumns;

/// Indices in `schema` of the columns `exprs` use.
fn used(schema: &QSchema, exprs: impl IntoIterator<Item = Expr>) -> Result<BTreeSet<usize>> {
    let mut out = BTreeSet::new();
    for e in exprs {
        for c in e.columns() {
            if let Some(i) = schema.find(&c)? {
                out.insert(i);
            }
        }
    }
    Ok(out)
}

fn all(schema: &QSchema) -> BTreeSet<usize> {
    (0..schema.len()).collect()
}

/// Rewrites `plan` so that it still produces (at least) the columns at
/// `required`, reading as little as possible below. Parents refer to columns
/// by name, so a child may drop columns nobody needs.
fn prune(plan: &LogicalPlan, required: &BTreeSet<usize>) -> Result<LogicalPlan> {
    let columns_of =
        |exprs: &[Expr], input: &LogicalPlan| used(input.schema(), exprs.iter().cloned());
    match plan {
        LogicalPlan::TableScan(scan) => {
            let mut keep: Vec<usize> = required.iter().copied().collect();
            if keep.is_empty() && !scan.schema.is_empty() {
                // Row counts still need one column to be read.
                keep.push(0);
            }
            let base: Vec<usize> = match &scan.projection {
                Some(p) => keep.iter().map(|&i| p[i]).collect(),
                None => keep,
            };
            Ok(LogicalPlan::TableScan(TableScan {
                fetch: scan.fetch,
                ..TableScan::try_new(&scan.table_name, Arc::clone(&scan.source), Some(base))?
            }))
        }
        LogicalPlan::Projection(p) => {
            // Parents find columns by name, so unused outputs can go (one
            // stays so that rows are still counted).
            let mut kept: Vec<usize> = (0..p.exprs.len())
                .filter(|i| required.contains(i))
                .collect();
            if kept.is_empty() && !p.exprs.is_empty() {
                kept.push(0);
            }
            let exprs: Vec<Expr> = kept.iter().map(|&i| p.exprs[i].clone()).collect();
            let hidden: Vec<bool> = kept.iter().map(|&i| p.schema.field(i).hidden).collect();
            let need = columns_of(&exprs, &p.input)?;
            let input = Arc::new(prune(&p.input, &need)?);
            Ok(LogicalPlan::Projection(
                Projection::try_new(exprs, input)?.with_hidden(&hidden),
            ))
        }
        LogicalPlan::Expand(e) => {
            // Like a projection, list by list; one column stays so that
            // rows are still counted.
            let mut keep: Vec<usize> = required.iter().copied().collect();
            if keep.is_empty() {
                keep.push(0);
            }
            let lists: Vec<Vec<Expr>> = e
                .projections
                .iter()
                .map(|list| keep.iter().map(|&i| list[i].clone()).collect())
                .collect();
            let need = columns_of(&lists.concat(), &e.input)?;
            let input = Arc::new(prune(&e.input, &need)?);
            Ok(LogicalPlan::Expand(Expand::try_new(input, lists)?))
        }
        LogicalPlan::Unnest(u) => {
            // The output keeps the input's layout; the unnested lists are
            // needed whether or not their elements are (they decide how
            // many rows there are), and are found again by name.
            let mut need = required.clone();
            need.extend(u.positions());
            let input = prune(&u.input, &need)?;
            let columns = u
                .columns
                .iter()
                .map(|c| {
                    let name = u.input.schema().field(c.input).column();
                    Ok(UnnestColumn {
                        input: input.schema().index_of(&name)?,
                        ..c.clone()
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(LogicalPlan::Unnest(Unnest::try_new(
                Arc::new(input),
                columns,
            )?))
        }
        LogicalPlan::Filter(f) => {
            let mut need = required.clone();
            need.extend(columns_of(std::slice::from_ref(&f.predicate), &f.input)?);
            plan.with_new_inputs(vec![Arc::new(prune(&f.input, &need)?)])
        }
        LogicalPlan::Aggregate(a) => {
            let exprs: Vec<Expr> = a.group_exprs.iter().chain(&a.aggr_exprs).cloned().collect();
            let need = columns_of(&exprs, &a.input)?;
            plan.with_new_inputs(vec![Arc::new(prune(&a.input, &need)?)])
        }
        LogicalPlan::Window(w) => {
            // Unused window calls are not computed; with none left, the
            // operator goes.
            let width = w.input.schema().len();
            let calls: Vec<Expr> = w
                .window_exprs
                .iter()
                .enumerate()
                .filter(|(j, _)| required.contains(&(width + j)))
                .map(|(_, e)| e.clone())
                .collect();
            let mut need: BTreeSet<usize> =
                required.iter().copied().filter(|&i| i < width).collect();
            need.extend(columns_of(&calls, &w.input)?);
            let input = Arc::new(prune(&w.input, &need)?);
            if calls.is_empty() {
                return Ok(Arc::unwrap_or_clone(input));
            }
            Ok(LogicalPlan::Window(Window::try_new(input, calls)?))
        }
        LogicalPlan::Sort(s) => {
            let mut need = required.clone();
            let keys: Vec<Expr> = s.exprs.iter().map(|k| k.expr.clone()).collect();
            need.extend(columns_of(&keys, &s.input)?);
            plan.with_new_inputs(vec![Arc::new(prune(&s.input, &need)?)])
        }
        LogicalPlan::Limit(l) => plan.with_new_inputs(vec![Arc::new(prune(&l.input, required)?)]),
        LogicalPlan::SubqueryAlias(a) => {
            let input = prune(&a.input, required)?;
            // The alias renames by position: carry each surviving column's name.
            let old = a.input.schema();
            let names = input
                .schema()
                .fields()
                .iter()
                .map(|f| {
                    Ok(a.schema
                        .field(old.index_of(&Column::new(f.qualifier.clone(), f.name()))?)
                        .name()
                        .to_string())
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(LogicalPlan::SubqueryAlias(SubqueryAlias::try_new(
                Arc::new(input),
                &a.alias,
                &names,
            )?))
        }
        LogicalPlan::Explain(e) => {
            plan.with_new_inputs(vec![Arc::new(prune(&e.plan, &all(e.plan.schema()))?)])
        }
        LogicalPlan::AsofJoin(j) => {
            // Each side keeps the columns asked of it and those its keys
            // and time read.
            let (ls, rs) = (j.left.schema(), j.right.schema());
            let mut left_need = BTreeSet::new();
            let mut right_need = BTreeSet::new();
            for &i in required {
                match i.checked_sub(ls.len()) {
                    None => left_need.insert(i),
                    Some(r) => right_need.insert(r),
                };
            }
            for (l, r) in j.on.iter().chain(std::iter::once(&j.times)) {
                left_need.extend(used(ls, [l.clone()])?);
                right_need.extend(used(rs, [r.clone()])?);
            }
            plan.with_new_inputs(vec![
                Arc::new(prune(&j.left, &left_need)?),
                Arc::new(prune(&j.right, &right_need)?),
            ])
        }
        LogicalPlan::Join(j) => {
            let (ls, rs) = (j.left.schema(), j.right.schema());
            let mut left_need = BTreeSet::new();
            let mut right_need = BTreeSet::new();
            for &i in required {
                let Some(f) = j.schema.fields().get(i) else {
                    continue;
                };
                let c = f.column();
                if j.join_type.outputs_left() {
                    if let Some(k) = ls.find(&c)? {
                        left_need.insert(k);
                        continue;
                    }
                }
                if j.join_type.outputs_right() {
                    if let Some(k) = rs.find(&c)? {
                        right_need.insert(k);
                    }
                }
            }
            for (l, r) in &j.on {
                left_need.extend(used(ls, [l.clone()])?);
                right_need.extend(used(rs, [r.clone()])?);
            }
            if let Some(f) = &j.filter {
                left_need.extend(used(ls, [f.clone()])?);
                right_need.extend(used(rs, [f.clone()])?);
            }
            plan.with_new_inputs(vec![
                Arc::new(prune(&j.left, &left_need)?),
                Arc::new(prune(&j.right, &right_need)?),
            ])
        }
        LogicalPlan::Values(_) | LogicalPlan::EmptyRelation(_) | LogicalPlan::Ddl(_) => {
            Ok(plan.clone())
        }
        // Any other operator (UNION, INTERSECT, EXCEPT, whose inputs line
        // up by position) keeps every column of its inputs, and each input
        // is pruned below that.
        _ => {
            let inputs = plan
                .inputs()
                .into_iter()
                .map(|i| prune(i, &all(i.schema())).map(Arc::new))
                .collect::<Result<Vec<_>>>()?;
            plan.with_new_inputs(inputs)
        }
    }
}

impl OptimizerRule for PruneColumns {
    fn name(&self) -> &'static str {
        "prune_columns"
    }
    fn rewrite(&self, plan: LogicalPlan) -> Result<Transformed<LogicalPlan>> {
        let rewritten = prune(&plan, &all(plan.schema()))?;
        Ok(Transformed::compared(&plan, rewritten))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::*;
    use quiver_expr::logical_plan::{Aggregate, SubqueryAlias};

    fn pruned(plan: &LogicalPlan) -> String {
        rewritten(&PruneColumns, plan).display_indent()
    }

    #[test]
    fn scans_read_only_used_columns() {
        let plan = project(vec![col("a")], filter(gt(col("c"), lit(1)), scan()));
        assert_eq!(
            pruned(&plan),
            "Projection: t.a\n  Filter: (t.c > 1)\n    TableScan: t projection=[a, c]\n"
        );
    }

    #[test]
    fn aliases_keep_their_column_names() {
        let aliased = Arc::new(LogicalPlan::SubqueryAlias(
            SubqueryAlias::try_new(
                scan(),
                "x",
                &["p".into(), "q".into(), "r".into(), "u".into()],
            )
            .unwrap(),
        ));
        let plan = project(vec![Expr::Column(Column::new(Some("x"), "r"))], aliased);
        assert_eq!(
            pruned(&plan),
            "Projection: x.r\n  SubqueryAlias: x\n    TableScan: t projection=[c]\n"
        );
    }

    #[test]
    fn unused_window_calls_are_not_computed() {
        let sum_b = sum_over(col("b"), vec![col("a")]);
        let sum_c = sum_over(col("c"), vec![col("a")]);
        let window = windowed(vec![sum_b.clone(), sum_c], scan());
        let used = Expr::Column(Column::new(None::<&str>, sum_b.to_string()));
        assert_eq!(
            pruned(&project(vec![used], Arc::clone(&window))),
            "Projection: sum(t.b) OVER (PARTITION BY t.a)\n  \
             Window: sum(t.b) OVER (PARTITION BY t.a)\n    \
             TableScan: t projection=[a, b]\n"
        );
        assert_eq!(
            pruned(&project(vec![col("c")], window)),
            "Projection: t.c\n  TableScan: t projection=[c]\n"
        );
    }

    #[test]
    fn count_star_still_reads_one_column() {
        let plan = LogicalPlan::Aggregate(Aggregate::try_new(scan(), vec![], vec![]).unwrap());
        assert_eq!(
            pruned(&plan),
            "Aggregate: groupBy=[], aggr=[]\n  TableScan: t projection=[a]\n"
        );
    }
}
