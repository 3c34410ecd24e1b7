//! The metamorphic checks: ways to ask for the same answer twice that must
//! agree, so no outside engine is needed to judge the result.
//!
//! - Ternary logic partitioning (TLP): the rows of a query equal the rows
//!   of the same query filtered by `p`, by `NOT p` and by `p IS NULL`, put
//!   together; likewise for DISTINCT, for aggregates recombined, and for
//!   HAVING on a grouped query.
//! - ORDER BY with LIMIT and OFFSET gives the rows at those places of the
//!   whole ordered result; a set operation gives what its sides' rows say.
//! - Configurations: the same query with every optional optimizer rule off,
//!   on one partition, and in tiny batches under a tight memory limit (so
//!   operators spill) gives the same rows as the default.
//! - Every run: no panic, hang or internal error.

use std::collections::BTreeMap;

use quiver::{SessionConfig, SessionContext};

use crate::database::Database;
use crate::outcome::{run, run_in_order, Outcome};
use crate::query::{Aggregate, Generator, Select};

/// One way of running queries, with its own session holding the database.
pub struct Configuration {
    /// What differs in it, for reports.
    pub name: &'static str,
    /// Its session.
    pub ctx: SessionContext,
}

/// The sessions every query runs in: the reference first.
pub async fn configurations(database: &Database) -> Result<Vec<Configuration>, String> {
    let settings: [(&'static str, SessionConfig, &str); 4] = [
        (
            "default",
            SessionConfig::new().with_target_partitions(4),
            "",
        ),
        (
            "optimizer off",
            SessionConfig::new().with_target_partitions(4),
            "SET optimizer.disabled_rules = 'all'",
        ),
        (
            "one partition",
            SessionConfig::new().with_target_partitions(1),
            "",
        ),
        (
            "batches of 3 rows, 256 KB memory limit",
            SessionConfig::new()
                .with_target_partitions(3)
                .with_batch_size(3)
                .with_memory_limit(Some(256 << 10)),
            "",
        ),
    ];
    let mut configurations = Vec::new();
    for (name, config, setting) in settings {
        let ctx = SessionContext::with_config(config);
        let setup = database
            .statements()
            .into_iter()
            .chain((!setting.is_empty()).then(|| setting.to_string()));
        for statement in setup {
            if let Err(e) = ctx.sql(&statement).await {
                return Err(format!("{statement}: {e}"));
            }
        }
        configurations.push(Configuration { name, ctx });
    }
    Ok(configurations)
}

/// A disagreement or a bug, with what it takes to see it again.
#[derive(Debug, Clone)]
pub struct Finding {
    /// Which check failed.
    pub check: String,
    /// The queries that should have agreed (or the one that failed).
    pub queries: Vec<String>,
    /// What each gave.
    pub detail: String,
}

/// Counts of one pass.
#[derive(Debug, Default, Clone)]
pub struct Tally {
    /// Queries generated and run (each in every configuration).
    pub queries: usize,
    /// Query runs, over all configurations and rewrites.
    pub runs: usize,
    /// Comparisons made between two successful answers.
    pub comparisons: usize,
    /// Queries whose reference run was a clean user error.
    pub user_errors: usize,
    /// Those errors by the start of their message (what users would meet
    /// most: unsupported features, missing functions).
    pub error_kinds: BTreeMap<String, usize>,
}

impl Tally {
    /// Adds `other`'s counts to these.
    pub fn add(&mut self, other: &Tally) {
        self.queries += other.queries;
        self.runs += other.runs;
        self.comparisons += other.comparisons;
        self.user_errors += other.user_errors;
        for (kind, count) in &other.error_kinds {
            *self.error_kinds.entry(kind.clone()).or_default() += count;
        }
    }
}

/// Runs checks for one database and collects what they find.
pub struct Checker<'a> {
    /// The sessions; the first is the reference.
    pub configurations: &'a [Configuration],
    /// The counts so far.
    pub tally: Tally,
    /// The findings so far.
    pub findings: Vec<Finding>,
}

impl<'a> Checker<'a> {
    /// A checker over `configurations`.
    pub fn new(configurations: &'a [Configuration]) -> Self {
        Self {
            configurations,
            tally: Tally::default(),
            findings: Vec::new(),
        }
    }

    /// Writes one random query with `generator` and runs a random oracle on it.
    pub async fn check_one(&mut self, generator: &mut Generator<'_>) {
        self.tally.queries += 1;
        let from = generator.from_clause();
        match generator.random.below(8) {
            7 => {
                let (select, _) = generator.grouped_select(&from);
                self.rollup_as_union(&select).await;
            }
            6 => {
                let select = generator.window_select(&from);
                self.across_configurations(&select.sql()).await;
            }
            4 => {
                let select = generator.plain_select(&from);
                let (limit, offset) = (generator.random.below(8), generator.random.below(4));
                self.top_rows(&select, limit, offset).await;
            }
            5 => {
                let kinds = generator.item_kinds(&from.scope);
                let left = generator.select_of_kinds(&from, &kinds);
                let other = generator.from_clause();
                let right = generator.select_of_kinds(&other, &kinds);
                let op = *generator.random.pick(&SET_OPERATIONS);
                self.set_operation(&left, op, &right).await;
            }
            0 => {
                let select = generator.plain_select(&from);
                let p = generator.predicate(&from.scope, 3);
                self.partitioned_rows(&select, &p, Clause::Where).await;
            }
            1 => {
                let mut select = generator.plain_select(&from);
                select.distinct = true;
                let p = generator.predicate(&from.scope, 3);
                self.partitioned_rows(&select, &p, Clause::Where).await;
            }
            2 => {
                let (call, aggregate, _) = generator.aggregate(&from.scope);
                let mut select = generator.plain_select(&from);
                select.items = vec![call];
                let p = generator.predicate(&from.scope, 3);
                self.partitioned_aggregate(&select, aggregate, &p).await;
            }
            _ => {
                let (select, having_scope) = generator.grouped_select(&from);
                let p = generator.predicate(&having_scope, 2);
                self.partitioned_rows(&select, &p, Clause::Having).await;
            }
        }
    }

    /// Runs `sql` in every configuration: a bug in any is a finding, as is a
    /// successful answer that differs from the reference's. Returns the
    /// reference's outcome.
    async fn across_configurations(&mut self, sql: &str) -> Outcome {
        let mut reference = None;
        for configuration in self.configurations {
            let outcome = run(&configuration.ctx, sql).await;
            self.tally.runs += 1;
            if let Outcome::Bug(message) = &outcome {
                self.report(
                    format!("bug ({})", configuration.name),
                    vec![sql.into()],
                    message.clone(),
                );
            }
            match &reference {
                None => reference = Some(outcome),
                Some(expected) => self.compare(
                    &format!("{} against default", configuration.name),
                    vec![sql.into()],
                    expected,
                    &outcome,
                ),
            }
        }
        let reference = reference.expect("there is a configuration");
        if let Outcome::Error(message) = &reference {
            self.tally.user_errors += 1;
            let kind: String = message.chars().take(60).collect();
            *self.tally.error_kinds.entry(kind).or_default() += 1;
        }
        reference
    }

    /// Runs `sql` in the reference configuration only.
    async fn in_reference(&mut self, sql: &str) -> Outcome {
        self.tally.runs += 1;
        let outcome = run(&self.configurations[0].ctx, sql).await;
        if let Outcome::Bug(message) = &outcome {
            self.report("bug (default)".into(), vec![sql.into()], message.clone());
        }
        outcome
    }

    /// Records a finding when two successful answers differ.
    fn compare(&mut self, check: &str, queries: Vec<String>, expected: &Outcome, got: &Outcome) {
        let (Some(a), Some(b)) = (expected.rows(), got.rows()) else {
            return;
        };
        self.tally.comparisons += 1;
        if a != b {
            self.report(
                check.into(),
                queries,
                format!(
                    "expected {} rows: {a:?}\ngot {} rows: {b:?}",
                    a.len(),
                    b.len()
                ),
            );
        }
    }

    fn report(&mut self, check: String, queries: Vec<String>, detail: String) {
        self.findings.push(Finding {
            check,
            queries,
            detail,
        });
    }

    /// ORDER BY with LIMIT and OFFSET (a top-k) gives the rows at those
    /// places of the whole ordered result. Ordering by every column makes
    /// rows that tie identical, so the comparison is exact.
    async fn top_rows(&mut self, select: &Select, limit: usize, offset: usize) {
        let positions: Vec<String> = (1..=select.items.len()).map(|i| i.to_string()).collect();
        let ordered = format!("{} ORDER BY {}", select.sql(), positions.join(", "));
        let Outcome::Rows(all) = run_in_order(&self.configurations[0].ctx, &ordered).await else {
            return;
        };
        self.tally.runs += 1;
        let mut expected: Vec<String> = all.into_iter().skip(offset).take(limit).collect();
        expected.sort();
        let top = format!("{ordered} LIMIT {limit} OFFSET {offset}");
        let got = self.across_configurations(&top).await;
        self.compare(
            "ORDER BY with LIMIT and OFFSET",
            vec![ordered, top],
            &Outcome::Rows(expected),
            &got,
        );
    }

    /// A set operation gives what its two sides' rows say it must.
    async fn set_operation(&mut self, left: &Select, op: &str, right: &Select) {
        let (left, right) = (left.sql(), right.sql());
        let (Outcome::Rows(l), Outcome::Rows(r)) = (
            self.in_reference(&left).await,
            self.in_reference(&right).await,
        ) else {
            return;
        };
        let query = format!("{left} {op} {right}");
        let got = match self.across_configurations(&query).await {
            // Distinct floats may round to the same text.
            Outcome::Rows(mut rows) if op != "UNION ALL" => {
                rows.dedup();
                Outcome::Rows(rows)
            }
            other => other,
        };
        let expected = Outcome::Rows(combined(&l, op, &r));
        self.compare(op, vec![left, right, query], &expected, &got);
    }

    /// TLP on WHERE (or on DISTINCT) or on HAVING: the query's rows (or
    /// groups) are those of its three partitions by `p`, put together.
    async fn partitioned_rows(&mut self, select: &Select, p: &str, clause: Clause) {
        let base = select.sql();
        let expected = match self.across_configurations(&base).await {
            // Distinct floats may round to the same text.
            Outcome::Rows(mut rows) if select.distinct => {
                rows.dedup();
                Outcome::Rows(rows)
            }
            Outcome::Rows(rows) => Outcome::Rows(rows),
            _ => return,
        };
        let parts = partitions(select, p, |select, condition| match clause {
            Clause::Where => and_filter(select, condition),
            Clause::Having => select.having = Some(condition.to_string()),
        });
        let mut combined = Vec::new();
        for part in &parts {
            match self.in_reference(part).await {
                Outcome::Rows(rows) => combined.extend(rows),
                _ => return,
            }
        }
        combined.sort();
        if select.distinct {
            combined.dedup();
        }
        let mut queries = vec![base];
        queries.extend(parts);
        let check = match clause {
            Clause::Where => "ternary logic partitioning of WHERE",
            Clause::Having => "ternary logic partitioning of HAVING",
        };
        self.compare(check, queries, &expected, &Outcome::Rows(combined));
    }

    /// `GROUP BY ROLLUP (k1, .., kn)` gives the rows of grouping by each
    /// prefix of the keys (the keys left out NULL), the empty prefix being
    /// a global aggregate: one row even over no input.
    async fn rollup_as_union(&mut self, select: &Select) {
        let keys = select.group_by.clone();
        let mut rollup = select.clone();
        rollup.group_by = vec![format!("ROLLUP ({})", keys.join(", "))];
        let base = rollup.sql();
        let expected = self.across_configurations(&base).await;
        if expected.rows().is_none() {
            return;
        }
        let parts: Vec<String> = (0..=keys.len())
            .map(|kept| {
                let mut part = select.clone();
                for item in &mut part.items[kept..keys.len()] {
                    *item = "NULL".into();
                }
                part.group_by = keys[..kept].to_vec();
                part.sql()
            })
            .collect();
        let union = parts.join(" UNION ALL ");
        let got = self.in_reference(&union).await;
        self.compare(
            "ROLLUP as a union of groupings",
            vec![base, union],
            &expected,
            &got,
        );
    }

    /// TLP on an aggregate: the aggregate over the rows equals its partial
    /// results over the three partitions, recombined.
    async fn partitioned_aggregate(&mut self, select: &Select, aggregate: Aggregate, p: &str) {
        let base = select.sql();
        let expected = self.across_configurations(&base).await;
        let distinct = select.items[0].contains("DISTINCT");
        let (Some(_), Some(combiner)) = (expected.rows(), aggregate.combiner(distinct)) else {
            return;
        };
        let parts = partitions(select, p, |select, condition| {
            and_filter(select, condition);
            select.items = vec![format!("{} AS partial", select.items[0])];
        });
        let combined = format!(
            "SELECT {combiner}(partial) FROM ({}) AS parts",
            parts.join(" UNION ALL ")
        );
        let got = self.in_reference(&combined).await;
        self.compare(
            "ternary logic partitioning of an aggregate",
            vec![base, combined],
            &expected,
            &got,
        );
    }
}

/// The set operations checked, as SQL writes them.
const SET_OPERATIONS: [&str; 4] = ["UNION ALL", "UNION", "INTERSECT", "EXCEPT"];

/// What `left op right` must give, from the sorted rows of each side.
fn combined(left: &[String], op: &str, right: &[String]) -> Vec<String> {
    let distinct = |rows: &[String]| -> Vec<String> {
        let mut rows = rows.to_vec();
        rows.dedup();
        rows
    };
    let mut rows: Vec<String> = match op {
        "UNION ALL" => left.iter().chain(right).cloned().collect(),
        "UNION" => distinct(&[left, right].concat()),
        "INTERSECT" => distinct(left)
            .into_iter()
            .filter(|row| right.binary_search(row).is_ok())
            .collect(),
        _ => distinct(left)
            .into_iter()
            .filter(|row| right.binary_search(row).is_err())
            .collect(),
    };
    rows.sort();
    if op == "UNION" {
        rows.dedup();
    }
    rows
}

/// Which clause a partitioning predicate goes in.
#[derive(Debug, Clone, Copy)]
enum Clause {
    /// WHERE, beside any condition already there.
    Where,
    /// HAVING.
    Having,
}

/// Adds `condition` to `select`'s WHERE with AND.
fn and_filter(select: &mut Select, condition: &str) {
    select.filter = Some(match &select.filter {
        Some(filter) => format!("({filter}) AND {condition}"),
        None => condition.to_string(),
    });
}

/// The three queries `select` changed by `apply` with `p`, `NOT p` and
/// `p IS NULL`.
fn partitions(select: &Select, p: &str, apply: impl Fn(&mut Select, &str)) -> Vec<String> {
    [
        format!("({p})"),
        format!("(NOT ({p}))"),
        format!("(({p}) IS NULL)"),
    ]
    .iter()
    .map(|condition| {
        let mut part = select.clone();
        apply(&mut part, condition);
        part.sql()
    })
    .collect()
}
