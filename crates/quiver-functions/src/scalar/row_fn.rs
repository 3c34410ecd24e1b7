//! Scalar functions defined by what they do to one row's values: strict
//! (NULL in, NULL out) functions over strings, integers and doubles, such as
//! `substr`, `lpad` or `power`. Arguments are cast to the parameter kinds
//! once; the per-row function sees plain Rust values.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanBuilder, Float64Builder, Int64Builder, StringBuilder,
};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Float64Type, Int64Type};
use quiver_expr::types::{is_numeric, is_string};
use quiver_expr::{ColumnarValue, QuiverError, Result, ScalarFunction, ScalarValue};

use super::{check_arity, wrong_types};

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
}

impl Kind {
    fn data_type(self) -> DataType {
        match self {
            Kind::Str => DataType::Utf8,
            Kind::Int => DataType::Int64,
            Kind::Float => DataType::Float64,
            Kind::Bool => DataType::Boolean,
        }
    }

    fn accepts(self, t: &DataType) -> bool {
        t == &DataType::Null
            || match self {
                Kind::Str => is_string(t),
                Kind::Int => t.is_integer(),
                Kind::Float => is_numeric(t),
                Kind::Bool => t == &DataType::Boolean,
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
        }
    }
}

/// The values of one argument column, cast to its kind.
enum Column {
    Str(arrow::array::StringArray),
    Int(arrow::array::Int64Array),
    Float(arrow::array::Float64Array),
}

impl Column {
    fn get(&self, row: usize) -> Option<Val<'_>> {
        match self {
            Column::Str(a) => a.is_valid(row).then(|| Val::Str(a.value(row))),
            Column::Int(a) => a.is_valid(row).then(|| Val::Int(a.value(row))),
            Column::Float(a) => a.is_valid(row).then(|| Val::Float(a.value(row))),
        }
    }
}

enum Builder {
    Str(StringBuilder),
    Int(Int64Builder),
    Float(Float64Builder),
    Bool(BooleanBuilder),
}

impl Builder {
    fn new(kind: Kind, rows: usize) -> Self {
        match kind {
            Kind::Str => Builder::Str(StringBuilder::with_capacity(rows, rows * 8)),
            Kind::Int => Builder::Int(Int64Builder::with_capacity(rows)),
            Kind::Float => Builder::Float(Float64Builder::with_capacity(rows)),
            Kind::Bool => Builder::Bool(BooleanBuilder::with_capacity(rows)),
        }
    }

    fn append(&mut self, out: Out) {
        match (self, out) {
            (Builder::Str(b), Out::Str(s)) => b.append_value(s),
            (Builder::Int(b), Out::Int(i)) => b.append_value(i),
            (Builder::Float(b), Out::Float(f)) => b.append_value(f),
            (Builder::Bool(b), Out::Bool(v)) => b.append_value(v),
            (Builder::Str(b), _) => b.append_null(),
            (Builder::Int(b), _) => b.append_null(),
            (Builder::Float(b), _) => b.append_null(),
            (Builder::Bool(b), _) => b.append_null(),
        }
    }

    fn finish(self) -> ArrayRef {
        match self {
            Builder::Str(mut b) => Arc::new(b.finish()),
            Builder::Int(mut b) => Arc::new(b.finish()),
            Builder::Float(mut b) => Arc::new(b.finish()),
            Builder::Bool(mut b) => Arc::new(b.finish()),
        }
    }
}

impl ScalarFunction for RowFunction {
    fn name(&self) -> &str {
        self.name
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let max = self.params.len();
        check_arity(self.name, arg_types, max - self.optional, max)?;
        arg_types
            .iter()
            .zip(self.params)
            .map(|(t, k)| {
                if k.accepts(t) {
                    Ok(k.data_type())
                } else {
                    Err(wrong_types(self.name, arg_types))
                }
            })
            .collect()
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(self.returns.data_type())
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        let all_scalar = args.iter().all(|a| matches!(a, ColumnarValue::Scalar(_)));
        let rows = if all_scalar { 1 } else { num_rows };
        let columns = args
            .iter()
            .zip(self.params)
            .map(|(a, k)| {
                let array = cast(&a.to_array(rows)?, &k.data_type())?;
                Ok(match k {
                    Kind::Str => Column::Str(array.as_string::<i32>().clone()),
                    Kind::Int => Column::Int(array.as_primitive::<Int64Type>().clone()),
                    _ => Column::Float(array.as_primitive::<Float64Type>().clone()),
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
        let out = builder.finish();
        Ok(if all_scalar {
            ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?)
        } else {
            ColumnarValue::Array(out)
        })
    }
}
