//! Non-negative integers of any length, as version components are: most
//! fit a `u64` and compare as one; the rest keep their digits, so that no
//! version is rejected or misordered for being large (timestamps as
//! components are common).

use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Num {
    Small(u64),
    /// Digits without leading zeros, more than a `u64` holds.
    Big(Box<str>),
}

impl Num {
    /// The number written by `digits`, ASCII digits only (callers check).
    pub(crate) fn from_digits(digits: &str) -> Num {
        let significant = digits.trim_start_matches('0');
        match significant.parse::<u64>() {
            Ok(n) => Num::Small(n),
            Err(_) if significant.is_empty() => Num::Small(0),
            Err(_) => Num::Big(significant.into()),
        }
    }

    pub(crate) fn is_zero(&self) -> bool {
        matches!(self, Num::Small(0))
    }
}

impl Ord for Num {
    #[inline]
    fn cmp(&self, other: &Num) -> Ordering {
        match (self, other) {
            (Num::Small(a), Num::Small(b)) => a.cmp(b),
            (Num::Small(_), Num::Big(_)) => Ordering::Less,
            (Num::Big(_), Num::Small(_)) => Ordering::Greater,
            (Num::Big(a), Num::Big(b)) => cmp_digits(a, b),
        }
    }
}

impl PartialOrd for Num {
    fn partial_cmp(&self, other: &Num) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl std::fmt::Display for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Num::Small(n) => write!(f, "{n}"),
            Num::Big(digits) => f.write_str(digits),
        }
    }
}

/// Compares two runs of ASCII digits as numbers: leading zeros aside, the
/// longer is larger, and runs of equal length compare as text.
pub(crate) fn cmp_digits(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}
