//! Subquery decorrelation: every subquery in a filter or projection becomes
//! a join, so no subquery is ever evaluated once per outer row.
//!
//! - `[NOT] EXISTS` and `x op ANY|ALL (..)` (so `[NOT] IN`) that are
//!   conjuncts of a WHERE/HAVING become semi and anti joins.
//! - Scalar subqueries become joins with the subquery's result; a correlated
//!   aggregate is grouped by its correlation keys first. The join is inner
//!   when the surrounding comparison rejects NULL anyway, else left (and
//!   "single" when nothing guarantees one row per outer row, which turns a
//!   second row into a run-time error).
//! - `EXISTS`/`IN` used as values (under OR, in SELECT) become mark joins.
//!
//! Correlated predicates (those that reference the enclosing query) are
//! pulled up out of the subquery plan and become the join's condition.

use std::sync::Arc;

use quiver_expr::expr::{conjunction, split_conjunction};
use quiver_expr::logical_plan::{
    Aggregate, Filter, Join, JoinType, Projection, SubqueryAlias, Window, MARK_COLUMN,
};
use quiver_expr::{
    not_impl_err, Column, Expr, LogicalPlan, Operator, QField, QSchema, Result, ScalarValue,
    Subquery,
};

use quiver_expr::window::WindowFunctionRef;

use crate::{OptimizerRule, Transformed};
use dependent_join::{Delim, DependentJoin};

mod dependent_join;

/// Rewrites subqueries into joins.
#[derive(Default)]
pub struct Decorrelate {
    /// The `row_number` window function, with which a LIMIT inside a
    /// correlated subquery keeps the first rows of each outer row; without
    /// it such a LIMIT is not supported.
    row_number: Option<WindowFunctionRef>,
}

impl Decorrelate {
    /// The rule, numbering rows with `row_number` where a correlated
    /// subquery has a LIMIT.
    pub fn with_row_number(row_number: WindowFunctionRef) -> Self {
        Self {
            row_number: Some(row_number),
        }
    }
}

impl OptimizerRule for Decorrelate {
    fn name(&self) -> &'static str {
        "decorrelate"
    }
    /// Subqueries run only as the joins this rule makes of them: the
    /// executor evaluates no subquery row by row.
    fn required(&self) -> bool {
        true
    }
    fn rewrite(&self, plan: LogicalPlan) -> Result<Transformed<LogicalPlan>> {
        if !contains_subquery(&plan) && !contains_lateral_join(&plan) {
            return Ok(Transformed::no(plan));
        }
        Rewriter {
            next_id: 0,
            row_number: self.row_number.as_ref(),
        }
        .plan(&plan)
        .map(Transformed::yes)
    }
}

struct Rewriter<'a> {
    next_id: usize,
    row_number: Option<&'a WindowFunctionRef>,
}

/// A subquery plan with its correlated predicates pulled out.
struct Pulled {
    plan: LogicalPlan,
    /// Predicates over the subquery's output columns and outer columns.
    predicates: Vec<Expr>,
    /// Whether an aggregate without GROUP BY was grouped by correlation
    /// keys (so an outer row without matches would have seen one row of
    /// aggregates over nothing).
    grouped_scalar_aggregate: bool,
}

impl Rewriter<'_> {
    fn plan(&mut self, plan: &LogicalPlan) -> Result<LogicalPlan> {
        let inputs = plan
            .inputs()
            .into_iter()
            .map(|i| self.plan(i).map(Arc::new))
            .collect::<Result<Vec<_>>>()?;
        let plan = plan.with_new_inputs(inputs)?;
        match &plan {
            LogicalPlan::Join(j) if reads_left_side(j) => self.lateral(j),
            LogicalPlan::Filter(f) if f.predicate.contains_subquery() => self.filter(f),
            LogicalPlan::Projection(p) if p.exprs.iter().any(Expr::contains_subquery) => {
                self.projection(p)
            }
            LogicalPlan::Aggregate(a) if node_exprs(&plan).iter().any(Expr::contains_subquery) => {
                self.aggregate_arguments(a)
            }
            LogicalPlan::Window(w) if node_exprs(&plan).iter().any(Expr::contains_subquery) => {
                self.window_arguments(w)
            }
            other => {
                if node_exprs(other).iter().any(|e| e.contains_subquery()) {
                    return not_impl_err!(
                        "subqueries are supported in WHERE, HAVING and the SELECT list only"
                    );
                }
                Ok(plan)
            }
        }
    }

    /// A join whose right side reads the left side's columns (`LATERAL`):
    /// the right side evaluated for each distinct combination of the values
    /// it reads, joined back on them.
    fn lateral(&mut self, j: &Join) -> Result<LogicalPlan> {
        if !matches!(j.join_type, JoinType::Inner | JoinType::Left) {
            return not_impl_err!(
                "a {} JOIN with a LATERAL subquery is not supported; only inner and LEFT joins are",
                j.join_type
            );
        }
        let Some(delim) = Delim::of(&j.left, &j.right)? else {
            return Ok(LogicalPlan::Join(j.clone()));
        };
        let mut next_copy = self.next_id;
        let right =
            DependentJoin::new(&delim, &mut next_copy, self.row_number).rewrite(&j.right)?;
        self.next_id = next_copy;
        let mut predicates = delim.join_back(&right);
        predicates.extend(
            j.on.iter()
                .map(|(l, r)| l.clone().binary(Operator::Eq, r.clone())),
        );
        predicates.extend(j.filter.clone());
        let joined = make_join(
            j.left.as_ref().clone(),
            right,
            j.join_type,
            predicates,
            false,
        )?;
        crate::project_to(joined, &j.schema)
    }

    /// An aggregate whose keys or arguments hold subqueries: those are
    /// computed by a projection below it (where they become joins), and
    /// the outputs keep their names.
    fn aggregate_arguments(&mut self, a: &Aggregate) -> Result<LogicalPlan> {
        let mut lifted = Lifted::over(a.input.schema());
        let groups: Vec<Expr> = a.group_exprs.iter().map(|e| lifted.lift(e)).collect();
        let mut aggregates = vec![];
        for e in &a.aggr_exprs {
            let Expr::Aggregate(call) = e else {
                aggregates.push(e.clone());
                continue;
            };
            let mut call = call.clone();
            call.args = call.args.iter().map(|e| lifted.lift(e)).collect();
            call.filter = call.filter.map(|f| Box::new(lifted.lift(&f)));
            for key in &mut call.order_by {
                key.expr = lifted.lift(&key.expr);
            }
            aggregates.push(Expr::Aggregate(call));
        }
        let input = self.projection(&lifted.projection(&a.input)?)?;
        let aggregate =
            LogicalPlan::Aggregate(Aggregate::try_new(Arc::new(input), groups, aggregates)?);
        let kept = aggregate.schema().fields().iter().zip(a.schema.fields());
        renamed_as(&aggregate, kept.collect())
    }

    /// A window whose arguments, PARTITION BY or ORDER BY hold subqueries:
    /// those are computed by a projection below it, and the output keeps
    /// the input's columns and the calls' names.
    fn window_arguments(&mut self, w: &Window) -> Result<LogicalPlan> {
        let mut lifted = Lifted::over(w.input.schema());
        let mut calls = vec![];
        for e in &w.window_exprs {
            let Expr::Window(call) = e else {
                calls.push(e.clone());
                continue;
            };
            let mut call = call.as_ref().clone();
            call.args = call.args.iter().map(|e| lifted.lift(e)).collect();
            call.partition_by = call.partition_by.iter().map(|e| lifted.lift(e)).collect();
            for key in &mut call.order_by {
                key.expr = lifted.lift(&key.expr);
            }
            calls.push(Expr::Window(Box::new(call)));
        }
        let input = self.projection(&lifted.projection(&w.input)?)?;
        let width = input.schema().len();
        let window = LogicalPlan::Window(Window::try_new(Arc::new(input), calls)?);
        let fields = window.schema().fields();
        let original = w.input.schema().len();
        let kept = fields[..original]
            .iter()
            .chain(&fields[width..])
            .zip(w.schema.fields());
        renamed_as(&window, kept.collect())
    }

    fn alias(&mut self) -> String {
        self.next_id += 1;
        format!("__sq_{}", self.next_id)
    }

    fn filter(&mut self, f: &Filter) -> Result<LogicalPlan> {
        let original = f.input.schema().clone();
        let mut plan = f.input.as_ref().clone();
        let mut remaining = vec![];
        for conjunct in split_conjunction(&f.predicate) {
            match as_semi_join(conjunct) {
                Some(SemiJoin::Exists { subquery, negated }) => {
                    let join_type = if negated {
                        JoinType::LeftAnti
                    } else {
                        JoinType::LeftSemi
                    };
                    plan = self.exists_join(plan, subquery, join_type)?;
                }
                Some(SemiJoin::Quantified {
                    expr,
                    op,
                    all,
                    subquery,
                }) => plan = self.quantified_join(plan, expr, op, all, subquery)?,
                None => {
                    let null_rejecting = compares_subquery(conjunct);
                    let (p, e) = self.replace_subqueries(plan, conjunct, null_rejecting)?;
                    plan = p;
                    remaining.push(e);
                }
            }
        }
        if let Some(predicate) = conjunction(remaining) {
            plan = LogicalPlan::Filter(Filter::try_new(predicate, Arc::new(plan))?);
        }
        crate::project_to(plan, &original)
    }

    fn projection(&mut self, p: &Projection) -> Result<LogicalPlan> {
        let mut plan = p.input.as_ref().clone();
        let mut exprs = vec![];
        for e in &p.exprs {
            let name = e.output_name();
            let (next, rewritten) = self.replace_subqueries(plan, e, false)?;
            plan = next;
            exprs.push(if rewritten.output_name() == name {
                rewritten
            } else {
                rewritten.alias(name)
            });
        }
        Ok(LogicalPlan::Projection(Projection::try_new(
            exprs,
            Arc::new(plan),
        )?))
    }

    /// Joins `plan` with every subquery inside `e` and returns `e` with each
    /// subquery replaced by a column of the join.
    fn replace_subqueries(
        &mut self,
        mut plan: LogicalPlan,
        e: &Expr,
        null_rejecting: bool,
    ) -> Result<(LogicalPlan, Expr)> {
        let mut error = None;
        let rewritten = e.clone().rewrite(&mut |x| {
            let result = match x {
                Expr::ScalarSubquery(s) => {
                    self.scalar_join(std::mem::replace(&mut plan, empty()), s, null_rejecting)
                }
                Expr::Exists { subquery, negated } => self
                    .mark_join(std::mem::replace(&mut plan, empty()), subquery, None)
                    .map(|(p, mark)| {
                        (
                            p,
                            if *negated {
                                Expr::Not(Box::new(mark))
                            } else {
                                mark
                            },
                        )
                    }),
                Expr::Quantified {
                    expr,
                    op,
                    all,
                    subquery,
                } => {
                    // x op ALL s is NOT (x negop ANY s).
                    let (op, negate) = if *all {
                        (op.negate().unwrap_or(*op), true)
                    } else {
                        (*op, false)
                    };
                    // Subqueries in the compared value come first.
                    let outer = std::mem::replace(&mut plan, empty());
                    self.replace_subqueries(outer, expr, false)
                        .and_then(|(outer, probe)| {
                            self.mark_join(outer, subquery, Some((&probe, op)))
                        })
                        .map(|(p, mark)| {
                            (
                                p,
                                if negate {
                                    Expr::Not(Box::new(mark))
                                } else {
                                    mark
                                },
                            )
                        })
                }
                _ => return Ok(None),
            };
            match result {
                Ok((p, replacement)) => {
                    plan = p;
                    Ok(Some(replacement))
                }
                Err(err) => {
                    error = Some(err);
                    Ok(Some(x.clone()))
                }
            }
        })?;
        match error {
            Some(err) => Err(err),
            None => Ok((plan, rewritten)),
        }
    }

    /// Decorrelates a subquery of `outer` and gives it a unique name.
    /// Returns the named plan and the predicates that join it to `outer`,
    /// over the named plan's columns and `outer`'s.
    ///
    /// Where the subquery's references to `outer` are conditions that can
    /// be pulled up above its operators, they become the join's condition;
    /// otherwise the subquery is evaluated for each distinct combination of
    /// the outer values it reads ([`dependent_join`]) and joined on them.
    /// References to queries further out stay in the plan, for the
    /// enclosing query's own decorrelation.
    ///
    /// A scalar subquery over a scalar aggregate whose value over no rows
    /// the caller supplies (`scalar_aggregate`) may come back
    /// [`Grouping::Aggregated`]: without a row for the outer values that
    /// found no input rows.
    fn prepare(
        &mut self,
        outer: &LogicalPlan,
        subquery: &Subquery,
        scalar_aggregate: bool,
    ) -> Result<(LogicalPlan, Vec<Expr>, Grouping)> {
        let inner = self.plan(&subquery.plan)?;
        let Some(delim) = Delim::of(outer, &inner)? else {
            // Uncorrelated at this level.
            let named = self.named_plan(inner, outer.schema())?;
            return Ok((named, vec![], Grouping::Rows));
        };
        if all_outer_columns_in(&inner, outer.schema()) {
            if let Ok(pulled) = pull_up(&inner) {
                if outer_column_left(&pulled.plan).is_none() {
                    return self.pulled_up(pulled, outer.schema());
                }
            }
        }
        let mut next_copy = self.next_id;
        let mut dependent = DependentJoin::new(&delim, &mut next_copy, self.row_number);
        let top_aggregate = top_scalar_aggregate(&inner).filter(|_| scalar_aggregate);
        if let Some(a) = top_aggregate {
            dependent.allow_missing_groups(a);
        }
        let mut rewritten = dependent.rewrite(&inner)?;
        self.next_id = next_copy;
        if top_aggregate.is_some() {
            rewritten = with_matched_marker(rewritten, delim.len())?;
        }
        let named = self.named_plan(rewritten, outer.schema())?;
        let predicates = delim.join_back(&named);
        let grouping = match top_aggregate {
            Some(_) => {
                let schema = named.schema();
                let marker = schema.field(schema.len() - delim.len() - 1).column();
                Grouping::Aggregated { matched: marker }
            }
            None => Grouping::Rows,
        };
        Ok((named, predicates, grouping))
    }

    /// `plan` under a fresh name, its columns named uniquely and apart
    /// from the unqualified columns of `outer` (an aggregate's `count(*)`),
    /// which a reference by name must still find alone.
    fn named_plan(&mut self, plan: LogicalPlan, outer: &QSchema) -> Result<LogicalPlan> {
        let alias = self.alias();
        let names = unique_names(plan.schema(), outer);
        Ok(LogicalPlan::SubqueryAlias(SubqueryAlias::try_new(
            Arc::new(plan),
            &alias,
            &names,
        )?))
    }

    /// A subquery whose correlated conditions were pulled up, named, with
    /// those conditions over the named plan's columns.
    fn pulled_up(
        &mut self,
        pulled: Pulled,
        outer: &QSchema,
    ) -> Result<(LogicalPlan, Vec<Expr>, Grouping)> {
        let before = pulled.plan.schema().clone();
        let named = self.named_plan(pulled.plan, outer)?;
        let after = named.schema().clone();
        let predicates = pulled
            .predicates
            .into_iter()
            .map(|p| requalify(p, &before, &after))
            .collect::<Result<Vec<_>>>()?;
        // Grouped by the correlation keys: an outer row without a group
        // finds NULL in the subquery's key column (equalities never match
        // NULL).
        let key = predicates
            .iter()
            .flat_map(|p| p.columns())
            .find(|c| named.schema().find(c).ok().flatten().is_some());
        let grouping = match key {
            Some(matched) if pulled.grouped_scalar_aggregate => Grouping::Aggregated { matched },
            _ => Grouping::Rows,
        };
        Ok((named, predicates, grouping))
    }

    fn exists_join(
        &mut self,
        plan: LogicalPlan,
        subquery: &Subquery,
        join_type: JoinType,
    ) -> Result<LogicalPlan> {
        let (sub, predicates, _) = self.prepare(&plan, subquery, false)?;
        make_join(plan, sub, join_type, predicates, false)
    }

    /// `x op ANY (s)` as a semi join; `x op ALL (s)` as an anti join on
    /// "some s makes x op s false or unknown".
    fn quantified_join(
        &mut self,
        plan: LogicalPlan,
        x: &Expr,
        op: Operator,
        all: bool,
        subquery: &Subquery,
    ) -> Result<LogicalPlan> {
        let (sub, mut predicates, _) = self.prepare(&plan, subquery, false)?;
        let value = Expr::Column(sub.schema().field(0).column());
        let x_nullable = x.nullable(plan.schema())?;
        let value_nullable = value.nullable(sub.schema())?;
        if !all {
            predicates.push(x.clone().binary(op, value));
            return make_join(plan, sub, JoinType::LeftSemi, predicates, false);
        }
        let negated = op.negate().unwrap_or(op);
        let nullable = x_nullable || value_nullable;
        if !nullable {
            predicates.push(x.clone().binary(negated, value));
            return make_join(plan, sub, JoinType::LeftAnti, predicates, false);
        }
        if negated == Operator::Eq && predicates.is_empty() {
            // NOT IN over an uncorrelated subquery: the hash join itself
            // knows whether the subquery produced NULL or was empty.
            predicates.push(x.clone().binary(Operator::Eq, value));
            return make_join(plan, sub, JoinType::LeftAnti, predicates, true);
        }
        let unknown_or_false = x
            .clone()
            .binary(negated, value.clone())
            .or(x.clone().is_null())
            .or(value.is_null());
        predicates.push(unknown_or_false);
        make_join(plan, sub, JoinType::LeftAnti, predicates, false)
    }

    /// A mark join for `EXISTS` (no comparison) or `x op ANY (s)`; returns
    /// the joined plan and the mark column.
    fn mark_join(
        &mut self,
        plan: LogicalPlan,
        subquery: &Subquery,
        comparison: Option<(&Expr, Operator)>,
    ) -> Result<(LogicalPlan, Expr)> {
        let (sub, mut predicates, _) = self.prepare(&plan, subquery, false)?;
        let mut null_aware = false;
        if let Some((x, op)) = comparison {
            let value = Expr::Column(sub.schema().field(0).column());
            let nullable = x.nullable(plan.schema())? || value.nullable(sub.schema())?;
            if nullable {
                if op != Operator::Eq || !predicates.is_empty() {
                    return self.three_valued_mark(plan, subquery, (sub, predicates), x, op);
                }
                null_aware = true;
            }
            predicates.push(x.clone().binary(op, value));
        }
        let joined = make_join(plan, sub, JoinType::LeftMark, predicates, null_aware)?;
        let mark = mark_of(&joined);
        Ok((joined, mark))
    }

    /// `x op ANY (s)` as a value where NULLs may occur and the NULL-aware
    /// mark join does not apply (a correlated subquery, or `op` not `=`):
    /// TRUE where some row of `s` compares true, else NULL where `x` or
    /// some row's value is NULL, else FALSE; from two mark joins.
    fn three_valued_mark(
        &mut self,
        plan: LogicalPlan,
        subquery: &Subquery,
        (sub, mut predicates): (LogicalPlan, Vec<Expr>),
        x: &Expr,
        op: Operator,
    ) -> Result<(LogicalPlan, Expr)> {
        let value = Expr::Column(sub.schema().field(0).column());
        let (sub_again, mut again, _) = self.prepare(&plan, subquery, false)?;
        let value_again = Expr::Column(sub_again.schema().field(0).column());
        predicates.push(x.clone().binary(op, value));
        again.push(x.clone().is_null().or(value_again.is_null()));
        let matched_name = format!("{}_mark", self.alias());
        let joined = make_join(plan, sub, JoinType::LeftMark, predicates, false)?;
        let joined = with_last_renamed(joined, &matched_name)?;
        let matched = Expr::Column(Column::bare(&matched_name));
        let joined = make_join(joined, sub_again, JoinType::LeftMark, again, false)?;
        let unknown = mark_of(&joined);
        let value = Expr::Case {
            operand: None,
            when_then: vec![
                (matched, Expr::Literal(ScalarValue::Boolean(Some(true)))),
                (unknown, Expr::Literal(ScalarValue::Boolean(None))),
            ],
            else_expr: Some(Box::new(Expr::Literal(ScalarValue::Boolean(Some(false))))),
        };
        Ok((joined, value))
    }

    /// Joins `plan` with a scalar subquery; returns the plan and the
    /// expression that stands for the subquery's value.
    fn scalar_join(
        &mut self,
        plan: LogicalPlan,
        subquery: &Subquery,
        null_rejecting: bool,
    ) -> Result<(LogicalPlan, Expr)> {
        let one_row = produces_one_row(&subquery.plan);
        let empty_value = empty_input_value(&subquery.plan);
        let (sub, predicates, grouped) = self.prepare(&plan, subquery, empty_value.is_some())?;
        let value = Expr::Column(sub.schema().field(0).column());
        if predicates.is_empty() {
            let join_type = if one_row {
                JoinType::Inner
            } else {
                JoinType::LeftSingle
            };
            let joined = make_join(plan, sub, join_type, vec![], false)?;
            return Ok((named(joined, subquery), value));
        }
        let Grouping::Aggregated { matched } = grouped else {
            let joined = make_join(plan, sub, JoinType::LeftSingle, predicates, false)?;
            return Ok((named(joined, subquery), value));
        };
        // Grouped by the correlation: at most one row per outer row. An
        // outer row without one sees the aggregates of no rows.
        let matched = Some(matched);
        let fallback = empty_value.filter(|v| !is_null_literal(v));
        let join_type = if null_rejecting && fallback.is_none() {
            JoinType::Inner
        } else {
            JoinType::Left
        };
        let joined = make_join(plan, sub, join_type, predicates, false)?;
        let value = match (fallback, matched) {
            (Some(fallback), Some(key)) => Expr::Case {
                operand: None,
                when_then: vec![(Expr::Column(key).is_null(), fallback)],
                else_expr: Some(Box::new(value)),
            },
            _ => value,
        };
        Ok((joined, value))
    }
}

/// The parts of a node's expressions that hold subqueries, to be computed
/// as extra columns by a projection below the node.
struct Lifted {
    below: Vec<Expr>,
}

impl Lifted {
    /// Nothing lifted yet over an input of `schema`.
    fn over(schema: &QSchema) -> Self {
        Self {
            below: schema
                .fields()
                .iter()
                .map(|f| Expr::Column(f.column()))
                .collect(),
        }
    }

    /// `e`, or a column of the projection below when it holds a subquery.
    fn lift(&mut self, e: &Expr) -> Expr {
        if !e.contains_subquery() {
            return e.clone();
        }
        let name = format!("__subquery_value_{}", self.below.len());
        self.below.push(e.clone().alias(&name));
        Expr::Column(Column::bare(&name))
    }

    /// The projection below: the input's columns, then the lifted parts.
    fn projection(self, input: &Arc<LogicalPlan>) -> Result<Projection> {
        Projection::try_new(self.below, Arc::clone(input))
    }
}

/// A projection of `plan` to the `(new, old)` fields' pairs: each new
/// field, under the old one's name.
fn renamed_as(plan: &LogicalPlan, kept: Vec<(&QField, &QField)>) -> Result<LogicalPlan> {
    let exprs = kept
        .into_iter()
        .map(|(new, old)| match new.name() == old.name() {
            true => Expr::Column(new.column()),
            false => Expr::Column(new.column()).alias(old.name()),
        })
        .collect();
    Ok(LogicalPlan::Projection(Projection::try_new(
        exprs,
        Arc::new(plan.clone()),
    )?))
}

/// The mark column of a mark join: its last.
fn mark_of(joined: &LogicalPlan) -> Expr {
    joined
        .schema()
        .fields()
        .last()
        .map(|f| Expr::Column(f.column()))
        .unwrap_or_else(|| Expr::Column(Column::bare(MARK_COLUMN)))
}

/// `plan` with its last column renamed `name`.
fn with_last_renamed(plan: LogicalPlan, name: &str) -> Result<LogicalPlan> {
    let fields = plan.schema().fields().to_vec();
    let last = fields.len() - 1;
    let exprs = fields
        .iter()
        .enumerate()
        .map(|(i, f)| match i == last {
            true => Expr::Column(f.column()).alias(name),
            false => Expr::Column(f.column()),
        })
        .collect();
    Ok(LogicalPlan::Projection(Projection::try_new(
        exprs,
        Arc::new(plan),
    )?))
}

/// How the rows of a prepared subquery stand to the outer rows.
enum Grouping {
    /// Any number of rows for an outer row.
    Rows,
    /// At most one row for an outer row, none where its aggregate saw no
    /// rows; `matched` is NULL exactly for the outer rows without one.
    Aggregated { matched: Column },
}

/// The aggregate without GROUP BY that `plan` computes under projections
/// and aliases, if it is one.
fn top_scalar_aggregate(plan: &LogicalPlan) -> Option<&Aggregate> {
    match plan {
        LogicalPlan::Projection(p) => top_scalar_aggregate(&p.input),
        LogicalPlan::SubqueryAlias(a) => top_scalar_aggregate(&a.input),
        LogicalPlan::Aggregate(a) if a.group_exprs.is_empty() => Some(a),
        _ => None,
    }
}

/// `plan` (a rewritten subquery, `k` columns of `D` last) with a column
/// that is TRUE on every row, before `D`'s: NULL after an outer join
/// exactly where no row matched.
fn with_matched_marker(plan: LogicalPlan, k: usize) -> Result<LogicalPlan> {
    let schema = plan.schema().clone();
    let column = |i: usize| Expr::Column(schema.field(i).column());
    let width = schema.len();
    let exprs = (0..width - k)
        .map(column)
        .chain([Expr::Literal(ScalarValue::Boolean(Some(true))).alias("__matched")])
        .chain((width - k..width).map(column))
        .collect();
    Ok(LogicalPlan::Projection(Projection::try_new(
        exprs,
        Arc::new(plan),
    )?))
}

/// A conjunct that becomes a semi or anti join.
enum SemiJoin<'a> {
    Exists {
        subquery: &'a Subquery,
        negated: bool,
    },
    Quantified {
        expr: &'a Expr,
        op: Operator,
        all: bool,
        subquery: &'a Subquery,
    },
}

fn as_semi_join(e: &Expr) -> Option<SemiJoin<'_>> {
    match e {
        Expr::Exists { subquery, negated } => Some(SemiJoin::Exists {
            subquery,
            negated: *negated,
        }),
        Expr::Quantified {
            expr,
            op,
            all,
            subquery,
        } if !expr.contains_subquery() => Some(SemiJoin::Quantified {
            expr,
            op: *op,
            all: *all,
            subquery,
        }),
        Expr::Not(inner) => match as_semi_join(inner)? {
            SemiJoin::Exists { subquery, negated } => Some(SemiJoin::Exists {
                subquery,
                negated: !negated,
            }),
            // NOT (x op ANY s) is x negop ALL s, and vice versa.
            SemiJoin::Quantified {
                expr,
                op,
                all,
                subquery,
            } => Some(SemiJoin::Quantified {
                expr,
                op: op.negate()?,
                all: !all,
                subquery,
            }),
        },
        _ => None,
    }
}

/// Whether `e` is a comparison with a scalar subquery as one operand, so
/// that a NULL subquery value makes it NULL (and the row is dropped).
fn compares_subquery(e: &Expr) -> bool {
    let is_subquery = |x: &Expr| {
        let mut x = x.unalias();
        while let Expr::Cast(inner, _) = x {
            x = inner;
        }
        matches!(x, Expr::ScalarSubquery(_))
    };
    match e {
        Expr::Binary(l, op, r) if op.is_comparison() => {
            (is_subquery(l) && !r.contains_subquery()) || (is_subquery(r) && !l.contains_subquery())
        }
        _ => false,
    }
}

/// A placeholder plan, swapped in while a plan is moved into a join.
fn empty() -> LogicalPlan {
    quiver_expr::logical_plan::one_row()
}

/// The expressions a node evaluates.
fn node_exprs(plan: &LogicalPlan) -> Vec<Expr> {
    match plan {
        LogicalPlan::Projection(p) => p.exprs.clone(),
        LogicalPlan::Filter(f) => vec![f.predicate.clone()],
        LogicalPlan::Aggregate(a) => a.group_exprs.iter().chain(&a.aggr_exprs).cloned().collect(),
        LogicalPlan::Sort(s) => s.exprs.iter().map(|k| k.expr.clone()).collect(),
        LogicalPlan::Window(w) => w.window_exprs.clone(),
        LogicalPlan::Expand(e) => e.projections.concat(),
        LogicalPlan::Values(v) => v.rows.concat(),
        LogicalPlan::Join(j) => {
            j.on.iter()
                .flat_map(|(l, r)| [l.clone(), r.clone()])
                .chain(j.filter.clone())
                .collect()
        }
        _ => vec![],
    }
}

/// Whether any node of `plan` evaluates a subquery.
fn contains_subquery(plan: &LogicalPlan) -> bool {
    node_exprs(plan).iter().any(Expr::contains_subquery)
        || plan.inputs().into_iter().any(|i| contains_subquery(i))
}

/// Whether `plan` holds a join whose right side reads the left side's
/// columns (`LATERAL`).
fn contains_lateral_join(plan: &LogicalPlan) -> bool {
    matches!(plan, LogicalPlan::Join(j) if reads_left_side(j))
        || plan.inputs().into_iter().any(|i| contains_lateral_join(i))
}

/// Whether the right side of `j` reads columns of its left side.
fn reads_left_side(j: &Join) -> bool {
    let left = j.left.schema();
    let mut reads = false;
    visit_outer_columns(&j.right, &mut |c| {
        reads |= left.find(c).ok().flatten().is_some();
    });
    reads
}

/// Calls `f` on every outer column referenced anywhere in `plan`.
fn visit_outer_columns(plan: &LogicalPlan, f: &mut dyn FnMut(&Column)) {
    for e in node_exprs(plan) {
        e.visit(&mut |x| {
            if let Expr::OuterColumn { column, .. } = x {
                f(column);
            }
        });
    }
    for input in plan.inputs() {
        visit_outer_columns(input, f);
    }
}

/// Whether every outer column `plan` references is a column of `schema`.
fn all_outer_columns_in(plan: &LogicalPlan, schema: &QSchema) -> bool {
    let mut all = true;
    visit_outer_columns(plan, &mut |c| {
        all &= schema.find(c).ok().flatten().is_some();
    });
    all
}

/// The first outer column still referenced anywhere in `plan`.
fn outer_column_left(plan: &LogicalPlan) -> Option<Column> {
    let mut found = None;
    for e in node_exprs(plan) {
        e.visit(&mut |x| {
            if let Expr::OuterColumn { column, .. } = x {
                found.get_or_insert_with(|| column.clone());
            }
        });
    }
    found.or_else(|| plan.inputs().into_iter().find_map(|i| outer_column_left(i)))
}

/// Pulls the correlated conjuncts of filters up to the top of `plan`.
fn pull_up(plan: &LogicalPlan) -> Result<Pulled> {
    let unchanged = || Pulled {
        plan: plan.clone(),
        predicates: vec![],
        grouped_scalar_aggregate: false,
    };
    let below = match plan {
        LogicalPlan::Filter(f) => return pull_up_filter(f),
        LogicalPlan::Join(j) => return pull_up_join(plan, j),
        LogicalPlan::Projection(_)
        | LogicalPlan::Aggregate(_)
        | LogicalPlan::SubqueryAlias(_)
        | LogicalPlan::Sort(_)
        | LogicalPlan::Limit(_) => pull_up(plan.inputs()[0])?,
        _ => return Ok(unchanged()),
    };
    if below.predicates.is_empty() {
        return Ok(unchanged());
    }
    match plan {
        LogicalPlan::Projection(p) => pull_up_projection(p, below),
        LogicalPlan::Aggregate(a) => pull_up_aggregate(a, below),
        LogicalPlan::SubqueryAlias(a) => pull_up_alias(a, below),
        // Order does not matter inside a correlated subquery.
        LogicalPlan::Sort(_) => Ok(below),
        _ => not_impl_err!("LIMIT in a correlated subquery is not supported"),
    }
}

/// A filter's correlated conjuncts join those pulled from below it; the
/// others stay.
fn pull_up_filter(f: &Filter) -> Result<Pulled> {
    let below = pull_up(&f.input)?;
    let (mut predicates, keep): (Vec<Expr>, Vec<Expr>) = split_conjunction(&f.predicate)
        .into_iter()
        .cloned()
        .partition(Expr::contains_outer_column);
    predicates.extend(below.predicates);
    let input = Arc::new(below.plan);
    let plan = match conjunction(keep) {
        Some(p) => LogicalPlan::Filter(Filter::try_new(p, input)?),
        None => input.as_ref().clone(),
    };
    Ok(Pulled {
        plan,
        predicates,
        ..below
    })
}

/// A projection passes on the columns the pulled predicates read.
fn pull_up_projection(p: &Projection, below: Pulled) -> Result<Pulled> {
    let mut exprs = p.exprs.clone();
    for c in below.predicates.iter().flat_map(Expr::columns) {
        let e = Expr::Column(c);
        if !exprs.contains(&e) {
            exprs.push(e);
        }
    }
    Ok(Pulled {
        plan: LogicalPlan::Projection(Projection::try_new(exprs, Arc::new(below.plan))?),
        ..below
    })
}

/// An aggregate is grouped by the correlation keys too (equalities only).
fn pull_up_aggregate(a: &Aggregate, below: Pulled) -> Result<Pulled> {
    let mut groups = a.group_exprs.clone();
    for p in &below.predicates {
        let Some(inner) = correlation_key(p) else {
            return not_impl_err!(
                "the correlated condition {p} under an aggregate is not supported; only equalities are"
            );
        };
        for c in inner.columns() {
            let e = Expr::Column(c);
            if !groups.contains(&e) {
                groups.push(e);
            }
        }
    }
    let aggregate = Aggregate::try_new(Arc::new(below.plan), groups, a.aggr_exprs.clone())?;
    Ok(Pulled {
        plan: LogicalPlan::Aggregate(aggregate),
        predicates: below.predicates,
        grouped_scalar_aggregate: a.group_exprs.is_empty(),
    })
}

/// An alias renames the columns the pulled predicates read.
fn pull_up_alias(a: &SubqueryAlias, below: Pulled) -> Result<Pulled> {
    let before = below.plan.schema().clone();
    let names: Vec<String> = a.schema.field_names();
    let aliased = LogicalPlan::SubqueryAlias(SubqueryAlias::try_new(
        Arc::new(below.plan),
        &a.alias,
        &names,
    )?);
    let after = aliased.schema().clone();
    let predicates = below
        .predicates
        .into_iter()
        .map(|p| requalify_inner(p, &before, &after))
        .collect::<Result<_>>()?;
    Ok(Pulled {
        plan: aliased,
        predicates,
        ..below
    })
}

/// A join passes on the predicates pulled from the sides whose rows it
/// keeps as they are (both for an inner join, the left one for left outer,
/// semi, anti, mark and single joins).
fn pull_up_join(plan: &LogicalPlan, j: &Join) -> Result<Pulled> {
    let left = pull_up(&j.left)?;
    let right = pull_up(&j.right)?;
    if left.predicates.is_empty() && right.predicates.is_empty() {
        return Ok(Pulled {
            plan: plan.clone(),
            predicates: vec![],
            grouped_scalar_aggregate: false,
        });
    }
    let right_ok = matches!(j.join_type, JoinType::Inner) || right.predicates.is_empty();
    let left_ok = matches!(
        j.join_type,
        JoinType::Inner
            | JoinType::Left
            | JoinType::LeftSemi
            | JoinType::LeftAnti
            | JoinType::LeftMark
            | JoinType::LeftSingle
    ) || left.predicates.is_empty();
    if !left_ok || !right_ok {
        return not_impl_err!(
            "correlated conditions inside a {} join are not supported",
            j.join_type
        );
    }
    let joined = Join::try_new(
        Arc::new(left.plan),
        Arc::new(right.plan),
        j.join_type,
        j.on.clone(),
        j.filter.clone(),
        j.null_aware,
    )?;
    Ok(Pulled {
        plan: LogicalPlan::Join(joined),
        predicates: [left.predicates, right.predicates].concat(),
        grouped_scalar_aggregate: left.grouped_scalar_aggregate || right.grouped_scalar_aggregate,
    })
}

/// For `inner = outer` (either order), the side over the subquery's columns.
fn correlation_key(p: &Expr) -> Option<&Expr> {
    let Expr::Binary(l, Operator::Eq, r) = p else {
        return None;
    };
    let outer_only = |e: &Expr| e.columns().is_empty() && e.contains_outer_column();
    let inner_only = |e: &Expr| !e.contains_outer_column() && !e.columns().is_empty();
    if inner_only(l) && outer_only(r) {
        Some(l)
    } else if inner_only(r) && outer_only(l) {
        Some(r)
    } else {
        None
    }
}

/// Rewrites the subquery columns of `p` from `before` to the same positions
/// in `after`, leaving outer columns alone.
fn requalify_inner(p: Expr, before: &QSchema, after: &QSchema) -> Result<Expr> {
    p.rewrite(&mut |x| match x {
        Expr::Column(c) => {
            let i = before.index_of(c)?;
            Ok(Some(Expr::Column(after.field(i).column())))
        }
        _ => Ok(None),
    })
}

/// Like [`requalify_inner`], and turns outer columns into plain columns (of
/// the outer plan the subquery is joined to).
fn requalify(p: Expr, before: &QSchema, after: &QSchema) -> Result<Expr> {
    requalify_inner(p, before, after)?.rewrite(&mut |x| match x {
        Expr::OuterColumn { column, .. } => Ok(Some(Expr::Column(column.clone()))),
        _ => Ok(None),
    })
}

/// Column names for a subquery's output with duplicates suffixed, so each
/// can be referenced once the subquery is named; names of unqualified
/// columns of `outer` count as taken.
fn unique_names(schema: &QSchema, outer: &QSchema) -> Vec<String> {
    let taken: Vec<String> = outer
        .fields()
        .iter()
        .filter(|f| f.qualifier.is_none())
        .map(|f| f.name().to_string())
        .collect();
    let mut names: Vec<String> = vec![];
    for f in schema.fields() {
        let mut name = f.name().to_string();
        let mut n = 1;
        while names
            .iter()
            .chain(&taken)
            .any(|x| x.eq_ignore_ascii_case(&name))
        {
            n += 1;
            name = format!("{}_{n}", f.name());
        }
        names.push(name);
    }
    names
}

/// Joins `left` and `right` on `predicates`: equalities between an
/// expression over the left and one over the right become keys, the rest
/// the join's filter.
fn make_join(
    left: LogicalPlan,
    right: LogicalPlan,
    join_type: JoinType,
    predicates: Vec<Expr>,
    null_aware: bool,
) -> Result<LogicalPlan> {
    let (ls, rs) = (left.schema().clone(), right.schema().clone());
    let (on, rest) = crate::join_keys::split_keys(predicates, &ls, &rs)?;
    Ok(LogicalPlan::Join(Join::try_new(
        Arc::new(left),
        Arc::new(right),
        join_type,
        on,
        conjunction(rest),
        null_aware,
    )?))
}

/// Notes on a join the scalar subquery it evaluates.
fn named(plan: LogicalPlan, subquery: &Subquery) -> LogicalPlan {
    match plan {
        LogicalPlan::Join(j) => LogicalPlan::Join(j.with_subquery(format!("({})", subquery.sql))),
        other => other,
    }
}

/// Whether a (not yet decorrelated) subquery plan always produces exactly
/// one row: an aggregate without GROUP BY under projections.
fn produces_one_row(plan: &LogicalPlan) -> bool {
    match plan {
        LogicalPlan::Projection(p) => produces_one_row(&p.input),
        LogicalPlan::SubqueryAlias(a) => produces_one_row(&a.input),
        LogicalPlan::Aggregate(a) => a.group_exprs.is_empty(),
        _ => false,
    }
}

/// The value a scalar aggregate subquery produces over no rows: its first
/// output with `count` as 0 and other aggregates NULL. `None` when the plan
/// is not a projection over a scalar aggregate.
fn empty_input_value(plan: &LogicalPlan) -> Option<Expr> {
    let (expr, aggregate) = match plan {
        LogicalPlan::Projection(p) => match p.input.as_ref() {
            LogicalPlan::Aggregate(a) => (p.exprs.first()?.clone(), a),
            _ => return None,
        },
        LogicalPlan::Aggregate(a) => (Expr::Column(a.schema.field(0).column()), a),
        _ => return None,
    };
    if !aggregate.group_exprs.is_empty() {
        return None;
    }
    let schema = aggregate.schema.clone();
    let value = expr
        .unalias()
        .clone()
        .rewrite(&mut |x| {
            let Expr::Column(c) = x else { return Ok(None) };
            let Some(i) = schema.find(c)? else {
                return Ok(None);
            };
            let Expr::Aggregate(call) = &aggregate.aggr_exprs[i] else {
                return Ok(None);
            };
            let t = schema.field(i).field.data_type().clone();
            let value = call.func.0.value_over_no_rows(&t);
            Ok(Some(Expr::Literal(value.unwrap_or(ScalarValue::Null))))
        })
        .ok()?;
    Some(value)
}

/// Whether `e` is certainly NULL: built from NULL literals by operators and
/// casts that propagate NULL.
fn is_null_literal(e: &Expr) -> bool {
    match e {
        Expr::Literal(v) => v.is_null(),
        Expr::Cast(inner, _) | Expr::Negative(inner) | Expr::Alias(inner, _) => {
            is_null_literal(inner)
        }
        Expr::Binary(l, op, r) if op.is_arithmetic() || op.is_comparison() => {
            is_null_literal(l) || is_null_literal(r)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::*;
    use arrow::datatypes::DataType;

    fn decorrelated(plan: &LogicalPlan) -> String {
        rewritten(&Decorrelate::default(), plan).display_indent()
    }

    fn outer(name: &str) -> Expr {
        Expr::OuterColumn {
            column: Column::new(Some("t"), name),
            data_type: DataType::Int64,
            nullable: true,
        }
    }

    /// `SELECT u.<column> FROM u [WHERE condition]` as a subquery.
    fn subquery(column: &str, condition: Option<Expr>) -> Subquery {
        let input = match &condition {
            Some(c) => filter(c.clone(), scan_as("u")),
            None => scan_as("u"),
        };
        Subquery {
            plan: project(vec![qcol("u", column)], input),
            sql: "SELECT ..".into(),
        }
    }

    #[test]
    fn correlated_exists_becomes_a_semi_join_on_the_correlation() {
        let exists = Expr::Exists {
            subquery: subquery("b", Some(eq(qcol("u", "a"), outer("a")))),
            negated: false,
        };
        assert_eq!(
            decorrelated(&filter(exists, scan())),
            "Join: LeftSemi on=[t.a = __sq_1.a]\n  TableScan: t projection=[a, b, c, s]\n  SubqueryAlias: __sq_1\n    Projection: u.b, u.a\n      TableScan: u projection=[a, b, c, s]\n"
        );
    }

    #[test]
    fn not_in_over_nullable_values_is_a_null_aware_anti_join() {
        let not_in = Expr::Quantified {
            expr: Box::new(col("a")),
            op: Operator::NotEq,
            all: true,
            subquery: subquery("a", None),
        };
        assert_eq!(
            decorrelated(&filter(not_in, scan())),
            "Join: LeftAnti on=[t.a = __sq_1.a] null_aware\n  TableScan: t projection=[a, b, c, s]\n  SubqueryAlias: __sq_1\n    Projection: u.a\n      TableScan: u projection=[a, b, c, s]\n"
        );
    }

    #[test]
    fn a_correlated_scalar_without_aggregate_is_a_single_join() {
        let scalar = Expr::ScalarSubquery(subquery("b", Some(eq(qcol("u", "a"), outer("a")))));
        let plan = filter(eq(col("b"), scalar), scan());
        assert_eq!(
            decorrelated(&plan),
            "Projection: t.a, t.b, t.c, t.s\n  Filter: (t.b = __sq_1.b)\n    Join: LeftSingle on=[t.a = __sq_1.a]\n      TableScan: t projection=[a, b, c, s]\n      SubqueryAlias: __sq_1\n        Projection: u.b, u.a\n          TableScan: u projection=[a, b, c, s]\n"
        );
    }

    #[test]
    fn correlation_under_a_limit_is_refused() {
        let limited = limit(0, 1, filter(eq(qcol("u", "a"), outer("a")), scan_as("u")));
        let exists = Expr::Exists {
            subquery: Subquery {
                plan: Arc::new(limited),
                sql: "SELECT ..".into(),
            },
            negated: false,
        };
        let err = Decorrelate::default()
            .rewrite((*filter(exists, scan())).clone())
            .unwrap_err();
        assert!(
            err.to_string().contains("LIMIT in a correlated subquery"),
            "{err}"
        );
    }
}
