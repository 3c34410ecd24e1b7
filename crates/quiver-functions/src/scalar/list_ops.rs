//! Functions over whole lists: search (`list_contains`, `list_position`,
//! `list_has_any`, `list_has_all`), reshaping (`list_sort`,
//! `list_reverse`, `list_distinct`, `list_concat`, `flatten`),
//! `array_to_string`, integer `range` / `generate_series`, and every
//! aggregate over a list's elements (`list_aggregate(l, 'sum')`,
//! `list_sum`, …).

use std::collections::HashSet;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Int64Array, ListArray, StringBuilder, UInt32Array,
};
use arrow::buffer::{NullBuffer, OffsetBuffer};
use arrow::compute::kernels::cmp::{eq, not_distinct};
use arrow::compute::{interleave, lexsort_to_indices, take, SortColumn, SortOptions};
use arrow::datatypes::{DataType, Field, Int64Type};
use arrow::row::{RowConverter, SortField};
use quiver_expr::types::{common_type, is_integer, sql_type_name};
use quiver_expr::{
    AggregateFunction, ColumnarValue, QuiverError, Result, ScalarFunction, ScalarValue,
};

use super::lists::{as_list_type, element_field, element_rows, list_array, list_column, list_of};
use super::{check_arity, result_rows, shaped, wrong_types};

/// A list of the same type as `list` whose rows hold the elements of
/// `list.values()` at `picks`, `lengths[row]` of them per row.
fn rebuild(
    list: &ListArray,
    picks: Vec<u32>,
    lengths: Vec<usize>,
    nulls: Option<NullBuffer>,
) -> Result<ArrayRef> {
    let values = take(list.values().as_ref(), &UInt32Array::from(picks), None)?;
    list_array(OffsetBuffer::from_lengths(lengths), values, nulls)
}

/// The elements of `list` from its first offset to its last.
pub(crate) fn used_values(list: &ListArray) -> ArrayRef {
    let offsets = list.value_offsets();
    let first = offsets[0] as usize;
    list.values()
        .slice(first, offsets[offsets.len() - 1] as usize - first)
}

/// The list type of the first argument, or an error naming the call.
fn list_arg(name: &str, arg_types: &[DataType]) -> Result<DataType> {
    as_list_type(&arg_types[0]).ok_or_else(|| wrong_types(name, arg_types))
}

/// The element type of a list type (NULL for a list of NULLs).
fn element_type(list: &DataType) -> DataType {
    element_field(list).map_or(DataType::Null, |f| f.data_type().clone())
}

/// Whether a list holds a value, or where.
#[derive(Debug, Clone, Copy)]
enum Search {
    Contains,
    Position,
}

/// `list_contains(l, x)` (`list_has`, `array_contains`, `array_has`):
/// whether the list holds `x` (NULL when `x` or the list is NULL); and
/// `list_position(l, x)` (`list_indexof`, `array_position`,
/// `array_indexof`): the 1-based position of the first element equal to
/// `x`, NULL when none is (a NULL `x` finds a NULL element).
#[derive(Debug)]
pub struct ListSearch {
    search: Search,
}

impl ListSearch {
    /// `list_contains`.
    pub fn contains() -> Self {
        Self {
            search: Search::Contains,
        }
    }
    /// `list_position`.
    pub fn position() -> Self {
        Self {
            search: Search::Position,
        }
    }
}

impl ScalarFunction for ListSearch {
    fn name(&self) -> &str {
        match self.search {
            Search::Contains => "list_contains",
            Search::Position => "list_position",
        }
    }
    fn aliases(&self) -> &'static [&'static str] {
        match self.search {
            Search::Contains => &["list_has", "array_contains", "array_has"],
            Search::Position => &["list_indexof", "array_position", "array_indexof"],
        }
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(self.name(), arg_types, 2, 2)?;
        let list = list_arg(self.name(), arg_types)?;
        let item = common_type(&element_type(&list), &arg_types[1])
            .ok_or_else(|| wrong_types(self.name(), arg_types))?;
        Ok(vec![list_of(item.clone()), item])
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(match self.search {
            Search::Contains => DataType::Boolean,
            Search::Position => DataType::Int64,
        })
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        let rows = result_rows(args, num_rows);
        let list = list_column(&args[0], rows)?;
        let key = args[1].to_array(rows)?;
        let element_rows = element_rows(list.value_offsets());
        let wanted = take(key.as_ref(), &UInt32Array::from(element_rows), None)?;
        let values = used_values(&list);
        let hits = match self.search {
            Search::Contains => eq(&values, &wanted)?,
            Search::Position => not_distinct(&values, &wanted)?,
        };
        let offsets = list.value_offsets();
        let first = offsets[0] as usize;
        let found = |row: usize| {
            (offsets[row] as usize..offsets[row + 1] as usize)
                .find(|&e| hits.is_valid(e - first) && hits.value(e - first))
                .map(|e| e - offsets[row] as usize)
        };
        let out: ArrayRef = match self.search {
            Search::Contains => Arc::new(
                (0..rows)
                    .map(|row| {
                        (list.is_valid(row) && key.is_valid(row)).then(|| found(row).is_some())
                    })
                    .collect::<BooleanArray>(),
            ),
            Search::Position => Arc::new(
                (0..rows)
                    .map(|row| {
                        list.is_valid(row)
                            .then(|| found(row).map(|at| at as i64 + 1))
                            .flatten()
                    })
                    .collect::<Int64Array>(),
            ),
        };
        shaped(args, out)
    }
}

/// Whether one list holds any, or all, of the other's non-NULL elements.
#[derive(Debug)]
pub struct ListOverlap {
    all: bool,
}

impl ListOverlap {
    /// `list_has_any(a, b)` (`array_has_any`).
    pub fn any() -> Self {
        Self { all: false }
    }
    /// `list_has_all(a, b)` (`array_has_all`).
    pub fn all() -> Self {
        Self { all: true }
    }
}

impl ScalarFunction for ListOverlap {
    fn name(&self) -> &str {
        if self.all {
            "list_has_all"
        } else {
            "list_has_any"
        }
    }
    fn aliases(&self) -> &'static [&'static str] {
        if self.all {
            &["array_has_all"]
        } else {
            &["array_has_any"]
        }
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(self.name(), arg_types, 2, 2)?;
        common_list_types(self.name(), arg_types)
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Boolean)
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        let rows = result_rows(args, num_rows);
        let (a, b) = (list_column(&args[0], rows)?, list_column(&args[1], rows)?);
        let converter = RowConverter::new(vec![SortField::new(element_type(a.data_type()))])?;
        let encode = |l: &ListArray| converter.convert_columns(&[l.values().clone()]);
        let (a_rows, b_rows) = (encode(&a)?, encode(&b)?);
        let out: BooleanArray = (0..rows)
            .map(|row| {
                if a.is_null(row) || b.is_null(row) {
                    return None;
                }
                let held: HashSet<_> = elements_of(&a, row).map(|e| a_rows.row(e)).collect();
                let mut wanted = elements_of(&b, row).map(|e| b_rows.row(e));
                Some(if self.all {
                    wanted.all(|r| held.contains(&r))
                } else {
                    wanted.any(|r| held.contains(&r))
                })
            })
            .collect();
        shaped(args, Arc::new(out))
    }
}

/// The positions in `list.values()` of the non-NULL elements of `row`.
fn elements_of(list: &ListArray, row: usize) -> impl Iterator<Item = usize> + '_ {
    let o = list.value_offsets();
    (o[row] as usize..o[row + 1] as usize).filter(|&e| list.values().is_valid(e))
}

/// Every argument as a list of one common element type.
fn common_list_types(name: &str, arg_types: &[DataType]) -> Result<Vec<DataType>> {
    let mut item = DataType::Null;
    for t in arg_types {
        let list = as_list_type(t).ok_or_else(|| wrong_types(name, arg_types))?;
        item = common_type(&item, &element_type(&list)).ok_or_else(|| {
            QuiverError::Schema(format!(
                "{name} cannot mix lists of {} and {}",
                sql_type_name(&item),
                sql_type_name(&element_type(&list))
            ))
        })?;
    }
    Ok(vec![list_of(item); arg_types.len()])
}

/// How a list function reorders or filters each list's elements.
#[derive(Debug, Clone, Copy)]
enum Reshape {
    Sort { descending: bool },
    Reverse,
    Distinct,
}

/// `list_sort(l [, 'ASC'|'DESC' [, 'NULLS FIRST'|'NULLS LAST']])`
/// (`array_sort`; NULLs last by default, as in DuckDB),
/// `list_reverse_sort`, `list_reverse` (`array_reverse`), and
/// `list_distinct` (`array_distinct`: each non-NULL value once, in the
/// order it first appears).
#[derive(Debug)]
pub struct ListReshape {
    reshape: Reshape,
}

impl ListReshape {
    /// `list_sort`.
    pub fn sort() -> Self {
        Self {
            reshape: Reshape::Sort { descending: false },
        }
    }
    /// `list_reverse_sort`.
    pub fn reverse_sort() -> Self {
        Self {
            reshape: Reshape::Sort { descending: true },
        }
    }
    /// `list_reverse`.
    pub fn reverse() -> Self {
        Self {
            reshape: Reshape::Reverse,
        }
    }
    /// `list_distinct`.
    pub fn distinct() -> Self {
        Self {
            reshape: Reshape::Distinct,
        }
    }

    /// The order options of a sort call's optional text arguments.
    fn sort_options(&self, args: &[ColumnarValue], descending: bool) -> Result<SortOptions> {
        let mut options = SortOptions {
            descending,
            nulls_first: false,
        };
        let text = |i: usize| -> Result<Option<String>> {
            match args.get(i) {
                None => Ok(None),
                Some(ColumnarValue::Scalar(v)) if !v.is_null() => {
                    Ok(Some(v.to_string().trim().to_ascii_uppercase()))
                }
                Some(_) => Err(QuiverError::Execution(format!(
                    "the order of {} must be a constant 'ASC' or 'DESC'",
                    self.name()
                ))),
            }
        };
        match text(1)?.as_deref() {
            None => {}
            Some("ASC") => options.descending = false,
            Some("DESC") => options.descending = true,
            Some(other) => {
                return Err(QuiverError::Execution(format!(
                    "invalid sort order '{other}' for {}; expected 'ASC' or 'DESC'",
                    self.name()
                )))
            }
        }
        match text(2)?.as_deref() {
            None => {}
            Some("NULLS FIRST") => options.nulls_first = true,
            Some("NULLS LAST") => options.nulls_first = false,
            Some(other) => {
                return Err(QuiverError::Execution(format!(
                    "invalid NULL order '{other}' for {}; expected 'NULLS FIRST' or 'NULLS LAST'",
                    self.name()
                )))
            }
        }
        Ok(options)
    }
}

impl ScalarFunction for ListReshape {
    fn name(&self) -> &str {
        match self.reshape {
            Reshape::Sort { descending: false } => "list_sort",
            Reshape::Sort { descending: true } => "list_reverse_sort",
            Reshape::Reverse => "list_reverse",
            Reshape::Distinct => "list_distinct",
        }
    }
    fn aliases(&self) -> &'static [&'static str] {
        match self.reshape {
            Reshape::Sort { descending: false } => &["array_sort"],
            Reshape::Sort { descending: true } => &["array_reverse_sort"],
            Reshape::Reverse => &["array_reverse"],
            Reshape::Distinct => &["array_distinct"],
        }
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let max = match self.reshape {
            Reshape::Sort { descending: false } => 3,
            Reshape::Sort { descending: true } => 2,
            _ => 1,
        };
        check_arity(self.name(), arg_types, 1, max)?;
        let mut types = vec![list_arg(self.name(), arg_types)?];
        types.extend(std::iter::repeat_n(DataType::Utf8, arg_types.len() - 1));
        Ok(types)
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(arg_types[0].clone())
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        let rows = result_rows(args, num_rows);
        let list = list_column(&args[0], rows)?;
        let offsets = list.value_offsets();
        let first = offsets[0] as u32;
        let parents = UInt32Array::from(element_rows(offsets));
        let values = used_values(&list);
        let lengths: Vec<usize> = offsets.windows(2).map(|w| (w[1] - w[0]) as usize).collect();
        let out = match self.reshape {
            Reshape::Reverse => {
                let picks = offsets
                    .windows(2)
                    .flat_map(|w| (w[0] as u32..w[1] as u32).rev())
                    .collect();
                rebuild(&list, picks, lengths, list.nulls().cloned())?
            }
            Reshape::Sort { descending } => {
                let options = self.sort_options(args, descending)?;
                let order = lexsort_to_indices(
                    &[
                        SortColumn {
                            values: Arc::new(parents),
                            options: None,
                        },
                        SortColumn {
                            values,
                            options: Some(options),
                        },
                    ],
                    None,
                )?;
                let picks = order.values().iter().map(|i| i + first).collect();
                rebuild(&list, picks, lengths, list.nulls().cloned())?
            }
            Reshape::Distinct => {
                let converter =
                    RowConverter::new(vec![SortField::new(values.data_type().clone())])?;
                let encoded = converter.convert_columns(&[Arc::clone(&values)])?;
                let mut picks = vec![];
                let mut kept_lengths = Vec::with_capacity(rows);
                for w in offsets.windows(2) {
                    let mut seen = HashSet::new();
                    let before = picks.len();
                    for e in w[0] as usize..w[1] as usize {
                        let local = e - first as usize;
                        if values.is_valid(local) && seen.insert(encoded.row(local)) {
                            picks.push(e as u32);
                        }
                    }
                    kept_lengths.push(picks.len() - before);
                }
                rebuild(&list, picks, kept_lengths, list.nulls().cloned())?
            }
        };
        shaped(args, out)
    }
}

/// `list_concat(a, b, ..)` (`list_cat`, `array_concat`, `array_cat`, and
/// `||` between lists): the lists one after another; a NULL list counts as
/// empty.
#[derive(Debug)]
pub struct ListConcat;

impl ScalarFunction for ListConcat {
    fn name(&self) -> &str {
        "list_concat"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["list_cat", "array_concat", "array_cat"]
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(self.name(), arg_types, 1, usize::MAX)?;
        common_list_types(self.name(), arg_types)
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(arg_types[0].clone())
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        let rows = result_rows(args, num_rows);
        let lists = args
            .iter()
            .map(|a| list_column(a, rows))
            .collect::<Result<Vec<_>>>()?;
        let mut picks: Vec<(usize, usize)> = vec![];
        let mut lengths = Vec::with_capacity(rows);
        for row in 0..rows {
            let before = picks.len();
            for (i, list) in lists.iter().enumerate() {
                if list.is_valid(row) {
                    let o = list.value_offsets();
                    picks.extend((o[row] as usize..o[row + 1] as usize).map(|e| (i, e)));
                }
            }
            lengths.push(picks.len() - before);
        }
        let sources: Vec<&dyn Array> = lists.iter().map(|l| l.values().as_ref()).collect();
        let values = interleave(&sources, &picks)?;
        shaped(
            args,
            list_array(OffsetBuffer::from_lengths(lengths), values, None)?,
        )
    }
}

/// `flatten(l)`: a list of lists as one list (NULL inner lists skipped).
#[derive(Debug)]
pub struct Flatten;

impl ScalarFunction for Flatten {
    fn name(&self) -> &str {
        "flatten"
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(self.name(), arg_types, 1, 1)?;
        let outer = list_arg(self.name(), arg_types)?;
        let inner = match element_type(&outer) {
            DataType::Null => list_of(DataType::Null),
            t => as_list_type(&t).ok_or_else(|| wrong_types(self.name(), arg_types))?,
        };
        Ok(vec![list_of(inner)])
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(element_type(&arg_types[0]))
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        let rows = result_rows(args, num_rows);
        let outer = list_column(&args[0], rows)?;
        let inner = outer.values().as_list::<i32>();
        let inner_offsets = inner.value_offsets();
        let mut picks = vec![];
        let mut lengths = Vec::with_capacity(rows);
        for w in outer.value_offsets().windows(2) {
            let before = picks.len();
            for i in (w[0] as usize..w[1] as usize).filter(|&i| inner.is_valid(i)) {
                picks.extend(inner_offsets[i] as u32..inner_offsets[i + 1] as u32);
            }
            lengths.push(picks.len() - before);
        }
        let out = rebuild(inner, picks, lengths, outer.nulls().cloned())?;
        shaped(args, out)
    }
}

/// `array_to_string(l, separator)` (`array_join`, as in PostgreSQL): the
/// non-NULL elements as text, joined.
#[derive(Debug)]
pub struct ArrayToString;

impl ScalarFunction for ArrayToString {
    fn name(&self) -> &str {
        "array_to_string"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["array_join"]
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(self.name(), arg_types, 2, 2)?;
        Ok(vec![list_arg(self.name(), arg_types)?, DataType::Utf8])
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        let rows = result_rows(args, num_rows);
        let list = list_column(&args[0], rows)?;
        let separator = args[1].to_array(rows)?;
        let separator = separator.as_string::<i32>();
        let text = quiver_expr::cast::cast_array(list.values(), &DataType::Utf8)?;
        let text = text.as_string::<i32>();
        let mut out = StringBuilder::new();
        for (row, w) in list.value_offsets().windows(2).enumerate() {
            if list.is_null(row) || separator.is_null(row) {
                out.append_null();
                continue;
            }
            let parts: Vec<&str> = (w[0] as usize..w[1] as usize)
                .filter(|&e| text.is_valid(e))
                .map(|e| text.value(e))
                .collect();
            out.append_value(parts.join(separator.value(row)));
        }
        shaped(args, Arc::new(out.finish()))
    }
}

/// Whether a series includes its end.
#[derive(Debug, Clone, Copy)]
enum SeriesEnd {
    /// `range`: up to, not including, the end.
    Exclusive,
    /// `generate_series`: up to and including the end.
    Inclusive,
}

/// The most elements `range` and `generate_series` put in the lists of one
/// batch (1 GiB of BIGINTs): a longer series is an error, not an
/// allocation that could take the process down.
const MAX_SERIES_ELEMENTS: usize = 1 << 27;

/// `range(end)`, `range(start, end [, step])` (end excluded) and
/// `generate_series(..)` (end included) over integers, as a list per row.
#[derive(Debug)]
pub struct Series {
    end: SeriesEnd,
}

impl Series {
    /// `range`.
    pub fn range() -> Self {
        Self {
            end: SeriesEnd::Exclusive,
        }
    }
    /// `generate_series`.
    pub fn generate_series() -> Self {
        Self {
            end: SeriesEnd::Inclusive,
        }
    }
}

/// The values of an integer series from `start` towards `end` by `step`;
/// `None` for a zero step.
pub(crate) fn series_values(
    start: i64,
    end: i64,
    step: i64,
    inclusive: bool,
) -> Option<impl Iterator<Item = i64>> {
    if step == 0 {
        return None;
    }
    let mut next = Some(start);
    Some(std::iter::from_fn(move || {
        let v = next?;
        let within = match (step > 0, inclusive) {
            (true, true) => v <= end,
            (true, false) => v < end,
            (false, true) => v >= end,
            (false, false) => v > end,
        };
        if !within {
            return None;
        }
        next = v.checked_add(step);
        Some(v)
    }))
}

impl ScalarFunction for Series {
    fn name(&self) -> &str {
        match self.end {
            SeriesEnd::Exclusive => "range",
            SeriesEnd::Inclusive => "generate_series",
        }
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(self.name(), arg_types, 1, 3)?;
        if !arg_types
            .iter()
            .all(|t| is_integer(t) || t == &DataType::Null)
        {
            return Err(wrong_types(self.name(), arg_types));
        }
        Ok(vec![DataType::Int64; arg_types.len()])
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(list_of(DataType::Int64))
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        let rows = result_rows(args, num_rows);
        let columns = args
            .iter()
            .map(|a| a.to_array(rows))
            .collect::<Result<Vec<_>>>()?;
        let ints: Vec<&Int64Array> = columns
            .iter()
            .map(|c| c.as_primitive::<Int64Type>())
            .collect();
        let inclusive = matches!(self.end, SeriesEnd::Inclusive);
        let mut values: Vec<i64> = vec![];
        let mut lengths = Vec::with_capacity(rows);
        let mut valid = Vec::with_capacity(rows);
        for row in 0..rows {
            if ints.iter().any(|a| a.is_null(row)) {
                lengths.push(0);
                valid.push(false);
                continue;
            }
            let (start, end, step) = match ints.as_slice() {
                [end] => (0, end.value(row), 1),
                [start, end] => (start.value(row), end.value(row), 1),
                [start, end, step] => (start.value(row), end.value(row), step.value(row)),
                _ => return Err(QuiverError::Internal("range arity".into())),
            };
            let series = series_values(start, end, step, inclusive).ok_or_else(|| {
                QuiverError::Execution(format!("the step of {} cannot be 0", self.name()))
            })?;
            let before = values.len();
            for v in series {
                if values.len() >= MAX_SERIES_ELEMENTS {
                    return Err(QuiverError::Execution(format!(
                        "{}() as a list would hold more than {MAX_SERIES_ELEMENTS} elements; \
                         FROM {}(…) makes the rows one batch at a time",
                        self.name(),
                        self.name()
                    )));
                }
                values.push(v);
            }
            lengths.push(values.len() - before);
            valid.push(true);
        }
        let out = ListArray::try_new(
            Arc::new(Field::new_list_field(DataType::Int64, true)),
            OffsetBuffer::from_lengths(lengths),
            Arc::new(Int64Array::from(values)),
            Some(valid.into()),
        )?;
        shaped(args, Arc::new(out))
    }
}

/// The aggregates `list_<name>` stands for: `list_sum(l)` is
/// `list_aggregate(l, 'sum')`.
const LIST_AGGREGATES: &[&str] = &[
    "sum",
    "min",
    "max",
    "avg",
    "count",
    "product",
    "first",
    "last",
    "any_value",
    "median",
    "mode",
    "stddev_samp",
    "stddev_pop",
    "var_samp",
    "var_pop",
    "bool_and",
    "bool_or",
    "bit_and",
    "bit_or",
    "bit_xor",
    "string_agg",
    "entropy",
    "skewness",
    "kurtosis",
    "approx_count_distinct",
];

/// `list_aggregate(l, 'name')` (`list_aggr`, `aggregate`,
/// `array_aggregate`, `array_aggr`): an aggregate function over each
/// list's elements (an empty list is an aggregate over no rows, a NULL list
/// gives NULL); and the `list_<aggregate>` shorthands (`list_sum(l)`, …).
#[derive(Debug)]
pub struct ListAggregate {
    /// `list_aggregate`, or the shorthand's name.
    name: String,
    /// The aggregate, when fixed by the shorthand or prepared from a
    /// constant name.
    aggregate: Option<Arc<dyn AggregateFunction>>,
}

impl ListAggregate {
    /// `list_aggregate(l, 'name')`.
    pub fn by_name() -> Self {
        Self {
            name: "list_aggregate".into(),
            aggregate: None,
        }
    }

    /// Every `list_<aggregate>` shorthand.
    pub fn shorthands() -> Vec<Self> {
        LIST_AGGREGATES
            .iter()
            .filter_map(|name| {
                Some(Self {
                    name: format!("list_{name}"),
                    aggregate: Some(find_aggregate(name)?),
                })
            })
            .collect()
    }

    /// The aggregate a call runs: the fixed one, or the one its constant
    /// second argument names.
    fn aggregate_of(
        &self,
        constants: &[Option<ScalarValue>],
    ) -> Result<Arc<dyn AggregateFunction>> {
        if let Some(a) = &self.aggregate {
            return Ok(Arc::clone(a));
        }
        let name = match constants.get(1) {
            Some(Some(ScalarValue::Utf8(Some(name)))) => name,
            _ => {
                return Err(QuiverError::Plan(
                    "the aggregate of list_aggregate must be a constant name such as 'sum'".into(),
                ))
            }
        };
        find_aggregate(&name.to_lowercase()).ok_or_else(|| {
            QuiverError::Plan(format!(
                "list_aggregate: unknown aggregate function '{name}'"
            ))
        })
    }

    /// The argument count: the list, and the name unless fixed.
    fn arity(&self) -> usize {
        if self.aggregate.is_some() {
            1
        } else {
            2
        }
    }
}

/// The built-in aggregate called `name` (or by that alias).
fn find_aggregate(name: &str) -> Option<Arc<dyn AggregateFunction>> {
    crate::aggregate::builtins()
        .into_iter()
        .find(|a| a.name() == name || a.aliases().contains(&name))
}

impl ScalarFunction for ListAggregate {
    fn name(&self) -> &str {
        &self.name
    }
    fn aliases(&self) -> &'static [&'static str] {
        if self.aggregate.is_none() {
            &["list_aggr", "aggregate", "array_aggregate", "array_aggr"]
        } else {
            &[]
        }
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(self.name(), arg_types, self.arity(), self.arity())?;
        let mut types = vec![list_arg(self.name(), arg_types)?];
        if self.arity() == 2 {
            types.push(DataType::Utf8);
        }
        Ok(types)
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.return_type_of_call(arg_types, &[])
    }
    fn return_type_of_call(
        &self,
        arg_types: &[DataType],
        constants: &[Option<ScalarValue>],
    ) -> Result<DataType> {
        let aggregate = self.aggregate_of(constants)?;
        let item = element_type(&arg_types[0]);
        let coerced = aggregate.coerce_types(std::slice::from_ref(&item))?;
        aggregate.return_type(&coerced)
    }
    fn prepare(
        &self,
        constants: &[Option<ScalarValue>],
    ) -> Result<Option<Arc<dyn ScalarFunction>>> {
        Ok(Some(Arc::new(Self {
            name: self.name.clone(),
            aggregate: Some(self.aggregate_of(constants)?),
        })))
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        let rows = result_rows(args, num_rows);
        let aggregate = self.aggregate_of(&[])?;
        let list = list_column(&args[0], rows)?;
        let values = used_values(&list);
        let coerced = aggregate.coerce_types(&[values.data_type().clone()])?;
        let values = quiver_expr::cast::cast_array(&values, &coerced[0])?;
        let groups: Vec<usize> = element_rows(list.value_offsets())
            .into_iter()
            .map(|r| r as usize)
            .collect();
        let mut accumulator = aggregate.create_accumulator(&coerced)?;
        accumulator.update_batch(&[values], &groups, rows)?;
        let out = accumulator.evaluate()?;
        // A NULL list gives NULL, not the aggregate over no rows.
        let out = match list.nulls() {
            Some(nulls) if nulls.null_count() > 0 => {
                let keep = BooleanArray::new(nulls.inner().clone(), None);
                arrow::compute::nullif(&out, &arrow::compute::not(&keep)?)?
            }
            _ => out,
        };
        shaped(args, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(rows: &[Option<Vec<Option<i64>>>]) -> ColumnarValue {
        ColumnarValue::Array(Arc::new(ListArray::from_iter_primitive::<Int64Type, _, _>(
            rows.iter().cloned(),
        )))
    }

    fn ints(out: ColumnarValue) -> Vec<Option<Vec<Option<i64>>>> {
        let out = out.into_array(1).unwrap();
        out.as_list::<i32>()
            .iter()
            .map(|l| l.map(|l| l.as_primitive::<Int64Type>().iter().collect()))
            .collect()
    }

    #[test]
    fn sorting_keeps_each_list_apart_and_nulls_last() {
        let input = list(&[
            Some(vec![Some(3), None, Some(1)]),
            None,
            Some(vec![Some(2), Some(0)]),
        ]);
        let out = ListReshape::sort().invoke(&[input], 3).unwrap();
        assert_eq!(
            ints(out),
            vec![
                Some(vec![Some(1), Some(3), None]),
                None,
                Some(vec![Some(0), Some(2)])
            ]
        );
    }

    #[test]
    fn distinct_keeps_first_occurrences_without_nulls() {
        let input = list(&[Some(vec![Some(2), None, Some(2), Some(1)])]);
        let out = ListReshape::distinct().invoke(&[input], 1).unwrap();
        assert_eq!(ints(out), vec![Some(vec![Some(2), Some(1)])]);
    }

    #[test]
    fn aggregates_run_per_list() {
        let input = list(&[Some(vec![Some(1), Some(2)]), Some(vec![]), None]);
        let sum = ListAggregate::shorthands()
            .into_iter()
            .find(|f| f.name == "list_sum")
            .unwrap();
        let out = sum.invoke(&[input], 3).unwrap().into_array(3).unwrap();
        let out: Vec<Option<i64>> = arrow::compute::cast(&out, &DataType::Int64)
            .unwrap()
            .as_primitive::<Int64Type>()
            .iter()
            .collect();
        assert_eq!(out, vec![Some(3), None, None]);
    }

    #[test]
    fn series_stop_before_or_at_the_end() {
        let v: Vec<i64> = series_values(1, 10, 3, false).unwrap().collect();
        assert_eq!(v, vec![1, 4, 7]);
        let v: Vec<i64> = series_values(3, 1, -1, true).unwrap().collect();
        assert_eq!(v, vec![3, 2, 1]);
        assert!(series_values(1, 2, 0, true).is_none());
        let v: Vec<i64> = series_values(i64::MAX - 1, i64::MAX, 5, true)
            .unwrap()
            .collect();
        assert_eq!(v, vec![i64::MAX - 1]);
    }
}
