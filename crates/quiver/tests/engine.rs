//! End-to-end checks of the library API over the committed sample files.

use arrow::array::{AsArray, RecordBatch};
use arrow::compute::concat_batches;
use arrow::datatypes::{DataType, Int64Type};
use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use quiver::{SessionConfig, SessionContext};

fn testdata(file: &str) -> String {
    format!("{}/../../testdata/{file}", env!("CARGO_MANIFEST_DIR"))
}

async fn session(partitions: usize, batch_size: usize) -> SessionContext {
    let ctx = SessionContext::with_config(
        SessionConfig::new()
            .with_target_partitions(partitions)
            .with_batch_size(batch_size),
    );
    ctx.register_parquet("trips", &testdata("trips.parquet"))
        .await
        .unwrap();
    ctx
}

/// The result of `sql` as one batch, read from its stream: tests that set
/// a tiny memory limit to make operators spill do not also charge the
/// result to it, as `collect` does.
async fn run(ctx: &SessionContext, sql: &str) -> RecordBatch {
    let df = ctx.sql(sql).await.unwrap();
    let stream = df.execute_stream().await.unwrap();
    let batches: Vec<RecordBatch> = stream.try_collect().await.unwrap();
    concat_batches(&df.schema(), &batches).unwrap()
}

#[tokio::test]
async fn parallel_and_serial_plans_agree() {
    // Many groups, so the two-phase aggregation's exchange really splits them.
    let sql = "SELECT trip_id % 997 AS k, count(*) AS n, sum(fare) AS f, min(vendor) AS v, \
               count(DISTINCT payment_type) AS p FROM trips GROUP BY trip_id % 997 ORDER BY k";
    let serial = run(&session(1, 8192).await, sql).await;
    let parallel = run(&session(4, 100).await, sql).await;
    assert_eq!(serial.num_rows(), 997);
    assert_eq!(serial, parallel);
}

/// The state operators share while a plan runs (exchanges' channels, a
/// join's one build side, a subplan computed once, the keys joins publish
/// to scans) belongs to the run, so one physical plan runs twice, one run
/// after the other and two at once, with the same answer each time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_physical_plan_runs_twice_and_twice_at_once() {
    let ctx = session(3, 500).await;
    let sql = "WITH per_vendor AS (SELECT vendor, count(*) AS n FROM trips GROUP BY vendor) \
               SELECT a.vendor, a.n, b.n AS m, count(*) AS trips \
               FROM per_vendor a JOIN per_vendor b ON a.vendor = b.vendor \
               JOIN trips t ON t.vendor = a.vendor \
               GROUP BY a.vendor, a.n, b.n ORDER BY a.vendor";
    let df = ctx.sql(sql).await.unwrap();
    let expected = run(&ctx, sql).await;
    assert!(expected.num_rows() > 1);
    let plan = df.physical_plan().await.unwrap();
    let text = quiver_execution::plan::display_plan(plan.as_ref());
    for operator in ["RepartitionExec", "HashJoinExec", "SharedExec"] {
        assert!(text.contains(operator), "{text}");
    }
    let rows = |batches: Vec<RecordBatch>| concat_batches(&df.schema(), &batches).unwrap();
    for _ in 0..2 {
        let batches = quiver::collect(Arc::clone(&plan), df.task_context()).await;
        assert_eq!(rows(batches.unwrap()), expected);
    }
    let (first, second) = tokio::join!(
        quiver::collect(Arc::clone(&plan), df.task_context()),
        quiver::collect(Arc::clone(&plan), df.task_context())
    );
    assert_eq!(rows(first.unwrap()), expected);
    assert_eq!(rows(second.unwrap()), expected);
}

/// `plan` rebuilt bottom-up, each operator over rebuilt copies of its
/// inputs, as a physical rewrite pass rebuilds what is above its change.
fn rebuilt(plan: &Arc<dyn quiver::ExecutionPlan>) -> Arc<dyn quiver::ExecutionPlan> {
    let children = plan.children().into_iter().map(rebuilt).collect();
    Arc::clone(plan).with_new_children(children).unwrap()
}

/// Every operator rebuilds itself over new inputs (as rewrite passes do)
/// and can be downcast; the rebuilt plan gives the same answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operator_rebuilds_over_new_inputs() {
    let ctx = session(2, 700).await;
    ctx.register_csv("cities", &testdata("cities.csv"), Default::default())
        .await
        .unwrap();
    let sql = "SELECT payment_type, count(*) AS n, max(fare) AS f FROM trips \
               WHERE trip_id IN (SELECT trip_id FROM trips WHERE fare > 10) \
               GROUP BY payment_type \
               UNION ALL SELECT country, count(*), NULL FROM cities GROUP BY country \
               INTERSECT SELECT 'x', 1, 1.0 \
               ORDER BY 1 LIMIT 50";
    let df = ctx.sql(sql).await.unwrap();
    let expected = run(&ctx, sql).await;
    let plan = df.physical_plan().await.unwrap();
    let copy = rebuilt(&plan);
    let batches = quiver::collect(copy, df.task_context()).await.unwrap();
    assert_eq!(concat_batches(&df.schema(), &batches).unwrap(), expected);
    let too_many = Arc::clone(&plan).with_new_children(vec![Arc::clone(&plan); 3]);
    assert!(too_many
        .unwrap_err()
        .to_string()
        .contains("LimitExec has 1 inputs, given 3"));
    assert!(plan
        .as_any()
        .downcast_ref::<quiver_execution::operators::limit::LimitExec>()
        .is_some());
}

#[tokio::test]
async fn explain_shows_both_plans_as_trees() {
    let ctx = session(2, 8192).await;
    let out = run(
        &ctx,
        "EXPLAIN SELECT vendor, sum(fare) FROM trips WHERE distance_km > 5 GROUP BY vendor",
    )
    .await;
    let kinds = out.column(0).as_string::<i32>();
    let plans = out.column(1).as_string::<i32>();
    assert_eq!(
        (kinds.value(0), kinds.value(1)),
        ("logical_plan", "physical_plan")
    );
    assert_eq!(
        plans.value(0),
        "Projection: trips.vendor, sum(trips.fare) AS sum(fare) rows≈3\n  \
         Aggregate: groupBy=[trips.vendor], aggr=[sum(trips.fare)] rows≈3\n    \
         Filter: (trips.distance_km > 5) rows≈17477\n      \
         TableScan: trips projection=[distance_km, fare, vendor] rows≈20000\n",
        "the literal 5 is compared as DOUBLE without casting the column; \
         distance_km spans 0 to 39.63 in the footer, so > 5 keeps 34.63/39.63 of 20000 rows, \
         and vendor's dictionary holds its 3 distinct values"
    );
    let physical = plans.value(1);
    let operators: Vec<&str> = physical
        .lines()
        .map(|l| l.trim_start().split(':').next().unwrap())
        .collect();
    assert_eq!(
        operators,
        vec![
            "ProjectionExec",
            "AggregateExec",
            "RepartitionExec",
            "AggregateExec",
            "FilterExec",
            "ParquetExec"
        ],
        "{physical}"
    );
    assert!(
        physical.contains("mode=Partial") && physical.contains("mode=Final"),
        "{physical}"
    );
    assert!(
        physical.contains("projection=[distance_km, fare, vendor]"),
        "{physical}"
    );
}

#[tokio::test]
async fn results_stream_batch_by_batch() {
    let ctx = session(2, 1000).await;
    let df = ctx
        .sql("SELECT trip_id, fare FROM trips WHERE passenger_count = 1")
        .await
        .unwrap();
    assert_eq!(
        df.schema().field(1).data_type(),
        &DataType::Decimal128(10, 2)
    );
    let mut stream = df.execute_stream().await.unwrap();
    let (mut batches, mut rows) = (0, 0);
    while let Some(batch) = stream.next().await {
        let batch = batch.unwrap();
        assert!(batch.num_rows() <= 1000);
        batches += 1;
        rows += batch.num_rows();
    }
    let expected = run(&ctx, "SELECT count(*) FROM trips WHERE passenger_count = 1").await;
    assert_eq!(
        rows as i64,
        expected.column(0).as_primitive::<Int64Type>().value(0)
    );
    assert!(batches > 1);
}

#[tokio::test]
async fn an_early_limit_stops_reading() {
    let ctx = session(2, 100).await;
    let out = run(&ctx, "SELECT trip_id FROM trips LIMIT 5").await;
    assert_eq!(out.num_rows(), 5);
}

#[tokio::test]
async fn registration_errors_name_the_path() {
    let ctx = SessionContext::new();
    let err = ctx
        .register_parquet("t", "no/such/dir/*.parquet")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no files match 'no/such/dir/*.parquet'"),
        "{err}"
    );
    let err = ctx
        .register_parquet("t", &testdata("cities.csv"))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("cities.csv"), "{err}");
    ctx.register_parquet("trips", &testdata("trips.parquet"))
        .await
        .unwrap();
    let err = ctx
        .register_parquet("TRIPS", &testdata("trips.parquet"))
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("table \"trips\" already exists"), "{err}");
}

/// The line of `text` for operator `name` (its first occurrence).
fn line_of<'a>(text: &'a str, name: &str) -> &'a str {
    text.lines()
        .find(|l| l.trim_start().starts_with(name))
        .unwrap_or_else(|| panic!("no {name} in:\n{text}"))
}

#[tokio::test]
async fn explain_analyze_reports_what_each_operator_did() {
    let ctx = session(2, 8192).await;
    let out = run(
        &ctx,
        "EXPLAIN ANALYZE SELECT vendor, count(*) FROM trips WHERE trip_id < 1000 GROUP BY vendor",
    )
    .await;
    let kinds = out.column(0).as_string::<i32>();
    assert_eq!(
        (kinds.value(0), kinds.value(1)),
        ("physical_plan_with_metrics", "total")
    );
    let plan = out.column(1).as_string::<i32>().value(0);
    // trip_id runs 1..=20000 in four row groups of 5000: statistics leave
    // the first, whose 5000 rows are read and 999 pass; three vendors.
    let scan = line_of(plan, "ParquetExec");
    assert!(scan.contains("row_groups=1 of 4"), "{scan}");
    assert!(scan.contains("output_rows=5000,"), "{scan}");
    assert!(scan.contains("row_groups_read=1"), "{scan}");
    let bytes: u64 = scan
        .split("bytes_scanned=")
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("bytes_scanned in {scan}"));
    assert!(bytes > 0, "{scan}");
    assert!(
        line_of(plan, "FilterExec").contains("output_rows=999,"),
        "{plan}"
    );
    // The projection of the aggregate's own columns is gone.
    assert!(
        line_of(plan, "AggregateExec").contains("output_rows=3,"),
        "{plan}"
    );
    assert!(plan.lines().all(|l| l.contains("compute=")), "{plan}");
    let total = out.column(1).as_string::<i32>().value(1);
    assert!(total.starts_with("3 rows in "), "{total}");
}

/// The plan with metrics that `EXPLAIN ANALYZE sql` shows.
async fn analyzed(ctx: &SessionContext, sql: &str) -> String {
    let out = run(ctx, &format!("EXPLAIN ANALYZE {sql}")).await;
    out.column(1).as_string::<i32>().value(0).to_string()
}

/// The Parquet scan's line of `EXPLAIN ANALYZE sql`.
async fn analyzed_scan(ctx: &SessionContext, sql: &str) -> String {
    line_of(&analyzed(ctx, sql).await, "ParquetExec").to_string()
}

/// Writes `query`'s rows to `name` under `dir` with the COPY `options`;
/// returns the path written.
async fn copy_out(
    ctx: &SessionContext,
    dir: &tempfile::TempDir,
    name: &str,
    query: &str,
    options: &str,
) -> String {
    let path = dir.path().join(name).to_str().unwrap().to_string();
    run(ctx, &format!("COPY ({query}) TO '{path}' ({options})")).await;
    path
}

/// Makes table `d` of the eleven trip ids 12000..=12010 (all in the third
/// of trips.parquet's four row groups).
const ELEVEN_IDS: &str =
    "CREATE TABLE d AS SELECT trip_id AS id FROM trips WHERE trip_id BETWEEN 12000 AND 12010";

/// What joining trips with `d` must give.
const ELEVEN_TRIPS: &str =
    "SELECT count(*), sum(fare) FROM trips WHERE trip_id BETWEEN 12000 AND 12010";

/// The number after `name=` in `line`.
fn counter(line: &str, name: &str) -> u64 {
    line.split(&format!("{name}="))
        .nth(1)
        .and_then(|rest| rest.split(',').next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {line}"))
}

#[tokio::test]
async fn explain_analyze_reports_the_memory_operators_held() {
    let ctx = session(2, 8192).await;
    let plan = analyzed(
        &ctx,
        "SELECT t.vendor, count(*) AS n FROM trips t JOIN trips u \
         ON t.trip_id = u.trip_id WHERE u.fare > 10 GROUP BY t.vendor ORDER BY n",
    )
    .await;
    let plan = plan.as_str();
    // The build side holds the ~16k passing rows of u: keys, rows and table.
    let join = counter(line_of(plan, "HashJoinExec"), "peak_memory_bytes");
    assert!(join > 16_000 * 8, "{plan}");
    for operator in ["AggregateExec", "SortExec"] {
        assert!(
            counter(line_of(plan, operator), "peak_memory_bytes") > 0,
            "{plan}"
        );
    }
}

/// The rows of `sql` as text, one line per row.
async fn rows_of(ctx: &SessionContext, sql: &str) -> String {
    let batch = run(ctx, sql).await;
    arrow::util::pretty::pretty_format_batches(&[batch])
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn sorts_and_aggregates_past_the_memory_limit_spill_and_agree() {
    let ctx = session(2, 64).await;
    let grouped = "SELECT trip_id % 5000 AS k, count(*) AS n, sum(fare) AS s, \
                   max(vendor) AS v, min(pickup_at) AS p FROM trips GROUP BY k";
    let queries = [
        format!("SELECT * FROM ({grouped}) ORDER BY k"),
        "SELECT trip_id, fare, vendor FROM trips ORDER BY fare DESC, trip_id".to_string(),
    ];
    let mut unlimited = vec![];
    for sql in &queries {
        unlimited.push(rows_of(&ctx, sql).await);
    }
    ctx.sql("SET memory_limit = '200KB'").await.unwrap();
    for (sql, expected) in queries.iter().zip(&unlimited) {
        assert_eq!(&rows_of(&ctx, sql).await, expected, "{sql}");
    }
    let plan = analyzed(&ctx, &queries[0]).await;
    let final_aggregate = line_of(&plan, "AggregateExec: mode=Final");
    assert!(counter(final_aggregate, "spill_count") > 0, "{plan}");
    assert!(counter(final_aggregate, "spilled_rows") > 0, "{plan}");
    let plan = analyzed(&ctx, &queries[1]).await;
    let sort = line_of(&plan, "SortExec");
    assert!(counter(sort, "spill_count") > 1, "{plan}");
    assert!(counter(sort, "spilled_bytes") > 0, "{plan}");
    assert_eq!(
        ctx.state().memory_pool.reserved(),
        0,
        "every reservation given back"
    );
}

#[tokio::test]
async fn windows_past_the_memory_limit_sort_on_disk_and_agree() {
    let ctx = session(2, 64).await;
    let sql = "SELECT vendor, trip_id, \
               row_number() OVER (PARTITION BY trip_id % 100 ORDER BY fare, trip_id) AS rn, \
               sum(fare) OVER (PARTITION BY trip_id % 100 ORDER BY fare, trip_id \
                 ROWS BETWEEN 6 PRECEDING AND CURRENT ROW) AS moving \
               FROM trips ORDER BY trip_id";
    let unlimited = rows_of(&ctx, sql).await;
    // Room for the windows' own gathering beside the two sorts' shares
    // (a window cannot spill, and the sorts may hold the limit's worth
    // while a window evaluates).
    ctx.sql("SET memory_limit = '600KB'").await.unwrap();
    assert_eq!(rows_of(&ctx, sql).await, unlimited);
    let plan = analyzed(&ctx, sql).await;
    let window_sort = plan
        .lines()
        .find(|l| l.contains("SortExec") && l.contains("% 100"))
        .unwrap_or_else(|| panic!("no sort for the window in:\n{plan}"));
    assert!(counter(window_sort, "spill_count") > 0, "{plan}");
    // One window partition of every row cannot be gathered in 600KB: a
    // clean error naming the operator, and all memory given back.
    let whole = "SELECT sum(fare) OVER (ORDER BY trip_id ROWS 3 PRECEDING) FROM trips";
    let err = ctx
        .sql(whole)
        .await
        .unwrap()
        .collect()
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("WindowExec"), "{err}");
    assert_eq!(ctx.state().memory_pool.reserved(), 0);
}

#[tokio::test]
async fn a_collected_result_counts_against_the_memory_limit() {
    let ctx = session(2, 8192).await;
    ctx.set("memory_limit", "100KB").unwrap();
    let everything = "SELECT * FROM trips";
    let err = ctx
        .sql(everything)
        .await
        .unwrap()
        .collect()
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("Out of memory: the collected result needs"),
        "{err}"
    );
    assert!(err.to_string().contains("add a LIMIT"), "{err}");
    // Streamed, the same result needs no more than a batch at a time.
    assert_eq!(run(&ctx, everything).await.num_rows(), 20_000);
    assert_eq!(ctx.state().memory_pool.reserved(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_finished_query_has_given_its_memory_back() {
    use futures::TryStreamExt;
    let ctx = session(2, 64).await;
    ctx.set("memory_limit", "200KB").unwrap();
    let sorted = "SELECT trip_id, fare FROM trips ORDER BY fare DESC, trip_id";
    let distinct = "SELECT count(*) FROM (SELECT DISTINCT trip_id % 7000, vendor FROM trips)";
    for _ in 0..3 {
        // Streamed to its end: the stream ends once the spilling operators'
        // tasks have dropped their reservations, not a moment later.
        for (sql, rows) in [(sorted, 20_000), (distinct, 1)] {
            let stream = ctx.sql(sql).await.unwrap().execute_stream().await.unwrap();
            let batches: Vec<_> = stream.try_collect().await.unwrap();
            assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), rows);
            assert_eq!(ctx.state().memory_pool.reserved(), 0, "{sql}");
        }
        // Collected (a few rows, which the limit holds): the same.
        let last = format!("{sorted} LIMIT 5 OFFSET 19990");
        let rows = ctx.sql(&last).await.unwrap().collect().await.unwrap();
        assert_eq!(rows.iter().map(|b| b.num_rows()).sum::<usize>(), 5);
        assert_eq!(ctx.state().memory_pool.reserved(), 0);
    }
}

#[tokio::test]
async fn a_cte_read_twice_is_computed_once() {
    let ctx = session(2, 8192).await;
    let sql = "WITH v AS (SELECT vendor, sum(fare) AS total FROM trips GROUP BY vendor) \
               SELECT vendor, total FROM v WHERE total = (SELECT max(total) FROM v)";
    let plan = analyzed(&ctx, sql).await;
    let shared: Vec<&str> = plan.lines().filter(|l| l.contains("SharedExec")).collect();
    assert_eq!(
        shared.len(),
        2,
        "both places read one shared subplan:\n{plan}"
    );
    assert!(
        shared[0].contains("computed once for 2 consumers"),
        "{plan}"
    );
    // Its 3 groups were read by both places.
    assert_eq!(counter(shared[0], "output_rows"), 6, "{plan}");
    assert_eq!(run(&ctx, sql).await.num_rows(), 1);
}

#[tokio::test]
async fn spill_files_go_to_the_temp_directory_and_a_missing_one_is_named() {
    let ctx = session(1, 64).await;
    let dir = tempfile::tempdir().unwrap();
    ctx.set("memory_limit", "100KB").unwrap();
    ctx.set("temp_directory", dir.path().to_str().unwrap())
        .unwrap();
    let sorted = "SELECT trip_id FROM trips ORDER BY fare, trip_id";
    assert_eq!(run(&ctx, sorted).await.num_rows(), 20_000);
    // The directory exists but is gone by the time a query spills.
    let gone = dir.path().to_str().unwrap().to_string();
    drop(dir);
    let stream = ctx.sql(sorted).await.unwrap().execute_stream().await;
    let err = match stream {
        Ok(stream) => stream.try_collect::<Vec<_>>().await.unwrap_err(),
        Err(err) => err,
    };
    assert!(
        err.to_string()
            .contains(&format!("cannot create a spill file in '{gone}'")),
        "{err}"
    );
}

#[tokio::test]
async fn a_point_lookup_filters_while_decoding() {
    let ctx = session(2, 8192).await;
    let sql = "EXPLAIN ANALYZE SELECT vendor, fare FROM trips WHERE trip_id = 1000";
    let out = run(&ctx, sql).await;
    let plan = out.column(1).as_string::<i32>().value(0);
    // One trip id of 20000 distinct is estimated to pass: well under one
    // row of the row group that statistics leave, so the filter runs while
    // decoding and only the passing row's vendor and fare are decoded.
    let scan = line_of(plan, "ParquetExec");
    assert!(scan.contains("row_groups=1 of 4"), "{scan}");
    assert!(
        scan.contains("decode_filter=(trips.trip_id = 1000)"),
        "{scan}"
    );
    assert!(scan.contains("output_rows=1,"), "{scan}");
    assert!(scan.contains("rows_filtered_during_decode=4999"), "{scan}");
    let rows = run(&ctx, "SELECT trip_id FROM trips WHERE trip_id = 1000").await;
    assert_eq!(rows.num_rows(), 1);
}

#[tokio::test]
async fn bloom_filters_skip_row_groups_whose_range_holds_the_value() {
    let ctx = session(2, 8192).await;
    let dir = tempfile::tempdir().unwrap();
    // Row group r (trip ids 5000r+1 ..= 5000r+5000) holds k = 4i + r for
    // i in 0..5000: every row group spans 0..=19999, so min/max prune
    // nothing, but each value is in exactly one row group.
    let path = copy_out(
        &ctx,
        &dir,
        "bloom.parquet",
        "SELECT trip_id, ((trip_id - 1) % 5000) * 4 + (trip_id - 1) // 5000 AS k, vendor \
         FROM trips ORDER BY trip_id",
        "ROW_GROUP_SIZE 5000, BLOOM_FILTER 'k'",
    )
    .await;
    ctx.sql(&format!(
        "CREATE EXTERNAL TABLE b STORED AS PARQUET LOCATION '{path}'"
    ))
    .await
    .unwrap();
    let scan = analyzed_scan(&ctx, "SELECT trip_id FROM b WHERE k = 4938").await;
    assert!(
        scan.contains("row_groups_pruned_by_bloom_filter=3"),
        "{scan}"
    );
    assert!(scan.contains("row_groups_read=1,"), "{scan}");
    let found = run(
        &ctx,
        "SELECT trip_id FROM b WHERE k IN (4938, 4937, 5) ORDER BY trip_id",
    )
    .await;
    let ids: Vec<i64> = found
        .column(0)
        .as_primitive::<Int64Type>()
        .values()
        .to_vec();
    assert_eq!(ids, [5002, 6235, 11235]);
    // A column without a bloom filter reads every row group its range allows.
    let scan = analyzed_scan(&ctx, "SELECT trip_id FROM b WHERE vendor = 'Lime Cars'").await;
    assert!(
        scan.contains("row_groups_pruned_by_bloom_filter=0"),
        "{scan}"
    );
}

#[tokio::test]
async fn a_join_build_side_skips_probe_row_groups_outside_its_keys() {
    let ctx = session(2, 8192).await;
    // trips.parquet holds trip ids 1..=20000 in order, in 4 row groups.
    run(&ctx, ELEVEN_IDS).await;
    run(
        &ctx,
        "CREATE TABLE nothing AS SELECT trip_id AS id FROM trips WHERE trip_id < 0",
    )
    .await;
    let sql = "SELECT count(*), sum(fare) FROM trips JOIN d ON trips.trip_id = d.id";
    let scan = analyzed_scan(&ctx, sql).await;
    assert!(scan.contains("dynamic_filters=[trip_id]"), "{scan}");
    assert!(
        scan.contains("row_groups_pruned_by_dynamic_filter=3"),
        "{scan}"
    );
    let joined = run(&ctx, sql).await;
    assert_eq!(joined, run(&ctx, ELEVEN_TRIPS).await);
    assert_eq!(joined.column(0).as_primitive::<Int64Type>().value(0), 11);

    // No build key: the probe side is not read at all.
    let empty = "SELECT count(*) FROM trips JOIN nothing ON trips.trip_id = nothing.id";
    let scan = analyzed_scan(&ctx, empty).await;
    assert!(scan.contains("output_rows=0, batches=0"), "{scan}");
    assert!(!scan.contains("row_groups_read"), "{scan}");

    // A left join keeps probe rows without a match, so it publishes nothing.
    let left = "EXPLAIN SELECT count(*) FROM trips LEFT JOIN d ON trips.trip_id = d.id";
    let plan = run(&ctx, left).await;
    let scan = line_of(plan.column(1).as_string::<i32>().value(1), "ParquetExec");
    assert!(!scan.contains("dynamic_filters"), "{scan}");
    let counted = run(
        &ctx,
        "SELECT count(*) FROM trips LEFT JOIN d ON trips.trip_id = d.id",
    )
    .await;
    assert_eq!(
        counted.column(0).as_primitive::<Int64Type>().value(0),
        20000
    );
}

#[tokio::test]
async fn rows_a_sparse_build_side_lacks_never_reach_an_aggregate_below_the_join() {
    // One partition: the aggregate starts reading only once the build is done.
    let ctx = session(1, 1000).await;
    run(
        &ctx,
        "CREATE TABLE every_thousandth AS SELECT trip_id AS id FROM trips WHERE trip_id % 1000 = 0",
    )
    .await;
    let sql = "SELECT g.trip_id, g.n FROM every_thousandth d JOIN \
               (SELECT trip_id, count(*) AS n FROM trips GROUP BY trip_id) g ON g.trip_id = d.id \
               ORDER BY g.trip_id";
    let plan = analyzed(&ctx, sql).await;
    let scan = line_of(&plan, "ParquetExec");
    assert_eq!(
        counter(scan, "rows_filtered_by_dynamic_filter"),
        20_000 - 20,
        "{plan}"
    );
    assert_eq!(
        counter(line_of(&plan, "AggregateExec"), "output_rows"),
        20,
        "{plan}"
    );
    let rows = run(&ctx, sql).await;
    let ids: Vec<i64> = rows.column(0).as_primitive::<Int64Type>().values().to_vec();
    assert_eq!(ids, (1..=20).map(|i| i * 1000).collect::<Vec<i64>>());
}

#[tokio::test]
async fn hive_partitioned_tables_take_dynamic_filters_in_every_directory() {
    let ctx = session(2, 8192).await;
    let dir = tempfile::tempdir().unwrap();
    let out = copy_out(
        &ctx,
        &dir,
        "by_vendor",
        "SELECT * FROM trips ORDER BY trip_id",
        "FORMAT parquet, PARTITION_BY (vendor), ROW_GROUP_SIZE 1000",
    )
    .await;
    ctx.sql(&format!(
        "CREATE EXTERNAL TABLE hv STORED AS PARQUET LOCATION '{out}'"
    ))
    .await
    .unwrap();
    run(&ctx, ELEVEN_IDS).await;
    let sql = "SELECT count(*), sum(fare) FROM hv JOIN d ON hv.trip_id = d.id";
    let plan = analyzed(&ctx, sql).await;
    let pruned: u64 = plan
        .lines()
        .filter(|l| l.trim_start().starts_with("ParquetExec"))
        .map(|l| counter(l, "row_groups_pruned_by_dynamic_filter"))
        .sum();
    // Three directories of about 6,700 rows in row groups of 1,000: all
    // but the one or two holding ids 12000..=12010 in each are skipped.
    assert!(pruned >= 15, "{plan}");
    assert_eq!(run(&ctx, sql).await, run(&ctx, ELEVEN_TRIPS).await);
}

#[tokio::test]
async fn explain_verbose_shows_the_plan_after_each_rule_that_changed_it() {
    let ctx = session(2, 8192).await;
    let out = run(
        &ctx,
        "EXPLAIN VERBOSE SELECT t.vendor FROM trips t, trips u \
         WHERE t.trip_id = u.trip_id AND u.fare > 100 + 20",
    )
    .await;
    let kinds: Vec<&str> = out.column(0).as_string::<i32>().iter().flatten().collect();
    assert_eq!(
        kinds,
        [
            "initial_logical_plan",
            "logical_plan after fold_constants",
            // `CAST(u.fare AS DECIMAL(21,2)) > 120.00` becomes `u.fare > 120.00`.
            "logical_plan after unwrap_cast",
            // The join gets its key; join_order, planning the block again
            // by cost, keeps the same order, so it does not show.
            "logical_plan after join_keys",
            // The filter join_keys put on the alias `u` moves below it,
            // onto the scan.
            "logical_plan after push_down_filter",
            "logical_plan after prune_columns",
            "logical_plan",
            "physical_plan"
        ]
    );
    let plans = out.column(1).as_string::<i32>();
    assert!(plans.value(0).contains("100 + 20"), "{}", plans.value(0));
    assert!(plans.value(1).contains("> 120"), "{}", plans.value(1));
    assert!(
        plans
            .value(3)
            .contains("Join: Inner on=[t.trip_id = u.trip_id]")
            || plans
                .value(3)
                .contains("Join: Inner on=[u.trip_id = t.trip_id]"),
        "{}",
        plans.value(3)
    );
    let pushed = plans.value(4);
    assert!(
        pushed.contains("SubqueryAlias: u\n      Filter: (trips.fare > 120.00)"),
        "{pushed}"
    );
}

#[tokio::test]
async fn count_star_of_a_whole_parquet_table_comes_from_the_footers() {
    let ctx = session(2, 8192).await;
    let explain = |sql: &str| format!("EXPLAIN {sql}");
    for (sql, scans) in [
        ("SELECT count(*) AS n, count(*) AS m FROM trips", false),
        (
            "SELECT count(*) FROM (SELECT vendor FROM trips) AS t",
            false,
        ),
        ("SELECT count(*) FROM trips WHERE fare > 0", true),
        ("SELECT count(fare) FROM trips", true),
        ("SELECT vendor, count(*) FROM trips GROUP BY vendor", true),
    ] {
        let out = run(&ctx, &explain(sql)).await;
        let physical = out.column(1).as_string::<i32>().value(1).to_string();
        assert_eq!(
            physical.contains("ParquetExec"),
            scans,
            "{sql}:\n{physical}"
        );
    }
    // trips.parquet holds 20000 rows (the footer and a scan agree).
    let out = run(&ctx, "SELECT count(*) AS n, count(*) AS m FROM trips").await;
    assert_eq!(out.column(0).as_primitive::<Int64Type>().value(0), 20000);
    assert_eq!(out.column(1).as_primitive::<Int64Type>().value(0), 20000);
    let scanned = run(&ctx, "SELECT count(trip_id) FROM trips").await;
    assert_eq!(
        scanned.column(0).as_primitive::<Int64Type>().value(0),
        20000
    );
}

/// Machine-written SQL nests deeply; none of it may overflow a stack (this
/// test's threads have the 2 MiB Rust gives spawned threads). Chains of
/// AND/OR and UNION are flattened, so they have no depth limit; any other
/// expression deeper than `max_expression_depth` (1000) is an error.
#[tokio::test]
async fn deep_queries_answer_or_fail_cleanly() {
    let ctx = session(2, 8192).await;
    let count = |batch: &RecordBatch| batch.column(0).as_primitive::<Int64Type>().value(0);

    let conjuncts: Vec<String> = (0..20_000)
        .map(|i| format!("trip_id + {i} > {}", i + 6))
        .collect();
    let disjuncts: Vec<String> = (0..20_000).map(|i| format!("trip_id = {i}")).collect();
    for (chain, same) in [
        (conjuncts.join(" AND "), "trip_id > 6"),
        (disjuncts.join(" OR "), "trip_id < 20000"),
    ] {
        let long = run(&ctx, &format!("SELECT count(*) FROM trips WHERE {chain}")).await;
        let short = run(&ctx, &format!("SELECT count(*) FROM trips WHERE {same}")).await;
        assert_eq!(count(&long), count(&short));
    }

    // A repeated condition is bound once.
    let repeated =
        "EXPLAIN SELECT count(*) FROM trips WHERE trip_id > 1 AND trip_id < 9 AND trip_id > 1";
    let once = "EXPLAIN SELECT count(*) FROM trips WHERE trip_id > 1 AND trip_id < 9";
    assert_eq!(rows_of(&ctx, repeated).await, rows_of(&ctx, once).await);

    let branches: Vec<String> = (0..5_000).map(|i| format!("SELECT {i} AS x")).collect();
    let sql = format!(
        "SELECT count(*), sum(x) FROM ({})",
        branches.join(" UNION ALL ")
    );
    let unioned = run(&ctx, &sql).await;
    assert_eq!(count(&unioned), 5_000);

    // Nearly 1000 levels of `+` evaluate, on the operators' threads too
    // (DuckDB's binder takes up to 994 terms).
    let sum = vec!["trip_id"; 990].join(" + ");
    let deep = run(&ctx, &format!("SELECT sum({sum}) FROM trips")).await;
    let plain = run(&ctx, "SELECT sum(trip_id) * 990 FROM trips").await;
    assert_eq!(count(&deep), count(&plain));

    for terms in [1_002, 200_000] {
        let sql = format!("SELECT {}", vec!["1"; terms].join(" + "));
        let error = ctx.sql(&sql).await.unwrap_err().to_string();
        assert!(
            error.contains("nested more than 1000 levels deep"),
            "{error}"
        );
    }

    // Plans built on one another: a chain of CTEs answers up to 1000 plan
    // levels and is an error beyond; so are 5000 EXCEPTs.
    let chain = |n: usize| {
        let ctes: Vec<String> = (1..n)
            .map(|i| format!("c{i} AS (SELECT x + 1 AS x FROM c{})", i - 1))
            .collect();
        format!(
            "WITH c0 AS (SELECT 1 AS x), {} SELECT x FROM c{}",
            ctes.join(", "),
            n - 1
        )
    };
    let answered = run(&ctx, &chain(300)).await;
    assert_eq!(answered.column(0).as_primitive::<Int64Type>().value(0), 300);
    let excepts: Vec<String> = (0..5_000).map(|i| format!("SELECT {i} AS x")).collect();
    for sql in [chain(3_000), excepts.join(" EXCEPT ")] {
        let error = ctx.sql(&sql).await.unwrap().collect().await.unwrap_err();
        assert!(
            error
                .to_string()
                .contains("plan is nested more than 1000 levels deep"),
            "{error}"
        );
    }

    // Nesting the parser recurses over (up to its own limit of 50 levels).
    let parens = format!("SELECT {}1{} + 1", "(".repeat(45), ")".repeat(45));
    assert_eq!(count(&run(&ctx, &parens).await), 2);
    let mut nested = "SELECT 1 AS x".to_string();
    for level in 0..20 {
        nested = format!("SELECT x + 1 AS x FROM ({nested}) AS s{level} WHERE x > 0");
    }
    assert_eq!(count(&run(&ctx, &nested).await), 21);

    // A join of 150 inputs is ordered greedily, from the conditions that
    // link them (trying every pair of inputs took seconds per join).
    let inputs: Vec<String> = (0..150)
        .map(|i| format!("(SELECT 1 AS k{i}) t{i}"))
        .collect();
    let links: Vec<String> = (1..150)
        .map(|i| format!("t{}.k{} = t{i}.k{i}", i - 1, i - 1))
        .collect();
    let sql = format!(
        "SELECT count(*) FROM {} WHERE {}",
        inputs.join(", "),
        links.join(" AND ")
    );
    assert_eq!(count(&run(&ctx, &sql).await), 1);

    ctx.sql("SET max_expression_depth = 5").await.unwrap();
    let error = ctx.sql("SELECT 1 + 2 + 3 + 4 + 5 + 6").await.unwrap_err();
    assert!(error.to_string().contains("more than 5 levels"), "{error}");
    let shown = rows_of(&ctx, "SHOW max_expression_depth").await;
    assert!(shown.contains('5'), "{shown}");
}
