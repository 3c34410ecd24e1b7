//! `quiver-fuzz`: runs a seeded metamorphic SQL fuzzing pass and prints each
//! finding as a script that reproduces it.
//!
//! ```text
//! cargo run --release -p quiver-fuzz -- --seed 1 --databases 200 --queries 50
//! ```

use std::process::ExitCode;

use quiver_fuzz::{describe, run_pass, PassOptions};

fn main() -> ExitCode {
    let options = match parse(std::env::args().skip(1).collect()) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}\nusage: quiver-fuzz [--seed N] [--databases N] [--queries N] [--max-rows N]");
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the runtime starts");
    let started = std::time::Instant::now();
    let report = runtime.block_on(run_pass(options));
    for (setup, finding) in &report.findings {
        println!("{}", describe(setup, finding));
    }
    let t = &report.tally;
    println!(
        "seed {}: {} queries ({} runs, {} answers compared, {} user errors) in {:.1}s; {} findings",
        options.seed,
        t.queries,
        t.runs,
        t.comparisons,
        t.user_errors,
        started.elapsed().as_secs_f64(),
        report.findings.len()
    );
    let mut kinds: Vec<_> = t.error_kinds.iter().collect();
    kinds.sort_by_key(|(_, count)| std::cmp::Reverse(**count));
    for (kind, count) in kinds.into_iter().take(8) {
        println!("  {count:>6} x {kind}");
    }
    if report.findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// The options from the command line's flags.
fn parse(args: Vec<String>) -> Result<PassOptions, String> {
    let mut options = PassOptions {
        seed: 1,
        databases: 20,
        queries_per_database: 50,
        max_rows: 40,
    };
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        let number: u64 = value
            .parse()
            .map_err(|_| format!("{flag} takes a number, not '{value}'"))?;
        match flag.as_str() {
            "--seed" => options.seed = number,
            "--databases" => options.databases = number as usize,
            "--queries" => options.queries_per_database = number as usize,
            "--max-rows" => options.max_rows = number as usize,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(options)
}
