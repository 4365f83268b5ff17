//! Matching: explained findings, alias merging, CPE configurations, and
//! the real feeds of ../shared/data.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

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
        supplier: None,
        version: Some(version.to_owned()),
        purl: Some(Purl {
            ty: ty.to_owned(),
            namespace: ns.map(str::to_owned),
            name: name.to_owned(),
            version: Some(version.to_owned()),
            qualifiers: Vec::new(),
        }),
        cpes: Vec::new(),
        local: false,
    }
}

fn device(supplier: &str, name: &str, version: &str) -> Component {
    Component {
        name: name.to_owned(),
        supplier: Some(supplier.to_owned()),
        version: Some(version.to_owned()),
        ..Component::default()
    }
}

fn cpe(name: &str, cpe: &str) -> Component {
    Component {
        name: name.to_owned(),
        cpes: vec![cpe.to_owned()],
        ..Component::default()
    }
}

const GHSA_LODASH: &str = r#"{"id":"GHSA-jf85-cpcp-j695","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2019-10744"],"summary":"Prototype Pollution in lodash","severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:H"}],"affected":[{"package":{"ecosystem":"npm","name":"lodash"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"4.17.12"}]}]}],"database_specific":{"severity":"CRITICAL"}}"#;

const NVD_LODASH: &str = r#"{"id":"CVE-2019-10744","published":"2019-07-26T00:15:11.217","lastModified":"2024-11-21T04:19:51.357","vulnStatus":"Modified","descriptions":[{"lang":"en","value":"Versions of lodash lower than 4.17.12 are vulnerable to Prototype Pollution."}],"metrics":{"cvssMetricV31":[{"source":"nvd@nist.gov","type":"Primary","cvssData":{"version":"3.1","vectorString":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:H","baseScore":9.1,"baseSeverity":"CRITICAL"}}]}}"#;

const PYSEC: &str = r#"{"id":"PYSEC-2021-1","modified":"2021-01-01T00:00:00Z","aliases":["CVE-2021-0002"],"details":"Django before 3.1.5 is vulnerable. More text.","affected":[{"package":{"ecosystem":"PyPI","name":"Django"},"ranges":[{"type":"GIT","repo":"https://github.com/django/django","events":[{"introduced":"0"},{"fixed":"abc123"}]},{"type":"ECOSYSTEM","events":[{"introduced":"3.0"},{"fixed":"3.1.5"}]}],"versions":["2.2.1"]}]}"#;

const GO: &str = r#"{"id":"GO-2020-0001","modified":"2021-01-01T00:00:00Z","aliases":["CVE-2020-36567","GHSA-6vm3-jj99-7229"],"summary":"Arbitrary log line injection in github.com/gin-gonic/gin","affected":[{"package":{"name":"github.com/gin-gonic/gin","ecosystem":"Go"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.6.0"}]}]}]}"#;

const WITHDRAWN: &str = r#"{"id":"GHSA-with-draw-nnnn","modified":"2021-01-01T00:00:00Z","withdrawn":"2021-02-01T00:00:00Z","affected":[{"package":{"ecosystem":"npm","name":"lodash"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]}]}"#;

const RUSTSEC: &str = "```toml\n[advisory]\nid = \"RUSTSEC-2021-0072\"\npackage = \"tokio\"\ndate = \"2021-07-07\"\naliases = [\"CVE-2021-38191\", \"GHSA-2grh-hm3w-w7hv\"]\n\n[versions]\npatched = [\">= 1.5.1, < 1.6.0\", \">= 1.8.1\"]\nunaffected = [\"< 0.3.0\"]\n```\n\n# Task dropped in wrong thread\n";

/// Firmware only on its hardware: an AND of a vulnerable firmware range
/// and a non-vulnerable hardware platform.
const NVD_FIRMWARE: &str = r#"{"id":"CVE-2022-9999","vulnStatus":"Analyzed","descriptions":[{"lang":"en","value":"Pump firmware flaw."}],"metrics":{"cvssMetricV31":[{"source":"nvd@nist.gov","type":"Primary","cvssData":{"version":"3.1","vectorString":"CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H","baseScore":8.8,"baseSeverity":"HIGH"}}]},"configurations":[{"operator":"AND","nodes":[{"operator":"OR","negate":false,"cpeMatch":[{"vulnerable":true,"criteria":"cpe:2.3:o:acme:pump_firmware:*:*:*:*:*:*:*:*","versionEndExcluding":"2.4.1","matchCriteriaId":"A"}]},{"operator":"OR","negate":false,"cpeMatch":[{"vulnerable":false,"criteria":"cpe:2.3:h:acme:pump:-:*:*:*:*:*:*:*","matchCriteriaId":"B"}]}]}]}"#;

fn database() -> Database {
    let mut db = Database::new();
    for (kind, id, body) in [
        (Kind::Osv, "GHSA-jf85-cpcp-j695", GHSA_LODASH),
        (Kind::Nvd, "CVE-2019-10744", NVD_LODASH),
        (Kind::Osv, "PYSEC-2021-1", PYSEC),
        (Kind::Osv, "GO-2020-0001", GO),
        (Kind::Osv, "GHSA-with-draw-nnnn", WITHDRAWN),
        (Kind::RustSec, "RUSTSEC-2021-0072", RUSTSEC),
        (Kind::Nvd, "CVE-2022-9999", NVD_FIRMWARE),
        (
            Kind::Kev,
            "CVE-2019-10744",
            r#"{"cveID":"CVE-2019-10744","dateAdded":"2024-01-01","dueDate":"2024-01-22","knownRansomwareCampaignUse":"Known","requiredAction":"Patch."}"#,
        ),
        (Kind::Epss, "CVE-2019-10744", "0.5,0.97"),
    ] {
        db.add_record(&record(kind, id, body)).unwrap();
    }
    db.build();
    db
}

/// One line per finding: component index, id, then each reason.
fn render(findings: &[Finding]) -> String {
    let mut out = String::new();
    for f in findings {
        out.push_str(&format!(
            "{} {} [{}] {:?} kev={} p={}\n",
            f.component,
            f.id,
            f.aliases.join(","),
            f.level,
            f.kev.is_some(),
            f.priority
        ));
        for r in &f.reasons {
            out.push_str(&format!("  {} {}: {}\n", r.advisory, r.kind, r.text));
        }
    }
    out
}

fn check(components: &[Component], expect: &str) {
    let mut db = database();
    let got = render(&db.matches(components));
    assert_eq!(got.trim(), expect.trim(), "\n{got}");
}

#[test]
fn package_ranges_explain_the_match_and_aliases_merge() {
    check(
        &[
            purl("npm", None, "lodash", "4.17.11"),
            purl("npm", None, "lodash", "4.17.12"),
            purl("pypi", None, "django", "3.1.4"),
            purl("pypi", None, "Django", "2.2.1"),
            purl("pypi", None, "django", "3.1.5"),
            purl("golang", Some("github.com/gin-gonic"), "gin", "v1.5.0"),
            purl("cargo", None, "tokio", "1.8.0"),
            purl("cargo", None, "tokio", "1.8.1"),
        ],
        "
0 CVE-2019-10744 [GHSA-jf85-cpcp-j695] Some(Critical) kev=true p=95.5
  GHSA-jf85-cpcp-j695 package: npm lodash 4.17.11: in the ECOSYSTEM range >= 0, < 4.17.12
2 CVE-2021-0002 [PYSEC-2021-1] None kev=false p=20
  PYSEC-2021-1 package: PyPI Django 3.1.4: in the ECOSYSTEM range >= 3.0, < 3.1.5
3 CVE-2021-0002 [PYSEC-2021-1] None kev=false p=20
  PYSEC-2021-1 package: PyPI Django 2.2.1: listed among the affected versions (one range not evaluable: ranges[0] is a GIT range (commits, not versions))
5 CVE-2020-36567 [GHSA-6vm3-jj99-7229,GO-2020-0001] None kev=false p=20
  GO-2020-0001 package: Go github.com/gin-gonic/gin v1.5.0: in the SEMVER range >= 0, < 1.6.0
6 CVE-2021-38191 [GHSA-2grh-hm3w-w7hv,RUSTSEC-2021-0072] None kev=false p=20
  RUSTSEC-2021-0072 package: crates.io tokio 1.8.0: not patched (>= 1.5.1, < 1.6.0 | >= 1.8.1) and not unaffected (< 0.3.0)
",
    );
}

#[test]
fn nvd_configurations_need_their_platform() {
    let firmware = |v: &str| {
        cpe(
            "pump firmware",
            &format!("cpe:2.3:o:acme:pump_firmware:{v}:*:*:*:*:*:*:*"),
        )
    };
    let hardware = cpe("pump", "cpe:2.3:h:acme:pump:-:*:*:*:*:*:*:*");
    check(
        &[firmware("2.4.0"), hardware.clone()],
        "
0 CVE-2022-9999 [] Some(High) kev=false p=35.2
  CVE-2022-9999 cpe: NVD configuration 1: cpe:2.3:o:acme:pump_firmware:*:*:*:*:*:*:*:* (< 2.4.1) matches cpe:2.3:o:acme:pump_firmware:2.4.0:*:*:*:*:*:*:*, running on cpe:2.3:h:acme:pump:-:*:*:*:*:*:*:* on cpe:2.3:h:acme:pump:-:*:*:*:*:*:*:*
",
    );
    // Firmware without its hardware, or a fixed firmware: nothing.
    check(&[firmware("2.4.0")], "");
    check(&[firmware("2.4.1"), hardware], "");
}

#[test]
fn components_without_version_or_identity_do_not_match() {
    let mut no_version = purl("npm", None, "lodash", "x");
    no_version.version = None;
    if let Some(p) = &mut no_version.purl {
        p.version = None;
    }
    let name_only = Component {
        name: "lodash".into(),
        version: Some("4.17.11".into()),
        ..Component::default()
    };
    check(&[no_version, name_only], "");
}

#[test]
fn informational_kinds_come_from_the_advisories_that_matched() {
    // RUSTSEC-2019-0036 (unsound) and RUSTSEC-2020-0036 (unmaintained)
    // share their aliases, so they are one vulnerability; each reason
    // keeps its own kind. A third advisory with the same alias that is a
    // vulnerability makes the finding one, whatever the others say.
    let advisory = |id: &str, informational: Option<&str>, patched: &str| {
        let kind = informational
            .map(|k| format!("informational = \"{k}\"\n"))
            .unwrap_or_default();
        format!(
            "```toml\n[advisory]\nid = \"{id}\"\npackage = \"failure\"\naliases = [\"CVE-2019-25010\"]\n{kind}\n[versions]\npatched = [{patched}]\n```\n\n# {id}\n"
        )
    };
    let mut db = Database::new();
    for (id, kind, patched) in [
        ("RUSTSEC-2019-0036", Some("unsound"), ""),
        ("RUSTSEC-2020-0036", Some("unmaintained"), ""),
        ("RUSTSEC-2099-0001", None, "\">= 0.1.6\""),
    ] {
        db.add_record(&record(Kind::RustSec, id, &advisory(id, kind, patched)))
            .unwrap();
    }
    let findings = db.matches(&[
        purl("cargo", None, "failure", "0.1.8"),
        purl("cargo", None, "failure", "0.1.5"),
    ]);
    // Component, the finding's kind, then each reason's advisory and kind.
    let got: Vec<String> = findings
        .iter()
        .map(|f| {
            let mut line = format!(
                "{} {}:",
                f.component,
                f.informational.as_deref().unwrap_or("vulnerability")
            );
            for r in &f.reasons {
                let kind = r.informational.as_deref().unwrap_or("vulnerability");
                line.push_str(&format!(" {}={kind}", r.advisory));
            }
            line
        })
        .collect();
    assert_eq!(
        got,
        [
            "0 unsound: RUSTSEC-2019-0036=unsound RUSTSEC-2020-0036=unmaintained",
            "1 vulnerability: RUSTSEC-2019-0036=unsound RUSTSEC-2020-0036=unmaintained \
             RUSTSEC-2099-0001=vulnerability",
        ],
        "{}",
        render(&findings)
    );
}

/// The shared data directory, or `None` (with a note) when it is absent.
pub(crate) fn data_dir() -> Option<std::path::PathBuf> {
    let dir = std::env::var_os("MEDSEC_DATA")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data")
        });
    if dir.join("advisories").is_dir() {
        return Some(dir);
    }
    if std::env::var("MEDSEC_REQUIRE_DATA").as_deref() == Ok("1") {
        panic!(
            "MEDSEC_REQUIRE_DATA=1 but {} has no advisories",
            dir.display()
        );
    }
    eprintln!(
        "skipped: real feeds test ({} is missing; set MEDSEC_DATA)",
        dir.display()
    );
    None
}

#[test]
fn the_real_feeds_load_and_match_known_vulnerabilities() {
    let Some(dir) = data_dir() else {
        return;
    };
    let (files, _skipped) = crate::feed::discover(&dir).unwrap();
    let mut db = Database::new();
    let mut per_kind: BTreeMap<&str, usize> = BTreeMap::new();
    for file in &files {
        crate::feed::read(file, crate::feed::Limits::default(), &mut |r| {
            *per_kind.entry(r.kind.as_str()).or_default() += 1;
            db.add_record(&r)
        })
        .unwrap_or_else(|e| panic!("{e}"));
    }
    db.build();
    let stats = db.stats();
    // Counts of PROVENANCE.md: OSV 4,291 Go + 2,661 PyPI + 7,444 Bitnami +
    // 14 CRAN + 82 GHSA lines (79 records, three in two files), 60 NVD,
    // the RustSec tree, 1,404 KEV entries (JSON and CSV: the same records).
    assert_eq!(
        per_kind["osv"],
        4291 + 2661 + 7444 + 14 + 24 + 17 + 10 + 17 + 14
    );
    assert_eq!(per_kind["nvd"], 60);
    assert_eq!(per_kind["kev"], 2 * 1404);
    assert!(per_kind["rustsec"] > 1000, "{per_kind:?}");
    // 114 ICSMA, 150 ICSA and the 19 CSAF documents among the OASIS examples.
    assert_eq!(per_kind["csaf"], 114 + 150 + 19, "{per_kind:?}");
    assert_eq!(stats.kev, 1404);
    assert!(stats.vulnerabilities < stats.advisories, "{stats:?}");

    let findings = db.matches(&[
        purl("cargo", None, "tokio", "1.8.0"),
        purl(
            "maven",
            Some("org.apache.logging.log4j"),
            "log4j-core",
            "2.14.1",
        ),
        purl(
            "maven",
            Some("org.apache.logging.log4j"),
            "log4j-core",
            "2.17.1",
        ),
        cpe(
            "pump",
            "cpe:2.3:h:baxter:sigma_spectrum_infusion_system:-:*:*:*:*:*:*:*",
        ),
        cpe(
            "firmware",
            "cpe:2.3:o:baxter:sigma_spectrum_infusion_system_firmware:6.02:*:*:*:*:*:*:*",
        ),
        device("Santesoft", "Sante DICOM Viewer Pro", "14.0.3"),
        device("Santesoft", "Sante DICOM Viewer Pro", "14.0.4"),
    ]);
    let find = |c: usize, id: &str| {
        findings
            .iter()
            .find(|f| f.component == c && f.id == id)
            .unwrap_or_else(|| panic!("no {id} on component {c}:\n{}", render(&findings)))
    };
    let tokio = find(0, "CVE-2021-38191");
    let by: Vec<&str> = tokio.reasons.iter().map(|r| r.advisory.as_str()).collect();
    assert_eq!(by, ["GHSA-2grh-hm3w-w7hv", "RUSTSEC-2021-0072"]);
    let log4shell = find(1, "CVE-2021-44228");
    assert!(log4shell.kev.is_some());
    assert_eq!(log4shell.level, Some(Level::Critical));
    assert!(
        log4shell.reasons[0].text.contains(">= 2.13.0, < 2.15.0"),
        "{:?}",
        log4shell.reasons
    );
    assert!(
        !findings
            .iter()
            .any(|f| f.component == 2 && f.id == "CVE-2021-44228")
    );
    let pump = find(4, "CVE-2020-12039");
    assert!(
        pump.reasons[0].text.contains(">= 6.0, <= 6.05"),
        "{:?}",
        pump.reasons
    );
    // A medical device named by vendor and product in a CISA ICSMA advisory.
    let viewer = findings
        .iter()
        .find(|f| f.component == 5 && f.reasons.iter().any(|r| r.advisory == "ICSMA-24-058-01"))
        .unwrap_or_else(|| panic!("no ICSMA-24-058-01 finding:\n{}", render(&findings)));
    assert!(
        viewer.reasons[0]
            .text
            .contains("version 14.0.3 in <=14.0.3"),
        "{:?}",
        viewer.reasons
    );
    assert!(
        !findings.iter().any(|f| f.component == 6),
        "{}",
        render(&findings)
    );
    // Findings are ordered by priority: the known-exploited Log4Shell first.
    assert_eq!(findings[0].id, "CVE-2021-44228");
}

#[test]
fn rpm_advisories_hold_for_their_own_distribution() {
    let advisory = |id: &str, ecosystem: &str, fixed: &str| {
        format!(
            r#"{{"id":"{id}","modified":"2024-01-01T00:00:00Z","affected":[{{"package":{{"ecosystem":"{ecosystem}","name":"openssl"}},"ranges":[{{"type":"ECOSYSTEM","events":[{{"introduced":"0"}},{{"fixed":"{fixed}"}}]}}]}}]}}"#
        )
    };
    let mut db = Database::new();
    db.add_record(&record(
        Kind::Osv,
        "RLSA-2024:1",
        &advisory("RLSA-2024:1", "Rocky Linux:9", "1:3.0.7-27.el9"),
    ))
    .unwrap();
    db.add_record(&record(
        Kind::Osv,
        "SUSE-SU-2024:1",
        &advisory(
            "SUSE-SU-2024:1",
            "SUSE:Linux Enterprise Server 15",
            "3.1.4-150600.5.1",
        ),
    ))
    .unwrap();
    let rpm = |ns: Option<&str>, version: &str| purl("rpm", ns, "openssl", version);
    let findings = db.matches(&[
        rpm(Some("rocky"), "1:3.0.7-25.el9"),
        rpm(Some("suse"), "3.1.4-150600.4.1"),
        rpm(Some("rocky"), "1:3.0.7-27.el9"),
        rpm(None, "1:3.0.7-25.el9"),
        rpm(Some("redhat"), "1:3.0.7-25.el9"),
    ]);
    let got: Vec<(usize, &str)> = findings
        .iter()
        .map(|f| (f.component, f.id.as_str()))
        .collect();
    assert_eq!(
        got,
        [(0, "RLSA-2024:1"), (1, "SUSE-SU-2024:1")],
        "{}",
        render(&findings)
    );
}
