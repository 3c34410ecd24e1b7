//! General unnesting of a correlated subquery, after Neumann and Kemper,
//! "Unnesting Arbitrary Queries" (BTW 2015): the subquery is evaluated once
//! for each distinct combination of the outer values it reads, all at once.
//!
//! The outer values form a duplicate-free relation `D` (a `DISTINCT` of the
//! outer plan's correlated columns). A dependent join of `D` with the
//! subquery is pushed down the subquery's plan: every operator above a
//! correlated reference carries `D`'s columns through (filters and
//! projections read them in place of the outer columns, aggregates and
//! windows group and partition by them, a LIMIT becomes a row number per
//! `D` row), and where no operator below refers to the outer query the
//! dependent join is a plain cross join with `D`. The result holds the
//! subquery's rows for every `D` row, with `D`'s columns last; the caller
//! joins it to the outer plan on those columns (NULL matching NULL).
//!
//! An aggregate without GROUP BY produces one row for each `D` row even
//! when that row found nothing (`count` 0, not a missing row), so there is
//! no "COUNT bug".

use std::sync::Arc;

use arrow::datatypes::DataType;
use quiver_expr::expr::SortExpr;
use quiver_expr::logical_plan::{
    Aggregate, Filter, Join, JoinType, Limit, Projection, SetOperation, Sort, SubqueryAlias, Union,
    Unnest, Values, Window,
};
use quiver_expr::window::{WindowCall, WindowFrame, WindowFunctionRef, WindowKind};
use quiver_expr::{not_impl_err, Column, Expr, LogicalPlan, Operator, Result, ScalarValue};

/// The outer columns a subquery reads and the distinct relation of their
/// values.
pub(super) struct Delim {
    /// The outer columns, as the outer plan names them, with their types.
    columns: Vec<(Column, DataType, bool)>,
    /// `SELECT DISTINCT <columns> FROM <outer plan>`.
    distinct: Arc<LogicalPlan>,
}

impl Delim {
    /// The columns of `outer` that `subquery` references as outer columns,
    /// with the distinct relation of their values; `None` when it
    /// references none of them.
    pub(super) fn of(outer: &LogicalPlan, subquery: &LogicalPlan) -> Result<Option<Delim>> {
        let schema = outer.schema();
        let mut referenced = vec![];
        super::visit_outer_columns(subquery, &mut |c| referenced.push(c.clone()));
        let mut columns: Vec<(Column, DataType, bool)> = vec![];
        for column in referenced {
            if let Some(i) = schema.find(&column)? {
                let field = schema.field(i);
                let resolved = field.column();
                if !columns.iter().any(|(c, _, _)| c == &resolved) {
                    let f = &field.field;
                    columns.push((resolved, f.data_type().clone(), f.is_nullable()));
                }
            }
        }
        if columns.is_empty() {
            return Ok(None);
        }
        let groups = columns.iter().map(|(c, _, _)| Expr::Column(c.clone()));
        let distinct = Aggregate::try_new(Arc::new(outer.clone()), groups.collect(), vec![])?;
        Ok(Some(Delim {
            columns,
            distinct: Arc::new(LogicalPlan::Aggregate(distinct)),
        }))
    }

    /// The outer columns, in the order of `D`'s columns.
    fn outer_columns(&self) -> impl Iterator<Item = &Column> {
        self.columns.iter().map(|(c, _, _)| c)
    }

    /// How many columns `D` has.
    pub(super) fn len(&self) -> usize {
        self.columns.len()
    }

    /// The position among `D`'s columns of an outer column.
    fn position(&self, column: &Column) -> Option<usize> {
        self.columns.iter().position(|(c, _, _)| {
            c == column || (column.relation.is_none() && c.name == column.name)
        })
    }

    /// The predicates that join the outer plan to `rewritten` (a plan the
    /// dependent join was pushed into, `D`'s columns last): its `D`
    /// columns equal to the outer columns, NULL matching NULL.
    pub(super) fn join_back(&self, rewritten: &LogicalPlan) -> Vec<Expr> {
        let schema = rewritten.schema();
        let k = self.columns.len();
        let inner: Vec<Expr> = (schema.len() - k..schema.len())
            .map(|i| Expr::Column(schema.field(i).column()))
            .collect();
        let outer: Vec<Expr> = self.outer_columns().cloned().map(Expr::Column).collect();
        self.same_values(&outer, &inner)
    }

    /// Predicates that hold when `left[i]` and `right[i]`, values of `D`'s
    /// i-th column, are equal or both NULL. Written as equalities (two per
    /// nullable column: the NULL flags, and the values with NULL replaced
    /// by a default), so that they become hash join keys.
    pub(super) fn same_values(&self, left: &[Expr], right: &[Expr]) -> Vec<Expr> {
        let mut predicates = vec![];
        for (((_, data_type, nullable), l), r) in self.columns.iter().zip(left).zip(right) {
            let default = ScalarValue::new_default(data_type).ok();
            match default {
                _ if !nullable => predicates.push(l.clone().binary(Operator::Eq, r.clone())),
                Some(default) => {
                    let or_default = |e: &Expr| Expr::Case {
                        operand: None,
                        when_then: vec![(e.clone().is_null(), Expr::Literal(default.clone()))],
                        else_expr: Some(Box::new(e.clone())),
                    };
                    predicates.push(
                        l.clone()
                            .is_null()
                            .binary(Operator::Eq, r.clone().is_null()),
                    );
                    predicates.push(or_default(l).binary(Operator::Eq, or_default(r)));
                }
                None => predicates.push(l.clone().binary(Operator::IsNotDistinctFrom, r.clone())),
            }
        }
        predicates
    }
}

/// Pushes the dependent join with one [`Delim`] down a subquery's plan.
pub(super) struct DependentJoin<'a> {
    delim: &'a Delim,
    /// Numbers the copies of `D`, so that each has its own column names.
    next_copy: &'a mut usize,
    /// The `row_number` window function, for a LIMIT per `D` row.
    row_number: Option<&'a WindowFunctionRef>,
    /// A scalar aggregate whose `D` rows without input rows may go
    /// without a row (the caller supplies its value over no rows).
    missing_groups_allowed: Option<*const Aggregate>,
}

impl<'a> DependentJoin<'a> {
    /// A rewriter for `delim`, numbering its copies from `next_copy`.
    pub(super) fn new(
        delim: &'a Delim,
        next_copy: &'a mut usize,
        row_number: Option<&'a WindowFunctionRef>,
    ) -> Self {
        Self {
            delim,
            next_copy,
            row_number,
            missing_groups_allowed: None,
        }
    }

    /// Lets the scalar aggregate `a` (of the plan to rewrite) give no row
    /// for a `D` row that found no input rows, rather than joining `D` to
    /// give it one: for a scalar subquery whose value over no rows the
    /// caller puts in.
    pub(super) fn allow_missing_groups(&mut self, a: &Aggregate) {
        self.missing_groups_allowed = Some(a as *const Aggregate);
    }

    /// `plan` evaluated for every row of `D`: its columns, then `D`'s, with
    /// the outer columns read from `D`.
    pub(super) fn rewrite(&mut self, plan: &LogicalPlan) -> Result<LogicalPlan> {
        if !self.depends(plan) {
            let d = self.copy()?;
            return cross_join(plan.clone(), d);
        }
        match plan {
            LogicalPlan::Filter(f) => {
                let input = self.rewrite(&f.input)?;
                let predicate = self.bind(&f.predicate, &input)?;
                Ok(LogicalPlan::Filter(Filter::try_new(
                    predicate,
                    Arc::new(input),
                )?))
            }
            LogicalPlan::Projection(p) => {
                let input = self.rewrite(&p.input)?;
                let mut exprs = p
                    .exprs
                    .iter()
                    .map(|e| self.bind(e, &input))
                    .collect::<Result<Vec<_>>>()?;
                exprs.extend(self.delim_of(&input).into_iter().map(Expr::Column));
                Ok(LogicalPlan::Projection(Projection::try_new(
                    exprs,
                    Arc::new(input),
                )?))
            }
            LogicalPlan::Aggregate(a) => self.aggregate(a),
            LogicalPlan::Window(w) => self.window(w),
            LogicalPlan::Sort(s) => match s.fetch {
                Some(fetch) => {
                    let sort = LogicalPlan::Sort(Sort {
                        fetch: None,
                        ..s.clone()
                    });
                    self.limit(0, Some(fetch), &sort)
                }
                None => {
                    let input = self.rewrite(&s.input)?;
                    let exprs = self.bind_sort(&s.exprs, &input)?;
                    Ok(LogicalPlan::Sort(Sort {
                        exprs,
                        input: Arc::new(input),
                        fetch: None,
                    }))
                }
            },
            LogicalPlan::Limit(l) => self.limit(l.skip, l.fetch, &l.input),
            LogicalPlan::SubqueryAlias(a) => {
                let input = self.rewrite(&a.input)?;
                let mut names = a.schema.field_names();
                names.extend(self.delim_of(&input).into_iter().map(|c| c.name));
                Ok(LogicalPlan::SubqueryAlias(SubqueryAlias::try_new(
                    Arc::new(input),
                    &a.alias,
                    &names,
                )?))
            }
            LogicalPlan::Join(j) => self.join(j),
            // Unnest keeps its input's columns in place, D's last among them.
            LogicalPlan::Unnest(u) => {
                let input = self.rewrite(&u.input)?;
                Ok(LogicalPlan::Unnest(Unnest::try_new(
                    Arc::new(input),
                    u.columns.clone(),
                )?))
            }
            LogicalPlan::Values(v) => self.values(v),
            LogicalPlan::Union(u) => {
                let inputs = u
                    .inputs
                    .iter()
                    .map(|i| self.rewrite(i).map(Arc::new))
                    .collect::<Result<Vec<_>>>()?;
                Ok(LogicalPlan::Union(Union::try_new(inputs)?))
            }
            LogicalPlan::SetOperation(s) => {
                let left = self.rewrite(&s.left)?;
                let right = self.rewrite(&s.right)?;
                Ok(LogicalPlan::SetOperation(SetOperation::try_new(
                    Arc::new(left),
                    Arc::new(right),
                    s.op,
                    s.all,
                )?))
            }
            other => {
                let what = match other {
                    LogicalPlan::Expand(_) => "GROUPING SETS, ROLLUP or CUBE".to_string(),
                    LogicalPlan::RecursiveQuery(_) => "a recursive CTE".to_string(),
                    _ => other.describe_node(),
                };
                not_impl_err!(
                    "a reference to the enclosing query below {what} in a subquery is not supported"
                )
            }
        }
    }

    /// Whether any operator of `plan` reads one of `D`'s outer columns.
    fn depends(&self, plan: &LogicalPlan) -> bool {
        let reads = |e: &Expr| {
            e.any(&mut |x| {
                matches!(x, Expr::OuterColumn { column, .. } if self.delim.position(column).is_some())
            })
        };
        super::node_exprs(plan).iter().any(reads)
            || plan.inputs().into_iter().any(|i| self.depends(i))
    }

    /// A fresh copy of `D` under its own name.
    fn copy(&mut self) -> Result<LogicalPlan> {
        *self.next_copy += 1;
        let alias = format!("__delim_{}", self.next_copy);
        let names: Vec<String> = (0..self.delim.columns.len())
            .map(|i| format!("{alias}_{i}"))
            .collect();
        Ok(LogicalPlan::SubqueryAlias(SubqueryAlias::try_new(
            Arc::clone(&self.delim.distinct),
            &alias,
            &names,
        )?))
    }

    /// VALUES rows that read outer columns: each row computed for every
    /// `D` row, the rows' results unioned.
    fn values(&mut self, v: &Values) -> Result<LogicalPlan> {
        let mut branches = vec![];
        for row in &v.rows {
            let d = self.copy()?;
            let mut exprs = vec![];
            for (e, field) in row.iter().zip(v.schema.fields()) {
                let value = self
                    .bind(e, &d)?
                    .cast_to(field.field.data_type(), d.schema())?;
                exprs.push(value.alias(field.name()));
            }
            exprs.extend(self.delim_exprs(&d));
            branches.push(Arc::new(LogicalPlan::Projection(Projection::try_new(
                exprs,
                Arc::new(d),
            )?)));
        }
        match branches.len() {
            1 => Ok(branches.remove(0).as_ref().clone()),
            _ => Ok(LogicalPlan::Union(Union::try_new(branches)?)),
        }
    }

    /// `D`'s columns in a rewritten plan: its last ones.
    fn delim_of(&self, plan: &LogicalPlan) -> Vec<Column> {
        let schema = plan.schema();
        let k = self.delim.columns.len();
        (schema.len() - k..schema.len())
            .map(|i| schema.field(i).column())
            .collect()
    }

    /// `D`'s columns in a rewritten plan, as expressions.
    fn delim_exprs(&self, plan: &LogicalPlan) -> Vec<Expr> {
        self.delim_of(plan).into_iter().map(Expr::Column).collect()
    }

    /// `e` with the outer columns of `D` read from `D`'s columns in `input`
    /// (a rewritten plan).
    fn bind(&self, e: &Expr, input: &LogicalPlan) -> Result<Expr> {
        let columns = self.delim_of(input);
        bind_to(e, self.delim, &columns)
    }

    /// Sort keys with their outer columns read from `D` in `input`.
    fn bind_sort(&self, exprs: &[SortExpr], input: &LogicalPlan) -> Result<Vec<SortExpr>> {
        exprs
            .iter()
            .map(|s| {
                Ok(SortExpr {
                    expr: self.bind(&s.expr, input)?,
                    ..s.clone()
                })
            })
            .collect()
    }

    /// Grouped by `D`'s columns too. Without GROUP BY, every `D` row gets
    /// one row: the aggregates over no rows where it found none.
    fn aggregate(&mut self, a: &Aggregate) -> Result<LogicalPlan> {
        let input = self.rewrite(&a.input)?;
        let delim = self.delim_exprs(&input);
        let mut groups = a
            .group_exprs
            .iter()
            .map(|e| self.bind(e, &input))
            .collect::<Result<Vec<_>>>()?;
        groups.extend(delim.iter().cloned());
        let aggregates = a
            .aggr_exprs
            .iter()
            .map(|e| self.bind(e, &input))
            .collect::<Result<Vec<_>>>()?;
        let grouped =
            LogicalPlan::Aggregate(Aggregate::try_new(Arc::new(input), groups, aggregates)?);
        let schema = grouped.schema().clone();
        let column = |i: usize| Expr::Column(schema.field(i).column());
        let (n, k) = (a.group_exprs.len(), delim.len());
        if n > 0 || self.missing_groups_allowed == Some(a as *const Aggregate) {
            // The original groups, the aggregates, then D's columns.
            let order = (0..n).chain(n + k..schema.len()).chain(n..n + k);
            let exprs = order.map(column).collect();
            return Ok(LogicalPlan::Projection(Projection::try_new(
                exprs,
                Arc::new(grouped),
            )?));
        }
        self.every_delim_row(grouped, a, k)
    }

    /// `D` left joined with `grouped` (a scalar aggregate grouped by `D`'s
    /// columns, which come first): the aggregates, over no rows for a `D`
    /// row that has no group, then `D`'s columns.
    fn every_delim_row(
        &mut self,
        grouped: LogicalPlan,
        original: &Aggregate,
        k: usize,
    ) -> Result<LogicalPlan> {
        // A column that is TRUE where a group matched.
        let marked_exprs = grouped
            .schema()
            .fields()
            .iter()
            .map(|f| Expr::Column(f.column()))
            .chain([Expr::Literal(ScalarValue::Boolean(Some(true))).alias("__matched")])
            .collect();
        let marked = LogicalPlan::Projection(Projection::try_new(marked_exprs, Arc::new(grouped))?);
        let d = self.copy()?;
        let d_columns: Vec<Expr> = d
            .schema()
            .fields()
            .iter()
            .map(|f| Expr::Column(f.column()))
            .collect();
        let marked_schema = marked.schema().clone();
        let group_columns: Vec<Expr> = (0..k)
            .map(|i| Expr::Column(marked_schema.field(i).column()))
            .collect();
        let predicates = self.delim.same_values(&d_columns, &group_columns);
        let joined = join_on(d, marked, JoinType::Left, predicates)?;
        let matched = Expr::Column(marked_schema.field(marked_schema.len() - 1).column());
        let mut exprs = vec![];
        for (i, e) in original.aggr_exprs.iter().enumerate() {
            let field = marked_schema.field(k + i);
            let value = Expr::Column(field.column());
            let over_no_rows = match e.unalias() {
                Expr::Aggregate(call) => call.func.0.value_over_no_rows(field.field.data_type())?,
                _ => ScalarValue::try_from(field.field.data_type())?,
            };
            exprs.push(if over_no_rows.is_null() {
                value
            } else {
                Expr::Case {
                    operand: None,
                    when_then: vec![(matched.clone().is_null(), Expr::Literal(over_no_rows))],
                    else_expr: Some(Box::new(value)),
                }
                .alias(field.name())
            });
        }
        exprs.extend(d_columns);
        Ok(LogicalPlan::Projection(Projection::try_new(
            exprs,
            Arc::new(joined),
        )?))
    }

    /// Each window partitioned by `D`'s columns too.
    fn window(&mut self, w: &Window) -> Result<LogicalPlan> {
        let input = self.rewrite(&w.input)?;
        let delim = self.delim_exprs(&input);
        let calls = w
            .window_exprs
            .iter()
            .map(|e| match self.bind(e, &input)? {
                Expr::Window(mut call) => {
                    call.partition_by.extend(delim.iter().cloned());
                    Ok(Expr::Window(call))
                }
                other => Ok(other),
            })
            .collect::<Result<Vec<_>>>()?;
        let width = input.schema().len();
        let windowed = LogicalPlan::Window(Window::try_new(Arc::new(input), calls)?);
        // The calls keep their names (the operators above read them by
        // name), and D's columns move last.
        let schema = windowed.schema().clone();
        let column = |i: usize| Expr::Column(schema.field(i).column());
        let k = delim.len();
        let inputs = (0..width - k).map(column);
        let calls = (width..schema.len())
            .zip(w.schema.fields()[width - k..].iter())
            .map(|(i, original)| column(i).alias(original.name()));
        let exprs = inputs.chain(calls).chain(delim).collect();
        Ok(LogicalPlan::Projection(Projection::try_new(
            exprs,
            Arc::new(windowed),
        )?))
    }

    /// `OFFSET skip LIMIT fetch` over `input` for each `D` row: the rows
    /// numbered within their `D` row, in `input`'s order when it is a sort.
    fn limit(
        &mut self,
        skip: usize,
        fetch: Option<usize>,
        input: &LogicalPlan,
    ) -> Result<LogicalPlan> {
        // A limit passes below projections and aliases to reach the sort.
        match input {
            LogicalPlan::Projection(p) => {
                let limited = limit_plan(skip, fetch, Arc::clone(&p.input));
                let moved = LogicalPlan::Projection(Projection::try_new(
                    p.exprs.clone(),
                    Arc::new(limited),
                )?);
                return self.rewrite(&moved);
            }
            LogicalPlan::SubqueryAlias(a) => {
                let limited = limit_plan(skip, fetch, Arc::clone(&a.input));
                let moved = LogicalPlan::SubqueryAlias(SubqueryAlias::try_new(
                    Arc::new(limited),
                    &a.alias,
                    &a.schema.field_names(),
                )?);
                return self.rewrite(&moved);
            }
            _ => {}
        }
        let (order, below) = match input {
            LogicalPlan::Sort(s) if s.fetch.is_none() => (s.exprs.as_slice(), s.input.as_ref()),
            other => (&[][..], other),
        };
        let below = self.rewrite(below)?;
        if skip == 0 && fetch.is_none() {
            return Ok(below);
        }
        let Some(row_number) = self.row_number else {
            return not_impl_err!("LIMIT in a correlated subquery is not supported");
        };
        let order_by = self.bind_sort(order, &below)?;
        let call = WindowCall {
            kind: WindowKind::Function(row_number.clone()),
            args: vec![],
            distinct: false,
            ignore_nulls: false,
            partition_by: self
                .delim_of(&below)
                .into_iter()
                .map(Expr::Column)
                .collect(),
            frame: WindowFrame::default_for(!order_by.is_empty()),
            order_by,
        };
        let width = below.schema().len();
        let windowed = LogicalPlan::Window(Window::try_new(
            Arc::new(below),
            vec![Expr::Window(Box::new(call))],
        )?);
        let number = Expr::Column(windowed.schema().field(width).column());
        let int = |n: usize| Expr::Literal(ScalarValue::Int64(Some(n as i64)));
        let mut keep = number.clone().binary(Operator::Gt, int(skip));
        if let Some(fetch) = fetch {
            keep = keep.and(number.binary(Operator::LtEq, int(skip + fetch)));
        }
        let schema = windowed.schema().clone();
        let filtered = LogicalPlan::Filter(Filter::try_new(keep, Arc::new(windowed))?);
        let exprs = (0..width)
            .map(|i| Expr::Column(schema.field(i).column()))
            .collect();
        Ok(LogicalPlan::Projection(Projection::try_new(
            exprs,
            Arc::new(filtered),
        )?))
    }

    /// The dependent join goes to the side that refers to the outer query
    /// when the join keeps that side's rows as they are; otherwise to both
    /// sides, which then also match on `D`'s columns.
    fn join(&mut self, j: &Join) -> Result<LogicalPlan> {
        use JoinType::*;
        let left_depends = self.depends(&j.left);
        let right_depends = self.depends(&j.right);
        let keeps_left = matches!(
            j.join_type,
            Inner | Left | LeftSemi | LeftAnti | LeftMark | LeftSingle
        );
        let keeps_right = matches!(j.join_type, Inner | Right | RightSemi | RightAnti);
        if (keeps_left && !right_depends) || (keeps_right && !left_depends) {
            let on_left = keeps_left && !right_depends && (left_depends || !keeps_right);
            let (left, right) = if on_left {
                (self.rewrite(&j.left)?, j.right.as_ref().clone())
            } else {
                (j.left.as_ref().clone(), self.rewrite(&j.right)?)
            };
            let carrier = if on_left { &left } else { &right };
            let delim = self.delim_of(carrier);
            let joined = self.join_like(j, left, right, &delim, vec![])?;
            let delim = delim.into_iter().map(Expr::Column).collect();
            return delim_last(joined, delim, &[]);
        }
        let plain;
        let j = match (j.null_aware, j.join_type) {
            (false, _) => j,
            (true, LeftAnti) => {
                plain = plain_anti_join(j)?;
                &plain
            }
            (true, _) => {
                return not_impl_err!(
                    "a reference to the enclosing query on both sides of an IN used as a value is not supported"
                )
            }
        };
        let left = self.rewrite(&j.left)?;
        let right = self.rewrite(&j.right)?;
        let (l, r) = (self.delim_of(&left), self.delim_of(&right));
        let (le, re): (Vec<Expr>, Vec<Expr>) = (
            l.iter().cloned().map(Expr::Column).collect(),
            r.iter().cloned().map(Expr::Column).collect(),
        );
        let same = self.delim.same_values(&le, &re);
        let joined = self.join_like(j, left, right, &l, same)?;
        let delim = match j.join_type {
            Right | RightSemi | RightAnti => re.clone(),
            Full => le
                .iter()
                .zip(&re)
                .zip(&l)
                .map(|((a, b), name)| {
                    Expr::Case {
                        operand: None,
                        when_then: vec![(a.clone().is_null(), b.clone())],
                        else_expr: Some(Box::new(a.clone())),
                    }
                    .alias(&name.name)
                })
                .collect(),
            _ => le.clone(),
        };
        let drop: Vec<Column> = l.into_iter().chain(r).collect();
        delim_last(joined, delim, &drop)
    }

    /// `j` over new inputs, its condition reading the outer columns from
    /// `delim`, with `extra` conditions.
    fn join_like(
        &self,
        j: &Join,
        left: LogicalPlan,
        right: LogicalPlan,
        delim: &[Column],
        extra: Vec<Expr>,
    ) -> Result<LogicalPlan> {
        let bind = |e: &Expr| bind_to(e, self.delim, delim);
        let mut predicates =
            j.on.iter()
                .map(|(l, r)| Ok(bind(l)?.binary(Operator::Eq, bind(r)?)))
                .collect::<Result<Vec<_>>>()?;
        if let Some(f) = &j.filter {
            predicates.push(bind(f)?);
        }
        predicates.extend(extra);
        let joined = join_on(left, right, j.join_type, predicates)?;
        Ok(match joined {
            LogicalPlan::Join(mut joined) if j.null_aware => {
                joined.null_aware = true;
                LogicalPlan::Join(joined)
            }
            other => other,
        })
    }
}

/// A null-aware anti join (`x NOT IN (..)`) as a plain anti join whose
/// condition also holds where either key is NULL: a NULL on either side
/// makes `NOT IN` unknown, so the row is dropped as if matched.
fn plain_anti_join(j: &Join) -> Result<Join> {
    let [(l, r)] = j.on.as_slice() else {
        return not_impl_err!("a NOT IN over several columns in a correlated subquery");
    };
    let unknown_or_equal = l
        .clone()
        .binary(Operator::Eq, r.clone())
        .or(l.clone().is_null())
        .or(r.clone().is_null());
    let condition = match &j.filter {
        Some(f) => unknown_or_equal.and(f.clone()),
        None => unknown_or_equal,
    };
    Join::try_new(
        Arc::clone(&j.left),
        Arc::clone(&j.right),
        JoinType::LeftAnti,
        vec![],
        Some(condition),
        false,
    )
}

/// `e` with each outer column of `delim` replaced by the column of `D` at
/// its position in `columns`.
fn bind_to(e: &Expr, delim: &Delim, columns: &[Column]) -> Result<Expr> {
    e.clone().rewrite(&mut |x| match x {
        Expr::OuterColumn { column, .. } => Ok(delim
            .position(column)
            .map(|i| Expr::Column(columns[i].clone()))),
        _ => Ok(None),
    })
}

/// `plan` with `D`'s columns (`delim`) moved to the end, and the columns in
/// `drop` (other copies of them) left out.
fn delim_last(plan: LogicalPlan, delim: Vec<Expr>, drop: &[Column]) -> Result<LogicalPlan> {
    let delim_columns: Vec<Column> = delim.iter().flat_map(|e| e.columns()).collect();
    let mut exprs: Vec<Expr> = plan
        .schema()
        .fields()
        .iter()
        .map(|f| f.column())
        .filter(|c| !drop.contains(c) && !delim_columns.contains(c))
        .map(Expr::Column)
        .collect();
    let already_last = exprs.len() + delim.len() == plan.schema().len()
        && delim.iter().all(|e| matches!(e, Expr::Column(_)))
        && plan.schema().fields()[exprs.len()..]
            .iter()
            .zip(&delim)
            .all(|(f, e)| matches!(e, Expr::Column(c) if c == &f.column()));
    if already_last {
        return Ok(plan);
    }
    exprs.extend(delim);
    Ok(LogicalPlan::Projection(Projection::try_new(
        exprs,
        Arc::new(plan),
    )?))
}

/// Every row of `left` with every row of `right`.
fn cross_join(left: LogicalPlan, right: LogicalPlan) -> Result<LogicalPlan> {
    Ok(LogicalPlan::Join(Join::try_new(
        Arc::new(left),
        Arc::new(right),
        JoinType::Inner,
        vec![],
        None,
        false,
    )?))
}

/// A join on `predicates`, equalities across the sides as keys.
fn join_on(
    left: LogicalPlan,
    right: LogicalPlan,
    join_type: JoinType,
    predicates: Vec<Expr>,
) -> Result<LogicalPlan> {
    super::make_join(left, right, join_type, predicates, false)
}

/// `OFFSET skip LIMIT fetch` over `input`.
fn limit_plan(skip: usize, fetch: Option<usize>, input: Arc<LogicalPlan>) -> LogicalPlan {
    LogicalPlan::Limit(Limit { skip, fetch, input })
}
