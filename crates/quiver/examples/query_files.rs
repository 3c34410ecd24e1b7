//! Registers a Parquet file and a CSV file and queries them with SQL.
//!
//! Run from the repository root:
//! `cargo run -p quiver --example query_files`

use quiver::{CsvOptions, SessionContext};

#[tokio::main]
async fn main() -> quiver::Result<()> {
    let ctx = SessionContext::new();
    ctx.register_parquet("trips", "testdata/trips.parquet")
        .await?;
    ctx.register_csv("cities", "testdata/cities.csv", CsvOptions::default())
        .await?;

    // Plan a query; nothing runs until the DataFrame is collected or shown.
    let df = ctx
        .sql(
            "SELECT payment_type, count(*) AS trips, round(avg(distance_km), 2) AS avg_km, sum(fare) AS revenue
             FROM trips
             GROUP BY payment_type
             ORDER BY revenue DESC",
        )
        .await?;
    df.show().await?;

    // Results are Arrow record batches.
    let batches = ctx
        .sql("SELECT country, count(*) AS n FROM cities GROUP BY country HAVING count(*) > 2")
        .await?
        .collect()
        .await?;
    for batch in &batches {
        println!(
            "{} rows with columns {:?}",
            batch.num_rows(),
            batch
                .schema()
                .fields()
                .iter()
                .map(|f| f.name())
                .collect::<Vec<_>>()
        );
    }
    Ok(())
}
