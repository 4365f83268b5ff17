//! medsec-cvss through its public API: published examples, invariants
//! (property tests) and conformance with the PyPI `cvss` package.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod conformance;
mod examples;
mod properties;
