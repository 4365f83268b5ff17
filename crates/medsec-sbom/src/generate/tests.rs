//! Tests of generation through the public entry points: every fixture
//! directory under `tests/generate/` against its snapshot
//! (`tests/generate/NAME.snap`; `MEDSEC_BLESS=1` rewrites them), the NTIA
//! check, the writers, errors with their positions, and robustness.

use std::path::PathBuf;

use proptest::prelude::*;

use super::*;
use crate::model::ComponentId;
use crate::ntia::{self, Element};

const CREATED: &str = "2025-06-01T09:30:00Z";

fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/generate")
}

/// Every fixture directory, by name.
fn fixture_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn options() -> Options {
    Options {
        created: Some(CREATED.to_owned()),
        ..Options::default()
    }
}

fn generate_dir(name: &str, options: &Options) -> Sbom {
    generate_path(&fixtures_dir().join(name), options).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The SBOM in one text: a line per component (purl, scope, hashes,
/// supplier, licences, properties but the input), the edges, the
/// warnings and the NTIA elements that fail.
fn render(sbom: &Sbom) -> String {
    let mut out = String::new();
    for c in &sbom.components {
        let mut line = c.id.to_string();
        if c.id.as_str() != c.purl.as_ref().map_or("", |p| p.as_str()) {
            line.push_str(&format!(
                " purl={:?}",
                c.purl.as_ref().map(|p| p.to_string())
            ));
        }
        if let Some(g) = &c.group {
            line.push_str(&format!(" group={g}"));
        }
        line.push_str(&format!(" name={}", c.name));
        if let Some(s) = &c.scope {
            line.push_str(&format!(" scope={s}"));
        }
        for h in &c.hashes {
            let short: String = h.value.chars().take(12).collect();
            line.push_str(&format!(" {}={short}", h.alg));
        }
        if let Some(s) = &c.supplier {
            line.push_str(&format!(" supplier={s:?}", s = s.to_string()));
        }
        for l in &c.licenses {
            line.push_str(&format!(" license={l}"));
        }
        for (k, v) in &c.properties {
            if k == FOUND_IN {
                continue;
            }
            let v: String = if k == FILE_HASH {
                v.chars().take(19).collect()
            } else {
                v.clone()
            };
            line.push_str(&format!(" {k}={v:?}"));
        }
        out.push_str(&line);
        out.push('\n');
    }
    out.push_str("-- dependencies\n");
    for d in &sbom.dependencies {
        out.push_str(&format!("{} -> {}\n", d.from, d.to));
    }
    out.push_str("-- warnings\n");
    for w in &sbom.warnings {
        out.push_str(&format!("{w}\n"));
    }
    out.push_str("-- ntia\n");
    for e in ntia::check(sbom).elements {
        if !e.passed {
            out.push_str(&format!(
                "{}: fails ({} of {} components)\n",
                e.element,
                e.failing.len(),
                sbom.components.len()
            ));
        }
    }
    out
}

#[test]
fn fixtures_match_their_snapshots() {
    let bless = std::env::var("MEDSEC_BLESS").as_deref() == Ok("1");
    let mut stale = Vec::new();
    for name in fixture_names() {
        let sbom = generate_dir(&name, &options());
        let actual = render(&sbom);
        let path = fixtures_dir().join(format!("{name}.snap"));
        let expected = std::fs::read_to_string(&path).unwrap_or_default();
        if actual != expected {
            if bless {
                std::fs::write(&path, &actual).unwrap();
            } else {
                stale.push(format!("--- {name} ---\n{actual}"));
            }
        }
    }
    assert!(
        stale.is_empty(),
        "snapshots differ (MEDSEC_BLESS=1 rewrites them):\n{}",
        stale.join("\n")
    );
}

#[test]
fn every_fixture_directory_has_a_snapshot() {
    for entry in std::fs::read_dir(fixtures_dir()).unwrap() {
        let p = entry.unwrap().path();
        if p.extension().is_some_and(|e| e == "snap") {
            let dir = p.with_extension("");
            assert!(dir.is_dir(), "{} has no fixture directory", p.display());
        }
    }
}

/// The NTIA elements that fail for a fixture, with and without a product.
#[track_caller]
fn check_ntia(name: &str, with_product: bool, failing: &[Element]) {
    let mut options = options();
    if with_product {
        options.product = Some(Product {
            name: "Infusion pump".to_owned(),
            version: Some("3.1.0".to_owned()),
            supplier: Some(Party::organization("ACME Medical")),
            purl: Purl::parse("pkg:generic/acme/infusion-pump@3.1.0").ok(),
        });
    }
    let sbom = generate_dir(name, &options);
    let report = ntia::check(&sbom);
    let actual: Vec<Element> = report
        .elements
        .iter()
        .filter(|e| !e.passed)
        .map(|e| e.element)
        .collect();
    assert_eq!(actual, failing, "{name} (product: {with_product})");
}

#[test]
fn ntia_as_far_as_the_inputs_allow() {
    use Element::*;
    // dpkg names suppliers; lockfiles do not.
    check_ntia("dpkg", false, &[]);
    check_ntia("dpkg", true, &[]);
    for name in ["cargo-v1", "cargo-v3", "npm-v1", "npm-v3", "python-uv"] {
        check_ntia(name, false, &[Supplier]);
        check_ntia(name, true, &[Supplier]);
    }
    // Without a graph, or without the project's own entry (poetry.lock
    // does not list the project), relationships need the product.
    for name in ["python-requirements", "python-pipfile", "python-poetry"] {
        check_ntia(name, false, &[Supplier, DependencyRelationship]);
        check_ntia(name, true, &[Supplier]);
    }
}

#[test]
fn without_a_timestamp_the_sbom_says_so() {
    let sbom = generate_dir("cargo-v3", &Options::default());
    assert_eq!(sbom.created, None);
    let report = ntia::check(&sbom);
    assert!(!report.get(Element::Timestamp).unwrap().passed);
    assert_eq!(sbom.authors[0].name, "medsec");
}

#[test]
fn product_is_the_subject_and_supplies_the_projects_own_packages() {
    let mut options = options();
    options.product = Some(Product {
        name: "pump".to_owned(),
        version: Some("3.1.0".to_owned()),
        supplier: Some(Party::organization("ACME Medical")),
        purl: None,
    });
    let sbom = generate_dir("cargo-v3", &options);
    assert_eq!(sbom.subject.as_ref().unwrap().as_str(), PRODUCT_ID);
    assert_eq!(sbom.components[0].id.as_str(), PRODUCT_ID);
    // Only pump-app has no dependent.
    let product = ComponentId::new(PRODUCT_ID);
    let roots: Vec<&str> = sbom
        .dependencies_of(&product)
        .map(|id| id.as_str())
        .collect();
    assert_eq!(roots, ["pkg:cargo/pump-app@3.1.0"]);
    let own: Vec<(&str, Option<&str>)> = sbom
        .components
        .iter()
        .filter(|c| c.property(LOCAL) == Some("true"))
        .map(|c| {
            (
                c.name.as_str(),
                c.supplier.as_ref().map(|s| s.name.as_str()),
            )
        })
        .collect();
    assert_eq!(
        own,
        [
            ("pump-app", Some("ACME Medical")),
            ("pump-hal", Some("ACME Medical")),
            ("pump-proto", Some("ACME Medical"))
        ]
    );
}

#[test]
fn development_packages_are_left_out_unless_asked_for() {
    let mut with_dev = options();
    with_dev.include_dev = true;
    for (name, dev) in [
        ("npm-v1", 8),
        ("npm-v3", 71),
        ("python-poetry", 5),
        ("python-pipfile", 4),
        ("python-uv", 5),
    ] {
        let without = generate_dir(name, &options());
        let with = generate_dir(name, &with_dev);
        let excluded = with
            .components
            .iter()
            .filter(|c| c.scope.as_deref() == Some("excluded"))
            .count();
        assert_eq!(excluded, dev, "{name}");
        assert_eq!(
            with.components.len() - without.components.len(),
            dev,
            "{name}"
        );
        assert!(
            without
                .components
                .iter()
                .all(|c| c.scope.as_deref() != Some("excluded")),
            "{name}"
        );
    }
}

#[test]
fn writers_take_the_generated_sbom() {
    for name in fixture_names() {
        let sbom = generate_dir(&name, &options());
        let purls = |s: &Sbom| -> Vec<String> {
            let mut v: Vec<String> = s
                .components
                .iter()
                .filter_map(|c| c.purl.as_ref().map(|p| p.to_string()))
                .collect();
            v.sort();
            v
        };
        for text in [
            crate::write_cyclonedx_json(&sbom),
            crate::write_cyclonedx_xml(&sbom),
            crate::write_spdx_json(&sbom),
        ] {
            let back = crate::read(text.as_bytes()).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(purls(&back), purls(&sbom), "{name}");
            assert_eq!(
                ntia::check(&back).passed(),
                ntia::check(&sbom).passed(),
                "{name}"
            );
        }
    }
}

#[test]
fn the_workspaces_own_cargo_lock() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../Cargo.lock");
    let text = std::fs::read_to_string(&path).unwrap();
    let sbom = generate_path(&path, &options()).unwrap();
    let packages = text.matches("[[package]]").count();
    assert_eq!(sbom.components.len(), packages);
    assert!(sbom.warnings.is_empty(), "{:?}", sbom.warnings);
    let own = sbom
        .components
        .iter()
        .filter(|c| c.property(LOCAL) == Some("true"))
        .count();
    let path_crates = text
        .split("[[package]]")
        .skip(1)
        .filter(|block| !block.contains("\nsource = "))
        .count();
    assert_eq!(own, path_crates);
    let me = sbom
        .components
        .iter()
        .find(|c| c.name == "medsec-sbom")
        .unwrap();
    assert!(
        sbom.dependencies_of(&me.id)
            .any(|d| d.as_str().starts_with("pkg:cargo/toml@"))
    );
    // Every registry crate has its checksum.
    assert!(
        sbom.components
            .iter()
            .filter(|c| c.property(LOCAL).is_none())
            .all(|c| c.hashes.len() == 1)
    );
}

// ---------------------------------------------------------------------
// Recognising inputs

#[test]
fn inputs_are_recognised_by_name_then_content() {
    use InputKind::*;
    let by_name = [
        ("Cargo.lock", Some(CargoLock)),
        ("a/b/package-lock.json", Some(NpmLock)),
        ("npm-shrinkwrap.json", Some(NpmLock)),
        ("requirements.txt", Some(Requirements)),
        ("ci/dev-requirements-3.11.txt", Some(Requirements)),
        ("requirements.in", None),
        ("poetry.lock", Some(PoetryLock)),
        ("Pipfile.lock", Some(PipfileLock)),
        ("uv.lock", Some(UvLock)),
        ("var/lib/dpkg/status", Some(DpkgStatus)),
        ("rootfs/usr/lib/dpkg/status", Some(DpkgStatus)),
        ("var/lib/dpkg/status.d/libc6", Some(DpkgStatus)),
        ("var/lib/dpkg/status.d/libc6.md5sums", None),
        ("var/lib/dpkg/status-old", None),
        ("status", None),
        ("etc/os-release", Some(OsRelease)),
        ("rootfs/usr/lib/os-release", Some(OsRelease)),
        ("os-release", Some(OsRelease)),
        ("docs/os-release", None),
        ("package.json", None),
    ];
    for (path, kind) in by_name {
        assert_eq!(InputKind::from_path(path), kind, "{path}");
    }
    let by_content: [(&str, Option<InputKind>); 8] = [
        (
            "{\n  \"name\": \"x\",\n  \"lockfileVersion\": 3",
            Some(NpmLock),
        ),
        ("{\"_meta\": {\"pipfile-spec\": 6}}", Some(PipfileLock)),
        (
            "# This file is automatically @generated by Cargo.\nversion = 4\n",
            Some(CargoLock),
        ),
        (
            "# This file is automatically @generated by Poetry 2.1.2",
            Some(PoetryLock),
        ),
        (
            "version = 1\nrequires-python = \">=3.11\"\n\n[[package]]\n",
            Some(UvLock),
        ),
        (
            "Package: libc6\nStatus: install ok installed\n",
            Some(DpkgStatus),
        ),
        ("NAME=Debian\nID=debian\n", Some(OsRelease)),
        ("{\"bomFormat\": \"CycloneDX\"}", None),
    ];
    for (text, kind) in by_content {
        assert_eq!(
            InputKind::detect("upload.bin", text.as_bytes()),
            kind,
            "{text}"
        );
    }
}

// ---------------------------------------------------------------------
// Errors

/// Generating from one input named `path` fails with `kind` and the
/// message `expect` (as displayed).
#[track_caller]
fn check_error(path: &str, text: &str, kind: GenerateErrorKind, expect: &str) {
    match generate(&[Input::new(path, text)], &options()) {
        Ok(s) => panic!("{path}: read {} components", s.components.len()),
        Err(e) => {
            assert_eq!(e.to_string(), expect);
            assert_eq!(e.kind, kind, "{e}");
        }
    }
}

#[test]
fn errors_name_the_file_the_place_and_the_problem() {
    use GenerateErrorKind::*;
    check_error(
        "Cargo.lock",
        "version = 3\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n\n[[package]]\nname = \"b\"\n",
        Invalid,
        "Cargo.lock:7:1: package[1]: missing field `version`",
    );
    check_error(
        "Cargo.lock",
        "version = 3\n[[package]]\nname = \"a\"\nversion = 1\n",
        Invalid,
        "Cargo.lock:4:11: package[0].version: invalid type: integer `1`, expected a string",
    );
    check_error(
        "Cargo.lock",
        "version = 3\n[[package]\nname = \"a\"\n",
        Syntax,
        "Cargo.lock:2:11: unclosed array table, expected `]`",
    );
    check_error(
        "Cargo.lock",
        "version = 7\n",
        UnsupportedVersion,
        "Cargo.lock:1:11: lockfile version 7 is not supported (versions 1 to 4 are)",
    );
    check_error(
        "Cargo.lock",
        "[[package]]\nname = \"\"\nversion = \"1.0.0\"\n",
        Invalid,
        "Cargo.lock:2: a package without a name",
    );
    check_error(
        "app/package-lock.json",
        "{\"lockfileVersion\": 3, \"packages\": {\"node_modules/ms\": {\"version\": 2}}}",
        Invalid,
        "app/package-lock.json:1:68: packages.node_modules/ms.version: invalid type: integer `2`, expected a string",
    );
    check_error(
        "package-lock.json",
        "{\"lockfileVersion\": 3, \"packages\": {",
        Syntax,
        "package-lock.json:1:36: packages: EOF while parsing an object",
    );
    check_error(
        "package-lock.json",
        "{\"lockfileVersion\": 4, \"packages\": {}}",
        UnsupportedVersion,
        "package-lock.json: lockfileVersion: lockfile version 4 is not supported (versions 1 to 3 are)",
    );
    check_error(
        "package-lock.json",
        "{\"lockfileVersion\": 1}",
        Invalid,
        "package-lock.json: lockfile version 1 without `dependencies`",
    );
    check_error(
        "requirements.txt",
        "# pinned\nrequests==2.32.3\nflask=3.0.0\n",
        Invalid,
        "requirements.txt:3: `flask=3.0.0`: `=3.0.0` is not a version specifier",
    );
    check_error(
        "requirements.txt",
        "requests==2.32.3 \\\n    --hash=md5:0123\n",
        Invalid,
        "requirements.txt:1: `--hash=md5:0123`: pip accepts sha256, sha384 and sha512 digests in hex",
    );
    check_error(
        "requirements.txt",
        "--frobnicate\n",
        Invalid,
        "requirements.txt:1: unknown option `--frobnicate`",
    );
    check_error(
        "Pipfile.lock",
        "{\"_meta\": {}, \"default\": {\"requests\": {\"version\": [\"==1\"]}}}",
        Invalid,
        "Pipfile.lock:1:50: default.requests.version: invalid type: sequence, expected a string",
    );
    check_error(
        "poetry.lock",
        "[[package]]\nname = \"a\"\nversion = \"1\"\n\n[metadata]\nlock-version = \"3.0\"\n",
        UnsupportedVersion,
        "poetry.lock:6:16: lock version 3.0 is not supported (1.x and 2.x are)",
    );
    check_error(
        "uv.lock",
        "version = 1\n[[package]]\nname = \"a\"\nversion = \"1\"\ndependencies = [{ nam = \"b\" }]\n",
        Invalid,
        "uv.lock:5:17: package[0].dependencies[0]: missing field `name`",
    );
    check_error(
        "rootfs/var/lib/dpkg/status",
        "Package: a\nStatus: install ok installed\nVersion: 1\n\n Description: x\n",
        Invalid,
        "rootfs/var/lib/dpkg/status:5: a continuation line without a field before it",
    );
    check_error(
        "var/lib/dpkg/status",
        "Package: a\nStatus: install ok installed\nVersion 1\n",
        Invalid,
        "var/lib/dpkg/status:3: `Version 1` is not a `Field: value` line",
    );
    check_error(
        "var/lib/dpkg/status",
        "Package: a\nStatus: install ok installed\nVersion: 1\n\nPackage: b\nVersion: 2\n",
        Invalid,
        "var/lib/dpkg/status:5: package `b` has no `Status` field",
    );
    check_error(
        "var/lib/dpkg/status",
        "Package: a\nStatus: install ok installed\nVersion: 1\nVersion: 2\n",
        Invalid,
        "var/lib/dpkg/status:4: field `Version` appears twice in this stanza",
    );
    check_error(
        "var/lib/dpkg/status",
        "Package: a\nStatus: install ok installed\n",
        Invalid,
        "var/lib/dpkg/status:1: package `a` has no `Version` field",
    );
    check_error(
        "notes.md",
        "# Release notes\n",
        Unrecognised,
        "notes.md: not a Cargo.lock, package-lock.json, requirements file, poetry.lock, \
         Pipfile.lock, uv.lock, dpkg status or os-release file",
    );
    let e = generate(
        &[Input::new(
            "Cargo.lock",
            b"version = 3\nname = \"\xff\"\n".to_vec(),
        )],
        &options(),
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "Cargo.lock:2:9: not UTF-8");
    assert_eq!(e.kind, Syntax);
}

#[test]
fn keep_going_turns_a_bad_input_into_a_warning() {
    let inputs = [
        Input::new("a/Cargo.lock", "version = 3\n[[package]]\n"),
        Input::new("b/requirements.txt", "requests==2.32.3\n"),
    ];
    assert!(generate(&inputs, &options()).is_err());
    let mut keep_going = options();
    keep_going.keep_going = true;
    let sbom = generate(&inputs, &keep_going).unwrap();
    assert_eq!(sbom.components.len(), 1);
    assert_eq!(
        sbom.warnings[0].to_string(),
        "a/Cargo.lock:2:1: package[0]: missing field `name`; the file was skipped"
    );
}

#[test]
fn limits_hold() {
    let mut small = options();
    small.limits.max_bytes = 10;
    let e = generate(
        &[Input::new("requirements.txt", "requests==2.32.3\n")],
        &small,
    )
    .unwrap_err();
    assert_eq!(e.kind, GenerateErrorKind::TooLarge);
    let mut few = options();
    few.limits.max_components = 1;
    let e = generate(&[Input::new("requirements.txt", "a==1\nb==2\n")], &few).unwrap_err();
    assert_eq!(e.kind, GenerateErrorKind::TooManyComponents);
    let mut bad_time = options();
    bad_time.created = Some("yesterday".to_owned());
    let e = generate(&[], &bad_time).unwrap_err();
    assert_eq!(e.kind, GenerateErrorKind::Options);
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let json = format!(
        "{{\"lockfileVersion\": 1, \"dependencies\": {}{}}}",
        "{\"a\": {\"version\": \"1\", \"dependencies\": ".repeat(100_000),
        "}".repeat(100_000)
    );
    let e = generate(&[Input::new("package-lock.json", json)], &options()).unwrap_err();
    assert_eq!(e.kind, GenerateErrorKind::TooDeep, "{e}");
    let toml = format!(
        "version = 3\nx = {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let e = generate(&[Input::new("Cargo.lock", toml)], &options()).unwrap_err();
    assert_eq!(e.kind, GenerateErrorKind::TooDeep, "{e}");
}

// ---------------------------------------------------------------------
// Robustness: no input makes generation panic.

/// Every fixture file, with its path relative to its fixture directory.
fn fixture_files() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for name in fixture_names() {
        let collected = collect(&fixtures_dir().join(&name), &Limits::default()).unwrap();
        for input in collected.inputs {
            out.push((input.path, input.bytes));
        }
    }
    out
}

fn no_panic(path: &str, bytes: &[u8]) {
    // Only a panic fails: errors are expected outcomes.
    let _ = generate(&[Input::new(path, bytes)], &options());
    for kind in InputKind::ALL {
        let mut input = Input::new(path, bytes);
        input.kind = Some(kind);
        let _ = generate(&[input], &options());
    }
}

#[test]
fn truncated_fixtures_never_panic() {
    for (path, bytes) in fixture_files() {
        // Every cut of the first and last 512 bytes, and 500 spread over
        // the rest: structure breaks at every kind of place without the
        // test taking minutes.
        let n = bytes.len();
        let step = (n / 500).max(1);
        let cuts = (0..=n.min(512))
            .chain((0..=n).step_by(step))
            .chain(n.saturating_sub(512)..=n);
        for cut in cuts {
            let prefix = &bytes[..cut];
            let _ = generate(&[Input::new(path.as_str(), prefix)], &options());
        }
        no_panic(&path, &bytes);
    }
}

fn mutated() -> impl Strategy<Value = (String, Vec<u8>)> {
    let files = prop::sample::select(fixture_files());
    let edits = prop::collection::vec((any::<prop::sample::Index>(), 0u8..4, any::<u8>()), 1..8);
    (files, edits).prop_map(|((path, bytes), edits)| {
        let mut b = bytes;
        for (at, op, byte) in edits {
            if b.is_empty() {
                break;
            }
            let i = at.index(b.len());
            match op {
                0 => b[i] = byte,
                1 => b.insert(i, byte),
                2 => {
                    b.remove(i);
                }
                // Structural characters are what parsers trip over.
                _ => b[i] = *at.get(b"{}[]\":,=\n |()#\\@"),
            }
        }
        (path, b)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn mutated_fixtures_never_panic((path, bytes) in mutated()) {
        no_panic(&path, &bytes);
    }

    #[test]
    fn random_text_never_panics(text in "(Package: |Status: install ok installed\n|Depends: | \\| |\\(|\\)|==|--hash=sha256:|-r |\\[\\[package\\]\\]|name = |\"|\\{|\\}|\\[|\\]|:|,|node_modules/|[a-z0-9 .\n]){0,64}") {
        for path in ["Cargo.lock", "package-lock.json", "requirements.txt", "poetry.lock", "uv.lock", "var/lib/dpkg/status"] {
            let _ = generate(&[Input::new(path, text.as_bytes())], &options());
        }
    }
}

#[test]
fn a_status_file_alone_finds_the_os_release_of_its_root() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("var/lib/dpkg")).unwrap();
    std::fs::create_dir_all(root.join("usr/lib")).unwrap();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(
        root.join("var/lib/dpkg/status"),
        "Package: base-files\nStatus: install ok installed\nArchitecture: amd64\nVersion: 13.8\n",
    )
    .unwrap();
    std::fs::write(
        root.join("usr/lib/os-release"),
        "ID=debian\nVERSION_ID=\"13\"\n",
    )
    .unwrap();
    // An absolute link, as Debian ships it, resolved inside the root.
    std::os::unix::fs::symlink("/usr/lib/os-release", root.join("etc/os-release")).unwrap();
    let purl = |sbom: &Sbom| sbom.components[0].purl.as_ref().unwrap().to_string();
    let expect = "pkg:deb/debian/base-files@13.8?arch=amd64&distro=debian-13";
    let sbom = generate_path(&root.join("var/lib/dpkg/status"), &options()).unwrap();
    assert_eq!(purl(&sbom), expect);
    let sbom = generate_path(root, &options()).unwrap();
    assert_eq!(purl(&sbom), expect);
    assert!(sbom.warnings.is_empty(), "{:?}", sbom.warnings);
}

#[test]
fn the_walk_skips_git_and_lockfiles_of_dependencies() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let lock =
        "{\"lockfileVersion\": 3, \"packages\": {\"node_modules/ms\": {\"version\": \"2.1.3\"}}}";
    std::fs::create_dir_all(root.join("node_modules/x")).unwrap();
    std::fs::create_dir_all(root.join(".git/refs")).unwrap();
    std::fs::write(root.join("package-lock.json"), lock).unwrap();
    std::fs::write(root.join("node_modules/x/package-lock.json"), lock).unwrap();
    std::fs::write(root.join(".git/refs/Cargo.lock"), "not toml [").unwrap();
    std::fs::write(
        root.join("node_modules/x/requirements.txt"),
        "six==1.16.0\n",
    )
    .unwrap();
    let collected = collect(root, &Limits::default()).unwrap();
    let paths: Vec<&str> = collected.inputs.iter().map(|i| i.path.as_str()).collect();
    // Like syft, only package-lock.json is skipped inside node_modules.
    assert_eq!(
        paths,
        ["node_modules/x/requirements.txt", "package-lock.json"]
    );
}

#[test]
fn a_missing_include_is_reported() {
    let sbom = generate(
        &[Input::new(
            "app/requirements.txt",
            "-r base.txt\nsix==1.16.0\n",
        )],
        &options(),
    )
    .unwrap();
    assert_eq!(
        sbom.warnings[0].to_string(),
        "app/requirements.txt:1: `-r base.txt`: app/base.txt is not among the inputs; its \
         requirements are not in the SBOM"
    );
}

#[test]
fn one_package_in_two_inputs_is_one_component() {
    let inputs = [
        Input::new("a/requirements.txt", "six==1.16.0 --hash=sha256:aa\n"),
        Input::new("b/requirements.txt", "Six==1.16.0\n"),
    ];
    let sbom = generate(&inputs, &options()).unwrap();
    assert_eq!(sbom.components.len(), 1);
    let found: Vec<&str> = sbom.components[0]
        .properties
        .iter()
        .filter(|(k, _)| k == FOUND_IN)
        .map(|(_, v)| v.as_str())
        .collect();
    assert_eq!(found, ["a/requirements.txt", "b/requirements.txt"]);
}

// ---------------------------------------------------------------------
// Corners of the formats the fixtures do not show

/// Components and edges of `inputs`, one line each, ids shortened to
/// `name@version` (and `:arch` for deb).
fn graph(inputs: &[Input]) -> String {
    let sbom = generate(inputs, &options()).unwrap_or_else(|e| panic!("{e}"));
    let short = |id: &str| {
        let c = sbom.component(&ComponentId::new(id)).unwrap();
        let arch = c
            .purl
            .as_ref()
            .and_then(|p| p.qualifiers().get("arch").cloned())
            .map(|a| format!(":{a}"))
            .unwrap_or_default();
        format!(
            "{}@{}{arch}",
            c.display_name(),
            c.version.as_deref().unwrap_or("-")
        )
    };
    let mut out: Vec<String> = sbom
        .components
        .iter()
        .map(|c| short(c.id.as_str()))
        .collect();
    out.extend(
        sbom.dependencies
            .iter()
            .map(|d| format!("{} -> {}", short(d.from.as_str()), short(d.to.as_str()))),
    );
    out.extend(sbom.warnings.iter().map(|w| format!("! {w}")));
    out.join("\n")
}

#[test]
fn dpkg_architectures_provides_and_distroless() {
    let status = "\
Package: libc6
Status: install ok installed
Architecture: amd64
Version: 2.36-9
Multi-Arch: same

Package: libc6
Status: install ok installed
Architecture: i386
Version: 2.36-9
Multi-Arch: same

Package: mawk
Status: install ok installed
Architecture: amd64
Version: 1.3.4
Provides: awk
Pre-Depends: libc6 (>= 2.29)

Package: base-files
Status: install ok installed
Architecture: amd64
Version: 12.4
Pre-Depends: awk

Package: wine32
Status: install ok installed
Architecture: i386
Version: 8.0
Depends: libc6 (>= 2.36), perl:any | mawk:any
";
    assert_eq!(
        graph(&[
            Input::new("var/lib/dpkg/status", status),
            Input::new("etc/os-release", "ID=debian\nVERSION_ID=12\n"),
        ]),
        "\
base-files@12.4:amd64
libc6@2.36-9:amd64
libc6@2.36-9:i386
mawk@1.3.4:amd64
wine32@8.0:i386
base-files@12.4:amd64 -> mawk@1.3.4:amd64
mawk@1.3.4:amd64 -> libc6@2.36-9:amd64
wine32@8.0:i386 -> libc6@2.36-9:i386
wine32@8.0:i386 -> mawk@1.3.4:amd64"
    );
    // Distroless: one stanza per file, no Status.
    assert_eq!(
        graph(&[
            Input::new(
                "var/lib/dpkg/status.d/tzdata",
                "Package: tzdata\nVersion: 2025b\nArchitecture: all\n"
            ),
            Input::new("etc/os-release", "ID=debian\nVERSION_ID=12\n"),
        ]),
        "tzdata@2025b:all"
    );
}

#[test]
fn cargo_v1_git_sources_and_npm_v2() {
    let cargo = "\
[[package]]
name = \"app\"
version = \"0.1.0\"
dependencies = [
 \"hal 0.4.0 (git+https://example.com/hal?branch=main#0123abcd)\",
]

[[package]]
name = \"hal\"
version = \"0.4.0\"
source = \"git+https://example.com/hal?branch=main#0123abcd\"
";
    assert_eq!(
        graph(&[Input::new("Cargo.lock", cargo)]),
        "app@0.1.0\nhal@0.4.0\napp@0.1.0 -> hal@0.4.0"
    );
    let sbom = generate(&[Input::new("Cargo.lock", cargo)], &options()).unwrap();
    assert_eq!(
        sbom.components[1].purl.as_ref().unwrap().qualifiers()["vcs_url"],
        "git+https://example.com/hal@0123abcd"
    );
    // Version 2 has both `packages` and the version 1 `dependencies`; the
    // first is read. An alias is the real package.
    let npm = r#"{
  "name": "ui", "version": "1.0.0", "lockfileVersion": 2,
  "packages": {
    "": {"name": "ui", "version": "1.0.0", "dependencies": {"legacy-uuid": "npm:uuid@3.4.0"}},
    "node_modules/legacy-uuid": {"name": "uuid", "version": "3.4.0"}
  },
  "dependencies": {"legacy-uuid": {"version": "npm:uuid@3.4.0"}}
}"#;
    assert_eq!(
        graph(&[Input::new("package-lock.json", npm)]),
        "ui@1.0.0\nuuid@3.4.0\nui@1.0.0 -> uuid@3.4.0"
    );
}

// ---------------------------------------------------------------------
// Cargo.lock: the fast reader reads every file it takes exactly as the
// TOML parser does, and leaves the rest to it.

/// Every real Cargo.lock of the repository: the workspace's own, the 19
/// of `medsec-vulndb/tests/cargo-lock` (versions 1 to 3, 2019–2025) and
/// the fixtures.
fn real_cargo_locks() -> Vec<(PathBuf, String)> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut paths = vec![
        root.join("../../Cargo.lock"),
        root.join("tests/generate/cargo-v1/Cargo.lock"),
        root.join("tests/generate/cargo-v3/Cargo.lock"),
    ];
    let corpus = root.join("../medsec-vulndb/tests/cargo-lock");
    let mut more: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "lock"))
        .collect();
    more.sort();
    assert_eq!(more.len(), 19, "{}", corpus.display());
    paths.extend(more);
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            (p, text)
        })
        .collect()
}

fn cargo_ctx() -> Ctx<'static> {
    Ctx {
        file: "Cargo.lock",
        kind: InputKind::CargoLock,
        include_dev: false,
    }
}

/// What the fast reader makes of `text`, checked against the parser:
/// whenever it reads the file, the parser reads the same.
fn fast_agrees(text: &str) -> Option<cargo::Lock<'_>> {
    let fast = cargo::read_fast(text)?;
    match cargo::read_toml(&cargo_ctx(), text) {
        Ok(full) => assert_eq!(fast, full, "{text}"),
        Err(e) => panic!("the fast reader read what the parser rejects ({e}):\n{text}"),
    }
    Some(fast)
}

#[test]
fn the_fast_cargo_lock_reader_reads_real_lockfiles_as_the_toml_parser() {
    for (path, text) in real_cargo_locks() {
        let lock = fast_agrees(&text)
            .unwrap_or_else(|| panic!("{}: not read by the fast reader", path.display()));
        assert_eq!(
            lock.packages.len(),
            text.matches("[[package]]").count() + text.matches("[root]").count(),
            "{}",
            path.display()
        );
        // The same file with Windows line ends.
        let crlf = text.replace('\n', "\r\n");
        assert!(fast_agrees(&crlf).is_some(), "{}", path.display());
    }
}

#[test]
fn the_fast_cargo_lock_reader_leaves_the_rest_to_the_toml_parser() {
    let package = "[[package]]\nname = \"a\"\nversion = \"1.0.0\"\n";
    // Valid TOML outside the subset: read by the parser, the same
    // components either way.
    for text in [
        format!("{package}source = \"registry+https://example.com/\\u0069ndex\"\n"),
        format!("{package}checksum = 'abc'\n"),
        format!("{package}replace = \"a 1.0.0\"\n"),
        format!("{package}dependencies = [\n # a comment\n \"b\",\n]\n{package}"),
        format!("version = 3 # the format\n{package}"),
        format!("version = 0x3\n{package}"),
        format!("{package}\n[[patch.unused]]\nname = \"c\"\nversion = \"0.1.0\"\n"),
        "[[ package ]]\nname = \"a\"\nversion = \"1.0.0\"\n".to_string(),
        format!("\u{feff}{package}"),
        format!("{package}[metadata]\n\"checksum a 1.0.0 ()\" = 3\n"),
        format!("{package}\"source\" = \"registry+https://example.com/\"\n"),
        format!("{package}extra.x = \"b\"\n"),
    ] {
        assert!(cargo::read_fast(&text).is_none(), "{text}");
        let sbom = generate(&[Input::new("Cargo.lock", text.as_str())], &options());
        assert!(sbom.is_ok_and(|s| !s.components.is_empty()), "{text}");
    }
    // Malformed or invalid: the parser's error, with its position.
    for text in [
        format!("{package}name = \"b\"\n"),
        format!("{package}version = \"2\"\n"),
        "[[package]]\nname = \"a\"\n".to_owned(),
        format!("[root]\nname = \"a\"\nversion = \"1\"\n[root]\n{package}"),
        format!("{package}[metadata]\n\"k\" = \"x\"\nk = \"y\"\n"),
        format!("version = 3\nversion = 3\n{package}"),
        format!("version = 03\n{package}"),
        format!("{package}dependencies = [\"b\" \"c\"]\n"),
        format!("{package}source = \"a\rb\"\n"),
        format!("{package}source = \"a\n"),
        format!("version = 3\r{package}"),
        format!("{package}\"name\" = \"b\"\n"),
        format!("{package}name.x = \"b\"\n"),
    ] {
        assert!(cargo::read_fast(&text).is_none(), "{text}");
        assert!(cargo::read_toml(&cargo_ctx(), &text).is_err(), "{text}");
    }
}

fn mutated_cargo_lock() -> impl Strategy<Value = String> {
    let base = "# This file is automatically @generated by Cargo.\n\
        version = 3\n\n\
        [root]\nname = \"r\"\nversion = \"0.1.0\"\n\n\
        [[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n \"hal 0.4.0 (git+https://e.com/hal#0a)\",\n \"log\",\n]\n\n\
        [[package]]\nname = \"log\"\nversion = \"0.4.35\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\
        checksum = \"b3a1\"\ndependencies = [\"cfg-if\", ]\n\n\
        [metadata]\n\"checksum log 0.4.35 (registry+x)\" = \"ab\"\n";
    let edits = prop::collection::vec((any::<prop::sample::Index>(), 0u8..4, any::<u8>()), 1..6);
    edits.prop_map(move |edits| {
        let mut b = base.as_bytes().to_vec();
        for (at, op, byte) in edits {
            let i = at.index(b.len());
            let structural = *at.get(b"[]\"'=,#\\ \t\r\n.0x_-+e\x7f\x01ab");
            match op {
                0 => b[i] = structural,
                1 => b.insert(i, structural),
                2 => {
                    b.remove(i);
                }
                _ => b[i] = byte,
            }
        }
        String::from_utf8_lossy(&b).into_owned()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    /// Any edit of a lockfile: the fast reader reads it as the parser
    /// does, or leaves it to the parser.
    #[test]
    fn the_fast_cargo_lock_reader_never_reads_differently(text in mutated_cargo_lock()) {
        let _ = fast_agrees(&text);
    }
}
