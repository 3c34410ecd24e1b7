//! Binary operators on batches: arithmetic (overflow and division by zero
//! are errors), comparison, three-valued AND/OR and string concatenation.

use std::fmt;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, BooleanArray, Int64Array, IntervalMonthDayNanoArray};
use arrow::compute::kernels::bitwise::{
    bitwise_and, bitwise_or, bitwise_shift_left, bitwise_shift_right, bitwise_xor,
};
use arrow::compute::kernels::cmp::{distinct, eq, gt, gt_eq, lt, lt_eq, neq, not_distinct};
use arrow::compute::kernels::concat_elements::concat_elements_utf8;
use arrow::compute::kernels::numeric::{add, div, mul, rem, sub};
use arrow::compute::{and_kleene, cast, or_kleene};
use arrow::datatypes::{
    DataType, DurationMicrosecondType, Float32Type, Float64Type, Int32Type, Int64Type,
    IntervalMonthDayNano, Time64MicrosecondType, TimeUnit, TimestampMicrosecondType,
};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;
use arrow::temporal_conversions::date32_to_datetime;
use quiver_expr::cast::cast_array;
use quiver_expr::zones::local_times;
use quiver_expr::{ColumnarValue, Operator, QuiverError, Result};

use super::canonical::canonical_floats;
use super::decimal::checked_free_decimal_op;
use super::simple::{eval_datum, scalar_if};
use super::PhysicalExpr;

/// `left op right`.
#[derive(Debug)]
pub struct BinaryExpr {
    left: Arc<dyn PhysicalExpr>,
    op: Operator,
    right: Arc<dyn PhysicalExpr>,
    data_type: DataType,
}

impl BinaryExpr {
    /// `left op right` producing `data_type`; operand types already coerced.
    pub fn new(
        left: Arc<dyn PhysicalExpr>,
        op: Operator,
        right: Arc<dyn PhysicalExpr>,
        data_type: DataType,
    ) -> Self {
        Self {
            left,
            op,
            right,
            data_type,
        }
    }
}

impl fmt::Display for BinaryExpr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.left, self.op, self.right)
    }
}

/// Repeats a one-row array to `len` rows (for kernels without scalar support).
fn broadcast(a: ArrayRef, scalar: bool, len: usize) -> Result<ArrayRef> {
    if scalar && len != 1 {
        let value = quiver_expr::ScalarValue::try_from_array(&a, 0)?;
        Ok(value.to_array_of_size(len)?)
    } else {
        Ok(a)
    }
}

/// True if a float divisor has a zero in a non-NULL row. Integer and decimal
/// kernels report division by zero themselves; float ones would return
/// infinity, where SQL (PostgreSQL) says it is an error.
fn has_float_zero(divisor: &ArrayRef) -> bool {
    match divisor.data_type() {
        DataType::Float64 => divisor
            .as_primitive::<Float64Type>()
            .iter()
            .any(|v| v == Some(0.0)),
        DataType::Float32 => divisor
            .as_primitive::<Float32Type>()
            .iter()
            .any(|v| v == Some(0.0)),
        _ => false,
    }
}

/// The integer type that day arithmetic on dates computes in: INTEGER
/// for a date plus or minus days (overflow is an error), BIGINT for the
/// days between two dates. None for other operands.
fn day_numbers(op: Operator, l: &DataType, r: &DataType) -> Option<DataType> {
    use DataType::{Date32, Int32, Int64};
    match (l, op, r) {
        (Date32, Operator::Plus | Operator::Minus, Int32) | (Int32, Operator::Plus, Date32) => {
            Some(Int32)
        }
        (Date32, Operator::Minus, Date32) => Some(Int64),
        _ => None,
    }
}

/// Fails unless every day number in `days` (the result of `expr`) is a
/// date that can be shown: years -262144 to 262143.
fn check_date_range(days: &ArrayRef, expr: &BinaryExpr) -> Result<()> {
    let days = days.as_primitive::<Int32Type>();
    match days
        .iter()
        .flatten()
        .find(|&d| date32_to_datetime(d).is_none())
    {
        Some(_) => Err(QuiverError::Execution(format!(
            "date out of range in {expr}"
        ))),
        None => Ok(()),
    }
}

/// A TIME column as the DURATION since midnight (other columns as they
/// are), so that `DATE + TIME` adds it.
fn time_as_duration(a: ArrayRef) -> ArrayRef {
    match a.data_type() {
        DataType::Time64(TimeUnit::Microsecond) => Arc::new(
            a.as_primitive::<Time64MicrosecondType>()
                .reinterpret_cast::<DurationMicrosecondType>(),
        ),
        _ => a,
    }
}

/// The local times of a column of instants, as TIMESTAMP values.
fn local_timestamps(instants: &ArrayRef) -> Result<ArrayRef> {
    Ok(Arc::new(
        local_times(instants.as_ref())?.reinterpret_cast::<TimestampMicrosecondType>(),
    ))
}

/// The difference of two timestamps as an INTERVAL of whole days and the
/// time left over, as DuckDB and PostgreSQL show it (`60 days 10:00:00`);
/// a negative difference has both parts negative.
fn days_and_time(durations: &ArrayRef) -> Result<ArrayRef> {
    const MICROS_PER_DAY: i64 = 86_400_000_000;
    let micros = cast(durations, &DataType::Duration(TimeUnit::Microsecond))?;
    let out: IntervalMonthDayNanoArray = micros
        .as_primitive::<DurationMicrosecondType>()
        .try_unary(|us| {
            let days = i32::try_from(us / MICROS_PER_DAY)
                .map_err(|_| ArrowError::ComputeError("interval out of range".into()))?;
            Ok::<_, ArrowError>(IntervalMonthDayNano::new(
                0,
                days,
                (us % MICROS_PER_DAY) * 1000,
            ))
        })?;
    Ok(Arc::new(out))
}

impl BinaryExpr {
    /// An arithmetic kernel's error, naming this expression.
    fn arithmetic_error(&self, e: ArrowError) -> QuiverError {
        match e {
            ArrowError::DivideByZero => {
                QuiverError::Execution(format!("division by zero in {self}"))
            }
            ArrowError::ArithmeticOverflow(m) => {
                QuiverError::Execution(format!("numeric overflow in {self} ({m})"))
            }
            other => other.into(),
        }
    }
}

/// `l op r` for a bitwise operator, computed on BIGINT and returned as
/// `result`; a shift by a negative amount or by 64 or more bits, or a
/// result that does not fit `result`, is an error.
fn bitwise(op: Operator, l: &ArrayRef, r: &ArrayRef, result: &DataType) -> Result<ArrayRef> {
    let (l, r) = (cast(l, &DataType::Int64)?, cast(r, &DataType::Int64)?);
    let (l, r) = (l.as_primitive::<Int64Type>(), r.as_primitive::<Int64Type>());
    if matches!(op, Operator::ShiftLeft | Operator::ShiftRight) {
        if let Some(bad) = r.iter().flatten().find(|s| !(0..64).contains(s)) {
            return Err(QuiverError::Execution(format!(
                "cannot shift by {bad} bits (the shift must be 0 to 63)"
            )));
        }
    }
    let out: Int64Array = match op {
        Operator::BitwiseAnd => bitwise_and(l, r)?,
        Operator::BitwiseOr => bitwise_or(l, r)?,
        Operator::BitwiseXor => bitwise_xor(l, r)?,
        Operator::ShiftLeft => bitwise_shift_left(l, r)?,
        _ => bitwise_shift_right(l, r)?,
    };
    let options = arrow::compute::CastOptions {
        safe: false,
        ..Default::default()
    };
    Ok(arrow::compute::cast_with_options(&out, result, &options)?)
}

fn as_boolean(a: &ArrayRef) -> Result<BooleanArray> {
    if a.data_type() == &DataType::Null {
        return Ok(BooleanArray::new_null(a.len()));
    }
    Ok(a.as_boolean().clone())
}

impl PhysicalExpr for BinaryExpr {
    fn data_type(&self) -> &DataType {
        &self.data_type
    }

    fn evaluate(&self, batch: &RecordBatch) -> Result<ColumnarValue> {
        let (mut l, ls) = eval_datum(self.left.as_ref(), batch)?;
        let (mut r, rs) = eval_datum(self.right.as_ref(), batch)?;
        if self.op.is_comparison() || self.op.is_distinction() {
            (l, r) = (canonical_floats(l), canonical_floats(r));
        }
        if self.op == Operator::Minus {
            if let (DataType::Timestamp(_, Some(_)), DataType::Timestamp(_, Some(_))) =
                (l.data_type(), r.data_type())
            {
                // Instants are subtracted as their local times, so a day
                // with a clock change is one day, as in DuckDB.
                (l, r) = (local_timestamps(&l)?, local_timestamps(&r)?);
            }
        }
        // A time of day added to a moment counts as a duration.
        (l, r) = (time_as_duration(l), time_as_duration(r));
        let days = day_numbers(self.op, l.data_type(), r.data_type());
        if let Some(days) = &days {
            // Dates as their day numbers; the result is cast back to a date
            // (day arithmetic) or stays a count of days (date - date).
            (l, r) = (cast(&l, days)?, cast(&r, days)?);
        }
        let both_scalar = ls && rs;
        if let Some(out) = checked_free_decimal_op(
            self.op,
            &l,
            ls && !both_scalar,
            &r,
            rs && !both_scalar,
            &self.data_type,
        )? {
            return scalar_if(both_scalar, out);
        }
        let datum = |a: &ArrayRef, scalar: bool| -> Box<dyn arrow::array::Datum> {
            if scalar {
                Box::new(arrow::array::Scalar::new(Arc::clone(a)))
            } else {
                Box::new(Arc::clone(a))
            }
        };
        let (ld, rd) = if both_scalar {
            (datum(&l, false), datum(&r, false))
        } else {
            (datum(&l, ls), datum(&r, rs))
        };
        let (ld, rd) = (ld.as_ref(), rd.as_ref());
        if matches!(
            self.op,
            Operator::Divide | Operator::IntegerDivide | Operator::Modulo
        ) && has_float_zero(&r)
        {
            return Err(QuiverError::Execution(format!(
                "division by zero in {self}"
            )));
        }
        let arithmetic = |kernel: fn(
            &dyn arrow::array::Datum,
            &dyn arrow::array::Datum,
        ) -> std::result::Result<ArrayRef, ArrowError>| {
            kernel(ld, rd).map_err(|e| self.arithmetic_error(e))
        };
        if (self.op.is_comparison() || self.op.is_distinction()) && l.data_type().is_nested() {
            let n = if both_scalar { 1 } else { batch.num_rows() };
            let (l, r) = (broadcast(l, ls, n)?, broadcast(r, rs, n)?);
            let out = super::nested_compare::compare_nested(self.op, &l, &r)?;
            return scalar_if(both_scalar, Arc::new(out));
        }
        let out: ArrayRef = match self.op {
            Operator::Plus => arithmetic(add)?,
            Operator::Minus => arithmetic(sub)?,
            Operator::Multiply => arithmetic(mul)?,
            // On integers `div` truncates; on other numbers `//` divides.
            Operator::Divide | Operator::IntegerDivide => arithmetic(div)?,
            Operator::Modulo => arithmetic(rem)?,
            Operator::Eq => Arc::new(eq(ld, rd)?),
            Operator::NotEq => Arc::new(neq(ld, rd)?),
            Operator::IsDistinctFrom => Arc::new(distinct(ld, rd)?),
            Operator::IsNotDistinctFrom => Arc::new(not_distinct(ld, rd)?),
            Operator::Lt => Arc::new(lt(ld, rd)?),
            Operator::LtEq => Arc::new(lt_eq(ld, rd)?),
            Operator::Gt => Arc::new(gt(ld, rd)?),
            Operator::GtEq => Arc::new(gt_eq(ld, rd)?),
            Operator::And | Operator::Or => {
                let n = if both_scalar { 1 } else { batch.num_rows() };
                let l = as_boolean(&broadcast(l, ls, n)?)?;
                let r = as_boolean(&broadcast(r, rs, n)?)?;
                Arc::new(if self.op == Operator::And {
                    and_kleene(&l, &r)?
                } else {
                    or_kleene(&l, &r)?
                })
            }
            op @ (Operator::BitwiseAnd
            | Operator::BitwiseOr
            | Operator::BitwiseXor
            | Operator::ShiftLeft
            | Operator::ShiftRight) => {
                let n = if both_scalar { 1 } else { batch.num_rows() };
                bitwise(
                    op,
                    &broadcast(l, ls, n)?,
                    &broadcast(r, rs, n)?,
                    &self.data_type,
                )?
            }
            Operator::StringConcat => {
                let n = if both_scalar { 1 } else { batch.num_rows() };
                let to_utf8 = |a: ArrayRef| -> Result<ArrayRef> {
                    Ok(if a.data_type() == &DataType::Utf8 {
                        a
                    } else {
                        cast_array(&a, &DataType::Utf8)?
                    })
                };
                let l = to_utf8(broadcast(l, ls, n)?)?;
                let r = to_utf8(broadcast(r, rs, n)?)?;
                Arc::new(concat_elements_utf8(
                    l.as_string::<i32>(),
                    r.as_string::<i32>(),
                )?)
            }
        };
        if days == Some(DataType::Int32) {
            check_date_range(&out, self)?;
        }
        let out = match out.data_type() {
            DataType::Duration(_) => days_and_time(&out)?,
            _ => out,
        };
        let out = if out.data_type() != &self.data_type && self.data_type != DataType::Null {
            cast(&out, &self.data_type)?
        } else {
            out
        };
        scalar_if(both_scalar, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::physical_expr::simple::{ColumnExpr, LiteralExpr};
    use arrow::array::Int32Array;
    use arrow::datatypes::{Field, Schema};
    use quiver_expr::ScalarValue;

    fn batch() -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![Field::new("a", DataType::Int32, true)]));
        RecordBatch::try_new(
            schema,
            vec![Arc::new(Int32Array::from(vec![
                Some(1),
                None,
                Some(i32::MAX),
            ]))],
        )
        .unwrap()
    }

    fn col() -> Arc<dyn PhysicalExpr> {
        Arc::new(ColumnExpr::new("a", 0, DataType::Int32))
    }

    fn lit(v: i32) -> Arc<dyn PhysicalExpr> {
        Arc::new(LiteralExpr::new(ScalarValue::Int32(Some(v))))
    }

    #[test]
    fn overflow_and_division_by_zero_are_errors() {
        let plus = BinaryExpr::new(col(), Operator::Plus, lit(1), DataType::Int32);
        assert!(plus
            .evaluate(&batch())
            .unwrap_err()
            .to_string()
            .contains("overflow"));
        let div = BinaryExpr::new(col(), Operator::Divide, lit(0), DataType::Int32);
        assert!(div
            .evaluate(&batch())
            .unwrap_err()
            .to_string()
            .contains("division by zero"));
    }

    #[test]
    fn comparisons_keep_nulls_and_scalars_stay_scalar() {
        let cmp = BinaryExpr::new(col(), Operator::Gt, lit(0), DataType::Boolean);
        let out = cmp.evaluate_to_array(&batch()).unwrap();
        let out = out.as_boolean();
        assert!(out.value(0) && out.is_null(1) && out.value(2));
        let consts = BinaryExpr::new(lit(2), Operator::Multiply, lit(3), DataType::Int32);
        assert!(matches!(
            consts.evaluate(&batch()).unwrap(),
            ColumnarValue::Scalar(ScalarValue::Int32(Some(6)))
        ));
    }
}
