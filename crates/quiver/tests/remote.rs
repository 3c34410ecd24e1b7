//! Data in S3 and over HTTP, against real servers on loopback: moto's S3
//! server and nginx (see `support/servers.rs`). Objects are written with
//! COPY or uploaded as they are, read back through `s3://` and `http://`
//! locations (single objects, globs, prefixes, hive layouts), and every
//! failure names the location and says why.

mod support;

use quiver::SessionContext;
use std::time::Duration;

use support::faults::{Fault, FaultProxy};
use support::servers::{
    create_bucket, moto, nginx, nginx_requests, put_object, s3_request, s3_settings, web_root,
};
use support::{count, error, rows};

/// A session pointed at moto with `SET`, and a fresh bucket for one test.
async fn s3_session(bucket: &str) -> SessionContext {
    create_bucket(bucket);
    let ctx = SessionContext::new();
    for statement in s3_settings() {
        ctx.sql(&statement).await.unwrap();
    }
    ctx
}

/// The sample trips file, relative to this crate.
const TRIPS: &str = "../../testdata/trips.parquet";

#[tokio::test]
async fn copy_to_s3_reads_back_in_every_format() {
    let ctx = s3_session("formats").await;
    let query = "SELECT * FROM (VALUES (1, 'a', 2.5), (2, NULL, NULL), (3, 'c, d', -1.0)) v(id, name, score)";
    for ext in ["parquet", "csv", "json"] {
        let url = format!("s3://formats/out/data.{ext}");
        assert_eq!(count(&ctx, &format!("COPY ({query}) TO '{url}'")).await, 3);
        let back = format!("SELECT id, name, score FROM '{url}' ORDER BY id");
        assert_eq!(
            rows(&ctx, &back).await.unwrap(),
            vec!["1,a,2.5", "2,NULL,NULL", "3,c, d,-1.0"],
            "{ext}"
        );
    }
    let csv = "SELECT sum(id) FROM read_csv('s3://formats/out/data.csv', header => true)";
    assert_eq!(count(&ctx, csv).await, 6);
    let json = "SELECT count(name) FROM read_json('s3://formats/out/data.json')";
    assert_eq!(count(&ctx, json).await, 2);
    ctx.sql("CREATE EXTERNAL TABLE t STORED AS PARQUET LOCATION 's3://formats/out/data.parquet'")
        .await
        .unwrap();
    assert_eq!(count(&ctx, "SELECT max(id) FROM t").await, 3);
}

#[tokio::test]
async fn a_large_copy_uploads_in_parts_and_matches_the_local_file() {
    let ctx = s3_session("large").await;
    // Uncompressed and repeated so the object spans several 5 MiB parts.
    let copy = format!(
        "COPY (SELECT a.* FROM '{TRIPS}' a, (VALUES (1), (2), (3), (4), (5), (6), (7), (8)) r(n)) \
         TO 's3://large/trips.csv'"
    );
    assert_eq!(count(&ctx, &copy).await, 160_000);
    let summary =
        |from: &str| format!("SELECT count(*), sum(trip_id), count(DISTINCT vendor) FROM {from}");
    let remote = rows(&ctx, &summary("'s3://large/trips.csv'"))
        .await
        .unwrap();
    let local = rows(&ctx, &summary(&format!("'{TRIPS}'"))).await.unwrap();
    let local_times_eight: Vec<i64> = local[0]
        .split(',')
        .map(|v| v.parse::<i64>().unwrap())
        .collect();
    assert_eq!(
        remote,
        vec![format!(
            "{},{},{}",
            local_times_eight[0] * 8,
            local_times_eight[1] * 8,
            local_times_eight[2]
        )]
    );
}

#[tokio::test]
async fn globs_and_prefixes_list_objects() {
    let ctx = s3_session("listing").await;
    for (i, key) in ["data/a.parquet", "data/b.parquet", "data/nested/c.parquet"]
        .iter()
        .enumerate()
    {
        let copy =
            format!("COPY (SELECT {i} AS part, trip_id FROM '{TRIPS}') TO 's3://listing/{key}'");
        count(&ctx, &copy).await;
    }
    put_object("listing", "data/_SUCCESS", b"", false);
    put_object("listing", "data/.hidden.parquet", b"not parquet", false);
    let n = |from: &str| format!("SELECT count(*) FROM '{from}'");
    assert_eq!(count(&ctx, &n("s3://listing/data/*.parquet")).await, 40_000);
    assert_eq!(
        count(&ctx, &n("s3://listing/data/**/*.parquet")).await,
        60_000
    );
    assert_eq!(count(&ctx, &n("s3://listing/data")).await, 60_000);
    assert_eq!(count(&ctx, &n("s3://listing/data/")).await, 60_000);
    let parts = "SELECT DISTINCT part FROM read_parquet('s3://listing/data/*/*.parquet')";
    assert_eq!(rows(&ctx, parts).await.unwrap(), vec!["2"]);
    let none = error(&ctx, &n("s3://listing/data/*.csv")).await;
    assert!(
        none.contains("no files match") && none.contains("s3://listing/data/*.csv"),
        "{none}"
    );
}

#[tokio::test]
async fn hive_layouts_in_s3_prune_partitions() {
    let ctx = s3_session("hive").await;
    let copy = "COPY (SELECT * FROM (VALUES (2023, 'eu', 1), (2023, 'us', 2), (2024, 'eu', 3), (2024, 'us', 4)) v(year, region, amount)) \
                TO 's3://hive/sales' (FORMAT parquet, PARTITION_BY (year, region))";
    assert_eq!(count(&ctx, copy).await, 4);
    let all = "SELECT year, region, amount FROM 's3://hive/sales' ORDER BY amount";
    assert_eq!(
        rows(&ctx, all).await.unwrap(),
        vec!["2023,eu,1", "2023,us,2", "2024,eu,3", "2024,us,4"]
    );
    // A broken object in a pruned directory is never read.
    // (The first directory is opened when the table is made, for its columns.)
    put_object(
        "hive",
        "sales/year=2023/region=us/zz.parquet",
        b"PAR1 broken",
        false,
    );
    let pruned = "SELECT sum(amount) FROM 's3://hive/sales' WHERE year = 2024";
    assert_eq!(count(&ctx, pruned).await, 7);
    let plan = rows(
        &ctx,
        "EXPLAIN SELECT amount FROM 's3://hive/sales' WHERE year = 2024 AND region = 'us'",
    )
    .await
    .unwrap()
    .join("\n");
    assert_eq!(plan.matches("ParquetExec").count(), 1, "{plan}");
    let broken = error(&ctx, "SELECT sum(amount) FROM 's3://hive/sales'").await;
    assert!(
        broken.contains("s3://hive/sales/year=2023/region=us/zz.parquet"),
        "{broken}"
    );
}

#[tokio::test]
async fn table_options_and_duckdb_style_settings_reach_s3() {
    create_bucket("options");
    let setup = s3_session("options-setup").await;
    let copy = format!("COPY (SELECT trip_id FROM '{TRIPS}') TO 's3://options/t.parquet'");
    count(&setup, &copy).await;
    // No session settings: the table's OPTIONS say where and who.
    let ctx = SessionContext::new();
    ctx.sql(&format!(
        "CREATE EXTERNAL TABLE t STORED AS PARQUET LOCATION 's3://options/t.parquet' \
         OPTIONS ('aws.endpoint' '{}', 'aws.access_key_id' 'test', 'aws.secret_access_key' 'test', 'aws.region' 'us-east-1')",
        moto().url()
    ))
    .await
    .unwrap();
    assert_eq!(count(&ctx, "SELECT count(*) FROM t").await, 20_000);
    // The table's settings cover the rest of its bucket: a COPY there and
    // a read of the copy reach the same server.
    let copy = "COPY (SELECT trip_id FROM t WHERE trip_id <= 10) TO 's3://options/first.parquet'";
    assert_eq!(count(&ctx, copy).await, 10);
    assert_eq!(
        count(&ctx, "SELECT count(*) FROM 's3://options/first.parquet'").await,
        10
    );
    // DuckDB's names: an endpoint without a scheme, and s3_use_ssl.
    let duck = SessionContext::new();
    for statement in [
        format!("SET s3_endpoint = '127.0.0.1:{}'", moto().port),
        "SET s3_use_ssl = false".to_string(),
        "SET s3_access_key_id = 'test'".to_string(),
        "SET s3_secret_access_key = 'test'".to_string(),
    ] {
        duck.sql(&statement).await.unwrap();
    }
    let n = "SELECT count(*) FROM 's3://options/t.parquet'";
    assert_eq!(count(&duck, n).await, 20_000);
    let unknown = error(&duck, "SET aws.colour = 'blue'").await;
    assert!(
        unknown.contains("unknown S3 setting 'aws.colour'"),
        "{unknown}"
    );
}

#[tokio::test]
async fn anonymous_access_reads_public_objects_only() {
    create_bucket("public");
    put_object("public", "open.csv", b"a,b\n1,x\n2,y\n", true);
    put_object("public", "closed.csv", b"a,b\n1,x\n", false);
    let ctx = SessionContext::new();
    ctx.sql(&format!("SET aws.endpoint = '{}'", moto().url()))
        .await
        .unwrap();
    let open = "SELECT sum(a) FROM 's3://public/open.csv'";
    assert_eq!(count(&ctx, open).await, 3);
    let closed = error(&ctx, "SELECT * FROM 's3://public/closed.csv'").await;
    assert!(
        closed.contains("s3://public/closed.csv") && closed.contains("access denied"),
        "{closed}"
    );
}

#[tokio::test]
async fn missing_buckets_and_objects_are_named() {
    let ctx = s3_session("present").await;
    let bucket = error(&ctx, "SELECT * FROM 's3://absent-bucket/x.parquet'").await;
    assert!(
        bucket.contains("s3://absent-bucket/x.parquet") && bucket.contains("NoSuchBucket"),
        "{bucket}"
    );
    let object = error(&ctx, "SELECT * FROM 's3://present/none.parquet'").await;
    assert!(
        object.contains("no such object") && object.contains("s3://present/none.parquet"),
        "{object}"
    );
    let scheme = error(&ctx, "SELECT * FROM 'gs://bucket/x.parquet'").await;
    assert!(
        scheme.contains("unsupported location scheme 'gs://'"),
        "{scheme}"
    );
}

#[tokio::test]
async fn a_failing_copy_to_s3_leaves_no_object_or_upload() {
    let ctx = s3_session("failing").await;
    let copy = format!(
        "COPY (SELECT 10 / (trip_id - 19500) AS y FROM '{TRIPS}') TO 's3://failing/bad.parquet'"
    );
    let err = error(&ctx, &copy).await;
    assert!(err.contains("division by zero"), "{err}");
    let missing = error(&ctx, "SELECT * FROM 's3://failing/bad.parquet'").await;
    assert!(missing.contains("no such object"), "{missing}");
    let (status, uploads) = s3_request("GET", "/failing?uploads", &[], b"");
    assert_eq!(status, 200, "{uploads}");
    assert!(
        !uploads.contains("<Upload>"),
        "an upload was left open: {uploads}"
    );
}

/// A session whose S3 requests go through a fault-injecting proxy in front
/// of moto, and a fresh bucket holding the sample trips as `trips.parquet`.
async fn faulty_s3_session(bucket: &str) -> (SessionContext, FaultProxy) {
    create_bucket(bucket);
    let trips = std::fs::read(TRIPS).unwrap();
    put_object(bucket, "trips.parquet", &trips, false);
    let proxy = FaultProxy::start(moto().port);
    let ctx = SessionContext::new();
    for statement in s3_settings() {
        ctx.sql(&statement).await.unwrap();
    }
    ctx.sql(&format!("SET aws.endpoint = '{}'", proxy.url()))
        .await
        .unwrap();
    (ctx, proxy)
}

#[tokio::test]
async fn server_errors_and_cut_connections_are_retried() {
    let (ctx, proxy) = faulty_s3_session("flaky").await;
    let (listing, object) = ("list-type", "/flaky/trips.parquet");
    let query = "SELECT count(*), sum(trip_id) FROM 's3://flaky/trips.parquet'";
    let expected = vec![format!("20000,{}", (1..=20_000u64).sum::<u64>())];
    // Error statuses on listing, metadata and data requests.
    proxy.inject("GET", listing, Fault::Status(503), 2);
    proxy.inject("HEAD", object, Fault::Status(500), 1);
    proxy.inject("GET", object, Fault::Status(503), 2);
    assert_eq!(rows(&ctx, query).await.unwrap(), expected);
    assert_eq!(proxy.pending(), 0, "{:?}", proxy.requests());
    // Responses cut off half-way: a listing, the footer and a data range.
    proxy.inject("GET", listing, Fault::CutBody, 1);
    proxy.inject("GET", object, Fault::CutBody, 2);
    assert_eq!(rows(&ctx, query).await.unwrap(), expected);
    assert_eq!(proxy.pending(), 0, "{:?}", proxy.requests());
    // Slow answers are waited for.
    proxy.inject("HEAD", object, Fault::Delay(Duration::from_millis(300)), 1);
    proxy.inject("GET", object, Fault::Delay(Duration::from_millis(300)), 1);
    assert_eq!(rows(&ctx, query).await.unwrap(), expected);
}

#[tokio::test]
async fn a_server_that_keeps_failing_is_reported_with_the_location() {
    let (ctx, proxy) = faulty_s3_session("down").await;
    proxy.inject("HEAD", "/down/", Fault::Status(503), 10);
    proxy.inject("GET", "/down", Fault::Status(503), 10);
    let started = std::time::Instant::now();
    let err = error(&ctx, "SELECT count(*) FROM 's3://down/trips.parquet'").await;
    assert!(err.contains("s3://down/trips.parquet"), "{err}");
    assert!(err.contains("503"), "{err}");
    // A few quick retries with backoff, not minutes of waiting.
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    let attempts = proxy.requests().len();
    assert!((2..=10).contains(&attempts), "{:?}", proxy.requests());
}

#[tokio::test]
async fn a_copy_whose_upload_fails_leaves_no_object() {
    let (ctx, proxy) = faulty_s3_session("refused").await;
    // Every part upload and the completion fail, after retries.
    proxy.inject("PUT", "/refused/copy.parquet", Fault::Status(500), 20);
    proxy.inject(
        "POST",
        "/refused/copy.parquet?uploadId",
        Fault::Status(500),
        20,
    );
    let copy = format!("COPY (SELECT * FROM '{TRIPS}') TO 's3://refused/copy.parquet'");
    let err = error(&ctx, &copy).await;
    assert!(err.contains("s3://refused/copy.parquet"), "{err}");
    let (status, _) = s3_request("HEAD", "/refused/copy.parquet", &[], b"");
    assert_eq!(status, 404, "{:?}", proxy.requests());
    let (status, uploads) = s3_request("GET", "/refused?uploads", &[], b"");
    assert_eq!(status, 200, "{uploads}");
    assert!(
        !uploads.contains("<Upload>"),
        "an upload was left open: {uploads} {:?}",
        proxy.requests()
    );
}

/// Whether moto holds an unfinished multipart upload in `bucket`.
fn has_open_upload(bucket: &str) -> bool {
    let (status, uploads) = s3_request("GET", &format!("/{bucket}?uploads"), &[], b"");
    assert_eq!(status, 200, "{uploads}");
    uploads.contains("<Upload>")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_copy_aborts_its_upload() {
    let (ctx, proxy) = faulty_s3_session("cancelled").await;
    // Slow parts keep the upload open long enough to cancel it.
    proxy.inject("PUT", "uploadId", Fault::Delay(Duration::from_secs(2)), 100);
    let copy = format!(
        "COPY (SELECT a.* FROM '{TRIPS}' a, (VALUES (1), (2), (3), (4), (5), (6), (7), (8)) r(n)) \
         TO 's3://cancelled/trips.csv'"
    );
    // COPY runs when it is planned, in `sql`.
    let running = tokio::spawn(async move { ctx.sql(&copy).await.map(|_| ()) });
    proxy
        .wait_for("PUT /cancelled/trips.csv?partNumber=1")
        .await;
    running.abort();
    proxy.wait_for("DELETE /cancelled/trips.csv?uploadId").await;
    assert!(
        !proxy.saw("POST /cancelled/trips.csv?uploadId"),
        "{:?}",
        proxy.requests()
    );
    assert!(!has_open_upload("cancelled"));
    let (status, _) = s3_request("HEAD", "/cancelled/trips.csv", &[], b"");
    assert_eq!(status, 404);
}

#[tokio::test]
async fn http_files_are_read_with_range_requests() {
    let server = nginx();
    let root = web_root();
    std::fs::copy(TRIPS, root.join("trips.parquet")).unwrap();
    std::fs::copy("../../testdata/cities.csv", root.join("cities.csv")).unwrap();
    let ctx = SessionContext::new();
    let url = format!("{}/trips.parquet", server.url());
    let summary = |from: &str| format!("SELECT count(*), sum(trip_id), max(vendor) FROM {from}");
    assert_eq!(
        rows(&ctx, &summary(&format!("'{url}'"))).await.unwrap(),
        rows(&ctx, &summary(&format!("'{TRIPS}'"))).await.unwrap()
    );
    // The Parquet reader asked for byte ranges and nginx answered with them.
    let ranged = nginx_requests()
        .iter()
        .filter(|l| l.starts_with("206 /trips.parquet "))
        .count();
    assert!(ranged >= 2, "{:?}", nginx_requests());
    let csv = format!(
        "SELECT count(*) FROM read_csv('{}/cities.csv')",
        server.url()
    );
    let local = "SELECT count(*) FROM read_csv('../../testdata/cities.csv')";
    assert_eq!(count(&ctx, &csv).await, count(&ctx, local).await);
    let missing = error(
        &ctx,
        &format!("SELECT * FROM '{}/none.parquet'", server.url()),
    )
    .await;
    assert!(
        missing.contains("file not found") && missing.contains("/none.parquet"),
        "{missing}"
    );
    let glob = error(&ctx, &format!("SELECT * FROM '{}/*.parquet'", server.url())).await;
    assert!(glob.contains("HTTP servers cannot be listed"), "{glob}");
    let write = error(
        &ctx,
        &format!("COPY (SELECT 1 AS x) TO '{}/out.parquet'", server.url()),
    )
    .await;
    assert!(write.contains("read-only"), "{write}");
}

#[tokio::test]
async fn a_query_scanning_a_remote_table_twice_fetches_each_range_once() {
    let server = nginx();
    std::fs::copy(TRIPS, web_root().join("twice.parquet")).unwrap();
    let ctx = SessionContext::new();
    let create = format!(
        "CREATE EXTERNAL TABLE twice STORED AS PARQUET LOCATION '{}/twice.parquet'",
        server.url()
    );
    ctx.sql(&create).await.unwrap();
    let requests = || {
        nginx_requests()
            .into_iter()
            .filter(|l| l.starts_with("206 /twice.parquet "))
            .collect::<Vec<_>>()
    };
    let before = requests().len();
    // Each trip matches itself, so the join has as many rows as the table.
    let join = "SELECT count(*), sum(a.fare) FROM twice a JOIN twice b ON a.trip_id = b.trip_id";
    let local = join
        .replace("twice a", &format!("'{TRIPS}' a"))
        .replace("twice b", &format!("'{TRIPS}' b"));
    assert_eq!(
        rows(&ctx, join).await.unwrap(),
        rows(&ctx, &local).await.unwrap()
    );
    // The second scan found the first one's bytes: no range was asked for twice.
    let mut ranges: Vec<String> = requests()[before..].to_vec();
    assert!(!ranges.is_empty());
    let asked = ranges.len();
    ranges.sort();
    ranges.dedup();
    assert_eq!(ranges.len(), asked, "{ranges:?}");
    let analyzed = rows(&ctx, &format!("EXPLAIN ANALYZE {join}"))
        .await
        .unwrap()
        .join("\n");
    assert!(analyzed.contains("bytes_from_other_scans="), "{analyzed}");
}
