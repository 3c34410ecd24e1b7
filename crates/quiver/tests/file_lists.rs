//! Several files read as one table: a list of locations, `filename =
//! true` (each row's file, which a filter on it prunes) and `union_by_name
//! = true` (columns matched by name, NULL where a file lacks one, types
//! widened to a common one).

mod support;

use quiver::SessionContext;
use support::{error, rows};

/// Writes `files` (name, contents) into a fresh directory.
fn directory(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, contents) in files {
        std::fs::write(dir.path().join(name), contents).unwrap();
    }
    dir
}

#[tokio::test]
async fn files_with_different_columns_unite_by_name() {
    let dir = directory(&[
        ("a.csv", "id,name\n1,x\n2,y\n"),
        ("b.csv", "score,id\n2.5,3\n"),
    ]);
    let at = |f: &str| dir.path().join(f).display().to_string();
    let ctx = SessionContext::new();
    let sql = format!(
        "SELECT id, name, score FROM read_csv(['{}', '{}'], union_by_name = true) ORDER BY id",
        at("a.csv"),
        at("b.csv")
    );
    assert_eq!(
        rows(&ctx, &sql).await.unwrap(),
        ["1,x,NULL", "2,y,NULL", "3,NULL,2.5"]
    );
    let glob = format!("{}/*.csv", dir.path().display());
    let named = format!(
        "SELECT filename, count(*), sum(id) FROM read_csv('{glob}', union_by_name = true, \
         filename = true) WHERE filename LIKE '%b.csv' GROUP BY filename"
    );
    assert_eq!(
        rows(&ctx, &named).await.unwrap(),
        [format!("{},1,3", at("b.csv"))]
    );
    let mixed = format!(
        "SELECT * FROM read_csv(['{}', '{}'])",
        at("a.csv"),
        at("b.csv")
    );
    let err = error(&ctx, &mixed).await;
    assert!(err.contains("union_by_name = true"), "{err}");
}

#[tokio::test]
async fn a_column_of_two_types_takes_their_common_type() {
    let dir = directory(&[
        ("a.csv", "v\n1\n"),
        ("b.csv", "v\n2.5\n"),
        ("c.csv", "v\nx\n"),
    ]);
    let at = |f: &str| dir.path().join(f).display().to_string();
    let ctx = SessionContext::new();
    let sql = format!(
        "SELECT typeof(min(v)), sum(v) FROM read_csv(['{}', '{}'], union_by_name = true)",
        at("a.csv"),
        at("b.csv")
    );
    assert_eq!(rows(&ctx, &sql).await.unwrap(), ["DOUBLE,3.5"]);
    let text = format!(
        "SELECT v FROM read_csv(['{}', '{}'], union_by_name = true) ORDER BY v",
        at("a.csv"),
        at("c.csv")
    );
    assert_eq!(rows(&ctx, &text).await.unwrap(), ["1", "x"]);
}
