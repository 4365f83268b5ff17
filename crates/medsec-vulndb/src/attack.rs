//! MITRE ATT&CK STIX bundles (2.0 and 2.1) as feed records, so that the
//! server can name techniques without the bundle files at run time.
//!
//! Not vulnerability data: the index ignores these records
//! ([`crate::Advisory::parse`] gives no advisory, [`crate::Database`]
//! adds nothing). One record per technique, tactic, group and piece of
//! software that carries an ATT&CK id; its text is the STIX object with
//! only the properties `medsec_detect::attack::Matrix::from_records`
//! reads (name, `modified`, `revoked`, the `x_mitre_*` ones, kill-chain
//! phases, the ATT&CK reference) plus `x_medsec_revoked_by`, the ATT&CK id
//! of the object a `revoked-by` relationship names (relationships are not
//! kept). Techniques and tactics are filed under their ATT&CK id (ids are
//! unique across domains); groups and software under `ID@domain`
//! (`S0017@ics-attack`), because the domains' bundles carry their own,
//! sometimes different, copies of one id.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::feed::{Kind, Record};
use crate::{Error, Result};

/// The object types kept.
const KEPT: [&str; 5] = [
    "attack-pattern",
    "x-mitre-tactic",
    "intrusion-set",
    "malware",
    "tool",
];

/// Whether the first bytes of a JSON file are an ATT&CK bundle's: a
/// top-level `"type": "bundle"` and ATT&CK's properties or source name.
pub(crate) fn recognise(head: &str) -> bool {
    let bundle = {
        let mut rest = head;
        let mut found = false;
        while let Some(at) = rest.find("\"type\"") {
            let after = rest.get(at + 6..).unwrap_or_default().trim_start();
            if let Some(value) = after.strip_prefix(':') {
                found = value.trim_start().starts_with("\"bundle\"");
                break;
            }
            rest = after;
        }
        found
    };
    bundle
        && (head.contains("\"x_mitre_")
            || head.contains("\"x-mitre-")
            || head.contains("\"mitre-attack\""))
}

#[derive(Deserialize)]
struct Bundle<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    objects: Option<Vec<Object>>,
}

#[derive(Deserialize, Serialize)]
struct Object {
    #[serde(rename = "type")]
    kind: Option<String>,
    id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    spec_version: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    modified: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    revoked: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    x_mitre_deprecated: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    x_mitre_version: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    x_mitre_domains: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    x_mitre_platforms: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    x_mitre_is_subtechnique: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    x_mitre_shortname: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    kill_chain_phases: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    external_references: Option<Vec<Reference>>,
    #[serde(skip_serializing)]
    relationship_type: Option<String>,
    #[serde(skip_serializing)]
    source_ref: Option<String>,
    #[serde(skip_serializing)]
    target_ref: Option<String>,
    #[serde(skip_deserializing, skip_serializing_if = "Option::is_none")]
    x_medsec_revoked_by: Option<String>,
}

#[derive(Deserialize, Serialize)]
struct Reference {
    #[serde(skip_serializing_if = "Option::is_none")]
    source_name: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    external_id: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<Value>,
}

impl Reference {
    /// The ATT&CK id, when this is ATT&CK's reference (`mitre-attack`,
    /// or an older domain's `mitre-ics-attack`, `mitre-mobile-attack`).
    fn attack_id(&self) -> Option<&str> {
        let source = self.source_name.as_ref()?.as_str()?;
        if !matches!(
            source,
            "mitre-attack" | "mitre-ics-attack" | "mitre-mobile-attack"
        ) {
            return None;
        }
        self.external_id.as_ref()?.as_str()
    }
}

impl Object {
    fn attack_id(&self) -> Option<&str> {
        self.external_references
            .iter()
            .flatten()
            .find_map(Reference::attack_id)
    }

    fn flag(v: &Option<Value>) -> bool {
        v.as_ref().and_then(Value::as_bool).unwrap_or(false)
    }

    /// Of two copies of one id, the one neither revoked nor deprecated,
    /// then the newer.
    fn rank(&self) -> (bool, String) {
        (
            !Object::flag(&self.revoked) && !Object::flag(&self.x_mitre_deprecated),
            self.modified_text().to_owned(),
        )
    }

    fn modified_text(&self) -> &str {
        self.modified
            .as_ref()
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    fn first_domain(&self) -> Option<&str> {
        self.x_mitre_domains.as_ref()?.as_array()?.first()?.as_str()
    }
}

/// Splits a bundle's text into records (in id order), calling `each`.
pub(crate) fn read(
    text: &str,
    origin: &str,
    each: &mut dyn FnMut(Record) -> Result<()>,
) -> Result<()> {
    let bundle: Bundle<'_> = serde_json::from_str(text).map_err(|e| {
        Error::invalid(
            origin,
            format!(
                "not an ATT&CK STIX bundle: invalid at line {} column {}: {e}",
                e.line(),
                e.column()
            ),
        )
    })?;
    if bundle.kind.as_deref() != Some("bundle") {
        return Err(Error::invalid(
            origin,
            "not a STIX bundle (its `type` is not `bundle`)",
        ));
    }
    let objects = bundle.objects.unwrap_or_default();
    let mut attack_ids: HashMap<&str, &str> = HashMap::new();
    let mut revoked_by: HashMap<&str, &str> = HashMap::new();
    for o in &objects {
        match o.kind.as_deref() {
            Some("relationship") if o.relationship_type.as_deref() == Some("revoked-by") => {
                if let (Some(s), Some(t)) = (o.source_ref.as_deref(), o.target_ref.as_deref()) {
                    revoked_by.insert(s, t);
                }
            }
            Some(kind) if KEPT.contains(&kind) => {
                if let (Some(id), Some(attack_id)) = (o.id.as_deref(), o.attack_id()) {
                    attack_ids.insert(id, attack_id);
                }
            }
            _ => {}
        }
    }
    // The bundle's domain, for the keys of groups and software: its
    // tactics' domain.
    let domain = objects
        .iter()
        .filter(|o| o.kind.as_deref() == Some("x-mitre-tactic"))
        .find_map(Object::first_domain)
        .unwrap_or("attack")
        .to_owned();
    let revoker: HashMap<String, String> = revoked_by
        .iter()
        .filter_map(|(s, t)| Some(((*s).to_owned(), (*attack_ids.get(t)?).to_owned())))
        .collect();
    let mut kept: BTreeMap<String, (usize, Object)> = BTreeMap::new();
    for (i, mut o) in objects.into_iter().enumerate() {
        let Some(kind) = o.kind.as_deref() else {
            continue;
        };
        if !KEPT.contains(&kind) {
            continue;
        }
        let Some(attack_id) = o.attack_id().map(str::to_owned) else {
            continue;
        };
        let key = match kind {
            "attack-pattern" | "x-mitre-tactic" => attack_id,
            _ => format!("{attack_id}@{domain}"),
        };
        o.x_medsec_revoked_by = o.id.as_deref().and_then(|id| revoker.get(id)).cloned();
        if let Some(refs) = &mut o.external_references {
            refs.retain(|r| r.attack_id().is_some());
            refs.truncate(1);
        }
        match kept.get(&key) {
            Some((_, old)) if old.rank() >= o.rank() => {}
            _ => {
                kept.insert(key, (i, o));
            }
        }
    }
    for (id, (i, o)) in kept {
        let body = serde_json::to_string(&o)
            .map_err(|e| Error::invalid(format!("{origin} objects[{i}]"), e.to_string()))?;
        each(Record {
            kind: Kind::Attack,
            id,
            modified: o.modified_text().to_owned(),
            body,
            origin: format!(
                "{origin} objects[{i}] ({})",
                o.id.as_deref().unwrap_or_default()
            ),
        })?;
    }
    Ok(())
}
