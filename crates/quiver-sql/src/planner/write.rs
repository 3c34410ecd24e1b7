//! Plans the statements that create and fill tables or write files:
//! `CREATE TABLE`, `CREATE TABLE .. AS`, `INSERT INTO` and `COPY .. TO`.

use std::path::Path;
use std::sync::Arc;

use arrow::datatypes::{Field, Schema};
use quiver_expr::logical_plan::{Ddl, OnConflict, Projection, UniqueKey};
use quiver_expr::{not_impl_err, Expr, LogicalPlan, QSchema, QuiverError, Result, ScalarValue};
use sqlparser::ast;

use super::expr::cast_expr;
use super::{column_definitions, object_name, parse_expression, SqlPlanner, TableConstraints};
use crate::parser::{CopyTo, RowSource};

impl SqlPlanner<'_> {
    pub(crate) fn create_table(&self, c: &ast::CreateTable) -> Result<LogicalPlan> {
        if c.external {
            return not_impl_err!(
                "CREATE EXTERNAL TABLE in this form; use CREATE EXTERNAL TABLE name \
                 STORED AS format LOCATION 'path'"
            );
        }
        // Clauses of other dialects, each an error rather than ignored.
        let unsupported = [
            (c.like.is_some(), "CREATE TABLE … LIKE"),
            (c.clone.is_some(), "CREATE TABLE … CLONE"),
            (
                !matches!(c.table_options, ast::CreateTableOptions::None),
                "CREATE TABLE … WITH (options)",
            ),
            (c.partition_by.is_some(), "PARTITION BY in CREATE TABLE"),
            (c.order_by.is_some(), "ORDER BY in CREATE TABLE"),
            (c.primary_key.is_some(), "PRIMARY KEY in CREATE TABLE"),
            (
                c.cluster_by.is_some() || c.clustered_by.is_some(),
                "CLUSTER BY in CREATE TABLE",
            ),
            (
                c.inherits.is_some() || c.partition_of.is_some(),
                "INHERITS / PARTITION OF",
            ),
            (
                c.location.is_some() || c.file_format.is_some() || c.hive_formats.is_some(),
                "STORED AS / LOCATION in CREATE TABLE (use CREATE EXTERNAL TABLE)",
            ),
            (c.on_commit.is_some(), "ON COMMIT"),
        ];
        super::reject_unsupported(&unsupported)?;
        let name = self.catalog_name(&c.name)?;
        let mut defaults = vec![];
        let mut constraints = TableConstraints::default();
        let (schema, input) = match (&c.query, c.columns.is_empty()) {
            (Some(_), false) => {
                return Err(QuiverError::Plan(
                    "CREATE TABLE takes either column definitions or AS query, not both".into(),
                ))
            }
            (Some(query), true) => {
                let plan = self.plan_query(query)?;
                let fields: Vec<Field> = plan
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| f.field.as_ref().clone().with_nullable(true))
                    .collect();
                defaults = vec![None; fields.len()];
                (Arc::new(Schema::new(fields)), Some(Arc::new(plan)))
            }
            (None, _) => {
                let (mut fields, given) = column_definitions(&c.columns, Some(&mut constraints))?;
                for constraint in &c.constraints {
                    match constraint {
                        ast::TableConstraint::Check(check) => {
                            constraints.checks.push(super::check_expression(check)?)
                        }
                        _ => constraints.keys.push(table_key(constraint, &c.columns)?),
                    }
                }
                let keys = &constraints.keys;
                if keys.iter().filter(|k| k.primary).count() > 1 {
                    return Err(QuiverError::Plan(format!(
                        "table {name} has more than one PRIMARY KEY"
                    )));
                }
                // Primary key columns are NOT NULL.
                for key in keys.iter().filter(|k| k.primary) {
                    for &column in &key.columns {
                        fields[column] = fields[column].clone().with_nullable(false);
                    }
                }
                if fields.is_empty() {
                    return Err(QuiverError::Plan(format!(
                        "CREATE TABLE {name} needs at least one column"
                    )));
                }
                for (field, default) in fields.iter().zip(&given) {
                    // Checked now: a default must be a value of the column's type.
                    if let Some(e) = default {
                        self.default_value(&e.to_string(), field).map_err(|err| {
                            QuiverError::Plan(format!(
                                "DEFAULT {e} of column {}: {err}",
                                field.name()
                            ))
                        })?;
                    }
                }
                defaults = given
                    .iter()
                    .map(|d| d.as_ref().map(|e| e.to_string()))
                    .collect();
                (Arc::new(Schema::new(fields)), None)
            }
        };
        let mut seen: Vec<&str> = vec![];
        for f in schema.fields() {
            if seen.iter().any(|s| s.eq_ignore_ascii_case(f.name())) {
                return Err(QuiverError::Plan(format!(
                    "column \"{}\" appears twice in table {name}",
                    f.name()
                )));
            }
            seen.push(f.name());
        }
        if !c.constraints.is_empty() && c.columns.is_empty() {
            return not_impl_err!("table constraints in CREATE TABLE … AS");
        }
        let checks = self.check_constraints(&name, &schema, &constraints.checks)?;
        let create = Ddl::CreateTable {
            name: name.clone(),
            schema,
            input,
            defaults,
            keys: constraints.keys,
            checks,
            or_replace: c.or_replace,
            if_not_exists: c.if_not_exists,
        };
        let temporary = c.temporary || super::in_temp_catalog(&c.name);
        Ok(LogicalPlan::Ddl(super::temporary_if(
            temporary, name, create,
        )))
    }

    /// The `CHECK` constraints of a new table `name` of `schema`, checked
    /// now and kept as SQL text: each a condition over the table's own
    /// columns, without aggregates, windows, subqueries or volatile calls.
    fn check_constraints(
        &self,
        name: &str,
        schema: &Schema,
        checks: &[ast::Expr],
    ) -> Result<Vec<String>> {
        let columns = QSchema::from_arrow(Some(name), schema);
        checks
            .iter()
            .map(|check| {
                let bound = self.sql_to_expr(check, &columns)?;
                let bound = self.boolean(bound, "CHECK", &columns)?;
                let what = if bound.contains_aggregate() {
                    Some("an aggregate")
                } else if bound.contains_window() {
                    Some("a window call")
                } else if bound.contains_subquery() {
                    Some("a subquery")
                } else if bound.is_volatile() {
                    Some("a volatile call such as random()")
                } else {
                    None
                };
                match what {
                    Some(what) => Err(QuiverError::Plan(format!(
                        "the CHECK constraint ({check}) cannot hold {what}"
                    ))),
                    None => Ok(check.to_string()),
                }
            })
            .collect()
    }

    pub(crate) fn insert(&self, insert: &ast::Insert) -> Result<LogicalPlan> {
        let ast::TableObject::TableName(table_name) = &insert.table else {
            return not_impl_err!("INSERT INTO a table function is not supported");
        };
        if insert.overwrite {
            return not_impl_err!("INSERT OVERWRITE");
        }
        let mut conflict_columns: Option<Vec<String>> = None;
        let mut update: Option<&ast::DoUpdate> = None;
        let on_conflict = match (&insert.or, &insert.on) {
            (None, None) => OnConflict::Error,
            (Some(ast::SqliteOnConflict::Ignore), None) => OnConflict::Ignore,
            (Some(ast::SqliteOnConflict::Replace), None) => OnConflict::Replace,
            (
                None,
                Some(ast::OnInsert::OnConflict(ast::OnConflict {
                    action: ast::OnConflictAction::DoNothing,
                    conflict_target,
                })),
            ) => {
                conflict_columns = conflict_target_columns(conflict_target.as_ref())?;
                OnConflict::Ignore
            }
            (Some(other), None) => return not_impl_err!("INSERT OR {other}"),
            (
                None,
                Some(ast::OnInsert::OnConflict(ast::OnConflict {
                    action: ast::OnConflictAction::DoUpdate(changes),
                    conflict_target,
                })),
            ) => {
                conflict_columns = conflict_target_columns(conflict_target.as_ref())?;
                update = Some(changes);
                OnConflict::Update
            }
            (_, Some(_)) => return not_impl_err!("this ON CONFLICT / ON DUPLICATE KEY form"),
        };
        if on_conflict != OnConflict::Error && insert.returning.is_some() {
            return not_impl_err!("RETURNING with ON CONFLICT or INSERT OR …");
        }
        let table = self.catalog_name(table_name)?;
        let Some(source_table) = self.provider.get_table(&table) else {
            return Err(QuiverError::Plan(format!(
                "table \"{table}\" not found; INSERT needs a table made with CREATE TABLE"
            )));
        };
        let target = source_table.schema();
        // Which target column each source column fills.
        let positions: Vec<usize> = match (&insert.source, insert.columns.is_empty()) {
            (None, true) => vec![],
            (None, false) => return not_impl_err!("INSERT needs VALUES or a query"),
            (Some(_), true) => (0..target.fields().len()).collect(),
            (Some(_), false) => insert
                .columns
                .iter()
                .map(|c| {
                    let name = object_name(c)?;
                    target
                        .fields()
                        .iter()
                        .position(|f| f.name().eq_ignore_ascii_case(&name))
                        .ok_or_else(|| {
                            QuiverError::Plan(format!("table {table} has no column \"{name}\""))
                        })
                })
                .collect::<Result<_>>()?,
        };
        let default_of = |i: usize| -> Result<Expr> {
            let field = target.field(i);
            match source_table.column_default(i) {
                Some(text) => self.default_value(&text, field),
                None => Ok(Expr::Literal(ScalarValue::try_from(field.data_type())?)),
            }
        };
        let input = match &insert.source {
            Some(source) => {
                self.plan_query(&with_defaults_in_values(source, &positions, |i| {
                    source_table.column_default(i)
                })?)?
            }
            // `INSERT INTO t DEFAULT VALUES`: one row of the defaults.
            None => LogicalPlan::Projection(Projection::try_new(
                vec![],
                Arc::new(quiver_expr::logical_plan::one_row()),
            )?),
        };
        let in_schema = input.schema().clone();
        if positions.len() != in_schema.len() {
            return Err(QuiverError::Plan(format!(
                "INSERT into {table} names {} columns but the query produces {}",
                positions.len(),
                in_schema.len()
            )));
        }
        let exprs = target
            .fields()
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let value = match positions.iter().position(|&p| p == i) {
                    Some(source) => cast_expr(
                        Expr::Column(in_schema.field(source).column()),
                        f.data_type(),
                        &in_schema,
                    )?,
                    None => default_of(i)?,
                };
                Ok(value.alias(f.name()))
            })
            .collect::<Result<Vec<_>>>()?;
        let mut input = LogicalPlan::Projection(Projection::try_new(exprs, Arc::new(input))?);
        if let Some(changes) = update {
            let key = self.conflict_key(&table, conflict_columns.as_deref(), &source_table)?;
            input = self.upserted_rows(&table, &target, &key, changes, input)?;
        }
        let columns = QSchema::from_arrow(Some(&table), &target);
        let returning = self.returning(insert.returning.as_deref(), &columns)?;
        Ok(LogicalPlan::Ddl(Ddl::Insert {
            table,
            input: Arc::new(input),
            returning,
            on_conflict,
            conflict_columns,
        }))
    }

    /// A column's `DEFAULT` value (its SQL text) as an expression of the
    /// column's type, over no columns.
    pub(crate) fn default_value(&self, text: &str, field: &Field) -> Result<Expr> {
        let empty = QSchema::empty();
        let value = self.sql_to_expr(&parse_expression(text)?, &empty)?;
        cast_expr(value, field.data_type(), &empty)
    }

    pub(crate) fn copy_to(&self, copy: &CopyTo) -> Result<LogicalPlan> {
        let input = match &copy.source {
            RowSource::Table(name) => self.plan_table_name(name, None)?,
            RowSource::Query(query) => self.plan_query(query)?,
        };
        let mut options = vec![];
        let mut format = None;
        let mut partition_by = vec![];
        for (key, value) in &copy.options {
            match key.as_str() {
                "format" => format = Some(self.provider.file_format(value)?),
                "partition_by" => {
                    partition_by = value.split(',').map(str::to_string).collect();
                }
                _ => options.push((key.clone(), value.clone())),
            }
        }
        let format = match format {
            Some(f) => f,
            None => Path::new(&copy.location)
                .extension()
                .and_then(|e| e.to_str())
                .and_then(|e| self.provider.file_format(e).ok())
                .ok_or_else(|| {
                    QuiverError::Plan(format!(
                        "cannot tell which format to write '{}' in; add (FORMAT parquet|csv|json)",
                        copy.location
                    ))
                })?,
        };
        let schema = input.schema();
        for column in &partition_by {
            if !schema
                .fields()
                .iter()
                .any(|f| f.name().eq_ignore_ascii_case(column))
            {
                return Err(QuiverError::Plan(format!(
                    "PARTITION_BY column \"{column}\" is not in the result of COPY"
                )));
            }
        }
        Ok(LogicalPlan::Ddl(Ddl::CopyTo {
            input: Arc::new(input),
            location: copy.location.clone(),
            format,
            options,
            partition_by,
        }))
    }
}

/// `source` with each `DEFAULT` among its VALUES replaced by the default of
/// the column it fills (`positions[j]` for the j-th value; `default` gives
/// a column's default as SQL text, `None` for NULL).
fn with_defaults_in_values(
    source: &ast::Query,
    positions: &[usize],
    default: impl Fn(usize) -> Option<String>,
) -> Result<ast::Query> {
    let mut source = source.clone();
    let ast::SetExpr::Values(values) = source.body.as_mut() else {
        return Ok(source);
    };
    for row in &mut values.rows {
        for (j, value) in row.content.iter_mut().enumerate() {
            let is_default = matches!(value, ast::Expr::Identifier(i)
                if i.quote_style.is_none() && i.value.eq_ignore_ascii_case("default"));
            if !is_default {
                continue;
            }
            let text = positions.get(j).and_then(|&i| default(i));
            *value = parse_expression(text.as_deref().unwrap_or("NULL"))?;
        }
    }
    Ok(source)
}

/// The key a table constraint declares over `columns`: `PRIMARY KEY (…)`
/// or `UNIQUE (…)`; any other constraint is not supported.
fn table_key(constraint: &ast::TableConstraint, columns: &[ast::ColumnDef]) -> Result<UniqueKey> {
    let (key_columns, primary) = match constraint {
        ast::TableConstraint::PrimaryKey(pk) => {
            let extras = pk.characteristics.is_some()
                || pk.index_type.is_some()
                || !pk.index_options.is_empty();
            super::plain_key(constraint, extras)?;
            (&pk.columns, true)
        }
        ast::TableConstraint::Unique(u) => {
            super::plain_key(constraint, super::unique_has_extras(u))?;
            (&u.columns, false)
        }
        other => return not_impl_err!("the table constraint {other}"),
    };
    let positions = key_columns
        .iter()
        .map(|c| {
            let name = c.column.expr.to_string();
            columns
                .iter()
                .position(|d| d.name.value.eq_ignore_ascii_case(name.trim_matches('"')))
                .ok_or_else(|| {
                    QuiverError::Plan(format!(
                        "key column \"{name}\" is not a column of the table"
                    ))
                })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(UniqueKey {
        columns: positions,
        primary,
    })
}

/// The columns an `ON CONFLICT (…)` names; None when it names none.
fn conflict_target_columns(target: Option<&ast::ConflictTarget>) -> Result<Option<Vec<String>>> {
    match target {
        None => Ok(None),
        Some(ast::ConflictTarget::Columns(columns)) => {
            Ok(Some(columns.iter().map(|c| c.value.clone()).collect()))
        }
        Some(ast::ConflictTarget::OnConstraint(name)) => {
            not_impl_err!("ON CONFLICT ON CONSTRAINT {name}; name the key's columns")
        }
    }
}
