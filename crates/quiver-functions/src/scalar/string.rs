//! String functions: `upper`, `lower`, `length`, `trim` and friends.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Int64Array, StringArray};
use arrow::compute::cast;
use arrow::datatypes::DataType;
use quiver_expr::types::is_string;
use quiver_expr::{ColumnarValue, Result, ScalarFunction};

use super::{check_arity, result_rows, shaped, wrong_types};

/// Casts any string argument to Utf8 so one code path handles all three
/// Arrow string layouts.
fn as_utf8(v: &ColumnarValue, num_rows: usize) -> Result<ArrayRef> {
    let a = v.to_array(num_rows)?;
    Ok(if a.data_type() == &DataType::Utf8 {
        a
    } else {
        cast(&a, &DataType::Utf8)?
    })
}

fn string_args(name: &str, arg_types: &[DataType]) -> Result<Vec<DataType>> {
    arg_types
        .iter()
        .map(|t| {
            if is_string(t) || t == &DataType::Null {
                Ok(DataType::Utf8)
            } else {
                Err(wrong_types(name, arg_types))
            }
        })
        .collect()
}

/// `upper(s)` / `lower(s)`.
#[derive(Debug)]
pub struct CaseMap {
    name: &'static str,
    aliases: &'static [&'static str],
    map: fn(&str) -> String,
}

impl CaseMap {
    /// `upper`.
    pub fn upper() -> Self {
        Self {
            name: "upper",
            aliases: &["ucase"],
            map: str::to_uppercase,
        }
    }

    /// `lower`.
    pub fn lower() -> Self {
        Self {
            name: "lower",
            aliases: &["lcase"],
            map: str::to_lowercase,
        }
    }
}

impl ScalarFunction for CaseMap {
    fn name(&self) -> &str {
        self.name
    }
    fn aliases(&self) -> &'static [&'static str] {
        self.aliases
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(self.name, arg_types, 1, 1)?;
        string_args(self.name, arg_types)
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        let input = as_utf8(&args[0], result_rows(args, num_rows))?;
        let out: StringArray = input
            .as_string::<i32>()
            .iter()
            .map(|s| s.map(self.map))
            .collect();
        shaped(args, Arc::new(out))
    }
}

/// `length(s)` (`len`, `char_length`, …): the number of characters of a
/// string, or of elements of a list (`array_length`) or of entries of a
/// map (`cardinality`).
#[derive(Debug)]
pub struct Length;

impl ScalarFunction for Length {
    fn name(&self) -> &str {
        "length"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &[
            "char_length",
            "character_length",
            "len",
            "array_length",
            "cardinality",
        ]
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity("length", arg_types, 1, 1)?;
        match &arg_types[0] {
            DataType::List(_) | DataType::Map(_, _) => Ok(arg_types.to_vec()),
            DataType::LargeList(f) | DataType::FixedSizeList(f, _) => {
                Ok(vec![DataType::List(Arc::clone(f))])
            }
            _ => string_args("length", arg_types),
        }
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        let rows = result_rows(args, num_rows);
        let input = args[0].to_array(rows)?;
        let element_counts = |offsets: &[i32], nulls: Option<&arrow::buffer::NullBuffer>| {
            offsets
                .windows(2)
                .enumerate()
                .map(|(row, w)| {
                    nulls
                        .is_none_or(|n| n.is_valid(row))
                        .then_some(i64::from(w[1] - w[0]))
                })
                .collect::<Int64Array>()
        };
        let out: Int64Array = match input.data_type() {
            DataType::List(_) => {
                let list = input.as_list::<i32>();
                element_counts(list.value_offsets(), list.nulls())
            }
            DataType::Map(_, _) => {
                let map = input.as_map();
                element_counts(map.value_offsets(), map.nulls())
            }
            _ => as_utf8(&args[0], rows)?
                .as_string::<i32>()
                .iter()
                .map(|s| s.map(|s| s.chars().count() as i64))
                .collect(),
        };
        shaped(args, Arc::new(out))
    }
}

#[derive(Debug, Clone, Copy)]
enum TrimSide {
    Both,
    Leading,
    Trailing,
}

/// `trim(s [, chars])`, `ltrim`, `rtrim`: removes the given characters
/// (spaces by default) from the ends.
#[derive(Debug)]
pub struct Trim {
    side: TrimSide,
}

impl Trim {
    /// Both ends (`trim`, `btrim`).
    pub fn both() -> Self {
        Self {
            side: TrimSide::Both,
        }
    }
    /// The start (`ltrim`).
    pub fn leading() -> Self {
        Self {
            side: TrimSide::Leading,
        }
    }
    /// The end (`rtrim`).
    pub fn trailing() -> Self {
        Self {
            side: TrimSide::Trailing,
        }
    }

    fn apply<'a>(&self, s: &'a str, chars: &str) -> &'a str {
        let matches = |c: char| chars.contains(c);
        match self.side {
            TrimSide::Both => s.trim_matches(matches),
            TrimSide::Leading => s.trim_start_matches(matches),
            TrimSide::Trailing => s.trim_end_matches(matches),
        }
    }
}

impl ScalarFunction for Trim {
    fn name(&self) -> &str {
        match self.side {
            TrimSide::Both => "trim",
            TrimSide::Leading => "ltrim",
            TrimSide::Trailing => "rtrim",
        }
    }
    fn aliases(&self) -> &'static [&'static str] {
        match self.side {
            TrimSide::Both => &["btrim"],
            TrimSide::Leading | TrimSide::Trailing => &[],
        }
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(self.name(), arg_types, 1, 2)?;
        string_args(self.name(), arg_types)
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        let n = result_rows(args, num_rows);
        let input = as_utf8(&args[0], n)?;
        let input = input.as_string::<i32>();
        let out: StringArray = match args.get(1) {
            None => input
                .iter()
                .map(|s| s.map(|s| self.apply(s, " ")))
                .collect(),
            Some(chars) => {
                let chars = as_utf8(chars, n)?;
                let chars = chars.as_string::<i32>();
                input
                    .iter()
                    .zip(chars.iter())
                    .map(|(s, c)| match (s, c) {
                        (Some(s), Some(c)) => Some(self.apply(s, c)),
                        _ => None,
                    })
                    .collect()
            }
        };
        shaped(args, Arc::new(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use quiver_expr::ScalarValue;

    fn strings(v: &[Option<&str>]) -> ColumnarValue {
        ColumnarValue::Array(Arc::new(StringArray::from(v.to_vec())))
    }

    fn run(f: &dyn ScalarFunction, args: &[ColumnarValue]) -> ArrayRef {
        f.invoke(args, 3).unwrap().into_array(3).unwrap()
    }

    #[test]
    fn case_mapping_and_length_count_characters() {
        let input = strings(&[Some("Straße"), None, Some("ab")]);
        let up = run(&CaseMap::upper(), std::slice::from_ref(&input));
        assert_eq!(up.as_string::<i32>().value(0), "STRASSE");
        assert!(up.is_null(1));
        let len = run(&Length, &[input]);
        assert_eq!(
            len.as_any().downcast_ref::<Int64Array>().unwrap().values(),
            &[6, 0, 2]
        );
    }

    #[test]
    fn trim_sides_and_custom_characters() {
        let input = strings(&[Some("  a b  "), Some("xxhixx"), None]);
        let both = run(&Trim::both(), std::slice::from_ref(&input));
        assert_eq!(both.as_string::<i32>().value(0), "a b");
        let left = run(&Trim::leading(), std::slice::from_ref(&input));
        assert_eq!(left.as_string::<i32>().value(0), "a b  ");
        let x = ColumnarValue::Scalar(ScalarValue::Utf8(Some("x".into())));
        let custom = run(&Trim::trailing(), &[input, x]);
        assert_eq!(custom.as_string::<i32>().value(1), "xxhi");
    }

    #[test]
    fn scalar_in_scalar_out_and_type_errors() {
        let s = ColumnarValue::Scalar(ScalarValue::Utf8(Some("ab".into())));
        assert!(matches!(
            CaseMap::lower().invoke(&[s], 10).unwrap(),
            ColumnarValue::Scalar(_)
        ));
        let err = Length
            .coerce_types(&[DataType::Int64])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("length cannot be called with (BIGINT)"),
            "{err}"
        );
    }
}
