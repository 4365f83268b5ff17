//! Writing: what the three writers put out, determinism, and round trips
//! (our output read back gives the same components), on the fixtures and
//! on random models.

use std::collections::BTreeSet;

use proptest::prelude::*;
use serde_json::Value;

use super::*;
use crate::model::{
    Component, ComponentId, ComponentKind, Dependency, DependencyKind, Format, FormatKind, Hash,
    HashAlg, License, Party, Sbom,
};
use crate::purl::Purl;
use crate::{write_cyclonedx_json, write_cyclonedx_xml, write_spdx_json};

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

/// The components with what CycloneDX keeps: everything but the SBOM
/// metadata, since the writer adds itself to the tools.
#[track_caller]
fn same_components(a: &Sbom, b: &Sbom) {
    assert_eq!(a.components.len(), b.components.len());
    for (x, y) in a.components.iter().zip(&b.components) {
        assert_eq!(x, y);
    }
    assert_eq!(a.subject, b.subject);
    let set = |s: &Sbom| s.dependencies.iter().cloned().collect::<BTreeSet<_>>();
    assert_eq!(set(a), set(b));
}

/// The licence identifiers a statement uses: formats differ in how they
/// group licences (one `AND` expression in SPDX, a list in CycloneDX) and
/// SPDX turns names into `LicenseRef-`s.
fn terms(licenses: &[License]) -> BTreeSet<String> {
    licenses
        .iter()
        .flat_map(|l| match l {
            License::Expression(e) => e
                .split(|c: char| c.is_whitespace() || c == '(' || c == ')')
                .filter(|t| !t.is_empty() && !["AND", "OR", "WITH"].contains(t))
                .map(str::to_owned)
                .collect::<Vec<_>>(),
            License::Name(n) => vec![crate::license::license_ref_for_name(n)],
        })
        .map(|t| {
            if crate::license::license_id(&t).is_some() || t.starts_with("LicenseRef-") {
                t
            } else {
                crate::license::license_ref_for_name(&t)
            }
        })
        .collect()
}

/// A component with its licences as [`terms`].
fn comparable(c: &Component) -> Component {
    let mut c = c.clone();
    let declared = terms(&c.licenses);
    let concluded = terms(c.license_concluded.as_slice());
    c.licenses = declared.into_iter().map(License::Name).collect();
    c.license_concluded = (!concluded.is_empty())
        .then(|| License::Name(concluded.into_iter().collect::<Vec<_>>().join(" ")));
    c
}

/// What survives every format: name, version, purl, CPEs, hashes both
/// formats can name, supplier, licences, and the parent's name.
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
                .map(|h| format!("{}:{}", h.alg, h.value))
                .collect();
            let parent = c
                .parent
                .as_ref()
                .and_then(|p| s.component(p))
                .map(|p| p.name.clone());
            format!(
                "{}|{:?}|{:?}|{cpes:?}|{hashes:?}|{:?}|{:?}|{:?}|{parent:?}",
                c.name,
                c.version,
                c.purl.as_ref().map(Purl::to_string),
                c.supplier.as_ref().map(|p| &p.name),
                terms(&c.licenses),
                terms(c.license_concluded.as_slice()),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn cyclonedx_round_trips_its_own_output() {
    for fixture in [PUMP, VENTILATOR, MONITOR, YOCTO] {
        let s = read(fixture);
        let back = read(write_cyclonedx_json(&s).as_bytes());
        let back_xml = read(write_cyclonedx_xml(&s).as_bytes());
        if s.format.kind.is_cyclonedx() {
            same_components(&s, &back);
            same_components(&s, &back_xml);
            assert_eq!(s.vulnerabilities, back.vulnerabilities);
            assert_eq!(s.vulnerabilities.len(), back_xml.vulnerabilities.len());
        }
        assert_eq!(view(&s), view(&back), "{}", s.format);
        assert_eq!(view(&s), view(&back_xml), "{}", s.format);
        assert!(back.warnings.is_empty(), "{:?}", back.warnings);
        assert!(back_xml.warnings.is_empty(), "{:?}", back_xml.warnings);
    }
}

#[test]
fn spdx_round_trips_its_own_output() {
    for fixture in [PUMP, VENTILATOR, MONITOR, YOCTO] {
        let s = read(fixture);
        let text = write_spdx_json(&s);
        let back = read(text.as_bytes());
        assert!(back.warnings.is_empty(), "{:?}", back.warnings);
        if s.format.kind == FormatKind::Spdx2TagValue {
            same_components(&s, &back);
        }
        assert_eq!(view(&s), view(&back), "{}", s.format);
    }
}

#[test]
fn writers_are_deterministic() {
    let s = read(PUMP);
    assert_eq!(write_cyclonedx_json(&s), write_cyclonedx_json(&s.clone()));
    assert_eq!(write_cyclonedx_xml(&s), write_cyclonedx_xml(&s.clone()));
    assert_eq!(write_spdx_json(&s), write_spdx_json(&s.clone()));
    // Another document gets another namespace and serial.
    let other = read(VENTILATOR);
    let ns = |s: &Sbom| json(&write_spdx_json(s))["documentNamespace"].clone();
    assert_ne!(ns(&s), ns(&other));
}

#[test]
fn cyclonedx_output() {
    let s = read(MONITOR);
    let bom = json(&write_cyclonedx_json(&s));
    assert_eq!(bom["specVersion"], "1.6");
    // The source's namespace is no UUID: the serial is derived.
    let serial = bom["serialNumber"].as_str().unwrap();
    assert!(
        serial.starts_with("urn:uuid:") && serial.len() == 45,
        "{serial}"
    );
    assert_eq!(bom["metadata"]["timestamp"], "2025-02-03T04:05:06Z");
    assert_eq!(
        bom["metadata"]["component"]["bom-ref"],
        "SPDXRef-Package-monitor"
    );
    assert_eq!(bom["metadata"]["component"]["type"], "device");
    // Contained packages nest under their container, files under theirs.
    let nested = &bom["metadata"]["component"]["components"][0];
    assert_eq!(nested["name"], "libfoo");
    assert_eq!(nested["components"][0]["type"], "file");
    assert_eq!(
        nested["licenses"][0]["expression"],
        "(MIT OR Apache-2.0) AND BSD-2-Clause"
    );
    let curl = &bom["components"][0];
    assert_eq!(curl["licenses"][0]["license"]["id"], "curl");
    assert_eq!(
        curl["licenses"][1]["license"]["acknowledgement"],
        "concluded"
    );
    assert_eq!(curl["externalReferences"][0]["type"], "distribution");
    assert_eq!(bom["dependencies"][0]["ref"], "SPDXRef-Package-monitor");
    assert_eq!(
        bom["dependencies"][1]["dependsOn"][0],
        "SPDXRef-Package-libfoo"
    );

    // Several CPEs: the first in `cpe`, the others as properties.
    let y = json(&write_cyclonedx_json(&read(YOCTO)));
    let kernel = y["metadata"]["component"]["components"]
        .as_array()
        .into_iter()
        .chain(y["components"].as_array())
        .flatten()
        .find(|c| c["name"] == "kernel-image-bzimage-6.6.21-yocto-standard")
        .unwrap();
    assert_eq!(
        kernel["cpe"],
        "cpe:2.3:*:linux:linux_kernel:6.6.21:*:*:*:*:*:*:*"
    );
    assert_eq!(kernel["properties"][0]["name"], "medsec:cpe");
    assert_eq!(
        kernel["properties"][0]["value"],
        "cpe:2.3:*:linux:linux:6.6.21:*:*:*:*:*:*:*"
    );
    assert_eq!(kernel["type"], "library");
}

#[test]
fn spdx_output() {
    let s = read(PUMP);
    let doc = json(&write_spdx_json(&s));
    assert_eq!(doc["spdxVersion"], "SPDX-2.3");
    assert_eq!(doc["creationInfo"]["created"], "2025-03-14T01:20:30Z");
    assert_eq!(
        doc["creationInfo"]["creators"],
        serde_json::json!([
            "Person: 김보안 (security@acme-medical.example)",
            "Tool: @cyclonedx cdxgen 10.9.4",
            "Tool: medsec-sbom"
        ])
    );
    let ns = doc["documentNamespace"].as_str().unwrap();
    assert!(
        ns.starts_with("https://spdx.org/spdxdocs/---------"),
        "{ns}"
    );
    let packages = doc["packages"].as_array().unwrap();
    let ids: Vec<&str> = packages
        .iter()
        .map(|p| p["SPDXID"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "SPDXRef-pump-fw",
            "SPDXRef-pump-fw-hal",
            "SPDXRef-pkg-generic-openssl-3.0.13",
            "SPDXRef-pkg-pypi-pyserial-3.5",
            "SPDXRef-freertos",
            "SPDXRef-freertos-tcp"
        ]
    );
    let fw = &packages[0];
    assert_eq!(fw["downloadLocation"], "NOASSERTION");
    assert_eq!(fw["licenseConcluded"], "NOASSERTION");
    assert_eq!(fw["licenseDeclared"], "LicenseRef-ACME-Proprietary-EULA");
    assert_eq!(fw["copyrightText"], "NOASSERTION");
    assert_eq!(fw["supplier"], "Organization: ACME Medical Co., Ltd.");
    assert_eq!(fw["primaryPackagePurpose"], "FIRMWARE");
    assert_eq!(fw["validUntilDate"], "2032-12-31T00:00:00Z");
    assert_eq!(fw["externalRefs"][0]["referenceType"], "cpe23Type");
    assert_eq!(
        doc["hasExtractedLicensingInfos"][0]["licenseId"],
        "LicenseRef-ACME-Proprietary-EULA"
    );
    assert_eq!(
        packages[4]["externalRefs"][1]["referenceLocator"],
        "swid:freertos.org-FreeRTOS-Kernel-10.6.2"
    );
    let pyserial = &packages[3];
    assert_eq!(pyserial["supplier"], "NOASSERTION");
    assert_eq!(
        pyserial["externalRefs"][0]["referenceLocator"],
        "pkg:pypi/pyserial@3.5"
    );
    let rels: Vec<String> = doc["relationships"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            format!(
                "{} {} {}",
                r["spdxElementId"].as_str().unwrap(),
                r["relationshipType"].as_str().unwrap(),
                r["relatedSpdxElement"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        rels,
        [
            "SPDXRef-DOCUMENT DESCRIBES SPDXRef-pump-fw",
            "SPDXRef-freertos CONTAINS SPDXRef-freertos-tcp",
            "SPDXRef-freertos DEPENDS_ON SPDXRef-freertos-tcp",
            "SPDXRef-pump-fw CONTAINS SPDXRef-pump-fw-hal",
            "SPDXRef-pump-fw DEPENDS_ON SPDXRef-freertos",
            "SPDXRef-pump-fw DEPENDS_ON SPDXRef-pkg-generic-openssl-3.0.13",
            "SPDXRef-pump-fw DEPENDS_ON SPDXRef-pump-fw-hal",
        ]
    );
    // The source's extracted licence texts are carried over.
    let m = json(&write_spdx_json(&read(MONITOR)));
    assert_eq!(
        m["hasExtractedLicensingInfos"][0]["extractedText"],
        "ACME Medical End User Licence Agreement.\nAll rights reserved."
    );
}

#[test]
fn an_sbom_without_time_or_subject_still_writes_valid_documents() {
    let mut s = Sbom::new(Format {
        kind: FormatKind::CycloneDxJson,
        spec_version: "1.6".to_owned(),
    });
    let mut c = Component::new("a b/c", "한글 패키지");
    c.licenses.push(License::Name("사내 라이선스".to_owned()));
    c.hashes.push(Hash::new(HashAlg::Md2, "00"));
    s.components.push(c.clone());
    c.id = ComponentId::new("a b/c");
    s.components.push(c);
    let doc = json(&write_spdx_json(&s));
    assert_eq!(doc["creationInfo"]["created"], "1970-01-01T00:00:00Z");
    assert_eq!(doc["name"], "SBOM");
    let ids: Vec<&str> = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["SPDXID"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["SPDXRef-a-b-c", "SPDXRef-a-b-c-2"]);
    assert_eq!(doc["relationships"].as_array().unwrap().len(), 2);
    let lic = doc["packages"][0]["licenseDeclared"].as_str().unwrap();
    assert_eq!(lic, "LicenseRef-unnamed");
    let bom = json(&write_cyclonedx_json(&s));
    assert!(bom["metadata"].get("timestamp").is_none());
    assert_eq!(bom["components"][1]["bom-ref"], "a b/c-2");
}

fn text() -> impl Strategy<Value = String> {
    // Printable text with Korean and XML/JSON specials, no outer spaces
    // (XML readers trim element text).
    "[a-zA-Z0-9가-힣<>&\"' ._/-]{0,12}"
        .prop_map(|s| s.trim().to_owned())
        .prop_filter("not empty", |s| !s.is_empty())
}

fn component(i: usize) -> impl Strategy<Value = Component> {
    let purls = prop::sample::select(vec![
        None,
        Some("pkg:npm/%40scope/a%2Bb@1.0.0"),
        Some("pkg:pypi/django-rest@3.0?arch=x86&os=linux"),
        Some("pkg:yocto/core/busybox@1.36.1"),
        Some("pkg:deb/debian/openssl@1.1.1n-0%2Bdeb11u4?arch=amd64"),
        Some("pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1#sub/path"),
    ]);
    let licenses = prop::collection::vec(
        prop::sample::select(vec![
            License::Expression("MIT".to_owned()),
            License::Expression("GPL-2.0-only WITH Linux-syscall-note".to_owned()),
            License::Expression("(MIT OR Apache-2.0) AND BSD-2-Clause".to_owned()),
            License::Name("Acme EULA".to_owned()),
        ]),
        0..3,
    );
    let kinds = prop::sample::select(vec![
        ComponentKind::Application,
        ComponentKind::Library,
        ComponentKind::Firmware,
        ComponentKind::OperatingSystem,
        ComponentKind::Device,
    ]);
    (
        text(),
        prop::option::of(text()),
        purls,
        prop::collection::vec(
            "cpe:2\\.3:[ao]:[a-z]{1,6}:[a-z]{1,6}:[0-9]\\.[0-9]:\\*:\\*:\\*:\\*:\\*:\\*:\\*",
            0..3,
        ),
        licenses,
        kinds,
        prop::option::of(text()),
        prop::option::of(0..i.max(1)),
        prop::collection::vec("[0-9a-f]{64}", 0..2),
    )
        .prop_map(
            move |(name, version, purl, cpes, licenses, kind, supplier, parent, hashes)| {
                let mut c = Component::new(format!("c{i}"), name);
                c.version = version;
                c.kind = Some(kind);
                c.purl = purl.map(|p| Purl::parse(p).unwrap());
                c.cpes = cpes
                    .into_iter()
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect();
                let mut seen = BTreeSet::new();
                c.licenses = licenses
                    .into_iter()
                    .filter(|l| seen.insert(l.clone()))
                    .collect();
                c.supplier = supplier.map(Party::organization);
                c.parent = parent
                    .filter(|_| i > 0)
                    .map(|p| ComponentId::new(format!("c{p}")));
                c.hashes = hashes
                    .iter()
                    .take(1)
                    .map(|h| Hash::new(HashAlg::Sha256, h))
                    .collect();
                c
            },
        )
}

fn sbom() -> impl Strategy<Value = Sbom> {
    (1usize..8)
        .prop_flat_map(|n| {
            let comps: Vec<_> = (0..n).map(component).collect();
            (comps, prop::collection::vec((0..n, 0..n), 0..6))
        })
        .prop_map(|(components, edges)| {
            let mut s = Sbom::new(Format {
                kind: FormatKind::CycloneDxJson,
                spec_version: "1.6".to_owned(),
            });
            s.created = Some("2025-01-01T00:00:00Z".to_owned());
            for (a, b) in edges {
                let d = Dependency {
                    from: ComponentId::new(format!("c{a}")),
                    to: ComponentId::new(format!("c{b}")),
                    kind: DependencyKind::DependsOn,
                    detail: None,
                };
                if a != b && !s.dependencies.contains(&d) {
                    s.dependencies.push(d);
                }
            }
            s.components = components;
            s
        })
}

/// The writers emit components in tree order (children after their
/// parent); the readers give them back in that order.
fn tree_order(s: &Sbom) -> Sbom {
    let (children, roots) = crate::cyclonedx::tree(s);
    let mut order = Vec::new();
    fn walk(i: usize, children: &[Vec<usize>], order: &mut Vec<usize>) {
        order.push(i);
        for &c in &children[i] {
            walk(c, children, order);
        }
    }
    for r in roots {
        walk(r, &children, &mut order);
    }
    let mut out = s.clone();
    out.components = order.into_iter().map(|i| s.components[i].clone()).collect();
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_models_round_trip(s in sbom()) {
        let all = |x: &Sbom| x.components.iter().map(comparable).collect::<Vec<_>>();
        let expected = all(&tree_order(&s));
        let back = crate::read(write_cyclonedx_json(&s).as_bytes()).unwrap();
        prop_assert_eq!(all(&back), expected.clone());
        let back_xml = crate::read(write_cyclonedx_xml(&s).as_bytes()).unwrap();
        prop_assert_eq!(all(&back_xml), expected);
        let deps = |x: &Sbom| x.dependencies.iter().cloned().collect::<BTreeSet<_>>();
        prop_assert_eq!(deps(&back), deps(&s));
        let back_spdx = crate::read(write_spdx_json(&s).as_bytes()).unwrap();
        prop_assert_eq!(view(&back_spdx), view(&s));
        prop_assert!(back_spdx.warnings.is_empty(), "{:?}", back_spdx.warnings);
    }
}
