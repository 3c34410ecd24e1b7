//! Fixed-size arrays (`DOUBLE[3]`, Arrow's `FixedSizeList`), as DuckDB's
//! ARRAY type: `array_value(a, b, …)` makes one, and the vector functions
//! compare two arrays of FLOAT or DOUBLE of the same size (embeddings):
//! `array_distance` (Euclidean), `array_inner_product` (`array_dot_product`),
//! `array_negative_inner_product`, `array_cosine_similarity`,
//! `array_cosine_distance` (1 − similarity) and `array_cross_product` (of
//! two 3-element arrays). Arrays of other numbers are read as DOUBLE; a
//! NULL array gives NULL and a NULL element is an error, as in DuckDB.
//! List functions take arrays as lists (their arguments are cast).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, FixedSizeListArray, Float64Array};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Float64Type};
use quiver_expr::types::{is_numeric, sql_type_name};
use quiver_expr::{ColumnarValue, QuiverError, Result, ScalarFunction};

use super::lists::ListValue;
use super::{check_arity, shaped};

/// `array_value(a, b, …)`: an array of the values (brought to one type).
#[derive(Debug)]
pub struct ArrayValue;

impl ScalarFunction for ArrayValue {
    fn name(&self) -> &str {
        "array_value"
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if arg_types.is_empty() {
            return Err(QuiverError::Plan(
                "array_value needs at least one value".into(),
            ));
        }
        ListValue.coerce_types(arg_types)
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(array_of(arg_types[0].clone(), arg_types.len() as i32))
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        let list = ListValue.invoke(args, num_rows)?;
        let rows = list.to_array(1)?;
        let list = rows.as_list::<i32>();
        let field = Arc::new(Field::new_list_field(list.value_type(), true));
        let array =
            FixedSizeListArray::try_new(field, args.len() as i32, Arc::clone(list.values()), None)?;
        shaped(args, Arc::new(array))
    }
}

/// The array type of `size` elements of `item`.
fn array_of(item: DataType, size: i32) -> DataType {
    DataType::FixedSizeList(Arc::new(Field::new_list_field(item, true)), size)
}

/// What a [`VectorFunction`] computes from two arrays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Measure {
    Distance,
    InnerProduct,
    NegativeInnerProduct,
    CosineSimilarity,
    CosineDistance,
    CrossProduct,
}

/// A function of two arrays of the same size: see the module.
#[derive(Debug)]
pub struct VectorFunction {
    measure: Measure,
}

impl VectorFunction {
    /// Every vector function.
    pub fn all() -> Vec<VectorFunction> {
        use Measure::*;
        [
            Distance,
            InnerProduct,
            NegativeInnerProduct,
            CosineSimilarity,
            CosineDistance,
            CrossProduct,
        ]
        .into_iter()
        .map(|measure| VectorFunction { measure })
        .collect()
    }
}

/// The element type and size of an array type.
fn array_shape(t: &DataType) -> Option<(&DataType, i32)> {
    match t {
        DataType::FixedSizeList(f, size) => Some((f.data_type(), *size)),
        _ => None,
    }
}

impl ScalarFunction for VectorFunction {
    fn name(&self) -> &str {
        match self.measure {
            Measure::Distance => "array_distance",
            Measure::InnerProduct => "array_inner_product",
            Measure::NegativeInnerProduct => "array_negative_inner_product",
            Measure::CosineSimilarity => "array_cosine_similarity",
            Measure::CosineDistance => "array_cosine_distance",
            Measure::CrossProduct => "array_cross_product",
        }
    }
    fn aliases(&self) -> &'static [&'static str] {
        match self.measure {
            Measure::InnerProduct => &["array_dot_product"],
            Measure::NegativeInnerProduct => &["array_negative_dot_product"],
            _ => &[],
        }
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(self.name(), arg_types, 2, 2)?;
        let shapes: Vec<_> = arg_types.iter().map(array_shape).collect();
        let (Some((l, l_size)), Some((r, r_size))) = (shapes[0], shapes[1]) else {
            return Err(QuiverError::Schema(format!(
                "{} takes two arrays (such as DOUBLE[3]), not {}; cast a list: [1, 2, 3]::DOUBLE[3]",
                self.name(),
                arg_types.iter().map(sql_type_name).collect::<Vec<_>>().join(" and ")
            )));
        };
        if l_size != r_size {
            return Err(QuiverError::Schema(format!(
                "{} takes arrays of the same size, not {l_size} and {r_size}",
                self.name()
            )));
        }
        if self.measure == Measure::CrossProduct && l_size != 3 {
            return Err(QuiverError::Schema(format!(
                "array_cross_product takes arrays of 3 elements, not {l_size}"
            )));
        }
        let item = match (l, r) {
            (DataType::Float32, DataType::Float32) => DataType::Float32,
            (l, r)
                if (is_numeric(l) || l == &DataType::Null)
                    && (is_numeric(r) || r == &DataType::Null) =>
            {
                DataType::Float64
            }
            _ => {
                return Err(QuiverError::Schema(format!(
                    "{} takes arrays of numbers, not {} and {}",
                    self.name(),
                    sql_type_name(&arg_types[0]),
                    sql_type_name(&arg_types[1])
                )))
            }
        };
        Ok(vec![array_of(item, l_size); 2])
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match self.measure {
            Measure::CrossProduct => Ok(arg_types[0].clone()),
            _ => Ok(array_shape(&arg_types[0]).map_or(DataType::Float64, |(t, _)| t.clone())),
        }
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        let rows = super::result_rows(args, num_rows);
        let (l, r) = (args[0].to_array(rows)?, args[1].to_array(rows)?);
        let item = array_shape(l.data_type()).map_or(DataType::Float64, |(t, _)| t.clone());
        // FLOAT arrays are computed in DOUBLE and given back as FLOAT.
        let size = array_shape(l.data_type()).map_or(0, |(_, size)| size);
        let doubles = array_of(DataType::Float64, size);
        let (l, r) = (cast(&l, &doubles)?, cast(&r, &doubles)?);
        let out = self.apply(&l, &r)?;
        let out = match self.measure {
            Measure::CrossProduct => cast(&out, &array_of(item, 3))?,
            _ => cast(&out, &item)?,
        };
        shaped(args, out)
    }
}

impl VectorFunction {
    /// The function over two array columns of DOUBLE elements.
    fn apply(&self, l: &ArrayRef, r: &ArrayRef) -> Result<ArrayRef> {
        let (l, r) = (l.as_fixed_size_list(), r.as_fixed_size_list());
        let size = l.value_length() as usize;
        let elements = |side: &FixedSizeListArray, which: &str| -> Result<Float64Array> {
            let values = side.values().as_primitive::<Float64Type>().clone();
            let null_element = (0..side.len())
                .any(|row| side.is_valid(row) && (0..size).any(|i| values.is_null(row * size + i)));
            if null_element {
                return Err(QuiverError::Execution(format!(
                    "{}: the {which} array holds a NULL element",
                    self.name()
                )));
            }
            Ok(values)
        };
        let (lv, rv) = (elements(l, "first")?, elements(r, "second")?);
        let pair = |row: usize| {
            let span = row * size..(row + 1) * size;
            (&lv.values()[span.clone()], &rv.values()[span])
        };
        if self.measure == Measure::CrossProduct {
            let mut out = Vec::with_capacity(l.len() * 3);
            for row in 0..l.len() {
                let (a, b) = pair(row);
                out.extend([
                    a[1] * b[2] - a[2] * b[1],
                    a[2] * b[0] - a[0] * b[2],
                    a[0] * b[1] - a[1] * b[0],
                ]);
            }
            let nulls = arrow::buffer::NullBuffer::union(l.nulls(), r.nulls());
            let field = Arc::new(Field::new_list_field(DataType::Float64, true));
            let values = Arc::new(Float64Array::from(out));
            return Ok(Arc::new(FixedSizeListArray::try_new(
                field, 3, values, nulls,
            )?));
        }
        let measured: Float64Array = (0..l.len())
            .map(|row| (l.is_valid(row) && r.is_valid(row)).then(|| self.measure_of(pair(row))))
            .collect();
        Ok(Arc::new(measured))
    }

    /// The measure of two arrays' elements.
    fn measure_of(&self, (a, b): (&[f64], &[f64])) -> f64 {
        let dot: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
        let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
        match self.measure {
            Measure::Distance => a
                .iter()
                .zip(b)
                .map(|(x, y)| (x - y) * (x - y))
                .sum::<f64>()
                .sqrt(),
            Measure::InnerProduct => dot,
            Measure::NegativeInnerProduct => -dot,
            Measure::CosineSimilarity => dot / (norm(a) * norm(b)),
            Measure::CosineDistance => 1.0 - dot / (norm(a) * norm(b)),
            Measure::CrossProduct => f64::NAN,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doubles(rows: Vec<Option<Vec<Option<f64>>>>, size: i32) -> ColumnarValue {
        ColumnarValue::Array(Arc::new(FixedSizeListArray::from_iter_primitive::<
            Float64Type,
            _,
            _,
        >(rows, size)))
    }

    fn measure(name: &str, l: ColumnarValue, r: ColumnarValue) -> Result<ArrayRef> {
        let f = VectorFunction::all()
            .into_iter()
            .find(|f| f.name() == name)
            .unwrap();
        f.invoke(&[l, r], 2)?.to_array(2)
    }

    #[test]
    fn distances_and_products_of_each_row() {
        let l = || doubles(vec![Some(vec![Some(1.0), Some(2.0), Some(3.0)]), None], 3);
        let r = || doubles(vec![Some(vec![Some(1.0), Some(2.0), Some(4.0)]); 2], 3);
        let get =
            |a: ArrayRef| -> Vec<Option<f64>> { a.as_primitive::<Float64Type>().iter().collect() };
        assert_eq!(
            get(measure("array_distance", l(), r()).unwrap()),
            [Some(1.0), None]
        );
        assert_eq!(
            get(measure("array_inner_product", l(), r()).unwrap()),
            [Some(17.0), None]
        );
        let cosine = get(measure("array_cosine_similarity", l(), r()).unwrap())[0].unwrap();
        assert!((cosine - 17.0 / (14f64.sqrt() * 21f64.sqrt())).abs() < 1e-12);
        let cross = measure("array_cross_product", l(), r()).unwrap();
        let cross = cross.as_fixed_size_list();
        assert!(cross.is_null(1));
        let values = cross.values().as_primitive::<Float64Type>();
        assert_eq!(&values.values()[..3], &[2.0, -1.0, 0.0]);
    }

    #[test]
    fn a_null_element_is_an_error_and_sizes_must_match() {
        let l = doubles(vec![Some(vec![Some(1.0), None]); 2], 2);
        let r = doubles(vec![Some(vec![Some(1.0), Some(1.0)]); 2], 2);
        let error = measure("array_distance", l, r).unwrap_err().to_string();
        assert!(
            error.contains("first array holds a NULL element"),
            "{error}"
        );
        let f = &VectorFunction::all()[0];
        let error = f
            .coerce_types(&[
                array_of(DataType::Float64, 3),
                array_of(DataType::Float64, 2),
            ])
            .unwrap_err()
            .to_string();
        assert!(error.contains("same size, not 3 and 2"), "{error}");
        assert!(f
            .coerce_types(&[DataType::Float64, DataType::Float64])
            .is_err());
    }
}
