//! Schemas whose fields carry an optional qualifier (a table name or alias),
//! and resolution of possibly-qualified column names against them.

use std::fmt;
use std::sync::Arc;

use arrow::datatypes::{Field, FieldRef, Schema, SchemaRef};

use crate::error::{QuiverError, Result};
use crate::suggest::closest_name;

/// A reference to a column, optionally qualified by a relation name.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Column {
    /// Table name or alias, if written (`t` in `t.a`).
    pub relation: Option<String>,
    /// Column name.
    pub name: String,
}

impl Column {
    /// A column reference with an optional qualifier.
    pub fn new(relation: Option<impl Into<String>>, name: impl Into<String>) -> Self {
        Self {
            relation: relation.map(Into::into),
            name: name.into(),
        }
    }

    /// An unqualified column reference.
    pub fn bare(name: impl Into<String>) -> Self {
        Self {
            relation: None,
            name: name.into(),
        }
    }
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.relation {
            Some(r) => write!(f, "{r}.{}", self.name),
            None => write!(f, "{}", self.name),
        }
    }
}

/// One field of a [`QSchema`]: an Arrow field plus the relation it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QField {
    /// The relation name or alias this field can be qualified with.
    pub qualifier: Option<String>,
    /// The Arrow field (name, type, nullability).
    pub field: FieldRef,
    /// Found only by a qualified name and left out of `*`: the right
    /// table's `k` after `JOIN … USING (k)`, which `b.k` names.
    pub hidden: bool,
}

impl QField {
    /// A field with an optional qualifier.
    pub fn new(qualifier: Option<String>, field: impl Into<FieldRef>) -> Self {
        Self {
            qualifier,
            field: field.into(),
            hidden: false,
        }
    }

    /// The field, hidden (see [`QField::hidden`]).
    pub fn into_hidden(mut self) -> Self {
        self.hidden = true;
        self
    }

    /// The field's unqualified name.
    pub fn name(&self) -> &str {
        self.field.name()
    }

    /// The column reference that resolves to this field.
    pub fn column(&self) -> Column {
        Column {
            relation: self.qualifier.clone(),
            name: self.field.name().clone(),
        }
    }

    /// `qualifier.name` or `name`, for messages.
    pub fn qualified_name(&self) -> String {
        self.column().to_string()
    }
}

/// A logical schema: an ordered list of qualified fields.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct QSchema {
    fields: Vec<QField>,
}

/// Shared handle to a [`QSchema`].
pub type QSchemaRef = Arc<QSchema>;

impl QSchema {
    /// A schema from its fields, in order.
    pub fn new(fields: Vec<QField>) -> Self {
        Self { fields }
    }

    /// The schema with no fields.
    pub fn empty() -> Self {
        Self::default()
    }

    /// A schema whose fields all carry the same qualifier.
    pub fn from_arrow(qualifier: Option<&str>, schema: &Schema) -> Self {
        let fields = schema
            .fields()
            .iter()
            .map(|f| QField::new(qualifier.map(str::to_string), Arc::clone(f)))
            .collect();
        Self { fields }
    }

    /// The fields in order.
    pub fn fields(&self) -> &[QField] {
        &self.fields
    }

    /// The unqualified field names, in order.
    pub fn field_names(&self) -> Vec<String> {
        self.fields.iter().map(|f| f.name().to_string()).collect()
    }

    /// The field at `i`.
    pub fn field(&self, i: usize) -> &QField {
        &self.fields[i]
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// True when the schema has no fields.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The fields of `self` followed by those of `other`.
    pub fn join(&self, other: &QSchema) -> QSchema {
        let mut fields = self.fields.clone();
        fields.extend(other.fields.iter().cloned());
        QSchema { fields }
    }

    /// The same fields, all requalified as `qualifier`.
    pub fn with_qualifier(&self, qualifier: &str) -> QSchema {
        let fields = self
            .fields
            .iter()
            .map(|f| QField::new(Some(qualifier.to_string()), Arc::clone(&f.field)))
            .collect();
        QSchema { fields }
    }

    /// The plain Arrow schema (qualifiers dropped).
    pub fn to_arrow(&self) -> SchemaRef {
        Arc::new(Schema::new(
            self.fields
                .iter()
                .map(|f| Arc::clone(&f.field))
                .collect::<Vec<_>>(),
        ))
    }

    /// Index of the field `column` refers to, or `None` if no field matches.
    /// Errors if the reference is ambiguous. Hidden fields are found only
    /// by a qualified name that no other field has.
    pub fn find(&self, column: &Column) -> Result<Option<usize>> {
        match self.find_among(column, false)? {
            None if column.relation.is_some() => self.find_among(column, true),
            found => Ok(found),
        }
    }

    /// [`QSchema::find`] over the visible fields, or the hidden ones.
    fn find_among(&self, column: &Column, hidden: bool) -> Result<Option<usize>> {
        let qualifier_matches = |f: &QField, exact: bool| match (&column.relation, &f.qualifier) {
            (None, _) => true,
            (Some(r), Some(q)) => {
                if exact {
                    r == q
                } else {
                    r.eq_ignore_ascii_case(q)
                }
            }
            (Some(_), None) => false,
        };
        for exact in [true, false] {
            let hits: Vec<usize> = (0..self.fields.len())
                .filter(|&i| {
                    let f = &self.fields[i];
                    if f.hidden != hidden {
                        return false;
                    }
                    let name_matches = if exact {
                        f.name() == column.name
                    } else {
                        f.name().eq_ignore_ascii_case(&column.name)
                    };
                    name_matches && qualifier_matches(f, exact)
                })
                .collect();
            match hits.as_slice() {
                [] => continue,
                [i] => return Ok(Some(*i)),
                many => {
                    let candidates: Vec<String> = many
                        .iter()
                        .map(|&i| self.fields[i].qualified_name())
                        .collect();
                    return Err(QuiverError::Plan(format!(
                        "column reference \"{column}\" is ambiguous; it could refer to {}",
                        candidates.join(" or ")
                    )));
                }
            }
        }
        Ok(None)
    }

    /// Index of the field `column` refers to; a helpful error naming the
    /// closest existing column if there is none.
    pub fn index_of(&self, column: &Column) -> Result<usize> {
        self.find(column)?.ok_or_else(|| self.not_found(column))
    }

    /// The "column not found" error for `column`, with a suggestion.
    pub fn not_found(&self, column: &Column) -> QuiverError {
        let names: Vec<String> = self.fields.iter().map(|f| f.qualified_name()).collect();
        let mut msg = format!("column \"{column}\" not found");
        let target = column.to_string();
        let bare: Vec<&str> = self.fields.iter().map(|f| f.name()).collect();
        let suggestion = if column.relation.is_some() {
            closest_name(&target, names.iter().map(String::as_str))
        } else {
            closest_name(&target, bare.iter().copied())
        };
        match suggestion {
            Some(s) => msg.push_str(&format!("; did you mean \"{s}\"?")),
            None if !names.is_empty() && names.len() <= 12 => {
                msg.push_str(&format!("; available columns: {}", names.join(", ")))
            }
            None => {}
        }
        QuiverError::Plan(msg)
    }
}

impl fmt::Display for QSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .fields
            .iter()
            .map(|q| format!("{}:{}", q.qualified_name(), q.field.data_type()))
            .collect();
        write!(f, "[{}]", parts.join(", "))
    }
}

/// Builds an Arrow field; a small convenience used all over the planner.
pub fn field(name: &str, data_type: arrow::datatypes::DataType, nullable: bool) -> Field {
    Field::new(name, data_type, nullable)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::datatypes::DataType;

    fn schema() -> QSchema {
        QSchema::new(vec![
            QField::new(Some("t1".into()), field("a", DataType::Int64, true)),
            QField::new(Some("t1".into()), field("Name", DataType::Utf8, true)),
            QField::new(Some("t2".into()), field("a", DataType::Int64, true)),
        ])
    }

    #[test]
    fn qualified_and_case_insensitive_lookup() {
        let s = schema();
        assert_eq!(s.index_of(&Column::new(Some("t2"), "a")).unwrap(), 2);
        assert_eq!(s.index_of(&Column::bare("name")).unwrap(), 1);
        assert_eq!(s.index_of(&Column::new(Some("T1"), "NAME")).unwrap(), 1);
    }

    #[test]
    fn ambiguous_reference_lists_candidates() {
        let err = schema()
            .index_of(&Column::bare("a"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("ambiguous") && err.contains("t1.a") && err.contains("t2.a"),
            "{err}"
        );
    }

    #[test]
    fn missing_column_suggests() {
        let err = schema()
            .index_of(&Column::bare("nme"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("did you mean \"Name\""), "{err}");
    }
}
