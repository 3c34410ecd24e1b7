//! Functions that apply a lambda to a list's elements, as DuckDB's:
//! `list_transform(l, lambda x: ..)` (`list_apply`, `array_transform`,
//! `array_apply`, `apply`), `list_filter(l, lambda x: ..)`
//! (`array_filter`, `filter`) and `list_reduce(l, lambda acc, x: ..
//! [, initial])` (`array_reduce`, `reduce`). A lambda may take the
//! element's 1-based position as one more parameter. Each call evaluates
//! the body once for all the elements of a batch (`list_reduce` once per
//! position), never per row.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Int64Array, ListArray, UInt32Array};
use arrow::buffer::OffsetBuffer;
use arrow::compute::{cast, filter, take};
use arrow::datatypes::DataType;
use quiver_expr::types::{common_type, is_integer, sql_type_name};
use quiver_expr::{LambdaBody, LambdaFunction, QuiverError, Result};

use crate::scalar::list_ops::used_values;
use crate::scalar::lists::{element_rows, list_array, list_of};

/// Every built-in lambda function.
pub fn builtins() -> Vec<Arc<dyn LambdaFunction>> {
    vec![
        Arc::new(ListTransform),
        Arc::new(ListFilter),
        Arc::new(ListReduce),
    ]
}

/// The parameter types of a lambda over the elements of a list, with the
/// element's position as an optional second parameter, for a function that
/// takes no arguments after the lambda.
fn element_parameters(
    name: &str,
    element: &DataType,
    count: usize,
    others: &[DataType],
) -> Result<Vec<DataType>> {
    if !others.is_empty() {
        return Err(QuiverError::Plan(format!(
            "{name} takes a list and a lambda, not {} arguments",
            others.len() + 2
        )));
    }
    match count {
        1 => Ok(vec![element.clone()]),
        2 => Ok(vec![element.clone(), DataType::Int64]),
        _ => Err(QuiverError::Plan(format!(
            "{name} takes a lambda of one parameter (the element) or two (the element and \
             its position), not {count}"
        ))),
    }
}

/// The 1-based position within its list of each element of `list`, from
/// its first offset to its last.
fn positions(list: &ListArray) -> ArrayRef {
    let mut out = Vec::with_capacity(used_values(list).len());
    for w in list.value_offsets().windows(2) {
        out.extend(1..=i64::from(w[1] - w[0]));
    }
    Arc::new(Int64Array::from(out))
}

/// The lambda's arguments for every element of `list`: the elements, and
/// their positions when the lambda takes two parameters.
fn element_arguments(list: &ListArray, count: usize) -> Vec<ArrayRef> {
    let mut params = vec![used_values(list)];
    if count == 2 {
        params.push(positions(list));
    }
    params
}

/// The offsets of `list` starting at zero.
fn rebased_offsets(list: &ListArray) -> OffsetBuffer<i32> {
    let lengths = list
        .value_offsets()
        .windows(2)
        .map(|w| (w[1] - w[0]) as usize);
    OffsetBuffer::from_lengths(lengths)
}

/// `list_transform(l, lambda x[, i]: body)`: the list of the body's values
/// for each element (NULL for a NULL list).
#[derive(Debug)]
pub struct ListTransform;

impl LambdaFunction for ListTransform {
    fn name(&self) -> &str {
        "list_transform"
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["list_apply", "array_transform", "array_apply", "apply"]
    }

    fn parameter_types(
        &self,
        element: &DataType,
        count: usize,
        others: &[DataType],
    ) -> Result<Vec<DataType>> {
        element_parameters(self.name(), element, count, others)
    }

    fn body_type(&self, _params: &[DataType], body: &DataType) -> Result<DataType> {
        Ok(body.clone())
    }

    fn return_type(&self, _element: &DataType, body: &DataType) -> Result<DataType> {
        Ok(list_of(body.clone()))
    }

    fn invoke(
        &self,
        list: &ListArray,
        _others: &[ArrayRef],
        count: usize,
        body: &dyn LambdaBody,
    ) -> Result<ArrayRef> {
        let rows = UInt32Array::from(element_rows(list.value_offsets()));
        let values = body.evaluate(element_arguments(list, count), &rows)?;
        list_array(rebased_offsets(list), values, list.nulls().cloned())
    }
}

/// `list_filter(l, lambda x[, i]: condition)`: the elements for which the
/// condition is true (NULL counts as false; NULL for a NULL list).
#[derive(Debug)]
pub struct ListFilter;

impl LambdaFunction for ListFilter {
    fn name(&self) -> &str {
        "list_filter"
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["array_filter", "filter"]
    }

    fn parameter_types(
        &self,
        element: &DataType,
        count: usize,
        others: &[DataType],
    ) -> Result<Vec<DataType>> {
        element_parameters(self.name(), element, count, others)
    }

    fn body_type(&self, _params: &[DataType], body: &DataType) -> Result<DataType> {
        if matches!(body, DataType::Boolean | DataType::Null) || is_integer(body) {
            Ok(DataType::Boolean)
        } else {
            Err(QuiverError::Plan(format!(
                "the lambda of list_filter must give a BOOLEAN, not {}",
                sql_type_name(body)
            )))
        }
    }

    fn return_type(&self, element: &DataType, _body: &DataType) -> Result<DataType> {
        Ok(list_of(element.clone()))
    }

    fn invoke(
        &self,
        list: &ListArray,
        _others: &[ArrayRef],
        count: usize,
        body: &dyn LambdaBody,
    ) -> Result<ArrayRef> {
        let rows = UInt32Array::from(element_rows(list.value_offsets()));
        let keep = body.evaluate(element_arguments(list, count), &rows)?;
        let keep = without_nulls(keep.as_boolean());
        let mut lengths = vec![0usize; list.len()];
        for i in keep.values().set_indices() {
            lengths[rows.value(i) as usize] += 1;
        }
        let kept = filter(&used_values(list), &keep)?;
        list_array(
            OffsetBuffer::from_lengths(lengths),
            kept,
            list.nulls().cloned(),
        )
    }
}

/// `mask` with NULL read as false.
fn without_nulls(mask: &arrow::array::BooleanArray) -> arrow::array::BooleanArray {
    match mask.nulls() {
        Some(nulls) => arrow::array::BooleanArray::new(mask.values() & nulls.inner(), None),
        None => mask.clone(),
    }
}

/// `list_reduce(l, lambda acc, x[, i]: body[, initial])`: the body applied
/// to an accumulator and each element in turn; the accumulator starts as
/// `initial`, or the first element without one (then an empty list is an
/// error, as in DuckDB). NULL for a NULL list.
#[derive(Debug)]
pub struct ListReduce;

impl LambdaFunction for ListReduce {
    fn name(&self) -> &str {
        "list_reduce"
    }

    fn aliases(&self) -> &'static [&'static str] {
        &["array_reduce", "reduce"]
    }

    fn parameter_types(
        &self,
        element: &DataType,
        count: usize,
        others: &[DataType],
    ) -> Result<Vec<DataType>> {
        let accumulator = match others {
            [] => element.clone(),
            [initial] => common_type(element, initial).ok_or_else(|| {
                QuiverError::Plan(format!(
                    "the initial value of list_reduce ({}) and the list's elements ({}) have \
                     no common type",
                    sql_type_name(initial),
                    sql_type_name(element)
                ))
            })?,
            _ => {
                return Err(QuiverError::Plan(format!(
                    "list_reduce takes a list, a lambda and an initial value, not {} arguments",
                    others.len() + 2
                )))
            }
        };
        match count {
            2 => Ok(vec![accumulator, element.clone()]),
            3 => Ok(vec![accumulator, element.clone(), DataType::Int64]),
            _ => Err(QuiverError::Plan(format!(
                "list_reduce takes a lambda of two parameters (the accumulated value and the \
                 element) or three (and the element's position), not {count}"
            ))),
        }
    }

    fn rebind(&self, params: &[DataType], body: &DataType) -> Option<Vec<DataType>> {
        let wider = common_type(body, &params[0]).filter(|t| t != &params[0])?;
        Some(
            std::iter::once(wider)
                .chain(params[1..].iter().cloned())
                .collect(),
        )
    }

    fn body_type(&self, params: &[DataType], body: &DataType) -> Result<DataType> {
        let accumulator = &params[0];
        match common_type(body, accumulator) {
            Some(_) => Ok(accumulator.clone()),
            None => Err(QuiverError::Plan(format!(
                "the lambda of list_reduce gives {}, which has no common type with the \
                 accumulated value's {}",
                sql_type_name(body),
                sql_type_name(accumulator)
            ))),
        }
    }

    fn return_type(&self, _element: &DataType, body: &DataType) -> Result<DataType> {
        Ok(body.clone())
    }

    fn invoke(
        &self,
        list: &ListArray,
        others: &[ArrayRef],
        count: usize,
        body: &dyn LambdaBody,
    ) -> Result<ArrayRef> {
        let offsets = list.value_offsets();
        let values = list.values();
        let live = |row: usize| list.is_valid(row);
        let length = |row: usize| (offsets[row + 1] - offsets[row]) as usize;
        let (accumulator, first_step) = match others.first() {
            Some(initial) => (initial.clone(), 0),
            None => {
                if (0..list.len()).any(|r| live(r) && length(r) == 0) {
                    return Err(QuiverError::Execution(
                        "list_reduce of an empty list without an initial value".into(),
                    ));
                }
                let firsts: Vec<u32> = (0..list.len())
                    .map(|r| if live(r) { offsets[r] as u32 } else { 0 })
                    .collect();
                let firsts = if values.is_empty() {
                    arrow::array::new_null_array(values.data_type(), list.len())
                } else {
                    take(values.as_ref(), &UInt32Array::from(firsts), None)?
                };
                (firsts, 1)
            }
        };
        let accumulator_type = body.parameter_type(0).clone();
        let mut accumulator = cast(&accumulator, &accumulator_type)?;
        let longest = (0..list.len())
            .filter(|&r| live(r))
            .map(length)
            .max()
            .unwrap_or(0);
        for step in first_step..longest {
            let rows: Vec<u32> = (0..list.len())
                .filter(|&r| live(r) && length(r) > step)
                .map(|r| r as u32)
                .collect();
            let rows = UInt32Array::from(rows);
            let elements: UInt32Array = rows
                .values()
                .iter()
                .map(|&r| offsets[r as usize] as u32 + step as u32)
                .collect();
            let mut params = vec![
                take(accumulator.as_ref(), &rows, None)?,
                take(values.as_ref(), &elements, None)?,
            ];
            if count == 3 {
                params.push(Arc::new(Int64Array::from(vec![
                    step as i64 + 1;
                    rows.len()
                ])));
            }
            let stepped = cast(&body.evaluate(params, &rows)?, &accumulator_type)?;
            accumulator = scatter(&accumulator, &rows, &stepped)?;
        }
        let results = match list.nulls() {
            Some(nulls) => arrow::compute::nullif(
                &accumulator,
                &arrow::array::BooleanArray::new(!nulls.inner(), None),
            )?,
            None => accumulator,
        };
        Ok(results)
    }
}

/// `base` with the values at `rows` replaced by `updates` (in order).
fn scatter(base: &ArrayRef, rows: &UInt32Array, updates: &ArrayRef) -> Result<ArrayRef> {
    let mut picks: Vec<(usize, usize)> = (0..base.len()).map(|i| (0, i)).collect();
    for (i, row) in rows.values().iter().enumerate() {
        picks[*row as usize] = (1, i);
    }
    Ok(arrow::compute::interleave(
        &[base.as_ref(), updates.as_ref()],
        &picks,
    )?)
}

#[cfg(test)]
mod tests {
    use arrow::array::{BooleanArray, Int64Array};
    use arrow::compute::kernels::numeric::add;
    use arrow::datatypes::Int64Type;

    use super::*;

    /// A body computed by a Rust closure over the parameters.
    struct Body<F>(F, Vec<DataType>);

    impl<F: Fn(&[ArrayRef]) -> ArrayRef> LambdaBody for Body<F> {
        fn evaluate(&self, params: Vec<ArrayRef>, _rows: &UInt32Array) -> Result<ArrayRef> {
            Ok((self.0)(&params))
        }
        fn parameter_type(&self, i: usize) -> &DataType {
            &self.1[i]
        }
    }

    fn lists(rows: Vec<Option<Vec<Option<i64>>>>) -> ListArray {
        ListArray::from_iter_primitive::<Int64Type, _, _>(rows)
    }

    #[test]
    fn filter_keeps_true_elements_and_null_lists() {
        let list = lists(vec![Some(vec![Some(1), Some(5), None]), None, Some(vec![])]);
        let over_two = Body(
            |p: &[ArrayRef]| -> ArrayRef {
                let v = p[0].as_primitive::<Int64Type>();
                Arc::new(v.iter().map(|x| x.map(|x| x > 2)).collect::<BooleanArray>())
            },
            vec![DataType::Int64],
        );
        let kept = ListFilter.invoke(&list, &[], 1, &over_two).unwrap();
        let kept = kept.as_list::<i32>();
        assert_eq!(kept.value_offsets(), &[0, 1, 1, 1]);
        assert!(kept.is_null(1));
        assert_eq!(kept.values().as_primitive::<Int64Type>().values(), &[5]);
    }

    #[test]
    fn reduce_folds_each_list_from_its_first_element() {
        let list = lists(vec![
            Some(vec![Some(1), Some(2), Some(3)]),
            Some(vec![Some(10)]),
            None,
        ]);
        let sum = Body(
            |p: &[ArrayRef]| add(&p[0], &p[1]).unwrap(),
            vec![DataType::Int64, DataType::Int64],
        );
        let total = ListReduce.invoke(&list, &[], 2, &sum).unwrap();
        let expected: ArrayRef = Arc::new(Int64Array::from(vec![Some(6), Some(10), None]));
        assert_eq!(&total, &expected);
        let empty = lists(vec![Some(vec![])]);
        let err = ListReduce.invoke(&empty, &[], 2, &sum).unwrap_err();
        assert!(err.to_string().contains("empty list"), "{err}");
    }
}
