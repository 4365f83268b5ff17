//! Seeded random vectors of every version, for the conformance test, the
//! property tests and the benchmark: the same seed gives the same
//! vectors on every machine.

use crate::{Group, Version};

/// A splitmix64 stream of random valid vectors.
#[derive(Debug, Clone)]
pub struct Generator {
    state: u64,
}

impl Generator {
    pub fn new(seed: u64) -> Generator {
        Generator { state: seed }
    }

    /// The next 64 random bits (splitmix64).
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (`n` > 0; 0 for 0).
    pub fn below(&mut self, n: usize) -> usize {
        match u64::try_from(n) {
            Ok(0) | Err(_) => 0,
            Ok(n) => usize::try_from(self.next_u64() % n).unwrap_or(0),
        }
    }

    /// A valid vector of `version`: every base metric, each other group
    /// (temporal or threat, environmental, supplemental) with probability
    /// 1/2 and then each of its metrics with probability 1/2, any value
    /// including Not Defined. v2 and v3.x accept metrics in any order, so
    /// one of their vectors in four has them shuffled; v4.0 keeps the
    /// order of its specification.
    pub fn vector(&mut self, version: Version) -> String {
        let metrics = version.metrics();
        let groups = [
            Group::Temporal,
            Group::Threat,
            Group::Environmental,
            Group::Supplemental,
        ]
        .map(|g| (g, self.below(2) == 0));
        let mut parts: Vec<String> = Vec::with_capacity(metrics.len());
        for m in metrics {
            let group_on = groups.iter().any(|&(g, on)| g == m.group && on);
            if m.mandatory() || (group_on && self.below(2) == 0) {
                let value = m.values.get(self.below(m.values.len())).copied();
                parts.push(format!("{}:{}", m.name, value.unwrap_or_default()));
            }
        }
        if version != Version::V4 && self.below(4) == 0 {
            for i in (1..parts.len()).rev() {
                let j = self.below(i + 1);
                parts.swap(i, j);
            }
        }
        format!("{}{}", version.prefix(), parts.join("/"))
    }
}
