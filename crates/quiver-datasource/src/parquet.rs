//! Parquet tables: footers are read once when the table is created; a scan
//! spreads the row groups of all files over the partitions, balanced by row
//! count, and decodes only the projected columns.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use arrow::array::new_null_array;
use arrow::compute::cast;
use arrow::datatypes::{Field, Schema, SchemaRef};
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use futures::{FutureExt, StreamExt, TryStreamExt};
use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions, RowSelection};
use parquet::arrow::{ParquetRecordBatchStreamBuilder, ProjectionMask};
use parquet::file::metadata::PageIndexPolicy;
use quiver_execution::dynamic_filter::{DynamicFilter, PublishedKeys};
use quiver_execution::memory_pool::MemoryPool;
use quiver_execution::metrics::OperatorMetrics;
use quiver_execution::panics::{catch_future, panic_message};
use quiver_execution::plan::{ExecutionPlan, TaskContext};
use quiver_execution::progress::ProgressShare;
use quiver_execution::run_state::NodeId;
use quiver_execution::shared_reads::SharedReads;
use quiver_execution::stream::{
    catch_panics_as, RecordBatchStreamAdapter, SendableRecordBatchStream,
};
use quiver_execution::{ScanRequest, TableProvider};
use quiver_expr::types::{common_type, sql_type_name};
use quiver_expr::{internal_err, ColumnStatistics, Expr, QuiverError, Result, ScalarValue};

use crate::bloom_pruning::{bloom_probes, row_groups_passing, BloomProbe};
use crate::data_file::DataFile;
use crate::decode_filter::DecodeFilter;
use crate::key_membership::KeyMembership;
use crate::listing::list_files;
use crate::object_reader::{ReadAhead, ReadAheadQueue, ReadAheadTurn, SharedObject};
use crate::page_pruning::rows_to_read;
use crate::parquet_statistics::{column_statistics, dictionary_entries, FileFooter};
use crate::read_plan::planned_ranges;
use crate::row_group_pruning::{bounds, row_groups_to_read, Bound};
use crate::store::{block_on, spawn_io, StorageOptions};

/// One Parquet file with its decoded footer.
#[derive(Debug, Clone)]
struct ParquetFile {
    file: DataFile,
    metadata: ArrowReaderMetadata,
}

/// How many footers are fetched at once from an object store.
const CONCURRENT_FOOTERS: usize = 16;

impl ParquetFile {
    /// Reads the footers of `files`, several at a time.
    fn open_all(files: Vec<DataFile>) -> Result<Vec<Self>> {
        block_on(async move {
            futures::stream::iter(files)
                .map(Self::open)
                .buffered(CONCURRENT_FOOTERS)
                .try_collect::<Vec<_>>()
                .await
        })?
    }

    async fn open(file: DataFile) -> Result<Self> {
        let context = |e: QuiverError| e.context(format!("reading Parquet file '{}'", file.name()));
        let mut reader = file.parquet_reader(None, None).await.map_err(context)?;
        // The page index lets filtered scans skip pages (`page_pruning.rs`).
        let options = ArrowReaderOptions::new().with_page_index_policy(PageIndexPolicy::Optional);
        // The parquet crate panics on some corrupt footers (an embedded
        // Arrow schema with an impossible type); that is bad data, not a bug.
        let metadata = catch_future(ArrowReaderMetadata::load_async(&mut reader, options))
            .await
            .map_err(|payload| corrupt(file.name(), "metadata", panic_message(payload.as_ref())))?
            .map_err(|e| context(e.into()))?;
        Ok(Self { file, metadata })
    }

    fn schema(&self) -> &SchemaRef {
        self.metadata.schema()
    }
}

/// A table over one or more Parquet files with the same columns.
#[derive(Debug)]
pub struct ParquetTable {
    files: Vec<ParquetFile>,
    schema: SchemaRef,
    /// Each column's statistics, computed from the footers when first asked.
    column_statistics: Vec<OnceLock<ColumnStatistics>>,
}

impl ParquetTable {
    /// Opens every file `location` names (a file, glob or directory; local,
    /// `s3://` or `http(s)://`) and reads its footer. The table's columns are those of all files, in
    /// order of first appearance: a column some files lack reads as NULL
    /// there, and a column whose type differs between files takes a type
    /// both convert to (INTEGER and BIGINT give BIGINT); types with none in
    /// common are an error naming the two files.
    pub fn try_new(location: &str, storage: &StorageOptions) -> Result<Self> {
        let files = ParquetFile::open_all(list_files(location, storage)?)?;
        let mut fields: Vec<(Field, usize)> = vec![];
        for (fi, f) in files.iter().enumerate() {
            for field in f.schema().fields() {
                match fields.iter_mut().find(|(x, _)| x.name() == field.name()) {
                    None => fields.push((field.as_ref().clone(), fi)),
                    Some((existing, first)) => {
                        let merged = common_type(existing.data_type(), field.data_type())
                            .ok_or_else(|| {
                                QuiverError::Plan(format!(
                                    "column \"{}\" is {} in Parquet file '{}' but {} in '{}'",
                                    field.name(),
                                    sql_type_name(existing.data_type()),
                                    files[*first].file.name(),
                                    sql_type_name(field.data_type()),
                                    f.file.name()
                                ))
                            })?;
                        let nullable = existing.is_nullable() || field.is_nullable();
                        *existing = existing
                            .clone()
                            .with_data_type(merged)
                            .with_nullable(nullable);
                    }
                }
            }
        }
        let fields: Vec<Field> = fields
            .into_iter()
            .map(|(f, _)| {
                let everywhere = files
                    .iter()
                    .all(|file| file.schema().field_with_name(f.name()).is_ok());
                if everywhere {
                    f
                } else {
                    f.with_nullable(true)
                }
            })
            .collect();
        Ok(Self {
            files,
            column_statistics: fields.iter().map(|_| OnceLock::new()).collect(),
            schema: Arc::new(Schema::new(fields)),
        })
    }

    /// A distinct-count estimate for column `name` from the dictionary of
    /// its first row group in the first file (local files only; see
    /// [`dictionary_entries`]), capped by the table's rows.
    fn dictionary_distinct(&self, name: &str) -> Option<usize> {
        let first = self.files.first()?;
        let leaf = first
            .metadata
            .metadata()
            .file_metadata()
            .schema_descr()
            .columns()
            .iter()
            .position(|c| c.path().parts() == [name.to_string()])?;
        let entries = dictionary_entries(first.file.local_path()?, leaf)?;
        Some(entries.min(usize::try_from(self.num_rows()).ok()?))
    }

    /// The average number of rows in a row group.
    fn average_row_group_rows(&self) -> f64 {
        let row_groups: usize = self
            .files
            .iter()
            .map(|f| f.metadata.metadata().num_row_groups())
            .sum();
        self.num_rows() as f64 / row_groups.max(1) as f64
    }

    /// Total rows over all files, from the footers.
    pub fn num_rows(&self) -> i64 {
        self.files
            .iter()
            .map(|f| f.metadata.metadata().file_metadata().num_rows())
            .sum()
    }
}

#[async_trait::async_trait]
impl TableProvider for ParquetTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
    fn kind(&self) -> &str {
        "parquet"
    }
    fn estimated_rows(&self) -> Option<usize> {
        usize::try_from(self.num_rows()).ok()
    }
    fn exact_rows(&self) -> Option<usize> {
        self.estimated_rows()
    }
    fn column_statistics(&self, column: usize) -> Option<ColumnStatistics> {
        let field = self.schema.fields().get(column)?;
        let cached = self.column_statistics.get(column)?.get_or_init(|| {
            let footers: Vec<FileFooter<'_>> = self
                .files
                .iter()
                .map(|f| FileFooter {
                    metadata: f.metadata.metadata(),
                    schema: f.schema(),
                })
                .collect();
            let mut stats = column_statistics(&footers, field.name(), field.data_type());
            if stats.distinct.is_none() {
                stats.distinct = self.dictionary_distinct(field.name());
            }
            stats
        });
        Some(cached.clone())
    }
    /// Row groups and pages whose min/max statistics refute a conjunct of
    /// the filters are not read; a selective filter is evaluated while
    /// decoding ([`DecodeFilter`]); with a limit and no filter, only the
    /// first row groups holding that many rows are read.
    async fn scan(&self, request: &ScanRequest) -> Result<Arc<dyn ExecutionPlan>> {
        let schema = match &request.projection {
            Some(p) => Arc::new(self.schema.project(p)?),
            None => Arc::clone(&self.schema),
        };
        let bounds = bounds(&request.filters);
        let mut row_groups: Vec<Vec<bool>> = self
            .files
            .iter()
            .map(|f| row_groups_to_read(f.metadata.metadata(), f.schema(), &bounds))
            .collect();
        let limit = request.limit.filter(|_| request.filters.is_empty());
        if let Some(limit) = limit {
            keep_first_rows(&self.files, &mut row_groups, limit);
        }
        let filtering = ScanFiltering {
            table_schema: Arc::clone(&self.schema),
            bloom_probes: bloom_probes(&request.filters),
            dynamic_filters: vec![],
            bounds,
            decode_filter: DecodeFilter::choose(
                &request.filters,
                request.selectivity,
                self.average_row_group_rows(),
                &schema,
            ),
            limit,
            shared_reads: request.shared_reads.clone(),
        };
        Ok(Arc::new(ParquetExec::new(
            self.files.clone(),
            schema,
            request.target_partitions,
            row_groups,
            Arc::new(filtering),
        )))
    }
}

/// Narrows `read` (per file, per row group) to the first row groups, in
/// file order, that together hold at least `limit` rows.
fn keep_first_rows(files: &[ParquetFile], read: &mut [Vec<bool>], limit: usize) {
    let mut rows = 0usize;
    for (file, read) in files.iter().zip(read.iter_mut()) {
        for (row_group, keep) in file.metadata.metadata().row_groups().iter().zip(read) {
            if rows >= limit {
                *keep = false;
            } else if *keep {
                rows = rows.saturating_add(usize::try_from(row_group.num_rows()).unwrap_or(0));
            }
        }
    }
}

/// What a scan does beyond reading its row groups: skipping pages,
/// filtering while decoding, stopping at a limit.
#[derive(Debug, Clone)]
struct ScanFiltering {
    /// The table's columns (a decode filter needs a file's types to match).
    table_schema: SchemaRef,
    /// Conjuncts checked against row groups' bloom filters.
    bloom_probes: Vec<BloomProbe>,
    /// Key ranges that joins above publish while the query runs.
    dynamic_filters: Vec<Arc<DynamicFilter>>,
    /// Conjuncts checked against the page index.
    bounds: Vec<Bound>,
    /// Conjuncts evaluated while decoding, when selective enough.
    decode_filter: Option<DecodeFilter>,
    /// Rows needed per partition, when there is no filter.
    limit: Option<usize>,
    /// Where the query's scans of this table share what they fetch from
    /// object stores, when it scans the table more than once.
    shared_reads: Option<Arc<SharedReads>>,
}

/// A unit of scan work: one row group of one file.
#[derive(Debug, Clone, Copy)]
struct RowGroupTask {
    file: usize,
    row_group: usize,
}

/// Scans row groups of Parquet files, spread over partitions.
#[derive(Debug, Clone)]
pub struct ParquetExec {
    files: Vec<ParquetFile>,
    schema: SchemaRef,
    partitions: Vec<Vec<RowGroupTask>>,
    /// Row groups in the files, read or not.
    total_row_groups: usize,
    filtering: Arc<ScanFiltering>,
    /// The operator's identity ([`ExecutionPlan::node_id`]).
    id: NodeId,
}

impl ParquetExec {
    /// A scan of the row groups of `files` marked in `read` (one flag per
    /// row group per file).
    fn new(
        files: Vec<ParquetFile>,
        schema: SchemaRef,
        target_partitions: usize,
        read: Vec<Vec<bool>>,
        filtering: Arc<ScanFiltering>,
    ) -> Self {
        let mut tasks: Vec<(i64, RowGroupTask)> = vec![];
        let mut total_row_groups = 0;
        for ((fi, f), read) in files.iter().enumerate().zip(&read) {
            for (ri, rg) in f.metadata.metadata().row_groups().iter().enumerate() {
                total_row_groups += 1;
                if !read.get(ri).copied().unwrap_or(true) {
                    continue;
                }
                tasks.push((
                    rg.num_rows(),
                    RowGroupTask {
                        file: fi,
                        row_group: ri,
                    },
                ));
            }
        }
        let n = target_partitions.max(1).min(tasks.len()).max(1);
        let partitions = split_in_order(tasks, n);
        Self {
            id: NodeId::next(),
            files,
            schema,
            partitions,
            total_row_groups,
            filtering,
        }
    }
}

/// `tasks` (each with its row count), in file order, cut into `n` runs of
/// consecutive tasks with about equal rows: each task goes to the run whose
/// share of the rows holds its middle row. A partition so reads neighbouring
/// row groups, which an object store serves in fewer, larger requests.
fn split_in_order(tasks: Vec<(i64, RowGroupTask)>, n: usize) -> Vec<Vec<RowGroupTask>> {
    let total: i128 = tasks.iter().map(|(rows, _)| i128::from(*rows)).sum();
    let mut partitions: Vec<Vec<RowGroupTask>> = vec![vec![]; n];
    let mut before: i128 = 0;
    for (rows, task) in tasks {
        let middle = before + i128::from(rows) / 2;
        let share = middle * n as i128 / total.max(1);
        partitions[usize::try_from(share).unwrap_or(0).min(n - 1)].push(task);
        before += i128::from(rows);
    }
    partitions
}

/// Row groups of one file to read, projected to `schema`'s columns.
struct RowGroupScan {
    file: ParquetFile,
    row_groups: Vec<usize>,
    schema: SchemaRef,
    batch_size: usize,
    filtering: Arc<ScanFiltering>,
    /// What the joins above publish in this run about their keys, one per
    /// dynamic filter of `filtering`.
    published: Arc<[Arc<PublishedKeys>]>,
    /// Where the bytes of column chunks read are counted (EXPLAIN ANALYZE).
    metrics: Option<Arc<OperatorMetrics>>,
    /// The session's memory pool (bytes kept for other scans are held from it).
    memory_pool: Arc<MemoryPool>,
    /// The file's place in its partition's read-ahead queue.
    turn: ReadAheadTurn,
}

impl RowGroupScan {
    async fn read(self) -> Result<SendableRecordBatchStream> {
        let RowGroupScan {
            file,
            row_groups,
            schema,
            batch_size,
            filtering,
            published,
            metrics,
            memory_pool,
            turn,
        } = self;
        let name = file.file.name().to_string();
        let context = move |e: QuiverError| e.context(format!("reading Parquet file '{name}'"));
        let file_schema = Arc::clone(file.schema());
        let metadata = file.metadata.metadata();
        // What the joins above have published by now about their keys.
        let dynamic: Vec<Expr> = published
            .iter()
            .filter_map(|keys| keys.conjuncts())
            .flatten()
            .collect();
        let dynamic_bounds = bounds(&dynamic);
        let row_groups = if published.is_empty() {
            row_groups
        } else {
            let candidates = row_groups.len();
            let kept = if dynamic.iter().any(is_false) {
                vec![]
            } else {
                let keep = row_groups_to_read(metadata, &file_schema, &dynamic_bounds);
                row_groups.into_iter().filter(|&rg| keep[rg]).collect()
            };
            if let Some(metrics) = &metrics {
                let pruned = candidates - kept.len();
                metrics.add("row_groups_pruned_by_dynamic_filter", pruned as u64);
            }
            kept
        };
        let probes = [filtering.bloom_probes.clone(), bloom_probes(&dynamic)].concat();
        let candidates = row_groups.len();
        let row_groups = row_groups_passing(
            &file.file,
            &file.metadata,
            &file_schema,
            row_groups,
            &probes,
        )
        .await
        .map_err(context.clone())?;
        if let Some(metrics) = metrics.as_ref().filter(|_| !probes.is_empty()) {
            let pruned = candidates - row_groups.len();
            metrics.add("row_groups_pruned_by_bloom_filter", pruned as u64);
        }
        // The file's index of each wanted column (`None`: the file lacks it).
        let wanted: Vec<Option<usize>> = schema
            .fields()
            .iter()
            .map(|f| file_schema.index_of(f.name()).ok())
            .collect();
        let indices: Vec<usize> = wanted.iter().flatten().copied().collect();
        // With none of the wanted columns in this file, read its first column
        // just to count rows.
        let read = if indices.is_empty() {
            vec![0]
        } else {
            indices.clone()
        };
        let mask = ProjectionMask::roots(metadata.file_metadata().schema_descr(), read);
        let in_row_groups: u64 = row_groups
            .iter()
            .map(|&rg| u64::try_from(metadata.row_group(rg).num_rows()).unwrap_or(0))
            .sum();
        let selection = rows_to_read(
            metadata,
            &file_schema,
            &row_groups,
            &[filtering.bounds.clone(), dynamic_bounds].concat(),
        );
        let skipped = selection.as_ref().map_or(0, skipped_rows);
        if let Some(metrics) = metrics.as_ref().filter(|_| selection.is_some()) {
            metrics.add("rows_skipped_by_page_index", skipped);
        }
        let selected = in_row_groups.saturating_sub(skipped);
        let row_filter = filtering.decode_filter.as_ref().and_then(|filter| {
            let descr = metadata.file_metadata().schema_descr();
            filter.row_filter(&filtering.table_schema, &file_schema, descr)
        });
        let decoding = row_filter.is_some();
        // The byte ranges of the wanted column chunks, row group by row group.
        let chunks = planned_ranges(metadata, &row_groups, &mask, None);
        if let Some(metrics) = &metrics {
            let bytes: u64 = chunks.iter().flatten().map(|r| r.end - r.start).sum();
            metrics.add("bytes_scanned", bytes);
            metrics.add("row_groups_read", row_groups.len() as u64);
        }
        // Filtering while decoding, the decoder asks for pages of the other
        // columns only as it finds rows that pass: nothing is fetched ahead.
        let plan = match &selection {
            _ if decoding => vec![],
            Some(selection) => planned_ranges(metadata, &row_groups, &mask, Some(selection)),
            None => chunks,
        };
        let handle = file
            .file
            .parquet_reader(
                Some(ReadAhead { plan, turn }),
                filtering.shared_reads.as_ref().map(|reads| SharedObject {
                    reads: Arc::clone(reads),
                    url: file.file.name().to_string(),
                    metrics: metrics.clone(),
                    memory_pool: Arc::clone(&memory_pool),
                }),
            )
            .await
            .map_err(context.clone())?;
        let mut builder =
            ParquetRecordBatchStreamBuilder::new_with_metadata(handle, file.metadata.clone())
                .with_batch_size(batch_size);
        if let Some(selection) = selection {
            builder = builder.with_row_selection(selection);
        }
        if let Some(row_filter) = row_filter {
            builder = builder.with_row_filter(row_filter);
        }
        if let Some(limit) = filtering.limit {
            builder = builder.with_limit(limit);
        }
        let stream = builder
            .with_projection(mask)
            .with_row_groups(row_groups)
            .build()
            .map_err(|e| context(e.into()))?;
        // The reader returns columns in file order; put them in the table's order
        // and types.
        let mut sorted = indices.clone();
        sorted.sort_unstable();
        let order: Arc<[Option<usize>]> = wanted
            .iter()
            .map(|i| i.and_then(|i| sorted.binary_search(&i).ok()))
            .collect();
        let out_schema = Arc::clone(&schema);
        let name = file.file.name().to_string();
        let adapted = stream
            .map_err(move |e| context(e.into()))
            .and_then(move |batch| {
                let adapted = in_table_order(&batch, &order, &out_schema);
                async move { adapted }
            });
        let batches = match metrics.filter(|_| decoding) {
            Some(metrics) => {
                RecordBatchStreamAdapter::boxed(schema, report_decoded(adapted, selected, metrics))
            }
            None => RecordBatchStreamAdapter::boxed(schema, adapted),
        };
        // The parquet crate panics on some corrupt pages; that is bad data.
        Ok(catch_panics_as(batches, move |message| {
            corrupt(&name, "data", message)
        }))
    }
}

/// The error for a panic of the parquet crate with `message` while reading
/// the `part` ("metadata", "data") of the file `name`.
fn corrupt(name: &str, part: &str, message: String) -> QuiverError {
    QuiverError::Execution(format!("its {part} is corrupt ({message})"))
        .context(format!("reading Parquet file '{name}'"))
}

/// How many rows `selection` skips.
fn skipped_rows(selection: &RowSelection) -> u64 {
    let skipped: usize = selection
        .iter()
        .filter(|s| s.skip)
        .map(|s| s.row_count)
        .sum();
    skipped as u64
}

/// `batch` (the file's columns in file order) as the table's columns:
/// column `i` of the table is `order[i]` of the batch, cast to the table's
/// type, or NULLs where the file lacks it.
fn in_table_order(
    batch: &RecordBatch,
    order: &[Option<usize>],
    schema: &SchemaRef,
) -> Result<RecordBatch> {
    let columns = order
        .iter()
        .zip(schema.fields())
        .map(|(i, f)| {
            let Some(i) = i else {
                return Ok(new_null_array(f.data_type(), batch.num_rows()));
            };
            let c = batch.column(*i);
            if c.data_type() == f.data_type() {
                Ok(Arc::clone(c))
            } else {
                Ok(cast(c, f.data_type())?)
            }
        })
        .collect::<Result<Vec<_>>>()?;
    let options = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
    Ok(RecordBatch::try_new_with_options(
        Arc::clone(schema),
        columns,
        &options,
    )?)
}

/// Whether `e` is the constant FALSE.
fn is_false(e: &Expr) -> bool {
    matches!(e, Expr::Literal(ScalarValue::Boolean(Some(false))))
}

/// `stream`, which a decode filter fed from `selected` rows, reporting
/// when it ends how many of them the filter removed.
fn report_decoded(
    stream: impl futures::Stream<Item = Result<RecordBatch>> + Send,
    selected: u64,
    metrics: Arc<OperatorMetrics>,
) -> impl futures::Stream<Item = Result<RecordBatch>> + Send {
    let produced = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&produced);
    let counted = stream.inspect(move |batch| {
        if let Ok(batch) = batch {
            counter.fetch_add(batch.num_rows() as u64, Ordering::Relaxed);
        }
    });
    let report = futures::stream::once(async move {
        let removed = selected.saturating_sub(produced.load(Ordering::Relaxed));
        metrics.add("rows_filtered_during_decode", removed);
        None
    });
    counted
        .map(Some)
        .chain(report)
        .filter_map(futures::future::ready)
}

impl ExecutionPlan for ParquetExec {
    /// The scan, also skipping what the keys a join publishes in `filter`
    /// rule out of column `column`.
    fn with_dynamic_filter(
        &self,
        column: usize,
        filter: Arc<DynamicFilter>,
    ) -> Option<Arc<dyn ExecutionPlan>> {
        if self.schema.fields().get(column)?.name() != filter.column() {
            return None;
        }
        let mut filtering = self.filtering.as_ref().clone();
        filtering.dynamic_filters.push(filter);
        Some(Arc::new(Self {
            filtering: Arc::new(filtering),
            ..self.clone()
        }))
    }
    quiver_execution::node_basics!(leaf);
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
    fn output_partitions(&self) -> usize {
        self.partitions.len()
    }
    fn details(&self) -> String {
        let groups: usize = self.partitions.iter().map(Vec::len).sum();
        let pruned = if groups < self.total_row_groups {
            let why = match self.filtering.limit {
                Some(_) => "past the limit",
                None => "pruned by statistics",
            };
            format!(" of {} ({why})", self.total_row_groups)
        } else {
            String::new()
        };
        let mut text = format!(
            "files={}, row_groups={groups}{pruned}, projection=[{}]",
            self.files.len(),
            crate::column_names(&self.schema)
        );
        if let Some(filter) = &self.filtering.decode_filter {
            text.push_str(&format!(", decode_filter={filter}"));
        }
        if let Some(limit) = self.filtering.limit {
            text.push_str(&format!(", limit={limit}"));
        }
        if !self.filtering.dynamic_filters.is_empty() {
            let columns: Vec<&str> = self
                .filtering
                .dynamic_filters
                .iter()
                .map(|f| f.column())
                .collect();
            text.push_str(&format!(", dynamic_filters=[{}]", columns.join(", ")));
        }
        text
    }
    fn execute(
        &self,
        partition: usize,
        ctx: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let Some(tasks) = self.partitions.get(partition) else {
            return internal_err!(
                "ParquetExec has {} partitions, asked for {partition}",
                self.partitions.len()
            );
        };
        // Consecutive row groups of the same file are read by one reader.
        let mut per_file: Vec<(usize, Vec<usize>)> = vec![];
        for t in tasks {
            match per_file.last_mut() {
                Some((f, groups)) if *f == t.file => groups.push(t.row_group),
                _ => per_file.push((t.file, vec![t.row_group])),
            }
        }
        // Each file's row groups count towards the statement's progress
        // from the start, so that the bar never runs backwards.
        let shares: Vec<ProgressShare> = per_file
            .iter()
            .map(|(f, groups)| {
                let metadata = self.files[*f].metadata.metadata();
                let (bytes, rows) = groups.iter().fold((0u64, 0u64), |(bytes, rows), &rg| {
                    let group = metadata.row_group(rg);
                    (
                        bytes + u64::try_from(group.compressed_size()).unwrap_or(0),
                        rows + u64::try_from(group.num_rows()).unwrap_or(0),
                    )
                });
                ProgressShare::new(Arc::clone(&ctx.progress), bytes, rows)
            })
            .collect();
        let files = self.files.clone();
        let schema = self.schema();
        let batch_size = ctx.batch_size;
        let metrics = ctx.operator_metrics(self);
        let memory_pool = Arc::clone(&ctx.memory_pool);
        let filtering = Arc::clone(&self.filtering);
        let published: Arc<[Arc<PublishedKeys>]> = filtering
            .dynamic_filters
            .iter()
            .map(|filter| filter.in_run(&ctx))
            .collect();
        let mut membership = KeyMembership::new(&schema, &published, metrics.clone());
        let read_ahead = ReadAheadQueue::default();
        let stream = futures::stream::iter(per_file.into_iter().zip(shares))
            .map(move |((f, groups), mut share)| {
                let scan = RowGroupScan {
                    file: files[f].clone(),
                    row_groups: groups,
                    schema: Arc::clone(&schema),
                    batch_size,
                    filtering: Arc::clone(&filtering),
                    published: Arc::clone(&published),
                    metrics: metrics.clone(),
                    memory_pool: Arc::clone(&memory_pool),
                    turn: read_ahead.turn(),
                };
                // Opened in a task of its own, so that the next file starts
                // fetching while this one is decoded. The parquet crate
                // panics on some corrupt metadata (a negative column chunk
                // offset); that is bad data, not a bug.
                let name = scan.file.file.name().to_string();
                let opened = spawn_io(catch_future(scan.read()).map(move |read| {
                    read.unwrap_or_else(|payload| {
                        Err(corrupt(&name, "metadata", panic_message(payload.as_ref())))
                    })
                }));
                opened.map(move |opened| {
                    opened.map(|read| {
                        read.map(|batches| {
                            batches.inspect_ok(move |batch| {
                                share.rows_read(batch.num_rows() as u64);
                            })
                        })
                    })
                })
            })
            .buffered(2)
            .map(|opened| {
                opened.map_err(|e| QuiverError::Internal(format!("opening a file failed: {e}")))?
            })
            .try_flatten()
            .map(move |batch| match membership.as_mut() {
                Some(m) => batch.and_then(|b| m.apply(b)),
                None => batch,
            });
        Ok(RecordBatchStreamAdapter::boxed(self.schema(), stream))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{ArrayRef, AsArray, Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Int64Type};
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::WriterProperties;
    use quiver_execution::collect;

    fn write_file(path: &std::path::Path, start: i64, rows: i64) {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("name", DataType::Utf8, true),
        ]));
        let ids: Vec<i64> = (start..start + rows).collect();
        let names: Vec<String> = ids.iter().map(|i| format!("n{i}")).collect();
        let batch = RecordBatch::try_new(
            Arc::clone(&schema),
            vec![
                Arc::new(Int64Array::from(ids)),
                Arc::new(StringArray::from(names)),
            ],
        )
        .unwrap();
        let props = WriterProperties::builder()
            .set_max_row_group_row_count(Some(10))
            .build();
        let mut w = ArrowWriter::try_new(std::fs::File::create(path).unwrap(), schema, Some(props))
            .unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
    }

    /// Rows of ids 0..3000 in row groups of 1000 and pages of 100, with a
    /// page index.
    fn write_paged_file(path: &std::path::Path) {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("name", DataType::Utf8, true),
        ]));
        let ids: Vec<i64> = (0..3000).collect();
        let names: Vec<String> = ids.iter().map(|i| format!("n{i}")).collect();
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(ids)),
            Arc::new(StringArray::from(names)),
        ];
        let batch = RecordBatch::try_new(Arc::clone(&schema), columns).unwrap();
        let props = WriterProperties::builder()
            .set_max_row_group_row_count(Some(1000))
            .set_data_page_row_count_limit(100)
            .set_write_batch_size(100)
            .build();
        let file = std::fs::File::create(path).unwrap();
        let mut w = ArrowWriter::try_new(file, schema, Some(props)).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
    }

    /// The scan `request` asks of `table`, its rows and its EXPLAIN text.
    async fn scan_rows(table: &ParquetTable, request: &ScanRequest) -> (Vec<i64>, String) {
        let plan = table.scan(request).await.unwrap();
        let details = plan.details();
        let batches = collect(plan, Arc::new(TaskContext::default()))
            .await
            .unwrap();
        let ids = batches
            .iter()
            .flat_map(|b| b.column(0).as_primitive::<Int64Type>().values().to_vec())
            .collect();
        (ids, details)
    }

    #[tokio::test]
    async fn pages_decode_filters_and_limits_narrow_what_is_read() {
        use quiver_expr::{Column, Expr, Operator, ScalarValue};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("paged.parquet");
        write_paged_file(&path);
        let table = ParquetTable::try_new(path.to_str().unwrap(), &Default::default()).unwrap();
        let point = vec![Expr::Binary(
            Box::new(Expr::Column(Column::bare("id"))),
            Operator::Eq,
            Box::new(Expr::Literal(ScalarValue::Int64(Some(1450)))),
        )];
        // Statistics leave one row group, the page index one page of it.
        let paged = ScanRequest::new(None, 2).with_filters(point.clone());
        let (ids, details) = scan_rows(&table, &paged).await;
        assert_eq!(ids, (1400..1500).collect::<Vec<_>>());
        assert!(details.contains("row_groups=1 of 3"), "{details}");
        // Estimated selective: the filter also runs while decoding.
        let decoded = ScanRequest {
            selectivity: Some(0.001),
            ..paged
        };
        let (ids, details) = scan_rows(&table, &decoded).await;
        assert_eq!(ids, vec![1450]);
        assert!(details.contains("decode_filter=(id = 1450)"), "{details}");
        // A limit without a filter reads only the first row group.
        let limited = ScanRequest {
            limit: Some(5),
            ..ScanRequest::new(None, 2)
        };
        let (ids, details) = scan_rows(&table, &limited).await;
        assert_eq!(ids.len(), 5);
        assert!(
            details.contains("row_groups=1 of 3 (past the limit)"),
            "{details}"
        );
        // A limit under a filter could drop the rows that pass: it is ignored.
        let filtered = ScanRequest {
            limit: Some(5),
            ..ScanRequest::new(None, 2).with_filters(point)
        };
        let (ids, _) = scan_rows(&table, &filtered).await;
        assert_eq!(ids.len(), 100);
    }

    #[test]
    fn partitions_take_runs_of_neighbouring_row_groups_with_even_rows() {
        let tasks = |rows: &[i64]| -> Vec<(i64, RowGroupTask)> {
            let task = |i: usize| RowGroupTask {
                file: i / 3,
                row_group: i % 3,
            };
            rows.iter()
                .enumerate()
                .map(|(i, &r)| (r, task(i)))
                .collect()
        };
        let runs = |rows: &[i64], n: usize| -> Vec<Vec<(usize, usize)>> {
            split_in_order(tasks(rows), n)
                .into_iter()
                .map(|p| p.iter().map(|t| (t.file, t.row_group)).collect())
                .collect()
        };
        assert_eq!(
            runs(&[10, 10, 10, 10, 10, 10], 3),
            vec![
                vec![(0, 0), (0, 1)],
                vec![(0, 2), (1, 0)],
                vec![(1, 1), (1, 2)]
            ]
        );
        // Uneven row groups: each goes where its middle row falls.
        assert_eq!(
            runs(&[100, 1, 1, 50, 48], 2),
            vec![vec![(0, 0)], vec![(0, 1), (0, 2), (1, 0), (1, 1)]]
        );
        // Empty row groups only.
        assert_eq!(runs(&[0, 0], 2), vec![vec![(0, 0), (0, 1)], vec![]]);
    }

    #[tokio::test]
    async fn scans_all_row_groups_of_all_files_once() {
        let dir = tempfile::tempdir().unwrap();
        write_file(&dir.path().join("a.parquet"), 0, 35);
        write_file(&dir.path().join("b.parquet"), 35, 20);
        let table =
            ParquetTable::try_new(dir.path().to_str().unwrap(), &Default::default()).unwrap();
        assert_eq!(table.num_rows(), 55);
        let plan = table
            .scan(&ScanRequest::new(Some(vec![0]), 3))
            .await
            .unwrap();
        assert_eq!(plan.output_partitions(), 3);
        let batches = collect(plan, Arc::new(TaskContext::default()))
            .await
            .unwrap();
        let mut ids: Vec<i64> = batches
            .iter()
            .flat_map(|b| b.column(0).as_primitive::<Int64Type>().values().to_vec())
            .collect();
        ids.sort();
        assert_eq!(ids, (0..55).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn projection_keeps_requested_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.parquet");
        write_file(&path, 0, 5);
        let table = ParquetTable::try_new(path.to_str().unwrap(), &Default::default()).unwrap();
        let plan = table
            .scan(&ScanRequest::new(Some(vec![1, 0]), 1))
            .await
            .unwrap();
        let batches = collect(plan, Arc::new(TaskContext::default()))
            .await
            .unwrap();
        assert_eq!(batches[0].column(0).as_string::<i32>().value(4), "n4");
    }

    #[tokio::test]
    async fn row_groups_refuted_by_statistics_are_not_read() {
        use quiver_expr::{Column, Expr, Operator, ScalarValue};
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.parquet");
        write_file(&path, 0, 55); // row groups of ids 0-9, 10-19, .., 50-54
        let table = ParquetTable::try_new(path.to_str().unwrap(), &Default::default()).unwrap();
        let column = |name: &str| Box::new(Expr::Column(Column::bare(name)));
        let int = |v: i64| Box::new(Expr::Literal(ScalarValue::Int64(Some(v))));
        let text = |v: &str| Box::new(Expr::Literal(ScalarValue::Utf8(Some(v.into()))));
        let in_list = |values: Vec<Box<Expr>>| Expr::InList {
            expr: column("id"),
            list: values.into_iter().map(|v| *v).collect(),
            negated: false,
        };
        let cases = [
            (vec![Expr::Binary(column("id"), Operator::GtEq, int(40))], 2),
            (vec![Expr::Binary(column("id"), Operator::Eq, int(25))], 1),
            (vec![Expr::Binary(int(5), Operator::Gt, column("id"))], 1),
            (
                vec![Expr::Binary(column("name"), Operator::Eq, text("n3"))],
                1,
            ),
            (
                vec![
                    Expr::Binary(column("id"), Operator::Gt, int(15)),
                    Expr::Binary(column("id"), Operator::Lt, int(25)),
                ],
                2,
            ),
            (vec![Expr::Binary(column("id"), Operator::Gt, int(99))], 0),
            (vec![in_list(vec![int(3), int(47)])], 2),
            (vec![in_list(vec![int(100), int(200)])], 0),
            (
                vec![in_list(vec![Box::new(Expr::Literal(ScalarValue::Int64(
                    None,
                )))])],
                0,
            ),
            // Not a comparison with a constant: everything is read.
            (
                vec![Expr::Binary(column("id"), Operator::Eq, column("id"))],
                6,
            ),
        ];
        for (filters, expected) in cases {
            let request = ScanRequest::new(None, 2).with_filters(filters.clone());
            let plan = table.scan(&request).await.unwrap();
            let rows: usize = collect(plan, Arc::new(TaskContext::default()))
                .await
                .unwrap()
                .iter()
                .map(|b| b.num_rows())
                .sum();
            let read = rows.div_ceil(10);
            assert_eq!(read, expected, "{filters:?}");
        }
        let plan = table
            .scan(&ScanRequest::new(None, 2).with_filters(vec![Expr::Binary(
                column("id"),
                Operator::GtEq,
                int(40),
            )]))
            .await
            .unwrap();
        assert!(
            plan.details()
                .contains("row_groups=2 of 6 (pruned by statistics)"),
            "{}",
            plan.details()
        );
    }

    #[test]
    fn broken_files_are_named_in_errors() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.parquet");
        std::fs::write(&path, b"PAR1 this is not parquet").unwrap();
        let err = ParquetTable::try_new(path.to_str().unwrap(), &Default::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("bad.parquet"), "{err}");
    }
}
