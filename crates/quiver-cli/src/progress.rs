//! The progress bar drawn on standard error while a statement runs longer
//! than a moment: the share of its scans' bytes read, and an estimate of
//! the time left. Drawn only when standard error is a terminal.

use std::io::Write;
use std::sync::mpsc::{channel, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use quiver::progress::ScanProgress;
use quiver::SessionContext;

use crate::terminal;

/// How long a statement runs before the bar appears.
const SHOW_AFTER: Duration = Duration::from_millis(500);

/// How often the bar is redrawn.
const REDRAW_EVERY: Duration = Duration::from_millis(100);

/// A progress bar for one statement; dropping it removes the bar.
pub struct Progress {
    drawing: Option<(Sender<()>, JoinHandle<()>)>,
}

impl Progress {
    /// Starts following the statement about to run in `ctx`; draws nothing
    /// unless `enabled` and standard error is a terminal.
    pub fn start(ctx: &SessionContext, enabled: bool) -> Self {
        let progress = ctx.progress();
        progress.reset();
        if !enabled || !terminal::stderr_is_terminal() {
            return Self { drawing: None };
        }
        let (stop, stopped) = channel();
        let drawer = std::thread::Builder::new()
            .name("quiver-progress".into())
            .spawn(move || {
                let started = Instant::now();
                let mut wait = SHOW_AFTER;
                let mut drawn = false;
                while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(wait) {
                    wait = REDRAW_EVERY;
                    if let Some(line) = bar(&progress, started.elapsed(), terminal::stderr_width())
                    {
                        let mut err = std::io::stderr().lock();
                        let _ = write!(err, "\r{line}");
                        let _ = err.flush();
                        drawn = true;
                    }
                }
                if drawn {
                    let mut err = std::io::stderr().lock();
                    let _ = write!(err, "\r\x1b[2K");
                    let _ = err.flush();
                }
            });
        Self {
            drawing: drawer.ok().map(|handle| (stop, handle)),
        }
    }
}

impl Drop for Progress {
    /// Removes the bar (if it was drawn), so that results and errors print
    /// on a clean line.
    fn drop(&mut self) {
        if let Some((stop, handle)) = self.drawing.take() {
            let _ = stop.send(());
            let _ = handle.join();
        }
    }
}

/// The bar's text for `progress` after `elapsed`, at most `width` columns;
/// None before any scan has started.
fn bar(progress: &Arc<ScanProgress>, elapsed: Duration, width: usize) -> Option<String> {
    let fraction = progress.fraction()?;
    let percent = (fraction * 100.0).floor() as u32;
    let eta = if fraction > 0.01 {
        let left = elapsed.as_secs_f64() * (1.0 - fraction) / fraction;
        format!(" ETA {}", duration_text(left))
    } else {
        String::new()
    };
    let label = format!(" {percent:>3}%{eta}");
    let room = width.saturating_sub(label.chars().count() + 3).min(60);
    if room < 5 {
        return Some(label.trim_start().to_string());
    }
    let filled = ((fraction * room as f64).round() as usize).min(room);
    Some(format!(
        "[{}{}]{label} ",
        "█".repeat(filled),
        " ".repeat(room - filled)
    ))
}

/// `seconds` as "42s", "3m05s" or "1h02m".
fn duration_text(seconds: f64) -> String {
    let s = seconds.round() as u64;
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bar_shows_the_share_done_and_the_time_left() {
        let progress = Arc::new(ScanProgress::default());
        assert_eq!(bar(&progress, Duration::from_secs(1), 80), None);
        progress.add_total(100);
        progress.add_done(25);
        let line = bar(&progress, Duration::from_secs(10), 80).unwrap();
        assert!(line.contains(" 25% ETA 30s"), "{line}");
        assert_eq!(line.matches('█').count(), 15, "{line}");
        assert!(line.chars().count() <= 80, "{line}");
        assert_eq!(
            bar(&progress, Duration::from_secs(10), 12).unwrap(),
            "25% ETA 30s"
        );
        assert_eq!(duration_text(185.0), "3m05s");
        assert_eq!(duration_text(3720.0), "1h02m");
    }
}
