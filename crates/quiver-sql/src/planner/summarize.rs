//! `SUMMARIZE table` and `SUMMARIZE query` (DuckDB's): one row per column
//! of the rows, with its type, min, max, approximate distinct count, and
//! for numbers the average, standard deviation and quartiles, then the row
//! count and the percentage of NULLs. Written as one aggregate query per
//! column, unioned, and planned as that.

use arrow::datatypes::DataType;
use quiver_expr::types::sql_type_name;
use quiver_expr::{LogicalPlan, QuiverError, Result};
use sqlparser::ast::Ident;

use super::SqlPlanner;
use crate::parser::RowSource;

impl SqlPlanner<'_> {
    /// Plans `SUMMARIZE source`.
    pub(crate) fn summarize(&self, source: &RowSource) -> Result<LogicalPlan> {
        let (plan, from) = match source {
            RowSource::Table(name) => (self.plan_table_name(name, None)?, name.to_string()),
            RowSource::Query(query) => (self.plan_query(query)?, format!("({query}) AS __rows")),
        };
        let schema = plan.schema().clone();
        let visible: Vec<_> = schema.fields().iter().filter(|f| !f.hidden).collect();
        if visible.is_empty() {
            return Err(QuiverError::Plan(
                "SUMMARIZE needs rows with columns".into(),
            ));
        }
        let parts: Vec<String> = visible
            .iter()
            .enumerate()
            .map(|(i, f)| column_summary(i, f.name(), f.field.data_type(), &from))
            .collect();
        // In the columns' order.
        let sql = format!(
            "SELECT column_name, column_type, min, max, approx_unique, avg, std, q25, q50, q75, \
             count, null_percentage FROM ({}) AS __summary ORDER BY __position",
            parts.join(" UNION ALL ")
        );
        let query = super::parse_query(&sql)?;
        self.nested(|| self.plan_query(&query))
    }
}

/// The summary row of the `position`-th column as a query over `from`.
fn column_summary(position: usize, name: &str, data_type: &DataType, from: &str) -> String {
    let column = Ident::with_quote('"', name).to_string();
    let text = |e: String| format!("CAST({e} AS VARCHAR)");
    let none = "CAST(NULL AS VARCHAR)".to_string();
    let ordered = !data_type.is_nested();
    let numeric = data_type.is_numeric();
    let (min, max) = match ordered {
        true => (
            text(format!("min({column})")),
            text(format!("max({column})")),
        ),
        false => (none.clone(), none.clone()),
    };
    let number = |f: &str| match numeric {
        true => text(format!("{f}({column})")),
        false => none.clone(),
    };
    let quartile = |q: &str| match numeric {
        true => text(format!("quantile_cont({column}, {q})")),
        false => none.clone(),
    };
    let quoted = |s: &str| format!("'{}'", s.replace('\'', "''"));
    format!(
        "SELECT {} AS column_name, {} AS column_type, {min} AS min, {max} AS max, \
         approx_count_distinct({column}) AS approx_unique, {} AS avg, {} AS std, \
         {} AS q25, {} AS q50, {} AS q75, count(*) AS count, \
         CAST(round(100.0 * (count(*) - count({column})) / nullif(count(*), 0), 2) AS DECIMAL(9, 2)) \
         AS null_percentage, {position} AS __position FROM {from}",
        quoted(name),
        quoted(&sql_type_name(data_type)),
        number("avg"),
        number("stddev"),
        quartile("0.25"),
        quartile("0.5"),
        quartile("0.75"),
    )
}
