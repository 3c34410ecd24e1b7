//! `TABLESAMPLE` after a table or subquery in FROM: `BERNOULLI (p)` or
//! `SYSTEM (p)` (also `(p PERCENT)`) keeps each row with probability p%,
//! drawn anew for every row; `(n ROWS)` keeps n rows chosen uniformly at
//! random (all of them when there are fewer). Every run draws again,
//! unless a seed is given (`REPEATABLE (42)`): then each row's draw comes
//! from the hash of its values and the seed, so the same rows are drawn
//! every time, whatever the partitioning (equal rows are kept or left
//! together).

use std::sync::Arc;

use arrow::datatypes::DataType;
use quiver_expr::logical_plan::{Filter, Sort};
use quiver_expr::{
    not_impl_err, Expr, LogicalPlan, Operator, QSchema, QuiverError, Result, ScalarValue,
};
use sqlparser::ast::{self, TableSampleKind, TableSampleUnit};

use super::expr::cast_expr;
use super::SqlPlanner;

impl SqlPlanner<'_> {
    /// A number in [0, 1) for each row of `schema`, drawn from the hash of
    /// its values and `seed`: the same rows are drawn every time.
    fn seeded_draw(&self, schema: &QSchema, seed: &ast::Value) -> Result<Expr> {
        let ast::Value::Number(seed, _) = seed else {
            return Err(QuiverError::Plan(format!(
                "a TABLESAMPLE seed is a whole number, not {seed}"
            )));
        };
        let seed: i64 = seed.parse().map_err(|_| {
            QuiverError::Plan(format!("a TABLESAMPLE seed is a whole number, not {seed}"))
        })?;
        let mut values: Vec<Expr> = schema
            .fields()
            .iter()
            .filter(|f| !f.hidden)
            .map(|f| Expr::Column(f.column()))
            .collect();
        values.push(Expr::Literal(ScalarValue::Int64(Some(seed))));
        let hash = self.call_scalar("hash", values, schema)?;
        let as_double = cast_expr(hash, &DataType::Float64, schema)?;
        // 2^64: hashes spread over the whole UBIGINT range.
        let range = Expr::Literal(ScalarValue::Float64(Some(18_446_744_073_709_551_616.0)));
        Ok(as_double.binary(Operator::Divide, range))
    }

    /// `plan` sampled as `sample` says.
    pub(crate) fn sampled(
        &self,
        plan: LogicalPlan,
        sample: &TableSampleKind,
    ) -> Result<LogicalPlan> {
        let (TableSampleKind::BeforeTableAlias(s) | TableSampleKind::AfterTableAlias(s)) = sample;
        if s.bucket.is_some() || s.offset.is_some() {
            return not_impl_err!(
                "{s} is not supported; TABLESAMPLE takes a percentage or a number of rows"
            );
        }
        let Some(quantity) = &s.quantity else {
            return Err(QuiverError::Plan(format!(
                "{s} needs a percentage or a number of rows"
            )));
        };
        let amount = match &quantity.value {
            ast::Expr::Value(v) => match &v.value {
                ast::Value::Number(n, _) => n.parse::<f64>().ok(),
                _ => None,
            },
            _ => None,
        };
        let Some(amount) = amount.filter(|a| a.is_finite() && *a >= 0.0) else {
            return Err(QuiverError::Plan(format!(
                "TABLESAMPLE needs a number that is not negative, not {}",
                quantity.value
            )));
        };
        let schema = plan.schema().clone();
        let random = match &s.seed {
            None => self.call_scalar("random", vec![], &schema)?,
            Some(seed) => self.seeded_draw(&schema, &seed.value.value)?,
        };
        match quantity.unit {
            Some(TableSampleUnit::Rows) => {
                if amount.fract() != 0.0 {
                    return Err(QuiverError::Plan(format!(
                        "TABLESAMPLE ({amount} ROWS) needs a whole number of rows"
                    )));
                }
                // The first n rows in a random order.
                Ok(LogicalPlan::Sort(Sort {
                    exprs: vec![quiver_expr::expr::SortExpr {
                        expr: random,
                        asc: true,
                        nulls_first: false,
                    }],
                    input: Arc::new(plan),
                    fetch: Some(amount as usize),
                }))
            }
            Some(TableSampleUnit::Percent) | None => {
                if amount > 100.0 {
                    return Err(QuiverError::Plan(format!(
                        "TABLESAMPLE takes a percentage up to 100, not {amount}"
                    )));
                }
                let fraction = Expr::Literal(ScalarValue::Float64(Some(amount / 100.0)));
                let keep = random.binary(Operator::Lt, fraction);
                Ok(LogicalPlan::Filter(Filter::try_new(keep, Arc::new(plan))?))
            }
        }
    }
}
