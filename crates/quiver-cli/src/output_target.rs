//! Where the shell writes results: standard output, a file chosen with
//! `.output FILE`, or, for the next result only, a file chosen with
//! `.once FILE`.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// One destination of results.
enum Sink {
    Stdout,
    File(BufWriter<File>),
}

impl Sink {
    fn create(path: &str) -> std::io::Result<Self> {
        let parent = Path::new(path)
            .parent()
            .filter(|p| !p.as_os_str().is_empty());
        if let Some(parent) = parent {
            if !parent.is_dir() {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!(
                        "cannot write to '{path}': directory '{}' does not exist",
                        parent.display()
                    ),
                ));
            }
        }
        let file = File::create(path)
            .map_err(|e| std::io::Error::new(e.kind(), format!("cannot write to '{path}': {e}")))?;
        Ok(Sink::File(BufWriter::new(file)))
    }

    fn write(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            Sink::Stdout => std::io::stdout().lock().write_all(bytes),
            Sink::File(file) => file.write_all(bytes),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Sink::Stdout => std::io::stdout().flush(),
            Sink::File(file) => file.flush(),
        }
    }
}

/// The shell's current destination of results.
pub struct OutputTarget {
    main: Sink,
    /// Set by `.once`: takes the next result, then is closed.
    once: Option<Sink>,
}

impl Default for OutputTarget {
    fn default() -> Self {
        Self {
            main: Sink::Stdout,
            once: None,
        }
    }
}

impl OutputTarget {
    /// Sends results to the file at `path` (created or truncated), or back
    /// to standard output when None.
    pub fn redirect(&mut self, path: Option<&str>) -> std::io::Result<()> {
        self.main.flush()?;
        self.main = match path {
            Some(path) => Sink::create(path)?,
            None => Sink::Stdout,
        };
        Ok(())
    }

    /// Sends the next result only to the file at `path`.
    pub fn once(&mut self, path: &str) -> std::io::Result<()> {
        self.once = Some(Sink::create(path)?);
        Ok(())
    }

    /// Ends a result: a `.once` file is flushed and closed.
    pub fn end_result(target: &Arc<Mutex<Self>>) -> std::io::Result<()> {
        let mut target = lock(target);
        match target.once.take() {
            Some(mut once) => once.flush(),
            None => target.main.flush(),
        }
    }

    /// A writer to the current destination; cheap, and usable from any
    /// thread (each write locks the target briefly).
    pub fn writer(target: &Arc<Mutex<Self>>) -> TargetWriter {
        TargetWriter {
            target: Arc::clone(target),
        }
    }
}

fn lock(target: &Mutex<OutputTarget>) -> std::sync::MutexGuard<'_, OutputTarget> {
    // A panic while writing leaves the target usable.
    target
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Writes to the shell's current destination of results.
pub struct TargetWriter {
    target: Arc<Mutex<OutputTarget>>,
}

impl TargetWriter {
    /// True when results go to standard output.
    pub fn is_stdout(&self) -> bool {
        let target = lock(&self.target);
        matches!((&target.once, &target.main), (None, Sink::Stdout))
    }
}

impl Write for TargetWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let mut target = lock(&self.target);
        let target = &mut *target;
        target
            .once
            .as_mut()
            .unwrap_or(&mut target.main)
            .write(bytes)?;
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let mut target = lock(&self.target);
        let target = &mut *target;
        target.once.as_mut().unwrap_or(&mut target.main).flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn once_takes_one_result_and_output_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let path = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
        let target = Arc::new(Mutex::new(OutputTarget::default()));
        lock(&target).redirect(Some(&path("all.txt"))).unwrap();
        lock(&target).once(&path("one.txt")).unwrap();
        write!(OutputTarget::writer(&target), "first").unwrap();
        OutputTarget::end_result(&target).unwrap();
        write!(OutputTarget::writer(&target), "second").unwrap();
        OutputTarget::end_result(&target).unwrap();
        assert_eq!(std::fs::read_to_string(path("one.txt")).unwrap(), "first");
        assert_eq!(std::fs::read_to_string(path("all.txt")).unwrap(), "second");
        assert!(!OutputTarget::writer(&target).is_stdout());
        lock(&target).redirect(None).unwrap();
        assert!(OutputTarget::writer(&target).is_stdout());
    }

    #[test]
    fn a_missing_directory_is_an_error() {
        let mut target = OutputTarget::default();
        let err = target.redirect(Some("/no/such/dir/out.csv")).unwrap_err();
        assert!(err.to_string().contains("does not exist"), "{err}");
    }
}
