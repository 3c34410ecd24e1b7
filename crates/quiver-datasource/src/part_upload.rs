//! An object written as a multipart upload in fixed-size parts, several in
//! flight at once. Unlike object_store's `WriteMultipart`, finishing does
//! not consume the upload, so when the last parts or the completion fail the
//! upload can still be aborted instead of being left open on the server;
//! and an upload dropped unfinished (its query cancelled) aborts itself.

use object_store::{MultipartUpload, PutPayload, Result};
use tokio::task::JoinSet;

use crate::store::spawn_io;

/// The size of every part but the last (S3 requires at least 5 MiB).
const PART_SIZE: usize = 5 * 1024 * 1024;

/// A multipart upload being written.
pub(crate) struct PartUpload {
    /// `None` once completed or aborted.
    upload: Option<Box<dyn MultipartUpload>>,
    /// Bytes not yet in a part.
    buffer: Vec<u8>,
    /// The parts in flight.
    parts: JoinSet<Result<()>>,
}

impl PartUpload {
    /// Writes through `upload`, just started.
    pub(crate) fn new(upload: Box<dyn MultipartUpload>) -> Self {
        Self {
            upload: Some(upload),
            buffer: Vec::new(),
            parts: JoinSet::new(),
        }
    }

    /// Appends `bytes`, starting the upload of each part they complete.
    pub(crate) fn put(&mut self, bytes: &[u8]) {
        self.buffer.extend_from_slice(bytes);
        while self.buffer.len() >= PART_SIZE {
            let rest = self.buffer.split_off(PART_SIZE);
            let part = std::mem::replace(&mut self.buffer, rest);
            self.start_part(part);
        }
    }

    fn start_part(&mut self, part: Vec<u8>) {
        if let Some(upload) = self.upload.as_mut() {
            self.parts.spawn(upload.put_part(PutPayload::from(part)));
        }
    }

    /// Waits until at most `in_flight` parts are uploading; the first
    /// failed part's error.
    pub(crate) async fn wait_for_capacity(&mut self, in_flight: usize) -> Result<()> {
        while self.parts.len() > in_flight {
            match self.parts.join_next().await {
                Some(Ok(uploaded)) => uploaded?,
                Some(Err(e)) => {
                    return Err(object_store::Error::Generic {
                        store: "S3",
                        source: Box::new(e),
                    })
                }
                None => break,
            }
        }
        Ok(())
    }

    /// Bytes held in memory: the part being filled and those uploading.
    pub(crate) fn buffered_bytes(&self) -> usize {
        self.buffer.len() + self.parts.len() * PART_SIZE
    }

    /// Uploads what is left as the last part and waits for every part, so
    /// that the upload holds no memory; nothing may be put after this.
    pub(crate) async fn upload_last_part(&mut self) -> Result<()> {
        if !self.buffer.is_empty() {
            let last = std::mem::take(&mut self.buffer);
            self.start_part(last);
        }
        self.wait_for_capacity(0).await
    }

    /// Uploads what is left as the last part, waits for every part and
    /// completes the upload, making the object visible. On error the upload
    /// is still open: [`Self::abort`] it.
    pub(crate) async fn finish(&mut self) -> Result<()> {
        self.upload_last_part().await?;
        if let Some(upload) = self.upload.as_mut() {
            upload.complete().await?;
        }
        self.upload = None;
        Ok(())
    }

    /// Stops the parts in flight and aborts the upload, so that the server
    /// drops the parts it holds.
    pub(crate) async fn abort(&mut self) -> Result<()> {
        self.parts.shutdown().await;
        match self.upload.take() {
            Some(mut upload) => upload.abort().await,
            None => Ok(()),
        }
    }
}

impl Drop for PartUpload {
    /// Aborts an unfinished upload in the background (dropping `parts`
    /// stops those in flight).
    fn drop(&mut self) {
        if let Some(mut upload) = self.upload.take() {
            drop(spawn_io(async move {
                let _ = upload.abort().await;
            }));
        }
    }
}
