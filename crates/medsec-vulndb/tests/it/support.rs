//! Shared test support: the data directory, the reference tools named by
//! the environment, a seeded generator, and the expectations files that
//! list explained differences.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use medsec_vulndb::Database;
use medsec_vulndb::feed::{self, Limits};

pub fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn required(var: &str) -> bool {
    std::env::var(var).as_deref() == Ok("1")
}

/// `MEDSEC_DATA/<sub>` (by default `../shared/data` next to the
/// workspace), or `None` with a note when it is missing; a failure when
/// `MEDSEC_REQUIRE_DATA=1`.
pub fn data(sub: &str, what: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("MEDSEC_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir().join("../../../shared/data"));
    let path = dir.join(sub);
    if path.exists() {
        return Some(path);
    }
    assert!(
        !required("MEDSEC_REQUIRE_DATA"),
        "MEDSEC_REQUIRE_DATA=1 but {} is missing",
        path.display()
    );
    eprintln!(
        "skipped: {what} ({} is missing; set MEDSEC_DATA)",
        path.display()
    );
    None
}

/// The program a variable names, or `None` with a note when it is unset;
/// a failure when the `require` variable is `1`.
pub fn tool(var: &str, require: &str, what: &str) -> Option<PathBuf> {
    match std::env::var_os(var) {
        Some(p) if !p.is_empty() => Some(PathBuf::from(p)),
        _ => {
            assert!(!required(require), "{require}=1 but {var} is not set");
            eprintln!("skipped: {what} (set {var})");
            None
        }
    }
}

/// A database of every feed file under `path`.
pub fn load(paths: &[PathBuf]) -> Database {
    let mut db = Database::new();
    for path in paths {
        let (files, _skipped) = feed::discover(path).unwrap();
        for file in &files {
            feed::read(file, Limits::default(), &mut |r| db.add_record(&r))
                .unwrap_or_else(|e| panic!("{e}"));
        }
    }
    db.build();
    db
}

/// SplitMix64: small, seeded, the same on every machine. `MEDSEC_TEST_SEED`
/// picks another seed.
pub struct Rng(u64);

impl Rng {
    pub fn new(stream: u64) -> Rng {
        let seed = std::env::var("MEDSEC_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0x6d65_6473_6563_u64);
        Rng(seed ^ stream.wrapping_mul(0x9e37_79b9_7f4a_7c15))
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// One difference between medsec and an oracle: a key (which fields
/// depends on the oracle) and which side reported it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Difference {
    pub key: Vec<(&'static str, String)>,
    /// `medsec` or the oracle's name: the side that found it.
    pub found_by: String,
}

impl Difference {
    /// The TOML entry to paste into the expectations file.
    pub fn entry(&self) -> String {
        let mut out = String::from("[[difference]]\n");
        for (k, v) in &self.key {
            writeln!(out, "{k} = {}", toml_string(v)).unwrap();
        }
        writeln!(out, "found_by = {}", toml_string(&self.found_by)).unwrap();
        out.push_str("why = \"\"\n");
        out
    }
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_owned()).to_string()
}

/// The explained differences of an expectations file: TOML with
/// `[[difference]]` tables holding the key fields, `found_by` and `why`.
pub fn expected(path: &Path, fields: &[&'static str]) -> BTreeSet<Difference> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let doc: toml::Table =
        toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out = BTreeSet::new();
    let list = doc
        .get("difference")
        .and_then(toml::Value::as_array)
        .cloned()
        .unwrap_or_default();
    for (i, entry) in list.iter().enumerate() {
        let table = entry
            .as_table()
            .unwrap_or_else(|| panic!("{}: difference[{i}] is not a table", path.display()));
        let get = |k: &str| {
            table
                .get(k)
                .and_then(toml::Value::as_str)
                .unwrap_or_else(|| panic!("{}: difference[{i}] needs `{k}`", path.display()))
                .to_owned()
        };
        let why = get("why");
        assert!(
            why.trim().len() >= 20,
            "{}: difference[{i}] needs a real explanation in `why`",
            path.display()
        );
        let known: BTreeSet<&str> = fields.iter().copied().chain(["found_by", "why"]).collect();
        for k in table.keys() {
            assert!(
                known.contains(k.as_str()),
                "{}: difference[{i}] has an unknown field `{k}`",
                path.display()
            );
        }
        let d = Difference {
            key: fields.iter().map(|&k| (k, get(k))).collect(),
            found_by: get("found_by"),
        };
        assert!(
            out.insert(d.clone()),
            "{}: {d:?} is listed twice",
            path.display()
        );
    }
    out
}

/// Fails unless `found` are exactly the `expected` differences, listing
/// the unexplained ones (as entries to add, once explained) and the stale
/// ones.
pub fn check_differences(
    path: &Path,
    found: &BTreeSet<Difference>,
    expected: &BTreeSet<Difference>,
    scope: impl Fn(&Difference) -> bool,
) {
    let new: Vec<&Difference> = found.difference(expected).collect();
    let stale: Vec<&Difference> = expected.difference(found).filter(|d| scope(d)).collect();
    if new.is_empty() && stale.is_empty() {
        return;
    }
    let mut msg = format!(
        "{}: {} unexplained difference(s), {} stale entr(y/ies)\n",
        path.display(),
        new.len(),
        stale.len()
    );
    if !new.is_empty() {
        msg.push_str("\nUnexplained (investigate; if not our bug, add with an explanation):\n\n");
        for d in &new {
            msg.push_str(&d.entry());
            msg.push('\n');
        }
    }
    if !stale.is_empty() {
        msg.push_str("\nListed but no longer found (remove):\n");
        for d in &stale {
            writeln!(msg, "  {:?} found_by {}", d.key, d.found_by).unwrap();
        }
    }
    panic!("{msg}");
}
