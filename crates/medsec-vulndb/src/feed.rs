//! Feed files: finding them under a path, recognising which feed each
//! is, and reading it record by record within bounded memory.
//!
//! Recognised: OSV records (`.json` one per file, JSON Lines, either
//! gzip-compressed), NVD CVE API 2.0 (`cve` objects one per line or per
//! file, or an API response with `vulnerabilities[].cve`), RustSec's
//! advisory-db (Markdown with TOML front matter), the CISA KEV catalogue
//! (JSON or CSV), FIRST EPSS scores (CSV, optionally gzip), CSAF 2.0
//! documents and MITRE ATT&CK STIX bundles (reference data for detection,
//! not advisories: [`crate::attack`]). Anything else under the path is
//! skipped and listed.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// Which feed a record belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Osv,
    Nvd,
    RustSec,
    Csaf,
    Kev,
    Epss,
    /// MITRE ATT&CK: one record per technique, tactic, group and piece of
    /// software; not vulnerability data, so the index ignores it.
    Attack,
}

impl Kind {
    pub const ALL: [Kind; 7] = [
        Kind::Osv,
        Kind::Nvd,
        Kind::RustSec,
        Kind::Csaf,
        Kind::Kev,
        Kind::Epss,
        Kind::Attack,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Osv => "osv",
            Kind::Nvd => "nvd",
            Kind::RustSec => "rustsec",
            Kind::Csaf => "csaf",
            Kind::Kev => "kev",
            Kind::Epss => "epss",
            Kind::Attack => "attack",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One record as the store keeps it: the source's own text and where it
/// came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    pub kind: Kind,
    pub id: String,
    /// The source's own modification stamp, or empty when it has none.
    pub modified: String,
    pub body: String,
    /// Provenance: the file and line it was read from, and the upstream
    /// repository and path when the file says so (`_source`).
    pub origin: String,
}

impl Record {
    /// SHA-256 of the body, hex: an import changes nothing when it is the
    /// same.
    pub fn digest(&self) -> String {
        data_encoding::HEXLOWER.encode(&Sha256::digest(self.body.as_bytes()))
    }
}

/// Caps that keep memory bounded whatever the input.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The largest JSON document read whole (a CSAF advisory, the KEV
    /// catalogue, an NVD API page), after decompression.
    pub document_bytes: u64,
    /// The longest line of a JSON Lines or CSV file.
    pub line_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            document_bytes: 256 << 20,
            line_bytes: 16 << 20,
        }
    }
}

/// A file under the imported path and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedFile {
    pub path: PathBuf,
    pub format: Format,
}

/// How a file is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON value per line; the kind is known from the first line.
    JsonLines(Kind),
    /// One JSON document.
    Json(Kind),
    /// RustSec Markdown with TOML front matter.
    RustSec,
    Csv(Kind),
}

impl Format {
    pub fn kind(self) -> Kind {
        match self {
            Format::JsonLines(k) | Format::Json(k) | Format::Csv(k) => k,
            Format::RustSec => Kind::RustSec,
        }
    }
}

/// A file that was passed over, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub path: PathBuf,
    pub reason: &'static str,
}

/// Finds the feed files under `path` (a file or a directory, walked in
/// name order so that imports are reproducible).
pub fn discover(path: &Path) -> Result<(Vec<FeedFile>, Vec<Skipped>)> {
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    let meta = std::fs::metadata(path).map_err(|source| Error::Io {
        origin: path.display().to_string(),
        source,
    })?;
    if meta.is_file() {
        match recognise(path)? {
            Ok(format) => files.push(FeedFile {
                path: path.to_owned(),
                format,
            }),
            Err(reason) => skipped.push(Skipped {
                path: path.to_owned(),
                reason,
            }),
        }
        return Ok((files, skipped));
    }
    let mut stack = vec![path.to_owned()];
    while let Some(dir) = stack.pop() {
        let mut entries = std::fs::read_dir(&dir)
            .and_then(|rd| rd.collect::<std::io::Result<Vec<_>>>())
            .map_err(|source| Error::Io {
                origin: dir.display().to_string(),
                source,
            })?;
        entries.sort_by_key(|e| e.file_name());
        let mut subdirs = Vec::new();
        for entry in entries {
            let p = entry.path();
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') {
                continue;
            }
            let ty = entry.file_type().map_err(|source| Error::Io {
                origin: p.display().to_string(),
                source,
            })?;
            if ty.is_dir() {
                subdirs.push(p);
            } else if ty.is_file() {
                match recognise(&p)? {
                    Ok(format) => files.push(FeedFile { path: p, format }),
                    Err(reason) => skipped.push(Skipped { path: p, reason }),
                }
            }
        }
        // Depth first, in name order.
        stack.extend(subdirs.into_iter().rev());
    }
    Ok((files, skipped))
}

fn lower_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default()
}

/// Decides what a file is from its name and its first bytes.
fn recognise(path: &Path) -> Result<Result<Format, &'static str>> {
    let name = lower_name(path);
    let (stem, gz) = match name.strip_suffix(".gz") {
        Some(stem) => (stem.to_owned(), true),
        None => (name.clone(), false),
    };
    if stem.ends_with(".md") {
        if name == "readme.md" || gz {
            return Ok(Err("not a feed file"));
        }
        let head = head(path, false, 16)?;
        return Ok(if head.starts_with("```toml") {
            Ok(Format::RustSec)
        } else {
            Err("Markdown without RustSec front matter")
        });
    }
    let jsonl = stem.ends_with(".jsonl") || stem.ends_with(".ndjson");
    let json = stem.ends_with(".json");
    let csv = stem.ends_with(".csv");
    if !(jsonl || json || csv) {
        return Ok(Err("not a feed file"));
    }
    if stem.contains("schema") {
        return Ok(Err("a JSON schema"));
    }
    let head = head(path, gz, 64 << 10)?;
    if csv {
        let first = head
            .lines()
            .find(|l| !l.starts_with('#'))
            .unwrap_or_default();
        return Ok(if first.starts_with("cve,epss,percentile") {
            Ok(Format::Csv(Kind::Epss))
        } else if first.starts_with("cveID,vendorProject,product") {
            Ok(Format::Csv(Kind::Kev))
        } else {
            Err("a CSV file that is neither EPSS nor KEV")
        });
    }
    if jsonl {
        // One value per line: decide by the first line's own fields, so
        // that a file of documents wrapped in something else (test cases
        // that embed CSAF documents) is not taken for a feed.
        let first = head
            .lines()
            .find(|l| !l.trim().is_empty())
            .unwrap_or_default();
        return Ok(match serde_json::from_str::<serde_json::Value>(first) {
            Ok(value) => classify(&value)
                .map(Format::JsonLines)
                .ok_or("JSON Lines that are not OSV, NVD or CSAF records"),
            Err(_) => Err("JSON Lines whose first line is not JSON (or is longer than 64 KiB)"),
        });
    }
    let schema_key = ["\"$defs\"", "\"definitions\"", "\"$id\""];
    if head.contains("\"$schema\"") && schema_key.iter().any(|k| head.contains(k)) {
        return Ok(Err("a JSON schema"));
    }
    let kind = if crate::attack::recognise(&head) {
        Some(Kind::Attack)
    } else if head.contains("\"csaf_version\"") {
        Some(Kind::Csaf)
    } else if head.contains("\"catalogVersion\"") && head.contains("\"cveID\"") {
        Some(Kind::Kev)
    } else if head.contains("\"vulnStatus\"")
        || head.contains("\"sourceIdentifier\"")
        || head.contains("\"format\": \"NVD_CVE\"")
        || head.contains("\"format\":\"NVD_CVE\"")
    {
        Some(Kind::Nvd)
    } else if (head.contains("\"affected\"") || head.contains("\"withdrawn\""))
        && head.contains("\"modified\"")
    {
        Some(Kind::Osv)
    } else {
        None
    };
    let Some(kind) = kind else {
        return Ok(Err(
            "JSON that is not an OSV, NVD, KEV, CSAF or ATT&CK feed",
        ));
    };
    Ok(Ok(Format::Json(kind)))
}

/// The feed one JSON value (a line of a JSON Lines file) belongs to.
fn classify(value: &serde_json::Value) -> Option<Kind> {
    let has = |k: &str| value.get(k).is_some();
    let id = str_field(value, "id").unwrap_or_default();
    if value.pointer("/document/csaf_version").is_some() {
        Some(Kind::Csaf)
    } else if id.starts_with("CVE-") && (has("vulnStatus") || has("sourceIdentifier")) {
        Some(Kind::Nvd)
    } else if !id.is_empty()
        && has("modified")
        && (has("affected") || has("withdrawn") || has("schema_version"))
    {
        Some(Kind::Osv)
    } else {
        None
    }
}

fn open(path: &Path, gz: bool) -> Result<Box<dyn Read>> {
    let file = File::open(path).map_err(|source| Error::Io {
        origin: path.display().to_string(),
        source,
    })?;
    Ok(if gz {
        Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(file)))
    } else {
        Box::new(file)
    })
}

/// The first `n` bytes, for recognising the file. A read error (a
/// truncated gzip stream) only shortens the sniffed text: the full read
/// reports it, with the file's name, as that file's failure.
fn head(path: &Path, gz: bool, n: u64) -> Result<String> {
    let mut buf = Vec::new();
    let mut input = open(path, gz)?.take(n);
    let mut chunk = [0u8; 8192];
    loop {
        match input.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(k) => buf.extend_from_slice(chunk.get(..k).unwrap_or_default()),
        }
    }
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

fn is_gz(path: &Path) -> bool {
    lower_name(path).ends_with(".gz")
}

/// Reads every record of a file, calling `each` for each one. Stops at
/// the first record that cannot be read, so a caller that imports a file
/// as a whole never keeps a part of it.
pub fn read(
    file: &FeedFile,
    limits: Limits,
    each: &mut dyn FnMut(Record) -> Result<()>,
) -> Result<()> {
    let path = &file.path;
    let origin = path.display().to_string();
    let input = open(path, is_gz(path))?;
    match file.format {
        Format::JsonLines(kind) => read_lines(input, &origin, limits, &mut |line, at| {
            let value = parse_json(line, &at)?;
            split(kind, value, &at, each)
        }),
        Format::Json(Kind::Attack) => {
            // Read typed, not as a `Value`: the enterprise bundle is 33 MB.
            let text = read_document(input, &origin, limits)?;
            crate::attack::read(&text, &origin, each)
        }
        Format::Json(kind) => {
            let text = read_document(input, &origin, limits)?;
            let value = parse_json(&text, &origin)?;
            split(kind, value, &origin, each)
        }
        Format::RustSec => {
            let text = read_document(input, &origin, limits)?;
            each(crate::rustsec::record(text, &origin)?)
        }
        Format::Csv(Kind::Epss) => crate::epss::read(input, &origin, limits, each),
        Format::Csv(Kind::Kev) => crate::kev::read_csv(input, &origin, limits, each),
        Format::Csv(other) => Err(Error::invalid(
            origin,
            format!("{} is not read from CSV", other.as_str()),
        )),
    }
}

fn read_document(input: Box<dyn Read>, origin: &str, limits: Limits) -> Result<String> {
    let mut buf = Vec::new();
    input
        .take(limits.document_bytes + 1)
        .read_to_end(&mut buf)
        .map_err(|source| Error::Io {
            origin: origin.to_owned(),
            source,
        })?;
    if buf.len() as u64 > limits.document_bytes {
        return Err(Error::invalid(
            origin,
            format!(
                "the document is larger than {} MiB",
                limits.document_bytes >> 20
            ),
        ));
    }
    String::from_utf8(buf).map_err(|e| {
        Error::invalid(
            origin,
            format!("not UTF-8 at byte {}", e.utf8_error().valid_up_to()),
        )
    })
}

/// Calls `each` with every non-empty line and its origin (`file:line`),
/// refusing lines longer than the limit without reading them whole.
pub(crate) fn read_lines(
    input: Box<dyn Read>,
    origin: &str,
    limits: Limits,
    each: &mut dyn FnMut(&str, String) -> Result<()>,
) -> Result<()> {
    let mut reader = BufReader::with_capacity(256 << 10, input);
    let mut buf = Vec::new();
    let mut n = 0usize;
    loop {
        buf.clear();
        n += 1;
        let read = (&mut reader)
            .take(limits.line_bytes as u64 + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|source| Error::Io {
                origin: format!("{origin}:{n}"),
                source,
            })?;
        if read == 0 {
            return Ok(());
        }
        if buf.len() > limits.line_bytes {
            return Err(Error::invalid(
                format!("{origin}:{n}"),
                format!("the line is longer than {} MiB", limits.line_bytes >> 20),
            ));
        }
        let line = std::str::from_utf8(&buf).map_err(|e| {
            Error::invalid(
                format!("{origin}:{n}"),
                format!("not UTF-8 at byte {}", e.valid_up_to()),
            )
        })?;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        each(line, format!("{origin}:{n}"))?;
    }
}

fn parse_json(text: &str, origin: &str) -> Result<serde_json::Value> {
    serde_json::from_str(text).map_err(|e| {
        Error::invalid(
            origin,
            format!(
                "invalid JSON at line {} column {}: {e}",
                e.line(),
                e.column()
            ),
        )
    })
}

fn str_field<'a>(value: &'a serde_json::Value, field: &str) -> Option<&'a str> {
    value.get(field).and_then(serde_json::Value::as_str)
}

/// Turns one JSON document into records: an OSV record or NVD `cve`
/// object is one record; an NVD API page, a KEV catalogue one per entry.
fn split(
    kind: Kind,
    value: serde_json::Value,
    origin: &str,
    each: &mut dyn FnMut(Record) -> Result<()>,
) -> Result<()> {
    match kind {
        Kind::Osv => each(osv_record(value, origin)?),
        Kind::Nvd => {
            if let Some(list) = value.get("vulnerabilities").and_then(|v| v.as_array()) {
                for (i, item) in list.iter().enumerate() {
                    let cve = item.get("cve").unwrap_or(item);
                    each(nvd_record(cve, &format!("{origin} vulnerabilities[{i}]"))?)?;
                }
                Ok(())
            } else {
                each(nvd_record(&value, origin)?)
            }
        }
        Kind::Kev => crate::kev::split(&value, origin, each),
        Kind::Csaf => {
            let tracking = value.pointer("/document/tracking");
            let id = tracking
                .and_then(|t| str_field(t, "id"))
                .ok_or_else(|| Error::invalid(origin, "document.tracking.id is missing"))?;
            let modified = tracking
                .and_then(|t| str_field(t, "current_release_date"))
                .unwrap_or_default();
            each(Record {
                kind,
                id: id.to_owned(),
                modified: modified.to_owned(),
                body: value.to_string(),
                origin: origin.to_owned(),
            })
        }
        Kind::RustSec | Kind::Epss | Kind::Attack => Err(Error::invalid(
            origin,
            format!("{} is not read from JSON", kind.as_str()),
        )),
    }
}

fn osv_record(mut value: serde_json::Value, origin: &str) -> Result<Record> {
    let id = str_field(&value, "id")
        .ok_or_else(|| Error::invalid(origin, "an OSV record needs an `id`"))?
        .to_owned();
    let modified = str_field(&value, "modified").unwrap_or_default().to_owned();
    // The shared data sets add `_source` (upstream repository and path);
    // it is provenance, not part of the record.
    let mut origin = origin.to_owned();
    if let Some(serde_json::Value::Object(source)) =
        value.as_object_mut().and_then(|o| o.remove("_source"))
    {
        let repo = source.get("repo").and_then(|v| v.as_str()).unwrap_or("");
        let path = source.get("path").and_then(|v| v.as_str()).unwrap_or("");
        origin = format!("{origin} ({repo}/{path})");
    }
    Ok(Record {
        kind: Kind::Osv,
        id,
        modified,
        body: value.to_string(),
        origin,
    })
}

fn nvd_record(value: &serde_json::Value, origin: &str) -> Result<Record> {
    let id = str_field(value, "id")
        .filter(|id| id.starts_with("CVE-"))
        .ok_or_else(|| Error::invalid(origin, "an NVD record needs an `id` like CVE-2024-1234"))?
        .to_owned();
    let modified = str_field(value, "lastModified")
        .unwrap_or_default()
        .to_owned();
    Ok(Record {
        kind: Kind::Nvd,
        id,
        modified,
        body: value.to_string(),
        origin: origin.to_owned(),
    })
}

#[cfg(test)]
mod tests;
