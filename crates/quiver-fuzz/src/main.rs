//! `quiver-fuzz`: runs a seeded fuzzing pass and prints each finding as a
//! script that reproduces it; exits with 1 when there is any.
//!
//! ```text
//! quiver-fuzz sql    [--seed N] [--databases N] [--queries N] [--max-rows N]
//! quiver-fuzz files  [--seed N] [--cases N]
//! quiver-fuzz tokens [--seed N] [--cases N]
//! ```

use std::process::ExitCode;
use std::time::Instant;

use quiver_fuzz::inputs::{fuzz_files, fuzz_sql, InputReport};
use quiver_fuzz::{describe, run_pass, PassOptions};

const USAGE: &str = "usage: quiver-fuzz [sql|files|tokens] [--seed N] [--databases N] \
                     [--queries N] [--max-rows N] [--cases N]";

/// The command line: what to fuzz and how much.
struct Args {
    mode: String,
    pass: PassOptions,
    cases: usize,
}

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1).collect()) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("the runtime starts");
    let started = Instant::now();
    let found = match args.mode.as_str() {
        "sql" => runtime.block_on(sql_pass(args.pass)),
        "files" => {
            let directory =
                std::env::temp_dir().join(format!("quiver-fuzz-{}", std::process::id()));
            if let Err(e) = std::fs::create_dir_all(&directory) {
                eprintln!("cannot create {}: {e}", directory.display());
                return ExitCode::from(2);
            }
            let report = runtime.block_on(fuzz_files(args.pass.seed, args.cases, &directory));
            let _ = std::fs::remove_dir_all(&directory);
            print_inputs("corrupted files", &report)
        }
        "tokens" => print_inputs(
            "random SQL tokens",
            &runtime.block_on(fuzz_sql(args.pass.seed, args.cases)),
        ),
        other => {
            eprintln!("unknown mode {other}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    println!(
        "seed {} in {:.1}s",
        args.pass.seed,
        started.elapsed().as_secs_f64()
    );
    if found == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Runs a metamorphic pass and prints it; returns the number of findings.
async fn sql_pass(options: PassOptions) -> usize {
    let report = run_pass(options).await;
    for (setup, finding) in &report.findings {
        println!("{}", describe(setup, finding));
    }
    let t = &report.tally;
    println!(
        "{} queries ({} runs, {} answers compared, {} user errors); {} findings",
        t.queries,
        t.runs,
        t.comparisons,
        t.user_errors,
        report.findings.len()
    );
    let mut kinds: Vec<_> = t.error_kinds.iter().collect();
    kinds.sort_by_key(|(_, count)| std::cmp::Reverse(**count));
    for (kind, count) in kinds.into_iter().take(8) {
        println!("  {count:>6} x {kind}");
    }
    report.findings.len()
}

/// Prints an input-fuzzing report; returns the number of findings.
fn print_inputs(what: &str, report: &InputReport) -> usize {
    for finding in &report.findings {
        println!("{}", describe(&[], finding));
    }
    println!(
        "{what}: {} cases, {} answered, {} findings",
        report.cases,
        report.answered,
        report.findings.len()
    );
    report.findings.len()
}

/// The arguments from the command line.
fn parse(args: Vec<String>) -> Result<Args, String> {
    let mut parsed = Args {
        mode: "sql".into(),
        pass: PassOptions {
            seed: 1,
            databases: 20,
            queries_per_database: 50,
            max_rows: 40,
        },
        cases: 2000,
    };
    let mut args = args.into_iter().peekable();
    if let Some(mode) = args.next_if(|a| !a.starts_with("--")) {
        parsed.mode = mode;
    }
    while let Some(flag) = args.next() {
        let value = args.next().ok_or(format!("{flag} needs a value"))?;
        let number: u64 = value
            .parse()
            .map_err(|_| format!("{flag} takes a number, not '{value}'"))?;
        let count = number as usize;
        match flag.as_str() {
            "--seed" => parsed.pass.seed = number,
            "--databases" => parsed.pass.databases = count,
            "--queries" => parsed.pass.queries_per_database = count,
            "--max-rows" => parsed.pass.max_rows = count,
            "--cases" => parsed.cases = count,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    Ok(parsed)
}
