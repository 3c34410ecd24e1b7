//! Command-line arguments.

use clap::{Parser, ValueEnum};

/// How query results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// A boxed table with column names and types.
    Table,
    /// Comma-separated values with a header line; NULL is an empty field.
    Csv,
    /// Tab-separated values with a header line.
    Tsv,
    /// One JSON array of objects.
    Json,
    /// One JSON object per line.
    Ndjson,
    /// A Markdown table.
    Markdown,
}

impl OutputFormat {
    /// The format called `name` (as after `.mode`).
    pub fn parse(name: &str) -> Option<Self> {
        <Self as ValueEnum>::from_str(name, true).ok()
    }

    /// Every format name.
    pub fn names() -> Vec<String> {
        Self::value_variants()
            .iter()
            .filter_map(|v| v.to_possible_value())
            .map(|v| v.get_name().to_string())
            .collect()
    }
}

/// The quiver shell: SQL over Parquet and CSV files.
///
/// With no SQL to run, opens an interactive shell. Files given as arguments
/// are registered as tables named after the file (`data/trips.parquet`
/// becomes `trips`).
#[derive(Debug, Parser)]
#[command(name = "quiver", version, about)]
pub struct Args {
    /// Parquet or CSV files to register as tables.
    pub files: Vec<String>,

    /// Run this SQL (one or more statements separated by `;`) and exit.
    #[arg(
        short = 'c',
        long = "command",
        value_name = "SQL",
        allow_hyphen_values = true
    )]
    pub command: Option<String>,

    /// Run the statements in this script and exit.
    #[arg(short = 'f', long = "file", value_name = "PATH")]
    pub script: Option<String>,

    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: OutputFormat,

    /// Partitions to run in parallel (default: the number of CPU cores).
    #[arg(long, value_name = "N")]
    pub partitions: Option<usize>,

    /// Print the elapsed time after each statement (default: on in the
    /// interactive shell, off otherwise).
    #[arg(long)]
    pub timer: bool,
}
