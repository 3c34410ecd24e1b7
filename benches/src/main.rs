//! TPC-H benchmark runner for Quiver.
//!
//! ```text
//! tpch gen --sf 1                      # writes benches/data/sf1/<table>/part-N.parquet
//! tpch run --sf 1                      # times all 22 queries, 3 runs each
//! tpch run --sf 1 --queries 1,6 --verify
//! tpch run --sf 1 --dir s3://bucket/sf1  # the same files in S3 (AWS_* variables)
//! ```
//!
//! `--verify` compares each result with `benches/data/sf<SF>/answers/qN.csv`
//! (written by `testdata/tpch/generate_answers.py DATA_DIR` with DuckDB) and
//! fails on any difference.
//!
//! `benches/compare.py` runs the same queries on DuckDB (and DataFusion, if
//! installed) at the same thread count and prints the ratios.

use std::path::{Path, PathBuf};
use std::time::Instant;

use quiver::{SessionConfig, SessionContext};
use quiver_benches::{generate, query_text, register_tables, run_query, verify, QUERY_COUNT};

struct Options {
    command: String,
    scale_factor: f64,
    /// Where the tables are: a local directory or an `s3://` prefix.
    dir: Option<String>,
    queries: Vec<u32>,
    iterations: usize,
    /// Threads that run the queries (default: the CPU cores).
    threads: Option<usize>,
    /// Partitions (default: two per thread).
    partitions: Option<usize>,
    /// `SET memory_limit` for the session, e.g. `256MB`.
    memory_limit: Option<String>,
    json: Option<PathBuf>,
    verify: bool,
}

fn usage() -> ! {
    eprintln!(
        "usage: tpch gen --sf SF [--dir DIR]\n       \
         tpch run --sf SF [--dir DIR] [--queries 1,6] [--iterations N] [--threads N] [--partitions N] [--memory-limit SIZE] [--json OUT] [--verify]"
    );
    std::process::exit(2)
}

fn parse_args() -> Options {
    let mut args = std::env::args().skip(1);
    let command = args.next().unwrap_or_else(|| usage());
    let mut o = Options {
        command,
        scale_factor: 1.0,
        dir: None,
        queries: (1..=QUERY_COUNT).collect(),
        iterations: 3,
        threads: None,
        partitions: None,
        memory_limit: None,
        json: None,
        verify: false,
    };
    while let Some(flag) = args.next() {
        if flag == "--verify" {
            o.verify = true;
            continue;
        }
        let value = args.next().unwrap_or_else(|| usage());
        match flag.as_str() {
            "--sf" => o.scale_factor = value.parse().unwrap_or_else(|_| usage()),
            "--dir" => o.dir = Some(value),
            "--queries" => {
                o.queries = value
                    .split(',')
                    .map(|q| q.trim().parse().unwrap_or_else(|_| usage()))
                    .collect()
            }
            "--iterations" => o.iterations = value.parse().unwrap_or_else(|_| usage()),
            "--threads" => o.threads = Some(value.parse().unwrap_or_else(|_| usage())),
            "--partitions" => o.partitions = Some(value.parse().unwrap_or_else(|_| usage())),
            "--memory-limit" => o.memory_limit = Some(value),
            "--json" => o.json = Some(PathBuf::from(value)),
            _ => usage(),
        }
    }
    o
}

/// `benches/data/sf<SF>`, where `tpch gen` writes by default.
fn default_dir(o: &Options) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data")
        .join(format!("sf{}", o.scale_factor))
}

/// Where the tables are: the directory or prefix given, else the default.
fn data_location(o: &Options) -> String {
    o.dir
        .clone()
        .unwrap_or_else(|| default_dir(o).display().to_string())
}

/// The expected answers: beside local data, else in the default directory.
fn answers_dir(o: &Options) -> PathBuf {
    match &o.dir {
        Some(dir) if !dir.contains("://") => Path::new(dir).join("answers"),
        _ => default_dir(o).join("answers"),
    }
}

async fn run(o: &Options) -> Result<(), String> {
    let location = data_location(o);
    let mut config = SessionConfig::new();
    if let Some(n) = o.threads {
        config = config.with_threads(n);
    }
    if let Some(n) = o.partitions {
        config = config.with_target_partitions(n);
    }
    let partitions = config.target_partitions;
    let ctx = SessionContext::with_config(config);
    if let Some(limit) = &o.memory_limit {
        ctx.set("memory_limit", limit).map_err(|e| e.to_string())?;
    }
    register_tables(&ctx, &location).await.map_err(|e| {
        format!(
            "{e} (generate the data first: tpch gen --sf {})",
            o.scale_factor
        )
    })?;
    println!(
        "TPC-H SF{} from {} with {} threads and {partitions} partitions, best of {} runs",
        o.scale_factor,
        location,
        o.threads
            .map_or_else(|| "all the CPUs'".to_string(), |n| n.to_string()),
        o.iterations
    );
    println!("| query | best (s) | all runs (s) | rows |");
    println!("|---|---|---|---|");
    let mut json = vec![];
    let mut failures = vec![];
    for &q in &o.queries {
        let sql = query_text(q)?;
        let mut times = vec![];
        let mut rows = 0;
        for _ in 0..o.iterations.max(1) {
            let start = Instant::now();
            let (names, batches) = match run_query(&ctx, &sql).await {
                Ok(result) => result,
                Err(e) => {
                    // E.g. past --memory-limit: report it, run the others.
                    println!("| q{q} | failed: {e} | | |");
                    failures.push(format!("q{q}: {e}"));
                    break;
                }
            };
            times.push(start.elapsed().as_secs_f64());
            rows = batches.iter().map(|b| b.num_rows()).sum::<usize>();
            if o.verify && times.len() == 1 {
                let answer = answers_dir(o).join(format!("q{q}.csv"));
                if let Err(e) = verify::check(&names, &batches, &answer) {
                    failures.push(format!("q{q}: {e}"));
                }
            }
        }
        if times.is_empty() {
            continue;
        }
        let best = times.iter().cloned().fold(f64::INFINITY, f64::min);
        let all: Vec<String> = times.iter().map(|t| format!("{t:.3}")).collect();
        println!("| q{q} | {best:.3} | {} | {rows} |", all.join(", "));
        json.push(format!(
            "{{\"query\": {q}, \"best_s\": {best}, \"rows\": {rows}}}"
        ));
    }
    if let Some(path) = &o.json {
        std::fs::write(path, format!("[{}]\n", json.join(", "))).map_err(|e| e.to_string())?;
    }
    if !failures.is_empty() {
        return Err(format!("failed or wrong results:\n{}", failures.join("\n")));
    }
    if o.verify {
        println!("all {} results match the answers", o.queries.len());
    }
    Ok(())
}

fn main() {
    let o = parse_args();
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = o.threads {
        runtime.worker_threads(n.max(1));
    }
    let runtime = runtime.enable_all().build().unwrap_or_else(|e| {
        eprintln!("error: cannot start the runtime: {e}");
        std::process::exit(1)
    });
    runtime.block_on(run_command(o));
}

async fn run_command(o: Options) {
    let result = match o.command.as_str() {
        "gen" => generate::generate(
            o.scale_factor,
            &o.dir
                .as_ref()
                .map_or_else(|| default_dir(&o), PathBuf::from),
        ),
        "run" => run(&o).await,
        _ => usage(),
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
