//! Helpers shared by the engine's integration tests: running SQL and reading
//! its answers, and real servers for remote data ([`servers`]).

// Shared by several test binaries, each of which uses only part of it.
#![allow(dead_code)]

pub mod faults;
pub mod servers;

use arrow::array::AsArray;
use arrow::datatypes::Int64Type;
use quiver::{DataFrame, Result, SessionContext};

/// The rows `sql` returns, each as its values joined by commas (NULL as
/// `NULL`).
pub async fn rows(ctx: &SessionContext, sql: &str) -> Result<Vec<String>> {
    joined_rows(&ctx.sql(sql).await?, ",").await
}

/// The rows of the query `frame`, each as its values joined by
/// `separator` (NULL as `NULL`).
pub async fn joined_rows(frame: &DataFrame, separator: &str) -> Result<Vec<String>> {
    let batches = frame.collect().await?;
    Ok(quiver::pretty::rows_as_strings(&batches, "NULL")?
        .into_iter()
        .map(|r| r.join(separator))
        .collect())
}

/// The error `sql` fails with, whether planning or running it.
pub async fn error(ctx: &SessionContext, sql: &str) -> String {
    let result = match ctx.sql(sql).await {
        Ok(frame) => frame.collect().await.map(|_| ()),
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => panic!("{sql} should fail"),
        Err(e) => e.to_string(),
    }
}

/// The single BIGINT `sql` returns.
pub async fn count(ctx: &SessionContext, sql: &str) -> i64 {
    let batches = ctx.sql(sql).await.unwrap().collect().await.unwrap();
    batches[0].column(0).as_primitive::<Int64Type>().value(0)
}
