//! Logical plans: relational algebra over typed, qualified columns.

mod asof;
mod positional;
pub use asof::{AsofComparison, AsofJoin};
pub use positional::PositionalJoin;

use std::fmt::{self, Write};
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion_common::ScalarValue;

use crate::error::{QuiverError, Result};
use crate::expr::{Expr, SortExpr};
use crate::schema::{QField, QSchema, QSchemaRef};
use crate::table_source::TableSource;
use crate::types::{common_type, sql_type_name};

/// A node of a logical plan.
#[derive(Debug, Clone, PartialEq)]
pub enum LogicalPlan {
    /// Reads a table.
    TableScan(TableScan),
    /// Computes expressions for each input row.
    Projection(Projection),
    /// Keeps rows for which the predicate is true.
    Filter(Filter),
    /// Groups rows and computes aggregates.
    Aggregate(Aggregate),
    /// Adds window calls' results to every row.
    Window(Window),
    /// Several output rows per input row, one per list of expressions
    /// (grouping sets).
    Expand(Expand),
    /// Several output rows per input row, one per element of its lists.
    Unnest(Unnest),
    /// A recursive CTE: a static term, then a recursive term run over the
    /// previous step's rows until it makes none.
    RecursiveQuery(RecursiveQuery),
    /// Orders rows.
    Sort(Sort),
    /// Skips and limits rows.
    Limit(Limit),
    /// Renames the relation (and optionally its columns).
    SubqueryAlias(SubqueryAlias),
    /// Literal rows.
    Values(Values),
    /// No input: one row with no columns, or no rows.
    EmptyRelation(EmptyRelation),
    /// Shows the plan of another statement.
    Explain(Explain),
    /// A statement that changes the catalog.
    Ddl(Ddl),
    /// Combines the rows of two inputs.
    Join(Join),
    /// `ASOF [LEFT] JOIN`: each left row with the right row nearest in time.
    AsofJoin(AsofJoin),
    /// `POSITIONAL JOIN`: rows paired by position.
    PositionalJoin(PositionalJoin),
    /// `UNION ALL` of inputs with the same column types.
    Union(Union),
    /// `INTERSECT [ALL]` or `EXCEPT [ALL]` of two inputs.
    SetOperation(SetOperation),
}

/// How a join combines its inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JoinType {
    /// Pairs that satisfy the condition.
    Inner,
    /// Inner, plus left rows without a match (right columns NULL).
    Left,
    /// Inner, plus right rows without a match (left columns NULL).
    Right,
    /// Inner, plus unmatched rows of both sides.
    Full,
    /// Left rows that have a match (each once).
    LeftSemi,
    /// Left rows that have no match.
    LeftAnti,
    /// Right rows that have a match (each once).
    RightSemi,
    /// Right rows that have no match.
    RightAnti,
    /// Every left row once, plus a BOOLEAN `mark` column: whether it has a
    /// match (for `EXISTS` and `IN` used as values).
    LeftMark,
    /// Like `Left`, but a left row with more than one match is an error (a
    /// scalar subquery must produce at most one row).
    LeftSingle,
}

impl JoinType {
    /// The same join with its inputs swapped.
    pub fn swap(self) -> Option<JoinType> {
        Some(match self {
            JoinType::Inner => JoinType::Inner,
            JoinType::Left => JoinType::Right,
            JoinType::Right => JoinType::Left,
            JoinType::Full => JoinType::Full,
            JoinType::LeftSemi => JoinType::RightSemi,
            JoinType::LeftAnti => JoinType::RightAnti,
            JoinType::RightSemi => JoinType::LeftSemi,
            JoinType::RightAnti => JoinType::LeftAnti,
            JoinType::LeftMark | JoinType::LeftSingle => return None,
        })
    }

    /// Whether the output has the left input's columns.
    pub fn outputs_left(self) -> bool {
        !matches!(self, JoinType::RightSemi | JoinType::RightAnti)
    }

    /// Whether the output has the right input's columns.
    pub fn outputs_right(self) -> bool {
        matches!(
            self,
            JoinType::Inner
                | JoinType::Left
                | JoinType::Right
                | JoinType::Full
                | JoinType::RightSemi
                | JoinType::RightAnti
                | JoinType::LeftSingle
        )
    }
}

impl fmt::Display for JoinType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// The name of the column a [`JoinType::LeftMark`] join adds.
pub const MARK_COLUMN: &str = "mark";

/// Joins two inputs on equal keys (`on`) and an optional extra condition.
#[derive(Debug, Clone, PartialEq)]
pub struct Join {
    /// The left input.
    pub left: Arc<LogicalPlan>,
    /// The right input.
    pub right: Arc<LogicalPlan>,
    /// The kind of join.
    pub join_type: JoinType,
    /// Equi-join keys: (expression over left, expression over right) of the
    /// same type. NULL keys never match.
    pub on: Vec<(Expr, Expr)>,
    /// Any further condition, over the left and right columns together.
    pub filter: Option<Expr>,
    /// For `NOT IN`/`IN` with one key: a NULL key on either side makes the
    /// comparison unknown rather than false (anti and mark joins).
    pub null_aware: bool,
    /// For a [`JoinType::LeftSingle`] join that evaluates a scalar
    /// subquery: its SQL text, named when it produces more than one row.
    pub subquery: Option<String>,
    /// The output schema.
    pub schema: QSchemaRef,
}

/// The fields of `schema`, all made nullable.
fn nullable_fields(schema: &QSchema) -> Vec<QField> {
    schema
        .fields()
        .iter()
        .map(|f| QField {
            field: Arc::new(f.field.as_ref().clone().with_nullable(true)),
            ..f.clone()
        })
        .collect()
}

impl Join {
    /// A join; computes its schema and checks that key types agree.
    pub fn try_new(
        left: Arc<LogicalPlan>,
        right: Arc<LogicalPlan>,
        join_type: JoinType,
        on: Vec<(Expr, Expr)>,
        filter: Option<Expr>,
        null_aware: bool,
    ) -> Result<Self> {
        let (ls, rs) = (left.schema(), right.schema());
        for (l, r) in &on {
            let (lt, rt) = (l.data_type(ls)?, r.data_type(rs)?);
            if lt != rt {
                return Err(QuiverError::Internal(format!(
                    "join keys {l} and {r} have different types {lt} and {rt}"
                )));
            }
        }
        let keep = |s: &QSchema| s.fields().to_vec();
        let fields: Vec<QField> = match join_type {
            JoinType::Inner => [keep(ls), keep(rs)].concat(),
            JoinType::Left | JoinType::LeftSingle => [keep(ls), nullable_fields(rs)].concat(),
            JoinType::Right => [nullable_fields(ls), keep(rs)].concat(),
            JoinType::Full => [nullable_fields(ls), nullable_fields(rs)].concat(),
            JoinType::LeftSemi | JoinType::LeftAnti => keep(ls),
            JoinType::RightSemi | JoinType::RightAnti => keep(rs),
            JoinType::LeftMark => {
                let qualifier = rs.fields().first().and_then(|f| f.qualifier.clone());
                let mark = QField::new(
                    qualifier,
                    Field::new(MARK_COLUMN, DataType::Boolean, null_aware),
                );
                [keep(ls), vec![mark]].concat()
            }
        };
        let join = Self {
            left,
            right,
            join_type,
            on,
            filter,
            null_aware,
            subquery: None,
            schema: Arc::new(QSchema::new(fields)),
        };
        if let Some(f) = &join.filter {
            let both = join.left.schema().join(join.right.schema());
            f.data_type(&both)?;
        }
        Ok(join)
    }

    /// The same join over new inputs (with the same columns).
    pub fn with_inputs(&self, left: Arc<LogicalPlan>, right: Arc<LogicalPlan>) -> Result<Self> {
        let mut join = Self::try_new(
            left,
            right,
            self.join_type,
            self.on.clone(),
            self.filter.clone(),
            self.null_aware,
        )?;
        join.subquery = self.subquery.clone();
        Ok(join)
    }

    /// The same join, noting the scalar subquery it evaluates.
    pub fn with_subquery(mut self, sql: impl Into<String>) -> Self {
        self.subquery = Some(sql.into());
        self
    }

    /// A join without keys or condition: every pair of rows.
    pub fn cross(left: Arc<LogicalPlan>, right: Arc<LogicalPlan>) -> Result<Self> {
        Self::try_new(left, right, JoinType::Inner, vec![], None, false)
    }
}

/// `UNION ALL`: the rows of every input, which have the same column types.
/// Columns are named as in the first input.
#[derive(Debug, Clone, PartialEq)]
pub struct Union {
    /// The inputs.
    pub inputs: Vec<Arc<LogicalPlan>>,
    /// The output schema.
    pub schema: QSchemaRef,
}

impl Union {
    /// A union; the inputs must have the same column types.
    pub fn try_new(inputs: Vec<Arc<LogicalPlan>>) -> Result<Self> {
        let Some(first) = inputs.first() else {
            return Err(QuiverError::Internal("UNION of no inputs".into()));
        };
        let mut fields = first.schema().fields().to_vec();
        for input in &inputs[1..] {
            check_same_types(first.schema(), input.schema(), "UNION")?;
            for (f, other) in fields.iter_mut().zip(input.schema().fields()) {
                if other.field.is_nullable() && !f.field.is_nullable() {
                    *f = QField::new(
                        f.qualifier.clone(),
                        f.field.as_ref().clone().with_nullable(true),
                    );
                }
            }
        }
        Ok(Self {
            inputs,
            schema: Arc::new(QSchema::new(fields)),
        })
    }
}

fn check_same_types(a: &QSchema, b: &QSchema, what: &str) -> Result<()> {
    if a.len() != b.len() {
        return Err(QuiverError::Plan(format!(
            "each {what} query must have the same number of columns ({} and {})",
            a.len(),
            b.len()
        )));
    }
    for (x, y) in a.fields().iter().zip(b.fields()) {
        if x.field.data_type() != y.field.data_type() {
            return Err(QuiverError::Internal(format!(
                "{what} inputs have column types {} and {}",
                x.field.data_type(),
                y.field.data_type()
            )));
        }
    }
    Ok(())
}

/// `INTERSECT` or `EXCEPT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetOperator {
    /// Rows in both inputs.
    Intersect,
    /// Rows of the left input that are not in the right.
    Except,
}

/// `left INTERSECT|EXCEPT [ALL] right`. Rows compare as equal when every
/// column is equal or both NULL. Without `ALL` each row appears once;
/// with `ALL`, a row appearing m times on the left and n on the right
/// appears min(m, n) times (INTERSECT) or max(m - n, 0) times (EXCEPT).
#[derive(Debug, Clone, PartialEq)]
pub struct SetOperation {
    /// The left input (names the columns).
    pub left: Arc<LogicalPlan>,
    /// The right input.
    pub right: Arc<LogicalPlan>,
    /// INTERSECT or EXCEPT.
    pub op: SetOperator,
    /// Keep duplicates (`ALL`).
    pub all: bool,
}

impl SetOperation {
    /// A set operation; the inputs must have the same column types.
    pub fn try_new(
        left: Arc<LogicalPlan>,
        right: Arc<LogicalPlan>,
        op: SetOperator,
        all: bool,
    ) -> Result<Self> {
        check_same_types(
            left.schema(),
            right.schema(),
            &format!("{op:?}").to_uppercase(),
        )?;
        Ok(Self {
            left,
            right,
            op,
            all,
        })
    }
}

/// Reads columns of a table.
#[derive(Debug, Clone)]
pub struct TableScan {
    /// The name the table is referred to by.
    pub table_name: String,
    /// The table.
    pub source: Arc<dyn TableSource>,
    /// Indices of the table's columns that are read; `None` reads all.
    pub projection: Option<Vec<usize>>,
    /// The output schema (the projected columns, qualified by `table_name`).
    pub schema: QSchemaRef,
    /// Only this many rows (any of them) are needed, when a LIMIT above
    /// says so; the scan may stop early.
    pub fetch: Option<usize>,
}

/// Scans compare by table name, columns and fetch, and by the table they
/// read (two handles on one table are the same scan).
impl PartialEq for TableScan {
    fn eq(&self, other: &Self) -> bool {
        self.table_name == other.table_name
            && self.source.same_table(other.source.as_ref())
            && self.projection == other.projection
            && self.fetch == other.fetch
    }
}

impl TableScan {
    /// Scans the given columns (all if `None`) of `source`.
    pub fn try_new(
        table_name: &str,
        source: Arc<dyn TableSource>,
        projection: Option<Vec<usize>>,
    ) -> Result<Self> {
        let full = source.schema();
        let schema = match &projection {
            Some(indices) => {
                let fields = indices
                    .iter()
                    .map(|&i| {
                        full.fields().get(i).cloned().ok_or_else(|| {
                            QuiverError::Internal(format!(
                                "scan of {table_name} projects missing column {i}"
                            ))
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                QSchema::from_arrow(Some(table_name), &Schema::new(fields))
            }
            None => QSchema::from_arrow(Some(table_name), &full),
        };
        Ok(Self {
            table_name: table_name.to_string(),
            source,
            projection,
            schema: Arc::new(schema),
            fetch: None,
        })
    }
}

/// Evaluates expressions per row.
#[derive(Debug, Clone, PartialEq)]
pub struct Projection {
    /// The output expressions.
    pub exprs: Vec<Expr>,
    /// The input.
    pub input: Arc<LogicalPlan>,
    /// The output schema.
    pub schema: QSchemaRef,
}

impl Projection {
    /// A projection; computes the output schema and checks every expression.
    pub fn try_new(exprs: Vec<Expr>, input: Arc<LogicalPlan>) -> Result<Self> {
        let input_schema = input.schema();
        let fields = exprs
            .iter()
            .map(|e| expr_field(e, input_schema))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            exprs,
            input,
            schema: Arc::new(QSchema::new(fields)),
        })
    }

    /// The projection with its output columns hidden where `hidden` says
    /// (by position): reachable by qualified name only, and not in `*`
    /// (the other table's key columns after `JOIN … USING`).
    pub fn with_hidden(mut self, hidden: &[bool]) -> Self {
        if hidden.iter().any(|&h| h) {
            let fields = self
                .schema
                .fields()
                .iter()
                .zip(hidden.iter().chain(std::iter::repeat(&false)))
                .map(|(f, &h)| {
                    if h {
                        f.clone().into_hidden()
                    } else {
                        f.clone()
                    }
                })
                .collect();
            self.schema = Arc::new(QSchema::new(fields));
        }
        self
    }

    /// Which output columns are hidden, by position.
    pub fn hidden(&self) -> Vec<bool> {
        self.schema.fields().iter().map(|f| f.hidden).collect()
    }
}

/// The output field of a projected expression: plain columns keep their
/// qualifier, anything else is unqualified and named by [`Expr::output_name`].
pub fn expr_field(e: &Expr, input: &QSchema) -> Result<QField> {
    let qualifier = match e {
        Expr::Column(c) => input.field(input.index_of(c)?).qualifier.clone(),
        _ => None,
    };
    let field = Field::new(e.output_name(), e.data_type(input)?, e.nullable(input)?);
    Ok(QField::new(qualifier, field))
}

/// Keeps rows where the predicate is true (not false, not NULL).
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    /// A boolean expression.
    pub predicate: Expr,
    /// The input.
    pub input: Arc<LogicalPlan>,
}

impl Filter {
    /// A filter; the predicate must be boolean.
    pub fn try_new(predicate: Expr, input: Arc<LogicalPlan>) -> Result<Self> {
        match predicate.data_type(input.schema())? {
            DataType::Boolean | DataType::Null => Ok(Self { predicate, input }),
            other => Err(QuiverError::Schema(format!(
                "filter condition {predicate} must be BOOLEAN, not {}",
                sql_type_name(&other)
            ))),
        }
    }
}

/// Groups rows by `group_exprs` and computes `aggr_exprs` per group. Output:
/// the group columns, then the aggregates.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    /// The input.
    pub input: Arc<LogicalPlan>,
    /// Grouping expressions.
    pub group_exprs: Vec<Expr>,
    /// Aggregate calls (each an [`Expr::Aggregate`]).
    pub aggr_exprs: Vec<Expr>,
    /// The output schema.
    pub schema: QSchemaRef,
}

impl Aggregate {
    /// An aggregation; computes the output schema.
    pub fn try_new(
        input: Arc<LogicalPlan>,
        group_exprs: Vec<Expr>,
        aggr_exprs: Vec<Expr>,
    ) -> Result<Self> {
        let in_schema = input.schema();
        let mut fields = Vec::with_capacity(group_exprs.len() + aggr_exprs.len());
        for g in &group_exprs {
            fields.push(match g {
                Expr::Column(_) => expr_field(g, in_schema)?,
                other => QField::new(
                    None,
                    Field::new(
                        Self::output_column_name(other),
                        other.data_type(in_schema)?,
                        true,
                    ),
                ),
            });
        }
        for a in &aggr_exprs {
            if !matches!(a, Expr::Aggregate(_)) {
                return Err(QuiverError::Internal(format!(
                    "{a} is not an aggregate call"
                )));
            }
            let field = Field::new(
                Self::output_column_name(a),
                a.data_type(in_schema)?,
                a.nullable(in_schema)?,
            );
            fields.push(QField::new(None, field));
        }
        Ok(Self {
            input,
            group_exprs,
            aggr_exprs,
            schema: Arc::new(QSchema::new(fields)),
        })
    }

    /// The output column name of a (non-column) group expression or an
    /// aggregate: its fully qualified SQL text, which identifies it.
    pub fn output_column_name(e: &Expr) -> String {
        e.to_string()
    }
}

/// Emits, for every input row, one row per list of expressions: the rows
/// a GROUP BY with grouping sets aggregates, each copy with the keys its
/// set leaves out set to NULL and the set's number in a column of its own.
#[derive(Debug, Clone, PartialEq)]
pub struct Expand {
    /// The input.
    pub input: Arc<LogicalPlan>,
    /// One list per copy of each row, all of the same length and types.
    pub projections: Vec<Vec<Expr>>,
    /// The output schema: named after the first list's expressions, each
    /// column nullable where any list's expression is.
    pub schema: QSchemaRef,
}

impl Expand {
    /// An expansion; checks that the lists agree in length and types.
    pub fn try_new(input: Arc<LogicalPlan>, projections: Vec<Vec<Expr>>) -> Result<Self> {
        let in_schema = input.schema();
        let Some(first) = projections.first() else {
            return Err(QuiverError::Internal("Expand needs a projection".into()));
        };
        let mut fields = first
            .iter()
            .map(|e| expr_field(e, in_schema))
            .collect::<Result<Vec<_>>>()?;
        for list in &projections[1..] {
            if list.len() != fields.len() {
                return Err(QuiverError::Internal(
                    "Expand lists differ in length".into(),
                ));
            }
            for (field, e) in fields.iter_mut().zip(list) {
                let t = e.data_type(in_schema)?;
                if &t != field.field.data_type() {
                    return Err(QuiverError::Internal(format!(
                        "Expand lists differ in type at {}: {t} and {}",
                        field.name(),
                        field.field.data_type()
                    )));
                }
                if e.nullable(in_schema)? && !field.field.is_nullable() {
                    let nullable = field.field.as_ref().clone().with_nullable(true);
                    *field = QField::new(field.qualifier.clone(), nullable);
                }
            }
        }
        Ok(Self {
            input,
            projections,
            schema: Arc::new(QSchema::new(fields)),
        })
    }
}

/// `WITH RECURSIVE name AS (static UNION [ALL] recursive)`: the static
/// term's rows, then the recursive term's run over the rows the step before
/// made (its scans of `work_table`), step after step until a step makes no
/// rows. With `distinct` (UNION), rows already made are dropped, so cycles
/// end.
#[derive(Debug, Clone)]
pub struct RecursiveQuery {
    /// The CTE's name.
    pub name: String,
    /// The rows to start from.
    pub static_term: Arc<LogicalPlan>,
    /// The step, reading `work_table`; its columns are the static term's.
    pub recursive_term: Arc<LogicalPlan>,
    /// UNION rather than UNION ALL.
    pub distinct: bool,
    /// What the recursive term reads the previous step's rows from.
    pub work_table: Arc<crate::work_table::WorkTable>,
    /// The static term's columns, each nullable.
    pub schema: QSchemaRef,
}

impl RecursiveQuery {
    /// The recursive CTE `name`; the recursive term's columns must have the
    /// static term's types.
    pub fn try_new(
        name: &str,
        static_term: Arc<LogicalPlan>,
        recursive_term: Arc<LogicalPlan>,
        distinct: bool,
        work_table: Arc<crate::work_table::WorkTable>,
    ) -> Result<Self> {
        let types = |p: &LogicalPlan| -> Vec<DataType> {
            p.schema()
                .fields()
                .iter()
                .map(|f| f.field.data_type().clone())
                .collect()
        };
        if types(&static_term) != types(&recursive_term) {
            return Err(QuiverError::Internal(format!(
                "the terms of recursive CTE {name} differ in their column types"
            )));
        }
        let fields = static_term
            .schema()
            .fields()
            .iter()
            .map(|f| {
                QField::new(
                    f.qualifier.clone(),
                    f.field.as_ref().clone().with_nullable(true),
                )
            })
            .collect();
        Ok(Self {
            name: name.to_string(),
            static_term,
            recursive_term,
            distinct,
            work_table,
            schema: Arc::new(QSchema::new(fields)),
        })
    }
}

impl PartialEq for RecursiveQuery {
    fn eq(&self, other: &Self) -> bool {
        self.work_table.id() == other.work_table.id()
            && self.static_term == other.static_term
            && self.recursive_term == other.recursive_term
            && self.distinct == other.distinct
    }
}

/// One list column an [`Unnest`] unnests, and the name its elements take.
#[derive(Debug, Clone, PartialEq)]
pub struct UnnestColumn {
    /// The list column's position in the input.
    pub input: usize,
    /// The qualifier of the elements' column (`u` for `unnest(l) AS u(x)`).
    pub qualifier: Option<String>,
    /// The name of the elements' column.
    pub name: String,
}

/// Repeats each input row once per element of the longest of its lists in
/// `columns`, those columns holding the elements (NULL past the end of a
/// shorter list); a row whose lists are all NULL or empty gives no rows.
/// `unnest(l)` in a select list, and `FROM t, unnest(t.l)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Unnest {
    /// The input.
    pub input: Arc<LogicalPlan>,
    /// The list columns unnested.
    pub columns: Vec<UnnestColumn>,
    /// The input's schema with each of `columns` of its element type,
    /// renamed.
    pub schema: QSchemaRef,
}

impl Unnest {
    /// Unnests `columns` of `input`, which must be lists.
    pub fn try_new(input: Arc<LogicalPlan>, columns: Vec<UnnestColumn>) -> Result<Self> {
        let mut fields = input.schema().fields().to_vec();
        for c in &columns {
            let field = fields
                .get_mut(c.input)
                .ok_or_else(|| QuiverError::Internal(format!("unnest of column {}", c.input)))?;
            let element = match field.field.data_type() {
                DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => {
                    f.data_type().clone()
                }
                other => return Err(QuiverError::Internal(format!("unnest of a {other} column"))),
            };
            *field = QField::new(c.qualifier.clone(), Field::new(&c.name, element, true));
        }
        Ok(Self {
            input,
            columns,
            schema: Arc::new(QSchema::new(fields)),
        })
    }

    /// The positions of the unnested columns (in the input and the output).
    pub fn positions(&self) -> Vec<usize> {
        self.columns.iter().map(|c| c.input).collect()
    }
}

/// Computes window calls over its input: every input row, with one more
/// column per call. The calls share one partitioning and order.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    /// The input.
    pub input: Arc<LogicalPlan>,
    /// The calls (each an [`Expr::Window`]), all with the same PARTITION
    /// BY and ORDER BY.
    pub window_exprs: Vec<Expr>,
    /// The output schema: the input's columns, then one per call.
    pub schema: QSchemaRef,
}

impl Window {
    /// A window operator; computes the output schema and checks that the
    /// calls share their partitioning and order.
    pub fn try_new(input: Arc<LogicalPlan>, window_exprs: Vec<Expr>) -> Result<Self> {
        let in_schema = input.schema();
        let mut fields = in_schema.fields().to_vec();
        let mut first: Option<&crate::window::WindowCall> = None;
        for e in &window_exprs {
            let Expr::Window(call) = e else {
                return Err(QuiverError::Internal(format!("{e} is not a window call")));
            };
            if first.is_some_and(|f| !f.same_window(call)) {
                return Err(QuiverError::Internal(format!(
                    "window calls of one operator differ in PARTITION BY or ORDER BY ({e})"
                )));
            }
            first.get_or_insert(call);
            let field = Field::new(
                Self::output_column_name(e),
                e.data_type(in_schema)?,
                e.nullable(in_schema)?,
            );
            fields.push(QField::new(None, field));
        }
        Ok(Self {
            input,
            window_exprs,
            schema: Arc::new(QSchema::new(fields)),
        })
    }

    /// The output column name of a window call: its SQL text.
    pub fn output_column_name(e: &Expr) -> String {
        e.to_string()
    }
}

/// Orders rows by keys; optionally keeps only the first `fetch`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sort {
    /// Sort keys, most significant first.
    pub exprs: Vec<SortExpr>,
    /// The input.
    pub input: Arc<LogicalPlan>,
    /// Keep only this many rows (ORDER BY .. LIMIT), if set.
    pub fetch: Option<usize>,
}

/// Skips `skip` rows, then passes at most `fetch` rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Limit {
    /// Rows to skip (OFFSET).
    pub skip: usize,
    /// Rows to pass (LIMIT), if limited.
    pub fetch: Option<usize>,
    /// The input.
    pub input: Arc<LogicalPlan>,
}

/// Gives a relation a name (and optionally new column names).
#[derive(Debug, Clone, PartialEq)]
pub struct SubqueryAlias {
    /// The input.
    pub input: Arc<LogicalPlan>,
    /// The new relation name.
    pub alias: String,
    /// The input's columns, requalified (and renamed).
    pub schema: QSchemaRef,
}

impl SubqueryAlias {
    /// Names `input` as `alias`, renaming its leading columns to `columns`.
    pub fn try_new(input: Arc<LogicalPlan>, alias: &str, columns: &[String]) -> Result<Self> {
        let in_schema = input.schema();
        if columns.len() > in_schema.len() {
            return Err(QuiverError::Plan(format!(
                "table alias {alias} names {} columns but the relation has only {}",
                columns.len(),
                in_schema.len()
            )));
        }
        let fields = in_schema
            .fields()
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let field = match columns.get(i) {
                    Some(name) => Arc::new(f.field.as_ref().clone().with_name(name)),
                    None => Arc::clone(&f.field),
                };
                QField::new(Some(alias.to_string()), field)
            })
            .collect();
        Ok(Self {
            input,
            alias: alias.to_string(),
            schema: Arc::new(QSchema::new(fields)),
        })
    }
}

/// Literal rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Values {
    /// The rows; every row has one expression per column.
    pub rows: Vec<Vec<Expr>>,
    /// The output schema.
    pub schema: QSchemaRef,
}

impl Values {
    /// Rows of constant expressions, named `column1..` unless `names` is given.
    /// Column types are the common type of each column's values.
    pub fn try_new(rows: Vec<Vec<Expr>>, names: &[String]) -> Result<Self> {
        let width = rows.first().map_or(0, Vec::len);
        if let Some((i, _)) = rows.iter().enumerate().find(|(_, r)| r.len() != width) {
            return Err(QuiverError::Plan(format!(
                "VALUES row {} has {} values but the first row has {width}",
                i + 1,
                rows[i].len()
            )));
        }
        let empty = QSchema::empty();
        let mut fields = Vec::with_capacity(width);
        for col in 0..width {
            let mut t = DataType::Null;
            for row in &rows {
                let vt = row[col].data_type(&empty)?;
                t = common_type(&t, &vt).ok_or_else(|| {
                    QuiverError::Schema(format!(
                        "VALUES column {} mixes {} and {}",
                        col + 1,
                        sql_type_name(&t),
                        sql_type_name(&vt)
                    ))
                })?;
            }
            let name = names
                .get(col)
                .cloned()
                .unwrap_or_else(|| format!("column{}", col + 1));
            fields.push(QField::new(None, Field::new(name, t, true)));
        }
        let rows = rows
            .into_iter()
            .map(|row| {
                row.into_iter()
                    .enumerate()
                    .map(|(i, e)| e.cast_to(fields[i].field.data_type(), &empty))
                    .collect()
            })
            .collect::<Result<Vec<Vec<Expr>>>>()?;
        Ok(Self {
            rows,
            schema: Arc::new(QSchema::new(fields)),
        })
    }
}

impl Values {
    /// A table of strings with the given column names, for catalog listings
    /// such as `SHOW TABLES` (which may have no rows).
    pub fn strings(rows: Vec<Vec<String>>, names: &[&str]) -> Self {
        let fields = names
            .iter()
            .map(|n| QField::new(None, Field::new(*n, DataType::Utf8, false)))
            .collect();
        let rows = rows
            .into_iter()
            .map(|r| r.into_iter().map(string_lit).collect())
            .collect();
        Self {
            rows,
            schema: Arc::new(QSchema::new(fields)),
        }
    }
}

/// A relation with no input.
#[derive(Debug, Clone, PartialEq)]
pub struct EmptyRelation {
    /// One row (as for `SELECT 1`) or none.
    pub produce_one_row: bool,
    /// The (usually empty) schema.
    pub schema: QSchemaRef,
}

/// What an EXPLAIN shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExplainMode {
    /// `EXPLAIN`: the optimized logical plan with estimates, and the
    /// physical plan.
    Plan,
    /// `EXPLAIN VERBOSE`: also the plan before optimization and after each
    /// rule that changed it.
    Verbose,
    /// `EXPLAIN ANALYZE`: runs the query and shows the physical plan with
    /// what each operator did.
    Analyze,
}

/// EXPLAIN of a statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Explain {
    /// The explained plan.
    pub plan: Arc<LogicalPlan>,
    /// What to show.
    pub mode: ExplainMode,
    /// For `EXPLAIN VERBOSE`: (stage, plan text) from the optimizer, in order.
    pub stages: Vec<(String, String)>,
    /// The output schema: (plan_type, plan).
    pub schema: QSchemaRef,
}

impl Explain {
    /// Explains `plan`.
    pub fn new(plan: Arc<LogicalPlan>, mode: ExplainMode) -> Self {
        let schema = QSchema::new(vec![
            QField::new(None, Field::new("plan_type", DataType::Utf8, false)),
            QField::new(None, Field::new("plan", DataType::Utf8, false)),
        ]);
        Self {
            plan,
            mode,
            stages: vec![],
            schema: Arc::new(schema),
        }
    }
}

/// A file format as a statement names it (`STORED AS csv`, `COPY … (FORMAT
/// json)`, `read_parquet`), lower case: a format's name or one of its
/// extensions. The session finds the format it names among those it knows.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FormatName(String);

impl FormatName {
    /// The format called (or with the extension) `name`.
    pub fn new(name: &str) -> Self {
        Self(name.to_ascii_lowercase())
    }

    /// The name, lower case.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FormatName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_uppercase())
    }
}

/// Statements that change the catalog or the session, or write data.
#[derive(Debug, Clone, PartialEq)]
pub enum Ddl {
    /// `CREATE [OR REPLACE] VIEW name AS query`.
    CreateView {
        /// View name.
        name: String,
        /// The view's plan.
        input: Arc<LogicalPlan>,
        /// `OR REPLACE`.
        or_replace: bool,
    },
    /// `CREATE EXTERNAL TABLE name [(cols)] STORED AS fmt LOCATION 'path' [OPTIONS (..)]`.
    CreateExternalTable {
        /// Table name.
        name: String,
        /// Path, glob or directory.
        location: String,
        /// File format.
        format: FormatName,
        /// Declared columns; inferred from the files when absent.
        schema: Option<SchemaRef>,
        /// `OPTIONS ('key' 'value', ..)`, keys lower case.
        options: Vec<(String, String)>,
        /// `IF NOT EXISTS`.
        if_not_exists: bool,
    },
    /// `DROP TABLE [IF EXISTS] name`.
    DropTable {
        /// Table name.
        name: String,
        /// `IF EXISTS`.
        if_exists: bool,
    },
    /// `CREATE SCHEMA [IF NOT EXISTS] name`: a namespace for tables, views
    /// and macros (`name.t`).
    CreateSchema {
        /// Schema name.
        name: String,
        /// `IF NOT EXISTS`.
        if_not_exists: bool,
    },
    /// `DROP SCHEMA [IF EXISTS] name [CASCADE]`.
    DropSchema {
        /// Schema name.
        name: String,
        /// `IF EXISTS`.
        if_exists: bool,
        /// `CASCADE`: what the schema holds goes too (else a schema that
        /// holds anything is not dropped).
        cascade: bool,
    },
    /// `DROP VIEW [IF EXISTS] name`.
    DropView {
        /// View name.
        name: String,
        /// `IF EXISTS`.
        if_exists: bool,
    },
    /// `CREATE [OR REPLACE] TABLE [IF NOT EXISTS] name (columns)` or
    /// `CREATE TABLE name AS query`: a table held in memory.
    CreateTable {
        /// Table name.
        name: String,
        /// The columns.
        schema: SchemaRef,
        /// The rows to fill it with (`AS query`), of exactly `schema`'s types.
        input: Option<Arc<LogicalPlan>>,
        /// Each column's `DEFAULT` value as SQL text (`None`: NULL).
        defaults: Vec<Option<String>>,
        /// `PRIMARY KEY` and `UNIQUE` constraints.
        keys: Vec<UniqueKey>,
        /// `CHECK` constraints, as SQL text over the table's columns.
        checks: Vec<String>,
        /// `OR REPLACE`.
        or_replace: bool,
        /// `IF NOT EXISTS`.
        if_not_exists: bool,
    },
    /// `INSERT INTO name ..`: appends the rows of `input`, whose columns are
    /// the table's, in order and of the same types.
    Insert {
        /// Table name.
        table: String,
        /// The rows.
        input: Arc<LogicalPlan>,
        /// `RETURNING …`: what to return of the rows inserted.
        returning: Option<Returning>,
        /// What a row whose key is taken does.
        on_conflict: OnConflict,
        /// `ON CONFLICT (columns)`: the key the conflicts are on.
        conflict_columns: Option<Vec<String>>,
    },
    /// `UPDATE` or `DELETE`: `input` is every row of the table with a last
    /// BOOLEAN column, TRUE for the rows the statement changes (for an
    /// UPDATE each row has its new values), except for a DELETE without
    /// RETURNING, whose input is the rows that stay, unflagged. The table's
    /// rows are replaced at once: by all of them (UPDATE), or by the ones
    /// that stay (DELETE).
    ChangeRows {
        /// Table name.
        table: String,
        /// Every row, flagged.
        input: Arc<LogicalPlan>,
        /// Whether this is a DELETE (the flagged rows go) rather than an
        /// UPDATE.
        delete: bool,
        /// `RETURNING …`: what to return of the rows changed (as they are
        /// after an UPDATE, as they were before a DELETE).
        returning: Option<Returning>,
    },
    /// `ALTER TABLE` that changes columns: the table (made with `CREATE
    /// TABLE`) is replaced at once by the rows of `input`.
    ReplaceTable {
        /// Table name.
        name: String,
        /// The new columns.
        schema: SchemaRef,
        /// The rows, of exactly `schema`'s types.
        input: Arc<LogicalPlan>,
        /// Each column's `DEFAULT` value as SQL text (`None`: NULL).
        defaults: Vec<Option<String>>,
    },
    /// `ALTER TABLE name RENAME TO to` (a rename to the same name changes
    /// nothing).
    RenameTable {
        /// Table name.
        name: String,
        /// The new name.
        to: String,
    },
    /// `COPY .. TO 'location'`: writes the rows of `input` to files.
    CopyTo {
        /// The rows.
        input: Arc<LogicalPlan>,
        /// A file path, or a directory when partitioned.
        location: String,
        /// The file format.
        format: FormatName,
        /// Format options (`compression`, `header`, `delimiter`), keys lower
        /// case.
        options: Vec<(String, String)>,
        /// Columns whose values name the sub-directories (`a=1/b=x/..`).
        partition_by: Vec<String>,
    },
    /// `SET name = value`: changes a session setting.
    Set {
        /// The setting, lower case (`aws.region`).
        name: String,
        /// Its new value, as text.
        value: String,
    },
    /// `PREPARE name [(types)] AS statement`: keeps the statement, whose
    /// `$1`, `$2`, … (or `?`) an `EXECUTE` fills in.
    Prepare {
        /// The prepared statement's name.
        name: String,
        /// The statement, as SQL text.
        sql: String,
        /// The parameters' SQL types, when given.
        parameter_types: Vec<String>,
    },
    /// `DEALLOCATE [PREPARE] name` (or `ALL`).
    Deallocate {
        /// The prepared statement's name; `None` for all of them.
        name: Option<String>,
    },
    /// `BEGIN`, `COMMIT` or `ROLLBACK`.
    Transaction(TransactionStep),
    /// `CREATE TEMP[ORARY] TABLE | VIEW | MACRO …`: the object lives in the
    /// session only, never in its database directory.
    Temporary {
        /// The object's name.
        name: String,
        /// The CREATE statement.
        create: Box<Ddl>,
    },
    /// `CREATE [OR REPLACE] MACRO name(params) AS expr | TABLE query`.
    CreateMacro {
        /// The macro's name.
        name: String,
        /// What it takes and stands for.
        definition: Arc<Macro>,
        /// Replace a macro of that name.
        or_replace: bool,
    },
    /// `DROP MACRO [TABLE] [IF EXISTS] name`.
    DropMacro {
        /// The macro's name.
        name: String,
        /// No error when there is none.
        if_exists: bool,
    },
}

/// What an INSERT does with a row whose key (`PRIMARY KEY` or `UNIQUE`)
/// another row has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnConflict {
    /// The INSERT fails (the default).
    Error,
    /// The row is left out (`ON CONFLICT DO NOTHING`, `INSERT OR IGNORE`).
    Ignore,
    /// The row replaces the one with its key (`INSERT OR REPLACE`).
    Replace,
    /// The rows are the new values of the rows with their keys, or new
    /// rows (`ON CONFLICT DO UPDATE`, planned as the updated and the new
    /// rows); two for one key are an error.
    Update,
}

/// A `PRIMARY KEY` or `UNIQUE` constraint: no two rows of the table have
/// the same values in `columns` (rows with a NULL in them are exempt;
/// primary key columns are NOT NULL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UniqueKey {
    /// The key's columns, by position.
    pub columns: Vec<usize>,
    /// `PRIMARY KEY` rather than `UNIQUE`.
    pub primary: bool,
}

/// A macro: SQL text with parameters, expanded where it is called.
#[derive(Debug, Clone, PartialEq)]
pub struct Macro {
    /// Each parameter's name and, if it has one, its default (SQL text);
    /// those with defaults come last.
    pub parameters: Vec<(String, Option<String>)>,
    /// What a call stands for.
    pub body: MacroBody,
}

/// What a macro call stands for.
#[derive(Debug, Clone, PartialEq)]
pub enum MacroBody {
    /// An expression (a scalar macro, called like a function).
    Expr(String),
    /// A query (a table macro, called in FROM).
    Table(String),
}

/// `RETURNING …` of INSERT, UPDATE or DELETE: expressions over the rows a
/// statement wrote, named, bound to the table's columns under `qualifier`
/// (its name, or its alias).
#[derive(Debug, Clone, PartialEq)]
pub struct Returning {
    /// The qualifier the expressions' columns carry.
    pub qualifier: String,
    /// The returned columns, each aliased to its name.
    pub exprs: Vec<Expr>,
}

/// A step of an explicit transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionStep {
    /// `BEGIN [TRANSACTION]` / `START TRANSACTION`.
    Begin,
    /// `COMMIT` / `END`.
    Commit,
    /// `ROLLBACK` / `ABORT`.
    Rollback,
}

fn empty_schema() -> &'static QSchema {
    static EMPTY: std::sync::OnceLock<QSchema> = std::sync::OnceLock::new();
    EMPTY.get_or_init(QSchema::empty)
}

impl LogicalPlan {
    /// The output schema.
    pub fn schema(&self) -> &QSchema {
        match self {
            LogicalPlan::TableScan(s) => &s.schema,
            LogicalPlan::Projection(p) => &p.schema,
            LogicalPlan::Filter(f) => f.input.schema(),
            LogicalPlan::Aggregate(a) => &a.schema,
            LogicalPlan::Window(w) => &w.schema,
            LogicalPlan::Expand(e) => &e.schema,
            LogicalPlan::Unnest(u) => &u.schema,
            LogicalPlan::RecursiveQuery(r) => &r.schema,
            LogicalPlan::Sort(s) => s.input.schema(),
            LogicalPlan::Limit(l) => l.input.schema(),
            LogicalPlan::SubqueryAlias(a) => &a.schema,
            LogicalPlan::Values(v) => &v.schema,
            LogicalPlan::EmptyRelation(e) => &e.schema,
            LogicalPlan::Explain(e) => &e.schema,
            LogicalPlan::Ddl(_) => empty_schema(),
            LogicalPlan::Join(j) => &j.schema,
            LogicalPlan::AsofJoin(j) => &j.schema,
            LogicalPlan::PositionalJoin(j) => &j.schema,
            LogicalPlan::Union(u) => &u.schema,
            LogicalPlan::SetOperation(s) => s.left.schema(),
        }
    }

    /// How many levels of nodes the plan has, counted without recursion
    /// (a plan can be nested deeper than the stack would allow).
    pub fn depth(&self) -> usize {
        let mut deepest = 0;
        let mut pending = vec![(self, 1)];
        while let Some((plan, level)) = pending.pop() {
            deepest = deepest.max(level);
            pending.extend(plan.inputs().into_iter().map(|i| (i.as_ref(), level + 1)));
        }
        deepest
    }

    /// The direct inputs.
    pub fn inputs(&self) -> Vec<&Arc<LogicalPlan>> {
        match self {
            LogicalPlan::Projection(p) => vec![&p.input],
            LogicalPlan::Filter(f) => vec![&f.input],
            LogicalPlan::Aggregate(a) => vec![&a.input],
            LogicalPlan::Window(w) => vec![&w.input],
            LogicalPlan::Expand(e) => vec![&e.input],
            LogicalPlan::Unnest(u) => vec![&u.input],
            LogicalPlan::RecursiveQuery(r) => vec![&r.static_term, &r.recursive_term],
            LogicalPlan::Sort(s) => vec![&s.input],
            LogicalPlan::Limit(l) => vec![&l.input],
            LogicalPlan::SubqueryAlias(a) => vec![&a.input],
            LogicalPlan::Explain(e) => vec![&e.plan],
            LogicalPlan::Join(j) => vec![&j.left, &j.right],
            LogicalPlan::AsofJoin(j) => vec![&j.left, &j.right],
            LogicalPlan::PositionalJoin(j) => vec![&j.left, &j.right],
            LogicalPlan::Union(u) => u.inputs.iter().collect(),
            LogicalPlan::SetOperation(s) => vec![&s.left, &s.right],
            LogicalPlan::TableScan(_)
            | LogicalPlan::Values(_)
            | LogicalPlan::EmptyRelation(_)
            | LogicalPlan::Ddl(_) => {
                vec![]
            }
        }
    }

    /// A copy of this node over new inputs (same count and order as
    /// [`LogicalPlan::inputs`]); schemas are recomputed.
    pub fn with_new_inputs(&self, mut inputs: Vec<Arc<LogicalPlan>>) -> Result<LogicalPlan> {
        if inputs.len() != self.inputs().len() {
            return Err(QuiverError::Internal(
                "with_new_inputs: wrong number of inputs".into(),
            ));
        }
        let mut one = || inputs.remove(0);
        Ok(match self {
            LogicalPlan::Projection(p) => LogicalPlan::Projection(
                Projection::try_new(p.exprs.clone(), one())?.with_hidden(&p.hidden()),
            ),
            LogicalPlan::Filter(f) => {
                LogicalPlan::Filter(Filter::try_new(f.predicate.clone(), one())?)
            }
            LogicalPlan::Aggregate(a) => LogicalPlan::Aggregate(Aggregate::try_new(
                one(),
                a.group_exprs.clone(),
                a.aggr_exprs.clone(),
            )?),
            LogicalPlan::Window(w) => {
                LogicalPlan::Window(Window::try_new(one(), w.window_exprs.clone())?)
            }
            LogicalPlan::Expand(e) => {
                LogicalPlan::Expand(Expand::try_new(one(), e.projections.clone())?)
            }
            LogicalPlan::Unnest(u) => {
                LogicalPlan::Unnest(Unnest::try_new(one(), u.columns.clone())?)
            }
            LogicalPlan::RecursiveQuery(r) => LogicalPlan::RecursiveQuery(RecursiveQuery::try_new(
                &r.name,
                one(),
                one(),
                r.distinct,
                Arc::clone(&r.work_table),
            )?),
            LogicalPlan::Sort(s) => LogicalPlan::Sort(Sort {
                exprs: s.exprs.clone(),
                input: one(),
                fetch: s.fetch,
            }),
            LogicalPlan::Limit(l) => LogicalPlan::Limit(Limit {
                skip: l.skip,
                fetch: l.fetch,
                input: one(),
            }),
            LogicalPlan::SubqueryAlias(a) => {
                let names: Vec<String> = a.schema.field_names();
                LogicalPlan::SubqueryAlias(SubqueryAlias::try_new(one(), &a.alias, &names)?)
            }
            LogicalPlan::Explain(e) => LogicalPlan::Explain(Explain {
                plan: one(),
                ..e.clone()
            }),
            LogicalPlan::Join(j) => {
                let left = one();
                LogicalPlan::Join(j.with_inputs(left, one())?)
            }
            LogicalPlan::AsofJoin(j) => {
                let left = one();
                LogicalPlan::AsofJoin(j.with_inputs(left, one())?)
            }
            LogicalPlan::PositionalJoin(_) => {
                let left = one();
                LogicalPlan::PositionalJoin(PositionalJoin::new(left, one()))
            }
            LogicalPlan::Union(_) => LogicalPlan::Union(Union::try_new(inputs)?),
            LogicalPlan::SetOperation(s) => {
                let left = one();
                LogicalPlan::SetOperation(SetOperation::try_new(left, one(), s.op, s.all)?)
            }
            leaf => leaf.clone(),
        })
    }

    /// The plan as an indented tree, one node per line.
    pub fn display_indent(&self) -> String {
        let mut out = String::new();
        self.write_indent(&mut out, 0);
        out
    }

    fn write_indent(&self, out: &mut String, depth: usize) {
        let _ = writeln!(out, "{}{}", "  ".repeat(depth), self.describe_node());
        for input in self.inputs() {
            input.write_indent(out, depth + 1);
        }
    }

    /// A one-line description of this node (without its inputs).
    pub fn describe_node(&self) -> String {
        let list = |es: &[Expr]| {
            es.iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            LogicalPlan::TableScan(s) => {
                let cols: Vec<&str> = s.schema.fields().iter().map(|f| f.name()).collect();
                let fetch = s.fetch.map(|f| format!(" fetch={f}")).unwrap_or_default();
                format!(
                    "TableScan: {} projection=[{}]{fetch}",
                    s.table_name,
                    cols.join(", ")
                )
            }
            LogicalPlan::Projection(p) => format!("Projection: {}", list(&p.exprs)),
            LogicalPlan::Filter(f) => format!("Filter: {}", f.predicate),
            LogicalPlan::Aggregate(a) => {
                format!(
                    "Aggregate: groupBy=[{}], aggr=[{}]",
                    list(&a.group_exprs),
                    list(&a.aggr_exprs)
                )
            }
            LogicalPlan::Window(w) => format!("Window: {}", list(&w.window_exprs)),
            LogicalPlan::Expand(e) => {
                let lists: Vec<String> = e
                    .projections
                    .iter()
                    .map(|l| format!("[{}]", list(l)))
                    .collect();
                format!("Expand: {}", lists.join(", "))
            }
            LogicalPlan::RecursiveQuery(r) => format!(
                "RecursiveQuery: {} ({})",
                r.name,
                if r.distinct { "UNION" } else { "UNION ALL" }
            ),
            LogicalPlan::Unnest(u) => {
                let names: Vec<String> = u
                    .columns
                    .iter()
                    .map(|c| u.input.schema().field(c.input).column().to_string())
                    .collect();
                format!("Unnest: {}", names.join(", "))
            }
            LogicalPlan::Sort(s) => {
                let keys: Vec<String> = s.exprs.iter().map(|e| e.to_string()).collect();
                match s.fetch {
                    Some(n) => format!("Sort: {} fetch={n}", keys.join(", ")),
                    None => format!("Sort: {}", keys.join(", ")),
                }
            }
            LogicalPlan::Limit(l) => format!(
                "Limit: skip={}, fetch={}",
                l.skip,
                l.fetch.map_or("None".to_string(), |f| f.to_string())
            ),
            LogicalPlan::SubqueryAlias(a) => format!("SubqueryAlias: {}", a.alias),
            LogicalPlan::Values(v) => format!("Values: {} rows", v.rows.len()),
            LogicalPlan::EmptyRelation(e) => {
                format!("EmptyRelation: rows={}", u8::from(e.produce_one_row))
            }
            LogicalPlan::Explain(e) => {
                format!("Explain: {:?}", e.mode)
            }
            LogicalPlan::Join(j) => {
                let mut text = format!("Join: {}", j.join_type);
                if !j.on.is_empty() {
                    let keys: Vec<String> =
                        j.on.iter().map(|(l, r)| format!("{l} = {r}")).collect();
                    text.push_str(&format!(" on=[{}]", keys.join(", ")));
                }
                if let Some(f) = &j.filter {
                    text.push_str(&format!(" filter={f}"));
                }
                if j.null_aware {
                    text.push_str(" null_aware");
                }
                text
            }
            LogicalPlan::AsofJoin(j) => {
                let kind = if j.keep_unmatched { "Left" } else { "Inner" };
                let keys: Vec<String> = j.on.iter().map(|(l, r)| format!("{l} = {r}")).collect();
                format!(
                    "AsofJoin: {kind} on=[{}] time={} {} {}",
                    keys.join(", "),
                    j.times.0,
                    j.comparison.symbol(),
                    j.times.1
                )
            }
            LogicalPlan::PositionalJoin(_) => "PositionalJoin".to_string(),
            LogicalPlan::Union(_) => "Union".to_string(),
            LogicalPlan::SetOperation(s) => {
                format!("{:?}{}", s.op, if s.all { " All" } else { "" })
            }
            LogicalPlan::Ddl(d) => match d {
                Ddl::CreateView { name, .. } => format!("CreateView: {name}"),
                Ddl::CreateExternalTable {
                    name,
                    location,
                    format,
                    ..
                } => {
                    format!("CreateExternalTable: {name} STORED AS {format} LOCATION '{location}'")
                }
                Ddl::DropTable { name, .. } => format!("DropTable: {name}"),
                Ddl::DropView { name, .. } => format!("DropView: {name}"),
                Ddl::CreateSchema { name, .. } => format!("CreateSchema: {name}"),
                Ddl::DropSchema { name, .. } => format!("DropSchema: {name}"),
                Ddl::CreateTable { name, .. } => format!("CreateTable: {name}"),
                Ddl::Insert { table, .. } => format!("Insert: {table}"),
                Ddl::ChangeRows {
                    table,
                    delete: true,
                    ..
                } => format!("Delete: {table}"),
                Ddl::ChangeRows { table, .. } => format!("Update: {table}"),
                Ddl::ReplaceTable { name, .. } => format!("AlterTable: {name}"),
                Ddl::RenameTable { name, to } => format!("RenameTable: {name} to {to}"),
                Ddl::CopyTo {
                    location, format, ..
                } => format!("CopyTo: '{location}' FORMAT {format}"),
                // The value may be a secret.
                Ddl::Set { name, .. } => format!("Set: {name}"),
                Ddl::Prepare { name, .. } => format!("Prepare: {name}"),
                Ddl::Deallocate { name } => {
                    format!("Deallocate: {}", name.as_deref().unwrap_or("ALL"))
                }
                Ddl::Transaction(step) => format!("Transaction: {step:?}"),
                Ddl::Temporary { name, .. } => format!("CreateTemporary: {name}"),
                Ddl::CreateMacro { name, .. } => format!("CreateMacro: {name}"),
                Ddl::DropMacro { name, .. } => format!("DropMacro: {name}"),
            },
        }
    }
}

/// A one-row, no-column relation (`SELECT 1` reads from it).
pub fn one_row() -> LogicalPlan {
    LogicalPlan::EmptyRelation(EmptyRelation {
        produce_one_row: true,
        schema: Arc::new(QSchema::empty()),
    })
}

/// A literal string expression; a helper for catalog listings.
pub fn string_lit(s: impl Into<String>) -> Expr {
    Expr::Literal(ScalarValue::Utf8(Some(s.into())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::Operator;
    use crate::schema::Column;

    fn values() -> Arc<LogicalPlan> {
        let rows = vec![
            vec![Expr::lit(ScalarValue::Int64(Some(1))), string_lit("a")],
            vec![Expr::lit(ScalarValue::Int64(None)), string_lit("b")],
        ];
        Arc::new(LogicalPlan::Values(Values::try_new(rows, &[]).unwrap()))
    }

    #[test]
    fn values_types_and_names() {
        let v = values();
        let s = v.schema();
        assert_eq!(s.field(0).name(), "column1");
        assert_eq!(s.field(0).field.data_type(), &DataType::Int64);
        assert_eq!(s.field(1).field.data_type(), &DataType::Utf8);
        let ragged = vec![vec![string_lit("a")], vec![]];
        assert!(Values::try_new(ragged, &[])
            .unwrap_err()
            .to_string()
            .contains("row 2"));
    }

    #[test]
    fn string_tables_keep_their_columns_when_empty() {
        let v = Values::strings(vec![], &["name", "type"]);
        assert_eq!(v.schema.len(), 2);
        let v = Values::strings(vec![vec!["t".into(), "view".into()]], &["name", "type"]);
        assert_eq!(v.rows[0][1], string_lit("view"));
    }

    #[test]
    fn projection_alias_and_indent() {
        let v = Arc::new(LogicalPlan::SubqueryAlias(
            SubqueryAlias::try_new(values(), "t", &["x".to_string()]).unwrap(),
        ));
        let e = Expr::col(Column::new(Some("t"), "x"))
            .binary(Operator::Plus, Expr::lit(ScalarValue::Int64(Some(1))));
        let p = LogicalPlan::Projection(Projection::try_new(vec![e.alias("y")], v).unwrap());
        assert_eq!(p.schema().field(0).name(), "y");
        assert_eq!(
            p.display_indent(),
            "Projection: (t.x + 1) AS y\n  SubqueryAlias: t\n    Values: 2 rows\n"
        );
    }

    #[test]
    fn filter_requires_boolean() {
        let err = Filter::try_new(string_lit("x"), values())
            .unwrap_err()
            .to_string();
        assert!(err.contains("must be BOOLEAN"), "{err}");
    }
}
