//! The lock that lets one process at a time open a database directory for
//! writing: an exclusive `flock` on its `lock` file, released by the
//! operating system when the process ends however it ends. The file holds
//! the writer's process id, for the message another writer gets.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::os::fd::AsRawFd;
use std::path::Path;

use quiver_expr::{QuiverError, Result};

/// The name of the lock file in a database directory.
pub const LOCK_FILE: &str = "lock";

/// Held while a process has a database directory open for writing.
#[derive(Debug)]
pub struct WriterLock {
    /// The open lock file; closing it releases the lock.
    _file: File,
}

impl WriterLock {
    /// Takes the lock of `dir`, or fails naming the process that holds it.
    pub fn take(dir: &Path) -> Result<Self> {
        let path = dir.join(LOCK_FILE);
        let failed =
            |e: std::io::Error| QuiverError::Io(format!("cannot lock '{}': {e}", path.display()));
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(failed)?;
        // SAFETY: flock only reads the descriptor, which `file` keeps open.
        let status = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if status != 0 {
            let error = std::io::Error::last_os_error();
            if error.kind() != std::io::ErrorKind::WouldBlock {
                return Err(failed(error));
            }
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = match holder.trim() {
                "" => String::new(),
                pid => format!(" (process {pid})"),
            };
            return Err(QuiverError::Io(format!(
                "the database '{}' is open for writing in another process{holder}; \
                 close it there, or open this one read-only",
                dir.display()
            )));
        }
        file.set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| write!(file, "{}", std::process::id()))
            .map_err(failed)?;
        Ok(Self { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let first = WriterLock::take(dir.path()).unwrap();
        let err = WriterLock::take(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("open for writing in another process")
                && err.contains(&std::process::id().to_string()),
            "{err}"
        );
        drop(first);
        WriterLock::take(dir.path()).unwrap();
    }
}
