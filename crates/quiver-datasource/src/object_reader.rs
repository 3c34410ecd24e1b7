//! Reading a Parquet file from an object store (`s3://…`, `http(s)://…`).
//!
//! A scan says up front which byte ranges it will read from each file, row
//! group by row group (the plan). A task per file fetches the planned row
//! groups in order, ahead of the decoder: a request to S3 takes tens of
//! milliseconds to answer, longer than decoding a row group, so only several
//! at once keep the decoder busy. The files a partition reads in turn share
//! one budget of [`READ_AHEAD_BYTES`] fetched but not yet decoded, taken in
//! the order the files are read ([`ReadAheadQueue`]): the next file's fetches
//! start as soon as the current file's have all started and the decoder has
//! freed some budget, so the server is kept busy across file boundaries. A
//! row group's ranges are fetched in few requests (see [`coalesce`]),
//! concurrently. The decoder may ask for parts of planned ranges (pages);
//! those are served from the fetched bytes. Ranges outside the plan are
//! fetched when asked.

use std::ops::Range;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures::future::BoxFuture;
use futures::FutureExt;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt};
use parquet::arrow::arrow_reader::ArrowReaderOptions;
use parquet::arrow::async_reader::AsyncFileReader;
use parquet::errors::ParquetError;
use parquet::file::metadata::{ParquetMetaData, ParquetMetaDataReader};
use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;

use crate::store::spawn_io;

/// Bytes of the end of a file fetched with the footer in one request, so the
/// footer of a typical file needs no second round trip.
const FOOTER_PREFETCH: usize = 64 * 1024;

/// Wanted bytes a partition may have fetched, or be fetching, ahead of its
/// decoder. At ~80 MB/s per S3 connection and tens of milliseconds per
/// request, this much in flight feeds a decoder reading ~200 MB/s; more
/// only splits a loopback server's attention between more requests. A
/// larger row group takes the whole budget.
const READ_AHEAD_BYTES: u32 = 8 * 1024 * 1024;

/// Gaps up to this size between wanted ranges are read through rather than
/// split into another request: a request costs a round trip (and, on S3, a
/// fee), while reading more bytes costs bandwidth.
const MERGE_GAP: u64 = 1024 * 1024;

/// The read-ahead budget of one partition, shared by the files it reads in
/// turn.
#[derive(Debug)]
pub(crate) struct ReadAheadQueue {
    budget: Arc<Semaphore>,
    /// Resolves when the file that took the last turn has started all its
    /// fetches (or was dropped).
    last: Mutex<Option<oneshot::Receiver<()>>>,
}

impl Default for ReadAheadQueue {
    fn default() -> Self {
        Self {
            budget: Arc::new(Semaphore::new(READ_AHEAD_BYTES as usize)),
            last: Mutex::new(None),
        }
    }
}

impl ReadAheadQueue {
    /// The next file's place: it takes budget only after the files given
    /// turns before it have started all their fetches. Turns must be taken
    /// in the order the files are read.
    pub(crate) fn turn(&self) -> ReadAheadTurn {
        let (done, next) = oneshot::channel();
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        ReadAheadTurn {
            budget: Arc::clone(&self.budget),
            after: last.replace(next),
            done,
        }
    }
}

/// One file's place in its partition's [`ReadAheadQueue`]. Dropping it
/// unused passes the turn on.
#[derive(Debug)]
pub(crate) struct ReadAheadTurn {
    budget: Arc<Semaphore>,
    after: Option<oneshot::Receiver<()>>,
    done: oneshot::Sender<()>,
}

/// What a reader of one file fetches ahead of the decoder.
#[derive(Debug)]
pub(crate) struct ReadAhead {
    /// The ranges of each row group the decoder will ask for, in order.
    pub(crate) plan: Vec<Vec<Range<u64>>>,
    /// The file's place in its partition's queue.
    pub(crate) turn: ReadAheadTurn,
}

/// The bytes of one fetch: the requests made and what each returned.
struct Fetched {
    requests: Vec<Range<u64>>,
    bytes: Vec<Bytes>,
}

impl Fetched {
    /// The bytes of `range`, which lies within one of the requests.
    fn slice(&self, range: &Range<u64>) -> Bytes {
        let i = self.requests.partition_point(|m| m.end < range.end);
        let offset = self.requests[i].start;
        self.bytes[i].slice((range.start - offset) as usize..(range.end - offset) as usize)
    }

    /// The bytes of each of `ranges`.
    fn slices(&self, ranges: &[Range<u64>]) -> Vec<Bytes> {
        ranges.iter().map(|r| self.slice(r)).collect()
    }
}

/// A fetch under way, aborted when dropped.
struct Fetch(JoinHandle<object_store::Result<Fetched>>);

impl Fetch {
    /// Fetches `ranges` of the object at `path` in a task: the merged
    /// requests of [`coalesce`], concurrently.
    fn start(store: Arc<dyn ObjectStore>, path: ObjectPath, ranges: Vec<Range<u64>>) -> Self {
        Self(spawn_io(async move {
            let requests = coalesce(&ranges);
            let bytes = futures::future::try_join_all(
                requests.iter().map(|r| store.get_range(&path, r.clone())),
            )
            .await?;
            Ok(Fetched { requests, bytes })
        }))
    }

    async fn fetched(mut self) -> parquet::errors::Result<Fetched> {
        (&mut self.0).await.map_err(external)?.map_err(external)
    }
}

impl Drop for Fetch {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// A planned row group's fetch, holding its share of the budget until the
/// decoder is done with it.
struct Arrival {
    row_group: usize,
    fetch: Fetch,
    budget: OwnedSemaphorePermit,
}

/// Reads byte ranges of one object for the Parquet decoder, the planned
/// row groups fetched ahead of it.
pub(crate) struct ObjectReader {
    store: Arc<dyn ObjectStore>,
    path: ObjectPath,
    size: u64,
    /// Every planned range with its row group, by start.
    planned: Vec<(Range<u64>, usize)>,
    /// The planned fetches, in order.
    arrivals: Option<mpsc::UnboundedReceiver<Arrival>>,
    /// The row groups before this one have been received.
    next_arrival: usize,
    /// The row group being decoded, fetched, with its budget.
    current: Option<(usize, Fetched, OwnedSemaphorePermit)>,
    /// The task starting the planned fetches.
    read_ahead: Option<JoinHandle<()>>,
}

impl ObjectReader {
    /// A reader of the object of `size` bytes at `path`. With a
    /// `read_ahead`, it fetches the planned ranges ahead of the decoder, on
    /// the I/O runtime (`store.rs`). It is asked for
    /// those ranges or parts of them and, on the side, for others, which are
    /// fetched when asked.
    pub(crate) fn new(
        store: Arc<dyn ObjectStore>,
        path: ObjectPath,
        size: u64,
        read_ahead: Option<ReadAhead>,
    ) -> Self {
        let mut reader = Self {
            store,
            path,
            size,
            planned: vec![],
            arrivals: None,
            next_arrival: 0,
            current: None,
            read_ahead: None,
        };
        if let Some(ReadAhead { plan, turn }) = read_ahead.filter(|r| !r.plan.is_empty()) {
            reader.planned = plan
                .iter()
                .enumerate()
                .flat_map(|(rg, ranges)| ranges.iter().map(move |r| (r.clone(), rg)))
                .collect();
            reader.planned.sort_by_key(|(r, _)| r.start);
            let (sender, receiver) = mpsc::unbounded_channel();
            reader.arrivals = Some(receiver);
            reader.read_ahead = Some(spawn_io(fetch_in_turn(
                Arc::clone(&reader.store),
                reader.path.clone(),
                plan,
                turn,
                sender,
            )));
        }
        reader
    }

    /// The planned row group holding every one of `ranges`, if any.
    fn row_group_of(&self, ranges: &[Range<u64>]) -> Option<usize> {
        let holder = |r: &Range<u64>| {
            let i = self.planned.partition_point(|(p, _)| p.start <= r.start);
            let (p, rg) = self.planned.get(i.checked_sub(1)?)?;
            (r.end <= p.end).then_some(*rg)
        };
        let rg = holder(ranges.first()?)?;
        ranges.iter().all(|r| holder(r) == Some(rg)).then_some(rg)
    }

    /// The bytes of planned row group `rg`, or `None` when its fetch has
    /// been passed (the decoder went back) or dropped.
    async fn planned(&mut self, rg: usize) -> parquet::errors::Result<Option<&Fetched>> {
        if self.current.as_ref().is_none_or(|(c, ..)| *c != rg) {
            // The decoder is done with the current row group.
            self.current = None;
            let Some(arrivals) = self.arrivals.as_mut().filter(|_| rg >= self.next_arrival) else {
                return Ok(None);
            };
            // Fetches of row groups before `rg` are dropped unread.
            let arrival = loop {
                match arrivals.recv().await {
                    Some(a) if a.row_group < rg => continue,
                    Some(a) if a.row_group == rg => break a,
                    _ => return Ok(None),
                }
            };
            self.next_arrival = rg + 1;
            let fetched = arrival.fetch.fetched().await?;
            self.current = Some((rg, fetched, arrival.budget));
        }
        Ok(self.current.as_ref().map(|(_, fetched, _)| fetched))
    }
}

/// Starts the fetches of `plan`'s row groups in order, each once its
/// wanted bytes fit the budget, after the files before this one in the queue
/// have started theirs; sends them to the reader.
async fn fetch_in_turn(
    store: Arc<dyn ObjectStore>,
    path: ObjectPath,
    plan: Vec<Vec<Range<u64>>>,
    turn: ReadAheadTurn,
    arrivals: mpsc::UnboundedSender<Arrival>,
) {
    let ReadAheadTurn {
        budget,
        after,
        done,
    } = turn;
    if let Some(after) = after {
        // An error only means the file before was dropped: its turn is over.
        let _ = after.await;
    }
    for (row_group, ranges) in plan.into_iter().enumerate() {
        let wanted: u64 = ranges.iter().map(|r| r.end - r.start).sum();
        let share = u32::try_from(wanted).map_or(READ_AHEAD_BYTES, |w| w.min(READ_AHEAD_BYTES));
        let Ok(budget) = Arc::clone(&budget).acquire_many_owned(share).await else {
            return;
        };
        let fetch = Fetch::start(Arc::clone(&store), path.clone(), ranges);
        let arrival = Arrival {
            row_group,
            fetch,
            budget,
        };
        if arrivals.send(arrival).is_err() {
            return;
        }
    }
    drop(done);
}

/// The requests that cover `ranges`: neighbours at most [`MERGE_GAP`] apart
/// are merged into one request, reading the gap between them.
fn coalesce(ranges: &[Range<u64>]) -> Vec<Range<u64>> {
    let mut sorted = ranges.to_vec();
    sorted.sort_by_key(|r| r.start);
    let mut merged: Vec<Range<u64>> = vec![];
    for r in sorted {
        match merged.last_mut() {
            Some(last) if r.start <= last.end.saturating_add(MERGE_GAP) => {
                last.end = last.end.max(r.end);
            }
            _ => merged.push(r),
        }
    }
    merged
}

impl Drop for ObjectReader {
    fn drop(&mut self) {
        if let Some(task) = self.read_ahead.take() {
            task.abort();
        }
    }
}

fn external(e: impl std::error::Error + Send + Sync + 'static) -> ParquetError {
    ParquetError::External(Box::new(e))
}

impl AsyncFileReader for ObjectReader {
    fn get_bytes(&mut self, range: Range<u64>) -> BoxFuture<'_, parquet::errors::Result<Bytes>> {
        async move {
            self.store
                .get_range(&self.path, range)
                .await
                .map_err(external)
        }
        .boxed()
    }

    fn get_byte_ranges(
        &mut self,
        ranges: Vec<Range<u64>>,
    ) -> BoxFuture<'_, parquet::errors::Result<Vec<Bytes>>> {
        async move {
            if let Some(rg) = self.row_group_of(&ranges) {
                if let Some(fetched) = self.planned(rg).await? {
                    return Ok(fetched.slices(&ranges));
                }
            }
            let fetch = Fetch::start(Arc::clone(&self.store), self.path.clone(), ranges.clone());
            Ok(fetch.fetched().await?.slices(&ranges))
        }
        .boxed()
    }

    fn get_metadata<'a>(
        &'a mut self,
        options: Option<&'a ArrowReaderOptions>,
    ) -> BoxFuture<'a, parquet::errors::Result<Arc<ParquetMetaData>>> {
        async move {
            let size = self.size;
            let metadata = ParquetMetaDataReader::new()
                .with_arrow_reader_options(options)
                .with_prefetch_hint(Some(FOOTER_PREFETCH))
                .load_and_finish(self, size)
                .await?;
            Ok(Arc::new(metadata))
        }
        .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1024 * 1024;

    #[test]
    fn ranges_at_most_a_mebibyte_apart_share_a_request() {
        assert_eq!(
            coalesce(&[3 * MIB + 1..4 * MIB, 0..10, 20..30, MIB + 30..2 * MIB]),
            vec![0..2 * MIB, 3 * MIB + 1..4 * MIB]
        );
        assert_eq!(coalesce(&[0..10, 5..8]), vec![0..10]);
        assert_eq!(coalesce(&[]), Vec::<Range<u64>>::new());
    }

    /// An object of `len` bytes where byte `i` is `i % 251`, in memory.
    async fn object(len: usize) -> (Arc<dyn ObjectStore>, ObjectPath) {
        let store = Arc::new(object_store::memory::InMemory::new());
        let path = ObjectPath::from("data.bin");
        let bytes: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        store.put(&path, bytes.into()).await.unwrap();
        (store, path)
    }

    /// Reads `ranges` and checks the bytes.
    async fn read_and_check(reader: &mut ObjectReader, ranges: Vec<Range<u64>>) {
        let bytes = reader.get_byte_ranges(ranges.clone()).await.unwrap();
        assert_eq!(bytes.len(), ranges.len());
        for (b, r) in bytes.iter().zip(&ranges) {
            let expected: Vec<u8> = r.clone().map(|i| (i % 251) as u8).collect();
            assert_eq!(b.as_ref(), expected.as_slice(), "{r:?}");
        }
    }

    /// A reader of `plan` in `object`, its turn taken in `queue`.
    fn reader(
        (store, path): &(Arc<dyn ObjectStore>, ObjectPath),
        turn: ReadAheadTurn,
        plan: Vec<Vec<Range<u64>>>,
    ) -> ObjectReader {
        let read_ahead = ReadAhead { plan, turn };
        ObjectReader::new(Arc::clone(store), path.clone(), 40 * MIB, Some(read_ahead))
    }

    #[tokio::test]
    async fn planned_ranges_parts_of_them_and_others_read_the_right_bytes() {
        let object = object(40 * MIB as usize).await;
        let plan = vec![
            vec![0..100, 5000..6000],
            vec![MIB..7 * MIB],
            vec![8 * MIB..17 * MIB, 20 * MIB..20 * MIB + 7],
            vec![30 * MIB..31 * MIB],
        ];
        let mut reader = reader(&object, ReadAheadQueue::default().turn(), plan.clone());
        read_and_check(&mut reader, plan[0].clone()).await;
        // Parts of a planned row group (pages) come from its fetch.
        read_and_check(&mut reader, vec![MIB + 10..2 * MIB, 3 * MIB..3 * MIB + 1]).await;
        assert_eq!(reader.current.as_ref().map(|(rg, ..)| *rg), Some(1));
        // Skipping a row group drops its fetch.
        read_and_check(&mut reader, plan[3].clone()).await;
        assert_eq!(reader.next_arrival, 4);
        // Ranges outside the plan, or across two row groups, are fetched
        // when asked; so is an earlier row group.
        for ranges in [
            vec![7..9, 25 * MIB..25 * MIB + 1],
            vec![50..60, MIB..MIB + 5],
            plan[0].clone(),
        ] {
            read_and_check(&mut reader, ranges).await;
        }
    }

    /// Row groups of `mib` MiB each from `start` MiB on.
    fn plan(start: u64, row_groups: u64, mib: u64) -> Vec<Vec<Range<u64>>> {
        (0..row_groups)
            .map(|i| {
                let from = (start + i * mib) * MIB;
                std::iter::once(from..from + mib * MIB).collect()
            })
            .collect()
    }

    #[tokio::test]
    async fn files_sharing_a_budget_take_it_in_turn() {
        let object = object(40 * MIB as usize).await;
        let queue = ReadAheadQueue::default();
        let (first_turn, second_turn) = (queue.turn(), queue.turn());
        // Each plan needs more than the budget. The second file's reader is
        // made first: its fetches must still wait for the first file's.
        let (first_plan, second_plan) = (plan(0, 3, 7), plan(21, 2, 9));
        let mut second = reader(&object, second_turn, second_plan.clone());
        let mut first = reader(&object, first_turn, first_plan.clone());
        let all = async {
            for ranges in first_plan {
                read_and_check(&mut first, ranges).await;
            }
            drop(first);
            for ranges in second_plan {
                read_and_check(&mut second, ranges).await;
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(30), all)
            .await
            .expect("the readers wait on each other");
    }

    #[tokio::test]
    async fn a_file_dropped_unread_passes_its_turn_on() {
        let object = object(40 * MIB as usize).await;
        let queue = ReadAheadQueue::default();
        let (first_turn, second_turn) = (queue.turn(), queue.turn());
        let first = reader(&object, first_turn, plan(0, 3, 7));
        let second_plan = plan(21, 2, 9);
        let mut second = reader(&object, second_turn, second_plan.clone());
        drop(first);
        let all = async {
            for ranges in second_plan {
                read_and_check(&mut second, ranges).await;
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(30), all)
            .await
            .expect("the second file waits on the dropped one");
    }
}
