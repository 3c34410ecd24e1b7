//! Functions that draw a new value for every row: `random()`, a DOUBLE
//! uniform in [0, 1) (as in DuckDB and PostgreSQL), and `uuid()`
//! (`gen_random_uuid()`), a random (version 4) UUID as text. Volatile: the
//! optimizer never folds them into a constant, shares two calls, or moves
//! them where they would run for other rows.

use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, StringBuilder};
use arrow::datatypes::DataType;
use quiver_expr::{ColumnarValue, Result, ScalarFunction, Volatility};
use rand::Rng;

use super::check_arity;

/// What a [`Random`] draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Draw {
    /// A DOUBLE in [0, 1).
    Number,
    /// A version 4 UUID, as text.
    Uuid,
}

/// `random()` or `uuid()`.
#[derive(Debug)]
pub struct Random {
    draw: Draw,
}

impl Random {
    /// `random()`.
    pub fn number() -> Self {
        Self { draw: Draw::Number }
    }
    /// `uuid()`.
    pub fn uuid() -> Self {
        Self { draw: Draw::Uuid }
    }
}

/// A random version 4 UUID: `xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx`.
fn uuid_text(rng: &mut impl Rng) -> String {
    let mut bytes: [u8; 16] = rng.gen();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

impl ScalarFunction for Random {
    fn name(&self) -> &str {
        match self.draw {
            Draw::Number => "random",
            Draw::Uuid => "uuid",
        }
    }
    fn aliases(&self) -> &'static [&'static str] {
        match self.draw {
            Draw::Number => &[],
            Draw::Uuid => &["gen_random_uuid"],
        }
    }
    fn volatility(&self) -> Volatility {
        Volatility::Volatile
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(self.name(), arg_types, 0, 0)?;
        Ok(vec![])
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(match self.draw {
            Draw::Number => DataType::Float64,
            Draw::Uuid => DataType::Utf8,
        })
    }
    fn invoke(&self, _: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        let mut rng = rand::thread_rng();
        let values: ArrayRef = match self.draw {
            Draw::Number => Arc::new(
                (0..num_rows)
                    .map(|_| rng.gen::<f64>())
                    .collect::<Float64Array>(),
            ),
            Draw::Uuid => {
                let mut out = StringBuilder::with_capacity(num_rows, num_rows * 36);
                for _ in 0..num_rows {
                    out.append_value(uuid_text(&mut rng));
                }
                Arc::new(out.finish())
            }
        };
        Ok(ColumnarValue::Array(values))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::AsArray;
    use arrow::datatypes::Float64Type;

    #[test]
    fn every_row_draws_its_own_value_in_the_unit_interval() {
        let ColumnarValue::Array(values) = Random::number().invoke(&[], 1000).unwrap() else {
            panic!("one value per row")
        };
        let values = values.as_primitive::<Float64Type>();
        assert_eq!(values.len(), 1000);
        assert!(values.values().iter().all(|v| (0.0..1.0).contains(v)));
        let mut distinct: Vec<u64> = values.values().iter().map(|v| v.to_bits()).collect();
        distinct.sort_unstable();
        distinct.dedup();
        assert!(distinct.len() > 990, "{} distinct of 1000", distinct.len());
    }

    #[test]
    fn uuids_are_version_4_and_differ() {
        let ColumnarValue::Array(values) = Random::uuid().invoke(&[], 100).unwrap() else {
            panic!("one value per row")
        };
        let values = values.as_string::<i32>();
        let mut seen: Vec<&str> = values.iter().flatten().collect();
        for u in &seen {
            assert_eq!(u.len(), 36);
            assert_eq!(&u[14..15], "4", "{u}");
            assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"), "{u}");
        }
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 100);
    }
}
