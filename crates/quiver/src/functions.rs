//! Functions for the DataFrame API: [`call`] reaches every function the
//! session knows (built in, macros and user-defined, scalar, aggregate and
//! window), by name; the common ones have their own helpers.
//!
//! ```
//! use quiver::expr::col;
//! use quiver::functions::{call, count_distinct, upper};
//!
//! assert_eq!(upper(col("name")).to_string(), r#"upper("name")"#);
//! assert_eq!(count_distinct(col("k")).to_string(), r#"count(DISTINCT "k")"#);
//! assert_eq!(call("levenshtein", [col("a"), col("b")]).to_string(), r#"levenshtein("a", "b")"#);
//! ```

use crate::expr::{star, Expr};

/// A call of the function `name` (any the session knows) on `arguments`.
pub fn call(name: &str, arguments: impl IntoIterator<Item = Expr>) -> Expr {
    Expr::call(name, arguments)
}

/// `count(*)`: the number of rows.
pub fn count_star() -> Expr {
    call("count", [star()])
}

/// `count(DISTINCT e)`: the number of distinct non-NULL values.
pub fn count_distinct(e: Expr) -> Expr {
    Expr::call("count", [e.wrapped("DISTINCT ", "")])
}

macro_rules! functions {
    ($($(#[$doc:meta])* $name:ident($($argument:ident),*);)*) => {
        $(
            $(#[$doc])*
            pub fn $name($($argument: Expr),*) -> Expr {
                call(stringify!($name), [$($argument),*])
            }
        )*
    };
}

functions! {
    /// `count(e)`: the number of non-NULL values.
    count(e);
    /// `sum(e)`.
    sum(e);
    /// `avg(e)`: the mean.
    avg(e);
    /// `min(e)`.
    min(e);
    /// `max(e)`.
    max(e);
    /// `median(e)`.
    median(e);
    /// `stddev(e)`: the sample standard deviation.
    stddev(e);
    /// `variance(e)`: the sample variance.
    variance(e);
    /// `any_value(e)`: some value of the group.
    any_value(e);
    /// `string_agg(e, separator)`.
    string_agg(e, separator);
    /// `list(e)`: the group's values as a list.
    list(e);
    /// `approx_count_distinct(e)` (HyperLogLog).
    approx_count_distinct(e);
    /// `row_number()` (a window function).
    row_number();
    /// `rank()` (a window function).
    rank();
    /// `dense_rank()` (a window function).
    dense_rank();
    /// `lag(e, offset)` (a window function).
    lag(e, offset);
    /// `lead(e, offset)` (a window function).
    lead(e, offset);
    /// `abs(e)`.
    abs(e);
    /// `round(e, digits)`.
    round(e, digits);
    /// `floor(e)`.
    floor(e);
    /// `ceil(e)`.
    ceil(e);
    /// `sqrt(e)`.
    sqrt(e);
    /// `upper(e)`.
    upper(e);
    /// `lower(e)`.
    lower(e);
    /// `length(e)`: characters in a string.
    length(e);
    /// `trim(e)`.
    trim(e);
    /// `substr(e, start, length)` (1-based).
    substr(e, start, length);
    /// `replace(e, from, to)`.
    replace(e, from, to);
    /// `regexp_matches(e, pattern)`.
    regexp_matches(e, pattern);
    /// `date_trunc(part, e)` (`lit("month")`).
    date_trunc(part, e);
    /// `date_part(part, e)` (`lit("year")`).
    date_part(part, e);
    /// `now()`: when the statement started.
    now();
}

/// `coalesce(values…)`: the first non-NULL value.
pub fn coalesce(values: impl IntoIterator<Item = Expr>) -> Expr {
    call("coalesce", values)
}

/// `concat(values…)`: strings joined, NULLs skipped.
pub fn concat(values: impl IntoIterator<Item = Expr>) -> Expr {
    call("concat", values)
}
