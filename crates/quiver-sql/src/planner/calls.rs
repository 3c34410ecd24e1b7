//! Calls the binder rewrites into other expressions instead of calling a
//! registered function: `mod(a, b)` (`a % b`), `nullif`, `if`/`iif`,
//! `ifnull`/`nvl` (`coalesce` of two), `now()` and
//! `current_timestamp` (a TIMESTAMP WITH TIME ZONE), `localtimestamp` (its
//! local time) and `current_date` and `today()` (in the session's zone),
//! constants the same throughout a statement, `date_add(d, i)` (`d + i`),
//! and
//! `date_part` of the DOUBLE fields `epoch` and `julian` (their own
//! functions, since a function's result type cannot depend on an argument's
//! value), `json_group_array(x)` / `json_group_object(k, v)` (JSON of
//! a `list` aggregate), and `current_setting('name')` and `version()`
//! (constants).

use arrow::datatypes::{DataType, TimeUnit};
use quiver_expr::{
    AggregateCall, AggregateFunctionRef, Expr, Operator, QSchema, QuiverError, Result, ScalarValue,
};

use super::expr::unify;
use super::SqlPlanner;

/// The calls [`SqlPlanner::rewritten_call`] rewrites (and `grouping`,
/// which grouping sets bind, and `try`), each with its other names. They have no
/// registry entry; the function reference lists them with the registered
/// functions.
pub const REWRITTEN_CALLS: &[(&str, &[&str])] = &[
    ("mod", &[]),
    ("nullif", &[]),
    ("if", &["iif"]),
    ("ifnull", &["nvl"]),
    (
        "now",
        &[
            "current_timestamp",
            "get_current_timestamp",
            "transaction_timestamp",
        ],
    ),
    ("localtimestamp", &[]),
    ("current_time", &["localtime"]),
    ("current_date", &["today"]),
    ("date_add", &[]),
    ("json_group_array", &[]),
    ("current_setting", &[]),
    ("version", &[]),
    ("json_group_object", &[]),
    ("struct_insert", &[]),
    ("grouping", &["grouping_id"]),
    ("try", &[]),
];

impl SqlPlanner<'_> {
    /// `TRY(expr)`: NULL for each row where `expr` fails.
    pub(crate) fn try_call(&self, f: &sqlparser::ast::Function, schema: &QSchema) -> Result<Expr> {
        let sqlparser::ast::FunctionArguments::List(list) = &f.args else {
            return Err(QuiverError::Plan("TRY takes one argument".into()));
        };
        if list.duplicate_treatment.is_some() || !list.clauses.is_empty() || f.filter.is_some() {
            return Err(QuiverError::Plan(
                "TRY takes one expression, without DISTINCT, ORDER BY or FILTER".into(),
            ));
        }
        let outer = self.inside_try.replace(true);
        let bound = self.call_arguments(&list.args, schema);
        self.inside_try.set(outer);
        let (args, star) = bound?;
        let [inner] = exactly("try", args)?;
        if star {
            return Err(QuiverError::Plan("TRY(*) is not allowed".into()));
        }
        if inner.contains_aggregate() {
            return Err(QuiverError::Plan(
                "TRY cannot hold an aggregate; put TRY inside the aggregate's argument".into(),
            ));
        }
        Ok(Expr::Try(Box::new(inner)))
    }
}

impl SqlPlanner<'_> {
    /// A call of the aggregate `aggregate` over `args`, for the call
    /// `name` that is rewritten into it.
    fn aggregate_of(
        &self,
        name: &str,
        aggregate: &str,
        args: Vec<Expr>,
        schema: &QSchema,
    ) -> Result<Expr> {
        if args
            .iter()
            .any(|a| a.contains_aggregate() || a.contains_window())
        {
            return Err(QuiverError::Plan(format!(
                "{name} cannot hold an aggregate or window call"
            )));
        }
        let func = self
            .provider
            .aggregate_function(aggregate)
            .ok_or_else(|| self.unknown_function(aggregate))?;
        let args = super::expr::coerce_args(args, schema, |types| func.coerce_types(types))?;
        Ok(Expr::Aggregate(AggregateCall {
            func: AggregateFunctionRef(func),
            args,
            distinct: false,
            order_by: vec![],
            filter: None,
        }))
    }
}

/// A setting's value (text) as a typed constant, as DuckDB's
/// `current_setting` gives it: a BIGINT or BOOLEAN when it reads as one.
fn setting_value(text: &str) -> ScalarValue {
    if let Ok(n) = text.parse::<i64>() {
        return ScalarValue::Int64(Some(n));
    }
    match text.to_ascii_lowercase().as_str() {
        "true" => ScalarValue::Boolean(Some(true)),
        "false" => ScalarValue::Boolean(Some(false)),
        _ => ScalarValue::Utf8(Some(text.to_string())),
    }
}

/// `args` as exactly `N` arguments of `name`.
fn exactly<const N: usize>(name: &str, args: Vec<Expr>) -> Result<[Expr; N]> {
    <[Expr; N]>::try_from(args)
        .map_err(|_| QuiverError::Plan(format!("function {name} takes {N} arguments")))
}

/// What becomes of a call.
pub(crate) enum Call {
    /// It was rewritten to this expression.
    Rewritten(Expr),
    /// It calls the registered function, with these arguments.
    Ordinary(Vec<Expr>),
}

impl SqlPlanner<'_> {
    /// The expression a call of `name` is rewritten to, or its arguments
    /// back when `name` is an ordinary function.
    pub(crate) fn rewritten_call(
        &self,
        name: &str,
        args: Vec<Expr>,
        schema: &QSchema,
    ) -> Result<Call> {
        Ok(Call::Rewritten(match name {
            "mod" => {
                let [a, b] = exactly(name, args)?;
                self.binary(a, Operator::Modulo, b, schema)?
            }
            "nullif" => {
                let [a, b] = exactly(name, args)?;
                let (mut ab, t) = unify(vec![a, b], "nullif", schema)?;
                let (a, b) = (ab.remove(0), ab.remove(0));
                let null = Expr::Literal(ScalarValue::try_from(&t)?);
                Expr::Case {
                    operand: None,
                    when_then: vec![(self.binary(a.clone(), Operator::Eq, b, schema)?, null)],
                    else_expr: Some(Box::new(a)),
                }
            }
            "if" | "iif" => {
                let [condition, then, otherwise] = exactly(name, args)?;
                let condition = self.boolean(condition, name, schema)?;
                let (mut branches, _) = unify(vec![then, otherwise], name, schema)?;
                let otherwise = branches.remove(1);
                Expr::Case {
                    operand: None,
                    when_then: vec![(condition, branches.remove(0))],
                    else_expr: Some(Box::new(otherwise)),
                }
            }
            "now" | "current_timestamp" | "get_current_timestamp" | "transaction_timestamp" => {
                exactly::<0>(name, args)?;
                self.now()
            }
            "localtimestamp" => {
                exactly::<0>(name, args)?;
                let now = self.now();
                Expr::Cast(
                    Box::new(now),
                    DataType::Timestamp(TimeUnit::Microsecond, None),
                )
            }
            "current_date" | "today" => {
                exactly::<0>(name, args)?;
                self.current_date()?
            }
            "current_time" | "localtime" => {
                exactly::<0>(name, args)?;
                let local = Expr::Cast(
                    Box::new(self.now()),
                    DataType::Timestamp(TimeUnit::Microsecond, None),
                );
                Expr::Cast(Box::new(local), DataType::Time64(TimeUnit::Microsecond))
            }
            "date_add" => {
                let [date, interval] = exactly(name, args)?;
                self.binary(date, Operator::Plus, interval, schema)?
            }
            "current_setting" => {
                let [name] = exactly(name, args)?;
                let Expr::Literal(ScalarValue::Utf8(Some(setting))) = name else {
                    return Err(QuiverError::Plan(
                        "current_setting takes the name of a setting as a string constant".into(),
                    ));
                };
                let settings = self.provider.settings();
                let found = settings
                    .iter()
                    .find(|s| s.name.eq_ignore_ascii_case(&setting))
                    .ok_or_else(|| {
                        let names: Vec<&str> = settings.iter().map(|s| s.name).collect();
                        QuiverError::Plan(format!(
                            "unknown setting '{setting}'; the settings are {}",
                            names.join(", ")
                        ))
                    })?;
                Expr::Literal(setting_value(&found.value))
            }
            "version" => {
                let [] = exactly(name, args)?;
                let version = format!("v{}", env!("CARGO_PKG_VERSION"));
                Expr::Literal(ScalarValue::Utf8(Some(version)))
            }
            "json_group_array" => {
                let [value] = exactly(name, args)?;
                let list = self.aggregate_of(name, "list", vec![value], schema)?;
                self.call_scalar("to_json", vec![list], schema)?
            }
            "json_group_object" => {
                let [key, value] = exactly(name, args)?;
                let text = |s: &str| Expr::Literal(ScalarValue::Utf8(Some(s.to_string())));
                let pair = self.call_scalar(
                    "struct_pack",
                    vec![text("key"), key, text("value"), value],
                    schema,
                )?;
                let pairs = self.aggregate_of(name, "list", vec![pair], schema)?;
                let map = self.call_scalar("map_from_entries", vec![pairs], schema)?;
                self.call_scalar("to_json", vec![map], schema)?
            }
            "ifnull" | "nvl" => {
                let [a, b] = exactly(name, args)?;
                self.call_scalar("coalesce", vec![a, b], schema)?
            }
            "date_part" | "datepart" => match args.first() {
                Some(Expr::Literal(
                    ScalarValue::Utf8(Some(field))
                    | ScalarValue::LargeUtf8(Some(field))
                    | ScalarValue::Utf8View(Some(field)),
                )) if args.len() == 2 => {
                    let field = field.to_lowercase();
                    let [_, source] = exactly(name, args)?;
                    self.date_part(&field, source, schema)?
                }
                _ => return Ok(Call::Ordinary(args)),
            },
            _ => return Ok(Call::Ordinary(args)),
        }))
    }

    /// `date_part(field, source)` for a constant field: the `epoch` and
    /// `julian` fields call their own (DOUBLE) functions.
    pub(crate) fn date_part(&self, field: &str, source: Expr, schema: &QSchema) -> Result<Expr> {
        match field {
            "epoch" | "julian" => self.call_scalar(field, vec![source], schema),
            _ => {
                let field = Expr::Literal(ScalarValue::Utf8(Some(field.to_string())));
                self.call_scalar("date_part", vec![field, source], schema)
            }
        }
    }
}
