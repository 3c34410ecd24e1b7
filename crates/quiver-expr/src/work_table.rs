//! The working table of a recursive CTE: inside the CTE's recursive term,
//! the CTE's name reads the rows the previous step made. The logical plan
//! only knows its identity and columns; the executor gives each run of the
//! recursive query its own rows.

use std::any::Any;
use std::sync::atomic::{AtomicU64, Ordering};

use arrow::datatypes::SchemaRef;

use crate::table_source::TableSource;

/// The working table of one recursive CTE.
#[derive(Debug)]
pub struct WorkTable {
    id: u64,
    name: String,
    schema: SchemaRef,
}

impl WorkTable {
    /// The working table of the recursive CTE `name`, with its columns.
    pub fn new(name: &str, schema: SchemaRef) -> Self {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        Self {
            id: NEXT.fetch_add(1, Ordering::Relaxed),
            name: name.to_string(),
            schema,
        }
    }

    /// Which working table this is (unique in the process).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The CTE's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl TableSource for WorkTable {
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn schema(&self) -> SchemaRef {
        std::sync::Arc::clone(&self.schema)
    }
}
