//! Real data through the public API: the loghub logs (Linux syslog,
//! OpenSSH, Apache error log and others) and the Windows events of the
//! Sigma regression set. Every line must become an event without a parse
//! error, and for Linux, OpenSSH and Apache the fields must agree with
//! loghub's ground-truth `*_structured.csv`.
//!
//! The data is read from `$MEDSEC_DATA`, else `../../../shared/data`
//! relative to the crate, else `/work/shared/data`; without it the tests
//! say they were skipped because the data is missing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod loghub;
mod sigma;

use std::path::PathBuf;
use std::sync::Arc;

use medsec_logs::{Decoders, Format, Masker, Normalizer, Outcome, SourceConfig};

/// The shared data directory, if present.
pub fn data_dir() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("MEDSEC_DATA").map(PathBuf::from),
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")),
        Some(PathBuf::from("/work/shared/data")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|p| p.join("logs").is_dir())
}

/// The data directory, or `None` after saying the test is skipped.
pub fn data_or_skip(test: &str) -> Option<PathBuf> {
    let dir = data_dir();
    if dir.is_none() {
        eprintln!(
            "{test}: skipped, the data is missing (set MEDSEC_DATA to the shared data directory)"
        );
    }
    dir
}

/// A normaliser for a test source, masking off (ground truth compares
/// the text as written).
pub fn normalizer(format: Format) -> Normalizer {
    Normalizer::new(
        SourceConfig::new("test-member", "test-source", format),
        Arc::new(Decoders::new()),
        Arc::new(Masker::disabled()),
    )
}

/// 2024-03-10T00:00:00Z, the receive time of every test event.
pub const RECEIVED: i64 = 1_710_028_800_000_000_000;

/// Normalises a line that must become an event without a parse error.
pub fn event(n: &mut Normalizer, line: &str) -> medsec_logs::Event {
    match n.normalize(line.as_bytes(), RECEIVED) {
        Outcome::Event { event, error: None } => event,
        other => panic!("{line}: {other:?}"),
    }
}

/// Splits a CSV file (RFC 4180: quoted fields, `""` for a quote) into
/// records.
pub fn csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, '\r') => {}
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    records
}
