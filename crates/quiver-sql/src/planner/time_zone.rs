//! `TIMESTAMP WITH TIME ZONE` in the session's zone (`SET TimeZone`).
//!
//! Such values are instants, stored as microseconds since 1970-01-01 UTC
//! (Arrow's `Timestamp(µs, zone)`); the zone on the type says how they are
//! shown and how their fields (`hour`, `date_trunc`, …) are computed. The
//! binder keeps that zone the session's: `TIMESTAMPTZ` in casts and
//! literals means the session's zone (so `TIMESTAMPTZ '2024-01-01 10:00'`
//! is 10:00 there), and a table whose columns carry another zone is read
//! through a projection that moves them to it (the instants are unchanged).
//! `x AT TIME ZONE z` gives the instant of a TIMESTAMP read as local time
//! in `z`, or a TIMESTAMPTZ's local time in `z` as a TIMESTAMP.

use std::sync::Arc;

use arrow::datatypes::{DataType, TimeUnit};
use quiver_expr::logical_plan::{Projection, SubqueryAlias};
use quiver_expr::types::sql_type_name;
use quiver_expr::{Expr, LogicalPlan, QSchema, QuiverError, Result, ScalarValue};

use super::SqlPlanner;

/// A `TIMESTAMP WITH TIME ZONE` type in `zone`.
fn zoned(zone: &str) -> DataType {
    DataType::Timestamp(TimeUnit::Microsecond, Some(zone.into()))
}

/// `zone` checked to be one Arrow knows (an IANA name or an offset).
fn checked_zone(zone: &str) -> Result<&str> {
    zone.parse::<arrow::array::timezone::Tz>()
        .map(|_| zone)
        .map_err(|_| {
            QuiverError::Plan(format!(
                "unknown time zone '{zone}': use an IANA name such as 'America/New_York' or \
                 'UTC', or an offset such as '+02:00'"
            ))
        })
}

impl SqlPlanner<'_> {
    /// `t` with a time zone moved to the session's.
    pub(crate) fn in_session_zone(&self, t: DataType) -> DataType {
        match t {
            DataType::Timestamp(_, Some(_)) => zoned(&self.provider.time_zone()),
            other => other,
        }
    }

    /// `scan` (named `name`) read with its time-zoned columns moved to the
    /// session's zone, or as it is when none needs moving.
    pub(crate) fn in_session_zone_scan(
        &self,
        scan: LogicalPlan,
        name: &str,
    ) -> Result<LogicalPlan> {
        let session = self.provider.time_zone();
        let schema = scan.schema();
        let moves =
            |t: &DataType| matches!(t, DataType::Timestamp(_, Some(z)) if z.as_ref() != session);
        if !schema.fields().iter().any(|f| moves(f.field.data_type())) {
            return Ok(scan);
        }
        let exprs = schema
            .fields()
            .iter()
            .map(|f| {
                let column = Expr::Column(f.column());
                let t = f.field.data_type();
                if moves(t) {
                    Expr::Alias(
                        Box::new(Expr::Cast(Box::new(column), zoned(&session))),
                        f.name().to_string(),
                    )
                } else {
                    column
                }
            })
            .collect();
        let projected = LogicalPlan::Projection(Projection::try_new(exprs, Arc::new(scan))?);
        Ok(LogicalPlan::SubqueryAlias(SubqueryAlias::try_new(
            Arc::new(projected),
            name,
            &[],
        )?))
    }

    /// The statement's start time as a `TIMESTAMP WITH TIME ZONE` constant
    /// in the session's zone: `now()`.
    pub(crate) fn now(&self) -> Expr {
        Expr::Literal(self.now_value())
    }

    fn now_value(&self) -> ScalarValue {
        let zone = self.provider.time_zone();
        ScalarValue::TimestampMicrosecond(Some(self.statement_time()), Some(zone.into()))
    }

    /// Today's date in the session's zone, at the statement's start.
    pub(crate) fn current_date(&self) -> Result<Expr> {
        let local = arrow::compute::cast(&self.now_value().to_array()?, &DataType::Date32)?;
        Ok(Expr::Literal(ScalarValue::try_from_array(&local, 0)?))
    }

    /// `x AT TIME ZONE zone`.
    pub(crate) fn at_time_zone(&self, x: Expr, zone: Expr, schema: &QSchema) -> Result<Expr> {
        let zone = match &zone {
            Expr::Literal(
                ScalarValue::Utf8(Some(z))
                | ScalarValue::LargeUtf8(Some(z))
                | ScalarValue::Utf8View(Some(z)),
            ) => checked_zone(z)?.to_string(),
            other => {
                return Err(QuiverError::NotImplemented(format!(
                    "AT TIME ZONE with a zone that is not a constant string ({other}) is not \
                     supported"
                )))
            }
        };
        let session = zoned(&self.provider.time_zone());
        match x.data_type(schema)? {
            DataType::Timestamp(_, None) | DataType::Date32 | DataType::Date64 => {
                // Local time in `zone`: the instant it names.
                let instant = Expr::Cast(Box::new(x), zoned(&zone));
                Ok(Expr::Cast(Box::new(instant), session))
            }
            DataType::Timestamp(_, Some(_)) => {
                // The instant's local time in `zone`.
                let there = Expr::Cast(Box::new(x), zoned(&zone));
                Ok(Expr::Cast(
                    Box::new(there),
                    DataType::Timestamp(TimeUnit::Microsecond, None),
                ))
            }
            other => Err(QuiverError::Schema(format!(
                "AT TIME ZONE needs a TIMESTAMP or TIMESTAMP WITH TIME ZONE, not {}",
                sql_type_name(&other)
            ))),
        }
    }
}
