//! The traits that built-in functions implement. The implementations live in
//! `quiver-functions`; the planner and executor only see these traits.

use std::fmt::Debug;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::array::{new_null_array, ArrayRef};
use arrow::datatypes::{DataType, Field, SchemaRef};
use datafusion_common::ScalarValue;

use crate::error::Result;
use crate::table_source::TableSource;
use crate::window::WindowRows;

/// A function argument or result: a whole column, or one value that stands for
/// every row.
#[derive(Debug, Clone)]
pub enum ColumnarValue {
    /// One value per row.
    Array(ArrayRef),
    /// The same value for every row.
    Scalar(ScalarValue),
}

impl ColumnarValue {
    /// The value's data type.
    pub fn data_type(&self) -> DataType {
        match self {
            ColumnarValue::Array(a) => a.data_type().clone(),
            ColumnarValue::Scalar(s) => s.data_type(),
        }
    }

    /// Materializes the value as an array of `num_rows` rows.
    pub fn into_array(self, num_rows: usize) -> Result<ArrayRef> {
        match self {
            ColumnarValue::Array(a) => Ok(a),
            ColumnarValue::Scalar(s) if s.is_null() => Ok(new_null_array(&s.data_type(), num_rows)),
            ColumnarValue::Scalar(s) => Ok(s.to_array_of_size(num_rows)?),
        }
    }

    /// Like [`ColumnarValue::into_array`] without consuming the value.
    pub fn to_array(&self, num_rows: usize) -> Result<ArrayRef> {
        self.clone().into_array(num_rows)
    }
}

/// Whether a function gives the same result for the same arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Volatility {
    /// Always the same result: a call over constants may be computed once
    /// while planning, and equal calls may be computed once and shared.
    Immutable,
    /// A new result at every row (`random()`): never computed ahead,
    /// never shared between two places that call it, never moved to where
    /// it would run for other rows.
    Volatile,
}

/// A scalar (row-by-row in meaning, vectorized in implementation) function
/// such as `upper` or `round`.
pub trait ScalarFunction: Send + Sync + Debug {
    /// The SQL name, lower case; results are named after it.
    fn name(&self) -> &str;

    /// Other names the function answers to (`char_length` for `length`).
    fn aliases(&self) -> &'static [&'static str] {
        &[]
    }

    /// Whether a call gives the same result for the same arguments.
    fn volatility(&self) -> Volatility {
        Volatility::Immutable
    }

    /// The argument types the function wants, given the types it was called
    /// with; the planner inserts casts to them. Errors name the function and
    /// the types when the call cannot be made to fit.
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>>;

    /// The result type for (already coerced) argument types.
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType>;

    /// The result type of one call, for functions whose result type depends
    /// on the value of a constant argument (`struct_extract(s, 'field')`):
    /// `constants` holds `Some(value)` at the positions of constant
    /// arguments. Defaults to [`ScalarFunction::return_type`].
    fn return_type_of_call(
        &self,
        arg_types: &[DataType],
        _constants: &[Option<ScalarValue>],
    ) -> Result<DataType> {
        self.return_type(arg_types)
    }

    /// The function prepared for one call whose arguments at some positions
    /// are the same on every row (`Some(value)` there), such as a regular
    /// expression compiled once per query instead of once per batch. Errors
    /// in those constants (an invalid pattern) are reported here, when the
    /// query is planned. `None` keeps the function as it is.
    fn prepare(
        &self,
        _constants: &[Option<ScalarValue>],
    ) -> Result<Option<Arc<dyn ScalarFunction>>> {
        Ok(None)
    }

    /// Evaluates the function over a batch of `num_rows` rows.
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue>;
}

/// An aggregate function such as `sum`, evaluated for many groups at once.
pub trait AggregateFunction: Send + Sync + Debug {
    /// The SQL name, lower case; results are named after it.
    fn name(&self) -> &str;

    /// Other names the function answers to.
    fn aliases(&self) -> &'static [&'static str] {
        &[]
    }

    /// The argument types the function wants, given the types it was called with.
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>>;

    /// The result type for (already coerced) argument types.
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType>;

    /// The fields of the intermediate state passed from the partial to the
    /// final phase of a two-phase aggregation.
    fn state_fields(&self, name: &str, arg_types: &[DataType]) -> Result<Vec<Field>>;

    /// A fresh accumulator for the given argument types.
    fn create_accumulator(&self, arg_types: &[DataType]) -> Result<Box<dyn GroupsAccumulator>>;

    /// Whether the result depends on the order rows arrive in (such as a
    /// concatenation); an ORDER BY below such an aggregate is kept. An
    /// aggregate that does not may be computed over a group's distinct
    /// values in place of `DISTINCT`.
    fn depends_on_input_order(&self) -> bool {
        false
    }

    /// Whether the function passes over rows whose first argument is NULL
    /// (every aggregate but `first` and `last`, which may answer NULL):
    /// `FILTER (WHERE c)` then becomes a first argument of `CASE WHEN c
    /// THEN arg END`.
    fn skips_null_inputs(&self) -> bool {
        true
    }

    /// Whether the function needs every value of a group at once (median,
    /// mode): it has no partial state, so a group's rows are brought to one
    /// partition before it is computed, and a window frame gives it the
    /// frame's rows rather than merged states.
    fn holistic(&self) -> bool {
        false
    }

    /// Whether `f(*)` may be written, meaning `f` over every row with no
    /// argument (`count(*)`); a table that knows its row count can then
    /// answer it without a scan.
    fn accepts_star(&self) -> bool {
        false
    }

    /// The value over no rows at all (a global aggregate of an empty
    /// input, or a correlated subquery's group that found no row): NULL of
    /// the result type unless the function says otherwise (`count`: 0).
    fn value_over_no_rows(&self, return_type: &DataType) -> Result<ScalarValue> {
        Ok(ScalarValue::try_from(return_type)?)
    }

    /// Whether the result can be NULL (`count` never is).
    fn nullable(&self) -> bool {
        true
    }

    /// Whether, for these argument types, every field of the intermediate
    /// state is an integer or decimal that adds up: the state of a union of
    /// rows is the field-wise sum of its parts' states, a field being NULL
    /// exactly when it is NULL in every part (`count`; `sum` and `avg` of
    /// integers and decimals). A window frame's state is then a difference
    /// of running sums, whatever the frame's size.
    fn additive_state(&self, _arg_types: &[DataType]) -> bool {
        false
    }
}

/// A window function such as `rank` or `lag`, computed for every row from
/// the rows of its partition (aggregates become window functions without
/// implementing this: they are evaluated over each row's frame).
pub trait WindowFunction: Send + Sync + Debug {
    /// The SQL name, lower case; results are named after it.
    fn name(&self) -> &str;

    /// The argument types the function wants, given the types it was called
    /// with; errors name the function when the call cannot fit.
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>>;

    /// The result type for (already coerced) argument types.
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType>;

    /// Whether the result depends on the row's frame (`first_value`), so
    /// that frames are computed for it; ranking functions ignore frames.
    fn uses_frame(&self) -> bool {
        false
    }

    /// Whether `IGNORE NULLS` / `RESPECT NULLS` may be written.
    fn accepts_null_treatment(&self) -> bool {
        false
    }

    /// Whether the value at a row depends only on the rows before it in
    /// its partition and its peers (`rank`; not `lag`, whose offset may be
    /// negative), so that it is the same over any prefix of the partition
    /// that holds them.
    fn needs_only_preceding_rows(&self) -> bool {
        false
    }

    /// Whether a value of at most k means the row is among the first k of
    /// its partition or tied with the k-th (`row_number`, `rank`), so that
    /// a filter `f(..) <= k` needs only those rows.
    fn bounded_by_position(&self) -> bool {
        false
    }

    /// The result at every one of `rows`, given the arguments' values at
    /// those rows.
    fn evaluate(&self, args: &[ArrayRef], rows: &WindowRows<'_>) -> Result<ArrayRef>;
}

/// Accumulates one aggregate for many groups at once. Groups are numbered
/// densely from zero; `total_num_groups` only ever grows.
pub trait GroupsAccumulator: Send + Debug {
    /// Adds the rows of `values` (the aggregate's arguments), where row `i`
    /// belongs to group `group_indices[i]`.
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()>;

    /// Merges intermediate states (as produced by [`GroupsAccumulator::state`])
    /// into the groups given by `group_indices`.
    fn merge_batch(
        &mut self,
        states: &[ArrayRef],
        group_indices: &[usize],
        total_num_groups: usize,
    ) -> Result<()>;

    /// The intermediate state of every group, one array per state field.
    fn state(&mut self) -> Result<Vec<ArrayRef>>;

    /// The final value of every group.
    fn evaluate(&mut self) -> Result<ArrayRef>;

    /// Approximate heap memory held, in bytes.
    fn size(&self) -> usize;
}

/// A table that a table function made: the name its columns are qualified
/// by, and its data.
#[derive(Debug, Clone)]
pub struct FunctionTable {
    /// The name the columns are qualified by (`trips` for
    /// `read_parquet('data/trips.parquet')`).
    pub name: String,
    /// The table.
    pub source: Arc<dyn TableSource>,
}

/// Rows a table function computes rather than reads (`range(10)`): a
/// known number of rows, any stretch of which can be made on demand, so a
/// scan streams them in batches spread over partitions.
pub trait GeneratedRows: Send + Sync + Debug {
    /// The rows' columns.
    fn schema(&self) -> SchemaRef;

    /// How many rows there are.
    fn num_rows(&self) -> u64;

    /// The rows `start .. start + len` (within `num_rows`), as one batch.
    fn rows(&self, start: u64, len: usize) -> Result<RecordBatch>;
}

/// What a table function may ask of the session while a call is bound:
/// tables over files, and tables of generated rows.
pub trait FileTables {
    /// The table over the files at `locations` (each a path, glob,
    /// directory or URL; several are read as one table) in the file format
    /// called `format`, with the format's `options`, named after the first.
    fn file_table(
        &self,
        locations: &[String],
        format: &str,
        options: &[(String, String)],
    ) -> Result<FunctionTable>;

    /// A table named `name` over `rows`, generated as a scan reads them.
    fn generated_table(&self, name: &str, rows: Arc<dyn GeneratedRows>) -> Result<FunctionTable>;

    /// The names of the files at `location` (a path, glob, directory or
    /// URL), sorted; none when nothing matches.
    fn file_names(&self, location: &str) -> Result<Vec<String>>;
}

/// A function called in FROM that makes a table, such as
/// `read_parquet('trips.parquet')`.
pub trait TableFunction: Send + Sync + Debug {
    /// The SQL name, lower case.
    fn name(&self) -> &str;

    /// Other names the function answers to.
    fn aliases(&self) -> &'static [&'static str] {
        &[]
    }

    /// The table for a call with the constant arguments `args`, in order,
    /// and `named` (`name => value`, names in lower case).
    fn table(
        &self,
        args: &[ScalarValue],
        named: &[(String, ScalarValue)],
        files: &dyn FileTables,
    ) -> Result<FunctionTable>;
}
