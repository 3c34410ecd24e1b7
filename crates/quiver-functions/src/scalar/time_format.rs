//! `strftime(t, format)` and `strptime(text, format)` (and
//! `try_strptime`, NULL where the text does not match): timestamps to text
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

use super::datetime::{datetime, is_datetime, micros, micros_of};
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
        Ok(Self { items })
    }
}

/// `strftime`, `strptime` or `try_strptime`.
#[derive(Debug)]
pub struct TimeFormat {
    direction: Direction,
    /// The format, when it is a constant.
    compiled: Option<CompiledFormat>,
}

impl TimeFormat {
    /// `strftime`.
    pub fn strftime() -> Self {
        Self {
            direction: Direction::Format,
            compiled: None,
        }
    }
    /// `strptime`.
    pub fn strptime() -> Self {
        Self {
            direction: Direction::Parse,
            compiled: None,
        }
    }
    /// `try_strptime`.
    pub fn try_strptime() -> Self {
        Self {
            direction: Direction::TryParse,
            compiled: None,
        }
    }

    fn compile(&self, format: &str) -> Result<CompiledFormat> {
        CompiledFormat::new(self.name(), format, self.direction)
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
            let t = datetime(t).ok_or_else(|| {
                QuiverError::Execution(format!("strftime: timestamp {t} is out of range"))
            })?;
            text.clear();
            write!(text, "{}", t.format_with_items(compiled.items.iter())).map_err(|_| {
                QuiverError::Execution(format!("strftime: cannot format {t} with '{format}'"))
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
        match self.direction {
            Direction::Format => "strftime",
            Direction::Parse => "strptime",
            Direction::TryParse => "try_strptime",
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
            direction: self.direction,
            compiled: Some(self.compile(format)?),
        })))
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        let rows = result_rows(args, num_rows);
        let out = match self.direction {
            Direction::Format => self.format_all(args, rows)?,
            Direction::Parse | Direction::TryParse => self.parse_all(args, rows)?,
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
    fn invalid_formats_are_reported_when_planned() {
        let err = TimeFormat::strftime()
            .prepare(&[None, Some(ScalarValue::Utf8(Some("%Q".into())))])
            .unwrap_err()
            .to_string();
        assert!(err.contains("strftime: invalid format '%Q'"), "{err}");
    }
}
