//! The shape of a distribution: `skewness` (sample skewness), `kurtosis`
//! (sample excess kurtosis) and `kurtosis_pop` (population excess
//! kurtosis), from the count and the sums of the first four powers of a
//! group's non-NULL values (sums that add across partitions), with the
//! formulas DuckDB uses. NULL with too few values or no spread.

use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, Float64Array, Int64Array};
use arrow::datatypes::{DataType, Field, Float64Type, Int64Type};
use quiver_expr::types::is_numeric;
use quiver_expr::{AggregateFunction, GroupsAccumulator, Result};

use super::{for_each_valid, one_arg, unsupported};

/// Which shape statistic a [`Shape`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Statistic {
    Skewness,
    Kurtosis,
    KurtosisPop,
}

/// `skewness`, `kurtosis` or `kurtosis_pop`.
#[derive(Debug)]
pub struct Shape {
    name: &'static str,
    statistic: Statistic,
}

impl Shape {
    /// Every shape statistic.
    pub fn all() -> Vec<Shape> {
        [
            ("skewness", Statistic::Skewness),
            ("kurtosis", Statistic::Kurtosis),
            ("kurtosis_pop", Statistic::KurtosisPop),
        ]
        .into_iter()
        .map(|(name, statistic)| Shape { name, statistic })
        .collect()
    }
}

impl AggregateFunction for Shape {
    fn name(&self) -> &str {
        self.name
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        one_arg(self.name, arg_types)?;
        match &arg_types[0] {
            t if is_numeric(t) || t == &DataType::Null => Ok(vec![DataType::Float64]),
            other => Err(unsupported(self.name, other)),
        }
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Float64)
    }
    fn state_fields(&self, name: &str, _: &[DataType]) -> Result<Vec<Field>> {
        let mut fields = vec![Field::new(format!("{name}[count]"), DataType::Int64, false)];
        for power in 1..=4 {
            fields.push(Field::new(
                format!("{name}[sum{power}]"),
                DataType::Float64,
                false,
            ));
        }
        Ok(fields)
    }
    fn create_accumulator(&self, _: &[DataType]) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(PowerSums {
            statistic: self.statistic,
            counts: vec![],
            sums: vec![],
        }))
    }
}

/// Per group: the count and the sums of x, x², x³, x⁴.
#[derive(Debug)]
struct PowerSums {
    statistic: Statistic,
    counts: Vec<i64>,
    sums: Vec<[f64; 4]>,
}

impl PowerSums {
    fn resize(&mut self, total: usize) {
        self.counts.resize(total, 0);
        self.sums.resize(total, [0.0; 4]);
    }

    fn value(&self, n: i64, [s1, s2, s3, s4]: [f64; 4]) -> Option<f64> {
        let n_f = n as f64;
        let t = 1.0 / n_f;
        let m2 = t * (s2 - s1 * s1 * t);
        let value = match self.statistic {
            Statistic::Skewness => {
                if n <= 2 {
                    return None;
                }
                let div = m2.powi(3).sqrt();
                if div == 0.0 {
                    return None;
                }
                let scale = (n_f * (n_f - 1.0)).sqrt() / (n_f - 2.0);
                scale * t * (s3 - 3.0 * s2 * s1 * t + 2.0 * s1.powi(3) * t * t) / div
            }
            Statistic::Kurtosis | Statistic::KurtosisPop => {
                let minimum = if self.statistic == Statistic::Kurtosis {
                    3
                } else {
                    0
                };
                if n <= minimum || m2 <= 0.0 {
                    return None;
                }
                let m4 = t
                    * (s4 - 4.0 * s3 * s1 * t + 6.0 * s2 * s1 * s1 * t * t
                        - 3.0 * s1.powi(4) * t.powi(3));
                if self.statistic == Statistic::KurtosisPop {
                    m4 / (m2 * m2) - 3.0
                } else {
                    (n_f - 1.0) * ((n_f + 1.0) * m4 / (m2 * m2) - 3.0 * (n_f - 1.0))
                        / ((n_f - 2.0) * (n_f - 3.0))
                }
            }
        };
        value.is_finite().then_some(value)
    }
}

impl GroupsAccumulator for PowerSums {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total: usize,
    ) -> Result<()> {
        self.resize(total);
        let v = values[0].as_primitive::<Float64Type>();
        for_each_valid(v, group_indices, |row, g| {
            let x = v.value(row);
            self.counts[g] += 1;
            let s = &mut self.sums[g];
            s[0] += x;
            s[1] += x * x;
            s[2] += x * x * x;
            s[3] += x * x * x * x;
        });
        Ok(())
    }

    fn merge_batch(
        &mut self,
        states: &[ArrayRef],
        group_indices: &[usize],
        total: usize,
    ) -> Result<()> {
        self.resize(total);
        let counts = states[0].as_primitive::<Int64Type>();
        for (row, &g) in group_indices.iter().enumerate() {
            self.counts[g] += counts.value(row);
            for (power, sum) in self.sums[g].iter_mut().enumerate() {
                *sum += states[power + 1].as_primitive::<Float64Type>().value(row);
            }
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ArrayRef>> {
        let counts = std::mem::take(&mut self.counts);
        let sums = std::mem::take(&mut self.sums);
        let mut out: Vec<ArrayRef> = vec![Arc::new(Int64Array::from(counts))];
        for power in 0..4 {
            out.push(Arc::new(Float64Array::from_iter_values(
                sums.iter().map(|s| s[power]),
            )));
        }
        Ok(out)
    }

    fn evaluate(&mut self) -> Result<ArrayRef> {
        let out: Float64Array = self
            .counts
            .iter()
            .zip(&self.sums)
            .map(|(&n, &s)| self.value(n, s))
            .collect();
        self.counts.clear();
        self.sums.clear();
        Ok(Arc::new(out))
    }

    fn size(&self) -> usize {
        self.counts.capacity() * 8 + self.sums.capacity() * 32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_textbook_values() {
        // 2, 3, 5, 7: DuckDB gives skewness 0.4815630484492698, kurtosis
        // -1.6995116345877672, kurtosis_pop -1.426601551278369.
        let values: ArrayRef = Arc::new(Float64Array::from(vec![2.0, 3.0, 5.0, 7.0]));
        for (name, expected) in [
            ("skewness", 0.4815630484492698),
            ("kurtosis", -1.6995116345877672),
            ("kurtosis_pop", -1.426601551278369),
        ] {
            let f = Shape::all().into_iter().find(|s| s.name == name).unwrap();
            let mut acc = f.create_accumulator(&[]).unwrap();
            acc.update_batch(std::slice::from_ref(&values), &[0, 0, 0, 0], 1)
                .unwrap();
            let out = acc.evaluate().unwrap();
            let got = out.as_primitive::<Float64Type>().value(0);
            assert!((got - expected).abs() < 1e-12, "{name}: {got}");
        }
    }
}
