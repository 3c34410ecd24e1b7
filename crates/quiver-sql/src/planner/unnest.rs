//! `unnest(l)` in the select list: each distinct call becomes a column of
//! an unnest operator placed below the select list (after grouping and
//! windows), and the call becomes a reference to that column. Several
//! calls unnest side by side, the shorter lists padded with NULL, as in
//! DuckDB. In FROM, `unnest(list)` unnests over the items before it, so
//! `FROM t, unnest(t.l) AS u(x)` reads `t`'s lists (a lateral reference).

use std::sync::Arc;

use quiver_expr::logical_plan::{one_row, Projection, Unnest, UnnestColumn};
use quiver_expr::ScalarValue;
use quiver_expr::{Column, Expr, LogicalPlan, QuiverError, Result};
use sqlparser::ast::TableFactor;

use super::SqlPlanner;

/// `plan` with `lists` (expressions over it) added as columns and unnested,
/// the elements named by `outputs` (qualifier, name).
fn unnest_over(
    plan: LogicalPlan,
    lists: Vec<Expr>,
    outputs: Vec<(Option<String>, String)>,
) -> Result<LogicalPlan> {
    let mut exprs: Vec<Expr> = plan
        .schema()
        .fields()
        .iter()
        .map(|f| Expr::Column(f.column()))
        .collect();
    let mut columns = vec![];
    for (i, (list, (qualifier, name))) in lists.into_iter().zip(outputs).enumerate() {
        columns.push(UnnestColumn {
            input: exprs.len(),
            qualifier,
            name,
        });
        exprs.push(list.alias(format!("__unnest_list_{i}")));
    }
    let projected = LogicalPlan::Projection(Projection::try_new(exprs, Arc::new(plan))?);
    Ok(LogicalPlan::Unnest(Unnest::try_new(
        Arc::new(projected),
        columns,
    )?))
}

/// Whether `e` is a call of `unnest`.
fn is_unnest(e: &Expr) -> bool {
    matches!(e, Expr::ScalarFunction(f, _) if f.0.name() == "unnest")
}

impl SqlPlanner<'_> {
    /// `plan` with the unnest calls of `computed` (expressions over
    /// `plan`) unnested, and `computed` rewritten to read their elements;
    /// unchanged when there are none.
    pub(crate) fn plan_unnests(
        &self,
        plan: LogicalPlan,
        computed: Vec<Expr>,
    ) -> Result<(LogicalPlan, Vec<Expr>)> {
        let mut calls: Vec<Expr> = vec![];
        for e in &computed {
            e.any(&mut |x| {
                if is_unnest(x) && !calls.contains(x) {
                    calls.push(x.clone());
                }
                false
            });
        }
        if calls.is_empty() {
            return Ok((plan, computed));
        }
        for call in &calls {
            let Expr::ScalarFunction(_, args) = call else {
                continue;
            };
            if args.iter().any(|a| a.any(&mut is_unnest)) {
                return Err(QuiverError::NotImplemented(
                    "unnest of an unnest is not supported; unnest once and flatten() the list"
                        .into(),
                ));
            }
        }
        let names: Vec<String> = (0..calls.len()).map(|i| format!("__unnest_{i}")).collect();
        let lists = calls
            .iter()
            .filter_map(|call| match call {
                Expr::ScalarFunction(_, args) => args.first().cloned(),
                _ => None,
            })
            .collect();
        let outputs = names.iter().map(|n| (None, n.clone())).collect();
        let unnested = unnest_over(plan, lists, outputs)?;
        let rewritten = computed
            .into_iter()
            .map(|e| {
                e.rewrite(&mut |x| {
                    Ok(calls
                        .iter()
                        .position(|c| c == x)
                        .map(|i| Expr::Column(Column::bare(&names[i]))))
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((unnested, rewritten))
    }

    /// `UNNEST(list, ..) [WITH ORDINALITY] [AS u(x, ..)]` as a FROM item
    /// after `left` (the items before it, or one row): `left`'s rows
    /// repeated per element, the lists side by side; the lists may read
    /// `left`'s columns. The elements' columns are `unnest` (then
    /// `unnest_2`, …) or named by the alias (`AS u` names the first `u`),
    /// qualified by it; `WITH ORDINALITY` adds `ordinality`, the element's
    /// position from 1.
    pub(crate) fn unnest_in_from(
        &self,
        left: Option<LogicalPlan>,
        item: &TableFactor,
    ) -> Result<LogicalPlan> {
        let TableFactor::UNNEST {
            alias,
            array_exprs,
            with_offset,
            with_ordinality,
            ..
        } = item
        else {
            return Err(QuiverError::Internal("not an UNNEST item".into()));
        };
        if *with_offset {
            return Err(QuiverError::NotImplemented(
                "UNNEST … WITH OFFSET is not supported; use WITH ORDINALITY".into(),
            ));
        }
        let left = left.unwrap_or_else(one_row);
        let schema = left.schema().clone();
        let mut lists = vec![];
        for e in array_exprs {
            let call = self.call_scalar("unnest", vec![self.sql_to_expr(e, &schema)?], &schema)?;
            if let Expr::ScalarFunction(_, mut args) = call {
                lists.push(args.remove(0));
            }
        }
        if *with_ordinality {
            let first = lists
                .first()
                .cloned()
                .ok_or_else(|| QuiverError::Plan("UNNEST needs a list".into()))?;
            let length = self.call_scalar("length", vec![first], &schema)?;
            let one = Expr::Literal(ScalarValue::Int64(Some(1)));
            lists.push(self.call_scalar("generate_series", vec![one, length], &schema)?);
        }
        let mut names: Vec<String> = (0..array_exprs.len())
            .map(|i| match i {
                0 => "unnest".to_string(),
                i => format!("unnest_{}", i + 1),
            })
            .collect();
        if *with_ordinality {
            names.push("ordinality".into());
        }
        let qualifier = alias.as_ref().map(|a| a.name.value.clone());
        if let Some(a) = alias {
            if a.columns.len() > names.len() {
                return Err(QuiverError::Plan(format!(
                    "UNNEST gives {} columns, but the alias names {}",
                    names.len(),
                    a.columns.len()
                )));
            }
            if a.columns.is_empty() && array_exprs.len() == 1 {
                names[0] = a.name.value.clone();
            }
            for (name, column) in names.iter_mut().zip(&a.columns) {
                *name = column.name.value.clone();
            }
        }
        let outputs = names.into_iter().map(|n| (qualifier.clone(), n)).collect();
        unnest_over(left, lists, outputs)
    }
}
