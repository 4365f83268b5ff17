//! Interoperability on real data: every SBOM under `../shared/data/sbom`
//! (CycloneDX examples 1.1–1.6 JSON and XML, SPDX 2.2/2.3 JSON and
//! tag-value, SPDX 3.0 JSON-LD) and our fixtures are read, written in all
//! three output formats, read back, and the output is checked by the
//! reference tools: cyclonedx-python-lib (JSON and XML, schema 1.6) and
//! spdx-tools. The official JSON schemas are the oracle for input
//! validation: documents the schema rejects are refused or warned about.
//!
//! Data is found through `MEDSEC_DATA` (default `../../../shared/data`
//! from this crate), Python through `MEDSEC_TEST_PYTHON` (a Python with
//! `scripts/test-requirements.txt`). Missing ones skip with a message,
//! unless `MEDSEC_REQUIRE_DATA=1` or `MEDSEC_REQUIRE_PYTHON=1`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use medsec_sbom::{FormatKind, Sbom};
use serde_json::{Value, json};

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn data_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("MEDSEC_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest_dir().join("../../../shared/data"));
    if dir.join("sbom").is_dir() {
        return Some(dir);
    }
    if std::env::var("MEDSEC_REQUIRE_DATA").as_deref() == Ok("1") {
        panic!("MEDSEC_REQUIRE_DATA=1 but {} has no sbom/", dir.display());
    }
    eprintln!(
        "skipped: no SBOM data at {} (set MEDSEC_DATA)",
        dir.display()
    );
    None
}

fn python() -> Option<PathBuf> {
    match std::env::var_os("MEDSEC_TEST_PYTHON") {
        Some(p) => Some(PathBuf::from(p)),
        None => {
            if std::env::var("MEDSEC_REQUIRE_PYTHON").as_deref() == Ok("1") {
                panic!("MEDSEC_REQUIRE_PYTHON=1 but MEDSEC_TEST_PYTHON is not set");
            }
            eprintln!("skipped: reference tools (set MEDSEC_TEST_PYTHON)");
            None
        }
    }
}

/// Every SBOM document under `data/sbom`, sorted, schemas and READMEs left
/// out.
fn real_sboms(data: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![data.join("sbom")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n != "schema") {
                    stack.push(p);
                }
            } else if p.extension().is_none_or(|e| e != "md") && !p.ends_with("LICENSE") {
                files.push(p);
            }
        }
    }
    files.sort();
    files
}

fn fixtures() -> Vec<PathBuf> {
    [
        "infusion-pump.cdx.json",
        "ventilator.cdx.xml",
        "patient-monitor.spdx",
        "yocto-core-image-minimal.spdx.json",
    ]
    .iter()
    .map(|f| manifest_dir().join("tests/fixtures").join(f))
    .collect()
}

fn read(path: &Path) -> Sbom {
    let bytes = std::fs::read(path).unwrap();
    medsec_sbom::read(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// What survives every output format, per component: name, version,
/// purl, CPEs, the hashes both standards name, supplier and licence
/// identifiers.
fn view(s: &Sbom) -> Vec<String> {
    let mut out: Vec<String> = s
        .components
        .iter()
        .map(|c| {
            let cpes: BTreeSet<&String> = c.cpes.iter().collect();
            let hashes: BTreeSet<String> = c
                .hashes
                .iter()
                .filter(|h| h.alg.cyclonedx().is_some() && h.alg.spdx2().is_some())
                .filter(|h| matches!(h.value.len(), 32 | 40 | 64 | 96 | 128))
                .map(|h| format!("{}:{}", h.alg, h.value))
                .collect();
            format!(
                "{}|{:?}|{:?}|{cpes:?}|{hashes:?}|{:?}",
                c.name,
                c.version,
                c.purl.as_ref().map(|p| p.to_string()),
                c.supplier.as_ref().map(|p| &p.name),
            )
        })
        .collect();
    out.sort();
    out
}

fn short(path: &Path, data: Option<&Path>) -> String {
    let s = path.to_string_lossy();
    match data {
        Some(d) => s
            .trim_start_matches(&*d.join("sbom/").to_string_lossy())
            .to_owned(),
        None => path.file_name().unwrap().to_string_lossy().into_owned(),
    }
}

#[test]
fn real_sboms_read_and_round_trip() {
    let Some(data) = data_dir() else { return };
    let files = real_sboms(&data);
    assert_eq!(files.len(), 100, "the data set changed");
    let mut per_format: BTreeMap<String, usize> = BTreeMap::new();
    let mut components = 0;
    let mut slowest = (std::time::Duration::ZERO, String::new());
    let mut by_stem: BTreeMap<String, Vec<(String, Vec<String>)>> = BTreeMap::new();
    for path in files.iter().chain(&fixtures()) {
        let name = short(path, Some(&data));
        let bytes = std::fs::read(path).unwrap();
        let t = Instant::now();
        let s = medsec_sbom::read(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let took = t.elapsed();
        if took > slowest.0 {
            slowest = (took, name.clone());
        }
        *per_format.entry(s.format.to_string()).or_default() += 1;
        components += s.components.len();
        assert!(s.warnings.is_empty(), "{name}: {:?}", s.warnings);

        // Our output reads back with the same components.
        let v = view(&s);
        for (what, text) in [
            ("CycloneDX JSON", medsec_sbom::write_cyclonedx_json(&s)),
            ("CycloneDX XML", medsec_sbom::write_cyclonedx_xml(&s)),
            ("SPDX JSON", medsec_sbom::write_spdx_json(&s)),
        ] {
            let back = medsec_sbom::read(text.as_bytes())
                .unwrap_or_else(|e| panic!("{name} as {what}: {e}"));
            assert_eq!(view(&back), v, "{name} as {what}");
            assert!(
                back.warnings.is_empty(),
                "{name} as {what}: {:?}",
                back.warnings
            );
            if what != "SPDX JSON" {
                assert_eq!(
                    back.vulnerabilities.len(),
                    s.vulnerabilities.len(),
                    "{name} as {what}"
                );
            }
        }
        // CycloneDX examples come as JSON and XML of one BOM.
        if s.format.kind.is_cyclonedx() {
            let stem = name
                .rsplit_once('.')
                .map_or(name.clone(), |(a, _)| a.to_owned());
            by_stem.entry(stem).or_default().push((name.clone(), v));
        }
    }
    let mut twins = 0;
    for (stem, docs) in &by_stem {
        if let [(a, va), (b, vb)] = docs.as_slice() {
            assert_eq!(va, vb, "{stem}: {a} and {b} differ");
            twins += 1;
        }
    }
    eprintln!(
        "read {} documents, {components} components: {per_format:?}; {twins} JSON/XML pairs agree; slowest {} in {:?} (this build's profile)",
        files.len() + 4,
        slowest.1,
        slowest.0
    );
    assert_eq!(twins, 7);
}

/// Starts `script` of `tests/` on `args`.
fn spawn(python: &Path, script: &str, args: &[String]) -> Child {
    Command::new(python)
        .arg(manifest_dir().join("tests").join(script))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {script}: {e}"))
}

/// Waits for a checker and returns its `INVALID` lines, after making sure
/// it checked `count` files.
fn finish(child: Child, what: &str, count: usize) -> Vec<String> {
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{what} failed\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!("checked {count}\n")),
        "{what}: {stdout}"
    );
    stdout
        .lines()
        .filter(|l| l.starts_with("INVALID"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn reference_tools_accept_our_output() {
    let Some(data) = data_dir() else { return };
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    for sub in ["cdx-json", "cdx-xml", "spdx"] {
        std::fs::create_dir(dir.path().join(sub)).unwrap();
    }
    let (mut json_files, mut xml_files, mut spdx_files) = (Vec::new(), Vec::new(), Vec::new());
    let mut seen_json = HashSet::new();
    let mut notes = Vec::new();
    for path in real_sboms(&data).iter().chain(&fixtures()) {
        let s = read(path);
        let name = short(path, Some(&data)).replace('/', "__");
        let out = |sub: &str, ext: &str, text: String| {
            let p = dir.path().join(sub).join(format!("{name}.{ext}"));
            std::fs::write(&p, text).unwrap();
            p.to_string_lossy().into_owned()
        };
        xml_files.push(out("cdx-xml", "xml", medsec_sbom::write_cyclonedx_xml(&s)));
        // cyclonedx-python-lib's JSON validation takes seconds per hundred
        // components (IRI checks): a large BOM is validated as JSON once,
        // from its JSON source; the XML source's output is checked as XML.
        let json = medsec_sbom::write_cyclonedx_json(&s);
        let large_twin = s.components.len() > 200 && s.format.kind == FormatKind::CycloneDxXml;
        if large_twin || !seen_json.insert(json.clone()) {
            notes.push(format!(
                "{name}: JSON output not validated again (large XML twin or duplicate)"
            ));
        } else {
            json_files.push(out("cdx-json", "json", json));
        }
        if s.components.is_empty() {
            notes.push(format!("{name}: no components (VEX only), no SPDX output"));
        } else {
            spdx_files.push(out("spdx", "spdx.json", medsec_sbom::write_spdx_json(&s)));
        }
    }
    let t = Instant::now();
    let checkers = [
        (
            "cyclonedx-python-lib JSON",
            spawn(
                &python,
                "check_cyclonedx.py",
                &[vec!["json".to_owned()], json_files.clone()].concat(),
            ),
            json_files.len(),
        ),
        (
            "cyclonedx-python-lib XML",
            spawn(
                &python,
                "check_cyclonedx.py",
                &[vec!["xml".to_owned()], xml_files.clone()].concat(),
            ),
            xml_files.len(),
        ),
        (
            "spdx-tools",
            spawn(&python, "check_spdx.py", &spdx_files),
            spdx_files.len(),
        ),
    ];
    let mut invalid = Vec::new();
    for (what, child, count) in checkers {
        invalid.extend(finish(child, what, count));
        eprintln!("{what}: {count} documents valid");
    }
    eprintln!("{}", notes.join("\n"));
    eprintln!("validated in {:?}", t.elapsed());
    assert!(invalid.is_empty(), "{}", invalid.join("\n"));
}

/// A mutation of a document, described, with what our reader must do
/// with it: refuse it (`Err`) or read it with a warning.
struct Case {
    what: &'static str,
    doc: Value,
    expect_error: bool,
}

fn mutate(
    base: &Value,
    what: &'static str,
    expect_error: bool,
    f: impl FnOnce(&mut Value),
) -> Case {
    let mut doc = base.clone();
    f(&mut doc);
    Case {
        what,
        doc,
        expect_error,
    }
}

fn cyclonedx_cases() -> Vec<Case> {
    let base: Value = serde_json::from_slice(
        &std::fs::read(manifest_dir().join("tests/fixtures/infusion-pump.cdx.json")).unwrap(),
    )
    .unwrap();
    let b = &base;
    vec![
        mutate(b, "as is", false, |_| {}),
        mutate(b, "version is a number", true, |d| {
            d["components"][1]["version"] = json!(3)
        }),
        mutate(b, "type misspelt", true, |d| {
            d["components"][0]["type"] = json!("libary")
        }),
        mutate(b, "name missing", true, |d| {
            d["components"][0].as_object_mut().unwrap().remove("name");
        }),
        mutate(b, "type missing", true, |d| {
            d["components"][2]["components"][0]
                .as_object_mut()
                .unwrap()
                .remove("type");
        }),
        mutate(b, "hash not hex", true, |d| {
            d["components"][0]["hashes"][0]["content"] = json!("xyz")
        }),
        mutate(b, "hash algorithm unknown", true, |d| {
            d["components"][0]["hashes"][0]["alg"] = json!("SHA-999")
        }),
        mutate(b, "bomFormat wrong", true, |d| {
            d["bomFormat"] = json!("CycloneDx")
        }),
        mutate(b, "bomFormat missing", true, |d| {
            d.as_object_mut().unwrap().remove("bomFormat");
        }),
        mutate(b, "version 0", true, |d| d["version"] = json!(0)),
        mutate(b, "version a string", true, |d| d["version"] = json!("1")),
        mutate(b, "dependsOn a string", true, |d| {
            d["dependencies"][0]["dependsOn"] = json!("freertos")
        }),
        mutate(b, "ref missing", true, |d| {
            d["dependencies"][0].as_object_mut().unwrap().remove("ref");
        }),
        mutate(b, "analysis state unknown", true, |d| {
            d["vulnerabilities"][0]["analysis"]["state"] = json!("fixed")
        }),
        mutate(b, "justification unknown", true, |d| {
            d["vulnerabilities"][0]["analysis"]["justification"] = json!("nope")
        }),
        mutate(b, "response a string", true, |d| {
            d["vulnerabilities"][0]["analysis"]["response"] = json!("update")
        }),
        mutate(b, "score a string", true, |d| {
            d["vulnerabilities"][0]["ratings"][0]["score"] = json!("high")
        }),
        mutate(b, "affects ref missing", true, |d| {
            d["vulnerabilities"][0]["affects"][0]
                .as_object_mut()
                .unwrap()
                .remove("ref");
        }),
        mutate(b, "components an object", true, |d| {
            d["components"] = json!({})
        }),
        mutate(b, "author a string in authors", true, |d| {
            d["metadata"]["authors"][0] = json!("김보안")
        }),
        mutate(b, "scope unknown", true, |d| {
            d["components"][0]["scope"] = json!("mandatory")
        }),
        mutate(b, "timestamp a number", true, |d| {
            d["metadata"]["timestamp"] = json!(5)
        }),
        mutate(b, "purl a number", true, |d| {
            d["components"][0]["purl"] = json!(5)
        }),
        mutate(b, "cpe an array", true, |d| {
            d["components"][0]["cpe"] = json!(["cpe:2.3:a:x:y:1:*:*:*:*:*:*:*"])
        }),
        mutate(b, "property without name", true, |d| {
            d["components"][1]["properties"][0] = json!({"value": "x"})
        }),
        mutate(b, "swid without tagId", true, |d| {
            d["components"][2]["swid"] = json!({"name": "x"})
        }),
        mutate(b, "reference url missing", true, |d| {
            d["components"][0]["externalReferences"][0]
                .as_object_mut()
                .unwrap()
                .remove("url");
        }),
        mutate(b, "cwe a string", true, |d| {
            d["vulnerabilities"][0]["cwes"] = json!(["CWE-79"])
        }),
        mutate(b, "acknowledgement unknown", true, |d| {
            d["components"][0]["licenses"][0]["license"]["acknowledgement"] = json!("assumed")
        }),
        mutate(b, "unknown top-level field", false, |d| {
            d["vendor"] = json!(true)
        }),
        mutate(b, "unknown component field", false, |d| {
            d["components"][0]["colour"] = json!("red")
        }),
        mutate(b, "serial number upper case", false, |d| {
            d["serialNumber"] = json!("urn:uuid:5F0C2B3A-8E1D-4C7B-9A6F-2D4E8B1C3A57")
        }),
        mutate(b, "licence and expression together", false, |d| {
            d["components"][0]["licenses"][0]["expression"] = json!("MIT");
        }),
        mutate(b, "external reference type unknown", false, |d| {
            d["components"][0]["externalReferences"][0]["type"] = json!("site")
        }),
    ]
}

fn spdx_cases() -> Vec<Case> {
    let monitor = read(&manifest_dir().join("tests/fixtures/patient-monitor.spdx"));
    let base: Value = serde_json::from_str(&medsec_sbom::write_spdx_json(&monitor)).unwrap();
    let b = &base;
    vec![
        mutate(b, "SPDX as is", false, |_| {}),
        mutate(b, "package name a number", true, |d| {
            d["packages"][0]["name"] = json!(5)
        }),
        mutate(b, "downloadLocation missing", true, |d| {
            d["packages"][0]
                .as_object_mut()
                .unwrap()
                .remove("downloadLocation");
        }),
        mutate(b, "document SPDXID missing", true, |d| {
            d.as_object_mut().unwrap().remove("SPDXID");
        }),
        mutate(b, "document name missing", true, |d| {
            d.as_object_mut().unwrap().remove("name");
        }),
        mutate(b, "creationInfo missing", true, |d| {
            d.as_object_mut().unwrap().remove("creationInfo");
        }),
        mutate(b, "creators a string", true, |d| {
            d["creationInfo"]["creators"] = json!("Tool: x")
        }),
        mutate(b, "checksum algorithm unknown", true, |d| {
            d["packages"][1]["checksums"][0]["algorithm"] = json!("SHA-256")
        }),
        mutate(b, "relationship type unknown", true, |d| {
            d["relationships"][0]["relationshipType"] = json!("DEPENDS-ON")
        }),
        mutate(b, "relationship element missing", true, |d| {
            d["relationships"][0]
                .as_object_mut()
                .unwrap()
                .remove("relatedSpdxElement");
        }),
        mutate(b, "filesAnalyzed a string", true, |d| {
            d["packages"][0]["filesAnalyzed"] = json!("false")
        }),
        mutate(b, "externalRefs an object", true, |d| {
            d["packages"][0]["externalRefs"] = json!({})
        }),
        mutate(b, "unknown field", false, |d| d["foo"] = json!(1)),
        mutate(b, "SPDXID with underscore", false, |d| {
            d["packages"][0]["SPDXID"] = json!("SPDXRef-a_b")
        }),
        mutate(b, "created without time", false, |d| {
            d["creationInfo"]["created"] = json!("2024-01-01")
        }),
        mutate(b, "purpose unknown", false, |d| {
            d["packages"][0]["primaryPackagePurpose"] = json!("LIB")
        }),
        mutate(b, "category with underscore", false, |d| {
            d["packages"][1]["externalRefs"][0]["referenceCategory"] = json!("PACKAGE_MANAGER")
        }),
        mutate(b, "checksum not hex", false, |d| {
            d["packages"][1]["checksums"][0]["checksumValue"] = json!("xyz")
        }),
    ]
}

/// Mutations the SPDX 2.3 JSON schema (tag v2.3) accepts but the SPDX 2.3
/// specification does not: SPDXIDs are `SPDXRef-[A-Za-z0-9.-]+`, times
/// `YYYY-MM-DDThh:mm:ssZ`, checksums hex. We warn about them.
const SCHEMA_SILENT: &[&str] = &[
    "SPDXID with underscore",
    "created without time",
    "checksum not hex",
];

#[test]
fn the_official_schemas_reject_what_we_reject() {
    let Some(data) = data_dir() else { return };
    let Some(python) = python() else { return };
    let dir = tempfile::tempdir().unwrap();
    let cases: Vec<Case> = cyclonedx_cases().into_iter().chain(spdx_cases()).collect();
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        files.push((
            format!("case-{i:02}.json"),
            serde_json::to_vec_pretty(&c.doc).unwrap(),
        ));
    }
    // The real JSON documents too: what the schema accepts, we accept.
    let real: Vec<PathBuf> = real_sboms(&data)
        .into_iter()
        .filter(|p| {
            p.extension().is_some_and(|e| e == "json") && !p.to_string_lossy().contains("spdx3")
        })
        .filter(|p| {
            !p.to_string_lossy().contains("/spdx3.0/")
                && !p.to_string_lossy().contains("spdx-examples/ai/")
        })
        .collect();
    for (i, p) in real.iter().enumerate() {
        files.push((format!("real-{i:03}.json"), std::fs::read(p).unwrap()));
    }
    let mut args = vec![
        data.join("sbom/schema").to_string_lossy().into_owned(),
        manifest_dir()
            .join("tests/fixtures/schema/spdx-2.3.schema.json")
            .to_string_lossy()
            .into_owned(),
    ];
    for (name, bytes) in &files {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).unwrap();
        args.push(p.to_string_lossy().into_owned());
    }
    let out = spawn(&python, "check_schema.py", &args)
        .wait_with_output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let verdicts: BTreeMap<String, (bool, String)> = stdout
        .lines()
        .filter_map(|l| {
            let (valid, rest) = l.split_once(' ')?;
            let (path, why) = rest.split_once(": ").unwrap_or((rest, ""));
            let name = Path::new(path).file_name()?.to_string_lossy().into_owned();
            Some((name, (valid == "VALID", why.to_owned())))
        })
        .collect();
    assert_eq!(verdicts.len(), files.len(), "{stdout}");

    let mut failures = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let (schema_ok, why) = &verdicts[&format!("case-{i:02}.json")];
        let ours = medsec_sbom::read(&serde_json::to_vec(&c.doc).unwrap());
        // Every mutation breaks the schema, except those the SPDX 2.3 JSON
        // schema does not check although the specification requires them.
        let expect_schema_ok = c.what.ends_with("as is") || SCHEMA_SILENT.contains(&c.what);
        if *schema_ok != expect_schema_ok {
            failures.push(format!("{}: the schema says {schema_ok} ({why})", c.what));
        }
        match (&ours, c.expect_error) {
            (Err(_), true) => {}
            (Ok(s), false) if c.what.ends_with("as is") == s.warnings.is_empty() => {}
            (Ok(s), _) => failures.push(format!("{}: read with warnings {:?}", c.what, s.warnings)),
            (Err(e), false) => failures.push(format!("{}: refused: {e}", c.what)),
        }
    }
    let (mut accepted, mut rejected) = (0, Vec::new());
    for (i, p) in real.iter().enumerate() {
        let (schema_ok, why) = &verdicts[&format!("real-{i:03}.json")];
        let ours = medsec_sbom::read(&std::fs::read(p).unwrap());
        if *schema_ok {
            accepted += 1;
            if let Err(e) = ours {
                failures.push(format!(
                    "{}: the schema accepts it, we refuse it: {e}",
                    p.display()
                ));
            }
        } else {
            rejected.push(format!("{}: {why}", short(p, Some(&data))));
        }
    }
    eprintln!(
        "{} mutations agree with the schemas; of {} real JSON documents the schemas accept {accepted}, reject {}:\n{}",
        cases.len(),
        real.len(),
        rejected.len(),
        rejected.join("\n")
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
