//! String functions defined per row: `substr`, `left`, `right`, `lpad`,
//! `rpad`, `replace`, `strpos`, `starts_with`, `ends_with`, `split_part`,
//! `repeat`, `reverse` (by grapheme cluster). Positions count characters
//! from 1, as in SQL.

use super::characters::reverse_graphemes;
use super::row_fn::{Kind, Out, RowFunction, Val};
use super::MAX_STRING_BYTES;

use Kind::{Bool, Int, Str};

/// The characters of `s` from index `from` (0-based, clipped) to `to`
/// (exclusive, clipped).
fn char_slice(s: &str, from: i64, to: i64) -> String {
    let from = from.max(0) as usize;
    let to = to.max(0) as usize;
    if to <= from {
        return String::new();
    }
    s.chars().skip(from).take(to - from).collect()
}

/// `substring(s, start [, length])`: a negative start counts from the end
/// (-1 is the last character), as in DuckDB; positions before the first
/// character take up part of the length, as in PostgreSQL.
fn substr(v: &[Val]) -> Result<Out, String> {
    let s = v[0].str();
    let start = match v[1].int() {
        from_end if from_end < 0 => (s.chars().count() as i64).saturating_add(from_end),
        from_start => from_start - 1,
    };
    let end = match v.get(2) {
        Some(len) if len.int() < 0 => return Err("negative substring length not allowed".into()),
        Some(len) => start.saturating_add(len.int()),
        None => i64::MAX,
    };
    Ok(Out::Str(char_slice(s, start, end)))
}

fn left(v: &[Val]) -> Result<Out, String> {
    let (s, n) = (v[0].str(), v[1].int());
    let chars = s.chars().count() as i64;
    let end = if n >= 0 { n } else { chars + n };
    Ok(Out::Str(char_slice(s, 0, end)))
}

fn right(v: &[Val]) -> Result<Out, String> {
    let (s, n) = (v[0].str(), v[1].int());
    let chars = s.chars().count() as i64;
    let start = if n >= 0 { chars - n } else { -n };
    Ok(Out::Str(char_slice(s, start, chars)))
}

/// `s` padded with `fill` (default a space) to `len` characters, or cut
/// to `len`.
fn pad(v: &[Val], at_start: bool) -> Result<String, String> {
    let (s, len) = (v[0].str(), v[1].int().max(0) as usize);
    if len > MAX_STRING_BYTES {
        return Err("result would be larger than 1 GiB".into());
    }
    let fill: Vec<char> = v.get(2).map_or(" ", |f| f.str()).chars().collect();
    let chars = s.chars().count();
    if chars >= len || fill.is_empty() {
        return Ok(s.chars().take(len).collect());
    }
    let padding: String = fill.iter().cycle().take(len - chars).collect();
    Ok(if at_start {
        padding + s
    } else {
        s.to_string() + &padding
    })
}

fn lpad(v: &[Val]) -> Result<Out, String> {
    Ok(Out::Str(pad(v, true)?))
}

fn rpad(v: &[Val]) -> Result<Out, String> {
    Ok(Out::Str(pad(v, false)?))
}

fn replace(v: &[Val]) -> Result<Out, String> {
    let (s, from, to) = (v[0].str(), v[1].str(), v[2].str());
    Ok(Out::Str(if from.is_empty() {
        s.to_string()
    } else {
        s.replace(from, to)
    }))
}

fn strpos(v: &[Val]) -> Result<Out, String> {
    let (s, sub) = (v[0].str(), v[1].str());
    Ok(Out::Int(match s.find(sub) {
        Some(byte) => s[..byte].chars().count() as i64 + 1,
        None => 0,
    }))
}

fn starts_with(v: &[Val]) -> Result<Out, String> {
    Ok(Out::Bool(v[0].str().starts_with(v[1].str())))
}

fn ends_with(v: &[Val]) -> Result<Out, String> {
    Ok(Out::Bool(v[0].str().ends_with(v[1].str())))
}

fn split_part(v: &[Val]) -> Result<Out, String> {
    let (s, delim, n) = (v[0].str(), v[1].str(), v[2].int());
    if n == 0 {
        return Err("field position must not be zero".into());
    }
    // An empty separator splits into characters, as in DuckDB.
    let parts: Vec<&str> = if delim.is_empty() {
        s.char_indices()
            .map(|(i, c)| &s[i..i + c.len_utf8()])
            .collect()
    } else {
        s.split(delim).collect()
    };
    let index = if n > 0 { n - 1 } else { parts.len() as i64 + n };
    let part = usize::try_from(index).ok().and_then(|i| parts.get(i));
    Ok(Out::Str(part.map_or(String::new(), |p| p.to_string())))
}

/// `overlay(s PLACING r FROM start [FOR count])`: `s` with `count`
/// characters (by default as many as `r` has) from `start` replaced by `r`;
/// positions before the first character clip, as in DuckDB.
fn overlay(v: &[Val]) -> Result<Out, String> {
    let (s, r, start) = (v[0].str(), v[1].str(), v[2].int());
    let count = match v.get(3) {
        Some(c) if c.int() < 0 => return Err("negative length not allowed".into()),
        Some(c) => c.int(),
        None => r.chars().count() as i64,
    };
    let before = char_slice(s, 0, start - 1);
    let after = char_slice(s, start.saturating_add(count) - 1, i64::MAX);
    Ok(Out::Str(before + r + &after))
}

fn repeat(v: &[Val]) -> Result<Out, String> {
    let (s, n) = (v[0].str(), v[1].int().max(0) as usize);
    if s.len().saturating_mul(n) > MAX_STRING_BYTES {
        return Err("result would be larger than 1 GiB".into());
    }
    Ok(Out::Str(s.repeat(n)))
}

fn reverse(v: &[Val]) -> Result<Out, String> {
    Ok(Out::Str(reverse_graphemes(v[0].str())))
}

/// The string functions each named as it is called.
pub fn functions() -> Vec<RowFunction> {
    vec![
        RowFunction::new("substring", &[Str, Int, Int], 1, Str, substr).with_aliases(&["substr"]),
        RowFunction::new("left", &[Str, Int], 0, Str, left),
        RowFunction::new("right", &[Str, Int], 0, Str, right),
        RowFunction::new("lpad", &[Str, Int, Str], 1, Str, lpad),
        RowFunction::new("rpad", &[Str, Int, Str], 1, Str, rpad),
        RowFunction::new("replace", &[Str, Str, Str], 0, Str, replace),
        RowFunction::new("strpos", &[Str, Str], 0, Int, strpos).with_aliases(&["instr"]),
        RowFunction::new("starts_with", &[Str, Str], 0, Bool, starts_with)
            .with_aliases(&["prefix"]),
        RowFunction::new("ends_with", &[Str, Str], 0, Bool, ends_with).with_aliases(&["suffix"]),
        RowFunction::new("split_part", &[Str, Str, Int], 0, Str, split_part),
        RowFunction::new("repeat", &[Str, Int], 0, Str, repeat),
        RowFunction::new("overlay", &[Str, Str, Int, Int], 1, Str, overlay),
        RowFunction::new("reverse", &[Str], 0, Str, reverse),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::scalar::row_fn::test_values::{s, text};

    #[test]
    fn substrings_follow_sql_positions() {
        assert_eq!(text(substr(&[s("hello"), Val::Int(2), Val::Int(3)])), "ell");
        assert_eq!(text(substr(&[s("hello"), Val::Int(0), Val::Int(3)])), "he");
        assert_eq!(text(substr(&[s("héllo"), Val::Int(2)])), "éllo");
        assert_eq!(text(substr(&[s("hello"), Val::Int(9)])), "");
        assert_eq!(text(substr(&[s("hello"), Val::Int(-3)])), "llo");
        assert_eq!(text(substr(&[s("hello"), Val::Int(-1), Val::Int(3)])), "o");
        assert_eq!(
            text(substr(&[s("hello"), Val::Int(-10), Val::Int(8)])),
            "hel"
        );
        assert!(substr(&[s("x"), Val::Int(1), Val::Int(-1)]).is_err());
        assert_eq!(text(left(&[s("hello"), Val::Int(-2)])), "hel");
        assert_eq!(text(right(&[s("hello"), Val::Int(2)])), "lo");
        assert_eq!(text(right(&[s("hello"), Val::Int(-2)])), "llo");
    }

    #[test]
    fn padding_cuts_or_cycles_the_fill() {
        assert_eq!(text(lpad(&[s("7"), Val::Int(3), s("0")])), "007");
        assert_eq!(text(rpad(&[s("ab"), Val::Int(5), s("xy")])), "abxyx");
        assert_eq!(text(lpad(&[s("hello"), Val::Int(2)])), "he");
        assert!(lpad(&[s("a"), Val::Int(1 << 40)]).is_err());
    }

    #[test]
    fn searching_and_splitting() {
        assert_eq!(strpos(&[s("héllo"), s("l")]).unwrap(), Out::Int(3));
        assert_eq!(strpos(&[s("abc"), s("z")]).unwrap(), Out::Int(0));
        assert_eq!(text(split_part(&[s("a,b,c"), s(","), Val::Int(2)])), "b");
        assert_eq!(text(split_part(&[s("a,b,c"), s(","), Val::Int(-1)])), "c");
        assert_eq!(text(split_part(&[s("a,b,c"), s(","), Val::Int(5)])), "");
        assert_eq!(text(split_part(&[s("abc"), s(""), Val::Int(-1)])), "c");
        assert!(split_part(&[s("a"), s(","), Val::Int(0)]).is_err());
        assert_eq!(text(replace(&[s("aXbX"), s("X"), s("-")])), "a-b-");
        assert_eq!(text(reverse(&[s("abc")])), "cba");
        let placed = |n: Option<i64>| {
            let mut args = vec![s("hello"), s("XX"), Val::Int(2)];
            args.extend(n.map(Val::Int));
            text(overlay(&args))
        };
        assert_eq!(placed(Some(3)), "hXXo");
        assert_eq!(placed(None), "hXXlo");
        assert_eq!(placed(Some(0)), "hXXello");
    }
}
