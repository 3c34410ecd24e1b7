//! TPC-H support for Quiver's benchmarks and tests: data generation, the
//! 22 queries, table registration, and checking results against expected
//! answers.

pub mod generate;
pub mod verify;

use std::path::PathBuf;

use arrow::record_batch::RecordBatch;
use quiver::SessionContext;

/// The eight TPC-H tables.
pub const TABLES: &[&str] = &[
    "customer", "lineitem", "nation", "orders", "part", "partsupp", "region", "supplier",
];

/// The number of TPC-H queries.
pub const QUERY_COUNT: u32 = 22;

/// The directory of the benches crate.
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The SQL text of query `q` (1 to 22).
pub fn query_text(q: u32) -> Result<String, String> {
    let path = crate_dir().join(format!("tpch/queries/q{q}.sql"));
    std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

/// Runs `sql` and returns its column names and result batches.
pub async fn run_query(
    ctx: &SessionContext,
    sql: &str,
) -> Result<(Vec<String>, Vec<RecordBatch>), String> {
    let frame = ctx.sql(sql).await.map_err(|e| e.to_string())?;
    let names = frame
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let batches = frame.collect().await.map_err(|e| e.to_string())?;
    Ok((names, batches))
}

/// Registers the tables under `location` (one directory or key prefix of
/// Parquet files per table; a local path or `s3://bucket/prefix`).
pub async fn register_tables(ctx: &SessionContext, location: &str) -> Result<(), String> {
    for table in TABLES {
        let table_location = format!("{}/{table}", location.trim_end_matches('/'));
        ctx.register_parquet(table, &table_location)
            .await
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}
