//! `medsec sbom scan` reads only the feed records the components can match
//! (their lookup keys, with the rest of their vulnerabilities, KEV and
//! EPSS) and must find exactly what the index of every record finds.
//!
//! Checked on the real feeds of `MEDSEC_DATA` (default `../shared/data`),
//! imported with `medsec feeds import`, for every SBOM fixture of
//! medsec-sbom, every SBOM of `MEDSEC_DATA/sbom`, the real Cargo.lock
//! files of medsec-vulndb and the lock files of medsec-sbom's generate
//! fixtures: in-process (`load_database_for` against `load_database`) and
//! through the binary (`--format json` against `--full-index`), on SQLite
//! and, with `MEDSEC_TEST_POSTGRES`, PostgreSQL. Also: a database whose
//! keys are out of date (as after migration 0007 or a restore) gets them
//! at the next scan, and the lock files' own packages (`medsec:local`) are
//! not taken for registry packages.
//!
//! Without the data the tests print "skipped: …" and pass, unless
//! `MEDSEC_REQUIRE_DATA=1`.

use super::*;

use medsec_server::sustain;
use medsec_store::{OpenOptions, Store};

fn shared_data() -> Option<PathBuf> {
    let dir = std::env::var_os("MEDSEC_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data"));
    if dir.join("advisories").is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("MEDSEC_REQUIRE_DATA").as_deref() != Ok("1"),
        "MEDSEC_REQUIRE_DATA=1 but {} has no feeds",
        dir.display()
    );
    eprintln!(
        "skipped: the scan comparison needs the feeds of {} (set MEDSEC_DATA)",
        dir.display()
    );
    None
}

fn crates_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The files under `root`, or `root` itself, sorted.
fn files(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            for entry in std::fs::read_dir(&p).unwrap() {
                stack.push(entry.unwrap().path());
            }
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

fn cargo_locks() -> Vec<PathBuf> {
    files(&crates_dir().join("medsec-vulndb/tests/cargo-lock"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "lock"))
        .collect()
}

/// What is scanned: the SBOMs, the Cargo.lock files, and each directory
/// of medsec-sbom's generate fixtures (a lock file with what it includes,
/// a dpkg database with its os-release).
fn inputs(data: &Path) -> Vec<PathBuf> {
    let mut list = files(&crates_dir().join("medsec-sbom/tests/fixtures"));
    list.extend(files(&data.join("sbom")));
    list.extend(cargo_locks());
    let generate = crates_dir().join("medsec-sbom/tests/generate");
    if let Ok(dirs) = std::fs::read_dir(&generate) {
        let mut dirs: Vec<PathBuf> = dirs
            .map(|e| e.unwrap().path())
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        list.extend(dirs);
    }
    list
}

/// The SBOM `medsec sbom scan` makes of a path, if it makes one.
fn sbom_of(path: &Path) -> Option<medsec_sbom::Sbom> {
    use medsec_sbom::generate::{InputKind, Options, generate_path};
    if path.is_dir() {
        return generate_path(path, &Options::default()).ok();
    }
    let bytes = std::fs::read(path).unwrap();
    match medsec_sbom::read(&bytes) {
        Ok(sbom) => Some(sbom),
        Err(_) if InputKind::detect(&path.to_string_lossy(), &bytes).is_some() => {
            generate_path(path, &Options::default()).ok()
        }
        Err(_) => None,
    }
}

fn report(
    source: &str,
    components: &[medsec_vulndb::Component],
    db: &medsec_vulndb::Database,
) -> serde_json::Value {
    medsec_vulndb::report::json(source, components, &db.matches_built(components))
}

/// The JSON report of `medsec sbom scan`, as the text it writes.
fn scan_json(location: (&str, &str), path: &Path, extra: &[&str]) -> String {
    let mut args = vec![
        "sbom",
        "scan",
        location.0,
        location.1,
        "--format",
        "json",
        path.to_str().unwrap(),
    ];
    args.extend(extra);
    let out = run(&args);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}: {}",
        path.display(),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// Imports the feeds with the binary into the database at `location`
/// (`--data-dir DIR` or `--database URL`), then compares.
fn check_database(data: &Path, location: (&str, &str), store_location: &str) {
    let out = run(&[
        "feeds",
        "import",
        location.0,
        location.1,
        data.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let store = runtime
        .block_on(Store::open(store_location, &OpenOptions::default()))
        .unwrap();
    // The import left the keys complete.
    assert!(
        runtime
            .block_on(store.feed_keys_current(medsec_vulndb::keys::VERSION))
            .unwrap()
    );
    let full = runtime.block_on(sustain::load_database(&store)).unwrap();
    let all = full.stats().advisories;

    let (mut scanned, mut with_findings, mut loaded, mut largest) = (0, 0, 0, 0);
    for path in inputs(data) {
        let Some(sbom) = sbom_of(&path) else {
            continue;
        };
        let components = sustain::queries(&sbom);
        let partial = runtime
            .block_on(sustain::load_database_for(&store, &components))
            .unwrap()
            .expect("feeds were imported");
        let source = path.display().to_string();
        let expected = report(&source, &components, &full);
        assert_eq!(
            report(&source, &components, &partial),
            expected,
            "{source}: the index of the keyed records finds something else"
        );
        let n = partial.stats().advisories;
        loaded += n;
        largest = largest.max(n);
        scanned += 1;
        with_findings += usize::from(!expected["findings"].as_array().unwrap().is_empty());
    }
    eprintln!(
        "{scanned} inputs ({with_findings} with findings): at most {largest} and on average {} of {all} advisories loaded",
        loaded / scanned.max(1)
    );
    assert!(
        scanned >= 40 && with_findings >= 25,
        "{scanned} {with_findings}"
    );
    assert!(largest < all / 2, "{largest} of {all}");

    // The binary, end to end, on the lock files (with generation) and the
    // largest SBOM: the same JSON as the whole index's.
    let mut binary: Vec<PathBuf> = cargo_locks();
    binary.push(data.join("sbom/cyclonedx-examples/SBOM/keycloak-10.0.2/bom.json"));
    for path in binary.iter().filter(|p| p.exists()) {
        let components = sustain::queries(&sbom_of(path).unwrap());
        let expected = report(&path.display().to_string(), &components, &full);
        let expected = format!("{}\n", serde_json::to_string_pretty(&expected).unwrap());
        assert_eq!(
            scan_json(location, path, &[]),
            expected,
            "{}",
            path.display()
        );
    }
    let lock = &binary[0];
    assert_eq!(
        scan_json(location, lock, &["--full-index"]),
        scan_json(location, lock, &[]),
        "{}",
        lock.display()
    );

    // Keys out of date, as after migration 0007 on a database with
    // records or after a restore: the next scan computes them, once, and
    // finds the same.
    runtime.block_on(async {
        // Writing without keys marks them incomplete.
        let mut known = store.feed_digests().await.unwrap();
        let record = medsec_store::feeds::NewFeedRecord {
            kind: "osv".into(),
            id: "GHSA-test-keys-0001".into(),
            modified: String::new(),
            sha256: "0".repeat(64),
            body: r#"{"id":"GHSA-test-keys-0001","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2021-44228"],"affected":[{"package":{"ecosystem":"crates.io","name":"zola-test-crate"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]}]}"#.into(),
            origin: "test".into(),
        };
        store
            .write_feed_records("test", &[record], &mut known, medsec_core::Timestamp(1))
            .await
            .unwrap();
        assert!(!store
            .feed_keys_current(medsec_vulndb::keys::VERSION)
            .await
            .unwrap());
    });
    let lock = cargo_locks().into_iter().next().unwrap();
    let out = run(&[
        "sbom",
        "scan",
        location.0,
        location.1,
        "--timings",
        lock.to_str().unwrap(),
    ]);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        text(&out.stderr)
    );
    assert!(
        runtime
            .block_on(store.feed_keys_current(medsec_vulndb::keys::VERSION))
            .unwrap()
    );
    // The record written without keys is found by its keys now.
    let full = runtime.block_on(sustain::load_database(&store)).unwrap();
    let component = medsec_vulndb::Component {
        name: "zola-test-crate".into(),
        version: Some("1.0.0".into()),
        purl: Some(medsec_vulndb::Purl {
            ty: "cargo".into(),
            name: "zola-test-crate".into(),
            version: Some("1.0.0".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let components = [component];
    let partial = runtime
        .block_on(sustain::load_database_for(&store, &components))
        .unwrap()
        .unwrap();
    let expected = report("test", &components, &full);
    assert_eq!(report("test", &components, &partial), expected);
    // It joined log4shell through the CVE: one finding, with
    // the KEV entry and the id of the whole group.
    assert_eq!(
        expected["findings"][0]["id"], "CVE-2021-44228",
        "{expected}"
    );
    assert!(!expected["findings"][0]["kev"].is_null(), "{expected}");
    runtime.block_on(store.close());
}

#[test]
fn scans_read_only_the_records_they_need_and_find_what_the_whole_index_finds() {
    let Some(data) = shared_data() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    let db = d.join("medsec.db");
    check_database(
        &data,
        ("--data-dir", d.to_str().unwrap()),
        db.to_str().unwrap(),
    );
}

#[test]
fn scans_read_only_the_records_they_need_on_postgres() {
    let Some(data) = shared_data() else {
        return;
    };
    let Some(pg) = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(medsec_store::testing::postgres_url())
    else {
        eprintln!("skipped: PostgreSQL half of this test (set MEDSEC_TEST_POSTGRES to run it)");
        return;
    };
    check_database(&data, ("--database", &pg), &pg);
}

/// Lock files are scanned directly; a lock file's own packages (path
/// dependencies, workspace members) are not registry packages.
#[test]
fn lock_files_are_scanned_without_their_own_packages() {
    let Some(data) = shared_data() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("data");
    let rustsec = data.join("rustsec");
    let out = run(&[
        "feeds",
        "import",
        "--data-dir",
        d.to_str().unwrap(),
        rustsec.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let zola = crates_dir().join("medsec-vulndb/tests/cargo-lock/zola-2021.lock");
    let out = run(&[
        "sbom",
        "scan",
        "--data-dir",
        d.to_str().unwrap(),
        zola.to_str().unwrap(),
    ]);
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    // zola's workspace member components/imageproc is not the crates.io
    // crate imageproc (RUSTSEC-2026-0116 and -0117).
    assert!(!stdout.contains("imageproc@0.1.0"), "{stdout}");
    assert!(stdout.contains("RUSTSEC-"), "{stdout}");

    // Not an SBOM and not a lock file: the SBOM reader's error.
    let other = dir.path().join("notes.json");
    std::fs::write(&other, r#"{"hello": "world"}"#).unwrap();
    let out = run(&[
        "sbom",
        "scan",
        "--data-dir",
        d.to_str().unwrap(),
        other.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("neither an SBOM nor a lock file"),
        "{}",
        text(&out.stderr)
    );
}
