//! `read_<format>('location', option => value, …)`: the files at a
//! location (or a list of locations) read in one file format with the
//! given options, as `read_parquet('data/*.parquet')`,
//! `read_csv(['a.csv', 'b.csv'], header => true)`.

use quiver_expr::{FileTables, FunctionTable, QuiverError, Result, ScalarValue, TableFunction};

/// The reader of one file format.
#[derive(Debug)]
pub struct ReadFiles {
    name: String,
    format: String,
    aliases: &'static [&'static str],
}

impl ReadFiles {
    /// `read_<format>`, also answering to `aliases`.
    pub fn new(format: &str, aliases: &'static [&'static str]) -> Self {
        Self {
            name: format!("read_{format}"),
            format: format.to_string(),
            aliases,
        }
    }
}

/// An argument as the text a file format's option takes.
fn text(value: &ScalarValue) -> String {
    match value {
        ScalarValue::Utf8(Some(s))
        | ScalarValue::LargeUtf8(Some(s))
        | ScalarValue::Utf8View(Some(s)) => s.clone(),
        other => other.to_string(),
    }
}

/// The locations a location argument names: one text, or a list of them
/// (`['a.csv', 'b.csv']`).
fn locations(function: &str, location: &ScalarValue) -> Result<Vec<String>> {
    let ScalarValue::List(list) = location else {
        return Ok(vec![text(location)]);
    };
    let items = list.value(0);
    let names: Vec<String> = (0..items.len())
        .map(|i| ScalarValue::try_from_array(&items, i))
        .collect::<std::result::Result<Vec<_>, _>>()?
        .iter()
        .filter(|v| !v.is_null())
        .map(text)
        .collect();
    if names.is_empty() {
        return Err(QuiverError::Plan(format!(
            "{function}() needs at least one location in its list"
        )));
    }
    Ok(names)
}

impl TableFunction for ReadFiles {
    fn name(&self) -> &str {
        &self.name
    }
    fn aliases(&self) -> &'static [&'static str] {
        self.aliases
    }
    fn table(
        &self,
        args: &[ScalarValue],
        named: &[(String, ScalarValue)],
        files: &dyn FileTables,
    ) -> Result<FunctionTable> {
        let location = match args {
            [location] => location,
            [] => {
                return Err(QuiverError::Plan(format!(
                    "{}() needs the location of the files as its first argument",
                    self.name
                )))
            }
            [_, extra, ..] => {
                return Err(QuiverError::Plan(format!(
                    "unexpected argument {extra} of {}(); give the location, then name => value options",
                    self.name
                )))
            }
        };
        let options: Vec<(String, String)> =
            named.iter().map(|(k, v)| (k.clone(), text(v))).collect();
        files.file_table(&locations(&self.name, location)?, &self.format, &options)
    }
}
