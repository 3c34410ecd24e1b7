//! Nested values in expressions: list, struct and map literals
//! (`[1, 2]`, `ARRAY[1, 2]`, `{'a': 1}`, `MAP {'k': 1}`), `struct_pack(a
//! := 1)`, element and field access (`l[1]`, `l[2:3]`, `m['k']`,
//! `s['f']`, `s.f`, `t.s.f`), and `||` between lists. Each binds to a call
//! of a registered function (`list_value`, `struct_pack`, `map`,
//! `array_extract`, `list_slice`, `struct_extract`, `list_concat`).

use arrow::datatypes::DataType;
use quiver_expr::types::{is_tuple, sql_type_name};
use quiver_expr::{Column, Expr, QSchema, QuiverError, Result, ScalarValue};
use sqlparser::ast::{self, AccessExpr, FunctionArg, FunctionArgExpr, Subscript};

use super::SqlPlanner;

/// A text constant.
fn text(value: &str) -> Expr {
    Expr::Literal(ScalarValue::Utf8(Some(value.to_string())))
}

/// An integer constant.
fn integer(value: i64) -> Expr {
    Expr::Literal(ScalarValue::Int64(Some(value)))
}

/// The name DuckDB gives a select item that reads a struct field with dots
/// (`s.a` and `t.s.a` are named `a`); `None` for other items.
pub(crate) fn field_name(item: &ast::Expr, bound: &Expr) -> Option<String> {
    if matches!(bound, Expr::Column(_)) {
        return None;
    }
    match item {
        ast::Expr::CompoundIdentifier(names) => names.last().map(|n| n.value.clone()),
        // ARRAY(subquery) is named as written, not after its rewriting.
        ast::Expr::Function(f) if matches!(f.args, ast::FunctionArguments::Subquery(_)) => {
            Some(item.to_string())
        }
        ast::Expr::CompoundFieldAccess { access_chain, .. } => match access_chain.last()? {
            AccessExpr::Dot(ast::Expr::Identifier(field)) => Some(field.value.clone()),
            _ => None,
        },
        _ => None,
    }
}

impl SqlPlanner<'_> {
    /// `[a, b]` or `ARRAY[a, b]`.
    pub(crate) fn list_literal(&self, elements: &[ast::Expr], schema: &QSchema) -> Result<Expr> {
        let args = elements
            .iter()
            .map(|e| self.sql_to_expr(e, schema))
            .collect::<Result<Vec<_>>>()?;
        self.call_scalar("list_value", args, schema)
    }

    /// `{'a': x, 'b': y}`.
    pub(crate) fn struct_literal(
        &self,
        fields: &[ast::DictionaryField],
        schema: &QSchema,
    ) -> Result<Expr> {
        let mut args = vec![];
        for field in fields {
            args.push(text(&field.key.value));
            args.push(self.sql_to_expr(&field.value, schema)?);
        }
        self.call_scalar("struct_pack", args, schema)
    }

    /// `struct_pack(a := x, b := y)` (also `=>`).
    pub(crate) fn struct_pack_call(&self, args: &[FunctionArg], schema: &QSchema) -> Result<Expr> {
        let mut bound = vec![];
        for arg in args {
            match arg {
                FunctionArg::Named {
                    name,
                    arg: FunctionArgExpr::Expr(e),
                    ..
                } => {
                    bound.push(text(&name.value));
                    bound.push(self.sql_to_expr(e, schema)?);
                }
                // A bare column keeps its name, as in DuckDB.
                FunctionArg::Unnamed(FunctionArgExpr::Expr(e @ ast::Expr::Identifier(id))) => {
                    bound.push(text(&id.value));
                    bound.push(self.sql_to_expr(e, schema)?);
                }
                other => {
                    return Err(QuiverError::Plan(format!(
                        "struct_pack takes name := value arguments, not {other}"
                    )))
                }
            }
        }
        self.call_scalar("struct_pack", bound, schema)
    }

    /// `struct_insert(s, name := value, …)`: `s` with more fields (every
    /// field of `s` extracted, then the new ones; a NULL `s` gives NULL
    /// old fields, as in DuckDB).
    pub(crate) fn struct_insert_call(
        &self,
        args: &[FunctionArg],
        schema: &QSchema,
    ) -> Result<Expr> {
        let Some((FunctionArg::Unnamed(FunctionArgExpr::Expr(base)), added)) = args.split_first()
        else {
            return Err(QuiverError::Plan(
                "struct_insert takes a struct, then name := value arguments".into(),
            ));
        };
        let base = self.sql_to_expr(base, schema)?;
        let DataType::Struct(fields) = base.data_type(schema)? else {
            return Err(QuiverError::Plan(format!(
                "struct_insert takes a struct first, not {}",
                sql_type_name(&base.data_type(schema)?)
            )));
        };
        let mut bound = vec![];
        for f in fields.iter() {
            bound.push(text(f.name()));
            bound.push(self.call_scalar(
                "struct_extract",
                vec![base.clone(), text(f.name())],
                schema,
            )?);
        }
        for arg in added {
            let FunctionArg::Named {
                name,
                arg: FunctionArgExpr::Expr(e),
                ..
            } = arg
            else {
                return Err(QuiverError::Plan(format!(
                    "struct_insert takes name := value arguments after the struct, not {arg}"
                )));
            };
            bound.push(text(&name.value));
            bound.push(self.sql_to_expr(e, schema)?);
        }
        self.call_scalar("struct_pack", bound, schema)
    }

    /// `MAP {k1: v1, k2: v2}`.
    pub(crate) fn map_literal(&self, map: &ast::Map, schema: &QSchema) -> Result<Expr> {
        let mut keys = vec![];
        let mut values = vec![];
        for entry in &map.entries {
            keys.push(self.sql_to_expr(&entry.key, schema)?);
            values.push(self.sql_to_expr(&entry.value, schema)?);
        }
        let keys = self.call_scalar("list_value", keys, schema)?;
        let values = self.call_scalar("list_value", values, schema)?;
        self.call_scalar("map", vec![keys, values], schema)
    }

    /// `root` followed by `.field`, `[index]` and `[begin:end]` accesses.
    pub(crate) fn field_access(
        &self,
        root: &ast::Expr,
        chain: &[AccessExpr],
        schema: &QSchema,
    ) -> Result<Expr> {
        let mut value = self.sql_to_expr(root, schema)?;
        for access in chain {
            value = match access {
                AccessExpr::Dot(ast::Expr::Identifier(field)) => {
                    self.struct_field(value, &field.value, schema)?
                }
                AccessExpr::Dot(other) => {
                    return Err(QuiverError::Plan(format!(
                        "expected a field name after '.', found {other}"
                    )))
                }
                AccessExpr::Subscript(Subscript::Index { index }) => {
                    let index = self.sql_to_expr(index, schema)?;
                    match (value.data_type(schema)?, &index) {
                        (DataType::Struct(_), Expr::Literal(ScalarValue::Utf8(Some(name)))) => {
                            self.struct_field(value, name, schema)?
                        }
                        // A tuple's field by position (`t[1]`).
                        (DataType::Struct(fields), _) if is_tuple(&fields) => {
                            self.call_scalar("struct_extract", vec![value, index], schema)?
                        }
                        (DataType::Struct(_), _) => {
                            return Err(QuiverError::Plan(format!(
                                "a struct's fields are reached by name ({value}['name']); \
                                 only a tuple's by position"
                            )))
                        }
                        _ => self.call_scalar("array_extract", vec![value, index], schema)?,
                    }
                }
                AccessExpr::Subscript(Subscript::Slice {
                    lower_bound,
                    upper_bound,
                    stride,
                }) => {
                    if stride.is_some() {
                        return Err(QuiverError::NotImplemented(
                            "slices with a step ([a:b:step]) are not supported".into(),
                        ));
                    }
                    let bound = |b: &Option<ast::Expr>, open: i64| match b {
                        Some(e) => self.sql_to_expr(e, schema),
                        None => Ok(integer(open)),
                    };
                    let begin = bound(lower_bound, 1)?;
                    let end = bound(upper_bound, -1)?;
                    self.call_scalar("list_slice", vec![value, begin, end], schema)?
                }
            };
        }
        Ok(value)
    }

    /// The field `name` of the struct `value`.
    pub(crate) fn struct_field(&self, value: Expr, name: &str, schema: &QSchema) -> Result<Expr> {
        match value.data_type(schema)? {
            DataType::Struct(fields) => {
                // A field of a struct literal is the value given for it (a
                // struct literal is never NULL).
                if let Expr::ScalarFunction(f, args) = &value {
                    if f.0.name() == "struct_pack" {
                        let at = fields.iter().position(|f| f.name() == name).or_else(|| {
                            fields
                                .iter()
                                .position(|f| f.name().eq_ignore_ascii_case(name))
                        });
                        if let Some(at) = at {
                            return Ok(args[2 * at + 1].clone());
                        }
                    }
                }
                self.call_scalar("struct_extract", vec![value, text(name)], schema)
            }
            other => Err(QuiverError::Plan(format!(
                "cannot take field \"{name}\" of {value}: it is {}, not a STRUCT",
                quiver_expr::types::sql_type_name(&other)
            ))),
        }
    }

    /// `a.b.c…` where the leading names are not a column: the longest
    /// leading `table.column` or `column` that is one, with the rest as
    /// struct fields (`s.f`, `t.s.f`, `s.f.g`). `None` when no prefix names a
    /// column.
    pub(crate) fn column_with_fields(
        &self,
        names: &[ast::Ident],
        schema: &QSchema,
    ) -> Result<Option<Expr>> {
        let candidates = [
            (names.len() >= 3).then(|| {
                (
                    Column::new(Some(names[0].value.clone()), names[1].value.clone()),
                    2,
                )
            }),
            Some((Column::bare(&names[0].value), 1)),
        ];
        for (column, used) in candidates.into_iter().flatten() {
            if let Ok(Some(i)) = schema.find(&column) {
                let mut value = Expr::Column(schema.field(i).column());
                for field in &names[used..] {
                    value = self.struct_field(value, &field.value, schema)?;
                }
                return Ok(Some(value));
            }
        }
        Ok(None)
    }

    /// `a || b` where either side is a list: `list_concat(a, b)`.
    pub(crate) fn concatenated_lists(
        &self,
        left: Expr,
        right: Expr,
        schema: &QSchema,
    ) -> Result<std::result::Result<Expr, (Expr, Expr)>> {
        let is_list = |e: &Expr| -> Result<bool> {
            Ok(matches!(
                e.data_type(schema)?,
                DataType::List(_) | DataType::LargeList(_) | DataType::FixedSizeList(..)
            ))
        };
        if is_list(&left)? || is_list(&right)? {
            // `||` is NULL when either list is, as in DuckDB; list_concat
            // takes a NULL list as empty.
            let both = Expr::IsNotNull(Box::new(left.clone()))
                .and(Expr::IsNotNull(Box::new(right.clone())));
            let concatenated = self.call_scalar("list_concat", vec![left, right], schema)?;
            return Ok(Ok(Expr::Case {
                operand: None,
                when_then: vec![(both, concatenated)],
                else_expr: None,
            }));
        }
        Ok(Err((left, right)))
    }
}
