//! A table of one's own: a `TableProvider` over squares computed in memory,
//! that takes the projection and the limit the engine pushes down.
//!
//!     cargo run -p quiver --example custom_provider

use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use quiver::provider::{async_trait, ExecutionPlan, MemoryExec, ScanRequest, TableProvider};
use quiver::SessionContext;

/// The numbers below `count` and their squares.
#[derive(Debug)]
struct Squares {
    count: i64,
}

impl Squares {
    fn schema() -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("n", DataType::Int64, false),
            Field::new("square", DataType::Int64, false),
        ]))
    }
}

#[async_trait]
impl TableProvider for Squares {
    fn schema(&self) -> SchemaRef {
        Self::schema()
    }

    fn kind(&self) -> &str {
        "squares"
    }

    fn exact_rows(&self) -> Option<usize> {
        usize::try_from(self.count).ok()
    }

    async fn scan(&self, request: &ScanRequest) -> quiver::Result<Arc<dyn ExecutionPlan>> {
        // Make only the rows a LIMIT needs, and only the columns asked for.
        let rows = request
            .limit
            .map_or(self.count, |limit| self.count.min(limit as i64));
        let numbers: Vec<i64> = (0..rows).collect();
        let columns: Vec<ArrayRef> = vec![
            Arc::new(Int64Array::from(numbers.clone())),
            Arc::new(Int64Array::from_iter_values(numbers.iter().map(|n| n * n))),
        ];
        let batch = RecordBatch::try_new(Self::schema(), columns)?;
        let batch = match &request.projection {
            Some(projection) => batch.project(projection)?,
            None => batch,
        };
        Ok(Arc::new(MemoryExec::try_new(
            batch.schema(),
            vec![vec![batch]],
        )?))
    }
}

#[tokio::main]
async fn main() -> quiver::Result<()> {
    let ctx = SessionContext::new();
    ctx.register_table("squares", Arc::new(Squares { count: 1_000 }))?;
    ctx.sql("SELECT sum(square) AS total, max(n) FROM squares WHERE n % 2 = 0")
        .await?
        .show()
        .await?;
    ctx.sql("SELECT square FROM squares LIMIT 3")
        .await?
        .show()
        .await?;
    Ok(())
}
