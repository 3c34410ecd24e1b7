//! Data sources for Quiver: finding files (paths, globs, directories), and
//! the Parquet and CSV tables and scans over them.

pub mod csv;
pub mod listing;
pub mod parquet;

pub use csv::{CsvOptions, CsvTable};
pub use listing::{list_files, FileFormatExt};
pub use parquet::ParquetTable;
