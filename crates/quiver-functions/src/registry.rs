//! Looks up built-in functions by their SQL name.

use std::collections::HashMap;
use std::sync::Arc;

use quiver_expr::{
    AggregateFunction, LambdaFunction, ScalarFunction, TableFunction, WindowFunction,
};

use crate::{aggregate, lambda, scalar, table, window};

/// What sort of function an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FunctionKind {
    /// One value per row.
    Scalar,
    /// One value per group (also usable over a window).
    Aggregate,
    /// One value per row from the row's window only.
    Window,
    /// One value per row, applying a lambda to a list's elements.
    Lambda,
    /// A table, in FROM.
    Table,
}

/// One function of the registry: its name, other names and kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionEntry {
    /// The SQL name.
    pub name: String,
    /// The other names it answers to.
    pub aliases: Vec<&'static str>,
    /// What sort of function it is.
    pub kind: FunctionKind,
}

/// The functions a session knows, by lower-case name.
#[derive(Debug, Clone)]
pub struct FunctionRegistry {
    scalars: HashMap<String, Arc<dyn ScalarFunction>>,
    aggregates: HashMap<String, Arc<dyn AggregateFunction>>,
    tables: HashMap<String, Arc<dyn TableFunction>>,
    windows: HashMap<String, Arc<dyn WindowFunction>>,
    lambdas: HashMap<String, Arc<dyn LambdaFunction>>,
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
            windows: HashMap::new(),
            lambdas: HashMap::new(),
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
        for f in window::builtins() {
            r.register_window(f);
        }
        for f in lambda::builtins() {
            r.register_lambda(f);
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

    /// Adds a window function under its name (replacing any function of
    /// that name).
    pub fn register_window(&mut self, f: Arc<dyn WindowFunction>) {
        self.windows.insert(f.name().to_string(), f);
    }

    /// The window function called `name` (case-insensitive); aggregates,
    /// which are window functions too, are found by
    /// [`FunctionRegistry::aggregate`].
    pub fn window(&self, name: &str) -> Option<Arc<dyn WindowFunction>> {
        self.windows.get(&name.to_ascii_lowercase()).cloned()
    }

    /// Adds a lambda function under its name and aliases (replacing any
    /// function of those names).
    pub fn register_lambda(&mut self, f: Arc<dyn LambdaFunction>) {
        for name in std::iter::once(f.name()).chain(f.aliases().iter().copied()) {
            self.lambdas.insert(name.to_string(), Arc::clone(&f));
        }
    }

    /// The lambda function called `name` (case-insensitive).
    pub fn lambda(&self, name: &str) -> Option<Arc<dyn LambdaFunction>> {
        self.lambdas.get(&name.to_ascii_lowercase()).cloned()
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

    /// Every function once, under its own name, with its aliases and kind,
    /// sorted by name: what the function reference lists.
    pub fn entries(&self) -> Vec<FunctionEntry> {
        fn own<'a>(
            names: impl Iterator<Item = (&'a String, (&'a str, &'static [&'static str]))>,
            kind: FunctionKind,
        ) -> Vec<FunctionEntry> {
            names
                .filter(|(key, (name, _))| key.as_str() == *name)
                .map(|(_, (name, aliases))| FunctionEntry {
                    name: name.to_string(),
                    aliases: aliases.to_vec(),
                    kind,
                })
                .collect()
        }
        let mut all = own(
            self.scalars
                .iter()
                .map(|(k, f)| (k, (f.name(), f.aliases()))),
            FunctionKind::Scalar,
        );
        all.extend(own(
            self.aggregates
                .iter()
                .map(|(k, f)| (k, (f.name(), f.aliases()))),
            FunctionKind::Aggregate,
        ));
        all.extend(own(
            self.windows.iter().map(|(k, f)| (k, (f.name(), &[][..]))),
            FunctionKind::Window,
        ));
        all.extend(own(
            self.lambdas
                .iter()
                .map(|(k, f)| (k, (f.name(), f.aliases()))),
            FunctionKind::Lambda,
        ));
        all.extend(own(
            self.tables
                .iter()
                .map(|(k, f)| (k, (f.name(), f.aliases()))),
            FunctionKind::Table,
        ));
        all.sort_by(|a, b| a.name.cmp(&b.name));
        all
    }

    /// Every function name, scalar, aggregate, window and table, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = self
            .scalars
            .keys()
            .chain(self.aggregates.keys())
            .chain(self.tables.keys())
            .chain(self.windows.keys())
            .chain(self.lambdas.keys())
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
        let entries = r.entries();
        let length = entries.iter().find(|e| e.name == "length").unwrap();
        assert!(length.aliases.contains(&"char_length"));
        assert!(!entries.iter().any(|e| e.name == "char_length"));

        assert!(r.aggregate("upper").is_none());
        assert!(r.names().contains(&"count".to_string()));
        assert_eq!(
            r.table_function("PARQUET_SCAN").unwrap().name(),
            "read_parquet"
        );
        assert_eq!(r.table_function("read_ndjson").unwrap().name(), "read_json");
        assert_eq!(r.window("ROW_NUMBER").unwrap().name(), "row_number");
        assert!(r.names().contains(&"lag".to_string()));
    }
}
