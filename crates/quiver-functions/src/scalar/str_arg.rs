//! Row-by-row read access to a string argument, whatever Arrow layout its
//! values arrive in (`Utf8`, `LargeUtf8`, `Utf8View`) and whether it is a
//! column or one constant for every row, without copying the strings.

use arrow::array::{Array, AsArray};
use arrow::datatypes::DataType;
use quiver_expr::{internal_err, ColumnarValue, Result, ScalarValue};

/// One string argument of a call.
pub enum StrArg<'a> {
    /// The same value (or NULL) on every row.
    Constant(Option<&'a str>),
    /// `Utf8` values.
    Utf8(&'a arrow::array::StringArray),
    /// `LargeUtf8` values.
    Large(&'a arrow::array::LargeStringArray),
    /// `Utf8View` values.
    View(&'a arrow::array::StringViewArray),
}

impl<'a> StrArg<'a> {
    /// Access to `value`, which must be of a string type (or NULL).
    pub fn new(value: &'a ColumnarValue) -> Result<Self> {
        Ok(match value {
            ColumnarValue::Scalar(s) => StrArg::Constant(constant_str(s)?),
            ColumnarValue::Array(a) => match a.data_type() {
                DataType::Utf8 => StrArg::Utf8(a.as_string::<i32>()),
                DataType::LargeUtf8 => StrArg::Large(a.as_string::<i64>()),
                DataType::Utf8View => StrArg::View(a.as_string_view()),
                other => return internal_err!("expected a string argument, got {other}"),
            },
        })
    }

    /// The value at `row` (NULL as `None`).
    pub fn get(&self, row: usize) -> Option<&'a str> {
        match self {
            StrArg::Constant(v) => *v,
            StrArg::Utf8(a) => a.is_valid(row).then(|| a.value(row)),
            StrArg::Large(a) => a.is_valid(row).then(|| a.value(row)),
            StrArg::View(a) => a.is_valid(row).then(|| a.value(row)),
        }
    }
}

/// The string held by a constant argument (`None` for NULL).
pub fn constant_str(value: &ScalarValue) -> Result<Option<&str>> {
    Ok(match value {
        ScalarValue::Utf8(v) | ScalarValue::LargeUtf8(v) | ScalarValue::Utf8View(v) => v.as_deref(),
        ScalarValue::Null => None,
        other => return internal_err!("expected a string constant, got {other:?}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{StringArray, StringViewArray};
    use std::sync::Arc;

    #[test]
    fn reads_every_layout_and_constants() {
        let utf8 = ColumnarValue::Array(Arc::new(StringArray::from(vec![Some("a"), None])));
        let view = ColumnarValue::Array(Arc::new(StringViewArray::from(vec![None, Some("b")])));
        let constant = ColumnarValue::Scalar(ScalarValue::Utf8(Some("c".into())));
        let (u, v, c) = (
            StrArg::new(&utf8).unwrap(),
            StrArg::new(&view).unwrap(),
            StrArg::new(&constant).unwrap(),
        );
        assert_eq!((u.get(0), u.get(1)), (Some("a"), None));
        assert_eq!((v.get(0), v.get(1)), (None, Some("b")));
        assert_eq!((c.get(0), c.get(7)), (Some("c"), Some("c")));
        let number = ColumnarValue::Scalar(ScalarValue::Int64(Some(1)));
        assert!(StrArg::new(&number).is_err());
    }
}
