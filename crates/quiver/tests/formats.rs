//! A program's own file format, registered with a session, is used by SQL
//! like a built-in one: `STORED AS`, quoted paths by extension, and `COPY`.
//! The format here reads and writes text files with one value per line.

use std::io::Write;
use std::sync::Arc;

use arrow::array::{AsArray, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use quiver::{
    BatchWriter, FileFormat, QuiverError, Result, SessionContext, StorageOptions, TableProvider,
    WriteOptions,
};
use quiver_datasource::MemTable;

/// Text files of one value per line, as a table with one column `line`.
#[derive(Debug)]
struct LinesFormat;

impl FileFormat for LinesFormat {
    fn name(&self) -> &'static str {
        "lines"
    }
    fn extensions(&self) -> &'static [&'static str] {
        &["lines", "txt"]
    }
    fn open_table(
        &self,
        location: &str,
        options: &[(String, String)],
        _schema: Option<SchemaRef>,
        _storage: &StorageOptions,
    ) -> Result<Arc<dyn TableProvider>> {
        if let Some((key, _)) = options.first() {
            return Err(QuiverError::Plan(format!(
                "lines tables take no option {key}"
            )));
        }
        let text = std::fs::read_to_string(location)
            .map_err(|e| QuiverError::Io(format!("cannot read '{location}': {e}")))?;
        let lines = StringArray::from(text.lines().collect::<Vec<_>>());
        let schema = Arc::new(Schema::new(vec![Field::new("line", DataType::Utf8, false)]));
        let batch = RecordBatch::try_new(Arc::clone(&schema), vec![Arc::new(lines)])?;
        Ok(Arc::new(MemTable::try_with_batches(schema, vec![batch])?))
    }
    fn write_options(&self) -> &'static [&'static str] {
        &[]
    }
    fn writer(
        &self,
        out: Box<dyn Write + Send>,
        _schema: &SchemaRef,
        _options: &WriteOptions,
    ) -> Result<Box<dyn BatchWriter>> {
        Ok(Box::new(LinesWriter(out)))
    }
}

/// Writes the first column of each row, as text, one row per line.
struct LinesWriter(Box<dyn Write + Send>);

impl BatchWriter for LinesWriter {
    fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let column = arrow::compute::cast(batch.column(0), &DataType::Utf8)?;
        for value in column.as_string::<i32>() {
            writeln!(self.0, "{}", value.unwrap_or(""))?;
        }
        Ok(())
    }
    fn finish(mut self: Box<Self>) -> Result<()> {
        Ok(self.0.flush()?)
    }
}

/// The result of `sql` in `ctx`.
async fn collect(ctx: &SessionContext, sql: &str) -> Vec<RecordBatch> {
    ctx.sql(sql).await.unwrap().collect().await.unwrap()
}

#[tokio::test]
async fn a_registered_format_reads_and_writes_through_sql() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("words.txt");
    std::fs::write(&input, "pear\napple\nfig\n").unwrap();
    let ctx = SessionContext::new();
    ctx.register_file_format(Arc::new(LinesFormat)).unwrap();

    let sorted = collect(
        &ctx,
        &format!("SELECT line FROM '{}' ORDER BY line", input.display()),
    )
    .await;
    let words = sorted[0].column(0).as_string::<i32>();
    assert_eq!(
        words.iter().flatten().collect::<Vec<_>>(),
        ["apple", "fig", "pear"]
    );
    let counted = collect(
        &ctx,
        &format!(
            "SELECT count(*) AS n FROM read_lines('{}')",
            input.display()
        ),
    )
    .await;
    let n = counted[0]
        .column(0)
        .as_primitive::<arrow::datatypes::Int64Type>();
    assert_eq!(n.value(0), 3);

    ctx.sql(&format!(
        "CREATE EXTERNAL TABLE words STORED AS LINES LOCATION '{}'",
        input.display()
    ))
    .await
    .unwrap();
    let output = dir.path().join("lengths.out");
    let copy = "COPY (SELECT length(line) FROM words ORDER BY 1) TO '{}' (FORMAT lines)";
    collect(&ctx, &copy.replace("{}", &output.display().to_string())).await;
    assert_eq!(std::fs::read_to_string(&output).unwrap(), "3\n4\n5\n");

    let err = ctx
        .sql(&format!(
            "CREATE EXTERNAL TABLE bad STORED AS LINES LOCATION '{}' OPTIONS ('colour' 'red')",
            input.display()
        ))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("take no option colour"), "{err}");
}
