//! Version ordering, exactly as each ecosystem defines it, for matching
//! components against advisory ranges. Pure and allocation-light; every
//! ordering is checked against the ecosystem's reference implementation
//! by property tests (`dpkg --compare-versions` for Debian).

pub mod debian;

/// A version string that its ecosystem does not accept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{version}` is not a valid {ecosystem} version: {reason}")]
pub struct VersionError {
    pub ecosystem: &'static str,
    pub version: String,
    pub reason: &'static str,
}
