//! Drives the real `quiver` binary the way a user does: arguments, scripts,
//! standard input, output formats and exit codes, over the committed sample
//! files (trips.parquet was written by pyarrow; cities.csv has quoted
//! fields, embedded commas and empty values).

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[path = "../../quiver/tests/support/servers.rs"]
#[allow(dead_code)]
mod servers;

fn quiver(args: &[&str], stdin: Option<&str>) -> Output {
    quiver_with_env(args, stdin, &[])
}

/// Runs the binary with extra environment variables.
fn quiver_with_env(args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_quiver"))
        .args(args)
        .current_dir(repo_root())
        .env("HOME", std::env::temp_dir())
        // As a user runs it: RUST_BACKTRACE makes the shell print every
        // panic, caught ones too.
        .env_remove("RUST_BACKTRACE")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("quiver binary runs");
    let mut pipe = child.stdin.take().expect("stdin is piped");
    if let Some(text) = stdin {
        pipe.write_all(text.as_bytes())
            .expect("stdin accepts input");
    }
    drop(pipe);
    child.wait_with_output().expect("quiver finishes")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn file_argument_registers_a_table_named_after_the_file() {
    let o = quiver(
        &[
            "testdata/trips.parquet",
            "--format",
            "csv",
            "-c",
            "SELECT vendor, count(*) AS n FROM trips GROUP BY vendor ORDER BY vendor",
        ],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // Counts per vendor, as DuckDB reports them for the same file.
    assert_eq!(
        stdout(&o),
        "vendor,n\nGreen Line,6603\nMetro Taxi,6694\nYellow Cab,6703\n"
    );
}

#[test]
fn a_script_with_ddl_prints_exactly_one_csv() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("setup_and_query.sql");
    std::fs::write(
        &script,
        "-- set up\nCREATE EXTERNAL TABLE c STORED AS CSV LOCATION 'testdata/cities.csv';\n\
         CREATE VIEW german AS SELECT city, population FROM c WHERE country = 'Germany';\n\
         SELECT * FROM german ORDER BY population DESC NULLS LAST;\n",
    )
    .unwrap();
    let o = quiver(&["-f", script.to_str().unwrap(), "--format", "csv"], None);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "city,population\nBerlin,3677472\nHamburg,1906411\nMunich,\n"
    );
}

#[test]
fn quoted_csv_fields_come_back_intact() {
    let o = quiver(
        &["--format", "csv", "-c", "SELECT city, country FROM 'testdata/cities.csv' WHERE city LIKE '%,%' OR city LIKE '%\"%' ORDER BY city"],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "city,country\n\"New York, NY\",United States\n\"The \"\"Big Smoke\"\" (London)\",United Kingdom\n\"Washington, D.C.\",United States\n"
    );
}

#[test]
fn csv_writes_lists_structs_and_intervals_as_text() {
    let o = quiver(
        &["--format", "csv", "-c", "SELECT string_split('a,b', ',') AS l, \"user\", INTERVAL '90 minutes' AS i FROM 'testdata/events.json' WHERE id = 1"],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "l,user,i\n\"[a, b]\",\"{'name': ann, 'age': 31}\",01:30:00\n"
    );
}

#[test]
fn errors_point_at_their_place_in_the_sql() {
    let o = quiver(
        &["-c", "SELECT 1 AS a,\n  nope FROM 'testdata/cities.csv'"],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains("LINE 2:   nope FROM 'testdata/cities.csv'\n          ^"),
        "{err}"
    );
}

#[test]
fn the_first_failing_statement_stops_the_script_with_its_line() {
    let o = quiver(
        &["--format", "csv"],
        Some("SELECT 1 AS a;\n\nSELECT nope FROM 'testdata/cities.csv';\nSELECT 3 AS c;\n"),
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stdout(&o),
        "a\n1\n",
        "statements before the error ran, the ones after did not"
    );
    let err = stderr(&o);
    assert!(
        err.starts_with("Binder Error: column \"nope\" not found")
            && err.contains("\nLINE 3: SELECT nope FROM 'testdata/cities.csv';\n               ^"),
        "{err}"
    );
}

#[test]
fn parse_errors_give_line_and_column() {
    let o = quiver(&["-c", "SELECT 1;\nSELEC 2"], None);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(
        stderr(&o),
        "Parser Error: Expected: an SQL statement, found: SELEC\nLINE 2: SELEC 2\n        ^\n"
    );
}

#[test]
fn missing_files_are_named() {
    let o = quiver(&["testdata/no_such_file.parquet", "-c", "SELECT 1"], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("file not found: 'testdata/no_such_file.parquet'"),
        "{}",
        stderr(&o)
    );
    let o = quiver(&["-f", "no/such/script.sql"], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("cannot read script 'no/such/script.sql'"),
        "{}",
        stderr(&o)
    );
}

/// `testdata/corrupt/arrow_schema.parquet` is `types.parquet` with one bit
/// flipped (bit 1 of byte 2986) in its embedded Arrow schema, on which the
/// parquet crate panics. The panic is caught and reported once, as the
/// statement's error, not also as a crash.
#[test]
fn a_panic_on_a_corrupt_file_is_reported_once_as_the_error() {
    let o = quiver(
        &[
            "-c",
            "SELECT * FROM 'testdata/corrupt/arrow_schema.parquet'",
        ],
        None,
    );
    assert_eq!(o.status.code(), Some(1));
    let err = stderr(&o);
    assert!(
        err.contains(
            "Execution Error: reading Parquet file 'testdata/corrupt/arrow_schema.parquet': \
             its metadata is corrupt"
        ),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn json_formats_keep_nulls_and_table_shows_types() {
    let sql = "SELECT city, population FROM 'testdata/cities.csv' WHERE city IN ('Munich', 'Lyon') ORDER BY city";
    let o = quiver(&["--format", "json", "-c", sql], None);
    assert_eq!(
        stdout(&o),
        "[{\"city\":\"Lyon\",\"population\":522250},{\"city\":\"Munich\",\"population\":null}]\n"
    );
    let o = quiver(&["--format", "ndjson", "-c", sql], None);
    assert_eq!(
        stdout(&o),
        "{\"city\":\"Lyon\",\"population\":522250}\n{\"city\":\"Munich\",\"population\":null}\n"
    );
    let o = quiver(&["-c", sql], None);
    let table = stdout(&o);
    assert!(
        table.contains("varchar") && table.contains("bigint") && table.contains("NULL"),
        "{table}"
    );
    assert!(table.ends_with("2 rows\n"), "{table}");
    let o = quiver(&["--format", "markdown", "-c", "SELECT 1 AS one"], None);
    assert_eq!(stdout(&o), "| one |\n|-----|\n| 1   |\n");
}

#[test]
fn standard_input_runs_several_statements() {
    let o = quiver(
        &["--format", "tsv"],
        Some("CREATE VIEW v AS SELECT 2 AS x;\nSELECT x * 21 AS answer FROM v;\n"),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "answer\n42\n");
}

#[test]
fn timer_reports_elapsed_time() {
    let o = quiver(&["--timer", "--format", "csv", "-c", "SELECT 1 AS a"], None);
    assert_eq!(stdout(&o), "a\n1\n", "the time stays out of the CSV");
    assert!(stderr(&o).starts_with("Run Time: "), "{}", stderr(&o));
}

#[test]
fn copy_writes_partitioned_parquet_that_reads_back() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let out = dir.path().join("by_vendor");
    let out = out.to_str().expect("UTF-8 path");
    let script = format!(
        "COPY (SELECT vendor, fare FROM 'testdata/trips.parquet') TO '{out}' (FORMAT parquet, PARTITION_BY (vendor));\n\
         SELECT vendor, count(*) AS n FROM '{out}' WHERE vendor <> 'Metro Taxi' GROUP BY vendor ORDER BY vendor;"
    );
    let o = quiver(&["--format", "csv", "-c", &script], None);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "vendor,n\nGreen Line,6603\nYellow Cab,6703\n",
        "COPY's count stays out of the CSV"
    );
    assert!(dir
        .path()
        .join("by_vendor/vendor=Green Line/data_0.parquet")
        .is_file());
}

#[test]
fn s3_settings_come_from_the_standard_environment_variables() {
    servers::create_bucket("from-env");
    let environment = servers::s3_environment();
    let env: Vec<(&str, &str)> = environment.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let sql = "COPY (SELECT vendor, count(*) AS n FROM 'testdata/trips.parquet' GROUP BY vendor) \
               TO 's3://from-env/vendors.csv'; \
               SELECT sum(n) AS total FROM 's3://from-env/vendors.csv';";
    let out = quiver_with_env(&["--format", "csv", "-c", sql], None, &env);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stdout(&out), "total\n20000\n");
}

#[test]
fn explain_analyze_and_verbose_through_the_binary() {
    let sql =
        "EXPLAIN ANALYZE SELECT vendor, count(*) FROM trips WHERE trip_id <= 100 GROUP BY vendor";
    let o = quiver(
        &["testdata/trips.parquet", "--format", "csv", "-c", sql],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("physical_plan_with_metrics"), "{out}");
    // The first of four row groups holds trip ids 1..=5000: it is read
    // whole and 100 rows pass the filter.
    assert!(out.contains("row_groups=1 of 4"), "{out}");
    assert!(out.contains("output_rows=5000,"), "{out}");
    assert!(out.contains("output_rows=100,"), "{out}");
    let verbose = "EXPLAIN VERBOSE SELECT count(*) FROM trips WHERE fare > 1 + 1";
    let o = quiver(
        &["testdata/trips.parquet", "--format", "csv", "-c", verbose],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    for stage in [
        "initial_logical_plan",
        "logical_plan after fold_constants",
        "physical_plan",
    ] {
        assert!(out.contains(stage), "{stage} missing:\n{out}");
    }
}

#[test]
fn a_point_lookup_skips_pages_of_a_sorted_file() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let file = dir.path().join("sorted.parquet");
    let file = file.to_str().expect("UTF-8 path");
    // 100000 sorted keys in one row group; Quiver writes a page index with
    // pages of at most 20000 rows.
    let sql = format!(
        "COPY (WITH d(x) AS (VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)) \
         SELECT a.x*10000 + b.x*1000 + c.x*100 + e.x*10 + f.x AS k \
         FROM d a, d b, d c, d e, d f ORDER BY k) TO '{file}' (FORMAT parquet); \
         SELECT k FROM '{file}' WHERE k = 54321; \
         EXPLAIN ANALYZE SELECT k FROM '{file}' WHERE k = 54321"
    );
    let o = quiver(&["--format", "csv", "-c", &sql], None);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("k\n54321\n"), "{out}");
    let skipped: u64 = out
        .split("rows_skipped_by_page_index=")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no page skipping in {out}"));
    assert!(
        skipped >= 60_000,
        "only {skipped} of 100000 rows skipped: {out}"
    );
}

/// Runs the binary with `-c sql` in `directory` where no file may grow past
/// `limit_kib` KiB (`ulimit -f`, with SIGXFSZ ignored so a write past it
/// fails with EFBIG as on a full disk).
fn quiver_with_file_limit(directory: &std::path::Path, limit_kib: u32, sql: &str) -> Output {
    // One partition: how much a sort spills must not depend on the cores.
    let script =
        format!("ulimit -f {limit_kib}; trap '' XFSZ; exec \"$0\" --partitions 1 -c \"$1\"",);
    Command::new("bash")
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_quiver"))
        .arg(sql)
        .current_dir(directory)
        .env("HOME", std::env::temp_dir())
        .output()
        .expect("bash runs")
}

/// The names of the files in `directory`.
fn file_names(directory: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(directory)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_copy_that_fills_the_disk_fails_cleanly_and_leaves_no_file() {
    let directory = tempfile::tempdir().unwrap();
    let trips = repo_root().join("testdata/trips.parquet");
    for format in ["csv", "json", "parquet"] {
        let sql = format!(
            "COPY (SELECT * FROM '{}') TO 'out.{format}'",
            trips.display()
        );
        let o = quiver_with_file_limit(directory.path(), 64, &sql);
        assert!(!o.status.success(), "{format}: {}", stdout(&o));
        let err = stderr(&o);
        assert!(err.contains(&format!("writing 'out.{format}'")), "{err}");
        assert!(err.contains("File too large"), "{format}: {err}");
        assert!(!err.contains("panicked"), "{format}: {err}");
        assert_eq!(
            file_names(directory.path()),
            Vec::<String>::new(),
            "{format}"
        );
    }
}

#[test]
fn a_spill_that_fills_the_disk_fails_cleanly_and_removes_its_files() {
    let directory = tempfile::tempdir().unwrap();
    let trips = repo_root().join("testdata/trips.parquet");
    let sql = format!(
        "SET memory_limit = '2MB'; SET temp_directory = '.'; \
         SELECT * FROM '{}' ORDER BY fare DESC, trip_id",
        trips.display()
    );
    let o = quiver_with_file_limit(directory.path(), 64, &sql);
    assert!(!o.status.success(), "{}", stdout(&o));
    let err = stderr(&o);
    assert!(
        err.contains("writing a spill file in '.' (if the disk is full"),
        "{err}"
    );
    assert!(err.contains("File too large"), "{err}");
    assert_eq!(file_names(directory.path()), Vec::<String>::new());
}

/// The most resident memory (VmHWM) the process `pid` has had, read from
/// /proc while it runs.
fn peak_rss_mib(child: &mut std::process::Child) -> (std::process::ExitStatus, u64) {
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_kib = 0;
    loop {
        if let Ok(status) = std::fs::read_to_string(&status_file) {
            let hwm = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok());
            peak_kib = peak_kib.max(hwm.unwrap_or(0));
        }
        if let Some(status) = child.try_wait().expect("quiver runs") {
            return (status, peak_kib / 1024);
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
}

/// A small subset of `benches/memory_suite.py`: memory-hungry queries over
/// the sample trips under a 64 MB limit each finish or fail with "Out of
/// memory", and the process stays within the limit plus the documented
/// 200 MB allowance.
#[test]
fn memory_hungry_queries_stay_within_the_limit() {
    const LIMIT_MIB: u64 = 64;
    const ALLOWANCE_MIB: u64 = 200;
    let trips = "'testdata/trips.parquet'";
    let ten = "(VALUES (1), (2), (3), (4), (5), (6), (7), (8), (9), (10)) r(n)";
    let queries = [
        format!("SELECT * FROM {trips} a, {ten} ORDER BY a.fare DESC, n"),
        format!("SELECT count(*) FROM {trips} a JOIN {trips} b ON a.vendor = b.vendor"),
        format!(
            "SELECT count(*) FROM (SELECT DISTINCT a.*, b.trip_id AS t2 FROM {trips} a, \
             (SELECT * FROM {trips} LIMIT 30) b)"
        ),
        format!(
            "SELECT length(string_agg(a.trip_id || '-' || b.trip_id, ',')) FROM {trips} a, \
             (SELECT * FROM {trips} LIMIT 200) b"
        ),
        format!(
            "SELECT a.trip_id, count(*) FROM {trips} a, (SELECT * FROM {trips} LIMIT 100) b \
             GROUP BY a.trip_id, b.trip_id % 50"
        ),
    ];
    for query in queries {
        let sql = format!("SET memory_limit = '{LIMIT_MIB}MB'; {query}");
        let mut child = Command::new(env!("CARGO_BIN_EXE_quiver"))
            .args(["--format", "csv", "-c", &sql])
            .current_dir(repo_root())
            .env("HOME", std::env::temp_dir())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("quiver runs");
        let (status, peak) = peak_rss_mib(&mut child);
        let mut err = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
        assert!(
            status.success() || err.contains("Out of Memory Error: "),
            "{query}: {err}"
        );
        assert!(
            peak <= LIMIT_MIB + ALLOWANCE_MIB,
            "{query}: peak {peak} MiB"
        );
    }
}

#[test]
fn a_table_of_every_row_counts_against_the_limit_while_csv_streams() {
    let sql = "SET memory_limit = '100KB'; SELECT * FROM 'testdata/trips.parquet'";
    let table = quiver(&["-c", sql], None);
    assert!(!table.status.success());
    assert!(
        stderr(&table).contains("Out of Memory Error: the collected result needs"),
        "{}",
        stderr(&table)
    );
    // Text formats are written batch by batch: the same rows fit.
    let csv = quiver(&["--format", "csv", "-c", sql], None);
    assert!(csv.status.success(), "{}", stderr(&csv));
    assert_eq!(
        stdout(&csv).lines().count(),
        20_001,
        "a header and every row"
    );
}

#[test]
fn values_with_line_breaks_are_drawn_inside_the_table() {
    let out = quiver(&["-c", "SELECT 'abcdefgh' || E'\\r\\n' || 'b' AS x"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("│ abcdefgh │") && text.contains("│ b        │"),
        "{text}"
    );
}

#[test]
fn dot_commands_work_in_scripts_read_files_and_redirect_output() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let at = |name: &str| dir.path().join(name).display().to_string();
    std::fs::write(at("inner.sql"), ".nullvalue (none)\nSELECT NULL AS n;\n").unwrap();
    let script = format!(
        ".mode csv\n\
         SELECT 1 AS a;\n\
         .read {inner}\n\
         .once {once}\n\
         SELECT 2 AS b;\n\
         .output {all}\n\
         SELECT 3 AS c;\n\
         .mode line\n\
         SELECT 4 AS d, 'x' AS long_name;\n\
         .output\n\
         .echo on\n\
         SELECT 5 AS e;\n",
        inner = at("inner.sql"),
        once = at("once.csv"),
        all = at("all.txt"),
    );
    std::fs::write(at("script.sql"), &script).unwrap();
    let o = quiver(&["-f", &at("script.sql")], None);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "a\n1\nn\n(none)\nSELECT 5 AS e;\ne = 5\n",
        ".once and .output took the middle results"
    );
    assert_eq!(std::fs::read_to_string(at("once.csv")).unwrap(), "b\n2\n");
    assert_eq!(
        std::fs::read_to_string(at("all.txt")).unwrap(),
        "c\n3\n        d = 4\nlong_name = x\n"
    );
}

#[test]
fn dot_commands_in_dash_c_and_stdin_and_a_failing_one_stops_the_script() {
    let o = quiver(&["-c", ".mode json\nSELECT 1 AS a;"], None);
    assert_eq!(stdout(&o), "[{\"a\":1}]\n");
    let o = quiver(
        &[],
        Some(".mode tsv\nSELECT 1 AS a, 2 AS b;\n.mode nonsense\nSELECT 3;\n"),
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "a\tb\n1\t2\n");
    assert!(stderr(&o).contains("usage: .mode FORMAT"), "{}", stderr(&o));
    // With .bail off, the script goes on after an error and still fails.
    let o = quiver(
        &["--csv"],
        Some(".bail off\nSELECT nope;\nSELECT 7 AS after;\n"),
    );
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(stdout(&o), "after\n7\n");
}

#[test]
fn init_scripts_mode_flags_and_changes() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let init = dir.path().join("init.sql");
    std::fs::write(&init, "CREATE TABLE t (x INTEGER);\n.changes on\n").unwrap();
    let init = init.display().to_string();
    let o = quiver(
        &[
            "-init",
            &init,
            "-csv",
            "-c",
            "INSERT INTO t VALUES (1), (2); SELECT count(*) AS n FROM t",
        ],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "changes: 2   total_changes: 2\nn\n2\n");
    let o = quiver(&["-init", "/no/such/init.sql", "-c", "SELECT 1"], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("/no/such/init.sql"), "{}", stderr(&o));
    let o = quiver(&["--format", "html", "-c", "SELECT '<b>' AS tag"], None);
    assert_eq!(
        stdout(&o),
        "<table>\n<tr><th>tag</th></tr>\n<tr><td>&lt;b&gt;</td></tr>\n</table>\n"
    );
}

#[test]
fn ctrl_c_stops_a_running_copy_and_leaves_no_file() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let target = dir.path().join("pairs.csv");
    // Even with .bail off, a cancelled statement ends the script.
    let sql = format!(
        ".bail off\nCOPY (SELECT a.trip_id, b.fare FROM 'testdata/trips.parquet' a, 'testdata/trips.parquet' b) TO '{}';\nSELECT 'after' AS marker;",
        target.display()
    );
    let child = Command::new(env!("CARGO_BIN_EXE_quiver"))
        .args(["-csv", "-c", &sql])
        .current_dir(repo_root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("quiver runs");
    // Wait until the copy is writing (its temporary file has grown).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while file_names(dir.path()).is_empty() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(
        !file_names(dir.path()).is_empty(),
        "the copy started writing"
    );
    let interrupted = std::time::Instant::now();
    let pid = child.id().to_string();
    Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill runs");
    let output = child.wait_with_output().expect("quiver finishes");
    let stopped = interrupted.elapsed();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr).starts_with("Interrupted: query cancelled"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stopped < std::time::Duration::from_secs(2),
        "stopped after {stopped:?}"
    );
    assert_eq!(file_names(dir.path()), Vec::<String>::new(), "nothing left");
    assert!(
        !String::from_utf8_lossy(&output.stdout).contains("after"),
        "the statements after the cancelled one did not run"
    );
}

#[test]
fn a_database_directory_keeps_tables_between_runs_and_opens_read_only() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = dir.path().join("shop.quiver");
    let db = db.to_str().expect("UTF-8 path");
    let o = quiver(
        &[db, "-c", "CREATE TABLE sales AS SELECT vendor, count(*) AS n FROM 'testdata/trips.parquet' GROUP BY vendor"],
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = quiver(
        &[db, "-csv", "-c", "SELECT sum(n) AS trips FROM sales"],
        None,
    );
    assert_eq!(stdout(&o), "trips\n20000\n", "{}", stderr(&o));

    // A writer holds the directory: a second writer is refused, a reader
    // gets in and may not change it.
    let mut writer = Command::new(env!("CARGO_BIN_EXE_quiver"))
        .args(["--db", db])
        .current_dir(repo_root())
        .env("HOME", std::env::temp_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("quiver runs");
    // The lock file names its holder once the writer has the directory.
    let holder = std::path::Path::new(db).join("lock");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::fs::read_to_string(&holder).unwrap_or_default() != writer.id().to_string() {
        assert!(
            std::time::Instant::now() < deadline,
            "the writer never took the lock"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let o = quiver(&["--db", db, "-c", "SELECT 1"], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains(&format!(
            "is open for writing in another process (process {})",
            writer.id()
        )),
        "{}",
        stderr(&o)
    );
    let o = quiver(
        &[
            db,
            "-readonly",
            "-csv",
            "-c",
            "SELECT count(*) AS n FROM sales",
        ],
        None,
    );
    assert_eq!(stdout(&o), "n\n3\n", "{}", stderr(&o));
    let o = quiver(&[db, "-readonly", "-c", "DROP TABLE sales"], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("is open read-only"), "{}", stderr(&o));
    drop(writer.stdin.take());
    writer.wait().expect("the writer ends");

    let o = quiver(&["-readonly", "-c", "SELECT 1"], None);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("-readonly needs a database"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn threads_and_partitions_are_set_at_start_and_checked() {
    // Two partitions per thread unless --partitions says otherwise.
    for (args, partitions) in [
        (&["--threads", "3"][..], "6"),
        (&["--threads", "3", "--partitions", "5"][..], "5"),
    ] {
        let mut args = args.to_vec();
        args.extend([
            "--format",
            "csv",
            "-c",
            "SELECT current_setting('threads') AS t",
        ]);
        let o = quiver(&args, None);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(stdout(&o), format!("t\n{partitions}\n"));
    }
    for bad in ["--threads=0", "--threads=-2", "--partitions=many"] {
        let o = quiver(&[bad, "-c", "SELECT 1"], None);
        assert!(!o.status.success());
        let err = stderr(&o);
        assert!(
            err.contains("expected a whole number of at least 1"),
            "{err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
}
