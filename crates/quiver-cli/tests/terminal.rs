//! Drives the real `quiver` shell in a real terminal — a tmux pane of a
//! fixed size — and checks what the screen shows: completion candidates,
//! tables fitted to 80 columns, the progress bar, Ctrl-C on a running
//! join, the start-up script and multi-line history. Needs tmux (CI
//! installs it).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

#[path = "../../quiver/tests/support/servers.rs"]
#[allow(dead_code)]
mod servers;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A tmux server of its own with one pane running the shell.
struct Terminal {
    socket: String,
    home: tempfile::TempDir,
}

static SESSIONS: AtomicUsize = AtomicUsize::new(0);

impl Terminal {
    /// Starts the shell with `args` in a `width` x 30 terminal, with a
    /// fresh home directory holding `rc` as `~/.quiverrc` when given.
    fn start(args: &str, width: u16, rc: Option<&str>) -> Self {
        Self::start_with_env(args, width, rc, &[])
    }

    /// [`Terminal::start`] with environment variables set for the shell.
    fn start_with_env(args: &str, width: u16, rc: Option<&str>, env: &[(&str, &str)]) -> Self {
        let home = tempfile::tempdir().expect("a home directory");
        if let Some(rc) = rc {
            std::fs::write(home.path().join(".quiverrc"), rc).expect("rc file written");
        }
        let socket = format!(
            "quiver-test-{}-{}",
            std::process::id(),
            SESSIONS.fetch_add(1, Ordering::SeqCst)
        );
        let variables: String = env.iter().map(|(k, v)| format!("{k}='{v}' ")).collect();
        let command = format!(
            "cd '{}' && HOME='{}' {variables}exec '{}' {args}",
            repo_root().display(),
            home.path().display(),
            env!("CARGO_BIN_EXE_quiver")
        );
        let status = Command::new("tmux")
            .args(["-L", &socket, "-f", "/dev/null", "new-session", "-d"])
            .args(["-x", &width.to_string(), "-y", "30", &command])
            .env_remove("TMUX")
            .status()
            .expect("tmux runs (install it to run these tests)");
        assert!(status.success(), "tmux starts a session");
        let terminal = Self { socket, home };
        terminal.wait_for("the prompt", |s| s.contains("quiver>"));
        terminal
    }

    fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("tmux runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Types `text` as a user would (byte by byte, so that `;` reaches
    /// the shell and is not read by tmux).
    fn type_text(&self, text: &str) {
        let hex: Vec<String> = text.bytes().map(|b| format!("{b:02x}")).collect();
        let mut args = vec!["send-keys", "-t", "0", "-H"];
        args.extend(hex.iter().map(String::as_str));
        self.tmux(&args);
    }

    /// Presses a key by its tmux name (`Enter`, `Tab`, `C-c`, `Up`).
    fn press(&self, key: &str) {
        self.tmux(&["send-keys", "-t", "0", key]);
    }

    fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-t", "0", "-p"])
    }

    /// Presses `key` every second until the screen satisfies `test` (at
    /// most thirty seconds).
    fn press_until(&self, key: &str, what: &str, test: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            self.press(key);
            let pressed = Instant::now();
            while pressed.elapsed() < Duration::from_secs(1) {
                if test(&self.screen()) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            assert!(
                Instant::now() < deadline,
                "the screen never showed {what}:\n{}",
                self.screen()
            );
        }
    }

    /// Waits up to twenty seconds for the screen to satisfy `test`.
    fn wait_for(&self, what: &str, test: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = self.screen();
            if test(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "the screen never showed {what}:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The shell's process id.
    fn pid(&self) -> u32 {
        self.tmux(&["list-panes", "-a", "-F", "#{pane_pid}"])
            .trim()
            .parse()
            .expect("a pane id")
    }

    fn home(&self) -> &Path {
        self.home.path()
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        self.tmux(&["kill-server"]);
    }
}

/// Resident memory of process `pid`, in MiB.
fn rss_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb / 1024)
}

#[test]
fn completion_offers_paths_tables_and_columns_with_a_candidate_list() {
    let t = Terminal::start("testdata/trips.parquet testdata/cities.csv", 100, None);
    t.type_text("SELECT * FROM 'testdata/tri");
    t.press("Tab");
    t.wait_for("the completed path", |s| {
        s.contains("SELECT * FROM 'testdata/trips.parquet")
    });
    t.press("C-c");
    t.type_text("SELECT * FROM ");
    t.press("Tab");
    t.press("Tab");
    t.wait_for("both tables listed", |s| {
        s.lines()
            .any(|l| l.contains("cities") && l.contains("trips"))
    });
    t.press("C-c");
    t.type_text("SELECT passen");
    t.press("Tab");
    t.wait_for("the completed column", |s| {
        s.contains("SELECT passenger_count")
    });
}

#[test]
fn completion_lists_s3_keys_when_s3_is_configured() {
    servers::create_bucket("completion");
    servers::put_object("completion", "sales/trips.parquet", b"PAR1", false);
    servers::put_object("completion", "sales/zones.csv", b"id\n1\n", false);
    let environment = servers::s3_environment();
    let env: Vec<(&str, &str)> = environment.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let t = Terminal::start_with_env("", 100, None, &env);
    t.type_text("SELECT * FROM 's3://completion/sa");
    // The first listing may outlast completion's patience while the S3
    // client starts on a loaded machine: Tab again until it answers.
    t.press_until("Tab", "the completed prefix", |s| {
        s.contains("'s3://completion/sales/")
    });
    t.type_text("t");
    t.press_until("Tab", "the completed key", |s| {
        s.contains("'s3://completion/sales/trips.parquet")
    });
}

#[test]
fn a_wide_result_fits_80_columns() {
    let t = Terminal::start("testdata/trips.parquet", 80, None);
    t.type_text("SELECT *, 'a note long enough to need cutting down to size' AS note FROM trips;");
    t.press("Enter");
    let screen = t.wait_for("the footer", |s| s.contains("columns ("));
    let table: Vec<&str> = screen
        .lines()
        .filter(|l| l.starts_with(['┌', '│', '├', '└']))
        .collect();
    assert!(!table.is_empty(), "{screen}");
    assert!(table.iter().all(|l| l.chars().count() <= 80), "{screen}");
    assert!(
        screen.contains("│ … │"),
        "a marker for left-out columns:\n{screen}"
    );
    assert!(
        screen.contains("20,000 rows (40 shown)  8 columns ("),
        "{screen}"
    );
    let gap = |line: &&&str| {
        line.contains('·') && line.chars().all(|c| matches!(c, '│' | '·' | '…' | ' '))
    };
    assert_eq!(
        table.iter().filter(gap).count(),
        3,
        "a gap between the first and last rows:\n{screen}"
    );
}

#[test]
fn ctrl_c_stops_a_running_join_shows_progress_and_returns_the_prompt() {
    let t = Terminal::start("testdata/trips.parquet", 100, None);
    let pid = t.pid();
    let idle = rss_mib(pid);
    t.type_text(
        "SELECT count(*) FROM trips a, trips b, 'testdata/trips.parquet' c WHERE a.fare + b.fare > c.fare * 3;",
    );
    t.press("Enter");
    t.wait_for("a progress bar", |s| s.contains('%') && s.contains('['));
    let started = Instant::now();
    t.press("C-c");
    let screen = t.wait_for("the prompt after the cancelled query", |s| {
        s.contains("query cancelled") && s.trim_end().ends_with("quiver>")
    });
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "stopped in {:?}",
        started.elapsed()
    );
    assert!(
        !screen.lines().any(|l| l.contains('%') && l.contains('[')),
        "the bar is cleared:\n{screen}"
    );
    assert!(
        rss_mib(pid) < idle + 200,
        "memory is given back: {idle} MiB before, {} after",
        rss_mib(pid)
    );
    // The shell still works, and a second Ctrl-C at an empty prompt leaves.
    t.type_text("SELECT 40 + 2 AS answer;");
    t.press("Enter");
    t.wait_for("the next answer", |s| s.contains("42"));
    t.press("C-c");
    t.wait_for("the hint to leave", |s| s.contains("Ctrl-C again"));
    t.press("C-c");
    let deadline = Instant::now() + Duration::from_secs(5);
    while Path::new(&format!("/proc/{pid}")).exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(t.tmux(&["list-panes"]).is_empty(), "the shell has exited");
}

#[test]
fn the_rc_file_runs_first_and_statements_span_lines_as_one_history_entry() {
    let t = Terminal::start("", 100, Some(".mode csv\n.timer off\n"));
    t.type_text("SELECT 1 AS a,");
    t.press("Enter");
    t.type_text("2 AS b;");
    t.press("Enter");
    t.wait_for("CSV from the rc file's mode", |s| s.contains("a,b\n1,2"));
    let history = std::fs::read_to_string(t.home().join(".quiver_history")).unwrap_or_default();
    assert!(
        history.contains("SELECT 1 AS a,") && history.contains("2 AS b;"),
        "the statement is in the history at once: {history:?}"
    );
    t.press("Up");
    t.wait_for("the whole statement recalled", |s| {
        let prompt = s.rfind("quiver> ").unwrap_or(0);
        s[prompt..].contains("SELECT 1 AS a,\n2 AS b;")
    });
}
