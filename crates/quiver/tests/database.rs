//! Database directories: what a session stores is there, the same, in the
//! next session; read-only and second-writer opens; damaged directories.

mod support;

use quiver::database::OpenMode;
use quiver::SessionContext;
use support::{error, rows};

async fn open(dir: &std::path::Path, mode: OpenMode) -> quiver::Result<SessionContext> {
    let ctx = SessionContext::new();
    let problems = ctx.open_database(dir.to_str().unwrap(), mode).await?;
    assert!(problems.is_empty(), "{problems:?}");
    Ok(ctx)
}

/// The error opening `dir` fails with.
async fn open_error(dir: &std::path::Path, mode: OpenMode) -> String {
    match open(dir, mode).await {
        Ok(_) => panic!("opening {} should fail", dir.display()),
        Err(e) => e.to_string(),
    }
}

async fn run(ctx: &SessionContext, sql: &str) {
    ctx.sql(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .collect()
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

#[tokio::test]
async fn what_a_session_stores_is_there_in_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.quiver");
    {
        let ctx = open(&db, OpenMode::ReadWrite).await.unwrap();
        for sql in [
            "CREATE TABLE items (id INTEGER NOT NULL, name VARCHAR DEFAULT 'unnamed', price DECIMAL(6,2), \
             added DATE, tags VARCHAR[], dims STRUCT(w DOUBLE, h DOUBLE), seen TIMESTAMP)",
            "INSERT INTO items VALUES (1, 'lamp', 19.99, DATE '2024-01-02', ['home', 'light'], {'w': 1.5, 'h': 2}, TIMESTAMP '2024-01-02 03:04:05')",
            "INSERT INTO items (id, price) VALUES (2, 5.00), (3, NULL)",
            "UPDATE items SET price = price * 2 WHERE id = 1",
            "DELETE FROM items WHERE id = 3",
            "INSERT INTO items (id) VALUES (4)",
            "ALTER TABLE items ADD COLUMN stock INTEGER DEFAULT 7",
            "CREATE TABLE empty (x BIGINT)",
            "CREATE TABLE gone AS SELECT 1 AS x",
            "DROP TABLE gone",
            "CREATE VIEW priced AS SELECT id, price FROM items WHERE price IS NOT NULL",
            "CREATE EXTERNAL TABLE trips STORED AS PARQUET LOCATION '../../testdata/trips.parquet'",
            "SET memory_limit = '3GB'",
        ] {
            run(&ctx, sql).await;
        }
    }
    let ctx = open(&db, OpenMode::ReadWrite).await.unwrap();
    assert_eq!(
        rows(
            &ctx,
            "SELECT id, name, price, added, tags, dims, seen, stock FROM items ORDER BY id"
        )
        .await
        .unwrap(),
        vec![
            "1,lamp,39.98,2024-01-02,[home, light],{'w': 1.5, 'h': 2.0},2024-01-02 03:04:05,7",
            "2,unnamed,5.00,NULL,NULL,NULL,NULL,7",
            "4,unnamed,NULL,NULL,NULL,NULL,NULL,7",
        ]
    );
    let columns = rows(&ctx, "DESCRIBE items").await.unwrap();
    assert_eq!(columns[0], "id,INTEGER,NO");
    assert_eq!(columns[2], "price,DECIMAL(6,2),YES");
    // Defaults survive: a new row takes them.
    run(&ctx, "INSERT INTO items (id) VALUES (5)").await;
    assert_eq!(
        rows(&ctx, "SELECT name, stock FROM items WHERE id = 5")
            .await
            .unwrap(),
        vec!["unnamed,7"]
    );
    assert_eq!(
        rows(&ctx, "SELECT count(*) FROM empty").await.unwrap(),
        vec!["0"]
    );
    assert!(ctx.sql("SELECT * FROM gone").await.is_err());
    assert_eq!(
        rows(&ctx, "SELECT id FROM priced ORDER BY id")
            .await
            .unwrap(),
        vec!["1", "2"]
    );
    assert_eq!(
        rows(&ctx, "SELECT count(*) FROM trips").await.unwrap(),
        vec!["20000"]
    );
    assert!(
        rows(&ctx, "SHOW memory_limit").await.unwrap()[0].starts_with("memory_limit,2.8 GiB,"),
        "the setting is restored"
    );
    // Only the files the catalog names are left.
    let data: Vec<_> = std::fs::read_dir(db.join("data")).unwrap().collect();
    assert_eq!(data.len(), 3, "items' rewrite and append, empty's file");
}

#[tokio::test]
async fn one_writer_at_a_time_and_readers_alongside() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shared.quiver");
    let writer = open(&db, OpenMode::ReadWrite).await.unwrap();
    run(&writer, "CREATE TABLE t AS SELECT 1 AS x").await;
    let second = open_error(&db, OpenMode::ReadWrite).await;
    assert!(
        second.contains("is open for writing in another process"),
        "{second}"
    );
    let reader = open(&db, OpenMode::ReadOnly).await.unwrap();
    assert_eq!(rows(&reader, "SELECT x FROM t").await.unwrap(), vec!["1"]);
    let refused = error(&reader, "INSERT INTO t VALUES (2)").await;
    assert!(refused.contains("is open read-only"), "{refused}");
    // Settings are the session's own; they are not stored.
    run(&reader, "SET memory_limit = '1GB'").await;
    drop(writer);
    open(&db, OpenMode::ReadWrite).await.unwrap();
}

#[tokio::test]
async fn damaged_or_foreign_directories_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.quiver");
    let err = open_error(&missing, OpenMode::ReadOnly).await;
    assert!(err.contains("does not exist"), "{err}");

    let foreign = dir.path().join("photos");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("cat.jpg"), "meow").unwrap();
    let err = open_error(&foreign, OpenMode::ReadWrite).await;
    assert!(err.contains("not a Quiver database"), "{err}");

    let db = dir.path().join("damaged.quiver");
    {
        let ctx = open(&db, OpenMode::ReadWrite).await.unwrap();
        run(&ctx, "CREATE TABLE t AS SELECT 1 AS x").await;
    }
    let catalog = std::fs::read_to_string(db.join("catalog.json")).unwrap();
    let file = std::fs::read_dir(db.join("data"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    std::fs::rename(&file, dir.path().join("aside.parquet")).unwrap();
    let err = open_error(&db, OpenMode::ReadWrite).await;
    assert!(
        err.contains("is corrupt") && err.contains("is missing"),
        "{err}"
    );
    std::fs::rename(dir.path().join("aside.parquet"), &file).unwrap();
    std::fs::write(db.join("catalog.json"), &catalog[..catalog.len() / 2]).unwrap();
    let err = open_error(&db, OpenMode::ReadWrite).await;
    assert!(err.contains("is corrupt: catalog.json"), "{err}");
    // Nothing stored was touched by the failed opens.
    std::fs::write(db.join("catalog.json"), &catalog).unwrap();
    let ctx = open(&db, OpenMode::ReadWrite).await.unwrap();
    assert_eq!(rows(&ctx, "SELECT x FROM t").await.unwrap(), vec!["1"]);
}

#[tokio::test]
async fn a_view_over_a_renamed_table_is_reported_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("renamed.quiver");
    {
        let ctx = open(&db, OpenMode::ReadWrite).await.unwrap();
        run(&ctx, "CREATE TABLE a AS SELECT 1 AS x").await;
        run(&ctx, "CREATE VIEW v AS SELECT x FROM a").await;
        run(&ctx, "ALTER TABLE a RENAME TO b").await;
    }
    let ctx = SessionContext::new();
    let problems = ctx
        .open_database(db.to_str().unwrap(), OpenMode::ReadWrite)
        .await
        .unwrap();
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0].to_string().contains("\"v\" of the database"),
        "{}",
        problems[0]
    );
    assert_eq!(rows(&ctx, "SELECT x FROM b").await.unwrap(), vec!["1"]);
}

#[tokio::test]
async fn constraints_are_stored_and_enforced_after_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("keys.quiver");
    {
        let ctx = open(&db, OpenMode::ReadWrite).await.unwrap();
        run(
            &ctx,
            "CREATE TABLE k (id INTEGER PRIMARY KEY, code VARCHAR, UNIQUE (code))",
        )
        .await;
        run(&ctx, "INSERT INTO k VALUES (1, 'a'), (2, 'b')").await;
    }
    {
        let ctx = open(&db, OpenMode::ReadWrite).await.unwrap();
        run(&ctx, "CREATE TABLE c (qty INTEGER CHECK (qty >= 0))").await;
    }
    let ctx = open(&db, OpenMode::ReadWrite).await.unwrap();
    let err = error(&ctx, "INSERT INTO c VALUES (-1)").await;
    assert!(err.contains("CHECK (qty >= 0) is false"), "{err}");
    let err = error(&ctx, "INSERT INTO k VALUES (2, 'c')").await;
    assert!(err.contains("violates the primary key constraint"), "{err}");
    let err = error(&ctx, "INSERT INTO k VALUES (3, 'a')").await;
    assert!(err.contains("violates the unique constraint"), "{err}");
    run(&ctx, "INSERT INTO k VALUES (3, 'c')").await;
    let columns = rows(&ctx, "DESCRIBE k").await.unwrap();
    assert_eq!(columns[0], "id,INTEGER,NO", "a primary key is NOT NULL");
    // A replaced row is stored as replaced.
    run(&ctx, "CREATE TABLE r (id INTEGER PRIMARY KEY, v VARCHAR)").await;
    run(&ctx, "INSERT INTO r VALUES (1, 'a'), (2, 'b')").await;
    run(&ctx, "INSERT OR REPLACE INTO r VALUES (1, 'z')").await;
    drop(ctx);
    let ctx = open(&db, OpenMode::ReadWrite).await.unwrap();
    assert_eq!(
        rows(&ctx, "SELECT id, v FROM r ORDER BY id").await.unwrap(),
        vec!["1,z", "2,b"]
    );
}

#[tokio::test]
async fn a_transaction_is_stored_at_commit_and_a_rollback_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bank.quiver");
    {
        let ctx = open(&db, OpenMode::ReadWrite).await.unwrap();
        run(&ctx, "CREATE TABLE accounts (id INTEGER, balance INTEGER)").await;
        run(&ctx, "INSERT INTO accounts VALUES (1, 100), (2, 50)").await;
        run(&ctx, "BEGIN").await;
        run(
            &ctx,
            "UPDATE accounts SET balance = balance - 30 WHERE id = 1",
        )
        .await;
        run(
            &ctx,
            "UPDATE accounts SET balance = balance + 30 WHERE id = 2",
        )
        .await;
        // Nothing is stored before COMMIT: another reader sees the old state.
        let reader = open(&db, OpenMode::ReadOnly).await.unwrap();
        assert_eq!(
            rows(
                &reader,
                "SELECT sum(balance) FILTER (WHERE id = 1) FROM accounts"
            )
            .await
            .unwrap(),
            vec!["100"]
        );
        run(&ctx, "COMMIT").await;
        run(&ctx, "BEGIN").await;
        run(&ctx, "DELETE FROM accounts").await;
        run(
            &ctx,
            "CREATE VIEW rich AS SELECT * FROM accounts WHERE balance > 60",
        )
        .await;
        run(&ctx, "ROLLBACK").await;
        assert_eq!(
            rows(&ctx, "SELECT count(*) FROM accounts").await.unwrap(),
            vec!["2"]
        );
    }
    let ctx = open(&db, OpenMode::ReadWrite).await.unwrap();
    assert_eq!(
        rows(&ctx, "SELECT id, balance FROM accounts ORDER BY id")
            .await
            .unwrap(),
        vec!["1,70", "2,80"]
    );
    assert!(ctx.sql("SELECT * FROM rich").await.is_err());
}

#[tokio::test]
async fn temporary_objects_and_upserts_are_stored_as_they_should_be() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("temp.quiver");
    {
        let ctx = open(&db, OpenMode::ReadWrite).await.unwrap();
        run(
            &ctx,
            "CREATE TABLE kept (id INTEGER PRIMARY KEY, v INTEGER)",
        )
        .await;
        run(&ctx, "INSERT INTO kept VALUES (1, 10), (2, 20)").await;
        run(
            &ctx,
            "INSERT INTO kept VALUES (2, 5), (3, 30) ON CONFLICT DO UPDATE SET v = v + excluded.v",
        )
        .await;
        run(&ctx, "CREATE TEMP TABLE scratch AS SELECT 1 AS a").await;
        run(&ctx, "INSERT INTO scratch VALUES (2)").await;
        run(&ctx, "ALTER TABLE scratch RENAME TO scratch2").await;
        run(
            &ctx,
            "CREATE TEMP VIEW tv AS SELECT sum(a) AS s FROM scratch2",
        )
        .await;
        run(&ctx, "CREATE TEMP MACRO twice(x) AS x * 2").await;
        assert_eq!(
            rows(&ctx, "SELECT twice(s) FROM tv").await.unwrap(),
            vec!["6"]
        );
        let err = error(&ctx, "CREATE TEMP TABLE kept (x INTEGER)").await;
        assert!(err.contains("\"kept\" is a permanent object"), "{err}");
        // A permanent table made in a dropped temporary one's place is stored.
        run(&ctx, "CREATE TEMP TABLE later AS SELECT 1 AS x").await;
        run(&ctx, "DROP TABLE later").await;
        run(&ctx, "CREATE TABLE later AS SELECT 2 AS x").await;
    }
    let ctx = open(&db, OpenMode::ReadOnly).await.unwrap();
    assert_eq!(
        rows(&ctx, "SELECT id, v FROM kept ORDER BY id")
            .await
            .unwrap(),
        vec!["1,10", "2,25", "3,30"]
    );
    assert_eq!(rows(&ctx, "SELECT x FROM later").await.unwrap(), vec!["2"]);
    for gone in [
        "SELECT * FROM scratch2",
        "SELECT * FROM tv",
        "SELECT twice(1)",
    ] {
        assert!(rows(&ctx, gone).await.is_err(), "{gone} is still there");
    }
    // A read-only database still takes temporary tables.
    run(&ctx, "CREATE TEMP TABLE mine AS SELECT 7 AS z").await;
    assert_eq!(rows(&ctx, "SELECT z FROM mine").await.unwrap(), vec!["7"]);
}

#[tokio::test]
async fn schemas_and_what_they_hold_are_stored_and_dropped_with_them() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("schemas.quiver");
    {
        let ctx = open(&db, OpenMode::ReadWrite).await.unwrap();
        for sql in [
            "CREATE SCHEMA staging",
            "CREATE SCHEMA spare",
            "CREATE TABLE staging.raw AS SELECT 1 AS a",
            "INSERT INTO staging.raw VALUES (2)",
            "CREATE VIEW staging.doubled AS SELECT a * 2 AS d FROM staging.raw",
            "CREATE TABLE raw AS SELECT 10 AS a",
            "BEGIN",
            "CREATE SCHEMA rolled_back",
            "ROLLBACK",
        ] {
            run(&ctx, sql).await;
        }
    }
    {
        let ctx = open(&db, OpenMode::ReadWrite).await.unwrap();
        assert_eq!(
            rows(&ctx, "SELECT d FROM staging.doubled ORDER BY d")
                .await
                .unwrap(),
            vec!["2", "4"]
        );
        assert_eq!(rows(&ctx, "SELECT a FROM raw").await.unwrap(), vec!["10"]);
        assert_eq!(
            rows(
                &ctx,
                "SELECT schema_name FROM information_schema.schemata ORDER BY 1"
            )
            .await
            .unwrap(),
            vec!["information_schema", "main", "spare", "staging"]
        );
        let err = error(&ctx, "DROP SCHEMA staging").await;
        assert!(err.contains("CASCADE drops them too"), "{err}");
        run(&ctx, "DROP SCHEMA staging CASCADE").await;
    }
    let ctx = open(&db, OpenMode::ReadWrite).await.unwrap();
    let err = error(&ctx, "SELECT * FROM staging.raw").await;
    assert!(err.contains("schema \"staging\" does not exist"), "{err}");
    run(&ctx, "CREATE SCHEMA staging").await;
    let err = error(&ctx, "SELECT * FROM staging.raw").await;
    assert!(err.contains("not found in schema \"staging\""), "{err}");
    assert_eq!(rows(&ctx, "SELECT a FROM raw").await.unwrap(), vec!["10"]);
}
