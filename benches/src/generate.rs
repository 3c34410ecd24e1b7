//! Writes TPC-H tables as Parquet with tpchgen-arrow: one directory per
//! table, one file per generator part, parts generated in parallel.

use std::path::Path;

use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use tpchgen::generators::*;
use tpchgen_arrow::*;

/// Rows per Parquet row group (as DuckDB writes them).
const ROW_GROUP_ROWS: usize = 122_880;

type Batches = Box<dyn Iterator<Item = Result<RecordBatch, arrow::error::ArrowError>> + Send>;

/// The batches of part `part` (1-based) of `parts` of `table`.
fn table_part(table: &str, sf: f64, part: i32, parts: i32) -> Batches {
    match table {
        "customer" => Box::new(CustomerArrow::new(CustomerGenerator::new(sf, part, parts))),
        "lineitem" => Box::new(LineItemArrow::new(LineItemGenerator::new(sf, part, parts))),
        "nation" => Box::new(NationArrow::new(NationGenerator::new(sf, part, parts))),
        "orders" => Box::new(OrderArrow::new(OrderGenerator::new(sf, part, parts))),
        "part" => Box::new(PartArrow::new(PartGenerator::new(sf, part, parts))),
        "partsupp" => Box::new(PartSuppArrow::new(PartSuppGenerator::new(sf, part, parts))),
        "region" => Box::new(RegionArrow::new(RegionGenerator::new(sf, part, parts))),
        "supplier" => Box::new(SupplierArrow::new(SupplierGenerator::new(sf, part, parts))),
        other => unreachable!("unknown TPC-H table {other}"),
    }
}

fn write_part(table: &str, sf: f64, part: i32, parts: i32, path: &Path) -> Result<u64, String> {
    let mut batches = table_part(table, sf, part, parts).peekable();
    let schema = match batches.peek() {
        None => return Ok(0),
        Some(Ok(first)) => first.schema(),
        Some(Err(e)) => return Err(e.to_string()),
    };
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(
            ZstdLevel::try_new(1).map_err(|e| e.to_string())?,
        ))
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .build();
    // Writing to a temporary name and renaming leaves no half-written file.
    let tmp = path.with_extension("parquet.tmp");
    let file = std::fs::File::create(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    let mut writer = ArrowWriter::try_new(file, schema, Some(props)).map_err(|e| e.to_string())?;
    let mut rows = 0;
    for batch in batches {
        let batch = batch.map_err(|e| e.to_string())?;
        rows += batch.num_rows() as u64;
        writer.write(&batch).map_err(|e| e.to_string())?;
    }
    writer.close().map_err(|e| e.to_string())?;
    std::fs::rename(&tmp, path).map_err(|e| e.to_string())?;
    Ok(rows)
}

/// Generates every table at scale factor `sf` under `dir`.
pub fn generate(sf: f64, dir: &Path) -> Result<(), String> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    for table in crate::TABLES {
        let table_dir = dir.join(table);
        std::fs::create_dir_all(&table_dir).map_err(|e| format!("{}: {e}", table_dir.display()))?;
        // Small tables in one part; big ones in about one part per 10 MB of rows.
        let parts: i32 = match *table {
            "nation" | "region" => 1,
            "lineitem" => (sf * 8.0).ceil().max(1.0) as i32,
            _ => (sf * 2.0).ceil().max(1.0) as i32,
        };
        let start = std::time::Instant::now();
        let next = std::sync::atomic::AtomicI32::new(1);
        let results: Vec<Result<u64, String>> = std::thread::scope(|s| {
            let workers: Vec<_> = (0..threads.min(parts as usize))
                .map(|_| {
                    s.spawn(|| {
                        let mut rows = 0;
                        loop {
                            let part = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            if part > parts {
                                return Ok(rows);
                            }
                            rows += write_part(
                                table,
                                sf,
                                part,
                                parts,
                                &table_dir.join(format!("part-{part}.parquet")),
                            )?;
                        }
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|w| {
                    w.join()
                        .unwrap_or_else(|_| Err("generator thread panicked".into()))
                })
                .collect()
        });
        let rows: u64 = results
            .into_iter()
            .collect::<Result<Vec<_>, _>>()?
            .into_iter()
            .sum();
        println!(
            "{table}: {rows} rows in {parts} files ({:.1}s)",
            start.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
