//! The reference implementation: Debian's `yara` (libyara 4) runs the
//! same built-in rules over the same files and must report exactly the
//! same (rule, file) pairs as medsec. Skipped, with a message, when
//! `yara` is not installed, unless `MEDSEC_REQUIRE_YARA=1`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{fixtures_dir, scan};

fn yara() -> Option<PathBuf> {
    let exe = std::env::var_os("MEDSEC_YARA").map_or_else(|| PathBuf::from("yara"), PathBuf::from);
    match Command::new(&exe).arg("--version").output() {
        Ok(o) if o.status.success() => Some(exe),
        _ => {
            if std::env::var("MEDSEC_REQUIRE_YARA").as_deref() == Ok("1") {
                panic!("MEDSEC_REQUIRE_YARA=1 but `yara` cannot be run (apt-get install yara)");
            }
            eprintln!("skipped: `yara` (libyara's CLI) is not installed; apt-get install yara");
            None
        }
    }
}

/// (rule, file) pairs from `yara -r RULES… DIR`.
fn run_yara(exe: &Path, rules: &[PathBuf], target: &Path) -> BTreeSet<(String, String)> {
    let out = Command::new(exe)
        .arg("--no-warnings")
        .arg("--recursive")
        .args(rules)
        .arg(target)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "yara failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let (rule, file) = l.split_once(' ').unwrap();
            (rule.to_owned(), file.to_owned())
        })
        .collect()
}

/// A corpus beyond the fixtures: every fixture concatenated with every
/// other (matches at larger offsets, rules whose strings come from
/// different files), plus each fixture with CRLF line ends.
fn mixed_corpus(dir: &Path) -> PathBuf {
    let fixtures = fixtures_dir();
    let mut files = Vec::new();
    for sub in ["malicious", "clean"] {
        let mut names: Vec<_> = std::fs::read_dir(fixtures.join(sub))
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        names.sort();
        files.extend(names);
    }
    let out = dir.join("mixed");
    std::fs::create_dir_all(&out).unwrap();
    for (i, a) in files.iter().enumerate() {
        let da = std::fs::read(a).unwrap();
        let crlf: Vec<u8> = da
            .iter()
            .flat_map(|b| {
                if *b == b'\n' {
                    vec![b'\r', b'\n']
                } else {
                    vec![*b]
                }
            })
            .collect();
        std::fs::write(out.join(format!("crlf-{i}")), crlf).unwrap();
        for (j, b) in files.iter().enumerate() {
            let mut d = da.clone();
            d.extend(std::fs::read(b).unwrap());
            std::fs::write(out.join(format!("cat-{i}-{j}")), d).unwrap();
        }
    }
    out
}

#[test]
fn same_matches_as_libyara() {
    let Some(exe) = yara() else { return };
    let tmp = tempfile::tempdir().unwrap();
    // The embedded text, as medsec compiles it.
    let mut rule_files = Vec::new();
    for (name, text) in medsec_webshell::BUILTIN {
        let p = tmp.path().join(name);
        std::fs::write(&p, text).unwrap();
        rule_files.push(p);
    }
    let fixtures = fixtures_dir();
    let mixed = mixed_corpus(tmp.path());
    let mut compared = 0;
    for target in [fixtures.join("malicious"), fixtures.join("clean"), mixed] {
        let theirs = run_yara(&exe, &rule_files, &target);
        let ours: BTreeSet<(String, String)> = scan(std::slice::from_ref(&target))
            .findings
            .into_iter()
            .map(|f| (f.rule, f.path))
            .collect();
        let only_ours: Vec<_> = ours.difference(&theirs).collect();
        let only_theirs: Vec<_> = theirs.difference(&ours).collect();
        assert!(
            only_ours.is_empty() && only_theirs.is_empty(),
            "{}: only medsec: {only_ours:?}; only yara: {only_theirs:?}",
            target.display()
        );
        compared += ours.len();
    }
    assert!(compared > 500, "{compared} pairs compared");
}
