//! GROUP BY with grouping sets: `ROLLUP`, `CUBE`, `GROUPING SETS`, their
//! mixes with plain keys, `GROUP BY ALL`, and `GROUPING(...)`.
//!
//! A query grouped by several sets aggregates every input row once per
//! set: an [`Expand`] emits each row once per set, with the keys the set
//! leaves out as NULL and the set's number in a column of its own, and one
//! aggregation groups by the keys and that number. The input is read once.
//! Where a set is empty (the grand total of a ROLLUP), SQL wants its row
//! even over no input rows, as a global aggregate gives; a probe of the
//! input's first row adds it then.

use std::sync::Arc;

use arrow::datatypes::DataType;
use quiver_expr::logical_plan::{Aggregate, Expand, Filter, Limit, Projection, Union};
use quiver_expr::{
    not_impl_err, AggregateCall, AggregateFunctionRef, ColumnarValue, Expr, LogicalPlan, Operator,
    QSchema, QuiverError, Result, ScalarFunction, ScalarFunctionRef, ScalarValue,
};
use sqlparser::ast::{self, GroupByExpr, GroupByWithModifier};

use super::SqlPlanner;

/// The most grouping sets one GROUP BY may make (a CUBE of 12 keys).
const MAX_GROUPING_SETS: usize = 4096;

/// The name of the column that numbers the grouping sets.
const SET_COLUMN: &str = "__grouping_set";

/// What a SELECT groups by.
#[derive(Debug)]
pub(super) struct Grouping {
    /// The distinct key expressions, in order of appearance.
    pub keys: Vec<Expr>,
    /// The sets to group by, each as positions in `keys`; one set of every
    /// key for a plain GROUP BY.
    pub sets: Vec<Vec<usize>>,
    /// Whether there was a GROUP BY clause (`GROUP BY ()` groups with no
    /// keys, as a global aggregate).
    pub explicit: bool,
}

impl Grouping {
    /// Whether one aggregation by every key is all it takes.
    fn is_plain(&self) -> bool {
        self.sets.len() == 1 && self.sets[0].len() == self.keys.len()
    }

    /// The expressions a rebased select list finds at the aggregation's
    /// group columns: the keys, then (with several sets) the set number,
    /// which no user expression equals.
    pub fn group_columns(&self) -> Vec<Expr> {
        let mut out = self.keys.clone();
        if !self.is_plain() {
            out.push(Expr::Column(quiver_expr::Column::new(
                None::<String>,
                SET_COLUMN,
            )));
        }
        out
    }
}

/// `GROUPING(a, b)` as bound, before the grouping is known: a placeholder
/// that [`resolve_grouping_calls`] replaces once it is. Never evaluated.
#[derive(Debug)]
struct GroupingCall;

impl ScalarFunction for GroupingCall {
    fn name(&self) -> &str {
        "grouping"
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if arg_types.is_empty() {
            return Err(QuiverError::Plan(
                "GROUPING() needs at least one argument".into(),
            ));
        }
        Ok(arg_types.to_vec())
    }
    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }
    fn invoke(&self, _args: &[ColumnarValue], _num_rows: usize) -> Result<ColumnarValue> {
        Err(QuiverError::Internal(
            "GROUPING() was not resolved against its GROUP BY".into(),
        ))
    }
}

/// A bound `GROUPING(args)` (also `grouping_id`).
pub(super) fn grouping_call(args: Vec<Expr>) -> Result<Expr> {
    GroupingCall.coerce_types(&vec![DataType::Null; args.len()])?;
    Ok(Expr::ScalarFunction(
        ScalarFunctionRef(Arc::new(GroupingCall)),
        args,
    ))
}

fn is_grouping_call(e: &Expr) -> bool {
    matches!(e, Expr::ScalarFunction(f, _) if f.0.name() == "grouping")
}

/// Whether `e` calls `GROUPING(...)`.
pub(super) fn contains_grouping_call(e: &Expr) -> bool {
    e.any(&mut is_grouping_call)
}

/// `e` with every `GROUPING(args)` replaced by its value: per set, a bit
/// per argument (the first the highest), set where the set leaves the
/// argument out.
pub(super) fn resolve_grouping_calls(e: &Expr, grouping: &Grouping) -> Result<Expr> {
    e.clone().rewrite(&mut |x| {
        let Expr::ScalarFunction(_, args) = x else {
            return Ok(None);
        };
        if !is_grouping_call(x) {
            return Ok(None);
        }
        let positions = args
            .iter()
            .map(|a| {
                grouping.keys.iter().position(|k| k == a).ok_or_else(|| {
                    QuiverError::Plan(format!(
                        "GROUPING() takes GROUP BY expressions; {a} is not one"
                    ))
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let value_in = |set: &[usize]| {
            positions
                .iter()
                .fold(0i64, |bits, p| bits << 1 | i64::from(!set.contains(p)))
        };
        let values: Vec<i64> = grouping.sets.iter().map(|s| value_in(s)).collect();
        let literal = |v: i64| Expr::Literal(ScalarValue::Int64(Some(v)));
        if grouping.is_plain() || values.iter().all(|v| *v == values[0]) {
            return Ok(Some(literal(values[0])));
        }
        let set_column = Expr::Column(quiver_expr::Column::new(None::<String>, SET_COLUMN));
        Ok(Some(Expr::Case {
            operand: Some(Box::new(set_column)),
            when_then: values
                .iter()
                .enumerate()
                .map(|(set, v)| (literal(set as i64), literal(*v)))
                .collect(),
            else_expr: None,
        }))
    })
}

/// Every combination of one set from each list: their unions, in order.
fn cross(lists: Vec<Vec<Vec<usize>>>) -> Result<Vec<Vec<usize>>> {
    let mut out: Vec<Vec<usize>> = vec![vec![]];
    for list in lists {
        if out.len().saturating_mul(list.len()) > MAX_GROUPING_SETS {
            return Err(QuiverError::Plan(format!(
                "GROUP BY makes more than {MAX_GROUPING_SETS} grouping sets"
            )));
        }
        out = out
            .iter()
            .flat_map(|left| {
                list.iter().map(move |right| {
                    let mut set = left.clone();
                    set.extend(right.iter().filter(|k| !left.contains(k)));
                    set
                })
            })
            .collect();
    }
    Ok(out)
}

impl SqlPlanner<'_> {
    /// The grouping of a SELECT from its GROUP BY clause; select items
    /// (bound) name aliases and positions, and the targets of GROUP BY ALL.
    pub(super) fn grouping(
        &self,
        group_by: &GroupByExpr,
        items: &[(Expr, String)],
        schema: &QSchema,
    ) -> Result<Grouping> {
        let mut keys = vec![];
        let (exprs, modifiers) = match group_by {
            GroupByExpr::All(modifiers) => {
                if !modifiers.is_empty() {
                    return not_impl_err!("GROUP BY ALL with modifiers is not supported");
                }
                for (e, _) in items {
                    if !e.contains_aggregate() && !e.contains_window() && !keys.contains(e) {
                        keys.push(e.clone());
                    }
                }
                let sets = vec![(0..keys.len()).collect()];
                return self.checked(Grouping {
                    keys,
                    sets,
                    explicit: true,
                });
            }
            GroupByExpr::Expressions(exprs, modifiers) => (exprs, modifiers),
        };
        let mut lists = vec![];
        for e in exprs {
            lists.push(self.sets_of(e, items, schema, &mut keys)?);
        }
        match modifiers.as_slice() {
            [] => {}
            // MySQL's `GROUP BY a, b WITH ROLLUP`: each element a key.
            [GroupByWithModifier::Rollup] => lists = vec![rollup(elements_of(lists))],
            [GroupByWithModifier::Cube] => lists = vec![cube(elements_of(lists))?],
            other => {
                let text: Vec<String> = other.iter().map(|m| m.to_string()).collect();
                return not_impl_err!("GROUP BY ... {} is not supported", text.join(" "));
            }
        }
        let explicit = !exprs.is_empty();
        self.checked(Grouping {
            keys,
            sets: cross(lists)?,
            explicit,
        })
    }

    fn checked(&self, grouping: Grouping) -> Result<Grouping> {
        if let Some(k) = grouping.keys.iter().find(|k| k.contains_aggregate()) {
            return Err(QuiverError::Plan(format!(
                "aggregate functions are not allowed in GROUP BY ({k})"
            )));
        }
        if let Some(k) = grouping.keys.iter().find(|k| k.contains_window()) {
            return Err(QuiverError::Plan(format!(
                "window functions are not allowed in GROUP BY ({k})"
            )));
        }
        Ok(grouping)
    }

    /// The grouping sets one GROUP BY element stands for, with its keys
    /// added to `keys`.
    fn sets_of(
        &self,
        e: &ast::Expr,
        items: &[(Expr, String)],
        schema: &QSchema,
        keys: &mut Vec<Expr>,
    ) -> Result<Vec<Vec<usize>>> {
        let mut elements = |list: &[Vec<ast::Expr>]| -> Result<Vec<Vec<usize>>> {
            list.iter()
                .map(|tuple| Ok(self.tuple_sets(tuple, items, schema, keys)?.concat()))
                .collect()
        };
        Ok(match e {
            ast::Expr::Rollup(list) => rollup(elements(list)?),
            ast::Expr::Cube(list) => cube(elements(list)?)?,
            ast::Expr::GroupingSets(list) => {
                let mut sets = vec![];
                for tuple in list {
                    sets.extend(self.tuple_sets(tuple, items, schema, keys)?);
                }
                sets
            }
            ast::Expr::Tuple(list) if list.is_empty() => vec![vec![]],
            // `GROUP BY (a, b)` groups by a and b, as in DuckDB and
            // PostgreSQL, not by a tuple.
            ast::Expr::Tuple(list) => self.tuple_sets(list, items, schema, keys)?,
            // Inside GROUPING SETS the parser reads ROLLUP and CUBE as calls.
            ast::Expr::Function(f) => match rollup_or_cube_call(f) {
                Some((is_cube, list)) => {
                    let elements = elements(&list)?;
                    if is_cube {
                        cube(elements)?
                    } else {
                        rollup(elements)
                    }
                }
                None => self.sets_of_key(e, items, schema, keys)?,
            },
            plain => self.sets_of_key(plain, items, schema, keys)?,
        })
    }

    /// The sets of a parenthesized list of GROUP BY elements: one set from
    /// each element, united, in every combination.
    fn tuple_sets(
        &self,
        tuple: &[ast::Expr],
        items: &[(Expr, String)],
        schema: &QSchema,
        keys: &mut Vec<Expr>,
    ) -> Result<Vec<Vec<usize>>> {
        let parts = tuple
            .iter()
            .map(|x| self.sets_of(x, items, schema, keys))
            .collect::<Result<Vec<_>>>()?;
        cross(parts)
    }

    /// The one set of a plain GROUP BY key, added to `keys` when new.
    fn sets_of_key(
        &self,
        e: &ast::Expr,
        items: &[(Expr, String)],
        schema: &QSchema,
        keys: &mut Vec<Expr>,
    ) -> Result<Vec<Vec<usize>>> {
        let key = self.resolve_input_first(e, items, schema, "GROUP BY")?;
        let position = match keys.iter().position(|k| *k == key) {
            Some(p) => p,
            None => {
                keys.push(key);
                keys.len() - 1
            }
        };
        Ok(vec![vec![position]])
    }

    /// `plan` aggregated by `grouping`, computing `aggs`: the aggregation's
    /// columns are the keys (NULL where a row's set leaves them out), the
    /// set number when there are several sets, then the aggregates.
    pub(super) fn aggregate_by(
        &self,
        plan: LogicalPlan,
        grouping: &Grouping,
        aggs: Vec<Expr>,
    ) -> Result<LogicalPlan> {
        if grouping.is_plain() {
            return Ok(LogicalPlan::Aggregate(Aggregate::try_new(
                Arc::new(plan),
                grouping.keys.clone(),
                aggs,
            )?));
        }
        let input = Arc::new(plan);
        let schema = input.schema();
        let passed: Vec<Expr> = schema
            .fields()
            .iter()
            .map(|f| Expr::Column(f.column()))
            .collect();
        let key_name = |i: usize| format!("__grouping_key_{i}");
        let mut lists = vec![];
        for (number, set) in grouping.sets.iter().enumerate() {
            let mut list = passed.clone();
            for (i, key) in grouping.keys.iter().enumerate() {
                let value = if set.contains(&i) {
                    key.clone()
                } else {
                    Expr::Literal(ScalarValue::try_from(&key.data_type(schema)?)?)
                };
                list.push(value.alias(key_name(i)));
            }
            list.push(Expr::Literal(ScalarValue::Int64(Some(number as i64))).alias(SET_COLUMN));
            lists.push(list);
        }
        let expand = Arc::new(LogicalPlan::Expand(Expand::try_new(
            Arc::clone(&input),
            lists,
        )?));
        let column = |name: &str| Expr::Column(quiver_expr::Column::new(None::<String>, name));
        let mut groups: Vec<Expr> = (0..grouping.keys.len())
            .map(|i| column(&key_name(i)))
            .collect();
        groups.push(column(SET_COLUMN));
        let aggregated = LogicalPlan::Aggregate(Aggregate::try_new(expand, groups, aggs.clone())?);
        let empty_sets: Vec<usize> = (0..grouping.sets.len())
            .filter(|&s| grouping.sets[s].is_empty())
            .collect();
        if empty_sets.is_empty() {
            return Ok(aggregated);
        }
        let mut branches = vec![Arc::new(aggregated)];
        for set in empty_sets {
            branches.push(Arc::new(self.row_over_no_input(
                &input,
                branches[0].schema(),
                &aggs,
                grouping.keys.len(),
                set,
            )?));
        }
        Ok(LogicalPlan::Union(Union::try_new(branches)?))
    }

    /// The row an empty grouping set `set` gives when `input` has no rows
    /// (keys NULL, each aggregate's value over no rows), shaped as
    /// `aggregated`; no row when `input` has one.
    fn row_over_no_input(
        &self,
        input: &Arc<LogicalPlan>,
        aggregated: &QSchema,
        aggs: &[Expr],
        keys: usize,
        set: usize,
    ) -> Result<LogicalPlan> {
        let count = self
            .provider
            .aggregate_function("count")
            .ok_or_else(|| QuiverError::Internal("no count aggregate".into()))?;
        let first_row = Arc::new(LogicalPlan::Limit(Limit {
            skip: 0,
            fetch: Some(1),
            input: Arc::clone(input),
        }));
        let counted = Arc::new(LogicalPlan::Aggregate(Aggregate::try_new(
            first_row,
            vec![],
            vec![Expr::Aggregate(AggregateCall {
                func: AggregateFunctionRef(count),
                args: vec![],
                distinct: false,
                order_by: vec![],
                filter: None,
            })],
        )?));
        let rows = Expr::Column(counted.schema().field(0).column());
        let none = Expr::Binary(
            Box::new(rows),
            Operator::Eq,
            Box::new(Expr::Literal(ScalarValue::Int64(Some(0)))),
        );
        let when_empty = Arc::new(LogicalPlan::Filter(Filter::try_new(none, counted)?));
        let mut values = vec![];
        for (i, field) in aggregated.fields().iter().enumerate() {
            let data_type = field.field.data_type();
            let value = match i.cmp(&keys) {
                std::cmp::Ordering::Less => ScalarValue::try_from(data_type)?,
                std::cmp::Ordering::Equal => ScalarValue::Int64(Some(set as i64)),
                std::cmp::Ordering::Greater => match &aggs[i - keys - 1] {
                    Expr::Aggregate(call) => call.func.0.value_over_no_rows(data_type)?,
                    other => {
                        return Err(QuiverError::Internal(format!(
                            "{other} is not an aggregate call"
                        )))
                    }
                },
            };
            values.push(Expr::Literal(value).alias(field.name()));
        }
        Ok(LogicalPlan::Projection(Projection::try_new(
            values, when_empty,
        )?))
    }
}

/// `rollup(..)` or `cube(..)` as a plain call (whether it is a cube, and
/// its elements, a parenthesized list being one composite element).
fn rollup_or_cube_call(f: &ast::Function) -> Option<(bool, Vec<Vec<ast::Expr>>)> {
    let name = f.name.0.last()?.as_ident()?.value.to_lowercase();
    let is_cube = match name.as_str() {
        "cube" => true,
        "rollup" => false,
        _ => return None,
    };
    let ast::FunctionArguments::List(list) = &f.args else {
        return None;
    };
    if f.over.is_some() || f.filter.is_some() || !list.clauses.is_empty() {
        return None;
    }
    let elements = list
        .args
        .iter()
        .map(|a| match a {
            ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(ast::Expr::Tuple(t))) => {
                Some(t.clone())
            }
            ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) => Some(vec![e.clone()]),
            _ => None,
        })
        .collect::<Option<Vec<_>>>()?;
    Some((is_cube, elements))
}

/// The GROUP BY elements (each a list of sets) as the elements of one
/// ROLLUP or CUBE: each the union of its sets.
fn elements_of(lists: Vec<Vec<Vec<usize>>>) -> Vec<Vec<usize>> {
    lists.into_iter().map(|sets| sets.concat()).collect()
}

/// `ROLLUP(e1, .., en)`: the sets e1..en, e1..en-1, .., the empty set.
fn rollup(elements: Vec<Vec<usize>>) -> Vec<Vec<usize>> {
    (0..=elements.len())
        .rev()
        .map(|n| {
            let mut set: Vec<usize> = vec![];
            for k in elements[..n].concat() {
                if !set.contains(&k) {
                    set.push(k);
                }
            }
            set
        })
        .collect()
}

/// `CUBE(e1, .., en)`: every subset, the largest first.
fn cube(elements: Vec<Vec<usize>>) -> Result<Vec<Vec<usize>>> {
    if elements.len() > 12 {
        return Err(QuiverError::Plan(format!(
            "CUBE of {} elements is too many (at most 12)",
            elements.len()
        )));
    }
    let n = elements.len();
    let mut masks: Vec<u32> = (0..1u32 << n).collect();
    masks.sort_by_key(|m| (std::cmp::Reverse(m.count_ones()), std::cmp::Reverse(*m)));
    Ok(masks
        .into_iter()
        .map(|mask| {
            let mut set: Vec<usize> = vec![];
            for (i, e) in elements.iter().enumerate() {
                if mask & (1 << (n - 1 - i)) != 0 {
                    for &k in e {
                        if !set.contains(&k) {
                            set.push(k);
                        }
                    }
                }
            }
            set
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rollup_drops_elements_from_the_right() {
        assert_eq!(
            rollup(vec![vec![0], vec![1, 2], vec![0]]),
            vec![vec![0, 1, 2], vec![0, 1, 2], vec![0], vec![]]
        );
    }

    #[test]
    fn cube_lists_every_subset_largest_first() {
        assert_eq!(
            cube(vec![vec![0], vec![1]]).unwrap(),
            vec![vec![0, 1], vec![0], vec![1], vec![]]
        );
        assert!(cube(vec![vec![0]; 13]).is_err());
    }

    #[test]
    fn crossing_unions_one_set_from_each_list() {
        let sets = cross(vec![vec![vec![0]], vec![vec![0, 1], vec![2], vec![]]]).unwrap();
        assert_eq!(sets, vec![vec![0, 1], vec![0, 2], vec![0]]);
        let too_many = vec![vec![vec![0], vec![1]]; 13];
        assert!(cross(too_many).is_err());
    }
}
