//! Reading: format detection, each reader on a fixture, and errors that
//! name format, place and problem.

use super::*;
use crate::model::{
    AffectedStatus, ComponentKind, FormatKind, License, PartyKind, VexJustification, VexResponse,
    VexState,
};
use crate::{ErrorKind, read_as};

#[track_caller]
fn check_detect(input: &str, expect: Result<FormatKind, &str>) {
    let got = crate::detect(input.as_bytes()).map_err(|e| e.to_string());
    match (&got, &expect) {
        (Ok(g), Ok(e)) => assert_eq!(g, e),
        (Err(g), Err(e)) => assert!(g.contains(e), "{g:?} does not contain {e:?}"),
        _ => panic!("{input}: got {got:?}, want {expect:?}"),
    }
}

#[test]
fn detects_the_format_from_the_content() {
    use FormatKind::*;
    check_detect(
        r#"{"bomFormat":"CycloneDX","specVersion":"1.6"}"#,
        Ok(CycloneDxJson),
    );
    check_detect("\u{FEFF}  {\"spdxVersion\":\"SPDX-2.3\"}", Ok(Spdx2Json));
    check_detect(
        r#"{"@context":"https://spdx.org/rdf/3.0.1/spdx-context.jsonld","@graph":[]}"#,
        Ok(Spdx3JsonLd),
    );
    check_detect(
        "<?xml version=\"1.0\"?>\n<!-- c -->\n<bom xmlns=\"http://cyclonedx.org/schema/bom/1.5\"/>",
        Ok(CycloneDxXml),
    );
    check_detect("# comment\n\nSPDXVersion: SPDX-2.2\n", Ok(Spdx2TagValue));
    check_detect("", Err("SBOM: the document is empty"));
    check_detect("{\"name\": 1}", Err("without `bomFormat`"));
    check_detect(
        "{\"bomFormat\": ",
        Err("SBOM: not valid JSON: EOF while parsing a value at line 1 column 14"),
    );
    check_detect(
        "<rdf:RDF xmlns:rdf=\"x\"/>",
        Err("SPDX RDF/XML is not supported"),
    );
    check_detect("<html/>", Err("root is `html`"));
    check_detect("name: foo\n", Err("neither JSON, XML nor SPDX tag-value"));
}

#[test]
fn cyclonedx_json() {
    let s = read(PUMP);
    assert_eq!(s.format.to_string(), "CycloneDX JSON 1.6");
    assert_eq!(s.name.as_deref(), Some("주입펌프 펌웨어"));
    assert_eq!(s.version.as_deref(), Some("3"));
    assert_eq!(s.created.as_deref(), Some("2025-03-14T10:20:30+09:00"));
    assert_eq!(s.authors[0].name, "김보안");
    assert_eq!(s.authors[0].kind, PartyKind::Person);
    assert_eq!(s.tools, ["@cyclonedx cdxgen 10.9.4"]);
    assert_eq!(s.subject.as_ref().map(|s| s.as_str()), Some("pump-fw"));
    check_text(
        &summary(&s),
        "
        pump-fw Some(Firmware) 주입펌프 펌웨어@4.2.0 cpe=cpe:2.3:o:acme-medical:infusion_pump_firmware:4.2.0:*:*:*:*:*:*:* supplier=ACME Medical Co., Ltd. SHA-256=9f86d081 lic=ACME Proprietary EULA
        pump-fw/hal Some(Library) pump-hal@1.8.2 parent=pump-fw supplier=ACME Medical Co., Ltd. SHA-1=a94a8fe5
        pkg:generic/openssl@3.0.13 Some(Library) openssl@3.0.13 purl=pkg:generic/openssl@3.0.13 cpe=cpe:2.3:a:openssl:openssl:3.0.13:*:*:*:*:*:*:* supplier=OpenSSL Software Foundation SHA-256=88525753 lic=Apache-2.0
        pkg:pypi/pyserial@3.5 Some(Library) pyserial@3.5 purl=pkg:pypi/pyserial@3.5 lic=BSD-3-Clause OR MIT
        freertos Some(OperatingSystem) FreeRTOS/FreeRTOS-Kernel@10.6.2 purl=pkg:github/freertos/freertos-kernel@V10.6.2 supplier=Amazon Web Services lic=MIT
        freertos/tcp Some(Library) FreeRTOS/FreeRTOS-Plus-TCP@4.0.0 cpe=cpe:2.3:a:amazon:freertos-plus-tcp:4.0.0:*:*:*:*:*:*:* parent=freertos lic=MIT
        ",
    );
    check_text(
        &edges(&s),
        "
        pump-fw DependsOn freertos
        pump-fw DependsOn pkg:generic/openssl@3.0.13
        pump-fw DependsOn pump-fw/hal
        freertos DependsOn freertos/tcp
        ",
    );
    let fw = &s.components[0];
    assert_eq!(fw.end_of_support.as_deref(), Some("2032-12-31"));
    assert!(fw.properties.is_empty(), "medsec: properties are fields");
    let openssl = &s.components[2];
    assert_eq!(
        openssl.author.as_ref().map(|a| a.kind),
        Some(PartyKind::Unspecified)
    );
    assert_eq!(
        openssl.homepage.as_deref(),
        Some("https://www.openssl.org/")
    );
    assert_eq!(
        openssl.download_location.as_deref(),
        Some("https://www.openssl.org/source/openssl-3.0.13.tar.gz")
    );
    assert_eq!(openssl.scope.as_deref(), Some("required"));
    assert_eq!(
        s.components[4].swid.as_deref(),
        Some("freertos.org-FreeRTOS-Kernel-10.6.2")
    );

    let [v] = s.vulnerabilities.as_slice() else {
        panic!("{:?}", s.vulnerabilities)
    };
    assert_eq!(v.id, "CVE-2024-0727");
    assert_eq!(v.aliases, ["GHSA-9v9h-cgj8-h64p"]);
    assert_eq!(v.cwes, [476]);
    assert_eq!(v.ratings[0].score, Some(5.5));
    let a = v.analysis.as_ref().unwrap();
    assert_eq!(a.state, Some(VexState::NotAffected));
    assert_eq!(a.justification, Some(VexJustification::CodeNotReachable));
    assert_eq!(a.responses, [VexResponse::WillNotFix, VexResponse::Update]);
    assert_eq!(v.affects[0].target, "pkg:generic/openssl@3.0.13");
    assert_eq!(
        v.affects[0].versions[0].status,
        Some(AffectedStatus::Unaffected)
    );
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
}

#[test]
fn cyclonedx_xml() {
    let s = read(VENTILATOR);
    assert_eq!(s.format.to_string(), "CycloneDX XML 1.6");
    assert_eq!(s.tools, ["ACME sbom-gen 2.1"]);
    assert_eq!(s.authors[0].name, "Product Security & Compliance");
    check_text(
        &summary(&s),
        "
        vent Some(Device) Ventilator V500@2.0 supplier=ACME Medical Co., Ltd.
        vent-fw Some(Firmware) v500-firmware@2.0.7 supplier=ACME Medical Co., Ltd. SHA-512=cf83e135 lic=Proprietary
        zlib Some(Library) zlib@1.3.1 purl=pkg:generic/zlib@1.3.1 cpe=cpe:2.3:a:zlib:zlib:1.3.1:*:*:*:*:*:*:* parent=vent-fw lic=Zlib
        mbedtls Some(Library) mbedtls@3.5.2 purl=pkg:github/mbed-tls/mbedtls@v3.5.2 parent=vent-fw lic=Apache-2.0
        ",
    );
    // Nested `<dependency>` elements state the dependencies of the
    // dependencies.
    check_text(
        &edges(&s),
        "
        vent-fw DependsOn zlib
        vent-fw DependsOn mbedtls
        vent DependsOn vent-fw
        ",
    );
    assert_eq!(
        s.components[2].property("build:flags"),
        Some("-O2 <hardened>")
    );
    let v = &s.vulnerabilities[0];
    assert_eq!(
        v.analysis.as_ref().and_then(|a| a.detail.as_deref()),
        Some("Fixed in <3.5.2>.")
    );
    assert_eq!(
        v.affects[0].versions[0].range.as_deref(),
        Some("vers:generic/<3.5.2")
    );
}

#[test]
fn spdx2_tag_value() {
    let s = read(MONITOR);
    assert_eq!(s.format.to_string(), "SPDX 2 tag-value 2.3");
    assert_eq!(
        s.serial.as_deref(),
        Some("https://acme-medical.example/spdx/patient-monitor-3.1-1b2c3d4e")
    );
    assert_eq!(s.authors[0].kind, PartyKind::Organization);
    assert_eq!(
        s.authors[0].email.as_deref(),
        Some("security@acme-medical.example")
    );
    assert_eq!(s.tools, ["acme-sbom-1.0"]);
    check_text(
        &summary(&s),
        "
        SPDXRef-Package-monitor Some(Device) patient-monitor@3.1 cpe=cpe:2.3:h:acme-medical:patient_monitor:3.1:*:*:*:*:*:*:* supplier=ACME Medical Co., Ltd. lic=LicenseRef-ACME-EULA concluded=LicenseRef-ACME-EULA
        SPDXRef-Package-curl None curl@8.5.0 purl=pkg:generic/curl@8.5.0 cpe=cpe:2.3:a:haxx:curl:8.5.0:*:*:*:*:*:*:* supplier=curl project SHA-256=42ab8db9 lic=curl concluded=curl
        SPDXRef-Package-libfoo None libfoo@0.9 parent=SPDXRef-Package-monitor lic=(MIT OR Apache-2.0) AND BSD-2-Clause
        SPDXRef-File-libfoo-so Some(File) ./lib/libfoo.so.0@- parent=SPDXRef-Package-libfoo SHA-1=2fd4e1c6 concluded=MIT
        ",
    );
    // DEPENDENCY_OF-style relationships point the other way round.
    check_text(
        &edges(&s),
        "
        SPDXRef-Package-monitor DependsOn SPDXRef-Package-curl
        SPDXRef-Package-curl DependsOn SPDXRef-Package-libfoo (RUNTIME_DEPENDENCY_OF)
        ",
    );
    let monitor = &s.components[0];
    assert_eq!(
        monitor.end_of_support.as_deref(),
        Some("2033-06-30T00:00:00Z")
    );
    assert_eq!(
        monitor.copyright.as_deref(),
        Some("Copyright 2025\nACME Medical Co., Ltd.")
    );
    assert_eq!(s.extracted_licenses[0].id, "LicenseRef-ACME-EULA");
    assert_eq!(
        s.extracted_licenses[0].text,
        "ACME Medical End User Licence Agreement.\nAll rights reserved."
    );
    let curl = &s.components[1];
    assert_eq!(
        curl.author.as_ref().map(|a| (a.kind, a.name.as_str())),
        Some((PartyKind::Person, "Daniel Stenberg"))
    );
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
}

#[test]
fn spdx2_json_and_tag_value_agree() {
    // The same document in both encodings reads the same (tag-value is
    // converted by hand here to JSON with the fields the reader uses).
    let json = r#"{
      "spdxVersion": "SPDX-2.3", "dataLicense": "CC0-1.0", "SPDXID": "SPDXRef-DOCUMENT",
      "name": "d", "documentNamespace": "https://example.com/d",
      "creationInfo": {"created": "2024-01-01T00:00:00Z", "creators": ["Tool: t"]},
      "packages": [
        {"SPDXID": "SPDXRef-a", "name": "a", "versionInfo": "1", "downloadLocation": "NOASSERTION",
         "externalRefs": [{"referenceCategory": "PACKAGE_MANAGER", "referenceType": "purl", "referenceLocator": "pkg:npm/a@1"}],
         "hasFiles": ["SPDXRef-f"]},
        {"SPDXID": "SPDXRef-b", "name": "b", "downloadLocation": "NONE", "primaryPackagePurpose": "OPERATING_SYSTEM"}
      ],
      "files": [{"SPDXID": "SPDXRef-f", "fileName": "./a.js", "checksums": [{"algorithm": "SHA1", "checksumValue": "2fd4e1c67a2d28fced849ee1bb76e7391b93eb12"}]}],
      "documentDescribes": ["SPDXRef-a"],
      "relationships": [{"spdxElementId": "SPDXRef-b", "relationshipType": "DEPENDENCY_OF", "relatedSpdxElement": "SPDXRef-a"}]
    }"#;
    let tv = "SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\nSPDXID: SPDXRef-DOCUMENT\nDocumentName: d\n\
        DocumentNamespace: https://example.com/d\nCreator: Tool: t\nCreated: 2024-01-01T00:00:00Z\n\
        Relationship: SPDXRef-DOCUMENT DESCRIBES SPDXRef-a\n\
        PackageName: a\nSPDXID: SPDXRef-a\nPackageVersion: 1\nPackageDownloadLocation: NOASSERTION\n\
        ExternalRef: PACKAGE-MANAGER purl pkg:npm/a@1\n\
        FileName: ./a.js\nSPDXID: SPDXRef-f\nFileChecksum: SHA1: 2fd4e1c67a2d28fced849ee1bb76e7391b93eb12\n\
        PackageName: b\nSPDXID: SPDXRef-b\nPackageDownloadLocation: NONE\nPrimaryPackagePurpose: OPERATING-SYSTEM\n\
        Relationship: SPDXRef-b DEPENDENCY_OF SPDXRef-a\n";
    let (j, t) = (read(json.as_bytes()), read(tv.as_bytes()));
    assert_eq!(summary(&j), summary(&t));
    assert_eq!(edges(&j), edges(&t));
    check_text(
        &summary(&j),
        "
        SPDXRef-a None a@1 purl=pkg:npm/a@1
        SPDXRef-b Some(OperatingSystem) b@-
        SPDXRef-f Some(File) ./a.js@- parent=SPDXRef-a SHA-1=2fd4e1c6
        ",
    );
    check_text(&edges(&j), "SPDXRef-a DependsOn SPDXRef-b");
}

#[test]
fn spdx3_yocto() {
    let s = read(YOCTO);
    assert_eq!(s.format.to_string(), "SPDX 3 JSON-LD 3.0.1");
    assert_eq!(s.name.as_deref(), Some("core-image-minimal-qemux86-64"));
    assert_eq!(s.tools, ["oe-spdx-creator 1.0"]);
    assert_eq!(s.authors[0].name, "OpenEmbedded");
    let by_name = |n: &str| {
        s.components
            .iter()
            .find(|c| c.name == n && c.property(crate::model::SPDX3_PURPOSE).is_none())
            .unwrap_or_else(|| panic!("no {n}"))
    };
    assert_eq!(
        s.subject_component().map(|c| c.name.as_str()),
        Some("core-image-minimal")
    );
    let line = |n: &str| {
        let c = by_name(n);
        format!(
            "{n} {:?} {} {} {:?} {:?}",
            c.kind,
            c.version.as_deref().unwrap_or("-"),
            c.purl.as_ref().map_or("-".to_owned(), |p| p.to_string()),
            c.cpes,
            c.licenses.iter().map(License::as_str).collect::<Vec<_>>()
        )
    };
    let lines: Vec<String> = [
        "busybox",
        "openssl",
        "libssl3",
        "libz1",
        "kernel-image-bzimage-6.6.21-yocto-standard",
    ]
    .iter()
    .map(|n| line(n))
    .collect();
    check_text(
        &(lines.join("\n") + "\n"),
        r#"
        busybox Some(Install) 1.36.1 pkg:yocto/core/busybox@1.36.1 ["cpe:2.3:*:*:busybox:1.36.1:*:*:*:*:*:*:*"] ["GPL-2.0-only AND LicenseRef-bzip2-1.0.4"]
        openssl Some(Install) 3.0.13 pkg:yocto/core/openssl@3.0.13 ["cpe:2.3:*:*:openssl:3.0.13:*:*:*:*:*:*:*"] ["Apache-2.0"]
        libssl3 Some(Install) 3.0.13 pkg:yocto/core/openssl@3.0.13 ["cpe:2.3:*:*:openssl:3.0.13:*:*:*:*:*:*:*"] ["Apache-2.0"]
        libz1 Some(Install) 1.3.1 - ["cpe:2.3:*:zlib:zlib:1.3.1:*:*:*:*:*:*:*"] ["Zlib"]
        kernel-image-bzimage-6.6.21-yocto-standard Some(Install) 6.6.21+git pkg:yocto/core/linux-yocto@6.6.21%2Bgit ["cpe:2.3:*:linux:linux_kernel:6.6.21:*:*:*:*:*:*:*", "cpe:2.3:*:linux:linux:6.6.21:*:*:*:*:*:*:*"] ["GPL-2.0-only WITH Linux-syscall-note"]
        "#,
    );
    assert_eq!(
        by_name("busybox")
            .supplier
            .as_ref()
            .map(|p| (p.kind, p.name.as_str())),
        Some((PartyKind::Organization, "ACME Medical Co., Ltd."))
    );
    // The recipe is a component too (the VEX is about it), marked by its
    // purpose and left out of what ships.
    let recipe = s
        .components
        .iter()
        .find(|c| c.property(crate::model::SPDX3_PURPOSE) == Some("specification"))
        .unwrap();
    assert!(!recipe.is_shipped());
    assert_eq!(recipe.cpes, ["cpe:2.3:*:*:openssl:3.0.13:*:*:*:*:*:*:*"]);
    // Files of the rootfs hang under it; runtime dependencies and the
    // rootfs build's inputs make the graph.
    let files: Vec<_> = s.components.iter().filter(|c| c.is_file()).collect();
    assert_eq!(files.len(), 2);
    assert!(files.iter().all(|f| f.parent == s.subject));
    assert_eq!(files[0].hashes[0].alg, crate::HashAlg::Sha256);
    let name_of =
        |id: &crate::ComponentId| s.component(id).map_or("?", |c| c.name.as_str()).to_owned();
    let graph: Vec<String> = s
        .dependencies
        .iter()
        .map(|d| {
            format!(
                "{} -> {} ({})",
                name_of(&d.from),
                name_of(&d.to),
                d.detail.as_deref().unwrap_or("")
            )
        })
        .collect();
    check_text(
        &(graph.join("\n") + "\n"),
        "
        openssl -> libssl3 (runtime)
        libssl3 -> libz1 (runtime)
        core-image-minimal -> busybox (build input)
        core-image-minimal -> kernel-image-bzimage-6.6.21-yocto-standard (build input)
        core-image-minimal -> libssl3 (build input)
        core-image-minimal -> openssl (build input)
        core-image-minimal -> libz1 (build input)
        ",
    );
    // VEX relationships become statements about the recipe.
    let vex: Vec<String> = s
        .vulnerabilities
        .iter()
        .map(|v| {
            let a = v.analysis.as_ref().unwrap();
            format!(
                "{} {:?} {:?} {} -> {}",
                v.id,
                a.state.unwrap(),
                a.justification,
                a.detail.as_deref().unwrap_or(""),
                name_of(&crate::ComponentId::new(v.affects[0].target.clone()))
            )
        })
        .collect();
    check_text(
        &(vex.join("\n") + "\n"),
        "
        CVE-2023-6129 NotAffected Some(CodeNotReachable) POLY1305 MAC on PowerPC only; this image is built for x86-64; not-applicable-platform -> openssl
        CVE-2024-0727 Resolved None backported-patch: CVE-2024-0727.patch -> openssl
        CVE-2024-2511 Exploitable None Mitigation action unknown -> openssl
        ",
    );
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
}

#[test]
fn spdx3_prefixed_and_iri_forms() {
    // Full IRIs for types, keys and enum values, `@id`/`@type`, an inline
    // creation info, and a listed licence referenced by IRI.
    let doc = r#"{
      "@context": "https://spdx.org/rdf/3.0.1/spdx-context.jsonld",
      "@graph": [
        {"@type": "https://spdx.org/rdf/3.0.1/terms/Core/CreationInfo", "@id": "_:c",
         "https://spdx.org/rdf/3.0.1/terms/Core/created": "2024-06-01T00:00:00Z", "specVersion": "3.0.1"},
        {"@type": "https://spdx.org/rdf/3.0.1/terms/Software/Package", "@id": "urn:p",
         "spdx:name": "zlib", "https://spdx.org/rdf/3.0.1/terms/Software/packageVersion": "1.3",
         "https://spdx.org/rdf/3.0.1/terms/Software/primaryPurpose": "https://spdx.org/rdf/3.0.1/terms/Software/SoftwarePurpose/library",
         "externalIdentifier": [{"@type": "ExternalIdentifier",
           "externalIdentifierType": "https://spdx.org/rdf/3.0.1/terms/Core/ExternalIdentifierType/cpe23",
           "identifier": "cpe:2.3:a:zlib:zlib:1.3:*:*:*:*:*:*:*"}],
         "verifiedUsing": [{"type": "Hash", "algorithm": "https://spdx.org/rdf/3.0.1/terms/Core/HashAlgorithm/sha3_256",
           "hashValue": "ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789"}]},
        {"type": "spdx:software_Package", "spdxId": "urn:q", "name": "app"},
        {"type": "Relationship", "spdxId": "urn:r1", "from": "urn:q",
         "relationshipType": "https://spdx.org/rdf/3.0.1/terms/Core/RelationshipType/dependsOn", "to": ["urn:p"]},
        {"type": "Relationship", "spdxId": "urn:r2", "from": "urn:p", "relationshipType": "hasDeclaredLicense",
         "to": ["https://spdx.org/licenses/Zlib"]},
        {"type": "Relationship", "spdxId": "urn:r3", "from": "urn:doc", "relationshipType": "describes", "to": ["urn:q"]}
      ]
    }"#;
    let s = read(doc.as_bytes());
    check_text(
        &summary(&s),
        "
        urn:p Some(Library) zlib@1.3 cpe=cpe:2.3:a:zlib:zlib:1.3:*:*:*:*:*:*:* SHA3-256=abcdef01 lic=Zlib
        urn:q None app@-
        ",
    );
    check_text(&edges(&s), "urn:q DependsOn urn:p");
    assert_eq!(s.created.as_deref(), Some("2024-06-01T00:00:00Z"));
    assert_eq!(s.subject.as_ref().map(|x| x.as_str()), Some("urn:q"));
}

#[track_caller]
fn check_error(input: &str, format: Option<FormatKind>, expect: &str) {
    let err = match format {
        Some(f) => read_as(input.as_bytes(), f),
        None => crate::read(input.as_bytes()),
    }
    .expect_err("should fail");
    assert_eq!(err.to_string(), expect);
}

#[test]
fn errors_name_format_place_and_problem() {
    let cdx = |components: &str| {
        format!(
            "{{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.6\",\n\"components\":[\n{components}]}}"
        )
    };
    check_error(
        &cdx(
            "{\"type\":\"library\",\"name\":\"a\"},\n{\"type\":\"library\",\"name\":\"b\",\n \"version\": 3}",
        ),
        None,
        "CycloneDX JSON: components[1].version: invalid type: integer `3`, expected a string at line 5 column 13",
    );
    check_error(
        &cdx("{\"type\":\"libary\",\"name\":\"a\"}"),
        None,
        "CycloneDX JSON: components[0].type: invalid value: `libary`, expected one of application, framework, library, container, platform, operating-system, device, device-driver, firmware, file, machine-learning-model, data, cryptographic-asset at line 3 column 16",
    );
    check_error(
        &cdx("{\"type\":\"library\"}"),
        None,
        "CycloneDX JSON: components[0]: missing field `name` at line 3 column 18",
    );
    check_error(
        &cdx(
            "{\"type\":\"library\",\"name\":\"a\",\"components\":[{\"type\":\"file\",\"name\":\"f\",\"hashes\":[{\"alg\":\"SHA-256\",\"content\":\"xyz\"}]}]}",
        ),
        None,
        "CycloneDX JSON: components[0].components[0].hashes[0].content: invalid value: `xyz`, expected 32, 40, 64, 96 or 128 hexadecimal digits at line 3 column 112",
    );
    check_error(
        r#"{"bomFormat":"SPDX","specVersion":"1.6"}"#,
        Some(FormatKind::CycloneDxJson),
        "CycloneDX JSON: bomFormat: expected `CycloneDX`, found `SPDX`",
    );
    check_error(
        r#"{"bomFormat":"CycloneDX","specVersion":"2.0"}"#,
        None,
        "CycloneDX JSON: specVersion: specVersion `2.0` is not a CycloneDX 1.x version",
    );
    check_error(
        "<bom xmlns=\"http://cyclonedx.org/schema/bom/1.6\">\n  <components>\n    <component type=\"library\"><version>1</version></component>\n  </components>\n</bom>",
        None,
        "CycloneDX XML: component: missing element `name` at line 3 column 5",
    );
    check_error(
        "<bom xmlns=\"http://cyclonedx.org/schema/bom/1.6\">\n<components>\n</bom>",
        None,
        "CycloneDX XML: ill-formed document: expected `</components>`, but `</bom>` was found at line 3 column 1",
    );
    check_error(
        "<bom xmlns=\"http://example.com/other\"/>",
        None,
        "CycloneDX XML: the root element is `bom` in namespace `http://example.com/other`, not a CycloneDX `bom` at line 1 column 1",
    );
    check_error(
        r#"{"spdxVersion":"SPDX-2.3","SPDXID":"SPDXRef-DOCUMENT","dataLicense":"CC0-1.0","name":"x",
            "creationInfo":{"created":"2024-01-01T00:00:00Z","creators":["Tool: x"]},
            "packages":[{"SPDXID":"SPDXRef-a","name":"a","downloadLocation":"NONE","checksums":[{"algorithm":"SHA-256","checksumValue":"00"}]}]}"#,
        None,
        "SPDX 2 JSON: packages[0].checksums[0].algorithm: invalid value: `SHA-256`, expected one of SHA1, SHA224, SHA256, SHA384, SHA512, SHA3-256, SHA3-384, SHA3-512, MD2, MD4, MD5, MD6, BLAKE2b-256, BLAKE2b-384, BLAKE2b-512, BLAKE3, ADLER32 at line 3 column 118",
    );
    let tv = "SPDXVersion: SPDX-2.3\nDataLicense: CC0-1.0\nSPDXID: SPDXRef-DOCUMENT\nDocumentName: x\nCreated: 2024-01-01T00:00:00Z\n";
    check_error(
        &format!("{tv}PackageName: a\nSPDXID: SPDXRef-a\nPackageChecksum: SHA256 abc\n"),
        None,
        "SPDX 2 tag-value: expected `<ALGORITHM>: <hex>`, found `SHA256 abc` at line 8",
    );
    check_error(
        &format!("{tv}PackageVersion: 1\n"),
        None,
        "SPDX 2 tag-value: a package field before any `PackageName:` at line 6",
    );
    check_error(
        &format!("{tv}Relationship: SPDXRef-a DEPENDS-ON SPDXRef-b\n"),
        None,
        "SPDX 2 tag-value: invalid value: `DEPENDS-ON`, expected an SPDX 2.3 relationship type such as DEPENDS_ON or CONTAINS at line 6",
    );
    check_error(
        &format!("{tv}PackageComment: <text>never closed\n"),
        None,
        "SPDX 2 tag-value: `<text>` without `</text>` at line 6",
    );
    check_error(
        "SPDXVersion: SPDX-2.3\nthis is not a tag\n",
        None,
        "SPDX 2 tag-value: expected `Tag: value`, found `this is not a tag` at line 2",
    );
    check_error(
        r#"{"@context":"x","@graph":[{"type":"software_Package","spdxId":"urn:a","name":7}]}"#,
        None,
        "SPDX 3 JSON-LD: @graph[0].name: expected a string, found a number",
    );
    check_error(
        r#"{"@context":"x","@graph":{"type":"software_Package"}}"#,
        None,
        "SPDX 3 JSON-LD: @graph: expected an array, found an object",
    );
}

#[test]
fn unknown_fields_and_bad_identifiers_are_warnings() {
    let doc = r#"{"bomFormat":"CycloneDX","specVersion":"1.6","serialNumber":"urn:uuid:ABC",
        "vendorExtension":true,
        "components":[
          {"type":"library","name":"a","bom-ref":"x","purl":"pkg:/nope","colour":"red"},
          {"type":"library","name":"b","bom-ref":"x","licenses":[{"expression":"MIT OR"}]}],
        "dependencies":[{"ref":"x","dependsOn":["missing"]}]}"#;
    let s = read(doc.as_bytes());
    let warnings: Vec<String> = s.warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(
        warnings,
        [
            "vendorExtension: field not in the schema; ignored",
            "components[0].colour: field not in the schema; ignored",
            "serialNumber: `urn:uuid:ABC` is not `urn:uuid:` and a lowercase UUID",
            "components[0].purl: `pkg:/nope` is not a valid package URL: missing type",
            "components[1].bom-ref: `x` is used by an earlier component; this one is renamed",
            "components[1].licenses[0].expression: `MIT OR` is not a valid SPDX licence expression; kept as a name",
            "dependencies[0].dependsOn[0]: `missing` is not the bom-ref of a component; ignored",
        ]
    );
    assert_eq!(s.components[1].id.as_str(), "x-2");
    assert_eq!(
        s.components[1].licenses,
        [License::Name("MIT OR".to_owned())]
    );
}

#[test]
fn cyclonedx_versions_and_legacy_shapes() {
    // 1.2-style `tools` array, `licenses` with ids only, a 1.4 XML with a
    // prefixed root.
    let doc = r#"{"bomFormat":"CycloneDX","specVersion":"1.2","version":1,
        "metadata":{"tools":[{"vendor":"CycloneDX","name":"cyclonedx-npm","version":"1.0"}]},
        "components":[{"type":"library","name":"a","version":"1","licenses":[{"license":{"id":"gpl-2.0-only"}}]}]}"#;
    let s = read(doc.as_bytes());
    assert_eq!(s.tools, ["CycloneDX cyclonedx-npm 1.0"]);
    assert_eq!(
        s.components[0].licenses,
        [License::Expression("GPL-2.0-only".to_owned())]
    );
    let xml = "<c:bom xmlns:c=\"http://cyclonedx.org/schema/bom/1.4\" version=\"2\"><c:components>\
        <c:component type=\"library\"><c:name>a</c:name><c:version>1</c:version></c:component>\
        </c:components></c:bom>";
    let s = read(xml.as_bytes());
    assert_eq!(s.format.spec_version, "1.4");
    assert_eq!(s.version.as_deref(), Some("2"));
    assert_eq!(s.components[0].name, "a");
    let s = read(br#"{"bomFormat":"CycloneDX","specVersion":"1.9"}"#);
    assert_eq!(
        s.warnings[0].to_string(),
        "specVersion: `1.9` is newer than 1.7; read as 1.7"
    );
}

#[test]
fn read_as_refuses_the_wrong_format() {
    let e = read_as(PUMP, FormatKind::Spdx2Json).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Invalid);
    assert!(
        e.to_string()
            .starts_with("SPDX 2 JSON: missing field `SPDXID`"),
        "{e}"
    );
    let e = read_as(PUMP, FormatKind::CycloneDxXml).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Syntax);
    assert!(e.to_string().starts_with("CycloneDX XML: "), "{e}");
    let kinds = [ComponentKind::Application];
    assert_eq!(kinds[0].cyclonedx(), "application");
}
