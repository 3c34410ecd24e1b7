//! Digests and encodings: `md5`, `sha1`, `sha256` (lower-case hex),
//! `to_base64` (`base64`), `from_base64`, `url_encode` and `url_decode`,
//! `hex` (`to_hex`) and `bin` (`to_binary`) of an integer or of bytes, and
//! `unhex` (`from_hex`) and `unbin` (`from_binary`). Digests, `to_base64`,
//! `hex` and `bin` take a BLOB or the UTF-8 bytes of a string.

use base64::Engine;
use md5::Md5;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use std::sync::Arc;

use quiver_expr::ScalarFunction;

use super::row_fn::{Kind, Out, Overloaded, RowFunction, Val};

use Kind::{Bytes, Int, Str};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn md5(v: &[Val]) -> Result<Out, String> {
    Ok(Out::Str(hex(&Md5::digest(v[0].bytes()))))
}

fn sha1(v: &[Val]) -> Result<Out, String> {
    Ok(Out::Str(hex(&Sha1::digest(v[0].bytes()))))
}

fn sha256(v: &[Val]) -> Result<Out, String> {
    Ok(Out::Str(hex(&Sha256::digest(v[0].bytes()))))
}

fn to_base64(v: &[Val]) -> Result<Out, String> {
    Ok(Out::Str(
        base64::engine::general_purpose::STANDARD.encode(v[0].bytes()),
    ))
}

fn from_base64(v: &[Val]) -> Result<Out, String> {
    base64::engine::general_purpose::STANDARD
        .decode(v[0].str())
        .map(Out::Bytes)
        .map_err(|e| format!("'{}' is not valid base64: {e}", v[0].str()))
}

/// What `url_encode` leaves as it is: letters, digits and `-_.~` (RFC 3986's
/// unreserved characters).
const URL_RESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn url_encode(v: &[Val]) -> Result<Out, String> {
    Ok(Out::Str(
        utf8_percent_encode(v[0].str(), URL_RESERVED).to_string(),
    ))
}

fn url_decode(v: &[Val]) -> Result<Out, String> {
    percent_decode_str(v[0].str())
        .decode_utf8()
        .map(|s| Out::Str(s.into_owned()))
        .map_err(|_| format!("'{}' does not decode to valid UTF-8", v[0].str()))
}

/// An integer's bits as unsigned 64-bit digits, as DuckDB writes them
/// (`hex(-1)` is sixteen `F`s).
fn integer_bits(v: &[Val]) -> u64 {
    v[0].int() as u64
}

fn hex_of_integer(v: &[Val]) -> Result<Out, String> {
    Ok(Out::Str(format!("{:X}", integer_bits(v))))
}

fn hex_of_bytes(v: &[Val]) -> Result<Out, String> {
    Ok(Out::Str(
        v[0].bytes().iter().map(|b| format!("{b:02X}")).collect(),
    ))
}

fn bin_of_integer(v: &[Val]) -> Result<Out, String> {
    Ok(Out::Str(format!("{:b}", integer_bits(v))))
}

fn bin_of_bytes(v: &[Val]) -> Result<Out, String> {
    Ok(Out::Str(
        v[0].bytes().iter().map(|b| format!("{b:08b}")).collect(),
    ))
}

/// The bytes of text in base `2^bits` digits (hex: 4, binary: 1), the
/// first byte taking what is left over when the digits do not fill bytes.
fn digits_to_bytes(text: &str, bits: u32) -> Result<Vec<u8>, String> {
    let per_byte = (8 / bits) as usize;
    let digits: Vec<u8> = text
        .chars()
        .map(|c| {
            c.to_digit(1 << bits)
                .map(|d| d as u8)
                .ok_or_else(|| format!("'{c}' is not a base-{} digit (in '{text}')", 1 << bits))
        })
        .collect::<Result<_, _>>()?;
    let first = match digits.len() % per_byte {
        0 => per_byte,
        short => short,
    };
    let mut bytes = vec![];
    let mut start = 0;
    let mut take = first.min(digits.len());
    while start < digits.len() {
        let byte = digits[start..start + take]
            .iter()
            .fold(0u8, |acc, &d| (acc << bits) | d);
        bytes.push(byte);
        start += take;
        take = per_byte;
    }
    Ok(bytes)
}

fn unhex(v: &[Val]) -> Result<Out, String> {
    digits_to_bytes(v[0].str(), 4).map(Out::Bytes)
}

fn unbin(v: &[Val]) -> Result<Out, String> {
    digits_to_bytes(v[0].str(), 1).map(Out::Bytes)
}

/// `hex` and `bin`, each of an integer or of bytes.
pub fn integer_or_bytes_functions() -> Vec<Arc<dyn ScalarFunction>> {
    let both = |name: &'static str, alias: &'static [&'static str], int, bytes| {
        Arc::new(Overloaded::new(vec![
            RowFunction::new(name, &[Int], 0, Str, int).with_aliases(alias),
            RowFunction::new(name, &[Bytes], 0, Str, bytes).with_aliases(alias),
        ])) as Arc<dyn ScalarFunction>
    };
    vec![
        both("hex", &["to_hex"], hex_of_integer, hex_of_bytes),
        both("bin", &["to_binary"], bin_of_integer, bin_of_bytes),
    ]
}

/// The digest and encoding functions each named as it is called.
pub fn functions() -> Vec<RowFunction> {
    vec![
        RowFunction::new("md5", &[Bytes], 0, Str, md5),
        RowFunction::new("sha1", &[Bytes], 0, Str, sha1),
        RowFunction::new("sha256", &[Bytes], 0, Str, sha256),
        RowFunction::new("to_base64", &[Bytes], 0, Str, to_base64).with_aliases(&["base64"]),
        RowFunction::new("from_base64", &[Str], 0, Bytes, from_base64),
        RowFunction::new("url_encode", &[Str], 0, Str, url_encode),
        RowFunction::new("url_decode", &[Str], 0, Str, url_decode),
        RowFunction::new("unhex", &[Str], 0, Bytes, unhex).with_aliases(&["from_hex"]),
        RowFunction::new("unbin", &[Str], 0, Bytes, unbin).with_aliases(&["from_binary"]),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(v: &str) -> Val<'_> {
        Val::Bytes(v.as_bytes())
    }

    #[test]
    fn digests_in_hex() {
        assert_eq!(
            md5(&[b("abc")]),
            Ok(Out::Str("900150983cd24fb0d6963f7d28e17f72".into()))
        );
        assert_eq!(
            sha1(&[b("abc")]),
            Ok(Out::Str("a9993e364706816aba3e25717850c26c9cd0d89d".into()))
        );
        assert_eq!(
            sha256(&[b("abc")]),
            Ok(Out::Str(
                "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad".into()
            ))
        );
    }

    #[test]
    fn base64_and_urls_round_trip() {
        assert_eq!(to_base64(&[b("hello")]), Ok(Out::Str("aGVsbG8=".into())));
        assert_eq!(
            from_base64(&[Val::Str("aGVsbG8=")]),
            Ok(Out::Bytes(b"hello".to_vec()))
        );
        assert!(from_base64(&[Val::Str("!!")]).is_err());
        let encoded = url_encode(&[Val::Str("a b&c/é~")]).unwrap();
        assert_eq!(encoded, Out::Str("a%20b%26c%2F%C3%A9~".into()));
        assert_eq!(
            url_decode(&[Val::Str("a%20b+c")]),
            Ok(Out::Str("a b+c".into()))
        );
        assert!(url_decode(&[Val::Str("%ff")]).is_err());
    }

    #[test]
    fn hex_and_binary_digits() {
        assert_eq!(hex_of_integer(&[Val::Int(255)]), Ok(Out::Str("FF".into())));
        assert_eq!(
            hex_of_integer(&[Val::Int(-1)]),
            Ok(Out::Str("FFFFFFFFFFFFFFFF".into()))
        );
        assert_eq!(hex_of_bytes(&[b("abc")]), Ok(Out::Str("616263".into())));
        assert_eq!(bin_of_integer(&[Val::Int(5)]), Ok(Out::Str("101".into())));
        assert_eq!(bin_of_bytes(&[b("a")]), Ok(Out::Str("01100001".into())));
        assert_eq!(
            unhex(&[Val::Str("616263")]),
            Ok(Out::Bytes(b"abc".to_vec()))
        );
        assert_eq!(unhex(&[Val::Str("414")]), Ok(Out::Bytes(vec![0x04, 0x14])));
        assert_eq!(unbin(&[Val::Str("0110")]), Ok(Out::Bytes(vec![6])));
        assert!(unhex(&[Val::Str("zz")]).is_err());
    }
}
