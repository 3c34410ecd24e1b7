//! Quiver: a SQL query engine over Parquet and CSV files, for embedding in
//! Rust programs.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> quiver::Result<()> {
//! use quiver::{CsvOptions, SessionContext};
//!
//! let ctx = SessionContext::new();
//! let dir = env!("CARGO_MANIFEST_DIR");
//! ctx.register_csv("cities", &format!("{dir}/../../testdata/cities.csv"), CsvOptions::default()).await?;
//! let df = ctx.sql("SELECT country, count(*) AS n FROM cities GROUP BY country ORDER BY n DESC, country LIMIT 3").await?;
//! let batches = df.collect().await?;
//! assert_eq!(batches.iter().map(|b| b.num_rows()).sum::<usize>(), 3);
//! # Ok(())
//! # }
//! ```

pub mod catalog;
pub mod config;
pub mod context;
pub mod database;
pub mod dataframe;
mod dynamic_filters;
pub mod error_report;
pub mod expr;
pub mod function_reference;
pub mod functions;
mod physical_join;
mod physical_optimizer;
pub mod physical_planner;
pub mod pretty;
pub mod provider;
mod relational;
mod repeated_scans;
mod row_changes;
mod settings;
mod shared_subplans;
mod temporary;
pub mod transaction;
pub mod udf;

pub use arrow;
pub use config::{SessionConfig, PARTITIONS_PER_CORE};
pub use context::SessionContext;
pub use dataframe::DataFrame;
pub use quiver_datasource::{
    BatchWriter, CsvOptions, FileFormat, FileFormats, JsonOptions, MemTable, StorageOptions,
    WriteOptions,
};
pub use quiver_execution::panics::{panic_message, quiet_caught_panics};
pub use quiver_execution::progress;
pub use quiver_execution::TableProvider;
pub use quiver_execution::{
    collect, execute_stream, ExecutionPlan, SendableRecordBatchStream, TaskContext,
};
pub use quiver_expr::types::{map_fields, sql_type_name};
pub use quiver_expr::uuid::{is_uuid, uuid_texts, with_uuid_extension};
pub use quiver_expr::{QuiverError, Result, ScalarValue};
pub use quiver_sql::planner::parse_sql_type;
pub use quiver_sql::{parse_script, ParameterValues, ParsedScript, ParsedStatement};
pub use relational::JoinType;
