//! How fast a running query stops when it is cancelled, per operator kind.
//!
//! Each query runs over the TPC-H tables for `--after` milliseconds, is
//! interrupted (`SessionContext::interrupt`, what Ctrl-C in the shell
//! does), and the time until its stream ends and until its memory is back
//! in the pool is printed as a Markdown table, with the process's CPU use
//! in the half second after that (near 0% once every task has stopped). A
//! COPY must also leave no file behind.
//!
//! ```sh
//! cargo build --release -p quiver-benches
//! target/release/tpch gen --sf 1
//! target/release/cancel_latency --sf 1 --partitions 2 --after 300
//! ```

use std::path::PathBuf;
use std::time::{Duration, Instant};

use futures::StreamExt;
use quiver::{SessionConfig, SessionContext};
use quiver_benches::{crate_dir, register_tables};

/// (operator kind, query); `{out}` stands for a file path to write.
const QUERIES: &[(&str, &str)] = &[
    ("scan and filter", "SELECT count(*) FROM (SELECT l_comment FROM lineitem UNION ALL SELECT l_comment FROM lineitem UNION ALL SELECT l_comment FROM lineitem UNION ALL SELECT l_comment FROM lineitem) WHERE l_comment LIKE '%zz%zz%zz%'"),
    ("cross join", "SELECT count(*) FROM supplier a, supplier b, nation"),
    ("nested-loop join", "SELECT count(*) FROM customer a JOIN supplier b ON a.c_acctbal < b.s_acctbal"),
    ("hash join, few keys", "SELECT count(*) FROM customer a JOIN customer b ON a.c_nationkey = b.c_nationkey"),
    ("hash join, big build", "SELECT count(*) FROM lineitem JOIN orders ON l_orderkey = o_orderkey JOIN partsupp ON l_partkey = ps_partkey"),
    ("aggregate", "SELECT a.c_custkey % 1000, sum(b.c_acctbal) FROM customer a JOIN customer b ON a.c_nationkey = b.c_nationkey GROUP BY 1"),
    ("DISTINCT", "SELECT count(*) FROM (SELECT DISTINCT * FROM lineitem)"),
    ("sort", "SELECT * FROM lineitem ORDER BY l_comment, l_orderkey LIMIT 10"),
    ("UNION", "SELECT count(*) FROM (SELECT l_comment FROM lineitem UNION SELECT o_comment FROM orders)"),
    ("INTERSECT ALL", "SELECT count(*) FROM (SELECT l_comment FROM lineitem INTERSECT ALL SELECT l_comment FROM lineitem)"),
    ("COPY", "COPY (SELECT * FROM lineitem ORDER BY l_comment) TO '{out}'"),
];

struct Args {
    data: PathBuf,
    partitions: usize,
    after: Duration,
}

fn parse_args() -> Result<Args, String> {
    let mut sf = "1".to_string();
    let mut data = None;
    let mut partitions = 2;
    let mut after = 300;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--sf" => sf = value()?,
            "--data" => data = Some(PathBuf::from(value()?)),
            "--partitions" => partitions = value()?.parse().map_err(|e| format!("{e}"))?,
            "--after" => after = value()?.parse().map_err(|e| format!("{e}"))?,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(Args {
        data: data.unwrap_or_else(|| crate_dir().join(format!("data/sf{sf}"))),
        partitions,
        after: Duration::from_millis(after),
    })
}

/// What one cancelled query measured.
struct Stopped {
    /// From the interrupt to the end of the result stream.
    stream_ended: Duration,
    /// From the interrupt to the pool holding nothing.
    memory_back: Duration,
    /// The process's CPU use over the half second after the memory came
    /// back, in percent of one core.
    cpu_after: f64,
    /// How the stream ended.
    ending: String,
}

/// CPU time the process has used, from /proc (Linux); zero elsewhere.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name, which is in parentheses.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime, fields 14 and 15 of the line, in 1/100 s.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

/// Runs `sql` in a fresh session, interrupts it after `after`, and times
/// its stop.
async fn cancel(args: &Args, sql: &str) -> Result<Stopped, String> {
    let ctx =
        SessionContext::with_config(SessionConfig::new().with_target_partitions(args.partitions));
    register_tables(&ctx, args.data.to_str().ok_or("a non-UTF-8 path")?).await?;
    // Planning is inside the timed run: a COPY writes while it is planned.
    let run = async {
        let df = ctx.sql(sql).await.map_err(|e| e.to_string())?;
        let mut stream = df.execute_stream().await.map_err(|e| e.to_string())?;
        while let Some(batch) = stream.next().await {
            batch.map_err(|e| e.to_string())?;
        }
        Ok::<_, String>(())
    };
    tokio::pin!(run);
    tokio::select! {
        ended = &mut run => return Err(format!("ended before it was cancelled: {ended:?}")),
        _ = tokio::time::sleep(args.after) => {}
    }
    let interrupted = Instant::now();
    ctx.interrupt();
    let ending = match run.await {
        Ok(()) => "finished".to_string(),
        Err(e) => e,
    };
    let stream_ended = interrupted.elapsed();
    let pool = &ctx.state().memory_pool;
    while pool.reserved() > 0 {
        if interrupted.elapsed() > Duration::from_secs(30) {
            return Err(format!("{} bytes still held 30 s later", pool.reserved()));
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let memory_back = interrupted.elapsed();
    let (cpu_before, window) = (cpu_time(), Instant::now());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let cpu_after =
        100.0 * (cpu_time() - cpu_before).as_secs_f64() / window.elapsed().as_secs_f64();
    Ok(Stopped {
        stream_ended,
        memory_back,
        cpu_after,
        ending,
    })
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let args = parse_args()?;
    let out_dir = tempfile_dir()?;
    println!(
        "Cancelled after {} ms, {} partitions, data {}",
        args.after.as_millis(),
        args.partitions,
        args.data.display()
    );
    println!("| operator | stream ended (ms) | memory back (ms) | CPU after (%) | ended with |");
    println!("|---|---|---|---|---|");
    let mut failures = 0;
    for (kind, sql) in QUERIES {
        let target = out_dir.join("copy.parquet");
        let sql = sql.replace("{out}", &target.display().to_string());
        match cancel(&args, &sql).await {
            Ok(s) => {
                let left = if target.exists() {
                    " (left a file!)"
                } else {
                    ""
                };
                if !left.is_empty() || s.ending != "Query cancelled" {
                    failures += 1;
                }
                println!(
                    "| {kind} | {:.0} | {:.0} | {:.0} | {}{left} |",
                    s.stream_ended.as_secs_f64() * 1e3,
                    s.memory_back.as_secs_f64() * 1e3,
                    s.cpu_after,
                    s.ending
                );
            }
            Err(e) => {
                failures += 1;
                println!("| {kind} | - | - | - | {e} |");
            }
        }
    }
    std::fs::remove_dir_all(&out_dir).map_err(|e| e.to_string())?;
    match failures {
        0 => Ok(()),
        n => Err(format!("{n} queries did not stop cleanly")),
    }
}

/// A fresh directory for COPY targets.
fn tempfile_dir() -> Result<PathBuf, String> {
    let dir = std::env::temp_dir().join(format!("quiver-cancel-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    Ok(dir)
}
