//! Reading CSV files whose rows do not all fit the columns, when the user
//! asks for it (`on_error 'skip'` or `'null'`): records with the wrong
//! number of fields are fixed or dropped before parsing, every column is
//! parsed as text, and values that do not convert to the column's type are
//! dropped with their row or read as NULL.

use std::io::{BufRead, BufReader, Read};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, RecordBatch};
use arrow::compute::{cast_with_options, filter_record_batch, CastOptions};
use arrow::datatypes::{DataType, SchemaRef};
use quiver_expr::{QuiverError, Result};

/// What to do with a CSV row that does not fit the columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BadRows {
    /// Stop with an error naming the file and line.
    #[default]
    Error,
    /// Leave the row out.
    Skip,
    /// Read what does not fit as NULL: missing fields and values that do
    /// not convert are NULL, extra fields are dropped.
    Null,
}

impl BadRows {
    /// The choice named by an option value (`error`, `skip`, `null`).
    pub fn from_name(name: &str) -> Result<Self> {
        match name.to_ascii_lowercase().as_str() {
            "error" | "fail" => Ok(BadRows::Error),
            "skip" | "ignore" => Ok(BadRows::Skip),
            "null" => Ok(BadRows::Null),
            other => Err(QuiverError::Plan(format!(
                "CSV option 'on_error' must be error, skip or null, got '{other}'"
            ))),
        }
    }
}

/// The CSV syntax a [`RecordFilter`] needs to find fields and records.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Syntax {
    pub delimiter: u8,
    pub quote: u8,
    pub escape: Option<u8>,
    pub comment: Option<u8>,
    pub has_header: bool,
}

/// Passes through CSV text with every record holding exactly `fields`
/// fields (when not given: as many as the first record has): other records
/// are dropped ([`BadRows::Skip`]) or padded with empty fields and cut to
/// length ([`BadRows::Null`]). The header, comment lines and blank lines
/// pass unchanged.
pub(crate) struct RecordFilter<R> {
    input: BufReader<R>,
    syntax: Syntax,
    fields: Option<usize>,
    mode: BadRows,
    /// Records read so far (the header is the first when there is one).
    records: usize,
    /// Output waiting to be read, and how much of it has been.
    out: Vec<u8>,
    taken: usize,
}

impl<R: Read> RecordFilter<R> {
    pub(crate) fn new(input: R, syntax: Syntax, fields: Option<usize>, mode: BadRows) -> Self {
        Self {
            input: BufReader::new(input),
            syntax,
            fields,
            mode,
            records: 0,
            out: vec![],
            taken: 0,
        }
    }

    /// Reads the next record (several lines when a quoted field holds line
    /// breaks) and the offsets of the delimiters between its fields; an
    /// empty record at the end of the input.
    fn next_record(&mut self) -> std::io::Result<(Vec<u8>, Vec<usize>)> {
        let Syntax {
            delimiter,
            quote,
            escape,
            ..
        } = self.syntax;
        let mut record = vec![];
        let mut delimiters = vec![];
        let mut in_quotes = false;
        let mut escaped = false;
        loop {
            let start = record.len();
            if self.input.read_until(b'\n', &mut record)? == 0 {
                return Ok((record, delimiters));
            }
            for (i, &b) in record.iter().enumerate().skip(start) {
                if escaped {
                    escaped = false;
                } else if in_quotes && Some(b) == escape {
                    escaped = true;
                } else if b == quote {
                    in_quotes = !in_quotes;
                } else if b == delimiter && !in_quotes {
                    delimiters.push(i);
                }
            }
            if !in_quotes {
                return Ok((record, delimiters));
            }
        }
    }

    /// Fills `out` with the next record to pass on; false at the end.
    fn refill(&mut self) -> std::io::Result<bool> {
        loop {
            let (record, delimiters) = self.next_record()?;
            if record.is_empty() {
                return Ok(false);
            }
            let body_end = record.len() - line_ending(&record);
            let is_comment = Some(record[0]) == self.syntax.comment;
            if body_end > 0 && !is_comment {
                self.records += 1;
            }
            let fields = *self.fields.get_or_insert(delimiters.len() + 1);
            let passes = (self.syntax.has_header && self.records == 1)
                || body_end == 0
                || is_comment
                || delimiters.len() + 1 == fields;
            self.out.clear();
            self.taken = 0;
            if passes {
                self.out = record;
                return Ok(true);
            }
            if self.mode == BadRows::Skip {
                continue;
            }
            // Too many fields: cut before the first extra delimiter; too few:
            // add empty fields.
            let cut = delimiters
                .get(fields.saturating_sub(1))
                .copied()
                .unwrap_or(body_end);
            self.out.extend_from_slice(&record[..cut]);
            for _ in delimiters.len() + 1..fields {
                self.out.push(self.syntax.delimiter);
            }
            self.out.extend_from_slice(&record[body_end..]);
            return Ok(true);
        }
    }
}

/// The length of `record`'s line ending (`\n` or `\r\n`).
fn line_ending(record: &[u8]) -> usize {
    match record {
        [.., b'\r', b'\n'] => 2,
        [.., b'\n'] => 1,
        _ => 0,
    }
}

impl<R: Read> Read for RecordFilter<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.taken == self.out.len() && !self.refill()? {
            return Ok(0);
        }
        let n = buf.len().min(self.out.len() - self.taken);
        buf[..n].copy_from_slice(&self.out[self.taken..self.taken + n]);
        self.taken += n;
        Ok(n)
    }
}

/// `schema` with every column as text: how a file with bad values is parsed
/// before the values are converted by [`convert`].
pub(crate) fn as_text(schema: &SchemaRef) -> SchemaRef {
    let fields: Vec<_> = schema
        .fields()
        .iter()
        .map(|f| {
            f.as_ref()
                .clone()
                .with_data_type(DataType::Utf8)
                .with_nullable(true)
        })
        .collect();
    Arc::new(arrow::datatypes::Schema::new(fields))
}

/// Converts a batch of text columns to `schema`'s types: a value that does
/// not convert drops its row ([`BadRows::Skip`]) or reads as NULL.
pub(crate) fn convert(
    batch: &RecordBatch,
    schema: &SchemaRef,
    mode: BadRows,
) -> Result<RecordBatch> {
    let options = CastOptions {
        safe: true,
        ..Default::default()
    };
    let mut bad = vec![false; batch.num_rows()];
    let mut columns: Vec<ArrayRef> = Vec::with_capacity(batch.num_columns());
    for (text, field) in batch.columns().iter().zip(schema.fields()) {
        if field.data_type() == &DataType::Utf8 {
            columns.push(Arc::clone(text));
            continue;
        }
        let converted = cast_with_options(text, field.data_type(), &options)?;
        let strings = text.as_string::<i32>();
        for (row, is_bad) in bad.iter_mut().enumerate() {
            if strings.is_valid(row) && !strings.value(row).is_empty() && converted.is_null(row) {
                *is_bad = true;
            }
        }
        columns.push(converted);
    }
    let converted = RecordBatch::try_new(Arc::clone(schema), columns)?;
    match mode {
        BadRows::Skip if bad.contains(&true) => {
            let keep: BooleanArray = bad.iter().map(|b| Some(!b)).collect();
            Ok(filter_record_batch(&converted, &keep)?)
        }
        _ => Ok(converted),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filtered(text: &str, fields: Option<usize>, mode: BadRows) -> String {
        let syntax = Syntax {
            delimiter: b',',
            quote: b'"',
            escape: None,
            comment: Some(b'#'),
            has_header: true,
        };
        let mut out = String::new();
        RecordFilter::new(text.as_bytes(), syntax, fields, mode)
            .read_to_string(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn records_with_wrong_field_counts_are_dropped_or_fixed() {
        let text = "a,b,c\n1,2,3\n4,5\n\n# note\n6,\"x,\ny\",7,8\r\n9,10,11";
        assert_eq!(
            filtered(text, Some(3), BadRows::Skip),
            "a,b,c\n1,2,3\n\n# note\n9,10,11"
        );
        assert_eq!(
            filtered(text, None, BadRows::Null),
            "a,b,c\n1,2,3\n4,5,\n\n# note\n6,\"x,\ny\",7\r\n9,10,11"
        );
    }
}
