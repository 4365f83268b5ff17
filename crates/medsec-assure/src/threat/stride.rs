//! STRIDE per element: which categories each kind of element suffers
//! ([`ElementKind::stride`], data flows tampering, disclosure and denial of
//! service), the threat each gives with Korean and English text, and its
//! mapping to the KISA threat catalogue (seed 003) and, through the KISA
//! requirements that answer those threats and the crosswalk, to MFDS items.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{Category, DataKind, ElementKind, Flow, Severity, Status, Text, Threat, ThreatModel};
use crate::profile::{ComponentKind, InterfaceKind};

/// The six STRIDE categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stride {
    Spoofing,
    Tampering,
    Repudiation,
    InformationDisclosure,
    DenialOfService,
    ElevationOfPrivilege,
}

impl Stride {
    pub const ALL: [Stride; 6] = [
        Stride::Spoofing,
        Stride::Tampering,
        Stride::Repudiation,
        Stride::InformationDisclosure,
        Stride::DenialOfService,
        Stride::ElevationOfPrivilege,
    ];

    /// What a data flow suffers.
    pub const FLOW: [Stride; 3] = [
        Stride::Tampering,
        Stride::InformationDisclosure,
        Stride::DenialOfService,
    ];

    pub fn letter(self) -> char {
        match self {
            Stride::Spoofing => 'S',
            Stride::Tampering => 'T',
            Stride::Repudiation => 'R',
            Stride::InformationDisclosure => 'I',
            Stride::DenialOfService => 'D',
            Stride::ElevationOfPrivilege => 'E',
        }
    }

    /// As Threat Dragon names the threat type.
    pub fn en(self) -> &'static str {
        match self {
            Stride::Spoofing => "Spoofing",
            Stride::Tampering => "Tampering",
            Stride::Repudiation => "Repudiation",
            Stride::InformationDisclosure => "Information disclosure",
            Stride::DenialOfService => "Denial of service",
            Stride::ElevationOfPrivilege => "Elevation of privilege",
        }
    }

    pub fn ko(self) -> &'static str {
        match self {
            Stride::Spoofing => "위장",
            Stride::Tampering => "변조",
            Stride::Repudiation => "부인",
            Stride::InformationDisclosure => "정보 노출",
            Stride::DenialOfService => "서비스 거부",
            Stride::ElevationOfPrivilege => "권한 상승",
        }
    }

    /// From Threat Dragon's type name.
    pub fn parse(name: &str) -> Option<Stride> {
        Stride::ALL.into_iter().find(|s| s.en() == name)
    }

    /// The control that answers the category in general.
    fn control(self) -> Text {
        match self {
            Stride::Spoofing => Text::new("사용자·기기 인증", "User and device authentication"),
            Stride::Tampering => Text::new(
                "무결성 검증(서명·해시)",
                "Integrity verification (signatures, hashes)",
            ),
            Stride::Repudiation => Text::new("감사기록", "Audit logging"),
            Stride::InformationDisclosure => {
                Text::new("암호화 및 접근통제", "Encryption and access control")
            }
            Stride::DenialOfService => Text::new(
                "가용성 보호(요청 제한, 장애 시 안전한 동작)",
                "Availability protection (rate limiting, safe behaviour on failure)",
            ),
            Stride::ElevationOfPrivilege => Text::new(
                "최소 권한 및 취약점 관리",
                "Least privilege and vulnerability management",
            ),
        }
    }
}

/// What the model says about a threat's subject.
#[derive(Default)]
struct Context {
    data: BTreeSet<DataKind>,
    crossing: Vec<String>,
    public: bool,
    /// Wireless, inbound or remote-access ports.
    exposed_ports: bool,
    network_ports: bool,
    physical_ports: bool,
    debug_ports: bool,
    receives: bool,
    receives_firmware: bool,
    os: bool,
    point_of_care: bool,
    stores_credentials: bool,
    encrypted: Option<bool>,
    authenticated: Option<bool>,
}

impl Context {
    fn has(&self, d: DataKind) -> bool {
        self.data.contains(&d)
    }

    fn severity(&self) -> Severity {
        let sensitive = self.data.iter().any(|d| d.is_sensitive());
        let exposed = !self.crossing.is_empty() || self.public || self.exposed_ports;
        match (sensitive, exposed) {
            (true, true) => Severity::High,
            (true, false) | (false, true) => Severity::Medium,
            (false, false) => Severity::Low,
        }
    }
}

fn element_context(model: &ThreatModel, id: &str) -> Context {
    let mut c = Context::default();
    let flows: Vec<&Flow> = model
        .flows
        .iter()
        .filter(|f| !f.out_of_scope && f.touches(id))
        .collect();
    for f in &flows {
        c.data.extend(f.data.iter().copied());
        for b in &f.crosses {
            if !c.crossing.contains(b) {
                c.crossing.push(b.clone());
            }
        }
        c.public |= f.public_network;
        if f.reaches(id) {
            c.receives = true;
            c.receives_firmware |= f.data.contains(&DataKind::Firmware);
        }
    }
    if let Some(e) = model.element(id) {
        for p in &e.ports {
            c.exposed_ports |= p.kind.is_wireless() || p.inbound || p.remote_access;
            c.network_ports |= p.kind.is_network();
            c.physical_ports |= p.kind.is_physical_port();
            c.debug_ports |= matches!(p.kind, InterfaceKind::Debug | InterfaceKind::Serial);
        }
        c.os = e.component.as_ref().is_some_and(|x| x.os.is_some());
        c.point_of_care = e.component.as_ref().is_some_and(|x| {
            matches!(
                x.kind,
                ComponentKind::Device | ComponentKind::Gateway | ComponentKind::App
            )
        });
        c.stores_credentials = e.flags.stores_credentials;
    }
    c
}

fn flow_context(f: &Flow) -> Context {
    Context {
        data: f.data.iter().copied().collect(),
        crossing: f.crosses.clone(),
        public: f.public_network,
        receives: true,
        receives_firmware: f.data.contains(&DataKind::Firmware),
        encrypted: f.encrypted,
        authenticated: f.authenticated,
        ..Context::default()
    }
}

/// The KISA threats (seed 003's catalogue ids) a category of threat to a
/// subject of this kind is an instance of, given what the model says.
fn kisa_for(kind: Option<ElementKind>, s: Stride, c: &Context) -> Vec<&'static str> {
    use Stride::*;
    let mut out = Vec::new();
    let mut add = |cond: bool, id: &'static str| {
        if cond {
            out.push(id);
        }
    };
    let creds = c.has(DataKind::Credentials);
    let crossing = !c.crossing.is_empty();
    match (kind, s) {
        (Some(ElementKind::External), Spoofing) => {
            add(true, "auth-bypass");
            add(true, "unauthorized-device-connection");
            add(creds, "weak-password");
            add(creds, "credential-exposure");
            add(creds, "repeated-auth-attempts");
        }
        (Some(ElementKind::Process), Spoofing) => {
            add(true, "auth-bypass");
            add(creds, "auth-result-tampering");
            add(
                c.network_ports || crossing,
                "unauthorized-device-connection",
            );
        }
        (Some(ElementKind::Process), Tampering) => {
            add(true, "integrity-error");
            add(true, "critical-setting-change");
            add(c.receives, "missing-input-validation");
            add(c.receives_firmware, "insecure-update");
            add(c.physical_ports, "unauthorized-physical-access");
            add(true, "malicious-behaviour");
        }
        (Some(ElementKind::Store), Tampering) => {
            add(true, "integrity-error");
            add(true, "data-exposure-tampering");
            add(true, "critical-setting-change");
        }
        (_, Repudiation) => add(true, "error-response"),
        (Some(ElementKind::Process), InformationDisclosure) => {
            add(creds, "credential-exposure");
            add(true, "sensitive-info-in-logs");
            add(true, "residual-information");
            add(c.debug_ports, "debug-info-exposure");
            add(c.has(DataKind::PatientData), "data-exposure-tampering");
        }
        (Some(ElementKind::Store), InformationDisclosure) => {
            add(true, "data-exposure-tampering");
            add(true, "weak-encryption");
            add(true, "residual-information");
            add(c.stores_credentials || creds, "credential-exposure");
        }
        (Some(ElementKind::Process), DenialOfService) => {
            add(true, "denial-of-service");
            add(c.receives_firmware, "update-failure");
            add(c.point_of_care && creds, "limited-emergency-response");
        }
        (Some(ElementKind::Store), DenialOfService) => add(true, "denial-of-service"),
        (Some(ElementKind::Process), ElevationOfPrivilege) => {
            add(true, "excessive-privilege");
            add(creds, "concurrent-login-policy-error");
            add(c.os, "vulnerable-os");
            add(true, "vulnerable-third-party");
            add(true, "insecure-development");
        }
        // Data flows.
        (None, Tampering) => {
            add(true, "data-exposure-tampering");
            add(crossing, "untrusted-data");
            add(c.receives_firmware, "insecure-update");
            add(creds || c.authenticated == Some(true), "session-hijacking");
        }
        (None, InformationDisclosure) => {
            add(true, "data-exposure-tampering");
            add(true, "weak-encryption");
            add(c.encrypted != Some(false), "weak-crypto-algorithm");
            add(crossing, "unauthorized-device-connection");
        }
        (None, DenialOfService) => {
            add(true, "denial-of-service");
            add(c.receives_firmware, "update-failure");
        }
        _ => {}
    }
    out
}

/// The KISA catalogue's threats and, per threat, the requirements that
/// mitigate it.
struct Index<'a> {
    threats: BTreeMap<&'a str, &'a medsec_catalog::Threat>,
    requirements: BTreeMap<&'a str, Vec<String>>,
}

impl<'a> Index<'a> {
    fn new(catalogs: &'a medsec_catalog::Catalogs) -> Index<'a> {
        let mut threats = BTreeMap::new();
        let mut requirements: BTreeMap<&str, Vec<String>> = BTreeMap::new();
        // Catalogue order, then item order: how the report lists them.
        let mut order: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        for (ci, c) in catalogs.catalogs.iter().enumerate() {
            for (ii, i) in c.item.iter().enumerate() {
                order.insert(format!("{}:{}", c.catalog.id, i.id), (ci, ii));
            }
        }
        if let Some(kisa) = catalogs.get("kisa-dh") {
            for t in &kisa.threat {
                threats.insert(t.id.as_str(), t);
            }
            for item in &kisa.item {
                let reference = format!("kisa-dh:{}", item.id);
                let mut refs = vec![reference.clone()];
                refs.extend(
                    catalogs
                        .links_of(&reference)
                        .map(|(_, other)| other)
                        .filter(|o| o.starts_with("mfds-2024:") || o.starts_with("mfds-2019:"))
                        .map(str::to_owned),
                );
                for t in &item.threats {
                    requirements
                        .entry(t.as_str())
                        .or_default()
                        .extend(refs.iter().cloned());
                }
            }
        }
        for refs in requirements.values_mut() {
            refs.sort_by_key(|r| order.get(r).copied().unwrap_or((usize::MAX, 0)));
            refs.dedup();
        }
        Index {
            threats,
            requirements,
        }
    }
}

/// Korean and English title and description of a category of threat to
/// a subject named `n` (Korean) / `e` (English). The Korean sentences put
/// only particles after a name that do not depend on its last syllable
/// (의, 에, 에서).
fn wording(kind: Option<ElementKind>, s: Stride, n: &str, e: &str) -> (Text, Text) {
    use Stride::*;
    let t = |ko: String, en: String| Text::new(ko, en);
    match (kind, s) {
        (Some(ElementKind::External), Spoofing) => (
            t(format!("{n} 위장"), format!("Spoofing of {e}")),
            t(
                format!(
                    "공격자가 {n}의 신원을 도용하여(인증정보 탈취·추측, 비인가 기기 연결 등) 시스템에 접근할 수 있음."
                ),
                format!(
                    "An attacker can assume the identity of {e} (stolen or guessed credentials, an unauthorised device) and gain access to the system."
                ),
            ),
        ),
        (Some(ElementKind::External), Repudiation) => (
            t(format!("{n}의 행위 부인"), format!("Repudiation by {e}")),
            t(
                format!(
                    "{n}의 행위(로그인, 설정 변경, 데이터 전송)가 감사기록에 남지 않으면 그 행위를 부인하거나 추적할 수 없음."
                ),
                format!(
                    "If the actions of {e} (logins, setting changes, data sent) are not recorded in an audit log, they can be denied and cannot be traced."
                ),
            ),
        ),
        (Some(ElementKind::Process), Spoofing) => (
            t(
                format!("{n}에 대한 위장 접근"),
                format!("Spoofing against {e}"),
            ),
            t(
                format!(
                    "공격자가 정상 사용자나 기기로 가장하여 {n}에 접근하거나, {n}인 것처럼 가장하여 다른 구성요소를 속일 수 있음."
                ),
                format!(
                    "An attacker can pose as a legitimate user or device to reach {e}, or pose as {e} to deceive other components."
                ),
            ),
        ),
        (Some(ElementKind::Process), Tampering) => (
            t(
                format!("{n}의 소프트웨어·설정 변조"),
                format!("Tampering with {e}"),
            ),
            t(
                format!(
                    "검증되지 않은 입력, 비인가 업데이트, 물리적 포트를 통해 {n}의 실행파일·설정·동작이 변조될 수 있음."
                ),
                format!(
                    "Unvalidated input, unauthorised updates or physical ports can be used to alter the executables, settings or behaviour of {e}."
                ),
            ),
        ),
        (Some(ElementKind::Process), Repudiation) => (
            t(
                format!("{n}에서의 행위 부인"),
                format!("Repudiation of actions on {e}"),
            ),
            t(
                format!(
                    "{n}에서 일어난 보안 사건(인증, 설정 변경, 업데이트)이 기록되지 않거나 기록이 변조되면 사고를 추적할 수 없음."
                ),
                format!(
                    "If security events on {e} (authentication, setting changes, updates) are not recorded, or the records can be altered, incidents cannot be traced."
                ),
            ),
        ),
        (Some(ElementKind::Process), InformationDisclosure) => (
            t(
                format!("{n}의 정보 노출"),
                format!("Information disclosure from {e}"),
            ),
            t(
                format!(
                    "{n}에서 개인의료정보, 인증정보, 암호키가 로그·디버그 포트·오류 메시지·잔여 정보를 통해 노출될 수 있음."
                ),
                format!(
                    "Personal medical information, credentials or keys on {e} can leak through logs, debug ports, error messages or residual data."
                ),
            ),
        ),
        (Some(ElementKind::Process), DenialOfService) => (
            t(
                format!("{n}의 서비스 거부"),
                format!("Denial of service of {e}"),
            ),
            t(
                format!(
                    "과도한 요청, 비정상 입력, 업데이트 실패로 {n}의 기능이 멈추어 진단·치료가 지연될 수 있음."
                ),
                format!(
                    "Floods of requests, malformed input or a failed update can stop {e}, delaying diagnosis or treatment."
                ),
            ),
        ),
        (Some(ElementKind::Process), ElevationOfPrivilege) => (
            t(
                format!("{n}에서의 권한 상승"),
                format!("Elevation of privilege on {e}"),
            ),
            t(
                format!(
                    "취약한 운영체제·서드파티 라이브러리나 과도한 권한 부여로 공격자가 {n}에서 허용되지 않은 기능을 실행할 수 있음."
                ),
                format!(
                    "Through a vulnerable operating system or third-party library, or excessive privileges, an attacker can run functions on {e} that they are not allowed to."
                ),
            ),
        ),
        (Some(ElementKind::Store), Tampering) => (
            t(
                format!("{n}의 데이터 변조"),
                format!("Tampering with data in {e}"),
            ),
            t(
                format!(
                    "{n}에 저장된 데이터나 설정이 허가 없이 변경·삭제되어 잘못된 진단·치료로 이어질 수 있음."
                ),
                format!(
                    "Data or settings kept in {e} can be changed or deleted without authorisation, leading to wrong diagnosis or treatment."
                ),
            ),
        ),
        (Some(ElementKind::Store), Repudiation) => (
            t(
                format!("{n}의 변경 이력 부인"),
                format!("Repudiation of changes to {e}"),
            ),
            t(
                format!(
                    "{n}의 변경·조회 기록이 없거나 보호되지 않으면 누가 무엇을 바꾸었는지 입증할 수 없음."
                ),
                format!(
                    "Without protected records of changes to and reads of {e}, nobody can prove who changed what."
                ),
            ),
        ),
        (Some(ElementKind::Store), InformationDisclosure) => (
            t(
                format!("{n}의 저장 데이터 노출"),
                format!("Disclosure of data stored in {e}"),
            ),
            t(
                format!(
                    "{n}에 저장된 개인의료정보·인증정보가 암호화되지 않았거나 접근통제가 미흡하면 유출될 수 있음."
                ),
                format!(
                    "Personal medical information or credentials stored in {e} can leak if they are not encrypted or access control is weak."
                ),
            ),
        ),
        (Some(ElementKind::Store), DenialOfService) => (
            t(
                format!("{n}의 가용성 침해"),
                format!("Denial of service of {e}"),
            ),
            t(
                format!("{n}의 저장 공간 고갈, 손상, 잠금으로 필요한 때 데이터를 쓸 수 없음."),
                format!(
                    "Exhausted space, corruption or locking of {e} can make its data unavailable when needed."
                ),
            ),
        ),
        (None, Tampering) => (
            t(
                format!("{n} 흐름의 데이터 변조"),
                format!("Tampering with the {e} flow"),
            ),
            t(
                format!(
                    "{n} 흐름에서 전송 중인 데이터가 변조되거나 신뢰할 수 없는 데이터가 주입될 수 있음."
                ),
                format!(
                    "Data in transit on the {e} flow can be altered, or untrusted data injected."
                ),
            ),
        ),
        (None, InformationDisclosure) => (
            t(
                format!("{n} 흐름의 정보 노출"),
                format!("Information disclosure on the {e} flow"),
            ),
            t(
                format!("{n} 흐름에서 전송 중인 데이터가 도청되어 노출될 수 있음."),
                format!("Data in transit on the {e} flow can be intercepted and disclosed."),
            ),
        ),
        (None, DenialOfService) => (
            t(
                format!("{n} 흐름의 차단"),
                format!("Denial of service on the {e} flow"),
            ),
            t(
                format!("{n} 흐름의 통신이 방해·차단되어 데이터가 제때 전달되지 않을 수 있음."),
                format!(
                    "Communication on the {e} flow can be jammed or blocked so that data does not arrive in time."
                ),
            ),
        ),
        // Categories the per-element table does not give a kind (an
        // external entity's tampering, a flow's spoofing) are never
        // enumerated; a plain wording keeps this total.
        (_, s) => (
            t(format!("{n}: {}", s.ko()), format!("{e}: {}", s.en())),
            t(
                format!("{n}에 대한 {} 위협.", s.ko()),
                format!("A {} threat to {e}.", s.en().to_lowercase()),
            ),
        ),
    }
}

/// Sentences on what makes the subject exposed.
fn circumstances(model: &ThreatModel, c: &Context, flow: Option<&Flow>) -> Text {
    let mut ko: Vec<String> = Vec::new();
    let mut en: Vec<String> = Vec::new();
    if let Some(f) = flow {
        let end = |e: &super::End| match e {
            super::End::Element(id) => (
                model.name_of(id).to_owned(),
                model
                    .element(id)
                    .map_or(id.as_str(), |x| x.name_en())
                    .to_owned(),
            ),
            super::End::Point(_) => ("(연결되지 않음)".to_owned(), "(unattached)".to_owned()),
        };
        let (a, b) = (end(&f.from), end(&f.to));
        let arrow = if f.bidirectional { "↔" } else { "→" };
        let via = if f.protocol.is_empty() {
            String::new()
        } else {
            format!(", {}", f.protocol)
        };
        ko.push(format!("구간: {} {arrow} {}{via}.", a.0, b.0));
        en.push(format!("Path: {} {arrow} {}{via}.", a.1, b.1));
    }
    if !c.data.is_empty() {
        let k: Vec<&str> = c.data.iter().map(|d| d.ko()).collect();
        let e: Vec<&str> = c.data.iter().map(|d| d.en()).collect();
        ko.push(format!("데이터: {}.", k.join(", ")));
        en.push(format!("Data: {}.", e.join(", ")));
    }
    if !c.crossing.is_empty() {
        let names: Vec<&str> = c.crossing.iter().map(|b| model.name_of(b)).collect();
        let names_en: Vec<&str> = c
            .crossing
            .iter()
            .map(|b| model.boundary(b).map_or(b.as_str(), |x| x.name_en()))
            .collect();
        if flow.is_some() {
            ko.push(format!("신뢰 경계를 넘음: {}.", names.join(", ")));
            en.push(format!(
                "Crosses the trust boundary: {}.",
                names_en.join(", ")
            ));
        } else {
            ko.push(format!(
                "신뢰 경계를 넘는 흐름을 주고받음: {}.",
                names.join(", ")
            ));
            en.push(format!(
                "Exchanges data across the trust boundary: {}.",
                names_en.join(", ")
            ));
        }
    }
    if c.public {
        ko.push("공용 네트워크를 지남.".to_owned());
        en.push("Goes over a public network.".to_owned());
    }
    if flow.is_some() {
        match c.encrypted {
            Some(true) => {
                ko.push("암호화됨(알고리즘과 키 관리는 검증 필요).".to_owned());
                en.push("Encrypted (algorithm and key management to be verified).".to_owned());
            }
            Some(false) => {
                ko.push("암호화되지 않음.".to_owned());
                en.push("Not encrypted.".to_owned());
            }
            None => {
                ko.push("암호화 여부가 기재되지 않음.".to_owned());
                en.push("Encryption is not stated.".to_owned());
            }
        }
    }
    Text::new(ko.join(" "), en.join(" "))
}

fn join(head: Text, tail: &Text) -> Text {
    let glue = |a: String, b: &str| if b.is_empty() { a } else { format!("{a} {b}") };
    Text::new(glue(head.ko, &tail.ko), glue(head.en, &tail.en))
}

pub(super) fn enumerate(model: &mut ThreatModel, catalogs: &medsec_catalog::Catalogs) {
    let index = Index::new(catalogs);
    let mut ids: BTreeSet<String> = model.threats.iter().map(|t| t.id.clone()).collect();
    let covered: BTreeSet<(String, Stride)> = model
        .threats
        .iter()
        .filter_map(|t| match t.category {
            Category::Stride(s) => Some((t.subject.clone(), s)),
            Category::Other { .. } => None,
        })
        .collect();
    let mut subjects: Vec<(String, Option<ElementKind>, String, String, Context)> = Vec::new();
    for e in model.elements.iter().filter(|e| !e.out_of_scope) {
        subjects.push((
            e.id.clone(),
            Some(e.kind),
            e.name.clone(),
            e.name_en().to_owned(),
            element_context(model, &e.id),
        ));
    }
    for f in model.flows.iter().filter(|f| !f.out_of_scope) {
        subjects.push((
            f.id.clone(),
            None,
            f.name.clone(),
            f.name_en().to_owned(),
            flow_context(f),
        ));
    }
    let mut new = Vec::new();
    for (id, kind, name_ko, name_en, c) in &subjects {
        let categories: &[Stride] = match kind {
            Some(k) => k.stride(),
            None => &Stride::FLOW,
        };
        let flow = if kind.is_none() { model.flow(id) } else { None };
        let context_text = circumstances(model, c, flow);
        for &s in categories {
            if covered.contains(&(id.clone(), s)) {
                continue;
            }
            let kisa = kisa_for(*kind, s, c);
            let mut controls = vec![s.control()];
            let mut requirements: Vec<String> = Vec::new();
            for k in &kisa {
                if let Some(t) = index.threats.get(k) {
                    for (ko, en) in t.countermeasures_ko.iter().zip(&t.countermeasures_en) {
                        if !controls.iter().any(|x| &x.ko == ko) {
                            controls.push(Text::new(ko.clone(), en.clone()));
                        }
                    }
                }
                for r in index.requirements.get(k).into_iter().flatten() {
                    if !requirements.contains(r) {
                        requirements.push(r.clone());
                    }
                }
            }
            let (title, description) = wording(*kind, s, name_ko, name_en);
            let base = format!("TM-{id}-{}", s.letter());
            let mut tid = base.clone();
            let mut n = 2;
            while ids.contains(&tid) {
                tid = format!("{base}-{n}");
                n += 1;
            }
            ids.insert(tid.clone());
            let mitigation = mitigation_text(&controls, &requirements);
            new.push(Threat {
                id: tid,
                subject: id.clone(),
                category: Category::Stride(s),
                title,
                description: join(description, &context_text),
                mitigation,
                status: Status::Open,
                severity: c.severity(),
                score: String::new(),
                number: None,
                kisa: kisa.iter().map(|k| (*k).to_owned()).collect(),
                requirements,
                controls,
                crossing: !c.crossing.is_empty(),
                generated: true,
            });
        }
    }
    model.threats.extend(new);
    model.sort_threats();
    let mut next = model
        .threats
        .iter()
        .filter_map(|t| t.number)
        .max()
        .unwrap_or(0);
    for t in model
        .threats
        .iter_mut()
        .filter(|t| t.number.is_none() && t.generated)
    {
        next += 1;
        t.number = Some(next);
    }
}

fn mitigation_text(controls: &[Text], requirements: &[String]) -> Text {
    let ko: Vec<&str> = controls.iter().map(|c| c.ko.as_str()).collect();
    let en: Vec<&str> = controls.iter().map(|c| c.en.as_str()).collect();
    let (mut ko, mut en) = (ko.join("; "), en.join("; "));
    if !requirements.is_empty() {
        ko.push_str(&format!("\n관련 요구사항: {}", requirements.join(", ")));
        en.push_str(&format!("\nRequirements: {}", requirements.join(", ")));
    }
    Text::new(ko, en)
}
