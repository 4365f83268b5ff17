//! MITRE ATT&CK (enterprise, ICS and mobile) as detection needs it: the
//! techniques and tactics of ATT&CK's STIX bundles (2.0 and 2.1, plain or
//! gzip), the groups and software, and Sigma's `attack.*` tags resolved
//! against them, with the tags that name nothing, or a deprecated or a
//! revoked object, said as such.
//!
//! [`Matrix`] keeps only what alerts and rule checks show (id, name,
//! domain, tactics, parent, URL, deprecation, revocation and what revoked
//! it, version, platforms, the `modified` stamp that decides between two
//! copies of an object), not the descriptions, references or
//! relationships. Everything here is pure except [`load_dir`].
//!
//! The same objects can come from the feed records medsec stores
//! (`medsec feeds import`, kind `attack`): each record's text is one STIX
//! object of the bundle with only the properties read here, and
//! `x_medsec_revoked_by` holding the ATT&CK id of the object that revoked
//! it (the bundle says so with a `revoked-by` relationship, which is not
//! kept); [`Matrix::from_records`] rebuilds the matrix from them.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The largest bundle read, once decompressed (the enterprise bundle is
/// about 33 MB).
pub const MAX_BUNDLE_BYTES: u64 = 512 << 20;

/// An ATT&CK domain (matrix).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Domain {
    Enterprise,
    Ics,
    Mobile,
}

impl Domain {
    pub const ALL: [Domain; 3] = [Domain::Enterprise, Domain::Ics, Domain::Mobile];

    /// As medsec writes it: `enterprise`, `ics`, `mobile`.
    pub fn as_str(self) -> &'static str {
        match self {
            Domain::Enterprise => "enterprise",
            Domain::Ics => "ics",
            Domain::Mobile => "mobile",
        }
    }

    /// As ATT&CK's `x_mitre_domains` writes it.
    pub fn stix_name(self) -> &'static str {
        match self {
            Domain::Enterprise => "enterprise-attack",
            Domain::Ics => "ics-attack",
            Domain::Mobile => "mobile-attack",
        }
    }

    /// The `kill_chain_name` of the domain's tactics.
    pub fn kill_chain(self) -> &'static str {
        match self {
            Domain::Enterprise => "mitre-attack",
            Domain::Ics => "mitre-ics-attack",
            Domain::Mobile => "mitre-mobile-attack",
        }
    }

    /// From `x_mitre_domains`.
    pub fn from_stix(name: &str) -> Option<Domain> {
        Domain::ALL.into_iter().find(|d| d.stix_name() == name)
    }

    fn from_kill_chain(name: &str) -> Option<Domain> {
        Domain::ALL.into_iter().find(|d| d.kill_chain() == name)
    }

    /// The external reference's `source_name`: `mitre-attack` for every
    /// domain in current bundles, `mitre-ics-attack` and
    /// `mitre-mobile-attack` in older ones (and for some deprecated ICS
    /// techniques still).
    fn from_source_name(name: &str) -> Option<Domain> {
        Domain::from_kill_chain(name)
    }
}

impl std::fmt::Display for Domain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A tactic (`TA0002`, `execution`, "Execution").
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Tactic {
    pub id: String,
    /// The `x_mitre_shortname`, which Sigma's tactic tags and the
    /// techniques' kill-chain phases use (`attack.execution`).
    pub shortname: String,
    pub name: String,
    pub domain: Domain,
    #[serde(skip_serializing_if = "is_false")]
    pub deprecated: bool,
    #[serde(skip_serializing_if = "is_false")]
    pub revoked: bool,
    #[serde(skip)]
    pub modified: String,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// A technique or sub-technique.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Technique {
    /// `T1059.001`, `T0800`.
    pub id: String,
    pub name: String,
    pub domain: Domain,
    /// In the order of the technique's kill-chain phases.
    pub tactics: Vec<Tactic>,
    /// The technique a sub-technique belongs to (`T1059` for
    /// `T1059.001`).
    pub parent: Option<String>,
    pub url: Option<String>,
    pub deprecated: bool,
    pub revoked: bool,
    /// The ATT&CK id of the object that revoked this one, when the bundle
    /// says (a `revoked-by` relationship).
    pub revoked_by: Option<String>,
    /// `x_mitre_version`.
    pub version: Option<String>,
    pub platforms: Vec<String>,
    /// The STIX `modified` stamp: of two copies of one id (two bundles,
    /// or a bundle and its update), the newer one is kept.
    pub modified: String,
}

impl Technique {
    pub fn is_subtechnique(&self) -> bool {
        self.parent.is_some()
    }
}

/// What kind of object an [`Entity`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EntityKind {
    /// An `intrusion-set` (`G0032`).
    Group,
    /// Software: `malware` (`S0002`).
    Malware,
    /// Software: `tool`.
    Tool,
}

/// A group or a piece of software.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Entity {
    pub id: String,
    pub name: String,
    pub kind: EntityKind,
    /// The domains whose bundles list it.
    pub domains: Vec<Domain>,
    pub url: Option<String>,
    pub deprecated: bool,
    pub revoked: bool,
    pub revoked_by: Option<String>,
    pub modified: String,
}

impl Entity {
    pub fn is_software(&self) -> bool {
        matches!(self.kind, EntityKind::Malware | EntityKind::Tool)
    }
}

/// Where something is in a bundle or a list of records.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Location {
    /// The object's position in the bundle's `objects`, or the record's
    /// position in the list.
    pub index: Option<usize>,
    /// The STIX id of the object, or the record's id.
    pub id: Option<String>,
    /// The JSON path (`objects[17].kill_chain_phases[0].phase_name`, or
    /// for a record `kill_chain_phases[0].phase_name`).
    pub path: String,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            f.write_str("the bundle")?;
        } else {
            f.write_str(&self.path)?;
        }
        if let Some(id) = &self.id {
            write!(f, " (object {id})")?;
        }
        Ok(())
    }
}

/// Why a bundle or records could not be read.
#[derive(Debug, thiserror::Error)]
pub enum AttackError {
    #[error("reading {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    File {
        path: PathBuf,
        source: Box<AttackError>,
    },
    #[error("{dir}: no ATT&CK STIX bundle (a `.json` or `.json.gz` file holding a bundle)")]
    NoBundle { dir: PathBuf },
    #[error("the gzip stream cannot be read: {reason}")]
    Gzip { reason: String },
    #[error("the bundle is larger than {limit} bytes once decompressed")]
    TooLarge { limit: u64 },
    #[error("invalid JSON at line {line} column {column}, {at}: {reason}")]
    Json {
        at: Location,
        line: usize,
        column: usize,
        reason: String,
    },
    #[error("not a STIX bundle: {0}")]
    NotABundle(String),
    #[error("{at}: {reason}")]
    Invalid { at: Location, reason: String },
}

/// A part of a bundle that was passed over, and why (a kill-chain phase
/// that names no tactic of the bundle).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub at: Location,
    pub message: String,
}

impl std::fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.at, self.message)
    }
}

/// The techniques, tactics, groups and software of one or more ATT&CK
/// bundles, looked up by ATT&CK id (case-insensitive).
#[derive(Clone, Debug, Default)]
pub struct Matrix {
    techniques: BTreeMap<String, Technique>,
    tactics: BTreeMap<String, Tactic>,
    entities: BTreeMap<String, Entity>,
    domains: BTreeSet<Domain>,
    diagnostics: Vec<Diagnostic>,
}

impl Matrix {
    /// Reads one STIX 2.0 or 2.1 bundle, plain or gzip-compressed.
    pub fn from_bundle(bytes: &[u8]) -> Result<Matrix, AttackError> {
        let bytes = decompress(bytes)?;
        let text = strip_bom(&bytes);
        // Read without tracking the path (a third faster); a document
        // that fails is read again to say where.
        let bundle: RawBundle<'_> = match serde_json::from_slice(text) {
            Ok(b) => b,
            Err(_) => {
                let mut de = serde_json::Deserializer::from_slice(text);
                let e = match serde_path_to_error::deserialize::<_, RawBundle<'_>>(&mut de) {
                    Ok(_) => return Err(AttackError::NotABundle("it could not be read".into())),
                    Err(e) => e,
                };
                return Err(json_error(text, e));
            }
        };
        match bundle.kind.as_deref() {
            Some("bundle") => {}
            Some(other) => {
                return Err(AttackError::NotABundle(format!(
                    "its `type` is `{other}`, not `bundle`"
                )));
            }
            None => return Err(AttackError::NotABundle("it has no `type`".into())),
        }
        if let Some(v) = bundle.spec_version.as_deref()
            && !matches!(v, "2.0" | "2.1")
        {
            return Err(AttackError::Invalid {
                at: Location {
                    path: "spec_version".into(),
                    ..Location::default()
                },
                reason: format!("STIX {v} is not read (2.0 and 2.1 are)"),
            });
        }
        let objects = bundle.objects.unwrap_or_default();
        build(
            objects
                .iter()
                .enumerate()
                .map(|(i, o)| (Source::Bundle(i), o)),
        )
    }

    /// Rebuilds a matrix from the feed records medsec stores (id and
    /// text: one trimmed STIX object each, see the module's
    /// documentation).
    pub fn from_records<I, K, T>(records: I) -> Result<Matrix, AttackError>
    where
        I: IntoIterator<Item = (K, T)>,
        K: AsRef<str>,
        T: AsRef<str>,
    {
        let records: Vec<(K, T)> = records.into_iter().collect();
        let mut objects = Vec::with_capacity(records.len());
        for (i, (id, text)) in records.iter().enumerate() {
            let mut de = serde_json::Deserializer::from_str(text.as_ref());
            let object: RawObject<'_> = serde_path_to_error::deserialize(&mut de).map_err(|e| {
                let path = e.path().to_string();
                let inner = e.into_inner();
                AttackError::Json {
                    at: Location {
                        index: Some(i),
                        id: Some(id.as_ref().to_owned()),
                        path: if path == "." { String::new() } else { path },
                    },
                    line: inner.line(),
                    column: inner.column(),
                    reason: inner.to_string(),
                }
            })?;
            objects.push((Source::Record(i, id.as_ref()), object));
        }
        build(objects.iter().map(|(s, o)| (*s, o)))
    }

    /// Adds another matrix's objects. Of two objects with one id, the one
    /// neither revoked nor deprecated wins, then the newer (`modified`);
    /// a group or software listed by two domains' bundles gets both.
    pub fn merge(&mut self, other: Matrix) {
        for (id, t) in other.techniques {
            insert_preferred(&mut self.techniques, id, t, |t| {
                (!t.revoked && !t.deprecated, t.modified.clone())
            });
        }
        for (id, t) in other.tactics {
            insert_preferred(&mut self.tactics, id, t, |t| {
                (!t.revoked && !t.deprecated, t.modified.clone())
            });
        }
        for (_, e) in other.entities {
            insert_entity(&mut self.entities, e);
        }
        self.domains.extend(other.domains);
        self.diagnostics.extend(other.diagnostics);
    }

    /// A technique by id (`T1059.001`, `t0800`).
    pub fn technique(&self, id: &str) -> Option<&Technique> {
        self.techniques.get(&id.trim().to_ascii_uppercase())
    }

    /// A tactic by id (`TA0002`).
    pub fn tactic(&self, id: &str) -> Option<&Tactic> {
        self.tactics.get(&id.trim().to_ascii_uppercase())
    }

    /// The tactics with this shortname (`execution`: enterprise's TA0002
    /// and ICS's TA0104), in id order.
    pub fn tactics_named(&self, shortname: &str) -> Vec<&Tactic> {
        let wanted = shortname.trim();
        self.tactics
            .values()
            .filter(|t| t.shortname.eq_ignore_ascii_case(wanted))
            .collect()
    }

    /// A group or piece of software by id (`G0032`, `S0002`).
    pub fn entity(&self, id: &str) -> Option<&Entity> {
        self.entities.get(&id.trim().to_ascii_uppercase())
    }

    pub fn techniques(&self) -> impl Iterator<Item = &Technique> {
        self.techniques.values()
    }

    pub fn tactics(&self) -> impl Iterator<Item = &Tactic> {
        self.tactics.values()
    }

    pub fn entities(&self) -> impl Iterator<Item = &Entity> {
        self.entities.values()
    }

    /// The domains of the techniques and tactics read.
    pub fn domains(&self) -> impl Iterator<Item = Domain> + '_ {
        self.domains.iter().copied()
    }

    /// What was passed over while reading.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    pub fn is_empty(&self) -> bool {
        self.techniques.is_empty() && self.tactics.is_empty() && self.entities.is_empty()
    }

    /// The `attack.*` tags among `tags`, each once (case-insensitively),
    /// in order, with what it names. Other namespaces (`cve.`, `tlp.`,
    /// `detection.`) are left out.
    pub fn resolve_tags(&self, tags: &[String]) -> Vec<TagRef<'_>> {
        let has_groups = self.entities.values().any(|e| e.kind == EntityKind::Group);
        let has_software = self.entities.values().any(Entity::is_software);
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for tag in tags {
            let tag = tag.trim();
            let Some(rest) = strip_prefix_ignore_case(tag, "attack.") else {
                continue;
            };
            if rest.is_empty() || !seen.insert(tag.to_ascii_lowercase()) {
                continue;
            }
            let kind = TagKind::of(rest);
            let target = match kind {
                TagKind::Technique => match self.technique(rest) {
                    Some(t) => Target::Technique(t),
                    None => Target::Unknown(kind),
                },
                TagKind::Group | TagKind::Software => {
                    let loaded = if kind == TagKind::Group {
                        has_groups
                    } else {
                        has_software
                    };
                    match self.entity(rest) {
                        Some(e) if (kind == TagKind::Group) == (e.kind == EntityKind::Group) => {
                            if kind == TagKind::Group {
                                Target::Group(e)
                            } else {
                                Target::Software(e)
                            }
                        }
                        _ if !loaded => Target::Unchecked(kind),
                        _ => Target::Unknown(kind),
                    }
                }
                TagKind::Tactic => {
                    let found = self.tactics_named(rest);
                    if found.is_empty() {
                        Target::Unknown(kind)
                    } else {
                        Target::Tactic(found)
                    }
                }
                TagKind::Other => Target::Unchecked(kind),
            };
            out.push(TagRef {
                tag: tag.to_owned(),
                target,
            });
        }
        out
    }

    /// The techniques the tags name, in order, once each (unknown ones
    /// left out).
    pub fn techniques_of(&self, tags: &[String]) -> Vec<&Technique> {
        let mut out: Vec<&Technique> = Vec::new();
        for r in self.resolve_tags(tags) {
            if let Target::Technique(t) = r.target
                && !out.iter().any(|o| o.id == t.id)
            {
                out.push(t);
            }
        }
        out
    }
}

/// What an `attack.*` tag refers to, by its form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TagKind {
    /// `attack.t1059.001`, `attack.t0800`.
    Technique,
    /// `attack.execution`.
    Tactic,
    /// `attack.g0032`.
    Group,
    /// `attack.s0002`.
    Software,
    /// Data sources (`ds`), mitigations (`m`), assets (`a`), campaigns
    /// (`c`), tactic ids (`ta`): not held by [`Matrix`].
    Other,
}

impl TagKind {
    /// By the part after `attack.`: a letter prefix followed by a digit
    /// is an id, anything else a tactic's shortname.
    fn of(rest: &str) -> TagKind {
        let prefix: String = rest
            .chars()
            .take_while(char::is_ascii_alphabetic)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let after_digit = rest
            .chars()
            .nth(prefix.chars().count())
            .is_some_and(|c| c.is_ascii_digit());
        if !after_digit {
            return TagKind::Tactic;
        }
        match prefix.as_str() {
            "t" => TagKind::Technique,
            "g" => TagKind::Group,
            "s" => TagKind::Software,
            _ => TagKind::Other,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TagKind::Technique => "technique",
            TagKind::Tactic => "tactic",
            TagKind::Group => "group",
            TagKind::Software => "software",
            TagKind::Other => "other",
        }
    }
}

/// One `attack.*` tag and what it names.
#[derive(Clone, Debug, PartialEq)]
pub struct TagRef<'m> {
    pub tag: String,
    pub target: Target<'m>,
}

/// What a tag names in a [`Matrix`].
#[derive(Clone, Debug, PartialEq)]
pub enum Target<'m> {
    Technique(&'m Technique),
    /// Every domain's tactic with the shortname.
    Tactic(Vec<&'m Tactic>),
    Group(&'m Entity),
    Software(&'m Entity),
    /// Nothing of that kind has the id or shortname.
    Unknown(TagKind),
    /// A kind the matrix does not hold, so not checked.
    Unchecked(TagKind),
}

/// What is wrong with a tag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// It names nothing: `kind` is what its form says it names.
    Unknown { kind: TagKind },
    Deprecated {
        kind: TagKind,
        id: String,
        name: String,
    },
    Revoked {
        kind: TagKind,
        id: String,
        name: String,
        by: Option<String>,
    },
}

impl Problem {
    /// `unknown`, `deprecated` or `revoked`.
    pub fn code(&self) -> &'static str {
        match self {
            Problem::Unknown { .. } => "unknown",
            Problem::Deprecated { .. } => "deprecated",
            Problem::Revoked { .. } => "revoked",
        }
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Unknown { kind } => write!(f, "names no ATT&CK {}", kind.as_str()),
            Problem::Deprecated { kind, id, name } => {
                write!(f, "names a deprecated {} ({id} {name})", kind.as_str())
            }
            Problem::Revoked { kind, id, name, by } => {
                write!(f, "names a revoked {} ({id} {name})", kind.as_str())?;
                if let Some(by) = by {
                    write!(f, ", replaced by {by}")?;
                }
                Ok(())
            }
        }
    }
}

impl TagRef<'_> {
    /// Whether the tag names nothing, or something deprecated or revoked.
    pub fn problem(&self) -> Option<Problem> {
        let (kind, id, name, deprecated, revoked, by) = match &self.target {
            Target::Technique(t) => (
                TagKind::Technique,
                &t.id,
                &t.name,
                t.deprecated,
                t.revoked,
                &t.revoked_by,
            ),
            Target::Group(e) | Target::Software(e) => (
                if e.kind == EntityKind::Group {
                    TagKind::Group
                } else {
                    TagKind::Software
                },
                &e.id,
                &e.name,
                e.deprecated,
                e.revoked,
                &e.revoked_by,
            ),
            Target::Tactic(list) => {
                // A shortname is fine while one domain's tactic is.
                if list.iter().all(|t| t.deprecated || t.revoked)
                    && let Some(t) = list.first()
                {
                    return Some(Problem::Deprecated {
                        kind: TagKind::Tactic,
                        id: t.id.clone(),
                        name: t.name.clone(),
                    });
                }
                return None;
            }
            Target::Unknown(kind) => return Some(Problem::Unknown { kind: *kind }),
            Target::Unchecked(_) => return None,
        };
        if revoked {
            Some(Problem::Revoked {
                kind,
                id: id.clone(),
                name: name.clone(),
                by: by.clone(),
            })
        } else if deprecated {
            Some(Problem::Deprecated {
                kind,
                id: id.clone(),
                name: name.clone(),
            })
        } else {
            None
        }
    }
}

/// A rule tag that names nothing in the matrix, or something deprecated
/// or revoked: a warning for the rule's author.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TagWarning {
    pub path: PathBuf,
    /// The line of the rule's `title:` (see [`tag_line`] for the tag's).
    pub line: Option<usize>,
    pub rule: String,
    pub tag: String,
    #[serde(serialize_with = "problem_code")]
    pub problem: Problem,
    /// The problem in words.
    pub message: String,
}

fn problem_code<S: serde::Serializer>(p: &Problem, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(p.code())
}

/// The tags of every loaded rule and correlation of `set` that name
/// nothing, or a deprecated or revoked object, in rule order.
pub fn check_tags(set: &crate::RuleSet, matrix: &Matrix) -> Vec<TagWarning> {
    let rules = set
        .rules
        .iter()
        .map(|(r, o)| (&r.title, &r.tags, o))
        .chain(set.correlations.iter().map(|(c, o)| (&c.title, &c.tags, o)));
    let mut out = Vec::new();
    for (title, tags, origin) in rules {
        for r in matrix.resolve_tags(tags) {
            if let Some(problem) = r.problem() {
                out.push(TagWarning {
                    path: origin.path.clone(),
                    line: origin.line,
                    rule: title.clone(),
                    message: problem.to_string(),
                    tag: r.tag,
                    problem,
                });
            }
        }
    }
    out
}

/// The 1-based line of a rule file's text that lists `tag` (`- tag`,
/// quoted or not, or inside a flow list), the first at or after line
/// `from` (the rule's `title:`) when there is one there.
pub fn tag_line(text: &str, tag: &str, from: Option<usize>) -> Option<usize> {
    let tag = tag.trim();
    let listed = |line: &str| {
        let item = line.trim_start();
        match item.strip_prefix('-') {
            Some(rest) => rest
                .trim()
                .trim_matches(['\'', '"'])
                .eq_ignore_ascii_case(tag),
            None => {
                item.starts_with("tags:")
                    && item
                        .to_ascii_lowercase()
                        .contains(&tag.to_ascii_lowercase())
            }
        }
    };
    let lines: Vec<usize> = text
        .lines()
        .enumerate()
        .filter(|(_, l)| listed(l))
        .map(|(i, _)| i + 1)
        .collect();
    let from = from.unwrap_or(1);
    lines
        .iter()
        .find(|&&n| n >= from)
        .or_else(|| lines.first())
        .copied()
}

/// Reads every ATT&CK bundle of a directory (`*.json` and `*.json.gz`
/// files holding a STIX bundle, in name order; other files such as
/// `index.json` are passed over), or one bundle file, into one matrix.
pub fn load_dir(path: &Path) -> Result<Matrix, AttackError> {
    let io = |source| AttackError::Io {
        path: path.to_owned(),
        source,
    };
    let in_file = |p: &Path, e: AttackError| AttackError::File {
        path: p.to_owned(),
        source: Box::new(e),
    };
    if !std::fs::metadata(path).map_err(io)?.is_dir() {
        let bytes = read_file(path)?;
        return Matrix::from_bundle(&bytes).map_err(|e| in_file(path, e));
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(path)
        .and_then(|rd| rd.collect::<std::io::Result<Vec<_>>>())
        .map_err(io)?
        .into_iter()
        .map(|e| e.path())
        .filter(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().to_ascii_lowercase())
                .unwrap_or_default();
            !name.starts_with('.') && (name.ends_with(".json") || name.ends_with(".json.gz"))
        })
        .collect();
    files.sort();
    let mut matrix: Option<Matrix> = None;
    for file in files {
        let bytes = read_file(&file)?;
        let plain = decompress(&bytes).map_err(|e| in_file(&file, e))?;
        if !looks_like_bundle(&plain) {
            continue;
        }
        let m = Matrix::from_bundle(&plain).map_err(|e| in_file(&file, e))?;
        match &mut matrix {
            Some(all) => all.merge(m),
            None => matrix = Some(m),
        }
    }
    matrix.ok_or_else(|| AttackError::NoBundle {
        dir: path.to_owned(),
    })
}

fn read_file(path: &Path) -> Result<Vec<u8>, AttackError> {
    std::fs::read(path).map_err(|source| AttackError::Io {
        path: path.to_owned(),
        source,
    })
}

/// Whether the document's first top-level `type` is `bundle`, judged on
/// its first 64 KiB (a bundle's `type` comes first in practice, and the
/// ATT&CK collection index has none).
pub fn looks_like_bundle(bytes: &[u8]) -> bool {
    let head = bytes.get(..bytes.len().min(64 << 10)).unwrap_or_default();
    let head = String::from_utf8_lossy(head);
    let mut rest = head.as_ref();
    while let Some(at) = rest.find("\"type\"") {
        let after = rest.get(at + 6..).unwrap_or_default().trim_start();
        if let Some(value) = after.strip_prefix(':') {
            return value.trim_start().starts_with("\"bundle\"");
        }
        rest = after;
    }
    false
}

/// The bytes, gunzipped when they are a gzip stream.
fn decompress(bytes: &[u8]) -> Result<Cow<'_, [u8]>, AttackError> {
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        if bytes.len() as u64 > MAX_BUNDLE_BYTES {
            return Err(AttackError::TooLarge {
                limit: MAX_BUNDLE_BYTES,
            });
        }
        return Ok(Cow::Borrowed(bytes));
    }
    let mut out = Vec::with_capacity(bytes.len().saturating_mul(5));
    flate2::read::MultiGzDecoder::new(bytes)
        .take(MAX_BUNDLE_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|e| AttackError::Gzip {
            reason: e.to_string(),
        })?;
    if out.len() as u64 > MAX_BUNDLE_BYTES {
        return Err(AttackError::TooLarge {
            limit: MAX_BUNDLE_BYTES,
        });
    }
    Ok(Cow::Owned(out))
}

fn strip_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes)
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) {
        s.get(prefix.len()..)
    } else {
        None
    }
}

/// A JSON error with its path, object index and (when the document is
/// readable JSON) the object's id.
fn json_error(text: &[u8], e: serde_path_to_error::Error<serde_json::Error>) -> AttackError {
    let path = e.path().clone();
    let inner = e.into_inner();
    let mut segments = path.iter();
    let index = match (segments.next(), segments.next()) {
        (
            Some(serde_path_to_error::Segment::Map { key }),
            Some(serde_path_to_error::Segment::Seq { index }),
        ) if key == "objects" => Some(*index),
        _ => None,
    };
    let id = index.and_then(|i| {
        let ids: IdsOnly = serde_json::from_slice(text).ok()?;
        ids.objects.into_iter().nth(i)?.id
    });
    let path = path.to_string();
    AttackError::Json {
        at: Location {
            index,
            id,
            path: if path == "." { String::new() } else { path },
        },
        line: inner.line(),
        column: inner.column(),
        reason: inner.to_string(),
    }
}

#[derive(Deserialize)]
struct IdsOnly {
    #[serde(default)]
    objects: Vec<IdOnly>,
}

#[derive(Deserialize)]
struct IdOnly {
    id: Option<String>,
}

type Str<'a> = Cow<'a, str>;

#[derive(Deserialize)]
struct RawBundle<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Str<'a>>,
    #[serde(borrow)]
    spec_version: Option<Str<'a>>,
    #[serde(borrow)]
    objects: Option<Vec<RawObject<'a>>>,
}

/// The properties of a STIX object that are read; serde passes over the
/// others (descriptions, citations) without keeping them.
#[derive(Deserialize)]
struct RawObject<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<Str<'a>>,
    #[serde(borrow)]
    id: Option<Str<'a>>,
    #[serde(borrow)]
    spec_version: Option<Str<'a>>,
    #[serde(borrow)]
    name: Option<Str<'a>>,
    #[serde(borrow)]
    modified: Option<Str<'a>>,
    revoked: Option<bool>,
    x_mitre_deprecated: Option<bool>,
    #[serde(borrow)]
    x_mitre_version: Option<Str<'a>>,
    #[serde(borrow)]
    x_mitre_domains: Option<Vec<Str<'a>>>,
    #[serde(borrow)]
    x_mitre_platforms: Option<Vec<Str<'a>>>,
    #[serde(borrow)]
    x_mitre_shortname: Option<Str<'a>>,
    #[serde(borrow)]
    kill_chain_phases: Option<Vec<RawPhase<'a>>>,
    #[serde(borrow)]
    external_references: Option<Vec<RawReference<'a>>>,
    #[serde(borrow)]
    relationship_type: Option<Str<'a>>,
    #[serde(borrow)]
    source_ref: Option<Str<'a>>,
    #[serde(borrow)]
    target_ref: Option<Str<'a>>,
    /// Set by medsec's feed records in place of the relationship.
    #[serde(borrow)]
    x_medsec_revoked_by: Option<Str<'a>>,
}

#[derive(Deserialize)]
struct RawPhase<'a> {
    #[serde(borrow)]
    kill_chain_name: Str<'a>,
    #[serde(borrow)]
    phase_name: Str<'a>,
}

#[derive(Deserialize)]
struct RawReference<'a> {
    #[serde(borrow)]
    source_name: Option<Str<'a>>,
    #[serde(borrow)]
    external_id: Option<Str<'a>>,
    #[serde(borrow)]
    url: Option<Str<'a>>,
}

/// Where an object came from, for messages.
#[derive(Clone, Copy)]
enum Source<'r> {
    Bundle(usize),
    Record(usize, &'r str),
}

impl Source<'_> {
    fn at(self, object: &RawObject<'_>, field: &str) -> Location {
        match self {
            Source::Bundle(i) => Location {
                index: Some(i),
                id: object.id.as_deref().map(str::to_owned),
                path: if field.is_empty() {
                    format!("objects[{i}]")
                } else {
                    format!("objects[{i}].{field}")
                },
            },
            Source::Record(i, id) => Location {
                index: Some(i),
                id: Some(id.to_owned()),
                path: field.to_owned(),
            },
        }
    }
}

/// The ATT&CK reference of an object: its index among the external
/// references, the id, the URL and the domain its source name implies.
struct AttackRef<'o> {
    index: usize,
    id: &'o str,
    url: Option<&'o str>,
    domain: Domain,
}

fn attack_ref<'o>(object: &'o RawObject<'_>) -> Option<AttackRef<'o>> {
    object
        .external_references
        .iter()
        .flatten()
        .enumerate()
        .find_map(|(index, r)| {
            let domain = Domain::from_source_name(r.source_name.as_deref()?)?;
            Some(AttackRef {
                index,
                id: r.external_id.as_deref()?,
                url: r.url.as_deref(),
                domain,
            })
        })
}

/// The object's domains: `x_mitre_domains`, else the one its reference's
/// source name implies.
fn domains_of(object: &RawObject<'_>, fallback: Domain) -> Vec<Domain> {
    let mut out: Vec<Domain> = object
        .x_mitre_domains
        .iter()
        .flatten()
        .filter_map(|d| Domain::from_stix(d))
        .collect();
    out.dedup();
    if out.is_empty() {
        out.push(fallback);
    }
    out
}

fn is_digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

/// `T1234` or `T1234.567`.
fn is_technique_id(id: &str) -> bool {
    let Some(rest) = id.strip_prefix('T') else {
        return false;
    };
    match rest.split_once('.') {
        Some((main, sub)) => is_digits(main, 4) && is_digits(sub, 3),
        None => is_digits(rest, 4),
    }
}

/// `TA0002`.
fn is_tactic_id(id: &str) -> bool {
    id.strip_prefix("TA").is_some_and(|d| is_digits(d, 4))
}

/// `G0032`, `S0002`.
fn is_entity_id(id: &str, letter: char) -> bool {
    id.strip_prefix(letter).is_some_and(|d| is_digits(d, 4))
}

fn check_version(source: Source<'_>, object: &RawObject<'_>) -> Result<(), AttackError> {
    match object.spec_version.as_deref() {
        None | Some("2.0" | "2.1") => Ok(()),
        Some(v) => Err(AttackError::Invalid {
            at: source.at(object, "spec_version"),
            reason: format!("STIX {v} is not read (2.0 and 2.1 are)"),
        }),
    }
}

fn owned_list(list: &Option<Vec<Str<'_>>>) -> Vec<String> {
    list.iter()
        .flatten()
        .map(|s| s.as_ref().to_owned())
        .collect()
}

/// A technique whose tactics are not resolved yet.
struct Pending<'o, 'r> {
    source: Source<'r>,
    object: &'o RawObject<'o>,
    technique: Technique,
    stix_id: Option<&'o str>,
}

fn build<'o, 'r>(
    objects: impl Iterator<Item = (Source<'r>, &'o RawObject<'o>)>,
) -> Result<Matrix, AttackError> {
    let mut matrix = Matrix::default();
    // STIX id → ATT&CK id, and revoked-by relationships (source → target),
    // for the revoking objects' ATT&CK ids.
    let mut attack_ids: HashMap<&'o str, String> = HashMap::new();
    let mut revoked_by: HashMap<&'o str, &'o str> = HashMap::new();
    let mut pending: Vec<Pending<'o, 'r>> = Vec::new();
    let mut entities: Vec<(Option<&'o str>, Entity)> = Vec::new();
    for (source, object) in objects {
        check_version(source, object)?;
        let kind = object.kind.as_deref().unwrap_or_default();
        if kind == "relationship" {
            if object.relationship_type.as_deref() == Some("revoked-by")
                && let (Some(s), Some(t)) =
                    (object.source_ref.as_deref(), object.target_ref.as_deref())
            {
                revoked_by.insert(s, t);
            }
            continue;
        }
        let entity_kind = match kind {
            "attack-pattern" | "x-mitre-tactic" => None,
            "intrusion-set" => Some(EntityKind::Group),
            "malware" => Some(EntityKind::Malware),
            "tool" => Some(EntityKind::Tool),
            _ => continue,
        };
        // Objects without an ATT&CK id (another source's) are not ATT&CK's.
        let Some(r) = attack_ref(object) else {
            continue;
        };
        let id_path = format!("external_references[{}].external_id", r.index);
        let invalid = |field: &str, reason: String| AttackError::Invalid {
            at: source.at(object, field),
            reason,
        };
        let name = || {
            object
                .name
                .as_deref()
                .map(str::to_owned)
                .ok_or_else(|| invalid("name", format!("{} has no `name`", r.id)))
        };
        let stix_id = object.id.as_deref();
        if let Some(s) = stix_id {
            attack_ids.insert(s, r.id.to_owned());
        }
        let deprecated = object.x_mitre_deprecated.unwrap_or(false);
        let revoked = object.revoked.unwrap_or(false);
        let modified = object.modified.as_deref().unwrap_or_default().to_owned();
        let domains = domains_of(object, r.domain);
        let domain = domains.first().copied().unwrap_or(r.domain);
        match (kind, entity_kind) {
            ("x-mitre-tactic", _) => {
                if !is_tactic_id(r.id) {
                    return Err(invalid(
                        &id_path,
                        format!("`{}` is not a tactic id (TA and four digits)", r.id),
                    ));
                }
                let shortname = object.x_mitre_shortname.as_deref().ok_or_else(|| {
                    invalid(
                        "x_mitre_shortname",
                        format!("tactic {} has no `x_mitre_shortname`", r.id),
                    )
                })?;
                let tactic = Tactic {
                    id: r.id.to_owned(),
                    shortname: shortname.to_owned(),
                    name: name()?,
                    domain,
                    deprecated,
                    revoked,
                    modified,
                };
                matrix.domains.insert(domain);
                insert_preferred(&mut matrix.tactics, tactic.id.clone(), tactic, |t| {
                    (!t.revoked && !t.deprecated, t.modified.clone())
                });
            }
            ("attack-pattern", _) => {
                if !is_technique_id(r.id) {
                    return Err(invalid(
                        &id_path,
                        format!(
                            "`{}` is not a technique id (T and four digits, and a dot and three for a sub-technique)",
                            r.id
                        ),
                    ));
                }
                let parent = r.id.split_once('.').map(|(p, _)| p.to_owned());
                let technique = Technique {
                    id: r.id.to_owned(),
                    name: name()?,
                    domain,
                    tactics: Vec::new(),
                    parent,
                    url: r.url.map(str::to_owned),
                    deprecated,
                    revoked,
                    revoked_by: object.x_medsec_revoked_by.as_deref().map(str::to_owned),
                    version: object.x_mitre_version.as_deref().map(str::to_owned),
                    platforms: owned_list(&object.x_mitre_platforms),
                    modified,
                };
                pending.push(Pending {
                    source,
                    object,
                    technique,
                    stix_id,
                });
            }
            (_, Some(entity_kind)) => {
                let letter = if entity_kind == EntityKind::Group {
                    'G'
                } else {
                    'S'
                };
                if !is_entity_id(r.id, letter) {
                    return Err(invalid(
                        &id_path,
                        format!("`{}` is not a {kind} id ({letter} and four digits)", r.id),
                    ));
                }
                entities.push((
                    stix_id,
                    Entity {
                        id: r.id.to_owned(),
                        name: name()?,
                        kind: entity_kind,
                        domains,
                        url: r.url.map(str::to_owned),
                        deprecated,
                        revoked,
                        revoked_by: object.x_medsec_revoked_by.as_deref().map(str::to_owned),
                        modified,
                    },
                ));
            }
            _ => {}
        }
    }
    let by_phase: HashMap<(Domain, &str), &Tactic> = matrix
        .tactics
        .values()
        .map(|t| ((t.domain, t.shortname.as_str()), t))
        .collect();
    let revoker = |stix_id: Option<&str>| {
        let target = revoked_by.get(stix_id?)?;
        attack_ids.get(target).cloned()
    };
    let mut techniques: Vec<Technique> = Vec::with_capacity(pending.len());
    for p in pending {
        let Pending {
            source,
            object,
            mut technique,
            stix_id,
        } = p;
        for (i, phase) in object.kill_chain_phases.iter().flatten().enumerate() {
            let Some(domain) = Domain::from_kill_chain(&phase.kill_chain_name) else {
                continue;
            };
            match by_phase.get(&(domain, phase.phase_name.as_ref())) {
                Some(t) => {
                    if !technique.tactics.iter().any(|x| x.id == t.id) {
                        technique.tactics.push((*t).clone());
                    }
                }
                None => matrix.diagnostics.push(Diagnostic {
                    at: source.at(object, &format!("kill_chain_phases[{i}].phase_name")),
                    message: format!(
                        "{} names the {domain} tactic `{}`, which the bundle does not have",
                        technique.id, phase.phase_name
                    ),
                }),
            }
        }
        if technique.revoked_by.is_none() {
            technique.revoked_by = revoker(stix_id);
        }
        matrix.domains.insert(technique.domain);
        techniques.push(technique);
    }
    for t in techniques {
        insert_preferred(&mut matrix.techniques, t.id.clone(), t, |t| {
            (!t.revoked && !t.deprecated, t.modified.clone())
        });
    }
    for (stix_id, mut e) in entities {
        if e.revoked_by.is_none() {
            e.revoked_by = revoker(stix_id);
        }
        insert_entity(&mut matrix.entities, e);
    }
    Ok(matrix)
}

/// Inserts `value` unless an entry of the same id ranks higher.
fn insert_preferred<T, R: Ord>(
    map: &mut BTreeMap<String, T>,
    id: String,
    value: T,
    rank: impl Fn(&T) -> R,
) {
    match map.get(&id) {
        Some(old) if rank(old) >= rank(&value) => {}
        _ => {
            map.insert(id, value);
        }
    }
}

fn entity_rank(e: &Entity) -> (bool, String) {
    (!e.revoked && !e.deprecated, e.modified.clone())
}

/// As [`insert_preferred`]; the same object from two domains' bundles
/// (same name) keeps both domains.
fn insert_entity(map: &mut BTreeMap<String, Entity>, mut e: Entity) {
    if let Some(old) = map.get(&e.id)
        && old.name == e.name
    {
        for d in &old.domains {
            if !e.domains.contains(d) {
                e.domains.push(*d);
            }
        }
        e.domains.sort();
        if let Some(old) = map.get_mut(&e.id)
            && entity_rank(old) >= entity_rank(&e)
        {
            old.domains = e.domains;
            return;
        }
    }
    insert_preferred(map, e.id.clone(), e, entity_rank);
}

#[cfg(test)]
mod tests;
