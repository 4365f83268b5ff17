//! Directory trees: every entry in name order, symbolic links not
//! followed, and files read with a size bound.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::scan::{Session, SkipReason};

/// What a walked entry is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    File {
        size: u64,
    },
    /// A symbolic link, socket, device…
    Other {
        kind: String,
    },
    /// Its metadata or directory could not be read.
    Error {
        error: String,
    },
}

/// A file found by [`walk`].
#[derive(Clone, Debug)]
pub struct Entry {
    pub path: PathBuf,
    /// The path relative to the root (the root's own name for a file
    /// given directly), with `/`.
    pub label: String,
    pub kind: Kind,
}

/// Calls `visit` for every entry under `root` (not directories), in name
/// order, without following symbolic links. Fails only if `root` itself
/// cannot be read.
pub fn walk(root: &Path, mut visit: impl FnMut(Entry)) -> std::io::Result<()> {
    let meta = std::fs::symlink_metadata(root)?;
    if !meta.is_dir() {
        let label = root.display().to_string();
        visit(entry(root.to_owned(), label, &meta));
        return Ok(());
    }
    let mut stack = vec![(root.to_owned(), String::new())];
    while let Some((dir, prefix)) = stack.pop() {
        let mut children = match std::fs::read_dir(&dir) {
            Ok(rd) => rd
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .collect::<Vec<_>>(),
            Err(e) => {
                visit(Entry {
                    label: if prefix.is_empty() {
                        dir.display().to_string()
                    } else {
                        prefix.trim_end_matches('/').to_owned()
                    },
                    path: dir,
                    kind: Kind::Error {
                        error: e.to_string(),
                    },
                });
                continue;
            }
        };
        children.sort();
        // Directories go on the stack in reverse, so they come out in
        // name order after this directory's files.
        let mut dirs = Vec::new();
        for child in children {
            let name = child
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let label = format!("{prefix}{name}");
            match std::fs::symlink_metadata(&child) {
                Ok(m) if m.is_dir() => dirs.push((child, format!("{label}/"))),
                Ok(m) => visit(entry(child, label, &m)),
                Err(e) => visit(Entry {
                    path: child,
                    label,
                    kind: Kind::Error {
                        error: e.to_string(),
                    },
                }),
            }
        }
        stack.extend(dirs.into_iter().rev());
    }
    Ok(())
}

fn entry(path: PathBuf, label: String, meta: &std::fs::Metadata) -> Entry {
    let ft = meta.file_type();
    let kind = if ft.is_file() {
        Kind::File { size: meta.len() }
    } else if ft.is_symlink() {
        Kind::Other {
            kind: "symbolic link".into(),
        }
    } else {
        Kind::Other {
            kind: "special file".into(),
        }
    };
    Entry { path, label, kind }
}

/// Reads a file, refusing (as [`SkipReason::TooLarge`]) one that grew
/// past `max` since its size was looked at.
pub fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>, SkipReason> {
    let unreadable = |e: std::io::Error| SkipReason::Unreadable {
        error: e.to_string(),
    };
    let f = std::fs::File::open(path).map_err(unreadable)?;
    let mut data = Vec::new();
    f.take(max + 1).read_to_end(&mut data).map_err(unreadable)?;
    if data.len() as u64 > max {
        return Err(SkipReason::TooLarge {
            size: data.len() as u64,
            limit: max,
        });
    }
    Ok(data)
}

/// Scans every file under each of `paths` into `session`; files are
/// labelled by their path as given plus the walked part.
pub fn scan_paths(session: &mut Session<'_>, paths: &[PathBuf]) -> std::io::Result<()> {
    for root in paths {
        let base = root.display().to_string();
        let is_dir = std::fs::symlink_metadata(root)?.is_dir();
        walk(root, |e| {
            let label = if is_dir {
                format!("{}/{}", base.trim_end_matches('/'), e.label)
            } else {
                e.label
            };
            match e.kind {
                Kind::File { size } => {
                    if !session.admit(&label, size) {
                        return;
                    }
                    let max = session.limits().max_file_size.min(session.budget());
                    match read_bounded(&e.path, max) {
                        Ok(data) => session.scan(&label, &data),
                        Err(reason) => session.skip(&label, reason),
                    }
                }
                Kind::Other { kind } => session.skip(&label, SkipReason::NotRegular { kind }),
                Kind::Error { error } => session.skip(&label, SkipReason::Unreadable { error }),
            }
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn walks_in_name_order_without_following_links() {
        let dir = tempfile::tempdir().unwrap();
        let r = dir.path();
        std::fs::create_dir_all(r.join("b/c")).unwrap();
        std::fs::write(r.join("z.txt"), "z").unwrap();
        std::fs::write(r.join("a.txt"), "a").unwrap();
        std::fs::write(r.join("b/c/d.txt"), "d").unwrap();
        std::fs::write(r.join("b/e.txt"), "e").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(r.join("b"), r.join("loop")).unwrap();
        let mut seen = Vec::new();
        walk(r, |e| seen.push((e.label, e.kind))).unwrap();
        let labels: Vec<_> = seen.iter().map(|(l, _)| l.as_str()).collect();
        #[cfg(unix)]
        assert_eq!(labels, ["a.txt", "loop", "z.txt", "b/e.txt", "b/c/d.txt"]);
        assert!(
            seen.iter()
                .any(|(l, k)| l == "a.txt" && *k == Kind::File { size: 1 })
        );
    }

    #[test]
    fn read_bounded_refuses_growth() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        std::fs::write(&p, "0123456789").unwrap();
        assert_eq!(read_bounded(&p, 10).unwrap().len(), 10);
        assert_eq!(
            read_bounded(&p, 9).unwrap_err(),
            SkipReason::TooLarge { size: 10, limit: 9 }
        );
    }
}
