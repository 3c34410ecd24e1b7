//! `date_part('field', source)`, which `EXTRACT(field FROM source)` becomes.

use arrow::compute::{cast, date_part, DatePart as ArrowDatePart};
use arrow::datatypes::DataType;
use quiver_expr::{exec_err, ColumnarValue, Result, ScalarFunction, ScalarValue};

use super::{check_arity, map_values, wrong_types};

/// `date_part`.
#[derive(Debug)]
pub struct DatePart;

/// The Arrow date part for a SQL field name.
pub fn parse_field(name: &str) -> Option<ArrowDatePart> {
    Some(match name.to_ascii_lowercase().as_str() {
        "year" | "years" => ArrowDatePart::Year,
        "quarter" => ArrowDatePart::Quarter,
        "month" | "months" => ArrowDatePart::Month,
        "week" | "weeks" => ArrowDatePart::Week,
        "day" | "days" => ArrowDatePart::Day,
        "dow" | "dayofweek" => ArrowDatePart::DayOfWeekSunday0,
        "doy" | "dayofyear" => ArrowDatePart::DayOfYear,
        "hour" | "hours" => ArrowDatePart::Hour,
        "minute" | "minutes" => ArrowDatePart::Minute,
        "second" | "seconds" => ArrowDatePart::Second,
        "millisecond" | "milliseconds" => ArrowDatePart::Millisecond,
        "microsecond" | "microseconds" => ArrowDatePart::Microsecond,
        _ => return None,
    })
}

impl ScalarFunction for DatePart {
    fn name(&self) -> &str {
        "date_part"
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity("date_part", arg_types, 2, 2)?;
        let source = match &arg_types[1] {
            t @ (DataType::Date32 | DataType::Timestamp(..)) => t.clone(),
            DataType::Date64 | DataType::Null => DataType::Date32,
            _ => return Err(wrong_types("date_part", arg_types)),
        };
        Ok(vec![DataType::Utf8, source])
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        let field = match &args[0] {
            ColumnarValue::Scalar(ScalarValue::Utf8(Some(f))) => f.clone(),
            _ => return exec_err!("date_part: the field must be a constant string such as 'year'"),
        };
        let Some(part) = parse_field(&field) else {
            return exec_err!("date_part: unknown field '{field}'");
        };
        map_values(&args[1], num_rows, |source| {
            Ok(cast(&date_part(source, part)?, &DataType::Int64)?)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{AsArray, Date32Array};
    use arrow::datatypes::Int64Type;
    use std::sync::Arc;

    #[test]
    fn extracts_fields_from_dates() {
        // 1998-12-01 is day 10561 since the epoch.
        let d = ColumnarValue::Array(Arc::new(Date32Array::from(vec![Some(10561), None])));
        let f = |name: &str| ColumnarValue::Scalar(ScalarValue::Utf8(Some(name.into())));
        let year = DatePart
            .invoke(&[f("year"), d.clone()], 2)
            .unwrap()
            .into_array(2)
            .unwrap();
        assert_eq!(year.as_primitive::<Int64Type>().value(0), 1998);
        assert!(year.is_null(1));
        let month = DatePart
            .invoke(&[f("MONTH"), d.clone()], 2)
            .unwrap()
            .into_array(2)
            .unwrap();
        assert_eq!(month.as_primitive::<Int64Type>().value(0), 12);
        assert!(DatePart
            .invoke(&[f("fortnight"), d], 2)
            .unwrap_err()
            .to_string()
            .contains("unknown field"));
    }
}
