//! The variance family: `var_samp` (`variance`), `var_pop`, `stddev_samp`
//! (`stddev`), `stddev_pop`, computed in DOUBLE with Welford's update and
//! Chan's merge of partial states, so large values do not lose precision.

use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, Float64Array, Int64Array};
use arrow::datatypes::{DataType, Field, Float64Type, Int64Type};
use quiver_expr::types::is_numeric;
use quiver_expr::{AggregateFunction, GroupsAccumulator, Result};

use super::{for_each_valid, one_arg, unsupported};

/// Which statistic a [`Variance`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Statistic {
    VarSamp,
    VarPop,
    StddevSamp,
    StddevPop,
}

/// A variance or standard deviation aggregate.
#[derive(Debug)]
pub struct Variance {
    name: &'static str,
    statistic: Statistic,
}

impl Variance {
    /// Every member of the family, by each name it answers to.
    pub fn all() -> Vec<Variance> {
        [
            ("var_samp", Statistic::VarSamp),
            ("variance", Statistic::VarSamp),
            ("var_pop", Statistic::VarPop),
            ("stddev_samp", Statistic::StddevSamp),
            ("stddev", Statistic::StddevSamp),
            ("stddev_pop", Statistic::StddevPop),
        ]
        .into_iter()
        .map(|(name, statistic)| Variance { name, statistic })
        .collect()
    }
}

impl AggregateFunction for Variance {
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
        Ok(vec![
            Field::new(format!("{name}[count]"), DataType::Int64, false),
            Field::new(format!("{name}[mean]"), DataType::Float64, false),
            Field::new(format!("{name}[m2]"), DataType::Float64, false),
        ])
    }
    fn create_accumulator(&self, _: &[DataType]) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(VarianceAccumulator {
            statistic: self.statistic,
            count: vec![],
            mean: vec![],
            m2: vec![],
        }))
    }
}

/// Per group: the count, the mean, and the sum of squared deviations.
#[derive(Debug)]
struct VarianceAccumulator {
    statistic: Statistic,
    count: Vec<i64>,
    mean: Vec<f64>,
    m2: Vec<f64>,
}

impl VarianceAccumulator {
    fn resize(&mut self, total: usize) {
        self.count.resize(total, 0);
        self.mean.resize(total, 0.0);
        self.m2.resize(total, 0.0);
    }

    /// Merges a partial state (n, mean, m2) into group `g`.
    fn merge(&mut self, g: usize, n: i64, mean: f64, m2: f64) {
        if n == 0 {
            return;
        }
        let total = self.count[g] + n;
        let delta = mean - self.mean[g];
        let (na, nb, nt) = (self.count[g] as f64, n as f64, total as f64);
        self.mean[g] += delta * nb / nt;
        self.m2[g] += m2 + delta * delta * na * nb / nt;
        self.count[g] = total;
    }
}

impl GroupsAccumulator for VarianceAccumulator {
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
            self.count[g] += 1;
            let delta = x - self.mean[g];
            self.mean[g] += delta / self.count[g] as f64;
            self.m2[g] += delta * (x - self.mean[g]);
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
        let n = states[0].as_primitive::<Int64Type>();
        let mean = states[1].as_primitive::<Float64Type>();
        let m2 = states[2].as_primitive::<Float64Type>();
        for (row, &g) in group_indices.iter().enumerate() {
            self.merge(g, n.value(row), mean.value(row), m2.value(row));
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ArrayRef>> {
        Ok(vec![
            Arc::new(Int64Array::from(std::mem::take(&mut self.count))),
            Arc::new(Float64Array::from(std::mem::take(&mut self.mean))),
            Arc::new(Float64Array::from(std::mem::take(&mut self.m2))),
        ])
    }

    fn evaluate(&mut self) -> Result<ArrayRef> {
        let out: Float64Array = self
            .count
            .iter()
            .zip(&self.m2)
            .map(|(&n, &m2)| {
                let n = n as f64;
                let variance = match self.statistic {
                    Statistic::VarSamp | Statistic::StddevSamp if n >= 2.0 => m2 / (n - 1.0),
                    Statistic::VarPop | Statistic::StddevPop if n >= 1.0 => m2 / n,
                    _ => return None,
                };
                Some(match self.statistic {
                    Statistic::StddevSamp | Statistic::StddevPop => variance.sqrt(),
                    _ => variance,
                })
            })
            .collect();
        self.count.clear();
        self.mean.clear();
        self.m2.clear();
        Ok(Arc::new(out))
    }

    fn size(&self) -> usize {
        self.count.capacity() * 24
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accumulator(name: &str) -> Box<dyn GroupsAccumulator> {
        let f = Variance::all()
            .into_iter()
            .find(|v| v.name == name)
            .unwrap();
        f.create_accumulator(&[DataType::Float64]).unwrap()
    }

    #[test]
    fn partial_states_merge_to_the_whole() {
        // Values 2, 4, 4, 4, 5, 5, 7, 9: population variance 4, sample 32/7.
        let values = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        let (a, b) = values.split_at(3);
        let mut parts = vec![];
        for half in [a, b] {
            let mut acc = accumulator("var_pop");
            let v: ArrayRef = Arc::new(Float64Array::from(half.to_vec()));
            acc.update_batch(&[v], &vec![0; half.len()], 1).unwrap();
            parts.push(acc.state().unwrap());
        }
        for (name, expected) in [
            ("var_pop", 4.0),
            ("var_samp", 32.0 / 7.0),
            ("stddev_pop", 2.0),
        ] {
            let mut merged = accumulator(name);
            for p in &parts {
                merged.merge_batch(p, &[0], 1).unwrap();
            }
            let out = merged.evaluate().unwrap();
            let got = out.as_primitive::<Float64Type>().value(0);
            assert!((got - expected).abs() < 1e-12, "{name}: {got}");
        }
        let mut one = accumulator("stddev");
        let v: ArrayRef = Arc::new(Float64Array::from(vec![1.0]));
        one.update_batch(&[v], &[0], 1).unwrap();
        assert!(
            one.evaluate().unwrap().is_null(0),
            "one value has no sample deviation"
        );
    }
}
