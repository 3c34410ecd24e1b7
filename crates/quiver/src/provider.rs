//! What a user's own table source needs: implement [`TableProvider`] (its
//! `scan` receives a [`ScanRequest`] with the projection, filters and limit
//! to push down, and returns an operator such as [`MemoryExec`]), or, for
//! rows computed on demand, [`GeneratedRows`] wrapped in a
//! [`GeneratedTable`]. Register it with
//! [`crate::SessionContext::register_table`] or read it with
//! [`crate::SessionContext::read_table`]. `crates/quiver/examples/
//! custom_provider.rs` is a whole one.

pub use async_trait::async_trait;
pub use quiver_execution::operators::generated::GeneratedTable;
pub use quiver_execution::operators::memory::MemoryExec;
pub use quiver_execution::operators::read_once::ReadOnceTable;
pub use quiver_execution::{ExecutionPlan, ScanRequest, TableProvider};
pub use quiver_expr::function::GeneratedRows;
