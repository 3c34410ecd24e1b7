//! Plans queries: SELECT blocks (with grouping, HAVING, ORDER BY, DISTINCT),
//! VALUES, WITH, LIMIT and OFFSET.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::datatypes::DataType;
use quiver_expr::logical_plan::{
    Aggregate, Filter, Limit, Projection, SetOperation, SetOperator, Sort, SubqueryAlias, Union,
    Values, Window,
};
use quiver_expr::stack::grow_on_demand;
use quiver_expr::types::{common_type, sql_type_name};
use quiver_expr::{
    not_impl_err, Expr, LogicalPlan, Operator, QSchema, QuiverError, Result, ScalarValue, SortExpr,
    WindowCall, WindowFrame, WindowFunctionRef, WindowKind,
};
use sqlparser::ast::{
    self, LimitClause, OrderByKind, SelectItem, SelectItemQualifiedWildcardKind, SetExpr,
    SetQuantifier,
};

use super::expr::{cast_expr, location};
use super::grouping::{contains_grouping_call, resolve_grouping_calls};
use super::{left_deep_operands, SqlPlanner};

/// The types the columns of the queries of a set operation `op` are cast
/// to: per column, the common type of every query's.
fn common_column_types(op: ast::SetOperator, schemas: &[&QSchema]) -> Result<Vec<DataType>> {
    let Some((first, rest)) = schemas.split_first() else {
        return Err(QuiverError::Internal(format!("{op} without queries")));
    };
    let mut types: Vec<DataType> = first
        .fields()
        .iter()
        .map(|f| f.field.data_type().clone())
        .collect();
    for schema in rest {
        if schema.len() != types.len() {
            return Err(QuiverError::Plan(format!(
                "each {op} query must have the same number of columns, but they have {} and {}",
                types.len(),
                schema.len()
            )));
        }
        for ((ty, f), name) in types.iter_mut().zip(schema.fields()).zip(first.fields()) {
            let next = f.field.data_type();
            *ty = common_type(ty, next).ok_or_else(|| {
                QuiverError::Schema(format!(
                    "{op} column {} mixes {} and {}",
                    name.name(),
                    sql_type_name(ty),
                    sql_type_name(next)
                ))
            })?;
        }
    }
    Ok(types)
}

/// Renames the columns of `plan` and names the relation `alias`.
/// `names` with each name that repeats an earlier one given the first
/// free suffix (`x`, `x_1`, `x_2`; names compared without regard to case),
/// as DuckDB names a subquery's columns.
fn unique_names(names: Vec<String>) -> Vec<String> {
    let mut used = std::collections::HashSet::new();
    names
        .into_iter()
        .map(|name| {
            let unique = std::iter::once(name.clone())
                .chain((1..).map(|i| format!("{name}_{i}")))
                .find(|n| !used.contains(&n.to_lowercase()))
                .unwrap_or_default();
            used.insert(unique.to_lowercase());
            unique
        })
        .collect()
}

pub(crate) fn rename_columns(
    plan: LogicalPlan,
    alias: &str,
    names: &[String],
) -> Result<LogicalPlan> {
    Ok(LogicalPlan::SubqueryAlias(SubqueryAlias::try_new(
        Arc::new(plan),
        alias,
        names,
    )?))
}

/// A query's ORDER BY clause.
enum QueryOrder<'a> {
    /// Sort keys, possibly none.
    Keys(&'a [ast::OrderByExpr]),
    /// `ORDER BY ALL`: every output column, left to right.
    All(&'a ast::OrderByOptions),
}

/// Where an ORDER BY key comes from.
enum SortKey {
    /// The select item at this index.
    Output(usize),
    /// An expression over the FROM/WHERE input that is not selected.
    Input(Expr),
}

/// Aggregate calls in `exprs`, each once, in order of appearance.
fn collect_aggregates<'a>(exprs: impl IntoIterator<Item = &'a Expr>) -> Vec<Expr> {
    let mut out: Vec<Expr> = vec![];
    for e in exprs {
        e.any(&mut |x| {
            if matches!(x, Expr::Aggregate(_)) && !out.contains(x) {
                out.push(x.clone());
            }
            false
        });
    }
    out
}

/// Rewrites `e` over the output of an aggregation: group expressions and
/// aggregate calls become references to the aggregation's columns. Any
/// other column left over was neither grouped nor aggregated.
fn rebase(e: &Expr, groups: &[Expr], aggs: &[Expr], schema: &QSchema) -> Result<Expr> {
    let out = e.clone().rewrite(&mut |x| {
        if let Some(i) = groups.iter().position(|g| g == x) {
            return Ok(Some(Expr::Column(schema.field(i).column())));
        }
        if let Some(j) = aggs.iter().position(|a| a == x) {
            return Ok(Some(Expr::Column(schema.field(groups.len() + j).column())));
        }
        Ok(None)
    })?;
    for c in out.columns() {
        if schema.find(&c)?.is_none() {
            return Err(QuiverError::Plan(format!(
                "column \"{c}\" must appear in the GROUP BY clause or be used in an aggregate function"
            )));
        }
    }
    Ok(out)
}

fn as_position(e: &ast::Expr) -> Option<&str> {
    match e {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::Number(n, _) => Some(n.as_str()),
            _ => None,
        },
        _ => None,
    }
}

fn bare_identifier(e: &ast::Expr) -> Option<&ast::Ident> {
    match e {
        ast::Expr::Identifier(id) => Some(id),
        _ => None,
    }
}

impl SqlPlanner<'_> {
    /// Plans a whole query, including its WITH clause.
    pub(crate) fn plan_query(&self, q: &ast::Query) -> Result<LogicalPlan> {
        let Some(with) = &q.with else {
            return self.plan_query_body(q);
        };
        self.ctes.borrow_mut().push(HashMap::new());
        let result = (|| {
            for cte in &with.cte_tables {
                let name = cte.alias.name.value.clone();
                let columns: Vec<String> = cte
                    .alias
                    .columns
                    .iter()
                    .map(|c| c.name.value.clone())
                    .collect();
                let plan = self.nested(|| {
                    let recursive = match with.recursive {
                        true => self.recursive_cte(&name, &columns, &cte.query)?,
                        false => None,
                    };
                    match recursive {
                        Some(plan) => Ok(plan),
                        None => rename_columns(self.plan_query(&cte.query)?, &name, &columns),
                    }
                })?;
                self.define_cte(&name, plan);
            }
            self.plan_query_body(q)
        })();
        self.ctes.borrow_mut().pop();
        result
    }

    /// `plan` planned as a relation inside another query (a derived table,
    /// a CTE, a subquery), whose output names are made unique.
    pub(crate) fn nested<T>(&self, plan: impl FnOnce() -> T) -> T {
        self.nesting.set(self.nesting.get() + 1);
        let planned = plan();
        self.nesting.set(self.nesting.get() - 1);
        planned
    }

    /// Makes `plan` the CTE `name` in the innermost scope.
    pub(crate) fn define_cte(&self, name: &str, plan: LogicalPlan) {
        if let Some(scope) = self.ctes.borrow_mut().last_mut() {
            scope.insert(name.to_lowercase(), Arc::new(plan));
        }
    }

    /// A CTE in scope by name.
    pub(crate) fn cte(&self, name: &str) -> Option<Arc<LogicalPlan>> {
        let lower = name.to_lowercase();
        self.ctes
            .borrow()
            .iter()
            .rev()
            .find_map(|scope| scope.get(&lower).cloned())
    }

    fn plan_query_body(&self, q: &ast::Query) -> Result<LogicalPlan> {
        if q.fetch.is_some() || !q.locks.is_empty() {
            return not_impl_err!("FETCH and FOR UPDATE are not supported; use LIMIT");
        }
        let unsupported = [
            (q.settings.is_some(), "SETTINGS"),
            (q.format_clause.is_some(), "FORMAT after a query"),
            (q.for_clause.is_some(), "FOR XML / FOR JSON"),
            (!q.pipe_operators.is_empty(), "pipe syntax (|>)"),
        ];
        super::reject_unsupported(&unsupported)?;
        let order_by = match q.order_by.as_ref().map(|o| &o.kind) {
            None => QueryOrder::Keys(&[]),
            // The generic dialect reads `ORDER BY ALL` as a column named ALL.
            Some(OrderByKind::Expressions(exprs)) => match exprs.as_slice() {
                [key] if is_bare_all(&key.expr) => QueryOrder::All(&key.options),
                _ => QueryOrder::Keys(exprs),
            },
            Some(OrderByKind::All(options)) => QueryOrder::All(options),
        };
        let plan = match q.body.as_ref() {
            SetExpr::Select(s) => self.plan_select(s, &order_by)?,
            other => {
                let plan = self.plan_set_expr(other)?;
                self.order_output(plan, &order_by)?
            }
        };
        self.plan_limit(plan, q.limit_clause.as_ref())
    }

    pub(crate) fn plan_set_expr(&self, body: &SetExpr) -> Result<LogicalPlan> {
        // INTERSECT and EXCEPT chains recurse here once per query.
        grow_on_demand(|| self.plan_set_expr_here(body))
    }

    /// [`Self::plan_set_expr`], on the current stack.
    fn plan_set_expr_here(&self, body: &SetExpr) -> Result<LogicalPlan> {
        match body {
            SetExpr::Select(s) => self.plan_select(s, &QueryOrder::Keys(&[])),
            SetExpr::Query(q) => self.plan_query(q),
            SetExpr::Values(v) => self.plan_values(v),
            SetExpr::SetOperation {
                left,
                op,
                set_quantifier,
                right,
            } => {
                let all = match set_quantifier {
                    SetQuantifier::All | SetQuantifier::AllByName => true,
                    SetQuantifier::Distinct
                    | SetQuantifier::None
                    | SetQuantifier::ByName
                    | SetQuantifier::DistinctByName => false,
                };
                let by_name = matches!(
                    set_quantifier,
                    SetQuantifier::ByName
                        | SetQuantifier::AllByName
                        | SetQuantifier::DistinctByName
                );
                if by_name && *op != ast::SetOperator::Union {
                    return not_impl_err!("{op} {set_quantifier} is not supported; only UNION matches columns by name");
                }
                if *op == ast::SetOperator::Union {
                    return self.union_chain(body, set_quantifier, all);
                }
                let left = self.plan_set_expr(left)?;
                let right = self.plan_set_expr(right)?;
                self.set_operation(left, *op, all, right)
            }
            other => not_impl_err!("{other} is not supported as a query"),
        }
    }

    /// `a UNION b UNION c …` with one quantifier throughout, as one n-ary
    /// union (then DISTINCT unless ALL): the parser's left-deep chain is
    /// walked without recursion, so generated unions of thousands of
    /// queries plan.
    fn union_chain(
        &self,
        body: &SetExpr,
        quantifier: &SetQuantifier,
        all: bool,
    ) -> Result<LogicalPlan> {
        let branches = left_deep_operands(body, |node| match node {
            SetExpr::SetOperation {
                left,
                op: ast::SetOperator::Union,
                set_quantifier,
                right,
            } if set_quantifier == quantifier => Some((left.as_ref(), right.as_ref())),
            _ => None,
        });
        let mut plans = branches
            .into_iter()
            .map(|branch| self.plan_set_expr(branch))
            .collect::<Result<Vec<_>>>()?;
        if matches!(
            quantifier,
            SetQuantifier::ByName | SetQuantifier::AllByName | SetQuantifier::DistinctByName
        ) {
            plans = aligned_by_name(plans)?;
        }
        let schemas: Vec<&QSchema> = plans.iter().map(|p| p.schema()).collect();
        let types = common_column_types(ast::SetOperator::Union, &schemas)?;
        let inputs = plans
            .into_iter()
            .map(|plan| cast_columns(plan, &types).map(Arc::new))
            .collect::<Result<Vec<_>>>()?;
        let union = LogicalPlan::Union(Union::try_new(inputs)?);
        if all {
            Ok(union)
        } else {
            distinct_rows(union)
        }
    }

    /// `left INTERSECT|EXCEPT [ALL] right`, with both sides' columns cast to
    /// common types.
    fn set_operation(
        &self,
        left: LogicalPlan,
        op: ast::SetOperator,
        all: bool,
        right: LogicalPlan,
    ) -> Result<LogicalPlan> {
        let operator = match op {
            ast::SetOperator::Intersect => SetOperator::Intersect,
            ast::SetOperator::Except => SetOperator::Except,
            other => return not_impl_err!("{other} is not supported"),
        };
        let types = common_column_types(op, &[left.schema(), right.schema()])?;
        let left = Arc::new(cast_columns(left, &types)?);
        let right = Arc::new(cast_columns(right, &types)?);
        Ok(LogicalPlan::SetOperation(SetOperation::try_new(
            left, right, operator, all,
        )?))
    }

    fn plan_values(&self, v: &ast::Values) -> Result<LogicalPlan> {
        let empty = QSchema::empty();
        let rows = v
            .rows
            .iter()
            .map(|row| {
                row.content
                    .iter()
                    .map(|e| self.sql_to_expr(e, &empty))
                    .collect::<Result<Vec<_>>>()
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(LogicalPlan::Values(Values::try_new(rows, &[])?))
    }

    /// ORDER BY over the output of a non-SELECT query (VALUES, a subquery).
    fn order_output(&self, plan: LogicalPlan, order_by: &QueryOrder) -> Result<LogicalPlan> {
        let schema = plan.schema().clone();
        let order_by = match order_by {
            QueryOrder::Keys([]) => return Ok(plan),
            QueryOrder::Keys(keys) => keys,
            QueryOrder::All(options) => {
                let exprs = schema
                    .fields()
                    .iter()
                    .map(|f| sort_expr(Expr::Column(f.column()), options))
                    .collect();
                return Ok(LogicalPlan::Sort(Sort {
                    exprs,
                    input: Arc::new(plan),
                    fetch: None,
                }));
            }
        };
        let exprs = order_by
            .iter()
            .map(|o| {
                let expr = match as_position(&o.expr) {
                    Some(n) => Expr::Column(
                        schema
                            .field(self.position(n, schema.len(), "ORDER BY")?)
                            .column(),
                    ),
                    None => self.sql_to_expr(&o.expr, &schema)?,
                };
                Ok(sort_expr(expr, &o.options))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(LogicalPlan::Sort(Sort {
            exprs,
            input: Arc::new(plan),
            fetch: None,
        }))
    }

    fn position(&self, text: &str, len: usize, clause: &str) -> Result<usize> {
        match text.parse::<usize>() {
            Ok(n) if n >= 1 && n <= len => Ok(n - 1),
            _ => Err(QuiverError::Plan(format!(
                "{clause} position {text} is not in the select list (1 to {len})"
            ))),
        }
    }

    fn plan_limit(&self, plan: LogicalPlan, clause: Option<&LimitClause>) -> Result<LogicalPlan> {
        let (limit, offset) = match clause {
            None => return Ok(plan),
            Some(LimitClause::LimitOffset {
                limit,
                offset,
                limit_by,
            }) => {
                if !limit_by.is_empty() {
                    return not_impl_err!("LIMIT BY is not supported");
                }
                (limit.as_ref(), offset.as_ref().map(|o| &o.value))
            }
            Some(LimitClause::OffsetCommaLimit { offset, limit }) => (Some(limit), Some(offset)),
        };
        let count = |e: Option<&ast::Expr>, what: &str| -> Result<Option<usize>> {
            let Some(e) = e else { return Ok(None) };
            let bound = self.sql_to_expr(e, &QSchema::empty())?;
            if matches!(bound, Expr::Literal(ScalarValue::Null)) {
                return Ok(None);
            }
            match constant_integer(&bound) {
                Some(n) if n >= 0 => Ok(Some(n as usize)),
                _ => Err(QuiverError::Plan(format!(
                    "{what} must be a non-negative integer, not {bound}"
                ))),
            }
        };
        let fetch = count(limit, "LIMIT")?;
        let skip = count(offset, "OFFSET")?.unwrap_or(0);
        Ok(LogicalPlan::Limit(Limit {
            skip,
            fetch,
            input: Arc::new(plan),
        }))
    }

    /// Resolves a GROUP BY or HAVING expression: a position (GROUP BY only),
    /// or an expression over the input in which a name that is not an input
    /// column may be a select-list alias.
    pub(super) fn resolve_input_first(
        &self,
        e: &ast::Expr,
        items: &[(Expr, String)],
        schema: &QSchema,
        clause: &str,
    ) -> Result<Expr> {
        if let (Some(n), "GROUP BY") = (as_position(e), clause) {
            return Ok(items[self.position(n, items.len(), clause)?].0.clone());
        }
        *self.aliases.borrow_mut() = items.iter().map(|(x, n)| (n.clone(), x.clone())).collect();
        let bound = self.sql_to_expr(e, schema);
        self.aliases.borrow_mut().clear();
        bound
    }

    /// The expressions and names of a select list over `schema`, stars
    /// and `COLUMNS(…)` expanded.
    pub(crate) fn select_items(
        &self,
        projection: &[SelectItem],
        schema: &QSchema,
    ) -> Result<Vec<(Expr, String)>> {
        let mut items = vec![];
        for item in projection {
            match item {
                SelectItem::UnnamedExpr(e) => {
                    if let Some(expanded) = self.columns_expression(e, None, schema)? {
                        items.extend(expanded);
                        continue;
                    }
                    if let Some(expanded) = self.unnest_items(e, schema)? {
                        items.extend(expanded.items);
                        continue;
                    }
                    let x = self.sql_to_expr(e, schema)?;
                    let name = super::nested::field_name(e, &x)
                        .or_else(|| self.macro_call_name(e))
                        .unwrap_or_else(|| x.output_name());
                    items.push((x, name));
                }
                SelectItem::ExprWithAlias { expr, alias } => {
                    if let Some(expanded) = self.columns_expression(expr, Some(alias), schema)? {
                        items.extend(expanded);
                        continue;
                    }
                    if let Some(expanded) = self.unnest_items(expr, schema)? {
                        match expanded.fields {
                            true => items.extend(expanded.items),
                            false => items.extend(
                                expanded
                                    .items
                                    .into_iter()
                                    .map(|(x, _)| (x, alias.value.clone())),
                            ),
                        }
                        continue;
                    }
                    items.push((self.sql_to_expr(expr, schema)?, alias.value.clone()))
                }
                SelectItem::Wildcard(options) => {
                    if schema.is_empty() {
                        return Err(QuiverError::Plan("SELECT * needs a FROM clause".into()));
                    }
                    let fields = schema.fields().iter().filter(|f| !f.hidden).collect();
                    items.extend(self.expand_star(fields, options, schema)?);
                }
                SelectItem::QualifiedWildcard(
                    SelectItemQualifiedWildcardKind::ObjectName(name),
                    options,
                ) => {
                    let qualifier = name
                        .0
                        .last()
                        .and_then(|p| p.as_ident())
                        .map(|i| i.value.clone())
                        .unwrap_or_default();
                    let fields: Vec<_> = schema
                        .fields()
                        .iter()
                        .filter(|f| {
                            f.qualifier
                                .as_deref()
                                .is_some_and(|q| q.eq_ignore_ascii_case(&qualifier))
                        })
                        .collect();
                    if fields.is_empty() {
                        return Err(QuiverError::Plan(format!(
                            "{qualifier}.* names no table in the FROM clause"
                        )));
                    }
                    items.extend(self.expand_star(fields, options, schema)?);
                }
                other => return not_impl_err!("select item {other} is not supported"),
            }
        }
        Ok(items)
    }

    fn sort_keys<'o>(
        &self,
        order_by: &QueryOrder<'o>,
        items: &[(Expr, String)],
        schema: &QSchema,
    ) -> Result<Vec<(SortKey, &'o ast::OrderByOptions)>> {
        let order_by = match *order_by {
            QueryOrder::Keys(keys) => keys,
            QueryOrder::All(options) => {
                return Ok((0..items.len())
                    .map(|i| (SortKey::Output(i), options))
                    .collect())
            }
        };
        order_by
            .iter()
            .map(|o| {
                if o.with_fill.is_some() {
                    return not_impl_err!("ORDER BY .. WITH FILL is not supported");
                }
                if let Some(n) = as_position(&o.expr) {
                    return Ok((
                        SortKey::Output(self.position(n, items.len(), "ORDER BY")?),
                        &o.options,
                    ));
                }
                if let Some(id) = bare_identifier(&o.expr) {
                    let named = |exact: bool| named_output(items, &id.value, exact);
                    if let Some(i) = named(true).or_else(|| named(false)) {
                        return Ok((SortKey::Output(i), &o.options));
                    }
                }
                let x = self.sql_to_expr(&o.expr, schema)?;
                Ok(match items.iter().position(|(e, _)| *e == x) {
                    Some(i) => (SortKey::Output(i), &o.options),
                    None => (SortKey::Input(x), &o.options),
                })
            })
            .collect()
    }

    fn plan_select(&self, select: &ast::Select, order_by: &QueryOrder) -> Result<LogicalPlan> {
        let outer_allowed = self.windows_allowed.replace(false);
        self.enter_named_windows(&select.named_window)?;
        let planned = self.plan_select_in_scope(select, order_by);
        self.leave_named_windows();
        self.windows_allowed.set(outer_allowed);
        planned
    }

    fn plan_select_in_scope(
        &self,
        select: &ast::Select,
        order_by: &QueryOrder,
    ) -> Result<LogicalPlan> {
        let distinct = select_distinct(select)?;
        let mut plan = self.plan_from(&select.from)?;
        if let Some(w) = &select.selection {
            plan = self.with_where(plan, w)?;
        }
        let schema = plan.schema().clone();
        // `FROM t` alone (DuckDB's FROM-first form without SELECT) selects
        // every column.
        let every_column = [SelectItem::Wildcard(
            ast::WildcardAdditionalOptions::default(),
        )];
        let projection = if select.projection.is_empty() {
            &every_column[..]
        } else {
            &select.projection[..]
        };
        self.windows_allowed.set(true);
        let items = self.select_items(projection, &schema)?;
        self.windows_allowed.set(false);
        let grouping = self.grouping(&select.group_by, &items, &schema)?;
        let having = match &select.having {
            Some(h) => Some(self.resolve_input_first(h, &items, &schema, "HAVING")?),
            None => None,
        };
        self.windows_allowed.set(true);
        let keys = self.sort_keys(order_by, &items, &schema)?;
        let on_text: Vec<ast::OrderByExpr> = match &distinct {
            Distinct::On(exprs) => exprs.iter().map(|e| plain_order_key(e.clone())).collect(),
            _ => vec![],
        };
        let on_keys = self.sort_keys(&QueryOrder::Keys(&on_text), &items, &schema)?;
        let qualify = match &select.qualify {
            Some(q) => Some(self.resolve_input_first(q, &items, &schema, "QUALIFY")?),
            None => None,
        };
        self.windows_allowed.set(false);

        let input_sort_exprs: Vec<&Expr> = keys
            .iter()
            .chain(&on_keys)
            .filter_map(|(k, _)| match k {
                SortKey::Input(e) => Some(e),
                SortKey::Output(_) => None,
            })
            .collect();
        let aggs = collect_aggregates(
            items
                .iter()
                .map(|(e, _)| e)
                .chain(having.iter())
                .chain(input_sort_exprs.iter().copied())
                .chain(qualify.iter()),
        );
        if let Some(inside) = aggs.iter().find(|a| contains_grouping_call(a)) {
            return Err(QuiverError::Plan(format!(
                "GROUPING() cannot be used inside an aggregate ({inside})"
            )));
        }
        let grouped =
            !aggs.is_empty() || !grouping.keys.is_empty() || grouping.explicit || having.is_some();
        let group_columns = grouping.group_columns();
        let rebase_all = |e: &Expr, agg_schema: Option<&QSchema>| match agg_schema {
            Some(s) => rebase(
                &resolve_grouping_calls(e, &grouping)?,
                &group_columns,
                &aggs,
                s,
            ),
            None if contains_grouping_call(e) => Err(QuiverError::Plan(
                "GROUPING() can only be used in a query with GROUP BY".into(),
            )),
            None => Ok(e.clone()),
        };
        let mut agg_schema = None;
        if grouped {
            plan = self.aggregate_by(plan, &grouping, aggs.clone())?;
            agg_schema = Some(plan.schema().clone());
        }
        if let Some(h) = &having {
            let h = rebase_all(h, agg_schema.as_ref())?;
            plan = LogicalPlan::Filter(Filter::try_new(h, Arc::new(plan))?);
        }

        // Everything computed over the (grouped) rows: the select list,
        // the ORDER BY keys that are not selected, and QUALIFY.
        let mut computed = vec![];
        for (e, _) in &items {
            computed.push(rebase_all(e, agg_schema.as_ref())?);
        }
        for e in &input_sort_exprs {
            computed.push(rebase_all(e, agg_schema.as_ref())?);
        }
        if let Some(q) = &qualify {
            computed.push(rebase_all(q, agg_schema.as_ref())?);
        }
        let has_windows = computed.iter().any(Expr::contains_window);
        if qualify.is_some() && !has_windows {
            return Err(QuiverError::Plan(
                "QUALIFY needs a window function in the select list or in QUALIFY".into(),
            ));
        }
        if has_windows {
            let (windowed, rewritten) = self.plan_windows(plan, computed)?;
            plan = windowed;
            computed = rewritten;
        }
        if qualify.is_some() {
            let condition = computed.pop().expect("QUALIFY was computed");
            let condition = self.boolean(condition, "QUALIFY", plan.schema())?;
            plan = LogicalPlan::Filter(Filter::try_new(condition, Arc::new(plan))?);
        }
        let (unnested, rewritten) = self.plan_unnests(plan, computed)?;
        plan = unnested;
        computed = rewritten;
        let mut sort_inputs = computed.split_off(items.len()).into_iter();

        let mut exprs = vec![];
        let names: Vec<String> = items.iter().map(|(_, name)| name.clone()).collect();
        // Output names may repeat (`SELECT a AS x, b AS x`); inside, the
        // columns are named apart so that sorting and DISTINCT can refer to
        // each, and a top-level query gets its names back at the end.
        let internal = unique_names(names.clone());
        let restored = (self.nesting.get() == 0 && internal != names).then_some(names);
        let names = internal;
        for (e, name) in computed.into_iter().zip(&names) {
            exprs.push(if &e.output_name() == name {
                e
            } else {
                e.alias(name)
            });
        }
        let visible = exprs.len();
        let mut sort_exprs = vec![];
        for (key, options) in &keys {
            let index = match key {
                SortKey::Output(i) => *i,
                SortKey::Input(e) => {
                    if matches!(distinct, Distinct::Rows) {
                        return Err(QuiverError::Plan(format!(
                            "for SELECT DISTINCT, ORDER BY expressions must appear in the select list ({e})"
                        )));
                    }
                    let input = sort_inputs.next().expect("one per input sort key");
                    exprs.push(input.alias(format!("__order_by_{}", exprs.len())));
                    exprs.len() - 1
                }
            };
            sort_exprs.push((index, *options));
        }
        let mut on_columns = vec![];
        for (key, _) in &on_keys {
            on_columns.push(match key {
                SortKey::Output(i) => *i,
                SortKey::Input(_) => {
                    let input = sort_inputs.next().expect("one per input DISTINCT ON key");
                    exprs.push(input.alias(format!("__distinct_on_{}", exprs.len())));
                    exprs.len() - 1
                }
            });
        }
        plan = LogicalPlan::Projection(Projection::try_new(exprs, Arc::new(plan))?);
        plan = match distinct {
            Distinct::None => plan,
            Distinct::Rows => distinct_rows(plan)?,
            Distinct::On(_) => self.first_row_per_key(plan, &on_columns, &sort_exprs)?,
        };
        let plan = sorted_and_trimmed(plan, sort_exprs, visible)?;
        match restored {
            Some(names) => renamed(plan, &names),
            None => Ok(plan),
        }
    }

    /// `DISTINCT ON`: of the rows of `plan` with equal values at
    /// `on_columns`, the first in the order of `sort_exprs` (any one when
    /// that does not decide), as `row_number() OVER (PARTITION BY .. ORDER
    /// BY ..) = 1`; the row number is an extra column at the end.
    fn first_row_per_key(
        &self,
        plan: LogicalPlan,
        on_columns: &[usize],
        sort_exprs: &[(usize, &ast::OrderByOptions)],
    ) -> Result<LogicalPlan> {
        let row_number = self
            .provider
            .window_function("row_number")
            .ok_or_else(|| QuiverError::Internal("no row_number window function".into()))?;
        let schema = plan.schema().clone();
        let column = |i: usize| Expr::Column(schema.field(i).column());
        let call = WindowCall {
            kind: WindowKind::Function(WindowFunctionRef(row_number)),
            args: vec![],
            distinct: false,
            ignore_nulls: false,
            partition_by: on_columns.iter().map(|&i| column(i)).collect(),
            // Keys the rows of a partition share do not order them.
            order_by: sort_exprs
                .iter()
                .filter(|(i, _)| !on_columns.contains(i))
                .map(|(i, options)| sort_expr(column(*i), options))
                .collect(),
            frame: WindowFrame::default_for(!sort_exprs.is_empty()),
        };
        let windowed = LogicalPlan::Window(Window::try_new(
            Arc::new(plan),
            vec![Expr::Window(Box::new(call))],
        )?);
        let number = Expr::Column(windowed.schema().field(schema.len()).column());
        let first = Expr::Binary(
            Box::new(number),
            quiver_expr::Operator::Eq,
            Box::new(Expr::Literal(ScalarValue::Int64(Some(1)))),
        );
        Ok(LogicalPlan::Filter(Filter::try_new(
            first,
            Arc::new(windowed),
        )?))
    }

    /// `plan` filtered by the WHERE condition `w`, which may not aggregate.
    fn with_where(&self, plan: LogicalPlan, w: &ast::Expr) -> Result<LogicalPlan> {
        let pred = self.sql_to_expr(w, plan.schema())?;
        if contains_grouping_call(&pred) {
            return Err(QuiverError::Plan(format!(
                "GROUPING() is not allowed in WHERE{}",
                location(sqlparser::ast::Spanned::span(w))
            )));
        }
        if pred.contains_aggregate() {
            return Err(QuiverError::Plan(format!(
                "aggregate functions are not allowed in WHERE{}; use HAVING",
                location(sqlparser::ast::Spanned::span(w))
            )));
        }
        Ok(LogicalPlan::Filter(Filter::try_new(pred, Arc::new(plan))?))
    }
}

/// The value of an integer expression of constants (`10`, `2 * 5`,
/// `-(1 + 1)`), as LIMIT and OFFSET take them; `None` for anything else,
/// or when the arithmetic overflows.
fn constant_integer(e: &Expr) -> Option<i64> {
    match e {
        Expr::Literal(ScalarValue::Int64(Some(n))) => Some(*n),
        Expr::Literal(ScalarValue::Int32(Some(n))) => Some(i64::from(*n)),
        Expr::Negative(inner) => constant_integer(inner)?.checked_neg(),
        Expr::Cast(inner, t) if t.is_integer() => constant_integer(inner),
        Expr::Binary(l, op, r) => {
            let (l, r) = (constant_integer(l)?, constant_integer(r)?);
            match op {
                Operator::Plus => l.checked_add(r),
                Operator::Minus => l.checked_sub(r),
                Operator::Multiply => l.checked_mul(r),
                Operator::Divide | Operator::IntegerDivide => l.checked_div(r),
                Operator::Modulo => l.checked_rem(r),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Which rows a SELECT keeps of those that repeat.
enum Distinct<'a> {
    /// All of them.
    None,
    /// One of each distinct row (`SELECT DISTINCT`).
    Rows,
    /// The first row of each distinct value of these expressions
    /// (`SELECT DISTINCT ON (..)`).
    On(&'a [ast::Expr]),
}

/// The DISTINCT of `select`; an error for the clauses of other dialects
/// that are not implemented, so that none is silently ignored.
fn select_distinct(select: &ast::Select) -> Result<Distinct<'_>> {
    let unsupported = [
        (select.top.is_some(), "TOP"),
        (select.into.is_some(), "SELECT … INTO"),
        (
            select.select_modifiers.is_some(),
            "MySQL's SELECT modifiers",
        ),
        (select.exclude.is_some(), "EXCLUDE after the select list"),
        (!select.lateral_views.is_empty(), "LATERAL VIEW"),
        (select.prewhere.is_some(), "PREWHERE"),
        (!select.connect_by.is_empty(), "CONNECT BY"),
        (!select.cluster_by.is_empty(), "CLUSTER BY"),
        (!select.distribute_by.is_empty(), "DISTRIBUTE BY"),
        (!select.sort_by.is_empty(), "SORT BY"),
        (
            select.value_table_mode.is_some(),
            "SELECT AS STRUCT / VALUE",
        ),
    ];
    super::reject_unsupported(&unsupported)?;
    Ok(match &select.distinct {
        None | Some(ast::Distinct::All) => Distinct::None,
        Some(ast::Distinct::Distinct) => Distinct::Rows,
        Some(ast::Distinct::On(exprs)) => Distinct::On(exprs),
    })
}

/// Whether `e` is the keyword ALL (unquoted).
fn is_bare_all(e: &ast::Expr) -> bool {
    bare_identifier(e)
        .is_some_and(|id| id.quote_style.is_none() && id.value.eq_ignore_ascii_case("all"))
}

/// The select-list item an ORDER BY name means: of the items called
/// `name` (`exact`ly, or ignoring case), the last one that computes a value
/// under that name (`-a AS x`), else the first (a column of that name);
/// DuckDB's choice where several have the name.
fn named_output(items: &[(Expr, String)], name: &str, exact: bool) -> Option<usize> {
    let matches = |n: &String| {
        if exact {
            n == name
        } else {
            n.eq_ignore_ascii_case(name)
        }
    };
    let plain_column =
        |e: &Expr| matches!(e.unalias(), Expr::Column(c) if c.name.eq_ignore_ascii_case(name));
    items
        .iter()
        .rposition(|(e, n)| matches(n) && !plain_column(e))
        .or_else(|| items.iter().position(|(_, n)| matches(n)))
}

/// `e` as an ORDER BY key with no options.
fn plain_order_key(expr: ast::Expr) -> ast::OrderByExpr {
    ast::OrderByExpr {
        expr,
        options: ast::OrderByOptions {
            asc: None,
            nulls_first: None,
        },
        with_fill: None,
    }
}

/// `plan` sorted by `sort_exprs` (output column positions), then without
/// the columns past the first `visible` that only the sort needed.
fn sorted_and_trimmed(
    mut plan: LogicalPlan,
    sort_exprs: Vec<(usize, &ast::OrderByOptions)>,
    visible: usize,
) -> Result<LogicalPlan> {
    if !sort_exprs.is_empty() {
        let schema = plan.schema().clone();
        let exprs = sort_exprs
            .into_iter()
            .map(|(i, o)| sort_expr(Expr::Column(schema.field(i).column()), o))
            .collect();
        plan = LogicalPlan::Sort(Sort {
            exprs,
            input: Arc::new(plan),
            fetch: None,
        });
    }
    if plan.schema().len() > visible {
        let keep = plan.schema().fields()[..visible]
            .iter()
            .map(|f| Expr::Column(f.column()))
            .collect();
        plan = LogicalPlan::Projection(Projection::try_new(keep, Arc::new(plan))?);
    }
    Ok(plan)
}

/// `plan` with its columns named `names` (which may repeat).
fn renamed(plan: LogicalPlan, names: &[String]) -> Result<LogicalPlan> {
    let exprs = plan
        .schema()
        .fields()
        .iter()
        .zip(names)
        .map(|(f, name)| match f.name() == name {
            true => Expr::Column(f.column()),
            false => Expr::Column(f.column()).alias(name),
        })
        .collect();
    Ok(LogicalPlan::Projection(Projection::try_new(
        exprs,
        Arc::new(plan),
    )?))
}

/// The branches of `UNION [ALL] BY NAME`, each projected to the same
/// columns: every name any branch has (ignoring case), in the order they
/// first appear, and NULL where a branch lacks one (as DuckDB does).
fn aligned_by_name(plans: Vec<LogicalPlan>) -> Result<Vec<LogicalPlan>> {
    let mut names: Vec<String> = vec![];
    for plan in &plans {
        let mut own: Vec<String> = vec![];
        for f in plan.schema().fields() {
            let name = f.name();
            if own.iter().any(|n| n.eq_ignore_ascii_case(name)) {
                return Err(QuiverError::Plan(format!(
                    "UNION BY NAME: a query has two columns named \"{name}\""
                )));
            }
            own.push(name.to_string());
            if !names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
                names.push(name.to_string());
            }
        }
    }
    plans
        .into_iter()
        .map(|plan| {
            let schema = plan.schema().clone();
            let exprs = names
                .iter()
                .map(|name| {
                    let found = schema
                        .fields()
                        .iter()
                        .find(|f| f.name().eq_ignore_ascii_case(name));
                    match found {
                        Some(f) if f.name() == name => Expr::Column(f.column()),
                        Some(f) => Expr::Column(f.column()).alias(name),
                        None => Expr::Literal(ScalarValue::Null).alias(name),
                    }
                })
                .collect();
            Ok(LogicalPlan::Projection(Projection::try_new(
                exprs,
                Arc::new(plan),
            )?))
        })
        .collect()
}

/// Each distinct row of `plan` once.
fn distinct_rows(plan: LogicalPlan) -> Result<LogicalPlan> {
    let groups = plan
        .schema()
        .fields()
        .iter()
        .map(|f| Expr::Column(f.column()))
        .collect();
    Ok(LogicalPlan::Aggregate(Aggregate::try_new(
        Arc::new(plan),
        groups,
        vec![],
    )?))
}

/// `plan` with its columns cast to `types` (a projection, if any differ).
pub(crate) fn cast_columns(plan: LogicalPlan, types: &[DataType]) -> Result<LogicalPlan> {
    let schema = plan.schema().clone();
    if schema
        .fields()
        .iter()
        .zip(types)
        .all(|(f, t)| f.field.data_type() == t)
    {
        return Ok(plan);
    }
    let exprs = schema
        .fields()
        .iter()
        .zip(types)
        .map(|(f, t)| {
            let e = Expr::Column(f.column());
            if f.field.data_type() == t {
                Ok(e)
            } else {
                Ok(cast_expr(e, t, &schema)?.alias(f.name()))
            }
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(LogicalPlan::Projection(Projection::try_new(
        exprs,
        Arc::new(plan),
    )?))
}

/// A sort key with DuckDB's defaults: ascending, NULLs last in either
/// direction (PostgreSQL puts them first when descending).
pub(crate) fn sort_expr(expr: Expr, options: &ast::OrderByOptions) -> SortExpr {
    SortExpr {
        expr,
        asc: options.asc.unwrap_or(true),
        nulls_first: options.nulls_first.unwrap_or(false),
    }
}
