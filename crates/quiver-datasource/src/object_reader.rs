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

use quiver_execution::memory_pool::MemoryPool;
use quiver_execution::metrics::OperatorMetrics;
use quiver_execution::shared_reads::SharedReads;

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

/// The bytes of the wanted ranges of one fetch.
struct Fetched {
    /// The wanted ranges, by start, with their bytes.
    pieces: Vec<(Range<u64>, Bytes)>,
}

impl Fetched {
    /// The bytes of `range`, which lies within one of the wanted ranges.
    fn slice(&self, range: &Range<u64>) -> parquet::errors::Result<Bytes> {
        let holds =
            |(held, _): &&(Range<u64>, Bytes)| held.start <= range.start && range.end <= held.end;
        // Wanted ranges rarely overlap; when they do, the nearest one by
        // start may not be the one that holds `range`.
        let i = self.pieces.partition_point(|(r, _)| r.start <= range.start);
        let piece = self.pieces[..i]
            .last()
            .filter(holds)
            .or_else(|| self.pieces.iter().find(holds));
        let Some((held, bytes)) = piece else {
            return Err(ParquetError::General(format!(
                "bytes {range:?} were not fetched"
            )));
        };
        let offset = held.start;
        Ok(bytes.slice((range.start - offset) as usize..(range.end - offset) as usize))
    }

    /// The bytes of each of `ranges`.
    fn slices(&self, ranges: &[Range<u64>]) -> parquet::errors::Result<Vec<Bytes>> {
        ranges.iter().map(|r| self.slice(r)).collect()
    }
}

/// Where a reader finds, and keeps, the bytes of its object that the
/// query's other scans of it fetch.
#[derive(Debug, Clone)]
pub(crate) struct SharedObject {
    /// The query's shared reads.
    pub(crate) reads: Arc<SharedReads>,
    /// The object's URL, its key there.
    pub(crate) url: String,
    /// Where the scan counts the bytes found there
    /// (`bytes_from_other_scans`), when it reports metrics.
    pub(crate) metrics: Option<Arc<OperatorMetrics>>,
    /// The session's memory pool, which the kept bytes are held from.
    pub(crate) memory_pool: Arc<MemoryPool>,
}

impl SharedObject {
    /// The bytes of `range`, if another scan (or this one) kept them.
    fn get(&self, range: &Range<u64>) -> Option<Bytes> {
        let bytes = self.reads.get(&self.url, range)?;
        if let Some(metrics) = &self.metrics {
            metrics.add("bytes_from_other_scans", bytes.len() as u64);
        }
        Some(bytes)
    }

    /// Keeps the bytes of `range` for the other scans.
    fn keep(&self, range: Range<u64>, bytes: Bytes) {
        self.reads.keep(&self.url, range, bytes, &self.memory_pool);
    }
}

/// A fetch under way, aborted when dropped.
struct Fetch(JoinHandle<object_store::Result<Fetched>>);

impl Fetch {
    /// Fetches `ranges` of the object at `path` in a task: those not in
    /// `shared` in the merged requests of [`coalesce`], concurrently,
    /// keeping what they return there.
    fn start(
        store: Arc<dyn ObjectStore>,
        path: ObjectPath,
        ranges: Vec<Range<u64>>,
        shared: Option<SharedObject>,
    ) -> Self {
        Self(spawn_io(async move {
            let found: Vec<Option<Bytes>> = ranges
                .iter()
                .map(|r| shared.as_ref().and_then(|s| s.get(r)))
                .collect();
            let missing: Vec<Range<u64>> = ranges
                .iter()
                .zip(&found)
                .filter(|(_, f)| f.is_none())
                .map(|(r, _)| r.clone())
                .collect();
            let requests = coalesce(&missing);
            let responses = futures::future::try_join_all(
                requests.iter().map(|r| store.get_range(&path, r.clone())),
            )
            .await?;
            let mut pieces: Vec<(Range<u64>, Bytes)> = ranges
                .into_iter()
                .zip(found)
                .map(|(range, found)| {
                    let bytes = found.unwrap_or_else(|| {
                        let kept = shared.is_some();
                        let bytes = response_part(&requests, &responses, &range, kept);
                        if let Some(shared) = &shared {
                            shared.keep(range.clone(), bytes.clone());
                        }
                        bytes
                    });
                    (range, bytes)
                })
                .collect();
            pieces.sort_by_key(|(r, _)| r.start);
            Ok(Fetched { pieces })
        }))
    }

    async fn fetched(mut self) -> parquet::errors::Result<Fetched> {
        (&mut self.0).await.map_err(external)?.map_err(external)
    }
}

/// The bytes of `range`, which lies within one of `requests`, from its
/// response. To be `kept` for other scans, a part of a response is copied,
/// so that keeping it does not keep the rest of the response.
fn response_part(
    requests: &[Range<u64>],
    responses: &[Bytes],
    range: &Range<u64>,
    kept: bool,
) -> Bytes {
    let i = requests.partition_point(|m| m.end < range.end);
    let (request, response) = (&requests[i], &responses[i]);
    let offset = request.start;
    let part = response.slice((range.start - offset) as usize..(range.end - offset) as usize);
    if kept && part.len() < response.len() {
        Bytes::copy_from_slice(&part)
    } else {
        part
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
    /// Where bytes shared with the query's other scans of the object are.
    shared: Option<SharedObject>,
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
    /// fetched when asked. Bytes in `shared` are not fetched again, and what
    /// is fetched is kept there.
    pub(crate) fn new(
        store: Arc<dyn ObjectStore>,
        path: ObjectPath,
        size: u64,
        read_ahead: Option<ReadAhead>,
        shared: Option<SharedObject>,
    ) -> Self {
        let mut reader = Self {
            store,
            path,
            size,
            shared,
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
                reader.shared.clone(),
                plan,
                turn,
                sender,
            )));
        }
        reader
    }

    /// Fetches `ranges` now, outside the plan.
    async fn fetch(&self, ranges: &[Range<u64>]) -> parquet::errors::Result<Vec<Bytes>> {
        let fetch = Fetch::start(
            Arc::clone(&self.store),
            self.path.clone(),
            ranges.to_vec(),
            self.shared.clone(),
        );
        fetch.fetched().await?.slices(ranges)
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
    shared: Option<SharedObject>,
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
        let fetch = Fetch::start(Arc::clone(&store), path.clone(), ranges, shared.clone());
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
            let mut bytes = self.fetch(std::slice::from_ref(&range)).await?;
            bytes
                .pop()
                .ok_or_else(|| ParquetError::General(format!("bytes {range:?} were not fetched")))
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
                    return fetched.slices(&ranges);
                }
            }
            self.fetch(&ranges).await
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
        object: &(Arc<dyn ObjectStore>, ObjectPath),
        turn: ReadAheadTurn,
        plan: Vec<Vec<Range<u64>>>,
    ) -> ObjectReader {
        sharing_reader(object, turn, plan, None)
    }

    /// A reader of `plan` in `object` sharing its reads in `shared`.
    fn sharing_reader(
        (store, path): &(Arc<dyn ObjectStore>, ObjectPath),
        turn: ReadAheadTurn,
        plan: Vec<Vec<Range<u64>>>,
        shared: Option<SharedObject>,
    ) -> ObjectReader {
        let read_ahead = ReadAhead { plan, turn };
        let size = 40 * MIB;
        ObjectReader::new(
            Arc::clone(store),
            path.clone(),
            size,
            Some(read_ahead),
            shared,
        )
    }

    #[tokio::test]
    async fn a_second_reader_takes_what_the_first_fetched_from_shared_reads() {
        let object = object(40 * MIB as usize).await;
        let shared = SharedObject {
            reads: Arc::new(SharedReads::new(usize::MAX)),
            url: "s3://bucket/data.bin".to_string(),
            metrics: None,
            memory_pool: Arc::new(MemoryPool::default()),
        };
        let plan = vec![vec![0..100, 5000..6000], vec![MIB..2 * MIB]];
        let queue = ReadAheadQueue::default();
        let mut first = sharing_reader(&object, queue.turn(), plan.clone(), Some(shared.clone()));
        for ranges in &plan {
            read_and_check(&mut first, ranges.clone()).await;
        }
        drop(first);
        // Only the wanted bytes are kept, not the gap read between them.
        assert_eq!(shared.reads.kept_bytes(), 1100 + MIB as usize);
        // Overwrite the object: what the second reader gets from shared
        // reads still holds the first contents, anything else the new.
        let (store, path) = &object;
        store
            .put(path, vec![0u8; 40 * MIB as usize].into())
            .await
            .unwrap();
        let second_plan = vec![vec![0..100, 6000..7000], vec![MIB..2 * MIB]];
        let mut second = sharing_reader(&object, queue.turn(), second_plan, Some(shared));
        let first_contents = |r: Range<u64>| r.map(|i| (i % 251) as u8).collect::<Vec<u8>>();
        let got = second
            .get_byte_ranges(vec![0..100, 6000..7000])
            .await
            .unwrap();
        assert_eq!(got[0].as_ref(), first_contents(0..100).as_slice());
        assert_eq!(got[1].as_ref(), vec![0u8; 1000].as_slice());
        // Pages of a planned row group found in shared reads.
        let pages = vec![MIB + 7..MIB + 9, MIB + 20..MIB + 30];
        let got = second.get_byte_ranges(pages.clone()).await.unwrap();
        for (got, page) in got.iter().zip(pages) {
            assert_eq!(got.as_ref(), first_contents(page).as_slice());
        }
        let got = second.get_bytes(5000..5010).await.unwrap();
        assert_eq!(got.as_ref(), first_contents(5000..5010).as_slice());
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
