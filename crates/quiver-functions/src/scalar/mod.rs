//! Built-in scalar functions.

mod arrays;
mod characters;
mod coalesce;
mod date_part;
mod date_trunc;
mod dates;
pub(crate) mod datetime;
mod encoding;
mod epoch;
mod float_math;
mod format;
mod hash;
mod integer_math;
mod json;
pub(crate) mod list_ops;
pub(crate) mod lists;
mod math;
mod random;
mod regexp;
mod rounding;
mod row_fn;
mod similarity;
mod split;
mod str_arg;
mod string;
mod structs;
mod text;
mod time_format;
mod type_of;
mod uuid;
mod variadic;

use std::sync::Arc;

use arrow::datatypes::DataType;
use quiver_expr::types::sql_type_name;
use quiver_expr::{ColumnarValue, QuiverError, Result, ScalarFunction, ScalarValue};

/// Every built-in scalar function (each also answers to its
/// [`ScalarFunction::aliases`]).
pub fn builtins() -> Vec<Arc<dyn ScalarFunction>> {
    let mut all: Vec<Arc<dyn ScalarFunction>> = vec![
        Arc::new(string::CaseMap::upper()),
        Arc::new(string::CaseMap::lower()),
        Arc::new(string::Length),
        Arc::new(string::Trim::both()),
        Arc::new(string::Trim::leading()),
        Arc::new(string::Trim::trailing()),
        Arc::new(math::Abs),
        Arc::new(math::Round::half_away_from_zero()),
        Arc::new(math::Round::half_to_even()),
        Arc::new(math::Round::toward_zero()),
        Arc::new(coalesce::Coalesce),
        Arc::new(type_of::TypeOf),
        Arc::new(date_part::DatePart::new()),
        Arc::new(date_trunc::DateTrunc),
        Arc::new(rounding::Rounding::floor()),
        Arc::new(rounding::Rounding::ceil()),
        Arc::new(variadic::Extreme::greatest()),
        Arc::new(variadic::Extreme::least()),
        Arc::new(variadic::Concat::plain()),
        Arc::new(variadic::Concat::with_separator()),
        Arc::new(random::Random),
        Arc::new(hash::Hash),
        Arc::new(uuid::NewUuid::random()),
        Arc::new(uuid::NewUuid::time_ordered()),
        Arc::new(uuid::UuidPart::version()),
        Arc::new(uuid::UuidPart::timestamp()),
        Arc::new(split::StringSplit),
        Arc::new(format::Format::braces()),
        Arc::new(format::Format::percents()),
        Arc::new(time_format::TimeFormat::strftime()),
        Arc::new(time_format::TimeFormat::strptime()),
        Arc::new(time_format::TimeFormat::try_strptime()),
        Arc::new(time_format::TimeFormat::to_char()),
        Arc::new(time_format::TimeFormat::to_date()),
        Arc::new(lists::ListValue),
        Arc::new(lists::Extract),
        Arc::new(lists::Slice),
        Arc::new(lists::Unnest),
        Arc::new(list_ops::ListSearch::contains()),
        Arc::new(list_ops::ListSearch::position()),
        Arc::new(list_ops::ListOverlap::any()),
        Arc::new(list_ops::ListOverlap::all()),
        Arc::new(list_ops::ListReshape::sort()),
        Arc::new(list_ops::ListReshape::reverse_sort()),
        Arc::new(list_ops::ListReshape::reverse()),
        Arc::new(list_ops::ListReshape::distinct()),
        Arc::new(list_ops::ListConcat),
        Arc::new(list_ops::Flatten),
        Arc::new(list_ops::ArrayToString),
        Arc::new(list_ops::Series::range()),
        Arc::new(list_ops::Series::generate_series()),
        Arc::new(list_ops::ListAggregate::by_name()),
        Arc::new(structs::StructPack),
        Arc::new(structs::Row),
        Arc::new(arrays::ArrayValue),
        Arc::new(structs::StructExtract),
        Arc::new(structs::MapFromLists),
        Arc::new(structs::MapFromEntries),
        Arc::new(structs::MapExtract),
    ];
    all.extend(json::functions());
    all.extend(shared(list_ops::ListAggregate::shorthands()));
    all.extend(shared(structs::MapParts::all()));
    all.extend(shared(arrays::VectorFunction::all()));
    all.extend(shared(
        text::functions()
            .into_iter()
            .chain(float_math::functions())
            .chain(characters::functions())
            .chain(similarity::functions())
            .chain(encoding::functions())
            .chain(integer_math::functions())
            .chain(dates::functions()),
    ));
    all.extend(encoding::integer_or_bytes_functions());
    all.extend(float_math::overloaded());
    all.extend(shared(regexp::functions()));
    all.extend(shared(date_part::field_functions()));
    all.extend(shared(epoch::EpochIn::all()));
    all
}

/// Functions of one type as registry entries.
fn shared<F: ScalarFunction + 'static>(
    functions: impl IntoIterator<Item = F>,
) -> impl Iterator<Item = Arc<dyn ScalarFunction>> {
    functions
        .into_iter()
        .map(|f| Arc::new(f) as Arc<dyn ScalarFunction>)
}

/// The largest string a function builds (1 GiB): a longer one is an
/// error, not an allocation that could take the process down.
const MAX_STRING_BYTES: usize = 1 << 30;

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

/// The number of rows a call produces: one when every argument is a
/// constant, else the batch's.
fn result_rows(args: &[ColumnarValue], num_rows: usize) -> usize {
    if args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_))) {
        1
    } else {
        num_rows
    }
}

/// A call's result: a constant when every argument was one, else the
/// column `out`.
fn shaped(args: &[ColumnarValue], out: arrow::array::ArrayRef) -> Result<ColumnarValue> {
    Ok(
        if args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_))) {
            ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?)
        } else {
            ColumnarValue::Array(out)
        },
    )
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
