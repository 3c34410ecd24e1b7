//! Plans the statements that create and fill tables or write files:
//! `CREATE TABLE`, `CREATE TABLE .. AS`, `INSERT INTO` and `COPY .. TO`.

use std::path::Path;
use std::sync::Arc;

use arrow::datatypes::{Field, Schema};
use quiver_expr::logical_plan::{Ddl, Projection};
use quiver_expr::{not_impl_err, Expr, LogicalPlan, QuiverError, Result, ScalarValue};
use sqlparser::ast;

use super::expr::cast_expr;
use super::{column_fields, object_name, SqlPlanner};
use crate::parser::{CopySource, CopyTo};

impl SqlPlanner<'_> {
    pub(crate) fn create_table(&self, c: &ast::CreateTable) -> Result<LogicalPlan> {
        if c.temporary || c.external || !c.constraints.is_empty() {
            return not_impl_err!(
                "TEMPORARY tables and table constraints are not supported; use CREATE TABLE name (columns)"
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
        if let Some((_, clause)) = unsupported.iter().find(|(present, _)| *present) {
            return not_impl_err!("{clause} is not supported");
        }
        let name = object_name(&c.name)?;
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
                (Arc::new(Schema::new(fields)), Some(Arc::new(plan)))
            }
            (None, _) => {
                let fields = column_fields(&c.columns)?;
                if fields.is_empty() {
                    return Err(QuiverError::Plan(format!(
                        "CREATE TABLE {name} needs at least one column"
                    )));
                }
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
        Ok(LogicalPlan::Ddl(Ddl::CreateTable {
            name,
            schema,
            input,
            or_replace: c.or_replace,
            if_not_exists: c.if_not_exists,
        }))
    }

    pub(crate) fn insert(&self, insert: &ast::Insert) -> Result<LogicalPlan> {
        let ast::TableObject::TableName(table_name) = &insert.table else {
            return not_impl_err!("INSERT INTO a table function is not supported");
        };
        if insert.overwrite || insert.on.is_some() || insert.returning.is_some() {
            return not_impl_err!("INSERT OVERWRITE, ON CONFLICT and RETURNING are not supported");
        }
        let Some(source) = &insert.source else {
            return not_impl_err!("INSERT needs VALUES or a query");
        };
        let table = object_name(table_name)?;
        let Some(target) = self.provider.get_table(&table) else {
            return Err(QuiverError::Plan(format!(
                "table \"{table}\" not found; INSERT needs a table made with CREATE TABLE"
            )));
        };
        let target = target.schema();
        let input = self.plan_query(source)?;
        let in_schema = input.schema().clone();
        // Which target column each source column fills.
        let positions: Vec<usize> = if insert.columns.is_empty() {
            (0..target.fields().len()).collect()
        } else {
            insert
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
                .collect::<Result<_>>()?
        };
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
                    None => Expr::Literal(ScalarValue::try_from(f.data_type())?),
                };
                Ok(value.alias(f.name()))
            })
            .collect::<Result<Vec<_>>>()?;
        let input = LogicalPlan::Projection(Projection::try_new(exprs, Arc::new(input))?);
        Ok(LogicalPlan::Ddl(Ddl::Insert {
            table,
            input: Arc::new(input),
        }))
    }

    pub(crate) fn copy_to(&self, copy: &CopyTo) -> Result<LogicalPlan> {
        let input = match &copy.source {
            CopySource::Table(name) => self.plan_table_name(name, None)?,
            CopySource::Query(query) => self.plan_query(query)?,
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
