//! Input fuzzing: corrupted data files and random token streams as SQL.
//!
//! Valid Parquet, CSV and JSON files are written by Quiver itself (COPY of a
//! table with every kind of column); each case mutates one of them (flipped
//! bytes, a truncation, a spliced or deleted range, a length field set to
//! a huge value) and reads it back whole and with `count(*)`. Random
//! sequences of SQL tokens go through the parser, binder and executor. Every
//! run must answer or fail with a clean error, never panic, hang or report
//! an internal error; a failed read must name the file.

use std::path::{Path, PathBuf};

use quiver::SessionContext;

use crate::oracle::Finding;
use crate::outcome::{run, Outcome};
use crate::random::Random;

/// The formats whose readers are fuzzed, by file extension.
const FORMATS: [&str; 3] = ["parquet", "csv", "json"];

/// The table the seed files hold: every kind of column, NULLs, text with
/// quotes, commas and newlines.
const SEED_QUERY: &str = "WITH d(x) AS (VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)), \
     g AS (SELECT a.x * 100 + b.x * 10 + c.x + 1 AS i FROM d a, d b, d c WHERE a.x < 3) \
     SELECT i, i * 1.5 AS f, CAST(i AS DECIMAL(10,2)) / 7 AS d, \
     CASE WHEN i % 3 = 0 THEN NULL ELSE 'v' || i || ', \"q\"' END AS s, i % 2 = 0 AS b, \
     CASE WHEN i % 2 = 0 THEN DATE '2024-01-01' ELSE DATE '1999-12-31' END AS day FROM g";

/// What a file-fuzzing or SQL-fuzzing pass did and found.
#[derive(Debug, Default)]
pub struct InputReport {
    /// Cases run.
    pub cases: usize,
    /// Cases that read or ran successfully (mutations that kept the file
    /// readable, token streams that formed a query).
    pub answered: usize,
    /// The findings, each with the SQL and the file (if any) it used.
    pub findings: Vec<Finding>,
}

/// Writes the seed file of each format into `directory`.
pub async fn write_seed_files(
    ctx: &SessionContext,
    directory: &Path,
) -> quiver::Result<Vec<PathBuf>> {
    let mut paths = Vec::new();
    for format in FORMATS {
        let path = directory.join(format!("seed.{format}"));
        let copy = format!("COPY ({SEED_QUERY}) TO '{}'", path.display());
        ctx.sql(&copy).await?.collect().await?;
        paths.push(path);
    }
    Ok(paths)
}

/// Reads `cases` corrupted copies of the seed files in `directory`.
pub async fn fuzz_files(seed: u64, cases: usize, directory: &Path) -> InputReport {
    let mut report = InputReport::default();
    let ctx = SessionContext::new();
    let seeds = match write_seed_files(&ctx, directory).await {
        Ok(paths) => paths,
        Err(e) => {
            report.findings.push(Finding {
                check: "writing the seed files".into(),
                queries: vec![],
                detail: e.to_string(),
            });
            return report;
        }
    };
    let mut random = Random::new(seed);
    for case in 0..cases {
        let original = random.pick(&seeds).clone();
        let Ok(bytes) = std::fs::read(&original) else {
            continue;
        };
        let extension = original.extension().and_then(|e| e.to_str()).unwrap_or("");
        let (mutated, how) = mutate(bytes, &mut random);
        let path = directory.join(format!("case{case}.{extension}"));
        if std::fs::write(&path, &mutated).is_err() {
            continue;
        }
        let name = path.display().to_string();
        for sql in [
            format!("SELECT * FROM '{name}'"),
            format!("SELECT count(*), max(i) FROM '{name}'"),
        ] {
            report.cases += 1;
            match run(&ctx, &sql).await {
                Outcome::Rows(_) => report.answered += 1,
                Outcome::Error(message) if message.contains(&name) => {}
                Outcome::Error(message) => report.findings.push(Finding {
                    check: format!("an error that does not name the file ({how})"),
                    queries: vec![sql],
                    detail: message,
                }),
                Outcome::Bug(message) => report.findings.push(Finding {
                    check: format!("reading a corrupted file ({how})"),
                    queries: vec![sql],
                    detail: message,
                }),
            }
        }
        let _ = std::fs::remove_file(&path);
    }
    report
}

/// `bytes` corrupted one random way, and a description of how.
fn mutate(mut bytes: Vec<u8>, random: &mut Random) -> (Vec<u8>, String) {
    let len = bytes.len().max(1);
    match random.below(5) {
        0 => {
            let at = random.below(len + 1).min(bytes.len());
            bytes.truncate(at);
            (bytes, format!("truncated to {at} bytes"))
        }
        1 => {
            let flips = 1 + random.below(8);
            for _ in 0..flips {
                let at = random.below(len);
                if let Some(byte) = bytes.get_mut(at) {
                    *byte ^= 1 << random.below(8);
                }
            }
            (bytes, format!("{flips} bits flipped"))
        }
        2 => {
            // A little-endian length field (Parquet's footer length, a Thrift
            // or page size) set to a huge value, near the end where the
            // metadata lives.
            let at = len.saturating_sub(1 + random.below(64.min(len)));
            let end = (at + 4).min(bytes.len());
            for byte in &mut bytes[at..end] {
                *byte = 0xFF;
            }
            (bytes, format!("bytes {at}..{end} set to 0xFF"))
        }
        3 => {
            let start = random.below(len).min(bytes.len());
            let end = (start + 1 + random.below(256)).min(bytes.len());
            bytes.drain(start..end);
            (bytes, format!("bytes {start}..{end} deleted"))
        }
        _ => {
            let start = random.below(len).min(bytes.len());
            let junk: Vec<u8> = (0..1 + random.below(64))
                .map(|_| random.below(256) as u8)
                .collect();
            let count = junk.len();
            bytes.splice(start..start, junk);
            (bytes, format!("{count} random bytes inserted at {start}"))
        }
    }
}

/// The words random SQL is made of.
const TOKENS: &[&str] = &[
    "SELECT",
    "FROM",
    "WHERE",
    "GROUP",
    "BY",
    "HAVING",
    "ORDER",
    "LIMIT",
    "OFFSET",
    "JOIN",
    "LEFT",
    "FULL",
    "CROSS",
    "ON",
    "USING",
    "AS",
    "AND",
    "OR",
    "NOT",
    "IN",
    "EXISTS",
    "IS",
    "NULL",
    "BETWEEN",
    "LIKE",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "END",
    "CAST",
    "DISTINCT",
    "UNION",
    "ALL",
    "INTERSECT",
    "EXCEPT",
    "WITH",
    "VALUES",
    "INSERT",
    "INTO",
    "CREATE",
    "TABLE",
    "VIEW",
    "DROP",
    "COPY",
    "TO",
    "EXPLAIN",
    "SET",
    "INTERVAL",
    "DATE",
    "count",
    "sum",
    "min",
    "max",
    "avg",
    "coalesce",
    "substr",
    "(",
    ")",
    ",",
    "*",
    "+",
    "-",
    "/",
    "%",
    "=",
    "<",
    ">",
    "<=",
    "<>",
    "||",
    "::",
    ".",
    ";",
    "t",
    "u",
    "a",
    "b",
    "x",
    "t.a",
    "u.b",
    "0",
    "1",
    "-1",
    "2.5",
    "1e308",
    "9223372036854775807",
    "'a'",
    "''",
    "'2024-01-01'",
    "TRUE",
    "FALSE",
    "BIGINT",
    "VARCHAR",
    "DOUBLE",
    "DECIMAL(38,10)",
    "OVER",
    "ROWS",
];

/// Runs `cases` random token streams (most starting with SELECT) against
/// two small tables `t(a, b)` and `u(a, b)`.
pub async fn fuzz_sql(seed: u64, cases: usize) -> InputReport {
    let mut report = InputReport::default();
    let ctx = SessionContext::new();
    for statement in [
        "CREATE TABLE t AS SELECT * FROM (VALUES (1, 'x'), (2, NULL), (NULL, 'z')) v(a, b)",
        "CREATE TABLE u AS SELECT * FROM (VALUES (1, 2.5), (3, NULL)) v(a, b)",
    ] {
        if let Err(e) = ctx.sql(statement).await {
            report.findings.push(Finding {
                check: "creating the tables".into(),
                queries: vec![statement.into()],
                detail: e.to_string(),
            });
            return report;
        }
    }
    let mut random = Random::new(seed);
    for _ in 0..cases {
        let length = 1 + random.below(24);
        let mut words: Vec<&str> = (0..length).map(|_| *random.pick(TOKENS)).collect();
        if random.chance(70) {
            words.insert(0, "SELECT");
        }
        let sql = words.join(" ");
        report.cases += 1;
        match run(&ctx, &sql).await {
            Outcome::Rows(_) => report.answered += 1,
            Outcome::Error(_) => {}
            Outcome::Bug(message) => report.findings.push(Finding {
                check: "random SQL tokens".into(),
                queries: vec![sql],
                detail: message,
            }),
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mutation_changes_the_bytes_or_their_length() {
        let mut random = Random::new(5);
        let original: Vec<u8> = (0..=255).collect();
        for _ in 0..50 {
            let (mutated, how) = mutate(original.clone(), &mut random);
            assert!(
                mutated != original || how.contains("truncated to 256"),
                "{how}"
            );
        }
    }
}
