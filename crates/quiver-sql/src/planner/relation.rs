//! Plans the FROM clause: registered tables, views, CTEs, files named by a
//! quoted path, and derived tables.

use std::path::Path;
use std::sync::Arc;

use quiver_expr::logical_plan::{one_row, SubqueryAlias, TableScan};
use quiver_expr::suggest::closest_name;
use quiver_expr::{not_impl_err, LogicalPlan, QuiverError, Result};
use sqlparser::ast::{ObjectName, TableAlias, TableFactor, TableWithJoins};

use super::expr::location;
use super::SqlPlanner;

/// True when a table name reads like a file location rather than a name.
fn looks_like_path(name: &str) -> bool {
    name.contains(['/', '\\', '*']) || Path::new(name).extension().is_some()
}

impl SqlPlanner<'_> {
    pub(crate) fn plan_from(&self, from: &[TableWithJoins]) -> Result<LogicalPlan> {
        match from {
            [] => Ok(one_row()),
            [single] => {
                if !single.joins.is_empty() {
                    return not_impl_err!("JOIN is not supported yet");
                }
                self.plan_table_factor(&single.relation)
            }
            _ => not_impl_err!("joining several tables (FROM a, b) is not supported yet"),
        }
    }

    fn plan_table_factor(&self, factor: &TableFactor) -> Result<LogicalPlan> {
        match factor {
            TableFactor::Table {
                name, alias, args, ..
            } => {
                if args.is_some() {
                    return not_impl_err!(
                        "table functions such as {name}(..) are not supported yet"
                    );
                }
                self.plan_table_name(name, alias.as_ref())
            }
            TableFactor::Derived {
                lateral,
                subquery,
                alias,
                ..
            } => {
                if *lateral {
                    return not_impl_err!("LATERAL is not supported");
                }
                let plan = self.plan_query(subquery)?;
                match alias {
                    Some(a) => self.apply_alias(plan, a),
                    None => Ok(plan),
                }
            }
            other => not_impl_err!("{other} is not supported in FROM yet"),
        }
    }

    fn apply_alias(&self, plan: LogicalPlan, alias: &TableAlias) -> Result<LogicalPlan> {
        let columns: Vec<String> = alias.columns.iter().map(|c| c.name.value.clone()).collect();
        Ok(LogicalPlan::SubqueryAlias(SubqueryAlias::try_new(
            Arc::new(plan),
            &alias.name.value,
            &columns,
        )?))
    }

    /// The relation a table name refers to: a CTE, a view, a registered
    /// table, or files at a quoted path.
    pub(crate) fn plan_table_name(
        &self,
        name: &ObjectName,
        alias: Option<&TableAlias>,
    ) -> Result<LogicalPlan> {
        let Some(ident) = name.0.last().and_then(|p| p.as_ident()) else {
            return Err(QuiverError::Plan(format!("invalid table name {name}")));
        };
        let table = ident.value.clone();
        let string_literal = ident.quote_style == Some('\'');
        let named = |plan: LogicalPlan, default: &str| -> Result<LogicalPlan> {
            match alias {
                Some(a) => self.apply_alias(plan, a),
                None => Ok(LogicalPlan::SubqueryAlias(SubqueryAlias::try_new(
                    Arc::new(plan),
                    default,
                    &[],
                )?)),
            }
        };
        if !string_literal {
            if let Some(cte) = self.cte(&table) {
                return named(cte.as_ref().clone(), &table);
            }
            if let Some(view) = self.provider.get_view(&table) {
                return named(view.as_ref().clone(), &table);
            }
            if let Some(source) = self.provider.get_table(&table) {
                let scan = LogicalPlan::TableScan(TableScan::try_new(&table, source, None)?);
                return match alias {
                    Some(a) => self.apply_alias(scan, a),
                    None => Ok(scan),
                };
            }
        }
        if string_literal || looks_like_path(&table) {
            let source = self.provider.get_file_table(&table)?;
            let stem = Path::new(&table)
                .file_name()
                .and_then(|f| f.to_str())
                .map(|f| f.split('.').next().unwrap_or(f).to_string())
                .filter(|s| !s.is_empty() && !s.contains('*'))
                .unwrap_or_else(|| "file".to_string());
            let scan = LogicalPlan::TableScan(TableScan::try_new(&stem, source, None)?);
            return match alias {
                Some(a) => self.apply_alias(scan, a),
                None => Ok(scan),
            };
        }
        let names: Vec<String> = self
            .provider
            .list_tables()
            .into_iter()
            .map(|(n, _)| n)
            .collect();
        let mut msg = format!("table \"{table}\" not found{}", location(ident.span));
        match closest_name(&table, names.iter().map(String::as_str)) {
            Some(s) => msg.push_str(&format!("; did you mean \"{s}\"?")),
            None if names.is_empty() => msg.push_str(
                "; no tables are registered (query a file with FROM 'path/to/file.parquet')",
            ),
            None => {}
        }
        Err(QuiverError::Plan(msg))
    }
}
