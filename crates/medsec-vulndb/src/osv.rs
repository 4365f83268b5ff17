//! OSV records (https://ossf.github.io/osv-schema/) into [`Advisory`].
//!
//! Packages in ecosystems medsec has no ordering for are kept with their
//! `versions` list only; their ranges cannot be evaluated and are
//! counted, never guessed.

use medsec_version::Ecosystem;
use medsec_version::osv::{EventKind, Range, RangeType};
use serde::Deserialize;

use crate::score::{Level, Severity};
use crate::{Advisory, Affected, Error, Result};

#[derive(Deserialize)]
struct Osv {
    id: String,
    #[serde(default)]
    modified: Option<String>,
    #[serde(default)]
    published: Option<String>,
    #[serde(default)]
    withdrawn: Option<String>,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    details: Option<String>,
    #[serde(default)]
    severity: Vec<OsvSeverity>,
    #[serde(default)]
    affected: Vec<OsvAffected>,
    #[serde(default)]
    references: Vec<OsvReference>,
    #[serde(default)]
    database_specific: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct OsvSeverity {
    #[serde(rename = "type")]
    kind: String,
    score: String,
}

#[derive(Deserialize)]
struct OsvAffected {
    #[serde(default)]
    package: Option<OsvPackage>,
    #[serde(default)]
    ranges: Vec<OsvRange>,
    #[serde(default)]
    versions: Vec<String>,
    #[serde(default)]
    severity: Vec<OsvSeverity>,
}

#[derive(Deserialize)]
struct OsvPackage {
    ecosystem: String,
    name: String,
}

#[derive(Deserialize)]
struct OsvRange {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    events: Vec<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Deserialize)]
struct OsvReference {
    #[serde(default)]
    url: Option<String>,
}

pub(crate) fn parse(body: &str, origin: &str) -> Result<Advisory> {
    let osv: Osv = serde_json::from_str(body).map_err(|e| {
        Error::invalid(
            origin,
            format!(
                "not an OSV record: {e} (line {} column {})",
                e.line(),
                e.column()
            ),
        )
    })?;
    let at = |what: String| format!("{origin}: {} {what}", osv.id);
    let mut severity = Vec::new();
    for s in &osv.severity {
        if let Some(sev) = Severity::from_osv(&s.kind, &s.score, "osv") {
            severity.push(sev);
        }
    }
    let mut affected = Vec::new();
    for (i, a) in osv.affected.iter().enumerate() {
        for s in &a.severity {
            if let Some(sev) = Severity::from_osv(&s.kind, &s.score, "osv") {
                severity.push(sev);
            }
        }
        let Some(package) = &a.package else {
            continue;
        };
        let Some(ecosystem) = Ecosystem::from_osv(&package.ecosystem) else {
            // An ecosystem without a known ordering (e.g. "Linux",
            // "OSS-Fuzz"): such packages never match by version here.
            continue;
        };
        let mut ranges = Vec::new();
        let mut skipped_ranges = Vec::new();
        for (j, r) in a.ranges.iter().enumerate() {
            let range_type = match r.kind.as_str() {
                "SEMVER" => RangeType::Semver,
                "ECOSYSTEM" => RangeType::Ecosystem,
                "GIT" => {
                    skipped_ranges.push(format!(
                        "ranges[{j}] is a GIT range (commits, not versions)"
                    ));
                    continue;
                }
                other => {
                    return Err(Error::invalid(
                        at(format!("affected[{i}].ranges[{j}]")),
                        format!("unknown range type `{other}`"),
                    ));
                }
            };
            let mut events = Vec::with_capacity(r.events.len());
            for (k, event) in r.events.iter().enumerate() {
                let mut found = None;
                for (name, kind) in [
                    ("introduced", EventKind::Introduced),
                    ("fixed", EventKind::Fixed),
                    ("last_affected", EventKind::LastAffected),
                    ("limit", EventKind::Limit),
                ] {
                    if let Some(v) = event.get(name) {
                        let v = v.as_str().ok_or_else(|| {
                            Error::invalid(
                                at(format!("affected[{i}].ranges[{j}].events[{k}].{name}")),
                                "expected a string",
                            )
                        })?;
                        found = Some((kind, v));
                    }
                }
                let Some(found) = found else {
                    return Err(Error::invalid(
                        at(format!("affected[{i}].ranges[{j}].events[{k}]")),
                        "an event needs introduced, fixed, last_affected or limit",
                    ));
                };
                events.push(found);
            }
            // A version the ecosystem itself rejects (they occur in real
            // records) makes that one range unusable, not the record.
            match Range::new(range_type, ecosystem, &events) {
                Ok(range) => ranges.push(range),
                Err(e) => skipped_ranges.push(format!("ranges[{j}]: {e}")),
            }
        }
        affected.push(Affected {
            ecosystem,
            name: ecosystem.normalize_name(&package.name).into_owned(),
            display_name: package.name.clone(),
            distro: rpm_distro(ecosystem, &package.ecosystem),
            ranges,
            versions: a.versions.clone(),
            rustsec: None,
            skipped_ranges,
        });
    }
    let db = osv.database_specific.as_ref();
    let severity_label = db
        .and_then(|d| d.get("severity"))
        .and_then(|s| s.as_str())
        .and_then(Level::parse);
    let cwes = db
        .and_then(|d| d.get("cwe_ids"))
        .and_then(|c| c.as_array())
        .map(|list| {
            list.iter()
                .filter_map(|c| c.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let summary = osv
        .summary
        .filter(|s| !s.trim().is_empty())
        .or_else(|| osv.details.as_deref().map(|d| first_sentence(d).to_owned()))
        .unwrap_or_default();
    let mut aliases = osv.aliases;
    aliases.retain(|a| a != &osv.id);
    Ok(Advisory {
        id: osv.id,
        kind: None,
        aliases,
        summary,
        published: osv.published,
        modified: osv.modified,
        withdrawn: osv.withdrawn,
        informational: None,
        severity,
        severity_label,
        cwes,
        affected,
        configurations: Vec::new(),
        products: Vec::new(),
        documents: Vec::new(),
        references: osv.references.into_iter().filter_map(|r| r.url).collect(),
    })
}

/// The first sentence or line of a description, for a one-line summary.
pub(crate) fn first_sentence(text: &str) -> &str {
    let text = text.trim();
    let line = text.lines().next().unwrap_or_default();
    match line.find(". ") {
        Some(i) => line.get(..=i).unwrap_or(line),
        None => line,
    }
}

/// The purl namespace of an RPM distribution named by an OSV ecosystem
/// (`Rocky Linux:8` → `rocky`).
fn rpm_distro(ecosystem: Ecosystem, osv_name: &str) -> Option<String> {
    if ecosystem != Ecosystem::Rpm {
        return None;
    }
    let base = osv_name.split(':').next().unwrap_or_default().trim();
    Some(
        match base {
            "Red Hat" => "redhat",
            "Rocky Linux" => "rocky",
            "AlmaLinux" => "almalinux",
            "SUSE" => "suse",
            "openSUSE" => "opensuse",
            "Mageia" => "mageia",
            "openEuler" => "openeuler",
            "Azure Linux" => "azurelinux",
            "Photon OS" => "photon",
            other => return Some(other.to_ascii_lowercase().replace(' ', "")),
        }
        .to_owned(),
    )
}
