//! `format(template, args…)` with `{}` placeholders (`{}` the next
//! argument, `{2}` the third, `{:>8.2f}` with a spec; `{{` and `}}` are
//! braces), and `printf(template, args…)` with C's `%` conversions (`%s`,
//! `%d`, `%5.1f`, `%-3d`, `%x`, `%e`, `%c`, `%%`), as in DuckDB. Arguments
//! of any type; a NULL argument gives NULL.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, StringBuilder};
use arrow::datatypes::DataType;
use quiver_expr::cast::cast_array;
use quiver_expr::types::is_string;
use quiver_expr::{ColumnarValue, QuiverError, Result, ScalarFunction, ScalarValue};

use super::str_arg::StrArg;
use super::{result_rows, shaped, wrong_types};

/// How a value is laid out: `[fill][align][sign][0][width][.precision][type]`.
#[derive(Debug, Default, Clone, PartialEq)]
struct Spec {
    fill: Option<char>,
    /// `<`, `>` or `^`.
    align: Option<char>,
    plus: bool,
    zero: bool,
    width: usize,
    precision: Option<usize>,
    /// `d`, `f`, `e`, `x`, `X`, `o`, `s`, `c` or none.
    kind: Option<char>,
}

/// One argument value of a row, as the conversions need it.
enum Value {
    Int(i64),
    Float(f64),
    Text(String),
}

impl Value {
    fn of(v: &ScalarValue, text: &str) -> Value {
        match v {
            ScalarValue::Int8(Some(i)) => Value::Int(i64::from(*i)),
            ScalarValue::Int16(Some(i)) => Value::Int(i64::from(*i)),
            ScalarValue::Int32(Some(i)) => Value::Int(i64::from(*i)),
            ScalarValue::Int64(Some(i)) => Value::Int(*i),
            ScalarValue::UInt8(Some(i)) => Value::Int(i64::from(*i)),
            ScalarValue::UInt16(Some(i)) => Value::Int(i64::from(*i)),
            ScalarValue::UInt32(Some(i)) => Value::Int(i64::from(*i)),
            ScalarValue::Float32(Some(f)) => Value::Float(f64::from(*f)),
            ScalarValue::Float64(Some(f)) => Value::Float(*f),
            ScalarValue::Decimal128(Some(..), ..) => Value::Float(text.parse().unwrap_or(f64::NAN)),
            _ => Value::Text(text.to_string()),
        }
    }

    fn float(&self, function: &str, conversion: char) -> Result<f64> {
        match self {
            Value::Int(i) => Ok(*i as f64),
            Value::Float(f) => Ok(*f),
            Value::Text(t) => Err(QuiverError::Execution(format!(
                "{function}: %{conversion} needs a number, got '{t}'"
            ))),
        }
    }

    fn int(&self, function: &str, conversion: char) -> Result<i64> {
        match self {
            Value::Int(i) => Ok(*i),
            Value::Float(f) if f.fract() == 0.0 => Ok(*f as i64),
            Value::Float(f) => Err(QuiverError::Execution(format!(
                "{function}: %{conversion} needs an integer, got {f}"
            ))),
            Value::Text(t) => Err(QuiverError::Execution(format!(
                "{function}: %{conversion} needs an integer, got '{t}'"
            ))),
        }
    }

    fn text(&self) -> String {
        match self {
            Value::Int(i) => i.to_string(),
            Value::Float(f) => f.to_string(),
            Value::Text(t) => t.clone(),
        }
    }
}

impl Spec {
    /// `value` laid out by this spec, for `function`.
    fn apply(&self, value: &Value, function: &str) -> Result<String> {
        let kind = self.kind.unwrap_or(match value {
            Value::Int(_) => 'd',
            Value::Float(_) if self.precision.is_some() => 'f',
            _ => 's',
        });
        let body = match kind {
            'd' | 'i' | 'u' => {
                let i = value.int(function, kind)?;
                signed(i.to_string(), i >= 0, self.plus)
            }
            'f' | 'F' => {
                let f = value.float(function, kind)?;
                let digits = format!("{:.*}", self.precision.unwrap_or(6), f);
                signed(digits, !f.is_sign_negative(), self.plus)
            }
            'e' | 'E' => {
                let f = value.float(function, kind)?;
                let text = exponent(f, self.precision.unwrap_or(6));
                let text = if kind == 'E' {
                    text.to_uppercase()
                } else {
                    text
                };
                signed(text, !f.is_sign_negative(), self.plus)
            }
            'g' | 'G' => value.float(function, kind)?.to_string(),
            'x' => format!("{:x}", value.int(function, kind)?),
            'X' => format!("{:X}", value.int(function, kind)?),
            'o' => format!("{:o}", value.int(function, kind)?),
            'c' => {
                let code = value.int(function, kind)?;
                u32::try_from(code)
                    .ok()
                    .and_then(char::from_u32)
                    .map(String::from)
                    .ok_or_else(|| {
                        QuiverError::Execution(format!("{function}: {code} is not a character"))
                    })?
            }
            's' => {
                let t = value.text();
                match self.precision {
                    Some(p) => t.chars().take(p).collect(),
                    None => t,
                }
            }
            other => {
                return Err(QuiverError::Execution(format!(
                    "{function}: unknown conversion '{other}'"
                )))
            }
        };
        Ok(self.pad(body, matches!(value, Value::Int(_) | Value::Float(_))))
    }

    /// `body` padded to the width.
    fn pad(&self, body: String, numeric: bool) -> String {
        let len = body.chars().count();
        if len >= self.width {
            return body;
        }
        let missing = self.width - len;
        if self.zero && numeric && self.align != Some('<') {
            let (sign, digits) = match body.strip_prefix(['-', '+']) {
                Some(rest) => (&body[..1], rest),
                None => ("", body.as_str()),
            };
            return format!("{sign}{}{digits}", "0".repeat(missing));
        }
        let fill = self.fill.unwrap_or(' ').to_string();
        let align = self.align.unwrap_or(if numeric { '>' } else { '<' });
        match align {
            '<' => body + &fill.repeat(missing),
            '^' => {
                let left = missing / 2;
                fill.repeat(left) + &body + &fill.repeat(missing - left)
            }
            _ => fill.repeat(missing) + &body,
        }
    }
}

/// `digits` with a `+` in front when asked for and not negative.
fn signed(digits: String, non_negative: bool, plus: bool) -> String {
    if plus && non_negative {
        format!("+{digits}")
    } else {
        digits
    }
}

/// C's `%e`: `1.500000e+03`.
fn exponent(f: f64, precision: usize) -> String {
    let text = format!("{:.*e}", precision, f);
    match text.split_once('e') {
        Some((mantissa, exp)) => {
            let (sign, digits) = match exp.strip_prefix('-') {
                Some(d) => ('-', d),
                None => ('+', exp),
            };
            format!("{mantissa}e{sign}{digits:0>2}")
        }
        None => text,
    }
}

/// A piece of a parsed template.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Literal(String),
    /// An argument (0-based, after the template) laid out by a spec.
    Argument(usize, Spec),
}

/// `format`'s template: `{}`, `{n}`, `{:spec}`, `{n:spec}`, `{{`, `}}`.
fn parse_braces(template: &str) -> std::result::Result<Vec<Piece>, String> {
    let mut pieces = vec![];
    let mut literal = String::new();
    let mut next = 0;
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                literal.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                literal.push('}');
            }
            '{' => {
                let mut inner = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(c) => inner.push(c),
                        None => return Err(format!("unclosed '{{' in '{template}'")),
                    }
                }
                let (position, spec) = inner.split_once(':').unwrap_or((&inner, ""));
                let index = if position.is_empty() {
                    next += 1;
                    next - 1
                } else {
                    position
                        .parse()
                        .map_err(|_| format!("'{{{inner}}}' is not a placeholder"))?
                };
                pieces.push(Piece::Literal(std::mem::take(&mut literal)));
                pieces.push(Piece::Argument(index, parse_brace_spec(spec)?));
            }
            '}' => return Err(format!("unmatched '}}' in '{template}'")),
            c => literal.push(c),
        }
    }
    pieces.push(Piece::Literal(literal));
    Ok(pieces)
}

/// The spec after `:` in `format`: `[[fill]align][+][0][width][.precision][type]`.
fn parse_brace_spec(spec: &str) -> std::result::Result<Spec, String> {
    let chars: Vec<char> = spec.chars().collect();
    let mut s = Spec::default();
    let mut i = 0;
    let is_align = |c: char| matches!(c, '<' | '>' | '^');
    if chars.len() >= 2 && is_align(chars[1]) {
        s.fill = Some(chars[0]);
        s.align = Some(chars[1]);
        i = 2;
    } else if chars.first().is_some_and(|c| is_align(*c)) {
        s.align = Some(chars[0]);
        i = 1;
    }
    parse_number_spec(&chars[i..], &mut s).map_err(|_| format!("invalid format spec '{spec}'"))?;
    Ok(s)
}

/// Flags, width, precision and type, shared by both template syntaxes.
fn parse_number_spec(chars: &[char], s: &mut Spec) -> std::result::Result<(), ()> {
    let mut i = 0;
    while let Some(c) = chars.get(i) {
        match c {
            '+' => s.plus = true,
            '-' => s.align = Some('<'),
            '0' => s.zero = true,
            ' ' => {}
            _ => break,
        }
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while chars.get(*i).is_some_and(char::is_ascii_digit) {
            *i += 1;
        }
        chars[start..*i].iter().collect::<String>()
    };
    // Widths and precisions past a million are refused: they would only
    // build giant strings.
    const LARGEST: usize = 1_000_000;
    s.width = digits(&mut i).parse().unwrap_or(0);
    if s.width > LARGEST {
        return Err(());
    }
    if chars.get(i) == Some(&'.') {
        i += 1;
        let precision: usize = digits(&mut i).parse().map_err(|_| ())?;
        if precision > LARGEST {
            return Err(());
        }
        s.precision = Some(precision);
    }
    match &chars[i..] {
        [] => Ok(()),
        [kind] => {
            s.kind = Some(*kind);
            Ok(())
        }
        _ => Err(()),
    }
}

/// `printf`'s template: `%[flags][width][.precision]conversion` and `%%`.
fn parse_percents(template: &str) -> std::result::Result<Vec<Piece>, String> {
    let mut pieces = vec![];
    let mut literal = String::new();
    let mut next = 0;
    let mut chars = template.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            literal.push(c);
            continue;
        }
        let mut spec_text = vec![];
        loop {
            match chars.next() {
                Some('%') if spec_text.is_empty() => {
                    literal.push('%');
                    break;
                }
                Some(c) if c.is_ascii_alphabetic() => {
                    spec_text.push(c);
                    // C right-aligns every conversion unless told `-`.
                    let mut spec = Spec {
                        align: Some('>'),
                        ..Spec::default()
                    };
                    parse_number_spec(&spec_text, &mut spec)
                        .map_err(|_| format!("invalid conversion in '{template}'"))?;
                    pieces.push(Piece::Literal(std::mem::take(&mut literal)));
                    pieces.push(Piece::Argument(next, spec));
                    next += 1;
                    break;
                }
                Some(c) => spec_text.push(c),
                None => return Err(format!("'{template}' ends inside a conversion")),
            }
        }
    }
    pieces.push(Piece::Literal(literal));
    Ok(pieces)
}

/// `format` or `printf`.
#[derive(Debug)]
pub struct Format {
    braces: bool,
}

impl Format {
    /// `format`, with `{}` placeholders.
    pub fn braces() -> Self {
        Self { braces: true }
    }
    /// `printf`, with `%` conversions.
    pub fn percents() -> Self {
        Self { braces: false }
    }
}

impl ScalarFunction for Format {
    fn name(&self) -> &str {
        if self.braces {
            "format"
        } else {
            "printf"
        }
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match arg_types.first() {
            Some(t) if is_string(t) || t == &DataType::Null => {
                let mut out = vec![DataType::Utf8];
                out.extend(arg_types[1..].iter().cloned());
                Ok(out)
            }
            _ => Err(wrong_types(self.name(), arg_types)),
        }
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        let name = self.name();
        let rows = result_rows(args, num_rows);
        let templates = StrArg::new(&args[0])?;
        let values: Vec<ArrayRef> = args[1..]
            .iter()
            .map(|a| a.to_array(rows))
            .collect::<Result<_>>()?;
        let texts: Vec<ArrayRef> = values
            .iter()
            .map(|v| cast_array(v, &DataType::Utf8))
            .collect::<Result<_>>()?;
        let mut out = StringBuilder::with_capacity(rows, rows * 16);
        let mut cached: Option<(&str, Vec<Piece>)> = None;
        'rows: for row in 0..rows {
            let Some(template) = templates.get(row) else {
                out.append_null();
                continue;
            };
            if cached.as_ref().is_none_or(|(t, _)| *t != template) {
                let parsed = if self.braces {
                    parse_braces(template)
                } else {
                    parse_percents(template)
                }
                .map_err(|m| QuiverError::Execution(format!("{name}: {m}")))?;
                cached = Some((template, parsed));
            }
            let pieces = cached.as_ref().map_or(&[][..], |(_, p)| p.as_slice());
            let mut text = String::new();
            for piece in pieces {
                match piece {
                    Piece::Literal(l) => text.push_str(l),
                    Piece::Argument(i, spec) => {
                        let (Some(value), Some(value_text)) = (values.get(*i), texts.get(*i))
                        else {
                            return Err(QuiverError::Execution(format!(
                                "{name}: the template '{template}' refers to argument {} but \
                                 {} were given",
                                i + 1,
                                values.len()
                            )));
                        };
                        if value.data_type() == &DataType::Null || value.is_null(row) {
                            out.append_null();
                            continue 'rows;
                        }
                        let scalar = ScalarValue::try_from_array(value, row)?;
                        let shown = value_text
                            .as_any()
                            .downcast_ref::<arrow::array::StringArray>()
                            .map_or("", |t| t.value(row));
                        text.push_str(&spec.apply(&Value::of(&scalar, shown), name)?);
                    }
                }
            }
            out.append_value(&text);
        }
        shaped(args, Arc::new(out.finish()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(f: Format, args: Vec<ScalarValue>) -> Result<Option<String>> {
        let args: Vec<ColumnarValue> = args.into_iter().map(ColumnarValue::Scalar).collect();
        match f.invoke(&args, 1)? {
            ColumnarValue::Scalar(ScalarValue::Utf8(s)) => Ok(s),
            other => panic!("{other:?}"),
        }
    }

    fn text(s: &str) -> ScalarValue {
        ScalarValue::Utf8(Some(s.into()))
    }

    #[test]
    fn braces_with_positions_and_specs() {
        let out = call(
            Format::braces(),
            vec![
                text("{} is {:.2f}, {0:>5}|{:<4}|{{}}"),
                text("x"),
                ScalarValue::Float64(Some(3.14659)),
                ScalarValue::Int64(Some(7)),
            ],
        );
        assert_eq!(out.unwrap().as_deref(), Some("x is 3.15,     x|7   |{}"));
        let null = call(Format::braces(), vec![text("{}"), ScalarValue::Int64(None)]);
        assert_eq!(null.unwrap(), None);
        let err = call(Format::braces(), vec![text("{} {}"), text("a")]).unwrap_err();
        assert!(err.to_string().contains("refers to argument 2"), "{err}");
    }

    #[test]
    fn percents_like_c() {
        let out = call(
            Format::percents(),
            vec![
                text("%s is %5.1f|%-3d|%03d|%x|%%|%e"),
                text("x"),
                ScalarValue::Float64(Some(3.14659)),
                ScalarValue::Int64(Some(7)),
                ScalarValue::Int64(Some(-7)),
                ScalarValue::Int64(Some(255)),
                ScalarValue::Float64(Some(1500.0)),
            ],
        );
        assert_eq!(
            out.unwrap().as_deref(),
            Some("x is   3.1|7  |-07|ff|%|1.500000e+03")
        );
        let err = call(Format::percents(), vec![text("%d"), text("abc")]).unwrap_err();
        assert!(
            err.to_string().contains("%d needs an integer, got 'abc'"),
            "{err}"
        );
    }
}
