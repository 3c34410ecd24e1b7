//! The session: catalog, settings and functions, and the entry points that
//! turn SQL into results.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use arrow::record_batch::RecordBatch;
use quiver_datasource::{
    hive_directories, hive_file_directories, list_directory, CsvOptions, DirectoryOpener,
    FileFormat, FileFormats, HiveTable, JsonOptions, MemTable, ParquetTable, RemoteLocation,
    StorageOptions, TextTable, WriteOptions,
};
use quiver_execution::memory_pool::MemoryPool;
use quiver_execution::operators::generated::GeneratedTable;
use quiver_execution::operators::read_once::ReadOnceTable;
use quiver_execution::progress::ScanProgress;
use quiver_execution::{ProviderSource, TableProvider};
use quiver_expr::logical_plan::{
    Ddl, FormatName, Macro, Projection, Returning, TableScan, TransactionStep, Values,
};
use quiver_expr::stack::with_stack_for;
use quiver_expr::window::WindowFunctionRef;
use quiver_expr::{
    AggregateFunction, Expr, GeneratedRows, LambdaFunction, LogicalPlan, QuiverError, Result,
    ScalarFunction, ScalarValue, TableFunction, TableSource, WindowFunction,
};
use quiver_functions::table::ReadFiles;
use quiver_functions::FunctionRegistry;
use quiver_optimizer::Optimizer;
use quiver_sql::parser::parse_one_statement;
use quiver_sql::{
    parse_script, ContextProvider, ParameterValues, ParsedStatement, Setting, SqlPlanner,
};

use crate::catalog::{Catalog, CatalogEntry};
use crate::config::SessionConfig;
use crate::database::{Database, StoredChange};
use crate::dataframe::DataFrame;
use crate::row_changes::RowChange;
use crate::temporary::creates_permanent;
use crate::transaction::Transaction;

/// Everything a query needs from its session.
#[derive(Debug)]
pub struct SessionState {
    /// Settings.
    pub config: SessionConfig,
    /// The names (lower case) of the session's temporary tables, views and
    /// macros, whose changes are not stored (see `temporary.rs`).
    pub temporary: RwLock<std::collections::HashSet<String>>,
    /// Tables and views.
    pub catalog: Catalog,
    /// The functions SQL can call: the built-in ones, and a `read_<name>`
    /// table function for each registered file format.
    pub functions: RwLock<FunctionRegistry>,
    /// The file formats tables and `COPY` may use
    /// ([`SessionContext::register_file_format`] adds one).
    pub formats: RwLock<FileFormats>,
    /// S3 settings made with `SET` (`aws.region`, …); a table's `OPTIONS`
    /// override them.
    pub storage: RwLock<StorageOptions>,
    /// S3 settings given in the `OPTIONS` of an external table, by the root
    /// of its location (`s3://bucket`): they also apply to the session's
    /// other reads and writes in that bucket, as a DuckDB secret scoped to
    /// it would, over `SET` and under a statement's own options.
    pub bucket_storage: RwLock<HashMap<String, StorageOptions>>,
    /// The explicit transaction open in the session (`BEGIN`), if any.
    pub transaction: Mutex<Option<Transaction>>,
    /// The database directory the session stores its tables in, once one
    /// is opened ([`SessionContext::open_database`]).
    pub database: std::sync::OnceLock<Arc<Database>>,
    /// The memory budget of the session's queries (`SET memory_limit`).
    pub memory_pool: Arc<MemoryPool>,
    /// Where queries write spill files (`SET temp_directory`).
    pub temp_directory: RwLock<PathBuf>,
    /// The logical optimizer, built once for the session.
    pub optimizer: Optimizer,
    /// The optimizer rules switched off (`SET optimizer.disabled_rules`).
    pub disabled_rules: RwLock<BTreeSet<String>>,
    /// Counts [`SessionContext::interrupt`] calls; running queries watch it.
    pub interrupts: tokio::sync::watch::Sender<u64>,
    /// How far the running statement's scans have got; see
    /// [`SessionContext::progress`].
    pub progress: Arc<ScanProgress>,
    /// How deeply a query's expressions and plans may nest (`SET max_expression_depth`).
    pub max_expression_depth: std::sync::atomic::AtomicUsize,
    /// How many steps a recursive CTE may take (`SET max_recursion_depth`).
    pub max_recursion_depth: std::sync::atomic::AtomicUsize,
    /// The zone `TIMESTAMP WITH TIME ZONE` values are shown and computed in
    /// (`SET TimeZone`): an IANA name such as `America/New_York`, or an
    /// offset such as `+02:00`.
    pub time_zone: RwLock<String>,
    /// Whether `/` of two integers truncates (`SET integer_division`).
    pub integer_division: std::sync::atomic::AtomicBool,
    /// Statements kept by `PREPARE`, by lower-case name: SQL text and
    /// parameter types.
    pub prepared: RwLock<std::collections::HashMap<String, (String, Vec<String>)>>,
}

impl SessionState {
    /// The session's time zone (`SET TimeZone`).
    pub fn time_zone(&self) -> String {
        self.time_zone
            .read()
            .map_or_else(|_| "UTC".to_string(), |z| z.clone())
    }

    /// Whether `/` of two integers truncates as `//` does (`SET
    /// integer_division = true`) rather than giving a DOUBLE.
    pub fn integer_division(&self) -> bool {
        self.integer_division
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// How many steps a recursive CTE may take (`SET max_recursion_depth`).
    pub fn max_recursion_depth(&self) -> usize {
        self.max_recursion_depth
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// How many levels a query's expressions and plans may nest
    /// (`SET max_expression_depth`).
    pub fn max_expression_depth(&self) -> usize {
        self.max_expression_depth
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A future that completes at the next [`SessionContext::interrupt`]
    /// (never, if the session is dropped first).
    pub fn next_interrupt(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut interrupts = self.interrupts.subscribe();
        async move {
            if interrupts.changed().await.is_err() {
                std::future::pending::<()>().await;
            }
        }
    }

    /// The session's S3 settings.
    pub fn storage(&self) -> StorageOptions {
        self.storage.read().map(|s| s.clone()).unwrap_or_default()
    }

    /// The S3 settings for reading or writing `location`: the session's,
    /// with those a table's `OPTIONS` gave for its bucket on top.
    pub fn storage_for(&self, location: &str) -> StorageOptions {
        let session = self.storage();
        let Ok(Some(remote)) = RemoteLocation::parse(location) else {
            return session;
        };
        let scoped = self
            .bucket_storage
            .read()
            .ok()
            .and_then(|buckets| buckets.get(&remote.root).cloned());
        match scoped {
            Some(bucket) => session.with_overrides(&bucket),
            None => session,
        }
    }

    /// Makes the S3 settings among a table's `options` apply to the rest of
    /// the bucket `location` is in.
    fn scope_to_bucket(&self, location: &str, options: &[(String, String)]) -> Result<()> {
        let (storage, _) = StorageOptions::split(options)?;
        if storage.is_empty() {
            return Ok(());
        }
        if let Some(remote) = RemoteLocation::parse(location)?.filter(|r| !r.is_http) {
            if let Ok(mut buckets) = self.bucket_storage.write() {
                let scoped = buckets.entry(remote.root).or_default();
                *scoped = scoped.with_overrides(&storage);
            }
        }
        Ok(())
    }

    /// Where spill files go now.
    pub fn temp_directory(&self) -> PathBuf {
        self.temp_directory
            .read()
            .map(|d| d.clone())
            .unwrap_or_else(|_| self.config.temp_directory.clone())
    }

    /// The file formats the session knows now.
    pub fn formats(&self) -> FileFormats {
        self.formats.read().map(|f| f.clone()).unwrap_or_default()
    }

    /// The functions SQL can call now.
    pub fn functions(&self) -> std::sync::RwLockReadGuard<'_, FunctionRegistry> {
        self.functions.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The optimizer rules switched off now.
    pub fn disabled_rules(&self) -> BTreeSet<String> {
        self.disabled_rules
            .read()
            .map(|r| r.clone())
            .unwrap_or_default()
    }
}

/// How many steps a recursive CTE may take unless `SET max_recursion_depth`
/// says otherwise: far more than real recursions (graph walks, hierarchies)
/// need, so that only a recursion that never ends meets it.
pub const DEFAULT_MAX_RECURSION_DEPTH: usize = 1_000_000;

/// The user's handle on Quiver: register data, run SQL.
///
/// ```
/// # async fn demo() -> quiver::Result<()> {
/// use quiver::SessionContext;
/// let ctx = SessionContext::new();
/// let df = ctx.sql("SELECT 1 + 1 AS two").await?;
/// let batches = df.collect().await?;
/// assert_eq!(batches[0].num_rows(), 1);
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct SessionContext {
    state: Arc<SessionState>,
}

impl Default for SessionContext {
    fn default() -> Self {
        Self::new()
    }
}

/// Opens the table a location names, in `format`. `aws.*` entries of
/// `options` override the session's S3 settings `storage`; the rest are
/// the format's.
fn open_table(
    location: &str,
    format: Arc<dyn FileFormat>,
    options: &[(String, String)],
    schema: Option<arrow::datatypes::SchemaRef>,
    storage: &StorageOptions,
) -> Result<Arc<dyn TableProvider>> {
    let (overrides, options) = StorageOptions::split(options)?;
    let (hive_partitioning, options) = hive_partitioning_option(options)?;
    let storage = storage.with_overrides(&overrides);
    if !hive_partitioning {
        return format.open_table(location, &options, schema, &storage);
    }
    if let Some(directories) = hive_directories(location, &storage)? {
        let open: DirectoryOpener =
            Arc::new(move |dir: &str| format.open_table(dir, &options, schema.clone(), &storage));
        return Ok(Arc::new(HiveTable::try_new(directories, open, false)?));
    }
    if let Some((directories, pattern)) = hive_file_directories(location, &storage)? {
        let open: DirectoryOpener = Arc::new(move |dir: &str| {
            let files = format!("{dir}/{pattern}");
            format.open_table(&files, &options, schema.clone(), &storage)
        });
        return Ok(Arc::new(HiveTable::try_new(directories, open, false)?));
    }
    format.open_table(location, &options, schema, &storage)
}

/// Takes the `hive_partitioning` option (true by default: `key=value`
/// directories in the paths become columns) out of a table's options.
fn hive_partitioning_option(
    options: Vec<(String, String)>,
) -> Result<(bool, Vec<(String, String)>)> {
    flag_option(options, "hive_partitioning", true)
}

/// Takes the true-or-false option `name` (`default` when absent) out of a
/// table's options.
fn flag_option(
    options: Vec<(String, String)>,
    name: &str,
    default: bool,
) -> Result<(bool, Vec<(String, String)>)> {
    let mut enabled = default;
    let mut rest = Vec::with_capacity(options.len());
    for (key, value) in options {
        if key.eq_ignore_ascii_case(name) {
            enabled = match value.to_ascii_lowercase().as_str() {
                "true" | "1" => true,
                "false" | "0" => false,
                _ => {
                    return Err(QuiverError::Plan(format!(
                        "{name} must be true or false, not '{value}'"
                    )))
                }
            };
        } else {
            rest.push((key, value));
        }
    }
    Ok((enabled, rest))
}

/// Opens the table that several locations (or one with a `filename` or
/// `union_by_name` option) name: one table over all their files, each
/// location opened as [`open_table`] opens it. `filename = true` adds a
/// column `filename` naming each row's file (and a filter on it skips
/// files); `union_by_name = true` matches the files' columns by name, NULL
/// where a file lacks one; otherwise every location must hold the same
/// columns.
fn open_tables(
    locations: &[String],
    format: Arc<dyn FileFormat>,
    options: &[(String, String)],
    storage: &StorageOptions,
) -> Result<Arc<dyn TableProvider>> {
    let (filename, options) = flag_option(options.to_vec(), "filename", false)?;
    let (union_by_name, options) = flag_option(options, "union_by_name", false)?;
    if let ([location], false, false) = (locations, filename, union_by_name) {
        return open_table(location, format, &options, None, storage);
    }
    // Each file on its own when files are named or matched by name.
    let parts: Vec<quiver_datasource::hive::PartitionDirectory> = if filename || union_by_name {
        let (overrides, _) = StorageOptions::split(&options)?;
        let listing = storage.with_overrides(&overrides);
        let mut files = vec![];
        for location in locations {
            for file in quiver_datasource::list_files(location, &listing)? {
                let name = file.name().to_string();
                let named = filename.then(|| ("filename".to_string(), name.clone()));
                files.push((name, named.into_iter().collect()));
            }
        }
        files
    } else {
        locations.iter().map(|l| (l.clone(), vec![])).collect()
    };
    let storage = storage.clone();
    let open: DirectoryOpener = Arc::new(move |location: &str| {
        open_table(location, Arc::clone(&format), &options, None, &storage)
    });
    Ok(Arc::new(HiveTable::try_new(parts, open, union_by_name)?))
}

impl SessionContext {
    /// A session with default settings.
    pub fn new() -> Self {
        Self::with_config(SessionConfig::default())
    }

    /// A session with the given settings.
    pub fn with_config(config: SessionConfig) -> Self {
        let functions = FunctionRegistry::with_builtins();
        let optimizer = match functions.window("row_number") {
            Some(row_number) => Optimizer::with_row_number(WindowFunctionRef(row_number)),
            None => Optimizer::new(),
        };
        let state = SessionState {
            memory_pool: Arc::new(MemoryPool::new(config.memory_limit)),
            temp_directory: RwLock::new(config.temp_directory.clone()),
            storage: RwLock::new(config.storage.clone()),
            disabled_rules: RwLock::new(config.disabled_rules.clone()),
            time_zone: RwLock::new(config.time_zone.clone()),
            config,
            catalog: Catalog::default(),
            functions: RwLock::new(functions),
            formats: RwLock::new(FileFormats::builtin()),
            bucket_storage: RwLock::default(),
            database: std::sync::OnceLock::new(),
            transaction: Mutex::new(None),
            optimizer,
            interrupts: tokio::sync::watch::Sender::new(0),
            progress: Arc::default(),
            max_expression_depth: quiver_sql::DEFAULT_MAX_EXPRESSION_DEPTH.into(),
            max_recursion_depth: DEFAULT_MAX_RECURSION_DEPTH.into(),
            integer_division: false.into(),
            prepared: RwLock::default(),
            temporary: RwLock::default(),
        };
        Self {
            state: Arc::new(state),
        }
    }

    /// Stops every query of this session that is running now: each one's
    /// result stream (or `collect`, or write) ends with "Query cancelled",
    /// its operators stop and its memory and spill files are given back.
    /// Queries started afterwards run normally. Callable from any thread.
    pub fn interrupt(&self) {
        self.state.interrupts.send_modify(|count| *count += 1);
    }

    /// How far the scans of the queries running in this session have got:
    /// a progress bar resets it before a statement and reads its fraction
    /// while the statement runs.
    pub fn progress(&self) -> Arc<ScanProgress> {
        Arc::clone(&self.state.progress)
    }

    /// The session's state.
    pub fn state(&self) -> &Arc<SessionState> {
        &self.state
    }

    /// The names directly inside the directory `location` — local, or an
    /// `s3://` prefix read with the session's settings for it — with a
    /// trailing `/` on directories, sorted, hidden ones left out; empty when
    /// `location` is not a directory. For completing paths.
    pub fn directory_names(&self, location: &str) -> Result<Vec<String>> {
        let storage = self.state.storage_for(location);
        let Some(entries) = list_directory(location, &storage)? else {
            return Ok(vec![]);
        };
        let last = |path: &str| {
            path.trim_end_matches('/')
                .rsplit('/')
                .next()
                .unwrap_or_default()
                .to_string()
        };
        let mut names: Vec<String> = entries
            .directories
            .iter()
            .map(|d| format!("{}/", last(d)))
            .chain(entries.files.iter().map(|f| last(f.name())))
            .collect();
        names.sort();
        Ok(names)
    }

    /// Registers the Parquet file(s) at `path` (file, glob or directory;
    /// local, `s3://` or `http(s)://`) as `name`.
    pub async fn register_parquet(&self, name: &str, path: &str) -> Result<()> {
        let table = ParquetTable::try_new(path, &self.state.storage())?;
        self.register_table(name, Arc::new(table))
    }

    /// Registers the CSV file(s) at `path` as `name`.
    pub async fn register_csv(&self, name: &str, path: &str, options: CsvOptions) -> Result<()> {
        let table = TextTable::csv(path, options, &self.state.storage())?;
        self.register_table(name, Arc::new(table))
    }

    /// Registers the newline-delimited JSON file(s) at `path` as `name`.
    pub async fn register_json(&self, name: &str, path: &str, options: JsonOptions) -> Result<()> {
        let table = options.open(path, &self.state.storage_for(path))?;
        self.register_table(name, Arc::new(table))
    }

    /// Sets a session setting, as `SET name = value` does; the settings
    /// are listed in [`crate::settings`].
    pub fn set(&self, name: &str, value: &str) -> Result<()> {
        crate::settings::set(&self.state, name, value)
    }

    /// Adds a file format (a type implementing [`FileFormat`]): `STORED AS`,
    /// `COPY … (FORMAT …)`, `read_…` detection by extension and quoted
    /// paths then find it by its name and extensions, before a built-in
    /// format with the same ones.
    pub fn register_file_format(&self, format: Arc<dyn FileFormat>) -> Result<()> {
        let poisoned = || QuiverError::Internal("session settings poisoned".into());
        let reader = Arc::new(ReadFiles::new(format.name(), &[]));
        self.state
            .formats
            .write()
            .map_err(|_| poisoned())?
            .register(format);
        self.state
            .functions
            .write()
            .map_err(|_| poisoned())?
            .register_table_function(reader);
        Ok(())
    }

    /// Registers any table provider as `name`.
    pub fn register_table(&self, name: &str, table: Arc<dyn TableProvider>) -> Result<()> {
        self.state
            .catalog
            .insert(name, CatalogEntry::Table(table), false)
    }

    /// Registers a scalar function (a [`crate::udf::ScalarUdf`] closure or
    /// any [`crate::udf::ScalarFunction`]), callable from SQL and through
    /// [`crate::functions::call`]; it takes the place of a function of the
    /// same name, a built-in one included.
    pub fn register_scalar_function(
        &self,
        function: impl quiver_expr::function::ScalarFunction + 'static,
    ) -> Result<()> {
        self.functions_mut()?.register_scalar(Arc::new(function));
        Ok(())
    }

    /// Registers an aggregate function (a [`crate::udf::AggregateUdf`]
    /// closure or any [`crate::udf::AggregateFunction`]); it also works as
    /// a window aggregate (`f(x) OVER (…)`).
    pub fn register_aggregate_function(
        &self,
        function: impl quiver_expr::function::AggregateFunction + 'static,
    ) -> Result<()> {
        self.functions_mut()?.register_aggregate(Arc::new(function));
        Ok(())
    }

    /// Registers a window function (any [`crate::udf::WindowFunction`]).
    pub fn register_window_function(
        &self,
        function: impl quiver_expr::function::WindowFunction + 'static,
    ) -> Result<()> {
        self.functions_mut()?.register_window(Arc::new(function));
        Ok(())
    }

    fn functions_mut(&self) -> Result<std::sync::RwLockWriteGuard<'_, FunctionRegistry>> {
        self.state
            .functions
            .write()
            .map_err(|_| QuiverError::Internal("the function registry was poisoned".into()))
    }

    /// The session whose state is `state`.
    pub(crate) fn from_state(state: Arc<SessionState>) -> Self {
        Self { state }
    }

    /// Plans the query `sql` with `relations` in scope by name (as CTEs):
    /// how the DataFrame builder plans its methods.
    pub(crate) fn plan_query_over(
        &self,
        sql: &str,
        relations: Vec<(&str, LogicalPlan)>,
    ) -> Result<LogicalPlan> {
        let statement = parse_one_statement(sql)?;
        let plan = with_stack_for(self.max_expression_depth(), || {
            let planner = relations
                .into_iter()
                .fold(SqlPlanner::new(self), |planner, (name, plan)| {
                    planner.with_relation(name, plan)
                });
            planner.statement_to_plan(statement.statement())
        })?;
        if let LogicalPlan::Ddl(_) = plan {
            return Err(QuiverError::Internal(format!("not a query: {sql}")));
        }
        Ok(plan)
    }

    /// Makes `plan` the view `name` (in place of one of that name when
    /// `replace`).
    pub(crate) fn register_view(
        &self,
        name: &str,
        plan: &LogicalPlan,
        replace: bool,
    ) -> Result<()> {
        self.state
            .catalog
            .insert(name, CatalogEntry::View(Arc::new(plan.clone())), replace)
    }

    /// The rows of Parquet files: a path, glob, URL or directory, as
    /// `read_parquet('…')` reads them (hive partitions included).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> quiver::Result<()> {
    /// let ctx = quiver::SessionContext::new();
    /// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/trips.parquet");
    /// assert_eq!(ctx.read_parquet(path)?.count().await?, 20_000);
    /// # Ok(())
    /// # }
    /// ```
    pub fn read_parquet(&self, path: &str) -> Result<DataFrame> {
        let quoted = path.replace('\'', "''");
        self.query_frame(&format!("SELECT * FROM read_parquet('{quoted}')"))
    }

    /// The DataFrame of the query `sql`, planned now.
    fn query_frame(&self, sql: &str) -> Result<DataFrame> {
        let plan = self.plan_query_over(sql, vec![])?;
        Ok(DataFrame::new(Arc::clone(&self.state), plan))
    }

    /// The rows of newline-delimited JSON files at `path` (a file, glob or
    /// URL), read with `options`.
    pub fn read_json(&self, path: &str, options: JsonOptions) -> Result<DataFrame> {
        let table = options.open(path, &self.state.storage_for(path))?;
        self.read_table(Arc::new(table))
    }

    /// The rows of CSV files at `path` (a file, glob or URL), read with
    /// `options`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> quiver::Result<()> {
    /// use quiver::expr::{col, lit};
    /// use quiver::{CsvOptions, SessionContext};
    ///
    /// let ctx = SessionContext::new();
    /// let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/cities.csv");
    /// let japan = ctx.read_csv(path, CsvOptions::default())?.filter(col("country").eq(lit("Japan")))?;
    /// assert_eq!(japan.count().await?, 2);
    /// # Ok(())
    /// # }
    /// ```
    pub fn read_csv(&self, path: &str, options: CsvOptions) -> Result<DataFrame> {
        let table = TextTable::csv(path, options, &self.state.storage_for(path))?;
        self.read_table(Arc::new(table))
    }

    /// The rows of any table provider, a user's own source included (its
    /// projection, filter and limit pushdown apply as for a registered
    /// table).
    pub fn read_table(&self, table: Arc<dyn TableProvider>) -> Result<DataFrame> {
        let source = Arc::new(ProviderSource(table));
        let scan = TableScan::try_new("table", source, None)?;
        Ok(DataFrame::new(
            Arc::clone(&self.state),
            LogicalPlan::TableScan(scan),
        ))
    }

    /// The rows of the table or view `name`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> quiver::Result<()> {
    /// let ctx = quiver::SessionContext::new();
    /// ctx.sql("CREATE TABLE t AS SELECT range AS x FROM range(5)").await?;
    /// assert_eq!(ctx.table("t")?.count().await?, 5);
    /// # Ok(())
    /// # }
    /// ```
    pub fn table(&self, name: &str) -> Result<DataFrame> {
        self.query_frame(&format!(
            "SELECT * FROM {}",
            quiver_sql::quote_identifier(name)
        ))
    }

    /// Registers `batches`, all of `schema`, as the in-memory table `name`,
    /// in place of any table or view of that name; the batches' buffers
    /// are shared, not copied. Large batches are sliced (without copying)
    /// into the session's batch size, so that scans of the table run in
    /// parallel and stream.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> quiver::Result<()> {
    /// use std::sync::Arc;
    /// use quiver::arrow::array::{Int64Array, RecordBatch};
    /// use quiver::arrow::datatypes::{DataType, Field, Schema};
    /// use quiver::SessionContext;
    ///
    /// let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, false)]));
    /// let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from(vec![1, 2, 3]))])?;
    /// let ctx = SessionContext::new();
    /// ctx.register_batches("numbers", schema, vec![batch])?;
    /// let total = ctx.sql("SELECT sum(x) FROM numbers").await?.collect().await?;
    /// assert_eq!(total[0].num_rows(), 1);
    /// # Ok(())
    /// # }
    /// ```
    pub fn register_batches(
        &self,
        name: &str,
        schema: arrow::datatypes::SchemaRef,
        batches: Vec<RecordBatch>,
    ) -> Result<()> {
        let size = self.state.config.batch_size;
        let sliced = batches
            .iter()
            .flat_map(|batch| {
                (0..batch.num_rows())
                    .step_by(size)
                    .map(move |start| batch.slice(start, size.min(batch.num_rows() - start)))
            })
            .collect();
        let table = MemTable::try_with_batches(schema, sliced)?;
        self.state
            .catalog
            .insert(name, CatalogEntry::Table(Arc::new(table)), true)
    }

    /// Registers the rows `reader` gives as the table `name`, in place of
    /// any table or view of that name, without reading them: the first
    /// query that scans the table reads the stream as it runs (a batch at
    /// a time, never all of it at once), and a later one is an error, as
    /// a stream can be read only once. Planning (EXPLAIN) does not read it.
    ///
    /// ```
    /// # #[tokio::main(flavor = "multi_thread", worker_threads = 2)]
    /// # async fn main() -> quiver::Result<()> {
    /// use std::sync::Arc;
    /// use quiver::arrow::array::{Int64Array, RecordBatch, RecordBatchIterator};
    /// use quiver::arrow::datatypes::{DataType, Field, Schema};
    /// use quiver::SessionContext;
    ///
    /// let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, false)]));
    /// let of_schema = schema.clone();
    /// let batches = (0..3).map(move |i| {
    ///     RecordBatch::try_new(of_schema.clone(), vec![Arc::new(Int64Array::from(vec![i; 10]))])
    /// });
    /// let ctx = SessionContext::new();
    /// ctx.register_stream("numbers", Box::new(RecordBatchIterator::new(batches, schema.clone())))?;
    /// let total = ctx.sql("SELECT sum(x) FROM numbers").await?.collect().await?;
    /// assert_eq!(total[0].num_rows(), 1);
    /// assert!(ctx.sql("SELECT sum(x) FROM numbers").await?.collect().await.is_err());
    /// # Ok(())
    /// # }
    /// ```
    pub fn register_stream(
        &self,
        name: &str,
        reader: Box<dyn arrow::record_batch::RecordBatchReader + Send>,
    ) -> Result<()> {
        let table = ReadOnceTable::new(name, reader);
        self.state
            .catalog
            .insert(name, CatalogEntry::Table(Arc::new(table)), true)
    }

    /// Removes the table `name` (registered or made by SQL); an error when
    /// there is none.
    pub fn deregister_table(&self, name: &str) -> Result<()> {
        self.state.catalog.remove(name, "table", false).map(|_| ())
    }

    /// Registers the file at `path` under the name of the file (without its
    /// extension), with the format its extension names. Returns that name.
    pub async fn register_file(&self, path: &str) -> Result<String> {
        let stem = Path::new(path)
            .file_name()
            .and_then(|s| s.to_str())
            .map(|s| s.split('.').next().unwrap_or(s).replace(['-', ' '], "_"))
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                QuiverError::Plan(format!("cannot derive a table name from '{path}'"))
            })?;
        let storage = self.state.storage();
        let format = self.state.formats().detect(path, &storage)?;
        let table = open_table(path, format, &[], None, &storage)?;
        self.register_table(&stem, table)?;
        Ok(stem)
    }

    /// Every table and view: (name, "table" or "view"), sorted.
    pub fn table_names(&self) -> Vec<(String, String)> {
        self.state.catalog.list()
    }

    /// The columns of the table or view called `name`.
    pub fn table_schema(&self, name: &str) -> Option<arrow::datatypes::SchemaRef> {
        Some(match self.state.catalog.get(name)? {
            CatalogEntry::Table(t) => t.schema(),
            CatalogEntry::View(v) => v.schema().to_arrow(),
            CatalogEntry::Macro(_) => return None,
        })
    }

    /// Plans SQL text: one statement, or a script of several separated by
    /// `;`, and returns the last statement's result. DDL and data changes
    /// run at once (and yield an empty result or a row count); the last
    /// query runs when the returned DataFrame is collected. The statements
    /// before the last run to completion in order (a query among them is
    /// run and its rows dropped); nothing runs when any of them fails to
    /// parse.
    pub async fn sql(&self, sql: &str) -> Result<DataFrame> {
        self.sql_with_params(sql, &ParameterValues::Positional(vec![]))
            .await
    }

    /// [`SessionContext::sql`] with values for the statement's parameters:
    /// `?` (in order) and `$1` (by number) take positional values, `$name`
    /// and `:name` named ones. Each value stands where its placeholder is
    /// as a literal of its type; a placeholder without a value, or a value
    /// no placeholder uses, is an error. Parameters need a single
    /// statement.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> quiver::Result<()> {
    /// use quiver::{ParameterValues, ScalarValue, SessionContext};
    ///
    /// let ctx = SessionContext::new();
    /// let values = ParameterValues::Positional(vec![ScalarValue::Int64(Some(40))]);
    /// let df = ctx.sql_with_params("SELECT ? + 2 AS answer", &values).await?;
    /// let batches = df.collect().await?;
    /// assert_eq!(batches[0].num_rows(), 1);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn sql_with_params(&self, sql: &str, params: &ParameterValues) -> Result<DataFrame> {
        let last = self.run_script_head(sql, params).await?;
        self.run_statement(&last).await
    }

    /// Runs every statement of the script `sql` but the last, in order, and
    /// returns the last one bound to `params` (which need a single
    /// statement), not yet run: [`SessionContext::sql_with_params`] for a
    /// caller that wants the statement's text too. Nothing runs when any
    /// statement fails to parse.
    pub async fn run_script_head(
        &self,
        sql: &str,
        params: &ParameterValues,
    ) -> Result<ParsedStatement> {
        let script = parse_script(sql);
        if let Some(error) = script.error {
            return Err(error);
        }
        let mut statements = script.statements;
        let Some(last) = statements.pop() else {
            return Err(QuiverError::Parse("no SQL statement given".into()));
        };
        if !params.is_empty() && !statements.is_empty() {
            return Err(QuiverError::Plan(format!(
                "parameters need a single statement; the text holds {}",
                statements.len() + 1
            )));
        }
        for statement in &statements {
            self.run_statement(statement).await?.collect().await?;
        }
        if params.is_empty() {
            Ok(last)
        } else {
            last.bind_parameters(params)
        }
    }

    /// Plans an already parsed statement, as [`SessionContext::sql`] does.
    pub async fn run_statement(&self, statement: &ParsedStatement) -> Result<DataFrame> {
        let depth = self.max_expression_depth();
        let plan = with_stack_for(depth, || {
            SqlPlanner::new(self).statement_to_plan(statement.statement())
        })?;
        match plan {
            LogicalPlan::Ddl(Ddl::Transaction(step)) => {
                self.transaction_step(step)?;
                Ok(DataFrame::empty(Arc::clone(&self.state)))
            }
            LogicalPlan::Ddl(ddl) => {
                self.check_transaction_usable()?;
                let change = StoredChange::of(&ddl, &statement.text);
                let created_permanent = creates_permanent(&ddl);
                let in_session = change
                    .as_ref()
                    .is_some_and(|change| self.stays_in_session(&ddl, change));
                let stored = self
                    .database()
                    .cloned()
                    .zip(change.clone().filter(|_| !in_session));
                if let Some((database, change)) = &stored {
                    database.check_writable(change)?;
                }
                let written = match self.execute_ddl(ddl).await {
                    Ok(written) => written,
                    Err(e) => {
                        if let Some(transaction) = self.transaction().as_mut() {
                            transaction.abort();
                        }
                        return Err(e);
                    }
                };
                if let Some(change) = &change {
                    self.track_temporary(created_permanent, change);
                }
                if let Some((database, change)) = stored {
                    match self.transaction().as_mut() {
                        Some(transaction) => transaction.defer(change),
                        None => database.commit(vec![change], &self.state.catalog)?,
                    }
                }
                match written {
                    Written::Count(rows) => Ok(self.count_result(rows)),
                    Written::Returned { plan, rows } => {
                        Ok(DataFrame::returned(Arc::clone(&self.state), *plan, rows))
                    }
                    Written::Nothing => Ok(DataFrame::empty(Arc::clone(&self.state))),
                }
            }
            plan => {
                self.check_transaction_usable()?;
                Ok(DataFrame::new(Arc::clone(&self.state), plan))
            }
        }
    }

    /// Whether a transaction (BEGIN …) is open in this session.
    pub fn in_transaction(&self) -> bool {
        self.transaction().is_some()
    }

    /// The session's open transaction, if any.
    fn transaction(&self) -> std::sync::MutexGuard<'_, Option<Transaction>> {
        self.state
            .transaction
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Fails inside a transaction that an earlier error aborted.
    fn check_transaction_usable(&self) -> Result<()> {
        match self.transaction().as_ref() {
            Some(transaction) => transaction.check_usable(),
            None => Ok(()),
        }
    }

    /// Runs `BEGIN`, `COMMIT` or `ROLLBACK`.
    fn transaction_step(&self, step: TransactionStep) -> Result<()> {
        let catalog = &self.state.catalog;
        let mut open = self.transaction();
        match step {
            TransactionStep::Begin => {
                if open.is_some() {
                    return Err(QuiverError::Plan(
                        "a transaction is already open; COMMIT or ROLLBACK it first".into(),
                    ));
                }
                *open = Some(Transaction::begin(catalog));
                Ok(())
            }
            TransactionStep::Rollback => match open.take() {
                Some(transaction) => transaction.roll_back(catalog),
                None => Err(QuiverError::Plan(
                    "no transaction is open to ROLLBACK".into(),
                )),
            },
            TransactionStep::Commit => {
                let Some(mut transaction) = open.take() else {
                    return Err(QuiverError::Plan("no transaction is open to COMMIT".into()));
                };
                if transaction.is_aborted() {
                    // As DuckDB and PostgreSQL do: the error was reported
                    // when it happened; COMMIT ends the transaction.
                    return transaction.roll_back(catalog);
                }
                let stored = match self.database() {
                    Some(database) => database.commit(transaction.take_pending(), catalog),
                    None => Ok(()),
                };
                if let Err(e) = stored {
                    // What is in memory matches what is stored again.
                    transaction.roll_back(catalog)?;
                    return Err(e.context("COMMIT failed and the transaction was rolled back"));
                }
                Ok(())
            }
        }
    }

    /// A one-row result `count` (for INSERT, UPDATE, DELETE and COPY).
    fn count_result(&self, rows: u64) -> DataFrame {
        let count = Expr::Literal(ScalarValue::Int64(Some(rows as i64)));
        let plan = Values::try_new(vec![vec![count]], &["count".to_string()])
            .map(LogicalPlan::Values)
            .unwrap_or_else(|_| quiver_expr::logical_plan::one_row());
        DataFrame::row_count(Arc::clone(&self.state), plan, rows)
    }

    /// Runs a statement that changes the catalog or writes data; returns the
    /// number of rows written by INSERT and COPY.
    async fn execute_ddl(&self, ddl: Ddl) -> Result<Written> {
        let catalog = &self.state.catalog;
        let done = |r: Result<()>| r.map(|_| Written::Nothing);
        match ddl {
            Ddl::Temporary { name, create } => {
                self.check_temporary_name(&name)?;
                let written = Box::pin(self.execute_ddl(*create)).await?;
                self.add_temporary(&name);
                Ok(written)
            }
            Ddl::CreateTable {
                name,
                schema,
                input,
                defaults,
                keys,
                checks,
                or_replace,
                if_not_exists,
            } => {
                if if_not_exists && catalog.get(&name).is_some() {
                    return Ok(Written::Nothing);
                }
                let batches = match input {
                    Some(plan) => self.run(plan).await?,
                    None => vec![],
                };
                let table = MemTable::try_with_batches(schema, batches)?
                    .with_defaults(defaults)
                    .with_keys(keys)
                    .with_checks(checks);
                done(catalog.insert(&name, CatalogEntry::Table(Arc::new(table)), or_replace))
            }
            Ddl::Insert {
                table,
                input,
                returning,
                on_conflict,
                conflict_columns,
            } => {
                let Some(CatalogEntry::Table(target)) = catalog.get(&table) else {
                    return Err(QuiverError::Plan(format!("table \"{table}\" not found")));
                };
                if let Some(columns) = conflict_columns {
                    check_conflict_target(&table, target.as_ref(), &columns)?;
                }
                let batches = self.run(input).await?;
                self.enforce_checks(&table, target.as_ref(), &batches)
                    .await?;
                let kept = returning.as_ref().map(|_| batches.clone());
                let rows = target.insert_on_conflict(batches, on_conflict)?;
                match (returning, kept) {
                    (Some(returning), Some(inserted)) => {
                        returned(returning, target.schema(), inserted, rows)
                    }
                    _ => Ok(Written::Count(rows)),
                }
            }
            Ddl::ReplaceTable {
                name,
                schema,
                input,
                defaults,
            } => {
                match catalog.get(&name) {
                    Some(CatalogEntry::Table(t))
                        if !t.unique_keys().is_empty() || !t.check_constraints().is_empty() =>
                    {
                        return Err(QuiverError::NotImplemented(format!(
                            "ALTER TABLE of {name}, which has PRIMARY KEY, UNIQUE or CHECK \
                             constraints"
                        )))
                    }
                    Some(CatalogEntry::Table(t)) if t.kind() == "memory" => {}
                    Some(CatalogEntry::Table(t)) => {
                        return Err(QuiverError::Plan(format!(
                            "cannot ALTER the {} table {name}: only tables made with CREATE TABLE change",
                            t.kind()
                        )))
                    }
                    _ => return Err(QuiverError::Plan(format!("table \"{name}\" not found"))),
                }
                let batches = self.run(input).await?;
                let table = MemTable::try_with_batches(schema, batches)?.with_defaults(defaults);
                done(catalog.insert(&name, CatalogEntry::Table(Arc::new(table)), true))
            }
            Ddl::ChangeRows {
                table,
                input,
                delete,
                returning,
            } => {
                let Some(CatalogEntry::Table(target)) = catalog.get(&table) else {
                    return Err(QuiverError::Plan(format!("table \"{table}\" not found")));
                };
                let before = target.exact_rows().unwrap_or(0) as u64;
                let batches = self.run(input).await?;
                let change = match (delete, &returning) {
                    (true, None) => RowChange::staying(batches, before),
                    _ => RowChange::read(batches, delete, returning.is_some())?,
                };
                if !delete {
                    self.enforce_checks(&table, target.as_ref(), &change.rows)
                        .await?;
                }
                target.replace(change.rows)?;
                match returning {
                    Some(returning) => returned(
                        returning,
                        target.schema(),
                        change.changed_rows,
                        change.changed,
                    ),
                    None => Ok(Written::Count(change.changed)),
                }
            }
            Ddl::CopyTo {
                input,
                location,
                format,
                options,
                partition_by,
            } => {
                let format = self.state.formats().find(format.as_str())?;
                let mut write = WriteOptions::new(format).with_options(&options)?;
                write.partition_by = partition_by;
                let frame = DataFrame::new(Arc::clone(&self.state), input.as_ref().clone());
                frame.write(&location, &write).await.map(Written::Count)
            }
            other => done(self.execute_catalog_change(other)),
        }
    }

    /// Fails when a row of `batches`, about to be written into `table`,
    /// makes one of its `CHECK` constraints false (NULL passes, as in SQL),
    /// naming the constraint and the row.
    async fn enforce_checks(
        &self,
        name: &str,
        table: &dyn TableProvider,
        batches: &[RecordBatch],
    ) -> Result<()> {
        let checks = table.check_constraints();
        if checks.is_empty() || batches.iter().all(|b| b.num_rows() == 0) {
            return Ok(());
        }
        let rows = MemTable::try_with_batches(table.schema(), batches.to_vec())?;
        let source = Arc::new(ProviderSource(Arc::new(rows)));
        let scan = LogicalPlan::TableScan(TableScan::try_new(name, source, None)?);
        for check in &checks {
            let sql = format!(
                "SELECT * FROM {} WHERE ({check}) IS FALSE LIMIT 1",
                quiver_sql::quote_identifier(name)
            );
            let plan = self.plan_query_over(&sql, vec![(name, scan.clone())])?;
            let found = self.run(Arc::new(plan)).await?;
            if let Some(row) = crate::pretty::rows_as_strings(&found, "NULL")?.first() {
                return Err(QuiverError::Execution(format!(
                    "CHECK constraint failed on table {name}: CHECK ({check}) is false for the \
                     row ({})",
                    row.join(", ")
                )));
            }
        }
        Ok(())
    }

    /// Runs `plan` and returns its rows.
    async fn run(&self, plan: Arc<LogicalPlan>) -> Result<Vec<RecordBatch>> {
        DataFrame::new(Arc::clone(&self.state), plan.as_ref().clone())
            .collect()
            .await
    }

    fn execute_catalog_change(&self, ddl: Ddl) -> Result<()> {
        let catalog = &self.state.catalog;
        match ddl {
            Ddl::CreateView {
                name,
                input,
                or_replace,
            } => catalog.insert(&name, CatalogEntry::View(input), or_replace),
            Ddl::CreateExternalTable {
                name,
                location,
                format,
                schema,
                options,
                if_not_exists,
            } => {
                if if_not_exists && catalog.get(&name).is_some() {
                    return Ok(());
                }
                let format = self.state.formats().find(format.as_str())?;
                let storage = self.state.storage_for(&location);
                let table = open_table(&location, format, &options, schema, &storage)?;
                catalog.insert(&name, CatalogEntry::Table(table), false)?;
                self.state.scope_to_bucket(&location, &options)
            }
            Ddl::DropTable { name, if_exists } => {
                catalog.remove(&name, "table", if_exists).map(|_| ())
            }
            Ddl::DropView { name, if_exists } => {
                catalog.remove(&name, "view", if_exists).map(|_| ())
            }
            Ddl::CreateSchema {
                name,
                if_not_exists,
            } => catalog.create_schema(&name, if_not_exists),
            Ddl::DropSchema {
                name,
                if_exists,
                cascade,
            } => catalog.drop_schema(&name, if_exists, cascade).map(|_| ()),
            Ddl::CreateMacro {
                name,
                definition,
                or_replace,
            } => catalog.insert(&name, CatalogEntry::Macro(definition), or_replace),
            Ddl::DropMacro { name, if_exists } => {
                catalog.remove(&name, "macro", if_exists).map(|_| ())
            }
            Ddl::Set { name, value } => self.set(&name, &value),
            Ddl::Prepare {
                name,
                sql,
                parameter_types,
            } => {
                let mut prepared = self
                    .state
                    .prepared
                    .write()
                    .unwrap_or_else(|e| e.into_inner());
                prepared.insert(name, (sql, parameter_types));
                Ok(())
            }
            Ddl::Deallocate { name } => {
                let mut prepared = self
                    .state
                    .prepared
                    .write()
                    .unwrap_or_else(|e| e.into_inner());
                match name {
                    None => prepared.clear(),
                    Some(name) => {
                        if prepared.remove(&name).is_none() {
                            return Err(QuiverError::Plan(format!(
                                "prepared statement \"{name}\" not found"
                            )));
                        }
                    }
                }
                Ok(())
            }
            Ddl::RenameTable { name, to } => {
                if name == to {
                    return Ok(());
                }
                let Some(entry @ CatalogEntry::Table(_)) = catalog.get(&name) else {
                    return Err(QuiverError::Plan(format!("table \"{name}\" not found")));
                };
                catalog.insert(&to, entry, false)?;
                catalog.remove(&name, "table", false).map(|_| ())
            }
            Ddl::CreateTable { .. }
            | Ddl::Insert { .. }
            | Ddl::ChangeRows { .. }
            | Ddl::ReplaceTable { .. }
            | Ddl::CopyTo { .. }
            | Ddl::Transaction(_)
            | Ddl::Temporary { .. } => {
                quiver_expr::internal_err!("data-writing statement taken for a catalog change")
            }
        }
    }
}

/// Fails unless `ON CONFLICT (columns)` names the one key constraint of
/// `table` (in any order): the conflicts Quiver leaves out are those of
/// every key, which are those of the named one only when there is one.
fn check_conflict_target(
    table: &str,
    target: &dyn TableProvider,
    columns: &[String],
) -> Result<()> {
    let keys = target.unique_keys();
    if keys.len() > 1 {
        return Err(QuiverError::NotImplemented(format!(
            "ON CONFLICT (…) on {table}, which has several key constraints"
        )));
    }
    let schema = target.schema();
    let named = |key: &quiver_expr::logical_plan::UniqueKey| {
        key.columns.len() == columns.len()
            && key.columns.iter().all(|&c| {
                columns
                    .iter()
                    .any(|n| n.eq_ignore_ascii_case(schema.field(c).name()))
            })
    };
    if !keys.iter().any(named) {
        return Err(QuiverError::Plan(format!(
            "ON CONFLICT ({}) names no PRIMARY KEY or UNIQUE constraint of {table}",
            columns.join(", ")
        )));
    }
    Ok(())
}

/// What a statement that changes the catalog or writes data gives back.
enum Written {
    /// Nothing (DDL).
    Nothing,
    /// The count of rows it wrote.
    Count(u64),
    /// `RETURNING`: rows to show, and the count of rows written.
    Returned { plan: Box<LogicalPlan>, rows: u64 },
}

/// The `RETURNING` result over `rows` (of a table with `schema`), a
/// statement that wrote `count` rows.
fn returned(
    returning: Returning,
    schema: arrow::datatypes::SchemaRef,
    rows: Vec<RecordBatch>,
    count: u64,
) -> Result<Written> {
    let written = MemTable::try_with_batches(schema, rows)?;
    let source = Arc::new(ProviderSource(Arc::new(written)));
    let scan = LogicalPlan::TableScan(TableScan::try_new(&returning.qualifier, source, None)?);
    let plan = LogicalPlan::Projection(Projection::try_new(returning.exprs, Arc::new(scan))?);
    Ok(Written::Returned {
        plan: Box::new(plan),
        rows: count,
    })
}

impl ContextProvider for SessionContext {
    fn get_table(&self, name: &str) -> Option<Arc<dyn TableSource>> {
        match self.state.catalog.get(name)? {
            CatalogEntry::Table(t) => Some(Arc::new(ProviderSource(t))),
            _ => None,
        }
    }

    fn get_view(&self, name: &str) -> Option<Arc<LogicalPlan>> {
        match self.state.catalog.get(name)? {
            CatalogEntry::View(v) => Some(v),
            _ => None,
        }
    }

    fn get_macro(&self, name: &str) -> Option<Arc<Macro>> {
        match self.state.catalog.get(name)? {
            CatalogEntry::Macro(m) => Some(m),
            _ => None,
        }
    }

    fn get_file_table(
        &self,
        locations: &[String],
        format: Option<&FormatName>,
        options: &[(String, String)],
    ) -> Result<Arc<dyn TableSource>> {
        let first = locations
            .first()
            .ok_or_else(|| QuiverError::Plan("no file location given".into()))?;
        let storage = self.state.storage_for(first);
        let format = match format {
            Some(f) => self.state.formats().find(f.as_str())?,
            None => self.state.formats().detect(first, &storage)?,
        };
        let table = open_tables(locations, format, options, &storage)?;
        Ok(Arc::new(ProviderSource(table)))
    }

    fn file_names(&self, location: &str) -> Result<Vec<String>> {
        let storage = self.state.storage_for(location);
        match quiver_datasource::list_files(location, &storage) {
            Ok(files) => Ok(files.iter().map(|f| f.name().to_string()).collect()),
            // Nothing there is no rows (as in DuckDB); other failures, such
            // as a directory that cannot be read, are errors.
            Err(QuiverError::Io(why))
                if ["no files match", "file not found", "contains no data files"]
                    .iter()
                    .any(|nothing| why.contains(nothing)) =>
            {
                Ok(vec![])
            }
            Err(e) => Err(e),
        }
    }

    fn generated_table(&self, rows: Arc<dyn GeneratedRows>) -> Arc<dyn TableSource> {
        Arc::new(ProviderSource(Arc::new(GeneratedTable::new(rows))))
    }

    fn list_tables(&self) -> Vec<(String, String)> {
        self.state.catalog.list()
    }

    fn scalar_function(&self, name: &str) -> Option<Arc<dyn ScalarFunction>> {
        self.state.functions().scalar(name)
    }

    fn aggregate_function(&self, name: &str) -> Option<Arc<dyn AggregateFunction>> {
        self.state.functions().aggregate(name)
    }

    fn window_function(&self, name: &str) -> Option<Arc<dyn WindowFunction>> {
        self.state.functions().window(name)
    }

    fn table_function(&self, name: &str) -> Option<Arc<dyn TableFunction>> {
        self.state.functions().table_function(name)
    }

    fn lambda_function(&self, name: &str) -> Option<Arc<dyn LambdaFunction>> {
        self.state.functions().lambda(name)
    }

    fn function_names(&self) -> Vec<String> {
        self.state.functions().names()
    }

    fn file_format(&self, name: &str) -> Result<FormatName> {
        let format = self.state.formats().find(name)?;
        Ok(FormatName::new(format.name()))
    }

    fn settings(&self) -> Vec<Setting> {
        crate::settings::list(&self.state)
    }

    fn max_expression_depth(&self) -> usize {
        self.state.max_expression_depth()
    }

    fn time_zone(&self) -> String {
        self.state.time_zone()
    }

    fn integer_division(&self) -> bool {
        self.state.integer_division()
    }

    fn prepared_statement(&self, name: &str) -> Option<(String, Vec<String>)> {
        let prepared = self.state.prepared.read().ok()?;
        prepared.get(name).cloned()
    }

    fn schema_names(&self) -> Vec<String> {
        self.state.catalog.schema_names()
    }

    fn is_temporary(&self, name: &str) -> bool {
        SessionContext::is_temporary(self, name)
    }

    fn has_schema(&self, name: &str) -> bool {
        name.eq_ignore_ascii_case(quiver_sql::planner::MAIN_SCHEMA)
            || self.state.catalog.has_schema(name)
    }

    /// Runs `plan` on a runtime of its own, on a thread of its own: the
    /// planner is not async, and the runtime it is called from (perhaps a
    /// single-threaded one) may be the one waiting for it.
    fn run_query(&self, plan: LogicalPlan) -> Result<Vec<RecordBatch>> {
        let frame = DataFrame::new(Arc::clone(&self.state), plan);
        let threads = (self.state.config.target_partitions / crate::PARTITIONS_PER_CORE).max(1);
        std::thread::scope(|scope| {
            let run = scope.spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(threads)
                    .enable_all()
                    .build()
                    .map_err(|e| QuiverError::Internal(format!("no runtime for a query: {e}")))?;
                runtime.block_on(frame.collect())
            });
            run.join().unwrap_or_else(|payload| {
                Err(QuiverError::Internal(format!(
                    "a query run while planning panicked: {}",
                    quiver_execution::panics::panic_message(payload.as_ref())
                )))
            })
        })
    }
}
