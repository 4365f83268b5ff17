//! CRAN package versions, as R's `numeric_version` (of which
//! `package_version` is the two-or-more-number kind) reads and orders
//! them: non-negative integers separated by `.` or `-`, compared one by
//! one; when one runs out first it is the smaller, so `1.0` < `1.0.0`
//! (R pads the shorter with -1 when it encodes versions for comparison).
//! `package_version` wants two numbers; one is accepted here because OSV
//! writes `0` and `1` as bounds. R stores the numbers as integers, so
//! each must fit in an `i32`.

use crate::{Scheme, VersionError};

/// An R version. The derived order is R's: number by number, a prefix
/// first.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    numbers: Box<[i32]>,
}

impl Version {
    pub fn parse(text: &str) -> Result<Version, VersionError> {
        let bad = |reason| VersionError::new(Scheme::Cran, text, reason);
        let s = text.trim();
        let numbers = s
            .split(['.', '-'])
            .map(|part| {
                if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad("a part is not a number"));
                }
                part.parse::<i32>()
                    .map_err(|_| bad("a number is too large"))
            })
            .collect::<Result<Box<[i32]>, _>>()?;
        Ok(Version { numbers })
    }
}

#[cfg(test)]
mod tests;
