//! Plans the FROM clause: registered tables, views, CTEs, files named by a
//! quoted path, and derived tables.

use std::path::Path;
use std::sync::Arc;

use quiver_expr::logical_plan::{
    one_row, Filter, Join, JoinType, Projection, SubqueryAlias, TableScan,
};
use quiver_expr::suggest::closest_name;
use quiver_expr::{
    not_impl_err, Column, Expr, LogicalPlan, Operator, QSchema, QuiverError, Result,
};
use quiver_expr::{
    ColumnarValue, FileTables, FunctionTable, GeneratedRows, ScalarValue, Volatility,
};
use sqlparser::ast::{
    self, FunctionArg, FunctionArgExpr, JoinConstraint, JoinOperator, ObjectName, TableAlias,
    TableFactor, TableWithJoins,
};

use super::expr::location;
use super::{object_name, SqlPlanner};
use crate::pivot_statement::RESHAPE_FUNCTION;

/// The name a table read from `location` is qualified by: the file name
/// without extensions (`file` for a glob).
fn file_stem(location: &str) -> String {
    Path::new(location)
        .file_name()
        .and_then(|f| f.to_str())
        .map(|f| f.split('.').next().unwrap_or(f).to_string())
        .filter(|s| !s.is_empty() && !s.contains('*'))
        .unwrap_or_else(|| "file".to_string())
}

/// `true` for an `UNNEST(…)` FROM item.
fn is_unnest_item(factor: &TableFactor) -> bool {
    matches!(factor, TableFactor::UNNEST { .. })
}

/// The value of a constant argument: a literal, a negated one
/// (`-INTERVAL 1 MONTH`) or a cast of one; `None` otherwise.
fn constant_value(e: &Expr) -> Option<ScalarValue> {
    match e {
        Expr::Literal(v) => Some(v.clone()),
        Expr::Negative(inner) => constant_value(inner)?.arithmetic_negate().ok(),
        Expr::Cast(inner, t) => quiver_expr::cast::cast_scalar(&constant_value(inner)?, t).ok(),
        // A list of constants (`['a.csv', 'b.csv']`), or another call of
        // constants that always gives the same result.
        Expr::ScalarFunction(f, args) if f.0.volatility() == Volatility::Immutable => {
            let values = args
                .iter()
                .map(|a| constant_value(a).map(ColumnarValue::Scalar))
                .collect::<Option<Vec<_>>>()?;
            match f.0.invoke(&values, 1).ok()? {
                ColumnarValue::Scalar(v) => Some(v),
                ColumnarValue::Array(a) => ScalarValue::try_from_array(&a, 0).ok(),
            }
        }
        _ => None,
    }
}

/// `plan` without its hidden columns (a projection, if it has any).
fn without_hidden(plan: LogicalPlan) -> Result<LogicalPlan> {
    if !plan.schema().fields().iter().any(|f| f.hidden) {
        return Ok(plan);
    }
    let visible = plan
        .schema()
        .fields()
        .iter()
        .filter(|f| !f.hidden)
        .map(|f| Expr::Column(f.column()))
        .collect();
    Ok(LogicalPlan::Projection(Projection::try_new(
        visible,
        Arc::new(plan),
    )?))
}

/// True when a table name reads like a file location rather than a name.
fn looks_like_path(name: &str) -> bool {
    name.contains(['/', '\\', '*']) || Path::new(name).extension().is_some()
}

/// Table functions reach files through the session, and name the table
/// after them as a quoted path is named.
impl FileTables for SqlPlanner<'_> {
    fn file_table(
        &self,
        locations: &[String],
        format: &str,
        options: &[(String, String)],
    ) -> Result<FunctionTable> {
        let format = self.provider.file_format(format)?;
        let source = self
            .provider
            .get_file_table(locations, Some(&format), options)?;
        Ok(FunctionTable {
            name: locations.first().map(|l| file_stem(l)).unwrap_or_default(),
            source,
        })
    }

    fn generated_table(&self, name: &str, rows: Arc<dyn GeneratedRows>) -> Result<FunctionTable> {
        Ok(FunctionTable {
            name: name.to_string(),
            source: self.provider.generated_table(rows),
        })
    }

    fn file_names(&self, location: &str) -> Result<Vec<String>> {
        self.provider.file_names(location)
    }
}

/// A join's kind as SQL writes it, for messages.
fn join_kind(operator: &JoinOperator) -> &'static str {
    use JoinOperator as J;
    match operator {
        J::Left(_) | J::LeftOuter(_) => "LEFT JOIN",
        J::Right(_) | J::RightOuter(_) => "RIGHT JOIN",
        J::FullOuter(_) => "FULL JOIN",
        J::CrossApply => "CROSS APPLY",
        J::OuterApply => "OUTER APPLY",
        J::StraightJoin(..) => "STRAIGHT_JOIN",
        J::Semi(_) | J::LeftSemi(_) | J::RightSemi(_) => "SEMI JOIN",
        J::Anti(_) | J::LeftAnti(_) | J::RightAnti(_) => "ANTI JOIN",
        _ => "this kind of join",
    }
}

/// The positions in `ls` and `rs` of each `USING` column `names`.
pub(crate) fn using_pairs(
    ls: &QSchema,
    rs: &QSchema,
    names: &[String],
) -> Result<Vec<(usize, usize)>> {
    names
        .iter()
        .map(|name| {
            let find = |s: &QSchema, side: &str| {
                s.find(&Column::bare(name))?.ok_or_else(|| {
                    QuiverError::Plan(format!(
                        "USING column \"{name}\" is not in the {side} table"
                    ))
                })
            };
            Ok((find(ls, "left")?, find(rs, "right")?))
        })
        .collect()
}

/// The column names of a `USING (…)` list.
pub(crate) fn using_names(names: &[ast::ObjectName]) -> Result<Vec<String>> {
    names
        .iter()
        .map(|n| {
            n.0.last()
                .and_then(|p| p.as_ident())
                .map(|i| i.value.clone())
                .ok_or_else(|| QuiverError::Plan(format!("invalid USING column {n}")))
        })
        .collect()
}

impl SqlPlanner<'_> {
    /// The FROM clause: its items cross-joined (`FROM a, b`), each with its
    /// JOINs applied left to right.
    pub(crate) fn plan_from(&self, from: &[TableWithJoins]) -> Result<LogicalPlan> {
        let mut plan: Option<LogicalPlan> = None;
        for item in from {
            if is_unnest_item(&item.relation) && item.joins.is_empty() {
                plan = Some(self.unnest_in_from(plan, &item.relation)?);
                continue;
            }
            let beside = plan.as_ref().map(|p| p.schema().clone());
            let mut current = self.plan_table_factor(&item.relation, beside.as_ref())?;
            for join in &item.joins {
                if is_unnest_item(&join.relation) {
                    current = self.join_unnest(current, join)?;
                    continue;
                }
                let beside = current.schema().clone();
                let right = self.plan_table_factor(&join.relation, Some(&beside))?;
                current = self.plan_join(current, right, &join.join_operator)?;
            }
            plan = Some(match plan {
                None => current,
                Some(left) => LogicalPlan::Join(Join::cross(Arc::new(left), Arc::new(current))?),
            });
        }
        Ok(plan.unwrap_or_else(one_row))
    }

    /// `left [INNER | CROSS] JOIN unnest(…) [ON condition]`: the unnest
    /// over `left`'s rows (it may read their columns, as after a comma),
    /// the rows the condition keeps. `LEFT JOIN unnest(…) ON condition` is
    /// the lateral subquery `LEFT JOIN LATERAL (SELECT * FROM unnest(…))`:
    /// a row whose list is empty, NULL or has no element the condition
    /// keeps is kept once, with NULL elements. Other outer joins with an
    /// unnest are not supported (the unnest reads the left side's rows).
    fn join_unnest(&self, left: LogicalPlan, join: &ast::Join) -> Result<LogicalPlan> {
        use JoinOperator as J;
        let condition = match &join.join_operator {
            J::Join(c) | J::Inner(c) | J::CrossJoin(c) => c,
            J::Left(c) | J::LeftOuter(c) => return self.left_join_unnest(left, &join.relation, c),
            other => {
                return not_impl_err!(
                    "{} with UNNEST is not supported; use an inner or LEFT JOIN, or list it in \
                     FROM after the tables it reads: FROM t, unnest(t.l)",
                    join_kind(other)
                )
            }
        };
        let unnested = self.unnest_in_from(Some(left), &join.relation)?;
        match condition {
            JoinConstraint::None => Ok(unnested),
            JoinConstraint::On(on) => {
                let schema = unnested.schema().clone();
                let predicate = self.boolean(self.sql_to_expr(on, &schema)?, "ON", &schema)?;
                Ok(LogicalPlan::Filter(Filter::try_new(
                    predicate,
                    Arc::new(unnested),
                )?))
            }
            _ => not_impl_err!("JOIN UNNEST with USING or NATURAL is not supported; use ON"),
        }
    }

    /// `left LEFT JOIN unnest(…) [AS u(x, …)] ON condition`, planned as
    /// `left LEFT JOIN LATERAL (SELECT * FROM unnest(…) AS u(x, …)) AS u ON
    /// condition`.
    fn left_join_unnest(
        &self,
        left: LogicalPlan,
        item: &TableFactor,
        condition: &JoinConstraint,
    ) -> Result<LogicalPlan> {
        let TableFactor::UNNEST { alias, .. } = item else {
            return Err(QuiverError::Internal("not an UNNEST item".into()));
        };
        if !matches!(condition, JoinConstraint::On(_)) {
            return not_impl_err!("LEFT JOIN UNNEST needs ON (ON true keeps every element)");
        }
        let subquery = super::parse_query(&format!("SELECT * FROM {item}"))?;
        let name = alias.as_ref().map_or("unnest", |a| a.name.value.as_str());
        let lateral = TableFactor::Derived {
            lateral: true,
            subquery: Box::new(subquery),
            alias: Some(TableAlias {
                explicit: true,
                name: ast::Ident::new(name),
                columns: vec![],
                at: None,
            }),
            sample: None,
        };
        let beside = left.schema().clone();
        let right = self.plan_table_factor(&lateral, Some(&beside))?;
        self.plan_join(left, right, &JoinOperator::LeftOuter(condition.clone()))
    }

    fn plan_join(
        &self,
        left: LogicalPlan,
        right: LogicalPlan,
        operator: &JoinOperator,
    ) -> Result<LogicalPlan> {
        use JoinOperator as J;
        if let J::AsOf {
            match_condition,
            constraint,
        } = operator
        {
            return self.asof_join(left, right, match_condition, constraint);
        }
        let (join_type, constraint) = match operator {
            J::Join(c) | J::Inner(c) => (JoinType::Inner, c),
            J::Left(c) | J::LeftOuter(c) => (JoinType::Left, c),
            J::Right(c) | J::RightOuter(c) => (JoinType::Right, c),
            J::FullOuter(c) => (JoinType::Full, c),
            J::CrossJoin(c) => (JoinType::Inner, c),
            J::Semi(c) | J::LeftSemi(c) => (JoinType::LeftSemi, c),
            J::Anti(c) | J::LeftAnti(c) => (JoinType::LeftAnti, c),
            J::RightSemi(c) => (JoinType::RightSemi, c),
            J::RightAnti(c) => (JoinType::RightAnti, c),
            other => return not_impl_err!("{} is not supported", join_kind(other)),
        };
        let (left, right) = (Arc::new(left), Arc::new(right));
        match constraint {
            JoinConstraint::None => {
                if join_type != JoinType::Inner {
                    return Err(QuiverError::Plan(format!(
                        "{join_type} JOIN needs an ON or USING clause"
                    )));
                }
                Ok(LogicalPlan::Join(Join::cross(left, right)?))
            }
            JoinConstraint::On(condition) => {
                let both = left.schema().join(right.schema());
                let condition = self.sql_to_expr(condition, &both)?;
                if condition.contains_aggregate() {
                    return Err(QuiverError::Plan(format!(
                        "aggregates are not allowed in JOIN .. ON ({condition})"
                    )));
                }
                let condition = self.boolean(condition, "JOIN .. ON", &both)?;
                if condition.contains_subquery() {
                    // An inner join's condition filters the pairs; the
                    // filter's subqueries become joins in decorrelation.
                    if join_type != JoinType::Inner {
                        return not_impl_err!(
                            "subqueries in the ON condition of a {join_type} JOIN are not supported; only inner joins take them"
                        );
                    }
                    let pairs = Arc::new(LogicalPlan::Join(Join::cross(left, right)?));
                    return Ok(LogicalPlan::Filter(Filter::try_new(condition, pairs)?));
                }
                Ok(LogicalPlan::Join(Join::try_new(
                    left,
                    right,
                    join_type,
                    vec![],
                    Some(condition),
                    false,
                )?))
            }
            JoinConstraint::Using(names) => {
                self.join_using(left, right, join_type, &using_names(names)?)
            }
            JoinConstraint::Natural => {
                let right_names = right.schema().field_names();
                let common: Vec<String> = left
                    .schema()
                    .field_names()
                    .into_iter()
                    .filter(|n| right_names.iter().any(|r| r.eq_ignore_ascii_case(n)))
                    .collect();
                if common.is_empty() {
                    return Ok(LogicalPlan::Join(Join::cross(left, right)?));
                }
                self.join_using(left, right, join_type, &common)
            }
        }
    }

    /// `JOIN .. USING (names)`: equal named columns, which appear once in the
    /// output (taken from the preserved side; merged with COALESCE for FULL).
    fn join_using(
        &self,
        left: Arc<LogicalPlan>,
        right: Arc<LogicalPlan>,
        join_type: JoinType,
        names: &[String],
    ) -> Result<LogicalPlan> {
        let (ls, rs) = (left.schema().clone(), right.schema().clone());
        let both = ls.join(&rs);
        let pairs = using_pairs(&ls, &rs, names)?;
        let mut condition: Option<Expr> = None;
        for &(l, r) in &pairs {
            let eq = self.binary(
                Expr::Column(ls.field(l).column()),
                Operator::Eq,
                Expr::Column(rs.field(r).column()),
                &both,
            )?;
            condition = Some(match condition {
                None => eq,
                Some(c) => c.and(eq),
            });
        }
        let join = LogicalPlan::Join(Join::try_new(
            left,
            right,
            join_type,
            vec![],
            condition,
            false,
        )?);
        if !join_type.outputs_left() || !join_type.outputs_right() {
            return Ok(join);
        }
        self.merge_using_columns(join, &ls, &rs, &pairs, join_type)
    }

    /// The output of a join `USING` the column `pairs` (positions in `ls`
    /// and `rs`): each key once, the other table's own key columns kept
    /// hidden, in its columns' order: `b.k` and `b.*` reach them, `k` and
    /// `*` do not (PostgreSQL and DuckDB). A FULL join's merged column
    /// belongs to neither table; there both tables keep their own key
    /// columns, hidden.
    pub(crate) fn merge_using_columns(
        &self,
        join: LogicalPlan,
        ls: &QSchema,
        rs: &QSchema,
        pairs: &[(usize, usize)],
        join_type: JoinType,
    ) -> Result<LogicalPlan> {
        let both = ls.join(rs);
        let mut columns: Vec<(Expr, bool)> = vec![];
        for (i, f) in ls.fields().iter().enumerate() {
            let own = Expr::Column(f.column());
            let Some(&(_, r)) = pairs.iter().find(|(l, _)| *l == i) else {
                columns.push((own, f.hidden));
                continue;
            };
            let other = Expr::Column(rs.field(r).column());
            match join_type {
                JoinType::Right => columns.extend([(other, false), (own, true)]),
                JoinType::Full => columns.extend([
                    (
                        self.call_scalar("coalesce", vec![own.clone(), other], &both)?
                            .alias(f.name()),
                        false,
                    ),
                    (own, true),
                ]),
                _ => columns.push((own, false)),
            }
        }
        for (i, f) in rs.fields().iter().enumerate() {
            let key = pairs.iter().any(|(_, r)| *r == i);
            let hidden_key = key && join_type != JoinType::Right;
            if !key || hidden_key {
                columns.push((Expr::Column(f.column()), f.hidden || hidden_key));
            }
        }
        let (exprs, hidden): (Vec<Expr>, Vec<bool>) = columns.into_iter().unzip();
        let projection = Projection::try_new(exprs, Arc::new(join))?.with_hidden(&hidden);
        Ok(LogicalPlan::Projection(projection))
    }

    /// One FROM item. A subquery in it may read the columns of the items
    /// to its left (`beside`), as with `LATERAL`, which DuckDB implies.
    pub(crate) fn plan_table_factor(
        &self,
        factor: &TableFactor,
        beside: Option<&QSchema>,
    ) -> Result<LogicalPlan> {
        match factor {
            TableFactor::Table {
                name,
                alias,
                args,
                with_hints,
                version,
                with_ordinality,
                partitions,
                json_path,
                sample,
                index_hints,
            } => {
                let unsupported = [
                    (
                        version.is_some(),
                        "time travel (FOR SYSTEM_TIME, AT, BEFORE)",
                    ),
                    (*with_ordinality, "WITH ORDINALITY"),
                    (!partitions.is_empty(), "PARTITION (…) after a table name"),
                    (json_path.is_some(), "a JSON path after a table name"),
                    (
                        !with_hints.is_empty() || !index_hints.is_empty(),
                        "table and index hints",
                    ),
                ];
                super::reject_unsupported(&unsupported)?;
                let plan = match args {
                    Some(args) => self.plan_table_function(name, &args.args, alias.as_ref())?,
                    None => self.plan_table_name(name, alias.as_ref())?,
                };
                match sample {
                    Some(sample) => self.sampled(plan, sample),
                    None => Ok(plan),
                }
            }
            TableFactor::Derived {
                lateral,
                subquery,
                alias,
                sample,
            } => {
                let plan = match beside {
                    Some(left) => {
                        self.in_scope_of(left, || self.nested(|| self.plan_query(subquery)))?
                    }
                    None if *lateral => {
                        return Err(QuiverError::Plan(
                            "LATERAL needs a FROM item to its left".into(),
                        ))
                    }
                    None => self.nested(|| self.plan_query(subquery))?,
                };
                let plan = match alias {
                    Some(a) => self.apply_alias(plan, a)?,
                    None => plan,
                };
                match sample {
                    Some(sample) => self.sampled(plan, sample),
                    None => Ok(plan),
                }
            }
            TableFactor::NestedJoin {
                table_with_joins,
                alias,
            } => {
                let plan = self.plan_from(std::slice::from_ref(table_with_joins))?;
                match alias {
                    Some(a) => self.apply_alias(plan, a),
                    None => Ok(plan),
                }
            }
            TableFactor::UNNEST { .. } => not_impl_err!(
                "UNNEST here is not supported; list it in FROM after the tables it reads: \
                 FROM t, unnest(t.l), or JOIN unnest(t.l) AS u(x) ON …"
            ),
            TableFactor::Unpivot {
                table,
                value,
                name,
                columns,
                null_inclusion,
                alias,
            } => self.unpivot(
                table,
                value,
                name,
                columns,
                null_inclusion.as_ref(),
                alias.as_ref(),
            ),
            TableFactor::Pivot {
                table,
                aggregate_functions,
                value_column,
                value_source,
                default_on_null,
                alias,
            } => self.pivot(
                table,
                aggregate_functions,
                value_column,
                value_source,
                default_on_null.as_ref(),
                alias.as_ref(),
            ),
            other => not_impl_err!("{other} is not supported in FROM yet"),
        }
    }

    /// A table function in FROM (`read_parquet('location')`,
    /// `read_csv('location', header => true)`, …), called with its constant
    /// arguments.
    fn plan_table_function(
        &self,
        name: &ObjectName,
        args: &[FunctionArg],
        alias: Option<&TableAlias>,
    ) -> Result<LogicalPlan> {
        let function = object_name(name)?.to_lowercase();
        if function == RESHAPE_FUNCTION {
            let [FunctionArg::Unnamed(FunctionArgExpr::Expr(ast::Expr::Value(text)))] = args else {
                return Err(QuiverError::Internal(format!("{function} takes its text")));
            };
            let ast::Value::SingleQuotedString(text) = &text.value else {
                return Err(QuiverError::Internal(format!("{function} takes its text")));
            };
            return self.reshape_statement(text, alias);
        }
        if let Some(m) = self.provider.get_macro(&function) {
            let plan = self.table_macro_call(&function, &m, args)?;
            return match alias {
                Some(alias) => self.apply_alias(plan, alias),
                None => Ok(LogicalPlan::SubqueryAlias(SubqueryAlias::try_new(
                    Arc::new(without_hidden(plan)?),
                    &function,
                    &[],
                )?)),
            };
        }
        let Some(table_function) = self.provider.table_function(&function) else {
            return Err(QuiverError::Plan(format!(
                "unknown table function {function}(); expected read_parquet, read_csv, \
                 read_json or read_ of another file format"
            )));
        };
        let constant = |e: &ast::Expr| -> Result<ScalarValue> {
            let bound = self.sql_to_expr(e, &QSchema::empty())?;
            match constant_value(&bound) {
                Some(v) if !v.is_null() => Ok(v),
                _ => Err(QuiverError::Plan(format!(
                    "arguments of {function}() must be constants, not {bound}"
                ))),
            }
        };
        let mut positional = vec![];
        let mut named = vec![];
        for arg in args {
            match arg {
                // DuckDB's `name = value` form of a named argument.
                FunctionArg::Unnamed(FunctionArgExpr::Expr(ast::Expr::BinaryOp {
                    left,
                    op: ast::BinaryOperator::Eq,
                    right,
                })) if matches!(left.as_ref(), ast::Expr::Identifier(_)) => {
                    named.push((left.to_string().to_lowercase(), constant(right)?))
                }
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => positional.push(constant(e)?),
                FunctionArg::Named {
                    name,
                    arg: FunctionArgExpr::Expr(e),
                    ..
                } => named.push((name.value.to_lowercase(), constant(e)?)),
                other => {
                    return Err(QuiverError::Plan(format!(
                        "unexpected argument {other} of {function}()"
                    )))
                }
            }
        }
        let table = table_function.table(&positional, &named, self)?;
        let scan = LogicalPlan::TableScan(TableScan::try_new(&table.name, table.source, None)?);
        let scan = self.in_session_zone_scan(scan, &table.name)?;
        match alias {
            Some(a) => self.apply_alias(scan, a),
            None => Ok(scan),
        }
    }

    pub(crate) fn apply_alias(&self, plan: LogicalPlan, alias: &TableAlias) -> Result<LogicalPlan> {
        let columns: Vec<String> = alias.columns.iter().map(|c| c.name.value.clone()).collect();
        // Under a new name the tables of a join are gone, and with them
        // the columns only their names reached.
        let plan = without_hidden(plan)?;
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
        // `temp.table` or `temp.main.table`: a temporary table or view.
        let (parts, in_temp) = super::without_catalog(name)?;
        if in_temp && !self.provider.is_temporary(&table) {
            return Err(QuiverError::Plan(format!(
                "table \"{table}\" not found in the catalog temp, which holds the temporary \
                 tables and views{}",
                location(ident.span)
            )));
        }
        // `schema.table` (or `catalog.schema.table`): the one schema, or
        // information_schema.
        if let [schema, _] = parts.as_slice() {
            let schema = schema.to_lowercase();
            match schema.as_str() {
                "information_schema" => {
                    let plan = self.information_schema(&table)?;
                    return match alias {
                        Some(a) => self.apply_alias(plan, a),
                        None => Ok(plan),
                    };
                }
                "main" => {}
                other if self.provider.has_schema(other) => {
                    let key = format!("{other}.{table}");
                    let plan = if let Some(view) = self.provider.get_view(&key) {
                        view.as_ref().clone()
                    } else if let Some(source) = self.provider.get_table(&key) {
                        let scan = LogicalPlan::TableScan(TableScan::try_new(&table, source, None)?);
                        self.in_session_zone_scan(scan, &table)?
                    } else {
                        return Err(QuiverError::Plan(format!(
                            "table \"{table}\" not found in schema \"{other}\"{}",
                            location(ident.span)
                        )));
                    };
                    return match alias {
                        Some(a) => self.apply_alias(plan, a),
                        None => Ok(LogicalPlan::SubqueryAlias(SubqueryAlias::try_new(
                            Arc::new(plan),
                            &table,
                            &[],
                        )?)),
                    };
                }
                other => {
                    return Err(QuiverError::Plan(format!(
                        "schema \"{other}\" does not exist (CREATE SCHEMA makes one; the catalog is in information_schema)"
                    )))
                }
            }
        }
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
            if let Some(cte) = self.cte(&table).filter(|_| !in_temp) {
                return named(cte.as_ref().clone(), &table);
            }
            if let Some(view) = self.provider.get_view(&table) {
                return named(view.as_ref().clone(), &table);
            }
            if let Some(source) = self.provider.get_table(&table) {
                let scan = LogicalPlan::TableScan(TableScan::try_new(&table, source, None)?);
                let scan = self.in_session_zone_scan(scan, &table)?;
                return match alias {
                    Some(a) => self.apply_alias(scan, a),
                    None => Ok(scan),
                };
            }
        }
        if string_literal || looks_like_path(&table) {
            let source = self
                .provider
                .get_file_table(std::slice::from_ref(&table), None, &[])?;
            let stem = file_stem(&table);
            let scan = LogicalPlan::TableScan(TableScan::try_new(&stem, source, None)?);
            let scan = self.in_session_zone_scan(scan, &stem)?;
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
