//! `date_part('field', x)` (which `EXTRACT(field FROM x)` becomes) and the
//! one-field functions `year(x)`, `month(x)`, `dayofweek(x)`, … over dates
//! and timestamps. Fields are BIGINT; `epoch` (seconds since 1970, with
//! their fraction) and `julian` (the Julian day) are DOUBLE and have their
//! own functions, which the binder calls for `date_part('epoch', x)`.
//!
//! As in DuckDB: `dow` counts from Sunday = 0, `isodow` from Monday = 1 to
//! Sunday = 7; `week` is the ISO week and `isoyear` its year; `yearweek` is
//! isoyear × 100 + week; `millisecond` and `microsecond` include the
//! whole seconds; `decade` is year / 10; centuries and millennia start at
//! years ending in 1; `timezone` is the zone's offset from UTC in seconds
//! at that instant (for a TIMESTAMP WITH TIME ZONE, in the session's zone;
//! 0 for a TIME or TIMESTAMP), `timezone_hour` and `timezone_minute` its
//! parts.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Float64Array, Int64Array};
use arrow::datatypes::DataType;
use chrono::Datelike;
use quiver_expr::{ColumnarValue, QuiverError, Result, ScalarFunction, ScalarValue};

use super::datetime::{
    civil_from_days, datetime, days_from_civil, instants_of, is_datetime, is_time, micros_of,
    weekday_from_monday, MICROS_PER_DAY,
};
use super::str_arg::constant_str;
use super::{check_arity, map_values, wrong_types};

/// A field of a date or timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// The year.
    Year,
    /// The month, 1 to 12.
    Month,
    /// The day of the month.
    Day,
    /// The year divided by 10.
    Decade,
    /// The century (2001 to 2100 is the 21st).
    Century,
    /// The millennium (2001 to 3000 is the 3rd).
    Millennium,
    /// The quarter, 1 to 4.
    Quarter,
    /// The ISO week, 1 to 53.
    Week,
    /// The year the ISO week belongs to.
    IsoYear,
    /// The day of the week, Sunday = 0.
    DayOfWeek,
    /// The day of the week, Monday = 1 to Sunday = 7.
    IsoDayOfWeek,
    /// The day of the year, from 1.
    DayOfYear,
    /// The hour, 0 to 23.
    Hour,
    /// The minute, 0 to 59.
    Minute,
    /// The second, 0 to 59.
    Second,
    /// Seconds and their fraction, in milliseconds.
    Millisecond,
    /// Seconds and their fraction, in microseconds.
    Microsecond,
    /// 1 for years after 0, else 0.
    Era,
    /// The ISO year × 100 + the ISO week.
    YearWeek,
    /// Seconds since 1970-01-01 (DOUBLE).
    Epoch,
    /// The Julian day (DOUBLE).
    Julian,
    /// The offset of a TIMESTAMP WITH TIME ZONE's zone from UTC at that
    /// instant, in seconds (0 for a TIME or TIMESTAMP).
    TimeZone,
    /// [`Field::TimeZone`]'s whole hours.
    TimeZoneHour,
    /// [`Field::TimeZone`]'s minutes past its hours.
    TimeZoneMinute,
}

impl Field {
    /// The field a SQL name (`'year'`, `'dow'`, …) stands for.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name.to_ascii_lowercase().as_str() {
            "year" | "years" | "y" | "yr" | "yrs" => Field::Year,
            "month" | "months" | "mon" | "mons" => Field::Month,
            "day" | "days" | "d" | "dayofmonth" => Field::Day,
            "decade" | "decades" | "dec" => Field::Decade,
            "century" | "centuries" | "cent" => Field::Century,
            "millennium" | "millennia" | "mil" | "millenium" => Field::Millennium,
            "quarter" | "quarters" => Field::Quarter,
            "week" | "weeks" | "w" | "weekofyear" => Field::Week,
            "isoyear" => Field::IsoYear,
            "dow" | "dayofweek" | "weekday" => Field::DayOfWeek,
            "isodow" => Field::IsoDayOfWeek,
            "doy" | "dayofyear" => Field::DayOfYear,
            "hour" | "hours" | "h" | "hr" | "hrs" => Field::Hour,
            "minute" | "minutes" | "m" | "min" | "mins" => Field::Minute,
            "second" | "seconds" | "s" | "sec" | "secs" => Field::Second,
            "millisecond" | "milliseconds" | "ms" | "msec" | "msecs" => Field::Millisecond,
            "microsecond" | "microseconds" | "us" | "usec" | "usecs" => Field::Microsecond,
            "era" => Field::Era,
            "yearweek" => Field::YearWeek,
            "epoch" => Field::Epoch,
            "julian" => Field::Julian,
            "timezone" => Field::TimeZone,
            "timezone_hour" => Field::TimeZoneHour,
            "timezone_minute" => Field::TimeZoneMinute,
            _ => return None,
        })
    }

    /// Whether the field is a DOUBLE rather than a BIGINT.
    pub fn is_double(self) -> bool {
        matches!(self, Field::Epoch | Field::Julian)
    }

    /// The BIGINT field of the instant `micros` microseconds after the
    /// epoch; calendar arithmetic on integers except for the ISO week
    /// fields, which chrono computes.
    fn integer(self, micros: i64) -> Option<i64> {
        let days = micros.div_euclid(MICROS_PER_DAY);
        let in_day = micros.rem_euclid(MICROS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        let second = in_day / 1_000_000 % 60;
        let sub_second = in_day % 1_000_000;
        Some(match self {
            Field::Year => year,
            Field::Month => i64::from(month),
            Field::Day => i64::from(day),
            Field::Decade => year / 10,
            Field::Century if year > 0 => (year - 1) / 100 + 1,
            Field::Century => -(-year / 100 + 1),
            Field::Millennium if year > 0 => (year - 1) / 1000 + 1,
            Field::Millennium => -(-year / 1000 + 1),
            Field::Quarter => i64::from((month - 1) / 3 + 1),
            Field::DayOfWeek => (weekday_from_monday(days) + 1) % 7,
            Field::IsoDayOfWeek => weekday_from_monday(days) + 1,
            Field::DayOfYear => days - days_from_civil(year, 1, 1) + 1,
            Field::Hour => in_day / 3_600_000_000,
            Field::Minute => in_day / 60_000_000 % 60,
            Field::Second => second,
            Field::Millisecond => second * 1000 + sub_second / 1000,
            Field::Microsecond => second * 1_000_000 + sub_second,
            Field::Era => i64::from(year > 0),
            Field::Week | Field::IsoYear | Field::YearWeek => {
                let week = datetime(micros)?.iso_week();
                let (iso_year, iso_week) = (i64::from(week.year()), i64::from(week.week()));
                match self {
                    Field::Week => iso_week,
                    Field::IsoYear => iso_year,
                    _ if iso_year < 0 => iso_year * 100 - iso_week,
                    _ => iso_year * 100 + iso_week,
                }
            }
            Field::Epoch
            | Field::Julian
            | Field::TimeZone
            | Field::TimeZoneHour
            | Field::TimeZoneMinute => return None,
        })
    }

    /// The DOUBLE fields of `micros` since the epoch.
    fn double(self, micros: i64) -> f64 {
        let seconds = micros as f64 / 1e6;
        match self {
            Field::Julian => {
                const JULIAN_DAY_OF_EPOCH: f64 = 2_440_588.0;
                JULIAN_DAY_OF_EPOCH + micros as f64 / MICROS_PER_DAY as f64
            }
            _ => seconds,
        }
    }

    /// Whether the field is part of a time of day (so a TIME has it).
    fn of_time_of_day(self) -> bool {
        matches!(
            self,
            Field::Hour
                | Field::Minute
                | Field::Second
                | Field::Millisecond
                | Field::Microsecond
                | Field::Epoch
                | Field::TimeZone
                | Field::TimeZoneHour
                | Field::TimeZoneMinute
        )
    }

    /// The field of a zone's offset from UTC of `seconds`, if it is one.
    fn of_offset(self, seconds: i64) -> Option<i64> {
        match self {
            Field::TimeZone => Some(seconds),
            Field::TimeZoneHour => Some(seconds / 3600),
            Field::TimeZoneMinute => Some(seconds / 60 % 60),
            _ => None,
        }
    }

    /// The zone fields of every value of `input`: each instant's offset
    /// in its zone (0 for a TIME or TIMESTAMP, as in DuckDB).
    fn zone_fields(self, input: &dyn Array) -> Result<ArrayRef> {
        let offsets: Int64Array = match input.data_type() {
            DataType::Timestamp(_, Some(_)) => {
                let (instants, locals) = (instants_of(input)?, micros_of(input)?);
                arrow::compute::kernels::arity::binary(&locals, &instants, |local, instant| {
                    (local - instant) / 1_000_000
                })?
            }
            t if is_time(t) || matches!(t, DataType::Timestamp(_, None)) => {
                micros_of(input)?.unary(|_| 0)
            }
            other => {
                return Err(QuiverError::Plan(format!(
                    "a {} has no time zone field; a TIMESTAMP WITH TIME ZONE has one",
                    quiver_expr::types::sql_type_name(other)
                )))
            }
        };
        Ok(Arc::new(offsets.unary::<_, arrow::datatypes::Int64Type>(
            |seconds| self.of_offset(seconds).unwrap_or(seconds),
        )))
    }

    /// The field of every value of a date, timestamp or time column.
    fn of_column(self, input: &dyn Array) -> Result<ArrayRef> {
        if is_time(input.data_type()) && !self.of_time_of_day() {
            return Err(QuiverError::Plan(format!(
                "a TIME has no {} field; it has hour, minute, second, millisecond, \
                 microsecond and epoch",
                format!("{self:?}").to_lowercase()
            )));
        }
        if self.of_offset(0).is_some() {
            return self.zone_fields(input);
        }
        if self.is_double() {
            let micros = instants_of(input)?;
            let out: Float64Array = micros.unary(|m| self.double(m));
            return Ok(Arc::new(out));
        }
        let micros = micros_of(input)?;
        let out: Int64Array = micros
            .iter()
            .map(|m| m.and_then(|m| self.integer(m)))
            .collect();
        Ok(Arc::new(out))
    }
}

/// The date, timestamp or time type a field function computes on.
fn datetime_argument(name: &str, arg_types: &[DataType], t: &DataType) -> Result<DataType> {
    match t {
        DataType::Null => Ok(DataType::Date32),
        t if is_datetime(t) || is_time(t) => Ok(t.clone()),
        _ => Err(wrong_types(name, arg_types)),
    }
}

/// `date_part`.
#[derive(Debug)]
pub struct DatePart {
    /// The field, once prepared for a constant one.
    field: Option<Field>,
}

impl DatePart {
    /// `date_part`, for any field.
    pub fn new() -> Self {
        Self { field: None }
    }
}

/// The field named by a constant argument.
fn constant_field(value: &ScalarValue) -> Result<Option<Field>> {
    let Some(name) = constant_str(value)? else {
        return Ok(None);
    };
    Field::parse(name).map(Some).ok_or_else(|| {
        QuiverError::Plan(format!(
            "date_part: unknown field '{name}' (fields are year, quarter, month, week, day, \
             dow, isodow, doy, hour, minute, second, millisecond, microsecond, decade, \
             century, millennium, isoyear, yearweek, era, epoch, julian, timezone, \
             timezone_hour, timezone_minute)"
        ))
    })
}

impl ScalarFunction for DatePart {
    fn name(&self) -> &str {
        "date_part"
    }
    fn aliases(&self) -> &'static [&'static str] {
        &["datepart"]
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity("date_part", arg_types, 2, 2)?;
        Ok(vec![
            DataType::Utf8,
            datetime_argument("date_part", arg_types, &arg_types[1])?,
        ])
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(DataType::Int64)
    }
    fn prepare(
        &self,
        constants: &[Option<ScalarValue>],
    ) -> Result<Option<Arc<dyn ScalarFunction>>> {
        match constants.first() {
            Some(Some(v)) => Ok(Some(Arc::new(DatePart {
                field: constant_field(v)?,
            }))),
            _ => Err(QuiverError::Plan(
                "date_part: the field must be a constant string such as 'year'".into(),
            )),
        }
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        let field = match (self.field, &args[0]) {
            (Some(f), _) => Some(f),
            (None, ColumnarValue::Scalar(v)) => constant_field(v)?,
            (None, ColumnarValue::Array(_)) => {
                return Err(QuiverError::Plan(
                    "date_part: the field must be a constant string such as 'year'".into(),
                ))
            }
        };
        let Some(field) = field else {
            return Ok(ColumnarValue::Scalar(ScalarValue::Int64(None)));
        };
        if field.is_double() {
            return Err(QuiverError::Internal(format!(
                "date_part of the DOUBLE field {field:?} is bound to its own function"
            )));
        }
        map_values(&args[1], num_rows, |input| field.of_column(input))
    }
}

/// A function of one field: `year(x)`, `epoch(x)`, ….
#[derive(Debug)]
pub struct FieldFunction {
    name: &'static str,
    aliases: &'static [&'static str],
    field: Field,
}

impl ScalarFunction for FieldFunction {
    fn name(&self) -> &str {
        self.name
    }
    fn aliases(&self) -> &'static [&'static str] {
        self.aliases
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        check_arity(self.name, arg_types, 1, 1)?;
        Ok(vec![datetime_argument(
            self.name,
            arg_types,
            &arg_types[0],
        )?])
    }
    fn return_type(&self, _: &[DataType]) -> Result<DataType> {
        Ok(if self.field.is_double() {
            DataType::Float64
        } else {
            DataType::Int64
        })
    }
    fn invoke(&self, args: &[ColumnarValue], num_rows: usize) -> Result<ColumnarValue> {
        map_values(&args[0], num_rows, |input| self.field.of_column(input))
    }
}

/// The one-field functions.
pub fn field_functions() -> Vec<FieldFunction> {
    let f = |name, aliases, field| FieldFunction {
        name,
        aliases,
        field,
    };
    vec![
        f("year", &[], Field::Year),
        f("month", &[], Field::Month),
        f("day", &["dayofmonth"], Field::Day),
        f("decade", &[], Field::Decade),
        f("century", &[], Field::Century),
        f("millennium", &[], Field::Millennium),
        f("quarter", &[], Field::Quarter),
        f("week", &["weekofyear"], Field::Week),
        f("isoyear", &[], Field::IsoYear),
        f("dayofweek", &["weekday"], Field::DayOfWeek),
        f("isodow", &[], Field::IsoDayOfWeek),
        f("dayofyear", &[], Field::DayOfYear),
        f("hour", &[], Field::Hour),
        f("minute", &[], Field::Minute),
        f("second", &[], Field::Second),
        f("millisecond", &[], Field::Millisecond),
        f("microsecond", &[], Field::Microsecond),
        f("era", &[], Field::Era),
        f("yearweek", &[], Field::YearWeek),
        f("epoch", &[], Field::Epoch),
        f("julian", &[], Field::Julian),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scalar::datetime::EPOCH_DATE;
    use arrow::array::{AsArray, Date32Array, TimestampMicrosecondArray};
    use arrow::datatypes::{Float64Type, Int64Type};

    fn date_of(y: i32, m: u32, d: u32) -> i32 {
        let date = chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
        (date - EPOCH_DATE).num_days() as i32
    }

    fn field_of(field: &str, input: &dyn Array) -> i64 {
        let out = Field::parse(field).unwrap().of_column(input).unwrap();
        out.as_primitive::<Int64Type>().value(0)
    }

    #[test]
    fn calendar_fields_of_dates() {
        let d = Date32Array::from(vec![date_of(2024, 12, 30)]);
        assert_eq!(field_of("year", &d), 2024);
        assert_eq!(field_of("week", &d), 1);
        assert_eq!(field_of("isoyear", &d), 2025);
        assert_eq!(field_of("yearweek", &d), 202501);
        assert_eq!(field_of("dow", &d), 1);
        assert_eq!(field_of("isodow", &d), 1);
        assert_eq!(field_of("doy", &d), 365);
        assert_eq!(field_of("decade", &d), 202);
        assert_eq!(field_of("century", &d), 21);
        assert_eq!(field_of("millennium", &d), 3);
        let sunday = Date32Array::from(vec![date_of(2024, 3, 17)]);
        assert_eq!(field_of("dow", &sunday), 0);
        assert_eq!(field_of("isodow", &sunday), 7);
        let y2000 = Date32Array::from(vec![date_of(2000, 1, 1)]);
        assert_eq!(field_of("century", &y2000), 20);
        assert_eq!(field_of("millennium", &y2000), 2);
        assert!(Field::parse("fortnight").is_none());
    }

    #[test]
    fn time_fields_and_epoch_of_timestamps() {
        // 2024-12-30 10:05:07.123456
        let micros = 1_735_553_107_123_456;
        let t = TimestampMicrosecondArray::from(vec![micros]);
        assert_eq!(field_of("hour", &t), 10);
        assert_eq!(field_of("second", &t), 7);
        assert_eq!(field_of("millisecond", &t), 7123);
        assert_eq!(field_of("microsecond", &t), 7_123_456);
        let epoch = Field::Epoch.of_column(&t).unwrap();
        let epoch = epoch.as_primitive::<Float64Type>().value(0);
        assert!((epoch - 1_735_553_107.123_456).abs() < 1e-6);
        let julian = Field::Julian.of_column(&t).unwrap();
        let julian = julian.as_primitive::<Float64Type>().value(0);
        assert!((julian - 2_460_675.420_221_336).abs() < 1e-6);
    }
}
