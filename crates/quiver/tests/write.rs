//! Tables in memory and writing files: CREATE TABLE, INSERT, CREATE TABLE
//! AS, COPY .. TO (plain and partitioned), and the DataFrame writers, all
//! read back through the engine; failed writes leave nothing behind.

mod support;

use quiver::SessionContext;
use support::{count, error, rows};

/// Every file below `root` (hidden ones too), relative to it.
fn files_below(root: &std::path::Path) -> Vec<String> {
    fn walk(root: &std::path::Path, dir: &std::path::Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.push(path.strip_prefix(root).unwrap().display().to_string());
            }
        }
    }
    let mut out = vec![];
    walk(root, root, &mut out);
    out.sort();
    out
}

#[tokio::test]
async fn tables_in_memory_take_inserts_and_queries() {
    let ctx = SessionContext::new();
    ctx.sql("CREATE TABLE t (id INT NOT NULL, name VARCHAR, price DECIMAL(6,2))")
        .await
        .unwrap();
    assert_eq!(
        count(&ctx, "INSERT INTO t VALUES (1, 'a', 1.5), (2, NULL, 2)").await,
        2
    );
    assert_eq!(
        count(&ctx, "INSERT INTO t (price, id) SELECT 9.99, 3").await,
        1
    );
    assert_eq!(
        rows(&ctx, "SELECT id, name, price FROM t ORDER BY id")
            .await
            .unwrap(),
        vec!["1,a,1.50", "2,NULL,2.00", "3,NULL,9.99"]
    );
    let err = error(&ctx, "INSERT INTO t VALUES (NULL, 'x', 1)").await;
    assert!(err.contains("NOT NULL"), "{err}");
    assert_eq!(
        count(&ctx, "SELECT count(*) FROM t").await,
        3,
        "nothing half-inserted"
    );

    ctx.sql("CREATE TABLE totals AS SELECT name IS NULL AS unnamed, sum(price) AS total FROM t GROUP BY 1")
        .await
        .unwrap();
    assert_eq!(
        rows(&ctx, "SELECT * FROM totals ORDER BY unnamed")
            .await
            .unwrap(),
        vec!["false,1.50", "true,11.99"]
    );
    let err = error(&ctx, "CREATE TABLE t (x INT)").await;
    assert!(err.contains("already exists"), "{err}");
    ctx.sql("CREATE OR REPLACE TABLE t AS SELECT 1 AS x")
        .await
        .unwrap();
    assert_eq!(rows(&ctx, "SELECT * FROM t").await.unwrap(), vec!["1"]);
    ctx.sql("DROP TABLE t").await.unwrap();
    ctx.sql("DROP TABLE IF EXISTS t").await.unwrap();
}

#[tokio::test]
async fn inserting_into_files_or_with_wrong_shapes_is_refused() {
    let ctx = SessionContext::new();
    ctx.register_parquet("trips", "../../testdata/trips.parquet")
        .await
        .unwrap();
    let err = error(&ctx, "INSERT INTO trips SELECT * FROM trips").await;
    assert!(err.contains("cannot INSERT into a parquet table"), "{err}");
    ctx.sql("CREATE TABLE t (a INT, b INT)").await.unwrap();
    let err = error(&ctx, "INSERT INTO t VALUES (1, 2, 3)").await;
    assert!(
        err.contains("names 2 columns but the query produces 3"),
        "{err}"
    );
    let err = error(&ctx, "INSERT INTO t (c) VALUES (1)").await;
    assert!(err.contains("has no column \"c\""), "{err}");
    let err = error(&ctx, "INSERT INTO t VALUES ('x', 1)").await;
    assert!(err.contains("cannot convert 'x' to INTEGER"), "{err}");
}

#[tokio::test]
async fn copy_writes_files_that_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let at = |name: &str| dir.path().join(name).display().to_string();
    let ctx = SessionContext::new();
    ctx.sql("CREATE TABLE t AS SELECT * FROM (VALUES (1, 'x', 'a,b'), (2, NULL, 'c'), (3, 'z', NULL)) v(id, s, note)")
        .await
        .unwrap();
    let copy = |target: String, options: &str| format!("COPY t TO '{target}' {options}");
    assert_eq!(
        count(&ctx, &copy(at("t.parquet"), "(COMPRESSION snappy)")).await,
        3
    );
    assert_eq!(count(&ctx, &copy(at("t.csv"), "")).await, 3);
    assert_eq!(count(&ctx, &copy(at("t.json"), "")).await, 3);
    let missing = ctx
        .sql(&copy(
            at("nested/dir/t.tsv"),
            "(FORMAT csv, DELIMITER '\\t')",
        ))
        .await
        .unwrap_err()
        .to_string();
    assert!(
        missing.contains("directory")
            && missing.contains("does not exist")
            && missing.contains("MKDIRS"),
        "{missing}"
    );
    assert_eq!(
        count(
            &ctx,
            &copy(
                at("nested/dir/t.tsv"),
                "(FORMAT csv, DELIMITER '\\t', MKDIRS true)"
            )
        )
        .await,
        3
    );
    let expected = vec!["1,x,a,b", "2,NULL,c", "3,z,NULL"];
    for file in ["t.parquet", "t.csv"] {
        let sql = format!("SELECT id, s, note FROM '{}' ORDER BY id", at(file));
        assert_eq!(rows(&ctx, &sql).await.unwrap(), expected, "{file}");
    }
    let json = std::fs::read_to_string(at("t.json")).unwrap();
    assert_eq!(
        json.lines().next(),
        Some(r#"{"id":1,"s":"x","note":"a,b"}"#)
    );
    assert!(json.contains(r#""s":null"#), "{json}");
    let tsv = std::fs::read_to_string(at("nested/dir/t.tsv")).unwrap();
    assert!(tsv.starts_with("id\ts\tnote\n1\tx\ta,b\n"), "{tsv}");

    let partitioned = format!(
        "COPY (SELECT id, s, id % 2 AS odd, 'k/' || CAST(id AS VARCHAR) AS key FROM t) TO '{}' (FORMAT parquet, PARTITION_BY (odd))",
        at("parts")
    );
    assert_eq!(count(&ctx, &partitioned).await, 3);
    assert_eq!(
        files_below(&dir.path().join("parts")),
        vec!["odd=0/data_0.parquet", "odd=1/data_0.parquet"]
    );
    let odd = format!(
        "SELECT id, s FROM '{}' ORDER BY id",
        at("parts/odd=1/data_0.parquet")
    );
    assert_eq!(rows(&ctx, &odd).await.unwrap(), vec!["1,x", "3,z"]);
}

#[tokio::test]
async fn tuples_and_nested_uuids_are_written_as_duckdb_writes_them() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t.parquet").display().to_string();
    let ctx = SessionContext::new();
    let copy = format!(
        "COPY (SELECT row(1, 'a') AS t, [row(row(2), 3)] AS l, \
         {{'k': ['550e8400-e29b-41d4-a716-446655440000'::UUID]}} AS s) TO '{file}'"
    );
    assert_eq!(count(&ctx, &copy).await, 1);
    // A Parquet field needs a name: a tuple's fields are element1, element2,
    // … at every depth, as DuckDB writes them.
    let types = format!("SELECT typeof(t), typeof(l), typeof(s) FROM '{file}'");
    assert_eq!(
        rows(&ctx, &types).await.unwrap(),
        vec![
            "STRUCT(element1 BIGINT, element2 VARCHAR),\
             STRUCT(element1 STRUCT(element1 BIGINT), element2 BIGINT)[],\
             STRUCT(k UUID[])"
        ]
    );
    let values = format!("SELECT t.element2, l[1].element1.element1, s.k[1] FROM '{file}'");
    assert_eq!(
        rows(&ctx, &values).await.unwrap(),
        vec!["a,2,550e8400-e29b-41d4-a716-446655440000"]
    );
    // JSON writes a tuple as the array of its fields, each of its own type.
    let json = dir.path().join("t.json").display().to_string();
    let copy = format!("COPY (SELECT row(1, 'a') AS t, [row(row(2), NULL)] AS l) TO '{json}'");
    assert_eq!(count(&ctx, &copy).await, 1);
    assert_eq!(
        std::fs::read_to_string(&json).unwrap(),
        "{\"t\":[1,\"a\"],\"l\":[[[2],null]]}\n"
    );
}

#[tokio::test]
async fn a_failing_write_leaves_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = SessionContext::new();
    let target = dir.path().join("bad.parquet").display().to_string();
    let sql = format!(
        "COPY (SELECT 10 / (x - 19500) AS y FROM (SELECT trip_id AS x FROM '../../testdata/trips.parquet')) TO '{target}'"
    );
    let err = error(&ctx, &sql).await;
    assert!(err.contains("division by zero"), "{err}");
    assert!(
        files_below(dir.path()).is_empty(),
        "{:?}",
        files_below(dir.path())
    );
}

#[tokio::test]
async fn dataframes_write_parquet_csv_and_json() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = SessionContext::new();
    let frame = ctx
        .sql("SELECT vendor, count(*) AS n FROM '../../testdata/trips.parquet' GROUP BY vendor")
        .await
        .unwrap();
    let path = |name: &str| dir.path().join(name).display().to_string();
    assert_eq!(frame.write_parquet(&path("v.parquet")).await.unwrap(), 3);
    assert_eq!(frame.write_csv(&path("v.csv")).await.unwrap(), 3);
    assert_eq!(frame.write_json(&path("v.json")).await.unwrap(), 3);
    let total = format!("SELECT sum(n) FROM '{}'", path("v.parquet"));
    assert_eq!(count(&ctx, &total).await, 20_000);
    let from_csv = format!("SELECT sum(n) FROM '{}'", path("v.csv"));
    assert_eq!(count(&ctx, &from_csv).await, 20_000);
}

#[tokio::test]
async fn partitioned_directories_read_back_with_typed_columns_and_pruning() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("sales").display().to_string();
    let ctx = SessionContext::new();
    let copy = format!(
        "COPY (SELECT * FROM (VALUES (2023, 'eu/west', 1), (2023, 'us', 2), (2024, 'eu/west', 3), (2024, NULL, 4)) v(year, region, amount)) \
         TO '{root}' (FORMAT parquet, PARTITION_BY (year, region))"
    );
    assert_eq!(count(&ctx, &copy).await, 4);
    assert!(files_below(dir.path())
        .contains(&"sales/year=2023/region=eu%2Fwest/data_0.parquet".to_string()));
    let sql = format!("SELECT amount, year, region FROM '{root}' ORDER BY amount");
    assert_eq!(
        rows(&ctx, &sql).await.unwrap(),
        vec![
            "1,2023,eu/west",
            "2,2023,us",
            "3,2024,eu/west",
            "4,2024,NULL"
        ]
    );
    let typed = format!("SELECT sum(year) FROM '{root}' WHERE year > 2023");
    assert_eq!(count(&ctx, &typed).await, 4048, "year is a BIGINT column");
    // Only the matching directory is scanned.
    let explain =
        format!("EXPLAIN SELECT amount FROM '{root}' WHERE year = 2024 AND region = 'eu/west'");
    let plan = rows(&ctx, &explain).await.unwrap().join("\n");
    assert_eq!(plan.matches("ParquetExec").count(), 1, "{plan}");
    let pruned = format!("SELECT amount FROM '{root}' WHERE year = 2024 AND region = 'eu/west'");
    assert_eq!(rows(&ctx, &pruned).await.unwrap(), vec!["3"]);
    let none = format!("SELECT count(*) FROM '{root}' WHERE year = 1999");
    assert_eq!(count(&ctx, &none).await, 0);
}

#[tokio::test]
async fn globs_and_files_below_partition_directories_keep_the_partition_columns() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("sales").display().to_string();
    let ctx = SessionContext::new();
    let copy = format!(
        "COPY (SELECT * FROM (VALUES (2023, 'eu', 1), (2023, 'us', 2), (2024, 'eu', 3), (2024, NULL, 4)) v(year, region, amount)) \
         TO '{root}' (FORMAT parquet, PARTITION_BY (year, region))"
    );
    assert_eq!(count(&ctx, &copy).await, 4);
    let all = vec!["1,2023,eu", "2,2023,us", "3,2024,eu", "4,2024,NULL"];
    for glob in [
        "**/*.parquet",
        "*/*/*.parquet",
        "year=*/region=*/data_*.parquet",
    ] {
        let sql = format!("SELECT amount, year, region FROM '{root}/{glob}' ORDER BY amount");
        assert_eq!(rows(&ctx, &sql).await.unwrap(), all, "{glob}");
        let sql = format!(
            "SELECT amount, year, region FROM read_parquet('{root}/{glob}') ORDER BY amount"
        );
        assert_eq!(rows(&ctx, &sql).await.unwrap(), all, "{glob}");
    }
    // Only the directories a filter keeps are read.
    let explain = format!("EXPLAIN SELECT amount FROM '{root}/*/*/*.parquet' WHERE year = 2024");
    let plan = rows(&ctx, &explain).await.unwrap().join("\n");
    assert_eq!(plan.matches("ParquetExec").count(), 2, "{plan}");
    // A glob below one partition, and one file, still carry the values in their paths.
    let one = format!("SELECT amount, year, region FROM '{root}/year=2024/region=eu/*.parquet'");
    assert_eq!(rows(&ctx, &one).await.unwrap(), vec!["3,2024,eu"]);
    let file = format!("SELECT * FROM '{root}/year=2023/region=us/data_0.parquet'");
    assert_eq!(rows(&ctx, &file).await.unwrap(), vec!["2,2023,us"]);
    // Switched off, only the files' own columns are read.
    let plain = format!(
        "SELECT * FROM read_parquet('{root}/*/*/*.parquet', hive_partitioning = false) ORDER BY amount"
    );
    assert_eq!(rows(&ctx, &plain).await.unwrap(), vec!["1", "2", "3", "4"]);
    let bad =
        format!("SELECT * FROM read_parquet('{root}/*/*/*.parquet', hive_partitioning => 'maybe')");
    assert!(error(&ctx, &bad)
        .await
        .contains("hive_partitioning must be true or false"));
    // Files matched at different partition depths are an error naming both.
    let stray = dir
        .path()
        .join("sales/year=2023/extra.parquet")
        .display()
        .to_string();
    ctx.sql(&format!("COPY (SELECT 9 AS amount) TO '{stray}'"))
        .await
        .unwrap();
    let err = error(&ctx, &format!("SELECT * FROM '{root}/**/*.parquet'")).await;
    assert!(
        err.contains("partitioned differently") && err.contains("year=2023'"),
        "{err}"
    );
}

#[tokio::test]
async fn inconsistent_partition_layouts_are_an_error_naming_files() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = SessionContext::new();
    let a = dir
        .path()
        .join("t/year=2024/a.parquet")
        .display()
        .to_string();
    let b = dir.path().join("t/b.parquet").display().to_string();
    ctx.sql(&format!("COPY (SELECT 1 AS x) TO '{a}' (MKDIRS true)"))
        .await
        .unwrap();
    ctx.sql(&format!("COPY (SELECT 2 AS x) TO '{b}'"))
        .await
        .unwrap();
    let root = dir.path().join("t").display().to_string();
    let err = error(&ctx, &format!("SELECT * FROM '{root}'")).await;
    assert!(
        err.contains("partitioned differently")
            && err.contains("year=2024")
            && err.contains("b.parquet"),
        "{err}"
    );
}

#[tokio::test]
async fn parquet_files_with_different_columns_merge() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = SessionContext::new();
    let file = |n: &str| dir.path().join("t").join(n).display().to_string();
    ctx.sql(&format!(
        "COPY (SELECT CAST(1 AS INTEGER) AS a, 'x' AS b) TO '{}' (MKDIRS true)",
        file("1.parquet")
    ))
    .await
    .unwrap();
    ctx.sql(&format!(
        "COPY (SELECT CAST(5000000000 AS BIGINT) AS a, 2.5 AS c) TO '{}'",
        file("2.parquet")
    ))
    .await
    .unwrap();
    let root = dir.path().join("t").display().to_string();
    assert_eq!(
        rows(&ctx, &format!("SELECT a, b, c FROM '{root}' ORDER BY a"))
            .await
            .unwrap(),
        vec!["1,x,NULL", "5000000000,NULL,2.5"]
    );
    assert_eq!(
        count(&ctx, &format!("SELECT count(*) FROM '{root}'")).await,
        2
    );
    assert_eq!(
        count(&ctx, &format!("SELECT count(c) FROM '{root}'")).await,
        1
    );
    ctx.sql(&format!(
        "COPY (SELECT DATE '2024-01-01' AS a) TO '{}'",
        file("3.parquet")
    ))
    .await
    .unwrap();
    let err = error(&ctx, &format!("SELECT * FROM '{root}'")).await;
    assert!(
        err.contains("column \"a\" is") && err.contains("3.parquet"),
        "{err}"
    );
}

#[tokio::test]
async fn pruned_partition_directories_are_never_opened() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = SessionContext::new();
    let root = dir.path().join("p");
    for year in [2023, 2024] {
        let file = root
            .join(format!("year={year}/data.parquet"))
            .display()
            .to_string();
        ctx.sql(&format!(
            "COPY (SELECT {year} * 10 AS v) TO '{file}' (MKDIRS true)"
        ))
        .await
        .unwrap();
    }
    let broken = root.join("year=2025");
    std::fs::create_dir_all(&broken).unwrap();
    std::fs::write(broken.join("data.parquet"), b"not parquet at all").unwrap();
    let root = root.display().to_string();
    let sql = format!("SELECT v FROM '{root}' WHERE year = 2024");
    assert_eq!(rows(&ctx, &sql).await.unwrap(), vec!["20240"]);
    let err = rows(&ctx, &format!("SELECT count(*) FROM '{root}'"))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("year=2025"), "{err}");
}

#[tokio::test]
async fn a_write_to_more_partitions_than_open_files_continues_them_in_new_files() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("parts").display().to_string();
    let ctx = SessionContext::with_config(quiver::SessionConfig::new().with_batch_size(100));
    let digits = "(SELECT * FROM (VALUES (0),(1),(2),(3),(4),(5),(6),(7),(8),(9)) v(d))";
    // 2,000 numbers, arriving in batches of 100; 600 partitions of 3 or 4
    // rows, written 2 rows at a time, so that partitions written early are
    // closed to open later ones and then continue in a second file.
    let numbers = format!(
        "SELECT a.d * 1000 + b.d * 100 + c.d * 10 + e.d AS n \
         FROM (SELECT * FROM {digits} WHERE d < 2) a, {digits} b, {digits} c, {digits} e"
    );
    let copy = format!(
        "COPY (SELECT n, n % 600 AS p FROM ({numbers}) ORDER BY n) \
         TO '{root}' (FORMAT parquet, ROW_GROUP_SIZE 2, PARTITION_BY (p))"
    );
    assert_eq!(count(&ctx, &copy).await, 2000);
    let files = files_below(dir.path());
    assert!(files.iter().all(|f| !f.contains(".tmp")), "{files:?}");
    assert!(
        files.iter().any(|f| f.ends_with("/data_1.parquet")),
        "{files:?}"
    );
    // Read back as one hive table of 600 directories: planning opens each
    // directory's files (more than 128 once hung planning for ever).
    let check = format!("SELECT count(*), sum(n), count(DISTINCT p) FROM '{root}'");
    assert_eq!(rows(&ctx, &check).await.unwrap(), vec!["2000,1999000,600"]);
    let misplaced = format!("SELECT count(*) FROM '{root}' WHERE n % 600 <> p");
    assert_eq!(count(&ctx, &misplaced).await, 0);
    // A partition split over two files holds its rows, and only those.
    let first = format!("SELECT n FROM '{root}/p=0' ORDER BY n");
    assert_eq!(
        rows(&ctx, &first).await.unwrap(),
        vec!["0", "600", "1200", "1800"]
    );
    assert!(files.contains(&"parts/p=0/data_1.parquet".to_string()));
}
