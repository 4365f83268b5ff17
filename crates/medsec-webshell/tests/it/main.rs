//! The webshell scanner's test suite: the built-in rules on the fixtures
//! (`tests/fixtures/malicious` must all match, `clean` must not), and the
//! same rules run by the reference implementation, libyara's `yara` CLI.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod fixtures;
mod reference;

use std::path::{Path, PathBuf};

use medsec_webshell::{Limits, Report, Rules, Session};

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// Scans `paths` with the built-in rules.
pub fn scan(paths: &[PathBuf]) -> Report {
    let rules = Rules::builtin().unwrap();
    let mut s = Session::new(&rules, Limits::default());
    medsec_webshell::walk::scan_paths(&mut s, paths).unwrap();
    s.finish()
}
