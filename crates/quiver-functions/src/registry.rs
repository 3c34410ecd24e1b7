//! Looks up built-in functions by their SQL name.

use std::collections::HashMap;
use std::sync::Arc;

use quiver_expr::{AggregateFunction, ScalarFunction, TableFunction};

use crate::{aggregate, scalar, table};

/// The functions a session knows, by lower-case name.
#[derive(Debug, Clone)]
pub struct FunctionRegistry {
    scalars: HashMap<String, Arc<dyn ScalarFunction>>,
    aggregates: HashMap<String, Arc<dyn AggregateFunction>>,
    tables: HashMap<String, Arc<dyn TableFunction>>,
}

impl Default for FunctionRegistry {
    fn default() -> Self {
        Self::with_builtins()
    }
}

impl FunctionRegistry {
    /// A registry holding every built-in function.
    pub fn with_builtins() -> Self {
        let mut r = Self {
            scalars: HashMap::new(),
            aggregates: HashMap::new(),
            tables: HashMap::new(),
        };
        for f in scalar::builtins() {
            r.register_scalar(f);
        }
        for f in aggregate::builtins() {
            r.register_aggregate(f);
        }
        for f in table::builtins() {
            r.register_table_function(f);
        }
        r
    }

    /// Adds a scalar function under its name and aliases (replacing any
    /// function of those names).
    pub fn register_scalar(&mut self, f: Arc<dyn ScalarFunction>) {
        for name in std::iter::once(f.name()).chain(f.aliases().iter().copied()) {
            self.scalars.insert(name.to_string(), Arc::clone(&f));
        }
    }

    /// Adds an aggregate function under its name and aliases (replacing any
    /// function of those names).
    pub fn register_aggregate(&mut self, f: Arc<dyn AggregateFunction>) {
        for name in std::iter::once(f.name()).chain(f.aliases().iter().copied()) {
            self.aggregates.insert(name.to_string(), Arc::clone(&f));
        }
    }

    /// Adds a table function under its name and aliases (replacing any
    /// function of those names).
    pub fn register_table_function(&mut self, f: Arc<dyn TableFunction>) {
        let names: Vec<String> = std::iter::once(f.name().to_string())
            .chain(f.aliases().iter().map(|a| a.to_string()))
            .collect();
        for name in names {
            self.tables.insert(name, Arc::clone(&f));
        }
    }

    /// The table function called `name` (case-insensitive).
    pub fn table_function(&self, name: &str) -> Option<Arc<dyn TableFunction>> {
        self.tables.get(&name.to_ascii_lowercase()).cloned()
    }

    /// The scalar function called `name` (case-insensitive).
    pub fn scalar(&self, name: &str) -> Option<Arc<dyn ScalarFunction>> {
        self.scalars.get(&name.to_ascii_lowercase()).cloned()
    }

    /// The aggregate function called `name` (case-insensitive).
    pub fn aggregate(&self, name: &str) -> Option<Arc<dyn AggregateFunction>> {
        self.aggregates.get(&name.to_ascii_lowercase()).cloned()
    }

    /// Every function name, scalar, aggregate and table, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .scalars
            .keys()
            .chain(self.aggregates.keys())
            .chain(self.tables.keys())
            .cloned()
            .collect();
        v.sort();
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_builtins_case_insensitively() {
        let r = FunctionRegistry::with_builtins();
        assert!(r.scalar("UPPER").is_some());
        assert_eq!(r.scalar("char_length").unwrap().name(), "length");
        assert_eq!(r.scalar("CEILING").unwrap().name(), "ceil");
        assert_eq!(r.scalar("btrim").unwrap().name(), "trim");
        assert!(r.aggregate("Sum").is_some());
        assert!(r.aggregate("upper").is_none());
        assert!(r.names().contains(&"count".to_string()));
        assert_eq!(
            r.table_function("PARQUET_SCAN").unwrap().name(),
            "read_parquet"
        );
        assert_eq!(r.table_function("read_ndjson").unwrap().name(), "read_json");
    }
}
