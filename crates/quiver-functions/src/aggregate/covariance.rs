//! Two-variable statistics over the rows where both arguments are non-NULL:
//! `covar_pop`, `covar_samp`, `corr` and the regression family
//! (`regr_slope(y, x)`, `regr_intercept`, `regr_r2`, `regr_count`,
//! `regr_avgx`, `regr_avgy`, `regr_sxx`, `regr_syy`, `regr_sxy`). Each keeps
//! the count, both means, both sums of squared deviations and the sum of
//! co-deviations, updated one row at a time and merged across partitions
//! as the variance aggregates are (Welford, Chan), in DOUBLE.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Float64Array, Int64Array};
use arrow::datatypes::{DataType, Field, Float64Type, Int64Type};
use quiver_expr::types::is_numeric;
use quiver_expr::{AggregateFunction, GroupsAccumulator, QuiverError, Result, ScalarValue};

use super::unsupported;

/// Which statistic a [`CoMoments`] aggregate reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Statistic {
    CovarPop,
    CovarSamp,
    Corr,
    Slope,
    Intercept,
    R2,
    Count,
    AvgX,
    AvgY,
    Sxx,
    Syy,
    Sxy,
}

/// A statistic of two variables, called as `f(y, x)`.
#[derive(Debug)]
pub struct CoMoments {
    name: &'static str,
    statistic: Statistic,
}

impl CoMoments {
    /// Every member of the family.
    pub fn all() -> Vec<CoMoments> {
        use Statistic::*;
        [
            ("covar_pop", CovarPop),
            ("covar_samp", CovarSamp),
            ("corr", Corr),
            ("regr_slope", Slope),
            ("regr_intercept", Intercept),
            ("regr_r2", R2),
            ("regr_count", Count),
            ("regr_avgx", AvgX),
            ("regr_avgy", AvgY),
            ("regr_sxx", Sxx),
            ("regr_syy", Syy),
            ("regr_sxy", Sxy),
        ]
        .into_iter()
        .map(|(name, statistic)| CoMoments { name, statistic })
        .collect()
    }
}

impl AggregateFunction for CoMoments {
    fn name(&self) -> &str {
        self.name
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if arg_types.len() != 2 {
            return Err(QuiverError::Plan(format!(
                "aggregate {} takes 2 arguments (y, x) but was given {}",
                self.name,
                arg_types.len()
            )));
        }
        for t in arg_types {
            if !(is_numeric(t) || t == &DataType::Null) {
                return Err(unsupported(self.name, t));
            }
        }
        Ok(vec![DataType::Float64, DataType::Float64])
    }
    fn value_over_no_rows(&self, return_type: &DataType) -> Result<ScalarValue> {
        match self.statistic {
            Statistic::Count => Ok(ScalarValue::Int64(Some(0))),
            _ => Ok(ScalarValue::try_from(return_type)?),
        }
    }
    fn nullable(&self) -> bool {
        self.statistic != Statistic::Count
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(match self.statistic {
            Statistic::Count => DataType::Int64,
            _ => DataType::Float64,
        })
    }
    fn state_fields(&self, name: &str, _: &[DataType]) -> Result<Vec<Field>> {
        let field = |part: &str, t: DataType| Field::new(format!("{name}[{part}]"), t, false);
        Ok(vec![
            field("count", DataType::Int64),
            field("mean_x", DataType::Float64),
            field("mean_y", DataType::Float64),
            field("m2_x", DataType::Float64),
            field("m2_y", DataType::Float64),
            field("c_xy", DataType::Float64),
        ])
    }
    fn create_accumulator(&self, _: &[DataType]) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(CoMomentsAccumulator {
            statistic: self.statistic,
            groups: vec![],
        }))
    }
}

/// One group's running moments.
#[derive(Debug, Clone, Copy, Default)]
struct Moments {
    n: i64,
    mean_x: f64,
    mean_y: f64,
    m2_x: f64,
    m2_y: f64,
    c_xy: f64,
}

impl Moments {
    fn add(&mut self, y: f64, x: f64) {
        self.n += 1;
        let n = self.n as f64;
        let dx = x - self.mean_x;
        let dy = y - self.mean_y;
        self.mean_x += dx / n;
        self.mean_y += dy / n;
        self.m2_x += dx * (x - self.mean_x);
        self.m2_y += dy * (y - self.mean_y);
        self.c_xy += dx * (y - self.mean_y);
    }

    fn merge(&mut self, other: &Moments) {
        if other.n == 0 {
            return;
        }
        if self.n == 0 {
            *self = *other;
            return;
        }
        let (na, nb) = (self.n as f64, other.n as f64);
        let n = na + nb;
        let dx = other.mean_x - self.mean_x;
        let dy = other.mean_y - self.mean_y;
        self.mean_x += dx * nb / n;
        self.mean_y += dy * nb / n;
        self.m2_x += other.m2_x + dx * dx * na * nb / n;
        self.m2_y += other.m2_y + dy * dy * na * nb / n;
        self.c_xy += other.c_xy + dx * dy * na * nb / n;
        self.n += other.n;
    }

    /// The statistic, as DuckDB gives it: NULL without enough rows, NaN
    /// where a variance in a denominator is zero (except where the answer
    /// is then defined: R² is 1 when y does not vary, NULL when x does not;
    /// the intercept is NULL when x does not vary).
    fn value(&self, statistic: Statistic) -> Option<f64> {
        use Statistic::*;
        let n = self.n as f64;
        if self.n == 0 {
            return None;
        }
        Some(match statistic {
            CovarPop => self.c_xy / n,
            CovarSamp if self.n < 2 => return None,
            CovarSamp => self.c_xy / (n - 1.0),
            Corr => self.c_xy / (self.m2_x * self.m2_y).sqrt(),
            Slope => self.c_xy / self.m2_x,
            Intercept if self.m2_x == 0.0 => return None,
            Intercept => self.mean_y - self.c_xy / self.m2_x * self.mean_x,
            R2 if self.m2_x == 0.0 => return None,
            R2 if self.m2_y == 0.0 => 1.0,
            R2 => self.c_xy * self.c_xy / (self.m2_x * self.m2_y),
            Count => return None,
            AvgX => self.mean_x,
            AvgY => self.mean_y,
            Sxx => self.m2_x,
            Syy => self.m2_y,
            Sxy => self.c_xy,
        })
    }
}

/// The moments of every group.
#[derive(Debug)]
struct CoMomentsAccumulator {
    statistic: Statistic,
    groups: Vec<Moments>,
}

impl GroupsAccumulator for CoMomentsAccumulator {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total: usize,
    ) -> Result<()> {
        self.groups.resize(total, Moments::default());
        let y = values[0].as_primitive::<Float64Type>();
        let x = values[1].as_primitive::<Float64Type>();
        for (row, &g) in group_indices.iter().enumerate() {
            if y.is_valid(row) && x.is_valid(row) {
                self.groups[g].add(y.value(row), x.value(row));
            }
        }
        Ok(())
    }

    fn merge_batch(
        &mut self,
        states: &[ArrayRef],
        group_indices: &[usize],
        total: usize,
    ) -> Result<()> {
        self.groups.resize(total, Moments::default());
        let n = states[0].as_primitive::<Int64Type>();
        let f = |i: usize| states[i].as_primitive::<Float64Type>();
        let (mean_x, mean_y, m2_x, m2_y, c_xy) = (f(1), f(2), f(3), f(4), f(5));
        for (row, &g) in group_indices.iter().enumerate() {
            self.groups[g].merge(&Moments {
                n: n.value(row),
                mean_x: mean_x.value(row),
                mean_y: mean_y.value(row),
                m2_x: m2_x.value(row),
                m2_y: m2_y.value(row),
                c_xy: c_xy.value(row),
            });
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ArrayRef>> {
        let groups = std::mem::take(&mut self.groups);
        let column = |f: fn(&Moments) -> f64| -> ArrayRef {
            Arc::new(Float64Array::from_iter_values(groups.iter().map(f)))
        };
        Ok(vec![
            Arc::new(Int64Array::from_iter_values(groups.iter().map(|m| m.n))),
            column(|m| m.mean_x),
            column(|m| m.mean_y),
            column(|m| m.m2_x),
            column(|m| m.m2_y),
            column(|m| m.c_xy),
        ])
    }

    fn evaluate(&mut self) -> Result<ArrayRef> {
        let groups = std::mem::take(&mut self.groups);
        Ok(match self.statistic {
            Statistic::Count => Arc::new(Int64Array::from_iter_values(groups.iter().map(|m| m.n))),
            statistic => Arc::new(Float64Array::from_iter(
                groups.iter().map(|m| m.value(statistic)),
            )),
        })
    }

    fn size(&self) -> usize {
        self.groups.capacity() * std::mem::size_of::<Moments>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evaluate(name: &str, parts: &[(&[f64], &[f64])]) -> Option<f64> {
        let f = CoMoments::all()
            .into_iter()
            .find(|c| c.name == name)
            .unwrap();
        let mut merged = f.create_accumulator(&[]).unwrap();
        for (y, x) in parts {
            let mut part = f.create_accumulator(&[]).unwrap();
            let args: Vec<ArrayRef> = vec![
                Arc::new(Float64Array::from(y.to_vec())),
                Arc::new(Float64Array::from(x.to_vec())),
            ];
            part.update_batch(&args, &vec![0; y.len()], 1).unwrap();
            merged.merge_batch(&part.state().unwrap(), &[0], 1).unwrap();
        }
        let out = merged.evaluate().unwrap();
        let out = arrow::compute::cast(&out, &DataType::Float64).unwrap();
        let out = out.as_primitive::<Float64Type>();
        out.is_valid(0).then(|| out.value(0))
    }

    #[test]
    fn merged_partitions_give_the_whole_regression() {
        // y = 2x + 1 exactly, split over two partitions.
        let parts: [(&[f64], &[f64]); 2] = [(&[3.0, 5.0], &[1.0, 2.0]), (&[9.0], &[4.0])];
        let close = |name: &str, expected: f64| {
            let got = evaluate(name, &parts).unwrap();
            assert!((got - expected).abs() < 1e-12, "{name}: {got}");
        };
        close("regr_slope", 2.0);
        close("regr_intercept", 1.0);
        close("corr", 1.0);
        close("regr_r2", 1.0);
        close("regr_count", 3.0);
        close("regr_avgx", 7.0 / 3.0);
        // x: 1, 2, 4 with mean 7/3: sxx = 14/3; sxy = 2 sxx.
        close("regr_sxx", 14.0 / 3.0);
        close("regr_sxy", 28.0 / 3.0);
        close("covar_pop", 28.0 / 9.0);
        close("covar_samp", 28.0 / 6.0);
    }

    #[test]
    fn too_few_rows_or_no_spread() {
        let one: [(&[f64], &[f64]); 1] = [(&[1.0], &[2.0])];
        assert_eq!(evaluate("covar_samp", &one), None);
        assert!(evaluate("corr", &one).unwrap().is_nan());
        assert_eq!(evaluate("regr_r2", &one), None);
        let flat_y: [(&[f64], &[f64]); 1] = [(&[1.0, 1.0], &[2.0, 3.0])];
        assert_eq!(evaluate("regr_r2", &flat_y), Some(1.0));
    }
}
