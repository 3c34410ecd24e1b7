//! Ranking functions: each row's position in its partition's order, counted
//! in rows or in groups of peers. They take no frame.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Float64Array, Int64Array};
use arrow::datatypes::DataType;
use quiver_expr::window::WindowRows;
use quiver_expr::{QuiverError, Result, WindowFunction};

use super::{arg_count, int_arg};

/// Which ranking a [`Ranking`] computes.
#[derive(Debug, Clone, Copy)]
enum Kind {
    RowNumber,
    Rank,
    DenseRank,
    PercentRank,
    CumeDist,
    Ntile,
}

/// `row_number()`, `rank()`, `dense_rank()`, `percent_rank()`,
/// `cume_dist()` and `ntile(n)`.
#[derive(Debug)]
struct Ranking {
    name: &'static str,
    kind: Kind,
}

/// The ranking functions.
pub(super) fn all() -> Vec<Arc<dyn WindowFunction>> {
    [
        ("row_number", Kind::RowNumber),
        ("rank", Kind::Rank),
        ("dense_rank", Kind::DenseRank),
        ("percent_rank", Kind::PercentRank),
        ("cume_dist", Kind::CumeDist),
        ("ntile", Kind::Ntile),
    ]
    .into_iter()
    .map(|(name, kind)| Arc::new(Ranking { name, kind }) as Arc<dyn WindowFunction>)
    .collect()
}

/// For each peer group of each partition, in order: the partition's rows
/// and the group's rows, and the number of groups before it in its
/// partition.
fn for_each_peer_group(
    rows: &WindowRows<'_>,
    mut f: impl FnMut(std::ops::Range<usize>, std::ops::Range<usize>, usize),
) {
    let mut peers = rows.peer_ranges().peekable();
    for partition in rows.partition_ranges() {
        let mut before = 0;
        while let Some(group) = peers.next_if(|g| g.start < partition.end) {
            f(partition.clone(), group, before);
            before += 1;
        }
    }
}

impl Ranking {
    /// The BIGINT ranks.
    fn integers(&self, args: &[ArrayRef], rows: &WindowRows<'_>) -> Result<Vec<Option<i64>>> {
        let mut out = vec![Some(0i64); rows.len()];
        match self.kind {
            Kind::RowNumber => {
                for p in rows.partition_ranges() {
                    for (i, r) in p.clone().enumerate() {
                        out[r] = Some(i as i64 + 1);
                    }
                }
            }
            Kind::Rank => for_each_peer_group(rows, |p, g, _| {
                let rank = (g.start - p.start + 1) as i64;
                out[g].fill(Some(rank));
            }),
            Kind::DenseRank => for_each_peer_group(rows, |_, g, before| {
                out[g].fill(Some(before as i64 + 1));
            }),
            Kind::Ntile => {
                let buckets = int_arg(self.name, args, 0)?;
                for p in rows.partition_ranges() {
                    let n = p.len();
                    for (i, r) in p.clone().enumerate() {
                        out[r] = if buckets.is_null(r) {
                            None
                        } else {
                            Some(ntile(i, n, buckets.value(r))?)
                        };
                    }
                }
            }
            Kind::PercentRank | Kind::CumeDist => {
                return Err(QuiverError::Internal(format!(
                    "{} is not BIGINT",
                    self.name
                )))
            }
        }
        Ok(out)
    }

    /// The DOUBLE ranks.
    fn fractions(&self, rows: &WindowRows<'_>) -> Vec<f64> {
        let mut out = vec![0.0; rows.len()];
        for_each_peer_group(rows, |p, g, _| {
            let n = p.len() as f64;
            let value = match self.kind {
                Kind::PercentRank if p.len() > 1 => (g.start - p.start) as f64 / (n - 1.0),
                Kind::PercentRank => 0.0,
                _ => (g.end - p.start) as f64 / n,
            };
            out[g].fill(value);
        });
        out
    }
}

/// The bucket (1-based) of the `i`th of `n` rows split into `buckets` as
/// evenly as possible, the first buckets one row larger.
fn ntile(i: usize, n: usize, buckets: i64) -> Result<i64> {
    if buckets <= 0 {
        return Err(QuiverError::Execution(format!(
            "the argument of ntile must be greater than zero, not {buckets}"
        )));
    }
    let k = usize::try_from(buckets).unwrap_or(usize::MAX).min(n.max(1));
    let (size, larger) = (n / k, n % k);
    let bucket = if i < larger * (size + 1) {
        i / (size + 1)
    } else {
        larger + (i - larger * (size + 1)) / size
    };
    Ok(bucket as i64 + 1)
}

impl WindowFunction for Ranking {
    fn name(&self) -> &str {
        self.name
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match self.kind {
            Kind::Ntile => {
                arg_count(self.name, arg_types, 1, 1)?;
                Ok(vec![DataType::Int64])
            }
            _ => {
                arg_count(self.name, arg_types, 0, 0)?;
                Ok(vec![])
            }
        }
    }
    fn needs_only_preceding_rows(&self) -> bool {
        matches!(self.kind, Kind::RowNumber | Kind::Rank | Kind::DenseRank)
    }
    fn bounded_by_position(&self) -> bool {
        matches!(self.kind, Kind::RowNumber | Kind::Rank)
    }
    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(match self.kind {
            Kind::PercentRank | Kind::CumeDist => DataType::Float64,
            _ => DataType::Int64,
        })
    }
    fn evaluate(&self, args: &[ArrayRef], rows: &WindowRows<'_>) -> Result<ArrayRef> {
        Ok(match self.kind {
            Kind::PercentRank | Kind::CumeDist => {
                Arc::new(Float64Array::from(self.fractions(rows)))
            }
            _ => Arc::new(Int64Array::from(self.integers(args, rows)?)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn evaluate(name: &str, args: &[ArrayRef], partitions: &[usize], peers: &[usize]) -> ArrayRef {
        let f = all().into_iter().find(|f| f.name() == name).unwrap();
        let rows = WindowRows {
            partitions,
            peers,
            frames: &[],
            ignore_nulls: false,
        };
        f.evaluate(args, &rows).unwrap()
    }

    fn ints(a: &ArrayRef) -> Vec<Option<i64>> {
        let a = a.as_any().downcast_ref::<Int64Array>().unwrap();
        (0..a.len())
            .map(|i| a.is_valid(i).then(|| a.value(i)))
            .collect()
    }

    #[test]
    fn ranks_count_rows_or_peer_groups_per_partition() {
        // Partitions [0,4) and [4,6); peers {0}, {1,2}, {3}, {4,5}.
        let (p, g) = (&[0, 4, 6][..], &[0, 1, 3, 4, 6][..]);
        let some = |v: &[i64]| v.iter().map(|&x| Some(x)).collect::<Vec<_>>();
        assert_eq!(
            ints(&evaluate("row_number", &[], p, g)),
            some(&[1, 2, 3, 4, 1, 2])
        );
        assert_eq!(
            ints(&evaluate("rank", &[], p, g)),
            some(&[1, 2, 2, 4, 1, 1])
        );
        assert_eq!(
            ints(&evaluate("dense_rank", &[], p, g)),
            some(&[1, 2, 2, 3, 1, 1])
        );
        let pr = evaluate("percent_rank", &[], p, g);
        let pr = pr.as_any().downcast_ref::<Float64Array>().unwrap();
        assert_eq!(
            pr.values().to_vec(),
            vec![0.0, 1.0 / 3.0, 1.0 / 3.0, 1.0, 0.0, 0.0]
        );
        let cd = evaluate("cume_dist", &[], p, g);
        let cd = cd.as_any().downcast_ref::<Float64Array>().unwrap();
        assert_eq!(cd.values().to_vec(), vec![0.25, 0.75, 0.75, 1.0, 1.0, 1.0]);
    }

    #[test]
    fn ntile_fills_the_first_buckets_first() {
        let buckets: ArrayRef = Arc::new(Int64Array::from(vec![Some(3); 7]));
        let out = ints(&evaluate("ntile", &[buckets], &[0, 7], &[0, 7]));
        let expected: Vec<Option<i64>> = [1, 1, 1, 2, 2, 3, 3].iter().map(|&x| Some(x)).collect();
        assert_eq!(out, expected);
        let many: ArrayRef = Arc::new(Int64Array::from(vec![Some(10), None]));
        assert_eq!(
            ints(&evaluate("ntile", &[many], &[0, 2], &[0, 2])),
            vec![Some(1), None]
        );
        assert!(ntile(0, 3, 0).is_err());
    }
}
