//! PEP 440 versions (PyPI), as Python's `packaging.version.Version` parses
//! and orders them: epochs, release segments with trailing zeros ignored
//! (`1.0` equals `1.0.0`), `.devN` < `aN` < `bN` < `rcN` < release <
//! `.postN`, local versions after their public version, and the
//! normalisations (case, `-`/`_`/`.` separators, `alpha`/`c`/`pre`/`rev`
//! spellings, implicit numbers, a leading `v`). The work is done by
//! `pep440_rs`, a port of `packaging`; the property tests check it against
//! `packaging` itself. Numbers must fit in 64 bits, which `packaging` does
//! not require.

use std::cmp::Ordering;

use crate::{Scheme, VersionError};

/// A PEP 440 version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version(pep440_rs::Version);

impl Version {
    pub fn parse(text: &str) -> Result<Version, VersionError> {
        text.trim()
            .parse::<pep440_rs::Version>()
            .map(Version)
            .map_err(|e| VersionError::new(Scheme::Pep440, text, e.to_string()))
    }

    /// The version from `pep440_rs`, for callers that need its parts.
    pub fn inner(&self) -> &pep440_rs::Version {
        &self.0
    }
}

impl Ord for Version {
    #[inline]
    fn cmp(&self, other: &Version) -> Ordering {
        self.0.cmp(&other.0)
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Version) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests;
