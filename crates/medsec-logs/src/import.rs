//! Importing a log file (`medsec logs import FILE --member M --format
//! auto|…`): lines read from any [`BufRead`], the format detected from
//! the first lines when it is `auto`, each line normalised.
//!
//! Pure apart from the reader it is given: opening the file, choosing the
//! receive time (the import time, or the file's modification time, which
//! fixes the year of year-less syslog timestamps) and storing the events
//! are the caller's. Lines longer than the maximum are cut and flagged
//! (`log.truncated`); memory is bounded by that maximum, not by the file.

use std::collections::VecDeque;
use std::io::{self, BufRead};
use std::sync::Arc;

use crate::custom::Decoders;
use crate::event::Value;
use crate::iis::{self, IisState};
use crate::json;
use crate::kv;
use crate::mask::{MaskCounts, Masker};
use crate::normalize::{Format, Normalizer, Outcome, SourceConfig};
use crate::paloalto;
use crate::suricata;
use crate::syslog;
use crate::web;
use crate::windows;

/// How many lines format detection reads ahead.
pub const DETECT_LINES: usize = 50;

/// The longest line read whole (1 MiB); longer ones are cut.
pub const MAX_LINE: usize = 1 << 20;

/// The format one line looks like (`Auto` when it looks like none).
fn detect_line(line: &[u8]) -> Format {
    let text = String::from_utf8_lossy(line);
    let text = text.trim_start_matches('\u{feff}');
    if text.starts_with("#Fields:") || text.starts_with("#Software: Microsoft Internet Information")
    {
        return Format::Iis;
    }
    if syslog::has_pri(text) {
        return match syslog::parse(text, syslog::TimeContext::new(0)) {
            Ok(s) if s.protocol == syslog::Protocol::Rfc5424 => Format::Rfc5424,
            _ => Format::Rfc3164,
        };
    }
    if text.starts_with("CEF:") {
        return Format::Cef;
    }
    if text.starts_with("LEEF:") {
        return Format::Leef;
    }
    if text.starts_with('{') {
        return match json::parse_object(text) {
            Ok(o) if suricata::is_eve(&o) => Format::Suricata,
            Ok(o) if windows::is_windows(&o) => Format::WindowsJson,
            Ok(_) => Format::Json,
            Err(_) => Format::Auto,
        };
    }
    if syslog::looks_like_bare_syslog(text) {
        return Format::Rfc3164;
    }
    if web::looks_like_access(text) || web::looks_like_nginx_error(text) {
        return Format::Nginx;
    }
    if web::looks_like_apache_error(text) {
        return Format::Apache;
    }
    if iis::looks_like_iis(text, &IisState::default()) {
        return Format::Iis;
    }
    if paloalto::looks_like_panos(text) {
        return Format::PaloAlto;
    }
    if kv::looks_like_kv(text) {
        return Format::FortiGate;
    }
    Format::Auto
}

/// Detects a file's format from its first lines: the format most lines
/// look like, an IIS directive deciding at once; `Auto` when no format
/// is recognised in at least half of the non-empty lines.
pub fn detect_format<'a>(lines: impl IntoIterator<Item = &'a [u8]>) -> Format {
    let mut votes: Vec<(Format, usize)> = Vec::new();
    let mut total = 0;
    for line in lines {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let format = detect_line(line);
        if format == Format::Iis {
            return Format::Iis;
        }
        if line.first() == Some(&b'#') {
            continue;
        }
        total += 1;
        match votes.iter_mut().find(|(f, _)| *f == format) {
            Some((_, n)) => *n += 1,
            None => votes.push((format, 1)),
        }
    }
    votes
        .into_iter()
        .filter(|(f, _)| *f != Format::Auto)
        .max_by_key(|(_, n)| *n)
        .filter(|(_, n)| 2 * n >= total)
        .map_or(Format::Auto, |(f, _)| f)
}

/// One line of an import.
#[derive(Clone, Debug, PartialEq)]
pub struct ImportedLine {
    /// 1-based line number.
    pub line: u64,
    pub outcome: Outcome,
}

/// An import in progress: an iterator of normalised lines.
pub struct Import<R> {
    reader: R,
    normalizer: Normalizer,
    received: i64,
    max_line: usize,
    /// Lines read ahead for detection, not yet normalised.
    pending: VecDeque<(u64, Vec<u8>, bool)>,
    line: u64,
    done: bool,
}

impl<R: BufRead> Import<R> {
    /// Starts an import. With [`Format::Auto`] the first
    /// [`DETECT_LINES`] lines are read to detect the format. `received`
    /// (Unix nanoseconds) is every event's receive time.
    pub fn new(
        reader: R,
        config: SourceConfig,
        decoders: Arc<Decoders>,
        masker: Arc<Masker>,
        received: i64,
    ) -> io::Result<Import<R>> {
        Import::with_max_line(reader, config, decoders, masker, received, MAX_LINE)
    }

    /// [`Import::new`] with another maximum line length.
    pub fn with_max_line(
        reader: R,
        config: SourceConfig,
        decoders: Arc<Decoders>,
        masker: Arc<Masker>,
        received: i64,
        max_line: usize,
    ) -> io::Result<Import<R>> {
        let detect = config.format == Format::Auto;
        let mut import = Import {
            reader,
            normalizer: Normalizer::new(config, decoders, masker),
            received,
            max_line: max_line.max(1),
            pending: VecDeque::new(),
            line: 0,
            done: false,
        };
        if detect {
            while import.pending.len() < DETECT_LINES {
                match import.read_line()? {
                    Some(line) => import.pending.push_back(line),
                    None => break,
                }
            }
            let format = detect_format(import.pending.iter().map(|(_, l, _)| l.as_slice()));
            import.normalizer.set_format(format);
        }
        Ok(import)
    }

    /// The format in force (detected, for `auto`).
    pub fn format(&self) -> &Format {
        &self.normalizer.config().format
    }

    /// The masking replacements made since the last call.
    pub fn take_mask_counts(&mut self) -> MaskCounts {
        self.normalizer.take_mask_counts()
    }

    /// Reads one line (without its LF or CRLF), cut at the maximum;
    /// returns its number, it, and whether it was cut.
    fn read_line(&mut self) -> io::Result<Option<(u64, Vec<u8>, bool)>> {
        if self.done {
            return Ok(None);
        }
        let mut line = Vec::new();
        let mut truncated = false;
        loop {
            let chunk = match self.reader.fill_buf() {
                Ok(c) => c,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if chunk.is_empty() {
                self.done = true;
                if line.is_empty() && !truncated {
                    return Ok(None);
                }
                break;
            }
            let (part, used, end) = match memchr::memchr(b'\n', chunk) {
                Some(n) => (&chunk[..n], n + 1, true),
                None => (chunk, chunk.len(), false),
            };
            let room = self.max_line.saturating_sub(line.len());
            if part.len() > room {
                truncated = true;
            }
            line.extend_from_slice(&part[..part.len().min(room)]);
            self.reader.consume(used);
            if end {
                break;
            }
        }
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        if self.line == 0 && line.starts_with(b"\xef\xbb\xbf") {
            line.drain(..3);
        }
        self.line += 1;
        Ok(Some((self.line, line, truncated)))
    }
}

impl<R: BufRead> Iterator for Import<R> {
    type Item = io::Result<ImportedLine>;

    fn next(&mut self) -> Option<io::Result<ImportedLine>> {
        let (line_no, line, truncated) = match self.pending.pop_front() {
            Some(l) => l,
            None => match self.read_line() {
                Ok(Some(l)) => l,
                Ok(None) => return None,
                Err(e) => return Some(Err(e)),
            },
        };
        let mut outcome = self.normalizer.normalize(&line, self.received);
        if truncated && let Outcome::Event { event, .. } = &mut outcome {
            event.fields.set("log.truncated", Value::Bool(true));
        }
        Some(Ok(ImportedLine {
            line: line_no,
            outcome,
        }))
    }
}

#[cfg(test)]
mod tests;
