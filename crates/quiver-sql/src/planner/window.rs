//! Binds window calls (`f(..) OVER (..)`, `OVER w`, `WINDOW w AS (..)`)
//! and plans the window operators of a SELECT, with QUALIFY.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::datatypes::{DataType, IntervalDayTime};
use quiver_expr::logical_plan::Window;
use quiver_expr::types::sql_type_name;
use quiver_expr::window::{FrameBound, FrameExclusion, FrameUnits, WindowCall, WindowFrame};
use quiver_expr::{
    not_impl_err, AggregateFunctionRef, Column, Expr, LogicalPlan, QSchema, QuiverError, Result,
    ScalarValue, SortExpr, WindowFunctionRef, WindowKind,
};
use sqlparser::ast::{self, FunctionArguments, NamedWindowExpr};

use super::query::sort_expr;
use super::SqlPlanner;
use crate::frame_exclusion::EXCLUDE_MARKER;

/// A window specification with a named base window merged in.
struct Spec<'a> {
    partition_by: &'a [ast::Expr],
    order_by: &'a [ast::OrderByExpr],
    frame: Option<&'a ast::WindowFrame>,
    exclusion: FrameExclusion,
}

impl SqlPlanner<'_> {
    /// Makes the `WINDOW` clause's definitions visible to the calls of the
    /// SELECT being planned (until [`SqlPlanner::leave_named_windows`]).
    pub(crate) fn enter_named_windows(&self, defs: &[ast::NamedWindowDefinition]) -> Result<()> {
        let mut scope: HashMap<String, ast::WindowSpec> = HashMap::new();
        for ast::NamedWindowDefinition(name, expr) in defs {
            let key = name.value.to_lowercase();
            if scope.contains_key(&key) {
                return Err(QuiverError::Plan(format!(
                    "window \"{}\" is defined twice",
                    name.value
                )));
            }
            let spec = match expr {
                NamedWindowExpr::WindowSpec(spec) => spec.clone(),
                NamedWindowExpr::NamedWindow(other) => ast::WindowSpec {
                    window_name: Some(other.clone()),
                    partition_by: vec![],
                    order_by: vec![],
                    window_frame: None,
                },
            };
            scope.insert(key, spec);
        }
        self.named_windows.borrow_mut().push(scope);
        Ok(())
    }

    /// Ends the scope [`SqlPlanner::enter_named_windows`] began.
    pub(crate) fn leave_named_windows(&self) {
        self.named_windows.borrow_mut().pop();
    }

    /// The window named `name` in the innermost SELECT's WINDOW clause.
    fn named_window(&self, name: &ast::Ident) -> Result<ast::WindowSpec> {
        self.named_windows
            .borrow()
            .last()
            .and_then(|scope| scope.get(&name.value.to_lowercase()).cloned())
            .ok_or_else(|| QuiverError::Plan(format!("window \"{}\" does not exist", name.value)))
    }

    /// Binds `name(args) OVER ...`.
    pub(crate) fn window_call(
        &self,
        f: &ast::Function,
        name: &str,
        over: &ast::WindowType,
        schema: &QSchema,
    ) -> Result<Expr> {
        if !self.windows_allowed.get() {
            return Err(QuiverError::Plan(format!(
                "window functions ({name} .. OVER) are allowed only in the select list, ORDER BY and QUALIFY"
            )));
        }
        let (base, own) = match over {
            ast::WindowType::NamedWindow(id) => (Some(self.named_window(id)?), None),
            ast::WindowType::WindowSpec(spec) => match &spec.window_name {
                Some(id) => (Some(self.named_window(id)?), Some(spec)),
                None => (None, Some(spec)),
            },
        };
        let resolved_base = match &base {
            Some(b) if b.window_name.is_some() => {
                // A definition that itself extends another.
                let inner = self.named_window(b.window_name.as_ref().expect("checked"))?;
                Some(merge_specs(&inner, b)?)
            }
            Some(b) => Some(b.clone()),
            None => None,
        };
        let spec = match (&resolved_base, own) {
            (Some(b), Some(own)) => merge_specs(b, own)?,
            (Some(b), None) => b.clone(),
            (None, Some(own)) => own.clone(),
            (None, None) => return Err(QuiverError::Internal("window without a spec".into())),
        };
        let spec = Spec {
            partition_by: &spec.partition_by,
            order_by: &spec.order_by,
            frame: spec.window_frame.as_ref(),
            exclusion: written_exclusion(&spec.partition_by).unwrap_or(FrameExclusion::NoOthers),
        };
        self.bind_window(f, name, &spec, schema)
    }

    fn bind_window(
        &self,
        f: &ast::Function,
        name: &str,
        spec: &Spec<'_>,
        schema: &QSchema,
    ) -> Result<Expr> {
        let (mut ignore_nulls, mut respect) = (false, false);
        let (raw_args, distinct) = match &f.args {
            FunctionArguments::None => (vec![], false),
            FunctionArguments::List(list) => {
                for clause in &list.clauses {
                    match clause {
                        ast::FunctionArgumentClause::IgnoreOrRespectNulls(t) => {
                            ignore_nulls = matches!(t, ast::NullTreatment::IgnoreNulls);
                            respect = !ignore_nulls;
                        }
                        other => {
                            return not_impl_err!("{other} inside {name}(...) is not supported yet")
                        }
                    }
                }
                (
                    list.args.clone(),
                    matches!(
                        list.duplicate_treatment,
                        Some(ast::DuplicateTreatment::Distinct)
                    ),
                )
            }
            FunctionArguments::Subquery(_) => {
                return not_impl_err!("subqueries as arguments of {name}(...) are not supported")
            }
        };
        if let Some(t) = &f.null_treatment {
            ignore_nulls = matches!(t, ast::NullTreatment::IgnoreNulls);
            respect = !ignore_nulls;
        }
        if !f.within_group.is_empty() || !matches!(f.parameters, FunctionArguments::None) {
            return not_impl_err!("{name}(...) WITHIN GROUP or parameters with OVER");
        }
        let (args, star) = self.call_arguments(&raw_args, schema)?;
        if args.iter().any(Expr::contains_window) {
            return Err(QuiverError::Plan(format!(
                "window function calls cannot be nested (in {name})"
            )));
        }
        let (partition_by, order_by) = self.window_keys(spec, schema)?;
        let kind;
        let args = if let Some(func) = self.provider.window_function(name) {
            if star || distinct || f.filter.is_some() {
                return Err(QuiverError::Plan(format!(
                    "{name}() is a window function: * , DISTINCT and FILTER are not allowed in it"
                )));
            }
            if (ignore_nulls || respect) && !func.accepts_null_treatment() {
                return Err(QuiverError::Plan(format!(
                    "{name}() does not take IGNORE NULLS or RESPECT NULLS"
                )));
            }
            let args = super::expr::coerce_args(args, schema, |t| func.coerce_types(t))?;
            kind = WindowKind::Function(WindowFunctionRef(Arc::clone(&func)));
            args
        } else if let Some(func) = self.provider.aggregate_function(name) {
            if ignore_nulls || respect {
                return Err(QuiverError::Plan(format!(
                    "{name}() does not take IGNORE NULLS or RESPECT NULLS"
                )));
            }
            let args = self.aggregate_arguments(&func, name, args, star, distinct, f, schema)?;
            kind = WindowKind::Aggregate(AggregateFunctionRef(func));
            args
        } else if self.provider.scalar_function(name).is_some() {
            return Err(QuiverError::Plan(format!(
                "{name}() is neither an aggregate nor a window function, so it cannot have OVER"
            )));
        } else {
            return Err(self.unknown_function(name));
        };
        let frame = if kind.uses_frame() {
            self.frame(spec.frame, spec.exclusion, &order_by, schema)?
        } else {
            WindowFrame::default_for(!order_by.is_empty())
        };
        Ok(Expr::Window(Box::new(WindowCall {
            kind,
            args,
            distinct,
            ignore_nulls,
            partition_by,
            order_by,
            frame,
        })))
    }

    /// The PARTITION BY and ORDER BY of a window, without the `EXCLUDE`
    /// marker.
    fn window_keys(&self, spec: &Spec<'_>, schema: &QSchema) -> Result<(Vec<Expr>, Vec<SortExpr>)> {
        let mut partition_by = vec![];
        for e in spec
            .partition_by
            .iter()
            .filter(|e| exclusion_marker(e).is_none())
        {
            let x = self.sql_to_expr(e, schema)?;
            if x.contains_window() {
                return Err(QuiverError::Plan(
                    "window function calls cannot be nested (in PARTITION BY)".into(),
                ));
            }
            partition_by.push(x);
        }
        let mut order_by = vec![];
        for o in spec.order_by {
            let x = self.sql_to_expr(&o.expr, schema)?;
            if x.contains_window() {
                return Err(QuiverError::Plan(
                    "window function calls cannot be nested (in ORDER BY)".into(),
                ));
            }
            order_by.push(sort_expr(x, &o.options));
        }
        Ok((partition_by, order_by))
    }

    /// The frame of a call: as written, or the default.
    fn frame(
        &self,
        frame: Option<&ast::WindowFrame>,
        exclusion: FrameExclusion,
        order_by: &[SortExpr],
        schema: &QSchema,
    ) -> Result<WindowFrame> {
        let Some(frame) = frame else {
            return Ok(WindowFrame {
                exclusion,
                ..WindowFrame::default_for(!order_by.is_empty())
            });
        };
        let units = match frame.units {
            ast::WindowFrameUnits::Rows => FrameUnits::Rows,
            ast::WindowFrameUnits::Range => FrameUnits::Range,
            ast::WindowFrameUnits::Groups => FrameUnits::Groups,
        };
        if units == FrameUnits::Groups && order_by.is_empty() {
            return Err(QuiverError::Plan("GROUPS frames need an ORDER BY".into()));
        }
        let start = self.frame_bound(&frame.start_bound, units, order_by, schema)?;
        let end = match &frame.end_bound {
            Some(b) => self.frame_bound(b, units, order_by, schema)?,
            None => FrameBound::CurrentRow,
        };
        if start == FrameBound::UnboundedFollowing {
            return Err(QuiverError::Plan(
                "a frame cannot start at UNBOUNDED FOLLOWING".into(),
            ));
        }
        if end == FrameBound::UnboundedPreceding {
            return Err(QuiverError::Plan(
                "a frame cannot end at UNBOUNDED PRECEDING".into(),
            ));
        }
        let ends_before = matches!(end, FrameBound::Preceding(_));
        match start {
            FrameBound::CurrentRow if ends_before => {
                return Err(QuiverError::Plan(
                    "a frame starting at the current row cannot end at preceding rows".into(),
                ))
            }
            FrameBound::Following(_) if ends_before || end == FrameBound::CurrentRow => {
                return Err(QuiverError::Plan(
                    "a frame starting at following rows cannot end at the current row or preceding rows"
                        .into(),
                ))
            }
            _ => {}
        }
        Ok(WindowFrame {
            units,
            start,
            end,
            exclusion,
        })
    }

    fn frame_bound(
        &self,
        bound: &ast::WindowFrameBound,
        units: FrameUnits,
        order_by: &[SortExpr],
        schema: &QSchema,
    ) -> Result<FrameBound> {
        let (offset, preceding) = match bound {
            ast::WindowFrameBound::CurrentRow => return Ok(FrameBound::CurrentRow),
            ast::WindowFrameBound::Preceding(None) => return Ok(FrameBound::UnboundedPreceding),
            ast::WindowFrameBound::Following(None) => return Ok(FrameBound::UnboundedFollowing),
            ast::WindowFrameBound::Preceding(Some(e)) => (e, true),
            ast::WindowFrameBound::Following(Some(e)) => (e, false),
        };
        let word = if preceding { "PRECEDING" } else { "FOLLOWING" };
        let value = match self.sql_to_expr(offset, &QSchema::empty())? {
            Expr::Literal(v) => v,
            Expr::Negative(inner) => match *inner {
                Expr::Literal(v) if !v.is_null() => {
                    return Err(QuiverError::Plan(format!(
                        "frame offset -{v} {word} must not be negative"
                    )))
                }
                other => return not_impl_err!("frame offset -{other}: offsets must be constants"),
            },
            other => return not_impl_err!("frame offset {other}: offsets must be constants"),
        };
        if value.is_null() {
            return Err(QuiverError::Plan(format!(
                "frame offset NULL {word} must not be NULL"
            )));
        }
        let offset = match units {
            FrameUnits::Rows | FrameUnits::Groups => row_count(&value, word)?,
            FrameUnits::Range => range_offset(value, word, order_by, schema)?,
        };
        Ok(if preceding {
            FrameBound::Preceding(offset)
        } else {
            FrameBound::Following(offset)
        })
    }

    /// Plans the window calls in `exprs` (the select list, ORDER BY keys
    /// and QUALIFY, bound over `plan`): a window operator for each
    /// partitioning and order, and `exprs` rewritten to read their columns.
    pub(crate) fn plan_windows(
        &self,
        mut plan: LogicalPlan,
        exprs: Vec<Expr>,
    ) -> Result<(LogicalPlan, Vec<Expr>)> {
        let mut calls: Vec<Expr> = vec![];
        for e in &exprs {
            e.any(&mut |x| {
                if matches!(x, Expr::Window(_)) && !calls.contains(x) {
                    calls.push(x.clone());
                }
                false
            });
        }
        let mut groups: Vec<Vec<Expr>> = vec![];
        for call in calls {
            let Expr::Window(c) = &call else { continue };
            let same = groups.iter_mut().find(|g| match &g[0] {
                Expr::Window(first) => first.same_window(c),
                _ => false,
            });
            match same {
                Some(g) => g.push(call),
                None => groups.push(vec![call]),
            }
        }
        // Windows with one PARTITION BY run next to each other, the
        // longest ORDER BY first: a window whose order is a prefix of the
        // one below it then needs neither an exchange nor a sort.
        groups.sort_by_key(|g| match &g[0] {
            Expr::Window(c) => (
                c.partition_by
                    .iter()
                    .map(|e| e.to_string())
                    .collect::<Vec<_>>(),
                std::cmp::Reverse(c.order_by.len()),
            ),
            _ => (vec![], std::cmp::Reverse(0)),
        });
        let mut planned: Vec<Expr> = vec![];
        for group in groups {
            planned.extend(group.iter().cloned());
            plan = LogicalPlan::Window(Window::try_new(Arc::new(plan), group)?);
        }
        let rewritten = exprs
            .into_iter()
            .map(|e| {
                e.rewrite(&mut |x| {
                    Ok(planned.contains(x).then(|| {
                        Expr::Column(Column::new(None::<&str>, Window::output_column_name(x)))
                    }))
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((plan, rewritten))
    }
}

/// Whether `e` is the parser's marker for an `EXCLUDE` clause, and which.
fn exclusion_marker(e: &ast::Expr) -> Option<FrameExclusion> {
    let ast::Expr::Function(f) = e else {
        return None;
    };
    let name = f.name.to_string().to_lowercase();
    Some(match name.strip_prefix(EXCLUDE_MARKER)? {
        "current_row" => FrameExclusion::CurrentRow,
        "group" => FrameExclusion::Group,
        "ties" => FrameExclusion::Ties,
        "no_others" => FrameExclusion::NoOthers,
        _ => return None,
    })
}

/// The EXCLUDE clause of a window written in `partition_by` by the parser.
fn written_exclusion(partition_by: &[ast::Expr]) -> Option<FrameExclusion> {
    partition_by.iter().find_map(exclusion_marker)
}

/// `own` (`OVER (w ORDER BY ..)`) on top of the named window `base`, as
/// the standard allows: it may add an ORDER BY the base lacks, and a frame,
/// but not change the partitioning, and a base with a frame cannot be
/// extended.
fn merge_specs(base: &ast::WindowSpec, own: &ast::WindowSpec) -> Result<ast::WindowSpec> {
    let name = own
        .window_name
        .as_ref()
        .map(|n| n.value.clone())
        .unwrap_or_default();
    let own_keys = own
        .partition_by
        .iter()
        .filter(|e| exclusion_marker(e).is_none())
        .count();
    if own_keys > 0 {
        return Err(QuiverError::Plan(format!(
            "cannot override the PARTITION BY of window \"{name}\""
        )));
    }
    if !own.order_by.is_empty() && !base.order_by.is_empty() {
        return Err(QuiverError::Plan(format!(
            "cannot override the ORDER BY of window \"{name}\""
        )));
    }
    if base.window_frame.is_some() {
        return Err(QuiverError::Plan(format!(
            "cannot extend window \"{name}\": it has a frame clause"
        )));
    }
    let mut partition_by = base.partition_by.clone();
    partition_by.extend(own.partition_by.iter().cloned());
    Ok(ast::WindowSpec {
        window_name: None,
        partition_by,
        order_by: if own.order_by.is_empty() {
            base.order_by.clone()
        } else {
            own.order_by.clone()
        },
        window_frame: own.window_frame.clone(),
    })
}

/// A ROWS or GROUPS offset: a non-negative integer.
fn row_count(value: &ScalarValue, word: &str) -> Result<ScalarValue> {
    let n = match value {
        ScalarValue::Int64(Some(n)) => *n,
        ScalarValue::Int32(Some(n)) => i64::from(*n),
        other => {
            return Err(QuiverError::Plan(format!(
                "frame offset {other} {word} must be an integer"
            )))
        }
    };
    if n < 0 {
        return Err(QuiverError::Plan(format!(
            "frame offset {n} {word} must not be negative"
        )));
    }
    Ok(ScalarValue::UInt64(Some(n as u64)))
}

/// A RANGE offset, in a type that can be added to the single ORDER BY key:
/// the key's own type for numbers, an interval for dates and timestamps
/// (a number of days for dates).
fn range_offset(
    value: ScalarValue,
    word: &str,
    order_by: &[SortExpr],
    schema: &QSchema,
) -> Result<ScalarValue> {
    let [key] = order_by else {
        return Err(QuiverError::Plan(format!(
            "a RANGE frame with an offset ({value} {word}) needs exactly one ORDER BY key, not {}",
            order_by.len()
        )));
    };
    let key_type = key.expr.data_type(schema)?;
    let numeric = |v: &ScalarValue| v.data_type().is_numeric();
    let negative = |v: &ScalarValue| {
        ScalarValue::new_zero(&v.data_type())
            .ok()
            .and_then(|zero| v.partial_cmp(&zero))
            .is_some_and(|o| o.is_lt())
    };
    if numeric(&value) && negative(&value) {
        return Err(QuiverError::Plan(format!(
            "frame offset {value} {word} must not be negative"
        )));
    }
    let bad = || {
        QuiverError::Plan(format!(
            "RANGE offset {value} {word} does not apply to an ORDER BY key of type {}",
            sql_type_name(&key_type)
        ))
    };
    match (&key_type, &value) {
        // Every key is NULL: offsets reach only the peers.
        (DataType::Null, _) => Ok(value.clone()),
        (t, v) if t.is_numeric() && numeric(v) => v.cast_to(t).map_err(|_| bad()),
        (DataType::Date32, ScalarValue::Int64(Some(days))) => {
            let days = i32::try_from(*days).map_err(|_| bad())?;
            Ok(ScalarValue::IntervalDayTime(Some(IntervalDayTime::new(
                days, 0,
            ))))
        }
        (DataType::Date32 | DataType::Timestamp(..), v)
            if matches!(v.data_type(), DataType::Interval(_)) =>
        {
            Ok(value.clone())
        }
        _ => Err(bad()),
    }
}
