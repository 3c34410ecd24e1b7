//! `epoch_ms`, `epoch_us` and `epoch_ns`: a date or timestamp as whole
//! milli-, micro- or nanoseconds since 1970-01-01 (BIGINT), and an integer
//! count of them back as a TIMESTAMP.

use std::sync::Arc;

use arrow::array::{AsArray, Int64Array};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Int64Type, TimeUnit, TimestampMicrosecondType};
use quiver_expr::{ColumnarValue, QuiverError, Result, ScalarFunction};

use super::datetime::{instants_of, is_datetime};
use super::{check_arity, map_values, wrong_types};

/// One of the `epoch_*` functions.
#[derive(Debug)]
pub struct EpochIn {
    name: &'static str,
    /// Units per microsecond (nanoseconds) or microseconds per unit
    /// (milliseconds), as a signed exponent of 1000.
    thousands: i32,
}

impl EpochIn {
    /// `epoch_ms`, `epoch_us` and `epoch_ns`.
    pub fn all() -> [Self; 3] {
        [
            Self {
                name: "epoch_ms",
                thousands: -1,
            },
            Self {
                name: "epoch_us",
                thousands: 0,
            },
            Self {
                name: "epoch_ns",
                thousands: 1,
            },
        ]
    }

    fn to_units(&self, micros: i64) -> Result<i64> {
        match self.thousands {
            -1 => Ok(micros.div_euclid(1000)),
            0 => Ok(micros),
            _ => micros.checked_mul(1000).ok_or_else(|| {
                QuiverError::Execution(format!(
                    "{}: {micros} µs does not fit in nanoseconds",
                    self.name
                ))
            }),
        }
    }

    fn to_micros(&self, units: i64) -> Result<i64> {
        match self.thousands {
            -1 => units.checked_mul(1000).ok_or_else(|| {
                QuiverError::Execution(format!(
                    "{}: {units} is out of the TIMESTAMP range",
                    self.name
                ))
            }),
            0 => Ok(units),
            _ => Ok(units.div_euclid(1000)),
        }
    }
}

impl ScalarFunction for EpochIn {
    fn name(&self) -> &str {
        self.name
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(self.name, arg_types, 1, 1)?;
        match &arg_types[0] {
            t if is_datetime(t) => Ok(vec![t.clone()]),
            DataType::Null => Ok(vec![DataType::Int64]),
            t if t.is_integer() => Ok(vec![DataType::Int64]),
            _ => Err(wrong_types(self.name, arg_types)),
        }
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(if is_datetime(&arg_types[0]) {
            DataType::Int64
        } else {
            DataType::Timestamp(TimeUnit::Microsecond, None)
        })
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        map_values(&args[0], num_rows, |input| {
            if is_datetime(input.data_type()) {
                let micros = instants_of(input)?;
                let out: Int64Array = micros.try_unary(|m| self.to_units(m))?;
                return Ok(Arc::new(out));
            }
            let units = cast(input, &DataType::Int64)?;
            let out = units
                .as_primitive::<Int64Type>()
                .try_unary::<_, TimestampMicrosecondType, _>(|u| self.to_micros(u))?;
            Ok(Arc::new(out))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::TimestampMicrosecondArray;

    #[test]
    fn timestamps_to_units_and_back() {
        let [ms, us, ns] = EpochIn::all();
        let t = ColumnarValue::Array(Arc::new(TimestampMicrosecondArray::from(vec![1_500_999])));
        let value = |f: &EpochIn| {
            let out = f
                .invoke(std::slice::from_ref(&t), 1)
                .unwrap()
                .into_array(1)
                .unwrap();
            out.as_primitive::<Int64Type>().value(0)
        };
        assert_eq!(
            (value(&ms), value(&us), value(&ns)),
            (1500, 1_500_999, 1_500_999_000)
        );
        let back = ms
            .invoke(
                &[ColumnarValue::Array(Arc::new(Int64Array::from(vec![1500])))],
                1,
            )
            .unwrap()
            .into_array(1)
            .unwrap();
        assert_eq!(
            back.as_primitive::<TimestampMicrosecondType>().value(0),
            1_500_000
        );
    }
}
