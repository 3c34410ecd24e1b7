//! Partitioned hash joins whose build side does not fit in memory (grace
//! hash join). When a partition's build reservation cannot grow, it writes
//! its build rows, then its probe rows, into [`HashBuckets`] by key hash,
//! and joins bucket by bucket: equal keys share a bucket, so each bucket's
//! build table holds about a sixteenth of the rows. Every join type works
//! bucket by bucket except the NULL-aware ones (`NOT IN`), whose answer
//! depends on whether the whole build side has a NULL; those never spill.

use std::collections::VecDeque;
use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use futures::stream::BoxStream;
use futures::{StreamExt, TryStreamExt};
use quiver_expr::{QuiverError, Result};

use super::build::{build_charge, BuildSide};
use super::probe::{ProbeSpec, Prober};
use super::{key_summaries, probe_stream, ProbeState};
use crate::dynamic_filter::PartitionedKeys;
use crate::metrics::OperatorMetrics;
use crate::physical_expr::PhysicalExpr;
use crate::plan::TaskContext;
use crate::spill::{record_spill_event, SpillFile};
use crate::spill_buckets::HashBuckets;
use crate::stream::SendableRecordBatchStream;

/// One partition of a partitioned hash join: its two inputs and what it
/// needs to build, probe and spill.
pub(super) struct PartitionJoin {
    pub(super) build_input: SendableRecordBatchStream,
    pub(super) probe_input: SendableRecordBatchStream,
    /// Build-side key expressions (the probe side's are in `spec`).
    pub(super) build_keys: Vec<Arc<dyn PhysicalExpr>>,
    pub(super) spec: ProbeSpec,
    pub(super) ctx: Arc<TaskContext>,
    pub(super) metrics: Option<Arc<OperatorMetrics>>,
    /// The operator's name in memory errors, e.g. "HashJoinExec build side".
    pub(super) consumer: String,
    pub(super) partition: usize,
    /// The join's dynamic filters, which this partition's build keys help
    /// set.
    pub(super) key_filters: Option<Arc<PartitionedKeys>>,
}

/// A partition's build side: in memory, or spilled into buckets.
enum Build {
    InMemory(Box<BuildSide>),
    Spilled(Vec<SpillFile>),
}

impl PartitionJoin {
    /// Reads the build input; spills it into buckets if it does not fit.
    async fn build(&mut self) -> Result<Build> {
        let schema = self.build_input.schema();
        let mut reservation = self
            .ctx
            .spillable_reservation(&self.consumer, self.partition);
        let mut batches = vec![];
        while let Some(batch) = self.build_input.try_next().await? {
            let fits = reservation.try_grow(build_charge(&batch)).is_ok();
            batches.push(batch);
            if !fits {
                drop(reservation);
                return self.spill_build_side(batches).await;
            }
        }
        let keys = &self.build_keys;
        match BuildSide::from_batches(&batches, &schema, keys, true, 1, reservation) {
            Ok(build) => {
                if let Some(m) = &self.metrics {
                    m.add_peak_memory(build.memory_size());
                }
                Ok(Build::InMemory(Box::new(build)))
            }
            // The table came out larger than the rows were charged for.
            Err(e) if matches!(e.root(), QuiverError::ResourcesExhausted(_)) => {
                self.spill_build_side(batches).await
            }
            Err(e) => Err(e),
        }
    }

    /// Writes `read` (the build rows read so far) and the rest of the build
    /// input into buckets.
    async fn spill_build_side(&mut self, read: Vec<RecordBatch>) -> Result<Build> {
        let schema = self.build_input.schema();
        let mut buckets = HashBuckets::create(&self.ctx.spill_directory, &schema, 0)?;
        for batch in read {
            write_by_keys(&mut buckets, &batch, &self.build_keys)?;
        }
        while let Some(batch) = self.build_input.try_next().await? {
            write_by_keys(&mut buckets, &batch, &self.build_keys)?;
        }
        record_spill_event(self.metrics.as_deref());
        self.recorded(buckets).map(Build::Spilled)
    }

    /// Writes the probe input into buckets like the build side's.
    async fn spill_probe_side(&mut self) -> Result<Vec<SpillFile>> {
        let schema = self.probe_input.schema();
        let mut buckets = HashBuckets::create(&self.ctx.spill_directory, &schema, 0)?;
        while let Some(batch) = self.probe_input.try_next().await? {
            write_by_keys(&mut buckets, &batch, &self.spec.keys)?;
            // Let cancellation (a dropped stream) take effect between batches.
            tokio::task::yield_now().await;
        }
        self.recorded(buckets)
    }

    /// The buckets' files, counted in the spill metrics.
    fn recorded(&self, buckets: HashBuckets) -> Result<Vec<SpillFile>> {
        let files = buckets.finish()?;
        for file in &files {
            file.record(self.metrics.as_deref());
        }
        Ok(files)
    }

    /// Joins each pair of buckets in turn, each with its own build table.
    fn join_buckets(
        self,
        build_files: Vec<SpillFile>,
        probe_files: Vec<SpillFile>,
        probe_schema: SchemaRef,
    ) -> BoxStream<'static, Result<RecordBatch>> {
        let consumer = format!("{} (one spilled bucket)", self.consumer);
        let (spec, keys, ctx, partition) = (self.spec, self.build_keys, self.ctx, self.partition);
        let pairs = build_files.into_iter().zip(probe_files);
        futures::stream::iter(pairs)
            .map(move |(build_file, probe_file)| {
                let (spec, keys, ctx) = (spec.clone(), keys.clone(), Arc::clone(&ctx));
                let (consumer, probe_schema) = (consumer.clone(), Arc::clone(&probe_schema));
                futures::stream::once(async move {
                    let reservation = ctx.spillable_reservation(&consumer, partition);
                    let build_rows = build_file.into_stream()?;
                    let schema = build_rows.schema();
                    let build =
                        BuildSide::collect(build_rows, schema, &keys, true, 1, reservation).await?;
                    let prober = Prober::new(spec, Arc::new(build));
                    let probe_rows = probe_file.into_stream()?;
                    let state = ProbeState::Probing(prober, probe_rows, VecDeque::new());
                    Ok::<_, QuiverError>(probe_stream(state, probe_schema))
                })
                .try_flatten()
            })
            .flatten()
            .boxed()
    }
}

/// Appends `batch`'s rows to the buckets of their `keys`.
fn write_by_keys(
    buckets: &mut HashBuckets,
    batch: &RecordBatch,
    keys: &[Arc<dyn PhysicalExpr>],
) -> Result<()> {
    let keys = keys
        .iter()
        .map(|k| k.evaluate_to_array(batch))
        .collect::<Result<Vec<_>>>()?;
    buckets.write(batch, &keys)
}

/// The output of one partition of a partitioned hash join: built and
/// probed in memory if the build side fits, else bucket by bucket.
pub(super) fn partitioned_join_stream(
    mut join: PartitionJoin,
    probe_schema: SchemaRef,
) -> BoxStream<'static, Result<RecordBatch>> {
    futures::stream::once(async move {
        let build = join.build().await?;
        if let Some(keys) = &join.key_filters {
            keys.hand_in(match &build {
                Build::InMemory(build) => Some(key_summaries(build, keys.filters())?),
                Build::Spilled(_) => None,
            });
        }
        let output: Result<BoxStream<'static, Result<RecordBatch>>> = match build {
            Build::InMemory(build) => {
                let prober = Prober::new(join.spec, Arc::from(build));
                let state = ProbeState::Probing(prober, join.probe_input, VecDeque::new());
                Ok(probe_stream(state, probe_schema).boxed())
            }
            Build::Spilled(build_files) => {
                let probe_files = join.spill_probe_side().await?;
                Ok(join.join_buckets(build_files, probe_files, probe_schema))
            }
        };
        output
    })
    .try_flatten()
    .boxed()
}
