//! Functions of any number of arguments: `greatest`, `least` (NULLs
//! ignored, as in PostgreSQL), `concat` and `concat_ws` (NULLs skipped).

use std::sync::Arc;

use arrow::array::{Array, AsArray, BooleanArray, StringBuilder};
use arrow::compute::kernels::cmp::{gt, lt};
use arrow::compute::kernels::zip::zip;
use arrow::compute::{and, is_not_null, is_null, or};
use arrow::datatypes::DataType;
use quiver_expr::cast::cast_array;
use quiver_expr::{ColumnarValue, QuiverError, Result, ScalarFunction};

use super::{common_arg_type, result_rows, shaped};

/// `greatest(a, b, ..)` or `least(a, b, ..)`: the largest (smallest)
/// non-NULL argument; NULL only when all are.
#[derive(Debug)]
pub struct Extreme {
    greatest: bool,
}

impl Extreme {
    /// `greatest`.
    pub fn greatest() -> Self {
        Self { greatest: true }
    }
    /// `least`.
    pub fn least() -> Self {
        Self { greatest: false }
    }
}

impl ScalarFunction for Extreme {
    fn name(&self) -> &str {
        if self.greatest {
            "greatest"
        } else {
            "least"
        }
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        common_arg_type(self.name(), arg_types)
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(arg_types[0].clone())
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        let rows = result_rows(args, num_rows);
        let mut best = args[0].to_array(rows)?;
        for arg in &args[1..] {
            let next = arg.to_array(rows)?;
            let better = if self.greatest {
                gt(&next, &best)?
            } else {
                lt(&next, &best)?
            };
            // Take `next` where it wins or where the best so far is NULL.
            let better: BooleanArray = better.iter().map(|b| Some(b == Some(true))).collect();
            let take = or(&better, &and(&is_null(&best)?, &is_not_null(&next)?)?)?;
            best = zip(&take, &next, &best)?;
        }
        shaped(args, best)
    }
}

/// `concat(a, b, ..)`: the arguments as text, joined; NULLs are skipped.
/// `concat_ws(separator, a, b, ..)` puts the separator between the
/// non-NULL arguments, and is NULL when the separator is.
#[derive(Debug)]
pub struct Concat {
    with_separator: bool,
}

impl Concat {
    /// `concat`.
    pub fn plain() -> Self {
        Self {
            with_separator: false,
        }
    }
    /// `concat_ws`.
    pub fn with_separator() -> Self {
        Self {
            with_separator: true,
        }
    }
}

impl ScalarFunction for Concat {
    fn name(&self) -> &str {
        if self.with_separator {
            "concat_ws"
        } else {
            "concat"
        }
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if self.with_separator && arg_types.len() < 2 {
            return Err(QuiverError::Plan(
                "function concat_ws needs a separator and at least one value".into(),
            ));
        }
        Ok(vec![DataType::Utf8; arg_types.len()])
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        let rows = result_rows(args, num_rows);
        let strings = args
            .iter()
            .map(|a| cast_array(&a.to_array(rows)?, &DataType::Utf8))
            .collect::<Result<Vec<_>>>()?;
        let (separator, values) = if self.with_separator {
            (Some(strings[0].as_string::<i32>()), &strings[1..])
        } else {
            (None, &strings[..])
        };
        let mut out = StringBuilder::with_capacity(rows, rows * 16);
        let mut row_text = String::new();
        for row in 0..rows {
            let sep = match separator {
                Some(s) if s.is_null(row) => {
                    out.append_null();
                    continue;
                }
                Some(s) => s.value(row),
                None => "",
            };
            row_text.clear();
            let mut first = true;
            for s in values {
                let s = s.as_string::<i32>();
                if s.is_valid(row) {
                    if !first {
                        row_text.push_str(sep);
                    }
                    row_text.push_str(s.value(row));
                    first = false;
                }
            }
            out.append_value(&row_text);
        }
        shaped(args, Arc::new(out.finish()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, StringArray};
    use arrow::compute::cast;
    use arrow::datatypes::Int64Type;
    use quiver_expr::ScalarValue;

    fn ints(v: Vec<Option<i64>>) -> ColumnarValue {
        ColumnarValue::Array(Arc::new(Int64Array::from(v)))
    }

    #[test]
    fn extremes_skip_nulls() {
        let a = ints(vec![Some(1), None, None, Some(5)]);
        let b = ints(vec![Some(3), Some(2), None, Some(4)]);
        let g = Extreme::greatest()
            .invoke(&[a.clone(), b.clone()], 4)
            .unwrap();
        let g = g.into_array(4).unwrap();
        let g = g.as_primitive::<Int64Type>();
        assert_eq!(
            (g.value(0), g.value(1), g.is_null(2), g.value(3)),
            (3, 2, true, 5)
        );
        let l = Extreme::least()
            .invoke(&[a, b], 4)
            .unwrap()
            .into_array(4)
            .unwrap();
        assert_eq!(l.as_primitive::<Int64Type>().value(3), 4);
    }

    #[test]
    fn concat_skips_nulls() {
        let a = ColumnarValue::Array(Arc::new(StringArray::from(vec![Some("a"), None])));
        let n = ColumnarValue::Scalar(ScalarValue::Int64(Some(7)));
        let n = ColumnarValue::Array(cast(&n.to_array(2).unwrap(), &DataType::Utf8).unwrap());
        let out = Concat::plain()
            .invoke(&[a.clone(), n.clone()], 2)
            .unwrap()
            .into_array(2)
            .unwrap();
        let out = out.as_string::<i32>();
        assert_eq!((out.value(0), out.value(1)), ("a7", "7"));
        let sep = ColumnarValue::Scalar(ScalarValue::Utf8(Some(",".into())));
        let out = Concat::with_separator()
            .invoke(&[sep, a.clone(), n.clone(), a], 2)
            .unwrap()
            .into_array(2)
            .unwrap();
        let out = out.as_string::<i32>();
        assert_eq!((out.value(0), out.value(1)), ("a,7,a", "7"));
    }
}
