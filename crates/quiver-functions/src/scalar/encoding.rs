//! Digests and encodings: `md5`, `sha1`, `sha256` (lower-case hex),
//! `to_base64` (`base64`), `from_base64`, `url_encode` and `url_decode`.
//! Digests and `to_base64` take a BLOB or the UTF-8 bytes of a string.

use base64::Engine;
use md5::Md5;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::row_fn::{Kind, Out, RowFunction, Val};

use Kind::{Bytes, Str};

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
}
