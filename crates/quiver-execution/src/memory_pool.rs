//! The session's memory budget. Every operator that buffers data (sort,
//! aggregate, join build) holds a [`MemoryReservation`] from the session's
//! [`MemoryPool`] and grows it before it buffers more. When the pool's limit
//! is reached, growing fails: the operator then spills to disk if it can, or
//! the query fails with a "resources exhausted" error naming the operator —
//! it never grows past the limit.
//!
//! Operators that can spill (sorts, aggregates) get a fair share: each may
//! hold at most the limit divided by the number of spillable reservations,
//! so that one partition cannot take the whole pool and leave the others
//! spilling for nothing. Reservations that cannot spill (join build sides)
//! are limited only by the pool.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use arrow::array::{Array, AsArray};
use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;
use quiver_expr::{QuiverError, Result};

/// The memory budget shared by the running queries of one session.
#[derive(Debug, Default)]
pub struct MemoryPool {
    /// The most bytes reservations may hold together; 0 means no limit.
    limit: AtomicUsize,
    /// Bytes held by all reservations now.
    reserved: AtomicUsize,
    /// The number of live spillable reservations.
    spillable: AtomicUsize,
    /// For the pool of one run ([`MemoryPool::for_run`]): the session's
    /// pool, whose limit and fair share apply.
    session: Option<Arc<MemoryPool>>,
}

impl MemoryPool {
    /// A pool of at most `limit` bytes, or without a limit.
    pub fn new(limit: Option<usize>) -> Self {
        let pool = Self::default();
        pool.set_limit(limit);
        pool
    }

    /// Changes the limit (`SET memory_limit`). Reservations already held
    /// stay; growing fails until they shrink below a lower limit.
    pub fn set_limit(&self, limit: Option<usize>) {
        // 0 stands for "no limit", so a limit of 0 bytes is kept as 1.
        let stored = limit.map_or(0, |bytes| bytes.max(1));
        self.session().limit.store(stored, Ordering::Relaxed);
    }

    /// A pool for one run of a query, inside this one (the session's): its
    /// reservations are held from this pool, under its limit and fair
    /// share, and it counts what the run holds, so that a statement can
    /// wait until its operators have given everything back
    /// ([`MemoryPool::released`]) before the next one starts.
    pub fn for_run(self: &Arc<Self>) -> Arc<MemoryPool> {
        Arc::new(MemoryPool {
            session: Some(Arc::clone(self.session.as_ref().unwrap_or(self))),
            ..MemoryPool::default()
        })
    }

    /// The session's pool: this one, or the one it is a run's pool in.
    fn session(&self) -> &MemoryPool {
        self.session.as_deref().unwrap_or(self)
    }

    /// Waits until every reservation from this pool has been given back
    /// (the operators of a finished or abandoned run drop theirs as their
    /// tasks end), or `patience` has passed.
    pub async fn released(&self, patience: std::time::Duration) {
        let start = std::time::Instant::now();
        while self.reserved() > 0 && start.elapsed() < patience {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
    }

    /// The limit, if there is one.
    pub fn limit(&self) -> Option<usize> {
        match self.session().limit.load(Ordering::Relaxed) {
            0 => None,
            n => Some(n),
        }
    }

    /// Bytes held by all reservations from this pool now (for a run's pool,
    /// the run's).
    pub fn reserved(&self) -> usize {
        self.reserved.load(Ordering::Relaxed)
    }

    /// An empty reservation for `consumer`, the operator named in errors
    /// (e.g. "SortExec partition 3").
    pub fn reservation(self: &Arc<Self>, consumer: impl Into<String>) -> MemoryReservation {
        MemoryReservation {
            pool: Arc::clone(self),
            consumer: consumer.into(),
            size: 0,
            peak: 0,
            advice: OPERATOR_ADVICE,
            spillable: false,
        }
    }

    /// An empty reservation for an operator that spills when it cannot
    /// grow; it may hold at most a fair share of the limit (unless it holds
    /// nothing yet).
    pub fn spillable_reservation(
        self: &Arc<Self>,
        consumer: impl Into<String>,
    ) -> MemoryReservation {
        self.session().spillable.fetch_add(1, Ordering::AcqRel);
        let mut reservation = self.reservation(consumer);
        reservation.spillable = true;
        reservation
    }

    /// The most one spillable reservation may hold, if there is a limit.
    fn fair_share(&self) -> Option<usize> {
        let consumers = self.session().spillable.load(Ordering::Acquire).max(1);
        self.limit().map(|limit| limit / consumers)
    }

    /// Takes `bytes` from the pool unless that would pass the limit.
    fn try_take(&self, bytes: usize) -> bool {
        if let Some(session) = &self.session {
            if !session.try_take(bytes) {
                return false;
            }
            self.reserved.fetch_add(bytes, Ordering::AcqRel);
            return true;
        }
        let limit = self.limit();
        self.reserved
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |held| {
                let after = held.checked_add(bytes)?;
                limit.is_none_or(|l| after <= l).then_some(after)
            })
            .is_ok()
    }

    fn give_back(&self, bytes: usize) {
        self.reserved.fetch_sub(bytes, Ordering::AcqRel);
        if let Some(session) = &self.session {
            session.give_back(bytes);
        }
    }
}

/// What an out-of-memory error advises by default.
const OPERATOR_ADVICE: &str =
    "try SET memory_limit = '…' with a larger value, or run with fewer partitions";

/// Bytes an operator holds from a [`MemoryPool`]; given back when dropped.
#[derive(Debug)]
pub struct MemoryReservation {
    pool: Arc<MemoryPool>,
    consumer: String,
    size: usize,
    peak: usize,
    /// What the out-of-memory error advises.
    advice: &'static str,
    /// Whether it is held to a fair share (see [`MemoryPool::spillable_reservation`]).
    spillable: bool,
}

impl MemoryReservation {
    /// The limit of the pool it is held from, if there is one.
    pub fn pool_limit(&self) -> Option<usize> {
        self.pool.limit()
    }

    /// An empty reservation from the same pool for `consumer`.
    pub fn new_empty(&self, consumer: impl Into<String>) -> MemoryReservation {
        self.pool.reservation(consumer).with_advice(self.advice)
    }

    /// The same reservation, whose out-of-memory error gives `advice`
    /// instead of the default (a larger limit or fewer partitions).
    pub fn with_advice(mut self, advice: &'static str) -> Self {
        self.advice = advice;
        self
    }

    /// Bytes held now.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The most bytes held at once so far (for EXPLAIN ANALYZE).
    pub fn peak(&self) -> usize {
        self.peak
    }

    /// Holds `bytes` more, or fails with a "resources exhausted" error that
    /// names the consumer, what it asked for and the limit.
    pub fn try_grow(&mut self, bytes: usize) -> Result<()> {
        // A spillable reservation that holds nothing may take more than its
        // share (if the pool has it), so that it can always make progress.
        let within_share = !self.spillable
            || self.size == 0
            || self
                .pool
                .fair_share()
                .is_none_or(|share| self.size.saturating_add(bytes) <= share);
        if !within_share || !self.pool.try_take(bytes) {
            return Err(self.exhausted(bytes));
        }
        self.size += bytes;
        self.peak = self.peak.max(self.size);
        Ok(())
    }

    /// Holds exactly `bytes` as [`MemoryReservation::try_resize`] does, but
    /// past the fair share when the pool has the memory: for an operator
    /// that can spill no further (its share only decides when it spills).
    pub fn try_resize_past_share(&mut self, bytes: usize) -> Result<()> {
        let spillable = std::mem::replace(&mut self.spillable, false);
        let resized = self.try_resize(bytes);
        self.spillable = spillable;
        resized
    }

    /// Holds exactly `bytes`, growing (which may fail) or shrinking.
    pub fn try_resize(&mut self, bytes: usize) -> Result<()> {
        match bytes.checked_sub(self.size) {
            Some(more) => self.try_grow(more),
            None => {
                self.shrink(self.size - bytes);
                Ok(())
            }
        }
    }

    /// Gives back `bytes` (at most what is held).
    pub fn shrink(&mut self, bytes: usize) {
        let bytes = bytes.min(self.size);
        self.pool.give_back(bytes);
        self.size -= bytes;
    }

    /// Gives back everything held.
    pub fn free(&mut self) {
        self.shrink(self.size);
    }

    /// The error for a failed request of `bytes` more.
    fn exhausted(&self, bytes: usize) -> QuiverError {
        let limit = self
            .pool
            .limit()
            .map_or_else(|| "unlimited".to_string(), |l| ByteSize(l).to_string());
        QuiverError::ResourcesExhausted(format!(
            "{} needs {} more, limit {limit} ({} held by this query's operators, \
             {} of it by this one); {}",
            self.consumer,
            ByteSize(bytes),
            ByteSize(self.pool.reserved()),
            ByteSize(self.size),
            self.advice,
        ))
    }
}

impl Drop for MemoryReservation {
    fn drop(&mut self) {
        self.free();
        if self.spillable {
            self.pool.session().spillable.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// The memory `batch`'s rows take. A batch sliced from a larger one shares
/// its buffers, and Arrow's `get_array_memory_size` counts them whole for
/// every slice; this counts each column's share of them.
pub fn batch_memory_size(batch: &RecordBatch) -> usize {
    batch
        .columns()
        .iter()
        .map(|column| array_memory_size(column.as_ref()))
        .sum()
}

/// The memory one column's rows take (see [`batch_memory_size`]). Arrow's
/// slice size of a view column (`Utf8View`, `BinaryView`: how Parquet
/// strings are read) counts only the 16-byte views, not the string bytes
/// they point at; those are added here: each string longer than a view
/// holds inline counts its length.
fn array_memory_size(column: &dyn Array) -> usize {
    let views = match column.data_type() {
        DataType::Utf8View => Some(column.as_string_view().views()),
        DataType::BinaryView => Some(column.as_binary_view().views()),
        _ => None,
    };
    let slice = column
        .to_data()
        .get_slice_memory_size()
        .unwrap_or_else(|_| column.get_array_memory_size());
    let outside = views.map_or(0, |views| {
        views
            .iter()
            .map(|&view| view as u32 as usize)
            .filter(|&len| len > MAX_INLINE_VIEW_LEN)
            .sum()
    });
    slice + outside
}

/// The longest string a view holds inline (Arrow's view layout).
const MAX_INLINE_VIEW_LEN: usize = 12;

/// A number of bytes as people read it: `512 bytes`, `1.5 MiB`, `2.0 GiB`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteSize(pub usize);

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
        if self.0 < 1024 {
            return write!(f, "{} bytes", self.0);
        }
        let mut value = self.0 as f64 / 1024.0;
        let mut unit = 0;
        while value >= 1024.0 && unit + 1 < UNITS.len() {
            value /= 1024.0;
            unit += 1;
        }
        write!(f, "{value:.1} {}", UNITS[unit])
    }
}

impl std::str::FromStr for ByteSize {
    type Err = QuiverError;

    /// Parses sizes the way DuckDB's `memory_limit` takes them: a number and
    /// an optional unit, decimal (`KB`, `MB`, `GB`, `TB`: powers of 1000) or
    /// binary (`KiB`, `MiB`, `GiB`, `TiB`: powers of 1024); `B` or no unit
    /// means bytes. Case and spaces do not matter: `'4GB'`, `'512 mib'`.
    fn from_str(text: &str) -> Result<Self> {
        let invalid = || {
            QuiverError::Plan(format!(
                "invalid size '{text}': expected a number and a unit such as '512MB', '4GB' or \
                 '1.5GiB'"
            ))
        };
        let text_trimmed = text.trim();
        let split = text_trimmed
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(text_trimmed.len());
        let (number, unit) = text_trimmed.split_at(split);
        let number: f64 = number.parse().map_err(|_| invalid())?;
        let multiplier: f64 = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "b" | "byte" | "bytes" => 1.0,
            "k" | "kb" => 1e3,
            "m" | "mb" => 1e6,
            "g" | "gb" => 1e9,
            "t" | "tb" => 1e12,
            "kib" => 1024.0,
            "mib" => 1024.0 * 1024.0,
            "gib" => 1024.0 * 1024.0 * 1024.0,
            "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
            _ => return Err(invalid()),
        };
        let bytes = number * multiplier;
        if !bytes.is_finite() || bytes >= usize::MAX as f64 {
            return Err(invalid());
        }
        Ok(ByteSize(bytes as usize))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn view_columns_count_the_strings_they_point_at() {
        use arrow::array::StringViewArray;
        use arrow::datatypes::{Field, Schema};
        let long = "a string longer than twelve bytes".repeat(10);
        let strings: StringViewArray = vec![Some(long.as_str()), Some("short"), None]
            .into_iter()
            .collect();
        let schema = Arc::new(Schema::new(vec![Field::new("s", DataType::Utf8View, true)]));
        let batch = RecordBatch::try_new(schema, vec![Arc::new(strings)]).unwrap();
        let size = batch_memory_size(&batch);
        // Three views, a validity byte and the one string held outside.
        assert_eq!(size, 3 * 16 + 1 + long.len());
        // A slice counts only its own rows' strings.
        assert_eq!(batch_memory_size(&batch.slice(1, 2)), 2 * 16 + 1);
    }

    #[test]
    fn reservations_stop_at_the_limit_and_give_back_on_drop() {
        let pool = Arc::new(MemoryPool::new(Some(1000)));
        let mut sort = pool.reservation("SortExec partition 0");
        sort.try_grow(600).unwrap();
        let mut join = pool.reservation("HashJoinExec build side");
        let err = join.try_grow(500).unwrap_err().to_string();
        assert!(
            err.starts_with("Out of memory: HashJoinExec build side needs 500 bytes more, limit")
        );
        assert!(err.contains("limit 1000 bytes ("), "{err}");
        assert_eq!(join.size(), 0);
        join.try_grow(400).unwrap();
        assert_eq!(pool.reserved(), 1000);
        sort.try_resize(100).unwrap();
        assert_eq!((sort.size(), sort.peak()), (100, 600));
        drop(join);
        assert_eq!(pool.reserved(), 100);
        sort.free();
        assert_eq!(pool.reserved(), 0);
    }

    #[test]
    fn spillable_reservations_get_a_fair_share() {
        let pool = Arc::new(MemoryPool::new(Some(1000)));
        let mut first = pool.spillable_reservation("SortExec partition 0");
        first.try_grow(900).unwrap();
        first.shrink(500);
        let mut second = pool.spillable_reservation("SortExec partition 1");
        assert!(first.try_grow(200).is_err(), "past half of the limit");
        second.try_grow(500).unwrap();
        drop(second);
        first.try_grow(500).unwrap();
        first.free();
        let _third = pool.spillable_reservation("AggregateExec partition 0");
        first.try_grow(800).unwrap();
        // One that can spill no further may pass its share, not the limit.
        first.free();
        let mut deepest = pool.spillable_reservation("AggregateExec partition 1");
        deepest.try_grow(100).unwrap();
        assert!(deepest.try_grow(300).is_err(), "past a third of the limit");
        deepest.try_resize_past_share(400).unwrap();
        assert!(
            deepest.try_resize_past_share(1001).is_err(),
            "past the limit"
        );
        assert_eq!(pool.reserved(), 400);
    }

    #[tokio::test]
    async fn a_run_holds_from_the_session_and_counts_its_own() {
        let session = Arc::new(MemoryPool::new(Some(1000)));
        let run = session.for_run();
        let mut other = session.spillable_reservation("SortExec partition 0");
        other.try_grow(300).unwrap();
        let mut sort = run.spillable_reservation("SortExec partition 1");
        // Two spillable reservations in the session: 500 bytes each.
        assert!(
            sort.try_grow(600).is_ok(),
            "one holding nothing may pass its share"
        );
        assert!(sort.try_grow(200).is_err(), "past its share");
        assert_eq!((run.reserved(), session.reserved()), (600, 900));
        assert_eq!(run.limit(), Some(1000));
        let held = std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_millis(20));
            drop(sort);
        });
        run.released(std::time::Duration::from_secs(10)).await;
        assert_eq!((run.reserved(), session.reserved()), (0, 300));
        held.join().unwrap();
        other.try_grow(700).unwrap();
    }

    #[test]
    fn no_limit_never_fails_and_a_new_limit_applies_at_once() {
        let pool = Arc::new(MemoryPool::new(None));
        let mut r = pool.reservation("AggregateExec partition 0");
        r.try_grow(usize::MAX / 2).unwrap();
        pool.set_limit(Some(10));
        assert!(r.try_grow(1).is_err());
        r.free();
        r.try_grow(10).unwrap();
        assert_eq!(pool.limit(), Some(10));
    }

    #[test]
    fn a_slice_counts_its_share_of_the_buffers() {
        use arrow::array::Int64Array;
        let column = Arc::new(Int64Array::from_iter_values(0..8000));
        let batch = RecordBatch::try_from_iter([("a", column as _)]).unwrap();
        let whole = batch_memory_size(&batch);
        assert!(whole >= 64_000);
        let tenth = batch_memory_size(&batch.slice(0, 800));
        assert!(tenth <= whole / 9, "{tenth} of {whole}");
    }

    #[test]
    fn sizes_parse_like_duckdb_and_display_in_binary_units() {
        let parse = |s: &str| s.parse::<ByteSize>().map(|b| b.0);
        assert_eq!(parse("4GB").unwrap(), 4_000_000_000);
        assert_eq!(parse(" 512 mib ").unwrap(), 512 << 20);
        assert_eq!(parse("1.5GiB").unwrap(), 3 << 29);
        assert_eq!(parse("100").unwrap(), 100);
        assert!(parse("lots")
            .unwrap_err()
            .to_string()
            .contains("invalid size 'lots'"));
        assert!(parse("12 parsecs").is_err());
        assert_eq!(ByteSize(512).to_string(), "512 bytes");
        assert_eq!(ByteSize(3 << 29).to_string(), "1.5 GiB");
    }
}
