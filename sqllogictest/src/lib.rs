//! Runs sqllogictest files against Quiver: each statement goes through a
//! real [`SessionContext`], and results are rendered as text the way the
//! `.slt` files spell them.
//!
//! Column types: `I` for integers, `R` for floats and decimals, `T` for
//! everything else. Values: `NULL` for NULL, `(empty)` for the empty string,
//! floats rounded to 10 decimal places.

use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, Float32Type, Float64Type};
use arrow::record_batch::RecordBatch;
use quiver::pretty::rows_as_strings;
use quiver::{QuiverError, SessionConfig, SessionContext};
use sqllogictest::{DBOutput, DefaultColumnType};

/// A Quiver session behind the sqllogictest interface.
pub struct QuiverDb {
    ctx: SessionContext,
}

impl QuiverDb {
    /// A fresh session. Two partitions and small batches exercise the
    /// parallel and multi-batch paths even on small test data.
    pub fn new() -> Self {
        Self {
            ctx: SessionContext::with_config(
                SessionConfig::new()
                    .with_target_partitions(2)
                    .with_batch_size(64),
            ),
        }
    }
}

impl Default for QuiverDb {
    fn default() -> Self {
        Self::new()
    }
}

fn column_type(t: &DataType) -> DefaultColumnType {
    if t.is_integer() {
        DefaultColumnType::Integer
    } else if t.is_floating() || matches!(t, DataType::Decimal128(..) | DataType::Decimal256(..)) {
        DefaultColumnType::FloatingPoint
    } else {
        DefaultColumnType::Text
    }
}

fn float_text(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    let rounded = (v * 1e10).round() / 1e10;
    format!("{}", if rounded == 0.0 { 0.0 } else { rounded })
}

/// Renders every row of `batches` as .slt text.
pub fn render_rows(batches: &[RecordBatch]) -> Result<Vec<Vec<String>>, QuiverError> {
    let mut rows = rows_as_strings(batches, "NULL")?;
    let mut r = 0;
    for batch in batches {
        for row in 0..batch.num_rows() {
            for (c, column) in batch.columns().iter().enumerate() {
                let cell = &mut rows[r][c];
                if column.is_null(row) {
                    continue;
                }
                match column.data_type() {
                    DataType::Float64 => {
                        *cell = float_text(column.as_primitive::<Float64Type>().value(row))
                    }
                    DataType::Float32 => {
                        *cell = float_text(column.as_primitive::<Float32Type>().value(row) as f64)
                    }
                    _ if cell.is_empty() => *cell = "(empty)".into(),
                    _ => {}
                }
            }
            r += 1;
        }
    }
    Ok(rows)
}

#[async_trait::async_trait]
impl sqllogictest::AsyncDB for QuiverDb {
    type Error = QuiverError;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<Self::ColumnType>, Self::Error> {
        let df = self.ctx.sql(sql).await?;
        if df.is_empty_statement() {
            return Ok(DBOutput::StatementComplete(0));
        }
        let batches = df.collect().await?;
        let types = df
            .schema()
            .fields()
            .iter()
            .map(|f| column_type(f.data_type()))
            .collect();
        Ok(DBOutput::Rows {
            types,
            rows: render_rows(&batches)?,
        })
    }

    async fn shutdown(&mut self) {}

    fn engine_name(&self) -> &str {
        "quiver"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_are_rounded_for_comparison() {
        assert_eq!(float_text(0.1 + 0.2), "0.3");
        assert_eq!(float_text(-0.0), "0");
        assert_eq!(float_text(2.5), "2.5");
        assert_eq!(float_text(f64::NAN), "NaN");
    }
}
