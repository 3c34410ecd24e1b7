//! Built-in scalar functions.

mod coalesce;
mod date_part;
mod date_trunc;
mod float_math;
mod math;
mod rounding;
mod row_fn;
mod string;
mod text;
mod variadic;

use std::sync::Arc;

use arrow::datatypes::DataType;
use quiver_expr::types::sql_type_name;
use quiver_expr::{ColumnarValue, QuiverError, Result, ScalarFunction, ScalarValue};

/// Every built-in scalar function with the names it answers to.
pub fn builtins() -> Vec<(&'static str, Arc<dyn ScalarFunction>)> {
    let upper: Arc<dyn ScalarFunction> = Arc::new(string::CaseMap::upper());
    let lower: Arc<dyn ScalarFunction> = Arc::new(string::CaseMap::lower());
    let length: Arc<dyn ScalarFunction> = Arc::new(string::Length);
    let btrim: Arc<dyn ScalarFunction> = Arc::new(string::Trim::both());
    let mut all: Vec<(&'static str, Arc<dyn ScalarFunction>)> = vec![
        ("upper", upper),
        ("lower", lower),
        ("length", Arc::clone(&length)),
        ("char_length", Arc::clone(&length)),
        ("character_length", length),
        ("trim", Arc::clone(&btrim)),
        ("btrim", btrim),
        ("ltrim", Arc::new(string::Trim::leading())),
        ("rtrim", Arc::new(string::Trim::trailing())),
        ("abs", Arc::new(math::Abs)),
        ("round", Arc::new(math::Round)),
        ("coalesce", Arc::new(coalesce::Coalesce)),
        ("date_part", Arc::new(date_part::DatePart)),
        ("date_trunc", Arc::new(date_trunc::DateTrunc)),
        ("floor", Arc::new(rounding::Rounding::floor())),
        ("ceil", Arc::new(rounding::Rounding::ceil())),
        ("ceiling", Arc::new(rounding::Rounding::ceil())),
        ("greatest", Arc::new(variadic::Extreme::greatest())),
        ("least", Arc::new(variadic::Extreme::least())),
        ("concat", Arc::new(variadic::Concat)),
    ];
    for (name, f) in text::functions().into_iter().chain(float_math::functions()) {
        all.push((name, Arc::new(f)));
    }
    all
}

/// Checks the argument count of a call.
fn check_arity(name: &str, arg_types: &[DataType], min: usize, max: usize) -> Result<()> {
    if arg_types.len() < min || arg_types.len() > max {
        let expected = if min == max {
            format!("{min}")
        } else {
            format!("{min} to {max}")
        };
        return Err(QuiverError::Plan(format!(
            "function {name} takes {expected} argument(s) but was given {}",
            arg_types.len()
        )));
    }
    Ok(())
}

/// Applies `f` to the values of a one-argument call, keeping a scalar
/// argument scalar.
fn map_values(
    arg: &ColumnarValue,
    num_rows: usize,
    f: impl Fn(&dyn arrow::array::Array) -> Result<arrow::array::ArrayRef>,
) -> Result<ColumnarValue> {
    match arg {
        ColumnarValue::Scalar(s) => {
            let out = f(&s.to_array_of_size(1)?)?;
            Ok(ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?))
        }
        ColumnarValue::Array(a) => {
            debug_assert_eq!(a.len(), num_rows);
            Ok(ColumnarValue::Array(f(a.as_ref())?))
        }
    }
}

/// Every argument cast to one common type, for functions such as
/// `coalesce` and `greatest` that choose among their arguments.
fn common_arg_type(name: &str, arg_types: &[DataType]) -> Result<Vec<DataType>> {
    if arg_types.is_empty() {
        return Err(QuiverError::Plan(format!(
            "function {name} needs at least one argument"
        )));
    }
    let mut t = DataType::Null;
    for a in arg_types {
        t = quiver_expr::types::common_type(&t, a).ok_or_else(|| {
            QuiverError::Schema(format!(
                "{name} cannot mix {} and {}",
                sql_type_name(&t),
                sql_type_name(a)
            ))
        })?;
    }
    Ok(vec![t; arg_types.len()])
}

/// The error for a call whose argument types do not fit.
fn wrong_types(name: &str, arg_types: &[DataType]) -> QuiverError {
    let types: Vec<String> = arg_types.iter().map(sql_type_name).collect();
    QuiverError::Schema(format!(
        "function {name} cannot be called with ({})",
        types.join(", ")
    ))
}
