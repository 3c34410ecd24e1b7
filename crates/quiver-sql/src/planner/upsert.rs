//! `INSERT … ON CONFLICT [(key)] DO UPDATE SET col = expr, … [WHERE cond]`.
//! The rows to store are planned as a query over the INSERT's rows, in
//! scope as `excluded`: each row whose key is taken gives the existing
//! row with the SET columns changed (where `cond` holds; otherwise
//! nothing), each other row is new. The table then takes them as
//! replacements of the rows with their keys (`OnConflict::Update`). In
//! `expr` and `cond`, a bare column (or one qualified by the table's name)
//! is the existing row's, `excluded.col` the new row's, as in DuckDB and
//! PostgreSQL.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use quiver_expr::types::sql_type_name;
use quiver_expr::{not_impl_err, LogicalPlan, QuiverError, Result, TableSource};
use sqlparser::ast::{self, visit_expressions_mut, Ident};

use super::{object_name, parse_query, SqlPlanner};
use crate::identifier::quote_identifier;

/// The existing row's name in the planned query.
const TARGET: &str = "__target";

impl SqlPlanner<'_> {
    /// The columns of the key an `ON CONFLICT` is about: those it names,
    /// or the table's one key.
    pub(crate) fn conflict_key(
        &self,
        table: &str,
        named: Option<&[String]>,
        source: &Arc<dyn TableSource>,
    ) -> Result<Vec<String>> {
        if let Some(named) = named {
            return Ok(named.to_vec());
        }
        let schema = source.schema();
        match source.unique_keys().as_slice() {
            [key] => Ok(key
                .columns
                .iter()
                .map(|&c| schema.field(c).name().clone())
                .collect()),
            [] => Err(QuiverError::Plan(format!(
                "ON CONFLICT needs a PRIMARY KEY or UNIQUE constraint on {table}"
            ))),
            _ => Err(QuiverError::Plan(format!(
                "{table} has several keys: name the one ON CONFLICT (…) is about"
            ))),
        }
    }

    /// The rows `ON CONFLICT DO UPDATE` stores: the updated existing rows
    /// and the new ones, all of `target`'s columns; `rows` are the INSERT's.
    pub(crate) fn upserted_rows(
        &self,
        table: &str,
        target: &SchemaRef,
        key: &[String],
        changes: &ast::DoUpdate,
        rows: LogicalPlan,
    ) -> Result<LogicalPlan> {
        let mut assigned: HashMap<String, String> = HashMap::new();
        for assignment in &changes.assignments {
            let ast::AssignmentTarget::ColumnName(name) = &assignment.target else {
                return not_impl_err!("ON CONFLICT DO UPDATE SET (a, b) = …; set one column each");
            };
            let column = object_name(name)?;
            let Some(field) = target
                .fields()
                .iter()
                .find(|f| f.name().eq_ignore_ascii_case(&column))
            else {
                return Err(QuiverError::Plan(format!(
                    "table {table} has no column \"{column}\""
                )));
            };
            if key.iter().any(|k| k.eq_ignore_ascii_case(field.name())) {
                return Err(QuiverError::Plan(format!(
                    "ON CONFLICT DO UPDATE cannot change \"{}\", a column of the conflict key",
                    field.name()
                )));
            }
            let value = existing_row_columns(assignment.value.clone(), table);
            let previous = assigned.insert(
                field.name().to_lowercase(),
                format!("CAST(({value}) AS {})", sql_type_name(field.data_type())),
            );
            if previous.is_some() {
                return Err(QuiverError::Plan(format!(
                    "ON CONFLICT DO UPDATE sets \"{}\" twice",
                    field.name()
                )));
            }
        }
        let updated: Vec<String> = target
            .fields()
            .iter()
            .map(|f| match assigned.get(&f.name().to_lowercase()) {
                Some(value) => format!("{value} AS {}", quote_identifier(f.name())),
                None => format!("{TARGET}.{}", quote_identifier(f.name())),
            })
            .collect();
        let matches = |existing: &str| {
            key.iter()
                .map(|k| {
                    format!(
                        "{existing}.{} = excluded.{}",
                        quote_identifier(k),
                        quote_identifier(k)
                    )
                })
                .collect::<Vec<_>>()
                .join(" AND ")
        };
        let condition = match &changes.selection {
            Some(condition) => format!(" WHERE {}", existing_row_columns(condition.clone(), table)),
            None => String::new(),
        };
        let table = quote_identifier(table);
        let sql = format!(
            "SELECT {} FROM {table} AS {TARGET} JOIN excluded ON {}{condition} \
             UNION ALL \
             SELECT * FROM excluded WHERE NOT EXISTS \
             (SELECT 1 FROM {table} AS __existing WHERE {})",
            updated.join(", "),
            matches(TARGET),
            matches("__existing"),
        );
        let query = parse_query(&sql)?;
        self.ctes
            .borrow_mut()
            .push(HashMap::from([("excluded".to_string(), Arc::new(rows))]));
        let planned = self.plan_query(&query);
        self.ctes.borrow_mut().pop();
        planned
    }
}

/// `expr` with its bare columns, and those qualified by the table's name,
/// read from the existing row.
fn existing_row_columns(mut expr: ast::Expr, table: &str) -> ast::Expr {
    let _ = visit_expressions_mut(&mut expr, |e| {
        match e {
            ast::Expr::Identifier(column) => {
                *e = ast::Expr::CompoundIdentifier(vec![Ident::new(TARGET), column.clone()]);
            }
            ast::Expr::CompoundIdentifier(parts) => {
                if let [qualifier, _] = parts.as_mut_slice() {
                    if qualifier.value.eq_ignore_ascii_case(table) {
                        *qualifier = Ident::new(TARGET);
                    }
                }
            }
            _ => {}
        }
        ControlFlow::<()>::Continue(())
    });
    expr
}
