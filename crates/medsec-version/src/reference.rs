//! Test support: random versions from a seeded generator, and batch
//! comparisons by the reference implementations, one process for all the
//! pairs of a scheme: Python's `packaging` and `univers`
//! (`tests/reference/compare.py`, run by `MEDSEC_TEST_PYTHON`) and node's
//! `semver` (`tests/node/compare.js`, run by `MEDSEC_TEST_NODE`). Without
//! the interpreter a check prints "skipped: …" and passes, unless
//! `MEDSEC_REQUIRE_PYTHON=1` or `MEDSEC_REQUIRE_NODE=1` makes that a
//! failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::cmp::Ordering;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

/// SplitMix64: small, seeded, and the same on every machine, so a failure
/// seen once is seen again. `MEDSEC_TEST_SEED` picks another seed.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(stream: u64) -> Rng {
        let seed = std::env::var("MEDSEC_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0x6d65_6473_6563_u64);
        Rng(seed ^ stream.wrapping_mul(0x9e37_79b9_7f4a_7c15))
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True with probability `percent` / 100.
    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    pub(crate) fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    /// A small number, sometimes a larger one, as version parts are.
    pub(crate) fn number(&mut self) -> String {
        match self.below(10) {
            0 => format!("{}", 10 + self.below(90)),
            1 => format!("{}", 2_000_000_000 + self.below(1000)),
            _ => format!("{}", self.below(4)),
        }
    }
}

/// Pairs of versions from `generate`: half independent, half `b` made
/// from `a` by `vary`, so that many pairs differ in one place only, where
/// orderings disagree.
/// Only versions `valid` accepts (ours) are kept: the generators make
/// valid versions, but splicing can make invalid ones.
pub(crate) fn pairs(
    stream: u64,
    count: usize,
    generate: impl Fn(&mut Rng) -> String,
    valid: impl Fn(&str) -> bool,
) -> Vec<(String, String)> {
    let mut rng = Rng::new(stream);
    let mut fresh = |rng: &mut Rng| loop {
        let s = generate(rng);
        if valid(&s) {
            return s;
        }
    };
    (0..count)
        .map(|_| {
            let a = fresh(&mut rng);
            let mut b = None;
            if rng.chance(50) {
                for _ in 0..10 {
                    let s = vary(&mut rng, &a, &mut fresh);
                    if valid(&s) {
                        b = Some(s);
                        break;
                    }
                }
            }
            let b = b.unwrap_or_else(|| fresh(&mut rng));
            (a, b)
        })
        .collect()
}

/// `a` with a change near its end: a piece of another random version
/// spliced in, or the same version again.
fn vary(rng: &mut Rng, a: &str, generate: &mut impl FnMut(&mut Rng) -> String) -> String {
    if rng.chance(10) {
        return a.to_owned();
    }
    let other = generate(rng);
    let cut_a: Vec<usize> = a.char_indices().map(|(i, _)| i).collect();
    let cut_b: Vec<usize> = other.char_indices().map(|(i, _)| i).collect();
    let i = cut_a[cut_a.len() / 2 + rng.below(cut_a.len().div_ceil(2))];
    let j = cut_b[cut_b.len() / 2 + rng.below(cut_b.len().div_ceil(2))];
    format!("{}{}", a.get(..i).unwrap(), other.get(j..).unwrap())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tool {
    /// `tests/reference/compare.py SCHEME FILE` under `MEDSEC_TEST_PYTHON`.
    Python,
    /// `tests/node/compare.js FILE` under `MEDSEC_TEST_NODE`.
    Node,
}

impl Tool {
    fn env(self) -> (&'static str, &'static str) {
        match self {
            Tool::Python => ("MEDSEC_TEST_PYTHON", "MEDSEC_REQUIRE_PYTHON"),
            Tool::Node => ("MEDSEC_TEST_NODE", "MEDSEC_REQUIRE_NODE"),
        }
    }
}

/// The reference's answers for `pairs`: an ordering, or the reference's
/// error for a version it rejects. `None` when the tool is not set up.
pub(crate) fn reference(
    tool: Tool,
    scheme: &str,
    pairs: &[(String, String)],
) -> Option<Vec<Result<Ordering, String>>> {
    let (var, require) = tool.env();
    let Some(program) = std::env::var_os(var) else {
        assert!(
            std::env::var(require).as_deref() != Ok("1"),
            "{require}=1 but {var} is not set"
        );
        eprintln!("skipped: the {scheme} reference check (set {var})");
        return None;
    };
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("pairs.tsv");
    let mut text = String::new();
    for (a, b) in pairs {
        assert!(!a.contains(['\t', '\n']) && !b.contains(['\t', '\n']));
        writeln!(text, "{a}\t{b}").unwrap();
    }
    std::fs::write(&input, text).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut command = Command::new(&program);
    match tool {
        Tool::Python => command
            .arg(root.join("tests/reference/compare.py"))
            .arg(scheme),
        Tool::Node => command.arg(root.join("tests/node/compare.js")),
    };
    let output = command
        .arg(&input)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.to_string_lossy()));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the {scheme} reference failed (for node: `npm ci --prefix crates/medsec-version/tests/node`; \
         for Python: `pip install -r scripts/test-requirements.txt`)\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let answers: Vec<_> = stdout
        .lines()
        .map(|line| match line {
            "-1" => Ok(Ordering::Less),
            "0" => Ok(Ordering::Equal),
            "1" => Ok(Ordering::Greater),
            other => Err(other.to_owned()),
        })
        .collect();
    assert_eq!(answers.len(), pairs.len(), "one answer per pair");
    Some(answers)
}

/// A known case where the reference is not the ecosystem's own tool and
/// answers differently from it; every disagreement with the reference must
/// be one of these, and each one's examples must still disagree.
pub(crate) struct Deviation {
    pub(crate) name: &'static str,
    pub(crate) reason: &'static str,
    /// Does this deviation explain our `ours` against the reference's
    /// `theirs` for `a` vs `b`?
    pub(crate) applies:
        fn(a: &str, b: &str, ours: Ordering, theirs: &Result<Ordering, String>) -> bool,
    /// Pairs that show the deviation, with our (the ecosystem's) answer.
    pub(crate) examples: &'static [(&'static str, Ordering, &'static str)],
}

/// Compares `ours` with the reference on `pairs` and on the deviations'
/// examples, and fails listing every unexplained disagreement.
pub(crate) fn check(
    tool: Tool,
    scheme: &str,
    pairs: &[(String, String)],
    ours: impl Fn(&str, &str) -> Ordering,
    deviations: &[Deviation],
) {
    let mut all: Vec<(String, String)> = pairs.to_vec();
    for d in deviations {
        for (a, _, b) in d.examples {
            all.push(((*a).to_owned(), (*b).to_owned()));
        }
    }
    let Some(answers) = reference(tool, scheme, &all) else {
        return;
    };
    let (random, examples) = answers.split_at(pairs.len());
    let mut unexplained = Vec::new();
    let mut explained = vec![0usize; deviations.len()];
    for ((a, b), theirs) in pairs.iter().zip(random) {
        let mine = ours(a, b);
        if theirs.as_ref() == Ok(&mine) {
            continue;
        }
        match deviations
            .iter()
            .position(|d| (d.applies)(a, b, mine, theirs))
        {
            Some(i) => explained[i] += 1,
            None => unexplained.push(format!("{a} vs {b}: ours {mine:?}, reference {theirs:?}")),
        }
    }
    let mut stale = Vec::new();
    let example_pairs = deviations
        .iter()
        .flat_map(|d| d.examples.iter().map(move |e| (d, e)));
    for ((d, (a, expect, b)), theirs) in example_pairs.zip(examples) {
        let mine = ours(a, b);
        assert_eq!(mine, *expect, "{}: {a} vs {b}", d.name);
        if theirs.as_ref() == Ok(&mine) || !(d.applies)(a, b, mine, theirs) {
            stale.push(format!("{}: {a} vs {b}: reference says {theirs:?}", d.name));
        }
    }
    for (d, n) in deviations.iter().zip(&explained) {
        eprintln!(
            "{scheme}: {n} of {} random pairs differ as known: {} ({})",
            pairs.len(),
            d.name,
            d.reason
        );
    }
    assert!(
        unexplained.is_empty(),
        "{} of {} random {scheme} pairs disagree with the reference:\n{}",
        unexplained.len(),
        pairs.len(),
        unexplained.join("\n")
    );
    assert!(
        stale.is_empty(),
        "deviation examples that no longer deviate (remove or fix them):\n{}",
        stale.join("\n")
    );
}
