//! The IO edge of generation: finding and reading the inputs under a
//! directory, as syft 1.18 finds them (`dir:` source), with these
//! differences:
//!
//! - `.git` directories are not entered (syft walks them; they hold no
//!   files of these names, so only time is saved);
//! - directory symlinks are not followed (syft follows them once), so a
//!   rootfs cannot lead the walk out of itself; a file symlink with an
//!   absolute target is resolved inside the scanned root, as in a chroot
//!   (`etc/os-release -> /usr/lib/os-release`), not on this machine;
//! - when the root is `/`, `/proc`, `/sys`, `/dev` and `/run` are skipped
//!   (syft skips them by mount type);
//! - `-r` includes of requirements files are read too, whatever their
//!   name (syft reads only `*requirements*.txt`).
//!
//! Like syft, a `package-lock.json` inside `node_modules` is skipped: it
//! belongs to a dependency, whose packages the project's lockfile lists.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{GenerateError, GenerateErrorKind, Input, InputKind, dpkg, python};
use crate::Limits;
use crate::model::Diagnostic;

/// The inputs found under a path, and what could not be looked at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Collected {
    /// Sorted by path; paths are relative to the scanned directory (or the
    /// file as given).
    pub inputs: Vec<Input>,
    pub warnings: Vec<Diagnostic>,
}

/// Reads the inputs under `path`: every recognised file of a directory
/// tree, or the one file `path` names (recognised by name or content, with
/// the files it includes).
pub fn collect(path: &Path, limits: &Limits) -> Result<Collected, GenerateError> {
    let shown = path.to_string_lossy().into_owned();
    let meta = std::fs::metadata(path).map_err(|e| io_error(&shown, &e))?;
    let mut state = State {
        root: path.to_path_buf(),
        inputs: BTreeMap::new(),
        warnings: Vec::new(),
        total: 0,
        limits,
    };
    if meta.is_dir() {
        state.walk()?;
    } else {
        let bytes = state.read(path, &shown)?;
        let kind = InputKind::detect(&shown, &bytes);
        if kind == Some(InputKind::DpkgStatus) {
            state.add_os_release(&shown)?;
        }
        state.inputs.insert(
            shown.clone(),
            Input {
                path: shown,
                bytes,
                kind,
            },
        );
    }
    state.follow_includes()?;
    Ok(Collected {
        inputs: state.inputs.into_values().collect(),
        warnings: state.warnings,
    })
}

struct State<'a> {
    root: PathBuf,
    /// By `/`-separated path relative to the root.
    inputs: BTreeMap<String, Input>,
    warnings: Vec<Diagnostic>,
    total: usize,
    limits: &'a Limits,
}

impl State<'_> {
    fn walk(&mut self) -> Result<(), GenerateError> {
        let is_fs_root = self.root.parent().is_none();
        let mut stack: Vec<(PathBuf, String)> = vec![(self.root.clone(), String::new())];
        while let Some((dir, rel)) = stack.pop() {
            let entries = match std::fs::read_dir(&dir) {
                Ok(e) => e,
                Err(e) => {
                    self.warn(&rel, format!("not scanned: {e}"));
                    continue;
                }
            };
            for entry in entries {
                let entry = match entry {
                    Ok(e) => e,
                    Err(e) => {
                        self.warn(&rel, format!("not scanned: {e}"));
                        continue;
                    }
                };
                let name = entry.file_name().to_string_lossy().into_owned();
                let child = if rel.is_empty() {
                    name.clone()
                } else {
                    format!("{rel}/{name}")
                };
                let Ok(file_type) = entry.file_type() else {
                    continue;
                };
                if file_type.is_dir() {
                    let skip = name == ".git"
                        || (is_fs_root
                            && rel.is_empty()
                            && matches!(name.as_str(), "proc" | "sys" | "dev" | "run"));
                    if !skip {
                        stack.push((entry.path(), child));
                    }
                    continue;
                }
                if !(file_type.is_file() || file_type.is_symlink()) {
                    continue;
                }
                let Some(kind) = InputKind::from_path(&child) else {
                    continue;
                };
                if kind == InputKind::NpmLock
                    && child.split('/').any(|segment| segment == "node_modules")
                {
                    continue;
                }
                let Some(real) = self.resolve_in_root(&entry.path()) else {
                    self.warn(&child, "a dangling symlink; not read".to_owned());
                    continue;
                };
                if real.is_dir() {
                    continue;
                }
                let bytes = self.read(&real, &child)?;
                self.inputs.insert(
                    child.clone(),
                    Input {
                        path: child,
                        bytes,
                        kind: Some(kind),
                    },
                );
            }
        }
        Ok(())
    }

    /// Reads the files that requirements files include with `-r`, and
    /// those they include, once each.
    fn follow_includes(&mut self) -> Result<(), GenerateError> {
        let mut queue: Vec<String> = self
            .inputs
            .values()
            .filter(|i| i.kind == Some(InputKind::Requirements))
            .map(|i| i.path.clone())
            .collect();
        // Includes nest; cycles are stopped by the `contains_key` check and
        // runaway chains by the bound.
        let mut budget = 1000;
        while let Some(path) = queue.pop() {
            let Some(input) = self.inputs.get(&path) else {
                continue;
            };
            let text = String::from_utf8_lossy(&input.bytes).into_owned();
            for target in python::includes(&text) {
                let rel = python::include_path(&path, &target);
                if self.inputs.contains_key(&rel) {
                    continue;
                }
                budget -= 1;
                if budget == 0 {
                    return Ok(());
                }
                let on_disk = if Path::new(&rel).is_absolute() {
                    PathBuf::from(&rel)
                } else if self.root.is_dir() {
                    self.root.join(&rel)
                } else {
                    PathBuf::from(&rel)
                };
                if !on_disk.is_file() {
                    self.warn(&path, format!("`-r {target}`: {rel} does not exist"));
                    continue;
                }
                let bytes = self.read(&on_disk, &rel)?;
                self.inputs.insert(
                    rel.clone(),
                    Input {
                        path: rel.clone(),
                        bytes,
                        kind: Some(InputKind::Requirements),
                    },
                );
                queue.push(rel);
            }
        }
        Ok(())
    }

    /// For a dpkg database given alone, the `os-release` of its root, so
    /// that `/var/lib/dpkg/status` finds `/etc/os-release`.
    fn add_os_release(&mut self, status: &str) -> Result<(), GenerateError> {
        let Some(prefix) = dpkg::root_of(status) else {
            return Ok(());
        };
        let root = if prefix.is_empty() {
            PathBuf::from(".")
        } else {
            PathBuf::from(prefix)
        };
        for candidate in ["etc/os-release", "usr/lib/os-release"] {
            let shown = format!("{prefix}{candidate}");
            let finder = State {
                root: root.clone(),
                inputs: BTreeMap::new(),
                warnings: Vec::new(),
                total: 0,
                limits: self.limits,
            };
            let Some(real) = finder.resolve_in_root(&root.join(candidate)) else {
                continue;
            };
            if real.is_file() {
                let bytes = self.read(&real, &shown)?;
                self.inputs.insert(
                    shown.clone(),
                    Input {
                        path: shown,
                        bytes,
                        kind: Some(InputKind::OsRelease),
                    },
                );
                return Ok(());
            }
        }
        Ok(())
    }

    /// `path` with symlinks resolved as if the root were `/`: an absolute
    /// target is taken inside the root. `None` for a dangling link or a
    /// loop.
    fn resolve_in_root(&self, path: &Path) -> Option<PathBuf> {
        let mut current = path.to_path_buf();
        for _ in 0..16 {
            let meta = std::fs::symlink_metadata(&current).ok()?;
            if !meta.file_type().is_symlink() {
                return Some(current);
            }
            let target = std::fs::read_link(&current).ok()?;
            current = if target.is_absolute() {
                let inside = target.strip_prefix("/").unwrap_or(&target);
                self.root.join(inside)
            } else {
                current.parent()?.join(target)
            };
        }
        None
    }

    fn read(&mut self, path: &Path, shown: &str) -> Result<Vec<u8>, GenerateError> {
        let len = std::fs::metadata(path)
            .map_err(|e| io_error(shown, &e))?
            .len();
        let max = self.limits.max_bytes;
        if usize::try_from(len).map_or(true, |l| l > max || self.total + l > max) {
            return Err(GenerateError::new(
                GenerateErrorKind::TooLarge,
                shown,
                None,
                format!("{len} bytes would take the inputs over the limit of {max} bytes"),
            ));
        }
        let bytes = std::fs::read(path).map_err(|e| io_error(shown, &e))?;
        self.total += bytes.len();
        Ok(bytes)
    }

    fn warn(&mut self, rel: &str, message: String) {
        self.warnings.push(Diagnostic {
            location: if rel.is_empty() {
                ".".to_owned()
            } else {
                rel.to_owned()
            },
            message,
        });
    }
}

fn io_error(shown: &str, e: &std::io::Error) -> GenerateError {
    GenerateError::new(GenerateErrorKind::Io, shown, None, e.to_string())
}
