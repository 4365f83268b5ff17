//! The threat model's types: what the diagram shows and the threats on it.

use serde::{Deserialize, Serialize};

use super::Stride;
pub use crate::profile::DataKind;
use crate::profile::{ComponentKind, InterfaceKind};

/// A whole threat model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreatModel {
    /// 제목: the device (product, model, version) or the Threat Dragon
    /// model's title.
    pub title: String,
    /// The manufacturer, or the Threat Dragon model's owner.
    pub owner: String,
    /// 사용목적, or the Threat Dragon model's description.
    pub description: String,
    pub reviewer: String,
    pub contributors: Vec<String>,
    /// What the device profile says beyond the diagram; `None` for an
    /// imported model.
    pub device: Option<DeviceContext>,
    /// At least one; items name theirs by index.
    pub diagrams: Vec<Diagram>,
    pub boundaries: Vec<Boundary>,
    pub elements: Vec<Element>,
    pub flows: Vec<Flow>,
    /// Free text on a diagram (Threat Dragon's text blocks).
    pub notes: Vec<Note>,
    pub threats: Vec<Threat>,
}

/// Facts of the device profile the checks of the fourth question use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceContext {
    /// 공용 네트워크망 사용여부 as the profile states it.
    pub public_network: bool,
    /// Updates are signed and verified before installation.
    pub update_signed: bool,
}

/// One data-flow diagram.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagram {
    /// Threat Dragon's diagram number.
    pub id: u64,
    pub title: String,
    pub description: String,
    /// The methodology: `STRIDE`, or Threat Dragon's `CIA`, `LINDDUN`, ….
    pub kind: String,
    /// Threat Dragon's thumbnail path for the methodology.
    pub thumbnail: String,
}

/// Bilingual text. Text read from a Threat Dragon file has one language,
/// which both fields then hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Text {
    pub ko: String,
    pub en: String,
}

impl Text {
    pub fn new(ko: impl Into<String>, en: impl Into<String>) -> Text {
        Text {
            ko: ko.into(),
            en: en.into(),
        }
    }

    /// The same text in both fields.
    pub fn same(text: impl Into<String>) -> Text {
        let t = text.into();
        Text {
            ko: t.clone(),
            en: t,
        }
    }
}

/// A point of a diagram, in Threat Dragon's pixels.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

/// A rectangle of a diagram: its top-left corner and size.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub width: f64,
    pub height: f64,
}

impl Rect {
    pub fn center(&self) -> Point {
        Point {
            x: self.x + self.width / 2.0,
            y: self.y + self.height / 2.0,
        }
    }

    /// `other` lies wholly inside (Threat Dragon's rule for what a
    /// boundary box contains).
    pub fn contains(&self, other: &Rect) -> bool {
        other.x >= self.x
            && other.y >= self.y
            && other.x + other.width <= self.x + self.width
            && other.y + other.height <= self.y + self.height
    }

    pub fn contains_point(&self, p: Point) -> bool {
        p.x >= self.x && p.y >= self.y && p.x <= self.x + self.width && p.y <= self.y + self.height
    }

    pub fn area(&self) -> f64 {
        self.width * self.height
    }

    /// The rectangles share some area.
    pub fn overlaps(&self, other: &Rect) -> bool {
        self.x < other.x + other.width
            && other.x < self.x + self.width
            && self.y < other.y + other.height
            && other.y < self.y + self.height
    }
}

/// The three kinds of data-flow-diagram node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ElementKind {
    /// Software that handles data: the device, a gateway, an app, a server.
    Process,
    /// Someone or something outside the system: a user, the EMR, an
    /// update server.
    External,
    /// Data at rest: a database, a file, a queue.
    Store,
}

impl ElementKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ElementKind::Process => "process",
            ElementKind::External => "external",
            ElementKind::Store => "store",
        }
    }

    pub fn ko(self) -> &'static str {
        match self {
            ElementKind::Process => "프로세스",
            ElementKind::External => "외부 개체",
            ElementKind::Store => "데이터 저장소",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            ElementKind::Process => "Process",
            ElementKind::External => "External entity",
            ElementKind::Store => "Data store",
        }
    }

    /// The STRIDE categories that apply (the classic per-element table):
    /// an external entity can be spoofed and can repudiate; a process
    /// suffers all six; a data store tampering, repudiation, disclosure
    /// and denial of service.
    pub fn stride(self) -> &'static [Stride] {
        use Stride::*;
        match self {
            ElementKind::External => &[Spoofing, Repudiation],
            ElementKind::Process => &[
                Spoofing,
                Tampering,
                Repudiation,
                InformationDisclosure,
                DenialOfService,
                ElevationOfPrivilege,
            ],
            ElementKind::Store => &[
                Tampering,
                Repudiation,
                InformationDisclosure,
                DenialOfService,
            ],
        }
    }
}

/// The device component an element stands for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ComponentInfo {
    pub name: String,
    pub kind: ComponentKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Option<String>,
}

/// An interface or port of an element (the profile's `[[interface]]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Port {
    pub name: String,
    pub kind: InterfaceKind,
    pub inbound: bool,
    pub remote_access: bool,
}

/// Threat Dragon's element properties, kept so that a model read from
/// Threat Dragon is written back unchanged. Which apply depends on the
/// kind: `provides_authentication` for external entities; the process
/// flags; the store flags.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flags {
    pub provides_authentication: bool,
    pub web_application: bool,
    pub handles_card_payment: bool,
    pub handles_goods_or_services: bool,
    pub privilege_level: String,
    pub is_log: bool,
    pub encrypted: bool,
    pub signed: bool,
    pub stores_credentials: bool,
    pub stores_inventory: bool,
}

/// A node of the diagram.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Element {
    pub id: String,
    pub kind: ElementKind,
    /// As shown (Korean for a profile's elements).
    pub name: String,
    pub name_en: Option<String>,
    pub description: String,
    /// The innermost box boundary it lies in.
    pub boundary: Option<String>,
    pub component: Option<ComponentInfo>,
    pub ports: Vec<Port>,
    pub flags: Flags,
    pub out_of_scope: bool,
    pub out_of_scope_reason: String,
    /// Why medsec assumed it when the profile does not state it; `None`
    /// when stated (or imported).
    pub derived: Option<Text>,
    /// Where it is drawn, when known.
    pub at: Option<Rect>,
    pub diagram: usize,
}

impl Element {
    /// The name in English, or the name.
    pub fn name_en(&self) -> &str {
        self.name_en.as_deref().unwrap_or(&self.name)
    }
}

/// How a trust boundary is drawn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BoundaryShape {
    /// A box: what lies wholly inside is in the zone.
    Box { at: Option<Rect> },
    /// A line (Threat Dragon's boundary curve): contains nothing; a flow
    /// crosses it when its drawn path does.
    Curve {
        from: Point,
        to: Point,
        vertices: Vec<Point>,
    },
}

/// A trust boundary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Boundary {
    pub id: String,
    pub name: String,
    pub name_en: Option<String>,
    pub description: String,
    /// The box it lies in.
    pub parent: Option<String>,
    pub shape: BoundaryShape,
    pub derived: Option<Text>,
    pub diagram: usize,
}

impl Boundary {
    pub fn is_box(&self) -> bool {
        matches!(self.shape, BoundaryShape::Box { .. })
    }

    pub fn name_en(&self) -> &str {
        self.name_en.as_deref().unwrap_or(&self.name)
    }
}

/// An end of a data flow: an element or, in a Threat Dragon drawing, a
/// loose end at a point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum End {
    Element(String),
    Point(Point),
}

impl End {
    pub fn element(&self) -> Option<&str> {
        match self {
            End::Element(id) => Some(id),
            End::Point(_) => None,
        }
    }
}

/// A data flow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Flow {
    pub id: String,
    pub name: String,
    pub name_en: Option<String>,
    pub description: String,
    pub from: End,
    pub to: End,
    pub protocol: String,
    /// The interface (a port of one of its ends) it goes through.
    pub interface: Option<String>,
    pub data: Vec<DataKind>,
    /// `None`: not stated.
    pub encrypted: Option<bool>,
    /// `None`: not stated.
    pub authenticated: Option<bool>,
    pub public_network: bool,
    pub bidirectional: bool,
    /// The boundaries it crosses, in model order.
    pub crosses: Vec<String>,
    pub out_of_scope: bool,
    pub out_of_scope_reason: String,
    pub derived: Option<Text>,
    /// Bends of its drawn path.
    pub vertices: Vec<Point>,
    pub diagram: usize,
}

impl Flow {
    pub fn name_en(&self) -> &str {
        self.name_en.as_deref().unwrap_or(&self.name)
    }

    /// It carries data whose compromise matters most (see
    /// [`DataKind::is_sensitive`]).
    pub fn is_sensitive(&self) -> bool {
        self.data.iter().any(|d| d.is_sensitive())
    }

    /// The flow touches `element` at either end.
    pub fn touches(&self, element: &str) -> bool {
        self.from.element() == Some(element) || self.to.element() == Some(element)
    }

    /// Data reaches `element` through it.
    pub fn reaches(&self, element: &str) -> bool {
        self.to.element() == Some(element)
            || (self.bidirectional && self.from.element() == Some(element))
    }
}

/// Free text on a diagram.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Note {
    pub id: String,
    pub text: String,
    pub at: Option<Rect>,
    pub diagram: usize,
}

/// The kind of a threat: a STRIDE category, or another methodology's
/// type as a Threat Dragon file names it (CIA, LINDDUN, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Category {
    Stride(Stride),
    Other { model: String, kind: String },
}

/// Threat Dragon's threat statuses.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum Status {
    NotApplicable,
    Open,
    Mitigated,
    Accepted,
    Transferred,
    Avoided,
    Eliminated,
    /// Any other value a file holds, kept as written.
    Other(String),
}

impl Status {
    pub const KNOWN: [Status; 7] = [
        Status::NotApplicable,
        Status::Open,
        Status::Mitigated,
        Status::Accepted,
        Status::Transferred,
        Status::Avoided,
        Status::Eliminated,
    ];

    /// As Threat Dragon writes it.
    pub fn as_str(&self) -> &str {
        match self {
            Status::NotApplicable => "NotApplicable",
            Status::Open => "Open",
            Status::Mitigated => "Mitigated",
            Status::Accepted => "Accepted",
            Status::Transferred => "Transferred",
            Status::Avoided => "Avoided",
            Status::Eliminated => "Eliminated",
            Status::Other(s) => s,
        }
    }

    pub fn ko(&self) -> &str {
        match self {
            Status::NotApplicable => "해당 없음",
            Status::Open => "미조치",
            Status::Mitigated => "완화됨",
            Status::Accepted => "수용됨",
            Status::Transferred => "전가됨",
            Status::Avoided => "회피됨",
            Status::Eliminated => "제거됨",
            Status::Other(s) => s,
        }
    }

    /// A treatment is on record (Threat Dragon's resolved statuses).
    pub fn is_resolved(&self) -> bool {
        matches!(
            self,
            Status::Mitigated
                | Status::Accepted
                | Status::Transferred
                | Status::Avoided
                | Status::Eliminated
        )
    }
}

impl From<String> for Status {
    fn from(s: String) -> Status {
        Status::KNOWN
            .into_iter()
            .find(|k| k.as_str() == s)
            .unwrap_or(Status::Other(s))
    }
}

impl From<Status> for String {
    fn from(s: Status) -> String {
        s.as_str().to_owned()
    }
}

/// Threat Dragon's severities.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum Severity {
    Critical,
    High,
    Medium,
    Low,
    /// Any other value (`TBD` for a new threat), kept as written.
    Other(String),
}

impl Severity {
    pub fn as_str(&self) -> &str {
        match self {
            Severity::Critical => "Critical",
            Severity::High => "High",
            Severity::Medium => "Medium",
            Severity::Low => "Low",
            Severity::Other(s) => s,
        }
    }

    pub fn ko(&self) -> &str {
        match self {
            Severity::Critical => "치명",
            Severity::High => "높음",
            Severity::Medium => "중간",
            Severity::Low => "낮음",
            Severity::Other(s) => s,
        }
    }
}

impl From<String> for Severity {
    fn from(s: String) -> Severity {
        match s.as_str() {
            "Critical" => Severity::Critical,
            "High" => Severity::High,
            "Medium" => Severity::Medium,
            "Low" => Severity::Low,
            _ => Severity::Other(s),
        }
    }
}

impl From<Severity> for String {
    fn from(s: Severity) -> String {
        s.as_str().to_owned()
    }
}

/// A threat to an element, flow or boundary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Threat {
    /// Stable: `TM-<subject>-<STRIDE letter>` for an enumerated threat,
    /// Threat Dragon's id for an imported one.
    pub id: String,
    /// The element, flow or boundary it concerns.
    pub subject: String,
    pub category: Category,
    pub title: Text,
    pub description: Text,
    /// The suggested controls and requirements as one text (Threat
    /// Dragon's mitigation).
    pub mitigation: Text,
    pub status: Status,
    pub severity: Severity,
    /// Threat Dragon's free score.
    pub score: String,
    /// Threat Dragon's threat number.
    pub number: Option<u64>,
    /// KISA catalogue threats (`kisa-dh` threat ids) it is an instance of.
    pub kisa: Vec<String>,
    /// Requirements that mitigate it (`catalogue:item`): the KISA device
    /// requirements answering its KISA threats and the MFDS 2024 and 2019
    /// items the crosswalk links to them.
    pub requirements: Vec<String>,
    /// Suggested controls: the STRIDE category's and the KISA threats'
    /// 관련 보안대책.
    pub controls: Vec<Text>,
    /// Its subject crosses a trust boundary or handles a flow that does.
    pub crossing: bool,
    /// Enumerated by medsec rather than written by someone.
    pub generated: bool,
}
