//! Logical expressions: what a query computes, before any choice of how.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use arrow::datatypes::DataType;
use datafusion_common::ScalarValue;

use crate::error::Result;
use crate::function::{AggregateFunction, ScalarFunction, Volatility};
use crate::lambda::LambdaCall;
use crate::logical_plan::LogicalPlan;
use crate::schema::{Column, QSchema};
use crate::types::{binary_result_type, sql_type_name};
use crate::window::{WindowCall, WindowFrame, WindowKind};

/// Binary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operator {
    /// `+`
    Plus,
    /// `-`
    Minus,
    /// `*`
    Multiply,
    /// `/`
    Divide,
    /// `//`: integer division of integers (truncating toward zero);
    /// plain division of other numbers, as DuckDB's `//`.
    IntegerDivide,
    /// `%`
    Modulo,
    /// `=`
    Eq,
    /// `<>`
    NotEq,
    /// `<`
    Lt,
    /// `<=`
    LtEq,
    /// `>`
    Gt,
    /// `>=`
    GtEq,
    /// `AND` (three-valued)
    And,
    /// `OR` (three-valued)
    Or,
    /// `||` string concatenation
    StringConcat,
    /// `IS DISTINCT FROM`: `<>` where NULL equals NULL; never NULL.
    IsDistinctFrom,
    /// `IS NOT DISTINCT FROM`: `=` where NULL equals NULL; never NULL.
    IsNotDistinctFrom,
    /// `&`, bitwise AND of integers.
    BitwiseAnd,
    /// `|`, bitwise OR of integers.
    BitwiseOr,
    /// `xor`, bitwise exclusive OR of integers (`#` in PostgreSQL).
    BitwiseXor,
    /// `<<`, an integer's bits shifted left.
    ShiftLeft,
    /// `>>`, an integer's bits shifted right (keeping the sign).
    ShiftRight,
}

impl Operator {
    /// True for `= <> < <= > >=`.
    pub fn is_comparison(self) -> bool {
        matches!(
            self,
            Operator::Eq
                | Operator::NotEq
                | Operator::Lt
                | Operator::LtEq
                | Operator::Gt
                | Operator::GtEq
        )
    }

    /// True for `+ - * / // %`.
    pub fn is_arithmetic(self) -> bool {
        matches!(
            self,
            Operator::Plus
                | Operator::Minus
                | Operator::Multiply
                | Operator::Divide
                | Operator::IntegerDivide
                | Operator::Modulo
        )
    }

    /// True for the operators on an integer's bits: `& | xor << >>`.
    pub fn is_bitwise(self) -> bool {
        matches!(
            self,
            Operator::BitwiseAnd
                | Operator::BitwiseOr
                | Operator::BitwiseXor
                | Operator::ShiftLeft
                | Operator::ShiftRight
        )
    }

    /// True for `AND` and `OR`.
    pub fn is_logical(self) -> bool {
        matches!(self, Operator::And | Operator::Or)
    }

    /// True for `IS [NOT] DISTINCT FROM`, which compare NULLs as values.
    pub fn is_distinction(self) -> bool {
        matches!(self, Operator::IsDistinctFrom | Operator::IsNotDistinctFrom)
    }

    /// True if a NULL input always gives a NULL result: all but `AND`,
    /// `OR` and `IS [NOT] DISTINCT FROM`.
    pub fn propagates_null(self) -> bool {
        !(self.is_logical() || self.is_distinction())
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            Operator::Plus => "+",
            Operator::Minus => "-",
            Operator::Multiply => "*",
            Operator::Divide => "/",
            Operator::IntegerDivide => "//",
            Operator::Modulo => "%",
            Operator::Eq => "=",
            Operator::NotEq => "<>",
            Operator::Lt => "<",
            Operator::LtEq => "<=",
            Operator::Gt => ">",
            Operator::GtEq => ">=",
            Operator::And => "AND",
            Operator::Or => "OR",
            Operator::StringConcat => "||",
            Operator::IsDistinctFrom => "IS DISTINCT FROM",
            Operator::IsNotDistinctFrom => "IS NOT DISTINCT FROM",
            Operator::BitwiseAnd => "&",
            Operator::BitwiseOr => "|",
            Operator::BitwiseXor => "xor",
            Operator::ShiftLeft => "<<",
            Operator::ShiftRight => ">>",
        };
        f.write_str(s)
    }
}

/// A handle to a scalar function, compared and hashed by name.
#[derive(Debug, Clone)]
pub struct ScalarFunctionRef(pub Arc<dyn ScalarFunction>);

/// Which LIKE a match is: `[NOT] [I]LIKE pattern [ESCAPE c]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LikeKind {
    /// `NOT LIKE`.
    pub negated: bool,
    /// `ILIKE`.
    pub case_insensitive: bool,
    /// The `ESCAPE` character, if any.
    pub escape: Option<char>,
}

/// A handle to an aggregate function, compared and hashed by name.
#[derive(Debug, Clone)]
pub struct AggregateFunctionRef(pub Arc<dyn AggregateFunction>);

macro_rules! compare_by_name {
    ($t:ty) => {
        impl PartialEq for $t {
            fn eq(&self, other: &Self) -> bool {
                self.0.name() == other.0.name()
            }
        }
        impl Eq for $t {}
        impl std::hash::Hash for $t {
            fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
                self.0.name().hash(state)
            }
        }
    };
}
pub(crate) use compare_by_name;
compare_by_name!(ScalarFunctionRef);
compare_by_name!(AggregateFunctionRef);

/// A call of an aggregate function.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AggregateCall {
    /// The function.
    pub func: AggregateFunctionRef,
    /// Arguments; empty for `count(*)`.
    pub args: Vec<Expr>,
    /// `DISTINCT` inside the call.
    pub distinct: bool,
    /// `ORDER BY` inside the call: the order the values reach the
    /// function in (kept only for functions whose result depends on it).
    pub order_by: Vec<SortExpr>,
    /// `FILTER (WHERE condition)` for a function that keeps NULL inputs
    /// (`first`, `list`): only rows where it is true reach the function.
    /// Other aggregates take a FILTER as a NULL first argument instead.
    pub filter: Option<Box<Expr>>,
}

/// A sort key.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SortExpr {
    /// The expression to sort by.
    pub expr: Expr,
    /// Ascending (true) or descending.
    pub asc: bool,
    /// NULLs before (true) or after non-NULL values.
    pub nulls_first: bool,
}

impl fmt::Display for SortExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} NULLS {}",
            self.expr,
            if self.asc { "ASC" } else { "DESC" },
            if self.nulls_first { "FIRST" } else { "LAST" }
        )
    }
}

/// A logical expression. Two expressions are equal when they are written
/// alike with literals of the same types (see the `PartialEq` impl).
#[derive(Debug, Clone)]
pub enum Expr {
    /// A reference to an input column.
    Column(Column),
    /// A constant.
    Literal(ScalarValue),
    /// An expression with an output name.
    Alias(Box<Expr>, String),
    /// `left op right`.
    Binary(Box<Expr>, Operator, Box<Expr>),
    /// `NOT e` (three-valued).
    Not(Box<Expr>),
    /// `-e`.
    Negative(Box<Expr>),
    /// `e IS NULL`.
    IsNull(Box<Expr>),
    /// `e IS NOT NULL`.
    IsNotNull(Box<Expr>),
    /// `e [NOT] IN (list)`.
    InList {
        /// The tested value.
        expr: Box<Expr>,
        /// The candidates.
        list: Vec<Expr>,
        /// `NOT IN`.
        negated: bool,
    },
    /// `e [NOT] LIKE|ILIKE pattern`.
    Like {
        /// `NOT LIKE`.
        negated: bool,
        /// `ILIKE`.
        case_insensitive: bool,
        /// The tested string.
        expr: Box<Expr>,
        /// The pattern, with `%` and `_` wildcards.
        pattern: Box<Expr>,
        /// The `ESCAPE` character, which makes the wildcard after it literal.
        /// Without one every character but `%` and `_` is literal, a
        /// backslash included (as in DuckDB; PostgreSQL escapes with `\`).
        escape: Option<char>,
    },
    /// `CASE [operand] WHEN .. THEN .. [ELSE ..] END`.
    Case {
        /// The operand of a simple CASE.
        operand: Option<Box<Expr>>,
        /// The WHEN/THEN pairs in order.
        when_then: Vec<(Expr, Expr)>,
        /// The ELSE result.
        else_expr: Option<Box<Expr>>,
    },
    /// `CAST(e AS type)`.
    Cast(Box<Expr>, DataType),
    /// `TRY_CAST(e AS type)`: NULL where the value does not convert.
    TryCast(Box<Expr>, DataType),
    /// `TRY(e)`: NULL for each row where evaluating `e` fails.
    Try(Box<Expr>),
    /// A scalar function call.
    ScalarFunction(ScalarFunctionRef, Vec<Expr>),
    /// An aggregate function call.
    Aggregate(AggregateCall),
    /// A window call (`f(..) OVER (..)`), computed by a window operator
    /// below the expression that uses it.
    Window(Box<WindowCall>),
    /// A call of a function that applies a lambda to a list's elements
    /// (`list_transform(l, lambda x: x + 1)`).
    Lambda(Box<LambdaCall>),
    /// A column of an enclosing query, referenced from inside a subquery.
    OuterColumn {
        /// The column, as the enclosing query names it.
        column: Column,
        /// Its type.
        data_type: DataType,
        /// Whether it may be NULL.
        nullable: bool,
    },
    /// `(SELECT ..)` used as a value: its single column of at most one row.
    ScalarSubquery(Subquery),
    /// `[NOT] EXISTS (SELECT ..)`.
    Exists {
        /// The subquery.
        subquery: Subquery,
        /// `NOT EXISTS`.
        negated: bool,
    },
    /// `expr op ANY|ALL (SELECT ..)`. `IN` is `= ANY` and `NOT IN` is
    /// `<> ALL`, which have the same three-valued meaning.
    Quantified {
        /// The compared value.
        expr: Box<Expr>,
        /// The comparison.
        op: Operator,
        /// `ALL` (true) or `ANY` (false).
        all: bool,
        /// The subquery, of one column.
        subquery: Subquery,
    },
}

/// Equality as derived, but for literals, which must also be of the same
/// type: `ScalarValue`'s own equality ignores a timestamp's zone, and
/// `TIMESTAMP '2024-01-01'` is not `TIMESTAMPTZ '2024-01-01 00:00+00'`
/// (the optimizer shares equal subexpressions).
impl PartialEq for Expr {
    fn eq(&self, other: &Self) -> bool {
        use Expr::*;
        match (self, other) {
            (Column(a), Column(b)) => a == b,
            (Literal(a), Literal(b)) => a == b && a.data_type() == b.data_type(),
            (Alias(a, n), Alias(b, m)) => a == b && n == m,
            (Binary(l, op, r), Binary(l2, op2, r2)) => op == op2 && l == l2 && r == r2,
            (Not(a), Not(b))
            | (Negative(a), Negative(b))
            | (IsNull(a), IsNull(b))
            | (IsNotNull(a), IsNotNull(b))
            | (Try(a), Try(b)) => a == b,
            (
                InList {
                    expr,
                    list,
                    negated,
                },
                InList {
                    expr: expr2,
                    list: list2,
                    negated: negated2,
                },
            ) => negated == negated2 && expr == expr2 && list == list2,
            (
                Like {
                    negated,
                    case_insensitive,
                    expr,
                    pattern,
                    escape,
                },
                Like {
                    negated: negated2,
                    case_insensitive: case_insensitive2,
                    expr: expr2,
                    pattern: pattern2,
                    escape: escape2,
                },
            ) => {
                (negated, case_insensitive, escape) == (negated2, case_insensitive2, escape2)
                    && expr == expr2
                    && pattern == pattern2
            }
            (
                Case {
                    operand,
                    when_then,
                    else_expr,
                },
                Case {
                    operand: operand2,
                    when_then: when_then2,
                    else_expr: else_expr2,
                },
            ) => operand == operand2 && when_then == when_then2 && else_expr == else_expr2,
            (Cast(a, t), Cast(b, u)) | (TryCast(a, t), TryCast(b, u)) => t == u && a == b,
            (ScalarFunction(f, a), ScalarFunction(g, b)) => f == g && a == b,
            (Aggregate(a), Aggregate(b)) => a == b,
            (Window(a), Window(b)) => a == b,
            (Lambda(a), Lambda(b)) => a == b,
            (
                OuterColumn {
                    column,
                    data_type,
                    nullable,
                },
                OuterColumn {
                    column: column2,
                    data_type: data_type2,
                    nullable: nullable2,
                },
            ) => column == column2 && data_type == data_type2 && nullable == nullable2,
            (ScalarSubquery(a), ScalarSubquery(b)) => a == b,
            (
                Exists { subquery, negated },
                Exists {
                    subquery: subquery2,
                    negated: negated2,
                },
            ) => negated == negated2 && subquery == subquery2,
            (
                Quantified {
                    expr,
                    op,
                    all,
                    subquery,
                },
                Quantified {
                    expr: expr2,
                    op: op2,
                    all: all2,
                    subquery: subquery2,
                },
            ) => (op, all) == (op2, all2) && expr == expr2 && subquery == subquery2,
            _ => false,
        }
    }
}

impl Eq for Expr {}

/// Hashes what [`Expr`]'s equality compares.
impl Hash for Expr {
    fn hash<H: Hasher>(&self, state: &mut H) {
        use Expr::*;
        std::mem::discriminant(self).hash(state);
        match self {
            Column(c) => c.hash(state),
            Literal(v) => {
                v.hash(state);
                v.data_type().hash(state);
            }
            Alias(e, name) => {
                e.hash(state);
                name.hash(state);
            }
            Binary(l, op, r) => {
                l.hash(state);
                op.hash(state);
                r.hash(state);
            }
            Not(e) | Negative(e) | IsNull(e) | IsNotNull(e) | Try(e) => e.hash(state),
            InList {
                expr,
                list,
                negated,
            } => {
                expr.hash(state);
                list.hash(state);
                negated.hash(state);
            }
            Like {
                negated,
                case_insensitive,
                expr,
                pattern,
                escape,
            } => {
                (negated, case_insensitive, escape).hash(state);
                expr.hash(state);
                pattern.hash(state);
            }
            Case {
                operand,
                when_then,
                else_expr,
            } => {
                operand.hash(state);
                when_then.hash(state);
                else_expr.hash(state);
            }
            Cast(e, t) | TryCast(e, t) => {
                e.hash(state);
                t.hash(state);
            }
            ScalarFunction(f, args) => {
                f.hash(state);
                args.hash(state);
            }
            Aggregate(call) => call.hash(state),
            Window(call) => call.hash(state),
            Lambda(call) => call.hash(state),
            OuterColumn {
                column,
                data_type,
                nullable,
            } => {
                column.hash(state);
                data_type.hash(state);
                nullable.hash(state);
            }
            ScalarSubquery(subquery) => subquery.hash(state),
            Exists { subquery, negated } => {
                subquery.hash(state);
                negated.hash(state);
            }
            Quantified {
                expr,
                op,
                all,
                subquery,
            } => {
                expr.hash(state);
                op.hash(state);
                all.hash(state);
                subquery.hash(state);
            }
        }
    }
}

/// A bound subquery inside an expression. Two subqueries are equal when
/// their SQL text is.
#[derive(Debug, Clone)]
pub struct Subquery {
    /// The subquery's plan; may contain [`Expr::OuterColumn`]s.
    pub plan: Arc<LogicalPlan>,
    /// The SQL text, for display and error messages.
    pub sql: String,
}

impl PartialEq for Subquery {
    fn eq(&self, other: &Self) -> bool {
        self.sql == other.sql
    }
}
impl Eq for Subquery {}
impl Hash for Subquery {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.sql.hash(state)
    }
}

impl Operator {
    /// The comparison that is true exactly when `self` is false
    /// (`<` for `>=`); `None` for operators that are not comparisons.
    pub fn negate(self) -> Option<Operator> {
        Some(match self {
            Operator::Eq => Operator::NotEq,
            Operator::NotEq => Operator::Eq,
            Operator::Lt => Operator::GtEq,
            Operator::LtEq => Operator::Gt,
            Operator::Gt => Operator::LtEq,
            Operator::GtEq => Operator::Lt,
            _ => return None,
        })
    }

    /// The comparison with its operands swapped (`>` for `<`).
    pub fn swap(self) -> Operator {
        match self {
            Operator::Lt => Operator::Gt,
            Operator::LtEq => Operator::GtEq,
            Operator::Gt => Operator::Lt,
            Operator::GtEq => Operator::LtEq,
            other => other,
        }
    }
}

impl Expr {
    /// A column reference, `relation.name` or `name`.
    pub fn col(column: Column) -> Expr {
        Expr::Column(column)
    }

    /// A literal.
    pub fn lit(value: ScalarValue) -> Expr {
        Expr::Literal(value)
    }

    /// `self op other`.
    pub fn binary(self, op: Operator, other: Expr) -> Expr {
        Expr::Binary(Box::new(self), op, Box::new(other))
    }

    /// `self AND other`.
    pub fn and(self, other: Expr) -> Expr {
        self.binary(Operator::And, other)
    }

    /// `self AS name`.
    pub fn alias(self, name: impl Into<String>) -> Expr {
        match self {
            Expr::Alias(inner, _) => Expr::Alias(inner, name.into()),
            other => Expr::Alias(Box::new(other), name.into()),
        }
    }

    /// `CAST(self AS data_type)`, or `self` if that is its type already.
    pub fn cast_to(self, data_type: &DataType, schema: &QSchema) -> Result<Expr> {
        if &self.data_type(schema)? == data_type {
            Ok(self)
        } else {
            Ok(Expr::Cast(Box::new(self), data_type.clone()))
        }
    }

    /// The expression without a top-level alias.
    pub fn unalias(&self) -> &Expr {
        match self {
            Expr::Alias(inner, _) => inner.unalias(),
            other => other,
        }
    }

    /// The name of the column this expression produces in a projection:
    /// its alias, the bare column name, or its SQL text.
    pub fn output_name(&self) -> String {
        match self {
            Expr::Alias(_, name) => name.clone(),
            Expr::Column(c) => c.name.clone(),
            other => Unqualified(other).to_string(),
        }
    }

    /// The values of the arguments that are literals (`Some`), position by
    /// position, as [`crate::ScalarFunction::prepare`] and
    /// [`crate::ScalarFunction::return_type_of_call`] take them.
    pub fn constants(args: &[Expr]) -> Vec<Option<ScalarValue>> {
        args.iter()
            .map(|a| match a {
                Expr::Literal(v) => Some(v.clone()),
                _ => None,
            })
            .collect()
    }

    /// The type of the value the expression produces over `schema`.
    pub fn data_type(&self, schema: &QSchema) -> Result<DataType> {
        Ok(match self {
            Expr::Column(c) => schema.field(schema.index_of(c)?).field.data_type().clone(),
            Expr::Literal(v) => v.data_type(),
            Expr::Alias(e, _) | Expr::Negative(e) => e.data_type(schema)?,
            Expr::Binary(l, op, r) => {
                binary_result_type(&l.data_type(schema)?, *op, &r.data_type(schema)?)?
            }
            Expr::Not(_)
            | Expr::IsNull(_)
            | Expr::IsNotNull(_)
            | Expr::InList { .. }
            | Expr::Like { .. } => DataType::Boolean,
            Expr::Case {
                when_then,
                else_expr,
                ..
            } => {
                let first_non_null = when_then
                    .iter()
                    .map(|(_, t)| t)
                    .chain(else_expr.as_deref())
                    .find(|e| !matches!(e, Expr::Literal(ScalarValue::Null)));
                match first_non_null {
                    Some(e) => e.data_type(schema)?,
                    None => DataType::Null,
                }
            }
            Expr::Cast(_, t) | Expr::TryCast(_, t) => t.clone(),
            Expr::Try(e) => e.data_type(schema)?,
            Expr::ScalarFunction(f, args) => {
                f.0.return_type_of_call(&arg_types(args, schema)?, &Expr::constants(args))?
            }
            Expr::Aggregate(call) => call.func.0.return_type(&arg_types(&call.args, schema)?)?,
            Expr::Window(call) => {
                let types = arg_types(&call.args, schema)?;
                match &call.kind {
                    WindowKind::Aggregate(f) => f.0.return_type(&types)?,
                    WindowKind::Function(f) => f.0.return_type(&types)?,
                }
            }
            Expr::Lambda(call) => call.data_type(schema)?,
            Expr::OuterColumn { data_type, .. } => data_type.clone(),
            Expr::ScalarSubquery(s) => s.plan.schema().field(0).field.data_type().clone(),
            Expr::Exists { .. } | Expr::Quantified { .. } => DataType::Boolean,
        })
    }

    /// Whether the expression can produce NULL over `schema` (conservative).
    pub fn nullable(&self, schema: &QSchema) -> Result<bool> {
        Ok(match self {
            Expr::Column(c) => schema.field(schema.index_of(c)?).field.is_nullable(),
            Expr::Literal(v) => v.is_null(),
            Expr::Alias(e, _) | Expr::Negative(e) | Expr::Not(e) | Expr::Cast(e, _) => {
                e.nullable(schema)?
            }
            Expr::IsNull(_) | Expr::IsNotNull(_) => false,
            Expr::Binary(l, _, r) => l.nullable(schema)? || r.nullable(schema)?,
            Expr::Aggregate(call) => call.func.0.nullable(),
            Expr::Window(call) => match &call.kind {
                WindowKind::Aggregate(f) => f.0.nullable(),
                WindowKind::Function(_) => true,
            },
            Expr::OuterColumn { nullable, .. } => *nullable,
            Expr::Exists { .. } => false,
            _ => true,
        })
    }

    /// The direct sub-expressions.
    pub fn children(&self) -> Vec<&Expr> {
        match self {
            Expr::Column(_)
            | Expr::Literal(_)
            | Expr::OuterColumn { .. }
            | Expr::ScalarSubquery(_)
            | Expr::Exists { .. } => vec![],
            Expr::Quantified { expr, .. } => vec![expr],
            Expr::Alias(e, _)
            | Expr::Not(e)
            | Expr::Negative(e)
            | Expr::IsNull(e)
            | Expr::IsNotNull(e)
            | Expr::Cast(e, _)
            | Expr::TryCast(e, _)
            | Expr::Try(e) => {
                vec![e]
            }
            Expr::Binary(l, _, r) => vec![l, r],
            Expr::InList { expr, list, .. } => std::iter::once(expr.as_ref()).chain(list).collect(),
            Expr::Like { expr, pattern, .. } => vec![expr, pattern],
            Expr::Case {
                operand,
                when_then,
                else_expr,
            } => {
                let mut v: Vec<&Expr> = operand.iter().map(|e| e.as_ref()).collect();
                for (w, t) in when_then {
                    v.push(w);
                    v.push(t);
                }
                v.extend(else_expr.iter().map(|e| e.as_ref()));
                v
            }
            Expr::ScalarFunction(_, args) => args.iter().collect(),
            Expr::Aggregate(call) => call
                .args
                .iter()
                .chain(call.order_by.iter().map(|o| &o.expr))
                .chain(call.filter.as_deref())
                .collect(),
            Expr::Window(call) => call
                .args
                .iter()
                .chain(&call.partition_by)
                .chain(call.order_by.iter().map(|o| &o.expr))
                .collect(),
            Expr::Lambda(call) => std::iter::once(&call.list)
                .chain(&call.others)
                .chain(&call.captures)
                .collect(),
        }
    }

    /// True if `pred` holds for this expression or any sub-expression.
    pub fn any(&self, pred: &mut dyn FnMut(&Expr) -> bool) -> bool {
        pred(self) || self.children().into_iter().any(|c| c.any(pred))
    }

    /// How many levels the tree has (a leaf has one), found without
    /// recursion.
    pub fn depth(&self) -> usize {
        let mut deepest = 0;
        let mut pending = vec![(self, 1)];
        while let Some((e, level)) = pending.pop() {
            deepest = deepest.max(level);
            pending.extend(e.children().into_iter().map(|c| (c, level + 1)));
        }
        deepest
    }

    /// Calls `f` on this expression and every sub-expression, parents first.
    pub fn visit(&self, f: &mut dyn FnMut(&Expr)) {
        f(self);
        for c in self.children() {
            c.visit(f);
        }
    }

    /// Rewrites the tree top-down: `f` returns `Some(replacement)` to replace a
    /// node (whose children are then not visited) or `None` to descend.
    pub fn rewrite(self, f: &mut dyn FnMut(&Expr) -> Result<Option<Expr>>) -> Result<Expr> {
        if let Some(replacement) = f(&self)? {
            return Ok(replacement);
        }
        let mut go = |e: Box<Expr>| -> Result<Box<Expr>> { Ok(Box::new((*e).rewrite(f)?)) };
        Ok(match self {
            leaf @ (Expr::Column(_)
            | Expr::Literal(_)
            | Expr::OuterColumn { .. }
            | Expr::ScalarSubquery(_)
            | Expr::Exists { .. }) => leaf,
            Expr::Quantified {
                expr,
                op,
                all,
                subquery,
            } => Expr::Quantified {
                expr: go(expr)?,
                op,
                all,
                subquery,
            },
            Expr::Alias(e, n) => Expr::Alias(go(e)?, n),
            Expr::Not(e) => Expr::Not(go(e)?),
            Expr::Negative(e) => Expr::Negative(go(e)?),
            Expr::IsNull(e) => Expr::IsNull(go(e)?),
            Expr::IsNotNull(e) => Expr::IsNotNull(go(e)?),
            Expr::Cast(e, t) => Expr::Cast(go(e)?, t),
            Expr::TryCast(e, t) => Expr::TryCast(go(e)?, t),
            Expr::Try(e) => Expr::Try(go(e)?),
            Expr::Binary(l, op, r) => {
                let l = go(l)?;
                Expr::Binary(l, op, go(r)?)
            }
            Expr::InList {
                expr,
                list,
                negated,
            } => {
                let expr = go(expr)?;
                let list = list
                    .into_iter()
                    .map(|e| e.rewrite(f))
                    .collect::<Result<_>>()?;
                Expr::InList {
                    expr,
                    list,
                    negated,
                }
            }
            Expr::Like {
                negated,
                case_insensitive,
                expr,
                pattern,
                escape,
            } => {
                let expr = go(expr)?;
                Expr::Like {
                    negated,
                    case_insensitive,
                    expr,
                    pattern: go(pattern)?,
                    escape,
                }
            }
            Expr::Case {
                operand,
                when_then,
                else_expr,
            } => {
                let operand = operand.map(&mut go).transpose()?;
                let when_then = when_then
                    .into_iter()
                    .map(|(w, t)| Ok((w.rewrite(f)?, t.rewrite(f)?)))
                    .collect::<Result<_>>()?;
                let else_expr = else_expr
                    .map(|e| Ok::<_, crate::QuiverError>(Box::new(e.rewrite(f)?)))
                    .transpose()?;
                Expr::Case {
                    operand,
                    when_then,
                    else_expr,
                }
            }
            Expr::ScalarFunction(func, args) => Expr::ScalarFunction(
                func,
                args.into_iter()
                    .map(|e| e.rewrite(f))
                    .collect::<Result<_>>()?,
            ),
            Expr::Aggregate(call) => Expr::Aggregate(AggregateCall {
                args: call
                    .args
                    .into_iter()
                    .map(|e| e.rewrite(f))
                    .collect::<Result<_>>()?,
                order_by: call
                    .order_by
                    .into_iter()
                    .map(|o| {
                        Ok(SortExpr {
                            expr: o.expr.rewrite(f)?,
                            ..o
                        })
                    })
                    .collect::<Result<_>>()?,
                filter: match call.filter {
                    Some(c) => Some(Box::new(c.rewrite(f)?)),
                    None => None,
                },
                ..call
            }),
            Expr::Window(call) => {
                let WindowCall {
                    kind,
                    args,
                    distinct,
                    ignore_nulls,
                    partition_by,
                    order_by,
                    frame,
                } = *call;
                let mut all = |es: Vec<Expr>| -> Result<Vec<Expr>> {
                    es.into_iter().map(|e| e.rewrite(f)).collect()
                };
                let args = all(args)?;
                let partition_by = all(partition_by)?;
                let order_by = order_by
                    .into_iter()
                    .map(|o| {
                        Ok(SortExpr {
                            expr: o.expr.rewrite(f)?,
                            ..o
                        })
                    })
                    .collect::<Result<_>>()?;
                Expr::Window(Box::new(WindowCall {
                    kind,
                    args,
                    distinct,
                    ignore_nulls,
                    partition_by,
                    order_by,
                    frame,
                }))
            }
            Expr::Lambda(call) => {
                let LambdaCall {
                    func,
                    list,
                    others,
                    params,
                    param_types,
                    body,
                    captures,
                } = *call;
                let mut all = |es: Vec<Expr>| -> Result<Vec<Expr>> {
                    es.into_iter().map(|e| e.rewrite(f)).collect()
                };
                let others = all(others)?;
                let captures = all(captures)?;
                Expr::Lambda(Box::new(LambdaCall {
                    func,
                    list: list.rewrite(f)?,
                    others,
                    params,
                    param_types,
                    body,
                    captures,
                }))
            }
        })
    }

    /// Every column referenced, in order of first appearance.
    pub fn columns(&self) -> Vec<Column> {
        let mut out: Vec<Column> = vec![];
        self.visit(&mut |e| {
            if let Expr::Column(c) = e {
                if !out.contains(c) {
                    out.push(c.clone());
                }
            }
        });
        out
    }

    /// True if the expression contains an aggregate call (outside window
    /// calls, whose aggregates are computed by the window operator).
    pub fn contains_aggregate(&self) -> bool {
        match self {
            Expr::Aggregate(_) => true,
            Expr::Window(call) => call
                .args
                .iter()
                .chain(&call.partition_by)
                .chain(call.order_by.iter().map(|o| &o.expr))
                .any(Expr::contains_aggregate),
            other => other.children().into_iter().any(Expr::contains_aggregate),
        }
    }

    /// True if the expression contains a window call.
    pub fn contains_window(&self) -> bool {
        self.any(&mut |e| matches!(e, Expr::Window(_)))
    }

    /// True if the expression calls a volatile function (`random()`), so
    /// that it may be computed neither ahead, nor once for two places, nor
    /// anywhere it would run for other rows.
    pub fn is_volatile(&self) -> bool {
        self.any(&mut |e| match e {
            Expr::ScalarFunction(f, _) => f.0.volatility() == Volatility::Volatile,
            Expr::Lambda(call) => call.body.is_volatile(),
            _ => false,
        })
    }

    /// True if the expression contains a subquery.
    pub fn contains_subquery(&self) -> bool {
        self.any(&mut |e| {
            matches!(
                e,
                Expr::ScalarSubquery(_) | Expr::Exists { .. } | Expr::Quantified { .. }
            )
        })
    }

    /// True if the expression refers to a column of an enclosing query.
    pub fn contains_outer_column(&self) -> bool {
        self.any(&mut |e| matches!(e, Expr::OuterColumn { .. }))
    }

    /// `self IS NULL`.
    pub fn is_null(self) -> Expr {
        Expr::IsNull(Box::new(self))
    }

    /// `self OR other`.
    pub fn or(self, other: Expr) -> Expr {
        self.binary(Operator::Or, other)
    }

    /// `column = constant`, `constant = column` or `column IN (constants)`
    /// (not negated): the column and the constants it is compared with.
    pub fn column_equal_to_constants(&self) -> Option<(&Column, Vec<&ScalarValue>)> {
        match self {
            Expr::Binary(l, Operator::Eq, r) => match (l.as_ref(), r.as_ref()) {
                (Expr::Column(c), Expr::Literal(v)) | (Expr::Literal(v), Expr::Column(c)) => {
                    Some((c, vec![v]))
                }
                _ => None,
            },
            Expr::InList {
                expr,
                list,
                negated: false,
            } => {
                let Expr::Column(c) = expr.as_ref() else {
                    return None;
                };
                let constants = list
                    .iter()
                    .map(|e| match e {
                        Expr::Literal(v) => Some(v),
                        _ => None,
                    })
                    .collect::<Option<Vec<_>>>()?;
                Some((c, constants))
            }
            _ => None,
        }
    }
}

/// The types of `args` over `schema`.
pub fn arg_types(args: &[Expr], schema: &QSchema) -> Result<Vec<DataType>> {
    args.iter().map(|a| a.data_type(schema)).collect()
}

/// Splits `a AND b AND c` into its conjuncts.
pub fn split_conjunction(expr: &Expr) -> Vec<&Expr> {
    match expr {
        Expr::Binary(l, Operator::And, r) => {
            let mut v = split_conjunction(l);
            v.extend(split_conjunction(r));
            v
        }
        Expr::Alias(e, _) => split_conjunction(e),
        other => vec![other],
    }
}

/// Splits `a OR b OR c` into its disjuncts.
pub fn split_disjunction(expr: &Expr) -> Vec<&Expr> {
    match expr {
        Expr::Binary(l, Operator::Or, r) => {
            let mut v = split_disjunction(l);
            v.extend(split_disjunction(r));
            v
        }
        other => vec![other],
    }
}

/// Joins expressions with AND; `None` for an empty list.
pub fn conjunction(exprs: impl IntoIterator<Item = Expr>) -> Option<Expr> {
    let joined: std::result::Result<_, std::convert::Infallible> =
        join_chain(exprs.into_iter().collect(), |l, r| Ok(l.and(r)));
    joined.unwrap_or_else(|never| match never {})
}

/// The longest chain [`join_chain`] joins as written (left-deep).
pub const LEFT_DEEP_CHAIN: usize = 64;

/// Joins `terms` pairwise with `join` (an AND or an OR): left-deep, as the
/// parser reads `a AND b AND c`, up to [`LEFT_DEEP_CHAIN`] terms, and as a
/// balanced tree beyond, so that the passes that recurse over a generated
/// filter of thousands of terms stay shallow. `None` for no terms.
pub fn join_chain<E>(
    terms: Vec<Expr>,
    mut join: impl FnMut(Expr, Expr) -> std::result::Result<Expr, E>,
) -> std::result::Result<Option<Expr>, E> {
    if terms.len() <= LEFT_DEEP_CHAIN {
        let mut terms = terms.into_iter();
        let Some(first) = terms.next() else {
            return Ok(None);
        };
        return terms.try_fold(first, join).map(Some);
    }
    let mut level = terms;
    while level.len() > 1 {
        let mut paired = Vec::with_capacity(level.len().div_ceil(2));
        let mut rest = level.into_iter();
        while let Some(left) = rest.next() {
            paired.push(match rest.next() {
                Some(right) => join(left, right)?,
                None => left,
            });
        }
        level = paired;
    }
    Ok(level.pop())
}

/// Renders an expression with every column unqualified (for output names).
struct Unqualified<'a>(&'a Expr);

impl fmt::Display for Unqualified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_expr(self.0, f, false)
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_expr(self, f, true)
    }
}

fn write_literal(v: &ScalarValue, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    if v.is_null() {
        return f.write_str("NULL");
    }
    match v {
        ScalarValue::Utf8(Some(s))
        | ScalarValue::LargeUtf8(Some(s))
        | ScalarValue::Utf8View(Some(s)) => {
            write!(f, "'{}'", s.replace('\'', "''"))
        }
        ScalarValue::Date32(_) => write!(f, "DATE '{v}'"),
        ScalarValue::TimestampMicrosecond(..)
        | ScalarValue::TimestampNanosecond(..)
        | ScalarValue::TimestampMillisecond(..)
        | ScalarValue::TimestampSecond(..)
        | ScalarValue::Time64Microsecond(_)
        | ScalarValue::Time64Nanosecond(_) => {
            // As the value is written (`TIMESTAMP '2024-06-01 04:00:00'`),
            // not as Arrow's count of microseconds.
            let name = match v.data_type() {
                DataType::Timestamp(_, Some(_)) => "TIMESTAMPTZ",
                DataType::Timestamp(_, None) => "TIMESTAMP",
                _ => "TIME",
            };
            let text = v
                .to_array()
                .ok()
                .and_then(|a| crate::value_text::sql_text(&a).ok())
                .and_then(|t| {
                    use arrow::array::AsArray;
                    t.as_string_opt::<i32>().map(|s| s.value(0).to_string())
                })
                .unwrap_or_else(|| v.to_string());
            write!(f, "{name} '{text}'")
        }
        ScalarValue::FixedSizeBinary(16, Some(bytes)) => {
            write!(f, "CAST('{}' AS UUID)", crate::uuid::uuid_text(bytes))
        }
        ScalarValue::IntervalMonthDayNano(Some(i)) => {
            write!(f, "INTERVAL '{}'", crate::value_text::interval_text(*i))
        }
        ScalarValue::IntervalDayTime(Some(i)) => {
            write!(f, "INTERVAL '{} days {} ms'", i.days, i.milliseconds)
        }
        other => write!(f, "{other}"),
    }
}

fn write_expr(e: &Expr, f: &mut fmt::Formatter<'_>, qualified: bool) -> fmt::Result {
    let sub = |e: &Expr| {
        if qualified {
            e.to_string()
        } else {
            Unqualified(e).to_string()
        }
    };
    let list = |es: &[Expr]| es.iter().map(sub).collect::<Vec<_>>().join(", ");
    match e {
        Expr::Column(c) if qualified => write!(f, "{c}"),
        Expr::Column(c) => f.write_str(&c.name),
        Expr::OuterColumn { column, .. } if qualified => write!(f, "outer({column})"),
        Expr::OuterColumn { column, .. } => f.write_str(&column.name),
        Expr::ScalarSubquery(s) => write!(f, "({})", s.sql),
        Expr::Exists { subquery, negated } => write!(
            f,
            "{}EXISTS ({})",
            if *negated { "NOT " } else { "" },
            subquery.sql
        ),
        Expr::Quantified {
            expr,
            op,
            all,
            subquery,
        } => match (op, all) {
            (Operator::Eq, false) => write!(f, "({} IN ({}))", sub(expr), subquery.sql),
            (Operator::NotEq, true) => write!(f, "({} NOT IN ({}))", sub(expr), subquery.sql),
            _ => write!(
                f,
                "({} {op} {} ({}))",
                sub(expr),
                if *all { "ALL" } else { "ANY" },
                subquery.sql
            ),
        },
        Expr::Literal(v) => write_literal(v, f),
        Expr::Alias(inner, name) if qualified => write!(f, "{} AS {name}", sub(inner)),
        Expr::Alias(inner, _) => f.write_str(&sub(inner)),
        Expr::Binary(l, op, r) => write!(f, "({} {op} {})", sub(l), sub(r)),
        Expr::Not(e) => write!(f, "(NOT {})", sub(e)),
        Expr::Negative(e) => write!(f, "(- {})", sub(e)),
        Expr::IsNull(e) => write!(f, "({} IS NULL)", sub(e)),
        Expr::IsNotNull(e) => write!(f, "({} IS NOT NULL)", sub(e)),
        Expr::InList {
            expr,
            list: l,
            negated,
        } => {
            write!(
                f,
                "({} {}IN ({}))",
                sub(expr),
                if *negated { "NOT " } else { "" },
                list(l)
            )
        }
        Expr::Like {
            negated,
            case_insensitive,
            expr,
            pattern,
            escape,
        } => {
            write!(
                f,
                "({} {}{} {}",
                sub(expr),
                if *negated { "NOT " } else { "" },
                if *case_insensitive { "ILIKE" } else { "LIKE" },
                sub(pattern)
            )?;
            if let Some(c) = escape {
                write!(f, " ESCAPE '{c}'")?;
            }
            f.write_str(")")
        }
        Expr::Case {
            operand,
            when_then,
            else_expr,
        } => {
            f.write_str("CASE")?;
            if let Some(o) = operand {
                write!(f, " {}", sub(o))?;
            }
            for (w, t) in when_then {
                write!(f, " WHEN {} THEN {}", sub(w), sub(t))?;
            }
            if let Some(e) = else_expr {
                write!(f, " ELSE {}", sub(e))?;
            }
            f.write_str(" END")
        }
        Expr::Cast(e, t) => write!(f, "CAST({} AS {})", sub(e), sql_type_name(t)),
        Expr::TryCast(e, t) => write!(f, "TRY_CAST({} AS {})", sub(e), sql_type_name(t)),
        Expr::Try(e) => write!(f, "TRY({})", sub(e)),
        Expr::ScalarFunction(func, args) => write!(f, "{}({})", func.0.name(), list(args)),
        Expr::Aggregate(call) => {
            let args = if call.args.is_empty() {
                "*".to_string()
            } else {
                list(&call.args)
            };
            let order = if call.order_by.is_empty() {
                String::new()
            } else {
                let keys: Vec<String> = call.order_by.iter().map(|o| o.to_string()).collect();
                format!(" ORDER BY {}", keys.join(", "))
            };
            write!(
                f,
                "{}({}{args}{order})",
                call.func.0.name(),
                if call.distinct { "DISTINCT " } else { "" }
            )?;
            match &call.filter {
                Some(c) => write!(f, " FILTER (WHERE {})", sub(c)),
                None => Ok(()),
            }
        }
        Expr::Lambda(call) => {
            write!(
                f,
                "{}({}, lambda {}: {}",
                call.func.0.name(),
                sub(&call.list),
                call.params.join(", "),
                sub(&call.body_as_written())
            )?;
            for other in &call.others {
                write!(f, ", {}", sub(other))?;
            }
            f.write_str(")")
        }
        Expr::Window(call) => {
            let args = match &call.kind {
                WindowKind::Aggregate(_) if call.args.is_empty() => "*".to_string(),
                _ => list(&call.args),
            };
            write!(
                f,
                "{}({}{args})",
                call.kind.name(),
                if call.distinct { "DISTINCT " } else { "" },
            )?;
            if call.ignore_nulls {
                f.write_str(" IGNORE NULLS")?;
            }
            let mut parts = vec![];
            if !call.partition_by.is_empty() {
                parts.push(format!("PARTITION BY {}", list(&call.partition_by)));
            }
            if !call.order_by.is_empty() {
                let keys: Vec<String> = call
                    .order_by
                    .iter()
                    .map(|o| {
                        let mut key = sub(&o.expr);
                        if !o.asc {
                            key.push_str(" DESC");
                        }
                        if o.nulls_first == o.asc {
                            key.push_str(if o.nulls_first {
                                " NULLS FIRST"
                            } else {
                                " NULLS LAST"
                            });
                        }
                        key
                    })
                    .collect();
                parts.push(format!("ORDER BY {}", keys.join(", ")));
            }
            if call.frame != WindowFrame::default_for(!call.order_by.is_empty()) {
                parts.push(call.frame.to_string());
            }
            write!(f, " OVER ({})", parts.join(" "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{field, QField};

    fn schema() -> QSchema {
        QSchema::new(vec![QField::new(
            Some("t".into()),
            field("a", DataType::Int64, false),
        )])
    }

    fn a() -> Expr {
        Expr::col(Column::new(Some("t"), "a"))
    }

    #[test]
    fn literals_of_other_types_differ_though_their_values_match() {
        use std::collections::hash_map::DefaultHasher;
        let stamp = |zone: Option<&str>| {
            Expr::lit(ScalarValue::TimestampMicrosecond(
                Some(1_704_067_200_000_000),
                zone.map(Into::into),
            ))
        };
        let hash = |e: &Expr| {
            let mut hasher = DefaultHasher::new();
            e.hash(&mut hasher);
            hasher.finish()
        };
        let (local, zoned) = (stamp(None), stamp(Some("UTC")));
        assert_ne!(local, zoned);
        assert_eq!(local, stamp(None));
        assert_eq!(hash(&zoned), hash(&stamp(Some("UTC"))));
        let add = |e: Expr| a().binary(Operator::Plus, e);
        assert_ne!(add(local.clone()), add(zoned));
        assert_eq!(add(local.clone()), add(local));
    }

    #[test]
    fn display_and_output_names() {
        let e = a().binary(Operator::Plus, Expr::lit(ScalarValue::Int64(Some(1))));
        assert_eq!(e.to_string(), "(t.a + 1)");
        assert_eq!(e.output_name(), "(a + 1)");
        assert_eq!(e.clone().alias("b").output_name(), "b");
        assert_eq!(
            Expr::lit(ScalarValue::Utf8(Some("it's".into()))).to_string(),
            "'it''s'"
        );
    }

    #[test]
    fn types_and_nullability() {
        let s = schema();
        let cmp = a().binary(Operator::Lt, Expr::lit(ScalarValue::Int64(Some(1))));
        assert_eq!(cmp.data_type(&s).unwrap(), DataType::Boolean);
        assert!(!a().nullable(&s).unwrap());
        assert!(Expr::lit(ScalarValue::Int64(None)).nullable(&s).unwrap());
    }

    #[test]
    fn conjunctions_split_and_join() {
        let p = a().and(a()).and(a());
        assert_eq!(split_conjunction(&p).len(), 3);
        assert_eq!(conjunction(vec![a(), a()]), Some(a().and(a())));
        assert_eq!(conjunction(vec![]), None);
    }

    #[test]
    fn rewrite_replaces_columns() {
        let e = a().binary(Operator::Plus, a());
        let out = e
            .rewrite(&mut |e| {
                Ok(matches!(e, Expr::Column(_)).then(|| Expr::lit(ScalarValue::Int64(Some(2)))))
            })
            .unwrap();
        assert_eq!(out.to_string(), "(2 + 2)");
        assert_eq!(a().binary(Operator::Plus, a()).columns().len(), 1);
    }
}
