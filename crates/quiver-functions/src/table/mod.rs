//! Built-in table functions: functions called in FROM that make a table.

mod glob;
mod read_files;
mod series;

use std::sync::Arc;

use quiver_expr::TableFunction;

pub use glob::Glob;
pub use read_files::ReadFiles;
pub use series::SeriesTable;

/// Every built-in table function: the readers of the built-in file
/// formats, `glob`, `range` and `generate_series`.
pub fn builtins() -> Vec<Arc<dyn TableFunction>> {
    vec![
        Arc::new(ReadFiles::new("parquet", &["parquet_scan"])),
        Arc::new(ReadFiles::new("csv", &["read_csv_auto"])),
        Arc::new(ReadFiles::new("json", &["read_json_auto", "read_ndjson"])),
        Arc::new(Glob),
        Arc::new(SeriesTable::range()),
        Arc::new(SeriesTable::generate_series()),
    ]
}
