//! Plans `ALTER TABLE` and `TRUNCATE` on tables made with `CREATE TABLE`.
//! A change of columns (ADD, DROP, RENAME COLUMN, ALTER COLUMN … TYPE,
//! SET/DROP DEFAULT, SET/DROP NOT NULL) rebuilds the table from a query
//! over its rows (`Ddl::ReplaceTable`), which the session swaps in at
//! once; `RENAME TO` renames the catalog entry.

use std::sync::Arc;

use arrow::datatypes::{Field, Schema};
use quiver_expr::logical_plan::{Ddl, Filter, Projection};
use quiver_expr::{not_impl_err, Expr, LogicalPlan, QSchema, QuiverError, Result, ScalarValue};
use sqlparser::ast::{self, AlterColumnOperation, AlterTableOperation, RenameTableNameKind};

use super::expr::cast_expr;
use super::literal::sql_to_arrow_type;
use super::{column_definitions, object_name, SqlPlanner};

/// A table's columns as `ALTER TABLE` changes them: each one's field, the
/// expression (over the current rows) that gives its values, and its
/// default.
struct Columns {
    fields: Vec<Field>,
    values: Vec<Expr>,
    defaults: Vec<Option<String>>,
}

impl Columns {
    fn push(&mut self, field: Field, value: Expr, default: Option<String>) {
        self.fields.push(field);
        self.values.push(value);
        self.defaults.push(default);
    }

    fn remove(&mut self, i: usize) {
        self.fields.remove(i);
        self.values.remove(i);
        self.defaults.remove(i);
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.fields
            .iter()
            .position(|f| f.name().eq_ignore_ascii_case(name))
    }
}

impl SqlPlanner<'_> {
    /// `ALTER TABLE name <one operation>`.
    pub(crate) fn alter_table(&self, a: &ast::AlterTable) -> Result<LogicalPlan> {
        if a.only || a.location.is_some() || a.on_cluster.is_some() || a.table_type.is_some() {
            return not_impl_err!("ALTER TABLE {} options are not supported", a.name);
        }
        let [operation] = a.operations.as_slice() else {
            return not_impl_err!(
                "ALTER TABLE with several operations is not supported; write one statement each"
            );
        };
        let name = self.catalog_name(&a.name)?;
        let Some(source) = self.provider.get_table(&name) else {
            if a.if_exists {
                return Ok(no_change(&name));
            }
            return Err(QuiverError::Plan(format!("table \"{name}\" not found")));
        };
        if let AlterTableOperation::RenameTable { table_name } = operation {
            let (RenameTableNameKind::As(to) | RenameTableNameKind::To(to)) = table_name;
            // An unqualified new name stays in the table's schema.
            let to = match (name.split_once('.'), to.0.len()) {
                (Some((schema, _)), 1) => format!("{schema}.{}", object_name(to)?),
                _ => self.catalog_name(to)?,
            };
            return Ok(LogicalPlan::Ddl(Ddl::RenameTable { name, to }));
        }
        let rows = self.plan_table_name(&a.name, None)?;
        let schema = rows.schema().clone();
        let table_schema = source.schema();
        let mut columns = Columns {
            fields: table_schema
                .fields()
                .iter()
                .map(|f| f.as_ref().clone())
                .collect(),
            values: schema
                .fields()
                .iter()
                .map(|f| Expr::Column(f.column()))
                .collect(),
            defaults: (0..table_schema.fields().len())
                .map(|i| source.column_default(i))
                .collect(),
        };
        if !self.change_columns(&name, operation, &mut columns, &schema)? {
            return Ok(no_change(&name));
        }
        let exprs = columns
            .values
            .into_iter()
            .zip(&columns.fields)
            .map(|(e, f)| cast_expr(e, f.data_type(), &schema).map(|e| e.alias(f.name())))
            .collect::<Result<Vec<_>>>()?;
        let input = Projection::try_new(exprs, Arc::new(rows))?;
        Ok(LogicalPlan::Ddl(Ddl::ReplaceTable {
            name,
            schema: Arc::new(Schema::new(columns.fields)),
            input: Arc::new(LogicalPlan::Projection(input)),
            defaults: columns.defaults,
        }))
    }

    /// Applies `operation` to `columns`; false when it changes nothing
    /// (`ADD COLUMN IF NOT EXISTS` of a column that is there).
    fn change_columns(
        &self,
        table: &str,
        operation: &AlterTableOperation,
        columns: &mut Columns,
        rows: &QSchema,
    ) -> Result<bool> {
        let find = |columns: &Columns, name: &ast::Ident| {
            columns.position(&name.value).ok_or_else(|| {
                QuiverError::Plan(format!("table {table} has no column \"{}\"", name.value))
            })
        };
        match operation {
            AlterTableOperation::AddColumn {
                if_not_exists,
                column_def,
                column_position: None,
                ..
            } => {
                if columns.position(&column_def.name.value).is_some() {
                    if *if_not_exists {
                        return Ok(false);
                    }
                    return Err(QuiverError::Plan(format!(
                        "table {table} already has a column \"{}\"",
                        column_def.name.value
                    )));
                }
                let (mut fields, mut defaults) =
                    column_definitions(std::slice::from_ref(column_def), None)?;
                let (field, default) = (fields.remove(0), defaults.remove(0));
                let default = default.map(|e| e.to_string());
                let value = match &default {
                    Some(text) => self.default_value(text, &field)?,
                    None => Expr::Literal(ScalarValue::try_from(field.data_type())?),
                };
                columns.push(field, value, default);
            }
            AlterTableOperation::DropColumn {
                column_names,
                if_exists,
                ..
            } => {
                for name in column_names {
                    let Some(i) = columns.position(&name.value) else {
                        if *if_exists {
                            continue;
                        }
                        return Err(QuiverError::Plan(format!(
                            "table {table} has no column \"{}\"",
                            name.value
                        )));
                    };
                    if columns.fields.len() == 1 {
                        return Err(QuiverError::Plan(format!(
                            "cannot drop \"{}\", the last column of table {table}",
                            name.value
                        )));
                    }
                    columns.remove(i);
                }
            }
            AlterTableOperation::RenameColumn {
                old_column_name,
                new_column_name,
            } => {
                let i = find(columns, old_column_name)?;
                if columns
                    .position(&new_column_name.value)
                    .is_some_and(|j| j != i)
                {
                    return Err(QuiverError::Plan(format!(
                        "table {table} already has a column \"{}\"",
                        new_column_name.value
                    )));
                }
                columns.fields[i] = columns.fields[i].clone().with_name(&new_column_name.value);
            }
            AlterTableOperation::AlterColumn { column_name, op } => {
                let i = find(columns, column_name)?;
                match op {
                    AlterColumnOperation::SetNotNull => {
                        columns.fields[i] = columns.fields[i].clone().with_nullable(false);
                    }
                    AlterColumnOperation::DropNotNull => {
                        columns.fields[i] = columns.fields[i].clone().with_nullable(true);
                    }
                    AlterColumnOperation::SetDefault { value } => {
                        let text = value.to_string();
                        self.default_value(&text, &columns.fields[i])?;
                        columns.defaults[i] = Some(text);
                    }
                    AlterColumnOperation::DropDefault => columns.defaults[i] = None,
                    AlterColumnOperation::SetDataType {
                        data_type, using, ..
                    } => {
                        let new_type = sql_to_arrow_type(data_type)?;
                        if let Some(using) = using {
                            columns.values[i] = self.sql_to_expr(using, rows)?;
                        }
                        columns.fields[i] = columns.fields[i].clone().with_data_type(new_type);
                        if let Some(text) = &columns.defaults[i] {
                            self.default_value(text, &columns.fields[i])?;
                        }
                    }
                    other => return not_impl_err!("ALTER COLUMN … {other} is not supported"),
                }
            }
            other => return not_impl_err!("ALTER TABLE … {other} is not supported"),
        }
        Ok(true)
    }

    /// `TRUNCATE [TABLE] name`: deletes every row.
    pub(crate) fn truncate(&self, t: &ast::Truncate) -> Result<LogicalPlan> {
        if t.partitions.is_some()
            || t.identity.is_some()
            || t.cascade.is_some()
            || t.on_cluster.is_some()
        {
            return not_impl_err!("TRUNCATE options are not supported");
        }
        let [target] = t.table_names.as_slice() else {
            return not_impl_err!("TRUNCATE of several tables is not supported");
        };
        let table = self.catalog_name(&target.name)?;
        if self.provider.get_table(&table).is_none() {
            return Err(QuiverError::Plan(format!("table \"{table}\" not found")));
        }
        let rows = self.plan_table_name(&target.name, None)?;
        // No row stays.
        let none = Expr::Literal(ScalarValue::Boolean(Some(false)));
        Ok(LogicalPlan::Ddl(Ddl::ChangeRows {
            table,
            input: Arc::new(LogicalPlan::Filter(Filter::try_new(none, Arc::new(rows))?)),
            delete: true,
            returning: None,
        }))
    }
}

/// A statement that leaves the table `name` as it is (a rename to itself).
fn no_change(name: &str) -> LogicalPlan {
    LogicalPlan::Ddl(Ddl::RenameTable {
        name: name.to_string(),
        to: name.to_string(),
    })
}
