//! The logical layer of Quiver: expressions, logical plans, qualified
//! schemas, type rules, the error type, and the traits functions and tables
//! implement. Nothing here touches data.

pub mod cast;
pub mod datetime_text;
pub mod error;
pub mod expr;
mod fallibility;
pub mod function;
pub mod lambda;
pub mod logical_plan;
pub mod nested_text;
pub mod schema;
pub mod stack;
pub mod suggest;
pub mod table_source;
pub mod text_columns;
pub mod types;
pub mod uuid;
pub mod value_text;
pub mod window;
pub mod work_table;
pub mod zones;

pub use datafusion_common::ScalarValue;
pub use error::{QuiverError, Result};
pub use expr::{
    AggregateCall, AggregateFunctionRef, Expr, LikeKind, Operator, ScalarFunctionRef, SortExpr,
    Subquery,
};
pub use function::{
    AggregateFunction, ColumnarValue, FileTables, FunctionTable, GeneratedRows, GroupsAccumulator,
    ScalarFunction, TableFunction, Volatility, WindowFunction,
};
pub use lambda::{LambdaBody, LambdaCall, LambdaFunction, LambdaFunctionRef};
pub use logical_plan::LogicalPlan;
pub use schema::{Column, QField, QSchema, QSchemaRef};
pub use table_source::{ColumnStatistics, TableSource};
pub use window::{WindowCall, WindowFrame, WindowFunctionRef, WindowKind};
