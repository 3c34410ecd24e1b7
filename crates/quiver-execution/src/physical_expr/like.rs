//! `expr [NOT] [I]LIKE pattern [ESCAPE c]`, run by Arrow's LIKE kernels.
//!
//! SQL patterns and Arrow's differ in one way: Arrow always treats `\` as
//! an escape, where in Quiver (as in DuckDB) only the `ESCAPE` character
//! escapes and a backslash is otherwise an ordinary character. Each pattern
//! is rewritten to Arrow's form before it is matched.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use arrow::array::{Array, AsArray, StringArray};
use arrow::compute::cast;
use arrow::compute::kernels::comparison::{ilike, like, nilike, nlike};
use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;
use quiver_expr::{exec_err, ColumnarValue, LikeKind, QuiverError, Result, ScalarValue};

use super::simple::{eval_datum, scalar_if};
use super::PhysicalExpr;

/// `expr [NOT] [I]LIKE pattern [ESCAPE c]`.
#[derive(Debug)]
pub struct LikeExpr {
    kind: LikeKind,
    expr: Arc<dyn PhysicalExpr>,
    pattern: Arc<dyn PhysicalExpr>,
}

impl LikeExpr {
    /// A LIKE match; `expr` and `pattern` have the same string type.
    pub fn new(
        kind: LikeKind,
        expr: Arc<dyn PhysicalExpr>,
        pattern: Arc<dyn PhysicalExpr>,
    ) -> Self {
        Self {
            kind,
            expr,
            pattern,
        }
    }
}

/// `pattern` (with `escape` as its escape character) in Arrow's form, where
/// `\` escapes: backslashes are doubled and `escape` becomes `\`. An
/// escaped character other than a wildcard stands for itself, as in DuckDB.
pub fn arrow_like_pattern(pattern: &str, escape: Option<char>) -> Result<Cow<'_, str>> {
    if !pattern.contains('\\') && escape.is_none_or(|e| !pattern.contains(e)) {
        return Ok(Cow::Borrowed(pattern));
    }
    let mut out = String::with_capacity(pattern.len() + 4);
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        if Some(c) == escape {
            match chars.next() {
                Some(next @ ('%' | '_' | '\\')) => {
                    out.push('\\');
                    out.push(next);
                }
                Some(next) => out.push(next),
                None => {
                    return exec_err!(
                        "LIKE pattern '{pattern}' must not end with the escape character '{c}'"
                    )
                }
            }
        } else if c == '\\' {
            out.push_str("\\\\");
        } else {
            out.push(c);
        }
    }
    Ok(Cow::Owned(out))
}

impl fmt::Display for LikeExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let op = if self.kind.case_insensitive {
            "ILIKE"
        } else {
            "LIKE"
        };
        write!(
            f,
            "{} {}{op} {}",
            self.expr,
            if self.kind.negated { "NOT " } else { "" },
            self.pattern
        )?;
        if let Some(c) = self.kind.escape {
            write!(f, " ESCAPE '{c}'")?;
        }
        Ok(())
    }
}

/// The patterns of a batch in Arrow's form, as an array of the values'
/// string type.
fn arrow_patterns(
    patterns: &dyn Array,
    escape: Option<char>,
    to: &DataType,
) -> Result<Arc<dyn Array>> {
    let utf8 = cast(patterns, &DataType::Utf8)?;
    let rewritten = utf8
        .as_string::<i32>()
        .iter()
        .map(|p| {
            p.map(|p| arrow_like_pattern(p, escape).map(Cow::into_owned))
                .transpose()
        })
        .collect::<Result<StringArray>>()?;
    Ok(cast(&rewritten, to)?)
}

impl PhysicalExpr for LikeExpr {
    fn data_type(&self) -> &DataType {
        &DataType::Boolean
    }
    fn evaluate(&self, batch: &RecordBatch) -> Result<ColumnarValue> {
        let (value, value_scalar) = eval_datum(self.expr.as_ref(), batch)?;
        let kernel = match (self.kind.negated, self.kind.case_insensitive) {
            (false, false) => like,
            (true, false) => nlike,
            (false, true) => ilike,
            (true, true) => nilike,
        };
        let escape = self.kind.escape;
        let out = match self.pattern.evaluate(batch)? {
            ColumnarValue::Scalar(p) => {
                let text = match &p {
                    ScalarValue::Utf8(t) | ScalarValue::LargeUtf8(t) | ScalarValue::Utf8View(t) => {
                        t.as_deref()
                    }
                    other => {
                        return Err(QuiverError::Internal(format!(
                            "LIKE pattern of type {}",
                            other.data_type()
                        )))
                    }
                };
                let rewritten = match text {
                    Some(t) => ScalarValue::Utf8(Some(arrow_like_pattern(t, escape)?.into_owned()))
                        .cast_to(&p.data_type())?,
                    None => p.clone(),
                };
                kernel(&value, &rewritten.to_scalar()?)?
            }
            ColumnarValue::Array(p) => {
                let p = arrow_patterns(p.as_ref(), escape, p.data_type())?;
                if value_scalar {
                    kernel(&arrow::array::Scalar::new(value), &p)?
                } else {
                    kernel(&value, &p)?
                }
            }
        };
        let all_scalar = value_scalar && out.len() == 1 && batch.num_rows() != 1;
        scalar_if(all_scalar, Arc::new(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backslashes_are_literal_unless_they_are_the_escape() {
        assert_eq!(arrow_like_pattern("a%b", None).unwrap(), "a%b");
        assert_eq!(arrow_like_pattern(r"a\b", None).unwrap(), r"a\\b");
        assert_eq!(arrow_like_pattern(r"a\%", None).unwrap(), r"a\\%");
        assert_eq!(arrow_like_pattern("a#%b", Some('#')).unwrap(), r"a\%b");
        assert_eq!(arrow_like_pattern("a##b", Some('#')).unwrap(), "a#b");
        assert_eq!(arrow_like_pattern(r"a\%", Some('\\')).unwrap(), r"a\%");
        assert_eq!(arrow_like_pattern("a#b", Some('#')).unwrap(), "ab");
        assert!(arrow_like_pattern("a#", Some('#')).is_err());
    }
}
