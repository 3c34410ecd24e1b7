//! `*` and `t.*` in the select list, with DuckDB's modifiers: `EXCLUDE
//! (cols)` (or `EXCEPT`) leaves columns out, `REPLACE (expr AS col)`
//! computes a column in its place, `RENAME (col AS name)` renames one. A
//! column a modifier names that the star does not hold is an error, as is
//! a star that leaves no column; modifiers Quiver does not implement
//! (`ILIKE`, a star's own alias) are "not supported" errors.

use quiver_expr::{not_impl_err, Expr, QField, QSchema, QuiverError, Result};
use sqlparser::ast::{
    self, ExcludeSelectItem, ObjectName, RenameSelectItem, WildcardAdditionalOptions,
};

use super::SqlPlanner;

/// A column a star modifier names: `col` or `t.col`, case-insensitive.
struct Named {
    qualifier: Option<String>,
    name: String,
}

impl Named {
    fn of(name: &ObjectName) -> Option<Self> {
        let parts: Vec<String> = name
            .0
            .iter()
            .map(|p| p.as_ident().map(|i| i.value.clone()))
            .collect::<Option<_>>()?;
        let (name, qualifier) = parts.split_last()?;
        Some(Self {
            qualifier: qualifier.last().cloned(),
            name: name.clone(),
        })
    }

    fn bare(name: &str) -> Self {
        Self {
            qualifier: None,
            name: name.to_string(),
        }
    }

    /// Whether the star's column `field` is this one.
    fn matches(&self, field: &QField) -> bool {
        field.name().eq_ignore_ascii_case(&self.name)
            && self.qualifier.as_ref().is_none_or(|q| {
                field
                    .qualifier
                    .as_deref()
                    .is_some_and(|fq| fq.eq_ignore_ascii_case(q))
            })
    }
}

/// The error for a modifier naming a column the star does not hold.
fn not_found(list: &str, name: &Named) -> QuiverError {
    QuiverError::Plan(format!(
        "column \"{}\" in the {list} list is not among the columns of *",
        name.name
    ))
}

/// One column a star selects: its field, the expression `REPLACE` puts in
/// its place, and its output name (after `RENAME`).
pub(super) struct StarColumn<'f, 'o> {
    /// The column.
    pub field: &'f QField,
    /// What stands in its place, if anything.
    pub replacement: Option<&'o ast::Expr>,
    /// Its name in the output.
    pub name: String,
}

/// The columns a star over `fields` selects, with `options` applied.
pub(super) fn star_columns<'f, 'o>(
    fields: Vec<&'f QField>,
    options: &'o WildcardAdditionalOptions,
) -> Result<Vec<StarColumn<'f, 'o>>> {
    if options.opt_ilike.is_some() {
        return not_impl_err!("* ILIKE is not supported; use * EXCLUDE (...)");
    }
    if options.opt_alias.is_some() {
        return not_impl_err!("an alias for * is not supported");
    }
    let mut excluded: Vec<Named> = match &options.opt_exclude {
        Some(ExcludeSelectItem::Single(name)) => Named::of(name).into_iter().collect(),
        Some(ExcludeSelectItem::Multiple(names)) => names.iter().filter_map(Named::of).collect(),
        None => vec![],
    };
    if let Some(except) = &options.opt_except {
        excluded.push(Named::bare(&except.first_element.value));
        excluded.extend(
            except
                .additional_elements
                .iter()
                .map(|i| Named::bare(&i.value)),
        );
    }
    for name in &excluded {
        if !fields.iter().any(|f| name.matches(f)) {
            return Err(not_found("EXCLUDE", name));
        }
    }
    let mut columns: Vec<StarColumn> = fields
        .into_iter()
        .filter(|f| !excluded.iter().any(|n| n.matches(f)))
        .map(|field| StarColumn {
            field,
            replacement: None,
            name: field.name().to_string(),
        })
        .collect();
    let position = |columns: &[StarColumn], list: &str, name: &str| {
        let target = Named::bare(name);
        columns
            .iter()
            .position(|c| target.matches(c.field))
            .ok_or_else(|| not_found(list, &target))
    };
    if let Some(replace) = &options.opt_replace {
        for element in &replace.items {
            let at = position(&columns, "REPLACE", &element.column_name.value)?;
            columns[at].replacement = Some(&element.expr);
        }
    }
    let renames = match &options.opt_rename {
        Some(RenameSelectItem::Single(one)) => std::slice::from_ref(one),
        Some(RenameSelectItem::Multiple(many)) => many.as_slice(),
        None => &[],
    };
    for rename in renames {
        let at = position(&columns, "RENAME", &rename.ident.value)?;
        columns[at].name = rename.alias.value.clone();
    }
    if columns.is_empty() {
        return Err(QuiverError::Plan(
            "the select list is empty after * EXCLUDE removed every column".into(),
        ));
    }
    Ok(columns)
}

impl SqlPlanner<'_> {
    /// The select items of a star over `fields` (columns of `schema`) with
    /// `options` applied: (expression, output name) pairs.
    pub(super) fn expand_star(
        &self,
        fields: Vec<&QField>,
        options: &WildcardAdditionalOptions,
        schema: &QSchema,
    ) -> Result<Vec<(Expr, String)>> {
        star_columns(fields, options)?
            .into_iter()
            .map(|c| {
                let expr = match c.replacement {
                    Some(replacement) => self.sql_to_expr(replacement, schema)?,
                    None => Expr::Column(c.field.column()),
                };
                Ok((expr, c.name))
            })
            .collect()
    }
}
