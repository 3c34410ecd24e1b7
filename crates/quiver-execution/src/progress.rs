//! How far the running statement's scans have got, for a progress bar:
//! scans add the bytes they will read when they start and the bytes they
//! have read as they go.

use std::sync::atomic::{AtomicU64, Ordering};

/// Bytes a statement's scans will read and have read. Shared by every
/// partition of every scan of a run; cheap to update.
#[derive(Debug, Default)]
pub struct ScanProgress {
    total: AtomicU64,
    done: AtomicU64,
}

impl ScanProgress {
    /// A scan starts that will read `bytes` more.
    pub fn add_total(&self, bytes: u64) {
        self.total.fetch_add(bytes, Ordering::Relaxed);
    }

    /// A scan has read `bytes` more.
    pub fn add_done(&self, bytes: u64) {
        self.done.fetch_add(bytes, Ordering::Relaxed);
    }

    /// The share of the known scanning that is done, from 0 to 1; None
    /// before any scan has started.
    pub fn fraction(&self) -> Option<f64> {
        let total = self.total.load(Ordering::Relaxed);
        let done = self.done.load(Ordering::Relaxed);
        (total > 0).then(|| (done as f64 / total as f64).min(1.0))
    }

    /// Starts counting afresh, for the next statement.
    pub fn reset(&self) {
        self.total.store(0, Ordering::Relaxed);
        self.done.store(0, Ordering::Relaxed);
    }
}

/// Counts a scan's bytes as done in proportion to the rows it has produced
/// out of the rows those bytes hold; whatever is left is counted when the
/// counter is dropped (at the end of the scan, or when it stops early).
#[derive(Debug)]
pub struct ProgressShare {
    progress: std::sync::Arc<ScanProgress>,
    bytes_left: u64,
    rows_left: u64,
}

impl ProgressShare {
    /// A share of `bytes` holding `rows` rows, added to `progress`'s total.
    pub fn new(progress: std::sync::Arc<ScanProgress>, bytes: u64, rows: u64) -> Self {
        progress.add_total(bytes);
        Self {
            progress,
            bytes_left: bytes,
            rows_left: rows,
        }
    }

    /// `rows` more rows were produced.
    pub fn rows_read(&mut self, rows: u64) {
        if self.rows_left == 0 {
            return;
        }
        let rows = rows.min(self.rows_left);
        let bytes =
            (u128::from(self.bytes_left) * u128::from(rows) / u128::from(self.rows_left)) as u64;
        self.rows_left -= rows;
        self.bytes_left -= bytes;
        self.progress.add_done(bytes);
    }
}

impl Drop for ProgressShare {
    fn drop(&mut self) {
        self.progress.add_done(self.bytes_left);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn shares_count_rows_in_proportion_and_the_rest_at_the_end() {
        let progress = Arc::new(ScanProgress::default());
        assert_eq!(progress.fraction(), None);
        let mut share = ProgressShare::new(Arc::clone(&progress), 1000, 10);
        let _other = ProgressShare::new(Arc::clone(&progress), 1000, 10);
        share.rows_read(5);
        assert_eq!(progress.fraction(), Some(0.25));
        share.rows_read(1);
        drop(share);
        assert_eq!(progress.fraction(), Some(0.5));
        progress.reset();
        assert_eq!(progress.fraction(), None);
    }
}
