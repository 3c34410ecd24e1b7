//! Binds SQL expressions to typed logical expressions, inserting the casts
//! the type rules call for.

use std::collections::HashSet;
use std::sync::Arc;

use arrow::datatypes::DataType;
use quiver_expr::cast::{can_cast, cast_scalar, try_cast_array};
use quiver_expr::expr::join_chain;
use quiver_expr::logical_plan::Projection;
use quiver_expr::suggest::closest_name;
use quiver_expr::types::{binary_operand_types, common_type, is_string, sql_type_name};
use quiver_expr::{
    not_impl_err, AggregateCall, AggregateFunctionRef, Column, Expr, LikeKind, LogicalPlan,
    Operator, QSchema, QuiverError, Result, ScalarFunctionRef, ScalarValue, SortExpr, Subquery,
};
use sqlparser::ast::{self, FunctionArg, FunctionArgExpr, FunctionArguments, Spanned, Value};

use super::calls::Call;
use super::literal::{parse_interval, parse_number, sql_to_arrow_type, typed_string};
use super::pattern::{escape_character, is_pattern_operator};
use super::{left_deep_operands, SqlPlanner};

/// " at line L, column C" for a span that has a position.
pub(crate) fn location(span: sqlparser::tokenizer::Span) -> String {
    if span.start.line == 0 {
        String::new()
    } else {
        format!(" (line {}, column {})", span.start.line, span.start.column)
    }
}

/// Adds the position of `node` to a planning error that has none yet (the
/// innermost expression that failed gives the most precise position).
fn at(e: QuiverError, node: &impl Spanned) -> QuiverError {
    let located = |m: String| {
        if m.contains(" (line ") {
            m
        } else {
            format!("{m}{}", location(node.span()))
        }
    };
    match e {
        QuiverError::Plan(m) => QuiverError::Plan(located(m)),
        QuiverError::Schema(m) => QuiverError::Schema(located(m)),
        other => other,
    }
}

/// `v` converted to `target` if nothing is lost; string literals convert to
/// any type they parse as (like PostgreSQL's untyped literals).
pub(crate) fn literal_as(v: &ScalarValue, target: &DataType) -> Option<ScalarValue> {
    if v.is_null() {
        return ScalarValue::try_from(target).ok();
    }
    // A number (or date, …) is never compared as text: `name > 5` is an
    // error, as in DuckDB and PostgreSQL, not `name > '5'`.
    if is_string(target) && !is_string(&v.data_type()) {
        return None;
    }
    let cast = v.cast_to(target).ok()?;
    if is_string(&v.data_type()) {
        return Some(cast);
    }
    let back = cast.cast_to(&v.data_type()).ok()?;
    (back == *v).then_some(cast)
}

/// Casts `e` to `target`, folding the cast when `e` is a literal.
pub(crate) fn cast_expr(e: Expr, target: &DataType, schema: &QSchema) -> Result<Expr> {
    let source = e.data_type(schema)?;
    if &source == target {
        return Ok(e);
    }
    if let Expr::Literal(v) = &e {
        return cast_scalar(v, target).map(Expr::Literal).map_err(|err| {
            let what = format!("cannot convert {e} to {}", sql_type_name(target));
            match err {
                // A reason that already says what failed stands alone.
                QuiverError::Execution(why) if why.starts_with(&what) => QuiverError::Schema(why),
                QuiverError::Execution(why) => QuiverError::Schema(format!("{what}: {why}")),
                _ => QuiverError::Schema(what),
            }
        });
    }
    if !can_cast(&source, target) {
        return Err(QuiverError::Schema(format!(
            "cannot cast {e} from {} to {}",
            sql_type_name(&source),
            sql_type_name(target)
        )));
    }
    Ok(Expr::Cast(Box::new(e), target.clone()))
}

/// `TRY_CAST(e AS target)`, folded when `e` is a literal.
fn try_cast_expr(e: Expr, target: &DataType, schema: &QSchema) -> Result<Expr> {
    let source = e.data_type(schema)?;
    if &source == target {
        return Ok(e);
    }
    if !can_cast(&source, target) {
        return Err(QuiverError::Schema(format!(
            "cannot cast {e} from {} to {}",
            sql_type_name(&source),
            sql_type_name(target)
        )));
    }
    if let Expr::Literal(v) = &e {
        let converted = try_cast_array(&v.to_array()?, target)?;
        return Ok(Expr::Literal(ScalarValue::try_from_array(&converted, 0)?));
    }
    Ok(Expr::TryCast(Box::new(e), target.clone()))
}

/// An integer literal next to a decimal operand becomes the narrowest decimal
/// that holds it (`1` becomes DECIMAL(1,0)), which keeps result precisions
/// as tight as the values allow.
fn narrow_integer_literal(e: Expr, other: &DataType) -> Expr {
    match (&e, other) {
        (Expr::Literal(ScalarValue::Int64(Some(v))), DataType::Decimal128(..)) => {
            let digits = v.unsigned_abs().to_string().len() as u8;
            Expr::Literal(ScalarValue::Decimal128(Some(*v as i128), digits, 0))
        }
        _ => e,
    }
}

/// Binds an aggregate's FILTER condition, which may not itself aggregate.
fn go_filter(planner: &SqlPlanner<'_>, filter: &ast::Expr, schema: &QSchema) -> Result<Expr> {
    let condition = planner.sql_to_expr(filter, schema)?;
    if condition.contains_aggregate() {
        return Err(QuiverError::Plan(format!(
            "aggregate functions are not allowed in FILTER ({condition})"
        )));
    }
    Ok(condition)
}

/// Casts a call's arguments to the types `wanted` asks for, given their types.
pub(crate) fn coerce_args(
    args: Vec<Expr>,
    schema: &QSchema,
    wanted: impl FnOnce(&[DataType]) -> Result<Vec<DataType>>,
) -> Result<Vec<Expr>> {
    let types = args
        .iter()
        .map(|a| a.data_type(schema))
        .collect::<Result<Vec<_>>>()?;
    let wanted = wanted(&types)?;
    args.into_iter()
        .zip(&wanted)
        .map(|(a, t)| cast_expr(a, t, schema))
        .collect()
}

/// Brings `exprs` to one common type (for IN, CASE and COALESCE-like uses).
pub(crate) fn unify(
    exprs: Vec<Expr>,
    what: &str,
    schema: &QSchema,
) -> Result<(Vec<Expr>, DataType)> {
    let mut t = DataType::Null;
    for e in &exprs {
        let et = e.data_type(schema)?;
        t = common_type(&t, &et).ok_or_else(|| {
            QuiverError::Schema(format!(
                "{what} mixes {} and {} (in {e})",
                sql_type_name(&t),
                sql_type_name(&et)
            ))
        })?;
    }
    let exprs = exprs
        .into_iter()
        .map(|e| cast_expr(e, &t, schema))
        .collect::<Result<_>>()?;
    Ok((exprs, t))
}

fn binary_operator(op: &ast::BinaryOperator) -> Result<Operator> {
    use ast::BinaryOperator as B;
    Ok(match op {
        B::Plus => Operator::Plus,
        B::Minus => Operator::Minus,
        B::Multiply => Operator::Multiply,
        B::Divide => Operator::Divide,
        B::DuckIntegerDivide | B::MyIntegerDivide => Operator::IntegerDivide,
        B::Modulo => Operator::Modulo,
        B::Eq => Operator::Eq,
        B::NotEq => Operator::NotEq,
        B::Lt => Operator::Lt,
        B::LtEq => Operator::LtEq,
        B::Gt => Operator::Gt,
        B::GtEq => Operator::GtEq,
        B::And => Operator::And,
        B::Or => Operator::Or,
        B::StringConcat => Operator::StringConcat,
        B::BitwiseAnd => Operator::BitwiseAnd,
        B::BitwiseOr => Operator::BitwiseOr,
        B::PGBitwiseXor => Operator::BitwiseXor,
        B::PGBitwiseShiftLeft => Operator::ShiftLeft,
        B::PGBitwiseShiftRight => Operator::ShiftRight,
        other => return not_impl_err!("operator {other} is not supported"),
    })
}

/// An error for the parts of a function call that Quiver parses but does
/// not implement yet, so that none is silently ignored: `ORDER BY`,
/// `LIMIT` and the like inside the parentheses, `WITHIN GROUP`, `IGNORE` or
/// `RESPECT NULLS`, and parameter lists.
fn reject_unsupported_call_parts(f: &ast::Function, name: &str, is_aggregate: bool) -> Result<()> {
    if let FunctionArguments::List(list) = &f.args {
        for clause in &list.clauses {
            match clause {
                ast::FunctionArgumentClause::OrderBy(_) if is_aggregate => {}
                ast::FunctionArgumentClause::OrderBy(_) => {
                    return Err(QuiverError::Plan(format!(
                    "ORDER BY inside a call is only allowed in aggregate functions, not {name}()"
                )))
                }
                other => return not_impl_err!("{other} inside {name}(...) is not supported yet"),
            }
        }
    }
    if !f.within_group.is_empty() {
        return not_impl_err!("{name}(...) WITHIN GROUP (ORDER BY ...) is not supported yet");
    }
    if let Some(treatment) = &f.null_treatment {
        return not_impl_err!("{name}(...) {treatment} is not supported yet");
    }
    if !matches!(f.parameters, FunctionArguments::None) {
        return not_impl_err!("parameter lists of {name}(...) are not supported");
    }
    Ok(())
}

/// An `INTERVAL '…' [unit]` literal.
fn interval_literal(i: &ast::Interval) -> Result<Expr> {
    let text = match i.value.as_ref() {
        ast::Expr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) => s.clone(),
            Value::Number(n, _) => n.clone(),
            other => return not_impl_err!("interval value {other}"),
        },
        other => return not_impl_err!("interval value {other}"),
    };
    Ok(Expr::Literal(parse_interval(
        &text,
        i.leading_field.as_ref(),
    )?))
}

/// `terms` of an AND (or OR) chain with each repeat of an earlier term
/// left out: `x AND x` is `x` in three-valued logic, and generated filters
/// repeat conditions. Terms that call a volatile function stay, since each
/// call draws its own value.
fn without_repeats(terms: Vec<Expr>) -> Vec<Expr> {
    let mut seen = HashSet::new();
    let keep: Vec<bool> = terms
        .iter()
        .map(|t| t.is_volatile() || seen.insert(t))
        .collect();
    terms
        .into_iter()
        .zip(keep)
        .filter_map(|(t, kept)| kept.then_some(t))
        .collect()
}

impl SqlPlanner<'_> {
    /// Binds a chain `a AND b AND c …` (or of ORs) without recursing down
    /// its spine, so generated filters of thousands of terms bind; long
    /// chains become balanced trees ([`join_chain`]).
    fn connective_chain(
        &self,
        e: &ast::Expr,
        op: &ast::BinaryOperator,
        schema: &QSchema,
    ) -> Result<Expr> {
        let operands = left_deep_operands(e, |node| match node {
            ast::Expr::BinaryOp {
                left,
                op: next,
                right,
            } if next == op => Some((left.as_ref(), right.as_ref())),
            _ => None,
        });
        let operator = binary_operator(op)?;
        let bound = operands
            .into_iter()
            .map(|operand| self.sql_to_expr(operand, schema))
            .collect::<Result<Vec<_>>>()?;
        join_chain(without_repeats(bound), |l, r| {
            self.binary(l, operator, r, schema)
        })?
        .ok_or_else(|| QuiverError::Internal("an AND/OR chain without terms".into()))
    }

    /// Binds `e` against `schema`.
    pub(crate) fn sql_to_expr(&self, e: &ast::Expr, schema: &QSchema) -> Result<Expr> {
        let depth = self.expression_depth.get();
        let limit = self.provider.max_expression_depth();
        if depth >= limit {
            // Unlocated: finding a node's position walks its whole subtree,
            // as deep as the expression that is too deep.
            return Err(QuiverError::Parse(format!(
                "the expression is nested more than {limit} levels deep; SET \
                 max_expression_depth = <n> allows deeper ones"
            )));
        }
        self.expression_depth.set(depth + 1);
        let bound = self.bind(e, schema).map_err(|err| at(err, e));
        self.expression_depth.set(depth);
        bound
    }

    fn bind(&self, e: &ast::Expr, schema: &QSchema) -> Result<Expr> {
        use ast::Expr as E;
        let go = |e: &ast::Expr| self.sql_to_expr(e, schema);
        match e {
            E::Identifier(id) => self.column(Column::bare(&id.value), schema),
            E::CompoundIdentifier(ids) => {
                let n = ids.len();
                if n < 2 {
                    return not_impl_err!("empty compound identifier");
                }
                let col = Column::new(Some(ids[n - 2].value.clone()), ids[n - 1].value.clone());
                match self.column(col, schema) {
                    Err(not_found) => Ok(self.column_with_fields(ids, schema)?.ok_or(not_found)?),
                    found => found,
                }
            }
            E::Array(array) => self.list_literal(&array.elem, schema),
            E::Dictionary(fields) => self.struct_literal(fields, schema),
            E::Map(map) => self.map_literal(map, schema),
            E::CompoundFieldAccess { root, access_chain } => {
                self.field_access(root, access_chain, schema)
            }
            E::Value(v) => self.value(&v.value),
            E::TypedString(t) => match &t.value.value {
                Value::SingleQuotedString(s) => {
                    let target = self.in_session_zone(sql_to_arrow_type(&t.data_type)?);
                    Ok(Expr::Literal(typed_string(&t.data_type, &target, s)?))
                }
                other => not_impl_err!("typed literal {other}"),
            },
            E::Interval(i) => interval_literal(i),
            E::AtTimeZone {
                timestamp,
                time_zone,
            } => self.at_time_zone(go(timestamp)?, go(time_zone)?, schema),
            E::Nested(inner) => go(inner),
            E::BinaryOp {
                op: op @ (ast::BinaryOperator::And | ast::BinaryOperator::Or),
                ..
            } => self.connective_chain(e, op, schema),
            E::BinaryOp { left, op, right } if is_pattern_operator(op) => {
                self.pattern_operator(go(left)?, op, go(right)?, schema)
            }
            // `^` is a power, as in DuckDB and PostgreSQL.
            E::BinaryOp {
                left,
                op: ast::BinaryOperator::BitwiseXor | ast::BinaryOperator::PGExp,
                right,
            } => self.call_scalar("power", vec![go(left)?, go(right)?], schema),
            // `j -> path` and `j ->> path`, as in DuckDB and PostgreSQL.
            E::BinaryOp {
                left,
                op: op @ (ast::BinaryOperator::Arrow | ast::BinaryOperator::LongArrow),
                right,
            } => {
                let function = match op {
                    ast::BinaryOperator::Arrow => "json_extract",
                    _ => "json_extract_string",
                };
                if binds_looser_than_json_arrow(right) {
                    return Err(QuiverError::Plan(format!(
                        "write ({left} {op} …) in parentheses: Quiver reads `{op}` after \
                         `{right}`, where DuckDB reads it first"
                    )));
                }
                self.call_scalar(function, vec![go(left)?, go(right)?], schema)
            }
            E::BinaryOp {
                left,
                op: ast::BinaryOperator::StringConcat,
                right,
            } => match self.concatenated_lists(go(left)?, go(right)?, schema)? {
                Ok(lists) => Ok(lists),
                Err((l, r)) => self.binary(l, Operator::StringConcat, r, schema),
            },
            E::BinaryOp {
                left,
                op: op @ (ast::BinaryOperator::Eq | ast::BinaryOperator::NotEq),
                right,
            } if tuples_compared(left, std::slice::from_ref(right.as_ref())).is_some() => {
                let fields = tuples_compared(left, std::slice::from_ref(right.as_ref()))
                    .ok_or_else(|| QuiverError::Internal("tuples compared".into()))?;
                go(&fields.in_list(matches!(op, ast::BinaryOperator::NotEq)))
            }
            E::BinaryOp { left, op, right } => {
                if is_comparison(op) && (is_comparison_node(left) || is_comparison_node(right)) {
                    return Err(QuiverError::Plan(format!(
                        "chained comparisons are not supported ({e}); combine them with AND, \
                         or parenthesize one, as in DuckDB and PostgreSQL"
                    )));
                }
                self.binary(go(left)?, binary_operator(op)?, go(right)?, schema)
            }
            E::UnaryOp { op, expr } => self.unary(op, expr, schema),
            E::IsDistinctFrom(l, r) => {
                self.binary(go(l)?, Operator::IsDistinctFrom, go(r)?, schema)
            }
            E::IsNotDistinctFrom(l, r) => {
                self.binary(go(l)?, Operator::IsNotDistinctFrom, go(r)?, schema)
            }
            E::IsNull(inner) => Ok(Expr::IsNull(Box::new(go(inner)?))),
            // `x IS [NOT] TRUE|FALSE`: never NULL, as `x IS [NOT] DISTINCT
            // FROM TRUE|FALSE`; `IS [NOT] UNKNOWN` is `IS [NOT] NULL`.
            E::IsTrue(inner)
            | E::IsNotTrue(inner)
            | E::IsFalse(inner)
            | E::IsNotFalse(inner)
            | E::IsUnknown(inner)
            | E::IsNotUnknown(inner) => {
                let operand = self.boolean(go(inner)?, "IS TRUE/FALSE/UNKNOWN", schema)?;
                let (value, op) = match e {
                    E::IsTrue(_) => (true, Operator::IsNotDistinctFrom),
                    E::IsNotTrue(_) => (true, Operator::IsDistinctFrom),
                    E::IsFalse(_) => (false, Operator::IsNotDistinctFrom),
                    E::IsNotFalse(_) => (false, Operator::IsDistinctFrom),
                    E::IsUnknown(_) => return Ok(Expr::IsNull(Box::new(operand))),
                    _ => return Ok(Expr::IsNotNull(Box::new(operand))),
                };
                let value = Expr::Literal(ScalarValue::Boolean(Some(value)));
                self.binary(operand, op, value, schema)
            }
            E::IsNotNull(inner) => Ok(Expr::IsNotNull(Box::new(go(inner)?))),
            E::Between {
                expr,
                negated,
                low,
                high,
            } => self.between(go(expr)?, *negated, go(low)?, go(high)?, schema),
            E::InList {
                expr,
                list,
                negated,
            } => {
                if let Some(fields) = tuples_compared(expr, list) {
                    return go(&fields.in_list(*negated));
                }
                let items = list.iter().map(go).collect::<Result<Vec<_>>>()?;
                self.in_list(go(expr)?, items, *negated, schema)
            }
            E::Like {
                negated,
                any,
                expr,
                pattern,
                escape_char,
            }
            | E::ILike {
                negated,
                any,
                expr,
                pattern,
                escape_char,
            } => {
                if *any {
                    return not_impl_err!("LIKE ANY is not supported");
                }
                let kind = LikeKind {
                    negated: *negated,
                    case_insensitive: matches!(e, E::ILike { .. }),
                    escape: escape_character(escape_char.as_ref())?,
                };
                self.like(go(expr)?, go(pattern)?, kind, schema)
            }
            E::SimilarTo {
                negated,
                expr,
                pattern,
                escape_char,
            } => {
                if escape_char.is_some() {
                    return not_impl_err!(
                        "ESCAPE with SIMILAR TO is not supported (its pattern is a regular \
                         expression; escape with a backslash)"
                    );
                }
                self.similar_to(go(expr)?, go(pattern)?, *negated, schema)
            }
            E::RLike {
                negated,
                expr,
                pattern,
                ..
            } => self.regex_match(go(expr)?, go(pattern)?, *negated, false, schema),
            E::Case {
                operand,
                conditions,
                else_result,
                ..
            } => self.case(
                operand.as_deref(),
                conditions,
                else_result.as_deref(),
                schema,
            ),
            E::Cast {
                kind,
                expr,
                data_type,
                ..
            } => {
                let target = self.in_session_zone(sql_to_arrow_type(data_type)?);
                match kind {
                    ast::CastKind::Cast | ast::CastKind::DoubleColon => {
                        let value = go(expr)?;
                        // Inside TRY a constant that does not convert fails
                        // when the query runs, where TRY catches it.
                        let source = value.data_type(schema)?;
                        if self.inside_try.get()
                            && matches!(value, Expr::Literal(_))
                            && can_cast(&source, &target)
                        {
                            return Ok(Expr::Cast(Box::new(value), target));
                        }
                        cast_expr(value, &target, schema)
                    }
                    ast::CastKind::TryCast | ast::CastKind::SafeCast => {
                        try_cast_expr(go(expr)?, &target, schema)
                    }
                }
            }
            E::Extract { field, expr, .. } => {
                self.date_part(&field.to_string().to_lowercase(), go(expr)?, schema)
            }
            E::Trim {
                expr,
                trim_where,
                trim_what,
                trim_characters,
            } => {
                let what =
                    match (trim_what.as_deref(), trim_characters.as_deref()) {
                        (Some(what), None) => Some(go(what)?),
                        (None, Some([characters])) => Some(go(characters)?),
                        (None, None) => None,
                        _ => return Err(QuiverError::Plan(
                            "TRIM takes a string and at most one string of characters to remove"
                                .into(),
                        )),
                    };
                self.trim(go(expr)?, trim_where.as_ref(), what, schema)
            }
            E::Function(f) => self.function(f, schema),
            E::Substring {
                expr,
                substring_from,
                substring_for,
                ..
            } => {
                let from = substring_from.as_deref().map(go).transpose()?;
                let length = substring_for.as_deref().map(go).transpose()?;
                self.substring(go(expr)?, from, length, schema)
            }
            E::Overlay {
                expr,
                overlay_what,
                overlay_from,
                overlay_for,
            } => {
                let mut args = vec![go(expr)?, go(overlay_what)?, go(overlay_from)?];
                args.extend(overlay_for.as_deref().map(go).transpose()?);
                self.call_scalar("overlay", args, schema)
            }
            E::Position { expr, r#in } => {
                self.call_scalar("strpos", vec![go(r#in)?, go(expr)?], schema)
            }
            E::Ceil { expr, .. } => self.call_scalar("ceil", vec![go(expr)?], schema),
            E::Floor { expr, .. } => self.call_scalar("floor", vec![go(expr)?], schema),
            E::Subquery(q) => self.scalar_subquery(q, schema),
            E::Exists { subquery, negated } => Ok(Expr::Exists {
                subquery: self.subquery(subquery, schema)?,
                negated: *negated,
            }),
            E::InSubquery {
                expr,
                subquery,
                negated,
            } => {
                let (op, all) = if *negated {
                    (Operator::NotEq, true)
                } else {
                    (Operator::Eq, false)
                };
                match expr.as_ref() {
                    // `(a, b) IN (SELECT x, y …)`: tuples against tuples.
                    E::Tuple(_) => {
                        let rows = self.tuple_rows(subquery)?;
                        self.quantified(go(expr)?, op, all, &rows, schema)
                    }
                    _ => self.quantified(go(expr)?, op, all, subquery, schema),
                }
            }
            E::AnyOp {
                left,
                compare_op,
                right,
                ..
            }
            | E::AllOp {
                left,
                compare_op,
                right,
            } => {
                let all = matches!(e, E::AllOp { .. });
                self.any_or_all(go(left)?, compare_op, right, all, schema)
            }
            E::Wildcard(_) | E::QualifiedWildcard(..) => Err(QuiverError::Plan(
                "* is only allowed in the SELECT list and count(*)".into(),
            )),
            // `(a, b)`: a tuple, as `row(a, b)`.
            E::Tuple(items) => {
                let items = items.iter().map(go).collect::<Result<Vec<_>>>()?;
                self.call_scalar("row", items, schema)
            }
            other => not_impl_err!("expression {other} is not supported"),
        }
    }

    /// `NOT x`, `+x` or `-x` (a negative number literal stays a literal).
    fn unary(&self, op: &ast::UnaryOperator, e: &ast::Expr, schema: &QSchema) -> Result<Expr> {
        let go = |e: &ast::Expr| self.sql_to_expr(e, schema);
        match op {
            ast::UnaryOperator::Not => {
                Ok(Expr::Not(Box::new(self.boolean(go(e)?, "NOT", schema)?)))
            }
            ast::UnaryOperator::Plus => go(e),
            // `~x` flips every bit: `x xor -1`.
            ast::UnaryOperator::BitwiseNot => {
                let all_ones = Expr::Literal(ScalarValue::Int64(Some(-1)));
                self.binary(go(e)?, Operator::BitwiseXor, all_ones, schema)
            }
            ast::UnaryOperator::Minus => match e {
                ast::Expr::Value(v) => match &v.value {
                    Value::Number(n, _) => Ok(Expr::Literal(parse_number(&format!("-{n}"))?)),
                    _ => self.negate(go(e)?, schema),
                },
                _ => self.negate(go(e)?, schema),
            },
            other => not_impl_err!("unary operator {other} is not supported"),
        }
    }

    /// `x [NOT] BETWEEN lo AND hi` as two comparisons.
    fn between(
        &self,
        x: Expr,
        negated: bool,
        lo: Expr,
        hi: Expr,
        schema: &QSchema,
    ) -> Result<Expr> {
        Ok(if negated {
            self.binary(x.clone(), Operator::Lt, lo, schema)?
                .binary(Operator::Or, self.binary(x, Operator::Gt, hi, schema)?)
        } else {
            self.binary(x.clone(), Operator::GtEq, lo, schema)?
                .and(self.binary(x, Operator::LtEq, hi, schema)?)
        })
    }

    /// `x [NOT] IN (items)`: constants are converted to `x`'s type when
    /// they fit it exactly; otherwise `x` and the items meet in a common
    /// type.
    fn in_list(&self, x: Expr, items: Vec<Expr>, negated: bool, schema: &QSchema) -> Result<Expr> {
        let xt = x.data_type(schema)?;
        let narrowed: Option<Vec<Expr>> = items
            .iter()
            .map(|i| match i {
                Expr::Literal(v) => literal_as(v, &xt).map(Expr::Literal),
                _ => None,
            })
            .collect();
        let (x, list) = match narrowed {
            Some(list) => (x, list),
            None => {
                let mut all = vec![x];
                all.extend(items);
                let (mut all, _) = unify(all, "IN list", schema)?;
                let x = all.remove(0);
                (x, all)
            }
        };
        Ok(Expr::InList {
            expr: Box::new(x),
            list,
            negated,
        })
    }

    /// `TRIM([LEADING|TRAILING|BOTH] [what FROM] x)` as `ltrim`, `rtrim` or
    /// `trim`.
    fn trim(
        &self,
        x: Expr,
        side: Option<&ast::TrimWhereField>,
        what: Option<Expr>,
        schema: &QSchema,
    ) -> Result<Expr> {
        let name = match side {
            Some(ast::TrimWhereField::Leading) => "ltrim",
            Some(ast::TrimWhereField::Trailing) => "rtrim",
            _ => "trim",
        };
        let args = std::iter::once(x).chain(what).collect();
        self.call_scalar(name, args, schema)
    }

    /// `SUBSTRING(x FROM from FOR length)` as `substr` (from 1 by default).
    fn substring(
        &self,
        x: Expr,
        from: Option<Expr>,
        length: Option<Expr>,
        schema: &QSchema,
    ) -> Result<Expr> {
        let from = from.unwrap_or(Expr::Literal(ScalarValue::Int64(Some(1))));
        let args = [x, from].into_iter().chain(length).collect();
        self.call_scalar("substr", args, schema)
    }

    /// A subquery used as a value: it must return one column.
    pub(crate) fn scalar_subquery(&self, q: &ast::Query, schema: &QSchema) -> Result<Expr> {
        let subquery = self.subquery(q, schema)?;
        let width = subquery.plan.schema().len();
        if width != 1 {
            return Err(QuiverError::Plan(format!(
                "a subquery used as a value must return one column, not {width}"
            )));
        }
        Ok(Expr::ScalarSubquery(subquery))
    }

    /// `x op ANY (subquery)` or `x op ALL (subquery)`.
    fn any_or_all(
        &self,
        x: Expr,
        compare_op: &ast::BinaryOperator,
        right: &ast::Expr,
        all: bool,
        schema: &QSchema,
    ) -> Result<Expr> {
        let op = binary_operator(compare_op)?;
        let ast::Expr::Subquery(q) = right else {
            return not_impl_err!("ANY and ALL are supported with a subquery only");
        };
        if !op.is_comparison() {
            return Err(QuiverError::Plan(format!(
                "ANY and ALL need a comparison operator, not {op}"
            )));
        }
        self.quantified(x, op, all, q, schema)
    }

    fn column(&self, col: Column, schema: &QSchema) -> Result<Expr> {
        if let Some(i) = schema.find(&col)? {
            return Ok(Expr::Column(schema.field(i).column()));
        }
        if col.relation.is_none() {
            let aliases = self.aliases.borrow();
            let alias = aliases.iter().find(|(n, _)| n == &col.name).or_else(|| {
                aliases
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(&col.name))
            });
            if let Some((_, e)) = alias {
                return Ok(e.clone());
            }
        }
        for outer in self.outer.borrow().iter().rev() {
            if let Some(i) = outer.find(&col)? {
                let field = outer.field(i);
                return Ok(Expr::OuterColumn {
                    column: field.column(),
                    data_type: field.field.data_type().clone(),
                    nullable: field.field.is_nullable(),
                });
            }
        }
        Err(schema.not_found(&col))
    }

    /// Plans a subquery with `schema` as its enclosing scope, whose columns
    /// it may reference (correlation).
    fn subquery(&self, q: &ast::Query, schema: &QSchema) -> Result<Subquery> {
        let plan = self.in_scope_of(schema, || self.plan_query(q))?;
        Ok(Subquery {
            plan: Arc::new(plan),
            sql: q.to_string(),
        })
    }

    /// Runs `plan` (the planning of a subquery) with `schema` as the
    /// innermost enclosing scope, whose columns become outer columns.
    pub(crate) fn in_scope_of<T>(
        &self,
        schema: &QSchema,
        plan: impl FnOnce() -> Result<T>,
    ) -> Result<T> {
        self.outer.borrow_mut().push(schema.clone());
        let aliases = std::mem::take(&mut *self.aliases.borrow_mut());
        let planned = plan();
        *self.aliases.borrow_mut() = aliases;
        self.outer.borrow_mut().pop();
        planned
    }

    /// `x op ANY|ALL (subquery)`, with `x` and the subquery's column brought
    /// to a common type.
    /// `subquery` (of several columns) as a query of one column: each of
    /// its rows as a tuple, for `(a, b) IN (subquery)`.
    fn tuple_rows(&self, subquery: &ast::Query) -> Result<ast::Query> {
        let mut body = subquery.body.as_ref();
        while let ast::SetExpr::SetOperation { left, .. } = body {
            body = left.as_ref();
        }
        let width = match body {
            ast::SetExpr::Select(select)
                if select.projection.iter().all(|item| {
                    matches!(
                        item,
                        ast::SelectItem::UnnamedExpr(_) | ast::SelectItem::ExprWithAlias { .. }
                    )
                }) =>
            {
                select.projection.len()
            }
            ast::SetExpr::Values(values) => values.rows.first().map_or(0, |row| row.len()),
            _ => {
                return not_impl_err!(
                    "a tuple IN a subquery whose columns are not listed (SELECT *): \
                     list the columns"
                )
            }
        };
        let names: Vec<String> = (1..=width).map(|i| format!("__tuple_{i}")).collect();
        super::parse_query(&format!(
            "SELECT row({}) FROM ({subquery}) AS __tuple_rows({})",
            names.join(", "),
            names.join(", ")
        ))
    }

    fn quantified(
        &self,
        x: Expr,
        op: Operator,
        all: bool,
        q: &ast::Query,
        schema: &QSchema,
    ) -> Result<Expr> {
        let mut subquery = self.subquery(q, schema)?;
        let sub_schema = subquery.plan.schema().clone();
        if sub_schema.len() != 1 {
            return Err(QuiverError::Plan(format!(
                "subquery has {} columns but the comparison needs one",
                sub_schema.len()
            )));
        }
        let xt = x.data_type(schema)?;
        let st = sub_schema.field(0).field.data_type().clone();
        let (xt2, st2) = binary_operand_types(&xt, op, &st)?;
        let x = cast_expr(x, &xt2, schema)?;
        if st2 != st {
            let field = sub_schema.field(0);
            let value =
                cast_expr(Expr::Column(field.column()), &st2, &sub_schema)?.alias(field.name());
            let plan = LogicalPlan::Projection(Projection::try_new(
                vec![value],
                Arc::clone(&subquery.plan),
            )?);
            subquery.plan = Arc::new(plan);
        }
        Ok(Expr::Quantified {
            expr: Box::new(x),
            op,
            all,
            subquery,
        })
    }

    fn value(&self, v: &Value) -> Result<Expr> {
        Ok(Expr::Literal(match v {
            Value::Number(n, _) => parse_number(n)?,
            Value::SingleQuotedString(s)
            | Value::EscapedStringLiteral(s)
            | Value::NationalStringLiteral(s) => ScalarValue::Utf8(Some(s.clone())),
            Value::DoubleQuotedString(s) => ScalarValue::Utf8(Some(s.clone())),
            Value::Boolean(b) => ScalarValue::Boolean(Some(*b)),
            Value::Null => ScalarValue::Null,
            other => return not_impl_err!("literal {other} is not supported"),
        }))
    }

    fn negate(&self, e: Expr, schema: &QSchema) -> Result<Expr> {
        let t = e.data_type(schema)?;
        if !(t.is_numeric() || matches!(t, DataType::Interval(_) | DataType::Null)) {
            return Err(QuiverError::Schema(format!(
                "cannot negate {e} of type {}",
                sql_type_name(&t)
            )));
        }
        Ok(Expr::Negative(Box::new(e)))
    }

    pub(crate) fn boolean(&self, e: Expr, context: &str, schema: &QSchema) -> Result<Expr> {
        match e.data_type(schema)? {
            DataType::Boolean => Ok(e),
            DataType::Null => cast_expr(e, &DataType::Boolean, schema),
            other => Err(QuiverError::Schema(format!(
                "{context} needs a BOOLEAN operand, but {e} is {}",
                sql_type_name(&other)
            ))),
        }
    }

    /// `l op r` with operands brought to the types the operator needs. A
    /// literal compared with a column is converted to the column's type when
    /// nothing is lost, so the column itself is never cast.
    pub(crate) fn binary(&self, l: Expr, op: Operator, r: Expr, schema: &QSchema) -> Result<Expr> {
        let (l, op, r) = self.division(l, op, r, schema)?;
        let (l, r) = if op.is_arithmetic() {
            let (lt, rt) = (l.data_type(schema)?, r.data_type(schema)?);
            (
                narrow_integer_literal(l, &rt),
                narrow_integer_literal(r, &lt),
            )
        } else {
            (l, r)
        };
        let (lt, rt) = (l.data_type(schema)?, r.data_type(schema)?);
        if (op.is_comparison() || op.is_distinction()) && lt != rt {
            let (l_lit, r_lit) = (matches!(l, Expr::Literal(_)), matches!(r, Expr::Literal(_)));
            if let Expr::Literal(v) = &r {
                if !l_lit || is_string(&rt) {
                    if let Some(v) = literal_as(v, &lt) {
                        return Ok(l.binary(op, Expr::Literal(v)));
                    }
                }
            }
            if let Expr::Literal(v) = &l {
                if !r_lit || is_string(&lt) {
                    if let Some(v) = literal_as(v, &rt) {
                        return Ok(Expr::Literal(v).binary(op, r));
                    }
                }
            }
        }
        let (lt2, rt2) = binary_operand_types(&lt, op, &rt).map_err(|e| match e {
            QuiverError::Schema(m) => {
                QuiverError::Schema(format!("{m} in {}", l.clone().binary(op, r.clone())))
            }
            other => other,
        })?;
        Ok(cast_expr(l, &lt2, schema)?.binary(op, cast_expr(r, &rt2, schema)?))
    }

    /// Division as DuckDB does it: `/` of two integers, or of a decimal,
    /// is a DOUBLE (`7 / 2` is 3.5) unless `SET integer_division = true`
    /// makes it `//`; `//` of two integers truncates toward zero, and of
    /// other numbers is `/` on DOUBLEs.
    fn division(
        &self,
        l: Expr,
        op: Operator,
        r: Expr,
        schema: &QSchema,
    ) -> Result<(Expr, Operator, Expr)> {
        if !matches!(op, Operator::Divide | Operator::IntegerDivide) {
            return Ok((l, op, r));
        }
        let (lt, rt) = (l.data_type(schema)?, r.data_type(schema)?);
        let integer = |t: &DataType| t.is_integer() || t == &DataType::Null;
        let op = match op {
            Operator::Divide if self.provider.integer_division() => Operator::IntegerDivide,
            other => other,
        };
        let both_integers = integer(&lt) && integer(&rt);
        let numeric = |t: &DataType| t.is_numeric() || t == &DataType::Null;
        let decimal = |t: &DataType| matches!(t, DataType::Decimal128(..));
        // Dividing integers or decimals gives a DOUBLE, as in DuckDB (a
        // decimal quotient would round: 1.0 / 3 * 3 would be 0.99999).
        let to_double = match op {
            Operator::Divide => {
                both_integers || ((decimal(&lt) || decimal(&rt)) && numeric(&lt) && numeric(&rt))
            }
            _ => !both_integers && lt.is_numeric() && rt.is_numeric(),
        };
        if !to_double {
            return Ok((l, op, r));
        }
        let double = DataType::Float64;
        Ok((
            cast_expr(l, &double, schema)?,
            op,
            cast_expr(r, &double, schema)?,
        ))
    }

    fn case(
        &self,
        operand: Option<&ast::Expr>,
        conditions: &[ast::CaseWhen],
        else_result: Option<&ast::Expr>,
        schema: &QSchema,
    ) -> Result<Expr> {
        let go = |e: &ast::Expr| self.sql_to_expr(e, schema);
        let mut whens = conditions
            .iter()
            .map(|c| go(&c.condition))
            .collect::<Result<Vec<_>>>()?;
        let operand = match operand {
            Some(o) => {
                let mut all = vec![go(o)?];
                all.append(&mut whens);
                let (mut all, _) = unify(all, "CASE operand and WHEN values", schema)?;
                let o = all.remove(0);
                whens = all;
                Some(Box::new(o))
            }
            None => {
                whens = whens
                    .into_iter()
                    .map(|w| self.boolean(w, "CASE WHEN", schema))
                    .collect::<Result<_>>()?;
                None
            }
        };
        let mut results = conditions
            .iter()
            .map(|c| go(&c.result))
            .collect::<Result<Vec<_>>>()?;
        let has_else = else_result.is_some();
        if let Some(e) = else_result {
            results.push(go(e)?);
        }
        let (mut results, _) = unify(results, "CASE results", schema)?;
        let else_expr = if has_else {
            results.pop().map(Box::new)
        } else {
            None
        };
        Ok(Expr::Case {
            operand,
            when_then: whens.into_iter().zip(results).collect(),
            else_expr,
        })
    }

    /// `name(args)` for a scalar function, with arguments cast to the types
    /// the function asks for.
    pub(crate) fn call_scalar(
        &self,
        name: &str,
        args: Vec<Expr>,
        schema: &QSchema,
    ) -> Result<Expr> {
        let func = self
            .provider
            .scalar_function(name)
            .ok_or_else(|| self.unknown_function(name))?;
        let args = coerce_args(args, schema, |types| func.coerce_types(types))?;
        Ok(Expr::ScalarFunction(ScalarFunctionRef(func), args))
    }

    /// The arguments of a call, bound, and whether it was `f(*)`.
    pub(crate) fn call_arguments(
        &self,
        raw_args: &[FunctionArg],
        schema: &QSchema,
    ) -> Result<(Vec<Expr>, bool)> {
        let mut args = vec![];
        let mut star = false;
        for a in raw_args {
            match a {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => {
                    args.push(self.sql_to_expr(e, schema)?)
                }
                FunctionArg::Unnamed(FunctionArgExpr::Wildcard) => star = true,
                other => return not_impl_err!("function argument {other} is not supported"),
            }
        }
        Ok((args, star))
    }

    /// The arguments of an aggregate call (plain or over a window), cast
    /// to the types the function wants; `FILTER (WHERE c)` makes the first
    /// argument `CASE WHEN c THEN arg END`, since aggregates pass over rows
    /// whose first argument is NULL (`count(*)` counts a constant; other
    /// arguments, such as a quantile's fraction, stay as they are). An
    /// aggregate that keeps NULL inputs (`first`) takes no FILTER.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn aggregate_arguments(
        &self,
        func: &Arc<dyn quiver_expr::AggregateFunction>,
        name: &str,
        args: Vec<Expr>,
        star: bool,
        distinct: bool,
        f: &ast::Function,
        schema: &QSchema,
    ) -> Result<Vec<Expr>> {
        if star && (!func.accepts_star() || !args.is_empty() || distinct) {
            return Err(QuiverError::Plan(format!(
                "{name}(*) is not allowed; only count(*)"
            )));
        }
        if distinct && args.is_empty() {
            return Err(QuiverError::Plan(format!(
                "{name}(DISTINCT) needs an argument"
            )));
        }
        let mut args = coerce_args(args, schema, |types| func.coerce_types(types))?;
        if let Some(filter) = &f.filter {
            if !func.skips_null_inputs() {
                return not_impl_err!(
                    "FILTER on {name}(...) over a window, which keeps NULL values, is not supported"
                );
            }
            let condition = self.boolean(go_filter(self, filter, schema)?, "FILTER", schema)?;
            if args.is_empty() {
                args.push(Expr::Literal(ScalarValue::Int64(Some(1))));
            }
            args[0] = Expr::Case {
                operand: None,
                when_then: vec![(condition, args[0].clone())],
                else_expr: None,
            };
        }
        Ok(args)
    }

    /// The `ORDER BY` inside an aggregate call, bound; none for a function
    /// whose result does not depend on the order of its input (the clause
    /// cannot change its answer).
    fn aggregate_order(
        &self,
        func: &Arc<dyn quiver_expr::AggregateFunction>,
        f: &ast::Function,
        schema: &QSchema,
    ) -> Result<Vec<SortExpr>> {
        let FunctionArguments::List(list) = &f.args else {
            return Ok(vec![]);
        };
        let mut keys = vec![];
        for clause in &list.clauses {
            if let ast::FunctionArgumentClause::OrderBy(order) = clause {
                for o in order {
                    let key = self.sql_to_expr(&o.expr, schema)?;
                    if key.contains_aggregate() || key.contains_window() {
                        return Err(QuiverError::Plan(format!(
                            "the ORDER BY of an aggregate call cannot hold an aggregate or window call ({key})"
                        )));
                    }
                    keys.push(super::query::sort_expr(key, &o.options));
                }
            }
        }
        if !func.depends_on_input_order() {
            keys.clear();
        }
        Ok(keys)
    }

    pub(crate) fn unknown_function(&self, name: &str) -> QuiverError {
        if name.eq_ignore_ascii_case("columns") {
            return QuiverError::NotImplemented(
                "COLUMNS(…) is supported in the select list only".into(),
            );
        }
        let names = self.provider.function_names();
        let mut msg = format!("function {name}() does not exist");
        if let Some(s) = closest_name(name, names.iter().map(String::as_str)) {
            msg.push_str(&format!("; did you mean {s}()?"));
        }
        QuiverError::Plan(msg)
    }

    fn function(&self, f: &ast::Function, schema: &QSchema) -> Result<Expr> {
        let name = f
            .name
            .0
            .last()
            .and_then(|p| p.as_ident())
            .map(|i| i.value.to_lowercase())
            .unwrap_or_default();
        if let Some(m) = self.provider.get_macro(&name) {
            return self.scalar_macro_call(&name, &m, f, schema);
        }
        if !f.within_group.is_empty() {
            return self.bind(&super::ordered_set::as_plain_call(f, &name)?, schema);
        }
        if name == "try" {
            return self.try_call(f, schema);
        }
        match (name.as_str(), &f.args) {
            ("struct_pack", FunctionArguments::List(list)) => {
                return self.struct_pack_call(&list.args, schema)
            }
            ("struct_insert", FunctionArguments::List(list)) => {
                return self.struct_insert_call(&list.args, schema)
            }
            _ => {}
        }
        if let Some(func) = self.provider.lambda_function(&name) {
            return self.lambda_call(func, f, schema);
        }
        if super::unnest_forms::has_unnest_options(f) {
            return Ok(self.unnest_with_options(f, schema)?.0);
        }
        if let Some(over) = &f.over {
            return self.window_call(f, &name, over, schema);
        }
        let is_aggregate = self.provider.aggregate_function(&name).is_some();
        reject_unsupported_call_parts(f, &name, is_aggregate)?;
        let (raw_args, distinct) = match &f.args {
            FunctionArguments::None => (vec![], false),
            FunctionArguments::List(list) => (
                list.args.clone(),
                matches!(
                    list.duplicate_treatment,
                    Some(ast::DuplicateTreatment::Distinct)
                ),
            ),
            FunctionArguments::Subquery(q) if name == "array" => {
                return self.array_subquery(q, schema)
            }
            FunctionArguments::Subquery(_) => {
                return not_impl_err!("{name}(subquery) is not supported; only ARRAY(subquery)")
            }
        };
        let (args, star) = self.call_arguments(&raw_args, schema)?;
        if let Some(window) = self.provider.window_function(&name) {
            return Err(QuiverError::Plan(format!(
                "{}() is a window function and needs an OVER clause",
                window.name()
            )));
        }
        if let Some(func) = self.provider.aggregate_function(&name) {
            if args.iter().any(Expr::contains_aggregate) {
                return Err(QuiverError::Plan(format!(
                    "aggregate function calls cannot be nested (in {name})"
                )));
            }
            if args.iter().any(Expr::contains_window) {
                return Err(QuiverError::Plan(format!(
                    "aggregate function calls cannot contain window function calls (in {name})"
                )));
            }
            // A function that keeps NULL inputs takes its FILTER as a
            // condition of its own rather than as a NULL argument.
            let (filter, unfiltered) = match &f.filter {
                Some(condition) if !func.skips_null_inputs() => {
                    let condition = go_filter(self, condition, schema)?;
                    let condition = self.boolean(condition, "FILTER", schema)?;
                    let mut unfiltered = f.clone();
                    unfiltered.filter = None;
                    (Some(Box::new(condition)), Some(unfiltered))
                }
                _ => (None, None),
            };
            let f = unfiltered.as_ref().unwrap_or(f);
            let args = self.aggregate_arguments(&func, &name, args, star, distinct, f, schema)?;
            let order_by = self.aggregate_order(&func, f, schema)?;
            return Ok(Expr::Aggregate(AggregateCall {
                func: AggregateFunctionRef(Arc::clone(&func)),
                args,
                distinct,
                order_by,
                filter,
            }));
        }
        if star {
            return Err(QuiverError::Plan(format!(
                "{name}(*) is not allowed; only count(*)"
            )));
        }
        if f.filter.is_some() {
            return Err(QuiverError::Plan(format!(
                "FILTER is only allowed in aggregate functions, not {name}()"
            )));
        }
        if distinct {
            return Err(QuiverError::Plan(format!(
                "DISTINCT is only allowed in aggregate functions, not {name}()"
            )));
        }
        if name == "grouping" || name == "grouping_id" {
            return super::grouping::grouping_call(args);
        }
        match self.rewritten_call(&name, args, schema)? {
            Call::Rewritten(e) => Ok(e),
            Call::Ordinary(args) => self.call_scalar(&name, args, schema),
        }
    }
}

/// Whether `op` compares (`=`, `<`, `<>`, …).
fn is_comparison(op: &ast::BinaryOperator) -> bool {
    use ast::BinaryOperator as B;
    matches!(op, B::Eq | B::NotEq | B::Lt | B::LtEq | B::Gt | B::GtEq)
}

/// A tuple written out compared with tuples written out, field by field:
/// `(a, b) = (1, 2)` and `(a, b) IN ((1, 2), (3, 4))`. A tuple equals
/// another when each field is not distinct from the other's (a NULL field
/// equals a NULL field, as DuckDB compares tuples), so the comparison is
/// that of the fields, which the engine runs without building tuples.
struct TuplesCompared<'a> {
    left: &'a [ast::Expr],
    candidates: Vec<&'a [ast::Expr]>,
}

/// [`TuplesCompared`] when `left` and every candidate are tuples written out
/// with as many fields.
fn tuples_compared<'a>(
    left: &'a ast::Expr,
    candidates: &'a [ast::Expr],
) -> Option<TuplesCompared<'a>> {
    let fields = |e: &'a ast::Expr| match e {
        ast::Expr::Tuple(fields) => Some(fields.as_slice()),
        _ => None,
    };
    let left = fields(left)?;
    let candidates = candidates
        .iter()
        .map(|c| fields(c).filter(|f| f.len() == left.len()))
        .collect::<Option<Vec<_>>>()?;
    (!candidates.is_empty()).then_some(TuplesCompared { left, candidates })
}

impl TuplesCompared<'_> {
    /// Whether the left tuple is one of the candidates (or is none of them,
    /// when `negated`), field by field.
    fn in_list(&self, negated: bool) -> ast::Expr {
        let any = self
            .candidates
            .iter()
            .map(|candidate| {
                self.left
                    .iter()
                    .zip(candidate.iter())
                    .map(|(l, r)| {
                        ast::Expr::IsNotDistinctFrom(Box::new(l.clone()), Box::new(r.clone()))
                    })
                    .reduce(|a, b| connect(a, ast::BinaryOperator::And, b))
                    .unwrap_or(ast::Expr::Value(ast::Value::Boolean(true).into()))
            })
            .reduce(|a, b| connect(a, ast::BinaryOperator::Or, b))
            .unwrap_or(ast::Expr::Value(ast::Value::Boolean(false).into()));
        let any = ast::Expr::Nested(Box::new(any));
        match negated {
            true => ast::Expr::UnaryOp {
                op: ast::UnaryOperator::Not,
                expr: Box::new(any),
            },
            false => any,
        }
    }
}

/// `(a) op (b)`.
fn connect(a: ast::Expr, op: ast::BinaryOperator, b: ast::Expr) -> ast::Expr {
    ast::Expr::BinaryOp {
        left: Box::new(ast::Expr::Nested(Box::new(a))),
        op,
        right: Box::new(ast::Expr::Nested(Box::new(b))),
    }
}

/// Whether `e` is an unparenthesized comparison (`a < b` in `a < b < c`).
fn is_comparison_node(e: &ast::Expr) -> bool {
    matches!(e, ast::Expr::BinaryOp { op, .. } if is_comparison(op))
}

/// Whether `e`, the unparenthesized right side of `->` or `->>`, is an
/// operation that DuckDB applies after the arrow but sqlparser grouped
/// under it (`j ->> 'a' || 'x'`, `j ->> 'a' = 'x'`): binding it as written
/// would silently read another path.
fn binds_looser_than_json_arrow(e: &ast::Expr) -> bool {
    use ast::BinaryOperator as B;
    match e {
        ast::Expr::BinaryOp { op, .. } => !matches!(
            op,
            B::Plus | B::Minus | B::Multiply | B::Divide | B::Modulo | B::Arrow | B::LongArrow
        ),
        ast::Expr::Like { .. }
        | ast::Expr::ILike { .. }
        | ast::Expr::SimilarTo { .. }
        | ast::Expr::RLike { .. }
        | ast::Expr::IsNull(_)
        | ast::Expr::IsNotNull(_)
        | ast::Expr::IsTrue(_)
        | ast::Expr::IsFalse(_)
        | ast::Expr::IsDistinctFrom(..)
        | ast::Expr::IsNotDistinctFrom(..)
        | ast::Expr::InList { .. }
        | ast::Expr::InSubquery { .. }
        | ast::Expr::Between { .. } => true,
        _ => false,
    }
}
