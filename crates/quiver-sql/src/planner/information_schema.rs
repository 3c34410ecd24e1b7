//! `information_schema.tables`, `.columns` and `.schemata`: the catalog as
//! tables, for tools that discover what a database holds. Quiver has one
//! catalog (`memory`) with one schema (`main`), as DuckDB's in-memory
//! database.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field};
use quiver_expr::logical_plan::Values;
use quiver_expr::types::sql_type_name;
use quiver_expr::{Expr, LogicalPlan, QField, QSchema, QuiverError, Result, ScalarValue};

use super::{SqlPlanner, CATALOG, TEMP_CATALOG};

/// The one schema tables and views live in.
const SCHEMA: &str = "main";

impl SqlPlanner<'_> {
    /// The rows of `information_schema.<view>`.
    pub(crate) fn information_schema(&self, view: &str) -> Result<LogicalPlan> {
        let text = |s: &str| Expr::Literal(ScalarValue::Utf8(Some(s.to_string())));
        let (columns, rows): (Vec<(&str, DataType)>, Vec<Vec<Expr>>) =
            match view.to_lowercase().as_str() {
                "tables" => {
                    let rows = self
                        .provider
                        .list_tables()
                        .into_iter()
                        .map(|(name, kind)| {
                            let kind = if kind == "view" { "VIEW" } else { "BASE TABLE" };
                            let (schema, table) = schema_and_name(&name);
                            let catalog = self.catalog_of(&name);
                            vec![text(catalog), text(schema), text(table), text(kind)]
                        })
                        .collect();
                    let names = ["table_catalog", "table_schema", "table_name", "table_type"];
                    (names.map(|n| (n, DataType::Utf8)).to_vec(), rows)
                }
                "columns" => (
                    vec![
                        ("table_catalog", DataType::Utf8),
                        ("table_schema", DataType::Utf8),
                        ("table_name", DataType::Utf8),
                        ("column_name", DataType::Utf8),
                        ("ordinal_position", DataType::Int64),
                        ("column_default", DataType::Utf8),
                        ("is_nullable", DataType::Utf8),
                        ("data_type", DataType::Utf8),
                    ],
                    self.column_rows()?,
                ),
                "schemata" => (
                    vec![
                        ("catalog_name", DataType::Utf8),
                        ("schema_name", DataType::Utf8),
                    ],
                    ["information_schema".to_string(), SCHEMA.to_string()]
                        .into_iter()
                        .chain(self.provider.schema_names())
                        .map(|s| vec![text(CATALOG), text(&s)])
                        .collect(),
                ),
                other => {
                    return Err(QuiverError::Plan(format!(
                        "information_schema.{other} not found; it has tables, columns and schemata"
                    )))
                }
            };
        let fields = columns
            .into_iter()
            .map(|(name, t)| QField::new(Some(view.to_lowercase()), Field::new(name, t, true)))
            .collect();
        Ok(LogicalPlan::Values(Values {
            rows,
            schema: Arc::new(QSchema::new(fields)),
        }))
    }

    /// One row per column of every table and view.
    fn column_rows(&self) -> Result<Vec<Vec<Expr>>> {
        let text = |s: &str| Expr::Literal(ScalarValue::Utf8(Some(s.to_string())));
        let mut rows = vec![];
        let mut tables = self.provider.list_tables();
        tables.sort();
        for (name, _) in tables {
            let (schema, table) = schema_and_name(&name);
            let catalog = self.catalog_of(&name);
            for (i, column) in self.columns_of(&name).into_iter().enumerate() {
                rows.push(vec![
                    text(catalog),
                    text(schema),
                    text(table),
                    text(column.field.name()),
                    Expr::Literal(ScalarValue::Int64(Some(i as i64 + 1))),
                    Expr::Literal(ScalarValue::Utf8(column.default)),
                    text(if column.field.is_nullable() {
                        "YES"
                    } else {
                        "NO"
                    }),
                    text(&sql_type_name(column.field.data_type())),
                ]);
            }
        }
        Ok(rows)
    }

    /// The catalog of the table or view `name`: `temp` for a temporary
    /// one, as DuckDB has it.
    fn catalog_of(&self, name: &str) -> &'static str {
        match self.provider.is_temporary(name) {
            true => TEMP_CATALOG,
            false => CATALOG,
        }
    }

    /// The columns of the table or view `name`.
    fn columns_of(&self, name: &str) -> Vec<CatalogColumn> {
        if let Some(table) = self.provider.get_table(name) {
            let schema = table.schema();
            return schema
                .fields()
                .iter()
                .enumerate()
                .map(|(i, f)| CatalogColumn {
                    field: f.as_ref().clone(),
                    default: table.column_default(i),
                })
                .collect();
        }
        let Some(view) = self.provider.get_view(name) else {
            return vec![];
        };
        view.schema()
            .fields()
            .iter()
            .filter(|f| !f.hidden)
            .map(|f| CatalogColumn {
                field: f.field.as_ref().clone(),
                default: None,
            })
            .collect()
    }
}

/// The schema and the name of the catalog's object `key` (`s.t`, or `t` in
/// main).
fn schema_and_name(key: &str) -> (&str, &str) {
    key.split_once('.').unwrap_or((SCHEMA, key))
}

/// A column of a table or view as the catalog lists it.
struct CatalogColumn {
    field: Field,
    default: Option<String>,
}
