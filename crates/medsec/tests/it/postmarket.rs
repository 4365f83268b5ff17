//! VEX, carry-over, stale statements, sharing with a hospital and the
//! hospital's exposure, end to end through the command line.

use super::*;

const OSV: &str = r#"{"id":"GHSA-jf85-cpcp-j695","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2019-10744"],"summary":"Prototype Pollution in lodash","affected":[{"package":{"ecosystem":"npm","name":"lodash"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"4.17.12"}]}]}]}"#;
const OSV_PAD: &str = r#"{"id":"GHSA-test-left-pad1","modified":"2024-01-01T00:00:00Z","summary":"A made-up left-pad flaw","affected":[{"package":{"ecosystem":"npm","name":"left-pad"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"9.0.0"}]}]}]}"#;
const KEV: &str = r#"{"title":"KEV","catalogVersion":"2025.08.25","count":1,"vulnerabilities":[{"cveID":"CVE-2019-10744","vendorProject":"lodash","product":"lodash","dateAdded":"2024-01-01"}]}"#;

fn sbom(lodash: &str) -> String {
    format!(
        r#"{{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"metadata":{{"timestamp":"2026-01-01T00:00:00Z","component":{{"type":"device","name":"infusion pump","version":"2"}}}},"components":[
{{"type":"library","bom-ref":"a","name":"lodash","version":"{lodash}","purl":"pkg:npm/lodash@{lodash}"}},
{{"type":"library","bom-ref":"c","name":"left-pad","version":"1.3.0","purl":"pkg:npm/left-pad@1.3.0"}},
{{"type":"firmware","bom-ref":"d","name":"pad-firmware","version":"1.3.0"}}]}}"#
    )
}

struct Env {
    _dir: tempfile::TempDir,
    data: String,
    root: PathBuf,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_owned();
        let data = root.join("data").to_str().unwrap().to_owned();
        let feeds = root.join("feeds");
        std::fs::create_dir_all(&feeds).unwrap();
        std::fs::write(feeds.join("npm.jsonl"), format!("{OSV}\n{OSV_PAD}\n")).unwrap();
        std::fs::write(feeds.join("kev.json"), KEV).unwrap();
        let env = Env {
            _dir: dir,
            data,
            root,
        };
        env.ok(&["feeds", "import", feeds.to_str().unwrap()]);
        env.ok(&[
            "org",
            "create",
            "--name",
            "메드시큐",
            "--kind",
            "manufacturer",
        ]);
        env.ok(&["org", "create", "--name", "서울병원", "--kind", "hospital"]);
        env
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut all: Vec<&str> = args.to_vec();
        // `--data-dir` goes after the subcommand(s).
        let at = all
            .iter()
            .position(|a| a.starts_with("--"))
            .unwrap_or(all.len());
        all.insert(at, &self.data);
        all.insert(at, "--data-dir");
        run(&all)
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?}: {}\n{}",
            text(&out.stdout),
            text(&out.stderr)
        );
        text(&out.stdout)
    }

    fn release(&self, version: &str, lodash: &str) -> String {
        let bom = self.root.join(format!("bom-{version}.json"));
        std::fs::write(&bom, sbom(lodash)).unwrap();
        self.ok(&[
            "release",
            "add",
            "--org",
            "메드시큐",
            "--product",
            "주입 펌프",
            "--version",
            version,
            "--sbom",
            bom.to_str().unwrap(),
        ])
    }
}

const M: [&str; 2] = ["--org", "메드시큐"];

#[test]
fn vex_suppresses_expires_carries_over_and_goes_stale() {
    let env = Env::new();
    let out = env.release("2.1", "4.17.11");
    assert!(out.contains("4 components, 2 open findings"), "{out}");

    let vex = |version: &str, extra: &[&str]| {
        let mut args = vec!["vex", "set"];
        args.extend(M);
        args.extend(["--product", "주입 펌프", "--version", version]);
        args.extend(extra);
        env.run(&args)
    };
    // not_affected needs a justification or an impact statement.
    let out = vex(
        "2.1",
        &[
            "--vulnerability",
            "CVE-2019-10744",
            "--status",
            "not_affected",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("justification: This field is required."),
        "{}",
        text(&out.stderr)
    );
    let out = vex(
        "2.1",
        &["--vulnerability", "CVE-2019-10744", "--status", "affected"],
    );
    assert!(text(&out.stderr).contains("action: This field is required."));
    let out = vex(
        "2.1",
        &[
            "--vulnerability",
            "CVE-2019-10744",
            "--status",
            "fixed",
            "--component",
            "pkg:npm/nope",
        ],
    );
    assert!(
        text(&out.stderr).contains("component: The release has no component with this identity."),
        "{}",
        text(&out.stderr)
    );

    // Named by its GHSA alias, the statement still applies to the finding.
    let out = vex(
        "2.1",
        &[
            "--vulnerability",
            "GHSA-jf85-cpcp-j695",
            "--status",
            "not_affected",
            "--justification",
            "vulnerable_code_not_in_execute_path",
            "--impact",
            "The pump never calls lodash.defaultsDeep.",
            "--component",
            "pkg:npm/lodash",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("the release has 1 open findings, 1 suppressed by VEX"),
        "{}",
        text(&out.stdout)
    );
    let mut list = vec!["release", "list"];
    list.extend(M);
    assert!(env.ok(&list).contains("주입 펌프 2.1\t1 open (0 KEV)"));
    let mut show = vec!["release", "show"];
    show.extend(M);
    show.extend(["--product", "주입 펌프", "--version", "2.1"]);
    let out = env.ok(&show);
    assert!(
        out.contains("suppressed")
            && out.contains("CVE-2019-10744")
            && out.contains("VEX not_affected (vulnerable_code_not_in_execute_path)"),
        "{out}"
    );
    assert!(out.contains("GHSA-jf85-cpcp-j695: "), "{out}");

    // An expired suppression no longer suppresses.
    let out = vex(
        "2.1",
        &[
            "--vulnerability",
            "CVE-2019-10744",
            "--status",
            "fixed",
            "--expires",
            "2020-01-01",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The component statement still wins over this release-wide one.
    assert!(text(&out.stdout).contains("1 open findings, 1 suppressed"));
    let out = vex(
        "2.1",
        &[
            "--vulnerability",
            "GHSA-test-left-pad1",
            "--status",
            "fixed",
            "--expires",
            "2020-01-01",
        ],
    );
    assert!(
        text(&out.stdout).contains("1 open findings, 1 suppressed"),
        "{}",
        text(&out.stdout)
    );

    // The next release with the same lodash inherits the statements; one
    // with another lodash version does not inherit the component's.
    env.release("2.2", "4.17.11");
    let mut vlist = vec!["vex", "list"];
    vlist.extend(M);
    vlist.extend(["--product", "주입 펌프", "--version", "2.2"]);
    let out = env.ok(&vlist);
    assert_eq!(out.matches("carried:").count(), 3, "{out}");
    let out = env.release("2.3", "4.17.10");
    assert!(out.contains("2 open findings"), "{out}");
    let mut vlist3 = vec!["vex", "list"];
    vlist3.extend(M);
    vlist3.extend(["--product", "주입 펌프", "--version", "2.3"]);
    let out = env.ok(&vlist3);
    assert!(!out.contains("pkg:npm/lodash"), "{out}");
    // Release-wide statements are carried only while every component the
    // vulnerability was found in is unchanged: left-pad is.
    assert!(out.contains("GHSA-test-left-pad1"), "{out}");
    assert!(!out.contains("CVE-2019-10744"), "{out}");

    // A statement about something the release does not have is stale.
    assert!(
        vex(
            "2.1",
            &[
                "--vulnerability",
                "CVE-2000-0001",
                "--status",
                "under_investigation"
            ]
        )
        .status
        .success()
    );
    let mut stale = vec!["vex", "list"];
    stale.extend(M);
    stale.extend(["--product", "주입 펌프", "--version", "2.1", "--stale"]);
    let out = env.run(&stale);
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("CVE-2000-0001"), "{stdout}");
    assert!(stdout.contains("STALE"), "{stdout}");
    assert_eq!(stdout.lines().count(), 2, "{stdout}");
}

#[test]
fn a_hospital_sees_its_exposed_devices_and_what_the_maker_says() {
    let env = Env::new();
    env.release("2.1", "4.17.11");
    env.release("2.3", "4.17.21");
    env.ok(&[
        "vex",
        "set",
        "--org",
        "메드시큐",
        "--product",
        "주입 펌프",
        "--version",
        "2.1",
        "--vulnerability",
        "GHSA-test-left-pad1",
        "--status",
        "affected",
        "--action",
        "Update to 2.3.",
    ]);
    let mut share = vec!["release", "share"];
    share.extend(M);
    share.extend([
        "--product",
        "주입 펌프",
        "--version",
        "2.1",
        "--hospital",
        "서울병원",
    ]);
    assert!(env.ok(&share).contains("shared"));
    assert!(env.ok(&share).contains("already shared"));
    let mut bad = share.clone();
    *bad.last_mut().unwrap() = "없는병원";
    assert!(text(&env.run(&bad).stderr).contains("hospital: There is no hospital by this name."));
    // Only manufacturers share; only hospitals keep inventories.
    let out = env.run(&["inventory", "list", "--org", "메드시큐"]);
    assert!(text(&out.stderr).contains("inventories belong to hospitals"));

    let shared = env.ok(&["inventory", "shared", "--org", "서울병원"]);
    assert_eq!(shared.lines().count(), 1, "{shared}");
    assert!(shared.contains("메드시큐\t주입 펌프 2.1"), "{shared}");
    let release = shared.split('\t').next().unwrap().to_owned();

    env.ok(&[
        "inventory",
        "add",
        "--org",
        "서울병원",
        "--asset-tag",
        "ICU-001",
        "--model",
        "주입 펌프",
        "--release",
        &release,
        "--location",
        "중환자실 3병동",
        "--segment",
        "VLAN 30",
    ]);
    env.ok(&[
        "inventory",
        "add",
        "--org",
        "서울병원",
        "--asset-tag",
        "RAD-7",
        "--model",
        "CT 콘솔",
        "--manufacturer",
        "Other Co",
    ]);
    // A release that was not shared cannot be linked, nor a tag used twice.
    let out = env.run(&[
        "inventory",
        "add",
        "--org",
        "서울병원",
        "--asset-tag",
        "ICU-002",
        "--model",
        "x",
        "--release",
        "not-a-release",
    ]);
    assert!(
        text(&out.stderr)
            .contains("release: This release has not been shared with your organisation."),
        "{}",
        text(&out.stderr)
    );
    let out = env.run(&[
        "inventory",
        "add",
        "--org",
        "서울병원",
        "--asset-tag",
        "ICU-001",
        "--model",
        "x",
    ]);
    assert!(
        text(&out.stderr).contains("already exists"),
        "{}",
        text(&out.stderr)
    );

    let out = env.ok(&["inventory", "exposure", "--org", "서울병원"]);
    assert!(
        out.contains("ICU-001 주입 펌프 (중환자실 3병동, VLAN 30): 메드시큐 주입 펌프 2.1: 2 open findings (1 known exploited)"),
        "{out}"
    );
    assert!(
        out.contains("[manufacturer: affected: Update to 2.3.]"),
        "{out}"
    );
    assert!(
        out.contains("RAD-7 CT 콘솔 (-, -): no shared release; exposure unknown"),
        "{out}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&env.ok(&["inventory", "exposure", "--org", "서울병원", "--json"]))
            .unwrap();
    assert_eq!(json[0]["device"]["asset_tag"], "ICU-001");
    assert_eq!(json[0]["kev"], 1);
    let reasons = json[0]["findings"][0]["reasons"].as_array().unwrap();
    assert!(!reasons.is_empty(), "{json}");
}

#[test]
fn alias_rules_match_components_without_a_purl() {
    let env = Env::new();
    assert!(env.release("2.1", "4.17.21").contains("1 open findings"));
    let mut add = vec!["alias", "add"];
    add.extend(M);
    add.extend([
        "--component",
        "name:pad-firmware",
        "--purl",
        "pkg:npm/left-pad@1.0.0",
    ]);
    let out = env.run(&add);
    assert!(
        text(&out.stderr).contains("leave the version out"),
        "{}",
        text(&out.stderr)
    );
    *add.last_mut().unwrap() = "pkg:npm/left-pad";
    let out = env.ok(&add);
    assert!(
        out.contains("re-matched 1 releases: 1 new findings, 0 fixed"),
        "{out}"
    );
    let mut list = vec!["alias", "list"];
    list.extend(M);
    let rules = env.ok(&list);
    assert!(
        rules.contains("name:pad-firmware\tpkg:npm/left-pad\t-"),
        "{rules}"
    );
    let id = rules.split('\t').next().unwrap();
    let mut del = vec!["alias", "delete"];
    del.extend(M);
    del.push(id);
    env.ok(&del);
    let mut rl = vec!["release", "list"];
    rl.extend(M);
    assert!(env.ok(&rl).contains("1 open (0 KEV)"));
}

/// Runs one of medsec-vex's reference checks when Python is configured.
fn python_check(script: &str, args: &[&Path]) {
    let Ok(python) = std::env::var("MEDSEC_TEST_PYTHON") else {
        eprintln!("MEDSEC_TEST_PYTHON is not set: {script} skipped");
        return;
    };
    let out = Command::new(python)
        .arg(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../medsec-vex/tests")
                .join(script),
        )
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{script}: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

#[test]
fn vex_documents_round_trip_through_the_reference_formats() {
    let env = Env::new();
    env.release("2.1", "4.17.11");
    let set = |extra: &[&str]| {
        let mut args = vec![
            "vex",
            "set",
            "--org",
            "메드시큐",
            "--product",
            "주입 펌프",
            "--version",
            "2.1",
        ];
        args.extend(extra);
        env.ok(&args);
    };
    set(&[
        "--vulnerability",
        "CVE-2019-10744",
        "--status",
        "not_affected",
        "--justification",
        "vulnerable_code_not_in_execute_path",
        "--impact",
        "defaultsDeep is never called",
        "--component",
        "pkg:npm/lodash",
    ]);
    set(&[
        "--vulnerability",
        "GHSA-test-left-pad1",
        "--status",
        "affected",
        "--action",
        "Update to 2.2.",
    ]);
    let export = |format: &str, extra: &[&str]| {
        let file = env.root.join(format!("vex.{format}"));
        let mut args = vec![
            "vex",
            "export",
            "--org",
            "메드시큐",
            "--product",
            "주입 펌프",
            "--version",
            "2.1",
            "--format",
            format,
            "-o",
            file.to_str().unwrap(),
        ];
        args.extend(extra);
        let out = env.run(&args);
        (out, file)
    };
    let (out, openvex) = export("openvex", &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let (_, cdx_json) = export("cyclonedx-json", &[]);
    let (_, cdx_xml) = export("cyclonedx-xml", &[]);
    let (out, _) = export("csaf", &[]);
    assert!(
        text(&out.stderr).contains("namespace: This field is required."),
        "{}",
        text(&out.stderr)
    );
    // CSAF names vulnerabilities by CVE: the GHSA-only one is left out.
    let (out, csaf) = export("csaf", &["--namespace", "https://psirt.medsec.example"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let advisory: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&csaf).unwrap()).unwrap();
    assert_eq!(
        advisory["vulnerabilities"].as_array().unwrap().len(),
        1,
        "{advisory}"
    );
    assert_eq!(advisory["vulnerabilities"][0]["cve"], "CVE-2019-10744");
    let csaf_schema = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/csaf/schema/csaf_2.0/csaf_json_schema.json");
    if csaf_schema.exists() {
        python_check("check_schema.py", &[&csaf_schema, &csaf]);
    } else {
        assert!(
            std::env::var_os("MEDSEC_REQUIRE_DATA").is_none(),
            "{} is missing",
            csaf_schema.display()
        );
        eprintln!(
            "{} is missing: the CSAF schema check is skipped",
            csaf_schema.display()
        );
    }

    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&openvex).unwrap()).unwrap();
    assert_eq!(doc["statements"].as_array().unwrap().len(), 2, "{doc}");
    let vex_tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("../medsec-vex/tests");
    python_check(
        "check_schema.py",
        &[
            &vex_tests.join("fixtures/openvex/openvex_json_schema.json"),
            &openvex,
        ],
    );
    python_check("check_cyclonedx.py", &[Path::new("json"), &cdx_json]);
    python_check("check_cyclonedx.py", &[Path::new("xml"), &cdx_xml]);

    // Imported into another product's release of the same version: both
    // statements apply; into another version: both are skipped, said why.
    let bom = env.root.join("bom-spare.json");
    std::fs::write(&bom, sbom("4.17.11")).unwrap();
    for version in ["2.1", "9.9"] {
        env.ok(&[
            "release",
            "add",
            "--org",
            "메드시큐",
            "--product",
            "예비 펌프",
            "--version",
            version,
            "--sbom",
            bom.to_str().unwrap(),
        ]);
    }
    for (file, version, expect) in [
        (&openvex, "2.1", "2 statements recorded, 0 skipped"),
        (&cdx_json, "2.1", "2 statements recorded, 0 skipped"),
        (&cdx_xml, "9.9", "0 statements recorded, 2 skipped"),
    ] {
        let out = env.ok(&[
            "vex",
            "import",
            "--org",
            "메드시큐",
            "--product",
            "예비 펌프",
            "--version",
            version,
            file.to_str().unwrap(),
        ]);
        assert!(out.contains(expect), "{file:?}: {out}");
    }
    let out = env.ok(&[
        "release",
        "show",
        "--org",
        "메드시큐",
        "--product",
        "예비 펌프",
        "--version",
        "2.1",
    ]);
    assert!(out.contains("1 open, 1 suppressed"), "{out}");
    let out = env.ok(&[
        "vex",
        "list",
        "--org",
        "메드시큐",
        "--product",
        "예비 펌프",
        "--version",
        "2.1",
    ]);
    assert!(out.contains("import:vex.cyclonedx-json"), "{out}");
    let bad = env.root.join("bad.json");
    std::fs::write(&bad, r#"{"@context":"https://openvex.dev/ns/v0.2.0","@id":"urn:x","author":"a","timestamp":"2026-01-01T00:00:00Z","version":1,"statements":[{"vulnerability":{"name":"CVE-1"},"products":[{"@id":"pkg:npm/x"}],"status":"maybe"}]}"#).unwrap();
    let out = env.run(&[
        "vex",
        "import",
        "--org",
        "메드시큐",
        "--product",
        "예비 펌프",
        "--version",
        "2.1",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("statements[0].status"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn an_import_rematches_only_the_releases_it_concerns() {
    let env = Env::new();
    env.release("2.1", "4.17.11");
    let other = env.root.join("other.json");
    std::fs::write(
        &other,
        r#"{"bomFormat":"CycloneDX","specVersion":"1.6","version":1,"components":[{"type":"library","name":"express","version":"4.0.0","purl":"pkg:npm/express@4.0.0"}]}"#,
    )
    .unwrap();
    env.ok(&[
        "release",
        "add",
        "--org",
        "메드시큐",
        "--product",
        "모니터",
        "--version",
        "1.0",
        "--sbom",
        other.to_str().unwrap(),
    ]);
    let feeds = env.root.join("feeds");
    // The lodash advisory is corrected: only the pump is concerned.
    std::fs::write(
        feeds.join("npm.jsonl"),
        format!("{}\n{OSV_PAD}\n", OSV.replace("4.17.12", "4.17.11")),
    )
    .unwrap();
    let out = env.ok(&["feeds", "import", feeds.to_str().unwrap()]);
    assert!(
        out.contains(
            "re-matched 1 releases: 0 new findings, 1 fixed, 1 open (1 of 2 releases concerned"
        ),
        "{out}"
    );
    // A new advisory for express concerns only the monitor.
    let express = r#"{"id":"GHSA-test-express1","modified":"2024-01-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"express"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"4.1.0"}]}]}]}"#;
    std::fs::write(feeds.join("express.jsonl"), format!("{express}\n")).unwrap();
    let out = env.ok(&["feeds", "import", feeds.to_str().unwrap()]);
    assert!(
        out.contains(
            "re-matched 1 releases: 1 new findings, 0 fixed, 1 open (1 of 2 releases concerned"
        ),
        "{out}"
    );
    // Nothing changed: nothing is re-matched.
    let out = env.ok(&["feeds", "import", feeds.to_str().unwrap()]);
    assert!(out.contains("re-matched 0 releases"), "{out}");
}

/// A release built from a lock file keeps its own packages apart: a
/// crates.io advisory for a crate of the same name as a workspace member
/// matches neither the first match nor the re-match of the stored release.
#[test]
fn a_lock_files_own_packages_stay_unmatched_after_a_rematch() {
    let env = Env::new();
    let lock = env.root.join("Cargo.lock");
    std::fs::write(
        &lock,
        r#"version = 3

[[package]]
name = "imageproc"
version = "0.1.0"
dependencies = ["smallvec"]

[[package]]
name = "smallvec"
version = "1.6.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "fe0f37c9e8f3c5a4a66ad655a93c74daac4ad00c5b4ad4cf0a6e6a9e8ab8a9d1"
"#,
    )
    .unwrap();
    let feeds = env.root.join("feeds");
    let advisory = |id: &str, name: &str, fixed: &str| {
        format!(
            r#"{{"id":"{id}","modified":"2024-01-01T00:00:00Z","affected":[{{"package":{{"ecosystem":"crates.io","name":"{name}"}},"ranges":[{{"type":"SEMVER","events":[{{"introduced":"0"}},{{"fixed":"{fixed}"}}]}}]}}]}}"#
        )
    };
    std::fs::write(
        feeds.join("crates.jsonl"),
        format!(
            "{}\n{}\n",
            advisory("RUSTSEC-2099-0001", "imageproc", "9.0.0"),
            advisory("RUSTSEC-2099-0002", "smallvec", "1.6.1")
        ),
    )
    .unwrap();
    env.ok(&["feeds", "import", feeds.to_str().unwrap()]);
    env.ok(&[
        "release",
        "add",
        "--org",
        "메드시큐",
        "--product",
        "영상 게이트웨이",
        "--version",
        "1.0",
        "--sbom",
        lock.to_str().unwrap(),
    ]);
    let show = [
        "release",
        "show",
        "--org",
        "메드시큐",
        "--product",
        "영상 게이트웨이",
        "--version",
        "1.0",
    ];
    let first = env.ok(&show);
    assert!(first.contains("RUSTSEC-2099-0002"), "{first}");
    assert!(!first.contains("RUSTSEC-2099-0001"), "{first}");
    // Both advisories are corrected: the release is re-matched from its
    // stored components, and the workspace member is still not a crate.
    std::fs::write(
        feeds.join("crates.jsonl"),
        format!(
            "{}\n{}\n",
            advisory("RUSTSEC-2099-0001", "imageproc", "9.0.1"),
            advisory("RUSTSEC-2099-0002", "smallvec", "1.6.2")
        ),
    )
    .unwrap();
    let out = env.ok(&["feeds", "import", feeds.to_str().unwrap()]);
    assert!(out.contains("re-matched 1 releases"), "{out}");
    let again = env.ok(&show);
    assert!(again.contains("RUSTSEC-2099-0002"), "{again}");
    assert!(!again.contains("RUSTSEC-2099-0001"), "{again}");
}
