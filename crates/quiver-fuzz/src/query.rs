//! Random queries over a [`Database`]: FROM clauses with joins of every kind,
//! typed expressions and predicates (with subqueries), aggregates and
//! grouping, in the shapes the oracles of [`crate::oracle`] rewrite.

use crate::database::{Database, Kind};
use crate::random::Random;

/// The columns an expression may name, each with its kind.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// `(SQL text, kind)` of each column or, in HAVING, each group key and
    /// aggregate.
    pub columns: Vec<(String, Kind)>,
    /// Whether expressions may hold subqueries over the database.
    pub subqueries: bool,
}

impl Scope {
    /// The columns of kind `kind`.
    fn of_kind(&self, kind: Kind) -> Vec<&str> {
        self.columns
            .iter()
            .filter(|(_, k)| *k == kind)
            .map(|(name, _)| name.as_str())
            .collect()
    }
}

/// A FROM clause and the columns it brings into scope.
#[derive(Debug, Clone)]
pub struct From {
    /// The clause's SQL, without the FROM keyword.
    pub sql: String,
    /// Its columns.
    pub scope: Scope,
}

/// A SELECT statement in parts, so oracles can change its clauses.
#[derive(Debug, Clone)]
pub struct Select {
    /// SELECT DISTINCT.
    pub distinct: bool,
    /// The select list.
    pub items: Vec<String>,
    /// The FROM clause.
    pub from: String,
    /// The WHERE condition.
    pub filter: Option<String>,
    /// The GROUP BY expressions.
    pub group_by: Vec<String>,
    /// The HAVING condition.
    pub having: Option<String>,
}

impl Select {
    /// The statement's SQL.
    pub fn sql(&self) -> String {
        let mut sql = format!(
            "SELECT {}{} FROM {}",
            if self.distinct { "DISTINCT " } else { "" },
            self.items.join(", "),
            self.from
        );
        if let Some(filter) = &self.filter {
            sql += &format!(" WHERE {filter}");
        }
        if !self.group_by.is_empty() {
            sql += &format!(" GROUP BY {}", self.group_by.join(", "));
        }
        if let Some(having) = &self.having {
            sql += &format!(" HAVING {having}");
        }
        sql
    }
}

/// An aggregate call the aggregate oracle can split and recombine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aggregate {
    /// count(x) or count(*).
    Count,
    /// sum(x).
    Sum,
    /// min(x).
    Min,
    /// max(x).
    Max,
}

impl Aggregate {
    /// The aggregate that combines partial results of this one over
    /// disjoint parts of its input; `None` for a count or sum of DISTINCT
    /// values (a value may be in several parts).
    pub fn combiner(self, distinct: bool) -> Option<&'static str> {
        match self {
            Aggregate::Count | Aggregate::Sum if distinct => None,
            Aggregate::Count | Aggregate::Sum => Some("sum"),
            Aggregate::Min => Some("min"),
            Aggregate::Max => Some("max"),
        }
    }
}

/// Writes random SQL over one database.
pub struct Generator<'a> {
    /// The random source.
    pub random: &'a mut Random,
    /// The tables queries read.
    pub database: &'a Database,
    /// How many subqueries deep the expression being written is.
    depth: usize,
}

impl<'a> Generator<'a> {
    /// A generator over `database`.
    pub fn new(random: &'a mut Random, database: &'a Database) -> Self {
        Self {
            random,
            database,
            depth: 0,
        }
    }

    /// A FROM clause: one table, or two or three joined with a random kind
    /// of join on equal columns (or on any predicate).
    pub fn from_clause(&mut self) -> From {
        let count = match self.random.below(20) {
            0 => 3,
            n if n < 8 => 2,
            _ => 1,
        };
        let mut from = self.table_ref("a");
        for alias in ["b", "c"].into_iter().take(count - 1) {
            let right = self.table_ref(alias);
            let mut scope = from.scope.clone();
            scope.columns.extend(right.scope.columns.iter().cloned());
            let kind = *self.random.pick(&[
                "JOIN",
                "JOIN",
                "LEFT JOIN",
                "RIGHT JOIN",
                "FULL JOIN",
                "CROSS JOIN",
            ]);
            let sql = if kind == "CROSS JOIN" {
                format!("{} CROSS JOIN {}", from.sql, right.sql)
            } else {
                let condition = self.join_condition(&from.scope, &right.scope, &scope);
                format!("{} {kind} {} ON {condition}", from.sql, right.sql)
            };
            from = From { sql, scope };
        }
        from
    }

    /// `tN AS alias` for a random table, or now and then a filtered
    /// derived table over one.
    fn table_ref(&mut self, alias: &str) -> From {
        let table = self.random.pick(&self.database.tables).clone();
        let columns = table
            .columns
            .iter()
            .map(|c| (format!("{alias}.{}", c.name), c.kind))
            .collect();
        let sql = if self.random.chance(15) {
            let inner = Scope {
                columns: table
                    .columns
                    .iter()
                    .map(|c| (c.name.clone(), c.kind))
                    .collect(),
                subqueries: false,
            };
            let filter = self.predicate(&inner, 2);
            format!("(SELECT * FROM {} WHERE {filter}) AS {alias}", table.name)
        } else {
            format!("{} AS {alias}", table.name)
        };
        From {
            sql,
            scope: Scope {
                columns,
                subqueries: true,
            },
        }
    }

    /// An ON condition: equal columns of one kind when both sides have one,
    /// sometimes with a further predicate over both sides.
    fn join_condition(&mut self, left: &Scope, right: &Scope, both: &Scope) -> String {
        let pairs: Vec<(String, String)> = left
            .columns
            .iter()
            .flat_map(|(l, lk)| {
                right
                    .columns
                    .iter()
                    .filter(move |(_, rk)| rk == lk)
                    .map(move |(r, _)| (l.clone(), r.clone()))
            })
            .collect();
        let no_subqueries = Scope {
            columns: both.columns.clone(),
            subqueries: false,
        };
        if pairs.is_empty() || self.random.chance(10) {
            return self.predicate(&no_subqueries, 2);
        }
        let (l, r) = self.random.pick(&pairs).clone();
        let equal = format!("{l} = {r}");
        if self.random.chance(25) {
            format!("{equal} AND {}", self.predicate(&no_subqueries, 1))
        } else {
            equal
        }
    }

    /// A boolean expression over `scope`, `depth` levels deep at most.
    pub fn predicate(&mut self, scope: &Scope, depth: usize) -> String {
        self.expr(Kind::Bool, scope, depth)
    }

    /// An expression of `kind` over `scope`.
    pub fn expr(&mut self, kind: Kind, scope: &Scope, depth: usize) -> String {
        if depth == 0 || self.random.chance(30) {
            return self.leaf(kind, scope);
        }
        let d = depth - 1;
        match kind {
            Kind::Bool => self.boolean(scope, d),
            Kind::Int => match self.random.below(11) {
                0 => self.infix("+", kind, scope, d),
                1 => self.infix("-", kind, scope, d),
                2 => self.infix("*", kind, scope, d),
                3 => format!("abs({})", self.expr(kind, scope, d)),
                4 => format!("length({})", self.expr(Kind::Text, scope, d)),
                5 => self.infix("%", kind, scope, d),
                6 => format!("CAST({} AS BIGINT)", self.expr(Kind::Float, scope, d)),
                7 => format!("extract(year FROM {})", self.expr(Kind::Date, scope, d)),
                8 => format!("date_part('doy', {})", self.expr(Kind::Date, scope, d)),
                9 => format!("strpos({}, 'a')", self.expr(Kind::Text, scope, d)),
                _ => self.conditional(kind, scope, d),
            },
            Kind::Float => match self.random.below(5) {
                0 => self.infix("+", kind, scope, d),
                1 => self.infix("*", kind, scope, d),
                2 => format!("CAST({} AS DOUBLE)", self.expr(Kind::Int, scope, d)),
                3 => format!("abs({})", self.expr(kind, scope, d)),
                _ => self.conditional(kind, scope, d),
            },
            Kind::Decimal => match self.random.below(4) {
                0 => self.infix("+", kind, scope, d),
                1 => self.infix("-", kind, scope, d),
                2 => format!("abs({})", self.expr(kind, scope, d)),
                _ => self.conditional(kind, scope, d),
            },
            Kind::Text => match self.random.below(10) {
                0 => format!("upper({})", self.expr(kind, scope, d)),
                1 => format!("lower({})", self.expr(kind, scope, d)),
                2 => self.infix("||", kind, scope, d),
                3 => format!("substr({}, 1, 2)", self.expr(kind, scope, d)),
                4 => format!("CAST({} AS VARCHAR)", self.expr(Kind::Int, scope, d)),
                5 => format!("trim({})", self.expr(kind, scope, d)),
                6 => format!("reverse({})", self.expr(kind, scope, d)),
                7 => format!(
                    "regexp_replace({}, '[aeiou]', '', 'g')",
                    self.expr(kind, scope, d)
                ),
                8 => format!("lpad({}, 3, '*')", self.expr(kind, scope, d)),
                _ => self.conditional(kind, scope, d),
            },
            Kind::Date => match self.random.below(2) {
                // date_trunc gives a TIMESTAMP; the cast keeps it a DATE.
                0 => format!(
                    "CAST(date_trunc('month', {}) AS DATE)",
                    self.expr(kind, scope, d)
                ),
                _ => self.conditional(kind, scope, d),
            },
        }
    }

    /// `(a op b)` for two expressions of `kind`.
    fn infix(&mut self, op: &str, kind: Kind, scope: &Scope, depth: usize) -> String {
        let left = self.expr(kind, scope, depth);
        format!("({left} {op} {})", self.expr(kind, scope, depth))
    }

    /// A CASE or coalesce choosing between two expressions of `kind`.
    fn conditional(&mut self, kind: Kind, scope: &Scope, depth: usize) -> String {
        if self.random.chance(50) {
            format!(
                "CASE WHEN {} THEN {} ELSE {} END",
                self.predicate(scope, depth),
                self.expr(kind, scope, depth),
                self.expr(kind, scope, depth)
            )
        } else {
            format!(
                "coalesce({}, {})",
                self.expr(kind, scope, depth),
                self.expr(kind, scope, depth)
            )
        }
    }

    /// A boolean expression one level down: logic, comparisons, NULL tests,
    /// ranges, lists, patterns and subqueries.
    fn boolean(&mut self, scope: &Scope, d: usize) -> String {
        let kind = self.comparable_kind(scope);
        match self.random.below(12) {
            0 => format!(
                "({} AND {})",
                self.predicate(scope, d),
                self.predicate(scope, d)
            ),
            1 => format!(
                "({} OR {})",
                self.predicate(scope, d),
                self.predicate(scope, d)
            ),
            2 => format!("(NOT {})", self.predicate(scope, d)),
            3 => format!("({} IS NULL)", self.expr(kind, scope, d)),
            4 => format!("({} IS NOT NULL)", self.expr(kind, scope, d)),
            5 => format!(
                "({} BETWEEN {} AND {})",
                self.expr(kind, scope, d),
                self.expr(kind, scope, d),
                self.expr(kind, scope, d)
            ),
            6 => {
                let list: Vec<String> = (0..1 + self.random.below(3))
                    .map(|_| kind.literal(self.random))
                    .collect();
                let not = if self.random.chance(30) { "NOT " } else { "" };
                format!(
                    "({} {not}IN ({}))",
                    self.expr(kind, scope, d),
                    list.join(", ")
                )
            }
            7 => format!(
                "({} LIKE {})",
                self.expr(Kind::Text, scope, d),
                self.random.pick(&["'a%'", "'%b%'", "'_'", "''", "'%'"])
            ),
            8 => {
                let op = *self
                    .random
                    .pick(&["IS DISTINCT FROM", "IS NOT DISTINCT FROM"]);
                format!(
                    "({} {op} {})",
                    self.expr(kind, scope, d),
                    self.expr(kind, scope, d)
                )
            }
            9 if scope.subqueries && self.depth < 2 => self.subquery_predicate(scope),
            _ => {
                let op = *self.random.pick(&["=", "<>", "<", "<=", ">", ">="]);
                format!(
                    "({} {op} {})",
                    self.expr(kind, scope, d),
                    self.expr(kind, scope, d)
                )
            }
        }
    }

    /// A kind to compare: one that `scope` has a column of, usually.
    fn comparable_kind(&mut self, scope: &Scope) -> Kind {
        if !scope.columns.is_empty() && self.random.chance(80) {
            self.random.pick(&scope.columns).1
        } else {
            *self.random.pick(&Kind::ALL)
        }
    }

    /// IN, EXISTS or a comparison with a scalar subquery, correlated with
    /// `scope` or not.
    fn subquery_predicate(&mut self, outer: &Scope) -> String {
        let table = self.random.pick(&self.database.tables).clone();
        let alias = format!("s{}", self.depth);
        let inner_columns: Vec<(String, Kind)> = table
            .columns
            .iter()
            .map(|c| (format!("{alias}.{}", c.name), c.kind))
            .collect();
        let mut both = outer.clone();
        both.columns.extend(inner_columns.iter().cloned());
        self.depth += 1;
        let mut filter = self.predicate(&both, 2);
        // Correlate on equal columns now and then.
        let (inner_name, kind) = self.random.pick(&inner_columns).clone();
        if let Some(outer_name) = self.random_column(outer, kind) {
            if self.random.chance(50) {
                filter = format!("{inner_name} = {outer_name} AND {filter}");
            }
        }
        let source = format!("{} AS {alias}", table.name);
        let sql = match self.random.below(3) {
            0 => {
                let not = if self.random.chance(30) { "NOT " } else { "" };
                let probe = self.expr(kind, outer, 1);
                format!("({probe} {not}IN (SELECT {inner_name} FROM {source} WHERE {filter}))")
            }
            1 => {
                let not = if self.random.chance(30) { "NOT " } else { "" };
                format!("({not}EXISTS (SELECT 1 FROM {source} WHERE {filter}))")
            }
            _ => {
                let aggregate = *self.random.pick(&["min", "max", "count"]);
                let kind = if aggregate == "count" {
                    Kind::Int
                } else {
                    kind
                };
                let probe = self.expr(kind, outer, 1);
                format!(
                    "({probe} >= (SELECT {aggregate}({inner_name}) FROM {source} WHERE {filter}))"
                )
            }
        };
        self.depth -= 1;
        sql
    }

    /// A column of `kind` in `scope`, if it has one.
    fn random_column(&mut self, scope: &Scope, kind: Kind) -> Option<String> {
        let columns = scope.of_kind(kind);
        (!columns.is_empty()).then(|| self.random.pick(&columns).to_string())
    }

    /// A column of `kind` from `scope`, or a literal or NULL of it.
    fn leaf(&mut self, kind: Kind, scope: &Scope) -> String {
        match self.random_column(scope, kind) {
            Some(column) if self.random.chance(75) => column,
            _ if self.random.chance(10) => format!("CAST(NULL AS {})", kind.sql_type()),
            _ => kind.literal(self.random),
        }
    }

    /// A plain query: expressions over a FROM clause, perhaps filtered.
    pub fn plain_select(&mut self, from: &From) -> Select {
        let kinds = self.item_kinds(&from.scope);
        self.select_of_kinds(from, &kinds)
    }

    /// The kinds of one to three select items over `scope`.
    pub fn item_kinds(&mut self, scope: &Scope) -> Vec<Kind> {
        (0..1 + self.random.below(3))
            .map(|_| self.comparable_kind(scope))
            .collect()
    }

    /// A plain query whose columns are of `kinds`, in order (the two sides
    /// of a set operation).
    pub fn select_of_kinds(&mut self, from: &From, kinds: &[Kind]) -> Select {
        let items = kinds
            .iter()
            .map(|&kind| self.expr(kind, &from.scope, 2))
            .collect();
        let filter = self
            .random
            .chance(40)
            .then(|| self.predicate(&from.scope, 2));
        Select {
            distinct: false,
            items,
            from: from.sql.clone(),
            filter,
            group_by: vec![],
            having: None,
        }
    }

    /// One aggregate call over `scope`, with what it is and its result kind.
    pub fn aggregate(&mut self, scope: &Scope) -> (String, Aggregate, Kind) {
        let kind = self.comparable_kind(scope);
        let argument = self.expr(kind, scope, 1);
        let distinct = if self.random.chance(15) {
            "DISTINCT "
        } else {
            ""
        };
        match self.random.below(5) {
            0 => ("count(*)".into(), Aggregate::Count, Kind::Int),
            1 => (
                format!("count({distinct}{argument})"),
                Aggregate::Count,
                Kind::Int,
            ),
            // Not over floats: their sums depend on the order of addition.
            2 if matches!(kind, Kind::Int | Kind::Decimal) => {
                (format!("sum({distinct}{argument})"), Aggregate::Sum, kind)
            }
            3 => (format!("min({argument})"), Aggregate::Min, kind),
            _ => (format!("max({argument})"), Aggregate::Max, kind),
        }
    }

    /// A query with one or two window calls beside plain expressions.
    /// Results never depend on how ties are broken: either the ORDER BY
    /// ends with every column in scope (rows that still tie are identical),
    /// or only calls that treat peers alike are made (ranks, and
    /// aggregates over RANGE and GROUPS frames). Only the first call may
    /// rely on the former: two such calls could pair their values over
    /// identical rows in either way.
    pub fn window_select(&mut self, from: &From) -> Select {
        let mut select = self.plain_select(from);
        for i in 0..1 + self.random.below(2) {
            let call = self.window_call(&from.scope, i == 0);
            select.items.push(call);
        }
        select
    }

    /// One window call over `scope`; `may_order_totally` allows the ORDER
    /// BY that ends with every column.
    fn window_call(&mut self, scope: &Scope, may_order_totally: bool) -> String {
        let partition_by: Vec<String> = (0..self.random.below(3))
            .map(|_| {
                let kind = self.comparable_kind(scope);
                self.expr(kind, scope, 1)
            })
            .collect();
        let mut order_by: Vec<String> = vec![];
        let mut key_kinds = vec![];
        for _ in 0..self.random.below(3) {
            let kind = self.comparable_kind(scope);
            let key = self.expr(kind, scope, 1);
            let direction = *self
                .random
                .pick(&["", " DESC", " NULLS FIRST", " DESC NULLS LAST"]);
            order_by.push(format!("{key}{direction}"));
            key_kinds.push(kind);
        }
        let total_order = may_order_totally && !order_by.is_empty() && self.random.chance(50);
        if total_order {
            order_by.extend(scope.columns.iter().map(|(c, _)| c.clone()));
        }
        let kind = self.comparable_kind(scope);
        let arg = self.expr(kind, scope, 1);
        let nulls = if self.random.chance(30) {
            " IGNORE NULLS"
        } else {
            ""
        };
        let aggregate = match self.random.below(6) {
            0 => "count(*)".to_string(),
            1 => format!(
                "count({}{arg})",
                if self.random.chance(20) {
                    "DISTINCT "
                } else {
                    ""
                }
            ),
            2 if matches!(kind, Kind::Int | Kind::Decimal | Kind::Float) => format!("sum({arg})"),
            3 => format!("min({arg})"),
            _ => format!("max({arg})"),
        };
        let (call, framed) = match self.random.below(if total_order { 10 } else { 5 }) {
            0 => ("rank()".to_string(), false),
            1 => ("dense_rank()".to_string(), false),
            2 => ("cume_dist()".to_string(), false),
            3 => ("percent_rank()".to_string(), false),
            4 => (aggregate, true),
            5 => ("row_number()".to_string(), false),
            6 => (format!("ntile({})", 1 + self.random.below(4)), false),
            7 => {
                let f = *self.random.pick(&["lag", "lead"]);
                let default = kind.literal(self.random);
                (
                    format!("{f}({arg}, {}, {default}{nulls})", self.random.below(3)),
                    false,
                )
            }
            8 => {
                let f = *self.random.pick(&["first_value", "last_value"]);
                (format!("{f}({arg}{nulls})"), true)
            }
            _ => (
                format!("nth_value({arg}, {}{nulls})", 1 + self.random.below(3)),
                true,
            ),
        };
        let mut spec = vec![];
        if !partition_by.is_empty() {
            spec.push(format!("PARTITION BY {}", partition_by.join(", ")));
        }
        if !order_by.is_empty() {
            spec.push(format!("ORDER BY {}", order_by.join(", ")));
        }
        if framed && !order_by.is_empty() && self.random.chance(60) {
            spec.push(self.frame(total_order, &key_kinds));
        }
        format!("{call} OVER ({})", spec.join(" "))
    }

    /// A frame; ROWS only under a total order, RANGE offsets only over one
    /// integer key.
    fn frame(&mut self, total_order: bool, key_kinds: &[Kind]) -> String {
        let units = match self.random.below(3) {
            0 if total_order => "ROWS",
            1 if key_kinds == [Kind::Int] && !total_order => "RANGE",
            _ => "GROUPS",
        };
        let bound = |random: &mut Random, end: bool| -> String {
            match random.below(5) {
                0 if !end => "UNBOUNDED PRECEDING".into(),
                0 => "UNBOUNDED FOLLOWING".into(),
                1 => "CURRENT ROW".into(),
                2 => format!("{} PRECEDING", random.below(4)),
                _ => format!("{} FOLLOWING", random.below(4)),
            }
        };
        let start = bound(self.random, false);
        let end = bound(self.random, true);
        let exclude = *self.random.pick(&[
            "",
            "",
            " EXCLUDE CURRENT ROW",
            " EXCLUDE GROUP",
            " EXCLUDE TIES",
            " EXCLUDE NO OTHERS",
        ]);
        format!("{units} BETWEEN {start} AND {end}{exclude}")
    }

    /// A grouped query: one or two keys, one to three aggregates.
    pub fn grouped_select(&mut self, from: &From) -> (Select, Scope) {
        let keys: Vec<(String, Kind)> = (0..1 + self.random.below(2))
            .map(|_| {
                let kind = self.comparable_kind(&from.scope);
                (self.expr(kind, &from.scope, 1), kind)
            })
            .collect();
        let aggregates: Vec<(String, Kind)> = (0..1 + self.random.below(3))
            .map(|_| {
                let (call, _, kind) = self.aggregate(&from.scope);
                (call, kind)
            })
            .collect();
        let items = keys
            .iter()
            .chain(&aggregates)
            .map(|(sql, _)| sql.clone())
            .collect();
        let filter = self
            .random
            .chance(30)
            .then(|| self.predicate(&from.scope, 2));
        let select = Select {
            distinct: false,
            items,
            from: from.sql.clone(),
            filter,
            group_by: keys.iter().map(|(sql, _)| sql.clone()).collect(),
            having: None,
        };
        let having_scope = Scope {
            columns: keys.into_iter().chain(aggregates).collect(),
            subqueries: false,
        };
        (select, having_scope)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_reproducible_from_the_seed() {
        let write = |seed| {
            let mut random = Random::new(seed);
            let database = Database::random(10, &mut random);
            let mut generator = Generator::new(&mut random, &database);
            let from = generator.from_clause();
            generator.plain_select(&from).sql()
        };
        assert_eq!(write(11), write(11));
        assert!(write(11).starts_with("SELECT "));
    }
}
