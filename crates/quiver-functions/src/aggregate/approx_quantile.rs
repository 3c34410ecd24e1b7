//! `approx_quantile(x, q)` (`approx_percentile`): a quantile of a group's
//! non-NULL numbers estimated with a t-digest (Dunning's merging variant).
//!
//! A digest keeps at most about `2 * COMPRESSION` centroids (a mean and a
//! weight each), small near the ends of the distribution and large in the
//! middle, so that extreme quantiles stay precise; values are buffered and
//! merged in sorted runs. Digests merge across partitions by merging their
//! centroids. Over integers the estimate is rounded to the input type.

use std::f64::consts::PI;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BinaryArray, Float64Array};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Field, Float64Type};
use quiver_expr::types::{is_integer, is_numeric, sql_type_name};
use quiver_expr::{AggregateFunction, GroupsAccumulator, QuiverError, Result};

/// The digest's size parameter: larger is more precise and bigger.
const COMPRESSION: f64 = 100.0;
/// Values buffered before they are merged into the centroids.
const BUFFER: usize = 500;

/// `approx_quantile`.
#[derive(Debug)]
pub struct ApproxQuantile;

impl AggregateFunction for ApproxQuantile {
    fn name(&self) -> &str {
        "approx_quantile"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["approx_percentile"]
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let [value, fraction] = arg_types else {
            return Err(QuiverError::Plan(format!(
                "aggregate approx_quantile takes 2 arguments (value, fraction) but was given {}",
                arg_types.len()
            )));
        };
        if !(is_numeric(value) || value == &DataType::Null) {
            return Err(super::unsupported("approx_quantile", value));
        }
        if !(is_numeric(fraction) || fraction == &DataType::Null) {
            return Err(QuiverError::Plan(format!(
                "the fraction of approx_quantile must be a number, not {}",
                sql_type_name(fraction)
            )));
        }
        let value = match value {
            DataType::Null => DataType::Float64,
            t if is_integer(t) || t == &DataType::Float64 => t.clone(),
            _ => DataType::Float64,
        };
        Ok(vec![value, DataType::Float64])
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(arg_types[0].clone())
    }
    fn state_fields(&self, name: &str, _: &[DataType]) -> Result<Vec<Field>> {
        Ok(vec![
            Field::new(format!("{name}[digest]"), DataType::Binary, false),
            Field::new(format!("{name}[fraction]"), DataType::Float64, true),
        ])
    }
    fn create_accumulator(&self, arg_types: &[DataType]) -> Result<Box<dyn GroupsAccumulator>> {
        Ok(Box::new(DigestAccumulator {
            output: arg_types[0].clone(),
            digests: vec![],
            fraction: None,
        }))
    }
}

/// One group's t-digest.
#[derive(Debug, Clone, Default)]
struct Digest {
    /// (mean, weight), sorted by mean.
    centroids: Vec<(f64, f64)>,
    /// Values not merged yet.
    buffer: Vec<f64>,
}

/// The scale function k1: how many centroids fit below quantile `q`.
fn scale(q: f64) -> f64 {
    COMPRESSION / (2.0 * PI) * (2.0 * q - 1.0).asin()
}

impl Digest {
    fn add(&mut self, x: f64) {
        self.buffer.push(x);
        if self.buffer.len() >= BUFFER {
            self.compress();
        }
    }

    /// Merges the buffer into the centroids, if it holds anything.
    fn compress(&mut self) {
        if !self.buffer.is_empty() {
            self.recompress();
        }
    }

    /// Merges the centroids and the buffered values, in order of their
    /// means, into as few centroids as the scale function allows: a run of
    /// neighbours becomes one while it spans at most one unit of scale.
    fn recompress(&mut self) {
        let mut all: Vec<(f64, f64)> = std::mem::take(&mut self.centroids);
        all.extend(self.buffer.drain(..).map(|x| (x, 1.0)));
        all.sort_by(|a, b| a.0.total_cmp(&b.0));
        let total: f64 = all.iter().map(|c| c.1).sum();
        let mut merged: Vec<(f64, f64)> =
            Vec::with_capacity(all.len().min(4 * COMPRESSION as usize));
        let mut below = 0.0;
        let mut limit = scale(0.0) + 1.0;
        for (mean, weight) in all {
            match merged.last_mut() {
                Some(last) if scale((below + last.1 + weight) / total) <= limit => {
                    let w = last.1 + weight;
                    last.0 += (mean - last.0) * weight / w;
                    last.1 = w;
                }
                _ => {
                    if let Some(last) = merged.last() {
                        below += last.1;
                        limit = scale(below / total) + 1.0;
                    }
                    merged.push((mean, weight));
                }
            }
        }
        self.centroids = merged;
    }

    fn merge(&mut self, other: &Digest) {
        self.centroids.extend(other.centroids.iter().copied());
        self.buffer.extend(other.buffer.iter().copied());
        self.recompress();
    }

    /// The estimated quantile `q`, interpolating between centroid means.
    fn quantile(&mut self, q: f64) -> Option<f64> {
        self.compress();
        let c = &self.centroids;
        if c.is_empty() {
            return None;
        }
        if c.len() == 1 {
            return Some(c[0].0);
        }
        let total: f64 = c.iter().map(|x| x.1).sum();
        let target = q * total;
        // Each centroid's mean sits at the middle of its weight.
        let mut cumulative = 0.0;
        for i in 0..c.len() {
            let centre = cumulative + c[i].1 / 2.0;
            if target < centre {
                if i == 0 {
                    return Some(c[0].0);
                }
                let previous = cumulative - c[i - 1].1 / 2.0;
                let t = (target - previous) / (centre - previous);
                return Some(c[i - 1].0 + t * (c[i].0 - c[i - 1].0));
            }
            cumulative += c[i].1;
        }
        Some(c[c.len() - 1].0)
    }

    fn encode(&mut self) -> Vec<u8> {
        self.compress();
        let mut out = Vec::with_capacity(self.centroids.len() * 16);
        for (mean, weight) in &self.centroids {
            out.extend(mean.to_le_bytes());
            out.extend(weight.to_le_bytes());
        }
        out
    }

    fn decode(bytes: &[u8]) -> Result<Digest> {
        if !bytes.len().is_multiple_of(16) {
            return Err(QuiverError::Internal(
                "a corrupt approx_quantile state".into(),
            ));
        }
        let f = |b: &[u8]| f64::from_le_bytes(b.try_into().expect("8 bytes"));
        Ok(Digest {
            centroids: bytes
                .chunks_exact(16)
                .map(|c| (f(&c[..8]), f(&c[8..])))
                .collect(),
            buffer: vec![],
        })
    }
}

/// Every group's digest, and the call's fraction.
#[derive(Debug)]
struct DigestAccumulator {
    output: DataType,
    digests: Vec<Digest>,
    fraction: Option<f64>,
}

impl DigestAccumulator {
    fn note_fraction(&mut self, fractions: &ArrayRef) -> Result<()> {
        let fractions = fractions.as_primitive::<Float64Type>();
        for i in 0..fractions.len() {
            if fractions.is_null(i) {
                continue;
            }
            let f = fractions.value(i);
            if !(0.0..=1.0).contains(&f) {
                return Err(QuiverError::Execution(format!(
                    "the fraction of approx_quantile must be between 0 and 1, not {f}"
                )));
            }
            self.fraction = Some(f);
        }
        Ok(())
    }
}

impl GroupsAccumulator for DigestAccumulator {
    fn update_batch(
        &mut self,
        values: &[ArrayRef],
        group_indices: &[usize],
        total: usize,
    ) -> Result<()> {
        self.digests.resize(total, Digest::default());
        self.note_fraction(&values[1])?;
        let numbers = cast(&values[0], &DataType::Float64)?;
        let numbers = numbers.as_primitive::<Float64Type>();
        for (row, &g) in group_indices.iter().enumerate() {
            if numbers.is_valid(row) && !numbers.value(row).is_nan() {
                self.digests[g].add(numbers.value(row));
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
        self.digests.resize(total, Digest::default());
        self.note_fraction(&states[1])?;
        let digests = states[0].as_binary::<i32>();
        for (row, &g) in group_indices.iter().enumerate() {
            let other = Digest::decode(digests.value(row))?;
            self.digests[g].merge(&other);
        }
        Ok(())
    }

    fn state(&mut self) -> Result<Vec<ArrayRef>> {
        let mut digests = std::mem::take(&mut self.digests);
        let encoded: Vec<Vec<u8>> = digests.iter_mut().map(Digest::encode).collect();
        let fractions = Float64Array::from(vec![self.fraction; encoded.len()]);
        Ok(vec![
            Arc::new(BinaryArray::from_iter_values(encoded.iter())),
            Arc::new(fractions),
        ])
    }

    fn evaluate(&mut self) -> Result<ArrayRef> {
        let q = self.fraction.unwrap_or(0.5);
        let mut digests = std::mem::take(&mut self.digests);
        let estimates: Float64Array = digests.iter_mut().map(|d| d.quantile(q)).collect();
        let estimates: ArrayRef = Arc::new(estimates);
        if is_integer(&self.output) {
            let rounded: Float64Array = estimates
                .as_primitive::<Float64Type>()
                .iter()
                .map(|v| v.map(f64::round))
                .collect();
            return Ok(cast(&(Arc::new(rounded) as ArrayRef), &self.output)?);
        }
        Ok(estimates)
    }

    fn size(&self) -> usize {
        self.digests
            .iter()
            .map(|d| d.centroids.capacity() * 16 + d.buffer.capacity() * 8)
            .sum::<usize>()
            + self.digests.capacity() * std::mem::size_of::<Digest>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_quantiles_of_merged_partitions_closely() {
        let n = 100_000;
        let f = ApproxQuantile;
        let types = [DataType::Float64, DataType::Float64];
        for q in [0.01, 0.25, 0.5, 0.9, 0.999] {
            let mut merged = f.create_accumulator(&types).unwrap();
            for part in 0..4 {
                // A shuffled 0..n, a quarter in each partition.
                let values: Vec<f64> = (0..n / 4)
                    .map(|i| ((i * 4 + part) * 7919 % n) as f64)
                    .collect();
                let len = values.len();
                let mut acc = f.create_accumulator(&types).unwrap();
                let args: Vec<ArrayRef> = vec![
                    Arc::new(Float64Array::from(values)),
                    Arc::new(Float64Array::from(vec![q; len])),
                ];
                acc.update_batch(&args, &vec![0; len], 1).unwrap();
                merged.merge_batch(&acc.state().unwrap(), &[0], 1).unwrap();
            }
            let out = merged.evaluate().unwrap();
            let got = out.as_primitive::<Float64Type>().value(0);
            let exact = q * (n - 1) as f64;
            assert!(
                (got - exact).abs() < 0.01 * n as f64,
                "q={q}: {got} vs {exact}"
            );
        }
    }
}
