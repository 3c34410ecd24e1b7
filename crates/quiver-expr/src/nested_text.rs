//! Reading lists, structs and maps from text, as DuckDB's casts do:
//! `'[1, 2, NULL]'::INTEGER[]`, `'{a: 1, b: x}'::STRUCT(a INTEGER, b
//! VARCHAR)`, `'{k=1, j=2}'::MAP(VARCHAR, INTEGER)`. JSON text reads the
//! same way (`'{"a": [1, 2]}'`), so JSON casts to nested types too.
//!
//! Items are separated by commas outside brackets and quotes, and trimmed.
//! An item in single or double quotes is the text between them (a
//! backslash escapes the next character) and is never NULL; an unquoted
//! `NULL` (any case) is NULL. Each item is then cast from text to the
//! element's (field's, key's, value's) type, so nested types nest.

/// One item of a list, struct or map text: its text, `None` for NULL.
pub type Item = Option<String>;

/// The items of the text of a list (`[a, b]`); `None` when `text` is not
/// one.
pub fn list_items(text: &str) -> Option<Vec<Item>> {
    let inner = enclosed(text, '[', ']')?;
    split(inner, ',')?.iter().map(|item| value(item)).collect()
}

/// The fields of the text of a struct (`{a: 1, "b": x}`) as (name, value)
/// pairs; `None` when `text` is not one.
pub fn struct_items(text: &str) -> Option<Vec<(String, Item)>> {
    let inner = enclosed(text, '{', '}')?;
    split(inner, ',')?
        .iter()
        .map(|entry| {
            let parts = split(entry, ':')?;
            let [name, field] = parts.as_slice() else {
                return None;
            };
            Some((value(name)??, value(field)?))
        })
        .collect()
}

/// The entries of the text of a map (`{k=1, j=2}`) as (key, value) pairs;
/// `None` when `text` is not one.
pub fn map_items(text: &str) -> Option<Vec<(Item, Item)>> {
    let inner = enclosed(text, '{', '}')?;
    split(inner, ',')?
        .iter()
        .map(|entry| {
            let parts = split(entry, '=')?;
            let [key, entry_value] = parts.as_slice() else {
                return None;
            };
            Some((value(key)?, value(entry_value)?))
        })
        .collect()
}

/// What lies between `open` and `close` around the trimmed `text`.
fn enclosed(text: &str, open: char, close: char) -> Option<&str> {
    text.trim()
        .strip_prefix(open)?
        .strip_suffix(close)
        .filter(|inner| balanced(inner))
}

/// Whether brackets and quotes in `text` close in order.
fn balanced(text: &str) -> bool {
    split(text, '\u{0}').is_some()
}

/// `text` cut at each `separator` outside brackets and quotes; no items
/// for blank text; `None` when brackets or quotes do not close.
fn split(text: &str, separator: char) -> Option<Vec<&str>> {
    if text.trim().is_empty() {
        return Some(vec![]);
    }
    let mut items = vec![];
    let mut depth: Vec<char> = vec![];
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if let Some(q) = quote {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                _ if c == q => quote = None,
                _ => {}
            }
            continue;
        }
        match c {
            '\'' | '"' => quote = Some(c),
            '[' => depth.push(']'),
            '{' => depth.push('}'),
            '(' => depth.push(')'),
            ']' | '}' | ')' => {
                depth.pop().filter(|&opened| opened == c)?;
            }
            _ if c == separator && depth.is_empty() => {
                items.push(&text[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    if quote.is_some() || !depth.is_empty() {
        return None;
    }
    items.push(&text[start..]);
    Some(items)
}

/// The value an item's text stands for: unquoted, or NULL; `None` when a
/// quote is out of place.
fn value(item: &str) -> Option<Item> {
    let item = item.trim();
    for q in ['"', '\''] {
        if let Some(inner) = item.strip_prefix(q).and_then(|s| s.strip_suffix(q)) {
            if item.len() >= 2 {
                return Some(Some(unescaped(inner)));
            }
        }
    }
    let nested = item.starts_with(['[', '{', '(']);
    if !nested && item.contains(['"', '\'']) {
        return None;
    }
    if item.eq_ignore_ascii_case("null") {
        return Some(None);
    }
    Some(Some(item.to_string()))
}

/// `text` with each backslash escape replaced by the character it escapes.
fn unescaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.extend(chars.next()),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn some(items: &[&str]) -> Vec<Item> {
        items.iter().map(|s| Some(s.to_string())).collect()
    }

    #[test]
    fn lists_split_outside_brackets_and_quotes() {
        assert_eq!(list_items(" [ 1 ,2 ] "), Some(some(&["1", "2"])));
        assert_eq!(list_items("[]"), Some(vec![]));
        assert_eq!(
            list_items("[[1, 2], {a: 3}]"),
            Some(some(&["[1, 2]", "{a: 3}"]))
        );
        assert_eq!(
            list_items(r#"["a, b", 'c', "x\"y", NULL, "NULL"]"#),
            Some(vec![
                Some("a, b".into()),
                Some("c".into()),
                Some("x\"y".into()),
                None,
                Some("NULL".into())
            ])
        );
        assert_eq!(list_items("[1, 2"), None);
        assert_eq!(list_items("[a\"b]"), None);
        assert_eq!(list_items("[1] x"), None);
        assert_eq!(list_items("[1]]"), None);
    }

    #[test]
    fn structs_and_maps_pair_names_and_values() {
        assert_eq!(
            struct_items(r#"{a: 1, "b": "x, y", c: NULL}"#),
            Some(vec![
                ("a".into(), Some("1".into())),
                ("b".into(), Some("x, y".into())),
                ("c".into(), None)
            ])
        );
        assert_eq!(struct_items("{a}"), None);
        assert_eq!(struct_items("{NULL: 1}"), None);
        assert_eq!(
            map_items("{k=[1, 2], NULL=3}"),
            Some(vec![
                (Some("k".into()), Some("[1, 2]".into())),
                (None, Some("3".into()))
            ])
        );
        assert_eq!(map_items("{}"), Some(vec![]));
    }
}
