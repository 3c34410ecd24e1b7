//! Built-in functions of Quiver: scalar functions (`upper`, `round`, ...) and
//! aggregate functions (`count`, `sum`, ...), window functions (`rank`,
//! `lag`, ...), lambda functions (`list_transform`, ...), and the registry that finds
//! them by name.

pub mod aggregate;
pub mod docs;
pub mod lambda;
pub mod registry;
pub mod scalar;
pub mod table;
pub mod window;

pub use registry::FunctionRegistry;
