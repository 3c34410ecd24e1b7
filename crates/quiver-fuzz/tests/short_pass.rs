//! The fuzzers' short fixed-seed pass that CI runs; a longer run is
//! `cargo run --release -p quiver-fuzz -- --seed N --databases 200`.

use quiver_fuzz::{describe, run_pass, PassOptions};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fixed_seed_metamorphic_pass_finds_nothing() {
    let report = run_pass(PassOptions {
        seed: 2026,
        databases: 24,
        queries_per_database: 50,
        max_rows: 40,
    })
    .await;
    let findings: Vec<String> = report
        .findings
        .iter()
        .map(|(setup, finding)| describe(setup, finding))
        .collect();
    assert!(findings.is_empty(), "{}", findings.join("\n"));
    // The pass must exercise the engine, not only trip over user errors.
    let tally = &report.tally;
    assert_eq!(tally.queries, 1200);
    assert!(tally.comparisons > tally.queries, "{tally:?}");
    assert!(tally.user_errors < tally.queries / 3, "{tally:?}");
}
