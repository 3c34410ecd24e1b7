//! A table source and plan helpers for rule tests.

use std::any::Any;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use quiver_expr::expr::{AggregateCall, AggregateFunctionRef};
use quiver_expr::logical_plan::{
    Aggregate, Filter, Join, JoinType, Limit, Projection, Sort, TableScan,
};
use quiver_expr::{
    AggregateFunction, Column, ColumnStatistics, Expr, GroupsAccumulator, LogicalPlan, Operator,
    QuiverError, Result, ScalarValue, SortExpr, TableSource,
};

/// A table with columns a, b, c (BIGINT) and s (VARCHAR); it is never read.
#[derive(Debug)]
pub struct TestTable;

impl TableSource for TestTable {
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn schema(&self) -> SchemaRef {
        Arc::new(Schema::new(vec![
            Field::new("a", DataType::Int64, true),
            Field::new("b", DataType::Int64, true),
            Field::new("c", DataType::Int64, true),
            Field::new("s", DataType::Utf8, true),
        ]))
    }
}

/// The test table's columns with a row count, and statistics for column
/// `a`: values `min..=max` (all distinct) and `nulls` NULLs.
#[derive(Debug)]
pub struct StatsTable {
    rows: usize,
    a: ColumnStatistics,
}

impl TableSource for StatsTable {
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn schema(&self) -> SchemaRef {
        TestTable.schema()
    }
    fn estimated_rows(&self) -> Option<usize> {
        Some(self.rows)
    }
    fn column_statistics(&self, column: usize) -> Option<ColumnStatistics> {
        (column == 0).then(|| self.a.clone())
    }
}

/// A scan of a [`StatsTable`] named `name`.
pub fn stats_scan(name: &str, rows: usize, min: i64, max: i64, nulls: usize) -> Arc<LogicalPlan> {
    let a = ColumnStatistics {
        min: Some(ScalarValue::Int64(Some(min))),
        max: Some(ScalarValue::Int64(Some(max))),
        null_count: Some(nulls),
        distinct: usize::try_from(max - min + 1).ok(),
    };
    let table = Arc::new(StatsTable { rows, a });
    Arc::new(LogicalPlan::TableScan(
        TableScan::try_new(name, table, None).unwrap(),
    ))
}

/// An inner join of `left` and `right` on `l = r`.
pub fn join_on(
    left: Arc<LogicalPlan>,
    right: Arc<LogicalPlan>,
    l: Expr,
    r: Expr,
) -> Arc<LogicalPlan> {
    Arc::new(LogicalPlan::Join(
        Join::try_new(left, right, JoinType::Inner, vec![(l, r)], None, false).unwrap(),
    ))
}

/// `input` grouped by `key` with no aggregates.
pub fn aggregate_by(key: Expr, input: Arc<LogicalPlan>) -> Arc<LogicalPlan> {
    Arc::new(LogicalPlan::Aggregate(
        Aggregate::try_new(input, vec![key], vec![]).unwrap(),
    ))
}

pub fn scan() -> Arc<LogicalPlan> {
    scan_as("t")
}

/// The test table under another name.
pub fn scan_as(name: &str) -> Arc<LogicalPlan> {
    Arc::new(LogicalPlan::TableScan(
        TableScan::try_new(name, Arc::new(TestTable), None).unwrap(),
    ))
}

pub fn col(name: &str) -> Expr {
    qcol("t", name)
}

/// A column of table `table`.
pub fn qcol(table: &str, name: &str) -> Expr {
    Expr::Column(Column::new(Some(table), name))
}

pub fn eq(l: Expr, r: Expr) -> Expr {
    l.binary(Operator::Eq, r)
}

pub fn lit(v: i64) -> Expr {
    Expr::Literal(ScalarValue::Int64(Some(v)))
}

/// `rule`'s rewrite of `plan`, checking that the rule says it changed the
/// plan exactly when it did.
pub fn rewritten(rule: &dyn crate::OptimizerRule, plan: &LogicalPlan) -> LogicalPlan {
    let out = rule.rewrite(plan.clone()).unwrap();
    assert_eq!(
        out.transformed,
        &out.data != plan,
        "{} reported transformed={} for\n{}\n->\n{}",
        rule.name(),
        out.transformed,
        plan.display_indent(),
        out.data.display_indent()
    );
    out.data
}

/// `rule`'s rewrite of `plan`, as EXPLAIN shows it.
pub fn rewritten_text(rule: &dyn crate::OptimizerRule, plan: Arc<LogicalPlan>) -> String {
    rewritten(rule, &plan).display_indent()
}

/// The top line (the filter) of `rule`'s rewrite of the test table
/// filtered by `predicate`.
pub fn filter_line_after(rule: &dyn crate::OptimizerRule, predicate: Expr) -> String {
    let plan = filter(predicate, scan());
    rewritten(rule, &plan)
        .display_indent()
        .lines()
        .next()
        .unwrap_or("")
        .to_string()
}

pub fn filter(predicate: Expr, input: Arc<LogicalPlan>) -> Arc<LogicalPlan> {
    Arc::new(LogicalPlan::Filter(
        Filter::try_new(predicate, input).unwrap(),
    ))
}

pub fn project(exprs: Vec<Expr>, input: Arc<LogicalPlan>) -> Arc<LogicalPlan> {
    Arc::new(LogicalPlan::Projection(
        Projection::try_new(exprs, input).unwrap(),
    ))
}

pub fn sort(by: Expr, input: Arc<LogicalPlan>) -> Arc<LogicalPlan> {
    Arc::new(LogicalPlan::Sort(Sort {
        exprs: vec![SortExpr {
            expr: by,
            asc: true,
            nulls_first: false,
        }],
        input,
        fetch: None,
    }))
}

pub fn limit(skip: usize, fetch: usize, input: Arc<LogicalPlan>) -> LogicalPlan {
    LogicalPlan::Limit(Limit {
        skip,
        fetch: Some(fetch),
        input,
    })
}

pub fn gt(l: Expr, r: Expr) -> Expr {
    l.binary(Operator::Gt, r)
}

/// An aggregate `sum` of BIGINTs for plans that are rewritten, never run.
#[derive(Debug)]
struct PlanOnlySum;

impl AggregateFunction for PlanOnlySum {
    fn name(&self) -> &'static str {
        "sum"
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        Ok(arg_types.to_vec())
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }
    fn state_fields(&self, name: &str, _: &[DataType]) -> Result<Vec<Field>> {
        Ok(vec![Field::new(name, DataType::Int64, true)])
    }
    fn create_accumulator(&self, _: &[DataType]) -> Result<Box<dyn GroupsAccumulator>> {
        Err(QuiverError::Internal("rule tests do not run plans".into()))
    }
}

/// `sum(e)`.
pub fn sum_of(e: Expr) -> Expr {
    Expr::Aggregate(AggregateCall {
        func: AggregateFunctionRef(Arc::new(PlanOnlySum)),
        args: vec![e],
        distinct: false,
        order_by: vec![],
        filter: None,
    })
}

/// The aggregate call `call` with DISTINCT.
pub fn distinct(call: Expr) -> Expr {
    match call {
        Expr::Aggregate(call) => Expr::Aggregate(AggregateCall {
            distinct: true,
            ..call
        }),
        other => other,
    }
}

/// `sum(e) OVER (PARTITION BY partition_by)`.
pub fn sum_over(e: Expr, partition_by: Vec<Expr>) -> Expr {
    Expr::Window(Box::new(quiver_expr::WindowCall {
        kind: quiver_expr::WindowKind::Aggregate(AggregateFunctionRef(Arc::new(PlanOnlySum))),
        args: vec![e],
        distinct: false,
        ignore_nulls: false,
        partition_by,
        order_by: vec![],
        frame: quiver_expr::WindowFrame::default_for(false),
    }))
}

/// A window operator computing `calls` over `input`.
pub fn windowed(calls: Vec<Expr>, input: Arc<LogicalPlan>) -> Arc<LogicalPlan> {
    Arc::new(LogicalPlan::Window(
        quiver_expr::logical_plan::Window::try_new(input, calls).unwrap(),
    ))
}
