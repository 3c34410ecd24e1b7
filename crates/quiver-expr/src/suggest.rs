//! "Did you mean ...?" suggestions for misspelled names.

/// Returns the candidate closest to `name` by edit distance, if it is a
/// plausible typo (at most a third of the name's length in edits, at least two
/// allowed) or an abbreviation (the name's letters appear in order in the
/// candidate, starting with the same letter, as `l_qty` in `l_quantity`).
pub fn closest_name<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let lower = name.to_lowercase();
    let limit = (name.chars().count() / 3).max(2);
    candidates
        .into_iter()
        .map(|c| (edit_distance(&lower, &c.to_lowercase()), c))
        .filter(|(d, c)| *d <= limit || is_abbreviation(&lower, &c.to_lowercase()))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

fn is_abbreviation(short: &str, long: &str) -> bool {
    if short.len() < 2 || short.chars().next() != long.chars().next() {
        return false;
    }
    let mut rest = long.chars();
    short.chars().all(|c| rest.any(|l| l == c))
}

/// Levenshtein distance between two strings, counted in characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = substitution.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_counts_edits() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }

    #[test]
    fn suggests_close_names_only() {
        let names = ["l_quantity", "l_discount", "l_tax"];
        assert_eq!(closest_name("l_qty", names), Some("l_quantity"));
        assert_eq!(closest_name("l_quantty", names), Some("l_quantity"));
        assert_eq!(closest_name("L_TAXX", names), Some("l_tax"));
        assert_eq!(closest_name("zzzzzzzz", names), None);
    }
}
