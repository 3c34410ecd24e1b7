//! Functions of any number of arguments: `greatest`, `least` (NULLs
//! ignored, as in PostgreSQL) and `concat` (NULLs read as empty strings).

use std::sync::Arc;

use arrow::array::{Array, AsArray, BooleanArray, StringBuilder};
use arrow::compute::kernels::cmp::{gt, lt};
use arrow::compute::kernels::zip::zip;
use arrow::compute::{and, cast, is_not_null, is_null, or};
use arrow::datatypes::DataType;
use quiver_expr::{ColumnarValue, Result, ScalarFunction, ScalarValue};

use super::common_arg_type;

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

fn all_scalar(args: &[ColumnarValue]) -> bool {
    args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)))
}

fn shaped(args: &[ColumnarValue], out: arrow::array::ArrayRef) -> Result<ColumnarValue> {
    Ok(if all_scalar(args) {
        ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?)
    } else {
        ColumnarValue::Array(out)
    })
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
        let rows = if all_scalar(args) { 1 } else { num_rows };
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
#[derive(Debug)]
pub struct Concat;

impl ScalarFunction for Concat {
    fn name(&self) -> &str {
        "concat"
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        Ok(vec![DataType::Utf8; arg_types.len()])
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        let rows = if all_scalar(args) { 1 } else { num_rows };
        let strings = args
            .iter()
            .map(|a| Ok(cast(&a.to_array(rows)?, &DataType::Utf8)?))
            .collect::<Result<Vec<_>>>()?;
        let mut out = StringBuilder::with_capacity(rows, rows * 16);
        let mut row_text = String::new();
        for row in 0..rows {
            row_text.clear();
            for s in &strings {
                let s = s.as_string::<i32>();
                if s.is_valid(row) {
                    row_text.push_str(s.value(row));
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
    use arrow::datatypes::Int64Type;

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
        let out = Concat.invoke(&[a, n], 2).unwrap().into_array(2).unwrap();
        let out = out.as_string::<i32>();
        assert_eq!((out.value(0), out.value(1)), ("a7", "7"));
    }
}
