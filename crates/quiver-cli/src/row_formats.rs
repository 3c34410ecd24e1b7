//! Output formats written one row at a time from the values' text: line
//! (`name = value`), HTML and LaTeX.

use std::io::Write;

use arrow::datatypes::Schema;
use quiver::Result;

use crate::args::OutputFormat;

/// A row-at-a-time output format and what it has written so far.
pub struct RowFormat {
    kind: Kind,
    names: Vec<String>,
    rows_written: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Line,
    Html,
    Latex,
}

impl RowFormat {
    /// The writer of `format` (line, html or latex) for rows of `schema`.
    pub fn new(format: OutputFormat, schema: &Schema) -> Self {
        let kind = match format {
            OutputFormat::Html => Kind::Html,
            OutputFormat::Latex => Kind::Latex,
            _ => Kind::Line,
        };
        Self {
            kind,
            names: schema.fields().iter().map(|f| f.name().clone()).collect(),
            rows_written: 0,
        }
    }

    /// Writes the start of the output (before the first row).
    fn start(&self, out: &mut dyn Write) -> Result<()> {
        match self.kind {
            Kind::Line => {}
            Kind::Html => {
                writeln!(out, "<table>")?;
                write!(out, "<tr>")?;
                for name in &self.names {
                    write!(out, "<th>{}</th>", html_escape(name))?;
                }
                writeln!(out, "</tr>")?;
            }
            Kind::Latex => {
                writeln!(
                    out,
                    "\\begin{{tabular}}{{|{}|}}",
                    vec!["l"; self.names.len()].join("|")
                )?;
                writeln!(out, "\\hline")?;
                let names: Vec<String> = self.names.iter().map(|n| latex_escape(n)).collect();
                writeln!(out, "{} \\\\", names.join(" & "))?;
                writeln!(out, "\\hline")?;
            }
        }
        Ok(())
    }

    /// Writes one row, `values` beside the columns.
    pub fn row(&mut self, out: &mut dyn Write, values: &[String]) -> Result<()> {
        if self.rows_written == 0 {
            self.start(out)?;
        }
        match self.kind {
            Kind::Line => {
                if self.rows_written > 0 {
                    writeln!(out)?;
                }
                let width = self.names.iter().map(|n| n.chars().count()).max();
                for (name, value) in self.names.iter().zip(values) {
                    writeln!(out, "{name:>width$} = {value}", width = width.unwrap_or(0))?;
                }
            }
            Kind::Html => {
                write!(out, "<tr>")?;
                for value in values {
                    write!(out, "<td>{}</td>", html_escape(value))?;
                }
                writeln!(out, "</tr>")?;
            }
            Kind::Latex => {
                let cells: Vec<String> = values.iter().map(|v| latex_escape(v)).collect();
                writeln!(out, "{} \\\\", cells.join(" & "))?;
            }
        }
        self.rows_written += 1;
        Ok(())
    }

    /// Ends the output.
    pub fn finish(self, out: &mut dyn Write) -> Result<()> {
        if self.rows_written == 0 {
            self.start(out)?;
        }
        match self.kind {
            Kind::Line => {}
            Kind::Html => writeln!(out, "</table>")?,
            Kind::Latex => {
                writeln!(out, "\\hline")?;
                writeln!(out, "\\end{{tabular}}")?;
            }
        }
        Ok(())
    }
}

fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn latex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' | '%' | '$' | '#' | '_' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            '~' => out.push_str("\\textasciitilde{}"),
            '^' => out.push_str("\\textasciicircum{}"),
            '\\' => out.push_str("\\textbackslash{}"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::datatypes::{DataType, Field};

    fn write(format: OutputFormat, rows: &[[&str; 2]]) -> String {
        let schema = Schema::new(vec![
            Field::new("id", DataType::Int64, true),
            Field::new("long_name", DataType::Utf8, true),
        ]);
        let mut writer = RowFormat::new(format, &schema);
        let mut out = vec![];
        for row in rows {
            let values: Vec<String> = row.iter().map(|v| v.to_string()).collect();
            writer.row(&mut out, &values).unwrap();
        }
        writer.finish(&mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn line_mode_aligns_names_and_separates_rows() {
        assert_eq!(
            write(OutputFormat::Line, &[["1", "a"], ["2", "NULL"]]),
            "       id = 1\nlong_name = a\n\n       id = 2\nlong_name = NULL\n"
        );
    }

    #[test]
    fn html_and_latex_escape_their_special_characters() {
        assert_eq!(
            write(OutputFormat::Html, &[["1", "<a & b>"]]),
            "<table>\n<tr><th>id</th><th>long_name</th></tr>\n\
             <tr><td>1</td><td>&lt;a &amp; b&gt;</td></tr>\n</table>\n"
        );
        assert_eq!(
            write(OutputFormat::Latex, &[["1", "50% & more_x"]]),
            "\\begin{tabular}{|l|l|}\n\\hline\nid & long\\_name \\\\\n\\hline\n\
             1 & 50\\% \\& more\\_x \\\\\n\\hline\n\\end{tabular}\n"
        );
        assert_eq!(write(OutputFormat::Html, &[]).lines().count(), 3);
    }
}
