//! Web roots as zip archives: read in memory and scanned entry by entry
//! (never extracted to disk; entry names are only labels, so `../` does
//! nothing), and written by a member's agent ([`pack`]).
//!
//! Decompression is bounded: an entry is read at most to
//! [`Limits::max_file_size`] + 1 bytes and within the scan's remaining
//! byte budget, whatever size its header claims, so a zip bomb costs at
//! most the limits.

use std::io::{Cursor, Read, Write};
use std::path::Path;

use crate::scan::{Limits, Session, SkipReason};
use crate::walk;

/// Entries read from one archive at most (the central directory is read
/// whole by the zip crate, so this also bounds its memory).
pub const MAX_ENTRIES: usize = 200_000;

/// Whether `bytes` start like a zip archive (local file header, or the
/// end record of an empty archive).
pub fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06")
}

/// An archive that cannot be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ArchiveError {
    /// Not a zip archive, or its central directory is damaged.
    #[error("not a readable zip archive: {0}")]
    Archive(String),
    /// An entry's header or data is damaged.
    #[error("zip entry {index} ({name}): {reason}")]
    Entry {
        /// 0-based position in the central directory.
        index: usize,
        name: String,
        reason: String,
    },
    #[error("the archive has {entries} entries, more than {MAX_ENTRIES}")]
    TooManyEntries { entries: usize },
}

/// An entry name as a label: control characters replaced, at most 1024
/// characters. Never used as a path.
pub fn label(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .take(1024)
        .collect();
    if out.is_empty() {
        out.push_str("(unnamed)");
    }
    out
}

/// Scans every file entry of the zip archive `bytes` into `session`.
/// Directories are passed over; symbolic links, encrypted entries and
/// entries too large for the limits are recorded as skipped. A damaged
/// archive or entry is an error naming it; what was scanned before stays
/// in the session.
pub fn scan_zip(session: &mut Session<'_>, bytes: &[u8]) -> Result<(), ArchiveError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| ArchiveError::Archive(e.to_string()))?;
    if zip.len() > MAX_ENTRIES {
        return Err(ArchiveError::TooManyEntries { entries: zip.len() });
    }
    let max_file = session.limits().max_file_size;
    let mut data = Vec::new();
    for index in 0..zip.len() {
        let mut entry = zip.by_index(index).map_err(|e| ArchiveError::Entry {
            index,
            name: String::new(),
            reason: e.to_string(),
        })?;
        let name = label(entry.name_raw());
        if entry.is_dir() {
            continue;
        }
        if entry.is_symlink() {
            session.skip(
                &name,
                SkipReason::NotRegular {
                    kind: "symbolic link".into(),
                },
            );
            continue;
        }
        if entry.encrypted() {
            session.skip(
                &name,
                SkipReason::Unreadable {
                    error: "encrypted entry".into(),
                },
            );
            continue;
        }
        if !session.admit(&name, entry.size()) {
            continue;
        }
        // The header's size may lie: read one byte past what is allowed to
        // notice.
        let allowed = max_file.min(session.budget());
        data.clear();
        if let Err(e) = (&mut entry).take(allowed + 1).read_to_end(&mut data) {
            return Err(ArchiveError::Entry {
                index,
                name,
                reason: e.to_string(),
            });
        }
        drop(entry);
        if data.len() as u64 > allowed {
            // Larger than announced: skip it as what it turned out to be.
            session.admit(&name, data.len() as u64);
            continue;
        }
        session.scan(&name, &data);
    }
    Ok(())
}

/// What [`pack`] left out of the archive.
#[derive(Debug, Default)]
pub struct Packed {
    pub zip: Vec<u8>,
    pub files: u64,
    pub bytes: u64,
    pub skipped: Vec<crate::scan::Skipped>,
}

/// Packs the regular files under `root` into a zip archive (deflated,
/// names relative to `root` with `/`), within `limits`: larger files and
/// files past the total are left out and listed, symbolic links are not
/// followed. For a member's agent.
pub fn pack(root: &Path, limits: &Limits) -> std::io::Result<Packed> {
    let mut out = Packed::default();
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(false);
    let mut seen = 0_u64;
    let mut failure = None;
    walk::walk(root, |file| {
        let path = file.label;
        let size = match file.kind {
            walk::Kind::File { size } => size,
            walk::Kind::Other { kind } => {
                out.skipped
                    .push(skipped(path, SkipReason::NotRegular { kind }));
                return;
            }
            walk::Kind::Error { error } => {
                out.skipped
                    .push(skipped(path, SkipReason::Unreadable { error }));
                return;
            }
        };
        if seen >= limits.max_files {
            out.skipped.push(skipped(
                path,
                SkipReason::FileLimit {
                    limit: limits.max_files,
                },
            ));
            return;
        }
        seen += 1;
        if size > limits.max_file_size {
            out.skipped.push(skipped(
                path,
                SkipReason::TooLarge {
                    size,
                    limit: limits.max_file_size,
                },
            ));
            return;
        }
        if out.bytes + size > limits.max_total_bytes {
            out.skipped.push(skipped(
                path,
                SkipReason::TotalLimit {
                    limit: limits.max_total_bytes,
                },
            ));
            return;
        }
        let data = match walk::read_bounded(&file.path, limits.max_file_size) {
            Ok(d) => d,
            Err(e) => {
                out.skipped.push(skipped(path, e));
                return;
            }
        };
        if failure.is_some() {
            return;
        }
        let written = zip
            .start_file(path.clone(), options)
            .map_err(std::io::Error::other)
            .and_then(|()| zip.write_all(&data));
        match written {
            Ok(()) => {
                out.files += 1;
                out.bytes += data.len() as u64;
            }
            Err(e) => failure = Some(e),
        }
    })?;
    if let Some(e) = failure {
        return Err(e);
    }
    out.zip = zip.finish().map_err(std::io::Error::other)?.into_inner();
    Ok(out)
}

fn skipped(path: String, reason: SkipReason) -> crate::scan::Skipped {
    crate::scan::Skipped { path, reason }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use crate::rules::Rules;

    fn zip_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in entries {
            if name.ends_with('/') {
                zip.add_directory(*name, options).unwrap();
            } else {
                zip.start_file(*name, options).unwrap();
                zip.write_all(data).unwrap();
            }
        }
        zip.finish().unwrap().into_inner()
    }

    fn scan(bytes: &[u8], limits: Limits) -> (crate::Report, Result<(), ArchiveError>) {
        let rules = Rules::builtin().unwrap();
        let mut s = Session::new(&rules, limits);
        let r = scan_zip(&mut s, bytes);
        (s.finish(), r)
    }

    #[test]
    fn entries_are_scanned_under_their_names() {
        let zip = zip_of(&[
            ("www/", b""),
            ("www/index.php", b"<?php echo 'hello';"),
            ("www/up/x.php", b"<?php @eval($_POST['a']);?>"),
            ("../../etc/cron.d/evil", b"<?php system($_GET['cmd']);"),
        ]);
        assert!(is_zip(&zip));
        let (r, res) = scan(&zip, Limits::default());
        res.unwrap();
        assert_eq!(r.files, 3);
        let hits: Vec<_> = r
            .findings
            .iter()
            .map(|f| (f.path.as_str(), f.rule.as_str()))
            .collect();
        assert_eq!(
            hits,
            [
                (
                    "../../etc/cron.d/evil",
                    "php_command_execution_request_input"
                ),
                ("../../etc/cron.d/evil", "php_command_parameter_shell"),
                ("www/up/x.php", "php_china_chopper"),
                ("www/up/x.php", "php_eval_request_input"),
            ]
        );
        // Nothing was written anywhere: the label is only a label.
        assert!(!Path::new("../../etc/cron.d/evil").exists());
    }

    #[test]
    fn a_zip_bomb_costs_only_the_limits() {
        // 64 MiB of zeros deflate to about 64 KiB.
        let zeros = vec![0_u8; 64 * 1024 * 1024];
        let zip = zip_of(&[
            ("bomb.php", &zeros),
            ("ok.php", b"<?php @eval($_POST['a']);?>"),
        ]);
        assert!(zip.len() < 1024 * 1024, "{}", zip.len());
        let limits = Limits {
            max_file_size: 1024 * 1024,
            ..Limits::default()
        };
        let (r, res) = scan(&zip, limits);
        res.unwrap();
        assert_eq!(r.files, 1);
        assert_eq!(r.skipped.len(), 1);
        assert_eq!(r.skipped[0].path, "bomb.php");
        assert_eq!(r.skipped[0].reason.code(), "too_large");
        assert_eq!(r.findings.len(), 2);
    }

    #[test]
    fn a_lying_header_is_caught_while_reading() {
        let big = vec![b'a'; 4096];
        let mut zip = zip_of(&[("liar.txt", &big)]);
        // Patch the declared uncompressed size (central directory and
        // local header) down to 10 bytes.
        let declared = 4096_u32.to_le_bytes();
        let mut patched = 0;
        for i in 0..zip.len().saturating_sub(4) {
            if zip.get(i..i + 4) == Some(&declared[..]) {
                zip.splice(i..i + 4, 10_u32.to_le_bytes());
                patched += 1;
            }
        }
        assert!(patched >= 1);
        let limits = Limits {
            max_file_size: 100,
            ..Limits::default()
        };
        let (r, res) = scan(&zip, limits);
        // Either the zip crate refuses the entry (named), or we notice the
        // excess and skip it; never more than the limit is read.
        match res {
            Ok(()) => {
                assert_eq!(r.files, 0, "{r:?}");
                assert_eq!(r.skipped[0].reason.code(), "too_large");
            }
            Err(ArchiveError::Entry { index, name, .. }) => {
                assert_eq!((index, name.as_str()), (0, "liar.txt"));
            }
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn bad_archives_say_what_and_where() {
        let (_, res) = scan(b"this is not a zip", Limits::default());
        assert!(matches!(res, Err(ArchiveError::Archive(_))), "{res:?}");
        // A damaged entry: flip bytes inside the deflated data.
        let content: Vec<u8> = (0..20_000_u32).flat_map(|i| i.to_le_bytes()).collect();
        let mut zip = zip_of(&[("a.php", b"<?php echo 1;"), ("b.bin", &content)]);
        let at = zip.windows(5).position(|w| w == b"b.bin").unwrap();
        for b in zip.iter_mut().skip(at + 40).take(200) {
            *b ^= 0x5a;
        }
        let (r, res) = scan(&zip, Limits::default());
        match res {
            Err(ArchiveError::Entry {
                index,
                name,
                reason,
            }) => {
                assert_eq!(index, 1, "{reason}");
                assert_eq!(name, "b.bin");
                let shown = ArchiveError::Entry {
                    index,
                    name,
                    reason,
                }
                .to_string();
                assert!(shown.starts_with("zip entry 1 (b.bin): "), "{shown}");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(r.files, 1, "the entry before the damage was scanned");
        // Truncated: the central directory is gone.
        let zip = zip_of(&[("a.php", b"<?php echo 1;")]);
        let (_, res) = scan(zip.get(..zip.len() - 30).unwrap(), Limits::default());
        assert!(matches!(res, Err(ArchiveError::Archive(_))), "{res:?}");
    }

    #[test]
    fn labels_are_printable() {
        assert_eq!(label(b"a\nb\x1b[31m.php"), "a\u{fffd}b\u{fffd}[31m.php");
        assert_eq!(label(b""), "(unnamed)");
        assert_eq!(label(b"\xff.php"), "\u{fffd}.php");
    }

    #[test]
    fn pack_and_scan_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("www/uploads")).unwrap();
        std::fs::write(root.join("www/index.php"), "<?php echo 1;").unwrap();
        std::fs::write(
            root.join("www/uploads/a.php"),
            "<?php @eval($_POST['a']);?>",
        )
        .unwrap();
        std::fs::write(root.join("www/video.mp4"), vec![0_u8; 5000]).unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink("/etc/passwd", root.join("www/passwd")).unwrap();
        let limits = Limits {
            max_file_size: 1000,
            ..Limits::default()
        };
        let packed = pack(root, &limits).unwrap();
        assert_eq!(packed.files, 2);
        let skipped: Vec<_> = packed
            .skipped
            .iter()
            .map(|s| (s.path.as_str(), s.reason.code()))
            .collect();
        #[cfg(unix)]
        assert_eq!(
            skipped,
            [
                ("www/passwd", "not_regular"),
                ("www/video.mp4", "too_large")
            ]
        );
        let (r, res) = scan(&packed.zip, Limits::default());
        res.unwrap();
        assert_eq!(r.files, 2);
        assert_eq!(r.flagged_files(), 1);
        assert_eq!(r.findings[0].path, "www/uploads/a.php");
    }
}
