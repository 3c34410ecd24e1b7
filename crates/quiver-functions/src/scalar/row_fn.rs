//! Scalar functions defined by what they do to one row's values: strict
//! (NULL in, NULL out) functions over strings, integers and doubles, such as
//! `substr`, `lpad` or `power`. Arguments are cast to the parameter kinds
//! once; the per-row function sees plain Rust values.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BinaryBuilder, BooleanBuilder, Date32Builder, Float64Builder,
    Int64Builder, IntervalMonthDayNanoBuilder, StringBuilder, Time64MicrosecondBuilder,
    TimestampMicrosecondBuilder,
};
use arrow::compute::cast;
use arrow::datatypes::{
    DataType, Date32Type, Float64Type, Int64Type, IntervalMonthDayNano, IntervalMonthDayNanoType,
    IntervalUnit, Time64MicrosecondType, TimeUnit, TimestampMicrosecondType,
};
use quiver_expr::types::{is_numeric, is_string};

use quiver_expr::{ColumnarValue, QuiverError, Result, ScalarFunction};

use super::{check_arity, result_rows, shaped, wrong_types};

/// True for the BLOB layouts.
fn is_binary(t: &DataType) -> bool {
    matches!(
        t,
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView
    )
}

/// The kind of a parameter or result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// VARCHAR.
    Str,
    /// BIGINT (integer arguments only).
    Int,
    /// DOUBLE (any numeric argument).
    Float,
    /// BOOLEAN (results only).
    Bool,
    /// BLOB (a string argument is taken as its UTF-8 bytes).
    Bytes,
    /// DATE (a timestamp argument is taken at its date).
    Date,
    /// TIMESTAMP (a date argument is taken at its midnight).
    Timestamp,
    /// INTERVAL.
    Interval,
    /// TIME (results only).
    Time,
}

impl Kind {
    fn data_type(self) -> DataType {
        match self {
            Kind::Str => DataType::Utf8,
            Kind::Int => DataType::Int64,
            Kind::Float => DataType::Float64,
            Kind::Bool => DataType::Boolean,
            Kind::Bytes => DataType::Binary,
            Kind::Date => DataType::Date32,
            Kind::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, None),
            Kind::Interval => DataType::Interval(IntervalUnit::MonthDayNano),
            Kind::Time => DataType::Time64(TimeUnit::Microsecond),
        }
    }

    fn accepts(self, t: &DataType) -> bool {
        t == &DataType::Null
            || match self {
                Kind::Str => is_string(t),
                Kind::Int => t.is_integer(),
                Kind::Float => is_numeric(t),
                Kind::Bool => t == &DataType::Boolean,
                Kind::Bytes => is_string(t) || is_binary(t),
                Kind::Date | Kind::Timestamp => {
                    matches!(
                        t,
                        DataType::Date32 | DataType::Date64 | DataType::Timestamp(..)
                    )
                }
                Kind::Interval => matches!(t, DataType::Interval(_)),
                Kind::Time => matches!(t, DataType::Time32(_) | DataType::Time64(_)),
            }
    }
}

/// One argument value of a row.
#[derive(Debug, Clone, Copy)]
pub enum Val<'a> {
    /// A string.
    Str(&'a str),
    /// An integer.
    Int(i64),
    /// A double.
    Float(f64),
    /// Bytes.
    Bytes(&'a [u8]),
    /// Days since 1970-01-01.
    Date(i32),
    /// Microseconds since 1970-01-01 00:00:00.
    Timestamp(i64),
    /// An interval.
    Interval(IntervalMonthDayNano),
}

impl<'a> Val<'a> {
    /// The string (for `Kind::Str` parameters).
    pub fn str(self) -> &'a str {
        match self {
            Val::Str(s) => s,
            _ => "",
        }
    }
    /// The integer (for `Kind::Int` parameters).
    pub fn int(self) -> i64 {
        match self {
            Val::Int(i) => i,
            _ => 0,
        }
    }
    /// The double (for `Kind::Float` parameters).
    pub fn float(self) -> f64 {
        match self {
            Val::Float(f) => f,
            _ => 0.0,
        }
    }
    /// The bytes (for `Kind::Bytes` parameters).
    pub fn bytes(self) -> &'a [u8] {
        match self {
            Val::Bytes(b) => b,
            _ => &[],
        }
    }
    /// The days since the epoch (for `Kind::Date` parameters).
    pub fn date(self) -> i32 {
        match self {
            Val::Date(d) => d,
            _ => 0,
        }
    }
    /// The microseconds since the epoch (for `Kind::Timestamp` parameters).
    pub fn timestamp(self) -> i64 {
        match self {
            Val::Timestamp(t) => t,
            _ => 0,
        }
    }
    /// The interval (for `Kind::Interval` parameters).
    pub fn interval(self) -> IntervalMonthDayNano {
        match self {
            Val::Interval(i) => i,
            _ => IntervalMonthDayNano::ZERO,
        }
    }
}

/// One result value.
#[derive(Debug, Clone, PartialEq)]
pub enum Out {
    /// A string.
    Str(String),
    /// An integer.
    Int(i64),
    /// A double.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// Bytes.
    Bytes(Vec<u8>),
    /// Days since 1970-01-01.
    Date(i32),
    /// Microseconds since 1970-01-01 00:00:00.
    Timestamp(i64),
    /// An interval.
    Interval(IntervalMonthDayNano),
    /// Microseconds since midnight.
    Time(i64),
    /// SQL NULL.
    Null,
}

/// The per-row function: an error message is reported as an execution error.
pub type RowFn = fn(&[Val]) -> std::result::Result<Out, String>;

/// A strict scalar function over parameters of fixed kinds; the last
/// `optional` parameters may be omitted.
#[derive(Debug)]
pub struct RowFunction {
    name: &'static str,
    params: &'static [Kind],
    optional: usize,
    returns: Kind,
    f: RowFn,
    aliases: &'static [&'static str],
    /// The argument whose being a DATE makes a TIMESTAMP result a DATE.
    date_follows: Option<usize>,
}

impl RowFunction {
    /// A function `name(params..) -> returns` computed by `f`.
    pub const fn new(
        name: &'static str,
        params: &'static [Kind],
        optional: usize,
        returns: Kind,
        f: RowFn,
    ) -> Self {
        Self {
            name,
            params,
            optional,
            returns,
            f,
            aliases: &[],
            date_follows: None,
        }
    }

    /// The same function, also answering to `aliases`.
    pub const fn with_aliases(mut self, aliases: &'static [&'static str]) -> Self {
        self.aliases = aliases;
        self
    }

    /// The same function, returning its TIMESTAMP result as a DATE when
    /// argument `position` is a DATE (`time_bucket` of a date is a date).
    pub const fn with_date_result_for_date(mut self, position: usize) -> Self {
        self.date_follows = Some(position);
        self
    }

    /// Whether the result is a DATE for arguments of `arg_types`.
    fn returns_date(&self, arg_types: &[DataType]) -> bool {
        self.date_follows
            .and_then(|i| arg_types.get(i))
            .is_some_and(|t| t == &DataType::Date32)
    }
}

/// The values of one argument column, cast to its kind.
enum Column {
    Str(arrow::array::StringArray),
    Int(arrow::array::Int64Array),
    Float(arrow::array::Float64Array),
    Bytes(arrow::array::BinaryArray),
    Date(arrow::array::Date32Array),
    Timestamp(arrow::array::TimestampMicrosecondArray),
    Interval(arrow::array::IntervalMonthDayNanoArray),
}

impl Column {
    fn get(&self, row: usize) -> Option<Val<'_>> {
        match self {
            Column::Str(a) => a.is_valid(row).then(|| Val::Str(a.value(row))),
            Column::Int(a) => a.is_valid(row).then(|| Val::Int(a.value(row))),
            Column::Float(a) => a.is_valid(row).then(|| Val::Float(a.value(row))),
            Column::Bytes(a) => a.is_valid(row).then(|| Val::Bytes(a.value(row))),
            Column::Date(a) => a.is_valid(row).then(|| Val::Date(a.value(row))),
            Column::Timestamp(a) => a.is_valid(row).then(|| Val::Timestamp(a.value(row))),
            Column::Interval(a) => a.is_valid(row).then(|| Val::Interval(a.value(row))),
        }
    }
}

enum Builder {
    Str(StringBuilder),
    Int(Int64Builder),
    Float(Float64Builder),
    Bool(BooleanBuilder),
    Bytes(BinaryBuilder),
    Date(Date32Builder),
    Timestamp(TimestampMicrosecondBuilder),
    Interval(IntervalMonthDayNanoBuilder),
    Time(Time64MicrosecondBuilder),
}

impl Builder {
    fn new(kind: Kind, rows: usize) -> Self {
        match kind {
            Kind::Str => Builder::Str(StringBuilder::with_capacity(rows, rows * 8)),
            Kind::Int => Builder::Int(Int64Builder::with_capacity(rows)),
            Kind::Float => Builder::Float(Float64Builder::with_capacity(rows)),
            Kind::Bool => Builder::Bool(BooleanBuilder::with_capacity(rows)),
            Kind::Bytes => Builder::Bytes(BinaryBuilder::with_capacity(rows, rows * 8)),
            Kind::Date => Builder::Date(Date32Builder::with_capacity(rows)),
            Kind::Timestamp => Builder::Timestamp(TimestampMicrosecondBuilder::with_capacity(rows)),
            Kind::Interval => Builder::Interval(IntervalMonthDayNanoBuilder::with_capacity(rows)),
            Kind::Time => Builder::Time(Time64MicrosecondBuilder::with_capacity(rows)),
        }
    }

    fn append(&mut self, out: Out) {
        match (self, out) {
            (Builder::Str(b), Out::Str(s)) => b.append_value(s),
            (Builder::Int(b), Out::Int(i)) => b.append_value(i),
            (Builder::Float(b), Out::Float(f)) => b.append_value(f),
            (Builder::Bool(b), Out::Bool(v)) => b.append_value(v),
            (Builder::Bytes(b), Out::Bytes(v)) => b.append_value(v),
            (Builder::Date(b), Out::Date(v)) => b.append_value(v),
            (Builder::Timestamp(b), Out::Timestamp(v)) => b.append_value(v),
            (Builder::Interval(b), Out::Interval(v)) => b.append_value(v),
            (Builder::Time(b), Out::Time(v)) => b.append_value(v),
            (Builder::Str(b), _) => b.append_null(),
            (Builder::Int(b), _) => b.append_null(),
            (Builder::Float(b), _) => b.append_null(),
            (Builder::Bool(b), _) => b.append_null(),
            (Builder::Bytes(b), _) => b.append_null(),
            (Builder::Date(b), _) => b.append_null(),
            (Builder::Timestamp(b), _) => b.append_null(),
            (Builder::Interval(b), _) => b.append_null(),
            (Builder::Time(b), _) => b.append_null(),
        }
    }

    fn finish(self) -> ArrayRef {
        match self {
            Builder::Str(mut b) => Arc::new(b.finish()),
            Builder::Int(mut b) => Arc::new(b.finish()),
            Builder::Float(mut b) => Arc::new(b.finish()),
            Builder::Bool(mut b) => Arc::new(b.finish()),
            Builder::Bytes(mut b) => Arc::new(b.finish()),
            Builder::Date(mut b) => Arc::new(b.finish()),
            Builder::Timestamp(mut b) => Arc::new(b.finish()),
            Builder::Interval(mut b) => Arc::new(b.finish()),
            Builder::Time(mut b) => Arc::new(b.finish()),
        }
    }
}

impl ScalarFunction for RowFunction {
    fn name(&self) -> &str {
        self.name
    }
    fn aliases(&self) -> &'static [&'static str] {
        self.aliases
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let max = self.params.len();
        check_arity(self.name, arg_types, max - self.optional, max)?;
        arg_types
            .iter()
            .zip(self.params)
            .enumerate()
            .map(|(i, (t, k))| {
                if !k.accepts(t) {
                    Err(wrong_types(self.name, arg_types))
                } else if self.date_follows == Some(i) && t == &DataType::Date32 {
                    // Kept a DATE so that the result type can follow it.
                    Ok(DataType::Date32)
                } else {
                    Ok(k.data_type())
                }
            })
            .collect()
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(if self.returns_date(arg_types) {
            DataType::Date32
        } else {
            self.returns.data_type()
        })
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        let rows = result_rows(args, num_rows);
        let columns = args
            .iter()
            .zip(self.params)
            .map(|(a, k)| {
                let array = cast(&a.to_array(rows)?, &k.data_type())?;
                Ok(match k {
                    Kind::Str => Column::Str(array.as_string::<i32>().clone()),
                    Kind::Int => Column::Int(array.as_primitive::<Int64Type>().clone()),
                    Kind::Bytes => Column::Bytes(array.as_binary::<i32>().clone()),
                    Kind::Date => Column::Date(array.as_primitive::<Date32Type>().clone()),
                    Kind::Timestamp => {
                        Column::Timestamp(array.as_primitive::<TimestampMicrosecondType>().clone())
                    }
                    Kind::Interval => {
                        Column::Interval(array.as_primitive::<IntervalMonthDayNanoType>().clone())
                    }
                    Kind::Time => Column::Int(
                        array
                            .as_primitive::<Time64MicrosecondType>()
                            .reinterpret_cast(),
                    ),
                    Kind::Float | Kind::Bool => {
                        Column::Float(array.as_primitive::<Float64Type>().clone())
                    }
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let mut builder = Builder::new(self.returns, rows);
        let mut values = Vec::with_capacity(columns.len());
        for row in 0..rows {
            values.clear();
            let mut null = false;
            for c in &columns {
                match c.get(row) {
                    Some(v) => values.push(v),
                    None => null = true,
                }
            }
            let out = if null {
                Out::Null
            } else {
                (self.f)(&values)
                    .map_err(|m| QuiverError::Execution(format!("{}: {m}", self.name)))?
            };
            builder.append(out);
        }
        let types: Vec<DataType> = args.iter().map(ColumnarValue::data_type).collect();
        let out = builder.finish();
        let out = if self.returns_date(&types) {
            cast(&out, &DataType::Date32)?
        } else {
            out
        };
        shaped(args, out)
    }
}

/// Helpers for the tests of functions defined per row.
/// One function name with several forms over different parameter kinds
/// (`hex` of an integer or of bytes): a call takes the first form whose
/// parameters accept its arguments.
#[derive(Debug)]
pub struct Overloaded {
    forms: Vec<RowFunction>,
}

impl Overloaded {
    /// The function of `forms` (at least one; all of one name).
    pub fn new(forms: Vec<RowFunction>) -> Self {
        Self { forms }
    }

    /// The form for arguments of `types`: the first that accepts them,
    /// else the last (whose error names the call).
    fn form(&self, types: &[DataType]) -> &RowFunction {
        self.forms
            .iter()
            .find(|f| f.coerce_types(types).is_ok())
            .unwrap_or_else(|| &self.forms[self.forms.len() - 1])
    }
}

impl ScalarFunction for Overloaded {
    fn name(&self) -> &str {
        self.forms[0].name()
    }
    fn aliases(&self) -> &'static [&'static str] {
        self.forms[0].aliases()
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        self.form(arg_types).coerce_types(arg_types)
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.form(arg_types).return_type(arg_types)
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        let types: Vec<DataType> = args.iter().map(|a| a.data_type()).collect();
        self.form(&types).invoke(args, num_rows)
    }
}

#[cfg(test)]
pub mod test_values {
    use super::{Out, Val};

    /// A string argument.
    pub fn s(v: &str) -> Val<'_> {
        Val::Str(v)
    }

    /// The string a call returned.
    pub fn text(out: Result<Out, String>) -> String {
        match out.unwrap() {
            Out::Str(s) => s,
            other => panic!("expected a string, got {other:?}"),
        }
    }
}
