//! The logical and physical plans of the 22 TPC-H queries at scale factor
//! 0.1, and of window, grouping, unnest and correlated subquery queries
//! over its tables, as reviewed snapshots (`tests/snapshots/`): a change to the
//! optimizer or the physical planner shows up as a readable diff of the
//! plans it changes. After reviewing such a diff, accept it with
//! `INSTA_UPDATE=always cargo test -p quiver-benches --test plan_snapshots`
//! (or `cargo insta review`).

mod common;

use arrow::array::AsArray;
use common::data_dir;
use quiver::{SessionConfig, SessionContext};
use quiver_benches::{query_text, register_tables, QUERY_COUNT};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tpch_plans_match_their_snapshots() {
    let dir = data_dir();
    let ctx = SessionContext::with_config(SessionConfig::new().with_target_partitions(2));
    register_tables(&ctx, dir.to_str().unwrap()).await.unwrap();
    for q in 1..=QUERY_COUNT {
        let sql = query_text(q).unwrap();
        let plans = explain(&ctx, &sql).await;
        let plans = plans.replace(dir.to_str().unwrap(), "<data>");
        insta::assert_snapshot!(format!("q{q:02}"), plans, &sql);
    }
}

/// Window queries over lineitem: the filter that moves below a window, the
/// sort shared by windows with one PARTITION BY, the first rows per
/// partition kept for a ranking filter, and window calls nothing uses.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn window_plans_match_their_snapshots() {
    let queries = [
        (
            "window_filter_below",
            "SELECT * FROM (SELECT l_orderkey, l_quantity, \
             sum(l_quantity) OVER (PARTITION BY l_orderkey) AS total, \
             count(*) OVER (PARTITION BY l_orderkey ORDER BY l_linenumber) AS running \
             FROM lineitem) AS q WHERE l_orderkey < 100 AND total > 100",
        ),
        (
            "window_shared_sort",
            "SELECT l_suppkey, \
             row_number() OVER (PARTITION BY l_suppkey ORDER BY l_shipdate, l_orderkey) AS rn, \
             sum(l_quantity) OVER (PARTITION BY l_suppkey ORDER BY l_shipdate \
               ROWS BETWEEN 6 PRECEDING AND CURRENT ROW) AS moving, \
             avg(l_extendedprice) OVER (ORDER BY l_shipdate \
               RANGE BETWEEN INTERVAL '30 days' PRECEDING AND CURRENT ROW) AS month \
             FROM lineitem",
        ),
        (
            "window_first_rows",
            "SELECT l_orderkey, l_extendedprice, \
             rank() OVER (ORDER BY l_extendedprice DESC) AS r FROM lineitem QUALIFY r <= 10",
        ),
        (
            "window_unused_calls",
            "SELECT l_orderkey FROM (SELECT l_orderkey, \
             lag(l_quantity) OVER (PARTITION BY l_partkey ORDER BY l_orderkey) AS d FROM lineitem) AS q",
        ),
    ];
    snapshot_plans(&queries).await;
}

/// Grouping queries over lineitem: a ROLLUP read once through `Expand`
/// with its grand total's empty-input branch, a CUBE of two keys, an
/// ordered and a holistic aggregate in one phase, and DISTINCT ON as the
/// first row per key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grouping_plans_match_their_snapshots() {
    let queries = [
        (
            "grouping_rollup",
            "SELECT l_returnflag, l_linestatus, sum(l_quantity), grouping(l_linestatus) \
             FROM lineitem GROUP BY ROLLUP (l_returnflag, l_linestatus)",
        ),
        (
            "grouping_cube_having",
            "SELECT l_returnflag, l_shipmode, count(*) FROM lineitem \
             GROUP BY CUBE (l_returnflag, l_shipmode) HAVING grouping(l_shipmode) = 0",
        ),
        (
            "grouping_ordered_and_holistic",
            "SELECT l_returnflag, median(l_quantity), \
             string_agg(l_shipmode, ',' ORDER BY l_orderkey) FROM lineitem GROUP BY l_returnflag",
        ),
        (
            "grouping_distinct_on",
            "SELECT DISTINCT ON (l_suppkey) l_suppkey, l_orderkey, l_extendedprice \
             FROM lineitem ORDER BY l_suppkey, l_extendedprice DESC",
        ),
    ];
    snapshot_plans(&queries).await;
}

/// Unnest queries over lineitem: the scan reads only the column whose
/// lists are unnested, in the select list and in FROM.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unnest_plans_match_their_snapshots() {
    let queries = [
        (
            "unnest_select_list",
            "SELECT w, count(*) FROM (SELECT unnest(string_split(l_comment, ' ')) AS w \
             FROM lineitem) GROUP BY w",
        ),
        (
            "unnest_in_from",
            "SELECT l_orderkey, w FROM lineitem, unnest(string_split(l_comment, ' ')) AS u(w) \
             WHERE l_orderkey < 10",
        ),
    ];
    snapshot_plans(&queries).await;
}

/// Correlated subqueries that cannot be pulled up, unnested over the
/// distinct outer values (`__delim_N`): an inequality under an aggregate,
/// the first rows per outer row through LATERAL, and a NOT IN that reads
/// the query two levels out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn correlated_plans_match_their_snapshots() {
    let queries = [
        (
            "correlated_inequality_count",
            "SELECT o.o_orderkey, (SELECT count(*) FROM orders o2 \
             WHERE o2.o_custkey = o.o_custkey AND o2.o_totalprice > o.o_totalprice) FROM orders o",
        ),
        (
            "lateral_top_n",
            "SELECT c.c_custkey, t.o_totalprice FROM customer c, LATERAL (SELECT o.o_totalprice \
             FROM orders o WHERE o.o_custkey = c.c_custkey ORDER BY o.o_totalprice DESC LIMIT 3) t",
        ),
        (
            "correlated_two_levels_out",
            "SELECT c.c_custkey, (SELECT count(*) FROM orders o WHERE o.o_custkey = c.c_custkey \
             AND o.o_orderpriority NOT IN (SELECT n.n_name FROM nation n \
             WHERE n.n_nationkey < c.c_nationkey)) FROM customer c",
        ),
        (
            "asof_left_join",
            "SELECT o.o_orderkey, l.l_shipdate FROM orders o ASOF LEFT JOIN lineitem l \
             ON o.o_orderkey = l.l_orderkey AND o.o_orderdate >= l.l_shipdate \
             WHERE o.o_totalprice > 1000",
        ),
    ];
    snapshot_plans(&queries).await;
}

/// Compares the plans of each `(name, sql)` over the TPC-H tables with its
/// snapshot.
async fn snapshot_plans(queries: &[(&str, &str)]) {
    let dir = data_dir();
    let ctx = SessionContext::with_config(SessionConfig::new().with_target_partitions(2));
    register_tables(&ctx, dir.to_str().unwrap()).await.unwrap();
    for (name, sql) in queries {
        let plans = explain(&ctx, sql).await;
        let plans = plans.replace(dir.to_str().unwrap(), "<data>");
        insta::assert_snapshot!(*name, plans, *sql);
    }
}

/// `EXPLAIN sql` as text: each row's plan type, then its plan.
async fn explain(ctx: &SessionContext, sql: &str) -> String {
    let batches = ctx
        .sql(&format!("EXPLAIN {sql}"))
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    let mut text = String::new();
    for batch in batches {
        let (kinds, plans) = (
            batch.column(0).as_string::<i32>(),
            batch.column(1).as_string::<i32>(),
        );
        for row in 0..batch.num_rows() {
            text.push_str(&format!(
                "{}:\n{}\n",
                kinds.value(row),
                plans.value(row).trim_end()
            ));
        }
    }
    text
}
