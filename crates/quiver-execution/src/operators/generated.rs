//! Tables of generated rows (`range(10)`, `generate_series(…)`): a scan
//! splits the rows into contiguous stretches, one per partition, and each
//! partition makes its stretch a batch at a time as it is read, so a long
//! series never sits in memory whole.

use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use quiver_expr::{GeneratedRows, Result};

use crate::plan::{ExecutionPlan, TaskContext};
use crate::run_state::NodeId;
use crate::stream::{RecordBatchStreamAdapter, SendableRecordBatchStream};
use crate::table_provider::{ScanRequest, TableProvider};

/// A table over generated rows.
#[derive(Debug)]
pub struct GeneratedTable {
    rows: Arc<dyn GeneratedRows>,
}

impl GeneratedTable {
    /// The table of `rows`.
    pub fn new(rows: Arc<dyn GeneratedRows>) -> Self {
        Self { rows }
    }
}

#[async_trait::async_trait]
impl TableProvider for GeneratedTable {
    fn schema(&self) -> SchemaRef {
        self.rows.schema()
    }
    fn kind(&self) -> &str {
        "generated"
    }
    fn estimated_rows(&self) -> Option<usize> {
        usize::try_from(self.rows.num_rows()).ok()
    }
    fn exact_rows(&self) -> Option<usize> {
        self.estimated_rows()
    }
    async fn scan(&self, request: &ScanRequest) -> Result<Arc<dyn ExecutionPlan>> {
        let mut total = self.rows.num_rows();
        if let Some(limit) = request.limit {
            total = total.min(limit as u64);
        }
        let partitions = (request.target_partitions.max(1) as u64).min(total.max(1));
        let stretches = (0..partitions)
            .map(|p| (total * p / partitions, total * (p + 1) / partitions))
            .collect();
        let schema = match &request.projection {
            Some(p) => Arc::new(self.rows.schema().project(p)?),
            None => self.rows.schema(),
        };
        Ok(Arc::new(GeneratedExec {
            rows: Arc::clone(&self.rows),
            projection: request.projection.clone(),
            schema,
            stretches,
            id: NodeId::next(),
        }))
    }
}

/// Makes generated rows: partition `p` the rows `stretches[p]`.
#[derive(Debug)]
pub struct GeneratedExec {
    rows: Arc<dyn GeneratedRows>,
    projection: Option<Vec<usize>>,
    schema: SchemaRef,
    /// Each partition's rows, as `start .. end`.
    stretches: Vec<(u64, u64)>,
    /// The operator's identity ([`ExecutionPlan::node_id`]).
    id: NodeId,
}

impl ExecutionPlan for GeneratedExec {
    crate::node_basics!(leaf);
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
    fn output_partitions(&self) -> usize {
        self.stretches.len()
    }
    fn details(&self) -> String {
        let rows: u64 = self.stretches.iter().map(|(s, e)| e - s).sum();
        format!("rows={rows}")
    }
    fn execute(
        &self,
        partition: usize,
        ctx: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let (start, end) = self.stretches.get(partition).copied().ok_or_else(|| {
            quiver_expr::QuiverError::Internal(format!(
                "GeneratedExec has no partition {partition}"
            ))
        })?;
        let step = ctx.batch_size.max(1) as u64;
        let rows = Arc::clone(&self.rows);
        let projection = self.projection.clone();
        let batches = (start..end).step_by(step as usize).map(move |from| {
            let len = (end - from).min(step) as usize;
            let batch = rows.rows(from, len)?;
            Ok(match &projection {
                Some(p) => batch.project(p)?,
                None => batch,
            })
        });
        Ok(RecordBatchStreamAdapter::boxed(
            self.schema(),
            futures::stream::iter(batches),
        ))
    }
}
