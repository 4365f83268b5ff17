//! Writing CSAF VEX: the document passes our mandatory tests, reads back
//! to the statements it was written from, is byte-for-byte stable, and
//! refuses input that would make it invalid.

use time::macros::datetime;

use crate::{
    Justification, PublisherCategory, RemediationCategory, Status, TlpLabel, TrackingStatus,
    VEX_PRODUCT_ID, VexAction, VexDocument, VexProduct, VexPublisher, VexRevision, VexStatus,
    VexVulnerability, check, read, statements, write_vex,
};

/// A patient monitor's VEX: one CVE per status.
pub(super) fn monitor_vex() -> VexDocument {
    let vuln = |cve: &str, status: VexStatus, actions: Vec<VexAction>| VexVulnerability {
        cve: cve.to_owned(),
        title: None,
        description: format!("{cve} in a component of the monitor's software."),
        status,
        actions,
    };
    let action = |category, details: &str, url: Option<&str>| VexAction {
        category,
        details: details.to_owned(),
        url: url.map(str::to_owned),
    };
    VexDocument {
        title: "메디센서 환자감시장치 PM-3000 VEX".to_owned(),
        lang: Some("ko-KR".to_owned()),
        summary: Some("PM-3000 펌웨어 2.4.1의 SBOM 구성요소 취약점 영향 평가".to_owned()),
        tlp: Some(TlpLabel::White),
        publisher: VexPublisher {
            name: "메디센서 제품보안팀".to_owned(),
            namespace: "https://psirt.medisensor.example.kr".to_owned(),
            category: PublisherCategory::Vendor,
            contact_details: Some("psirt@medisensor.example.kr".to_owned()),
        },
        tracking_id: "MS-VEX-2024-0007".to_owned(),
        status: TrackingStatus::Final,
        revisions: vec![
            VexRevision {
                date: datetime!(2024-05-02 09:00 +09:00),
                summary: "최초 발행".to_owned(),
            },
            VexRevision {
                date: datetime!(2024-06-11 10:30:15.25 UTC),
                summary: "CVE-2024-2511 분석 완료".to_owned(),
            },
        ],
        product: VexProduct {
            vendor: "MediSensor".to_owned(),
            name: "PM-3000 Patient Monitor".to_owned(),
            version: "2.4.1".to_owned(),
            purl: Some("pkg:generic/medisensor/pm-3000@2.4.1".to_owned()),
            cpe: Some("cpe:2.3:h:medisensor:pm-3000:2.4.1:*:*:*:*:*:*:*".to_owned()),
            model_numbers: vec!["PM-3000".to_owned(), "PM-3000N".to_owned()],
        },
        vulnerabilities: vec![
            vuln(
                "CVE-2023-38545",
                VexStatus::KnownAffected,
                vec![
                    action(
                        RemediationCategory::VendorFix,
                        "펌웨어 2.4.2로 업데이트하십시오.",
                        Some("https://medisensor.example.kr/security/MS-2024-07"),
                    ),
                    action(
                        RemediationCategory::Mitigation,
                        "장치를 격리된 의료 네트워크에 두십시오.",
                        None,
                    ),
                ],
            ),
            vuln(
                "CVE-2024-2511",
                VexStatus::KnownNotAffected {
                    justification: Justification::VulnerableCodeNotInExecutePath,
                    impact: "TLS 세션 재개를 사용하지 않으므로 취약한 코드가 실행되지 않습니다."
                        .to_owned(),
                },
                Vec::new(),
            ),
            vuln("CVE-2023-5678", VexStatus::Fixed, Vec::new()),
            vuln(
                "CVE-2024-6119",
                VexStatus::UnderInvestigation,
                vec![action(
                    RemediationCategory::Workaround,
                    "원격 인증서 검증 기능을 끄십시오.",
                    None,
                )],
            ),
        ],
    }
}

#[test]
fn written_vex_passes_the_mandatory_tests() {
    let text = write_vex(&monitor_vex()).unwrap();
    let a = read(text.as_bytes()).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(check(&a), [], "{text}");
    assert_eq!(a.document.category, "csaf_vex");
    let t = &a.document.tracking;
    assert_eq!(t.version, "2");
    assert_eq!(t.initial_release_date, "2024-05-02T09:00:00+09:00");
    assert_eq!(t.current_release_date, "2024-06-11T10:30:15.25Z");
    let numbers: Vec<&str> = t
        .revision_history
        .iter()
        .map(|r| r.number.as_str())
        .collect();
    assert_eq!(numbers, ["1", "2"]);
}

#[test]
fn written_vex_reads_back_to_its_statements() {
    let doc = monitor_vex();
    let a = read(write_vex(&doc).unwrap().as_bytes()).unwrap();
    let s = statements(&a);
    let got: Vec<_> = s
        .iter()
        .map(|s| {
            (
                s.cve.as_deref().unwrap(),
                s.status,
                s.product.id.as_str(),
                s.product.name.as_deref().unwrap(),
                s.justification,
                s.impact(),
                s.remediations
                    .iter()
                    .map(|r| r.category)
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    let name = "MediSensor PM-3000 Patient Monitor 2.4.1";
    use RemediationCategory::*;
    assert_eq!(
        got,
        [
            (
                "CVE-2023-38545",
                Status::KnownAffected,
                VEX_PRODUCT_ID,
                name,
                None,
                None,
                vec![VendorFix, Mitigation]
            ),
            (
                "CVE-2024-2511",
                Status::KnownNotAffected,
                VEX_PRODUCT_ID,
                name,
                Some(Justification::VulnerableCodeNotInExecutePath),
                Some("TLS 세션 재개를 사용하지 않으므로 취약한 코드가 실행되지 않습니다."),
                vec![]
            ),
            (
                "CVE-2023-5678",
                Status::Fixed,
                VEX_PRODUCT_ID,
                name,
                None,
                None,
                vec![]
            ),
            (
                "CVE-2024-6119",
                Status::UnderInvestigation,
                VEX_PRODUCT_ID,
                name,
                None,
                None,
                vec![Workaround]
            ),
        ]
    );
    let r = &s[0].remediations[0];
    assert_eq!(r.details, "펌웨어 2.4.2로 업데이트하십시오.");
    assert_eq!(
        r.url.as_deref(),
        Some("https://medisensor.example.kr/security/MS-2024-07")
    );
    let p = crate::products(&a);
    let product = p.get(VEX_PRODUCT_ID).unwrap();
    assert_eq!(product.vendor.as_deref(), Some("MediSensor"));
    assert_eq!(
        product.version,
        Some(crate::VersionSpec::Exact("2.4.1".to_owned()))
    );
    assert_eq!(product.purl, doc.product.purl);
    assert_eq!(product.cpe, doc.product.cpe);
    assert_eq!(product.model_numbers, doc.product.model_numbers);
    assert_eq!(
        a.vulnerabilities[0].notes[0].text,
        doc.vulnerabilities[0].description
    );

    // Writing what was read gives the same bytes.
    let again = serde_json::to_string_pretty(&a).unwrap() + "\n";
    assert_eq!(again, write_vex(&doc).unwrap());
}

#[test]
fn output_is_deterministic() {
    let doc = monitor_vex();
    let first = write_vex(&doc).unwrap();
    for _ in 0..5 {
        assert_eq!(write_vex(&doc.clone()).unwrap(), first);
    }
    // The start of the document, to notice any change of layout.
    assert!(
        first.starts_with("{\n  \"document\": {\n    \"category\": \"csaf_vex\",\n    \"csaf_version\": \"2.0\",\n"),
        "{first}"
    );
    assert!(first.ends_with("}\n"));
}

fn check_refused(edit: impl FnOnce(&mut VexDocument), expect: &str) {
    let mut doc = monitor_vex();
    edit(&mut doc);
    let e = write_vex(&doc).unwrap_err().to_string();
    assert!(e.contains(expect), "expected `{expect}` in: {e}");
}

#[test]
fn invalid_input_is_refused() {
    check_refused(|d| d.title = " ".into(), "`title` = ` ` is empty");
    check_refused(|d| d.lang = Some("korean".into()), "`lang` = `korean`");
    check_refused(
        |d| d.publisher.namespace = "psirt.example".into(),
        "is not an absolute URI",
    );
    check_refused(
        |d| d.publisher.namespace = "https://example.com/a b".into(),
        "is not an absolute URI",
    );
    check_refused(
        |d| d.tracking_id = "MS-1 ".into(),
        "leading or trailing white space",
    );
    check_refused(|d| d.revisions.clear(), "`revisions` = `` is empty");
    check_refused(
        |d| d.revisions.swap(0, 1),
        "`revisions[1].date` = `2024-05-02T09:00:00+09:00` is earlier",
    );
    check_refused(
        |d| d.revisions[0].date = datetime!(2024-05-02 09:00 +09:00:30),
        "cannot be written as an RFC 3339 date-time",
    );
    check_refused(
        |d| d.product.version = "2.4 and later".into(),
        "reads as a version range",
    );
    check_refused(
        |d| d.product.version = "<3".into(),
        "reads as a version range",
    );
    check_refused(
        |d| d.product.purl = Some("pkg:maven/@1.0".into()),
        "not a valid package URL",
    );
    check_refused(
        |d| d.product.cpe = Some("cpe:2.3:h:medisensor".into()),
        "`product.cpe`",
    );
    check_refused(
        |d| d.product.model_numbers.push("PM-3000".into()),
        "`product.model_numbers[2]` = `PM-3000` is listed twice",
    );
    check_refused(
        |d| d.vulnerabilities[1].cve = "CVE-24-1".into(),
        "is not a CVE id",
    );
    check_refused(
        |d| d.vulnerabilities[1].cve = "CVE-2023-38545".into(),
        "`vulnerabilities[1].cve` = `CVE-2023-38545` has a statement already",
    );
    check_refused(
        |d| d.vulnerabilities[0].actions.clear(),
        "`vulnerabilities[0].actions` = `` is empty, but an affected product needs an action statement",
    );
    check_refused(
        |d| {
            d.vulnerabilities[1].status = VexStatus::KnownNotAffected {
                justification: Justification::ComponentNotPresent,
                impact: String::new(),
            }
        },
        "`vulnerabilities[1].status.impact`",
    );
    check_refused(
        |d| d.vulnerabilities[0].actions[0].url = Some("not a url".into()),
        "`vulnerabilities[0].actions[0].url`",
    );
}

#[test]
fn cpe_forms() {
    use crate::vex::is_cpe;
    for ok in [
        "cpe:2.3:a:openssl:openssl:3.0.13:*:*:*:*:*:*:*",
        "cpe:2.3:o:medisensor:pm-3000_firmware:2.4.1:-:*:ko-kr:*:*:*:*",
        "cpe:2.3:a:vendor:prod\\:uct:1.0\\*:*:*:*:*:*:*:*",
        "cpe:2.3:a:vendor:product:?1.0*:*:*:*:*:*:*:*",
        "cpe:/a:openssl:openssl:3.0.13",
        "cpe:/o",
        "cPE:/h:vendor",
    ] {
        assert!(is_cpe(ok), "{ok}");
    }
    for bad in [
        "cpe:2.3:a:openssl:openssl:3.0.13:*:*:*:*:*:*",
        "cpe:2.3:x:openssl:openssl:3.0.13:*:*:*:*:*:*:*",
        "cpe:2.3:a:open ssl:openssl:3.0.13:*:*:*:*:*:*:*",
        "cpe:2.3:a:vendor:product:1.0:*:*:korean:*:*:*:*",
        "cpe:2.3:a:vendor:product:**:*:*:*:*:*:*:*",
        "cpe:2.3:a:vendor:product:1.0\\q:*:*:*:*:*:*:*",
        "cpe:/a:1:2:3:4:5:6:7",
        "Cpe:/a",
        "cpe:2.3",
    ] {
        assert!(!is_cpe(bad), "{bad}");
    }
}
