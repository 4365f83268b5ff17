//! medsec-vulndb against independent oracles: `cargo audit` on real
//! Cargo.lock files with the same RustSec data (`cargo_audit`), and an
//! OSV evaluator built on Python's `univers` for PyPI, npm and Maven
//! (`univers`). Every difference from an oracle must be listed, with its
//! explanation, in a committed expectations file; a new difference or an
//! entry that no longer occurs fails the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod cargo_audit;
mod support;
mod univers;
