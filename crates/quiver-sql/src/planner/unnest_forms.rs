//! The select-list forms of `unnest` that change the select list itself,
//! as in DuckDB: `unnest(s)` of a STRUCT gives one column per field (the
//! row count unchanged); `unnest(l, recursive := true)` unnests every
//! level of a list of lists and expands a struct element into its fields;
//! `unnest(l, max_depth := n)` unnests n levels of lists.

use arrow::datatypes::DataType;
use quiver_expr::{Expr, QSchema, QuiverError, Result, ScalarValue};
use sqlparser::ast::{self, FunctionArg, FunctionArgExpr, FunctionArguments};

use super::SqlPlanner;

/// The select items an `unnest` stands for.
pub(crate) struct UnnestItems {
    /// The items, in order.
    pub items: Vec<(Expr, String)>,
    /// Whether they are a struct's fields, named after them (an alias of
    /// the call is then ignored, as in DuckDB).
    pub fields: bool,
}

/// How deep an `unnest` goes.
struct Depth {
    /// Levels of lists to unnest.
    lists: usize,
    /// Whether struct elements (and nested structs) are expanded.
    structs: bool,
}

/// The levels of list nesting of `t`.
fn list_levels(t: &DataType) -> usize {
    match t {
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => {
            1 + list_levels(f.data_type())
        }
        _ => 0,
    }
}

/// The argument of a call of `unnest` and its `recursive` / `max_depth`
/// options; `None` when `f` is not such a call.
fn unnest_parts(f: &ast::Function) -> Option<(&ast::Expr, Vec<(String, &ast::Expr)>)> {
    let name = f.name.0.last()?.as_ident()?.value.to_lowercase();
    let FunctionArguments::List(list) = &f.args else {
        return None;
    };
    if name != "unnest" || f.over.is_some() {
        return None;
    }
    let mut value = None;
    let mut options = vec![];
    for arg in &list.args {
        match arg {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) if value.is_none() => value = Some(e),
            FunctionArg::Named {
                name,
                arg: FunctionArgExpr::Expr(e),
                ..
            } => options.push((name.value.to_lowercase(), e)),
            _ => return None,
        }
    }
    Some((value?, options))
}

/// Whether `f` is a call of `unnest` with `recursive` or `max_depth`.
pub(crate) fn has_unnest_options(f: &ast::Function) -> bool {
    unnest_parts(f).is_some_and(|(_, options)| !options.is_empty())
}

impl SqlPlanner<'_> {
    /// `unnest(l, recursive := …, max_depth := n)` anywhere an unnest may
    /// be: the unnest of `l` flattened to the depth asked, and whether
    /// struct elements are to be expanded (`recursive`).
    pub(crate) fn unnest_with_options(
        &self,
        f: &ast::Function,
        schema: &QSchema,
    ) -> Result<(Expr, bool)> {
        let Some((value, options)) = unnest_parts(f) else {
            return Err(QuiverError::Plan(format!("{f} is not an unnest call")));
        };
        let bound = self.sql_to_expr(value, schema)?;
        let value_type = bound.data_type(schema)?;
        let depth = self.depth(&options, &value_type, schema)?;
        if let DataType::Struct(_) = value_type {
            return Err(QuiverError::Plan(
                "unnest of a STRUCT must be a whole select item (its fields become columns)".into(),
            ));
        }
        // Deeper than the list goes is as deep as it goes, as in DuckDB.
        let levels = depth.lists.min(list_levels(&value_type).max(1));
        let mut flat = bound;
        for _ in 1..levels {
            flat = self.call_scalar("flatten", vec![flat], schema)?;
        }
        Ok((
            self.call_scalar("unnest", vec![flat], schema)?,
            depth.structs,
        ))
    }

    /// How deep an unnest with `options` goes into a value of `value_type`.
    fn depth(
        &self,
        options: &[(String, &ast::Expr)],
        value_type: &DataType,
        schema: &QSchema,
    ) -> Result<Depth> {
        let mut depth = Depth {
            lists: 1,
            structs: false,
        };
        for (name, option) in options {
            let option = self.sql_to_expr(option, schema)?;
            match (name.as_str(), option) {
                ("recursive", Expr::Literal(ScalarValue::Boolean(Some(recursive)))) => {
                    if recursive {
                        depth.lists = list_levels(value_type).max(1);
                        depth.structs = true;
                    }
                }
                ("max_depth", Expr::Literal(ScalarValue::Int64(Some(n)))) if n >= 1 => {
                    depth.lists = n as usize;
                }
                (name, option) => {
                    return Err(QuiverError::Plan(format!(
                        "unnest takes recursive := true|false and max_depth := n (n ≥ 1), \
                         not {name} := {option}"
                    )))
                }
            }
        }
        Ok(depth)
    }

    /// The select items `e` stands for when it is an `unnest` of a struct
    /// or with `recursive` / `max_depth`; `None` for anything else.
    pub(crate) fn unnest_items(
        &self,
        e: &ast::Expr,
        schema: &QSchema,
    ) -> Result<Option<UnnestItems>> {
        let ast::Expr::Function(f) = e else {
            return Ok(None);
        };
        let Some((value, options)) = unnest_parts(f) else {
            return Ok(None);
        };
        let fields = |items| {
            Ok(Some(UnnestItems {
                items,
                fields: true,
            }))
        };
        let bound = self.sql_to_expr(value, schema)?;
        let value_type = bound.data_type(schema)?;
        if let DataType::Struct(_) = value_type {
            let depth = self.depth(&options, &value_type, schema)?;
            return fields(self.struct_fields(bound, schema, depth.structs)?);
        }
        if options.is_empty() {
            return Ok(None);
        }
        let (unnested, expand) = self.unnest_with_options(f, schema)?;
        match unnested.data_type(schema)? {
            DataType::Struct(_) if expand => fields(self.struct_fields(unnested, schema, true)?),
            _ => Ok(Some(UnnestItems {
                items: vec![(unnested, e.to_string())],
                fields: false,
            })),
        }
    }

    /// A column per field of the struct `value`, named after the field;
    /// nested structs expanded too when `nested`.
    fn struct_fields(
        &self,
        value: Expr,
        schema: &QSchema,
        nested: bool,
    ) -> Result<Vec<(Expr, String)>> {
        let DataType::Struct(fields) = value.data_type(schema)? else {
            return Ok(vec![]);
        };
        let mut items = vec![];
        for f in fields.iter() {
            let name = Expr::Literal(ScalarValue::Utf8(Some(f.name().clone())));
            let field = self.call_scalar("struct_extract", vec![value.clone(), name], schema)?;
            match f.data_type() {
                DataType::Struct(_) if nested => {
                    items.extend(self.struct_fields(field, schema, nested)?)
                }
                _ => items.push((field, f.name().clone())),
            }
        }
        Ok(items)
    }
}
