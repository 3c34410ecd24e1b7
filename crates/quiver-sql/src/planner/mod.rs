//! Binds parsed statements into logical plans.

mod alter;
mod array_subquery;
mod asof;
pub(crate) mod calls;
mod columns_expression;
mod dml;
mod expr;
mod grouping;
mod information_schema;
mod lambda;
mod literal;
mod macros;
mod nested;
mod ordered_set;
mod pattern;
mod pivot;
mod prepared;
mod query;
mod recursive;
mod relation;
mod sample;
mod star;
mod summarize;
mod time_zone;
mod unnest;
mod unnest_forms;
mod upsert;
mod window;
mod write;

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use arrow::datatypes::{Field, Schema};
use quiver_expr::logical_plan::{
    Ddl, EmptyRelation, Explain, ExplainMode, FormatName, TransactionStep, UniqueKey, Values,
};
use quiver_expr::types::sql_type_name;
use quiver_expr::{
    not_impl_err, AggregateFunction, GeneratedRows, LambdaFunction, LogicalPlan, QuiverError,
    Result, ScalarFunction, TableFunction, TableSource, WindowFunction,
};
use sqlparser::ast::{self, ColumnOption, ObjectName, ObjectType};

use crate::parser::{CreateExternalTable, Statement};

pub use literal::{parse_sql_type, sql_to_arrow_type};

/// What the planner needs from the catalog and function registry.
pub trait ContextProvider {
    /// A registered table by name (case-insensitive).
    fn get_table(&self, name: &str) -> Option<Arc<dyn TableSource>>;

    /// A view's plan by name (case-insensitive).
    fn get_view(&self, name: &str) -> Option<Arc<LogicalPlan>>;

    /// A macro by name (case-insensitive).
    fn get_macro(&self, name: &str) -> Option<Arc<quiver_expr::logical_plan::Macro>>;

    /// A table over the files at `locations` (each a path, glob or
    /// directory; several read as one table), for `FROM 'data/x.parquet'`
    /// and `read_csv(['a.csv', 'b.csv'], header => true)`: in `format`
    /// (from the first location's file names when `None`), with format
    /// `options`.
    fn get_file_table(
        &self,
        locations: &[String],
        format: Option<&FormatName>,
        options: &[(String, String)],
    ) -> Result<Arc<dyn TableSource>>;

    /// The names of the files at `location` (a path, glob, directory or
    /// URL), sorted; none when nothing matches (`glob('…')`).
    fn file_names(&self, location: &str) -> Result<Vec<String>>;

    /// A table over rows a table function generates (`range(10)`).
    fn generated_table(&self, rows: Arc<dyn GeneratedRows>) -> Arc<dyn TableSource>;

    /// The file format called (or with the extension) `name`, as the
    /// session knows it; an error that lists the formats otherwise.
    fn file_format(&self, name: &str) -> Result<FormatName>;

    /// Every table and view: (name, "table" or "view").
    fn list_tables(&self) -> Vec<(String, String)>;

    /// A scalar function by name.
    fn scalar_function(&self, name: &str) -> Option<Arc<dyn ScalarFunction>>;

    /// An aggregate function by name.
    fn aggregate_function(&self, name: &str) -> Option<Arc<dyn AggregateFunction>>;

    /// A window function by name (aggregates are found by
    /// [`ContextProvider::aggregate_function`]).
    fn window_function(&self, name: &str) -> Option<Arc<dyn WindowFunction>>;

    /// A lambda function by name (`list_transform`).
    fn lambda_function(&self, name: &str) -> Option<Arc<dyn LambdaFunction>>;

    /// A table function by name.
    fn table_function(&self, name: &str) -> Option<Arc<dyn TableFunction>>;

    /// Every function name (for suggestions).
    fn function_names(&self) -> Vec<String>;

    /// The session's settings and their values, for `SHOW`.
    fn settings(&self) -> Vec<Setting>;

    /// How many levels an expression may nest before binding it is an
    /// error (`SET max_expression_depth`).
    fn max_expression_depth(&self) -> usize {
        DEFAULT_MAX_EXPRESSION_DEPTH
    }

    /// The statement prepared as `name` (`PREPARE`): its SQL text and its
    /// parameters' SQL types (empty when not given).
    fn prepared_statement(&self, name: &str) -> Option<(String, Vec<String>)> {
        let _ = name;
        None
    }

    /// Whether `/` of two integers truncates as `//` does (`SET
    /// integer_division = true`) rather than giving a DOUBLE.
    fn integer_division(&self) -> bool {
        false
    }

    /// The session's time zone (`SET TimeZone`), in which `TIMESTAMP WITH
    /// TIME ZONE` values are shown and computed.
    fn time_zone(&self) -> String {
        "UTC".to_string()
    }

    /// Whether the table, view or macro `name` is temporary (`CREATE TEMP
    /// …`).
    fn is_temporary(&self, name: &str) -> bool {
        let _ = name;
        false
    }

    /// Whether the schema `name` exists (`CREATE SCHEMA`; `main` always
    /// does).
    fn has_schema(&self, name: &str) -> bool {
        name.eq_ignore_ascii_case(MAIN_SCHEMA)
    }

    /// The schemas made with `CREATE SCHEMA` (not `main`), sorted.
    fn schema_names(&self) -> Vec<String> {
        vec![]
    }

    /// Runs `plan` to completion and returns its rows: for what must be
    /// known from the data before a statement can be planned (the values a
    /// `PIVOT` makes columns of).
    fn run_query(&self, plan: LogicalPlan) -> Result<Vec<arrow::record_batch::RecordBatch>> {
        let _ = plan;
        not_impl_err!("running a query while planning is not supported here")
    }
}

/// The default of `max_expression_depth`, as DuckDB's: deep enough for any
/// hand-written query, shallow enough that every recursive pass over the
/// expression keeps to a thread's stack.
pub const DEFAULT_MAX_EXPRESSION_DEPTH: usize = 1000;

/// One session setting as `SHOW ALL` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// The name `SET` takes.
    pub name: &'static str,
    /// The current value, as text.
    pub value: String,
    /// What the setting controls.
    pub description: &'static str,
}

/// Turns statements into logical plans against a [`ContextProvider`].
pub struct SqlPlanner<'a> {
    provider: &'a dyn ContextProvider,
    /// Common table expressions in scope, innermost last.
    ctes: RefCell<Vec<HashMap<String, Arc<LogicalPlan>>>>,
    /// Select-list aliases that GROUP BY and HAVING may use when a name is
    /// not an input column.
    aliases: RefCell<Vec<(String, quiver_expr::Expr)>>,
    /// Schemas of the enclosing queries while a subquery is planned,
    /// innermost last: their columns are visible as outer references.
    outer: RefCell<Vec<quiver_expr::QSchema>>,
    /// The WINDOW clauses of the SELECTs being planned, innermost last.
    named_windows: RefCell<Vec<HashMap<String, ast::WindowSpec>>>,
    /// Whether the clause being bound may call window functions (the
    /// select list, ORDER BY and QUALIFY).
    windows_allowed: std::cell::Cell<bool>,
    /// How deeply the expression being bound is nested now.
    expression_depth: std::cell::Cell<usize>,
    /// When the statement started, in microseconds since 1970-01-01 UTC:
    /// `now()` and `current_date` read it, so they agree throughout the
    /// statement. Taken when first needed.
    statement_time: std::cell::OnceCell<i64>,
    /// Whether the expression being bound is inside `TRY(…)`, where a
    /// constant cast that fails is left to fail (and be caught) at run time.
    inside_try: std::cell::Cell<bool>,
    /// How many derived tables, CTEs and subqueries enclose the query being
    /// planned; inside one, duplicate output names are made unique.
    nesting: std::cell::Cell<usize>,
    /// How many macro calls enclose the one being expanded.
    macro_depth: std::cell::Cell<usize>,
}

/// Arrow fields for SQL column definitions (`name TYPE [NOT NULL]`).
/// `NULL` and `NOT NULL` are the only column options; any other (`DEFAULT`,
/// `PRIMARY KEY`, `UNIQUE`, `CHECK`, …) is an error rather than ignored.
pub(crate) fn column_fields(columns: &[ast::ColumnDef]) -> Result<Vec<Field>> {
    let (fields, defaults) = column_definitions(columns, None)?;
    if let Some((i, _)) = defaults.iter().enumerate().find(|(_, d)| d.is_some()) {
        return not_impl_err!(
            "DEFAULT (of column {}) is not supported here; only CREATE TABLE takes one",
            columns[i].name.value
        );
    }
    Ok(fields)
}

/// Fails for a key constraint (`what`) with clauses beyond its columns
/// (`DEFERRABLE`, `USING` index types, index options, `NULLS NOT
/// DISTINCT`), which Quiver would otherwise ignore.
pub(crate) fn plain_key(what: &dyn std::fmt::Display, has_extras: bool) -> Result<()> {
    if has_extras {
        return not_impl_err!("the key constraint {what}: only its columns are supported");
    }
    Ok(())
}

/// Whether a `UNIQUE` constraint has clauses beyond its columns.
pub(crate) fn unique_has_extras(u: &ast::UniqueConstraint) -> bool {
    u.characteristics.is_some()
        || u.index_type.is_some()
        || !u.index_options.is_empty()
        || u.nulls_distinct != ast::NullsDistinctOption::None
}

/// The expression `text` (SQL written by Quiver itself), parsed.
pub(crate) fn parse_expression(text: &str) -> Result<ast::Expr> {
    let query = parse_query(&format!("SELECT {text}"))?;
    let ast::SetExpr::Select(select) = query.body.as_ref() else {
        return Err(QuiverError::Internal(format!("not a SELECT: {text}")));
    };
    match select.projection.as_slice() {
        [ast::SelectItem::UnnamedExpr(e)] => Ok(e.clone()),
        _ => Err(QuiverError::Internal(format!("not one expression: {text}"))),
    }
}

/// An error naming the first present clause of `clauses`: (present,
/// clause) pairs of the parts of a statement that Quiver parses but does
/// not implement, so that none is silently ignored.
pub(crate) fn reject_unsupported(clauses: &[(bool, &str)]) -> Result<()> {
    match clauses.iter().find(|(present, _)| *present) {
        Some((_, clause)) => not_impl_err!("{clause} is not supported"),
        None => Ok(()),
    }
}

/// The query `sql` (SQL written by Quiver itself), parsed.
pub(crate) fn parse_query(sql: &str) -> Result<ast::Query> {
    let statement = crate::parser::parse_one_statement(sql)?;
    let crate::parser::Statement::Sql(statement) = statement.statement() else {
        return Err(QuiverError::Internal(format!("not a query: {sql}")));
    };
    match statement.as_ref() {
        ast::Statement::Query(query) => Ok(query.as_ref().clone()),
        _ => Err(QuiverError::Internal(format!("not a query: {sql}"))),
    }
}

/// The constraints of a table being created: its keys and `CHECK`
/// expressions.
#[derive(Debug, Default)]
pub(crate) struct TableConstraints {
    /// `PRIMARY KEY` and `UNIQUE`.
    pub keys: Vec<UniqueKey>,
    /// `CHECK (…)` expressions.
    pub checks: Vec<ast::Expr>,
}

/// The expression of a `CHECK` constraint; an error for `NOT ENFORCED`,
/// which Quiver would otherwise ignore.
pub(crate) fn check_expression(check: &ast::CheckConstraint) -> Result<ast::Expr> {
    if check.enforced == Some(false) {
        return not_impl_err!("a CHECK constraint that is NOT ENFORCED");
    }
    Ok(check.expr.as_ref().clone())
}

/// The fields of column definitions, and each one's `DEFAULT` expression;
/// their key and `CHECK` constraints go into `constraints` (an error
/// without it).
pub(crate) fn column_definitions(
    columns: &[ast::ColumnDef],
    mut constraints: Option<&mut TableConstraints>,
) -> Result<(Vec<Field>, Vec<Option<ast::Expr>>)> {
    let mut fields = vec![];
    let mut defaults = vec![];
    for (position, col) in columns.iter().enumerate() {
        let mut not_null = false;
        let mut default = None;
        for option in &col.options {
            let key = match &option.option {
                ColumnOption::PrimaryKey(pk) => {
                    plain_key(
                        &option.option,
                        pk.characteristics.is_some()
                            || pk.index_type.is_some()
                            || !pk.index_options.is_empty(),
                    )?;
                    Some(true)
                }
                ColumnOption::Unique(u) => {
                    plain_key(&option.option, unique_has_extras(u))?;
                    Some(false)
                }
                _ => None,
            };
            if let (Some(primary), Some(constraints)) = (key, constraints.as_deref_mut()) {
                not_null |= primary;
                constraints.keys.push(UniqueKey {
                    columns: vec![position],
                    primary,
                });
                continue;
            }
            if let (ColumnOption::Check(check), Some(constraints)) =
                (&option.option, constraints.as_deref_mut())
            {
                constraints.checks.push(check_expression(check)?);
                continue;
            }
            match &option.option {
                ColumnOption::NotNull => not_null = true,
                ColumnOption::Null => not_null = false,
                ColumnOption::Default(e) => default = Some(e.clone()),
                other => {
                    return not_impl_err!(
                        "column option {other} (of column {}) is not supported yet",
                        col.name.value
                    )
                }
            }
        }
        fields.push(Field::new(
            &col.name.value,
            sql_to_arrow_type(&col.data_type)?,
            !not_null,
        ));
        defaults.push(default);
    }
    Ok((fields, defaults))
}

/// The operands of a left-deep chain `a op b op c …`, in order: `split`
/// takes a node of the chain apart into its left and right operands, or
/// gives `None` for a node that is not part of it. Walks the spine without
/// recursion, so generated chains of any length are safe.
pub(crate) fn left_deep_operands<'a, T>(
    root: &'a T,
    split: impl Fn(&'a T) -> Option<(&'a T, &'a T)>,
) -> Vec<&'a T> {
    let mut operands = vec![];
    let mut spine = root;
    while let Some((left, right)) = split(spine) {
        operands.push(right);
        spine = left;
    }
    operands.push(spine);
    operands.reverse();
    operands
}

/// `create` made temporary (`CREATE TEMP …`) when `temporary`.
fn temporary_if(temporary: bool, name: String, create: Ddl) -> Ddl {
    match temporary {
        true => Ddl::Temporary {
            name,
            create: Box::new(create),
        },
        false => create,
    }
}

/// The name of a table, view or macro: the last part of `name`, whose
/// schema, when given, must be the one schema, `main` (in the catalog
/// `memory`), as `schema.t` elsewhere would be ignored otherwise.
fn object_name(name: &ObjectName) -> Result<String> {
    let (parts, _) = without_catalog(name)?;
    match parts.as_slice() {
        [name] => Ok(name.clone()),
        [schema, name] if schema.eq_ignore_ascii_case(MAIN_SCHEMA) => Ok(name.clone()),
        // An object of another schema is known by `schema.name`; the
        // catalog refuses one whose schema does not exist.
        [schema, name] => Ok(format!("{schema}.{name}")),
        _ => Err(QuiverError::Plan(format!("invalid name {name}"))),
    }
}

/// The catalog every permanent object is in, as information_schema names
/// it.
pub(crate) const CATALOG: &str = "memory";

/// The catalog DuckDB keeps temporary objects in. Quiver keeps them beside
/// the others, so `temp.x` and `temp.main.x` name the temporary object `x`.
pub(crate) const TEMP_CATALOG: &str = "temp";

/// The parts of `name` without its catalog (`memory.main.t`, `temp.t`,
/// `temp.main.t`), and whether that catalog is `temp`; an error naming a
/// catalog there is not, or a schema other than `main` of `temp`.
fn without_catalog(name: &ObjectName) -> Result<(Vec<String>, bool)> {
    let parts: Vec<String> = name
        .0
        .iter()
        .map(|p| p.as_ident().map(|i| i.value.clone()))
        .collect::<Option<_>>()
        .ok_or_else(|| QuiverError::Plan(format!("invalid name {name}")))?;
    let is = |part: &str, word: &str| part.eq_ignore_ascii_case(word);
    match parts.as_slice() {
        [catalog, object] if is(catalog, TEMP_CATALOG) => Ok((vec![object.clone()], true)),
        [catalog, schema, object] if is(catalog, TEMP_CATALOG) => match is(schema, MAIN_SCHEMA) {
            true => Ok((vec![object.clone()], true)),
            false => Err(QuiverError::Plan(format!(
                "schema \"{schema}\" does not exist in the catalog temp (it has main)"
            ))),
        },
        [catalog, rest @ ..] if parts.len() == 3 => match is(catalog, CATALOG) {
            true => Ok((rest.to_vec(), false)),
            false => Err(QuiverError::Plan(format!(
                "catalog \"{catalog}\" does not exist (there are {CATALOG} and {TEMP_CATALOG})"
            ))),
        },
        _ => Ok((parts, false)),
    }
}

/// Whether `name` names the `temp` catalog (`temp.x`, `temp.main.x`): what
/// is made under such a name is temporary, as PostgreSQL makes what is
/// created in `pg_temp` (DuckDB asks for TEMP as well).
fn in_temp_catalog(name: &ObjectName) -> bool {
    without_catalog(name).is_ok_and(|(_, temp)| temp)
}

impl SqlPlanner<'_> {
    /// The catalog's name for the object `name` ([`object_name`]); an
    /// error naming the schema when it does not exist.
    pub(crate) fn catalog_name(&self, name: &ObjectName) -> Result<String> {
        let key = object_name(name)?;
        if in_temp_catalog(name) {
            self.check_temporary(&key)?;
        }
        match key.split_once('.') {
            Some((schema, _)) if !self.provider.has_schema(schema) => Err(QuiverError::Plan(
                format!("schema \"{schema}\" does not exist (CREATE SCHEMA {schema} makes it)"),
            )),
            _ => Ok(key),
        }
    }
}

impl SqlPlanner<'_> {
    /// Fails when `name`, named in the `temp` catalog, is a permanent
    /// object (there is none of that name in `temp`).
    pub(crate) fn check_temporary(&self, name: &str) -> Result<()> {
        let exists =
            self.provider.get_table(name).is_some() || self.provider.get_view(name).is_some();
        match exists && !self.provider.is_temporary(name) {
            true => Err(QuiverError::Plan(format!(
                "\"{name}\" is not in the catalog temp: it is a permanent object (main.{name})"
            ))),
            false => Ok(()),
        }
    }
}

/// The schema every unqualified name is in.
pub const MAIN_SCHEMA: &str = "main";

/// The schemas there always are.
const BUILT_IN_SCHEMAS: [&str; 3] = [MAIN_SCHEMA, "information_schema", "pg_catalog"];

/// Whether `name` is one of [`BUILT_IN_SCHEMAS`].
fn is_built_in_schema(name: &ObjectName) -> bool {
    name.0.last().and_then(|p| p.as_ident()).is_some_and(|i| {
        BUILT_IN_SCHEMAS
            .iter()
            .any(|s| i.value.eq_ignore_ascii_case(s))
    })
}

/// The one object a DROP names; several at once are not supported.
fn dropped_object(names: &[ObjectName]) -> Result<&ObjectName> {
    match names {
        [name] => Ok(name),
        _ => not_impl_err!("DROP one object at a time"),
    }
}

/// The name of a schema (`name` or `catalog.name`).
fn schema_name(name: &ObjectName) -> Result<String> {
    let parts: Vec<&ast::Ident> = name.0.iter().filter_map(|p| p.as_ident()).collect();
    match parts.as_slice() {
        [schema] | [_, schema] if parts.len() == name.0.len() => {
            if is_built_in_schema(name) {
                return Err(QuiverError::Plan(format!(
                    "the schema \"{}\" is built in",
                    schema.value
                )));
            }
            Ok(schema.value.clone())
        }
        _ => Err(QuiverError::Plan(format!("invalid schema name {name}"))),
    }
}

/// The columns of `plan`'s result, one row each: name, SQL type, and
/// whether it may be NULL (`DESCRIBE table` and `DESCRIBE query`).
fn describe_columns(plan: &LogicalPlan) -> Result<LogicalPlan> {
    let rows = plan
        .schema()
        .fields()
        .iter()
        .map(|f| {
            let nullable = if f.field.is_nullable() { "YES" } else { "NO" };
            vec![
                f.name().to_string(),
                sql_type_name(f.field.data_type()),
                nullable.to_string(),
            ]
        })
        .collect();
    Ok(LogicalPlan::Values(Values::strings(
        rows,
        &["column_name", "column_type", "null"],
    )))
}

/// `SET name = value`; the value may be a string, number, boolean or bare
/// word.
fn set_statement(variable: &ObjectName, values: &[ast::Expr]) -> Result<LogicalPlan> {
    let name = variable
        .0
        .iter()
        .map(|p| p.as_ident().map(|i| i.value.to_lowercase()))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| QuiverError::Plan(format!("invalid setting name {variable}")))?
        .join(".");
    let value = match values {
        [ast::Expr::Value(v)] => match &v.value {
            ast::Value::SingleQuotedString(s) | ast::Value::DoubleQuotedString(s) => s.clone(),
            ast::Value::Number(n, _) => n.to_string(),
            ast::Value::Boolean(b) => b.to_string(),
            other => {
                return Err(QuiverError::Plan(format!(
                    "SET {name}: unsupported value {other}"
                )))
            }
        },
        [ast::Expr::Identifier(i)] => i.value.clone(),
        _ => {
            return Err(QuiverError::Plan(format!(
                "SET {name} takes one value, as in SET {name} = 'value'"
            )))
        }
    };
    Ok(LogicalPlan::Ddl(Ddl::Set { name, value }))
}

impl<'a> SqlPlanner<'a> {
    /// A planner over `provider`.
    pub fn new(provider: &'a dyn ContextProvider) -> Self {
        Self {
            provider,
            ctes: RefCell::new(vec![]),
            aliases: RefCell::new(vec![]),
            outer: RefCell::new(vec![]),
            named_windows: RefCell::new(vec![]),
            windows_allowed: std::cell::Cell::new(false),
            expression_depth: std::cell::Cell::new(0),
            statement_time: std::cell::OnceCell::new(),
            inside_try: std::cell::Cell::new(false),
            nesting: std::cell::Cell::new(0),
            macro_depth: std::cell::Cell::new(0),
        }
    }

    /// The planner with `plan` in scope as the relation `name`, as a CTE
    /// would be: the DataFrame API plans SQL over frames this way.
    pub fn with_relation(self, name: &str, plan: LogicalPlan) -> Self {
        self.ctes
            .borrow_mut()
            .push(HashMap::from([(name.to_lowercase(), Arc::new(plan))]));
        self
    }

    /// The statement's start time in microseconds since 1970-01-01 UTC,
    /// taken at the first call.
    pub(crate) fn statement_time(&self) -> i64 {
        *self.statement_time.get_or_init(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        })
    }

    /// Plans one statement.
    pub fn statement_to_plan(&self, statement: &Statement) -> Result<LogicalPlan> {
        match statement {
            Statement::Sql(s) => self.sql_statement_to_plan(s),
            Statement::CreateExternalTable(c) => self.create_external_table(c),
            Statement::CopyTo(c) => self.copy_to(c),
            Statement::Summarize(source) => self.summarize(source),
        }
    }

    fn sql_statement_to_plan(&self, statement: &ast::Statement) -> Result<LogicalPlan> {
        match statement {
            ast::Statement::Query(q) => self.plan_query(q),
            ast::Statement::Explain {
                describe_alias,
                statement,
                analyze,
                verbose,
                query_plan,
                estimate,
                format,
                options,
            } => {
                if !matches!(describe_alias, ast::DescribeAlias::Explain) {
                    // `DESCRIBE query` lists the columns of the result.
                    return describe_columns(&self.sql_statement_to_plan(statement)?);
                }
                if *query_plan || *estimate || format.is_some() || options.is_some() {
                    return not_impl_err!(
                        "EXPLAIN options are not supported; use EXPLAIN, EXPLAIN VERBOSE or \
                         EXPLAIN ANALYZE"
                    );
                }
                let mode = match (*analyze, *verbose) {
                    (true, _) => ExplainMode::Analyze,
                    (false, true) => ExplainMode::Verbose,
                    (false, false) => ExplainMode::Plan,
                };
                let plan = self.sql_statement_to_plan(statement)?;
                Ok(LogicalPlan::Explain(Explain::new(Arc::new(plan), mode)))
            }
            ast::Statement::CreateView(v) => {
                reject_unsupported(&[
                    (v.or_alter, "CREATE OR ALTER VIEW"),
                    (v.materialized, "CREATE MATERIALIZED VIEW"),
                    (v.secure, "CREATE SECURE VIEW"),
                    (
                        !matches!(v.options, ast::CreateTableOptions::None),
                        "CREATE VIEW … WITH (options)",
                    ),
                    (!v.cluster_by.is_empty(), "CREATE VIEW … CLUSTER BY"),
                    (v.comment.is_some(), "CREATE VIEW … COMMENT"),
                    (v.with_no_schema_binding, "WITH NO SCHEMA BINDING"),
                    (v.copy_grants, "COPY GRANTS"),
                    (v.to.is_some(), "CREATE VIEW … TO"),
                    (
                        v.params.is_some(),
                        "CREATE VIEW parameters (ALGORITHM, DEFINER, …)",
                    ),
                    (
                        v.if_not_exists && v.or_replace,
                        "CREATE OR REPLACE VIEW IF NOT EXISTS",
                    ),
                ])?;
                let name = self.catalog_name(&v.name)?;
                if v.if_not_exists
                    && (self.provider.get_view(&name).is_some()
                        || self.provider.get_table(&name).is_some())
                {
                    return Ok(LogicalPlan::EmptyRelation(EmptyRelation {
                        produce_one_row: false,
                        schema: Arc::new(quiver_expr::QSchema::empty()),
                    }));
                }
                let mut input = self.plan_query(&v.query)?;
                if !v.columns.is_empty() {
                    let names: Vec<String> =
                        v.columns.iter().map(|c| c.name.value.clone()).collect();
                    input = query::rename_columns(input, &name, &names)?;
                }
                let create = Ddl::CreateView {
                    name: name.clone(),
                    input: Arc::new(input),
                    or_replace: v.or_replace,
                };
                let temporary = v.temporary || in_temp_catalog(&v.name);
                Ok(LogicalPlan::Ddl(temporary_if(temporary, name, create)))
            }
            ast::Statement::CreateSchema {
                schema_name: ast::SchemaName::Simple(name),
                if_not_exists,
                with: None,
                options: None,
                default_collate_spec: None,
                clone: None,
            } => match schema_name(name) {
                // `main` and the catalog's schemas exist already.
                Err(_) if *if_not_exists && is_built_in_schema(name) => {
                    Ok(LogicalPlan::EmptyRelation(EmptyRelation {
                        produce_one_row: false,
                        schema: Arc::new(quiver_expr::QSchema::empty()),
                    }))
                }
                named => Ok(LogicalPlan::Ddl(Ddl::CreateSchema {
                    name: named?,
                    if_not_exists: *if_not_exists,
                })),
            },
            ast::Statement::Drop {
                object_type: ObjectType::Schema,
                if_exists,
                names,
                cascade,
                ..
            } => Ok(LogicalPlan::Ddl(Ddl::DropSchema {
                name: schema_name(dropped_object(names)?)?,
                if_exists: *if_exists,
                cascade: *cascade,
            })),
            ast::Statement::Drop {
                object_type,
                if_exists,
                names,
                ..
            } => {
                let name = self.catalog_name(dropped_object(names)?)?;
                let if_exists = *if_exists;
                Ok(LogicalPlan::Ddl(match object_type {
                    ObjectType::Table => Ddl::DropTable { name, if_exists },
                    ObjectType::View => Ddl::DropView { name, if_exists },
                    other => return not_impl_err!("DROP {other} is not supported"),
                }))
            }
            ast::Statement::ShowTables { .. } => self.show_tables(),
            ast::Statement::ShowVariable { variable } => self.show_settings(variable),
            ast::Statement::ExplainTable { table_name, .. } => self.describe(table_name),
            ast::Statement::CreateTable(c) => self.create_table(c),
            ast::Statement::Insert(i) => self.insert(i),
            ast::Statement::Update(u) => self.update(u),
            ast::Statement::Delete(d) => self.delete(d),
            ast::Statement::AlterTable(a) => self.alter_table(a),
            ast::Statement::Prepare {
                name,
                data_types,
                statement,
            } => Ok(LogicalPlan::Ddl(Ddl::Prepare {
                name: name.value.to_lowercase(),
                sql: statement.to_string(),
                parameter_types: data_types.iter().map(ToString::to_string).collect(),
            })),
            ast::Statement::Deallocate { name, .. } => Ok(LogicalPlan::Ddl(Ddl::Deallocate {
                name: (!name.value.eq_ignore_ascii_case("all")).then(|| name.value.to_lowercase()),
            })),
            ast::Statement::Execute {
                name: Some(name),
                parameters,
                immediate: false,
                into,
                using,
                output: false,
                default: false,
                ..
            } if into.is_empty() && using.is_empty() => self.execute_prepared(name, parameters),
            ast::Statement::Truncate(t) => self.truncate(t),
            ast::Statement::CreateMacro {
                or_replace,
                temporary,
                name,
                args,
                definition,
            } => self.create_macro(name, args.as_deref(), definition, *or_replace, *temporary),
            ast::Statement::DropFunction(d) => {
                let [function] = d.func_desc.as_slice() else {
                    return not_impl_err!("DROP MACRO of several macros at once");
                };
                if function.args.is_some() || d.drop_behavior.is_some() {
                    return not_impl_err!("DROP MACRO with argument types, CASCADE or RESTRICT");
                }
                Ok(LogicalPlan::Ddl(Ddl::DropMacro {
                    name: self.catalog_name(&function.name)?.to_lowercase(),
                    if_exists: d.if_exists,
                }))
            }
            ast::Statement::StartTransaction {
                modes,
                statements,
                exception,
                ..
            } if statements.is_empty() && exception.is_none() => {
                if !modes.is_empty() {
                    return not_impl_err!("transaction modes (isolation levels, READ ONLY); transactions are serializable");
                }
                Ok(LogicalPlan::Ddl(Ddl::Transaction(TransactionStep::Begin)))
            }
            ast::Statement::Commit { chain: false, .. } => {
                Ok(LogicalPlan::Ddl(Ddl::Transaction(TransactionStep::Commit)))
            }
            ast::Statement::Rollback {
                chain: false,
                savepoint: None,
            } => Ok(LogicalPlan::Ddl(Ddl::Transaction(
                TransactionStep::Rollback,
            ))),
            ast::Statement::Commit { .. } | ast::Statement::Rollback { .. } => {
                not_impl_err!("AND CHAIN and ROLLBACK TO SAVEPOINT")
            }
            ast::Statement::Set(ast::Set::SingleAssignment {
                variable, values, ..
            }) => set_statement(variable, values),
            other => {
                let text = other.to_string();
                let keyword = text
                    .split_whitespace()
                    .next()
                    .unwrap_or("this statement")
                    .to_uppercase();
                not_impl_err!("{keyword} statements are not supported")
            }
        }
    }

    fn create_external_table(&self, c: &CreateExternalTable) -> Result<LogicalPlan> {
        if c.or_replace {
            return not_impl_err!(
                "CREATE OR REPLACE EXTERNAL TABLE is not supported; DROP TABLE first"
            );
        }
        let format = self.provider.file_format(&c.format)?;
        let schema = if c.columns.is_empty() {
            None
        } else {
            let fields = column_fields(&c.columns)?;
            Some(Arc::new(Schema::new(fields)))
        };
        let mut options = c.options.clone();
        if c.format.eq_ignore_ascii_case("tsv") && !options.iter().any(|(k, _)| k == "delimiter") {
            options.push(("delimiter".into(), "\t".into()));
        }
        Ok(LogicalPlan::Ddl(Ddl::CreateExternalTable {
            name: self.catalog_name(&c.name)?,
            location: c.location.clone(),
            format,
            schema,
            options,
            if_not_exists: c.if_not_exists,
        }))
    }

    fn show_tables(&self) -> Result<LogicalPlan> {
        let mut tables = self.provider.list_tables();
        tables.sort();
        let rows = tables
            .into_iter()
            .map(|(name, kind)| vec![name, kind])
            .collect();
        Ok(LogicalPlan::Values(Values::strings(
            rows,
            &["name", "type"],
        )))
    }

    /// `SHOW ALL` (every setting) or `SHOW name` (one of them).
    fn show_settings(&self, variable: &[ast::Ident]) -> Result<LogicalPlan> {
        let name = variable
            .iter()
            .map(|i| i.value.to_lowercase())
            .collect::<Vec<_>>()
            .join(".");
        let settings = self.provider.settings();
        let shown: Vec<&Setting> = if name == "all" {
            settings.iter().collect()
        } else {
            let one: Vec<&Setting> = settings
                .iter()
                .filter(|s| s.name.eq_ignore_ascii_case(&name))
                .collect();
            if one.is_empty() {
                let names: Vec<&str> = settings.iter().map(|s| s.name).collect();
                return Err(QuiverError::Plan(format!(
                    "unknown setting '{name}'; SHOW takes ALL or one of {}",
                    names.join(", ")
                )));
            }
            one
        };
        let rows = shown
            .into_iter()
            .map(|s| {
                vec![
                    s.name.to_string(),
                    s.value.clone(),
                    s.description.to_string(),
                ]
            })
            .collect();
        Ok(LogicalPlan::Values(Values::strings(
            rows,
            &["name", "value", "description"],
        )))
    }

    fn describe(&self, table_name: &ObjectName) -> Result<LogicalPlan> {
        describe_columns(&self.plan_table_name(table_name, None)?)
    }
}
