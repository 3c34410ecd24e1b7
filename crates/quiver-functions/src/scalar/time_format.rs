//! `strftime(t, format)` and `strptime(text, format)` (and
//! `try_strptime`, NULL where the text does not match), and their
//! PostgreSQL forms `to_char(t, template)` and `to_date(text, template)`
//! (`YYYY-MM-DD HH24:MI:SS`, translated to DuckDB's codes): timestamps to text
//! and back with DuckDB's format codes, which are C's (`%Y-%m-%d
//! %H:%M:%S`, `%A`, `%B`, `%j`, …) plus `%f` (microseconds, 6 digits),
//! `%g` (milliseconds, 3 digits) and `%n` (nanoseconds, 9 digits). A
//! constant format is checked and compiled once per query.

use std::fmt::Write;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, StringBuilder, TimestampMicrosecondBuilder};
use arrow::datatypes::{DataType, TimeUnit};
use chrono::format::{parse, Item, Parsed, StrftimeItems};
use chrono::NaiveTime;
use quiver_expr::types::is_string;
use quiver_expr::{ColumnarValue, QuiverError, Result, ScalarFunction, ScalarValue};

use super::datetime::{
    civil_from_days, datetime, days_from_civil, is_datetime, micros, micros_of, MICROS_PER_DAY,
};
use super::str_arg::{constant_str, StrArg};
use super::{check_arity, result_rows, shaped, wrong_types};

/// Which way a [`TimeFormat`] converts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Direction {
    /// `strftime`: a timestamp to text.
    Format,
    /// `strptime`: text to a timestamp; an error when it does not match.
    Parse,
    /// `try_strptime`: as `strptime`, NULL when it does not match.
    TryParse,
}

/// Which codes a format is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Codes {
    /// DuckDB's (C's `%Y-%m-%d`), for `strftime` and `strptime`.
    DuckDb,
    /// PostgreSQL's template patterns (`YYYY-MM-DD HH24:MI:SS`), for
    /// `to_char` and `to_date`.
    Postgres,
}

/// PostgreSQL's template patterns and the DuckDB codes they stand for,
/// longest first so that `HH24` is not read as `HH`.
const POSTGRES_PATTERNS: &[(&str, &str)] = &[
    ("YYYY", "%Y"),
    ("HH24", "%H"),
    ("HH12", "%I"),
    ("Month", "%B"),
    ("DDD", "%j"),
    ("Mon", "%b"),
    ("Day", "%A"),
    ("YY", "%y"),
    ("MM", "%m"),
    ("DD", "%d"),
    ("HH", "%I"),
    ("MI", "%M"),
    ("SS", "%S"),
    ("MS", "%g"),
    ("US", "%f"),
    ("AM", "%p"),
    ("PM", "%p"),
    ("Dy", "%a"),
    ("IW", "%V"),
];

/// A PostgreSQL template (`YYYY-MM-DD HH24:MI:SS`) in DuckDB's codes. Text
/// in double quotes is literal, as are characters that start no pattern;
/// an `FM` prefix is accepted (names are never blank-padded). Patterns
/// Quiver does not implement (`MONTH`, `Q`, `TZ`, …) are an error.
fn postgres_to_duckdb(template: &str) -> std::result::Result<String, String> {
    let mut out = String::with_capacity(template.len() + 8);
    let mut rest = template;
    while let Some(c) = rest.chars().next() {
        if c == '"' {
            let end = rest[1..]
                .find('"')
                .ok_or_else(|| format!("unclosed quote in '{template}'"))?;
            out.push_str(&rest[1..1 + end].replace('%', "%%"));
            rest = &rest[end + 2..];
            continue;
        }
        if let Some(after) = rest.strip_prefix("FM") {
            rest = after;
            continue;
        }
        if let Some((pattern, code)) = POSTGRES_PATTERNS.iter().find(|(p, _)| rest.starts_with(p)) {
            out.push_str(code);
            rest = &rest[pattern.len()..];
            continue;
        }
        if c.is_ascii_uppercase() {
            let word: String = rest.chars().take_while(char::is_ascii_uppercase).collect();
            return Err(format!(
                "the pattern '{word}' in '{template}' is not supported"
            ));
        }
        if c == '%' {
            out.push_str("%%");
        } else {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    Ok(out)
}

/// A DuckDB format string in chrono's syntax.
fn chrono_format(format: &str, direction: Direction) -> String {
    let mut out = String::with_capacity(format.len() + 4);
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            // A fraction after a dot parses as chrono's "%.f" (any digits).
            Some('f') if direction != Direction::Format && out.ends_with('.') => {
                out.pop();
                out.push_str("%.f");
            }
            Some('f') => out.push_str("%6f"),
            Some('g') => out.push_str("%3f"),
            Some('n') => out.push_str("%9f"),
            // Timestamps carry no zone: DuckDB prints none.
            Some('Z') if direction == Direction::Format => {}
            Some('z') if direction == Direction::Format => out.push_str("+00"),
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}

/// A checked, compiled format.
#[derive(Debug, Clone)]
struct CompiledFormat {
    items: Vec<Item<'static>>,
    /// The items as pieces to write, for formatting.
    pieces: Vec<Piece>,
}

/// A part of a format, as `strftime` writes it.
#[derive(Debug, Clone)]
enum Piece {
    /// Text as it is.
    Literal(String),
    /// A number of the date or time, zero-padded to `width` digits.
    Number(NumberField, usize),
    /// Anything else (names of days and months, …), written by chrono.
    Other(Item<'static>),
}

/// The numbers [`Piece::Number`] writes.
#[derive(Debug, Clone, Copy)]
enum NumberField {
    Year,
    Month,
    Day,
    Hour,
    Minute,
    Second,
    DayOfYear,
}

impl Piece {
    fn of(item: &Item<'static>) -> Piece {
        use chrono::format::{Numeric, Pad};
        let number = |field, width| Piece::Number(field, width);
        match item {
            Item::Literal(t) | Item::Space(t) => Piece::Literal(t.to_string()),
            Item::OwnedLiteral(t) | Item::OwnedSpace(t) => Piece::Literal(t.to_string()),
            Item::Numeric(n, pad @ (Pad::Zero | Pad::None)) => {
                let padded = |width| if *pad == Pad::Zero { width } else { 0 };
                match n {
                    Numeric::Year => number(NumberField::Year, padded(4)),
                    Numeric::Month => number(NumberField::Month, padded(2)),
                    Numeric::Day => number(NumberField::Day, padded(2)),
                    Numeric::Hour => number(NumberField::Hour, padded(2)),
                    Numeric::Minute => number(NumberField::Minute, padded(2)),
                    Numeric::Second => number(NumberField::Second, padded(2)),
                    Numeric::Ordinal => number(NumberField::DayOfYear, padded(3)),
                    _ => Piece::Other(item.clone()),
                }
            }
            other => Piece::Other(other.clone()),
        }
    }
}

/// `value` in decimal, zero-padded to `width` digits. Values of up to four
/// digits (every field but a far year) are written digit by digit with
/// divisions by the constant 10, which compile to multiplications.
fn push_number(out: &mut String, value: i64, width: usize) {
    if !(0..10_000).contains(&value) || width > 4 {
        let _ = write!(out, "{value:0width$}");
        return;
    }
    let mut digits = [b'0'; 4];
    let (mut rest, mut written) = (value as u32, 0);
    loop {
        digits[3 - written] = b'0' + (rest % 10) as u8;
        rest /= 10;
        written += 1;
        if rest == 0 {
            break;
        }
    }
    let start = 4 - written.max(width);
    out.extend(digits[start..].iter().map(|&d| char::from(d)));
}

impl CompiledFormat {
    fn new(function: &str, format: &str, direction: Direction) -> Result<Self> {
        let items = StrftimeItems::new(&chrono_format(format, direction))
            .parse_to_owned()
            .map_err(|_| {
                QuiverError::Plan(format!(
                    "{function}: invalid format '{format}' (codes are as in C's strftime, \
                     plus %f, %g and %n for fractions of a second)"
                ))
            })?;
        let pieces = items.iter().map(Piece::of).collect();
        Ok(Self { items, pieces })
    }

    /// Writes `micros` since the epoch with this format.
    fn write(&self, out: &mut String, micros: i64) -> std::fmt::Result {
        let days = micros.div_euclid(MICROS_PER_DAY);
        let in_day = micros.rem_euclid(MICROS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        for piece in &self.pieces {
            match piece {
                Piece::Literal(t) => out.push_str(t),
                Piece::Number(field, width) => {
                    let value = match field {
                        NumberField::Year => year,
                        NumberField::Month => i64::from(month),
                        NumberField::Day => i64::from(day),
                        NumberField::Hour => in_day / 3_600_000_000,
                        NumberField::Minute => in_day / 60_000_000 % 60,
                        NumberField::Second => in_day / 1_000_000 % 60,
                        NumberField::DayOfYear => days - days_from_civil(year, 1, 1) + 1,
                    };
                    push_number(out, value, *width);
                }
                Piece::Other(item) => {
                    let t = datetime(micros).ok_or(std::fmt::Error)?;
                    write!(out, "{}", t.format_with_items(std::iter::once(item)))?;
                }
            }
        }
        Ok(())
    }
}

/// `strftime`, `strptime` or `try_strptime`.
#[derive(Debug)]
pub struct TimeFormat {
    direction: Direction,
    codes: Codes,
    /// `to_date`: the parsed timestamp's date.
    returns_date: bool,
    /// The format, when it is a constant.
    compiled: Option<CompiledFormat>,
}

impl TimeFormat {
    fn new(direction: Direction, codes: Codes, returns_date: bool) -> Self {
        Self {
            direction,
            codes,
            returns_date,
            compiled: None,
        }
    }
    /// `strftime`.
    pub fn strftime() -> Self {
        Self::new(Direction::Format, Codes::DuckDb, false)
    }
    /// `strptime`.
    pub fn strptime() -> Self {
        Self::new(Direction::Parse, Codes::DuckDb, false)
    }
    /// `try_strptime`.
    pub fn try_strptime() -> Self {
        Self::new(Direction::TryParse, Codes::DuckDb, false)
    }
    /// `to_char`: `strftime` with PostgreSQL's template patterns.
    pub fn to_char() -> Self {
        Self::new(Direction::Format, Codes::Postgres, false)
    }
    /// `to_date`: a DATE read with PostgreSQL's template patterns.
    pub fn to_date() -> Self {
        Self::new(Direction::Parse, Codes::Postgres, true)
    }

    fn compile(&self, format: &str) -> Result<CompiledFormat> {
        let duckdb = match self.codes {
            Codes::DuckDb => std::borrow::Cow::Borrowed(format),
            Codes::Postgres => std::borrow::Cow::Owned(
                postgres_to_duckdb(format)
                    .map_err(|m| QuiverError::Plan(format!("{}: {m}", self.name())))?,
            ),
        };
        CompiledFormat::new(self.name(), &duckdb, self.direction)
    }

    fn format_all(&self, args: &[ColumnarValue], rows: usize) -> Result<ArrayRef> {
        let instants = micros_of(args[0].to_array(rows)?.as_ref())?;
        let formats = StrArg::new(&args[1])?;
        let mut out = StringBuilder::with_capacity(rows, rows * 20);
        let mut text = String::new();
        for row in 0..rows {
            let (Some(t), Some(format)) = (
                instants.is_valid(row).then(|| instants.value(row)),
                formats.get(row),
            ) else {
                out.append_null();
                continue;
            };
            let compiled = match &self.compiled {
                Some(c) => std::borrow::Cow::Borrowed(c),
                None => std::borrow::Cow::Owned(self.compile(format)?),
            };
            text.clear();
            compiled.write(&mut text, t).map_err(|_| {
                QuiverError::Execution(format!(
                    "strftime: cannot format the timestamp {t} µs with '{format}'"
                ))
            })?;
            out.append_value(&text);
        }
        Ok(Arc::new(out.finish()))
    }

    fn parse_all(&self, args: &[ColumnarValue], rows: usize) -> Result<ArrayRef> {
        let texts = StrArg::new(&args[0])?;
        let formats = StrArg::new(&args[1])?;
        let mut out = TimestampMicrosecondBuilder::with_capacity(rows);
        for row in 0..rows {
            let (Some(text), Some(format)) = (texts.get(row), formats.get(row)) else {
                out.append_null();
                continue;
            };
            let compiled = match &self.compiled {
                Some(c) => std::borrow::Cow::Borrowed(c),
                None => std::borrow::Cow::Owned(self.compile(format)?),
            };
            match parse_timestamp(text, &compiled) {
                Some(t) => out.append_value(t),
                None if self.direction == Direction::TryParse => out.append_null(),
                None => {
                    return Err(QuiverError::Execution(format!(
                        "strptime: could not parse '{text}' with the format '{format}'"
                    )))
                }
            }
        }
        Ok(Arc::new(out.finish()))
    }
}

/// `text` read with `format` as microseconds since the epoch; a format
/// without a time of day gives midnight.
fn parse_timestamp(text: &str, format: &CompiledFormat) -> Option<i64> {
    let mut parsed = Parsed::new();
    parse(&mut parsed, text, format.items.iter()).ok()?;
    let date = parsed.to_naive_date().ok()?;
    let time = match parsed.to_naive_time() {
        Ok(t) => t,
        Err(_) if parsed.hour_div_12.is_none() && parsed.minute.is_none() => NaiveTime::MIN,
        Err(_) => return None,
    };
    Some(micros(date.and_time(time)))
}

impl ScalarFunction for TimeFormat {
    fn name(&self) -> &str {
        match (self.direction, self.codes) {
            (Direction::Format, Codes::DuckDb) => "strftime",
            (Direction::Parse, Codes::DuckDb) => "strptime",
            (Direction::TryParse, _) => "try_strptime",
            (Direction::Format, Codes::Postgres) => "to_char",
            (Direction::Parse, Codes::Postgres) => "to_date",
        }
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let name = self.name();
        check_arity(name, arg_types, 2, 2)?;
        let first = match (&arg_types[0], self.direction) {
            (DataType::Null, Direction::Format) => DataType::Date32,
            (t, Direction::Format) if is_datetime(t) => t.clone(),
            (DataType::Null, _) => DataType::Utf8,
            (t, Direction::Parse | Direction::TryParse) if is_string(t) => t.clone(),
            _ => return Err(wrong_types(name, arg_types)),
        };
        let format = match &arg_types[1] {
            DataType::Null => DataType::Utf8,
            t if is_string(t) => t.clone(),
            _ => return Err(wrong_types(name, arg_types)),
        };
        Ok(vec![first, format])
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(match self.direction {
            Direction::Format => DataType::Utf8,
            _ if self.returns_date => DataType::Date32,
            Direction::Parse | Direction::TryParse => {
                DataType::Timestamp(TimeUnit::Microsecond, None)
            }
        })
    }
    fn prepare(
        &self,
        constants: &[Option<ScalarValue>],
    ) -> Result<Option<Arc<dyn ScalarFunction>>> {
        let Some(Some(format)) = constants.get(1) else {
            return Ok(None);
        };
        let Some(format) = constant_str(format)? else {
            return Ok(None);
        };
        Ok(Some(Arc::new(TimeFormat {
            compiled: Some(self.compile(format)?),
            ..*self
        })))
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        let rows = result_rows(args, num_rows);
        let out = match self.direction {
            Direction::Format => self.format_all(args, rows)?,
            Direction::Parse | Direction::TryParse => self.parse_all(args, rows)?,
        };
        let out = if self.returns_date {
            arrow::compute::cast(&out, &DataType::Date32)?
        } else {
            out
        };
        shaped(args, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> ColumnarValue {
        ColumnarValue::Scalar(ScalarValue::Utf8(Some(s.into())))
    }

    fn timestamp(micros: i64) -> ColumnarValue {
        ColumnarValue::Scalar(ScalarValue::TimestampMicrosecond(Some(micros), None))
    }

    #[test]
    fn formats_with_duckdb_codes() {
        // 2024-03-15 10:05:07.123456
        let t = timestamp(1_710_497_107_123_456);
        let out = TimeFormat::strftime()
            .invoke(&[t, text("%Y/%m/%d %H:%M:%S.%f %g %A %B %j")], 1)
            .unwrap();
        let ColumnarValue::Scalar(ScalarValue::Utf8(Some(s))) = out else {
            panic!("expected text");
        };
        assert_eq!(s, "2024/03/15 10:05:07.123456 123 Friday March 075");
    }

    #[test]
    fn parses_dates_times_and_fractions() {
        let parse = |s: &str, f: &str| {
            TimeFormat::strptime()
                .invoke(&[text(s), text(f)], 1)
                .map(|v| match v {
                    ColumnarValue::Scalar(ScalarValue::TimestampMicrosecond(t, _)) => t,
                    other => panic!("{other:?}"),
                })
        };
        assert_eq!(
            parse("15/03/2024", "%d/%m/%Y").unwrap(),
            Some(1_710_460_800_000_000)
        );
        assert_eq!(
            parse("2024-03-15 10:05:07.5", "%Y-%m-%d %H:%M:%S.%f").unwrap(),
            Some(1_710_497_107_500_000)
        );
        let err = parse("2024-13-01", "%Y-%m-%d").unwrap_err().to_string();
        assert!(err.contains("could not parse '2024-13-01'"), "{err}");
        let tried = TimeFormat::try_strptime()
            .invoke(&[text("nope"), text("%Y")], 1)
            .unwrap();
        assert!(matches!(
            tried,
            ColumnarValue::Scalar(ScalarValue::TimestampMicrosecond(None, _))
        ));
    }

    #[test]
    fn numbers_are_padded_to_their_width() {
        let mut out = String::new();
        for (value, width) in [
            (7, 2),
            (7, 0),
            (2024, 4),
            (75, 3),
            (0, 2),
            (12345, 4),
            (-5, 2),
        ] {
            push_number(&mut out, value, width);
            out.push('|');
        }
        assert_eq!(out, "07|7|2024|075|00|12345|-5|");
    }

    #[test]
    fn postgres_templates_become_duckdb_codes() {
        assert_eq!(
            postgres_to_duckdb("YYYY-MM-DD HH24:MI:SS.US").unwrap(),
            "%Y-%m-%d %H:%M:%S.%f"
        );
        assert_eq!(
            postgres_to_duckdb(r#"FMDay, DD "of" Month YYYY 100%"#).unwrap(),
            "%A, %d of %B %Y 100%%"
        );
        assert!(postgres_to_duckdb("Q").unwrap_err().contains("'Q'"));
        assert!(postgres_to_duckdb("\"unclosed").is_err());
    }

    #[test]
    fn invalid_formats_are_reported_when_planned() {
        let err = TimeFormat::strftime()
            .prepare(&[None, Some(ScalarValue::Utf8(Some("%Q".into())))])
            .unwrap_err()
            .to_string();
        assert!(err.contains("strftime: invalid format '%Q'"), "{err}");
    }
}
