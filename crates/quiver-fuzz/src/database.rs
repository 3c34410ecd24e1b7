//! Random tables: a few columns of assorted types filled from small pools of
//! values, so rows repeat, NULLs are common and extremes appear, and some
//! tables are empty.

use crate::random::Random;

/// The kinds of values the generators deal in; each maps to one SQL type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// BIGINT.
    Int,
    /// DOUBLE, from values whose sums are exact (multiples of 0.25).
    Float,
    /// DECIMAL(10,2).
    Decimal,
    /// VARCHAR.
    Text,
    /// BOOLEAN.
    Bool,
    /// DATE.
    Date,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 6] = [
        Kind::Int,
        Kind::Float,
        Kind::Decimal,
        Kind::Text,
        Kind::Bool,
        Kind::Date,
    ];

    /// The SQL type of a column of this kind.
    pub fn sql_type(self) -> &'static str {
        match self {
            Kind::Int => "BIGINT",
            Kind::Float => "DOUBLE",
            Kind::Decimal => "DECIMAL(10,2)",
            Kind::Text => "VARCHAR",
            Kind::Bool => "BOOLEAN",
            Kind::Date => "DATE",
        }
    }

    /// A literal of this kind, never NULL: small values that repeat, with
    /// the occasional extreme.
    pub fn literal(self, random: &mut Random) -> String {
        let pick = |random: &mut Random, values: &[&str]| random.pick(values).to_string();
        match self {
            Kind::Int => pick(
                random,
                &[
                    "0",
                    "1",
                    "-1",
                    "2",
                    "3",
                    "7",
                    "10",
                    "-100",
                    "2147483648",
                    "-9223372036854775808",
                    "9223372036854775807",
                ],
            ),
            // Typed: `0.5` alone is a DECIMAL.
            Kind::Float => format!(
                "{}::DOUBLE",
                random.pick(&["0.0", "0.5", "-2.25", "1.0", "3.75", "100.0", "-0.25", "1e6"])
            ),
            Kind::Decimal => pick(
                random,
                &[
                    "0.00",
                    "1.50",
                    "-3.25",
                    "2.00",
                    "99999999.99",
                    "-0.01",
                    "10.10",
                ],
            ),
            Kind::Text => pick(
                random,
                &[
                    "''", "'a'", "'A'", "'abc'", "'b'", "' a'", "'ä'", "'a%b'", "'10'",
                ],
            ),
            Kind::Bool => pick(random, &["TRUE", "FALSE"]),
            Kind::Date => pick(
                random,
                &[
                    "DATE '2024-01-01'",
                    "DATE '1970-01-01'",
                    "DATE '2000-02-29'",
                    "DATE '2024-12-31'",
                    "DATE '1899-06-15'",
                ],
            ),
        }
    }

    /// A value for a table row: a literal or, one time in five, NULL.
    fn value(self, random: &mut Random) -> String {
        if random.chance(20) {
            "NULL".to_string()
        } else {
            self.literal(random)
        }
    }
}

/// A column of a generated table.
#[derive(Debug, Clone)]
pub struct Column {
    /// Its name, unique within its table.
    pub name: String,
    /// The kind of its values.
    pub kind: Kind,
}

/// A generated table.
#[derive(Debug, Clone)]
pub struct Table {
    /// Its name in the session.
    pub name: String,
    /// Its columns, in order.
    pub columns: Vec<Column>,
    /// Its rows as SQL literals, one per column.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// A table named `name` with 1 to 5 columns and up to `max_rows` rows
    /// (sometimes none).
    pub fn random(name: &str, max_rows: usize, random: &mut Random) -> Self {
        let columns = (0..1 + random.below(5))
            .map(|i| Column {
                name: format!("c{i}"),
                kind: *random.pick(&Kind::ALL),
            })
            .collect::<Vec<_>>();
        let row_count = if random.chance(10) {
            0
        } else {
            random.below(max_rows + 1)
        };
        let rows = (0..row_count)
            .map(|_| columns.iter().map(|c| c.kind.value(random)).collect())
            .collect();
        Self {
            name: name.to_string(),
            columns,
            rows,
        }
    }

    /// The statements that create and fill this table.
    pub fn statements(&self) -> Vec<String> {
        let columns: Vec<String> = self
            .columns
            .iter()
            .map(|c| format!("{} {}", c.name, c.kind.sql_type()))
            .collect();
        let mut statements = vec![format!(
            "CREATE TABLE {} ({})",
            self.name,
            columns.join(", ")
        )];
        for chunk in self.rows.chunks(64) {
            let values: Vec<String> = chunk
                .iter()
                .map(|row| format!("({})", row.join(", ")))
                .collect();
            statements.push(format!(
                "INSERT INTO {} VALUES {}",
                self.name,
                values.join(", ")
            ));
        }
        statements
    }
}

/// The tables of one fuzzing round.
#[derive(Debug, Clone)]
pub struct Database {
    /// The tables, named t0, t1, ...
    pub tables: Vec<Table>,
}

impl Database {
    /// Two or three random tables of up to `max_rows` rows each.
    pub fn random(max_rows: usize, random: &mut Random) -> Self {
        let tables = (0..2 + random.below(2))
            .map(|i| Table::random(&format!("t{i}"), max_rows, random))
            .collect();
        Self { tables }
    }

    /// Every statement that builds the database.
    pub fn statements(&self) -> Vec<String> {
        self.tables.iter().flat_map(Table::statements).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_is_created_then_filled() {
        let mut random = Random::new(3);
        let table = Table::random("t", 100, &mut random);
        let statements = table.statements();
        assert!(statements[0].starts_with("CREATE TABLE t (c0 "));
        assert_eq!(statements.len(), 1 + table.rows.len().div_ceil(64));
        assert!(table.rows.iter().all(|r| r.len() == table.columns.len()));
    }
}
