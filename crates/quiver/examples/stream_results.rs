//! Streaming a large result: batches are read as the query makes them, so
//! memory stays at a few batches however many rows there are; dropping the
//! stream early stops the query.
//!
//!     cargo run --release -p quiver --example stream_results

use futures::StreamExt;
use quiver::SessionContext;

#[tokio::main]
async fn main() -> quiver::Result<()> {
    let ctx = SessionContext::new();
    let df = ctx
        .sql(
            "SELECT range AS id, range * 2 AS twice, 'row ' || range AS label FROM range(20000000)",
        )
        .await?;
    let mut stream = df.execute_stream().await?;
    let (mut rows, mut batches) = (0usize, 0usize);
    while let Some(batch) = stream.next().await {
        rows += batch?.num_rows();
        batches += 1;
    }
    println!("read {rows} rows in {batches} batches");

    // Only the first rows are wanted: dropping the stream cancels the rest.
    let mut stream = ctx
        .sql("SELECT range FROM range(1000000000000)")
        .await?
        .execute_stream()
        .await?;
    let first = stream.next().await.transpose()?.map_or(0, |b| b.num_rows());
    drop(stream);
    println!("took {first} rows of a trillion-row query and stopped it");
    Ok(())
}
