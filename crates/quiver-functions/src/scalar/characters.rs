//! String functions about characters and their codes: `initcap`,
//! `translate`, `ascii`/`ord`, `unicode`, `chr`, `octet_length`,
//! `bit_length`, `strlen`, `contains`, `length_grapheme`,
//! `strip_accents`, `nfc_normalize`. Characters are Unicode code points;
//! `length_grapheme` and `reverse` count what a reader sees as one
//! character (a grapheme cluster, such as a letter with its combining
//! accent or an emoji sequence).

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;
use unicode_segmentation::UnicodeSegmentation;

use super::row_fn::{Kind, Out, RowFunction, Val};

use Kind::{Bool, Int, Str};

/// Upper-cases the first letter of each word and lower-cases the rest; a
/// word is a run of letters and digits.
fn initcap(v: &[Val]) -> Result<Out, String> {
    let mut out = String::with_capacity(v[0].str().len());
    let mut at_word_start = true;
    for c in v[0].str().chars() {
        if c.is_alphanumeric() {
            if at_word_start {
                out.extend(c.to_uppercase());
            } else {
                out.extend(c.to_lowercase());
            }
            at_word_start = false;
        } else {
            out.push(c);
            at_word_start = true;
        }
    }
    Ok(Out::Str(out))
}

/// Replaces each character of `from` with the character at the same place
/// in `to`, or removes it when `to` is shorter.
fn translate(v: &[Val]) -> Result<Out, String> {
    let from: Vec<char> = v[1].str().chars().collect();
    let to: Vec<char> = v[2].str().chars().collect();
    let out = v[0]
        .str()
        .chars()
        .filter_map(|c| match from.iter().position(|f| *f == c) {
            Some(i) => to.get(i).copied(),
            None => Some(c),
        })
        .collect();
    Ok(Out::Str(out))
}

/// The code point of the first character; 0 for an empty string.
fn ascii(v: &[Val]) -> Result<Out, String> {
    Ok(Out::Int(
        v[0].str()
            .chars()
            .next()
            .map_or(0, |c| i64::from(u32::from(c))),
    ))
}

/// The code point of the first character; -1 for an empty string.
fn unicode(v: &[Val]) -> Result<Out, String> {
    Ok(Out::Int(
        v[0].str()
            .chars()
            .next()
            .map_or(-1, |c| i64::from(u32::from(c))),
    ))
}

fn chr(v: &[Val]) -> Result<Out, String> {
    let code = v[0].int();
    u32::try_from(code)
        .ok()
        .and_then(char::from_u32)
        .map(|c| Out::Str(c.to_string()))
        .ok_or_else(|| format!("{code} is not a Unicode code point"))
}

fn octet_length(v: &[Val]) -> Result<Out, String> {
    Ok(Out::Int(v[0].bytes().len() as i64))
}

fn bit_length(v: &[Val]) -> Result<Out, String> {
    Ok(Out::Int(v[0].str().len() as i64 * 8))
}

fn strlen(v: &[Val]) -> Result<Out, String> {
    Ok(Out::Int(v[0].str().len() as i64))
}

fn contains(v: &[Val]) -> Result<Out, String> {
    Ok(Out::Bool(v[0].str().contains(v[1].str())))
}

fn length_grapheme(v: &[Val]) -> Result<Out, String> {
    Ok(Out::Int(v[0].str().graphemes(true).count() as i64))
}

/// The string backwards, keeping each grapheme cluster whole.
pub(super) fn reverse_graphemes(s: &str) -> String {
    s.graphemes(true).rev().collect()
}

/// The string without accents: decomposed, with the combining marks left
/// out.
fn strip_accents(v: &[Val]) -> Result<Out, String> {
    Ok(Out::Str(
        v[0].str()
            .nfd()
            .filter(|c| !is_combining_mark(*c))
            .collect(),
    ))
}

fn nfc_normalize(v: &[Val]) -> Result<Out, String> {
    Ok(Out::Str(v[0].str().nfc().collect()))
}

/// The character functions each named as it is called.
pub fn functions() -> Vec<RowFunction> {
    vec![
        RowFunction::new("initcap", &[Str], 0, Str, initcap),
        RowFunction::new("translate", &[Str, Str, Str], 0, Str, translate),
        RowFunction::new("ascii", &[Str], 0, Int, ascii).with_aliases(&["ord"]),
        RowFunction::new("unicode", &[Str], 0, Int, unicode),
        RowFunction::new("chr", &[Int], 0, Str, chr),
        RowFunction::new("octet_length", &[Kind::Bytes], 0, Int, octet_length),
        RowFunction::new("bit_length", &[Str], 0, Int, bit_length),
        RowFunction::new("strlen", &[Str], 0, Int, strlen),
        RowFunction::new("contains", &[Str, Str], 0, Bool, contains),
        RowFunction::new("length_grapheme", &[Str], 0, Int, length_grapheme),
        RowFunction::new("strip_accents", &[Str], 0, Str, strip_accents),
        RowFunction::new("nfc_normalize", &[Str], 0, Str, nfc_normalize),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::scalar::row_fn::test_values::{s, text};

    #[test]
    fn words_and_characters() {
        assert_eq!(
            text(initcap(&[s("hello wORLD-foo 2nd")])),
            "Hello World-Foo 2nd"
        );
        assert_eq!(text(translate(&[s("hello"), s("el"), s("i")])), "hio");
        assert_eq!(ascii(&[s("é")]).unwrap(), Out::Int(233));
        assert_eq!(ascii(&[s("")]).unwrap(), Out::Int(0));
        assert_eq!(unicode(&[s("")]).unwrap(), Out::Int(-1));
        assert_eq!(text(chr(&[Val::Int(233)])), "é");
        assert!(chr(&[Val::Int(-1)]).is_err());
        assert!(chr(&[Val::Int(0xD800)]).is_err());
    }

    #[test]
    fn lengths_in_bytes_code_points_and_graphemes() {
        let emoji = "🤦🏼\u{200d}♂\u{fe0f}";
        assert_eq!(strlen(&[s("héllo")]).unwrap(), Out::Int(6));
        assert_eq!(bit_length(&[s("é")]).unwrap(), Out::Int(16));
        assert_eq!(length_grapheme(&[s(emoji)]).unwrap(), Out::Int(1));
        assert_eq!(reverse_graphemes(&format!("{emoji}a")), format!("a{emoji}"));
        assert_eq!(reverse_graphemes("e\u{301}x"), "xe\u{301}");
    }

    #[test]
    fn accents_and_normal_forms() {
        assert_eq!(text(strip_accents(&[s("Ångström café")])), "Angstrom cafe");
        assert_eq!(text(nfc_normalize(&[s("e\u{301}")])), "\u{e9}");
    }
}
