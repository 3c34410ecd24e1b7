//! The logical `ASOF JOIN`.

use std::sync::Arc;

use super::{nullable_fields, LogicalPlan};
use crate::schema::{QSchema, QSchemaRef};
use crate::{Expr, QuiverError, Result};

/// How an as-of join compares the left time with the right one: the match
/// is the right row nearest in time on the allowed side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AsofComparison {
    /// `left >= right`: the latest right row at or before the left time.
    GreaterEq,
    /// `left > right`: the latest right row before it.
    Greater,
    /// `left <= right`: the earliest right row at or after it.
    LessEq,
    /// `left < right`: the earliest right row after it.
    Less,
}

impl AsofComparison {
    /// The SQL operator.
    pub fn symbol(self) -> &'static str {
        match self {
            AsofComparison::GreaterEq => ">=",
            AsofComparison::Greater => ">",
            AsofComparison::LessEq => "<=",
            AsofComparison::Less => "<",
        }
    }
}

/// `left ASOF [LEFT] JOIN right ON keys AND left_time op right_time`: each
/// left row with the one right row of equal keys nearest in time (NULL keys
/// and times never match); a left row without one is dropped, or kept with
/// NULL right columns for `ASOF LEFT JOIN`.
#[derive(Debug, Clone, PartialEq)]
pub struct AsofJoin {
    /// The left input.
    pub left: Arc<LogicalPlan>,
    /// The right input.
    pub right: Arc<LogicalPlan>,
    /// Equality keys: (over left, over right), of the same types.
    pub on: Vec<(Expr, Expr)>,
    /// The times: (over left, over right), of the same type.
    pub times: (Expr, Expr),
    /// How the times compare.
    pub comparison: AsofComparison,
    /// `ASOF LEFT JOIN`: keep left rows without a match.
    pub keep_unmatched: bool,
    /// The left columns, then the right ones.
    pub schema: QSchemaRef,
}

impl AsofJoin {
    /// An as-of join; checks that keys and times agree in type.
    pub fn try_new(
        left: Arc<LogicalPlan>,
        right: Arc<LogicalPlan>,
        on: Vec<(Expr, Expr)>,
        times: (Expr, Expr),
        comparison: AsofComparison,
        keep_unmatched: bool,
    ) -> Result<Self> {
        let (ls, rs) = (left.schema(), right.schema());
        for (l, r) in on.iter().chain(std::iter::once(&times)) {
            let (lt, rt) = (l.data_type(ls)?, r.data_type(rs)?);
            if lt != rt {
                return Err(QuiverError::Internal(format!(
                    "ASOF join sides {l} and {r} have different types {lt} and {rt}"
                )));
            }
        }
        let right_fields = if keep_unmatched {
            nullable_fields(rs)
        } else {
            rs.fields().to_vec()
        };
        let schema = Arc::new(QSchema::new([ls.fields().to_vec(), right_fields].concat()));
        Ok(Self {
            left,
            right,
            on,
            times,
            comparison,
            keep_unmatched,
            schema,
        })
    }

    /// The same join over new inputs (with the same columns).
    pub fn with_inputs(&self, left: Arc<LogicalPlan>, right: Arc<LogicalPlan>) -> Result<Self> {
        Self::try_new(
            left,
            right,
            self.on.clone(),
            self.times.clone(),
            self.comparison,
            self.keep_unmatched,
        )
    }
}
