//! Functions that apply a lambda to the elements of a list
//! (`list_transform(l, lambda x: x + 1)`), and their calls.
//!
//! A lambda's body is bound over a schema of its own: its parameters first,
//! then one column per value it reads from the row it is called for (a
//! *capture*, such as `t.k` in `lambda x: x + t.k`). The captured values
//! are ordinary child expressions of the call, so the optimizer sees,
//! prunes and renames them like any other input; the body is opaque to it.

use std::fmt::Debug;
use std::sync::Arc;

use arrow::array::{ArrayRef, ListArray, UInt32Array};
use arrow::datatypes::{DataType, Field};

use crate::{Column, Expr, QField, QSchema, Result};

/// Evaluates a lambda's body for many argument values at once.
pub trait LambdaBody {
    /// The body's value for each position of `params` (one array per
    /// parameter, all of one length); `rows[i]` is the row of the call's
    /// input whose captured values position `i` sees.
    fn evaluate(&self, params: Vec<ArrayRef>, rows: &UInt32Array) -> Result<ArrayRef>;

    /// The type of the `i`-th parameter.
    fn parameter_type(&self, i: usize) -> &DataType;
}

/// A function whose second argument is a lambda applied to the elements of
/// its first, a list (`list_transform`, `list_filter`, `list_reduce`).
pub trait LambdaFunction: Send + Sync + Debug {
    /// The SQL name, lower case; results are named after it.
    fn name(&self) -> &str;

    /// Other names the function answers to.
    fn aliases(&self) -> &'static [&'static str] {
        &[]
    }

    /// The types of the lambda's `count` parameters, given the list's
    /// element type and the types of the arguments after the lambda; an
    /// error naming the function when it takes no lambda of `count`
    /// parameters or such arguments.
    fn parameter_types(
        &self,
        element: &DataType,
        count: usize,
        others: &[DataType],
    ) -> Result<Vec<DataType>>;

    /// Other parameter types to bind the body with, when its type as bound
    /// with `params` asks for them (`list_reduce`'s accumulated value
    /// widened to hold the body's result); `None` when `params` suit it.
    /// The binder asks once.
    fn rebind(&self, params: &[DataType], body: &DataType) -> Option<Vec<DataType>> {
        let _ = (params, body);
        None
    }

    /// The type the body's result is cast to, given the parameter types and
    /// the type the body has as written; an error when it cannot be used.
    fn body_type(&self, params: &[DataType], body: &DataType) -> Result<DataType>;

    /// The call's result type, given the list's element type and the body's
    /// (after [`LambdaFunction::body_type`]).
    fn return_type(&self, element: &DataType, body: &DataType) -> Result<DataType>;

    /// Evaluates the call: `list` holds one list per row, `others` the
    /// arguments after the lambda (one value per row), and `body` the
    /// lambda, which takes `param_count` parameters.
    fn invoke(
        &self,
        list: &ListArray,
        others: &[ArrayRef],
        param_count: usize,
        body: &dyn LambdaBody,
    ) -> Result<ArrayRef>;
}

/// A handle to a lambda function, compared and hashed by name.
#[derive(Debug, Clone)]
pub struct LambdaFunctionRef(pub Arc<dyn LambdaFunction>);

crate::expr::compare_by_name!(LambdaFunctionRef);

/// A call of a lambda function.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LambdaCall {
    /// The function.
    pub func: LambdaFunctionRef,
    /// The list the lambda is applied to (of a `List` type).
    pub list: Expr,
    /// The arguments after the lambda (`list_reduce`'s initial value).
    pub others: Vec<Expr>,
    /// The lambda's parameters, by name.
    pub params: Vec<String>,
    /// The parameters' types.
    pub param_types: Vec<DataType>,
    /// The lambda's body, over [`LambdaCall::body_schema`]: the parameters,
    /// then the captures as columns named by [`LambdaCall::capture_column`].
    pub body: Expr,
    /// The values of the calling row the body reads.
    pub captures: Vec<Expr>,
}

impl LambdaCall {
    /// The column the body reads the `i`-th capture from.
    pub fn capture_column(i: usize) -> Column {
        Column::bare(format!("#capture{i}"))
    }

    /// The element type of the list, over `schema`.
    pub fn element_type(&self, schema: &QSchema) -> Result<DataType> {
        Ok(element_type(&self.list.data_type(schema)?))
    }

    /// The schema the body is bound over, for a call over `schema`.
    pub fn body_schema(&self, schema: &QSchema) -> Result<QSchema> {
        Self::schema_of(&self.params, &self.param_types, &self.captures, schema)
    }

    /// The schema of a body with parameters `params` of types `types` that
    /// captures `captures` from a row of `schema`.
    pub fn schema_of(
        params: &[String],
        types: &[DataType],
        captures: &[Expr],
        schema: &QSchema,
    ) -> Result<QSchema> {
        let mut fields: Vec<QField> = params
            .iter()
            .zip(types)
            .map(|(name, t)| QField::new(None, Field::new(name, t.clone(), true)))
            .collect();
        for (i, capture) in captures.iter().enumerate() {
            let field = Field::new(
                Self::capture_column(i).name,
                capture.data_type(schema)?,
                true,
            );
            fields.push(QField::new(None, field));
        }
        Ok(QSchema::new(fields))
    }

    /// The call's result type, over `schema`.
    pub fn data_type(&self, schema: &QSchema) -> Result<DataType> {
        let body = self.body.data_type(&self.body_schema(schema)?)?;
        self.func.0.return_type(&self.element_type(schema)?, &body)
    }

    /// The body with each capture column replaced by the expression it
    /// captures, for display.
    pub fn body_as_written(&self) -> Expr {
        self.body
            .clone()
            .rewrite(&mut |e| {
                Ok(match e {
                    Expr::Column(c) if c.relation.is_none() => (0..self.captures.len())
                        .find(|&i| Self::capture_column(i) == *c)
                        .map(|i| self.captures[i].clone()),
                    _ => None,
                })
            })
            .unwrap_or_else(|_| self.body.clone())
    }
}

/// The element type of a list type (`NULL` for anything else, such as a
/// NULL list).
pub fn element_type(list: &DataType) -> DataType {
    match list {
        DataType::List(f) | DataType::LargeList(f) | DataType::FixedSizeList(f, _) => {
            f.data_type().clone()
        }
        _ => DataType::Null,
    }
}
