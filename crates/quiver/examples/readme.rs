//! The program in the README's "As a library" section, kept here so that
//! it is compiled with the tests (`crates/quiver-cli/tests/readme.rs` checks
//! that the two match). Run from the repository root:
//! `cargo run -p quiver --example readme`

use quiver::{CsvOptions, SessionContext};

#[tokio::main]
async fn main() -> quiver::Result<()> {
    let ctx = SessionContext::new();
    ctx.register_parquet("trips", "testdata/trips.parquet")
        .await?;
    ctx.register_csv("cities", "testdata/cities.csv", CsvOptions::default())
        .await?;
    let df = ctx
        .sql("SELECT vendor, sum(fare) FROM trips GROUP BY vendor")
        .await?;
    df.show().await?; // or df.collect() / df.execute_stream()
    Ok(())
}
