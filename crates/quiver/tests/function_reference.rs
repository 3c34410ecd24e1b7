//! The function reference (`docs/functions.md`) against the engine: every
//! function a user can call has an entry, every entry names a callable
//! function, every example gives its documented result, every function has
//! an sqllogictest case, and the file matches its rendering from the
//! registry. `QUIVER_UPDATE_DOCS=1` rewrites the file instead of comparing.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use quiver::function_reference::{callable_functions, markdown};
use quiver::pretty::rows_as_strings;
use quiver::SessionContext;
use quiver_functions::docs::FUNCTION_DOCS;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn every_callable_function_has_exactly_one_entry() {
    let callable: BTreeSet<String> = callable_functions().into_iter().map(|(n, _)| n).collect();
    let documented: Vec<&str> = FUNCTION_DOCS.iter().map(|d| d.name).collect();
    let unique: BTreeSet<&str> = documented.iter().copied().collect();
    assert_eq!(
        unique.len(),
        documented.len(),
        "a function is documented twice"
    );
    let missing: Vec<&String> = callable
        .iter()
        .filter(|n| !unique.contains(n.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "functions without an entry: {missing:?}"
    );
    let unknown: Vec<&&str> = unique.iter().filter(|n| !callable.contains(**n)).collect();
    assert!(unknown.is_empty(), "entries of no function: {unknown:?}");
}

#[tokio::test]
async fn every_example_gives_its_documented_result() {
    // Examples read the sample files by their paths from the repository root.
    std::env::set_current_dir(workspace()).unwrap();
    let ctx = SessionContext::new();
    let mut wrong = vec![];
    for doc in FUNCTION_DOCS {
        let sql = format!("SELECT {}", doc.example);
        let result = match ctx.sql(&sql).await {
            Ok(df) => df.collect().await,
            Err(e) => Err(e),
        };
        let got = match result {
            Ok(batches) => rows_as_strings(&batches, "NULL")
                .unwrap()
                .first()
                .and_then(|row| row.first().cloned())
                .unwrap_or_default(),
            Err(e) => format!("error: {e}"),
        };
        if got != doc.result {
            wrong.push(format!(
                "{}: {sql} gave {got:?}, documented {:?}",
                doc.name, doc.result
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_function_has_a_sqllogictest_case() {
    let dir = workspace().join("sqllogictest/test_files");
    let mut text = String::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "slt") {
            text.push_str(&std::fs::read_to_string(&path).unwrap().to_lowercase());
        }
    }
    let untested: Vec<String> = callable_functions()
        .into_iter()
        .map(|(name, _)| name)
        .filter(|name| {
            let called = format!("{name}(");
            // `now()`'s forms without parentheses count too.
            !text.contains(&called) && !text.contains(&format!(" {name} "))
        })
        .collect();
    assert!(
        untested.is_empty(),
        "functions no .slt file calls: {untested:?}"
    );
}

#[test]
fn the_reference_file_is_up_to_date() {
    let path = workspace().join("docs/functions.md");
    let rendered = markdown();
    if std::env::var_os("QUIVER_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &rendered).unwrap();
        return;
    }
    let written = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        written == rendered,
        "docs/functions.md is out of date: run QUIVER_UPDATE_DOCS=1 cargo test -p quiver \
         --test function_reference"
    );
}
