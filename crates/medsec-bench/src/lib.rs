//! Code the benchmark programs share: the seeded generator of log events
//! from the loghub samples ([`loghub`]) and what the machine is doing
//! while they measure ([`machine`]).
// Benchmark code: a missing data file or an impossible date is a bug of
// the benchmark, reported by a panic.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod loghub;
pub mod machine;
