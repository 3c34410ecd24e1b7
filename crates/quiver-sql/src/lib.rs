//! The SQL frontend of Quiver: parses SQL text (with sqlparser plus
//! Quiver's own statements) and binds it against a catalog into a
//! [`quiver_expr::LogicalPlan`].

mod asof;
mod distinct_from;
mod filter_clause;
mod frame_exclusion;
mod glob;
mod identifier;
mod lambda_syntax;
mod macro_syntax;
mod operator_precedence;
pub mod parameters;
pub mod parser;
mod pivot_statement;
pub mod planner;
mod struct_type;
mod using_sample;

pub use identifier::quote_identifier;
pub use parameters::ParameterValues;
pub use parser::{parse_script, ParsedScript, ParsedStatement, Statement};
pub use planner::calls::REWRITTEN_CALLS;
pub use planner::{ContextProvider, Setting, SqlPlanner, DEFAULT_MAX_EXPRESSION_DEPTH};
