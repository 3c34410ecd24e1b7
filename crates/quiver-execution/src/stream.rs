//! Streams of record batches, the currency between operators.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use futures::stream::BoxStream;
use futures::{Stream, StreamExt};
use quiver_expr::Result;
use tokio::sync::mpsc;

use crate::memory_pool::MemoryReservation;

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

/// Sends every item of `stream` into `tx`; stops after an error or when the
/// receiver is gone.
pub async fn forward(mut stream: SendableRecordBatchStream, tx: mpsc::Sender<Result<RecordBatch>>) {
    while let Some(item) = stream.next().await {
        let is_err = item.is_err();
        if tx.send(item).await.is_err() || is_err {
            return;
        }
    }
}
