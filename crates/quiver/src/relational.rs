//! The DataFrame builder: each method plans a new query over the frame, in
//! SQL with the frame in scope as the relation `frame` (for joins, `left`
//! and `right`), so that every method binds names and applies type rules
//! exactly as the same SQL would.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> quiver::Result<()> {
//! use quiver::expr::{col, lit};
//! use quiver::functions::{count_star, sum};
//! use quiver::{CsvOptions, SessionContext};
//!
//! let ctx = SessionContext::new();
//! let dir = env!("CARGO_MANIFEST_DIR");
//! let cities = ctx.read_csv(&format!("{dir}/../../testdata/cities.csv"), CsvOptions::default())?;
//! let big = cities
//!     .filter(col("population").gt(lit(5_000_000i64)))?
//!     .aggregate([col("country")], [count_star().alias("n"), sum(col("population")).alias("people")])?
//!     .sort([col("n").desc(), col("country").asc()])?
//!     .limit(0, Some(3))?;
//! assert_eq!(big.count().await?, 3);
//! # Ok(())
//! # }
//! ```

use crate::context::SessionContext;
use crate::dataframe::DataFrame;
use crate::expr::{ident, Expr, SortExpr};
use quiver_expr::{QuiverError, Result};

/// The name a frame has in the SQL of its methods.
const FRAME: &str = "\"frame\"";
/// The names of the two sides of a join.
const LEFT: &str = "\"left\"";
const RIGHT: &str = "\"right\"";

/// How [`DataFrame::join`] pairs rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinType {
    /// Pairs of rows that match.
    Inner,
    /// Inner, plus left rows without a match (right columns NULL).
    Left,
    /// Inner, plus right rows without a match (left columns NULL).
    Right,
    /// Inner, plus unmatched rows of both sides.
    Full,
    /// Left rows that have a match, each once (left columns only).
    Semi,
    /// Left rows that have no match (left columns only).
    Anti,
}

impl JoinType {
    fn sql(self) -> &'static str {
        match self {
            JoinType::Inner => "JOIN",
            JoinType::Left => "LEFT JOIN",
            JoinType::Right => "RIGHT JOIN",
            JoinType::Full => "FULL JOIN",
            JoinType::Semi => "SEMI JOIN",
            JoinType::Anti => "ANTI JOIN",
        }
    }
}

/// Expressions as a SQL list.
fn listed<T: ToString>(items: impl IntoIterator<Item = T>) -> String {
    items
        .into_iter()
        .map(|item| item.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

impl DataFrame {
    /// Plans the query `sql`, which reads this frame as `frame`.
    fn derive(&self, sql: String) -> Result<DataFrame> {
        self.query_only()?;
        let ctx = SessionContext::from_state(self.state());
        let plan = ctx.plan_query_over(&sql, vec![("frame", self.logical_plan().clone())])?;
        Ok(DataFrame::new(self.state(), plan))
    }

    /// Plans the query `sql`, which reads this frame as `left` and `right`
    /// as `right`.
    fn derive_pair(&self, right: &DataFrame, sql: String) -> Result<DataFrame> {
        self.query_only()?;
        right.query_only()?;
        let ctx = SessionContext::from_state(self.state());
        let relations = vec![
            ("left", self.logical_plan().clone()),
            ("right", right.logical_plan().clone()),
        ];
        let plan = ctx.plan_query_over(&sql, relations)?;
        Ok(DataFrame::new(self.state(), plan))
    }

    /// An error for frames that are not queries (DDL, row counts).
    fn query_only(&self) -> Result<()> {
        if self.is_count() || self.is_empty_statement() {
            return Err(QuiverError::Plan(
                "this DataFrame is the result of a statement that gives no rows; \
                 only queries can be built on"
                    .into(),
            ));
        }
        Ok(())
    }

    /// The values of `exprs` for each row (`SELECT exprs`).
    pub fn select(&self, exprs: impl IntoIterator<Item = Expr>) -> Result<DataFrame> {
        self.derive(format!("SELECT {} FROM {FRAME}", listed(exprs)))
    }

    /// The columns `names`, in that order.
    pub fn select_columns(&self, names: &[&str]) -> Result<DataFrame> {
        self.select(names.iter().map(|name| ident(name)))
    }

    /// The rows for which `predicate` is true (`WHERE`).
    pub fn filter(&self, predicate: Expr) -> Result<DataFrame> {
        self.derive(format!("SELECT * FROM {FRAME} WHERE {predicate}"))
    }

    /// One row per group of `group_by` values: the keys, then the
    /// `aggregates` (with none, one row over the whole frame).
    pub fn aggregate(
        &self,
        group_by: impl IntoIterator<Item = Expr>,
        aggregates: impl IntoIterator<Item = Expr>,
    ) -> Result<DataFrame> {
        let keys: Vec<Expr> = group_by.into_iter().collect();
        let positions = listed(1..=keys.len());
        let mut outputs = keys;
        outputs.extend(aggregates);
        let group_by = match positions.is_empty() {
            true => String::new(),
            false => format!(" GROUP BY {positions}"),
        };
        self.derive(format!("SELECT {} FROM {FRAME}{group_by}", listed(outputs)))
    }

    /// The rows sorted by `keys`.
    pub fn sort(&self, keys: impl IntoIterator<Item = SortExpr>) -> Result<DataFrame> {
        self.derive(format!("SELECT * FROM {FRAME} ORDER BY {}", listed(keys)))
    }

    /// At most `fetch` rows (all when None) after skipping `skip`.
    pub fn limit(&self, skip: usize, fetch: Option<usize>) -> Result<DataFrame> {
        let limit = fetch.map_or(String::new(), |n| format!(" LIMIT {n}"));
        self.derive(format!("SELECT * FROM {FRAME}{limit} OFFSET {skip}"))
    }

    /// The rows without duplicates.
    pub fn distinct(&self) -> Result<DataFrame> {
        self.derive(format!("SELECT DISTINCT * FROM {FRAME}"))
    }

    /// This frame with the column `name` added, or replaced when it has
    /// one: the value of `expr`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> quiver::Result<()> {
    /// use quiver::expr::{col, lit};
    ///
    /// let ctx = quiver::SessionContext::new();
    /// let df = ctx.sql("SELECT range AS x FROM range(3)").await?;
    /// let df = df.with_column("y", col("x") * lit(10))?.with_column("x", col("x") + lit(1))?;
    /// assert_eq!(df.schema().fields().len(), 2);
    /// # Ok(())
    /// # }
    /// ```
    pub fn with_column(&self, name: &str, expr: Expr) -> Result<DataFrame> {
        let exists = self.schema().fields().iter().any(|f| f.name() == name);
        let column = expr.alias(name);
        match exists {
            true => self.derive(format!("SELECT * REPLACE ({column}) FROM {FRAME}")),
            false => self.derive(format!("SELECT *, {column} FROM {FRAME}")),
        }
    }

    /// This frame with the column `old` named `new`.
    pub fn with_column_renamed(&self, old: &str, new: &str) -> Result<DataFrame> {
        let schema = self.schema();
        if !schema.fields().iter().any(|f| f.name() == old) {
            return Err(QuiverError::Plan(format!("column \"{old}\" not found")));
        }
        let columns = schema.fields().iter().map(|f| match f.name() == old {
            true => ident(old).alias(new),
            false => ident(f.name()),
        });
        self.select(columns)
    }

    /// This frame without the columns `names`.
    pub fn drop_columns(&self, names: &[&str]) -> Result<DataFrame> {
        let names = listed(names.iter().map(|name| ident(name)));
        self.derive(format!("SELECT * EXCLUDE ({names}) FROM {FRAME}"))
    }

    /// This frame with the window expressions `exprs` added as columns
    /// (`row_number().over(…).alias("rn")`).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> quiver::Result<()> {
    /// use quiver::expr::{col, lit, Window};
    /// use quiver::functions::row_number;
    ///
    /// let ctx = quiver::SessionContext::new();
    /// let df = ctx.sql("SELECT range % 3 AS g, range AS x FROM range(9)").await?;
    /// let first = df
    ///     .window([row_number()
    ///         .over(Window::new().partition_by([col("g")]).order_by([col("x").desc()]))
    ///         .alias("rn")])?
    ///     .filter(col("rn").eq(lit(1)))?;
    /// assert_eq!(first.count().await?, 3);
    /// # Ok(())
    /// # }
    /// ```
    pub fn window(&self, exprs: impl IntoIterator<Item = Expr>) -> Result<DataFrame> {
        self.derive(format!("SELECT *, {} FROM {FRAME}", listed(exprs)))
    }

    /// The rows of both frames, duplicates kept (`UNION ALL`); columns are
    /// matched by position.
    pub fn union(&self, other: &DataFrame) -> Result<DataFrame> {
        self.set_operation(other, "UNION ALL")
    }

    /// The distinct rows of both frames (`UNION`).
    pub fn union_distinct(&self, other: &DataFrame) -> Result<DataFrame> {
        self.set_operation(other, "UNION")
    }

    /// The distinct rows both frames hold (`INTERSECT`).
    pub fn intersect(&self, other: &DataFrame) -> Result<DataFrame> {
        self.set_operation(other, "INTERSECT")
    }

    /// The distinct rows of this frame that `other` lacks (`EXCEPT`).
    pub fn except(&self, other: &DataFrame) -> Result<DataFrame> {
        self.set_operation(other, "EXCEPT")
    }

    fn set_operation(&self, other: &DataFrame, operator: &str) -> Result<DataFrame> {
        self.derive_pair(
            other,
            format!("SELECT * FROM {LEFT} {operator} SELECT * FROM {RIGHT}"),
        )
    }

    /// This frame joined with `right` where each of `left_columns` equals
    /// the `right_columns` at the same place (any kind but semi and anti
    /// keeps the columns of both sides).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> quiver::Result<()> {
    /// use quiver::{JoinType, SessionContext};
    ///
    /// let ctx = SessionContext::new();
    /// let orders = ctx.sql("SELECT * FROM (VALUES (1, 10), (2, 20), (3, 10)) o(id, customer)").await?;
    /// let customers = ctx.sql("SELECT * FROM (VALUES (10, 'ann')) c(id, name)").await?;
    /// let joined = orders.join(&customers, JoinType::Inner, &["customer"], &["id"])?;
    /// assert_eq!(joined.count().await?, 2);
    /// let lonely = orders.join(&customers, JoinType::Anti, &["customer"], &["id"])?;
    /// assert_eq!(lonely.count().await?, 1);
    /// # Ok(())
    /// # }
    /// ```
    pub fn join(
        &self,
        right: &DataFrame,
        how: JoinType,
        left_columns: &[&str],
        right_columns: &[&str],
    ) -> Result<DataFrame> {
        if left_columns.len() != right_columns.len() || left_columns.is_empty() {
            return Err(QuiverError::Plan(format!(
                "a join needs as many left columns as right ones, at least one; \
                 {} and {} are given",
                left_columns.len(),
                right_columns.len()
            )));
        }
        let condition = left_columns
            .iter()
            .zip(right_columns)
            .map(|(l, r)| format!("{LEFT}.{} = {RIGHT}.{}", ident(l), ident(r)))
            .collect::<Vec<_>>()
            .join(" AND ");
        self.derive_pair(
            right,
            format!("SELECT * FROM {LEFT} {} {RIGHT} ON {condition}", how.sql()),
        )
    }

    /// This frame joined with `right` where `on` holds; `on` names the
    /// sides `left` and `right` (`col("left.id").eq(col("right.id"))`).
    pub fn join_on(&self, right: &DataFrame, how: JoinType, on: Expr) -> Result<DataFrame> {
        self.derive_pair(
            right,
            format!("SELECT * FROM {LEFT} {} {RIGHT} ON {on}", how.sql()),
        )
    }

    /// This frame joined with `right` on the equality of the `columns` both
    /// have, which appear once in the result (`USING`).
    pub fn join_using(
        &self,
        right: &DataFrame,
        how: JoinType,
        columns: &[&str],
    ) -> Result<DataFrame> {
        let columns = listed(columns.iter().map(|c| ident(c)));
        self.derive_pair(
            right,
            format!(
                "SELECT * FROM {LEFT} {} {RIGHT} USING ({columns})",
                how.sql()
            ),
        )
    }

    /// Every pair of a row of this frame and a row of `right`.
    pub fn cross_join(&self, right: &DataFrame) -> Result<DataFrame> {
        self.derive_pair(right, format!("SELECT * FROM {LEFT} CROSS JOIN {RIGHT}"))
    }

    /// The query's plan as rows (`EXPLAIN`; with `analyze`, run it and show
    /// what each operator did).
    pub fn explain(&self, analyze: bool) -> Result<DataFrame> {
        let explain = if analyze {
            "EXPLAIN ANALYZE"
        } else {
            "EXPLAIN"
        };
        self.derive(format!("{explain} SELECT * FROM {FRAME}"))
    }

    /// Runs the query and counts its rows.
    pub async fn count(&self) -> Result<usize> {
        let batches = self.derive(format!("SELECT count(*) FROM {FRAME}"))?;
        let rows = batches.collect().await?;
        let count = rows
            .first()
            .and_then(|batch| {
                batch
                    .column(0)
                    .as_any()
                    .downcast_ref::<arrow::array::Int64Array>()
            })
            .filter(|counts| !counts.is_empty())
            .map(|counts| counts.value(0));
        count
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| QuiverError::Internal("count(*) gave no count".into()))
    }

    /// Makes this query the view `name` of the session (in place of one of
    /// that name when `replace`). The view holds the plan, so it is not
    /// stored in a database directory; `CREATE VIEW` in SQL is.
    pub fn create_view(&self, name: &str, replace: bool) -> Result<()> {
        self.query_only()?;
        SessionContext::from_state(self.state()).register_view(name, self.logical_plan(), replace)
    }
}
