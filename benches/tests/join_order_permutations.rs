//! The join order does not depend on how the FROM list is written: for
//! TPC-H Q2, Q5, Q7, Q8, Q9, Q21 and a six-way star join, permutations of
//! the FROM list (all of them for up to five tables, a fixed sample of 24
//! beyond) give the same joins in the same order, and some of them are run
//! and checked against DuckDB's answers.

mod common;

use common::data_dir;
use quiver::arrow::array::AsArray;
use quiver::{SessionConfig, SessionContext};
use quiver_benches::{crate_dir, query_text, register_tables, run_query, verify};

/// Permutations of an n-table FROM list compared, beyond five tables.
const SAMPLED_PERMUTATIONS: usize = 24;
/// Permutations of each query also run and checked against the answer.
const EXECUTED_PERMUTATIONS: usize = 3;

/// The largest FROM list of `sql` written one item per line (comma
/// separated): the first line and the items.
fn from_list(sql: &str) -> Option<(usize, Vec<String>)> {
    let lines: Vec<&str> = sql.lines().collect();
    let mut best: Option<(usize, Vec<String>)> = None;
    for (i, line) in lines.iter().enumerate() {
        if !line.trim().eq_ignore_ascii_case("from") {
            continue;
        }
        let items: Vec<String> = lines[i + 1..]
            .iter()
            .take_while(|l| !l.trim().eq_ignore_ascii_case("where"))
            .map(|l| l.trim().trim_end_matches(',').to_string())
            .collect();
        // Each line one whole item: a table with an optional alias, or a
        // parenthesized subquery written on one line.
        let simple = items.iter().all(|item| {
            let depth = item.chars().fold(0i32, |d, c| match c {
                '(' => d + 1,
                ')' => d - 1,
                _ => d,
            });
            !item.is_empty() && depth == 0 && !item.eq_ignore_ascii_case("select")
        });
        if simple && best.as_ref().is_none_or(|(_, b)| b.len() < items.len()) {
            best = Some((i + 1, items));
        }
    }
    best
}

/// `sql` with its FROM list (see [`from_list`]) in the order `order`.
fn with_from_order(sql: &str, start: usize, items: &[String], order: &[usize]) -> String {
    let mut lines: Vec<String> = sql.lines().map(str::to_string).collect();
    for (k, &i) in order.iter().enumerate() {
        let comma = if k + 1 < order.len() { "," } else { "" };
        lines[start + k] = format!("    {}{comma}", items[i]);
    }
    lines.join("\n")
}

/// Orders of n items to try: all of them for n ≤ 5, else the written
/// order, its reverse and pseudo-random shuffles from a fixed seed.
fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n <= 5 {
        let mut all = vec![];
        permute(&mut (0..n).collect(), 0, &mut all);
        return all;
    }
    let mut orders = vec![(0..n).collect::<Vec<_>>(), (0..n).rev().collect()];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    while orders.len() < SAMPLED_PERMUTATIONS {
        let mut order: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            order.swap(i, (state >> 33) as usize % (i + 1));
        }
        orders.push(order);
    }
    orders
}

fn permute(items: &mut Vec<usize>, k: usize, out: &mut Vec<Vec<usize>>) {
    if k == items.len() {
        out.push(items.clone());
        return;
    }
    for i in k..items.len() {
        items.swap(k, i);
        permute(items, k + 1, out);
        items.swap(k, i);
    }
}

/// The joins and scans of the physical plan of `sql` as a tree of their
/// own (projections between them left out, column positions `@N` dropped):
/// the shape the join order determines.
async fn join_shape(ctx: &SessionContext, sql: &str) -> String {
    let explain = format!("EXPLAIN {sql}");
    let (_, batches) = run_query(ctx, &explain).await.expect("EXPLAIN runs");
    let plan = batches[0].column(1).as_string::<i32>().value(1).to_string();
    let mut shape = String::new();
    // The plan depths of the kept operators above the current line.
    let mut kept: Vec<usize> = vec![];
    for line in plan.lines() {
        let operator = line.trim_start();
        let depth = line.len() - operator.len();
        while kept.last().is_some_and(|&d| d >= depth) {
            kept.pop();
        }
        if operator.contains("JoinExec") || operator.starts_with("ParquetExec") {
            let without_positions: String = operator
                .split('@')
                .enumerate()
                .map(|(i, part)| {
                    if i == 0 {
                        part
                    } else {
                        part.trim_start_matches(|c: char| c.is_ascii_digit())
                    }
                })
                .collect();
            shape += &format!("{}{without_positions}\n", "  ".repeat(kept.len()));
            kept.push(depth);
        }
    }
    shape
}

async fn check_query(ctx: &SessionContext, name: &str, sql: &str) -> Result<(), String> {
    let (start, items) = from_list(sql).ok_or(format!("{name}: no plain FROM list"))?;
    let answer = crate_dir().join(format!("../testdata/tpch/answers/{name}.csv"));
    let orders = permutations(items.len());
    let first = join_shape(ctx, &with_from_order(sql, start, &items, &orders[0])).await;
    if first.matches("JoinExec: Inner").count() < items.len() - 1 {
        return Err(format!("{name}: fewer joins than tables:\n{first}"));
    }
    for (k, order) in orders.iter().enumerate() {
        let permuted = with_from_order(sql, start, &items, order);
        let shape = join_shape(ctx, &permuted).await;
        if shape != first {
            let listed: Vec<&str> = order.iter().map(|&i| items[i].as_str()).collect();
            return Err(format!(
                "{name}: FROM {} joins differently:\n{shape}\nthan the written order:\n{first}",
                listed.join(", ")
            ));
        }
        if k < EXECUTED_PERMUTATIONS {
            let (names, batches) = run_query(ctx, &permuted).await?;
            verify::check(&names, &batches, &answer).map_err(|e| format!("{name}: {e}"))?;
        }
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn from_list_order_does_not_change_the_plan_or_the_answer() {
    let dir = data_dir();
    let ctx = SessionContext::with_config(SessionConfig::new().with_target_partitions(2));
    register_tables(&ctx, dir.to_str().unwrap()).await.unwrap();
    let mut queries: Vec<(String, String)> = [2, 5, 7, 8, 9, 21]
        .into_iter()
        .map(|q| (format!("q{q}"), query_text(q).unwrap()))
        .collect();
    let star = crate_dir().join("../testdata/tpch/extra_queries/star_join.sql");
    queries.push((
        "star_join".to_string(),
        std::fs::read_to_string(star).unwrap(),
    ));
    let mut failures = vec![];
    for (name, sql) in &queries {
        if let Err(e) = check_query(&ctx, name, sql).await {
            failures.push(e);
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn from_lists_are_found_and_rewritten() {
    let sql = "SELECT 1\nFROM\n    a,\n    b x,\n    c\nWHERE\n    a.k = x.k";
    let (start, items) = from_list(sql).unwrap();
    assert_eq!(items, ["a", "b x", "c"]);
    assert_eq!(
        with_from_order(sql, start, &items, &[2, 0, 1]),
        "SELECT 1\nFROM\n    c,\n    a,\n    b x\nWHERE\n    a.k = x.k"
    );
    assert_eq!(permutations(3).len(), 6);
    assert_eq!(permutations(8).len(), SAMPLED_PERMUTATIONS);
}
