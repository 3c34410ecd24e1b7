//! `PIVOT` and `UNPIVOT`: the SQL-standard forms in FROM and DuckDB's
//! statements (`pivot_statement.rs`), written as the queries they stand
//! for and planned as those:
//!
//! - Unpivoting columns `a, b AS bb` of `t` into `name` and `value`: the
//!   other columns of `t`, then `name` (the column's name, or its alias)
//!   and `value`, one row per row of `t` and listed column, as
//!   `unnest(['a', 'bb'])` beside `unnest([a, b])`; rows whose value is
//!   NULL are left out unless `INCLUDE NULLS`.
//! - Pivoting `t` on `c` with aggregates `agg(x) [AS s], …`: grouped by the
//!   columns of `t` that neither `c` nor the aggregates read (or by the
//!   statement's `GROUP BY`), one column per value of `c` (and aggregate:
//!   `v1_s`), each the aggregate `FILTER (WHERE c = v1)` (`c IS NULL` for
//!   a NULL value). Pivoting on several expressions makes a column per combination
//!   of their values (`v1_w1`). Values not listed are the distinct non-NULL
//!   values in the data, in ascending order, read before the query is
//!   planned (as DuckDB does).

use std::collections::HashSet;
use std::ops::ControlFlow;

use arrow::array::AsArray;
use arrow::datatypes::DataType;
use quiver_expr::types::sql_type_name;
use quiver_expr::{not_impl_err, LogicalPlan, QuiverError, Result};
use sqlparser::ast::{
    self, visit_expressions, visit_expressions_mut, ExprWithAlias, Ident, NullInclusion,
    OrderByExpr, PivotValueSource, TableAlias, TableFactor,
};

use super::SqlPlanner;
use crate::pivot_statement::{
    parse_reshape, PivotStatement, PivotValues, Reshape, UnpivotStatement,
};

/// The most columns a pivot may make.
const MAX_PIVOT_COLUMNS: usize = 10_000;

/// One value of a pivoted expression: the SQL that writes it, and the name
/// it gives its columns.
struct PivotValue {
    sql: String,
    name: String,
}

impl SqlPlanner<'_> {
    /// `table UNPIVOT [INCLUDE | EXCLUDE NULLS] (value FOR name IN
    /// (columns))`.
    pub(crate) fn unpivot(
        &self,
        table: &TableFactor,
        value: &ast::Expr,
        name: &Ident,
        columns: &[ExprWithAlias],
        null_inclusion: Option<&NullInclusion>,
        alias: Option<&TableAlias>,
    ) -> Result<LogicalPlan> {
        let ast::Expr::Identifier(value) = value else {
            return not_impl_err!("UNPIVOT value {value} is not supported; give a column name");
        };
        let statement = UnpivotStatement {
            source: table.clone(),
            on: columns.to_vec(),
            name: name.clone(),
            value: value.clone(),
            include_nulls: matches!(null_inclusion, Some(NullInclusion::IncludeNulls)),
            tail: String::new(),
        };
        self.plan_unpivot(&statement, alias)
    }

    /// `table PIVOT (aggregates FOR column IN (values | ANY | subquery)
    /// [DEFAULT ON NULL (value)])`.
    pub(crate) fn pivot(
        &self,
        table: &TableFactor,
        aggregates: &[ExprWithAlias],
        value_column: &[ast::Expr],
        value_source: &PivotValueSource,
        default_on_null: Option<&ast::Expr>,
        alias: Option<&TableAlias>,
    ) -> Result<LogicalPlan> {
        let [column] = value_column else {
            return not_impl_err!("PIVOT … FOR over several columns is not supported");
        };
        let values = match value_source {
            PivotValueSource::List(values) => PivotValues::Listed(values.clone()),
            PivotValueSource::Any(order) => PivotValues::FromData(order.clone()),
            PivotValueSource::Subquery(query) => PivotValues::Query(query.clone()),
        };
        if aggregates.is_empty() {
            return Err(QuiverError::Plan("PIVOT needs an aggregate".into()));
        }
        let statement = PivotStatement {
            source: table.clone(),
            on: vec![(column.clone(), values)],
            using: aggregates.to_vec(),
            group_by: None,
            tail: String::new(),
        };
        self.plan_pivot(&statement, default_on_null, alias)
    }

    /// DuckDB's `PIVOT …` or `UNPIVOT …` statement written as `text`,
    /// planned as a FROM item under `alias`.
    pub(crate) fn reshape_statement(
        &self,
        text: &str,
        alias: Option<&TableAlias>,
    ) -> Result<LogicalPlan> {
        match parse_reshape(text)? {
            Reshape::Pivot(statement) => self.plan_pivot(&statement, None, alias),
            Reshape::Unpivot(statement) => self.plan_unpivot(&statement, alias),
        }
    }

    fn plan_unpivot(
        &self,
        statement: &UnpivotStatement,
        alias: Option<&TableAlias>,
    ) -> Result<LogicalPlan> {
        let source = &statement.source;
        let plan = self.plan_table_factor(source, None)?;
        // Each unpivoted column: its name, and the label its rows get.
        let mut unpivoted = vec![];
        for c in &statement.on {
            match (&c.expr, &c.alias) {
                (ast::Expr::Identifier(column), alias) => {
                    let label = alias.as_ref().unwrap_or(column).value.clone();
                    unpivoted.push((column.value.clone(), label));
                }
                (expr, None) => {
                    // `COLUMNS(…)` and the like: the columns it selects.
                    let query = super::parse_query(&format!("SELECT {expr} FROM {source}"))?;
                    let selected = self.nested(|| self.plan_query(&query))?;
                    let names = column_names(&selected, |_| true);
                    unpivoted.extend(names.into_iter().map(|n| (n.clone(), n)));
                }
                (expr, Some(_)) => {
                    return not_impl_err!(
                        "UNPIVOT of {expr} is not supported; list columns or COLUMNS(…)"
                    )
                }
            }
        }
        if unpivoted.is_empty() {
            return Err(QuiverError::Plan("UNPIVOT needs columns to unpivot".into()));
        }
        let left_out: HashSet<String> = unpivoted.iter().map(|(c, _)| c.to_lowercase()).collect();
        let (labels, columns): (Vec<_>, Vec<_>) = unpivoted
            .into_iter()
            .map(|(column, label)| {
                let label = ast::Value::SingleQuotedString(label).to_string();
                (label, Ident::with_quote('"', column).to_string())
            })
            .unzip();
        let (name, value) = (&statement.name, &statement.value);
        let mut items = kept_columns(&plan, |c| !left_out.contains(&c.to_lowercase()));
        items.push(format!("unnest([{}]) AS {name}", labels.join(", ")));
        items.push(format!("unnest([{}]) AS {value}", columns.join(", ")));
        let mut sql = format!("SELECT {} FROM {source}", items.join(", "));
        if !statement.include_nulls {
            sql = format!("SELECT * FROM ({sql}) AS __unpivot WHERE {value} IS NOT NULL");
        }
        self.planned_as(&format!("{sql} {}", statement.tail), alias)
    }

    fn plan_pivot(
        &self,
        statement: &PivotStatement,
        default_on_null: Option<&ast::Expr>,
        alias: Option<&TableAlias>,
    ) -> Result<LogicalPlan> {
        let source = &statement.source;
        let count_star = [ExprWithAlias {
            expr: super::parse_expression("count(*)")?,
            alias: None,
        }];
        let aggregates = match statement.using.as_slice() {
            [] if !statement.on.is_empty() => &count_star[..],
            given => given,
        };
        let groups = match &statement.group_by {
            Some(keys) => keys.iter().map(ToString::to_string).collect(),
            None => {
                let plan = self.plan_table_factor(source, None)?;
                let on = statement.on.iter().map(|(e, _)| e);
                let read = names_read(on.chain(aggregates.iter().map(|a| &a.expr)));
                kept_columns(&plan, |c| !read.contains(&c.to_lowercase()))
            }
        };
        // Every combination of the pivoted expressions' values: its name
        // and the condition that selects its rows.
        let mut columns = vec![(Vec::<String>::new(), Vec::<String>::new())];
        for (expr, values) in &statement.on {
            let values = self.pivot_values(source, expr, values)?;
            let count = columns.len().saturating_mul(values.len());
            if count > MAX_PIVOT_COLUMNS {
                return Err(QuiverError::Plan(format!(
                    "PIVOT would make {count} columns, more than {MAX_PIVOT_COLUMNS}; \
                     list the values to pivot with IN (…)"
                )));
            }
            columns = columns
                .iter()
                .flat_map(|(names, conditions)| {
                    values.iter().map(move |v| {
                        let mut names = names.clone();
                        names.push(v.name.clone());
                        let mut conditions = conditions.clone();
                        // `=` (which the engine runs faster) where the value
                        // is not NULL, where it means the same.
                        conditions.push(match v.sql.eq_ignore_ascii_case("NULL") {
                            true => format!("({expr}) IS NULL"),
                            false => format!("({expr}) = {}", v.sql),
                        });
                        (names, conditions)
                    })
                })
                .collect();
        }
        let mut items = groups.clone();
        for (names, conditions) in &columns {
            for a in aggregates {
                let mut value = a.expr.clone();
                if !conditions.is_empty() {
                    self.filter_the_aggregate(&mut value, &conditions.join(" AND "))?;
                }
                if let Some(default) = default_on_null {
                    value = super::parse_expression(&format!("coalesce({value}, {default})"))?;
                }
                let name = column_name(names, a, aggregates.len());
                items.push(format!("{value} AS {}", Ident::with_quote('"', name)));
            }
        }
        if items.is_empty() {
            return Err(QuiverError::Plan(
                "PIVOT found no values to make columns of, and no columns to group by".into(),
            ));
        }
        let mut sql = format!("SELECT {} FROM {source}", items.join(", "));
        if !groups.is_empty() {
            sql.push_str(&format!(" GROUP BY {}", groups.join(", ")));
        }
        self.planned_as(&format!("{sql} {}", statement.tail), alias)
    }

    /// Gives the one aggregate call in `e` (a pivot's aggregate expression)
    /// the filter `condition`, beside any it has.
    fn filter_the_aggregate(&self, e: &mut ast::Expr, condition: &str) -> Result<()> {
        let shown = e.to_string();
        let mut calls = 0;
        let mut failed = None;
        let _ = visit_expressions_mut(e, |e| {
            if let ast::Expr::Function(call) = e {
                let name = call.name.to_string();
                if call.over.is_none() && self.provider.aggregate_function(&name).is_some() {
                    calls += 1;
                    let condition = match &call.filter {
                        Some(filter) => format!("({filter}) AND {condition}"),
                        None => condition.to_string(),
                    };
                    match super::parse_expression(&condition) {
                        Ok(c) => call.filter = Some(Box::new(c)),
                        Err(error) => failed = Some(error),
                    }
                }
            }
            ControlFlow::<()>::Continue(())
        });
        if let Some(error) = failed {
            return Err(error);
        }
        if calls != 1 {
            return Err(QuiverError::Plan(format!(
                "a PIVOT's USING expression must hold exactly one aggregate; {shown} holds {calls}"
            )));
        }
        Ok(())
    }

    /// The values of `expr` (over `source`) that a pivot makes columns of.
    fn pivot_values(
        &self,
        source: &TableFactor,
        expr: &ast::Expr,
        values: &PivotValues,
    ) -> Result<Vec<PivotValue>> {
        let query = match values {
            PivotValues::Listed(listed) => {
                return Ok(listed
                    .iter()
                    .map(|v| PivotValue {
                        sql: v.expr.to_string(),
                        name: v
                            .alias
                            .as_ref()
                            .map_or_else(|| literal_text(&v.expr), |a| a.value.clone()),
                    })
                    .collect())
            }
            PivotValues::Query(query) => format!(
                "SELECT CAST(v AS VARCHAR), v FROM ({query}) AS __pivot_values(v) \
                 WHERE v IS NOT NULL"
            ),
            PivotValues::FromData(order) => format!(
                "SELECT CAST(v AS VARCHAR), v FROM (SELECT DISTINCT {expr} AS v FROM {source}) \
                 AS __pivot_values WHERE v IS NOT NULL ORDER BY v{}",
                value_order(expr, order)?
            ),
        };
        let plan = self.nested(|| self.plan_query(&super::parse_query(&query)?))?;
        let value_type = plan.schema().field(1).field.data_type().clone();
        let batches = self.provider.run_query(plan)?;
        let mut seen = HashSet::new();
        let mut found = vec![];
        for batch in &batches {
            let texts = arrow::compute::cast(batch.column(0), &DataType::Utf8)?;
            for text in texts.as_string::<i32>().iter().flatten() {
                if seen.insert(text.to_string()) {
                    found.push(PivotValue {
                        sql: typed_literal(text, &value_type),
                        name: text.to_string(),
                    });
                }
            }
            if found.len() > MAX_PIVOT_COLUMNS {
                return Err(QuiverError::Plan(format!(
                    "PIVOT on {expr} would make more than {MAX_PIVOT_COLUMNS} columns; \
                     list the values to pivot with IN (…)"
                )));
            }
        }
        Ok(found)
    }

    /// The query `sql` (written here), planned as a FROM item under
    /// `alias`.
    fn planned_as(&self, sql: &str, alias: Option<&TableAlias>) -> Result<LogicalPlan> {
        let query = super::parse_query(sql)?;
        let plan = self.nested(|| self.plan_query(&query))?;
        match alias {
            Some(a) => self.apply_alias(plan, a),
            None => Ok(plan),
        }
    }
}

/// The direction of `IN (ANY ORDER BY …)`, which may order by the pivoted
/// expression only: ` DESC`, ` ASC` or nothing.
fn value_order(expr: &ast::Expr, order: &[OrderByExpr]) -> Result<String> {
    match order {
        [] => Ok(String::new()),
        [key] if key.expr.to_string().eq_ignore_ascii_case(&expr.to_string()) => {
            Ok(match key.options.asc {
                Some(false) => " DESC".into(),
                _ => String::new(),
            })
        }
        _ => not_impl_err!("PIVOT … IN (ANY ORDER BY …) by anything but {expr}"),
    }
}

/// The SQL literal of the value whose text is `text`, of type `value_type`.
fn typed_literal(text: &str, value_type: &DataType) -> String {
    let quoted = ast::Value::SingleQuotedString(text.to_string()).to_string();
    match value_type {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => quoted,
        other => format!("CAST({quoted} AS {})", sql_type_name(other)),
    }
}

/// The lower-cased names of the columns `exprs` read.
fn names_read<'e>(exprs: impl Iterator<Item = &'e ast::Expr>) -> HashSet<String> {
    let mut read = HashSet::new();
    for e in exprs {
        let _ = visit_expressions(e, |e| {
            match e {
                ast::Expr::Identifier(i) => read.insert(i.value.to_lowercase()),
                ast::Expr::CompoundIdentifier(parts) => parts
                    .last()
                    .is_some_and(|i| read.insert(i.value.to_lowercase())),
                _ => false,
            };
            ControlFlow::<()>::Continue(())
        });
    }
    read
}

/// The name of a pivot's column for the values named `values` (one per
/// pivoted expression) and the aggregate `a` of `aggregates` of them:
/// the values joined by `_`, then the aggregate's alias, or the aggregate
/// as written where there are several (`count(*)` as DuckDB names it).
fn column_name(values: &[String], a: &ExprWithAlias, aggregates: usize) -> String {
    let written = match a.expr.to_string() {
        s if s.eq_ignore_ascii_case("count(*)") => "count_star()".into(),
        s => s,
    };
    let aggregate = match (&a.alias, aggregates) {
        (Some(alias), _) => Some(alias.value.clone()),
        (None, 1) if !values.is_empty() => None,
        (None, _) => Some(written),
    };
    values
        .iter()
        .cloned()
        .chain(aggregate)
        .collect::<Vec<_>>()
        .join("_")
}

/// The names of the columns of `plan` that `keep` accepts.
fn column_names(plan: &LogicalPlan, keep: impl Fn(&str) -> bool) -> Vec<String> {
    plan.schema()
        .fields()
        .iter()
        .filter(|f| !f.hidden && keep(f.name()))
        .map(|f| f.name().to_string())
        .collect()
}

/// [`column_names`], quoted.
fn kept_columns(plan: &LogicalPlan, keep: impl Fn(&str) -> bool) -> Vec<String> {
    column_names(plan, keep)
        .into_iter()
        .map(|name| Ident::with_quote('"', name).to_string())
        .collect()
}

/// A PIVOT value as a column name: a string's text without quotes, other
/// values as written.
fn literal_text(e: &ast::Expr) -> String {
    match e {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::SingleQuotedString(s) | ast::Value::DoubleQuotedString(s) => s.clone(),
            other => other.to_string(),
        },
        other => other.to_string(),
    }
}
