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
    assert_all_answers_match(&session().await).await;
}

/// The optimizer's rules are optimizations: with every rule that can be
/// switched off switched off, the answers stay the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_queries_match_duckdb_answers_with_optional_rules_off() {
    let ctx = session().await;
    let optional = ctx.state().optimizer.optional_rule_names().join(",");
    ctx.set("optimizer.disabled_rules", &optional).unwrap();
    assert_eq!(
        ctx.state().disabled_rules().len(),
        optional.split(',').count()
    );
    assert_all_answers_match(&ctx).await;
}

/// A session over the SF 0.1 tables with two partitions.
async fn session() -> SessionContext {
    let dir = data_dir();
    let ctx = SessionContext::with_config(SessionConfig::new().with_target_partitions(2));
    register_tables(&ctx, dir.to_str().unwrap()).await.unwrap();
    ctx
}

/// Runs the 22 queries in `ctx` and fails with every query whose result
/// differs from DuckDB's answer.
async fn assert_all_answers_match(ctx: &SessionContext) {
    let answers = crate_dir().join("../testdata/tpch/answers");
    let mut failures = vec![];
    for q in 1..=QUERY_COUNT {
        let sql = query_text(q).unwrap();
        let result = match run_query(ctx, &sql).await {
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
