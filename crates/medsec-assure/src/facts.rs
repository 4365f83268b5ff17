//! Facts: the yes/no properties of a device profile that applicability
//! rules are written in (`rules/applicability.toml`). Each has a Korean
//! and English wording, so every decision explains itself.

use std::collections::BTreeMap;

use crate::profile::{
    Authentication, ComponentKind, InterfaceKind, Profile, Purpose, UpdateMechanism,
};

/// A fact's name, its wording and how it is read off a profile.
pub struct FactDef {
    pub name: &'static str,
    pub ko: &'static str,
    pub en: &'static str,
    /// The wording when the fact does not hold.
    pub no_ko: &'static str,
    pub no_en: &'static str,
    eval: fn(&Profile) -> bool,
}

fn any_interface(p: &Profile, f: fn(InterfaceKind) -> bool) -> bool {
    p.interfaces.iter().any(|i| f(i.kind))
}

/// Ports on the device's own hardware: an interface of a server or cloud
/// (a data-centre NIC) or of a phone is not a port of the medical device.
fn any_device_port(p: &Profile, f: fn(InterfaceKind) -> bool) -> bool {
    p.interfaces.iter().any(|i| {
        f(i.kind)
            && i.component.as_ref().is_none_or(|name| {
                p.components.iter().any(|c| {
                    &c.name == name
                        && matches!(
                            c.kind,
                            ComponentKind::Device
                                | ComponentKind::Gateway
                                | ComponentKind::Workstation
                        )
                })
            })
    })
}

fn has_component(p: &Profile, kind: ComponentKind) -> bool {
    p.components.iter().any(|c| c.kind == kind)
}

fn purpose(p: &Profile, purpose: Purpose) -> bool {
    p.device.purposes.contains(&purpose)
}

/// Every fact, in a stable order.
pub const FACTS: &[FactDef] = &[
    FactDef {
        name: "patient-data",
        ko: "통신목적에 개인의료정보 송수신이 있음",
        en: "communicates to send or receive personal medical information",
        no_ko: "통신목적에 개인의료정보 송수신이 없음",
        no_en: "does not communicate personal medical information",
        eval: |p| purpose(p, Purpose::PatientData),
    },
    FactDef {
        name: "device-control",
        ko: "통신으로 기기를 제어함",
        en: "the device can be controlled through communication",
        no_ko: "통신으로 기기를 제어하지 않음",
        no_en: "the device cannot be controlled through communication",
        eval: |p| purpose(p, Purpose::DeviceControl),
    },
    FactDef {
        name: "maintenance",
        ko: "통신 또는 매체로 펌웨어·소프트웨어를 업데이트하는 등 유지보수함",
        en: "firmware or software is updated or maintained through communication or media",
        no_ko: "통신 또는 매체로 유지보수하지 않음",
        no_en: "no maintenance or update through communication or media",
        eval: |p| purpose(p, Purpose::Maintenance) || !p.update.mechanisms.is_empty(),
    },
    FactDef {
        name: "network",
        ko: "유·무선 네트워크 인터페이스가 있음",
        en: "has a wired or wireless network interface",
        no_ko: "유·무선 네트워크 인터페이스가 없음",
        no_en: "has no wired or wireless network interface",
        eval: |p| any_interface(p, InterfaceKind::is_network),
    },
    FactDef {
        name: "wireless",
        ko: "무선 인터페이스가 있음",
        en: "has a wireless interface",
        no_ko: "무선 인터페이스가 없음",
        no_en: "has no wireless interface",
        eval: |p| any_interface(p, InterfaceKind::is_wireless),
    },
    FactDef {
        name: "public-network",
        ko: "공용 네트워크망을 사용함",
        en: "uses a public network",
        no_ko: "공용 네트워크망을 사용하지 않음",
        no_en: "does not use a public network",
        eval: |p| p.device.public_network,
    },
    FactDef {
        name: "inbound",
        ko: "외부 접속을 받는 서비스가 있음",
        en: "accepts incoming connections",
        no_ko: "외부 접속을 받는 서비스가 없음",
        no_en: "accepts no incoming connections",
        eval: |p| p.interfaces.iter().any(|i| i.inbound),
    },
    FactDef {
        name: "remote-access",
        ko: "원격 접속 기능이 있음",
        en: "offers remote access",
        no_ko: "원격 접속 기능이 없음",
        no_en: "offers no remote access",
        eval: |p| p.interfaces.iter().any(|i| i.remote_access),
    },
    FactDef {
        name: "physical-ports",
        ko: "물리적 통신포트가 있음",
        en: "has physical ports",
        no_ko: "물리적 통신포트가 없음",
        no_en: "has no physical ports",
        eval: |p| any_device_port(p, InterfaceKind::is_physical_port),
    },
    FactDef {
        name: "debug-port",
        ko: "디버그 포트(JTAG, UART 등)가 있음",
        en: "has a debug port (JTAG, UART, …)",
        no_ko: "디버그 포트가 없음",
        no_en: "has no debug port",
        eval: |p| any_device_port(p, |k| k == InterfaceKind::Debug),
    },
    FactDef {
        name: "removable-media",
        ko: "USB·메모리카드 등 이동식 매체를 연결할 수 있음",
        en: "accepts removable media (USB, memory cards)",
        no_ko: "이동식 매체를 연결할 수 없음",
        no_en: "accepts no removable media",
        eval: |p| any_device_port(p, InterfaceKind::is_removable_media),
    },
    FactDef {
        name: "personal-medical-info",
        ko: "개인의료정보를 처리함",
        en: "processes personal medical information",
        no_ko: "개인의료정보를 처리하지 않음",
        no_en: "processes no personal medical information",
        eval: |p| p.data.personal_medical_info || purpose(p, Purpose::PatientData),
    },
    FactDef {
        name: "stores-data",
        ko: "데이터를 저장함",
        en: "stores data",
        no_ko: "데이터를 저장하지 않음",
        no_en: "stores no data",
        eval: |p| !p.data.stored.is_empty(),
    },
    FactDef {
        name: "stores-pmi",
        ko: "개인의료정보를 저장함",
        en: "stores personal medical information",
        no_ko: "개인의료정보를 저장하지 않음",
        no_en: "stores no personal medical information",
        eval: |p| p.data.personal_medical_info && !p.data.stored.is_empty(),
    },
    FactDef {
        name: "login",
        ko: "사용자 인증(로그인)이 있음",
        en: "users authenticate (log in)",
        no_ko: "사용자 인증(로그인)이 없음",
        no_en: "users do not log in",
        eval: |p| {
            p.roles
                .iter()
                .any(|r| r.authentication != Authentication::None)
        },
    },
    FactDef {
        name: "password",
        ko: "비밀번호 또는 PIN으로 인증함",
        en: "authenticates with passwords or PINs",
        no_ko: "비밀번호나 PIN으로 인증하지 않음",
        no_en: "no password or PIN authentication",
        eval: |p| {
            p.roles.iter().any(|r| {
                matches!(
                    r.authentication,
                    Authentication::Password | Authentication::Pin
                )
            })
        },
    },
    FactDef {
        name: "multiple-roles",
        ko: "권한이 다른 사용자 역할이 둘 이상 있음",
        en: "has two or more user roles with different rights",
        no_ko: "사용자 역할이 하나뿐임",
        no_en: "has a single user role",
        eval: |p| {
            let mut kinds: Vec<_> = p.roles.iter().map(|r| r.kind).collect();
            kinds.sort();
            kinds.dedup();
            kinds.len() > 1
        },
    },
    FactDef {
        name: "update",
        ko: "소프트웨어 업데이트 수단이 있음",
        en: "has a software update mechanism",
        no_ko: "소프트웨어 업데이트 수단이 없음",
        no_en: "has no software update mechanism",
        eval: |p| !p.update.mechanisms.is_empty(),
    },
    FactDef {
        name: "network-update",
        ko: "네트워크로 업데이트함",
        en: "is updated over the network",
        no_ko: "네트워크로 업데이트하지 않음",
        no_en: "is not updated over the network",
        eval: |p| {
            p.update
                .mechanisms
                .iter()
                .any(|m| matches!(m, UpdateMechanism::Network | UpdateMechanism::AppStore))
        },
    },
    FactDef {
        name: "hardware",
        ko: "하드웨어 기기(본체·게이트웨이·워크스테이션)가 있음",
        en: "has a hardware part (device, gateway, workstation)",
        no_ko: "하드웨어 기기가 없는 소프트웨어임",
        no_en: "is software without a hardware part",
        eval: |p| {
            p.components.iter().any(|c| {
                matches!(
                    c.kind,
                    ComponentKind::Device | ComponentKind::Gateway | ComponentKind::Workstation
                )
            })
        },
    },
    FactDef {
        name: "embedded-device",
        ko: "의료기기 본체 또는 게이트웨이가 있음",
        en: "has an embedded device or gateway",
        no_ko: "의료기기 본체나 게이트웨이가 없음",
        no_en: "has no embedded device or gateway",
        eval: |p| {
            has_component(p, ComponentKind::Device) || has_component(p, ComponentKind::Gateway)
        },
    },
    FactDef {
        name: "gateway",
        ko: "게이트웨이가 있음",
        en: "has a gateway",
        no_ko: "게이트웨이가 없음",
        no_en: "has no gateway",
        eval: |p| has_component(p, ComponentKind::Gateway),
    },
    FactDef {
        name: "mobile-app",
        ko: "모바일 앱이 있음",
        en: "has a mobile app",
        no_ko: "모바일 앱이 없음",
        no_en: "has no mobile app",
        eval: |p| has_component(p, ComponentKind::App),
    },
    FactDef {
        name: "server",
        ko: "서버 또는 클라우드가 있음",
        en: "has a server or cloud part",
        no_ko: "서버나 클라우드가 없음",
        no_en: "has no server or cloud part",
        eval: |p| has_component(p, ComponentKind::Server) || has_component(p, ComponentKind::Cloud),
    },
    FactDef {
        name: "web",
        ko: "웹 서비스(웹 화면 또는 웹 API)가 있음",
        en: "serves a web application or web API",
        no_ko: "웹 서비스가 없음",
        no_en: "serves no web application or web API",
        eval: |p| p.components.iter().any(|c| c.web),
    },
    FactDef {
        name: "dbms",
        ko: "DBMS를 사용함",
        en: "uses a database management system",
        no_ko: "DBMS를 사용하지 않음",
        no_en: "uses no database management system",
        eval: |p| p.components.iter().any(|c| c.dbms.is_some()),
    },
    FactDef {
        name: "general-os",
        ko: "범용 운영체제(Linux, Windows, Android 등)에서 동작함",
        en: "runs on a general-purpose operating system (Linux, Windows, Android, …)",
        no_ko: "범용 운영체제에서 동작하지 않음",
        no_en: "runs on no general-purpose operating system",
        eval: |p| p.components.iter().any(|c| c.os.is_some()),
    },
    FactDef {
        name: "server-infra",
        ko: "서버를 직접 운영함(서버·웹서버·DBMS 인프라)",
        en: "operates server infrastructure (server, web server, DBMS)",
        no_ko: "서버 인프라를 운영하지 않음",
        no_en: "operates no server infrastructure",
        eval: |p| {
            p.components.iter().any(|c| {
                matches!(c.kind, ComponentKind::Server | ComponentKind::Cloud)
                    && (c.os.is_some() || c.web || c.dbms.is_some())
            })
        },
    },
];

pub fn def(name: &str) -> Option<&'static FactDef> {
    FACTS.iter().find(|f| f.name == name)
}

/// The value of every fact for a profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts(BTreeMap<&'static str, bool>);

impl Facts {
    pub fn of(profile: &Profile) -> Facts {
        Facts(FACTS.iter().map(|f| (f.name, (f.eval)(profile))).collect())
    }

    pub fn get(&self, name: &str) -> Option<bool> {
        self.0.get(name).copied()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&'static str, bool)> + '_ {
        self.0.iter().map(|(k, v)| (*k, *v))
    }
}
