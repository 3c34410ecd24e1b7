//! Session settings.

/// Settings that shape how queries run.
#[derive(Debug, Clone)]
pub struct SessionConfig {
    /// How many partitions scans and exchanges aim for (default: the number
    /// of CPU cores).
    pub target_partitions: usize,
    /// Rows per batch (default 8192).
    pub batch_size: usize,
}

impl Default for SessionConfig {
    fn default() -> Self {
        let cores = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1);
        Self {
            target_partitions: cores,
            batch_size: 8192,
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
}
