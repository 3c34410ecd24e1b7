//! User-defined functions, callable from SQL and from the DataFrame API
//! (through [`crate::functions::call`]) once registered on a session:
//!
//! - [`ScalarUdf`]: a Rust closure from the argument columns of a batch to
//!   the result column;
//! - [`AggregateUdf`]: a Rust closure from a group's argument values to its
//!   result (it sees each group whole, so any aggregate can be written);
//! - any implementation of the engine's own traits, re-exported here:
//!   [`ScalarFunction`], [`AggregateFunction`] (with its
//!   [`GroupsAccumulator`], for aggregates that merge partial states) and
//!   [`WindowFunction`].
//!
//! A panic inside a closure is caught and becomes an error of the query
//! that names the function; the process goes on.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> quiver::Result<()> {
//! use std::sync::Arc;
//! use arrow::array::{ArrayRef, Int64Array, AsArray};
//! use arrow::datatypes::{DataType, Int64Type};
//! use quiver::udf::ScalarUdf;
//! use quiver::SessionContext;
//!
//! let ctx = SessionContext::new();
//! ctx.register_scalar_function(ScalarUdf::new(
//!     "add_one",
//!     vec![DataType::Int64],
//!     DataType::Int64,
//!     |args: &[ArrayRef], _rows: usize| {
//!         let values = args[0].as_primitive::<Int64Type>();
//!         let added: Int64Array = values.iter().map(|v| v.map(|v| v + 1)).collect();
//!         Ok(Arc::new(added) as ArrayRef)
//!     },
//! ))?;
//! let batches = ctx.sql("SELECT add_one(41)").await?.collect().await?;
//! assert_eq!(batches[0].column(0).as_primitive::<Int64Type>().value(0), 42);
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::sync::Arc;

use arrow::array::{new_empty_array, Array, ArrayRef, UInt32Array};
use arrow::compute::{concat, take};
use arrow::datatypes::{DataType, Field};
use quiver_execution::panics::{catch, panic_message};
use quiver_expr::types::sql_type_name;
use quiver_expr::{QuiverError, Result, ScalarValue};

pub use quiver_expr::function::{
    AggregateFunction, ColumnarValue, GroupsAccumulator, ScalarFunction, Volatility, WindowFunction,
};
pub use quiver_expr::window::WindowRows;

/// The body of a [`ScalarUdf`].
type ScalarBody = dyn Fn(&[ArrayRef], usize) -> Result<ArrayRef> + Send + Sync;
/// The body of an [`AggregateUdf`].
type AggregateBody = dyn Fn(&[ArrayRef]) -> Result<ScalarValue> + Send + Sync;

/// The signature of a user-defined function: its name and types.
#[derive(Debug, Clone)]
struct Signature {
    /// Lower case, as SQL looks functions up.
    name: String,
    arguments: Vec<DataType>,
    returns: DataType,
}

impl Signature {
    fn new(name: &str, arguments: Vec<DataType>, returns: DataType) -> Self {
        Self {
            name: name.to_lowercase(),
            arguments,
            returns,
        }
    }

    /// The declared argument types, which calls are cast to; an error when
    /// the call has another number of arguments.
    fn coerce(&self, given: &[DataType]) -> Result<Vec<DataType>> {
        if given.len() != self.arguments.len() {
            let wanted: Vec<String> = self.arguments.iter().map(sql_type_name).collect();
            return Err(QuiverError::Plan(format!(
                "function {}({}) takes {} argument{}, not {}",
                self.name,
                wanted.join(", "),
                wanted.len(),
                if wanted.len() == 1 { "" } else { "s" },
                given.len()
            )));
        }
        Ok(self.arguments.clone())
    }

    /// Runs `body`, turning a panic into an error naming the function.
    fn guarded<T>(&self, body: impl FnOnce() -> Result<T>) -> Result<T> {
        catch(body).unwrap_or_else(|payload| {
            Err(QuiverError::Execution(format!(
                "function {} panicked: {}",
                self.name,
                panic_message(payload.as_ref())
            )))
        })
    }

    /// An error unless `column` has the declared result type and `rows`
    /// values.
    fn check_result(&self, column: &ArrayRef, rows: usize) -> Result<()> {
        if column.data_type() != &self.returns {
            return Err(QuiverError::Execution(format!(
                "function {} returned {} values, but it declares {}",
                self.name,
                sql_type_name(column.data_type()),
                sql_type_name(&self.returns)
            )));
        }
        if column.len() != rows {
            return Err(QuiverError::Execution(format!(
                "function {} returned {} values for {rows} rows",
                self.name,
                column.len()
            )));
        }
        Ok(())
    }
}

/// A scalar function whose body is a Rust closure: given the argument
/// columns of a batch (cast to the declared types) and its number of rows
/// (which a function without arguments needs), it returns the result
/// column, one value per row, of the declared type.
#[derive(Clone)]
pub struct ScalarUdf {
    signature: Signature,
    volatility: Volatility,
    body: Arc<ScalarBody>,
}

impl ScalarUdf {
    /// The function `name(arguments…) -> returns` computed by `body`;
    /// immutable (the same arguments give the same result) unless made
    /// [`ScalarUdf::volatile`].
    pub fn new(
        name: &str,
        arguments: Vec<DataType>,
        returns: DataType,
        body: impl Fn(&[ArrayRef], usize) -> Result<ArrayRef> + Send + Sync + 'static,
    ) -> Self {
        Self {
            signature: Signature::new(name, arguments, returns),
            volatility: Volatility::Immutable,
            body: Arc::new(body),
        }
    }

    /// The function, computed anew for every row and never ahead of time
    /// (as `random()` is).
    pub fn volatile(mut self) -> Self {
        self.volatility = Volatility::Volatile;
        self
    }
}

impl fmt::Debug for ScalarUdf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ScalarUdf({:?})", self.signature)
    }
}

impl ScalarFunction for ScalarUdf {
    fn name(&self) -> &str {
        &self.signature.name
    }

    fn volatility(&self) -> Volatility {
        self.volatility
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        self.signature.coerce(arg_types)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(self.signature.returns.clone())
    }

    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        let columns = args
            .iter()
            .map(|a| a.to_array(num_rows))
            .collect::<Result<Vec<_>>>()?;
        let result = self.signature.guarded(|| (self.body)(&columns, num_rows))?;
        self.signature.check_result(&result, num_rows)?;
        Ok(ColumnarValue::Array(result))
    }
}

/// An aggregate whose body is a Rust closure: given one group's argument
/// values (NULLs included, in arrival order), it returns the group's
/// result. The body also gives the value over no rows (it is called with
/// empty columns). Each group's values are gathered in one place before
/// the body runs, as for `median`.
#[derive(Clone)]
pub struct AggregateUdf {
    signature: Signature,
    body: Arc<AggregateBody>,
}

impl AggregateUdf {
    /// The aggregate `name(arguments…) -> returns` computed by `body`.
    pub fn new(
        name: &str,
        arguments: Vec<DataType>,
        returns: DataType,
        body: impl Fn(&[ArrayRef]) -> Result<ScalarValue> + Send + Sync + 'static,
    ) -> Self {
        Self {
            signature: Signature::new(name, arguments, returns),
            body: Arc::new(body),
        }
    }

    /// The body's value for one group, of the declared type.
    fn value(&self, columns: &[ArrayRef]) -> Result<ScalarValue> {
        let value = self.signature.guarded(|| (self.body)(columns))?;
        if value.is_null() {
            return Ok(ScalarValue::try_from(&self.signature.returns)?);
        }
        self.signature.check_result(&value.to_array()?, 1)?;
        Ok(value)
    }
}

impl fmt::Debug for AggregateUdf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AggregateUdf({:?})", self.signature)
    }
}

impl AggregateFunction for AggregateUdf {
    fn name(&self) -> &str {
        &self.signature.name
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        self.signature.coerce(arg_types)
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(self.signature.returns.clone())
    }

    /// None: the aggregate is computed in one phase.
    fn state_fields(&self, _name: &str, _arg_types: &[DataType]) -> Result<Vec<Field>> {
        Ok(vec![])
    }

    fn create_accumulator(&self, arg_types: &[DataType]) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(GroupedValues {
            function: self.clone(),
            chunks: vec![vec![]; arg_types.len()],
            arg_types: arg_types.to_vec(),
            groups: vec![],
            total: 0,
            bytes: 0,
        }))
    }

    /// The body sees NULLs, so a FILTER must drop rows rather than null
    /// them.
    fn skips_null_inputs(&self) -> bool {
        false
    }

    fn holistic(&self) -> bool {
        true
    }

    fn value_over_no_rows(&self, _return_type: &DataType) -> Result<ScalarValue> {
        let empty: Vec<ArrayRef> = self
            .signature
            .arguments
            .iter()
            .map(|t| new_empty_array(t))
            .collect();
        self.value(&empty)
    }
}

/// The argument values of every group, kept as they arrive.
#[derive(Debug)]
struct GroupedValues {
    function: AggregateUdf,
    arg_types: Vec<DataType>,
    /// Per argument, its chunks of values.
    chunks: Vec<Vec<ArrayRef>>,
    /// The group of each value.
    groups: Vec<u32>,
    total: usize,
    bytes: usize,
}

impl GroupsAccumulator for GroupedValues {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()> {
        self.total = self.total.max(total_num_groups);
        for (chunks, column) in self.chunks.iter_mut().zip(values) {
            self.bytes += column.get_array_memory_size();
            chunks.push(Arc::clone(column));
        }
        self.groups.extend(group_indices.iter().map(|&g| g as u32));
        Ok(())
    }

    fn merge_batch(&mut self, _: &[ArrayRef], _: &[usize], _: usize) -> Result<()> {
        Err(QuiverError::Internal(format!(
            "the one-phase aggregate {} was given partial states",
            self.function.signature.name
        )))
    }

    fn state(&mut self) -> Result<Vec<ArrayRef>> {
        Ok(vec![])
    }

    fn evaluate(&mut self) -> Result<ArrayRef> {
        let columns = std::mem::take(&mut self.chunks)
            .into_iter()
            .zip(&self.arg_types)
            .map(|(chunks, t)| match chunks.is_empty() {
                true => Ok(new_empty_array(t)),
                false => {
                    let refs: Vec<&dyn Array> = chunks.iter().map(|c| c.as_ref()).collect();
                    Ok(concat(&refs)?)
                }
            })
            .collect::<Result<Vec<_>>>()?;
        let mut rows_of: Vec<Vec<u32>> = vec![vec![]; self.total];
        for (row, &group) in std::mem::take(&mut self.groups).iter().enumerate() {
            rows_of[group as usize].push(row as u32);
        }
        self.bytes = 0;
        let values = rows_of
            .into_iter()
            .map(|rows| {
                let rows = UInt32Array::from(rows);
                let group = columns
                    .iter()
                    .map(|c| Ok(take(c.as_ref(), &rows, None)?))
                    .collect::<Result<Vec<_>>>()?;
                self.function.value(&group)
            })
            .collect::<Result<Vec<_>>>()?;
        match values.is_empty() {
            true => Ok(new_empty_array(&self.function.signature.returns)),
            false => Ok(ScalarValue::iter_to_array(values)?),
        }
    }

    fn size(&self) -> usize {
        self.bytes + self.groups.capacity() * 4
    }
}
