//! The pruning benchmark: one Parquet file of many rows sorted on `key`,
//! queried by a point lookup, a narrow range, a join with a table of ten
//! keys and a full scan. Statistics should make the lookup read one row
//! group (and, with the page index, one page of each column) and cost a
//! small fraction of the full scan; the join's build side should narrow its
//! probe scan the same way (a dynamic filter).
//!
//! ```text
//! pruning gen [--rows N] [--dir DIR]     # DIR/sorted.parquet, N rows (100M)
//! pruning run [--dir DIR] [--iterations K] [--partitions P]
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use arrow::array::{Array, ArrayRef, Float64Array, Int64Array, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use quiver::{SessionConfig, SessionContext};
use quiver_benches::run_query;

/// Rows generated per batch.
const BATCH_ROWS: i64 = 1 << 20;
/// Rows per row group of the generated file.
const ROW_GROUP_ROWS: usize = 1 << 20;

struct Options {
    command: String,
    rows: i64,
    dir: PathBuf,
    iterations: usize,
    partitions: Option<usize>,
}

fn usage() -> ! {
    eprintln!(
        "usage: pruning gen [--rows N] [--dir DIR]\n       \
         pruning run [--dir DIR] [--iterations K] [--partitions P]"
    );
    std::process::exit(2)
}

fn options() -> Options {
    let mut args = std::env::args().skip(1);
    let mut o = Options {
        command: args.next().unwrap_or_else(|| usage()),
        rows: 100_000_000,
        dir: quiver_benches::crate_dir().join("data").join("pruning"),
        iterations: 3,
        partitions: None,
    };
    while let Some(flag) = args.next() {
        let value = args.next().unwrap_or_else(|| usage());
        match flag.as_str() {
            "--rows" => o.rows = value.parse().unwrap_or_else(|_| usage()),
            "--dir" => o.dir = PathBuf::from(value),
            "--iterations" => o.iterations = value.parse().unwrap_or_else(|_| usage()),
            "--partitions" => o.partitions = Some(value.parse().unwrap_or_else(|_| usage())),
            _ => usage(),
        }
    }
    o
}

/// Rows `start..end`: `key` is the row number, `value` a hash of it and
/// `tag` one of 16 short strings.
fn batch(schema: &Arc<Schema>, start: i64, end: i64) -> RecordBatch {
    let mix = |k: i64| (k as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 11;
    let keys: ArrayRef = Arc::new(Int64Array::from_iter_values(start..end));
    let values: ArrayRef = Arc::new(Float64Array::from_iter_values(
        (start..end).map(|k| (mix(k) % 1_000_000) as f64 / 100.0),
    ));
    let tags: ArrayRef = Arc::new(StringArray::from_iter_values(
        (start..end).map(|k| format!("tag-{:02}", mix(k) % 16)),
    ));
    RecordBatch::try_new(Arc::clone(schema), vec![keys, values, tags]).expect("columns match")
}

fn generate(rows: i64, path: &Path) -> Result<(), String> {
    let schema = Arc::new(Schema::new(vec![
        Field::new("key", DataType::Int64, false),
        Field::new("value", DataType::Float64, false),
        Field::new("tag", DataType::Utf8, false),
    ]));
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .build();
    let partial = path.with_extension("parquet.partial");
    let file = std::fs::File::create(&partial).map_err(|e| e.to_string())?;
    let mut writer =
        ArrowWriter::try_new(file, Arc::clone(&schema), Some(props)).map_err(|e| e.to_string())?;
    let mut start = 0;
    while start < rows {
        let end = (start + BATCH_ROWS).min(rows);
        writer
            .write(&batch(&schema, start, end))
            .map_err(|e| e.to_string())?;
        start = end;
    }
    writer.close().map_err(|e| e.to_string())?;
    std::fs::rename(&partial, path).map_err(|e| e.to_string())
}

/// The best wall time of `iterations` runs of `sql`, and its row count.
async fn time(
    ctx: &SessionContext,
    sql: &str,
    iterations: usize,
) -> Result<(Duration, usize), String> {
    let mut best = Duration::MAX;
    let mut rows = 0;
    for _ in 0..iterations.max(1) {
        let started = Instant::now();
        let (_, batches) = run_query(ctx, sql).await?;
        best = best.min(started.elapsed());
        rows = batches.iter().map(|b| b.num_rows()).sum();
    }
    Ok((best, rows))
}

/// Column `column` of the first batch of a result, as an `A`, when it
/// holds at least one row.
fn first_cell<A: Array + 'static>(batches: &[RecordBatch], column: usize) -> Option<&A> {
    let array = batches.first()?.columns().get(column)?;
    array.as_any().downcast_ref::<A>().filter(|a| !a.is_empty())
}

/// The scan line of `EXPLAIN ANALYZE sql` (bytes read, row groups, pages).
async fn scan_metrics(ctx: &SessionContext, sql: &str) -> Result<String, String> {
    let (_, batches) = run_query(ctx, &format!("EXPLAIN ANALYZE {sql}")).await?;
    let plan = first_cell::<StringArray>(&batches, 1)
        .map(|s| s.value(0).to_string())
        .ok_or("EXPLAIN ANALYZE returned no plan")?;
    let line = plan
        .lines()
        .find(|l| l.contains("ParquetExec"))
        .unwrap_or("");
    let metrics: Vec<&str> = line
        .split(", ")
        .filter(|m| {
            [
                "row_groups=",
                "bytes_scanned=",
                "rows_skipped_by_page_index=",
                "row_groups_pruned_by_dynamic_filter=",
                "output_rows=",
            ]
            .iter()
            .any(|k| m.trim_start().starts_with(k))
        })
        .collect();
    Ok(metrics.join(", "))
}

async fn run(o: &Options) -> Result<(), String> {
    let path = o.dir.join("sorted.parquet");
    let mut config = SessionConfig::new();
    if let Some(p) = o.partitions {
        config = config.with_target_partitions(p);
    }
    let ctx = SessionContext::with_config(config);
    ctx.register_parquet("t", path.to_str().ok_or("path is not UTF-8")?)
        .await
        .map_err(|e| e.to_string())?;
    let (_, count) = run_query(&ctx, "SELECT count(*) FROM t").await?;
    let rows = first_cell::<Int64Array>(&count, 0)
        .map(|c| c.value(0))
        .ok_or("count(*) returned nothing")?;
    let middle = rows / 2 + 7;
    let keys: Vec<String> = (0..10).map(|i| format!("({})", middle + 3 * i)).collect();
    run_query(
        &ctx,
        &format!(
            "CREATE TABLE keys AS SELECT * FROM (VALUES {}) AS k(key)",
            keys.join(", ")
        ),
    )
    .await?;
    let queries = [
        (
            "full scan",
            "SELECT sum(value), count(DISTINCT tag) FROM t".to_string(),
        ),
        (
            "point lookup",
            format!("SELECT * FROM t WHERE key = {middle}"),
        ),
        (
            "range of 1000",
            format!(
                "SELECT sum(value) FROM t WHERE key >= {middle} AND key < {}",
                middle + 1000
            ),
        ),
        (
            "join with 10 keys",
            "SELECT sum(t.value) FROM t JOIN keys ON t.key = keys.key".to_string(),
        ),
    ];
    println!(
        "Pruning benchmark over {} ({rows} rows), best of {}",
        path.display(),
        o.iterations
    );
    println!("| query | best (s) | of full scan | rows | scan |");
    println!("|---|---|---|---|---|");
    let mut full = None;
    for (name, sql) in queries {
        let (best, result_rows) = time(&ctx, &sql, o.iterations).await?;
        let full_time = *full.get_or_insert(best);
        println!(
            "| {name} | {:.4} | {:.2}% | {result_rows} | {} |",
            best.as_secs_f64(),
            100.0 * best.as_secs_f64() / full_time.as_secs_f64(),
            scan_metrics(&ctx, &sql).await?
        );
    }
    Ok(())
}

#[tokio::main]
async fn main() {
    let o = options();
    let result = match o.command.as_str() {
        "gen" => std::fs::create_dir_all(&o.dir)
            .map_err(|e| e.to_string())
            .and_then(|_| generate(o.rows, &o.dir.join("sorted.parquet"))),
        "run" => run(&o).await,
        _ => usage(),
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
