//! String distances and similarities: `levenshtein` (`editdist3`),
//! `damerau_levenshtein`, `hamming` (`mismatches`), `jaro_similarity` and
//! `jaro_winkler_similarity`. They compare Unicode code points.

use super::row_fn::{Kind, Out, RowFunction, Val};

use Kind::{Float, Int, Str};

fn levenshtein(v: &[Val]) -> Result<Out, String> {
    Ok(Out::Int(strsim::levenshtein(v[0].str(), v[1].str()) as i64))
}

/// Edits counting a swap of two neighbouring characters as one.
fn damerau_levenshtein(v: &[Val]) -> Result<Out, String> {
    Ok(Out::Int(
        strsim::damerau_levenshtein(v[0].str(), v[1].str()) as i64,
    ))
}

/// The number of places where two strings of equal length differ.
fn hamming(v: &[Val]) -> Result<Out, String> {
    strsim::hamming(v[0].str(), v[1].str())
        .map(|d| Out::Int(d as i64))
        .map_err(|_| "the strings must have the same length".to_string())
}

/// A similarity of two strings; 0 when either is empty, as in DuckDB.
fn similarity(v: &[Val], measure: fn(&str, &str) -> f64) -> Result<Out, String> {
    let (a, b) = (v[0].str(), v[1].str());
    Ok(Out::Float(if a.is_empty() || b.is_empty() {
        0.0
    } else {
        measure(a, b)
    }))
}

fn jaro_similarity(v: &[Val]) -> Result<Out, String> {
    similarity(v, strsim::jaro)
}

fn jaro_winkler_similarity(v: &[Val]) -> Result<Out, String> {
    similarity(v, strsim::jaro_winkler)
}

/// The similarity functions each named as it is called.
pub fn functions() -> Vec<RowFunction> {
    vec![
        RowFunction::new("levenshtein", &[Str, Str], 0, Int, levenshtein)
            .with_aliases(&["editdist3"]),
        RowFunction::new(
            "damerau_levenshtein",
            &[Str, Str],
            0,
            Int,
            damerau_levenshtein,
        ),
        RowFunction::new("hamming", &[Str, Str], 0, Int, hamming).with_aliases(&["mismatches"]),
        RowFunction::new("jaro_similarity", &[Str, Str], 0, Float, jaro_similarity),
        RowFunction::new(
            "jaro_winkler_similarity",
            &[Str, Str],
            0,
            Float,
            jaro_winkler_similarity,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Val<'_> {
        Val::Str(v)
    }

    #[test]
    fn distances_between_strings() {
        assert_eq!(levenshtein(&[s("kitten"), s("sitting")]), Ok(Out::Int(3)));
        assert_eq!(levenshtein(&[s(""), s("abc")]), Ok(Out::Int(3)));
        assert_eq!(damerau_levenshtein(&[s("ca"), s("abc")]), Ok(Out::Int(2)));
        assert_eq!(hamming(&[s("karolin"), s("kathrin")]), Ok(Out::Int(3)));
        assert!(hamming(&[s("ab"), s("abc")]).is_err());
        let Ok(Out::Float(j)) = jaro_winkler_similarity(&[s("martha"), s("marhta")]) else {
            panic!("expected a double");
        };
        assert!((j - 0.961_111_111_111_111_1).abs() < 1e-12);
    }
}
