//! The keys find every advisory a component can match: an index of only
//! the records the keys (and the id keys, transitively) select gives
//! exactly the findings of the index of everything.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::collections::{BTreeSet, HashMap};

use super::*;
use crate::feed::{Kind, Record};
use crate::{Database, Purl, report};

/// A stored record with its keys, as the store keeps them.
struct Stored {
    record: Record,
    keys: Vec<String>,
}

fn store(mut records: Vec<Record>) -> Vec<Stored> {
    // The order in which the store streams them.
    records.sort_by(|a, b| (a.kind.as_str(), &a.id).cmp(&(b.kind.as_str(), &b.id)));
    records
        .into_iter()
        .map(|record| {
            let keys = match record.kind {
                Kind::Kev | Kind::Epss => Vec::new(),
                _ => super::record(&Advisory::parse(&record).unwrap()),
            };
            Stored { record, keys }
        })
        .collect()
}

fn full(stored: &[Stored]) -> Database {
    let mut db = Database::new();
    for s in stored {
        db.add_record(&s.record).unwrap();
    }
    db.build();
    db
}

/// What a reader of the store does: the records under the components'
/// keys, then every record sharing an id with one of them, then KEV and
/// EPSS of their CVEs, added in the store's order.
fn partial(stored: &[Stored], components: &[Component]) -> (Database, usize) {
    let mut by_key: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, s) in stored.iter().enumerate() {
        for k in &s.keys {
            by_key.entry(k.as_str()).or_default().push(i);
        }
    }
    let mut chosen = BTreeSet::new();
    let mut frontier: Vec<usize> = super::components(components)
        .iter()
        .flat_map(|k| by_key.get(k.as_str()).into_iter().flatten().copied())
        .collect();
    while let Some(i) = frontier.pop() {
        if !chosen.insert(i) {
            continue;
        }
        for k in stored[i].keys.iter().filter(|k| is_id(k)) {
            frontier.extend(by_key[k.as_str()].iter().copied());
        }
    }
    let mut cves = BTreeSet::new();
    for &i in &chosen {
        for a in Advisory::parse(&stored[i].record).unwrap() {
            cves.extend(a.cves().map(str::to_owned));
        }
    }
    let mut db = Database::new();
    let mut n = 0;
    for (i, s) in stored.iter().enumerate() {
        let wanted = match s.record.kind {
            Kind::Kev | Kind::Epss => cves.contains(&s.record.id),
            _ => chosen.contains(&i),
        };
        if wanted {
            db.add_record(&s.record).unwrap();
            n += 1;
        }
    }
    db.build();
    (db, n)
}

fn check_same(stored: &[Stored], full: &Database, components: &[Component], what: &str) -> usize {
    let (db, n) = partial(stored, components);
    let expected = report::json(what, components, &full.matches_built(components));
    let got = report::json(what, components, &db.matches_built(components));
    assert_eq!(got, expected, "{what}");
    n
}

fn record(kind: Kind, id: &str, body: &str) -> Record {
    Record {
        kind,
        id: id.to_owned(),
        modified: String::new(),
        body: body.to_owned(),
        origin: format!("test {id}"),
    }
}

fn purl(ty: &str, ns: Option<&str>, name: &str, version: &str) -> Component {
    Component {
        name: name.to_owned(),
        version: Some(version.to_owned()),
        purl: Some(Purl {
            ty: ty.to_owned(),
            namespace: ns.map(str::to_owned),
            name: name.to_owned(),
            version: Some(version.to_owned()),
            qualifiers: Vec::new(),
        }),
        ..Component::default()
    }
}

const GHSA: &str = r#"{"id":"GHSA-jf85-cpcp-j695","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2019-10744"],"summary":"Prototype Pollution in lodash","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:H"}],"affected":[{"package":{"ecosystem":"npm","name":"lodash"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"4.17.12"}]}]}]}"#;
/// Joins the GHSA's group only through its CVE, and names no package.
const NVD: &str = r#"{"id":"CVE-2019-10744","vulnStatus":"Modified","descriptions":[{"lang":"en","value":"Prototype Pollution."}],"metrics":{"cvssMetricV31":[{"source":"nvd@nist.gov","type":"Primary","cvssData":{"version":"3.1","vectorString":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:H","baseScore":9.1,"baseSeverity":"CRITICAL"}}]}}"#;
/// Joins the group through the GHSA id only (an alias of an alias).
const PYSEC: &str = r#"{"id":"PYSEC-2021-9","modified":"2021-01-01T00:00:00Z","aliases":["GHSA-jf85-cpcp-j695"],"summary":"Another view","affected":[{"package":{"ecosystem":"PyPI","name":"Some_Package"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"2.0"}]}]}]}"#;
const NVD_FIRMWARE: &str = r#"{"id":"CVE-2022-9999","vulnStatus":"Analyzed","descriptions":[{"lang":"en","value":"Pump firmware flaw."}],"configurations":[{"operator":"AND","nodes":[{"operator":"OR","negate":false,"cpeMatch":[{"vulnerable":true,"criteria":"cpe:2.3:o:acme:pump_firmware:*:*:*:*:*:*:*:*","versionEndExcluding":"2.4.1","matchCriteriaId":"A"}]},{"operator":"OR","negate":false,"cpeMatch":[{"vulnerable":false,"criteria":"cpe:2.3:h:acme:pump:-:*:*:*:*:*:*:*","matchCriteriaId":"B"}]}]}]}"#;
const KEV: &str = r#"{"cveID":"CVE-2019-10744","dateAdded":"2024-01-01","dueDate":"2024-01-22","knownRansomwareCampaignUse":"Known","requiredAction":"Patch."}"#;

fn small() -> Vec<Stored> {
    store(vec![
        record(Kind::Osv, "GHSA-jf85-cpcp-j695", GHSA),
        record(Kind::Nvd, "CVE-2019-10744", NVD),
        record(Kind::Osv, "PYSEC-2021-9", PYSEC),
        record(Kind::Nvd, "CVE-2022-9999", NVD_FIRMWARE),
        record(Kind::Kev, "CVE-2019-10744", KEV),
        record(Kind::Epss, "CVE-2019-10744", "0.5,0.97"),
        record(Kind::Epss, "CVE-2022-9999", "0.1,0.5"),
    ])
}

#[test]
fn keys_are_the_index_keys() {
    let stored = small();
    let keys: Vec<&[String]> = stored.iter().map(|s| s.keys.as_slice()).collect();
    assert_eq!(
        keys,
        [
            // EPSS and KEV have no keys: they are read by CVE.
            &[][..],
            &[][..],
            &[][..],
            &["id:CVE-2019-10744".to_owned()][..],
            &[
                "cpe:acme:pump_firmware".to_owned(),
                "id:CVE-2022-9999".to_owned()
            ][..],
            &[
                "id:CVE-2019-10744".to_owned(),
                "id:GHSA-jf85-cpcp-j695".to_owned(),
                "pkg:npm:lodash".to_owned()
            ][..],
            &[
                "id:GHSA-jf85-cpcp-j695".to_owned(),
                "id:PYSEC-2021-9".to_owned(),
                // PEP 503, as the index compares PyPI names.
                "pkg:PyPI:some-package".to_owned()
            ][..],
        ]
    );
    let mut firmware = Component {
        name: "pump firmware".to_owned(),
        supplier: Some("ACME".to_owned()),
        cpes: vec!["cpe:2.3:o:acme:pump_firmware:2.4.0:*:*:*:*:*:*:*".to_owned()],
        ..Component::default()
    };
    let mut out = BTreeSet::new();
    component(&firmware, &mut out);
    component(&purl("pypi", None, "some.package", "1.0"), &mut out);
    assert_eq!(
        out.into_iter().collect::<Vec<_>>(),
        [
            "cpe:acme:pump_firmware",
            "name:pump firmware",
            "pkg:PyPI:some-package"
        ]
    );
    // A local component is looked up by nothing but its CPEs and name.
    firmware.purl = purl("cargo", None, "imageproc", "0.1.0").purl;
    firmware.local = true;
    let mut out = BTreeSet::new();
    component(&firmware, &mut out);
    assert!(!out.iter().any(|k| k.starts_with("pkg:")), "{out:?}");
}

#[test]
fn an_index_of_the_keyed_records_finds_what_the_full_index_finds() {
    let stored = small();
    let full = full(&stored);
    let lodash = purl("npm", None, "lodash", "4.17.11");
    // The group of lodash's advisory comes whole (its NVD record gives
    // the score, the PyPI record the summary order), with KEV and EPSS.
    let n = check_same(&stored, &full, std::slice::from_ref(&lodash), "lodash");
    assert_eq!(n, 5);
    let findings = full.matches_built(std::slice::from_ref(&lodash));
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].id, "CVE-2019-10744");
    assert!(findings[0].kev.is_some() && findings[0].epss.is_some());
    let pump = Component {
        name: "pump".to_owned(),
        cpes: vec!["cpe:2.3:h:acme:pump:-:*:*:*:*:*:*:*".to_owned()],
        ..Component::default()
    };
    let firmware = Component {
        name: "firmware".to_owned(),
        cpes: vec!["cpe:2.3:o:acme:pump_firmware:2.4.0:*:*:*:*:*:*:*".to_owned()],
        ..Component::default()
    };
    let n = check_same(&stored, &full, &[pump.clone(), firmware, lodash], "all");
    assert_eq!(n, 7);
    // The platform alone selects nothing: the configuration is filed
    // under its vulnerable criterion only, and needs it to match.
    assert_eq!(check_same(&stored, &full, &[pump], "pump"), 0);
    let mut local = purl("npm", None, "lodash", "4.17.11");
    local.local = true;
    assert_eq!(check_same(&stored, &full, &[local], "local"), 0);
}

/// The real feeds and SBOMs: every SBOM of medsec-sbom's fixtures and of
/// `MEDSEC_DATA/sbom`, and the real Cargo.lock files.
#[test]
fn the_real_feeds_give_the_same_findings_from_the_keyed_records() {
    let dir = std::env::var_os("MEDSEC_DATA")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
        });
    if !dir.join("advisories").is_dir() {
        assert!(
            std::env::var("MEDSEC_REQUIRE_DATA").as_deref() != Ok("1"),
            "MEDSEC_REQUIRE_DATA=1 but {} has no advisories",
            dir.display()
        );
        eprintln!("skipped: no feeds at {} (set MEDSEC_DATA)", dir.display());
        return;
    }
    let (files, _) = crate::feed::discover(&dir).unwrap();
    let mut records = Vec::new();
    for file in &files {
        crate::feed::read(file, crate::feed::Limits::default(), &mut |r| {
            records.push(r);
            Ok(())
        })
        .unwrap();
    }
    // One record per (kind, id), as the store keeps them: the KEV entries
    // come in JSON and CSV.
    records.sort_by(|a, b| (a.kind, &a.id).cmp(&(b.kind, &b.id)));
    records.dedup_by(|a, b| (a.kind, &a.id) == (b.kind, &b.id));
    let stored = store(records);
    let full = full(&stored);

    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut inputs = Vec::new();
    for root in [
        manifest.join("../medsec-sbom/tests/fixtures"),
        dir.join("sbom"),
        manifest.join("tests/cargo-lock"),
    ] {
        let mut stack = vec![root];
        while let Some(d) = stack.pop() {
            for entry in std::fs::read_dir(&d).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    inputs.push(path);
                }
            }
        }
    }
    inputs.sort();
    let (mut scanned, mut with_findings, mut loaded) = (0, 0, 0);
    for path in &inputs {
        let bytes = std::fs::read(path).unwrap();
        let sbom = match medsec_sbom::read(&bytes) {
            Ok(sbom) => sbom,
            Err(_) => match medsec_sbom::generate::generate_path(path, &Default::default()) {
                Ok(sbom) if !sbom.components.is_empty() => sbom,
                _ => continue,
            },
        };
        let components: Vec<Component> = sbom.components.iter().map(Component::from_sbom).collect();
        loaded += check_same(&stored, &full, &components, &path.display().to_string());
        scanned += 1;
        with_findings += usize::from(!full.matches_built(&components).is_empty());
    }
    eprintln!(
        "{scanned} SBOMs and lock files ({with_findings} with findings): {loaded} of {} records loaded in all",
        stored.len() * scanned
    );
    assert!(
        scanned >= 40 && with_findings >= 25,
        "{scanned} {with_findings}"
    );
}
