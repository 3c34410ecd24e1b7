//! Command-line arguments.

use clap::{Parser, ValueEnum};

/// How query results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// A table drawn with box characters, sized to the terminal, with
    /// column names and SQL types (the default).
    #[value(alias = "duckbox")]
    Box,
    /// A table drawn with ASCII characters (`+---+`), every row.
    Table,
    /// Comma-separated values with a header line; NULL is an empty field.
    Csv,
    /// Tab-separated values with a header line.
    Tsv,
    /// One JSON array of objects.
    Json,
    /// One JSON object per line.
    #[value(alias = "jsonlines")]
    Ndjson,
    /// A Markdown table.
    Markdown,
    /// One `column = value` line per value, a blank line between rows.
    Line,
    /// An HTML table.
    Html,
    /// A LaTeX tabular.
    Latex,
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

/// The quiver shell: SQL over Parquet, CSV and JSON files.
///
/// With no SQL to run, opens an interactive shell. Files given as arguments
/// are registered as tables named after the file (`data/trips.parquet`
/// becomes `trips`). Scripts (`-f`, `-c`, standard input) may hold dot
/// commands such as `.mode csv` on lines of their own.
#[derive(Debug, Parser)]
#[command(name = "quiver", version, about)]
pub struct Args {
    /// Parquet, CSV or JSON files to register as tables; a directory named
    /// `*.quiver` (or holding a `catalog.json`) is opened as the database,
    /// as with --db.
    pub files: Vec<String>,

    /// Store tables, views and settings in this database directory (made
    /// when missing), so that they are there next time.
    #[arg(long = "db", value_name = "DIR")]
    pub database: Option<String>,

    /// Open the database read-only: no statement may change it, and
    /// another process may have it open for writing.
    #[arg(long)]
    pub readonly: bool,

    /// Run this SQL (statements separated by `;`, dot commands on lines of
    /// their own) and exit; given several times, each runs in turn.
    #[arg(
        short = 'c',
        long = "command",
        value_name = "SQL",
        allow_hyphen_values = true
    )]
    pub command: Vec<String>,

    /// Run the statements in this script and exit.
    #[arg(short = 'f', long = "file", value_name = "PATH")]
    pub script: Option<String>,

    /// Run this script before anything else, instead of `~/.quiverrc`.
    #[arg(long = "init", value_name = "PATH")]
    pub init: Option<String>,

    /// Output format.
    #[arg(long, value_enum)]
    pub format: Option<OutputFormat>,

    /// Output format: boxed table sized to the terminal (as --format box).
    #[arg(long = "box", group = "mode")]
    pub mode_box: bool,
    /// Output format: ASCII table (as --format table).
    #[arg(long = "table", group = "mode")]
    pub mode_table: bool,
    /// Output format: CSV (as --format csv).
    #[arg(long = "csv", group = "mode")]
    pub mode_csv: bool,
    /// Output format: tab-separated (as --format tsv).
    #[arg(long = "tsv", group = "mode")]
    pub mode_tsv: bool,
    /// Output format: a JSON array (as --format json).
    #[arg(long = "json", group = "mode")]
    pub mode_json: bool,
    /// Output format: JSON lines (as --format ndjson).
    #[arg(long = "ndjson", group = "mode")]
    pub mode_ndjson: bool,
    /// Output format: Markdown (as --format markdown).
    #[arg(long = "markdown", group = "mode")]
    pub mode_markdown: bool,
    /// Output format: one line per value (as --format line).
    #[arg(long = "line", group = "mode")]
    pub mode_line: bool,
    /// Output format: HTML (as --format html).
    #[arg(long = "html", group = "mode")]
    pub mode_html: bool,
    /// Output format: LaTeX (as --format latex).
    #[arg(long = "latex", group = "mode")]
    pub mode_latex: bool,

    /// Threads that run queries (default: the number of CPU cores).
    #[arg(long, value_name = "N", value_parser = positive_count)]
    pub threads: Option<usize>,

    /// Partitions to run in parallel (default: two per thread).
    #[arg(long, value_name = "N", value_parser = positive_count)]
    pub partitions: Option<usize>,

    /// Print the time each statement takes, to standard error (default: on
    /// in the interactive shell, off otherwise).
    #[arg(long)]
    pub timer: bool,

    /// Stop a script at its first error (the default; kept for DuckDB's
    /// and SQLite's command lines).
    #[arg(long)]
    pub bail: bool,

    /// Print each statement before running it.
    #[arg(long)]
    pub echo: bool,

    /// Show no progress bar on long statements.
    #[arg(long = "no-progress")]
    pub no_progress: bool,
}

impl Args {
    /// Parses the process's arguments, accepting DuckDB's single-dash long
    /// options (`-csv`, `-init FILE`, `-bail`) beside the double-dash ones.
    pub fn from_command_line() -> Self {
        Self::parse_from(with_double_dashes(std::env::args()))
    }

    /// The database directory to open (from --db, or the positional
    /// argument that names one) and the files to register as tables.
    pub fn database_and_files(&self) -> Result<(Option<&str>, Vec<&str>), String> {
        let mut database = self.database.as_deref();
        let mut files = vec![];
        for file in &self.files {
            let path = std::path::Path::new(file);
            let is_database = file.ends_with(".quiver") || path.join("catalog.json").is_file();
            if !is_database {
                files.push(file.as_str());
                continue;
            }
            if let Some(other) = database {
                return Err(format!(
                    "two databases given ('{other}' and '{file}'); a session opens one"
                ));
            }
            database = Some(file);
        }
        if self.readonly && database.is_none() {
            return Err(
                "-readonly needs a database directory (--db DIR or a DIR.quiver argument)".into(),
            );
        }
        Ok((database, files))
    }

    /// The output format the arguments ask for, if any.
    pub fn output_format(&self) -> Option<OutputFormat> {
        let flags = [
            (self.mode_box, OutputFormat::Box),
            (self.mode_table, OutputFormat::Table),
            (self.mode_csv, OutputFormat::Csv),
            (self.mode_tsv, OutputFormat::Tsv),
            (self.mode_json, OutputFormat::Json),
            (self.mode_ndjson, OutputFormat::Ndjson),
            (self.mode_markdown, OutputFormat::Markdown),
            (self.mode_line, OutputFormat::Line),
            (self.mode_html, OutputFormat::Html),
            (self.mode_latex, OutputFormat::Latex),
        ];
        flags
            .into_iter()
            .find_map(|(set, format)| set.then_some(format))
            .or(self.format)
    }
}

/// The long options that DuckDB's shell spells with one dash.
const SINGLE_DASH_LONG: &[&str] = &[
    "-init",
    "-bail",
    "-echo",
    "-box",
    "-table",
    "-csv",
    "-tsv",
    "-json",
    "-ndjson",
    "-markdown",
    "-line",
    "-html",
    "-latex",
    "-timer",
    "-format",
    "-no-progress",
    "-readonly",
    "-db",
];

/// `args` with each of DuckDB's single-dash long options written with two
/// dashes; the value of `-c` (SQL, which may start with a dash) is left alone.
/// A count of threads or partitions: a whole number of at least 1.
fn positive_count(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!(
            "expected a whole number of at least 1, not '{text}'"
        )),
    }
}

fn with_double_dashes(args: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out = vec![];
    let mut value_follows = false;
    for arg in args {
        if !value_follows && SINGLE_DASH_LONG.contains(&arg.as_str()) {
            out.push(format!("-{arg}"));
        } else {
            out.push(arg.clone());
        }
        value_follows = !value_follows && matches!(arg.as_str(), "-c" | "--command");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Args {
        Args::parse_from(with_double_dashes(args.iter().map(|a| a.to_string())))
    }

    #[test]
    fn duckdb_style_single_dash_options() {
        let args = parse(&["quiver", "-csv", "-init", "setup.sql", "-bail"]);
        assert_eq!(args.output_format(), Some(OutputFormat::Csv));
        assert_eq!(args.init.as_deref(), Some("setup.sql"));
        assert!(args.bail);
        let args = parse(&["quiver", "-c", "-json", "--format", "line"]);
        assert_eq!(args.command, vec!["-json".to_string()]);
        assert_eq!(args.output_format(), Some(OutputFormat::Line));
    }

    #[test]
    fn mode_names_and_aliases() {
        assert_eq!(OutputFormat::parse("duckbox"), Some(OutputFormat::Box));
        assert_eq!(OutputFormat::parse("JSONLINES"), Some(OutputFormat::Ndjson));
        assert!(OutputFormat::names().contains(&"latex".to_string()));
    }
}
