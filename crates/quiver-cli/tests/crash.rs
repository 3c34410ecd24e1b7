//! Kills the shell (SIGKILL) at random moments while it commits to a
//! database directory, then checks that the directory opens and holds a
//! committed state: every INSERT whole or absent, every UPDATE applied to
//! every row or to none, and no file the catalog does not name.
//!
//! CI runs 20 kills; `QUIVER_CRASH_RUNS=1000 cargo test -p quiver-cli --test
//! crash --release` runs more.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

fn quiver(database: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_quiver"));
    command
        .arg(database)
        .env("HOME", database.parent().unwrap());
    command
}

/// Runs `sql` in a process of its own and returns its CSV output.
fn query(database: &Path, sql: &str) -> String {
    let out = quiver(database)
        .args(["-csv", "-c", sql])
        .output()
        .expect("quiver runs");
    assert!(
        out.status.success(),
        "{sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A small deterministic generator for kill times.
struct Random(u64);

impl Random {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % bound
    }
}

/// The committed state, checked: (rows, updates applied).
fn check(database: &Path, run: usize) -> (u64, u64) {
    let out = query(
        database,
        "SELECT count(*), coalesce(min(id), 1), coalesce(max(id), 0), count(DISTINCT id), \
         count(DISTINCT v), coalesce(max(v), 0) FROM t",
    );
    let values: Vec<u64> = out
        .lines()
        .nth(1)
        .expect("a result row")
        .split(',')
        .map(|v| v.parse().expect("a number"))
        .collect();
    let [rows, min, max, distinct_ids, distinct_v, v] = values[..] else {
        panic!("run {run}: {out}");
    };
    assert!(
        min == 1 && max == rows && distinct_ids == rows,
        "run {run}: the INSERTs kept are not exactly the first ones: {out}"
    );
    assert!(
        distinct_v <= 1,
        "run {run}: an UPDATE reached some rows and not others: {out}"
    );
    let catalog = std::fs::read_to_string(database.join("catalog.json")).expect("a catalog");
    let named = catalog.matches("\"data/").count();
    let present = std::fs::read_dir(database.join("data"))
        .expect("data")
        .count();
    assert_eq!(
        named, present,
        "run {run}: files the catalog does not name: {catalog}"
    );
    (rows, v)
}

#[test]
fn a_killed_writer_leaves_the_last_committed_state() {
    let runs: usize = std::env::var("QUIVER_CRASH_RUNS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(20);
    let dir = tempfile::tempdir().expect("a directory");
    let database = dir.path().join("crash.quiver");
    query(&database, "CREATE TABLE t (id BIGINT, v BIGINT)");
    let mut random = Random(0x9E37_79B9_7F4A_7C15);
    let mut killed_mid_run = 0;
    for run in 0..runs {
        let (rows, updates) = check(&database, run);
        // Each row carries the number of UPDATEs made before it, and every
        // UPDATE adds one to every row: all rows always agree.
        let mut script = String::new();
        let mut v = updates;
        for id in rows + 1..rows + 200 {
            script.push_str(&format!("INSERT INTO t VALUES ({id}, {v});\n"));
            if id % 25 == 0 {
                script.push_str("UPDATE t SET v = v + 1;\n");
                v += 1;
            }
        }
        let mut child = quiver(&database)
            .args(["-csv", "-c", &script])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("quiver runs");
        std::thread::sleep(Duration::from_millis(20 + random.below(400)));
        if child.try_wait().expect("a status").is_none() {
            killed_mid_run += 1;
        }
        child.kill().expect("the process is killed");
        child.wait().expect("the process ends");
    }
    let (rows, updates) = check(&database, runs);
    eprintln!(
        "{runs} kills ({killed_mid_run} while writing): {rows} INSERTs and {updates} UPDATEs committed, every check passed"
    );
    assert!(rows > 0, "some commits happened");
    assert!(
        killed_mid_run * 2 >= runs,
        "most kills should land while it writes ({killed_mid_run} of {runs})"
    );
}
