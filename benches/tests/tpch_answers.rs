//! All 22 TPC-H queries at scale factor 0.1 give DuckDB's answers
//! (testdata/tpch/answers, written by testdata/tpch/generate_answers.py).
//! The data is generated once per target directory with tpchgen-arrow,
//! which is deterministic.

mod common;

use common::data_dir;
use quiver::{SessionConfig, SessionContext};
use quiver_benches::{crate_dir, query_text, register_tables, run_query, verify, QUERY_COUNT};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_queries_match_duckdb_answers() {
    let dir = data_dir();
    let ctx = SessionContext::with_config(SessionConfig::new().with_target_partitions(2));
    register_tables(&ctx, dir.to_str().unwrap()).await.unwrap();
    let answers = crate_dir().join("../testdata/tpch/answers");
    let mut failures = vec![];
    for q in 1..=QUERY_COUNT {
        let sql = query_text(q).unwrap();
        let result = match run_query(&ctx, &sql).await {
            Ok((names, batches)) => {
                verify::check(&names, &batches, &answers.join(format!("q{q}.csv")))
            }
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            failures.push(format!("q{q}: {e}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
