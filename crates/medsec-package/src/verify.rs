//! The check of a package: a readable ZIP within size limits, safe and
//! unique names, `MANIFEST.json` present and valid, every listed file
//! present with its size and SHA-256, nothing unlisted, and `SHA256SUMS`
//! agreeing with the manifest. Every problem names the file it concerns.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Read};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{MANIFEST, Manifest, PackageError, SCHEMA, SUMS};

/// Bounds that keep a hostile archive (a ZIP bomb, millions of entries)
/// from exhausting memory or time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The ZIP file itself.
    pub max_archive_bytes: u64,
    pub max_entries: usize,
    /// One file, uncompressed.
    pub max_file_bytes: u64,
    /// All files together, uncompressed.
    pub max_total_bytes: u64,
    /// Uncompressed to compressed, for files over 1 MiB.
    pub max_ratio: u64,
    /// `MANIFEST.json` and `SHA256SUMS`, which are read into memory.
    pub max_manifest_bytes: u64,
}

impl Default for Limits {
    /// 4 GiB archives, 100,000 entries, 2 GiB per file and 8 GiB in all,
    /// at most 1,000 : 1 compression, a 64 MiB manifest: far beyond any
    /// submission, far below what a bomb needs.
    fn default() -> Limits {
        Limits {
            max_archive_bytes: 4 << 30,
            max_entries: 100_000,
            max_file_bytes: 2 << 30,
            max_total_bytes: 8 << 30,
            max_ratio: 1000,
            max_manifest_bytes: 64 << 20,
        }
    }
}

/// What is wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProblemKind {
    NotAZip,
    TooLarge,
    UnsafePath,
    DuplicateName,
    ManifestMissing,
    ManifestInvalid,
    /// Listed in the manifest, not in the ZIP.
    Missing,
    SizeMismatch,
    DigestMismatch,
    /// In the ZIP, not in the manifest.
    Unlisted,
    /// The file's data cannot be read (corrupt, bad CRC).
    Unreadable,
    SumsMissing,
    SumsMismatch,
}

/// One problem, with the file it concerns (`(archive)` for the ZIP as a
/// whole).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub path: String,
    pub kind: ProblemKind,
    pub message: String,
}

/// One file the manifest lists, as found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileCheck {
    pub path: String,
    pub document: String,
    /// The SHA-256 of the data found, when it was found and readable.
    pub sha256: Option<String>,
    pub size: Option<u64>,
    pub ok: bool,
}

/// The result of [`verify`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verification {
    pub manifest: Option<Manifest>,
    pub files: Vec<FileCheck>,
    pub problems: Vec<Problem>,
}

impl Verification {
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

const ARCHIVE: &str = "(archive)";

/// Why a name cannot be a file of a package: absolute, `..`, `.`, empty
/// components, backslashes, a drive letter or control characters.
fn unsafe_path(name: &str) -> Option<&'static str> {
    if name.starts_with('/') {
        return Some("is an absolute path");
    }
    if name.contains('\\') {
        return Some("contains a backslash");
    }
    if name.chars().any(char::is_control) {
        return Some("contains a control character");
    }
    if name.split('/').any(|c| c == "..") {
        return Some("contains a `..` component");
    }
    if name.split('/').any(|c| c.is_empty() || c == ".") {
        return Some("contains an empty or `.` component");
    }
    let mut chars = name.chars();
    if let (Some(a), Some(':')) = (chars.next(), chars.next())
        && a.is_ascii_alphabetic()
    {
        return Some("starts with a drive letter");
    }
    None
}

/// What was found of one ZIP entry.
struct Found {
    size: u64,
    sha256: Option<String>,
    /// The data of the manifest and the checksum list.
    bytes: Option<Vec<u8>>,
}

/// Checks a package.
pub fn verify(bytes: &[u8]) -> Verification {
    verify_with(bytes, &Limits::default())
}

/// Checks a package within `limits`.
pub fn verify_with(bytes: &[u8], limits: &Limits) -> Verification {
    let mut problems = Vec::new();
    let mut problem = |path: &str, kind: ProblemKind, message: String| {
        problems.push(Problem {
            path: path.to_owned(),
            kind,
            message,
        });
    };
    let done = |problems: Vec<Problem>| Verification {
        manifest: None,
        files: Vec::new(),
        problems,
    };
    if bytes.len() as u64 > limits.max_archive_bytes {
        problem(
            ARCHIVE,
            ProblemKind::TooLarge,
            format!(
                "{} bytes, over the limit of {}",
                bytes.len(),
                limits.max_archive_bytes
            ),
        );
        return done(problems);
    }
    let mut archive = match zip::ZipArchive::new(Cursor::new(bytes)) {
        Ok(a) => a,
        Err(e) => {
            problem(
                ARCHIVE,
                ProblemKind::NotAZip,
                format!("not a readable ZIP file: {e}"),
            );
            return done(problems);
        }
    };
    if archive.len() > limits.max_entries {
        problem(
            ARCHIVE,
            ProblemKind::TooLarge,
            format!(
                "{} entries, over the limit of {}",
                archive.len(),
                limits.max_entries
            ),
        );
        return done(problems);
    }
    if archive.has_duplicate_names() {
        problem(
            ARCHIVE,
            ProblemKind::DuplicateName,
            "the central directory lists a file name more than once".into(),
        );
    }
    let mut found: BTreeMap<String, Found> = BTreeMap::new();
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let mut entry = match archive.by_index(i) {
            Ok(e) => e,
            Err(e) => {
                problem(
                    &format!("(entry {i})"),
                    ProblemKind::Unreadable,
                    e.to_string(),
                );
                continue;
            }
        };
        let name = match entry.name() {
            Ok(n) => n.into_owned(),
            Err(e) => {
                problem(
                    &format!("(entry {i})"),
                    ProblemKind::UnsafePath,
                    format!("its name is not valid UTF-8: {e}"),
                );
                continue;
            }
        };
        if let Some(why) = unsafe_path(&name) {
            problem(&name, ProblemKind::UnsafePath, why.into());
            continue;
        }
        if entry.is_dir() {
            problem(
                &name,
                ProblemKind::Unlisted,
                "a directory entry; a package holds files only".into(),
            );
            continue;
        }
        let declared = entry.size();
        let compressed = entry.compressed_size().max(1);
        if declared > limits.max_file_bytes {
            problem(
                &name,
                ProblemKind::TooLarge,
                format!(
                    "{declared} bytes, over the per-file limit of {}",
                    limits.max_file_bytes
                ),
            );
            continue;
        }
        if declared > 1 << 20 && declared / compressed > limits.max_ratio {
            problem(
                &name,
                ProblemKind::TooLarge,
                format!(
                    "compressed {} : 1, over the limit of {} : 1",
                    declared / compressed,
                    limits.max_ratio
                ),
            );
            continue;
        }
        total = total.saturating_add(declared);
        if total > limits.max_total_bytes {
            problem(
                &name,
                ProblemKind::TooLarge,
                format!(
                    "the files up to this one hold over {} bytes uncompressed",
                    limits.max_total_bytes
                ),
            );
            break;
        }
        let keep = name == MANIFEST || name == SUMS;
        if keep && declared > limits.max_manifest_bytes {
            problem(
                &name,
                ProblemKind::TooLarge,
                format!("over {} bytes", limits.max_manifest_bytes),
            );
            continue;
        }
        // Never more than the declared size: a lying header is caught by
        // the size comparison, not by reading without end.
        let mut limited = (&mut entry).take(declared.saturating_add(1));
        let mut hasher = Sha256::new();
        let mut kept = Vec::new();
        let mut buf = vec![0u8; 64 * 1024];
        let mut size: u64 = 0;
        let mut error = None;
        loop {
            match limited.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    let chunk = buf.get(..n).unwrap_or_default();
                    hasher.update(chunk);
                    if keep {
                        kept.extend_from_slice(chunk);
                    }
                    size += n as u64;
                }
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
        if let Some(e) = error {
            problem(
                &name,
                ProblemKind::Unreadable,
                format!("its data cannot be read: {e}"),
            );
            found.insert(
                name,
                Found {
                    size,
                    sha256: None,
                    bytes: None,
                },
            );
            continue;
        }
        if size != declared {
            problem(
                &name,
                ProblemKind::Unreadable,
                format!("holds {size} bytes, its header says {declared}"),
            );
        }
        found.insert(
            name,
            Found {
                size,
                sha256: Some(hex(&hasher.finalize())),
                bytes: keep.then_some(kept),
            },
        );
    }

    let manifest = match found.get(MANIFEST).and_then(|f| f.bytes.as_deref()) {
        None if found.contains_key(MANIFEST) => None,
        None => {
            problem(
                MANIFEST,
                ProblemKind::ManifestMissing,
                "the package has no manifest".into(),
            );
            None
        }
        Some(b) => match serde_json::from_slice::<Manifest>(b) {
            Err(e) => {
                problem(
                    MANIFEST,
                    ProblemKind::ManifestInvalid,
                    format!("not a {SCHEMA} manifest: {e}"),
                );
                None
            }
            Ok(m) if m.schema != SCHEMA => {
                problem(
                    MANIFEST,
                    ProblemKind::ManifestInvalid,
                    format!("schema `{}` is not {SCHEMA}", m.schema),
                );
                None
            }
            Ok(m) => Some(m),
        },
    };
    let mut files = Vec::new();
    if let Some(m) = &manifest {
        let mut listed = BTreeSet::new();
        for f in &m.files {
            let mut ok = true;
            let here = found.get(&f.path);
            if !listed.insert(f.path.as_str()) {
                problem(
                    &f.path,
                    ProblemKind::DuplicateName,
                    "listed twice in the manifest".into(),
                );
                ok = false;
            }
            if let Some(why) = unsafe_path(&f.path) {
                problem(
                    &f.path,
                    ProblemKind::UnsafePath,
                    format!("the manifest lists a path that {why}"),
                );
                ok = false;
            }
            if f.path == MANIFEST || f.path == SUMS {
                problem(
                    &f.path,
                    ProblemKind::ManifestInvalid,
                    "the manifest must not list itself or the checksum list".into(),
                );
                ok = false;
            }
            match here {
                None => {
                    problem(
                        &f.path,
                        ProblemKind::Missing,
                        "listed in the manifest, not in the package".into(),
                    );
                    ok = false;
                }
                Some(h) => {
                    if h.size != f.size {
                        problem(
                            &f.path,
                            ProblemKind::SizeMismatch,
                            format!("{} bytes, the manifest says {}", h.size, f.size),
                        );
                        ok = false;
                    }
                    match &h.sha256 {
                        Some(s) if !s.eq_ignore_ascii_case(&f.sha256) => {
                            problem(
                                &f.path,
                                ProblemKind::DigestMismatch,
                                format!("SHA-256 {s}, the manifest says {}", f.sha256),
                            );
                            ok = false;
                        }
                        Some(_) => {}
                        None => ok = false,
                    }
                }
            }
            files.push(FileCheck {
                path: f.path.clone(),
                document: f.document.clone(),
                sha256: here.and_then(|h| h.sha256.clone()),
                size: here.map(|h| h.size),
                ok,
            });
        }
        for name in found.keys() {
            if name != MANIFEST && name != SUMS && !listed.contains(name.as_str()) {
                problem(
                    name,
                    ProblemKind::Unlisted,
                    "in the package, not in the manifest".into(),
                );
            }
        }
        check_sums(m, &found, &mut problem);
    }
    Verification {
        manifest,
        files,
        problems,
    }
}

/// `SHA256SUMS` must list exactly the manifest's files and the manifest,
/// each with the digest the manifest gives (the manifest's own as found).
fn check_sums(
    m: &Manifest,
    found: &BTreeMap<String, Found>,
    problem: &mut impl FnMut(&str, ProblemKind, String),
) {
    let Some(text) = found.get(SUMS).and_then(|f| f.bytes.as_deref()) else {
        if !found.contains_key(SUMS) {
            problem(
                SUMS,
                ProblemKind::SumsMissing,
                "the package has no checksum list".into(),
            );
        }
        return;
    };
    let Ok(text) = std::str::from_utf8(text) else {
        problem(SUMS, ProblemKind::SumsMismatch, "not UTF-8 text".into());
        return;
    };
    let mut expected: BTreeMap<&str, &str> = m
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.sha256.as_str()))
        .collect();
    let manifest_sha = found.get(MANIFEST).and_then(|f| f.sha256.as_deref());
    if let Some(s) = manifest_sha {
        expected.insert(MANIFEST, s);
    }
    let mut seen = BTreeSet::new();
    for (n, line) in text.lines().enumerate() {
        let parsed = line
            .split_once("  ")
            .or_else(|| line.split_once(" *"))
            .filter(|(h, _)| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()));
        let Some((sha, path)) = parsed else {
            problem(
                SUMS,
                ProblemKind::SumsMismatch,
                format!("line {}: not `SHA256  PATH`", n + 1),
            );
            continue;
        };
        if !seen.insert(path) {
            problem(
                path,
                ProblemKind::SumsMismatch,
                format!("{SUMS} line {}: listed twice", n + 1),
            );
        }
        match expected.get(path) {
            None => problem(
                path,
                ProblemKind::SumsMismatch,
                format!("{SUMS} line {}: not a file of the manifest", n + 1),
            ),
            Some(e) if !e.eq_ignore_ascii_case(sha) => problem(
                path,
                ProblemKind::SumsMismatch,
                format!(
                    "{SUMS} line {} gives SHA-256 {sha}, the {} {e}",
                    n + 1,
                    if path == MANIFEST {
                        "manifest file has"
                    } else {
                        "manifest says"
                    }
                ),
            ),
            Some(_) => {}
        }
    }
    for path in expected.keys() {
        if !seen.contains(path) {
            problem(
                path,
                ProblemKind::SumsMismatch,
                format!("not listed in {SUMS}"),
            );
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Reads one document of a package back, checked against the manifest:
/// the file must be listed, and its size and SHA-256 must be the listed
/// ones. `path` is the path in the package (`MANIFEST.json` reads the
/// manifest itself).
pub fn read_document(zip: &[u8], path: &str) -> Result<Vec<u8>, PackageError> {
    let err = |message: String| PackageError::Read {
        path: path.to_owned(),
        message,
    };
    let limits = Limits::default();
    let mut archive = zip::ZipArchive::new(Cursor::new(zip))
        .map_err(|e| err(format!("not a readable ZIP file: {e}")))?;
    let mut read = |name: &str, max: u64| -> Result<Vec<u8>, PackageError> {
        let entry = archive
            .by_name(name)
            .map_err(|e| err(format!("{name}: {e}")))?;
        if entry.size() > max {
            return Err(err(format!("{name}: over {max} bytes")));
        }
        let mut out = Vec::new();
        entry
            .take(max.saturating_add(1))
            .read_to_end(&mut out)
            .map_err(|e| err(format!("{name}: {e}")))?;
        Ok(out)
    };
    let manifest_bytes = read(MANIFEST, limits.max_manifest_bytes)?;
    let manifest: Manifest =
        serde_json::from_slice(&manifest_bytes).map_err(|e| err(format!("{MANIFEST}: {e}")))?;
    if path == MANIFEST {
        return Ok(manifest_bytes);
    }
    let entry = manifest
        .files
        .iter()
        .find(|f| f.path == path)
        .ok_or_else(|| err("not listed in the manifest".into()))?;
    let bytes = read(path, limits.max_file_bytes)?;
    if bytes.len() as u64 != entry.size {
        return Err(err(format!(
            "{} bytes, the manifest says {}",
            bytes.len(),
            entry.size
        )));
    }
    let sha = hex(&Sha256::digest(&bytes));
    if !sha.eq_ignore_ascii_case(&entry.sha256) {
        return Err(err(format!(
            "SHA-256 {sha}, the manifest says {}",
            entry.sha256
        )));
    }
    Ok(bytes)
}
