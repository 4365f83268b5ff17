//! The device profile: what a manufacturer says about a device version,
//! once, and from which the checklist is filled. Read from TOML or JSON
//! (`fixtures/devices/*.toml` are examples), checked field by field.

use serde::{Deserialize, Serialize};

use crate::ProfileError;

/// A device version as its manufacturer describes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub device: Device,
    #[serde(default, rename = "interface", skip_serializing_if = "Vec::is_empty")]
    pub interfaces: Vec<Interface>,
    #[serde(default)]
    pub data: Data,
    #[serde(default, rename = "role", skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<Role>,
    #[serde(default)]
    pub update: Update,
    #[serde(default, rename = "component", skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<Component>,
    /// Trust boundaries of the threat model ([`crate::threat`]); derived
    /// from the components when there are none.
    #[serde(default, rename = "boundary", skip_serializing_if = "Vec::is_empty")]
    pub boundaries: Vec<BoundaryDecl>,
    /// Threat-model elements besides the components, roles and stored
    /// data: external systems (EMR, PACS, an update server), data stores,
    /// further processes.
    #[serde(default, rename = "element", skip_serializing_if = "Vec::is_empty")]
    pub elements: Vec<ElementDecl>,
    /// Data flows of the threat model; derived from the components, roles,
    /// stored data and update mechanisms when there are none.
    #[serde(default, rename = "flow", skip_serializing_if = "Vec::is_empty")]
    pub flows: Vec<FlowDecl>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Device {
    /// 제품명.
    pub product: String,
    /// 모델명.
    pub model: String,
    pub software_version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manufacturer: Option<String>,
    /// 사용목적.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intended_use: Option<String>,
    /// 등급 1–4.
    pub grade: u8,
    /// 사이버 보안 안전성 등급 상/중/하.
    pub security_level: SecurityLevel,
    /// 사용되는 통신 기술, as the checklist header states it; derived
    /// from the interfaces when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub communication: Option<String>,
    /// 통신목적: the three MFDS device types.
    #[serde(default)]
    pub purposes: Vec<Purpose>,
    /// 공용 네트워크망 사용여부.
    #[serde(default)]
    pub public_network: bool,
}

/// 사이버 보안 안전성 등급 (checklist header field 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SecurityLevel {
    #[serde(alias = "상")]
    High,
    #[serde(alias = "중")]
    Medium,
    #[serde(alias = "하")]
    Low,
}

impl SecurityLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            SecurityLevel::High => "high",
            SecurityLevel::Medium => "medium",
            SecurityLevel::Low => "low",
        }
    }

    pub fn ko(self) -> &'static str {
        match self {
            SecurityLevel::High => "상",
            SecurityLevel::Medium => "중",
            SecurityLevel::Low => "하",
        }
    }
}

/// 통신목적: the three kinds of communicating device the MFDS guideline
/// names (seed 000, Ⅲ).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Purpose {
    /// 환자의 생체정보 등의 개인의료정보 송수신.
    PatientData,
    /// 기기제어.
    DeviceControl,
    /// 펌웨어 또는 소프트웨어 업데이트 등 유지보수.
    Maintenance,
}

impl Purpose {
    pub const ALL: [Purpose; 3] = [
        Purpose::PatientData,
        Purpose::DeviceControl,
        Purpose::Maintenance,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::PatientData => "patient-data",
            Purpose::DeviceControl => "device-control",
            Purpose::Maintenance => "maintenance",
        }
    }

    /// The wording of the checklist form.
    pub fn ko(self) -> &'static str {
        match self {
            Purpose::PatientData => "환자의 생체정보 등의 개인의료정보 송수신",
            Purpose::DeviceControl => "기기제어",
            Purpose::Maintenance => "펌웨어 또는 소프트웨어 업데이트 등 유지보수",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Purpose::PatientData => {
                "Sending and receiving personal medical information such as patients' biometric data"
            }
            Purpose::DeviceControl => "Device control",
            Purpose::Maintenance => "Maintenance such as firmware or software updates",
        }
    }
}

/// A communication interface or physical port.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Interface {
    pub name: String,
    pub kind: InterfaceKind,
    /// Which component has it (a component name); optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
    /// It accepts incoming connections (a listening service).
    #[serde(default)]
    pub inbound: bool,
    /// Remote access (service, support, remote control) goes through it.
    #[serde(default)]
    pub remote_access: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InterfaceKind {
    Wifi,
    Bluetooth,
    Cellular,
    Nfc,
    Zigbee,
    /// Other radio (e.g. MICS for implants).
    Rf,
    Ethernet,
    Usb,
    Serial,
    SdCard,
    /// JTAG, SWD, a UART console.
    Debug,
    Hdmi,
    Optical,
}

impl InterfaceKind {
    /// A network interface (as opposed to a port used only locally).
    pub fn is_network(self) -> bool {
        use InterfaceKind::*;
        matches!(
            self,
            Wifi | Bluetooth | Cellular | Nfc | Zigbee | Rf | Ethernet
        )
    }

    pub fn is_wireless(self) -> bool {
        use InterfaceKind::*;
        matches!(self, Wifi | Bluetooth | Cellular | Nfc | Zigbee | Rf)
    }

    /// A connector on the enclosure someone with physical access can use.
    pub fn is_physical_port(self) -> bool {
        use InterfaceKind::*;
        matches!(
            self,
            Ethernet | Usb | Serial | SdCard | Debug | Hdmi | Optical
        )
    }

    pub fn is_removable_media(self) -> bool {
        matches!(self, InterfaceKind::Usb | InterfaceKind::SdCard)
    }

    pub fn label(self) -> &'static str {
        use InterfaceKind::*;
        match self {
            Wifi => "Wi-Fi",
            Bluetooth => "Bluetooth",
            Cellular => "LTE/5G",
            Nfc => "NFC",
            Zigbee => "Zigbee",
            Rf => "RF",
            Ethernet => "Ethernet",
            Usb => "USB",
            Serial => "Serial",
            SdCard => "SD card",
            Debug => "Debug port",
            Hdmi => "HDMI",
            Optical => "Optical",
        }
    }
}

/// What the device keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Data {
    /// It handles personal medical information (개인의료정보) at all.
    #[serde(default)]
    pub personal_medical_info: bool,
    /// What it stores, in the manufacturer's words (e.g. "심전도 데이터").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stored: Vec<String>,
    /// Stored personal medical information is de-identified.
    #[serde(default)]
    pub de_identified: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    /// Its id in the threat model (an external entity); `role-<kind>`
    /// when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub name: String,
    pub kind: RoleKind,
    pub authentication: Authentication,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RoleKind {
    Patient,
    Clinician,
    Technician,
    Administrator,
    Service,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Authentication {
    None,
    Password,
    Pin,
    Certificate,
    Biometric,
    Token,
}

/// How software reaches the device.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Update {
    #[serde(default)]
    pub mechanisms: Vec<UpdateMechanism>,
    /// Updates are signed and verified before installation.
    #[serde(default)]
    pub signed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum UpdateMechanism {
    /// Over the network (OTA, from a server).
    Network,
    /// From a USB stick or memory card.
    RemovableMedia,
    /// By a service engineer's tool.
    ServiceTool,
    /// Through a mobile app store.
    AppStore,
}

/// A part of the system.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Component {
    /// Its id in the threat model (a process); its kind (`gateway`,
    /// `server-2` for a second server) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub name: String,
    pub kind: ComponentKind,
    /// Its operating system, when it runs a general-purpose one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
    /// It serves a web application or web API.
    #[serde(default)]
    pub web: bool,
    /// Its database management system, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dbms: Option<String>,
    /// Operated by the manufacturer (a service), not installed at the
    /// hospital or the patient's home.
    #[serde(default)]
    pub manufacturer_operated: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ComponentKind {
    /// The medical device itself (hardware with embedded software).
    Device,
    Gateway,
    /// A mobile app.
    App,
    /// A workstation or PC software.
    Workstation,
    Server,
    Cloud,
}

/// A trust boundary the profile states (`[[boundary]]`): a zone whose
/// elements trust each other more than anything outside it (the patient's
/// home, the hospital network, the manufacturer's cloud).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BoundaryDecl {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_en: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The boundary it lies in, for nested zones (a ward inside the
    /// hospital).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// The ids of the elements directly inside it (components, roles,
    /// stores `store-N`, declared elements).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contains: Vec<String>,
}

/// A threat-model element the profile states (`[[element]]`) besides its
/// components and roles.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ElementDecl {
    pub id: String,
    pub kind: crate::threat::ElementKind,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_en: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A data flow the profile states (`[[flow]]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FlowDecl {
    pub id: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_en: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The element the data comes from (an element id).
    pub from: String,
    /// The element the data goes to.
    pub to: String,
    /// The protocol in the manufacturer's words (`BLE`, `HL7 v2 over
    /// TLS`); the interface's kind when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    /// The interface it goes through (an `[[interface]]` name), which must
    /// belong to one of its ends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interface: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub data: Vec<DataKind>,
    /// Encrypted in transit; absent: not stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted: Option<bool>,
    /// Both ends authenticate each other (or the sender is
    /// authenticated); absent: not stated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authenticated: Option<bool>,
    /// It goes over a public network (the Internet, a mobile network).
    #[serde(default)]
    pub public_network: bool,
    /// Data goes both ways (a request and its answer).
    #[serde(default)]
    pub bidirectional: bool,
    /// The trust boundaries the author expects it to cross; checked
    /// against where its ends are.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub crosses: Vec<String>,
}

/// What a data flow carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DataKind {
    /// 개인의료정보: biometric signals, records, images.
    PatientData,
    /// 인증정보: passwords, PINs, tokens, keys.
    Credentials,
    /// 기기 제어 명령.
    Control,
    /// Firmware or software images.
    Firmware,
    /// Settings.
    Configuration,
    /// Logs and audit records.
    Logs,
    Other,
}

impl DataKind {
    pub const ALL: [DataKind; 7] = [
        DataKind::PatientData,
        DataKind::Credentials,
        DataKind::Control,
        DataKind::Firmware,
        DataKind::Configuration,
        DataKind::Logs,
        DataKind::Other,
    ];

    /// The name as profiles spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            DataKind::PatientData => "patient-data",
            DataKind::Credentials => "credentials",
            DataKind::Control => "control",
            DataKind::Firmware => "firmware",
            DataKind::Configuration => "configuration",
            DataKind::Logs => "logs",
            DataKind::Other => "other",
        }
    }

    pub fn parse(name: &str) -> Option<DataKind> {
        DataKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    pub fn ko(self) -> &'static str {
        match self {
            DataKind::PatientData => "개인의료정보",
            DataKind::Credentials => "인증정보",
            DataKind::Control => "기기 제어 명령",
            DataKind::Firmware => "펌웨어·소프트웨어",
            DataKind::Configuration => "설정",
            DataKind::Logs => "로그·감사기록",
            DataKind::Other => "기타 데이터",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            DataKind::PatientData => "personal medical information",
            DataKind::Credentials => "credentials",
            DataKind::Control => "device control commands",
            DataKind::Firmware => "firmware and software",
            DataKind::Configuration => "configuration",
            DataKind::Logs => "logs and audit records",
            DataKind::Other => "other data",
        }
    }

    /// Data whose loss of confidentiality or integrity can harm a patient
    /// or open the device to an attacker.
    pub fn is_sensitive(self) -> bool {
        matches!(
            self,
            DataKind::PatientData | DataKind::Credentials | DataKind::Control | DataKind::Firmware
        )
    }
}

/// A profile's source format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Toml,
    Json,
}

impl Format {
    /// From a file name: `.json` is JSON, anything else TOML.
    pub fn from_path(path: &str) -> Format {
        if path.to_ascii_lowercase().ends_with(".json") {
            Format::Json
        } else {
            Format::Toml
        }
    }
}

impl Profile {
    /// Parses and checks a profile; errors name the line or field.
    pub fn parse(text: &str, format: Format) -> Result<Profile, ProfileError> {
        let profile: Profile = match format {
            Format::Toml => toml::from_str(text).map_err(|e| ProfileError::Syntax {
                message: e.to_string().trim_end().to_owned(),
            })?,
            Format::Json => serde_json::from_str(text).map_err(|e| ProfileError::Syntax {
                message: e.to_string(),
            })?,
        };
        profile.check()?;
        Ok(profile)
    }

    /// The checks serde cannot express.
    pub fn check(&self) -> Result<(), ProfileError> {
        let d = &self.device;
        required("device.product", &d.product)?;
        required("device.model", &d.model)?;
        required("device.software_version", &d.software_version)?;
        if !(1..=4).contains(&d.grade) {
            return Err(ProfileError::field(
                "device.grade",
                format!("must be 1 to 4 (등급), not {}", d.grade),
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        for (n, p) in d.purposes.iter().enumerate() {
            if !seen.insert(*p) {
                return Err(ProfileError::field(
                    format!("device.purposes[{n}]"),
                    format!("`{}` is listed twice", p.as_str()),
                ));
            }
        }
        let mut names = std::collections::BTreeSet::new();
        for (n, c) in self.components.iter().enumerate() {
            required(&format!("component[{n}].name"), &c.name)?;
            if !names.insert(c.name.as_str()) {
                return Err(ProfileError::field(
                    format!("component[{n}].name"),
                    format!("`{}` names two components", c.name),
                ));
            }
        }
        for (n, i) in self.interfaces.iter().enumerate() {
            required(&format!("interface[{n}].name"), &i.name)?;
            if let Some(c) = &i.component
                && !names.contains(c.as_str())
            {
                return Err(ProfileError::field(
                    format!("interface[{n}].component"),
                    format!("`{c}` is not the name of a component"),
                ));
            }
        }
        for (n, r) in self.roles.iter().enumerate() {
            required(&format!("role[{n}].name"), &r.name)?;
        }
        for (n, s) in self.data.stored.iter().enumerate() {
            required(&format!("data.stored[{n}]"), s)?;
        }
        for (field, value) in [
            ("device.product", &d.product),
            ("device.model", &d.model),
            ("device.software_version", &d.software_version),
        ] {
            if value.chars().count() > 200 || value.chars().any(char::is_control) {
                return Err(ProfileError::field(
                    field,
                    "must be at most 200 characters without control characters",
                ));
            }
        }
        // The threat-model tables: ids, references, boundaries and flows
        // (dangling ends, self-loops, nesting cycles, crossings).
        crate::threat::ThreatModel::structure(self).map_err(|e| e.in_profile(self))?;
        Ok(())
    }

    /// 사용되는 통신 기술 as the header shows it: the stated value, or
    /// the network interfaces' kinds.
    pub fn communication(&self) -> String {
        if let Some(c) = &self.device.communication {
            return c.clone();
        }
        let mut kinds: Vec<&str> = Vec::new();
        for i in &self.interfaces {
            let l = i.kind.label();
            if i.kind.is_network() && !kinds.contains(&l) {
                kinds.push(l);
            }
        }
        kinds.join(", ")
    }

    /// A one-line name: product, model and version.
    pub fn title(&self) -> String {
        format!(
            "{} {} {}",
            self.device.product, self.device.model, self.device.software_version
        )
    }
}

fn required(field: &str, value: &str) -> Result<(), ProfileError> {
    if value.trim().is_empty() {
        Err(ProfileError::field(field, "must not be empty"))
    } else {
        Ok(())
    }
}
