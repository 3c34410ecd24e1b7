//! Quiver inside a tokio application: one session shared by concurrent
//! tasks (as request handlers would share it), each running its own query
//! with parameters, while the runtime stays free for other work.
//!
//!     cargo run -p quiver --example tokio_service

use std::sync::Arc;

use arrow::array::AsArray;
use arrow::datatypes::Int64Type;
use quiver::{ParameterValues, ScalarValue, SessionContext};

/// A "request handler": trips of at least `passengers` passengers.
async fn trips_with(ctx: Arc<SessionContext>, passengers: i64) -> quiver::Result<(i64, i64)> {
    let values = ParameterValues::Positional(vec![ScalarValue::Int64(Some(passengers))]);
    let batches = ctx
        .sql_with_params(
            "SELECT count(*) FROM trips WHERE passenger_count >= ?",
            &values,
        )
        .await?
        .collect()
        .await?;
    let count = batches[0].column(0).as_primitive::<Int64Type>().value(0);
    Ok((passengers, count))
}

#[tokio::main]
async fn main() -> quiver::Result<()> {
    let ctx = Arc::new(SessionContext::new());
    let dir = env!("CARGO_MANIFEST_DIR");
    ctx.register_parquet("trips", &format!("{dir}/../../testdata/trips.parquet"))
        .await?;
    let handlers: Vec<_> = (1..=4)
        .map(|passengers| tokio::spawn(trips_with(Arc::clone(&ctx), passengers)))
        .collect();
    for handler in handlers {
        let (passengers, count) = handler
            .await
            .map_err(|e| quiver::QuiverError::Internal(e.to_string()))??;
        println!("{count} trips with at least {passengers} passengers");
    }
    Ok(())
}
