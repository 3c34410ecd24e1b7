//! Hive-partitioned directories (`sales/year=2024/month=01/part-0.parquet`,
//! local or under an `s3://` prefix): the `key=value` directory names become
//! typed columns after the files' own, and a filter on them skips whole
//! directories. Making the table lists the directories, not their files:
//! only the first leaf directory's files are listed and opened then (for the
//! columns); the others are listed and opened when a scan first needs them,
//! so the files of pruned directories are never listed or opened.

use std::sync::{Arc, OnceLock};

use arrow::array::{Array, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatchOptions;
use quiver_execution::operators::projection::ProjectionExec;
use quiver_execution::operators::union::UnionExec;
use quiver_execution::physical_expr::{evaluate_predicate, ColumnExpr};
use quiver_execution::{
    create_physical_expr, ExecutionPlan, PhysicalExpr, ScanRequest, TableProvider,
};
use quiver_expr::types::is_string;
use quiver_expr::{Column, Expr, QSchema, QuiverError, Result, ScalarValue};

use crate::listing::{is_glob, list_directory, list_files, DirectoryEntries};
use crate::store::StorageOptions;

/// The directory name Hive uses for a NULL partition value.
const NULL_PARTITION: &str = "__HIVE_DEFAULT_PARTITION__";

/// A leaf directory of a hive layout (as a location) and its `(key, value)`
/// pairs, outermost first.
pub type PartitionDirectory = (String, Vec<(String, String)>);

/// The `key=value` sub-directories of `entries`: (location, key, value).
fn partition_children(entries: &DirectoryEntries) -> Vec<(String, String, String)> {
    entries
        .directories
        .iter()
        .filter_map(|dir| {
            let name = dir.trim_end_matches('/').rsplit('/').next()?;
            let (k, v) = name.split_once('=')?;
            Some((
                dir.trim_end_matches('/').to_string(),
                k.to_string(),
                unescape(v),
            ))
        })
        .collect()
}

/// The leaf directories of a hive layout under `location` with their
/// `key=value` pairs, or `None` when `location` is not a directory holding
/// `key=value` directories. Directories are listed level by level; a leaf
/// directory's files are not listed. Files beside partition directories,
/// other directories among them, or different keys at one level are an
/// error naming two of them.
pub fn hive_directories(
    location: &str,
    storage: &StorageOptions,
) -> Result<Option<Vec<PartitionDirectory>>> {
    let Some(root) = list_directory(location, storage)? else {
        return Ok(None);
    };
    let top = partition_children(&root);
    if top.is_empty() {
        return Ok(None);
    }
    let mut level: Vec<PartitionDirectory> = vec![];
    add_level(location, &root, &top, &[], &mut level)?;
    loop {
        // The first directory decides whether this level holds the leaves.
        let first = list_directory(&level[0].0, storage)?.unwrap_or_default();
        if partition_children(&first).is_empty() {
            return Ok(Some(level));
        }
        let mut next = vec![];
        for (i, (dir, pairs)) in level.iter().enumerate() {
            let listed;
            let entries = if i == 0 {
                &first
            } else {
                listed = list_directory(dir, storage)?.unwrap_or_default();
                &listed
            };
            let children = partition_children(entries);
            if children.is_empty() {
                return Err(QuiverError::Plan(format!(
                    "'{}' and '{dir}' under '{location}' are partitioned differently (one holds \
                     key=value directories, the other does not)",
                    level[0].0
                )));
            }
            add_level(location, entries, &children, pairs, &mut next)?;
        }
        check_same_keys(location, &next)?;
        level = next;
    }
}

/// The `key=value` directory names in `directory` (a path or URL; the
/// scheme and host or bucket of a URL are not part of it), outermost first.
fn path_pairs(directory: &str) -> Vec<(String, String)> {
    let path = match directory.split_once("://") {
        Some(("file", rest)) => rest,
        Some((_, rest)) => rest.split_once('/').map_or("", |(_, path)| path),
        None => directory,
    };
    path.split('/')
        .filter_map(|name| {
            let (k, v) = name.split_once('=')?;
            (!k.is_empty()).then(|| (k.to_string(), unescape(v)))
        })
        .collect()
}

/// Hive partitions in the paths of the files a glob or a single file names
/// (`sales/*/*.parquet` over `sales/year=2024/…`, or
/// `sales/year=2024/part-0.parquet`), as DuckDB detects them: the directories
/// holding the matched files with the `key=value` pairs in their paths, and
/// the file-name pattern (the location's last component) to open in each.
/// `None` when no directory in the paths is `key=value`. Files are listed
/// only when the glob spans directories; matched files partitioned by
/// different keys are an error naming two of them.
pub fn hive_file_directories(
    location: &str,
    storage: &StorageOptions,
) -> Result<Option<(Vec<PartitionDirectory>, String)>> {
    let Some((directory, pattern)) = location.rsplit_once('/') else {
        return Ok(None);
    };
    let directories: Vec<PartitionDirectory> = if is_glob(directory) {
        let mut directories: Vec<PartitionDirectory> = vec![];
        for file in list_files(location, storage)? {
            let parent = file.name().rsplit_once('/').map_or("", |(d, _)| d);
            if directories.last().is_none_or(|(d, _)| d != parent) {
                directories.push((parent.to_string(), path_pairs(parent)));
            }
        }
        directories.sort_by(|a, b| a.0.cmp(&b.0));
        directories.dedup_by(|a, b| a.0 == b.0);
        directories
    } else {
        vec![(directory.to_string(), path_pairs(directory))]
    };
    if directories.iter().all(|(_, pairs)| pairs.is_empty()) {
        return Ok(None);
    }
    check_same_keys(location, &directories)?;
    Ok(Some((directories, pattern.to_string())))
}

/// Appends the partition `children` of one directory (whose own pairs are
/// `pairs`) to `out`; files or plain directories beside them are an error.
fn add_level(
    location: &str,
    entries: &DirectoryEntries,
    children: &[(String, String, String)],
    pairs: &[(String, String)],
    out: &mut Vec<PartitionDirectory>,
) -> Result<()> {
    let first = &children[0];
    let stray = entries
        .files
        .first()
        .map(|f| f.name().to_string())
        .or_else(|| {
            let partitioned: Vec<&String> = children.iter().map(|c| &c.0).collect();
            entries
                .directories
                .iter()
                .find(|d| !partitioned.contains(&&d.trim_end_matches('/').to_string()))
                .cloned()
        });
    if let Some(stray) = stray {
        return Err(QuiverError::Plan(format!(
            "'{stray}' and '{}' under '{location}' are partitioned differently (only key=value \
             directories may sit beside partition directories)",
            first.0
        )));
    }
    for (dir, key, value) in children {
        if *key != first.1 {
            return Err(QuiverError::Plan(format!(
                "'{}' and '{dir}' under '{location}' are partitioned differently ({} and {key})",
                first.0, first.1
            )));
        }
        let mut all = pairs.to_vec();
        all.push((key.clone(), value.clone()));
        out.push((dir.clone(), all));
    }
    Ok(())
}

/// Every directory of a level must have the same keys as the first.
fn check_same_keys(location: &str, level: &[PartitionDirectory]) -> Result<()> {
    let keys = |pairs: &[(String, String)]| -> Vec<String> {
        pairs.iter().map(|(k, _)| k.clone()).collect()
    };
    let expected = keys(&level[0].1);
    match level.iter().find(|(_, p)| keys(p) != expected) {
        Some((dir, pairs)) => Err(QuiverError::Plan(format!(
            "'{}' and '{dir}' under '{location}' are partitioned differently ({} and {})",
            level[0].0,
            expected.join("/"),
            keys(pairs).join("/")
        ))),
        None => Ok(()),
    }
}

/// Undoes the percent-escaping of partition values.
fn unescape(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    let hex = |b: u8| (b as char).to_digit(16);
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| value.to_string())
}

/// Opens a table over the files of one directory.
pub type DirectoryOpener = Arc<dyn Fn(&str) -> Result<Arc<dyn TableProvider>> + Send + Sync>;

/// One leaf directory: its partition values and, once opened, a table over
/// its files.
#[derive(Debug)]
struct Directory {
    path: String,
    values: Vec<ScalarValue>,
    table: OnceLock<Arc<dyn TableProvider>>,
    /// With columns matched by name: the position of each of the table's
    /// file columns in this directory's own, `None` where it has none.
    by_name: Option<Vec<Option<usize>>>,
}

/// A table over a hive-partitioned directory tree.
pub struct HiveTable {
    directories: Vec<Directory>,
    /// Whether the directories' columns are matched by name (their union,
    /// NULL where one lacks a column) rather than required to be the same.
    union_by_name: bool,
    open: DirectoryOpener,
    /// Columns of the files.
    file_width: usize,
    /// The files' columns followed by the partition columns.
    schema: SchemaRef,
}

impl std::fmt::Debug for HiveTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HiveTable")
            .field("directories", &self.directories)
            .field("schema", &self.schema)
            .finish()
    }
}

impl HiveTable {
    /// A table over `directories` (as [`hive_directories`] lists them, or
    /// any locations with constant columns, such as the files of a list
    /// with their names), each opened with `open` when first needed.
    /// Partition columns are BIGINT when every value is an integer, else
    /// VARCHAR. All directories must hold the same columns as the first,
    /// unless `union_by_name`: then every directory is opened now, and the
    /// table has the union of their columns by name (in order of first
    /// appearance, of their common type), NULL where a directory lacks one.
    pub fn try_new(
        directories: Vec<PartitionDirectory>,
        open: DirectoryOpener,
        union_by_name: bool,
    ) -> Result<Self> {
        let Some((_, first_pairs)) = directories.first() else {
            return Err(QuiverError::Internal(
                "a hive table without directories".into(),
            ));
        };
        let keys: Vec<String> = first_pairs.iter().map(|(k, _)| k.clone()).collect();
        let types: Vec<DataType> = (0..keys.len())
            .map(|i| {
                let all_integers = directories.iter().all(|(_, pairs)| {
                    let v = &pairs[i].1;
                    v == NULL_PARTITION || v.parse::<i64>().is_ok()
                });
                if all_integers {
                    DataType::Int64
                } else {
                    DataType::Utf8
                }
            })
            .collect();
        let first = open(&directories[0].0)?;
        let mut file_schema = first.schema();
        let mut opened = Vec::with_capacity(directories.len());
        for (path, pairs) in directories {
            let values = pairs
                .iter()
                .zip(&types)
                .map(|((_, v), t)| partition_value(v, t))
                .collect::<Result<Vec<_>>>()?;
            opened.push(Directory {
                path,
                values,
                table: OnceLock::new(),
                by_name: None,
            });
        }
        let _ = opened[0].table.set(first);
        if union_by_name {
            file_schema = unite_by_name(&mut opened, &open)?;
        }
        for key in &keys {
            if file_schema.fields().iter().any(|f| f.name() == key) {
                return Err(QuiverError::Plan(format!(
                    "partition column \"{key}\" (from the key={key} directories) is also a column of \
                     the files; read them with hive_partitioning = false"
                )));
            }
        }
        let mut fields: Vec<Field> = file_schema
            .fields()
            .iter()
            .map(|f| f.as_ref().clone())
            .collect();
        fields.extend(
            keys.iter()
                .zip(&types)
                .map(|(k, t)| Field::new(k, t.clone(), true)),
        );
        Ok(Self {
            directories: opened,
            union_by_name,
            open,
            file_width: file_schema.fields().len(),
            schema: Arc::new(Schema::new(fields)),
        })
    }

    /// The table over `directory`'s files, opened on first use; its columns
    /// must be those of the first directory.
    fn table(&self, directory: &Directory) -> Result<Arc<dyn TableProvider>> {
        if let Some(t) = directory.table.get() {
            return Ok(Arc::clone(t));
        }
        if self.union_by_name {
            return Err(QuiverError::Internal(format!(
                "'{}' was not opened with the others",
                directory.path
            )));
        }
        let table = (self.open)(&directory.path)?;
        let expected = &self.schema.fields()[..self.file_width];
        if table.schema().fields().iter().ne(expected.iter()) {
            return Err(QuiverError::Plan(format!(
                "'{}' and '{}' hold different columns (read them with union_by_name = true)",
                self.directories[0].path, directory.path
            )));
        }
        let _ = directory.table.set(Arc::clone(&table));
        Ok(table)
    }

    /// Whether `directory` can hold rows passing every conjunct of
    /// `filters` that reads only partition columns.
    fn may_match(&self, directory: &Directory, filters: &[Arc<dyn PhysicalExpr>]) -> Result<bool> {
        if filters.is_empty() {
            return Ok(true);
        }
        let partition_fields: Vec<Field> = self.schema.fields()[self.file_width..]
            .iter()
            .map(|f| f.as_ref().clone())
            .collect();
        let columns = directory
            .values
            .iter()
            .map(|v| v.to_array_of_size(1))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        let row = RecordBatch::try_new_with_options(
            Arc::new(Schema::new(partition_fields)),
            columns,
            &RecordBatchOptions::new().with_row_count(Some(1)),
        )?;
        for f in filters {
            let keep = evaluate_predicate(f.as_ref(), &row)?;
            if !(keep.is_valid(0) && keep.value(0)) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The conjuncts of `filters` that `table` can read: those whose
    /// columns it has (all of them unless columns are matched by name).
    fn filters_for(&self, table: &Arc<dyn TableProvider>, filters: &[Expr]) -> Vec<Expr> {
        if !self.union_by_name {
            return filters.to_vec();
        }
        let schema = table.schema();
        filters
            .iter()
            .filter(|f| {
                f.columns()
                    .iter()
                    .all(|c| schema.fields().iter().any(|own| own.name() == &c.name))
            })
            .cloned()
            .collect()
    }

    /// The conjuncts of `filters` over partition columns only, bound to a
    /// row of partition values (column qualifiers are ignored).
    fn partition_filters(&self, filters: &[Expr]) -> Result<Vec<Arc<dyn PhysicalExpr>>> {
        let partition_schema = QSchema::from_arrow(
            None,
            &Schema::new(self.schema.fields()[self.file_width..].to_vec()),
        );
        let mut out = vec![];
        for f in filters {
            let bare = f.clone().rewrite(&mut |e| match e {
                Expr::Column(c) => Ok(Some(Expr::Column(Column::bare(&c.name)))),
                _ => Ok(None),
            })?;
            let columns = bare.columns();
            let only_partitions = !columns.is_empty()
                && columns
                    .iter()
                    .all(|c| matches!(partition_schema.find(c), Ok(Some(_))));
            if only_partitions {
                out.push(create_physical_expr(&bare, &partition_schema)?);
            }
        }
        Ok(out)
    }
}

/// Opens every directory of `directories` (the first is open) and matches
/// their columns by name: the union of their columns (in order of first
/// appearance, each of the common type of its directories, or text when
/// one is text), with each directory's positions of them.
fn unite_by_name(directories: &mut [Directory], open: &DirectoryOpener) -> Result<SchemaRef> {
    let mut fields: Vec<Field> = vec![];
    let mut schemas = vec![];
    for d in directories.iter() {
        let table = match d.table.get() {
            Some(t) => Arc::clone(t),
            None => open(&d.path)?,
        };
        let schema = table.schema();
        for f in schema.fields() {
            match fields
                .iter_mut()
                .find(|u| u.name().eq_ignore_ascii_case(f.name()))
            {
                None => fields.push(f.as_ref().clone().with_nullable(true)),
                Some(u) if u.data_type() == f.data_type() => {}
                Some(u) => {
                    let (a, b) = (u.data_type(), f.data_type());
                    // Text holds anything, as when DuckDB unites files.
                    let as_text = (is_string(a) || is_string(b)).then_some(DataType::Utf8);
                    let common = quiver_expr::types::common_type(a, b)
                        .or(as_text)
                        .ok_or_else(|| {
                            QuiverError::Plan(format!(
                                "column \"{}\" is {} in one file and {} in '{}'; they have no \
                                 common type",
                                f.name(),
                                quiver_expr::types::sql_type_name(u.data_type()),
                                quiver_expr::types::sql_type_name(f.data_type()),
                                d.path
                            ))
                        })?;
                    *u = Field::new(u.name(), common, true);
                }
            }
        }
        let _ = d.table.set(table);
        schemas.push(schema);
    }
    for (d, schema) in directories.iter_mut().zip(schemas) {
        d.by_name = Some(
            fields
                .iter()
                .map(|u| {
                    schema
                        .fields()
                        .iter()
                        .position(|f| f.name().eq_ignore_ascii_case(u.name()))
                })
                .collect(),
        );
    }
    Ok(Arc::new(Schema::new(fields)))
}

/// A partition value of type `t` from its directory text.
fn partition_value(text: &str, t: &DataType) -> Result<ScalarValue> {
    if text == NULL_PARTITION {
        return Ok(ScalarValue::try_from(t)?);
    }
    Ok(match t {
        DataType::Int64 => ScalarValue::Int64(text.parse().ok()),
        _ => ScalarValue::Utf8(Some(text.to_string())),
    })
}

#[async_trait::async_trait]
impl TableProvider for HiveTable {
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
    fn kind(&self) -> &str {
        "hive"
    }
    fn estimated_rows(&self) -> Option<usize> {
        // Directories are opened lazily: assume the others hold as many rows
        // as the first.
        let first = self.directories.first()?.table.get()?.estimated_rows()?;
        Some(first.saturating_mul(self.directories.len()))
    }
    /// Conjuncts over partition columns skip directories; all of `filters`
    /// go on to each directory's scan, which may use those over its files'
    /// columns.
    async fn scan(&self, request: &ScanRequest) -> Result<Arc<dyn ExecutionPlan>> {
        let wanted: Vec<usize> = match &request.projection {
            Some(p) => p.clone(),
            None => (0..self.schema.fields().len()).collect(),
        };
        let out_schema = Arc::new(self.schema.project(&wanted)?);
        let mut file_columns: Vec<usize> = wanted
            .iter()
            .copied()
            .filter(|&i| i < self.file_width)
            .collect();
        if file_columns.is_empty() {
            // Rows must still be counted: read one (cheap) column.
            file_columns.push(0);
        }
        let pruning = self.partition_filters(&request.filters)?;
        let kept: Vec<&Directory> = self
            .directories
            .iter()
            .filter_map(|d| match self.may_match(d, &pruning) {
                Ok(true) => Some(Ok(d)),
                Ok(false) => None,
                Err(e) => Some(Err(e)),
            })
            .collect::<Result<_>>()?;
        let target_partitions = (request.target_partitions / kept.len().max(1)).max(1);
        let mut inputs: Vec<Arc<dyn ExecutionPlan>> = vec![];
        for d in kept {
            let table = self.table(d)?;
            let own = |i: usize| match &d.by_name {
                Some(positions) => positions[i],
                None => Some(i),
            };
            let mut own_columns: Vec<usize> = file_columns.iter().filter_map(|&i| own(i)).collect();
            if own_columns.is_empty() {
                own_columns.push(0);
            }
            let per_directory = ScanRequest {
                projection: Some(own_columns.clone()),
                target_partitions,
                filters: self.filters_for(&table, &request.filters),
                ..request.clone()
            };
            let scan = table
                .scan(&per_directory)
                .await
                .map_err(|e| e.context(format!("reading partition directory '{}'", d.path)))?;
            let exprs = wanted
                .iter()
                .map(|&i| {
                    if i >= self.file_width {
                        let value = d.values[i - self.file_width].clone();
                        return create_physical_expr(&Expr::Literal(value), &QSchema::empty());
                    }
                    let f = self.schema.field(i);
                    let Some(position) =
                        own(i).and_then(|c| own_columns.iter().position(|&o| o == c))
                    else {
                        let null = ScalarValue::try_from(f.data_type())?;
                        return create_physical_expr(&Expr::Literal(null), &QSchema::empty());
                    };
                    let own_type = scan.schema().field(position).data_type().clone();
                    let column: Arc<dyn PhysicalExpr> =
                        Arc::new(ColumnExpr::new(f.name(), position, own_type.clone()));
                    if &own_type == f.data_type() {
                        return Ok(column);
                    }
                    let read = QSchema::from_arrow(None, &scan.schema());
                    let name = read.field(position).column();
                    create_physical_expr(
                        &Expr::Cast(Box::new(Expr::Column(name)), f.data_type().clone()),
                        &read,
                    )
                })
                .collect::<Result<Vec<_>>>()?;
            inputs.push(Arc::new(ProjectionExec::new(
                exprs,
                Arc::clone(&out_schema),
                scan,
            )));
        }
        if inputs.is_empty() {
            let empty =
                quiver_execution::operators::memory::MemoryExec::try_new(out_schema, vec![vec![]])?;
            return Ok(Arc::new(empty));
        }
        Ok(Arc::new(UnionExec::new(inputs, out_schema)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaped_values_are_decoded() {
        assert_eq!(unescape("a%2Fb%3Dc"), "a/b=c");
        assert_eq!(unescape("100%"), "100%");
        assert_eq!(unescape("plain"), "plain");
    }
}
