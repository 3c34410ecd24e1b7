//! The function reference, `docs/functions.md`, rendered from the
//! documentation of each built-in function
//! ([`quiver_functions::docs::FUNCTION_DOCS`]) with the names and aliases
//! the registry and the binder know. A test checks the file against this
//! rendering, runs every example, and fails on a function without an
//! entry, so the reference always matches what Quiver accepts.

use quiver_functions::docs::{FunctionDoc, Section, FUNCTION_DOCS};
use quiver_functions::registry::FunctionRegistry;
use quiver_sql::REWRITTEN_CALLS;

/// Every function name a user can call (registered or rewritten by the
/// binder), each with its other names, sorted.
pub fn callable_functions() -> Vec<(String, Vec<String>)> {
    let registry = FunctionRegistry::with_builtins();
    let mut all: Vec<(String, Vec<String>)> = registry
        .entries()
        .into_iter()
        .map(|e| (e.name, e.aliases.iter().map(|a| a.to_string()).collect()))
        .collect();
    all.extend(REWRITTEN_CALLS.iter().map(|(name, aliases)| {
        (
            name.to_string(),
            aliases.iter().map(|a| a.to_string()).collect(),
        )
    }));
    all.sort();
    all
}

/// Every callable function name (aliases too) with how it is called, as
/// the reference writes it (`round(x, digits)`); a name without an entry
/// has an empty signature.
pub fn function_signatures() -> Vec<(String, String)> {
    let signatures: std::collections::HashMap<&str, &str> = FUNCTION_DOCS
        .iter()
        .map(|doc| (doc.name, doc.signature))
        .collect();
    let mut all = vec![];
    for (name, aliases) in callable_functions() {
        let signature = signatures.get(name.as_str()).copied().unwrap_or("");
        for alias in aliases {
            all.push((alias, signature.to_string()));
        }
        all.push((name, signature.to_string()));
    }
    all.sort();
    all.dedup_by(|a, b| a.0 == b.0);
    all
}

/// A table cell's text with Markdown's `|` escaped.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// `docs/functions.md`.
pub fn markdown() -> String {
    let aliases: std::collections::HashMap<String, Vec<String>> =
        callable_functions().into_iter().collect();
    let mut out = String::from(
        "# Functions\n\n\
         Every built-in function, with an example and its result. This file is \
         generated from the function registry (`crates/quiver-functions/src/docs.rs`); \
         `QUIVER_UPDATE_DOCS=1 cargo test -p quiver --test function_reference` \
         rewrites it, and the same test runs every example. Semantics shared by \
         many functions (NULLs, types, pattern syntax) are in [sql.md](sql.md).\n",
    );
    for section in Section::ALL {
        let mut docs: Vec<&FunctionDoc> = FUNCTION_DOCS
            .iter()
            .filter(|d| d.section == section)
            .collect();
        docs.sort_by_key(|d| d.name);
        out.push_str(&format!(
            "\n## {}\n\n| function | description | example | result |\n|---|---|---|---|\n",
            section.title()
        ));
        for d in docs {
            let also = aliases
                .get(d.name)
                .filter(|a| !a.is_empty())
                .map_or(String::new(), |a| {
                    let names: Vec<String> = a.iter().map(|n| format!("`{n}`")).collect();
                    format!(" (also {})", names.join(", "))
                });
            out.push_str(&format!(
                "| `{}`{also} | {} | `SELECT {}` | `{}` |\n",
                cell(d.signature),
                cell(d.description),
                cell(d.example),
                cell(d.result)
            ));
        }
    }
    out
}
