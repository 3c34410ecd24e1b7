//! Fuzzers that find Quiver's bugs before its users do. Everything is seeded
//! and reproducible: a seed names the tables and queries of a pass.
//!
//! - [`run_pass`]: metamorphic SQL fuzzing. Random tables ([`database`]) and
//!   random queries over them ([`query`]) are checked by rewrites that must
//!   give the same answer and by running them in several configurations
//!   ([`oracle`]); panics, hangs and internal errors are findings too.
//! - [`inputs`]: corrupted Parquet, CSV and JSON files and random SQL token
//!   streams, which must give an answer or a clean error.

pub mod database;
pub mod inputs;
pub mod oracle;
pub mod outcome;
pub mod query;
pub mod random;

use database::Database;
use oracle::{configurations, Checker, Finding, Tally};
use query::Generator;
use random::Random;

/// How big and long a pass is.
#[derive(Debug, Clone, Copy)]
pub struct PassOptions {
    /// The seed every table and query derives from.
    pub seed: u64,
    /// Databases made, each with its own tables.
    pub databases: usize,
    /// Queries checked on each database.
    pub queries_per_database: usize,
    /// The most rows a table has.
    pub max_rows: usize,
}

/// What a pass did and found.
#[derive(Debug, Default)]
pub struct PassReport {
    /// The counts.
    pub tally: Tally,
    /// Each finding with the statements that build its database.
    pub findings: Vec<(Vec<String>, Finding)>,
}

/// Runs a metamorphic fuzzing pass.
pub async fn run_pass(options: PassOptions) -> PassReport {
    let mut report = PassReport::default();
    for round in 0..options.databases {
        let mut random = Random::new(
            options
                .seed
                .wrapping_mul(1_000_003)
                .wrapping_add(round as u64),
        );
        let database = Database::random(options.max_rows, &mut random);
        let setup = database.statements();
        let configurations = match configurations(&database).await {
            Ok(configurations) => configurations,
            Err(e) => {
                let finding = Finding {
                    check: "building the database".into(),
                    queries: vec![],
                    detail: e,
                };
                report.findings.push((setup, finding));
                continue;
            }
        };
        let mut checker = Checker::new(&configurations);
        let mut generator = Generator::new(&mut random, &database);
        for _ in 0..options.queries_per_database {
            checker.check_one(&mut generator).await;
        }
        report.tally.add(&checker.tally);
        report
            .findings
            .extend(checker.findings.into_iter().map(|f| (setup.clone(), f)));
    }
    report
}

/// A finding as a self-contained script: the statements that build its
/// database, then the queries that disagree, then what each gave.
pub fn describe(setup: &[String], finding: &Finding) -> String {
    let mut text = format!("-- check: {}\n", finding.check);
    for statement in setup {
        text += &format!("{statement};\n");
    }
    for query in &finding.queries {
        text += &format!("{query};\n");
    }
    for line in finding.detail.lines() {
        text += &format!("-- {line}\n");
    }
    text
}
