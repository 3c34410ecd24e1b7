//! A projection directly over another projection becomes one, its
//! expressions written over the inner projection's input; a projection that
//! passes its input's columns through unchanged disappears. Derived tables,
//! views and pushed-down filters leave such stacks (`SELECT * FROM (SELECT
//! a, count(*) AS n …)`), and each level copies every column of every batch.
//!
//! Two projections merge only when that computes nothing twice: an inner
//! expression more complex than a column or constant may be used at most
//! once above. The merged projection must produce exactly the outer one's
//! columns (names, qualifiers, types), or the two stay.

use std::sync::Arc;

use quiver_expr::logical_plan::Projection;
use quiver_expr::{Expr, LogicalPlan, Result};

use crate::{map_inputs, OptimizerRule, Transformed};

/// Collapses stacked projections and removes pass-through ones.
pub struct MergeProjections;

impl OptimizerRule for MergeProjections {
    fn name(&self) -> &'static str {
        "merge_projections"
    }
    fn rewrite(&self, plan: LogicalPlan) -> Result<Transformed<LogicalPlan>> {
        rewrite(&plan)
    }
}

fn rewrite(plan: &LogicalPlan) -> Result<Transformed<LogicalPlan>> {
    map_inputs(plan, rewrite)?.and_then(|plan| {
        let LogicalPlan::Projection(outer) = &plan else {
            return Ok(Transformed::no(plan));
        };
        if let LogicalPlan::Projection(inner) = outer.input.as_ref() {
            if let Some(merged) = merged(outer, inner)? {
                return Ok(Transformed::yes(unwrapped_if_pass_through(merged).data));
            }
        }
        Ok(unwrapped_if_pass_through(plan))
    })
}

/// `outer` over `inner` as one projection, when that is exact and computes
/// nothing twice.
fn merged(outer: &Projection, inner: &Projection) -> Result<Option<LogicalPlan>> {
    let mut uses = vec![0usize; inner.exprs.len()];
    for e in &outer.exprs {
        e.visit(&mut |sub| {
            if let Expr::Column(c) = sub {
                if let Ok(Some(i)) = inner.schema.find(c) {
                    uses[i] += 1;
                }
            }
        });
    }
    let computed_twice = inner
        .exprs
        .iter()
        .zip(&uses)
        .any(|(e, &n)| n > 1 && !matches!(e.unalias(), Expr::Column(_) | Expr::Literal(_)));
    if computed_twice {
        return Ok(None);
    }
    let mut missing = false;
    let exprs = outer
        .exprs
        .iter()
        .zip(outer.schema.fields())
        .map(|(e, field)| {
            let substituted = e.clone().rewrite(&mut |sub| {
                let Expr::Column(c) = sub else {
                    return Ok(None);
                };
                match inner.schema.find(c) {
                    Ok(Some(i)) => Ok(Some(inner.exprs[i].unalias().clone())),
                    _ => {
                        missing = true;
                        Ok(None)
                    }
                }
            })?;
            let unchanged_name = substituted.output_name() == *field.field.name()
                && matches!(substituted, Expr::Column(_));
            Ok(if unchanged_name {
                substituted
            } else {
                substituted.unalias().clone().alias(field.field.name())
            })
        })
        .collect::<Result<Vec<_>>>()?;
    if missing {
        return Ok(None);
    }
    let projection = Projection::try_new(exprs, Arc::clone(&inner.input))?;
    Ok((projection.schema == outer.schema).then_some(LogicalPlan::Projection(projection)))
}

/// `plan`'s input when `plan` is a projection that outputs exactly its
/// input's columns.
fn unwrapped_if_pass_through(plan: LogicalPlan) -> Transformed<LogicalPlan> {
    match &plan {
        LogicalPlan::Projection(p)
            if p.input.schema() == p.schema.as_ref()
                && p.exprs.iter().all(|e| matches!(e, Expr::Column(_))) =>
        {
            Transformed::yes(p.input.as_ref().clone())
        }
        _ => Transformed::no(plan),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::*;
    use quiver_expr::{Column, Operator};

    fn merged_text(plan: Arc<LogicalPlan>) -> String {
        rewritten_text(&MergeProjections, plan)
    }

    fn bare(name: &str) -> Expr {
        Expr::Column(Column::new(None::<&str>, name))
    }

    #[test]
    fn stacked_projections_become_one_with_the_outer_names() {
        let plus = col("a").binary(Operator::Plus, lit(1));
        let inner = project(vec![plus.alias("x"), col("b")], scan());
        let outer = project(vec![col("b"), bare("x").alias("y")], inner);
        assert_eq!(
            merged_text(outer),
            "Projection: t.b, (t.a + 1) AS y\n  TableScan: t projection=[a, b, c, s]\n"
        );
    }

    #[test]
    fn an_expression_used_twice_above_stays_computed_once() {
        let plus = col("a").binary(Operator::Plus, lit(1));
        let inner = project(vec![plus.alias("x")], scan());
        let twice = bare("x").binary(Operator::Multiply, bare("x"));
        let outer = project(vec![twice.alias("sq")], inner);
        let text = merged_text(outer);
        assert_eq!(text.matches("Projection").count(), 2, "{text}");
    }

    #[test]
    fn a_projection_of_all_input_columns_in_order_disappears() {
        let inner = project(vec![col("b"), col("a")], scan());
        let outer = project(vec![col("b"), col("a")], inner);
        assert_eq!(
            merged_text(outer),
            "Projection: t.b, t.a\n  TableScan: t projection=[a, b, c, s]\n"
        );
        let all = project(vec![col("a"), col("b"), col("c"), col("s")], scan());
        assert_eq!(merged_text(all), "TableScan: t projection=[a, b, c, s]\n");
    }
}
