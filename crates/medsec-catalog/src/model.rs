//! The catalogue data model, as the TOML files spell it (see
//! `data/README.md`).

use serde::{Deserialize, Serialize};

/// One catalogue file.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Catalog {
    pub catalog: Header,
    #[serde(default)]
    pub group: Vec<Group>,
    #[serde(default)]
    pub item: Vec<Item>,
    #[serde(default)]
    pub threat: Vec<Threat>,
}

impl Catalog {
    pub fn item(&self, id: &str) -> Option<&Item> {
        self.item.iter().find(|i| i.id == id)
    }

    pub fn group(&self, id: &str) -> Option<&Group> {
        self.group.iter().find(|g| g.id == id)
    }
}

/// What kind of document a catalogue is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Regulation,
    Guide,
    Principles,
    Standard,
    Reference,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub id: String,
    pub kind: Kind,
    pub title_ko: String,
    pub title_en: String,
    pub publisher_ko: String,
    pub publisher_en: String,
    pub edition: String,
    #[serde(default)]
    pub issued: Option<String>,
    #[serde(default)]
    pub effective_from: Option<String>,
    #[serde(default)]
    pub accepted_until: Option<String>,
    #[serde(default)]
    pub supersedes: Vec<String>,
    #[serde(default)]
    pub default_for_new: bool,
    #[serde(default)]
    pub sources: Vec<SourceRef>,
    #[serde(default)]
    pub note_en: Option<String>,
}

/// A document a catalogue was written from.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SourceRef {
    pub title: String,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Group {
    pub id: String,
    #[serde(default)]
    pub parent: Option<String>,
    pub title_ko: String,
    pub title_en: String,
    #[serde(default)]
    pub text_ko: Option<String>,
    #[serde(default)]
    pub text_en: Option<String>,
}

/// The NIST-style function of an MFDS 2019 item (식별·보호·탐지·대응·복구).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Function {
    Identify,
    Protect,
    Detect,
    Respond,
    Recover,
}

impl Function {
    pub fn ko(self) -> &'static str {
        match self {
            Function::Identify => "식별",
            Function::Protect => "보호",
            Function::Detect => "탐지",
            Function::Respond => "대응",
            Function::Recover => "복구",
        }
    }
}

/// Where an entry's wording comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Source {
    /// Verbatim from seed 000, the MFDS briefing.
    #[serde(rename = "seed-000")]
    Seed000,
    /// Verbatim from seed 001, IMDRF N60 (Korean MFDS edition).
    #[serde(rename = "seed-001")]
    Seed001,
    /// Verbatim from seed 003, the KISA guide.
    #[serde(rename = "seed-003")]
    Seed003,
    /// The project's regulatory brief, citing public sources.
    Brief,
    /// Our wording where no public text exists.
    Reconstructed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Confidence {
    High,
    Medium,
    Low,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub id: String,
    #[serde(default)]
    pub group: Option<String>,
    pub title_ko: String,
    pub title_en: String,
    #[serde(default)]
    pub text_ko: Option<String>,
    #[serde(default)]
    pub text_en: Option<String>,
    #[serde(default)]
    pub functions: Vec<Function>,
    #[serde(default)]
    pub evidence_ko: Vec<String>,
    #[serde(default)]
    pub evidence_en: Vec<String>,
    #[serde(default)]
    pub standards: Vec<String>,
    #[serde(default)]
    pub attachment: Option<String>,
    #[serde(default)]
    pub test_criterion_ko: Option<String>,
    #[serde(default)]
    pub test_criterion_en: Option<String>,
    #[serde(default)]
    pub test_method_ko: Vec<String>,
    #[serde(default)]
    pub test_method_en: Vec<String>,
    #[serde(default)]
    pub threats: Vec<String>,
    pub source: Source,
    pub confidence: Confidence,
    #[serde(default)]
    pub note_en: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Threat {
    pub id: String,
    #[serde(default)]
    pub group: Option<String>,
    pub title_ko: String,
    pub title_en: String,
    pub text_ko: String,
    pub text_en: String,
    #[serde(default)]
    pub countermeasures_ko: Vec<String>,
    #[serde(default)]
    pub countermeasures_en: Vec<String>,
    pub source: Source,
    pub confidence: Confidence,
}

/// How two linked items relate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Relation {
    Equivalent,
    Covers,
    CoveredBy,
    Related,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Link {
    pub from: String,
    pub to: String,
    pub relation: Relation,
    pub reason_en: String,
    #[serde(default)]
    pub reason_ko: Option<String>,
    pub confidence: Confidence,
    pub source: Source,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Crosswalk {
    #[serde(default)]
    pub link: Vec<Link>,
}

macro_rules! names {
    ($($ty:ident { $($v:ident => $n:literal),* $(,)? })*) => {
        $(impl $ty {
            /// The name as the data files spell it.
            pub fn as_str(self) -> &'static str {
                match self { $($ty::$v => $n),* }
            }
        })*
    };
}

names! {
    Kind { Regulation => "regulation", Guide => "guide", Principles => "principles", Standard => "standard", Reference => "reference" }
    Source { Seed000 => "seed-000", Seed001 => "seed-001", Seed003 => "seed-003", Brief => "brief", Reconstructed => "reconstructed" }
    Confidence { High => "high", Medium => "medium", Low => "low" }
    Relation { Equivalent => "equivalent", Covers => "covers", CoveredBy => "covered-by", Related => "related" }
    Function { Identify => "identify", Protect => "protect", Detect => "detect", Respond => "respond", Recover => "recover" }
}
