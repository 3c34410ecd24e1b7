//! `product(x)`: the product of a group's non-NULL values, as DOUBLE (as in
//! DuckDB); NULL for a group with no non-NULL value.

use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, Float64Array};
use arrow::datatypes::{DataType, Field, Float64Type};
use quiver_expr::{AggregateFunction, GroupsAccumulator, Result};

use super::{for_each_valid, one_arg, unsupported, SelfMerging, SelfMergingAccumulator};

/// `product`.
#[derive(Debug)]
pub struct Product;

impl AggregateFunction for Product {
    fn name(&self) -> &str {
        "product"
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        one_arg("product", arg_types)?;
        match &arg_types[0] {
            t if t.is_numeric() || t == &DataType::Null => Ok(vec![DataType::Float64]),
            other => Err(unsupported("product", other)),
        }
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }
    fn state_fields(&self, name: &str, _: &[DataType]) -> Result<Vec<Field>> {
        Ok(vec![Field::new(
            format!("{name}[product]"),
            DataType::Float64,
            true,
        )])
    }
    fn create_accumulator(&self, _: &[DataType]) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(SelfMerging(ProductAccumulator {
            products: vec![],
        })))
    }
}

/// Each group's product so far; `None` until it sees a value. Partial
/// products from other partitions multiply in like values.
#[derive(Debug)]
struct ProductAccumulator {
    products: Vec<Option<f64>>,
}

impl SelfMergingAccumulator for ProductAccumulator {
    fn add(&mut self, values: &ArrayRef, group_indices: &[usize], total: usize) -> Result<()> {
        self.products.resize(total, None);
        let values = values.as_primitive::<Float64Type>();
        for_each_valid(values, group_indices, |row, g| {
            let product = self.products[g].get_or_insert(1.0);
            *product *= values.value(row);
        });
        Ok(())
    }
    fn take(&mut self) -> Result<ArrayRef> {
        let products = std::mem::take(&mut self.products);
        Ok(Arc::new(Float64Array::from(products)))
    }
    fn heap_size(&self) -> usize {
        self.products.capacity() * std::mem::size_of::<Option<f64>>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::Array;

    #[test]
    fn partial_products_multiply_and_empty_groups_are_null() {
        let values: ArrayRef = Arc::new(Float64Array::from(vec![
            Some(2.0),
            None,
            Some(-1.5),
            Some(4.0),
            None,
        ]));
        let mut partial = Product.create_accumulator(&[]).unwrap();
        partial
            .update_batch(&[values], &[0, 0, 0, 1, 2], 3)
            .unwrap();
        let states = partial.state().unwrap();
        let mut last = Product.create_accumulator(&[]).unwrap();
        last.merge_batch(&states, &[0, 1, 2], 3).unwrap();
        last.merge_batch(&states, &[1, 0, 2], 3).unwrap();
        let result = last.evaluate().unwrap();
        let result = result.as_primitive::<Float64Type>();
        assert_eq!((result.value(0), result.value(1)), (-12.0, -12.0));
        assert!(result.is_null(2));
    }
}
