//! Data sources for Quiver: finding files (paths, globs, directories; local,
//! in S3 or over HTTP), the Parquet, CSV and JSON tables and scans over them,
//! tables in memory, and writing results to files.

pub mod bad_rows;
mod bloom_pruning;
pub mod compression;
pub mod csv;
pub mod data_file;
mod decode_filter;
pub mod format;
pub mod hive;
mod key_membership;
pub mod listing;
pub mod memory;
mod object_reader;
mod page_pruning;
pub mod parquet;
mod parquet_statistics;
mod part_upload;
mod partition_buffers;
mod read_plan;
mod row_group_pruning;
pub mod store;
pub mod text;
mod transaction;
pub mod write;

pub use bad_rows::BadRows;
pub use compression::Compression;
pub use csv::CsvOptions;
pub use data_file::DataFile;
pub use format::{BatchWriter, FileFormat, FileFormats, JsonOptions};
pub use hive::{hive_directories, hive_file_directories, DirectoryOpener, HiveTable};
pub use listing::{list_directory, list_files, DirectoryEntries};
pub use memory::MemTable;
pub use parquet::ParquetTable;
pub use store::{RemoteLocation, StorageOptions};
pub use text::{TextFormat, TextTable};
pub use write::{write_stream, WriteOptions};

/// For EXPLAIN: the names of `schema`'s columns.
pub(crate) fn column_names(schema: &arrow::datatypes::Schema) -> String {
    let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
    names.join(", ")
}

#[cfg(test)]
mod test_util {
    /// Writes `text` to `dir/name` and returns the path.
    pub fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    }
}
