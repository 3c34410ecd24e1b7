//! Runs every `sqllogictest/test_files/**/*.slt` file, each in a fresh
//! session, from the repository root (so files can name `testdata/...`).
//! Pass a substring to run only the matching files:
//! `cargo test -p quiver-sqllogictest --test sqllogictests -- aggregate`.

use std::path::{Path, PathBuf};

use quiver_sqllogictest::QuiverDb;

fn slt_files(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            slt_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "slt") {
            out.push(path);
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = crate_dir
        .parent()
        .expect("the runner lives one level below the repository root");
    std::env::set_current_dir(root).expect("repository root is readable");
    let filter: Option<String> = std::env::args().skip(1).find(|a| !a.starts_with('-'));

    let mut files = vec![];
    slt_files(&crate_dir.join("test_files"), &mut files).expect("test_files is readable");
    files.sort();
    let (mut passed, mut failed) = (0, 0);
    for file in files {
        let name = file
            .strip_prefix(crate_dir)
            .unwrap_or(&file)
            .display()
            .to_string();
        if filter.as_ref().is_some_and(|f| !name.contains(f.as_str())) {
            continue;
        }
        let mut runner = sqllogictest::Runner::new(|| async { Ok(QuiverDb::new()) });
        match runner.run_file_async(&file).await {
            Ok(()) => {
                println!("ok      {name}");
                passed += 1;
            }
            Err(e) => {
                println!("FAILED  {name}\n{e}\n");
                failed += 1;
            }
        }
    }
    println!("\nsqllogictest: {passed} passed, {failed} failed");
    if failed > 0 {
        std::process::exit(1);
    }
}
