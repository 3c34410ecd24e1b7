//! User-defined functions: a scalar closure and an aggregate closure, used
//! from SQL and from the DataFrame API.
//!
//!     cargo run -p quiver --example udf

use std::sync::Arc;

use arrow::array::{ArrayRef, AsArray, StringArray};
use arrow::datatypes::{DataType, Float64Type};
use quiver::expr::col;
use quiver::functions::call;
use quiver::udf::{AggregateUdf, ScalarUdf};
use quiver::{CsvOptions, ScalarValue, SessionContext};

#[tokio::main]
async fn main() -> quiver::Result<()> {
    let ctx = SessionContext::new();
    // A scalar function: a size class for a number of people.
    ctx.register_scalar_function(ScalarUdf::new(
        "size_class",
        vec![DataType::Float64],
        DataType::Utf8,
        |args: &[ArrayRef], _rows: usize| {
            let people = args[0].as_primitive::<Float64Type>();
            let classes: StringArray = people
                .iter()
                .map(|p| p.map(|p| if p >= 10e6 { "mega" } else { "large" }))
                .collect();
            Ok(Arc::new(classes) as ArrayRef)
        },
    ))?;
    // An aggregate: the spread between the largest and smallest value.
    ctx.register_aggregate_function(AggregateUdf::new(
        "spread",
        vec![DataType::Float64],
        DataType::Float64,
        |args: &[ArrayRef]| {
            let values: Vec<f64> = args[0]
                .as_primitive::<Float64Type>()
                .iter()
                .flatten()
                .collect();
            let max = values.iter().copied().reduce(f64::max);
            let min = values.iter().copied().reduce(f64::min);
            Ok(ScalarValue::Float64(
                max.zip(min).map(|(max, min)| max - min),
            ))
        },
    ))?;

    let dir = env!("CARGO_MANIFEST_DIR");
    let path = format!("{dir}/../../testdata/cities.csv");
    ctx.register_csv("cities", &path, CsvOptions::default())
        .await?;
    ctx.sql(
        "SELECT size_class(population) AS class, count(*) AS cities, spread(population) AS spread
         FROM cities GROUP BY class ORDER BY class",
    )
    .await?
    .show()
    .await?;

    // The same functions from the DataFrame API.
    let cities = ctx.read_csv(&path, CsvOptions::default())?;
    cities
        .aggregate(
            [col("country")],
            [call("spread", [col("population")]).alias("spread")],
        )?
        .sort([col("spread").desc()])?
        .limit(0, Some(3))?
        .show()
        .await?;
    Ok(())
}
