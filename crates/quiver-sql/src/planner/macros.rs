//! Macros (DuckDB's `CREATE MACRO`): a scalar macro is an expression with
//! parameters, called like a function; a table macro is a query with
//! parameters, called in FROM. A call is expanded where it stands: each
//! parameter in the body becomes the argument (in parentheses), and the
//! body is bound in the caller's scope.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::sync::Arc;

use quiver_expr::logical_plan::{Ddl, Macro, MacroBody};
use quiver_expr::{not_impl_err, Expr, LogicalPlan, QSchema, QuiverError, Result};
use sqlparser::ast::{
    self, visit_expressions_mut, FunctionArg, FunctionArgExpr, FunctionArgOperator,
    FunctionArguments, MacroArg, MacroDefinition, ObjectName,
};

use super::{object_name, parse_expression, parse_query, SqlPlanner};

/// How many macro calls may enclose one another.
const MAX_MACRO_DEPTH: usize = 64;

impl SqlPlanner<'_> {
    /// `CREATE [OR REPLACE] MACRO name(params) AS expr | TABLE query`.
    pub(crate) fn create_macro(
        &self,
        name: &ObjectName,
        args: Option<&[MacroArg]>,
        definition: &MacroDefinition,
        or_replace: bool,
        temporary: bool,
    ) -> Result<LogicalPlan> {
        let name = self.catalog_name(name)?.to_lowercase();
        if self.provider.scalar_function(&name).is_some()
            || self.provider.aggregate_function(&name).is_some()
        {
            return Err(QuiverError::Plan(format!(
                "cannot make a macro \"{name}\": a function of that name exists"
            )));
        }
        let mut parameters: Vec<(String, Option<String>)> = vec![];
        for arg in args.unwrap_or_default() {
            let parameter = arg.name.value.to_lowercase();
            if parameters.iter().any(|(p, _)| *p == parameter) {
                return Err(QuiverError::Plan(format!(
                    "macro {name} names parameter \"{parameter}\" twice"
                )));
            }
            let default = arg.default_expr.as_ref().map(ToString::to_string);
            if default.is_none() && parameters.iter().any(|(_, d)| d.is_some()) {
                return Err(QuiverError::Plan(format!(
                    "macro {name}: parameter \"{parameter}\" without a default comes after one with a default"
                )));
            }
            parameters.push((parameter, default));
        }
        let calls_itself = match definition {
            MacroDefinition::Expr(e) => calls(e, &name),
            MacroDefinition::Table(q) => calls(q.as_ref(), &name),
        };
        if calls_itself {
            return Err(QuiverError::Plan(format!(
                "macro {name} calls itself; a macro cannot be recursive"
            )));
        }
        let body = match definition {
            MacroDefinition::Expr(e) => MacroBody::Expr(e.to_string()),
            MacroDefinition::Table(q) => MacroBody::Table(q.to_string()),
        };
        let create = Ddl::CreateMacro {
            name: name.clone(),
            definition: Arc::new(Macro { parameters, body }),
            or_replace,
        };
        Ok(LogicalPlan::Ddl(super::temporary_if(
            temporary, name, create,
        )))
    }

    /// The call `f` of the scalar macro `m`, bound over `schema`.
    pub(crate) fn scalar_macro_call(
        &self,
        name: &str,
        m: &Macro,
        f: &ast::Function,
        schema: &QSchema,
    ) -> Result<Expr> {
        let MacroBody::Expr(body) = &m.body else {
            return Err(QuiverError::Plan(format!(
                "{name} is a table macro; call it in FROM"
            )));
        };
        let args = match &f.args {
            FunctionArguments::None => vec![],
            FunctionArguments::List(list) => list.args.clone(),
            FunctionArguments::Subquery(_) => {
                return not_impl_err!("a subquery as the argument list of macro {name}")
            }
        };
        let values = arguments(name, m, &args)?;
        let mut expanded = parse_expression(body)?;
        substitute(&mut expanded, &values);
        self.expanding(name, || self.sql_to_expr(&expanded, schema))
    }

    /// The call of the table macro `m` in FROM with `args`.
    pub(crate) fn table_macro_call(
        &self,
        name: &str,
        m: &Macro,
        args: &[FunctionArg],
    ) -> Result<LogicalPlan> {
        let MacroBody::Table(body) = &m.body else {
            return Err(QuiverError::Plan(format!(
                "{name} is a scalar macro; call it like a function, not in FROM"
            )));
        };
        let values = arguments(name, m, args)?;
        let mut expanded = parse_query(body)?;
        substitute(&mut expanded, &values);
        self.expanding(name, || self.plan_query(&expanded))
    }

    /// The column name of a select item that is a macro call: the call as
    /// written (`twice(i)`), as DuckDB names it, rather than its expansion.
    pub(crate) fn macro_call_name(&self, e: &ast::Expr) -> Option<String> {
        let ast::Expr::Function(f) = e else {
            return None;
        };
        let name = object_name(&f.name).ok()?.to_lowercase();
        self.provider.get_macro(&name).map(|_| e.to_string())
    }

    /// Runs `expand` one macro level deeper, refusing runaway recursion.
    fn expanding<T>(&self, name: &str, expand: impl FnOnce() -> Result<T>) -> Result<T> {
        let depth = self.macro_depth.get();
        if depth >= MAX_MACRO_DEPTH {
            return Err(QuiverError::Plan(format!(
                "macro {name} expands more than {MAX_MACRO_DEPTH} calls deep (does it call itself?)"
            )));
        }
        self.macro_depth.set(depth + 1);
        let result = expand();
        self.macro_depth.set(depth);
        result
    }
}

/// Each parameter of `m` with the expression it takes from `args`:
/// positional arguments in order, `param := value` by name, defaults for
/// the rest.
fn arguments(name: &str, m: &Macro, args: &[FunctionArg]) -> Result<HashMap<String, ast::Expr>> {
    let mut values: HashMap<String, ast::Expr> = HashMap::new();
    let mut position = 0;
    for arg in args {
        let (parameter, value) = match arg {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => {
                let Some((parameter, _)) = m.parameters.get(position) else {
                    return Err(QuiverError::Plan(format!(
                        "macro {name}() takes {} arguments, got more",
                        m.parameters.len()
                    )));
                };
                position += 1;
                (parameter.clone(), e.clone())
            }
            FunctionArg::Named {
                name: parameter,
                arg: FunctionArgExpr::Expr(e),
                operator:
                    FunctionArgOperator::Assignment
                    | FunctionArgOperator::RightArrow
                    | FunctionArgOperator::Equals,
            } => (parameter.value.to_lowercase(), e.clone()),
            other => {
                return Err(QuiverError::Plan(format!(
                    "macro {name}() cannot take the argument {other}"
                )))
            }
        };
        if !m.parameters.iter().any(|(p, _)| *p == parameter) {
            return Err(QuiverError::Plan(format!(
                "macro {name}() has no parameter \"{parameter}\""
            )));
        }
        if values.insert(parameter.clone(), value).is_some() {
            return Err(QuiverError::Plan(format!(
                "macro {name}() is given \"{parameter}\" twice"
            )));
        }
    }
    for (parameter, default) in &m.parameters {
        if values.contains_key(parameter) {
            continue;
        }
        match default {
            Some(text) => {
                values.insert(parameter.clone(), parse_expression(text)?);
            }
            None => {
                let required = m.parameters.iter().filter(|(_, d)| d.is_none()).count();
                return Err(QuiverError::Plan(format!(
                    "macro {name}() takes {required} argument{} without defaults; \"{parameter}\" is missing",
                    if required == 1 { "" } else { "s" }
                )));
            }
        }
    }
    Ok(values)
}

/// Whether `body` calls a function (or table function) called `name`.
fn calls<V: sqlparser::ast::Visit>(body: &V, name: &str) -> bool {
    let named = |n: &ObjectName| object_name(n).is_ok_and(|n| n.eq_ignore_ascii_case(name));
    let in_expressions = sqlparser::ast::visit_expressions(body, |e| match e {
        ast::Expr::Function(f) if named(&f.name) => ControlFlow::Break(()),
        _ => ControlFlow::Continue(()),
    });
    let in_relations = sqlparser::ast::visit_relations(body, |r| match named(r) {
        true => ControlFlow::Break(()),
        false => ControlFlow::Continue(()),
    });
    in_expressions.is_break() || in_relations.is_break()
}

/// Replaces each unqualified name in `body` that is a parameter by its
/// value, in parentheses.
fn substitute<V: sqlparser::ast::VisitMut>(body: &mut V, values: &HashMap<String, ast::Expr>) {
    let _ = visit_expressions_mut(body, |e| {
        if let ast::Expr::Identifier(i) = e {
            if let Some(value) = values.get(&i.value.to_lowercase()) {
                *e = ast::Expr::Nested(Box::new(value.clone()));
            }
        }
        ControlFlow::<()>::Continue(())
    });
}
