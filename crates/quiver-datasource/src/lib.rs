//! Data sources for Quiver: finding files (paths, globs, directories), the
//! Parquet and CSV tables and scans over them, tables in memory, and
//! writing results to files.

pub mod csv;
pub mod listing;
pub mod memory;
pub mod parquet;
pub mod write;

pub use csv::{CsvOptions, CsvTable};
pub use listing::{list_files, FileFormatExt};
pub use memory::MemTable;
pub use parquet::ParquetTable;
pub use write::{write_stream, WriteOptions};
