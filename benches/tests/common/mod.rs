//! TPC-H data shared by the benches crate's tests.

use std::path::{Path, PathBuf};

/// The scale factor of the test data (about 100 MB of rows in memory).
pub const SCALE_FACTOR: f64 = 0.1;

/// The generated SF 0.1 data, written on first use (marked complete by a
/// file). tpchgen-arrow is deterministic, so DuckDB's answers computed once
/// over the same data (testdata/tpch/generate_answers.py) stay valid.
pub fn data_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("tpch-sf0.1");
    let done = dir.join("complete");
    if !done.exists() {
        let _ = std::fs::remove_dir_all(&dir);
        quiver_benches::generate::generate(SCALE_FACTOR, &dir).expect("generating TPC-H data");
        std::fs::write(&done, "").expect("marking the data complete");
    }
    dir
}
