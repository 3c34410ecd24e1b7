//! What the shell needs to know about its terminal.

use std::io::IsTerminal;

/// The width of the terminal standard output is shown on, in columns; None
/// when standard output is not a terminal. `COLUMNS` overrides what the
/// terminal reports.
pub fn stdout_width() -> Option<usize> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    if let Some(columns) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse::<usize>().ok())
        .filter(|&c| c > 0)
    {
        return Some(columns);
    }
    reported_width(libc::STDOUT_FILENO)
}

/// True when standard error is a terminal (progress is drawn there).
pub fn stderr_is_terminal() -> bool {
    std::io::stderr().is_terminal()
}

/// The width the terminal on `fd` reports.
fn reported_width(fd: libc::c_int) -> Option<usize> {
    let mut size = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes one `winsize` through the pointer, which
    // points at a live, properly aligned value.
    let status = unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, &mut size) };
    (status == 0 && size.ws_col > 0).then_some(usize::from(size.ws_col))
}

/// The width of the terminal standard error is shown on, for the progress
/// bar; 80 when it does not say.
pub fn stderr_width() -> usize {
    reported_width(libc::STDERR_FILENO).unwrap_or(80)
}
