//! Expressions for the DataFrame API: built with [`col`], [`lit`], Rust's
//! operators, the methods of [`Expr`] and the [`crate::functions`] module,
//! and bound by name, with SQL's type rules, when the DataFrame method
//! that takes them is planned.
//!
//! ```
//! use quiver::expr::{col, lit};
//! use quiver::functions::sum;
//!
//! let revenue = sum(col("price") * (lit(1) - col("discount"))).alias("revenue");
//! assert_eq!(revenue.to_string(), r#"sum(("price" * (1 - "discount"))) AS "revenue""#);
//! ```

use std::fmt;

use arrow::datatypes::DataType;
use quiver_expr::types::sql_type_name;
use quiver_expr::ScalarValue;
use quiver_sql::parameters::literal;
use quiver_sql::quote_identifier;

/// An expression over a DataFrame's columns. It is SQL underneath (see
/// [`Expr::to_string`]); [`sql_expr`] makes one from SQL text.
#[derive(Debug, Clone)]
pub struct Expr {
    sql: String,
}

/// The column `name`; `"t.name"` is the column `name` of the relation
/// `t` (in [`crate::DataFrame::join_on`], `left` and `right`). [`ident`]
/// takes a name with a dot in it as it is.
pub fn col(name: &str) -> Expr {
    match name.split_once('.') {
        Some((relation, column)) => Expr {
            sql: format!(
                "{}.{}",
                quote_identifier(relation),
                quote_identifier(column)
            ),
        },
        None => ident(name),
    }
}

/// The column named exactly `name`.
pub fn ident(name: &str) -> Expr {
    Expr {
        sql: quote_identifier(name),
    }
}

/// A constant: numbers, strings, booleans, or any [`ScalarValue`] (dates,
/// timestamps, decimals, NULL of a type…), which keeps its type.
pub fn lit(value: impl Into<ScalarValue>) -> Expr {
    let value = value.into();
    let sql = match literal(&value) {
        Ok(expr) => expr.to_string(),
        // Every ScalarValue has a SQL type; one without is left for the
        // binder to reject by name.
        Err(_) => format!("CAST(NULL AS \"{}\")", value.data_type()),
    };
    Expr { sql }
}

/// An expression written in SQL (`sql_expr("a + b * 2")`), bound like the
/// others when its DataFrame method is planned.
pub fn sql_expr(sql: &str) -> Expr {
    Expr {
        sql: format!("({sql})"),
    }
}

/// `*`: every column (`count(star())` counts rows).
pub fn star() -> Expr {
    Expr { sql: "*".into() }
}

impl fmt::Display for Expr {
    /// The expression as SQL.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.sql)
    }
}

impl Expr {
    /// A call of the function `name` on `arguments` (what
    /// [`crate::functions::call`] makes).
    pub(crate) fn call(name: &str, arguments: impl IntoIterator<Item = Expr>) -> Expr {
        let arguments: Vec<String> = arguments.into_iter().map(|a| a.sql).collect();
        let name = if name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            name.to_string()
        } else {
            quote_identifier(name)
        };
        Expr {
            sql: format!("{name}({})", arguments.join(", ")),
        }
    }

    /// `prefix(self)` for SQL's keyword functions (`count(DISTINCT x)`).
    pub(crate) fn wrapped(self, before: &str, after: &str) -> Expr {
        Expr {
            sql: format!("{before}{}{after}", self.sql),
        }
    }

    fn binary(self, operator: &str, other: Expr) -> Expr {
        Expr {
            sql: format!("({} {operator} {})", self.sql, other.sql),
        }
    }

    fn postfix(self, operator: &str) -> Expr {
        Expr {
            sql: format!("({} {operator})", self.sql),
        }
    }

    /// `self = other` (NULL when either is NULL).
    pub fn eq(self, other: Expr) -> Expr {
        self.binary("=", other)
    }

    /// `self <> other`.
    pub fn not_eq(self, other: Expr) -> Expr {
        self.binary("<>", other)
    }

    /// `self < other`.
    pub fn lt(self, other: Expr) -> Expr {
        self.binary("<", other)
    }

    /// `self <= other`.
    pub fn lt_eq(self, other: Expr) -> Expr {
        self.binary("<=", other)
    }

    /// `self > other`.
    pub fn gt(self, other: Expr) -> Expr {
        self.binary(">", other)
    }

    /// `self >= other`.
    pub fn gt_eq(self, other: Expr) -> Expr {
        self.binary(">=", other)
    }

    /// `self IS NOT DISTINCT FROM other`: equal, NULLs equal to each other.
    pub fn is_not_distinct_from(self, other: Expr) -> Expr {
        self.binary("IS NOT DISTINCT FROM", other)
    }

    /// `self AND other`.
    pub fn and(self, other: Expr) -> Expr {
        self.binary("AND", other)
    }

    /// `self OR other`.
    pub fn or(self, other: Expr) -> Expr {
        self.binary("OR", other)
    }

    /// `self IS NULL`.
    pub fn is_null(self) -> Expr {
        self.postfix("IS NULL")
    }

    /// `self IS NOT NULL`.
    pub fn is_not_null(self) -> Expr {
        self.postfix("IS NOT NULL")
    }

    /// `self LIKE pattern` (`%` any text, `_` one character).
    pub fn like(self, pattern: Expr) -> Expr {
        self.binary("LIKE", pattern)
    }

    /// `self ILIKE pattern`: LIKE without regard to case.
    pub fn ilike(self, pattern: Expr) -> Expr {
        self.binary("ILIKE", pattern)
    }

    /// `self BETWEEN low AND high`.
    pub fn between(self, low: Expr, high: Expr) -> Expr {
        Expr {
            sql: format!("({} BETWEEN {} AND {})", self.sql, low.sql, high.sql),
        }
    }

    /// `self IN (values…)`, or `NOT IN` when `negated`.
    pub fn in_list(self, values: impl IntoIterator<Item = Expr>, negated: bool) -> Expr {
        let values: Vec<String> = values.into_iter().map(|v| v.sql).collect();
        let not = if negated { "NOT " } else { "" };
        Expr {
            sql: format!("({} {not}IN ({}))", self.sql, values.join(", ")),
        }
    }

    /// `CAST(self AS type)`: an error when planned if a value cannot be
    /// converted.
    pub fn cast(self, data_type: &DataType) -> Expr {
        Expr {
            sql: format!("CAST({} AS {})", self.sql, sql_type_name(data_type)),
        }
    }

    /// `TRY_CAST(self AS type)`: NULL where a value cannot be converted.
    pub fn try_cast(self, data_type: &DataType) -> Expr {
        Expr {
            sql: format!("TRY_CAST({} AS {})", self.sql, sql_type_name(data_type)),
        }
    }

    /// The expression named `name` in a result.
    pub fn alias(self, name: &str) -> Expr {
        Expr {
            sql: format!("{} AS {}", self.sql, quote_identifier(name)),
        }
    }

    /// A window function or aggregate computed over `window`
    /// (`row_number().over(Window::new().partition_by([col("g")]))`).
    pub fn over(self, window: Window) -> Expr {
        Expr {
            sql: format!("{} OVER ({})", self.sql, window.sql()),
        }
    }

    /// An aggregate over only the rows where `condition` holds
    /// (`FILTER (WHERE …)`).
    pub fn filter(self, condition: Expr) -> Expr {
        Expr {
            sql: format!("{} FILTER (WHERE {})", self.sql, condition.sql),
        }
    }

    /// Sorts ascending, NULLs last.
    pub fn asc(self) -> SortExpr {
        self.sort(true, false)
    }

    /// Sorts descending, NULLs first (as DuckDB's default for DESC).
    pub fn desc(self) -> SortExpr {
        self.sort(false, true)
    }

    /// A sort key: ascending or descending, NULLs first or last.
    pub fn sort(self, ascending: bool, nulls_first: bool) -> SortExpr {
        SortExpr {
            expr: self,
            ascending,
            nulls_first,
        }
    }
}

macro_rules! operator {
    ($trait:ident, $method:ident, $symbol:literal) => {
        impl std::ops::$trait for Expr {
            type Output = Expr;
            #[doc = concat!("`self ", $symbol, " other`.")]
            fn $method(self, other: Expr) -> Expr {
                self.binary($symbol, other)
            }
        }
    };
}

operator!(Add, add, "+");
operator!(Sub, sub, "-");
operator!(Mul, mul, "*");
operator!(Div, div, "/");
operator!(Rem, rem, "%");

impl std::ops::Neg for Expr {
    type Output = Expr;
    /// `-self`.
    fn neg(self) -> Expr {
        self.wrapped("(-", ")")
    }
}

impl std::ops::Not for Expr {
    type Output = Expr;
    /// `NOT self`.
    fn not(self) -> Expr {
        self.wrapped("(NOT ", ")")
    }
}

/// A sort key for [`crate::DataFrame::sort`] and windows.
#[derive(Debug, Clone)]
pub struct SortExpr {
    expr: Expr,
    ascending: bool,
    nulls_first: bool,
}

impl fmt::Display for SortExpr {
    /// The key as SQL (`"a" DESC NULLS LAST`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let direction = if self.ascending { "ASC" } else { "DESC" };
        let nulls = if self.nulls_first { "FIRST" } else { "LAST" };
        write!(f, "{} {direction} NULLS {nulls}", self.expr)
    }
}

/// The window of [`Expr::over`]: partitions, order and frame.
#[derive(Debug, Clone, Default)]
pub struct Window {
    partition_by: Vec<Expr>,
    order_by: Vec<SortExpr>,
    frame: Option<String>,
}

impl Window {
    /// The whole input as one partition, unordered.
    pub fn new() -> Self {
        Self::default()
    }

    /// Partitions by `keys`.
    pub fn partition_by(mut self, keys: impl IntoIterator<Item = Expr>) -> Self {
        self.partition_by = keys.into_iter().collect();
        self
    }

    /// Orders each partition by `keys`.
    pub fn order_by(mut self, keys: impl IntoIterator<Item = SortExpr>) -> Self {
        self.order_by = keys.into_iter().collect();
        self
    }

    /// The frame, in SQL (`"ROWS BETWEEN 6 PRECEDING AND CURRENT ROW"`,
    /// `"RANGE BETWEEN INTERVAL 7 DAYS PRECEDING AND CURRENT ROW"`).
    pub fn frame(mut self, frame: &str) -> Self {
        self.frame = Some(frame.to_string());
        self
    }

    fn sql(&self) -> String {
        let mut parts = vec![];
        if !self.partition_by.is_empty() {
            let keys: Vec<String> = self.partition_by.iter().map(Expr::to_string).collect();
            parts.push(format!("PARTITION BY {}", keys.join(", ")));
        }
        if !self.order_by.is_empty() {
            let keys: Vec<String> = self.order_by.iter().map(SortExpr::to_string).collect();
            parts.push(format!("ORDER BY {}", keys.join(", ")));
        }
        parts.extend(self.frame.clone());
        parts.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_nest_in_parentheses() {
        let e = (col("a") + lit(1i64)) * -col("b");
        assert_eq!(e.to_string(), r#"(("a" + 1) * (-"b"))"#);
        let e = !col("x").gt_eq(lit(2.5)).and(col("y").is_null());
        assert_eq!(
            e.to_string(),
            r#"(NOT (("x" >= CAST('2.5' AS DOUBLE)) AND ("y" IS NULL)))"#
        );
    }

    #[test]
    fn qualified_and_odd_names_are_quote_identifier() {
        assert_eq!(col("t.a").to_string(), r#""t"."a""#);
        assert_eq!(ident("a.b").to_string(), r#""a.b""#);
        assert_eq!(col(r#"x"y"#).to_string(), r#""x""y""#);
    }

    #[test]
    fn literals_keep_their_types() {
        assert_eq!(lit("it's").to_string(), "'it''s'");
        assert_eq!(lit(true).to_string(), "true");
        assert_eq!(
            lit(ScalarValue::Date32(Some(0))).to_string(),
            "CAST('1970-01-01' AS DATE)"
        );
    }

    #[test]
    fn windows_and_sorts() {
        let w = Window::new()
            .partition_by([col("g")])
            .order_by([col("t").desc()])
            .frame("ROWS BETWEEN 1 PRECEDING AND CURRENT ROW");
        assert_eq!(
            Expr::call("sum", [col("v")]).over(w).to_string(),
            r#"sum("v") OVER (PARTITION BY "g" ORDER BY "t" DESC NULLS FIRST ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)"#
        );
        assert_eq!(
            col("a").in_list([lit(1i64), lit(2i64)], true).to_string(),
            r#"("a" NOT IN (1, 2))"#
        );
    }
}
