//! Physical execution for Quiver: the [`ExecutionPlan`] trait, physical
//! expressions evaluated on Arrow batches, and the vectorized operators.
//! A plan runs as N independent partition streams driven on a tokio runtime.

pub mod compaction;
pub mod dynamic_filter;
pub mod memory_pool;
pub mod metrics;
pub mod operators;
pub mod panics;
pub mod physical_expr;
pub mod plan;
pub mod prefetch;
pub mod progress;
pub mod run_state;
pub mod shared_reads;
pub mod spill;
pub mod spill_buckets;
pub mod stream;
pub mod table_provider;

pub use physical_expr::{canonical_key, create_physical_expr, PhysicalExpr};
pub use plan::{collect, execute_stream, ExecutionPlan, TaskContext};
pub use stream::{RecordBatchStream, SendableRecordBatchStream};
pub use table_provider::{ProviderSource, ScanRequest, TableProvider};
