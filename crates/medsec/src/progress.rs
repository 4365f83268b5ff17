//! A one-line progress display on standard error for long jobs, shown
//! only when standard error is a terminal.

use std::io::{IsTerminal, Write};
use std::time::Instant;

pub struct Progress {
    job: &'static str,
    tty: bool,
    started: Instant,
    last_draw: Option<Instant>,
}

impl Progress {
    pub fn new(job: &'static str) -> Progress {
        Progress {
            job,
            tty: std::io::stderr().is_terminal(),
            started: Instant::now(),
            last_draw: None,
        }
    }

    /// Reports `n` done in `part`; redraws at most ten times a second.
    pub fn step(&mut self, part: &str, n: u64) {
        if !self.tty {
            return;
        }
        let now = Instant::now();
        if self
            .last_draw
            .is_some_and(|t| now.duration_since(t).as_millis() < 100)
        {
            return;
        }
        self.last_draw = Some(now);
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r\x1b[2K{}: {part} {n} ({:.1} s)",
            self.job,
            self.started.elapsed().as_secs_f64()
        );
        let _ = err.flush();
    }

    pub fn finish(&mut self) {
        if self.tty && self.last_draw.is_some() {
            let _ = writeln!(
                std::io::stderr().lock(),
                "\r\x1b[2K{}: done in {:.1} s",
                self.job,
                self.started.elapsed().as_secs_f64()
            );
        }
    }
}
