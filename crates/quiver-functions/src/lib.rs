//! Built-in functions of Quiver: scalar functions (`upper`, `round`, ...) and
//! aggregate functions (`count`, `sum`, ...), and the registry that finds
//! them by name.

pub mod aggregate;
pub mod registry;
pub mod scalar;
pub mod table;

pub use registry::FunctionRegistry;
