//! Writing names into SQL text that Quiver plans itself.

/// `name` as a quoted SQL identifier (`"a ""b"""`), which names exactly it.
pub fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_are_doubled() {
        assert_eq!(quote_identifier("a\"b"), "\"a\"\"b\"");
    }
}
