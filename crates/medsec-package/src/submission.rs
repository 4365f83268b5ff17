//! The documents of the unified set that are not premarket analyses but
//! statements about the device and its life: the characteristics sheet
//! (D1), the labelling and customer security documentation (D8), the TPLC
//! cybersecurity management plan with its metrics (D9), the
//! interoperability considerations (D10), and the support of each SBOM
//! component (D5).
//!
//! Everything comes from the inputs: the profile, the threat model, the
//! register, the SBOM and its findings, the manufacturer's plan and
//! support files. What none of them states is written as not stated and
//! becomes a [`DocumentGap`] of the manifest; nothing is filled in.

use medsec_assure::evidence::SbomFinding;
use medsec_assure::evidence::sbom::VexStatus;
use medsec_assure::profile::{
    Authentication, ComponentKind, InterfaceKind, RoleKind, UpdateMechanism,
};
use medsec_assure::risk::ControlStatus;
use medsec_assure::threat::Flow;
use medsec_pdf::Lang;
use medsec_pdf::report::Block;
use serde_json::json;

use crate::documents::{pick, table, text_block};
use crate::layout::DocId;
use crate::lifecycle::SupportLevel;
use crate::{DocumentGap, Inputs};

/// The schema of `characteristics.json`.
pub const CHARACTERISTICS_SCHEMA: &str = "medsec-characteristics/1";
/// The schema of `tplc-plan.json`.
pub const TPLC_SCHEMA: &str = "medsec-tplc-plan/1";
/// The schema of `cybersecurity-metrics.json`.
pub const METRICS_SCHEMA: &str = "medsec-cybersecurity-metrics/1";
/// The schema of `component-support.json`.
pub const SUPPORT_SCHEMA: &str = "medsec-component-support/1";
/// The CycloneDX property that carries a component's support level.
pub const SUPPORT_PROPERTY: &str = "medsec:supportLevel";

/// The sentence printed wherever the inputs say nothing.
pub(crate) const NOT_STATED: (&str, &str) = (
    "입력 자료에 기재되지 않음 (MANIFEST.json에 공백으로 기록됨)",
    "Not stated in the inputs (recorded as a gap in MANIFEST.json)",
);

/// One SBOM component with its support as resolved.
#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct Support {
    pub component: String,
    pub name: String,
    pub version: Option<String>,
    pub purl: Option<String>,
    pub supplier: Option<String>,
    pub level: SupportLevel,
    pub end_of_support: Option<String>,
    /// `support file`, `SBOM` or `not stated`: where the date or level
    /// came from.
    pub source: &'static str,
    pub note: Option<String>,
}

/// A component's key: its purl, else `name@version`, else its name.
fn component_key(c: &medsec_sbom::model::Component) -> String {
    match (&c.purl, &c.version) {
        (Some(p), _) => p.as_str().to_owned(),
        (None, Some(v)) => format!("{}@{v}", c.display_name()),
        (None, None) => c.display_name(),
    }
}

/// A support entry's key names this component: its purl (compared in
/// canonical form), or `name@version` (with or without the group).
pub(crate) fn support_key_matches(c: &medsec_sbom::model::Component, key: &str) -> bool {
    let key = key.trim();
    if key.starts_with("pkg:") {
        let Some(purl) = &c.purl else {
            return false;
        };
        return match medsec_sbom::Purl::parse(key) {
            Ok(k) => k.as_str() == purl.as_str(),
            Err(_) => key == purl.as_str(),
        };
    }
    let Some(v) = &c.version else {
        return key == c.name || key == c.display_name();
    };
    key == format!("{}@{v}", c.name) || key == format!("{}@{v}", c.display_name())
}

/// The support of every SBOM component, in the SBOM's order.
pub(crate) fn resolve_support(inputs: &Inputs) -> Vec<Support> {
    let Some(sbom) = &inputs.sbom else {
        return Vec::new();
    };
    sbom.components
        .iter()
        .map(|c| {
            let entry = inputs
                .support
                .iter()
                .find(|s| support_key_matches(c, &s.component));
            let (level, end_of_support, source, note) = match entry {
                Some(s) => (
                    s.level,
                    s.end_of_support
                        .map(|d| d.to_string())
                        .or_else(|| c.end_of_support.clone()),
                    "support file",
                    s.note.clone(),
                ),
                None => (
                    SupportLevel::Unknown,
                    c.end_of_support.clone(),
                    if c.end_of_support.is_some() {
                        "SBOM"
                    } else {
                        "not stated"
                    },
                    None,
                ),
            };
            Support {
                component: component_key(c),
                name: c.display_name(),
                version: c.version.clone(),
                purl: c.purl.as_ref().map(|p| p.as_str().to_owned()),
                supplier: c.supplier.as_ref().map(|s| s.name.clone()),
                level,
                end_of_support,
                source,
                note,
            }
        })
        .collect()
}

/// The SBOM as it goes into the package: each component with its
/// support level as a namespaced property and its end of support.
pub(crate) fn sbom_with_support(
    sbom: &medsec_sbom::Sbom,
    support: &[Support],
) -> medsec_sbom::Sbom {
    let mut out = sbom.clone();
    for (c, s) in out.components.iter_mut().zip(support) {
        c.properties.retain(|(n, _)| n != SUPPORT_PROPERTY);
        c.properties
            .push((SUPPORT_PROPERTY.to_owned(), s.level.as_str().to_owned()));
        if s.end_of_support.is_some() {
            c.end_of_support.clone_from(&s.end_of_support);
        }
    }
    out
}

pub(crate) fn support_json(support: &[Support]) -> serde_json::Value {
    let count = |l: SupportLevel| support.iter().filter(|s| s.level == l).count();
    json!({
        "schema": SUPPORT_SCHEMA,
        "components": support,
        "by_level": {
            "active": count(SupportLevel::Active),
            "limited": count(SupportLevel::Limited),
            "end-of-support": count(SupportLevel::EndOfSupport),
            "unknown": count(SupportLevel::Unknown),
        },
    })
}

pub(crate) const SUPPORT_COLUMNS: [&str; 8] = [
    "구성요소 / component",
    "이름 / name",
    "버전 / version",
    "공급자 / supplier",
    "지원 수준 / support level",
    "지원 종료일 / end of support",
    "출처 / source",
    "비고 / note",
];

pub(crate) fn support_rows(support: &[Support]) -> Vec<Vec<String>> {
    support
        .iter()
        .map(|s| {
            vec![
                s.component.clone(),
                s.name.clone(),
                s.version.clone().unwrap_or_default(),
                s.supplier.clone().unwrap_or_default(),
                s.level.as_str().to_owned(),
                s.end_of_support.clone().unwrap_or_default(),
                s.source.to_owned(),
                s.note.clone().unwrap_or_default(),
            ]
        })
        .collect()
}

fn gap(doc: DocId, kind: &str, subject: &str, ko: &str, en: &str) -> DocumentGap {
    DocumentGap {
        document: doc.as_str().to_owned(),
        kind: kind.to_owned(),
        subject: subject.to_owned(),
        ko: ko.to_owned(),
        en: en.to_owned(),
    }
}

pub(crate) const LABELLING_NOT_STATED: &str = "labelling-not-stated";
pub(crate) const TPLC_NOT_STATED: &str = "tplc-not-stated";
pub(crate) const EOS_NOT_STATED: &str = "end-of-support-not-stated";
pub(crate) const SUPPORT_UNKNOWN: &str = "component-support-unknown";
pub(crate) const CHARACTERISTICS_NOT_STATED: &str = "characteristics-not-stated";

/// Everything the documents leave unstated, in document order.
pub(crate) fn gaps(inputs: &Inputs, support: &[Support]) -> Vec<DocumentGap> {
    let mut out = Vec::new();
    let d = &inputs.profile.device;
    if d.intended_use
        .as_deref()
        .is_none_or(|s| s.trim().is_empty())
    {
        out.push(gap(
            DocId::D1,
            CHARACTERISTICS_NOT_STATED,
            "device.intended_use",
            "기기 프로파일에 사용목적이 없다.",
            "The device profile states no intended use.",
        ));
    }
    if d.manufacturer.is_none() {
        out.push(gap(
            DocId::D1,
            CHARACTERISTICS_NOT_STATED,
            "device.manufacturer",
            "기기 프로파일에 제조사가 없다.",
            "The device profile names no manufacturer.",
        ));
    }
    for s in support.iter().filter(|s| s.level == SupportLevel::Unknown) {
        out.push(gap(
            DocId::D5,
            SUPPORT_UNKNOWN,
            &s.component,
            "구성요소의 지원 수준(지원 중, 제한적 지원, 지원 종료)이 기재되지 않았다.",
            "The component's support level (active, limited, end of support) is not stated.",
        ));
    }
    let plan = inputs.tplc.clone().unwrap_or_default();
    let l = &plan.labelling;
    let labelling: [(&str, &Option<String>, &str, &str); 5] = [
        (
            "labelling.backup_restore",
            &l.backup_restore,
            "백업 및 복원(구성 포함) 절차가 기재되지 않았다.",
            "Backup and restore (including the configuration) is not described.",
        ),
        (
            "labelling.infrastructure",
            &l.infrastructure,
            "지원 인프라 요구사항이 기재되지 않았다.",
            "The supporting infrastructure requirements are not stated.",
        ),
        (
            "labelling.hardening",
            &l.hardening,
            "보안 강화(방화벽 규칙, 허용 목록, 로깅 설정) 방법이 기재되지 않았다.",
            "Hardening (firewall rules, allow-lists, logging parameters) is not described.",
        ),
        (
            "labelling.security_events",
            &l.security_events,
            "보안 이벤트를 사용자에게 알리는 방법이 기재되지 않았다.",
            "How security events are signalled to the user is not described.",
        ),
        (
            "labelling.decommissioning",
            &l.decommissioning,
            "안전한 폐기(자료 삭제) 방법이 기재되지 않았다.",
            "Secure decommissioning (data removal) is not described.",
        ),
    ];
    for (subject, value, ko, en) in labelling {
        if blank(value) {
            out.push(gap(DocId::D8, LABELLING_NOT_STATED, subject, ko, en));
        }
    }
    if inputs.profile.update.mechanisms.is_empty() {
        out.push(gap(
            DocId::D8,
            LABELLING_NOT_STATED,
            "update.mechanisms",
            "기기 프로파일에 업데이트 경로가 없다.",
            "The device profile states no update path.",
        ));
    }
    let cvd = plan.cvd.clone().unwrap_or_default();
    if blank(&cvd.contact) {
        out.push(gap(
            DocId::D8,
            LABELLING_NOT_STATED,
            "cvd.contact",
            "취약점·침해사고 신고 연락처가 기재되지 않았다.",
            "No contact for reporting vulnerabilities and incidents is stated.",
        ));
    }
    if inputs.sbom.is_none() {
        out.push(gap(
            DocId::D8,
            LABELLING_NOT_STATED,
            "sbom",
            "SBOM이 주어지지 않아 사용자에게 제공할 SBOM이 없다.",
            "No SBOM was given, so none can be offered to users.",
        ));
    }
    if inputs.end_of_support.is_none() {
        out.push(gap(
            DocId::D9,
            EOS_NOT_STATED,
            "end_of_support",
            "기기의 사이버보안 지원 종료일이 기재되지 않았다.",
            "The device's end of cybersecurity support is not stated.",
        ));
    }
    let patches = plan.patches.clone().unwrap_or_default();
    let tplc: [(&str, bool, &str, &str); 13] = [
        (
            "role",
            plan.roles.is_empty(),
            "사이버보안 담당 인력과 역할이 기재되지 않았다.",
            "The personnel responsible for cybersecurity are not named.",
        ),
        (
            "monitoring",
            plan.monitoring.is_empty(),
            "취약점 감시 출처와 주기가 기재되지 않았다.",
            "The sources monitored for vulnerabilities and their frequency are not stated.",
        ),
        (
            "cvd.policy",
            blank(&cvd.policy),
            "취약점 공개 정책(ISO/IEC 29147, 30111)이 기재되지 않았다.",
            "The coordinated vulnerability disclosure policy (ISO/IEC 29147, 30111) is not given.",
        ),
        (
            "cvd.acknowledge_days",
            cvd.acknowledge_days.is_none(),
            "취약점 신고의 접수 확인 기한이 기재되지 않았다.",
            "The time to acknowledge a reported vulnerability is not stated.",
        ),
        (
            "cvd.assessment_days",
            cvd.assessment_days.is_none(),
            "신고된 취약점의 평가 기한이 기재되지 않았다.",
            "The time to assess a reported vulnerability is not stated.",
        ),
        (
            "cvd.disclosure_days",
            cvd.disclosure_days.is_none(),
            "신고된 취약점의 공개 기한이 기재되지 않았다.",
            "The time to disclose a reported vulnerability is not stated.",
        ),
        (
            "patches.critical_days",
            patches.critical_days.is_none(),
            "치명적 취약점의 패치 기한이 기재되지 않았다.",
            "The patch timeline for critical vulnerabilities is not stated.",
        ),
        (
            "patches.other_days",
            patches.other_days.is_none(),
            "그 밖의 취약점의 패치 기한이 기재되지 않았다.",
            "The patch timeline for other vulnerabilities is not stated.",
        ),
        (
            "patches.regular",
            blank(&patches.regular),
            "정기 업데이트 주기가 기재되지 않았다.",
            "The regular update cycle is not stated.",
        ),
        (
            "communication.channels",
            plan.communication
                .as_ref()
                .is_none_or(|c| c.channels.iter().all(|s| s.trim().is_empty())),
            "고객에게 알리는 경로가 기재되지 않았다.",
            "How customers are informed is not stated.",
        ),
        (
            "practice.testing",
            blank(&plan.practice.testing),
            "주기적 보안 시험이 기재되지 않았다.",
            "Periodic security testing is not stated.",
        ),
        (
            "practice.recovery",
            blank(&plan.practice.recovery),
            "사고 후 복구 계획이 기재되지 않았다.",
            "The recovery plan after an incident is not stated.",
        ),
        (
            "practice.information_sharing",
            blank(&plan.practice.information_sharing),
            "ISAO/ISAC 정보 공유 참여가 기재되지 않았다.",
            "Participation in an ISAO or ISAC is not stated.",
        ),
    ];
    for (subject, missing, ko, en) in tplc {
        if missing {
            out.push(gap(DocId::D9, TPLC_NOT_STATED, subject, ko, en));
        }
    }
    out
}

/// No text, or only white space.
fn blank(v: &Option<String>) -> bool {
    v.as_deref().is_none_or(|s| s.trim().is_empty())
}

/// The table of a document's own gaps.
pub(crate) fn gap_table(lang: Lang, doc: DocId, gaps: &[DocumentGap]) -> Block {
    table(
        lang,
        ("기재되지 않은 사항", "Not stated"),
        &[
            ("종류", "Kind"),
            ("대상", "Subject"),
            ("설명", "Description"),
        ],
        &[4, 4, 9],
        gaps.iter()
            .filter(|g| g.document == doc.as_str())
            .map(|g| vec![g.kind.clone(), g.subject.clone(), pick(lang, &g.ko, &g.en)])
            .collect(),
    )
}

fn not_stated(lang: Lang) -> String {
    pick(lang, NOT_STATED.0, NOT_STATED.1)
}

/// The text, or the not-stated sentence.
fn stated(lang: Lang, v: Option<&str>) -> String {
    match v {
        Some(s) if !s.trim().is_empty() => s.to_owned(),
        _ => not_stated(lang),
    }
}

fn yes_no(lang: Lang, v: bool) -> String {
    if v {
        pick(lang, "예", "yes")
    } else {
        pick(lang, "아니오", "no")
    }
}

fn opt_yes_no(lang: Lang, v: Option<bool>) -> String {
    match v {
        Some(v) => yes_no(lang, v),
        None => pick(lang, "미기재", "not stated"),
    }
}

fn component_kind(lang: Lang, k: ComponentKind) -> String {
    let (ko, en) = match k {
        ComponentKind::Device => ("의료기기", "medical device"),
        ComponentKind::Gateway => ("게이트웨이", "gateway"),
        ComponentKind::App => ("모바일 앱", "mobile app"),
        ComponentKind::Workstation => ("워크스테이션", "workstation"),
        ComponentKind::Server => ("서버", "server"),
        ComponentKind::Cloud => ("클라우드", "cloud"),
    };
    pick(lang, ko, en)
}

fn role_kind(lang: Lang, k: RoleKind) -> String {
    let (ko, en) = match k {
        RoleKind::Patient => ("환자", "patient"),
        RoleKind::Clinician => ("의료인", "clinician"),
        RoleKind::Technician => ("기사", "technician"),
        RoleKind::Administrator => ("관리자", "administrator"),
        RoleKind::Service => ("서비스 요원", "service"),
    };
    pick(lang, ko, en)
}

fn authentication(lang: Lang, a: Authentication) -> String {
    let (ko, en) = match a {
        Authentication::None => ("인증 없음", "none"),
        Authentication::Password => ("비밀번호", "password"),
        Authentication::Pin => ("PIN", "PIN"),
        Authentication::Certificate => ("인증서", "certificate"),
        Authentication::Biometric => ("생체 인증", "biometric"),
        Authentication::Token => ("토큰", "token"),
    };
    pick(lang, ko, en)
}

fn update_mechanism(lang: Lang, m: UpdateMechanism) -> String {
    let (ko, en) = match m {
        UpdateMechanism::Network => ("네트워크(OTA)", "over the network (OTA)"),
        UpdateMechanism::RemovableMedia => ("이동식 저장매체", "removable media"),
        UpdateMechanism::ServiceTool => ("서비스 도구", "service tool"),
        UpdateMechanism::AppStore => ("앱 스토어", "app store"),
    };
    pick(lang, ko, en)
}

fn update_text(lang: Lang, inputs: &Inputs) -> String {
    let u = &inputs.profile.update;
    if u.mechanisms.is_empty() {
        return not_stated(lang);
    }
    let ways: Vec<String> = u
        .mechanisms
        .iter()
        .map(|m| update_mechanism(lang, *m))
        .collect();
    let signed = if u.signed {
        pick(
            lang,
            "업데이트는 서명되어 있으며 설치 전에 기기가 서명을 검증한다.",
            "Updates are signed and the device verifies the signature before installing.",
        )
    } else {
        pick(
            lang,
            "기기 프로파일은 업데이트가 서명·검증된다고 기재하지 않는다.",
            "The device profile does not state that updates are signed and verified.",
        )
    };
    pick(
        lang,
        &format!("업데이트 경로: {}. {signed}", ways.join(", ")),
        &format!("Update path: {}. {signed}", ways.join(", ")),
    )
}

fn element_name(lang: Lang, inputs: &Inputs, id: &str) -> String {
    inputs
        .model
        .elements
        .iter()
        .find(|e| e.id == id)
        .map(|e| pick(lang, &e.name, e.name_en()))
        .unwrap_or_else(|| id.to_owned())
}

fn flow_end(lang: Lang, inputs: &Inputs, end: &medsec_assure::threat::End) -> String {
    end.element()
        .map(|id| element_name(lang, inputs, id))
        .unwrap_or_else(|| pick(lang, "(미연결)", "(unconnected)"))
}

fn flow_data(lang: Lang, f: &Flow) -> String {
    f.data
        .iter()
        .map(|d| pick(lang, d.ko(), d.en()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An interface of the device, with the flows that go through it.
struct Port<'a> {
    element: &'a str,
    name: &'a str,
    kind: InterfaceKind,
    inbound: bool,
    remote_access: bool,
    flows: Vec<&'a Flow>,
}

fn ports(inputs: &Inputs) -> Vec<Port<'_>> {
    let model = &inputs.model;
    model
        .elements
        .iter()
        .flat_map(|e| {
            e.ports.iter().map(move |p| Port {
                element: &e.id,
                name: &p.name,
                kind: p.kind,
                inbound: p.inbound,
                remote_access: p.remote_access,
                flows: model
                    .flows
                    .iter()
                    .filter(|f| f.interface.as_deref() == Some(p.name.as_str()) && f.touches(&e.id))
                    .collect(),
            })
        })
        .collect()
}

fn direction(lang: Lang, p: &Port<'_>) -> String {
    let mut out_ = false;
    let mut in_ = p.inbound;
    for f in &p.flows {
        let from = f.from.element() == Some(p.element);
        if f.bidirectional {
            out_ = true;
            in_ = true;
        } else if from {
            out_ = true;
        } else {
            in_ = true;
        }
    }
    match (in_, out_) {
        (true, true) => pick(lang, "송수신", "in and out"),
        (true, false) => pick(lang, "수신", "in"),
        (false, true) => pick(lang, "송신", "out"),
        (false, false) => pick(
            lang,
            "자료 흐름 없음: 사용하지 않으면 비활성화",
            "no data flow: disable when unused",
        ),
    }
}

pub(crate) type Content = (Vec<[String; 2]>, Vec<Block>);

/// D1: the characteristics sheet.
pub(crate) fn characteristics(lang: Lang, inputs: &Inputs, gaps: &[DocumentGap]) -> Content {
    let p = &inputs.profile;
    let d = &p.device;
    let facts = vec![
        [pick(lang, "등급", "Grade"), d.grade.to_string()],
        [
            pick(lang, "사이버 보안 안전성 등급", "Cybersecurity level"),
            pick(lang, d.security_level.ko(), d.security_level.as_str()),
        ],
        [
            pick(lang, "사용되는 통신 기술", "Communication technology"),
            p.communication(),
        ],
        [
            pick(lang, "공용 네트워크망 사용", "Public network used"),
            yes_no(lang, d.public_network),
        ],
    ];
    let environment = p
        .boundaries
        .iter()
        .map(|b| {
            let name = pick(lang, &b.name, b.name_en.as_deref().unwrap_or(&b.name));
            match &b.description {
                Some(text) => format!("{name}: {text}"),
                None => name,
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    let mut data = Vec::new();
    data.push(vec![
        pick(
            lang,
            "개인의료정보 취급",
            "Handles personal medical information",
        ),
        yes_no(lang, p.data.personal_medical_info),
    ]);
    data.push(vec![
        pick(lang, "저장 자료", "Stored data"),
        if p.data.stored.is_empty() {
            pick(lang, "기재 없음", "none stated")
        } else {
            p.data.stored.join(", ")
        },
    ]);
    data.push(vec![
        pick(lang, "비식별 처리", "De-identified"),
        yes_no(lang, p.data.de_identified),
    ]);
    let mut kinds: Vec<_> = inputs
        .model
        .flows
        .iter()
        .flat_map(|f| f.data.iter().copied())
        .collect();
    kinds.sort_by_key(|k| k.as_str());
    kinds.dedup();
    data.push(vec![
        pick(lang, "자료 흐름의 자료", "Data in the data flows"),
        kinds
            .iter()
            .map(|k| pick(lang, k.ko(), k.en()))
            .collect::<Vec<_>>()
            .join(", "),
    ]);
    let blocks = vec![
        text_block(
            lang,
            ("개요", "Overview"),
            pick(
                lang,
                "필수원칙 체크리스트 머리글(사이버 보안 특성)과 FDA V.B.2, IMDRF N60 5.6.1이 요구하는 기기 특성을 기기 프로파일에서 정리한 문서이다.",
                "The device characteristics the checklist header (cybersecurity characteristics), FDA V.B.2 and IMDRF N60 5.6.1 ask for, taken from the device profile.",
            ),
        ),
        text_block(
            lang,
            ("사용목적", "Intended use"),
            stated(lang, d.intended_use.as_deref()),
        ),
        text_block(lang, ("사용 환경", "Use environment"), environment),
        table(
            lang,
            ("통신목적", "Communication purposes"),
            &[("통신목적", "Purpose")],
            &[1],
            d.purposes
                .iter()
                .map(|u| vec![pick(lang, u.ko(), u.en())])
                .collect(),
        ),
        table(
            lang,
            ("구성요소", "Components"),
            &[
                ("이름", "Name"),
                ("종류", "Kind"),
                ("운영체제", "Operating system"),
                ("웹", "Web"),
                ("DBMS", "DBMS"),
                ("제조사 운영", "Run by the manufacturer"),
            ],
            &[5, 3, 3, 1, 2, 2],
            p.components
                .iter()
                .map(|c| {
                    vec![
                        c.name.clone(),
                        component_kind(lang, c.kind),
                        c.os.clone().unwrap_or_default(),
                        yes_no(lang, c.web),
                        c.dbms.clone().unwrap_or_default(),
                        yes_no(lang, c.manufacturer_operated),
                    ]
                })
                .collect(),
        ),
        table(
            lang,
            ("연결 및 인터페이스", "Connectivity and interfaces"),
            &[
                ("인터페이스", "Interface"),
                ("종류", "Kind"),
                ("구성요소", "Component"),
                ("네트워크", "Network"),
                ("수신 연결", "Listens"),
                ("원격 접속", "Remote access"),
            ],
            &[5, 2, 4, 2, 2, 2],
            p.interfaces
                .iter()
                .map(|i| {
                    vec![
                        i.name.clone(),
                        i.kind.label().to_owned(),
                        i.component.clone().unwrap_or_default(),
                        yes_no(lang, i.kind.is_network()),
                        yes_no(lang, i.inbound),
                        yes_no(lang, i.remote_access),
                    ]
                })
                .collect(),
        ),
        table(
            lang,
            ("취급 자료", "Data handled"),
            &[("항목", "Item"), ("내용", "Value")],
            &[4, 8],
            data,
        ),
        table(
            lang,
            ("사용자 및 역할", "Users and roles"),
            &[
                ("이름", "Name"),
                ("역할", "Role"),
                ("인증", "Authentication"),
            ],
            &[5, 3, 3],
            p.roles
                .iter()
                .map(|r| {
                    vec![
                        r.name.clone(),
                        role_kind(lang, r.kind),
                        authentication(lang, r.authentication),
                    ]
                })
                .collect(),
        ),
        text_block(
            lang,
            ("업데이트 경로", "Update path"),
            update_text(lang, inputs),
        ),
        gap_table(lang, DocId::D1, gaps),
    ];
    (facts, blocks)
}

pub(crate) fn characteristics_json(inputs: &Inputs, gaps: &[DocumentGap]) -> serde_json::Value {
    let p = &inputs.profile;
    json!({
        "schema": CHARACTERISTICS_SCHEMA,
        "device": p.device,
        "communication": p.communication(),
        "use_environment": p.boundaries,
        "components": p.components,
        "interfaces": p.interfaces,
        "data": p.data,
        "roles": p.roles,
        "update": p.update,
        "not_stated": gaps.iter().filter(|g| g.document == DocId::D1.as_str()).collect::<Vec<_>>(),
    })
}

/// D8: labelling and customer security documentation.
pub(crate) fn labelling(
    lang: Lang,
    inputs: &Inputs,
    support: &[Support],
    gaps: &[DocumentGap],
) -> Content {
    let p = &inputs.profile;
    let plan = inputs.tplc.clone().unwrap_or_default();
    let l = &plan.labelling;
    let cvd = plan.cvd.clone().unwrap_or_default();
    let ports = ports(inputs);
    let mut recommended: Vec<Vec<String>> = Vec::new();
    let mut rec = |basis: String, ko: &str, en: &str| {
        recommended.push(vec![basis, pick(lang, ko, en)]);
    };
    if p.interfaces.iter().any(|i| i.kind.is_network()) {
        rec(
            pick(lang, "네트워크 인터페이스", "Network interfaces"),
            "기기를 분리된 네트워크 구역에 두고, 아래 '포트 및 인터페이스' 표의 통신만 방화벽에서 허용한다.",
            "Place the device in a separate network zone and let the firewall allow only the communication in the table of ports and interfaces below.",
        );
    }
    if p.device.public_network {
        rec(
            pick(lang, "공용 네트워크 사용", "Public network used"),
            "인터넷을 거치는 통신은 암호화된 연결로만 허용하고, 기기가 인터넷에서 직접 접속되지 않게 한다.",
            "Allow communication over the Internet only through encrypted connections, and keep the device unreachable directly from the Internet.",
        );
    }
    if p.interfaces.iter().any(|i| i.kind.is_wireless()) {
        rec(
            pick(lang, "무선 인터페이스", "Wireless interfaces"),
            "기기가 연결되는 무선 네트워크는 암호화와 접속 인증을 사용한다.",
            "Wireless networks the device joins use encryption and access authentication.",
        );
    }
    if p.interfaces.iter().any(|i| i.kind.is_removable_media()) {
        rec(
            pick(lang, "이동식 저장매체", "Removable media"),
            "사용하지 않는 USB·메모리 카드 포트는 막고, 허가된 매체만 연결한다.",
            "Block unused USB and memory-card ports and connect only authorised media.",
        );
    }
    if p.interfaces.iter().any(|i| i.kind == InterfaceKind::Debug) {
        rec(
            pick(lang, "디버그 포트", "Debug port"),
            "디버그 포트는 현장에서 물리적으로 접근할 수 없게 한다.",
            "Keep the debug port physically inaccessible in the field.",
        );
    }
    if p.components.iter().any(|c| c.os.is_some()) {
        rec(
            pick(lang, "범용 운영체제", "General-purpose operating system"),
            "운영체제의 악성코드 방지와 보안 업데이트는 제조사가 검증한 구성으로만 적용한다.",
            "Apply anti-malware and operating-system updates only in configurations the manufacturer has validated.",
        );
    }
    let controls: Vec<Vec<String>> = inputs
        .register
        .controls
        .iter()
        .filter(|c| {
            matches!(
                c.status,
                ControlStatus::Implemented | ControlStatus::Verified
            )
        })
        .map(|c| {
            vec![
                c.id.clone(),
                pick(lang, &c.title.ko, &c.title.en),
                pick(lang, c.status.ko(), c.status.as_str()),
            ]
        })
        .collect();
    let port_rows: Vec<Vec<String>> = ports
        .iter()
        .map(|port| {
            let function: Vec<String> = port
                .flows
                .iter()
                .map(|f| {
                    let name = pick(lang, &f.name, f.name_en());
                    if f.protocol.is_empty() {
                        name
                    } else {
                        format!("{name} ({})", f.protocol)
                    }
                })
                .collect();
            vec![
                port.name.to_owned(),
                port.kind.label().to_owned(),
                element_name(lang, inputs, port.element),
                function.join("; "),
                direction(lang, port),
                yes_no(lang, port.remote_access),
            ]
        })
        .collect();
    let sbom_text = match &inputs.sbom {
        Some(s) => {
            let count = |lvl: SupportLevel| support.iter().filter(|c| c.level == lvl).count();
            pick(
                lang,
                &format!(
                    "SBOM은 제출 패키지의 sbom.cdx.json(CycloneDX 1.6)에 있으며 구성요소 {}개를 이름, 공급자, 버전, purl로 식별한다. 구성요소별 지원 수준과 지원 종료일은 component-support.csv에 있다(지원 중 {}, 제한적 지원 {}, 지원 종료 {}, 알 수 없음 {}). 사용자는 제조사에 SBOM을 요청할 수 있다.",
                    s.components.len(),
                    count(SupportLevel::Active),
                    count(SupportLevel::Limited),
                    count(SupportLevel::EndOfSupport),
                    count(SupportLevel::Unknown),
                ),
                &format!(
                    "The SBOM is sbom.cdx.json (CycloneDX 1.6) in the submission package and identifies {} components by name, supplier, version and purl. Each component's support level and end of support are in component-support.csv (active {}, limited {}, end of support {}, unknown {}). Users can ask the manufacturer for the SBOM.",
                    s.components.len(),
                    count(SupportLevel::Active),
                    count(SupportLevel::Limited),
                    count(SupportLevel::EndOfSupport),
                    count(SupportLevel::Unknown),
                ),
            )
        }
        None => not_stated(lang),
    };
    let given = |v: &Option<String>| v.clone().filter(|s| !s.trim().is_empty());
    let contact = match (given(&cvd.contact), given(&cvd.policy)) {
        (Some(c), Some(policy)) => pick(
            lang,
            &format!("취약점이나 침해사고를 발견하면 {c}로 신고한다. 취약점 공개 정책: {policy}"),
            &format!(
                "Report a vulnerability or incident to {c}. Vulnerability disclosure policy: {policy}"
            ),
        ),
        (Some(c), None) => pick(
            lang,
            &format!("취약점이나 침해사고를 발견하면 {c}로 신고한다."),
            &format!("Report a vulnerability or incident to {c}."),
        ),
        _ => not_stated(lang),
    };
    let mut update = update_text(lang, inputs);
    if let Some(r) = plan.patches.as_ref().and_then(|p| p.regular.as_deref()) {
        update.push_str(&pick(
            lang,
            &format!(" 정기 업데이트 주기: {r}."),
            &format!(" Regular update cycle: {r}."),
        ));
    }
    let eos = inputs.end_of_support.map_or_else(
        || not_stated(lang),
        |d| {
            pick(
                lang,
                &format!("이 기기의 사이버보안 지원은 {d}에 종료된다."),
                &format!("Cybersecurity support for this device ends on {d}."),
            )
        },
    );
    let blocks = vec![
        text_block(
            lang,
            ("개요", "Overview"),
            pick(
                lang,
                "사용자가 의도된 사용 환경에서 기기의 사이버보안 위험을 관리하는 데 필요한 정보(IMDRF N60 5.5, FDA VI.A)를 사용자 매뉴얼의 보안 부분으로 정리한 문서이다. 입력 자료에 없는 사항은 기재되지 않음으로 표시한다.",
                "The information users need to manage the device's cybersecurity risk in its intended environment (IMDRF N60 5.5, FDA VI.A), as the security part of the user manual. What the inputs do not state is marked as not stated.",
            ),
        ),
        table(
            lang,
            (
                "사용 환경에 권장되는 보안 통제",
                "Recommended security controls for the use environment",
            ),
            &[("근거", "Basis"), ("권장 사항", "Recommendation")],
            &[3, 9],
            recommended,
        ),
        table(
            lang,
            (
                "기기에 구현된 보안 통제",
                "Security controls implemented in the device",
            ),
            &[("통제", "Control"), ("제목", "Title"), ("상태", "Status")],
            &[3, 9, 2],
            controls,
        ),
        table(
            lang,
            ("포트 및 인터페이스", "Ports and interfaces"),
            &[
                ("인터페이스", "Interface"),
                ("종류", "Kind"),
                ("구성요소", "Component"),
                ("기능", "Function"),
                ("방향", "Direction"),
                ("원격 접속", "Remote access"),
            ],
            &[4, 2, 3, 6, 3, 2],
            port_rows,
        ),
        text_block(
            lang,
            ("시스템 구성도", "System diagram"),
            pick(
                lang,
                "시스템 구성도는 제출 패키지의 data-flow-diagram.svg(자료 흐름도, D4)이다.",
                "The system diagram is data-flow-diagram.svg (the data-flow diagram, D4) in the submission package.",
            ),
        ),
        text_block(
            lang,
            ("인프라 요구사항", "Infrastructure requirements"),
            stated(lang, l.infrastructure.as_deref()),
        ),
        text_block(
            lang,
            ("보안 강화", "Hardening"),
            stated(lang, l.hardening.as_deref()),
        ),
        text_block(
            lang,
            ("백업 및 복원", "Backup and restore"),
            stated(lang, l.backup_restore.as_deref()),
        ),
        text_block(
            lang,
            ("보안 이벤트 알림", "How security events are signalled"),
            stated(lang, l.security_events.as_deref()),
        ),
        text_block(
            lang,
            (
                "업데이트 설치 및 인증",
                "Update installation and authentication",
            ),
            update,
        ),
        text_block(
            lang,
            (
                "취약점 및 침해사고 대응 연락처",
                "Vulnerability and incident response contact",
            ),
            contact,
        ),
        text_block(lang, ("보안 지원 종료", "End of support"), eos),
        text_block(lang, ("SBOM", "SBOM"), sbom_text),
        text_block(
            lang,
            ("안전한 폐기", "Secure decommissioning"),
            stated(lang, l.decommissioning.as_deref()),
        ),
        gap_table(lang, DocId::D8, gaps),
    ];
    (Vec::new(), blocks)
}

/// Counts of the SBOM findings for the metrics (FDA V.A.6).
struct Counts {
    open: usize,
    fixed: usize,
    not_affected: usize,
}

fn severity_of(f: &SbomFinding) -> &'static str {
    f.cvss
        .as_deref()
        .and_then(|v| medsec_cvss::Vector::parse(v).ok())
        .map_or("unscored", |v| v.severity(v.scores().base).as_str())
}

const SEVERITIES: [&str; 6] = ["critical", "high", "medium", "low", "none", "unscored"];

fn counts(findings: &[SbomFinding], keep: impl Fn(&SbomFinding) -> bool) -> Counts {
    let mut c = Counts {
        open: 0,
        fixed: 0,
        not_affected: 0,
    };
    for f in findings.iter().filter(|f| keep(f)) {
        match f.vex.as_ref().map(|v| v.status) {
            Some(VexStatus::Fixed) => c.fixed += 1,
            Some(VexStatus::NotAffected) => c.not_affected += 1,
            _ => c.open += 1,
        }
    }
    c
}

/// Percent with one decimal, as text (`66.7`), or `None` for no base.
fn percent(part: usize, whole: usize) -> Option<String> {
    (whole > 0).then(|| {
        let tenths = (part * 1000 + whole / 2) / whole;
        format!("{}.{}", tenths / 10, tenths % 10)
    })
}

pub(crate) fn metrics_json(inputs: &Inputs) -> serde_json::Value {
    let f = &inputs.findings;
    let by_severity: serde_json::Map<String, serde_json::Value> = SEVERITIES
        .iter()
        .map(|s| {
            let c = counts(f, |x| severity_of(x) == *s);
            (
                (*s).to_owned(),
                json!({ "open": c.open, "fixed": c.fixed, "not_affected": c.not_affected }),
            )
        })
        .collect();
    let all = counts(f, |_| true);
    let kev = counts(f, |x| x.kev);
    json!({
        "schema": METRICS_SCHEMA,
        "findings": f.len(),
        "open": all.open,
        "fixed": all.fixed,
        "not_affected": all.not_affected,
        "percent_fixed": percent(all.fixed, all.open + all.fixed),
        "kev": { "open": kev.open, "fixed": kev.fixed, "not_affected": kev.not_affected },
        "by_severity": by_severity,
        "not_computed": {
            "discovery_to_patch_days": "the findings carry no discovery or patch dates",
            "patch_to_field_days": "the findings carry no deployment dates",
        },
    })
}

pub(crate) fn tplc_json(inputs: &Inputs, gaps: &[DocumentGap]) -> serde_json::Value {
    let plan = inputs.tplc.clone().unwrap_or_default();
    let cvd = plan.cvd.clone().unwrap_or_default();
    let patches = plan.patches.clone().unwrap_or_default();
    json!({
        "schema": TPLC_SCHEMA,
        "plan_given": inputs.tplc.is_some(),
        "end_of_support": inputs.end_of_support.map(|d| d.to_string()),
        "personnel": plan.roles.iter().map(|r| json!({
            "role": r.role, "name": r.name, "responsibilities": r.responsibilities,
        })).collect::<Vec<_>>(),
        "monitoring": plan.monitoring.iter().map(|m| json!({
            "source": m.source, "frequency": m.frequency,
        })).collect::<Vec<_>>(),
        "cvd": {
            "standards": ["ISO/IEC 29147", "ISO/IEC 30111"],
            "policy": cvd.policy,
            "contact": cvd.contact,
            "acknowledge_days": cvd.acknowledge_days,
            "assessment_days": cvd.assessment_days,
            "disclosure_days": cvd.disclosure_days,
        },
        "patches": {
            "critical_days": patches.critical_days,
            "other_days": patches.other_days,
            "regular": patches.regular,
        },
        "communication": plan.communication.as_ref().map(|c| c.channels.clone()).unwrap_or_default(),
        "testing": plan.practice.testing,
        "recovery": plan.practice.recovery,
        "information_sharing": plan.practice.information_sharing,
        "metrics": "cybersecurity-metrics.json",
        "not_stated": gaps.iter().filter(|g| g.document == DocId::D9.as_str()).collect::<Vec<_>>(),
    })
}

fn days(lang: Lang, v: Option<u32>) -> String {
    v.map_or_else(
        || not_stated(lang),
        |d| pick(lang, &format!("{d}일 이내"), &format!("within {d} days")),
    )
}

/// D9: the TPLC cybersecurity management plan with the metrics.
pub(crate) fn tplc(lang: Lang, inputs: &Inputs, gaps: &[DocumentGap]) -> Content {
    let plan = inputs.tplc.clone().unwrap_or_default();
    let cvd = plan.cvd.clone().unwrap_or_default();
    let patches = plan.patches.clone().unwrap_or_default();
    let f = &inputs.findings;
    let all = counts(f, |_| true);
    let kev = counts(f, |x| x.kev);
    let facts = vec![
        [
            pick(lang, "보안 지원 종료", "End of support"),
            inputs.end_of_support.map_or_else(
                || pick(lang, "기재되지 않음", "not stated"),
                |d| d.to_string(),
            ),
        ],
        [
            pick(
                lang,
                "알려진 취약점 (미해결 / 해결)",
                "Known vulnerabilities (open / fixed)",
            ),
            format!("{} / {}", all.open, all.fixed),
        ],
        [
            pick(lang, "CISA KEV (미해결)", "CISA KEV (open)"),
            format!("{} ({})", kev.open + kev.fixed + kev.not_affected, kev.open),
        ],
    ];
    let personnel: Vec<Vec<String>> = plan
        .roles
        .iter()
        .map(|r| {
            vec![
                r.role.clone(),
                r.name.clone().unwrap_or_default(),
                r.responsibilities.clone().unwrap_or_default(),
            ]
        })
        .collect();
    let monitoring: Vec<Vec<String>> = plan
        .monitoring
        .iter()
        .map(|m| vec![m.source.clone(), m.frequency.clone()])
        .collect();
    let metrics: Vec<Vec<String>> = SEVERITIES
        .iter()
        .map(|s| {
            let c = counts(f, |x| severity_of(x) == *s);
            vec![
                (*s).to_owned(),
                c.open.to_string(),
                c.fixed.to_string(),
                c.not_affected.to_string(),
            ]
        })
        .chain(std::iter::once(vec![
            "CISA KEV".to_owned(),
            kev.open.to_string(),
            kev.fixed.to_string(),
            kev.not_affected.to_string(),
        ]))
        .collect();
    let cvd_rows = vec![
        vec![
            pick(lang, "정책", "Policy"),
            stated(lang, cvd.policy.as_deref()),
        ],
        vec![
            pick(lang, "연락처", "Contact"),
            stated(lang, cvd.contact.as_deref()),
        ],
        vec![
            pick(lang, "접수 확인", "Acknowledgement"),
            days(lang, cvd.acknowledge_days),
        ],
        vec![
            pick(lang, "평가", "Assessment"),
            days(lang, cvd.assessment_days),
        ],
        vec![
            pick(lang, "공개", "Disclosure"),
            days(lang, cvd.disclosure_days),
        ],
    ];
    let patch_rows = vec![
        vec![
            pick(
                lang,
                "치명적 취약점 및 KEV",
                "Critical and KEV vulnerabilities",
            ),
            days(lang, patches.critical_days),
        ],
        vec![
            pick(lang, "그 밖의 취약점", "Other vulnerabilities"),
            days(lang, patches.other_days),
        ],
        vec![
            pick(lang, "정기 업데이트", "Regular updates"),
            stated(lang, patches.regular.as_deref()),
        ],
    ];
    let channels = plan
        .communication
        .as_ref()
        .map(|c| c.channels.join("\n"))
        .filter(|s| !s.is_empty());
    let fixed_share = percent(all.fixed, all.open + all.fixed);
    let blocks = vec![
        text_block(
            lang,
            ("개요", "Overview"),
            pick(
                lang,
                "시판 후 기기의 사이버보안을 유지하기 위한 제조사의 계획(IMDRF N60 5.4, 5.6.4; FDA VI.B, V.A.6; FD&C 524B(b)(1)·(2); 의료기기 사이버보안 보안지침 제17조–제22조): 감시, 취약점 공개, 정기 및 긴급 업데이트, 복구, 정보 공유. 제조사가 계획 파일로 기재한 사항만 싣고, 없는 사항은 기재되지 않음으로 표시한다.",
                "The manufacturer's plan to keep the device secure after it is on the market (IMDRF N60 5.4, 5.6.4; FDA VI.B, V.A.6; FD&C 524B(b)(1), (2); MFDS cybersecurity guideline Arts 17–22): surveillance, vulnerability disclosure, regular and out-of-cycle updates, recovery, information sharing. Only what the manufacturer's plan file states is shown; the rest is marked as not stated.",
            ),
        ),
        table(
            lang,
            ("담당 인력", "Personnel"),
            &[
                ("역할", "Role"),
                ("담당자", "Name"),
                ("책임", "Responsibilities"),
            ],
            &[4, 3, 8],
            personnel,
        ),
        table(
            lang,
            (
                "취약점 감시 출처와 주기",
                "Monitoring sources and frequency",
            ),
            &[("출처", "Source"), ("주기", "Frequency")],
            &[8, 4],
            monitoring,
        ),
        table(
            lang,
            (
                "취약점 공개 정책 (ISO/IEC 29147, ISO/IEC 30111)",
                "Coordinated vulnerability disclosure (ISO/IEC 29147, ISO/IEC 30111)",
            ),
            &[("항목", "Item"), ("내용", "Commitment")],
            &[4, 8],
            cvd_rows,
        ),
        table(
            lang,
            ("패치 기한", "Patch timelines"),
            &[("대상", "For"), ("기한", "Timeline")],
            &[5, 7],
            patch_rows,
        ),
        text_block(
            lang,
            ("고객 안내", "Customer communication"),
            stated(lang, channels.as_deref()),
        ),
        text_block(
            lang,
            ("주기적 보안 시험", "Periodic security testing"),
            stated(lang, plan.practice.testing.as_deref()),
        ),
        text_block(
            lang,
            ("사고 후 복구", "Recovery after an incident"),
            stated(lang, plan.practice.recovery.as_deref()),
        ),
        text_block(
            lang,
            ("정보 공유 (ISAO/ISAC)", "Information sharing (ISAO/ISAC)"),
            stated(lang, plan.practice.information_sharing.as_deref()),
        ),
        text_block(
            lang,
            ("보안 지원 종료", "End of support"),
            inputs
                .end_of_support
                .map_or_else(|| not_stated(lang), |d| d.to_string()),
        ),
        table(
            lang,
            (
                "사이버보안 지표: SBOM 취약점 (FDA V.A.6)",
                "Cybersecurity metrics: SBOM vulnerabilities (FDA V.A.6)",
            ),
            &[
                ("심각도", "Severity"),
                ("미해결", "Open"),
                ("해결", "Fixed"),
                ("영향 없음", "Not affected"),
            ],
            &[4, 2, 2, 2],
            metrics,
        ),
        text_block(
            lang,
            ("지표 산출 범위", "What the metrics cover"),
            pick(
                lang,
                &format!(
                    "이 릴리스의 SBOM 취약점 {}건에서 산출하였다. 해결 비율(해결 / (미해결 + 해결)): {}. 발견부터 패치까지, 패치부터 현장 배포까지의 기간은 입력 자료에 일자가 없어 산출하지 않았다.",
                    f.len(),
                    fixed_share
                        .as_deref()
                        .map_or("해당 없음".to_owned(), |p| format!("{p}%"))
                ),
                &format!(
                    "Computed from this release's {} SBOM vulnerabilities. Share fixed (fixed / (open + fixed)): {}. Discovery-to-patch and patch-to-field times are not computed: the inputs carry no such dates.",
                    f.len(),
                    fixed_share
                        .as_deref()
                        .map_or("n/a".to_owned(), |p| format!("{p}%"))
                ),
            ),
        ),
        gap_table(lang, DocId::D9, gaps),
    ];
    (facts, blocks)
}

/// D10: interoperability considerations.
pub(crate) fn interoperability(lang: Lang, inputs: &Inputs) -> Content {
    let ports = ports(inputs);
    let port_rows: Vec<Vec<String>> = ports
        .iter()
        .map(|port| {
            let peers: Vec<String> = port
                .flows
                .iter()
                .map(|f| {
                    let other = if f.from.element() == Some(port.element) {
                        &f.to
                    } else {
                        &f.from
                    };
                    flow_end(lang, inputs, other)
                })
                .collect();
            let mut protocols: Vec<&str> = port
                .flows
                .iter()
                .map(|f| f.protocol.as_str())
                .filter(|p| !p.is_empty())
                .collect();
            protocols.sort_unstable();
            protocols.dedup();
            let all = |get: fn(&Flow) -> Option<bool>| {
                if port.flows.is_empty() {
                    return pick(lang, "흐름 없음", "no flow");
                }
                let v: Vec<Option<bool>> = port.flows.iter().map(|f| get(f)).collect();
                if v.iter().all(|x| *x == Some(true)) {
                    yes_no(lang, true)
                } else if v.contains(&Some(false)) {
                    pick(lang, "일부 아니오", "not all")
                } else {
                    pick(lang, "일부 미기재", "partly not stated")
                }
            };
            let mut peers_sorted = peers;
            peers_sorted.sort();
            peers_sorted.dedup();
            vec![
                port.name.to_owned(),
                port.kind.label().to_owned(),
                element_name(lang, inputs, port.element),
                peers_sorted.join(", "),
                protocols.join(", "),
                all(|f| f.encrypted),
                all(|f| f.authenticated),
            ]
        })
        .collect();
    let flow_rows: Vec<Vec<String>> = inputs
        .model
        .flows
        .iter()
        .filter(|f| !f.out_of_scope)
        .map(|f| {
            vec![
                pick(lang, &f.name, f.name_en()),
                format!(
                    "{} → {}",
                    flow_end(lang, inputs, &f.from),
                    flow_end(lang, inputs, &f.to)
                ),
                f.interface.clone().unwrap_or_default(),
                f.protocol.clone(),
                flow_data(lang, f),
                opt_yes_no(lang, f.encrypted),
                opt_yes_no(lang, f.authenticated),
            ]
        })
        .collect();
    let facts = vec![
        [
            pick(lang, "인터페이스", "Interfaces"),
            ports.len().to_string(),
        ],
        [
            pick(lang, "자료 흐름", "Data flows"),
            flow_rows.len().to_string(),
        ],
    ];
    let blocks = vec![
        text_block(
            lang,
            ("개요", "Overview"),
            pick(
                lang,
                "기기가 다른 기기·시스템과 연결되는 인터페이스와 그 보안(FDA V.A.3)을 위협 모델의 자료 흐름에서 정리하였다. 연결 상대가 같은 보안 수준을 갖추지 못하면 아래 표의 암호화·인증이 유지되도록 연결을 구성해야 한다.",
                "The interfaces through which the device works with other devices and systems, and their security (FDA V.A.3), taken from the threat model's data flows. Where a peer cannot match these protections, the connection must be set up so that the encryption and authentication shown below still hold.",
            ),
        ),
        table(
            lang,
            ("인터페이스별 연결과 보안", "Interfaces, peers and security"),
            &[
                ("인터페이스", "Interface"),
                ("종류", "Kind"),
                ("구성요소", "Component"),
                ("연결 상대", "Connects to"),
                ("프로토콜", "Protocols"),
                ("암호화", "Encrypted"),
                ("인증", "Authenticated"),
            ],
            &[4, 2, 3, 4, 3, 2, 2],
            port_rows,
        ),
        table(
            lang,
            ("자료 흐름", "Data flows"),
            &[
                ("흐름", "Flow"),
                ("출발 → 도착", "From → to"),
                ("인터페이스", "Interface"),
                ("프로토콜", "Protocol"),
                ("자료", "Data"),
                ("암호화", "Encrypted"),
                ("인증", "Authenticated"),
            ],
            &[4, 5, 3, 3, 3, 2, 2],
            flow_rows,
        ),
    ];
    (facts, blocks)
}
