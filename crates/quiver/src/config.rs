//! Session settings.

use std::path::PathBuf;

/// Settings that shape how queries run.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// How many partitions scans and exchanges aim for (default: the number
    /// of CPU cores).
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
}

impl Default for SessionConfig {
    fn default() -> Self {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        Self {
            target_partitions: cores,
            batch_size: 8192,
            memory_limit: available_memory().map(|bytes| bytes / 10 * 8),
            temp_directory: std::env::temp_dir(),
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
}
