//! Built-in table functions: functions called in FROM that make a table.

mod read_files;

use std::sync::Arc;

use quiver_expr::TableFunction;

pub use read_files::ReadFiles;

/// Every built-in table function: the readers of the built-in file formats.
pub fn builtins() -> Vec<Arc<dyn TableFunction>> {
    vec![
        Arc::new(ReadFiles::new("parquet", &["parquet_scan"])),
        Arc::new(ReadFiles::new("csv", &["read_csv_auto"])),
        Arc::new(ReadFiles::new("json", &["read_json_auto", "read_ndjson"])),
    ]
}
