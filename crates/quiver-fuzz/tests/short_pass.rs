//! The fuzzers' short fixed-seed pass that CI runs; a longer run is
//! `cargo run --release -p quiver-fuzz -- --seed N --databases 200`.

use quiver_fuzz::inputs::{fuzz_files, fuzz_sql};
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupted_files_fail_cleanly_and_name_the_file() {
    let directory = std::env::temp_dir().join(format!("quiver-fuzz-test-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    // Seed 2 reaches panics inside the parquet crate (a negative column
    // chunk offset, a corrupt page) that must read as errors.
    let report = fuzz_files(2, 3000, &directory).await;
    std::fs::remove_dir_all(&directory).unwrap();
    let findings: Vec<String> = report.findings.iter().map(|f| describe(&[], f)).collect();
    assert!(findings.is_empty(), "{}", findings.join("\n"));
    assert_eq!(report.cases, 6000);
    assert!(
        report.answered > 0 && report.answered < report.cases,
        "{report:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_sql_tokens_fail_cleanly() {
    let report = fuzz_sql(2026, 5000).await;
    let findings: Vec<String> = report.findings.iter().map(|f| describe(&[], f)).collect();
    assert!(findings.is_empty(), "{}", findings.join("\n"));
    assert!(report.answered > 0, "{report:?}");
}
