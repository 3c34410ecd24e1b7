//! The README's examples run as written: every `console` block's commands
//! print exactly the output shown, every `sql` block runs over the sample
//! tables (those naming S3 or HTTP locations need a server and are run
//! against one in `crates/quiver/tests/remote.rs` instead), the first
//! command opens the shell over files that exist, and the Rust program is
//! the compiled example `crates/quiver/examples/query_files.rs`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the repository root")
}

fn readme() -> String {
    std::fs::read_to_string(repo_root().join("README.md")).expect("README.md")
}

/// The fenced blocks of `markdown` whose info string is `kind`.
fn blocks(markdown: &str, kind: &str) -> Vec<String> {
    let fence = format!("```{kind}\n");
    let mut found = vec![];
    let mut rest = markdown;
    while let Some(start) = rest.find(&fence) {
        let body = &rest[start + fence.len()..];
        let end = body.find("```").expect("a closed block");
        found.push(body[..end].to_string());
        rest = &body[end..];
    }
    found
}

/// The words of a command line, with single and double quotes as a POSIX
/// shell reads them.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = vec![];
    let mut word = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in line.chars() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => word.push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                in_word = true;
            }
            None if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            None => {
                word.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

fn quiver(args: &[String], directory: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_quiver"))
        .args(args)
        .current_dir(directory)
        .env("HOME", directory)
        .stdin(Stdio::null())
        .output()
        .expect("quiver runs")
}

#[test]
fn console_examples_print_what_the_readme_shows() {
    let mut commands = 0;
    for block in blocks(&readme(), "console") {
        let mut lines = block.lines().peekable();
        while let Some(line) = lines.next() {
            let command = line
                .strip_prefix("$ quiver ")
                .unwrap_or_else(|| panic!("a console block line that is not a command: {line}"));
            let mut expected = String::new();
            while let Some(output) = lines.next_if(|l| !l.starts_with("$ ")) {
                expected.push_str(output);
                expected.push('\n');
            }
            let out = quiver(&shell_words(command), &repo_root());
            assert!(
                out.status.success(),
                "{command}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(
                String::from_utf8_lossy(&out.stdout),
                expected,
                "the output of: quiver {command}"
            );
            commands += 1;
        }
    }
    assert!(commands >= 3, "the README shows its commands");
}

#[test]
fn sql_examples_run_over_the_sample_tables() {
    let root = repo_root();
    let mut ran = 0;
    for block in blocks(&readme(), "sql") {
        if block.contains("s3://") || block.contains("http://") || block.contains("https://") {
            continue;
        }
        let dir = tempfile::tempdir().expect("a working directory");
        std::os::unix::fs::symlink(root.join("testdata"), dir.path().join("testdata"))
            .expect("a link to the sample data");
        let script = dir.path().join("example.sql");
        std::fs::write(&script, &block).expect("the example written");
        let args: Vec<String> = vec![
            "testdata/trips.parquet".into(),
            "testdata/cities.csv".into(),
            "-csv".into(),
            "-f".into(),
            script.display().to_string(),
        ];
        let out = quiver(&args, dir.path());
        assert!(
            out.status.success(),
            "{block}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        ran += 1;
    }
    assert!(ran >= 1, "the README has SQL examples");
}

#[test]
fn the_first_command_opens_the_shell_over_bundled_files() {
    let first = blocks(&readme(), "sh")
        .into_iter()
        .next()
        .expect("a first command");
    let args = first
        .trim()
        .split_once(" -- ")
        .map(|(_, args)| shell_words(args))
        .expect("cargo run ... -- FILES");
    assert!(!args.is_empty());
    for file in &args {
        assert!(repo_root().join(file).is_file(), "{file} is bundled");
    }
    let mut with_query = args.clone();
    with_query.extend(["-csv".into(), "-c".into(), "SHOW TABLES".into()]);
    let out = quiver(&with_query, &repo_root());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "name,type\ncities,table\ntrips,table\n"
    );
}

#[test]
fn the_rust_example_is_the_compiled_one() {
    let program = blocks(&readme(), "rust")
        .into_iter()
        .next()
        .expect("a Rust example");
    let example =
        std::fs::read_to_string(repo_root().join("crates/quiver/examples/query_files.rs"))
            .expect("the example program");
    assert!(
        example.ends_with(&program),
        "README.md's Rust block and crates/quiver/examples/query_files.rs differ"
    );
}
