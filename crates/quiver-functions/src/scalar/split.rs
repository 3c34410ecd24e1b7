//! `string_split(s, separator)` (also `str_split`, `string_to_array`,
//! `split`): the pieces of `s` between separators, as a list; an empty
//! separator splits into characters.

use std::sync::Arc;

use arrow::array::{ListBuilder, StringBuilder};
use arrow::datatypes::{DataType, Field};
use quiver_expr::types::is_string;
use quiver_expr::{ColumnarValue, Result, ScalarFunction};

use super::str_arg::StrArg;
use super::{check_arity, result_rows, shaped, wrong_types};

/// `string_split`.
#[derive(Debug)]
pub struct StringSplit;

impl ScalarFunction for StringSplit {
    fn name(&self) -> &str {
        "string_split"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["str_split", "string_to_array", "split"]
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity("string_split", arg_types, 2, 2)?;
        arg_types
            .iter()
            .map(|t| match t {
                DataType::Null => Ok(DataType::Utf8),
                t if is_string(t) => Ok(t.clone()),
                _ => Err(wrong_types("string_split", arg_types)),
            })
            .collect()
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::List(Arc::new(Field::new(
            "item",
            DataType::Utf8,
            true,
        ))))
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        let rows = result_rows(args, num_rows);
        let (strings, separators) = (StrArg::new(&args[0])?, StrArg::new(&args[1])?);
        let mut out = ListBuilder::new(StringBuilder::new());
        for row in 0..rows {
            match (strings.get(row), separators.get(row)) {
                (Some(s), Some("")) => {
                    for c in s.chars() {
                        out.values().append_value(c.encode_utf8(&mut [0; 4]));
                    }
                    out.append(true);
                }
                (Some(s), Some(sep)) => {
                    for piece in s.split(sep) {
                        out.values().append_value(piece);
                    }
                    out.append(true);
                }
                _ => out.append(false),
            }
        }
        shaped(args, Arc::new(out.finish()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, AsArray, StringArray};
    use quiver_expr::ScalarValue;

    #[test]
    fn splits_on_text_or_into_characters() {
        let strings = ColumnarValue::Array(Arc::new(StringArray::from(vec![
            Some("a,,b"),
            Some("hé"),
            None,
        ])));
        let comma = ColumnarValue::Scalar(ScalarValue::Utf8(Some(",".into())));
        let out = StringSplit
            .invoke(&[strings.clone(), comma], 3)
            .unwrap()
            .into_array(3)
            .unwrap();
        let out = out.as_list::<i32>();
        let first = out.value(0);
        let first: Vec<_> = first.as_string::<i32>().iter().flatten().collect();
        assert_eq!(first, ["a", "", "b"]);
        assert!(out.is_null(2));
        let empty = ColumnarValue::Scalar(ScalarValue::Utf8(Some(String::new())));
        let out = StringSplit
            .invoke(&[strings, empty], 3)
            .unwrap()
            .into_array(3)
            .unwrap();
        let second = out.as_list::<i32>().value(1);
        let second: Vec<_> = second.as_string::<i32>().iter().flatten().collect();
        assert_eq!(second, ["h", "é"]);
    }
}
