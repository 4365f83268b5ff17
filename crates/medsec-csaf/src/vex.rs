//! Writing CSAF VEX: a manufacturer states, per CVE, whether one version
//! of its device is affected, not affected (and why), fixed or under
//! investigation.
//!
//! The input model is small on purpose; everything the profile demands is
//! derived from it, so that the output satisfies the CSAF 2.0 schema and
//! the mandatory tests (the product id is defined once, every "not
//! affected" carries a justification flag and an impact statement, every
//! "affected" an action statement, the revision history numbers the
//! revisions 1, 2, … in date order and the document version is the last
//! one). Input the schema would reject is refused with a [`VexError`]
//! naming the field, never written.

use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::check::is_version_range;
use crate::model::{
    Advisory, Branch, BranchCategory, Distribution, Document, Engine, Flag, FullProductName,
    Generator, IdentificationHelper, Justification, Note, NoteCategory, ProductStatus, ProductTree,
    Publisher, PublisherCategory, Remediation, RemediationCategory, Revision, Status, Threat,
    ThreatCategory, Tlp, TlpLabel, Tracking, TrackingStatus, Vulnerability,
};
use crate::products::full_name;

/// The product id the written document gives the product.
pub const VEX_PRODUCT_ID: &str = "CSAFPID-0001";

/// A VEX document about one product version.
#[derive(Debug, Clone, PartialEq)]
pub struct VexDocument {
    pub title: String,
    /// Language tag of the text, `language[-Script][-REGION]` (`ko-KR`,
    /// `en`).
    pub lang: Option<String>,
    /// A summary for the document notes.
    pub summary: Option<String>,
    pub tlp: Option<TlpLabel>,
    pub publisher: VexPublisher,
    /// `/document/tracking/id`, unique within the publisher's namespace.
    pub tracking_id: String,
    pub status: TrackingStatus,
    /// Every revision, oldest first; the first is the initial release and
    /// the last the current one.
    pub revisions: Vec<VexRevision>,
    pub product: VexProduct,
    pub vulnerabilities: Vec<VexVulnerability>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VexPublisher {
    pub name: String,
    /// The publisher's web address, an absolute URI.
    pub namespace: String,
    pub category: PublisherCategory,
    pub contact_details: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VexRevision {
    pub date: OffsetDateTime,
    pub summary: String,
}

/// The product the statements are about: one version of it.
#[derive(Debug, Clone, PartialEq)]
pub struct VexProduct {
    pub vendor: String,
    pub name: String,
    pub version: String,
    pub purl: Option<String>,
    /// CPE 2.3 formatted string (or CPE 2.2 URI).
    pub cpe: Option<String>,
    pub model_numbers: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VexVulnerability {
    pub cve: String,
    pub title: Option<String>,
    /// What the vulnerability is; the profile requires a note.
    pub description: String,
    pub status: VexStatus,
    /// Action statements. Required for [`VexStatus::KnownAffected`],
    /// optional otherwise (how to get the fix, an interim mitigation).
    pub actions: Vec<VexAction>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum VexStatus {
    KnownAffected,
    /// Not affected, with the justification code and an impact statement
    /// saying why in words.
    KnownNotAffected {
        justification: Justification,
        impact: String,
    },
    Fixed,
    UnderInvestigation,
}

#[derive(Debug, Clone, PartialEq)]
pub struct VexAction {
    pub category: RemediationCategory,
    pub details: String,
    pub url: Option<String>,
}

/// Input that would make the VEX document invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot write the VEX document: `{field}` = `{value}` {reason}")]
pub struct VexError {
    /// Where in the input, e.g. `vulnerabilities[2].cve`.
    pub field: String,
    pub value: String,
    pub reason: &'static str,
}

fn invalid(field: impl Into<String>, value: &str, reason: &'static str) -> VexError {
    VexError {
        field: field.into(),
        value: value.to_owned(),
        reason,
    }
}

/// Writes the VEX document as pretty-printed JSON. The same input gives
/// the same bytes.
pub fn write_vex(doc: &VexDocument) -> Result<String, VexError> {
    let advisory = doc.to_advisory()?;
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(
        &mut out,
        serde_json::ser::PrettyFormatter::with_indent(b"  "),
    );
    advisory
        .serialize(&mut ser)
        .map_err(|_| invalid("document", "", "cannot be serialised"))?;
    out.push(b'\n');
    String::from_utf8(out).map_err(|_| invalid("document", "", "is not UTF-8"))
}

impl VexDocument {
    /// The CSAF document [`write_vex`] writes.
    pub fn to_advisory(&self) -> Result<Advisory, VexError> {
        text("title", &self.title)?;
        if let Some(lang) = &self.lang
            && !is_simple_lang(lang)
        {
            return Err(invalid(
                "lang",
                lang,
                "is not a language tag of the form language[-Script][-REGION]",
            ));
        }
        if let Some(summary) = &self.summary {
            text("summary", summary)?;
        }
        let p = &self.publisher;
        text("publisher.name", &p.name)?;
        uri("publisher.namespace", &p.namespace)?;
        if let Some(contact) = &p.contact_details {
            text("publisher.contact_details", contact)?;
        }
        text("tracking_id", &self.tracking_id)?;
        if self.tracking_id.trim() != self.tracking_id {
            return Err(invalid(
                "tracking_id",
                &self.tracking_id,
                "has leading or trailing white space",
            ));
        }

        let mut revision_history = Vec::new();
        for (i, r) in self.revisions.iter().enumerate() {
            let field = format!("revisions[{i}]");
            text(format!("{field}.summary"), &r.summary)?;
            if i > 0
                && self
                    .revisions
                    .get(i - 1)
                    .is_some_and(|before| before.date > r.date)
            {
                return Err(invalid(
                    format!("{field}.date"),
                    &date(&format!("{field}.date"), r.date)?,
                    "is earlier than the revision before it",
                ));
            }
            revision_history.push(Revision {
                date: date(&format!("{field}.date"), r.date)?,
                legacy_version: None,
                number: (i + 1).to_string(),
                summary: r.summary.clone(),
            });
        }
        let (Some(first), Some(last)) = (revision_history.first(), revision_history.last()) else {
            return Err(invalid(
                "revisions",
                "",
                "is empty; a document needs its initial release",
            ));
        };
        let tracking = Tracking {
            aliases: Vec::new(),
            current_release_date: last.date.clone(),
            generator: Some(Generator {
                date: None,
                engine: Engine {
                    name: "medsec".to_owned(),
                    version: Some(env!("CARGO_PKG_VERSION").to_owned()),
                },
            }),
            id: self.tracking_id.clone(),
            initial_release_date: first.date.clone(),
            version: last.number.clone(),
            revision_history,
            status: self.status,
        };

        let document = Document {
            acknowledgments: Vec::new(),
            aggregate_severity: None,
            category: "csaf_vex".to_owned(),
            csaf_version: "2.0".to_owned(),
            distribution: self.tlp.map(|label| Distribution {
                text: None,
                tlp: Some(Tlp {
                    label,
                    url: Some("https://www.first.org/tlp/".to_owned()),
                }),
            }),
            lang: self.lang.clone(),
            notes: self
                .summary
                .iter()
                .map(|s| Note {
                    audience: None,
                    category: NoteCategory::Summary,
                    text: s.clone(),
                    title: Some("Summary".to_owned()),
                })
                .collect(),
            publisher: Publisher {
                category: p.category,
                contact_details: p.contact_details.clone(),
                issuing_authority: None,
                name: p.name.clone(),
                namespace: p.namespace.clone(),
            },
            references: Vec::new(),
            source_lang: None,
            title: self.title.clone(),
            tracking,
        };

        Ok(Advisory {
            document,
            product_tree: Some(self.product_tree()?),
            vulnerabilities: self.vulnerabilities()?,
        })
    }

    fn product_tree(&self) -> Result<ProductTree, VexError> {
        let p = &self.product;
        text("product.vendor", &p.vendor)?;
        text("product.name", &p.name)?;
        text("product.version", &p.version)?;
        if is_version_range(&p.version) {
            return Err(invalid(
                "product.version",
                &p.version,
                "reads as a version range (CSAF 6.1.31); a VEX statement is about one version",
            ));
        }
        if let Some(purl) = &p.purl {
            uri("product.purl", purl)?;
            if purl.parse::<packageurl::PackageUrl<'_>>().is_err() {
                return Err(invalid("product.purl", purl, "is not a valid package URL"));
            }
        }
        if let Some(cpe) = &p.cpe
            && !is_cpe(cpe)
        {
            return Err(invalid(
                "product.cpe",
                cpe,
                "is neither a CPE 2.3 formatted string nor a CPE 2.2 URI",
            ));
        }
        for (i, m) in p.model_numbers.iter().enumerate() {
            text(format!("product.model_numbers[{i}]"), m)?;
            if p.model_numbers.iter().take(i).any(|before| before == m) {
                return Err(invalid(
                    format!("product.model_numbers[{i}]"),
                    m,
                    "is listed twice",
                ));
            }
        }
        let helper = IdentificationHelper {
            cpe: p.cpe.clone(),
            model_numbers: p.model_numbers.clone(),
            purl: p.purl.clone(),
            ..IdentificationHelper::default()
        };
        let has_helper = helper != IdentificationHelper::default();
        let product = FullProductName {
            name: full_name([p.vendor.as_str(), &p.name, &p.version].into_iter()),
            product_id: VEX_PRODUCT_ID.to_owned(),
            product_identification_helper: has_helper.then_some(helper),
        };
        let branch = |category, name: &str, branches, product| Branch {
            branches,
            category,
            name: name.to_owned(),
            product,
        };
        Ok(ProductTree {
            branches: vec![branch(
                BranchCategory::Vendor,
                &p.vendor,
                vec![branch(
                    BranchCategory::ProductName,
                    &p.name,
                    vec![branch(
                        BranchCategory::ProductVersion,
                        &p.version,
                        Vec::new(),
                        Some(product),
                    )],
                    None,
                )],
                None,
            )],
            ..ProductTree::default()
        })
    }

    fn vulnerabilities(&self) -> Result<Vec<Vulnerability>, VexError> {
        if self.vulnerabilities.is_empty() {
            return Err(invalid(
                "vulnerabilities",
                "",
                "is empty; a VEX document states at least one (CSAF 6.1.27.11)",
            ));
        }
        let ids = vec![VEX_PRODUCT_ID.to_owned()];
        let mut out = Vec::new();
        for (i, v) in self.vulnerabilities.iter().enumerate() {
            let field = format!("vulnerabilities[{i}]");
            if !is_cve(&v.cve) {
                return Err(invalid(
                    format!("{field}.cve"),
                    &v.cve,
                    "is not a CVE id (CVE-YYYY-NNNN)",
                ));
            }
            if self
                .vulnerabilities
                .iter()
                .take(i)
                .any(|before| before.cve == v.cve)
            {
                return Err(invalid(
                    format!("{field}.cve"),
                    &v.cve,
                    "has a statement already; one per CVE (CSAF 6.1.23)",
                ));
            }
            if let Some(title) = &v.title {
                text(format!("{field}.title"), title)?;
            }
            text(format!("{field}.description"), &v.description)?;
            let mut remediations = Vec::new();
            for (k, a) in v.actions.iter().enumerate() {
                text(format!("{field}.actions[{k}].details"), &a.details)?;
                if let Some(url) = &a.url {
                    uri(&format!("{field}.actions[{k}].url"), url)?;
                }
                remediations.push(Remediation {
                    category: a.category,
                    date: None,
                    details: a.details.clone(),
                    entitlements: Vec::new(),
                    group_ids: Vec::new(),
                    product_ids: ids.clone(),
                    restart_required: None,
                    url: a.url.clone(),
                });
            }
            let mut product_status = ProductStatus::default();
            let mut flags = Vec::new();
            let mut threats = Vec::new();
            let status = match &v.status {
                VexStatus::KnownAffected => {
                    if remediations.is_empty() {
                        return Err(invalid(
                            format!("{field}.actions"),
                            "",
                            "is empty, but an affected product needs an action statement (CSAF 6.1.27.10)",
                        ));
                    }
                    Status::KnownAffected
                }
                VexStatus::KnownNotAffected {
                    justification,
                    impact,
                } => {
                    text(format!("{field}.status.impact"), impact)?;
                    flags.push(Flag {
                        date: None,
                        group_ids: Vec::new(),
                        label: *justification,
                        product_ids: ids.clone(),
                    });
                    threats.push(Threat {
                        category: ThreatCategory::Impact,
                        date: None,
                        details: impact.clone(),
                        group_ids: Vec::new(),
                        product_ids: ids.clone(),
                    });
                    Status::KnownNotAffected
                }
                VexStatus::Fixed => Status::Fixed,
                VexStatus::UnderInvestigation => Status::UnderInvestigation,
            };
            product_status.list_mut(status).clone_from(&ids);
            out.push(Vulnerability {
                cve: Some(v.cve.clone()),
                flags,
                notes: vec![Note {
                    audience: None,
                    category: NoteCategory::Description,
                    text: v.description.clone(),
                    title: Some("Description".to_owned()),
                }],
                product_status: Some(product_status),
                remediations,
                threats,
                title: v.title.clone(),
                ..Vulnerability::default()
            });
        }
        Ok(out)
    }
}

/// Text the schema requires to be non-empty; blank text says nothing, so
/// it is refused too.
fn text(field: impl Into<String>, value: &str) -> Result<(), VexError> {
    if value.trim().is_empty() {
        return Err(invalid(field, value, "is empty"));
    }
    Ok(())
}

fn date(field: &str, when: OffsetDateTime) -> Result<String, VexError> {
    when.format(&Rfc3339).map_err(|_| {
        invalid(
            field,
            &when.to_string(),
            "cannot be written as an RFC 3339 date-time",
        )
    })
}

/// `CVE-YYYY-NNNN…`, the schema's pattern.
fn is_cve(s: &str) -> bool {
    let mut parts = s.split('-');
    let (Some("CVE"), Some(year), Some(number), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && number.len() >= 4
        && number.bytes().all(|b| b.is_ascii_digit())
}

/// An absolute URI by RFC 3986: a scheme, a colon, and the rest made of
/// URI characters and well-formed percent escapes.
fn uri(field: &str, value: &str) -> Result<(), VexError> {
    let bad = || invalid(field, value, "is not an absolute URI");
    let (scheme, rest) = value.split_once(':').ok_or_else(bad)?;
    let scheme_ok = scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    let bytes = rest.as_bytes();
    let mut ok = scheme_ok && !rest.is_empty();
    let mut i = 0;
    while ok && let Some(&b) = bytes.get(i) {
        if b == b'%' {
            ok = bytes
                .get(i + 1..i + 3)
                .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit));
            i += 3;
        } else {
            ok = b.is_ascii_alphanumeric() || b"-._~:/?#[]@!$&'()*+,;=".contains(&b);
            i += 1;
        }
    }
    if ok { Ok(()) } else { Err(bad()) }
}

/// `language[-Script][-REGION]`: the part of BCP 47 (and of the schema's
/// `lang_t` pattern) that advisories use.
fn is_simple_lang(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let alpha = |s: &str, n: std::ops::RangeInclusive<usize>| {
        n.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphabetic())
    };
    let Some(language) = parts.next() else {
        return false;
    };
    if !alpha(language, 2..=3) {
        return false;
    }
    let mut rest: Vec<&str> = parts.collect();
    if rest.first().is_some_and(|s| alpha(s, 4..=4)) {
        rest.remove(0);
    }
    match rest.as_slice() {
        [] => true,
        [region] => {
            alpha(region, 2..=2)
                || (region.len() == 3 && region.bytes().all(|b| b.is_ascii_digit()))
        }
        _ => false,
    }
}

/// A CPE as the schema's pattern accepts it: a CPE 2.3 formatted string
/// (11 components after `cpe:2.3:`, `\` escaping punctuation) or a CPE 2.2
/// URI.
pub(crate) fn is_cpe(s: &str) -> bool {
    if let Some(rest) = s.strip_prefix("cpe:2.3:") {
        return is_cpe23(rest);
    }
    let mut chars = s.chars();
    if chars.next() != Some('c')
        || !matches!(chars.next(), Some('p' | 'P'))
        || !matches!(chars.next(), Some('e' | 'E'))
        || chars.next() != Some(':')
        || chars.next() != Some('/')
    {
        return false;
    }
    let rest = chars.as_str();
    let rest = rest
        .strip_prefix(['a', 'h', 'o', 'A', 'H', 'O'])
        .unwrap_or(rest);
    if rest.is_empty() {
        return true;
    }
    let Some(rest) = rest.strip_prefix(':') else {
        return false;
    };
    let components: Vec<&str> = rest.split(':').collect();
    components.len() <= 6
        && components.iter().all(|c| {
            c.chars()
                .all(|ch| ch.is_ascii_alphanumeric() || "._-~%".contains(ch))
        })
}

fn is_cpe23(rest: &str) -> bool {
    const PUNCT: &str = "\\*?!\"#$%&'()+,/:;<=>@[]^`{|}~";
    // Components as (character, escaped) sequences, split on unescaped
    // colons.
    let mut components: Vec<Vec<(char, bool)>> = vec![Vec::new()];
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(e) if PUNCT.contains(e) => {
                    if let Some(last) = components.last_mut() {
                        last.push((e, true));
                    }
                }
                _ => return false,
            },
            ':' => components.push(Vec::new()),
            c => {
                if let Some(last) = components.last_mut() {
                    last.push((c, false));
                }
            }
        }
    }
    let [part, rest @ ..] = components.as_slice() else {
        return false;
    };
    if rest.len() != 10 || !matches!(part.as_slice(), [('a' | 'h' | 'o' | '*' | '-', false)]) {
        return false;
    }
    rest.iter().enumerate().all(|(i, c)| {
        if matches!(c.as_slice(), [('*' | '-', false)]) {
            true
        } else if i == 5 {
            let lang: String = c.iter().map(|(ch, _)| *ch).collect();
            !c.iter().any(|(_, escaped)| *escaped) && is_cpe_lang(&lang)
        } else {
            is_avstring(c)
        }
    })
}

fn is_cpe_lang(s: &str) -> bool {
    let (lang, region) = match s.split_once('-') {
        Some((l, r)) => (l, Some(r)),
        None => (s, None),
    };
    (2..=3).contains(&lang.len())
        && lang.bytes().all(|b| b.is_ascii_alphabetic())
        && region.is_none_or(|r| {
            (r.len() == 2 && r.bytes().all(|b| b.is_ascii_alphabetic()))
                || (r.len() == 3 && r.bytes().all(|b| b.is_ascii_digit()))
        })
}

/// A CPE 2.3 attribute value: optional leading `?`s or one `*`, at least
/// one literal character, optional trailing `?`s or one `*`.
fn is_avstring(c: &[(char, bool)]) -> bool {
    let wild = |w: char| move |t: &(char, bool)| *t == (w, false);
    let mut body = c;
    let lead_q = body.iter().take_while(|t| wild('?')(t)).count();
    if lead_q > 0 {
        body = body.get(lead_q..).unwrap_or_default();
    } else if body.first().is_some_and(wild('*')) {
        body = body.get(1..).unwrap_or_default();
    }
    let trail_q = body.iter().rev().take_while(|t| wild('?')(t)).count();
    if trail_q > 0 {
        body = body.get(..body.len() - trail_q).unwrap_or_default();
    } else if body.last().is_some_and(wild('*')) {
        body = body.get(..body.len() - 1).unwrap_or_default();
    }
    !body.is_empty()
        && body
            .iter()
            .all(|(ch, escaped)| *escaped || ch.is_ascii_alphanumeric() || "-._".contains(*ch))
}
