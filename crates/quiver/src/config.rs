//! Session settings.

use std::collections::BTreeSet;
use std::path::PathBuf;

use quiver_datasource::StorageOptions;
use quiver_expr::Result;
use quiver_optimizer::Optimizer;

/// Settings that shape how queries run.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// How many partitions scans and exchanges aim for (default:
    /// [`PARTITIONS_PER_CORE`] per CPU core).
    pub target_partitions: usize,
    /// Rows per batch (default 8192).
    pub batch_size: usize,
    /// The most memory the session's sorts, aggregates and join builds may
    /// hold together; past it they spill to `temp_directory` or fail. The
    /// default is 80% of the machine's memory (or of the container's limit),
    /// as in DuckDB; `None` means no limit.
    pub memory_limit: Option<usize>,
    /// Where spill files go (default: the system's temporary directory).
    pub temp_directory: PathBuf,
    /// The session's time zone, for TIMESTAMP WITH TIME ZONE (default
    /// UTC); set with [`SessionConfig::with_time_zone`], which checks it.
    pub time_zone: String,
    /// Optimizer rules to skip (as `SET optimizer.disabled_rules`); set
    /// with [`SessionConfig::with_disabled_rules`], which checks the names.
    pub disabled_rules: BTreeSet<String>,
    /// S3 settings and credentials (`aws.region`, `aws.access_key_id`, …,
    /// as `SET aws.…`); unset ones come from the `AWS_*` environment.
    pub storage: StorageOptions,
}

/// Partitions per thread that runs them: with more partitions than
/// threads, a thread whose partition finishes first (its share of a scan
/// decoded faster, or the other thread was kept from its core) takes up
/// another instead of idling until the slowest is done. TPC-H SF1 on 2
/// cores, 2 partitions against 4: 3.80 -> 3.32 s, peak RSS up by 0-30 MB a
/// query.
pub const PARTITIONS_PER_CORE: usize = 2;

impl SessionConfig {
    /// The partitions for queries run by `threads` threads.
    pub fn with_threads(self, threads: usize) -> Self {
        self.with_target_partitions(threads.max(1) * PARTITIONS_PER_CORE)
    }
}

impl Default for SessionConfig {
    fn default() -> Self {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        Self {
            target_partitions: cores * PARTITIONS_PER_CORE,
            batch_size: 8192,
            memory_limit: available_memory().map(|bytes| bytes / 10 * 8),
            temp_directory: std::env::temp_dir(),
            time_zone: "UTC".to_string(),
            disabled_rules: BTreeSet::new(),
            storage: StorageOptions::default(),
        }
    }
}

impl SessionConfig {
    /// The default settings.
    pub fn new() -> Self {
        Self::default()
    }

    /// With `n` target partitions (at least 1).
    pub fn with_target_partitions(mut self, n: usize) -> Self {
        self.target_partitions = n.max(1);
        self
    }

    /// With `n` rows per batch (at least 1).
    pub fn with_batch_size(mut self, n: usize) -> Self {
        self.batch_size = n.max(1);
        self
    }

    /// With at most `bytes` of operator memory (`None`: no limit).
    pub fn with_memory_limit(mut self, bytes: Option<usize>) -> Self {
        self.memory_limit = bytes;
        self
    }

    /// With spill files written to `directory`.
    pub fn with_temp_directory(mut self, directory: impl Into<PathBuf>) -> Self {
        self.temp_directory = directory.into();
        self
    }

    /// With the time zone `zone`: an IANA name (`America/New_York`) or an
    /// offset (`+02:00`); an error for anything else.
    pub fn with_time_zone(mut self, zone: &str) -> Result<Self> {
        self.time_zone = crate::settings::checked_time_zone(zone)?;
        Ok(self)
    }

    /// With the optimizer rules `rules` skipped (names as `EXPLAIN VERBOSE`
    /// shows them; `all` for every optional rule); an error names a rule
    /// that does not exist or cannot be skipped.
    pub fn with_disabled_rules(mut self, rules: &[&str]) -> Result<Self> {
        self.disabled_rules = Optimizer::new().parse_rule_list(&rules.join(","))?;
        Ok(self)
    }

    /// With the S3 setting `key` (`aws.region`, `aws.endpoint`,
    /// `aws.access_key_id`, `aws.secret_access_key`, DuckDB's `s3_region`,
    /// …) set to `value`; an error for keys S3 does not know.
    pub fn with_storage_option(mut self, key: &str, value: &str) -> Result<Self> {
        self.storage.set(key, value)?;
        Ok(self)
    }
}

/// The memory this process may use: the machine's (`MemTotal` of
/// /proc/meminfo), or the cgroup's limit if that is lower. `None` where
/// neither can be read.
fn available_memory() -> Option<usize> {
    let machine = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            let line = info.lines().find(|l| l.starts_with("MemTotal:"))?;
            let kib: usize = line.split_whitespace().nth(1)?.parse().ok()?;
            kib.checked_mul(1024)
        });
    let cgroup = [
        "/sys/fs/cgroup/memory.max",
        "/sys/fs/cgroup/memory/memory.limit_in_bytes",
    ]
    .iter()
    .find_map(|path| {
        std::fs::read_to_string(path)
            .ok()?
            .trim()
            .parse::<usize>()
            .ok()
    });
    match (machine, cgroup) {
        (Some(m), Some(c)) => Some(m.min(c)),
        (m, c) => m.or(c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_memory_limit_is_most_of_the_machine() {
        let config = SessionConfig::default();
        if let (Some(limit), Some(memory)) = (config.memory_limit, available_memory()) {
            assert!(limit < memory && limit > memory / 2, "{limit} of {memory}");
        }
        let unlimited = config.with_memory_limit(None);
        assert_eq!(unlimited.memory_limit, None);
    }

    #[test]
    fn checked_settings_refuse_bad_values() {
        let config = SessionConfig::new();
        assert_eq!(
            config
                .clone()
                .with_time_zone("Asia/Tokyo")
                .unwrap()
                .time_zone,
            "Asia/Tokyo"
        );
        assert!(config.clone().with_time_zone("Mars/Olympus").is_err());
        assert!(config
            .clone()
            .with_disabled_rules(&["no_such_rule"])
            .is_err());
        assert!(config
            .clone()
            .with_storage_option("aws.colour", "red")
            .is_err());
        let stored = config
            .with_storage_option("s3_region", "eu-west-1")
            .unwrap();
        assert_eq!(stored.storage.get("aws.region"), Some("eu-west-1"));
    }
}
