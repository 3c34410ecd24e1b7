//! Binding calls of lambda functions (`list_transform(l, lambda x: x + 1)`).
//! The lambda's body is bound with its parameters as the only columns and
//! the calling row as an enclosing scope: the parameters shadow the row's
//! columns, and what the body reads from the row (resolved as outer
//! columns) becomes the call's captures.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field};
use quiver_expr::lambda::element_type;
use quiver_expr::types::sql_type_name;
use quiver_expr::{
    Expr, LambdaCall, LambdaFunction, LambdaFunctionRef, QSchema, QuiverError, Result,
};
use sqlparser::ast::{self, FunctionArg, FunctionArgExpr, FunctionArguments};

use super::expr::cast_expr;
use super::SqlPlanner;

/// The parameters and body of `e` when it is a lambda: `x -> body`,
/// `(x, i) -> body` (what `lambda x, i: body` is parsed into).
pub(super) fn lambda_parts(e: &ast::Expr) -> Option<(Vec<String>, &ast::Expr)> {
    let ast::Expr::BinaryOp {
        left,
        op: ast::BinaryOperator::Arrow,
        right,
    } = e
    else {
        return None;
    };
    let name = |e: &ast::Expr| match e {
        ast::Expr::Identifier(i) => Some(i.value.clone()),
        _ => None,
    };
    let params = match left.as_ref() {
        ast::Expr::Tuple(items) => items.iter().map(name).collect::<Option<Vec<_>>>()?,
        ast::Expr::Nested(inner) => vec![name(inner)?],
        single => vec![name(single)?],
    };
    Some((params, right))
}

impl SqlPlanner<'_> {
    /// `func(list, lambda params: body [, others])`.
    pub(crate) fn lambda_call(
        &self,
        func: Arc<dyn LambdaFunction>,
        f: &ast::Function,
        schema: &QSchema,
    ) -> Result<Expr> {
        let name = func.name().to_string();
        let args = plain_arguments(&name, f)?;
        let Some((params, body)) = args.get(1).and_then(|a| lambda_parts(a)) else {
            return Err(QuiverError::Plan(format!(
                "{name} takes a list and a lambda, such as {name}(l, lambda x: x + 1)"
            )));
        };
        if let Some(repeated) = params
            .iter()
            .enumerate()
            .find(|(i, p)| params[..*i].iter().any(|q| q.eq_ignore_ascii_case(p)))
        {
            return Err(QuiverError::Plan(format!(
                "the lambda of {name} names its parameter {} twice",
                repeated.1
            )));
        }
        let list = self.list_argument(&name, args[0], schema)?;
        let others = args[2..]
            .iter()
            .map(|a| self.sql_to_expr(a, schema))
            .collect::<Result<Vec<_>>>()?;
        let other_types = others
            .iter()
            .map(|e| e.data_type(schema))
            .collect::<Result<Vec<_>>>()?;
        let element = element_type(&list.data_type(schema)?);
        let mut param_types = func.parameter_types(&element, params.len(), &other_types)?;
        let mut call = self.bind_lambda(func, list, others, params, &param_types, body, schema)?;
        let body_schema = call.body_schema(schema)?;
        let body_type = call.body.data_type(&body_schema)?;
        if let Some(wider) = call.func.0.rebind(&param_types, &body_type) {
            param_types = wider;
            let LambdaCall {
                func,
                list,
                others,
                params,
                ..
            } = call;
            call = self.bind_lambda(func.0, list, others, params, &param_types, body, schema)?;
        }
        let body_schema = call.body_schema(schema)?;

        let body_type = call.body.data_type(&body_schema)?;
        let wanted = call.func.0.body_type(&param_types, &body_type)?;
        call.body = cast_expr(call.body, &wanted, &body_schema)?;
        Ok(Expr::Lambda(Box::new(call)))
    }

    /// The call with `body` bound for parameters of `param_types`.
    #[allow(clippy::too_many_arguments)]
    fn bind_lambda(
        &self,
        func: Arc<dyn LambdaFunction>,
        list: Expr,
        others: Vec<Expr>,
        params: Vec<String>,
        param_types: &[DataType],
        body: &ast::Expr,
        schema: &QSchema,
    ) -> Result<LambdaCall> {
        let params_schema = LambdaCall::schema_of(&params, param_types, &[], schema)?;
        let name = func.name().to_string();
        let body = self.in_scope_of(schema, || self.sql_to_expr(body, &params_schema))?;
        reject_in_body(&name, &body)?;
        let (body, captures) = captured(body, schema)?;
        Ok(LambdaCall {
            func: LambdaFunctionRef(func),
            list,
            others,
            params,
            param_types: param_types.to_vec(),
            body,
            captures,
        })
    }

    /// The list argument of a lambda function, as a `List`.
    fn list_argument(&self, name: &str, arg: &ast::Expr, schema: &QSchema) -> Result<Expr> {
        let list = self.sql_to_expr(arg, schema)?;
        let target = match list.data_type(schema)? {
            DataType::List(_) => return Ok(list),
            DataType::LargeList(f) | DataType::FixedSizeList(f, _) => DataType::List(f),
            DataType::Null => DataType::List(Arc::new(Field::new_list_field(DataType::Null, true))),
            other => {
                return Err(QuiverError::Plan(format!(
                    "{name} needs a list as its first argument, not {}",
                    sql_type_name(&other)
                )))
            }
        };
        cast_expr(list, &target, schema)
    }
}

/// The arguments of a lambda function's call, which takes no `DISTINCT`,
/// `ORDER BY`, `FILTER`, `OVER` or named arguments.
fn plain_arguments<'a>(name: &str, f: &'a ast::Function) -> Result<Vec<&'a ast::Expr>> {
    let FunctionArguments::List(list) = &f.args else {
        return Err(QuiverError::Plan(format!(
            "{name} takes a list and a lambda"
        )));
    };
    if list.duplicate_treatment.is_some()
        || !list.clauses.is_empty()
        || f.filter.is_some()
        || f.over.is_some()
        || !f.within_group.is_empty()
    {
        return Err(QuiverError::Plan(format!(
            "{name} is not an aggregate: it takes no DISTINCT, ORDER BY, FILTER or OVER"
        )));
    }
    list.args
        .iter()
        .map(|a| match a {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Ok(e),
            other => Err(QuiverError::NotImplemented(format!(
                "argument {other} of {name} is not supported"
            ))),
        })
        .collect()
}

/// An error for what a lambda's body cannot hold.
fn reject_in_body(name: &str, body: &Expr) -> Result<()> {
    let what = if body.contains_aggregate() {
        "an aggregate"
    } else if body.contains_window() {
        "a window call"
    } else if body.contains_subquery() {
        "a subquery"
    } else {
        return Ok(());
    };
    Err(QuiverError::Plan(format!(
        "the lambda of {name} cannot hold {what}"
    )))
}

/// `body` with every value it reads from outside the lambda replaced by a
/// capture column, and the captured expressions: the calling row's columns
/// (over `schema`) or outer columns of an enclosing query.
fn captured(body: Expr, schema: &QSchema) -> Result<(Expr, Vec<Expr>)> {
    let mut captures: Vec<Expr> = vec![];
    let body = body.rewrite(&mut |e| {
        let Expr::OuterColumn { column, .. } = e else {
            return Ok(None);
        };
        let capture = match schema.find(column)? {
            Some(i) => Expr::Column(schema.field(i).column()),
            None => e.clone(),
        };
        let i = match captures.iter().position(|c| c == &capture) {
            Some(i) => i,
            None => {
                captures.push(capture);
                captures.len() - 1
            }
        };
        Ok(Some(Expr::Column(LambdaCall::capture_column(i))))
    })?;
    Ok((body, captures))
}
