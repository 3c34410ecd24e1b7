//! User-defined scalar, aggregate and window functions, from SQL and the
//! DataFrame API; panics and broken results are errors of the query.

mod support;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, Float64Array, Int64Array, UInt64Array};
use arrow::datatypes::{DataType, Float64Type, Int64Type};
use quiver::expr::col;
use quiver::functions::call;
use quiver::udf::{AggregateUdf, ScalarUdf, WindowFunction, WindowRows};
use quiver::{DataFrame, QuiverError, ScalarValue, SessionConfig, SessionContext};

/// The rows of `df` as text, cells joined by `|`.
async fn texts(df: &DataFrame) -> Vec<String> {
    support::joined_rows(df, "|").await.expect("the query runs")
}

async fn query(ctx: &SessionContext, sql: &str) -> Vec<String> {
    texts(&ctx.sql(sql).await.expect("the query plans")).await
}

fn add_one() -> ScalarUdf {
    ScalarUdf::new(
        "Add_One",
        vec![DataType::Int64],
        DataType::Int64,
        |args, _| {
            let values = args[0].as_primitive::<Int64Type>();
            let added: Int64Array = values.iter().map(|v| v.map(|v| v + 1)).collect();
            Ok(Arc::new(added) as ArrayRef)
        },
    )
}

/// The geometric mean of a group's non-NULL values; NULL for none.
fn geomean() -> AggregateUdf {
    AggregateUdf::new(
        "geomean",
        vec![DataType::Float64],
        DataType::Float64,
        |args| {
            let values = args[0].as_primitive::<Float64Type>();
            let present: Vec<f64> = values.iter().flatten().collect();
            if present.is_empty() {
                return Ok(ScalarValue::Float64(None));
            }
            let logs: f64 = present.iter().map(|v| v.ln()).sum();
            Ok(ScalarValue::Float64(Some(
                (logs / present.len() as f64).exp(),
            )))
        },
    )
}

#[tokio::test]
async fn scalar_functions_from_sql_and_dataframes() {
    let ctx = SessionContext::new();
    ctx.register_scalar_function(add_one()).unwrap();
    // INTEGER arguments are cast to the declared BIGINT; NULL stays NULL.
    assert_eq!(
        query(
            &ctx,
            "SELECT add_one(41), ADD_ONE(CAST(1 AS INTEGER)), add_one(NULL)"
        )
        .await,
        ["42|2|NULL"]
    );
    let df = ctx.sql("SELECT range AS x FROM range(3)").await.unwrap();
    let added = df.select([call("add_one", [col("x")]).alias("y")]).unwrap();
    assert_eq!(texts(&added).await, ["1", "2", "3"]);
    let error = ctx
        .sql("SELECT add_one(1, 2)")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("add_one(BIGINT) takes 1 argument, not 2"),
        "{error}"
    );
}

#[tokio::test]
async fn volatile_functions_run_per_row() {
    let ctx = SessionContext::new();
    let counter = Arc::new(AtomicI64::new(0));
    let seen = Arc::clone(&counter);
    let next = ScalarUdf::new("next_id", vec![], DataType::Int64, move |_, rows| {
        let ids: Int64Array = (0..rows)
            .map(|_| seen.fetch_add(1, Ordering::SeqCst))
            .collect();
        Ok(Arc::new(ids) as ArrayRef)
    });
    ctx.register_scalar_function(next.volatile()).unwrap();
    let ids = query(&ctx, "SELECT count(DISTINCT next_id()) FROM range(100)").await;
    assert_eq!(ids, ["100"]);
    assert_eq!(counter.load(Ordering::SeqCst), 100);
}

#[tokio::test]
async fn panics_and_broken_results_are_errors() {
    // One partition, so that `range(3)` reaches the functions as one batch
    // of three rows.
    let ctx = SessionContext::with_config(SessionConfig::new().with_target_partitions(1));
    ctx.register_scalar_function(ScalarUdf::new(
        "boom",
        vec![DataType::Int64],
        DataType::Int64,
        |_, _| panic!("the UDF gave up"),
    ))
    .unwrap();
    ctx.register_scalar_function(ScalarUdf::new(
        "short",
        vec![DataType::Int64],
        DataType::Int64,
        |_, _| Ok(Arc::new(Int64Array::from(vec![1])) as ArrayRef),
    ))
    .unwrap();
    ctx.register_scalar_function(ScalarUdf::new(
        "wrong",
        vec![DataType::Int64],
        DataType::Int64,
        |_, rows| Ok(Arc::new(Float64Array::from(vec![0.5; rows])) as ArrayRef),
    ))
    .unwrap();
    let run = |sql: &'static str| {
        let ctx = ctx.clone();
        async move { ctx.sql(sql).await?.collect().await.map(|_| ()) }
    };
    let error = run("SELECT boom(range) FROM range(3)").await.unwrap_err();
    assert!(matches!(error.root(), QuiverError::Execution(_)), "{error}");
    assert!(
        error
            .to_string()
            .contains("function boom panicked: the UDF gave up"),
        "{error}"
    );
    let error = run("SELECT short(range) FROM range(3)")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("function short returned 1 values for"),
        "{error}"
    );
    let error = run("SELECT wrong(range) FROM range(3)")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("returned DOUBLE values, but it declares BIGINT"),
        "{error}"
    );
    // The session goes on.
    assert_eq!(query(&ctx, "SELECT 1").await, ["1"]);
}

#[tokio::test]
async fn aggregate_functions_group_filter_and_window() {
    let ctx = SessionContext::new();
    ctx.register_aggregate_function(geomean()).unwrap();
    ctx.sql(
        "CREATE TABLE t AS SELECT * FROM (VALUES ('a', 1.0), ('a', 4.0), ('b', 2.0), \
         ('b', NULL), ('c', NULL)) v(k, x)",
    )
    .await
    .unwrap();
    assert_eq!(
        query(&ctx, "SELECT k, geomean(x) FROM t GROUP BY k ORDER BY k").await,
        ["a|2.0", "b|2.0", "c|NULL"]
    );
    assert_eq!(
        query(&ctx, "SELECT geomean(x) FILTER (WHERE k = 'a') FROM t").await,
        ["2.0"]
    );
    assert_eq!(
        query(&ctx, "SELECT geomean(x) FROM t WHERE false").await,
        ["NULL"]
    );
    assert_eq!(
        query(
            &ctx,
            "SELECT k, geomean(x) OVER (ORDER BY k, x ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) \
             FROM t WHERE x IS NOT NULL ORDER BY k, x"
        )
        .await,
        ["a|1.0", "a|2.0", "b|2.82842712474619"]
    );
    let df = ctx.table("t").unwrap();
    let by_key = df
        .aggregate([col("k")], [call("geomean", [col("x")]).alias("g")])
        .unwrap()
        .filter(col("k").eq(quiver::expr::lit("a")))
        .unwrap();
    assert_eq!(texts(&by_key).await, ["a|2.0"]);
}

/// The row's position in its partition counted from the end (a window
/// function written against the engine's trait).
#[derive(Debug)]
struct RowsLeft;

impl WindowFunction for RowsLeft {
    fn name(&self) -> &str {
        "rows_left"
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> quiver::Result<Vec<DataType>> {
        match arg_types {
            [] => Ok(vec![]),
            _ => Err(QuiverError::Plan("rows_left takes no arguments".into())),
        }
    }
    fn return_type(&self, _: &[DataType]) -> quiver::Result<DataType> {
        Ok(DataType::UInt64)
    }
    fn evaluate(&self, _args: &[ArrayRef], rows: &WindowRows<'_>) -> quiver::Result<ArrayRef> {
        let left: UInt64Array = rows
            .partition_ranges()
            .flat_map(|range| range.clone().map(move |row| (range.end - row - 1) as u64))
            .collect();
        Ok(Arc::new(left))
    }
}

#[tokio::test]
async fn window_functions_through_the_trait() {
    let ctx = SessionContext::new();
    ctx.register_window_function(RowsLeft).unwrap();
    assert_eq!(
        query(
            &ctx,
            "SELECT range % 2 AS g, range, rows_left() OVER (PARTITION BY range % 2 ORDER BY range) \
             FROM range(5) ORDER BY g, range"
        )
        .await,
        ["0|0|2", "0|2|1", "0|4|0", "1|1|1", "1|3|0"]
    );
}
