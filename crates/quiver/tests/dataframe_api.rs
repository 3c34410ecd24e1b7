//! The DataFrame builder, parameters and scripts through the public API,
//! with answers worked out by hand on small tables.

mod support;

use std::sync::Arc;

use arrow::array::{Array, Int64Array, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use quiver::expr::{col, lit, sql_expr, Window};
use quiver::functions::{count_star, row_number, sum, upper};
use quiver::{
    CsvOptions, DataFrame, JoinType, JsonOptions, MemTable, ParameterValues, QuiverError,
    ScalarValue, SessionContext,
};

/// The rows of `df` as text, cells joined by `|`.
async fn rows(df: &DataFrame) -> Vec<String> {
    support::joined_rows(df, "|").await.expect("the query runs")
}

async fn people(ctx: &SessionContext) -> DataFrame {
    ctx.sql(
        "SELECT * FROM (VALUES (1, 'ann', 'x', 10), (2, 'bob', 'y', 20), (3, 'cy', 'x', 30), \
         (4, 'di', NULL, 40)) v(id, name, team, score)",
    )
    .await
    .unwrap()
}

async fn teams(ctx: &SessionContext) -> DataFrame {
    ctx.sql("SELECT * FROM (VALUES ('x', 'red'), ('z', 'blue')) t(team, colour)")
        .await
        .unwrap()
}

#[tokio::test]
async fn filter_select_aggregate_sort_limit() {
    let ctx = SessionContext::new();
    let people = people(&ctx).await;
    let out = people
        .filter(col("score").gt(lit(15i64)))
        .unwrap()
        .select([
            upper(col("name")).alias("who"),
            (col("score") * lit(2i64)).alias("twice"),
        ])
        .unwrap()
        .sort([col("twice").desc()])
        .unwrap()
        .limit(0, Some(2))
        .unwrap();
    assert_eq!(rows(&out).await, ["DI|80", "CY|60"]);
    assert_eq!(out.schema().field(0).name(), "who");

    let by_team = people
        .aggregate(
            [col("team")],
            [count_star().alias("n"), sum(col("score")).alias("total")],
        )
        .unwrap()
        .sort([col("team").asc()])
        .unwrap();
    assert_eq!(rows(&by_team).await, ["x|2|40", "y|1|20", "NULL|1|40"]);
    let whole = people.aggregate([], [sum(col("score"))]).unwrap();
    assert_eq!(rows(&whole).await, ["100"]);
    assert_eq!(people.limit(3, None).unwrap().count().await.unwrap(), 1);
    assert_eq!(
        people
            .select_columns(&["team"])
            .unwrap()
            .distinct()
            .unwrap()
            .count()
            .await
            .unwrap(),
        3
    );
}

#[tokio::test]
async fn joins_of_every_kind() {
    let ctx = SessionContext::new();
    let (people, teams) = (people(&ctx).await, teams(&ctx).await);
    let inner = people
        .join(&teams, JoinType::Inner, &["team"], &["team"])
        .unwrap()
        .select([col("id"), col("colour")])
        .unwrap()
        .sort([col("id").asc()])
        .unwrap();
    assert_eq!(rows(&inner).await, ["1|red", "3|red"]);
    let left = people
        .join_on(
            &teams,
            JoinType::Left,
            col("left.team").eq(col("right.team")),
        )
        .unwrap();
    assert_eq!(left.count().await.unwrap(), 4);
    let using = people
        .join_using(&teams, JoinType::Full, &["team"])
        .unwrap();
    assert_eq!(using.schema().fields().len(), 5);
    assert_eq!(using.count().await.unwrap(), 5);
    let semi = people
        .join(&teams, JoinType::Semi, &["team"], &["team"])
        .unwrap();
    assert_eq!(semi.schema().fields().len(), 4);
    assert_eq!(semi.count().await.unwrap(), 2);
    let anti = people
        .join(&teams, JoinType::Anti, &["team"], &["team"])
        .unwrap();
    let ids = anti
        .select([col("id")])
        .unwrap()
        .sort([col("id").asc()])
        .unwrap();
    assert_eq!(rows(&ids).await, ["2", "4"]);
    assert_eq!(people.cross_join(&teams).unwrap().count().await.unwrap(), 8);
    let uneven = people.join(&teams, JoinType::Inner, &["team", "id"], &["team"]);
    assert!(matches!(uneven, Err(QuiverError::Plan(_))));
}

#[tokio::test]
async fn columns_added_replaced_renamed_and_dropped() {
    let ctx = SessionContext::new();
    let people = people(&ctx).await;
    let changed = people
        .with_column("score", col("score") + lit(1i64))
        .unwrap()
        .with_column("bonus", sql_expr("score * 10"))
        .unwrap()
        .with_column_renamed("name", "person")
        .unwrap()
        .drop_columns(&["team"])
        .unwrap()
        .filter(col("id").eq(lit(1i64)))
        .unwrap();
    let names: Vec<String> = changed
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    assert_eq!(names, ["id", "person", "score", "bonus"]);
    assert_eq!(rows(&changed).await, ["1|ann|11|110"]);
    assert!(people.with_column_renamed("nope", "x").is_err());
}

#[tokio::test]
async fn windows_and_set_operations() {
    let ctx = SessionContext::new();
    let people = people(&ctx).await;
    let ranked = people
        .window([row_number()
            .over(
                Window::new()
                    .partition_by([col("team")])
                    .order_by([col("score").desc()]),
            )
            .alias("rn")])
        .unwrap()
        .filter(col("rn").eq(lit(1i64)))
        .unwrap()
        .select([col("name")])
        .unwrap()
        .sort([col("name").asc()])
        .unwrap();
    assert_eq!(rows(&ranked).await, ["bob", "cy", "di"]);
    let ids = people.select([col("id")]).unwrap();
    let low = ids.filter(col("id").lt_eq(lit(2i64))).unwrap();
    assert_eq!(ids.union(&low).unwrap().count().await.unwrap(), 6);
    assert_eq!(ids.union_distinct(&low).unwrap().count().await.unwrap(), 4);
    assert_eq!(ids.intersect(&low).unwrap().count().await.unwrap(), 2);
    let rest = ids.except(&low).unwrap().sort([col("id").asc()]).unwrap();
    assert_eq!(rows(&rest).await, ["3", "4"]);
}

#[tokio::test]
async fn sources_files_tables_and_providers() {
    let ctx = SessionContext::new();
    let dir = env!("CARGO_MANIFEST_DIR");
    let trips = ctx
        .read_parquet(&format!("{dir}/../../testdata/trips.parquet"))
        .unwrap();
    assert_eq!(trips.count().await.unwrap(), 20_000);
    let events_path = format!("{dir}/../../testdata/events.json");
    let events = ctx.read_json(&events_path, JsonOptions::default()).unwrap();
    assert!(events.schema().field_with_name("kind").is_ok());
    ctx.register_json("events", &events_path, JsonOptions::default())
        .await
        .unwrap();
    assert_eq!(
        rows(&ctx.sql("SELECT count(*) FROM events").await.unwrap()).await,
        [events.count().await.unwrap().to_string()]
    );
    let cities = ctx
        .read_csv(
            &format!("{dir}/../../testdata/cities.csv"),
            CsvOptions::default(),
        )
        .unwrap();
    let japan = cities.filter(col("country").eq(lit("Japan"))).unwrap();
    assert_eq!(japan.count().await.unwrap(), 2);

    let schema = Arc::new(Schema::new(vec![
        Field::new("k", DataType::Utf8, false),
        Field::new("v", DataType::Int64, false),
    ]));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            Arc::new(StringArray::from(vec!["a", "b", "a"])),
            Arc::new(Int64Array::from(vec![1, 2, 3])),
        ],
    )
    .unwrap();
    let provider = MemTable::try_with_batches(schema.clone(), vec![batch.clone()]).unwrap();
    let own = ctx.read_table(Arc::new(provider)).unwrap();
    let sums = own
        .aggregate([col("k")], [sum(col("v"))])
        .unwrap()
        .sort([col("k").asc()])
        .unwrap();
    assert_eq!(rows(&sums).await, ["a|4", "b|2"]);

    ctx.register_batches("kv", schema, vec![batch]).unwrap();
    assert_eq!(ctx.table("kv").unwrap().count().await.unwrap(), 3);
    ctx.table("kv")
        .unwrap()
        .filter(col("k").eq(lit("a")))
        .unwrap()
        .create_view("just_a", false)
        .unwrap();
    assert_eq!(
        rows(&ctx.sql("SELECT sum(v) FROM just_a").await.unwrap()).await,
        ["4"]
    );
    ctx.deregister_table("kv").unwrap();
    assert!(ctx.table("kv").is_err());
}

#[tokio::test]
async fn errors_name_the_problem() {
    let ctx = SessionContext::new();
    let people = people(&ctx).await;
    let error = people
        .filter(col("nope").gt(lit(1i64)))
        .unwrap_err()
        .to_string();
    assert!(error.contains("nope"), "{error}");
    let ddl = ctx.sql("CREATE TABLE t (a INTEGER)").await.unwrap();
    assert!(ddl
        .select([col("a")])
        .unwrap_err()
        .to_string()
        .contains("gives no rows"));
    let explained = rows(
        &people
            .filter(col("id").eq(lit(1i64)))
            .unwrap()
            .explain(false)
            .unwrap(),
    )
    .await;
    assert!(!explained.is_empty());
}

#[tokio::test]
async fn parameters_and_scripts() {
    let ctx = SessionContext::new();
    let positional = ParameterValues::Positional(vec![
        ScalarValue::Int64(Some(2)),
        ScalarValue::Utf8(Some("x".into())),
    ]);
    let df = ctx
        .sql_with_params("SELECT ? * 21, $2 || '!'", &positional)
        .await
        .unwrap();
    assert_eq!(rows(&df).await, ["42|x!"]);
    let named = ParameterValues::Named(vec![("n".into(), ScalarValue::Int64(Some(3)))]);
    let df = ctx
        .sql_with_params("SELECT count(*) FROM range($n)", &named)
        .await
        .unwrap();
    assert_eq!(rows(&df).await, ["3"]);
    let script = ctx
        .sql("CREATE TABLE s (a BIGINT); INSERT INTO s VALUES (1), (2); SELECT sum(a) FROM s")
        .await
        .unwrap();
    assert_eq!(rows(&script).await, ["3"]);
    let broken = ctx.sql("INSERT INTO s VALUES (5); SELEC 1").await;
    assert!(matches!(broken, Err(QuiverError::Parse(_))));
    let unchanged = ctx.sql("SELECT count(*) FROM s").await.unwrap();
    assert_eq!(rows(&unchanged).await, ["2"]);
    let column = ctx
        .sql("SELECT a FROM s ORDER BY a")
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    assert_eq!(column[0].column(0).len(), 2);
}

#[tokio::test]
async fn typed_configuration_reaches_the_session() {
    let config = quiver::SessionConfig::new()
        .with_target_partitions(3)
        .with_time_zone("Asia/Tokyo")
        .unwrap()
        .with_disabled_rules(&["all"])
        .unwrap()
        .with_storage_option("s3_region", "eu-west-1")
        .unwrap();
    let ctx = SessionContext::with_config(config);
    let shown = rows(&ctx.sql("SHOW TimeZone").await.unwrap()).await;
    assert!(shown[0].starts_with("TimeZone|Asia/Tokyo"), "{shown:?}");
    let threads = rows(&ctx.sql("SHOW threads").await.unwrap()).await;
    assert!(threads[0].starts_with("threads|3|"), "{threads:?}");
    assert_eq!(ctx.state().storage().get("aws.region"), Some("eu-west-1"));
    assert!(!ctx.state().disabled_rules().is_empty());
}
