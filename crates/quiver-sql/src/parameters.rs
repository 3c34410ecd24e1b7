//! Statement parameters: the placeholders `?` (in order), `$1`, `$2`, … (by
//! number) and `$name` / `:name` (by name) replaced by values before the
//! statement is planned. Values stand in the syntax tree as typed literals,
//! so a parameter works wherever a literal does (`LIMIT ?`,
//! `read_parquet(?)`), and the bound statement prints as SQL that plans the
//! same way.

use std::collections::HashSet;
use std::ops::ControlFlow;

use arrow::util::display::{ArrayFormatter, FormatOptions};
use quiver_expr::types::sql_type_name;
use quiver_expr::{QuiverError, Result, ScalarValue};
use sqlparser::ast::{self, visit_expressions_mut, VisitMut};

use crate::parser::{ParsedStatement, RowSource, Statement};
use crate::planner::parse_expression;

/// Values for the parameters of one statement.
#[derive(Debug, Clone, PartialEq)]
pub enum ParameterValues {
    /// For `?` (the n-th `?` takes the n-th value) and `$n` (the n-th value).
    Positional(Vec<ScalarValue>),
    /// For `$name` and `:name`, by name (without the `$` or `:`).
    Named(Vec<(String, ScalarValue)>),
}

impl ParameterValues {
    /// Whether no value is given.
    pub fn is_empty(&self) -> bool {
        match self {
            ParameterValues::Positional(values) => values.is_empty(),
            ParameterValues::Named(values) => values.is_empty(),
        }
    }
}

/// Parameter values as syntax: what replaces each placeholder.
pub(crate) enum Substitutes<'a> {
    /// By position.
    Positional(&'a [ast::Expr]),
    /// By name.
    Named(&'a [(String, ast::Expr)]),
}

/// Which placeholder a `?`, `$n`, `$name` or `:name` is.
enum Placeholder<'t> {
    Position(usize),
    Name(&'t str),
}

/// Replaces every placeholder under `node` by its value from `values`;
/// `owner` names the statement in errors (e.g. "the statement",
/// "EXECUTE q"). Every placeholder needs a value and every value must be
/// used.
pub(crate) fn substitute_placeholders<N: VisitMut>(
    node: &mut N,
    values: &Substitutes,
    owner: &str,
) -> Result<()> {
    let mut next_in_order = 0;
    let mut used_positions = 0;
    let mut used_names = HashSet::new();
    let mut failure = None;
    let _ = visit_expressions_mut(node, |e| {
        let ast::Expr::Value(v) = e else {
            return ControlFlow::Continue(());
        };
        let ast::Value::Placeholder(text) = &v.value else {
            return ControlFlow::Continue(());
        };
        let value = match (placeholder(text, &mut next_in_order), values) {
            (Placeholder::Position(i), Substitutes::Positional(values)) => match values.get(i) {
                Some(value) => {
                    used_positions = used_positions.max(i + 1);
                    Ok(value.clone())
                }
                None => Err(format!(
                    "{owner} uses the parameter {text}, but {} value{} given",
                    values.len(),
                    if values.len() == 1 { " is" } else { "s are" }
                )),
            },
            (Placeholder::Name(name), Substitutes::Named(values)) => {
                match values.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)) {
                    Some((n, value)) => {
                        used_names.insert(n.to_lowercase());
                        Ok(value.clone())
                    }
                    None => Err(format!("no value is given for the parameter {text}")),
                }
            }
            (Placeholder::Position(_), Substitutes::Named(_)) => Err(format!(
                "{owner} uses the positional parameter {text}, but the values are given by name"
            )),
            (Placeholder::Name(_), Substitutes::Positional(_)) => Err(format!(
                "{owner} uses the named parameter {text}, but the values are given by position"
            )),
        };
        match value {
            Ok(value) => {
                *e = value;
                ControlFlow::Continue(())
            }
            Err(message) => {
                failure = Some(message);
                ControlFlow::Break(())
            }
        }
    });
    if let Some(message) = failure {
        return Err(QuiverError::Plan(message));
    }
    match values {
        Substitutes::Positional(values) if used_positions < values.len() => {
            Err(QuiverError::Plan(format!(
                "{} parameter values are given, but {owner} takes {used_positions}",
                values.len()
            )))
        }
        Substitutes::Named(values) => match values
            .iter()
            .find(|(n, _)| !used_names.contains(&n.to_lowercase()))
        {
            Some((name, _)) => Err(QuiverError::Plan(format!(
                "a value is given for the parameter ${name}, which {owner} does not use"
            ))),
            None => Ok(()),
        },
        Substitutes::Positional(_) => Ok(()),
    }
}

/// Which placeholder `text` is; a `?` takes the next position.
fn placeholder<'t>(text: &'t str, next_in_order: &mut usize) -> Placeholder<'t> {
    let name = text
        .strip_prefix('$')
        .or_else(|| text.strip_prefix(':'))
        .filter(|name| !name.is_empty());
    match name {
        Some(name) => match name.parse::<usize>() {
            Ok(n) if n > 0 => Placeholder::Position(n - 1),
            _ => Placeholder::Name(name),
        },
        None => {
            *next_in_order += 1;
            Placeholder::Position(*next_in_order - 1)
        }
    }
}

impl ParsedStatement {
    /// This statement with its placeholders replaced by `values`: an error
    /// when a placeholder has no value or a value is not used. The bound
    /// statement's text is the SQL it now stands for.
    pub fn bind_parameters(&self, values: &ParameterValues) -> Result<ParsedStatement> {
        let substitutes = match values {
            ParameterValues::Positional(values) => OwnedSubstitutes::Positional(
                values.iter().map(literal).collect::<Result<Vec<_>>>()?,
            ),
            ParameterValues::Named(values) => OwnedSubstitutes::Named(
                values
                    .iter()
                    .map(|(name, value)| Ok((name.clone(), literal(value)?)))
                    .collect::<Result<Vec<_>>>()?,
            ),
        };
        let substitutes = substitutes.borrowed();
        let owner = "the statement";
        let mut statement = self.statement().clone();
        let text = match &mut statement {
            Statement::Sql(sql) => {
                substitute_placeholders(sql.as_mut(), &substitutes, owner)?;
                sql.to_string()
            }
            Statement::CopyTo(copy) => {
                if let RowSource::Query(query) = &mut copy.source {
                    substitute_placeholders(query.as_mut(), &substitutes, owner)?;
                }
                self.text.clone()
            }
            Statement::Summarize(RowSource::Query(query)) => {
                substitute_placeholders(query.as_mut(), &substitutes, owner)?;
                self.text.clone()
            }
            Statement::Summarize(RowSource::Table(_)) | Statement::CreateExternalTable(_) => {
                substitute_placeholders(&mut Vec::<ast::Expr>::new(), &substitutes, owner)?;
                self.text.clone()
            }
        };
        Ok(self.with_statement(statement, text))
    }
}

/// [`Substitutes`] that own their syntax.
enum OwnedSubstitutes {
    Positional(Vec<ast::Expr>),
    Named(Vec<(String, ast::Expr)>),
}

impl OwnedSubstitutes {
    fn borrowed(&self) -> Substitutes<'_> {
        match self {
            OwnedSubstitutes::Positional(values) => Substitutes::Positional(values),
            OwnedSubstitutes::Named(values) => Substitutes::Named(values),
        }
    }
}

/// A literal that plans to `value`, with its type: strings, integers and
/// booleans as themselves, everything else as its text cast to its SQL
/// type (`CAST('2024-01-31' AS DATE)`).
pub fn literal(value: &ScalarValue) -> Result<ast::Expr> {
    let plain = match value {
        ScalarValue::Null => Some(ast::Value::Null),
        ScalarValue::Boolean(Some(b)) => Some(ast::Value::Boolean(*b)),
        ScalarValue::Utf8(Some(s)) | ScalarValue::LargeUtf8(Some(s)) => {
            Some(ast::Value::SingleQuotedString(s.clone()))
        }
        ScalarValue::Int8(Some(_))
        | ScalarValue::Int16(Some(_))
        | ScalarValue::Int32(Some(_))
        | ScalarValue::Int64(Some(_))
        | ScalarValue::UInt8(Some(_))
        | ScalarValue::UInt16(Some(_))
        | ScalarValue::UInt32(Some(_))
        | ScalarValue::UInt64(Some(_)) => Some(ast::Value::Number(value.to_string(), false)),
        _ => None,
    };
    if let Some(plain) = plain {
        return Ok(ast::Expr::value(plain));
    }
    let sql_type = sql_type_name(&value.data_type());
    if value.is_null() {
        return parse_expression(&format!("CAST(NULL AS {sql_type})"));
    }
    let text = match value {
        ScalarValue::Binary(Some(bytes))
        | ScalarValue::LargeBinary(Some(bytes))
        | ScalarValue::BinaryView(Some(bytes))
        | ScalarValue::FixedSizeBinary(_, Some(bytes)) => {
            bytes.iter().map(|b| format!("\\x{b:02X}")).collect()
        }
        _ => {
            let array = value.to_array()?;
            let options = FormatOptions::default();
            let formatter = ArrayFormatter::try_new(array.as_ref(), &options)?;
            formatter.value(0).to_string()
        }
    };
    let quoted = text.replace('\'', "''");
    parse_expression(&format!("CAST('{quoted}' AS {sql_type})"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::parse_one_statement;

    fn bind(sql: &str, values: ParameterValues) -> Result<String> {
        Ok(parse_one_statement(sql)?
            .bind_parameters(&values)?
            .text
            .clone())
    }

    fn int(n: i64) -> ScalarValue {
        ScalarValue::Int64(Some(n))
    }

    #[test]
    fn question_marks_take_values_in_order() {
        let sql = bind(
            "SELECT ? + ?, ?",
            ParameterValues::Positional(vec![
                int(1),
                int(2),
                ScalarValue::Utf8(Some("it's".into())),
            ]),
        )
        .unwrap();
        assert_eq!(sql, "SELECT 1 + 2, 'it''s'");
    }

    #[test]
    fn numbered_parameters_may_repeat() {
        let sql = bind(
            "SELECT $2, $1, $2",
            ParameterValues::Positional(vec![int(1), int(2)]),
        )
        .unwrap();
        assert_eq!(sql, "SELECT 2, 1, 2");
    }

    #[test]
    fn named_parameters_match_without_case() {
        let sql = bind(
            "SELECT $a, :B",
            ParameterValues::Named(vec![("A".into(), int(1)), ("b".into(), int(2))]),
        )
        .unwrap();
        assert_eq!(sql, "SELECT 1, 2");
    }

    #[test]
    fn other_types_are_cast_from_their_text() {
        let sql = bind(
            "SELECT ?, ?, ?, ?",
            ParameterValues::Positional(vec![
                ScalarValue::Date32(Some(19_753)),
                ScalarValue::Float64(Some(1.5)),
                ScalarValue::Binary(Some(vec![0xAA, 0x01])),
                ScalarValue::Int32(None),
            ]),
        )
        .unwrap();
        assert_eq!(
            sql,
            "SELECT CAST('2024-01-31' AS DATE), CAST('1.5' AS DOUBLE), \
             CAST('\\xAA\\x01' AS BLOB), CAST(NULL AS INTEGER)"
        );
    }

    #[test]
    fn missing_and_unused_values_are_errors() {
        let too_few = bind("SELECT ?, ?", ParameterValues::Positional(vec![int(1)]));
        assert!(too_few
            .unwrap_err()
            .to_string()
            .contains("uses the parameter ?"));
        let too_many = bind(
            "SELECT ?",
            ParameterValues::Positional(vec![int(1), int(2)]),
        );
        assert!(too_many
            .unwrap_err()
            .to_string()
            .contains("2 parameter values are given, but the statement takes 1"));
        let none = bind("SELECT 1", ParameterValues::Positional(vec![int(1)]));
        assert!(none.is_err());
        let unnamed = bind("SELECT $x", ParameterValues::Named(vec![]));
        assert!(unnamed
            .unwrap_err()
            .to_string()
            .contains("no value is given for the parameter $x"));
        let unused = bind(
            "SELECT $x",
            ParameterValues::Named(vec![("x".into(), int(1)), ("y".into(), int(2))]),
        );
        assert!(unused.unwrap_err().to_string().contains("$y"));
        let mixed = bind(
            "SELECT ?",
            ParameterValues::Named(vec![("x".into(), int(1))]),
        );
        assert!(mixed.unwrap_err().to_string().contains("given by name"));
    }

    #[test]
    fn parameters_reach_copy_queries() {
        let statement = parse_one_statement("COPY (SELECT ?) TO 'x.csv'").unwrap();
        let bound = statement
            .bind_parameters(&ParameterValues::Positional(vec![int(7)]))
            .unwrap();
        let Statement::CopyTo(copy) = bound.statement() else {
            panic!("not a COPY");
        };
        let RowSource::Query(query) = &copy.source else {
            panic!("not a query");
        };
        assert_eq!(query.to_string(), "SELECT 7");
    }
}
