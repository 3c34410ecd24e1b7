//! Cancellation: a query that would run for hours stops soon after its task
//! is aborted (what Ctrl-C in the shell does) or its result stream is
//! dropped, whatever operator is busy, and gives all its memory back.

use std::sync::Arc;
use std::time::Duration;

use arrow::array::{Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use futures::StreamExt;
use quiver::{SessionConfig, SessionContext};
use quiver_datasource::MemTable;

/// How long a query runs before it is cancelled.
const RUN_BEFORE_CANCEL: Duration = Duration::from_millis(300);
/// How long a cancelled query may take to stop: generous, for debug builds
/// on a loaded machine; a query that ignores cancellation never stops.
const STOP_WITHIN: Duration = Duration::from_secs(5);

/// A session with `big`: 50,000 rows of (k: 0..49,999, c: 1, s: a short
/// string) in batches of 1,000.
fn session() -> SessionContext {
    let ctx = SessionContext::with_config(
        SessionConfig::new()
            .with_target_partitions(2)
            .with_batch_size(1024),
    );
    let schema = Arc::new(Schema::new(vec![
        Field::new("k", DataType::Int64, false),
        Field::new("c", DataType::Int64, false),
        Field::new("s", DataType::Utf8, false),
    ]));
    let batches = (0..50)
        .map(|b| {
            let keys: Int64Array = (b * 1000..(b + 1) * 1000).collect();
            let strings: StringArray = (b * 1000..(b + 1) * 1000)
                .map(|k| Some(format!("row {k}")))
                .collect();
            RecordBatch::try_new(
                Arc::clone(&schema),
                vec![
                    Arc::new(keys),
                    Arc::new(Int64Array::from(vec![1; 1000])),
                    Arc::new(strings),
                ],
            )
            .unwrap()
        })
        .collect();
    let table = MemTable::try_with_batches(schema, batches).unwrap();
    ctx.register_table("big", Arc::new(table)).unwrap();
    ctx
}

/// Waits until the session's queries hold no memory.
async fn memory_given_back(ctx: &SessionContext) {
    let pool = &ctx.state().memory_pool;
    for _ in 0..100 {
        if pool.reserved() == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{} bytes still reserved after cancelling", pool.reserved());
}

/// Starts `sql` on a task of its own, aborts the task after a while, and
/// checks that it stops and gives its memory back.
async fn stops_when_aborted(sql: &str) {
    let ctx = session();
    let df = ctx.sql(sql).await.unwrap();
    let mut query = tokio::spawn(async move { df.collect().await });
    tokio::select! {
        done = &mut query => panic!("{sql} finished before it was cancelled: {done:?}"),
        _ = tokio::time::sleep(RUN_BEFORE_CANCEL) => {}
    }
    query.abort();
    match tokio::time::timeout(STOP_WITHIN, query).await {
        Ok(Err(e)) if e.is_cancelled() => {}
        Ok(other) => panic!("{sql}: expected a cancelled task, got {other:?}"),
        Err(_) => panic!("{sql} still ran {STOP_WITHIN:?} after it was cancelled"),
    }
    memory_given_back(&ctx).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cross_join_stops_when_cancelled() {
    stops_when_aborted("SELECT count(*) FROM big a, big b, big c").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nested_loop_join_stops_when_cancelled() {
    stops_when_aborted("SELECT count(*) FROM big a JOIN big b ON a.k < b.k AND a.s <> b.s").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hash_join_on_one_repeated_key_stops_when_cancelled() {
    stops_when_aborted(
        "SELECT count(*) FROM (SELECT DISTINCT a.k FROM big a LEFT JOIN big b ON a.c = b.c)",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_aggregate_over_a_huge_join_stops_when_cancelled() {
    stops_when_aborted("SELECT a.k % 7, sum(b.k) FROM big a, big b GROUP BY 1").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sort_over_a_huge_join_stops_when_cancelled() {
    stops_when_aborted("SELECT a.k, b.k FROM big a, big b ORDER BY a.k + b.k DESC LIMIT 3").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_the_result_stream_stops_the_query() {
    let ctx = session();
    let df = ctx
        .sql("SELECT a.k, b.s FROM big a JOIN big b ON a.c = b.c")
        .await
        .unwrap();
    let mut stream = df.execute_stream().await.unwrap();
    let first = stream.next().await.unwrap().unwrap();
    assert!(first.num_rows() > 0);
    drop(stream);
    memory_given_back(&ctx).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interrupting_the_session_stops_its_running_queries() {
    let ctx = session();
    let queries = [
        "SELECT count(*) FROM big a, big b, big c",
        "SELECT a.k % 7, sum(b.k) FROM big a, big b GROUP BY 1",
    ];
    let mut running = Vec::new();
    for sql in queries {
        let df = ctx.sql(sql).await.unwrap();
        running.push(tokio::spawn(async move { df.collect().await }));
    }
    tokio::time::sleep(RUN_BEFORE_CANCEL).await;
    ctx.interrupt();
    for (sql, query) in queries.iter().zip(running) {
        match tokio::time::timeout(STOP_WITHIN, query).await {
            Ok(Ok(Err(e))) => assert_eq!(e.to_string(), "Query cancelled", "{sql}"),
            Ok(other) => panic!("{sql}: expected a cancelled query, got {other:?}"),
            Err(_) => panic!("{sql} still ran {STOP_WITHIN:?} after the interrupt"),
        }
    }
    memory_given_back(&ctx).await;
    // Later queries are not affected.
    let after = ctx.sql("SELECT count(*) FROM big").await.unwrap();
    assert_eq!(after.collect().await.unwrap()[0].num_rows(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_operations_stop_when_cancelled() {
    let huge = "SELECT a.k + b.k AS v FROM big a, big b";
    for operation in ["UNION", "UNION ALL", "INTERSECT ALL", "EXCEPT"] {
        stops_when_aborted(&format!("SELECT count(*) FROM ({huge} {operation} {huge})")).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_distinct_over_a_huge_join_stops_when_cancelled() {
    stops_when_aborted("SELECT count(*) FROM (SELECT DISTINCT a.k, b.s FROM big a, big b)").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_copy_leaves_no_file() {
    let ctx = session();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out.parquet");
    let sql = format!(
        "COPY (SELECT a.k, b.s FROM big a, big b) TO '{}'",
        target.display()
    );
    let copy = {
        let ctx = ctx.clone();
        tokio::spawn(async move { ctx.sql(&sql).await.map(|_| ()) })
    };
    tokio::time::sleep(RUN_BEFORE_CANCEL).await;
    ctx.interrupt();
    match tokio::time::timeout(STOP_WITHIN, copy).await {
        Ok(Ok(Err(e))) => assert_eq!(e.to_string(), "Query cancelled"),
        Ok(other) => panic!("expected a cancelled COPY, got {other:?}"),
        Err(_) => panic!("the COPY still ran {STOP_WITHIN:?} after the interrupt"),
    }
    memory_given_back(&ctx).await;
    let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert!(left.is_empty(), "the COPY left {left:?}");
}
