//! Streams of record batches, the currency between operators.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use futures::stream::BoxStream;
use futures::{Stream, StreamExt};
use quiver_expr::{QuiverError, Result};
use tokio::sync::mpsc;

use crate::memory_pool::MemoryReservation;
use crate::panics::{catch, panic_message};

/// A stream of batches that knows its schema.
pub trait RecordBatchStream: Stream<Item = Result<RecordBatch>> {
    /// The schema of every batch in the stream.
    fn schema(&self) -> SchemaRef;
}

/// The stream type operators return.
pub type SendableRecordBatchStream = Pin<Box<dyn RecordBatchStream + Send>>;

/// Gives any batch stream a schema.
pub struct RecordBatchStreamAdapter {
    schema: SchemaRef,
    stream: BoxStream<'static, Result<RecordBatch>>,
}

impl RecordBatchStreamAdapter {
    /// Wraps and boxes `stream`, whose batches have `schema`.
    pub fn boxed(
        schema: SchemaRef,
        stream: impl Stream<Item = Result<RecordBatch>> + Send + 'static,
    ) -> SendableRecordBatchStream {
        Box::pin(Self {
            schema,
            stream: stream.boxed(),
        })
    }
}

impl Stream for RecordBatchStreamAdapter {
    type Item = Result<RecordBatch>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.stream.poll_next_unpin(cx)
    }
}

impl RecordBatchStream for RecordBatchStreamAdapter {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

/// A stream of the batches `work` computes all at once (for operators that
/// must see their whole input before producing anything, like sort).
pub fn batches_when_done(
    schema: SchemaRef,
    work: impl std::future::Future<Output = Result<Vec<RecordBatch>>> + Send + 'static,
) -> SendableRecordBatchStream {
    let stream = futures::stream::once(work).flat_map(|result| {
        let items: Vec<Result<RecordBatch>> = match result {
            Ok(batches) => batches.into_iter().map(Ok).collect(),
            Err(e) => vec![Err(e)],
        };
        futures::stream::iter(items)
    });
    RecordBatchStreamAdapter::boxed(schema, stream)
}

/// A stream of `batches` that gives back `reservation`, the memory they
/// hold, a share at a time as they are sent on (the consumer then holds
/// them), and the rest when dropped.
pub fn release_as_sent(
    batches: Vec<RecordBatch>,
    mut reservation: MemoryReservation,
) -> impl Stream<Item = Result<RecordBatch>> + Send + 'static {
    let mut left = batches.len();
    futures::stream::iter(batches).map(move |batch| {
        reservation.shrink(reservation.size() / left.max(1));
        left = left.saturating_sub(1);
        Ok(batch)
    })
}

/// Aborts the tasks it holds when dropped.
pub struct AbortOnDrop(Vec<tokio::task::AbortHandle>);

impl AbortOnDrop {
    /// Takes charge of `tasks`.
    pub fn new<T>(tasks: &[tokio::task::JoinHandle<T>]) -> Self {
        Self(tasks.iter().map(|t| t.abort_handle()).collect())
    }
}

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        for t in &self.0 {
            t.abort();
        }
    }
}

/// A stream fed by a channel, holding the tasks that feed it: when the last
/// stream sharing those tasks is dropped, they are aborted, so abandoned work
/// stops at once.
pub struct ReceiverStream {
    schema: SchemaRef,
    receiver: mpsc::Receiver<Result<RecordBatch>>,
    producers: Arc<AbortOnDrop>,
}

impl ReceiverStream {
    /// A stream reading `receiver`, the only owner of the producer `tasks`.
    pub fn new(
        schema: SchemaRef,
        receiver: mpsc::Receiver<Result<RecordBatch>>,
        tasks: Vec<tokio::task::JoinHandle<()>>,
    ) -> Self {
        Self::shared(schema, receiver, Arc::new(AbortOnDrop::new(&tasks)))
    }

    /// A stream reading `receiver`, one of several sharing `producers`.
    pub fn shared(
        schema: SchemaRef,
        receiver: mpsc::Receiver<Result<RecordBatch>>,
        producers: Arc<AbortOnDrop>,
    ) -> Self {
        Self {
            schema,
            receiver,
            producers,
        }
    }
}

impl std::fmt::Debug for ReceiverStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReceiverStream")
            .field("producers", &self.producers.0.len())
            .finish()
    }
}

impl Stream for ReceiverStream {
    type Item = Result<RecordBatch>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.receiver.poll_recv(cx)
    }
}

impl RecordBatchStream for ReceiverStream {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

/// Runs `stream` on its own tokio task and returns a stream of its batches,
/// so several inputs make progress in parallel while one consumer reads.
pub fn spawn_stream(stream: SendableRecordBatchStream, buffer: usize) -> ReceiverStream {
    let schema = stream.schema();
    let (tx, rx) = mpsc::channel(buffer.max(1));
    let task = tokio::spawn(forward(stream, tx));
    ReceiverStream::new(schema, rx, vec![task])
}

/// Runs `read` on a blocking thread (it may wait on files or sockets) and
/// returns a stream of the batches it sends into the channel it is given,
/// which holds `buffer` batches; an error `read` returns, or a panic in it,
/// ends the stream as its last item. `read` should stop when a send fails:
/// the consumer has gone.
pub fn spawn_blocking_reader(
    schema: SchemaRef,
    buffer: usize,
    read: impl FnOnce(&mpsc::Sender<Result<RecordBatch>>) -> Result<()> + Send + 'static,
) -> ReceiverStream {
    let (tx, rx) = mpsc::channel(buffer.max(1));
    let task = tokio::task::spawn_blocking(move || {
        let failure = match catch(|| read(&tx)) {
            Ok(result) => result.err(),
            Err(payload) => Some(crate::panics::panic_error(payload.as_ref())),
        };
        if let Some(e) = failure {
            let _ = tx.blocking_send(Err(e));
        }
    });
    ReceiverStream::new(schema, rx, vec![task])
}

/// Sends every item of `stream` into `tx`; stops after an error or when the
/// receiver is gone. A panic in `stream` is sent on as an error: a task
/// that died silently would look like a partition that ended, and its
/// consumer would return too few rows.
pub async fn forward(stream: SendableRecordBatchStream, tx: mpsc::Sender<Result<RecordBatch>>) {
    let mut stream = catch_panics(stream);
    while let Some(item) = stream.next().await {
        let is_err = item.is_err();
        if tx.send(item).await.is_err() || is_err {
            return;
        }
    }
}

/// `stream`, with a panic in any operator below it turned into an error item
/// (after which it ends), so that a bug fails its query instead of aborting
/// the process or silently cutting a partition short.
pub fn catch_panics(stream: SendableRecordBatchStream) -> SendableRecordBatchStream {
    catch_panics_as(stream, |message| {
        QuiverError::Internal(format!("an operator panicked: {message}"))
    })
}

/// `stream`, with a panic below it turned into the error `error` makes of
/// the panic's message (after which it ends): for a library that panics on
/// bad input, where the panic means bad data rather than a bug.
pub fn catch_panics_as(
    stream: SendableRecordBatchStream,
    error: impl Fn(String) -> QuiverError + Send + 'static,
) -> SendableRecordBatchStream {
    Box::pin(PanicToError {
        schema: stream.schema(),
        inner: Some(stream),
        error: Box::new(error),
    })
}

/// The stream [`catch_panics_as`] returns.
struct PanicToError {
    schema: SchemaRef,
    /// The guarded stream; `None` once it has panicked or ended.
    inner: Option<SendableRecordBatchStream>,
    /// The error for a panic's message.
    error: Box<dyn Fn(String) -> QuiverError + Send>,
}

impl Stream for PanicToError {
    type Item = Result<RecordBatch>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(None);
        };
        match catch(|| inner.poll_next_unpin(cx)) {
            Ok(Poll::Ready(None)) => {
                self.inner = None;
                Poll::Ready(None)
            }
            Ok(poll) => poll,
            Err(payload) => {
                // Dropping what panicked may panic again; that is caught too.
                let inner = self.inner.take();
                let _ = catch(move || drop(inner));
                Poll::Ready(Some(Err((self.error)(panic_message(payload.as_ref())))))
            }
        }
    }
}

impl RecordBatchStream for PanicToError {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

/// `stream`, ending with [`QuiverError::Cancelled`] as soon as `signal`
/// completes; the rest of the query is dropped then, which stops its tasks.
pub fn stop_when(
    stream: SendableRecordBatchStream,
    signal: impl std::future::Future<Output = ()> + Send + 'static,
) -> SendableRecordBatchStream {
    Box::pin(StopWhen {
        schema: stream.schema(),
        inner: Some(stream),
        signal: Box::pin(signal),
    })
}

/// The stream [`stop_when`] returns.
struct StopWhen {
    schema: SchemaRef,
    /// The query; `None` once it was stopped or ended.
    inner: Option<SendableRecordBatchStream>,
    signal: Pin<Box<dyn std::future::Future<Output = ()> + Send>>,
}

impl Stream for StopWhen {
    type Item = Result<RecordBatch>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.inner.is_none() {
            return Poll::Ready(None);
        }
        if self.signal.as_mut().poll(cx).is_ready() {
            self.inner = None;
            return Poll::Ready(Some(Err(QuiverError::Cancelled)));
        }
        let polled = self.inner.as_mut().map(|s| s.poll_next_unpin(cx));
        if let Some(Poll::Ready(None)) = polled {
            self.inner = None;
        }
        polled.unwrap_or(Poll::Ready(None))
    }
}

impl RecordBatchStream for StopWhen {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::Int64Array;
    use arrow::datatypes::{DataType, Field, Schema};

    /// A stream that yields one batch, then panics.
    fn one_batch_then_panic() -> SendableRecordBatchStream {
        let schema = Arc::new(Schema::new(vec![Field::new("a", DataType::Int64, false)]));
        let batch = RecordBatch::try_new(
            Arc::clone(&schema),
            vec![Arc::new(Int64Array::from(vec![1]))],
        )
        .unwrap();
        let mut sent = false;
        let stream = futures::stream::poll_fn(move |_| {
            assert!(!sent, "the operator broke");
            sent = true;
            Poll::Ready(Some(Ok(batch.clone())))
        });
        RecordBatchStreamAdapter::boxed(schema, stream)
    }

    /// The items of `stream`, errors as their messages.
    async fn outcomes(stream: impl Stream<Item = Result<RecordBatch>>) -> Vec<String> {
        stream
            .map(|item| match item {
                Ok(batch) => format!("{} rows", batch.num_rows()),
                Err(e) => e.to_string(),
            })
            .collect()
            .await
    }

    #[tokio::test]
    async fn a_panic_becomes_the_streams_last_item() {
        let seen = outcomes(catch_panics(one_batch_then_panic())).await;
        assert_eq!(seen.len(), 2, "{seen:?}");
        assert_eq!(seen[0], "1 rows");
        assert!(
            seen[1].starts_with("Internal error: an operator panicked: the operator broke"),
            "{seen:?}"
        );
    }

    #[tokio::test]
    async fn a_panic_in_a_spawned_producer_reaches_the_consumer() {
        // Without the error, the consumer would see one batch and a normal end.
        let seen = outcomes(spawn_stream(one_batch_then_panic(), 1)).await;
        assert_eq!(seen.len(), 2, "{seen:?}");
        assert!(seen[1].contains("panicked: the operator broke"), "{seen:?}");
    }
}
