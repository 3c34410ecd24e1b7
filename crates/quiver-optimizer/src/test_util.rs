//! A table source and plan helpers for rule tests.

use std::any::Any;
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use quiver_expr::logical_plan::{Filter, Limit, Projection, Sort, TableScan};
use quiver_expr::{Column, Expr, LogicalPlan, Operator, ScalarValue, SortExpr, TableSource};

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
