//! JSON held as text (DuckDB's JSON type is text underneath): extracting
//! by path (`json_extract`, `->`; `json_extract_string`, `->>`),
//! inspecting (`json_valid`, `json_type`, `json_array_length`,
//! `json_keys`) and making JSON (`json_object`, `json_array`, `to_json`).
//! Paths are DuckDB's: `$.a.b[0]` (`$[#-1]` counts from the end), a bare
//! key (`'a'`), or an array index (`0`). Malformed JSON is an error naming
//! the byte where it goes wrong.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Int64Array, ListBuilder, StringArray, StringBuilder,
};
use arrow::datatypes::DataType;
use quiver_expr::cast::cast_array;
use quiver_expr::types::{is_integer, is_string};
use quiver_expr::{ColumnarValue, QuiverError, Result, ScalarFunction};
use serde_json::Value;

use super::{check_arity, result_rows, shaped, wrong_types};

/// One step of a JSON path.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    /// An array index; negative counts from the end (`[#-1]`).
    Index(i64),
}

/// The steps of a path: `$.a.b[0]`, `$."quoted key"`, `$[#-1]`, or a bare
/// key.
fn parse_path(path: &str) -> Result<Vec<Step>> {
    let bad = |why: &str| QuiverError::Execution(format!("invalid JSON path '{path}': {why}"));
    let Some(rest) = path.strip_prefix('$') else {
        return Ok(vec![Step::Key(path.to_string())]);
    };
    let mut steps = vec![];
    let mut chars = rest.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                let key: String = if chars.peek() == Some(&'"') {
                    chars.next();
                    let key: String = chars.by_ref().take_while(|&c| c != '"').collect();
                    key
                } else {
                    let mut key = String::new();
                    while let Some(&c) = chars.peek() {
                        if c == '.' || c == '[' {
                            break;
                        }
                        key.push(c);
                        chars.next();
                    }
                    key
                };
                if key.is_empty() {
                    return Err(bad("an empty key"));
                }
                steps.push(Step::Key(key));
            }
            '[' => {
                let inside: String = chars.by_ref().take_while(|&c| c != ']').collect();
                let inside = inside.trim();
                let index = match inside.strip_prefix('#') {
                    Some(from_end) => {
                        let back = from_end.trim().trim_start_matches('-').trim();
                        -back.parse::<i64>().map_err(|_| bad("a bad index"))?
                    }
                    None => inside.parse::<i64>().map_err(|_| bad("a bad index"))?,
                };
                steps.push(Step::Index(index));
            }
            _ => return Err(bad("expected '.' or '[' after '$'")),
        }
    }
    Ok(steps)
}

/// The value at `steps` inside `value`, if there is one.
fn walk<'v>(mut value: &'v Value, steps: &[Step]) -> Option<&'v Value> {
    for step in steps {
        value = match (step, value) {
            (Step::Key(k), Value::Object(map)) => map.get(k)?,
            (Step::Index(i), Value::Array(items)) => {
                let at = if *i < 0 { items.len() as i64 + i } else { *i };
                items.get(usize::try_from(at).ok()?)?
            }
            _ => return None,
        };
    }
    Some(value)
}

/// `text` parsed, or an error naming where it is malformed.
fn parse(text: &str) -> Result<Value> {
    serde_json::from_str(text).map_err(|e| {
        let byte: usize = text
            .lines()
            .take(e.line().saturating_sub(1))
            .map(|l| l.len() + 1)
            .sum::<usize>()
            + e.column().saturating_sub(1);
        let shown: String = text.chars().take(60).collect();
        QuiverError::Execution(format!(
            "malformed JSON at byte {byte} of input: {e}. Input: \"{shown}\""
        ))
    })
}

/// The path argument as steps: a text path, or an integer index.
fn path_steps(path: &ArrayRef, row: usize) -> Result<Option<Vec<Step>>> {
    if path.is_null(row) {
        return Ok(None);
    }
    Ok(Some(match path.data_type() {
        DataType::Int64 => vec![Step::Index(
            path.as_primitive::<arrow::datatypes::Int64Type>()
                .value(row),
        )],
        _ => parse_path(path.as_string::<i32>().value(row))?,
    }))
}

/// How an extraction gives the value it finds.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Extracted {
    /// As JSON text (`json_extract`, `->`).
    Json,
    /// A string as its text, anything else as JSON text
    /// (`json_extract_string`, `->>`); a JSON null is NULL.
    Text,
}

/// `json_extract(json, path)` (`->`) and `json_extract_string(json, path)`
/// (`->>`): the value at a path, NULL where there is none.
#[derive(Debug)]
pub struct JsonExtract {
    extracted: Extracted,
}

impl JsonExtract {
    /// `json_extract`.
    pub fn json() -> Self {
        Self {
            extracted: Extracted::Json,
        }
    }
    /// `json_extract_string`.
    pub fn text() -> Self {
        Self {
            extracted: Extracted::Text,
        }
    }
}

impl ScalarFunction for JsonExtract {
    fn name(&self) -> &str {
        match self.extracted {
            Extracted::Json => "json_extract",
            Extracted::Text => "json_extract_string",
        }
    }
    fn aliases(&self) -> &'static [&'static str] {
        match self.extracted {
            Extracted::Json => &["json_extract_path"],
            Extracted::Text => &["json_extract_path_text"],
        }
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(self.name(), arg_types, 2, 2)?;
        json_and_path_types(self.name(), arg_types)
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        let rows = result_rows(args, num_rows);
        let json = args[0].to_array(rows)?;
        let json = json.as_string::<i32>();
        let path = args[1].to_array(rows)?;
        let mut out = StringBuilder::new();
        for row in 0..rows {
            let (Some(steps), true) = (path_steps(&path, row)?, json.is_valid(row)) else {
                out.append_null();
                continue;
            };
            let document = parse(json.value(row))?;
            match (walk(&document, &steps), self.extracted) {
                (None, _) | (Some(Value::Null), Extracted::Text) => out.append_null(),
                (Some(Value::String(s)), Extracted::Text) => out.append_value(s),
                (Some(v), _) => out.append_value(v.to_string()),
            }
        }
        shaped(args, Arc::new(out.finish()))
    }
}

/// The types of a `(json, path)` call: text, and a text path or an integer
/// index.
fn json_and_path_types(name: &str, arg_types: &[DataType]) -> Result<Vec<DataType>> {
    let text = |t: &DataType| is_string(t) || t == &DataType::Null;
    if !text(&arg_types[0]) {
        return Err(wrong_types(name, arg_types));
    }
    let mut types = vec![DataType::Utf8];
    if let Some(path) = arg_types.get(1) {
        types.push(match path {
            t if is_integer(t) => DataType::Int64,
            t if text(t) => DataType::Utf8,
            _ => return Err(wrong_types(name, arg_types)),
        });
    }
    Ok(types)
}

/// What an inspecting function says of a JSON value.
#[derive(Debug, Clone, Copy)]
enum Inspect {
    Valid,
    Type,
    ArrayLength,
    Keys,
}

/// `json_valid(text)`, `json_type(json [, path])` (`OBJECT`, `ARRAY`,
/// `VARCHAR`, `UBIGINT`, `BIGINT`, `DOUBLE`, `BOOLEAN`, `NULL`, as DuckDB
/// names them), `json_array_length(json [, path])` (0 for a non-array) and
/// `json_keys(json [, path])`.
#[derive(Debug)]
pub struct JsonInspect {
    inspect: Inspect,
}

impl JsonInspect {
    /// The four inspecting functions.
    pub fn all() -> [Self; 4] {
        [
            Inspect::Valid,
            Inspect::Type,
            Inspect::ArrayLength,
            Inspect::Keys,
        ]
        .map(|inspect| Self { inspect })
    }
}

/// DuckDB's name of a JSON value's type.
fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Object(_) => "OBJECT",
        Value::Array(_) => "ARRAY",
        Value::String(_) => "VARCHAR",
        Value::Bool(_) => "BOOLEAN",
        Value::Null => "NULL",
        Value::Number(n) if n.is_u64() => "UBIGINT",
        Value::Number(n) if n.is_i64() => "BIGINT",
        Value::Number(_) => "DOUBLE",
    }
}

impl ScalarFunction for JsonInspect {
    fn name(&self) -> &str {
        match self.inspect {
            Inspect::Valid => "json_valid",
            Inspect::Type => "json_type",
            Inspect::ArrayLength => "json_array_length",
            Inspect::Keys => "json_keys",
        }
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let max = if matches!(self.inspect, Inspect::Valid) {
            1
        } else {
            2
        };
        check_arity(self.name(), arg_types, 1, max)?;
        json_and_path_types(self.name(), arg_types)
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(match self.inspect {
            Inspect::Valid => DataType::Boolean,
            Inspect::Type => DataType::Utf8,
            Inspect::ArrayLength => DataType::Int64,
            Inspect::Keys => super::lists::list_of(DataType::Utf8),
        })
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        let rows = result_rows(args, num_rows);
        let json = args[0].to_array(rows)?;
        let json: &StringArray = json.as_string::<i32>();
        if matches!(self.inspect, Inspect::Valid) {
            let out: BooleanArray = json
                .iter()
                .map(|t| t.map(|t| serde_json::from_str::<Value>(t).is_ok()))
                .collect();
            return shaped(args, Arc::new(out));
        }
        let path = args.get(1).map(|p| p.to_array(rows)).transpose()?;
        let mut values: Vec<Option<Value>> = Vec::with_capacity(rows);
        for row in 0..rows {
            if json.is_null(row) {
                values.push(None);
                continue;
            }
            let document = parse(json.value(row))?;
            let found = match &path {
                None => Some(document),
                Some(p) => match path_steps(p, row)? {
                    None => None,
                    Some(steps) => walk(&document, &steps).cloned(),
                },
            };
            values.push(found);
        }
        let out: ArrayRef = match self.inspect {
            Inspect::Type => Arc::new(
                values
                    .iter()
                    .map(|v| v.as_ref().map(type_name))
                    .collect::<StringArray>(),
            ),
            Inspect::ArrayLength => Arc::new(
                values
                    .iter()
                    .map(|v| {
                        v.as_ref().map(|v| match v {
                            Value::Array(items) => items.len() as i64,
                            _ => 0,
                        })
                    })
                    .collect::<Int64Array>(),
            ),
            _ => {
                let mut keys = ListBuilder::new(StringBuilder::new());
                for v in &values {
                    match v {
                        Some(Value::Object(map)) => {
                            for k in map.keys() {
                                keys.values().append_value(k);
                            }
                            keys.append(true);
                        }
                        Some(_) => keys.append(true),
                        None => keys.append(false),
                    }
                }
                Arc::new(keys.finish())
            }
        };
        shaped(args, out)
    }
}

/// The JSON value of row `row` of `array`: numbers, strings, booleans and
/// NULL as themselves, lists as arrays, structs and maps as objects, other
/// types as their text.
fn json_value(array: &dyn Array, row: usize) -> Result<Value> {
    if array.data_type() == &DataType::Null || array.is_null(row) {
        return Ok(Value::Null);
    }
    Ok(match array.data_type() {
        DataType::Boolean => Value::Bool(array.as_boolean().value(row)),
        t if is_integer(t) => {
            let v = cast_array(&array.slice(row, 1), &DataType::Int64)?;
            Value::from(v.as_primitive::<arrow::datatypes::Int64Type>().value(0))
        }
        DataType::Float16 | DataType::Float32 | DataType::Float64 | DataType::Decimal128(..) => {
            let v = cast_array(&array.slice(row, 1), &DataType::Float64)?;
            let f = v.as_primitive::<arrow::datatypes::Float64Type>().value(0);
            serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)
        }
        DataType::List(_) => {
            let list = array.as_list::<i32>().value(row);
            Value::Array(
                (0..list.len())
                    .map(|i| json_value(list.as_ref(), i))
                    .collect::<Result<_>>()?,
            )
        }
        // A tuple is an array of its fields, as DuckDB writes it.
        DataType::Struct(fields) if quiver_expr::types::is_tuple(fields) => Value::Array(
            array
                .as_struct()
                .columns()
                .iter()
                .map(|column| json_value(column.as_ref(), row))
                .collect::<Result<_>>()?,
        ),
        DataType::Struct(fields) => {
            let s = array.as_struct();
            let mut map = serde_json::Map::new();
            for (f, column) in fields.iter().zip(s.columns()) {
                map.insert(f.name().clone(), json_value(column.as_ref(), row)?);
            }
            Value::Object(map)
        }
        DataType::Map(_, _) => {
            let entries = array.as_map().value(row);
            let (keys, values) = (entries.column(0), entries.column(1));
            let keys = cast_array(keys, &DataType::Utf8)?;
            let keys = keys.as_string::<i32>();
            let mut map = serde_json::Map::new();
            for i in 0..entries.len() {
                map.insert(keys.value(i).to_string(), json_value(values.as_ref(), i)?);
            }
            Value::Object(map)
        }
        _ => {
            let text = cast_array(&array.slice(row, 1), &DataType::Utf8)?;
            Value::String(text.as_string::<i32>().value(0).to_string())
        }
    })
}

/// How a making function builds its JSON.
#[derive(Debug, Clone, Copy)]
enum Make {
    Value,
    Object,
    Array,
}

/// `to_json(x)` (any value as JSON text), `json_object(key, value, ..)`
/// and `json_array(value, ..)`.
#[derive(Debug)]
pub struct JsonMake {
    make: Make,
}

impl JsonMake {
    /// The three making functions.
    pub fn all() -> [Self; 3] {
        [Make::Value, Make::Object, Make::Array].map(|make| Self { make })
    }
}

impl ScalarFunction for JsonMake {
    fn name(&self) -> &str {
        match self.make {
            Make::Value => "to_json",
            Make::Object => "json_object",
            Make::Array => "json_array",
        }
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match self.make {
            Make::Value => check_arity(self.name(), arg_types, 1, 1)?,
            Make::Object if arg_types.len() % 2 == 1 => {
                return Err(QuiverError::Plan(
                    "json_object takes key, value pairs".into(),
                ))
            }
            _ => {}
        }
        Ok(arg_types.to_vec())
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        let rows = result_rows(args, num_rows);
        let columns = args
            .iter()
            .map(|a| a.to_array(rows))
            .collect::<Result<Vec<_>>>()?;
        let mut out = StringBuilder::new();
        for row in 0..rows {
            let value = match self.make {
                Make::Value => json_value(columns[0].as_ref(), row)?,
                Make::Array => Value::Array(
                    columns
                        .iter()
                        .map(|c| json_value(c.as_ref(), row))
                        .collect::<Result<_>>()?,
                ),
                Make::Object => {
                    let mut map = serde_json::Map::new();
                    for pair in columns.chunks(2) {
                        let key = match json_value(pair[0].as_ref(), row)? {
                            Value::String(s) => s,
                            Value::Null => {
                                return Err(QuiverError::Execution(
                                    "json_object keys cannot be NULL".into(),
                                ))
                            }
                            other => other.to_string(),
                        };
                        map.insert(key, json_value(pair[1].as_ref(), row)?);
                    }
                    Value::Object(map)
                }
            };
            // `to_json(NULL)` is NULL; NULLs inside arrays and objects stay.
            match (self.make, &value) {
                (Make::Value, Value::Null) => out.append_null(),
                _ => out.append_value(value.to_string()),
            }
        }
        shaped(args, Arc::new(out.finish()))
    }
}

/// Every JSON function.
pub fn functions() -> Vec<Arc<dyn ScalarFunction>> {
    let mut all: Vec<Arc<dyn ScalarFunction>> =
        vec![Arc::new(JsonExtract::json()), Arc::new(JsonExtract::text())];
    all.extend(JsonInspect::all().map(|f| Arc::new(f) as Arc<dyn ScalarFunction>));
    all.extend(JsonMake::all().map(|f| Arc::new(f) as Arc<dyn ScalarFunction>));
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use quiver_expr::ScalarValue;

    fn text(s: &str) -> ColumnarValue {
        ColumnarValue::Scalar(ScalarValue::Utf8(Some(s.to_string())))
    }

    #[test]
    fn paths_parse_keys_indexes_and_quoted_names() {
        assert_eq!(
            parse_path("$.a.b[0]").unwrap(),
            vec![Step::Key("a".into()), Step::Key("b".into()), Step::Index(0)]
        );
        assert_eq!(parse_path("$[#-1]").unwrap(), vec![Step::Index(-1)]);
        assert_eq!(
            parse_path("$.\"x.y\"").unwrap(),
            vec![Step::Key("x.y".into())]
        );
        assert_eq!(parse_path("key").unwrap(), vec![Step::Key("key".into())]);
        assert!(parse_path("$a").is_err());
    }

    #[test]
    fn extraction_gives_json_or_text() {
        let doc = text(r#"{"a": {"b": ["x", 2]}, "n": null}"#);
        let run = |f: JsonExtract, path: &str| {
            let out = f.invoke(&[doc.clone(), text(path)], 1).unwrap();
            match out {
                ColumnarValue::Scalar(ScalarValue::Utf8(v)) => v,
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(run(JsonExtract::json(), "$.a.b[0]"), Some("\"x\"".into()));
        assert_eq!(run(JsonExtract::text(), "$.a.b[0]"), Some("x".into()));
        assert_eq!(run(JsonExtract::json(), "$.a.b[#-1]"), Some("2".into()));
        assert_eq!(run(JsonExtract::json(), "$.n"), Some("null".into()));
        assert_eq!(run(JsonExtract::text(), "$.n"), None);
        assert_eq!(run(JsonExtract::json(), "$.zz"), None);
    }

    #[test]
    fn malformed_json_names_the_byte() {
        let err = JsonExtract::json()
            .invoke(&[text("{\"a\": x}"), text("$.a")], 1)
            .unwrap_err()
            .to_string();
        assert!(err.contains("malformed JSON at byte 6"), "{err}");
    }
}
