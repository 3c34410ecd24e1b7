//! Looks up built-in functions by their SQL name.

use std::collections::HashMap;
use std::sync::Arc;

use quiver_expr::{AggregateFunction, ScalarFunction};

use crate::{aggregate, scalar};

/// The functions a session knows, by lower-case name.
#[derive(Debug, Clone)]
pub struct FunctionRegistry {
    scalars: HashMap<String, Arc<dyn ScalarFunction>>,
    aggregates: HashMap<String, Arc<dyn AggregateFunction>>,
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
        };
        for (alias, f) in scalar::builtins() {
            r.scalars.insert(alias.to_string(), f);
        }
        for f in aggregate::builtins() {
            r.aggregates.insert(f.name().to_string(), f);
        }
        r
    }

    /// The scalar function called `name` (case-insensitive).
    pub fn scalar(&self, name: &str) -> Option<Arc<dyn ScalarFunction>> {
        self.scalars.get(&name.to_ascii_lowercase()).cloned()
    }

    /// The aggregate function called `name` (case-insensitive).
    pub fn aggregate(&self, name: &str) -> Option<Arc<dyn AggregateFunction>> {
        self.aggregates.get(&name.to_ascii_lowercase()).cloned()
    }

    /// Every function name, scalar and aggregate, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .scalars
            .keys()
            .chain(self.aggregates.keys())
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
        assert!(r.scalar("char_length").is_some());
        assert!(r.aggregate("Sum").is_some());
        assert!(r.aggregate("upper").is_none());
        assert!(r.names().contains(&"count".to_string()));
    }
}
