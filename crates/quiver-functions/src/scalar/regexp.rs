//! Regular-expression functions: `regexp_matches`, `regexp_full_match`,
//! `regexp_replace`, `regexp_extract`, `regexp_extract_all` and
//! `regexp_split_to_array`; the operators `~`, `~*`, `!~`, `!~*` and
//! `SIMILAR TO` are bound to the first two.
//!
//! Patterns use RE2's syntax, as in DuckDB (the `regex` crate implements the
//! same language: no back-references or look-around). A constant pattern is
//! compiled once per query ([`ScalarFunction::prepare`]), so an invalid one
//! is reported before any row is read; patterns that vary by row are
//! compiled once per distinct pattern in a batch.
//!
//! The options argument, a constant string, holds letters: `c`
//! case-sensitive (the default), `i` case-insensitive, `l` the pattern is
//! literal text, `m`/`n`/`p` newline-sensitive (`^` and `$` match at line
//! breaks), `s` `.` also matches a newline, and for `regexp_replace` only,
//! `g` replaces every match instead of the first.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanBuilder, ListBuilder, StringBuilder};
use arrow::datatypes::{DataType, Field};
use quiver_expr::types::is_string;
use quiver_expr::{ColumnarValue, QuiverError, Result, ScalarFunction, ScalarValue};
use regex::{Regex, RegexBuilder};

use super::str_arg::{constant_str, StrArg};
use super::{check_arity, result_rows, shaped, wrong_types};

/// What a regular-expression function computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    /// Whether the pattern matches anywhere in the string.
    Matches,
    /// Whether the pattern matches the whole string.
    FullMatch,
    /// The string with the first (or, with `g`, every) match replaced.
    Replace,
    /// One group of the first match, `''` when there is none.
    Extract,
    /// One group of every match, as a list.
    ExtractAll,
    /// The pieces between matches, as a list.
    Split,
}

impl Operation {
    fn name(self) -> &'static str {
        match self {
            Operation::Matches => "regexp_matches",
            Operation::FullMatch => "regexp_full_match",
            Operation::Replace => "regexp_replace",
            Operation::Extract => "regexp_extract",
            Operation::ExtractAll => "regexp_extract_all",
            Operation::Split => "regexp_split_to_array",
        }
    }

    fn aliases(self) -> &'static [&'static str] {
        match self {
            Operation::Matches => &["regexp_like"],
            Operation::Split => &["string_split_regex", "str_split_regex"],
            _ => &[],
        }
    }

    /// The position of the options argument.
    fn options_position(self) -> usize {
        match self {
            Operation::Matches | Operation::FullMatch | Operation::Split => 2,
            Operation::Replace | Operation::Extract | Operation::ExtractAll => 3,
        }
    }

    fn returns(self) -> DataType {
        match self {
            Operation::Matches | Operation::FullMatch => DataType::Boolean,
            Operation::Replace | Operation::Extract => DataType::Utf8,
            Operation::ExtractAll | Operation::Split => string_list(),
        }
    }
}

fn string_list() -> DataType {
    DataType::List(Arc::new(Field::new("item", DataType::Utf8, true)))
}

/// The options of a call, from its options argument.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Options {
    case_insensitive: bool,
    literal: bool,
    multi_line: bool,
    dot_matches_newline: bool,
    global: bool,
}

impl Options {
    fn parse(function: &str, text: &str, allow_global: bool) -> Result<Self> {
        let mut options = Options::default();
        for c in text.chars() {
            match c {
                'c' => options.case_insensitive = false,
                'i' => options.case_insensitive = true,
                'l' => options.literal = true,
                'm' | 'n' | 'p' => options.multi_line = true,
                's' => options.dot_matches_newline = true,
                'g' if allow_global => options.global = true,
                _ => {
                    return Err(QuiverError::Plan(format!(
                        "{function}: unknown regular expression option '{c}' in '{text}' \
                         (options are c, i, l, m, n, p, s{})",
                        if allow_global { ", g" } else { "" }
                    )))
                }
            }
        }
        Ok(options)
    }

    /// Compiles `pattern`; `whole` anchors it to the whole string.
    fn compile(&self, function: &str, pattern: &str, whole: bool) -> Result<Regex> {
        let body = if self.literal {
            regex::escape(pattern)
        } else {
            pattern.to_string()
        };
        let source = if whole {
            format!(r"\A(?:{body})\z")
        } else {
            body
        };
        RegexBuilder::new(&source)
            .case_insensitive(self.case_insensitive)
            .multi_line(self.multi_line)
            .dot_matches_new_line(self.dot_matches_newline)
            .size_limit(64 << 20)
            .build()
            .map_err(|e| {
                QuiverError::Execution(format!(
                    "{function}: invalid regular expression '{pattern}': {}",
                    describe_regex_error(&e)
                ))
            })
    }
}

/// The regex crate's message without its multi-line source excerpt,
/// keeping the error's own description and position.
fn describe_regex_error(e: &regex::Error) -> String {
    match e {
        regex::Error::Syntax(text) => text
            .lines()
            .filter(|l| l.starts_with("error:"))
            .map(|l| l.trim_start_matches("error:").trim().to_string())
            .next()
            .unwrap_or_else(|| text.clone()),
        regex::Error::CompiledTooBig(limit) => {
            format!("it compiles to more than {limit} bytes")
        }
        other => other.to_string(),
    }
}

/// A regular-expression function, possibly prepared for a constant pattern
/// and constant options.
#[derive(Debug, Clone)]
pub struct RegexFunction {
    operation: Operation,
    /// The compiled constant pattern, when the call's pattern is constant.
    compiled: Option<Regex>,
    /// The constant options and group, once prepared.
    prepared: Option<Prepared>,
}

/// What a call fixes for every row.
#[derive(Debug, Clone, Default)]
struct Prepared {
    options: Options,
    group: usize,
    /// The replacement rewritten to the regex crate's syntax.
    replacement: Option<String>,
}

impl RegexFunction {
    fn new(operation: Operation) -> Self {
        Self {
            operation,
            compiled: None,
            prepared: None,
        }
    }

    fn name_of(&self) -> &'static str {
        self.operation.name()
    }

    fn whole(&self) -> bool {
        self.operation == Operation::FullMatch
    }

    /// The options, group and replacement of a call from its constant
    /// arguments; they must be constants.
    fn prepared_from(&self, constants: &[Option<ScalarValue>]) -> Result<Prepared> {
        let name = self.name_of();
        let options = match constants.get(self.operation.options_position()) {
            None => Options::default(),
            Some(Some(v)) => Options::parse(
                name,
                constant_str(v)?.unwrap_or(""),
                self.operation == Operation::Replace,
            )?,
            Some(None) => {
                return Err(QuiverError::Plan(format!(
                    "{name}: the options argument must be a constant string"
                )))
            }
        };
        let group = match self.operation {
            Operation::Extract | Operation::ExtractAll => match constants.get(2) {
                None => 0,
                Some(Some(v)) => group_index(name, v)?,
                Some(None) => {
                    return Err(QuiverError::Plan(format!(
                        "{name}: the group argument must be a constant integer"
                    )))
                }
            },
            _ => 0,
        };
        let replacement = match (self.operation, constants.get(2)) {
            (Operation::Replace, Some(Some(v))) => constant_str(v)?.map(re2_replacement),
            _ => None,
        };
        Ok(Prepared {
            options,
            group,
            replacement,
        })
    }

    /// Evaluates the call over `rows` rows with every needed regex compiled.
    fn evaluate(
        &self,
        prepared: &Prepared,
        args: &[ColumnarValue],
        rows: usize,
    ) -> Result<ArrayRef> {
        let strings = StrArg::new(&args[0])?;
        let patterns = StrArg::new(&args[1])?;
        let name = self.name_of();
        // Every distinct pattern of the batch compiled once, up front, so
        // that rows borrow their regex (a cloned `Regex` starts with a cold
        // matching cache).
        let mut compiled: HashMap<&str, Regex> = HashMap::new();
        if self.compiled.is_none() {
            for row in 0..rows {
                if let Some(p) = patterns.get(row) {
                    if !compiled.contains_key(p) {
                        compiled.insert(p, prepared.options.compile(name, p, self.whole())?);
                    }
                }
            }
        }
        let regex_at = |row: usize| -> Result<Option<&Regex>> {
            Ok(match &self.compiled {
                Some(r) => Some(r),
                None => patterns.get(row).and_then(|p| compiled.get(p)),
            })
        };
        match self.operation {
            Operation::Matches | Operation::FullMatch => {
                let mut out = BooleanBuilder::with_capacity(rows);
                for row in 0..rows {
                    match (strings.get(row), regex_at(row)?) {
                        (Some(s), Some(r)) => out.append_value(r.is_match(s)),
                        _ => out.append_null(),
                    }
                }
                Ok(Arc::new(out.finish()))
            }
            Operation::Replace => {
                let replacements = StrArg::new(&args[2])?;
                let mut out = StringBuilder::with_capacity(rows, rows * 16);
                for row in 0..rows {
                    let replacement = match &prepared.replacement {
                        Some(r) => Some(std::borrow::Cow::Borrowed(r.as_str())),
                        None => replacements.get(row).map(|r| re2_replacement(r).into()),
                    };
                    match (strings.get(row), regex_at(row)?, replacement) {
                        (Some(s), Some(r), Some(with)) => {
                            let limit = if prepared.options.global { 0 } else { 1 };
                            out.append_value(r.replacen(s, limit, with.as_ref()));
                        }
                        _ => out.append_null(),
                    }
                }
                Ok(Arc::new(out.finish()))
            }
            Operation::Extract => {
                let mut out = StringBuilder::with_capacity(rows, rows * 8);
                for row in 0..rows {
                    match (strings.get(row), regex_at(row)?) {
                        (Some(s), Some(r)) => {
                            check_group(name, r, prepared.group)?;
                            let found = r
                                .captures(s)
                                .and_then(|c| c.get(prepared.group))
                                .map_or("", |m| m.as_str());
                            out.append_value(found);
                        }
                        _ => out.append_null(),
                    }
                }
                Ok(Arc::new(out.finish()))
            }
            Operation::ExtractAll | Operation::Split => {
                let mut out = ListBuilder::new(StringBuilder::new());
                for row in 0..rows {
                    match (strings.get(row), regex_at(row)?) {
                        (Some(s), Some(r)) => {
                            if self.operation == Operation::Split {
                                for piece in split(r, s) {
                                    out.values().append_value(piece);
                                }
                            } else {
                                check_group(name, r, prepared.group)?;
                                for m in every_match(r, s, prepared.group) {
                                    out.values().append_value(m);
                                }
                            }
                            out.append(true);
                        }
                        _ => out.append(false),
                    }
                }
                Ok(Arc::new(out.finish()))
            }
        }
    }
}

/// The pieces of `s` between matches of `r`. An empty match at the start
/// or the end splits nothing off, as in DuckDB (RE2): `x*` splits `abc`
/// into `a`, `b`, `c`, with no empty first or last piece.
fn split<'a>(r: &Regex, s: &'a str) -> Vec<&'a str> {
    let mut pieces = vec![];
    let mut from = 0;
    for m in r.find_iter(s) {
        if m.is_empty() && (m.start() == 0 || m.start() == s.len()) {
            continue;
        }
        pieces.push(&s[from..m.start()]);
        from = m.end();
    }
    pieces.push(&s[from..]);
    pieces
}

/// Group `group` of every match of `r` in `s`, found as RE2 (and so
/// DuckDB) finds them: an empty match right after a match counts too, so
/// `a*` over `aba` matches `a`, ``, `a`, `` (Rust's iterator skips the
/// empty ones that follow a match).
fn every_match<'a>(r: &Regex, s: &'a str, group: usize) -> Vec<&'a str> {
    let mut found = vec![];
    let mut at = 0;
    while at <= s.len() {
        let Some(c) = r.captures_at(s, at) else {
            break;
        };
        let Some(whole) = c.get(0) else {
            break;
        };
        found.push(c.get(group).map_or("", |m| m.as_str()));
        at = if whole.is_empty() {
            // Step past the next character to find the next match.
            match s[whole.end()..].chars().next() {
                Some(ch) => whole.end() + ch.len_utf8(),
                None => s.len() + 1,
            }
        } else {
            whole.end()
        };
    }
    found
}

/// The group number of an `regexp_extract` call.
fn group_index(name: &str, v: &ScalarValue) -> Result<usize> {
    let n = match v {
        ScalarValue::Int64(Some(n)) => *n,
        ScalarValue::Int32(Some(n)) => i64::from(*n),
        ScalarValue::Null | ScalarValue::Int64(None) | ScalarValue::Int32(None) => 0,
        ScalarValue::List(_) => {
            return Err(QuiverError::NotImplemented(format!(
                "{name} with a list of group names (a STRUCT result) is not supported yet"
            )))
        }
        other => {
            return Err(QuiverError::Plan(format!(
                "{name}: the group must be an integer, not {other}"
            )))
        }
    };
    usize::try_from(n).map_err(|_| {
        QuiverError::Plan(format!(
            "{name}: the group number must not be negative, got {n}"
        ))
    })
}

fn check_group(name: &str, r: &Regex, group: usize) -> Result<()> {
    if group >= r.captures_len() {
        return Err(QuiverError::Execution(format!(
            "{name}: the pattern '{}' has {} group(s); group {group} does not exist",
            r.as_str(),
            r.captures_len() - 1
        )));
    }
    Ok(())
}

/// An RE2 replacement string (`\1` a group, `\\` a backslash, `$` itself)
/// in the regex crate's syntax (`${1}`, `$$`).
fn re2_replacement(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some(d) if d.is_ascii_digit() => {
                    out.push_str(&format!("${{{d}}}"));
                    chars.next();
                }
                Some('\\') => {
                    out.push('\\');
                    chars.next();
                }
                _ => out.push('\\'),
            },
            '$' => out.push_str("$$"),
            c => out.push(c),
        }
    }
    out
}

impl ScalarFunction for RegexFunction {
    fn name(&self) -> &str {
        self.name_of()
    }
    fn aliases(&self) -> &'static [&'static str] {
        self.operation.aliases()
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let name = self.name_of();
        let options = self.operation.options_position();
        check_arity(name, arg_types, 2, options + 1)?;
        arg_types
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let is_group =
                    i == 2 && matches!(self.operation, Operation::Extract | Operation::ExtractAll);
                match t {
                    DataType::Null if is_group => Ok(DataType::Int64),
                    DataType::Null => Ok(DataType::Utf8),
                    t if is_group && t.is_integer() => Ok(DataType::Int64),
                    t if !is_group && is_string(t) => Ok(t.clone()),
                    _ => Err(wrong_types(name, arg_types)),
                }
            })
            .collect()
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(self.operation.returns())
    }
    fn prepare(
        &self,
        constants: &[Option<ScalarValue>],
    ) -> Result<Option<Arc<dyn ScalarFunction>>> {
        let prepared = self.prepared_from(constants)?;
        let compiled = match constants.get(1) {
            Some(Some(p)) => constant_str(p)?
                .map(|p| prepared.options.compile(self.name_of(), p, self.whole()))
                .transpose()?,
            _ => None,
        };
        Ok(Some(Arc::new(RegexFunction {
            operation: self.operation,
            compiled,
            prepared: Some(prepared),
        })))
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        let prepared = match &self.prepared {
            Some(p) => p.clone(),
            None => {
                let constants: Vec<Option<ScalarValue>> = args
                    .iter()
                    .map(|a| match a {
                        ColumnarValue::Scalar(s) => Some(s.clone()),
                        ColumnarValue::Array(_) => None,
                    })
                    .collect();
                self.prepared_from(&constants)?
            }
        };
        let rows = result_rows(args, num_rows);
        shaped(args, self.evaluate(&prepared, args, rows)?)
    }
}

/// The regular-expression functions.
pub fn functions() -> Vec<RegexFunction> {
    [
        Operation::Matches,
        Operation::FullMatch,
        Operation::Replace,
        Operation::Extract,
        Operation::ExtractAll,
        Operation::Split,
    ]
    .into_iter()
    .map(RegexFunction::new)
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, AsArray, StringArray};

    fn text(s: &str) -> ColumnarValue {
        ColumnarValue::Scalar(ScalarValue::Utf8(Some(s.into())))
    }

    fn run(op: Operation, args: &[ColumnarValue]) -> Result<ScalarValue> {
        match RegexFunction::new(op).invoke(args, 1)? {
            ColumnarValue::Scalar(s) => Ok(s),
            ColumnarValue::Array(a) => Ok(ScalarValue::try_from_array(&a, 0)?),
        }
    }

    #[test]
    fn matching_partly_and_wholly_with_options() {
        let yes = ScalarValue::Boolean(Some(true));
        let no = ScalarValue::Boolean(Some(false));
        assert_eq!(
            run(Operation::Matches, &[text("hello"), text("ll")]).unwrap(),
            yes
        );
        assert_eq!(
            run(Operation::FullMatch, &[text("hello"), text("ll")]).unwrap(),
            no
        );
        assert_eq!(
            run(Operation::FullMatch, &[text("hello"), text("h.*o")]).unwrap(),
            yes
        );
        let args = [text("HELLO"), text("ll"), text("i")];
        assert_eq!(run(Operation::Matches, &args).unwrap(), yes);
        let args = [text("a.c"), text("."), text("l")];
        assert_eq!(run(Operation::FullMatch, &args).unwrap(), no);
        let args = [text("a\nb"), text("a.b")];
        assert_eq!(run(Operation::Matches, &args).unwrap(), no);
        let args = [text("a\nb"), text("a.b"), text("s")];
        assert_eq!(run(Operation::Matches, &args).unwrap(), yes);
    }

    #[test]
    fn replacing_with_groups_and_dollars() {
        let s = |v: &str| ScalarValue::Utf8(Some(v.into()));
        let args = [text("banana"), text("a"), text("o")];
        assert_eq!(run(Operation::Replace, &args).unwrap(), s("bonana"));
        let args = [text("banana"), text("a"), text("o"), text("g")];
        assert_eq!(run(Operation::Replace, &args).unwrap(), s("bonono"));
        let args = [text("abc"), text("(b)"), text(r"[\1$1\\]")];
        assert_eq!(run(Operation::Replace, &args).unwrap(), s(r"a[b$1\]c"));
    }

    #[test]
    fn extracting_groups_and_splitting() {
        let s = |v: &str| ScalarValue::Utf8(Some(v.into()));
        let args = [text("abc123"), text("[0-9]+")];
        assert_eq!(run(Operation::Extract, &args).unwrap(), s("123"));
        let group = ColumnarValue::Scalar(ScalarValue::Int64(Some(2)));
        let args = [text("abc123"), text("([a-z]+)([0-9]+)"), group.clone()];
        assert_eq!(run(Operation::Extract, &args).unwrap(), s("123"));
        let args = [text("none"), text("([a-z]+)([0-9]+)"), group];
        assert_eq!(run(Operation::Extract, &args).unwrap(), s(""));
        let too_far = ColumnarValue::Scalar(ScalarValue::Int64(Some(3)));
        let args = [text("a1"), text("([a-z]+)([0-9]+)"), too_far];
        assert!(run(Operation::Extract, &args)
            .unwrap_err()
            .to_string()
            .contains("group 3 does not exist"));
        let split_list = RegexFunction::new(Operation::Split)
            .invoke(&[text("a1b22c"), text("[0-9]+")], 1)
            .unwrap()
            .into_array(1)
            .unwrap();
        let pieces = split_list.as_list::<i32>().value(0);
        let pieces: Vec<&str> = pieces.as_string::<i32>().iter().flatten().collect();
        assert_eq!(pieces, ["a", "b", "c"]);
        let pattern = |p: &str| Regex::new(p).unwrap();
        assert_eq!(split(&pattern("x*"), "abc"), ["a", "b", "c"]);
        assert_eq!(split(&pattern(","), ",a,"), ["", "a", ""]);
        assert_eq!(every_match(&pattern("a*"), "aba", 0), ["a", "", "a", ""]);
        assert_eq!(every_match(&pattern("x*"), "abc", 0), ["", "", "", ""]);
        assert_eq!(
            every_match(&pattern("([a-z])([0-9]+)"), "a1b22", 2),
            ["1", "22"]
        );
        assert_eq!(every_match(&pattern("é*"), "aé", 0), ["", "é", ""]);
    }

    #[test]
    fn patterns_per_row_and_nulls() {
        let strings = ColumnarValue::Array(Arc::new(StringArray::from(vec![
            Some("abc"),
            Some("xyz"),
            None,
            Some("abc"),
        ])));
        let patterns = ColumnarValue::Array(Arc::new(StringArray::from(vec![
            Some("b"),
            Some("b"),
            Some("b"),
            None,
        ])));
        let out = RegexFunction::new(Operation::Matches)
            .invoke(&[strings, patterns], 4)
            .unwrap()
            .into_array(4)
            .unwrap();
        let out = out.as_boolean();
        assert!(out.value(0) && !out.value(1));
        assert!(out.is_null(2) && out.is_null(3));
    }

    #[test]
    fn bad_patterns_and_options_are_named() {
        let f = RegexFunction::new(Operation::Matches);
        let err = f
            .prepare(&[None, Some(ScalarValue::Utf8(Some("a(b".into())))])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("regexp_matches: invalid regular expression 'a(b'"),
            "{err}"
        );
        assert!(err.contains("unclosed group"), "{err}");
        let err = run(Operation::Matches, &[text("a"), text("a"), text("x")]).unwrap_err();
        assert!(err
            .to_string()
            .contains("unknown regular expression option 'x'"));
        let err = run(Operation::Matches, &[text("a"), text("a"), text("g")]).unwrap_err();
        assert!(err.to_string().contains("option 'g'"));
    }
}
