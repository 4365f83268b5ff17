//! Postmarket work as users do it, for the UI, the API and the CLI: the
//! offline vulnerability database (feed imports, the index built from the
//! stored records) and the matching of SBOMs against it.

use std::path::Path;
use std::sync::Arc;

use medsec_core::Timestamp;
use medsec_core::audit::{Action, Outcome};
use medsec_store::feeds::{FeedImportRow, FeedRecordRow, KeyedRecords, NewFeedRecord};
use medsec_store::releases::{
    ComponentRow, MatchChange, NewFinding, NewRelease, NewSbom, ReleaseRow,
};
use medsec_store::vex::AliasRuleRow;
use sha2::Digest;

use crate::assure::By;
use medsec_store::{AuditEntry, Store};
use medsec_vulndb::feed::{self, FeedFile, Limits, Skipped};
use medsec_vulndb::{Advisory, Database, Kind, Record, keys};

use crate::error::{Error, Result};

/// What happened to one feed file.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FileOutcome {
    pub path: String,
    pub kind: &'static str,
    pub records: u64,
    pub added: u64,
    pub changed: u64,
    pub unchanged: u64,
    /// Why the file was not imported (nothing of it was kept).
    pub error: Option<String>,
}

/// The result of `medsec feeds import`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ImportSummary {
    pub id: String,
    pub files: Vec<FileOutcome>,
    pub skipped: Vec<(String, &'static str)>,
    pub added: u64,
    pub changed: u64,
    pub unchanged: u64,
    pub failed: u64,
    /// (kind, id) of every added or changed record: what a re-match
    /// must look at.
    #[serde(skip)]
    pub touched: Vec<(String, String)>,
    pub seconds: f64,
}

/// Progress of an import, for a progress bar.
#[derive(Clone, Debug)]
pub struct ImportProgress<'a> {
    pub file: usize,
    pub files: usize,
    pub path: &'a Path,
    pub records: u64,
}

/// Reads every feed file under `path` and stores its records. A file is
/// stored whole or not at all; one bad file does not stop the others.
pub async fn import_feeds(
    store: &Store,
    path: &Path,
    actor: &str,
    source: &str,
    progress: &mut (dyn FnMut(ImportProgress<'_>) + Send),
) -> Result<ImportSummary> {
    let started = Timestamp::now();
    let clock = std::time::Instant::now();
    let root = path.to_owned();
    let (files, skipped) = tokio::task::spawn_blocking(move || feed::discover(&root))
        .await
        .map_err(|e| Error::Internal(e.to_string()))?
        .map_err(|e| Error::BadRequest {
            code: "feed-path",
            detail: e.to_string(),
        })?;
    // Without records the keys are complete, and this import keeps them so.
    store.start_feed_keys(keys::VERSION).await?;
    let mut known = store.feed_digests().await?;
    let id = medsec_core::new_id();
    let mut summary = ImportSummary {
        id: id.clone(),
        files: Vec::new(),
        skipped: skipped
            .iter()
            .map(|Skipped { path, reason }| (path.display().to_string(), *reason))
            .collect(),
        added: 0,
        changed: 0,
        unchanged: 0,
        failed: 0,
        touched: Vec::new(),
        seconds: 0.0,
    };
    let total = files.len();
    for (i, file) in files.into_iter().enumerate() {
        progress(ImportProgress {
            file: i,
            files: total,
            path: &file.path,
            records: 0,
        });
        let kind = file.format.kind().as_str();
        let display = file.path.display().to_string();
        let read = {
            let file = file.clone();
            tokio::task::spawn_blocking(move || read_checked(&file))
                .await
                .map_err(|e| Error::Internal(e.to_string()))?
        };
        let (records, keys) = match read {
            Ok(read) => read,
            Err(e) => {
                summary.failed += 1;
                summary.files.push(FileOutcome {
                    path: display,
                    kind,
                    records: 0,
                    added: 0,
                    changed: 0,
                    unchanged: 0,
                    error: Some(e.to_string()),
                });
                continue;
            }
        };
        let n = records.len() as u64;
        let wrote = store
            .write_feed_records_keyed(&id, &records, &keys, &mut known, Timestamp::now())
            .await?;
        progress(ImportProgress {
            file: i + 1,
            files: total,
            path: &file.path,
            records: n,
        });
        summary.added += wrote.added;
        summary.changed += wrote.changed;
        summary.unchanged += wrote.unchanged;
        summary.touched.extend(wrote.touched);
        summary.files.push(FileOutcome {
            path: display,
            kind,
            records: n,
            added: wrote.added,
            changed: wrote.changed,
            unchanged: wrote.unchanged,
            error: None,
        });
    }
    summary.seconds = clock.elapsed().as_secs_f64();
    let row = FeedImportRow {
        id,
        path: path.display().to_string(),
        actor: actor.to_owned(),
        started_at: started.0,
        finished_at: Timestamp::now().0,
        added: summary.added as i64,
        changed: summary.changed as i64,
        unchanged: summary.unchanged as i64,
        failed: summary.failed as i64,
        summary: serde_json::to_string(&summary).unwrap_or_default(),
    };
    let audit = AuditEntry {
        at: Timestamp::now(),
        org_id: None,
        actor_id: None,
        actor: actor.to_owned(),
        source: source.to_owned(),
        action: Action::FeedImported,
        outcome: if summary.failed == 0 {
            Outcome::Success
        } else {
            Outcome::Failure
        },
        target_kind: "",
        target_id: None,
        details: serde_json::json!({
            "path": row.path,
            "added": summary.added,
            "changed": summary.changed,
            "unchanged": summary.unchanged,
            "failed": summary.failed,
        }),
    };
    store.finish_feed_import(&row, audit).await?;
    // The records of this import have their lookup keys; records stored
    // without them (before the keys existed, by a restore) get them now,
    // so that scans need not.
    if !store.feed_keys_current(keys::VERSION).await? {
        fill_feed_keys(store, false).await?;
    }
    Ok(summary)
}

/// Reads a file's records and checks each parses, so that nothing is
/// stored that the index could not read back; with each record, its
/// lookup keys (`medsec_vulndb::keys`), from the same parse.
#[allow(clippy::type_complexity)]
fn read_checked(
    file: &FeedFile,
) -> std::result::Result<(Vec<NewFeedRecord>, Vec<Vec<String>>), medsec_vulndb::Error> {
    let mut out = Vec::new();
    let mut out_keys = Vec::new();
    feed::read(file, Limits::default(), &mut |record: Record| {
        let record_keys = match record.kind {
            Kind::Osv | Kind::Nvd | Kind::RustSec | Kind::Csaf => {
                keys::record(&Advisory::parse(&record)?)
            }
            Kind::Kev | Kind::Epss | Kind::Attack => Vec::new(),
        };
        out.push(NewFeedRecord {
            kind: record.kind.as_str().to_owned(),
            id: record.id.clone(),
            modified: record.modified.clone(),
            sha256: record.digest(),
            body: record.body,
            origin: record.origin,
        });
        out_keys.push(record_keys);
        Ok(())
    })?;
    if file.format.kind() == Kind::Attack {
        // The file's records must rebuild a matrix, as the loader will.
        medsec_detect::attack::Matrix::from_records(out.iter().map(|r| (&r.id, &r.body))).map_err(
            |e| medsec_vulndb::Error::Invalid {
                origin: file.path.display().to_string(),
                message: e.to_string(),
            },
        )?;
    }
    Ok((out, out_keys))
}

/// MITRE ATT&CK as the stored `attack` records hold it (`medsec feeds
/// import` of ATT&CK's STIX bundles): techniques, tactics, groups and
/// software by id, without the bundle files. Empty when none are stored.
pub async fn attack_matrix(store: &Store) -> Result<medsec_detect::attack::Matrix> {
    let mut records: Vec<(String, String)> = Vec::new();
    store
        .each_feed_record_of(Kind::Attack.as_str(), &mut |row| {
            records.push((row.id, row.body));
            Ok(())
        })
        .await?;
    medsec_detect::attack::Matrix::from_records(records)
        .map_err(|e| Error::Internal(format!("the stored ATT&CK records: {e}")))
}

/// Builds the index from every stored record.
pub async fn load_database(store: &Store) -> Result<Database> {
    let mut db = Database::new();
    let mut bad: Vec<String> = Vec::new();
    store
        .each_feed_record(&mut |row| {
            let Some(kind) = Kind::parse(&row.kind) else {
                return Ok(());
            };
            let record = Record {
                kind,
                id: row.id,
                modified: row.modified,
                body: row.body,
                origin: row.origin,
            };
            if let Err(e) = db.add_record(&record) {
                // A record this build cannot read (stored by another
                // version) is left out, and said.
                if bad.len() < 20 {
                    bad.push(e.to_string());
                }
            }
            Ok(())
        })
        .await?;
    for b in &bad {
        tracing::warn!(record = %b, "feed record left out of the index");
    }
    db.build();
    Ok(db)
}

/// A stored record as the feed record it is, if this build knows its kind.
fn record_of(row: FeedRecordRow) -> Option<Record> {
    Some(Record {
        kind: Kind::parse(&row.kind)?,
        id: row.id,
        modified: row.modified,
        body: row.body,
        origin: row.origin,
    })
}

/// The index for matching `components`, built from only the stored records
/// their lookup keys select ([`Store::feed_records_for_keys`]: the records
/// filed under the components' keys, every record of the same
/// vulnerabilities, and their KEV and EPSS records), which gives exactly
/// the findings of [`load_database`]'s index for these components, in a
/// fraction of the time. `None` when no record is stored.
///
/// When the stored keys are not complete (records from before migration
/// 0007, a restored backup, a new key version; feed imports fill them
/// too), this scan computes them for every record first, once, and
/// returns the whole index it built on the way; if they cannot be stored
/// (a read-only database), it uses the whole index.
pub async fn load_database_for(
    store: &Store,
    components: &[medsec_vulndb::Component],
) -> Result<Option<Database>> {
    let wanted = keys::components(components);
    match store.feed_records_for_keys(keys::VERSION, &wanted).await? {
        KeyedRecords::Empty => Ok(None),
        KeyedRecords::Records(rows) => {
            let mut db = Database::new();
            let mut bad: Vec<String> = Vec::new();
            for record in rows.into_iter().filter_map(record_of) {
                if let Err(e) = db.add_record(&record)
                    && bad.len() < 20
                {
                    bad.push(e.to_string());
                }
            }
            for b in &bad {
                tracing::warn!(record = %b, "feed record left out of the index");
            }
            db.build();
            Ok(Some(db))
        }
        KeyedRecords::Stale => match fill_feed_keys(store, true).await {
            Ok(db) => Ok(Some(db)),
            Err(e) => {
                tracing::warn!(error = %e, "could not store the feed lookup keys; matching with every record");
                load_database(store).await.map(Some)
            }
        },
    }
}

/// Computes and stores the lookup keys of every record
/// ([`Store::rebuild_feed_keys`]), and with `build` the index of every
/// record from the same parse (otherwise an empty one).
pub async fn fill_feed_keys(store: &Store, build: bool) -> Result<Database> {
    let clock = std::time::Instant::now();
    let mut db = Database::new();
    let mut bad: Vec<String> = Vec::new();
    let written = store
        .rebuild_feed_keys(keys::VERSION, &mut |row| {
            let Some(record) = record_of(row) else {
                return Ok(Vec::new());
            };
            let found = match record.kind {
                Kind::Attack => Vec::new(),
                Kind::Kev | Kind::Epss => {
                    if build && let Err(e) = db.add_record(&record) {
                        bad.push(e.to_string());
                    }
                    Vec::new()
                }
                Kind::Osv | Kind::Nvd | Kind::RustSec | Kind::Csaf => {
                    match Advisory::parse(&record) {
                        Ok(advisories) => {
                            let found = keys::record(&advisories);
                            if build {
                                for a in advisories {
                                    db.add(a);
                                }
                            }
                            found
                        }
                        Err(e) => {
                            bad.push(e.to_string());
                            Vec::new()
                        }
                    }
                }
            };
            Ok(found)
        })
        .await?;
    for b in bad.iter().take(20) {
        tracing::warn!(record = %b, "feed record left out of the index");
    }
    tracing::info!(
        keys = written,
        seconds = clock.elapsed().as_secs_f64(),
        "computed the lookup keys of every feed record"
    );
    if build {
        db.build();
    }
    Ok(db)
}

/// The index of this process, built on first use and again when a feed
/// import (by this process or another: the command line, another node)
/// finished since.
#[derive(Default)]
pub struct Index {
    db: tokio::sync::RwLock<Option<(Option<String>, Arc<Database>)>>,
}

impl Index {
    pub async fn get(&self, store: &Store) -> Result<Arc<Database>> {
        let latest = store
            .feed_imports(1)
            .await?
            .into_iter()
            .next()
            .map(|i| i.id);
        if let Some((at, db)) = self.db.read().await.as_ref()
            && *at == latest
        {
            return Ok(db.clone());
        }
        let mut slot = self.db.write().await;
        if let Some((at, db)) = slot.as_ref()
            && *at == latest
        {
            return Ok(db.clone());
        }
        let db = Arc::new(load_database(store).await?);
        *slot = Some((latest, db.clone()));
        Ok(db)
    }

    /// Drops the index so that the next use rebuilds it.
    pub async fn invalidate(&self) {
        *self.db.write().await = None;
    }
}

/// An SBOM's components as matcher queries (same order and indices).
pub fn queries(sbom: &medsec_sbom::Sbom) -> Vec<medsec_vulndb::Component> {
    sbom.components
        .iter()
        .map(medsec_vulndb::Component::from_sbom)
        .collect()
}

/// A release to register.
#[derive(Clone, Debug)]
pub struct ReleaseInput {
    /// The product's name; created on first use.
    pub product: String,
    pub version: String,
    pub released_on: Option<String>,
    pub support_until: Option<String>,
    /// The SBOM file (name, bytes).
    pub sbom: Option<(String, Vec<u8>)>,
}

/// A registered release and its first match.
#[derive(Clone, Debug)]
pub struct ReleaseCreated {
    pub release: ReleaseRow,
    pub components: usize,
    pub change: MatchChange,
}

/// What a re-match of releases changed.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct RematchSummary {
    pub releases: usize,
    pub new: usize,
    pub fixed: u64,
    pub open: u64,
}

fn check_text(field: &str, value: &str, max: usize) -> Result<()> {
    let v = value.trim();
    if v.is_empty() {
        return Err(Error::field(field, "required"));
    }
    if v.chars().count() > max || v.chars().any(char::is_control) {
        return Err(Error::field(field, "invalid"));
    }
    Ok(())
}

fn check_date(field: &str, value: &Option<String>) -> Result<()> {
    if let Some(d) = value
        && time::Date::parse(d, time::macros::format_description!("[year]-[month]-[day]")).is_err()
    {
        return Err(Error::field(field, "invalid_date"));
    }
    Ok(())
}

/// The component rows of an SBOM, as stored with a release.
pub fn component_rows(sbom: &medsec_sbom::Sbom) -> Vec<ComponentRow> {
    sbom.components
        .iter()
        .enumerate()
        .map(|(i, c)| ComponentRow {
            idx: i as i64,
            name: c.name.clone(),
            version: c.version.clone(),
            purl: c.purl.as_ref().map(|p| p.as_str().to_owned()),
            identity: c
                .purl
                .as_ref()
                .map(|p| p.identity())
                .unwrap_or_else(|| format!("name:{}", c.name.trim().to_lowercase())),
            cpes: serde_json::to_string(&c.cpes).unwrap_or_else(|_| "[]".into()),
            supplier: c.supplier.as_ref().map(|s| s.name.clone()),
            end_of_support: c.end_of_support.clone(),
            local: c.property(medsec_sbom::generate::LOCAL) == Some("true"),
        })
        .collect()
}

/// A stored component as a matcher query.
pub fn query_of(row: &ComponentRow) -> medsec_vulndb::Component {
    query_with(row, &[])
}

/// A stored component as a matcher query, with the organisation's alias
/// rules applied: a rule for the component's identity supplies the purl
/// (with the component's version) and CPE the SBOM lacked.
pub fn query_with(row: &ComponentRow, rules: &[AliasRuleRow]) -> medsec_vulndb::Component {
    let mut purl = row
        .purl
        .as_deref()
        .and_then(|p| medsec_sbom::Purl::parse(p).ok());
    let mut cpes: Vec<String> = serde_json::from_str(&row.cpes).unwrap_or_default();
    if let Some(rule) = rules.iter().find(|r| r.identity == row.identity) {
        if let Some(p) = &rule.purl {
            let text = match &row.version {
                Some(v) if !p.contains('@') => format!(
                    "{p}@{}",
                    percent_encoding::utf8_percent_encode(v, PURL_VERSION)
                ),
                _ => p.clone(),
            };
            if let Ok(p) = medsec_sbom::Purl::parse(&text) {
                purl = Some(p);
            }
        }
        if let Some(cpe) = &rule.cpe {
            cpes.push(with_version(cpe, row.version.as_deref()));
        }
    }
    let mut c = medsec_sbom::Component::new(row.idx.to_string(), row.name.clone());
    c.version = row.version.clone();
    c.purl = purl;
    c.cpes = cpes;
    c.supplier = row.supplier.clone().map(medsec_sbom::Party::organization);
    let mut query = medsec_vulndb::Component::from_sbom(&c);
    query.local = row.local;
    query
}

/// Characters a purl version must escape.
const PURL_VERSION: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'.')
    .remove(b'-')
    .remove(b'_')
    .remove(b'~')
    .remove(b'+');

/// A CPE 2.3 name with its version field set to `version` when the rule
/// left it as `*` or `-`.
fn with_version(cpe: &str, version: Option<&str>) -> String {
    let Some(version) = version else {
        return cpe.to_owned();
    };
    let mut parts: Vec<String> = cpe.split(':').map(str::to_owned).collect();
    if parts.len() == 13 && parts[0] == "cpe" && matches!(parts[5].as_str(), "*" | "-") {
        let escaped: String = version
            .chars()
            .flat_map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-' {
                    vec![c]
                } else {
                    vec!['\\', c]
                }
            })
            .collect();
        parts[5] = escaped;
        return parts.join(":");
    }
    cpe.to_owned()
}

/// A finding as stored: scaled scores, the level (-1 when unknown).
pub fn stored(f: &medsec_vulndb::Finding) -> NewFinding {
    NewFinding {
        component: f.component as i64,
        vuln_id: f.id.clone(),
        level: f.level.map_or(-1, |l| l as i64),
        cvss10: f.cvss.as_ref().map(|s| (s.score * 10.0).round() as i64),
        epss100k: f.epss.map(|e| (e.probability * 100_000.0).round() as i64),
        kev: f.kev.is_some(),
        priority10: (f.priority * 10.0).round() as i64,
        aliases: f.aliases.join(" "),
    }
}

/// An uploaded release SBOM: read as an SBOM, or, when it is a lock file
/// (`Cargo.lock`, `package-lock.json`, `requirements.txt`, `poetry.lock`,
/// `Pipfile.lock`, `uv.lock`) or a dpkg status file, the CycloneDX 1.6 SBOM
/// generated from it for this product and version (the manufacturer as
/// supplier), which is what is then stored: `(file name, bytes, SBOM)`.
fn sbom_upload(
    filename: &str,
    bytes: &[u8],
    product: &str,
    version: &str,
    supplier: Option<String>,
    now: Timestamp,
) -> Result<(String, Vec<u8>, medsec_sbom::Sbom)> {
    use medsec_sbom::generate::{Input, InputKind, Options, Product};
    let read_error = match medsec_sbom::read(bytes) {
        Ok(sbom) => return Ok((filename.to_owned(), bytes.to_vec(), sbom)),
        Err(e) => e,
    };
    if InputKind::detect(filename, bytes).is_none() {
        return Err(Error::BadRequest {
            code: "sbom",
            detail: read_error.to_string(),
        });
    }
    let options = Options {
        created: Some(now.rfc3339()),
        product: Some(Product {
            name: product.trim().to_owned(),
            version: Some(version.trim().to_owned()),
            supplier: supplier.map(medsec_sbom::Party::organization),
            purl: None,
        }),
        ..Options::default()
    };
    let generated = medsec_sbom::generate::generate(&[Input::new(filename, bytes)], &options)
        .map_err(|e| Error::BadRequest {
            code: "sbom",
            detail: e.to_string(),
        })?;
    let json = medsec_sbom::write_cyclonedx_json(&generated);
    let sbom = medsec_sbom::read(json.as_bytes())
        .map_err(|e| Error::Internal(format!("generated SBOM of {filename}: {e}")))?;
    Ok((format!("{filename}.cdx.json"), json.into_bytes(), sbom))
}

/// Registers a release of a product (created on first use) with its
/// SBOM, and matches it at once.
pub async fn release_create(
    store: &Store,
    db: &Database,
    by: &By,
    input: ReleaseInput,
) -> Result<ReleaseCreated> {
    by.manufacturer()?;
    check_text("product", &input.product, 200)?;
    check_text("version", &input.version, 100)?;
    check_date("released_on", &input.released_on)?;
    check_date("support_until", &input.support_until)?;
    let now = Timestamp::now();
    let upload = match &input.sbom {
        Some((filename, bytes)) => {
            let supplier = store.get_org(&by.org_id).await?.map(|o| o.name);
            Some(sbom_upload(
                filename,
                bytes,
                &input.product,
                &input.version,
                supplier,
                now,
            )?)
        }
        None => None,
    };
    let (sbom, components) = match &upload {
        Some((filename, bytes, parsed)) => {
            let rows = component_rows(parsed);
            let sbom = NewSbom {
                sha256: data_encoding::HEXLOWER.encode(&sha2::Sha256::digest(bytes)),
                filename: filename.clone(),
                format: format!(
                    "{} {}",
                    parsed.format.kind.name(),
                    parsed.format.spec_version
                ),
                content: bytes.clone(),
                created_by: by.name.clone(),
            };
            (Some(sbom), rows)
        }
        None => (None, Vec::new()),
    };
    let product = match store
        .product_by_name(&by.org_id, input.product.trim())
        .await?
    {
        Some(p) => p,
        None => {
            store
                .create_product(
                    &by.org_id,
                    input.product.trim(),
                    now,
                    by.audit(now, Action::ProductCreated),
                )
                .await?
        }
    };
    let new = NewRelease {
        product_id: product.id,
        version: input.version.trim().to_owned(),
        released_on: input.released_on,
        support_until: input.support_until,
        sbom,
        components,
    };
    let release = store
        .create_release(&by.org_id, &new, now, by.audit(now, Action::ReleaseCreated))
        .await?;
    let change = rematch(store, db, &by.org_id, &release.id).await?;
    // What was said about the previous release of the product holds for
    // this one where the component did not change.
    if let Some(previous) = store.previous_release(&by.org_id, &release.id).await? {
        store
            .carry_vex(
                &by.org_id,
                &previous,
                &release.id,
                &by.name,
                now,
                by.audit(now, Action::VexRecorded),
            )
            .await?;
    }
    store.record_trend(&by.org_id, Timestamp::now()).await?;
    Ok(ReleaseCreated {
        release,
        components: new.components.len(),
        change,
    })
}

/// Matches one release's components (with the organisation's alias rules)
/// and stores the findings; the release's VEX statements are applied to
/// them.
pub async fn rematch(
    store: &Store,
    db: &Database,
    org_id: &str,
    release_id: &str,
) -> Result<MatchChange> {
    let rules = store.alias_rules(org_id).await?;
    rematch_with(store, db, org_id, release_id, &rules).await
}

async fn rematch_with(
    store: &Store,
    db: &Database,
    org_id: &str,
    release_id: &str,
    rules: &[AliasRuleRow],
) -> Result<MatchChange> {
    let rows = store.release_components(org_id, release_id).await?;
    let queries: Vec<medsec_vulndb::Component> =
        rows.iter().map(|r| query_with(r, rules)).collect();
    let findings: Vec<NewFinding> = db
        .matches_built(&queries)
        .iter()
        .filter(|f| f.informational.is_none())
        .map(stored)
        .collect();
    let change = store
        .store_match(org_id, release_id, &findings, Timestamp::now())
        .await?;
    store.apply_vex(org_id, release_id).await?;
    Ok(change)
}

/// Re-matches every release of every organisation (after a feed import),
/// tells each organisation about its releases' new findings (in the UI,
/// by webhook; hospitals the release is shared with too) and records the
/// day's trend.
pub async fn rematch_all(store: &Store, db: &Database) -> Result<RematchSummary> {
    let mut summary = RematchSummary::default();
    let mut rules: std::collections::HashMap<String, Vec<AliasRuleRow>> = Default::default();
    let mut orgs: std::collections::BTreeSet<String> = Default::default();
    for (org_id, release_id) in store.all_release_ids().await? {
        if !rules.contains_key(&org_id) {
            rules.insert(org_id.clone(), store.alias_rules(&org_id).await?);
        }
        let change = rematch_with(store, db, &org_id, &release_id, &rules[&org_id]).await?;
        summary.releases += 1;
        summary.new += change.new.len();
        summary.fixed += change.fixed;
        summary.open += change.open;
        if !change.new.is_empty() {
            notify_new_findings(store, &org_id, &release_id, &change).await?;
        }
        orgs.insert(org_id);
    }
    for org in orgs {
        store.record_trend(&org, Timestamp::now()).await?;
    }
    Ok(summary)
}

/// Tells the release's organisation, and the hospitals it is shared with,
/// about new findings: a notification and a `findings.new` webhook event.
pub async fn notify_new_findings(
    store: &Store,
    org_id: &str,
    release_id: &str,
    change: &MatchChange,
) -> Result<()> {
    let Some(release) = store.get_release(org_id, release_id).await? else {
        return Ok(());
    };
    let product = store
        .list_products(org_id)
        .await?
        .into_iter()
        .find(|p| p.id == release.product_id)
        .map(|p| p.name)
        .unwrap_or_default();
    let findings = store.release_findings(org_id, release_id).await?;
    let components = store.release_components(org_id, release_id).await?;
    let new: std::collections::HashSet<(i64, &str)> =
        change.new.iter().map(|(c, v)| (*c, v.as_str())).collect();
    let mut listed: Vec<serde_json::Value> = findings
        .iter()
        .filter(|f| new.contains(&(f.component, f.vuln_id.as_str())))
        .map(|f| {
            let c = components.iter().find(|c| c.idx == f.component);
            serde_json::json!({
                "id": f.vuln_id,
                "aliases": f.aliases.split(' ').filter(|a| !a.is_empty()).collect::<Vec<_>>(),
                "component": c.map(|c| c.name.as_str()),
                "version": c.and_then(|c| c.version.as_deref()),
                "purl": c.and_then(|c| c.purl.as_deref()),
                "cvss": f.cvss10.map(|v| v as f64 / 10.0),
                "epss": f.epss100k.map(|v| v as f64 / 100_000.0),
                "kev": f.kev != 0,
                "priority": f.priority10 as f64 / 10.0,
                "vex": f.vex,
            })
        })
        .collect();
    listed.sort_by(|a, b| {
        let p = |v: &serde_json::Value| v["priority"].as_f64().unwrap_or(0.0);
        p(b).total_cmp(&p(a))
    });
    let kev = listed.iter().filter(|f| f["kev"] == true).count();
    let details = serde_json::json!({
        "release": release_id,
        "product": product,
        "version": release.version,
        "new": listed.len(),
        "kev": kev,
        "top": listed.iter().take(5).map(|f| f["id"].clone()).collect::<Vec<_>>(),
    });
    let now = Timestamp::now();
    store
        .notify(org_id, "findings.new", Some(release_id), &details, now)
        .await?;
    let payload = serde_json::json!({
        "release": {"id": release_id, "product": product, "version": release.version},
        "findings": listed,
        "at": now.rfc3339(),
    });
    store
        .enqueue_webhook(org_id, "findings.new", &payload, now)
        .await?;
    for hospital in store.release_audience(release_id).await? {
        store
            .notify(&hospital, "findings.new", Some(release_id), &details, now)
            .await?;
        store
            .enqueue_webhook(&hospital, "findings.new", &payload, now)
            .await?;
    }
    Ok(())
}

// --- VEX -----------------------------------------------------------------

/// A statement as a user enters it.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct VexInput {
    pub vulnerability: String,
    /// A component identity of the release (`pkg:npm/lodash`,
    /// `name:busybox`); empty = every component.
    #[serde(default)]
    pub component: Option<String>,
    pub status: String,
    #[serde(default)]
    pub justification: Option<String>,
    #[serde(default)]
    pub impact: Option<String>,
    #[serde(default)]
    pub action: Option<String>,
    /// `YYYY-MM-DD`: the suppression ends after this day.
    #[serde(default)]
    pub expires_on: Option<String>,
}

fn nonempty(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Checks a statement against the release's components and the VEX rules
/// (CISA minimum requirements, as OpenVEX and CSAF enforce them): a
/// `not_affected` needs a justification or an impact statement, an
/// `affected` an action statement.
pub fn vex_statement(
    input: &VexInput,
    components: &[ComponentRow],
    source: &str,
) -> Result<medsec_store::vex::NewVex> {
    use medsec_store::vex::{JUSTIFICATIONS, STATUSES};
    let vuln = input.vulnerability.trim();
    if vuln.is_empty() {
        return Err(Error::field("vulnerability", "required"));
    }
    if vuln.len() > 100 || vuln.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(Error::field("vulnerability", "invalid"));
    }
    let status = input.status.trim();
    if !STATUSES.contains(&status) {
        return Err(Error::field("status", "invalid"));
    }
    let justification = nonempty(&input.justification);
    if let Some(j) = &justification
        && !JUSTIFICATIONS.contains(&j.as_str())
    {
        return Err(Error::field("justification", "invalid"));
    }
    let impact = nonempty(&input.impact);
    let action = nonempty(&input.action);
    for (field, v) in [("impact", &impact), ("action", &action)] {
        if v.as_ref().is_some_and(|v| v.chars().count() > 4000) {
            return Err(Error::field(field, "too_long"));
        }
    }
    if status == "not_affected" && justification.is_none() && impact.is_none() {
        return Err(Error::field("justification", "required"));
    }
    if status != "not_affected" && justification.is_some() {
        return Err(Error::field("justification", "not_applicable"));
    }
    if status == "affected" && action.is_none() {
        return Err(Error::field("action", "required"));
    }
    let expires_on = nonempty(&input.expires_on);
    check_date("expires_on", &expires_on)?;
    let component = nonempty(&input.component).unwrap_or_default();
    let component_version = if component.is_empty() {
        None
    } else {
        let Some(c) = components.iter().find(|c| c.identity == component) else {
            return Err(Error::field("component", "unknown_component"));
        };
        c.version.clone()
    };
    Ok(medsec_store::vex::NewVex {
        vuln_id: vuln.to_owned(),
        component,
        component_version,
        status: status.to_owned(),
        justification,
        impact,
        action,
        expires_on,
        source: source.to_owned(),
    })
}

/// Records statements about a release of the caller's organisation.
pub async fn vex_record(
    store: &Store,
    by: &By,
    release_id: &str,
    inputs: &[VexInput],
    source: &str,
) -> Result<usize> {
    by.manufacturer()?;
    if store.get_release(&by.org_id, release_id).await?.is_none() {
        return Err(Error::NotFound);
    }
    let components = store.release_components(&by.org_id, release_id).await?;
    let statements = inputs
        .iter()
        .map(|i| vex_statement(i, &components, source))
        .collect::<Result<Vec<_>>>()?;
    let now = Timestamp::now();
    store
        .record_vex(
            &by.org_id,
            release_id,
            &statements,
            &by.name,
            now,
            by.audit(now, Action::VexRecorded),
        )
        .await?;
    store.record_trend(&by.org_id, now).await?;
    Ok(statements.len())
}

pub async fn vex_delete(store: &Store, by: &By, id: &str) -> Result<()> {
    by.manufacturer()?;
    let now = Timestamp::now();
    store
        .delete_vex(&by.org_id, id, by.audit(now, Action::VexDeleted))
        .await?;
    store.record_trend(&by.org_id, now).await?;
    Ok(())
}

/// One finding of a release as shown to users: the stored state with the
/// component, the statement that applies and the matcher's explanation.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FindingView {
    pub vulnerability: String,
    pub aliases: Vec<String>,
    pub component: String,
    pub component_version: Option<String>,
    pub purl: Option<String>,
    pub identity: String,
    pub level: Option<&'static str>,
    pub cvss: Option<f64>,
    pub epss: Option<f64>,
    pub kev: bool,
    pub priority: f64,
    /// `open`, `suppressed` (by VEX), or `fixed` (no longer found).
    pub state: &'static str,
    pub vex: Option<medsec_store::vex::VexRow>,
    pub first_seen: i64,
    pub summary: Option<String>,
    /// Why it matched: the range, configuration or version list.
    pub reasons: Vec<String>,
}

pub fn level_name(level: i64) -> Option<&'static str> {
    Some(match level {
        4 => "critical",
        3 => "high",
        2 => "medium",
        1 => "low",
        0 => "none",
        _ => return None,
    })
}

/// The findings of one release with explanations from the current index.
pub fn finding_views(
    db: Option<&Database>,
    findings: &[medsec_store::releases::FindingRow],
    components: &[ComponentRow],
    statements: &[medsec_store::vex::VexRow],
    rules: &[AliasRuleRow],
    now: Timestamp,
) -> Vec<FindingView> {
    let today = medsec_store::releases::day(now);
    let by_idx: std::collections::HashMap<i64, &ComponentRow> =
        components.iter().map(|c| (c.idx, c)).collect();
    // The matcher's explanations, by (component, vulnerability).
    let mut explained: std::collections::HashMap<(i64, String), (Option<String>, Vec<String>)> =
        Default::default();
    if let Some(db) = db {
        let queries: Vec<medsec_vulndb::Component> =
            components.iter().map(|r| query_with(r, rules)).collect();
        for f in db.matches_built(&queries) {
            let idx = components.get(f.component).map_or(-1, |c| c.idx);
            explained.insert(
                (idx, f.id.clone()),
                (
                    Some(f.summary.clone()).filter(|s| !s.is_empty()),
                    f.reasons
                        .iter()
                        .map(|r| format!("{}: {}", r.advisory, r.text))
                        .collect(),
                ),
            );
        }
    }
    let mut out: Vec<FindingView> = findings
        .iter()
        .map(|f| {
            let c = by_idx.get(&f.component);
            let identity = c.map_or(String::new(), |c| c.identity.clone());
            let vex =
                medsec_store::vex::statement_for(statements, &f.vuln_id, &f.aliases, &identity)
                    .cloned();
            let suppressed = f
                .suppressed_until
                .as_deref()
                .is_some_and(|until| until >= today.as_str());
            let state = if f.state != "open" {
                "fixed"
            } else if suppressed {
                "suppressed"
            } else {
                "open"
            };
            let (summary, reasons) = explained
                .remove(&(f.component, f.vuln_id.clone()))
                .unwrap_or_default();
            FindingView {
                vulnerability: f.vuln_id.clone(),
                aliases: f
                    .aliases
                    .split(' ')
                    .filter(|a| !a.is_empty())
                    .map(str::to_owned)
                    .collect(),
                component: c.map_or(String::new(), |c| c.name.clone()),
                component_version: c.and_then(|c| c.version.clone()),
                purl: c.and_then(|c| c.purl.clone()),
                identity,
                level: level_name(f.level),
                cvss: f.cvss10.map(|v| v as f64 / 10.0),
                epss: f.epss100k.map(|v| v as f64 / 100_000.0),
                kev: f.kev != 0,
                priority: f.priority10 as f64 / 10.0,
                state,
                vex,
                first_seen: f.first_seen,
                summary,
                reasons,
            }
        })
        .collect();
    let rank = |s: &str| match s {
        "open" => 0,
        "suppressed" => 1,
        _ => 2,
    };
    out.sort_by(|a, b| {
        rank(a.state)
            .cmp(&rank(b.state))
            .then(b.kev.cmp(&a.kev))
            .then(b.priority.total_cmp(&a.priority))
            .then(a.vulnerability.cmp(&b.vulnerability))
    });
    out
}

// --- alias rules and webhooks ----------------------------------------------

/// Adds an alias rule and re-matches the organisation's releases.
#[allow(clippy::too_many_arguments)]
pub async fn alias_add(
    store: &Store,
    db: &Database,
    by: &By,
    identity: &str,
    purl: Option<&str>,
    cpe: Option<&str>,
    end_of_support: Option<&str>,
    note: Option<&str>,
) -> Result<(AliasRuleRow, RematchSummary)> {
    by.manufacturer()?;
    let identity = identity.trim();
    if identity.is_empty() {
        return Err(Error::field("component", "required"));
    }
    if identity.len() > 500
        || identity
            .chars()
            .any(|c| c.is_control() || c.is_whitespace() && c != ' ')
    {
        return Err(Error::field("component", "invalid"));
    }
    let purl = purl.map(str::trim).filter(|p| !p.is_empty());
    let cpe = cpe.map(str::trim).filter(|c| !c.is_empty());
    let end_of_support = end_of_support
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(str::to_owned);
    if purl.is_none() && cpe.is_none() && end_of_support.is_none() {
        return Err(Error::field("purl", "required"));
    }
    check_date("end_of_support", &end_of_support)?;
    if let Some(p) = purl {
        let parsed = medsec_sbom::Purl::parse(p).map_err(|e| {
            Error::Invalid(vec![
                medsec_core::validate::FieldError::new("purl", "format")
                    .with("detail", e.to_string()),
            ])
        })?;
        if parsed.version().is_some() {
            return Err(Error::Invalid(vec![
                medsec_core::validate::FieldError::new("purl", "format").with(
                    "detail",
                    "leave the version out; the component's version is used",
                ),
            ]));
        }
    }
    if let Some(c) = cpe {
        medsec_cpe::Cpe::parse(c).map_err(|e| {
            Error::Invalid(vec![
                medsec_core::validate::FieldError::new("cpe", "format")
                    .with("detail", e.to_string()),
            ])
        })?;
    }
    let now = Timestamp::now();
    let rule = store
        .add_alias_rule(
            &by.org_id,
            identity,
            purl,
            cpe,
            end_of_support.as_deref(),
            note.map(str::trim).filter(|n| !n.is_empty()),
            &by.name,
            now,
            by.audit(now, Action::AliasRuleAdded),
        )
        .await?;
    let summary = rematch_org(store, db, &by.org_id).await?;
    Ok((rule, summary))
}

pub async fn alias_delete(
    store: &Store,
    db: &Database,
    by: &By,
    id: &str,
) -> Result<RematchSummary> {
    by.manufacturer()?;
    let now = Timestamp::now();
    store
        .delete_alias_rule(&by.org_id, id, by.audit(now, Action::AliasRuleDeleted))
        .await?;
    rematch_org(store, db, &by.org_id).await
}

/// Re-matches every release of one organisation.
pub async fn rematch_org(store: &Store, db: &Database, org_id: &str) -> Result<RematchSummary> {
    let rules = store.alias_rules(org_id).await?;
    let mut summary = RematchSummary::default();
    for r in store.list_releases(org_id).await? {
        let change = rematch_with(store, db, org_id, &r.id, &rules).await?;
        summary.releases += 1;
        summary.new += change.new.len();
        summary.fixed += change.fixed;
        summary.open += change.open;
    }
    store.record_trend(org_id, Timestamp::now()).await?;
    Ok(summary)
}

/// Adds a webhook; returns it and its signing secret (shown once).
pub async fn webhook_add(
    store: &Store,
    by: &By,
    url: &str,
) -> Result<(medsec_store::inventory::WebhookRow, String)> {
    crate::webhook::check_url(url)?;
    let secret = medsec_core::credential::random_token(32);
    let now = Timestamp::now();
    let row = store
        .add_webhook(
            &by.org_id,
            url.trim(),
            &secret,
            &by.name,
            now,
            by.audit(now, Action::WebhookCreated),
        )
        .await?;
    Ok((row, secret))
}

pub async fn webhook_delete(store: &Store, by: &By, id: &str) -> Result<()> {
    let now = Timestamp::now();
    store
        .delete_webhook(&by.org_id, id, by.audit(now, Action::WebhookDeleted))
        .await?;
    Ok(())
}

// --- views for the UI and the API ------------------------------------------

/// The vulnerability database's state.
pub async fn feed_status(state: &crate::state::AppState) -> Result<serde_json::Value> {
    let counts = state.store.feed_counts().await?;
    let imports = state.store.feed_imports(10).await?;
    let db = state.index.get(&state.store).await?;
    let s = db.stats();
    Ok(serde_json::json!({
        "feeds": counts.iter().map(|c| serde_json::json!({"kind": c.kind, "records": c.records, "last_change": Timestamp(c.last_change).rfc3339()})).collect::<Vec<_>>(),
        "index": {"advisories": s.advisories, "vulnerabilities": s.vulnerabilities, "packages": s.packages,
                  "configurations": s.configurations, "kev": s.kev, "epss": s.epss},
        "imports": imports.iter().map(|i| serde_json::json!({"id": i.id, "path": i.path, "actor": i.actor,
            "started_at": Timestamp(i.started_at).rfc3339(), "finished_at": Timestamp(i.finished_at).rfc3339(),
            "added": i.added, "changed": i.changed, "unchanged": i.unchanged, "failed": i.failed})).collect::<Vec<_>>(),
    }))
}

/// Matches an SBOM without storing it: the JSON report of `sbom scan`.
pub fn scan_json(db: &Database, bytes: &[u8]) -> Result<serde_json::Value> {
    let sbom = medsec_sbom::read(bytes).map_err(|e| Error::BadRequest {
        code: "sbom",
        detail: e.to_string(),
    })?;
    let components = queries(&sbom);
    let findings = db.matches_built(&components);
    Ok(medsec_vulndb::report::json("sbom", &components, &findings))
}

/// A stored SBOM file in the format asked for: `(bytes, content type,
/// file name)`.
pub fn sbom_export(
    (filename, content): (String, Vec<u8>),
    format: Option<&str>,
) -> Result<(Vec<u8>, &'static str, String)> {
    let stem = filename
        .rsplit_once('.')
        .map_or(filename.as_str(), |(s, _)| s)
        .to_owned();
    let format = format.unwrap_or("cyclonedx-json");
    if format == "original" {
        return Ok((content, "application/octet-stream", filename));
    }
    let sbom = medsec_sbom::read(&content)
        .map_err(|e| Error::Internal(format!("stored SBOM {filename}: {e}")))?;
    Ok(match format {
        "cyclonedx-json" => (
            medsec_sbom::write_cyclonedx_json(&sbom).into_bytes(),
            "application/vnd.cyclonedx+json",
            format!("{stem}.cdx.json"),
        ),
        "cyclonedx-xml" => (
            medsec_sbom::write_cyclonedx_xml(&sbom).into_bytes(),
            "application/vnd.cyclonedx+xml",
            format!("{stem}.cdx.xml"),
        ),
        "spdx-json" => (
            medsec_sbom::write_spdx_json(&sbom).into_bytes(),
            "application/spdx+json",
            format!("{stem}.spdx.json"),
        ),
        _ => return Err(Error::field("format", "invalid_choice")),
    })
}

/// One release in the portfolio.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ReleaseSummary {
    pub id: String,
    pub product: String,
    pub version: String,
    pub released_on: Option<String>,
    pub support_until: Option<String>,
    /// Whether support has ended (`support_until` is past).
    pub unsupported: bool,
    pub matched_at: Option<String>,
    pub counts: medsec_store::vex::Counts,
}

#[derive(Clone, Debug, serde::Serialize)]
pub struct Portfolio {
    /// Releases with known-exploited findings first, then by critical,
    /// high, … counts.
    pub releases: Vec<ReleaseSummary>,
    pub totals: medsec_store::vex::Counts,
    pub trend: Vec<medsec_store::vex::TrendRow>,
}

pub async fn portfolio(store: &Store, org_id: &str) -> Result<Portfolio> {
    let now = Timestamp::now();
    let today = medsec_store::releases::day(now);
    let products = store.list_products(org_id).await?;
    let counts = store.release_counts(org_id, now).await?;
    let mut totals = medsec_store::vex::Counts::default();
    let mut releases: Vec<ReleaseSummary> = store
        .list_releases(org_id)
        .await?
        .into_iter()
        .map(|r| {
            let c = counts.get(&r.id).cloned().unwrap_or_default();
            totals.critical += c.critical;
            totals.high += c.high;
            totals.medium += c.medium;
            totals.low += c.low;
            totals.unknown += c.unknown;
            totals.kev += c.kev;
            ReleaseSummary {
                product: products
                    .iter()
                    .find(|p| p.id == r.product_id)
                    .map(|p| p.name.clone())
                    .unwrap_or_default(),
                unsupported: r
                    .support_until
                    .as_deref()
                    .is_some_and(|s| s < today.as_str()),
                id: r.id,
                version: r.version,
                released_on: r.released_on,
                support_until: r.support_until,
                matched_at: r.matched_at.map(|t| Timestamp(t).rfc3339()),
                counts: c,
            }
        })
        .collect();
    releases.sort_by(|a, b| {
        let key = |r: &ReleaseSummary| {
            (
                r.counts.kev,
                r.counts.critical,
                r.counts.high,
                r.counts.medium,
                r.counts.low,
                r.counts.unknown,
            )
        };
        key(b)
            .cmp(&key(a))
            .then_with(|| a.product.cmp(&b.product))
            .then_with(|| a.version.cmp(&b.version))
    });
    let trend = store.trend(org_id, 90).await?;
    Ok(Portfolio {
        releases,
        totals,
        trend,
    })
}

/// One row of the portfolio's findings list.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FindingListRow {
    pub release_id: String,
    pub product: String,
    pub version: String,
    pub vulnerability: String,
    pub aliases: Vec<String>,
    pub component: String,
    pub component_version: Option<String>,
    pub level: Option<&'static str>,
    pub cvss: Option<f64>,
    pub epss: Option<f64>,
    pub kev: bool,
    pub priority: f64,
    pub vex: Option<String>,
    pub first_seen: String,
}

/// A page of open findings across the organisation's releases.
pub async fn findings_page(
    store: &Store,
    org_id: &str,
    order: medsec_store::releases::FindingOrder,
    limit: i64,
    offset: i64,
) -> Result<Vec<FindingListRow>> {
    let page = store
        .open_findings(
            org_id,
            order,
            limit.clamp(1, 500),
            offset.max(0),
            Timestamp::now(),
        )
        .await?;
    let releases = store.list_releases(org_id).await?;
    let products = store.list_products(org_id).await?;
    let mut components: std::collections::HashMap<String, Vec<ComponentRow>> = Default::default();
    let mut out = Vec::with_capacity(page.len());
    for f in page {
        if !components.contains_key(&f.release_id) {
            let rows = store.release_components(org_id, &f.release_id).await?;
            components.insert(f.release_id.clone(), rows);
        }
        let c = components[&f.release_id]
            .iter()
            .find(|c| c.idx == f.component);
        let r = releases.iter().find(|r| r.id == f.release_id);
        out.push(FindingListRow {
            product: r
                .and_then(|r| products.iter().find(|p| p.id == r.product_id))
                .map(|p| p.name.clone())
                .unwrap_or_default(),
            version: r.map(|r| r.version.clone()).unwrap_or_default(),
            release_id: f.release_id.clone(),
            vulnerability: f.vuln_id.clone(),
            aliases: f
                .aliases
                .split(' ')
                .filter(|a| !a.is_empty())
                .map(str::to_owned)
                .collect(),
            component: c.map(|c| c.name.clone()).unwrap_or_default(),
            component_version: c.and_then(|c| c.version.clone()),
            level: level_name(f.level),
            cvss: f.cvss10.map(|v| v as f64 / 10.0),
            epss: f.epss100k.map(|v| v as f64 / 100_000.0),
            kev: f.kev != 0,
            priority: f.priority10 as f64 / 10.0,
            vex: f.vex.clone(),
            first_seen: Timestamp(f.first_seen).rfc3339(),
        });
    }
    Ok(out)
}

/// A VEX statement as shown, with whether it still applies.
#[derive(Clone, Debug, serde::Serialize)]
pub struct StatementView {
    #[serde(flatten)]
    pub row: medsec_store::vex::VexRow,
    pub stale: bool,
    /// Whether it suppresses its findings today.
    pub suppressing: bool,
}

/// One NTIA minimum element of a release's SBOM.
#[derive(Clone, Debug, serde::Serialize)]
pub struct NtiaElement {
    pub element: &'static str,
    pub passed: bool,
    /// Share of components that meet it, in percent.
    pub coverage: f64,
    /// The first components that fail it.
    pub failing: Vec<String>,
    pub failing_count: usize,
    pub note: Option<String>,
}

/// The NTIA minimum-elements gate of a release's SBOM.
#[derive(Clone, Debug, serde::Serialize)]
pub struct NtiaView {
    pub passed: bool,
    pub score: f64,
    pub elements: Vec<NtiaElement>,
}

fn ntia_view(content: &[u8]) -> Option<NtiaView> {
    let sbom = medsec_sbom::read(content).ok()?;
    let report = medsec_sbom::ntia::check(&sbom);
    Some(NtiaView {
        passed: report.passed(),
        score: (report.score * 10.0).round() / 10.0,
        elements: report
            .elements
            .iter()
            .map(|e| NtiaElement {
                element: e.element.name(),
                passed: e.passed,
                coverage: (e.coverage * 1000.0).round() / 10.0,
                failing: e.failing.iter().take(10).cloned().collect(),
                failing_count: e.failing.len(),
                note: e.note.clone(),
            })
            .collect(),
    })
}

/// Everything about one release.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ReleaseDetail {
    pub release: ReleaseSummary,
    pub sbom: Option<String>,
    /// The SBOM against the NTIA minimum elements (the submission gate).
    pub ntia: Option<NtiaView>,
    pub findings: Vec<FindingView>,
    pub statements: Vec<StatementView>,
    pub components: Vec<ComponentRow>,
    pub shares: Vec<medsec_store::inventory::ShareRow>,
}

pub async fn release_detail(
    state: &crate::state::AppState,
    org_id: &str,
    id: &str,
) -> Result<ReleaseDetail> {
    let store = &state.store;
    let Some(r) = store.get_release(org_id, id).await? else {
        return Err(Error::NotFound);
    };
    let now = Timestamp::now();
    let today = medsec_store::releases::day(now);
    let product = store
        .list_products(org_id)
        .await?
        .into_iter()
        .find(|p| p.id == r.product_id)
        .map(|p| p.name)
        .unwrap_or_default();
    let counts = store
        .release_counts(org_id, now)
        .await?
        .remove(id)
        .unwrap_or_default();
    let findings = store.release_findings(org_id, id).await?;
    let components = store.release_components(org_id, id).await?;
    let statements = store.release_vex(org_id, id).await?;
    let rules = store.alias_rules(org_id).await?;
    // An end of support the SBOM does not give comes from a rule.
    let components: Vec<ComponentRow> = components
        .into_iter()
        .map(|mut c| {
            if c.end_of_support.is_none() {
                c.end_of_support = rules
                    .iter()
                    .find(|r| r.identity == c.identity)
                    .and_then(|r| r.end_of_support.clone());
            }
            c
        })
        .collect();
    let db = state.index.get(store).await?;
    let views = finding_views(Some(&db), &findings, &components, &statements, &rules, now);
    let stale: std::collections::HashSet<String> =
        medsec_store::vex::stale(&statements, &findings, &components)
            .into_iter()
            .map(|s| s.id.clone())
            .collect();
    let statements = statements
        .into_iter()
        .map(|row| StatementView {
            stale: stale.contains(&row.id),
            suppressing: medsec_store::vex::suppresses(&row.status)
                && row
                    .expires_on
                    .as_deref()
                    .is_none_or(|e| e >= today.as_str()),
            row,
        })
        .collect();
    let file = store.release_sbom(org_id, id).await?;
    let ntia = file.as_ref().and_then(|(_, bytes)| ntia_view(bytes));
    let sbom = file.map(|(name, _)| name);
    let shares = store.release_shares(org_id, id).await?;
    Ok(ReleaseDetail {
        release: ReleaseSummary {
            id: r.id,
            product,
            unsupported: r
                .support_until
                .as_deref()
                .is_some_and(|s| s < today.as_str()),
            version: r.version,
            released_on: r.released_on,
            support_until: r.support_until,
            matched_at: r.matched_at.map(|t| Timestamp(t).rfc3339()),
            counts,
        },
        sbom,
        ntia,
        findings: views,
        statements,
        components,
        shares,
    })
}

// --- VEX documents ---------------------------------------------------------

/// What importing a VEX document into a release did.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct VexImport {
    pub format: String,
    pub recorded: usize,
    /// Statements left out, and why (another product version, a
    /// component the release does not have, a rule the statement breaks).
    pub skipped: Vec<String>,
    /// What the reader noticed (unknown fields, missing recommended ones).
    pub diagnostics: Vec<String>,
}

/// The purl identity (without version) of a purl text, else `None`.
fn purl_identity(purl: &str) -> Option<String> {
    medsec_sbom::Purl::parse(purl).ok().map(|p| p.identity())
}

fn purl_version(purl: &str) -> Option<String> {
    medsec_sbom::Purl::parse(purl)
        .ok()
        .and_then(|p| p.version().map(str::to_owned))
}

/// Records the statements of a VEX document (OpenVEX, CycloneDX VEX or
/// CSAF VEX) about one release. A statement about products of another
/// version, or about a component the release does not have, is skipped
/// and said; the others are recorded (audited) as `import:<file>`.
pub async fn vex_import(
    store: &Store,
    by: &By,
    release_id: &str,
    filename: &str,
    bytes: &[u8],
) -> Result<VexImport> {
    by.manufacturer()?;
    let Some(release) = store.get_release(&by.org_id, release_id).await? else {
        return Err(Error::NotFound);
    };
    let doc = medsec_vex::read(bytes).map_err(|e| Error::BadRequest {
        code: "vex",
        detail: e.to_string(),
    })?;
    let components = store.release_components(&by.org_id, release_id).await?;
    let mut out = VexImport {
        format: doc
            .format
            .as_ref()
            .map(|f| format!("{} {}", f.kind.name(), f.version))
            .unwrap_or_default(),
        diagnostics: doc.diagnostics.iter().map(|d| d.to_string()).collect(),
        ..Default::default()
    };
    let source = format!("import:{}", filename.chars().take(200).collect::<String>());
    let mut inputs: Vec<VexInput> = Vec::new();
    for s in &doc.statements {
        let versions: Vec<String> = s
            .products
            .iter()
            .filter_map(|p| {
                p.version
                    .clone()
                    .or_else(|| p.purl.as_deref().and_then(purl_version))
            })
            .collect();
        if !versions.is_empty() && !versions.contains(&release.version) {
            out.skipped.push(format!(
                "{}: about version {}, not {}",
                s.vulnerability,
                versions.join(", "),
                release.version
            ));
            continue;
        }
        let base = VexInput {
            vulnerability: s.vulnerability.clone(),
            component: None,
            status: s.status.as_str().to_owned(),
            justification: s.justification.map(|j| j.as_str().to_owned()),
            impact: s.impact_statement.clone(),
            action: s.action_statement.clone(),
            expires_on: None,
        };
        if s.subcomponents.is_empty() {
            inputs.push(base);
            continue;
        }
        for c in &s.subcomponents {
            let identity = c.purl.as_deref().and_then(purl_identity).or_else(|| {
                c.name
                    .as_ref()
                    .map(|n| format!("name:{}", n.trim().to_lowercase()))
            });
            match identity.filter(|i| components.iter().any(|c| c.identity == *i)) {
                Some(identity) => inputs.push(VexInput {
                    component: Some(identity),
                    ..base.clone()
                }),
                None => out.skipped.push(format!(
                    "{}: the release has no component {}",
                    s.vulnerability,
                    c.purl.as_deref().or(c.name.as_deref()).unwrap_or("?")
                )),
            }
        }
    }
    let mut statements = Vec::new();
    for i in &inputs {
        match vex_statement(i, &components, &source) {
            Ok(s) => statements.push(s),
            Err(Error::Invalid(fields)) => out.skipped.push(format!(
                "{}: {}",
                i.vulnerability,
                fields
                    .iter()
                    .map(|f| format!("{} ({})", f.field, f.code))
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
            Err(e) => return Err(e),
        }
    }
    if !statements.is_empty() {
        let now = Timestamp::now();
        store
            .record_vex(
                &by.org_id,
                release_id,
                &statements,
                &by.name,
                now,
                by.audit(now, Action::VexRecorded),
            )
            .await?;
        store.record_trend(&by.org_id, now).await?;
    }
    out.recorded = statements.len();
    Ok(out)
}

/// The formats a release's VEX is exported in.
pub const VEX_FORMATS: [&str; 4] = ["openvex", "cyclonedx-json", "cyclonedx-xml", "csaf"];

/// The release's statements as a VEX document: `(bytes, content type,
/// file name)`. CSAF needs the publisher's namespace (its web address).
pub async fn vex_export(
    store: &Store,
    by: &By,
    release_id: &str,
    format: &str,
    namespace: Option<&str>,
) -> Result<(Vec<u8>, &'static str, String)> {
    by.manufacturer()?;
    let Some(release) = store.get_release(&by.org_id, release_id).await? else {
        return Err(Error::NotFound);
    };
    if !VEX_FORMATS.contains(&format) {
        return Err(Error::field("format", "invalid_choice"));
    }
    let product = store
        .list_products(&by.org_id)
        .await?
        .into_iter()
        .find(|p| p.id == release.product_id)
        .map(|p| p.name)
        .unwrap_or_default();
    let org = store
        .get_org(&by.org_id)
        .await?
        .map(|o| o.name)
        .unwrap_or_default();
    let statements = store.release_vex(&by.org_id, release_id).await?;
    let findings = store.release_findings(&by.org_id, release_id).await?;
    let components = store.release_components(&by.org_id, release_id).await?;
    let encode = |s: &str| percent_encoding::utf8_percent_encode(s, PURL_VERSION).to_string();
    let product_ref = medsec_vex::ProductRef {
        id: None,
        purl: Some(format!(
            "pkg:generic/{}@{}",
            encode(&product),
            encode(&release.version)
        )),
        name: Some(product.clone()),
        version: Some(release.version.clone()),
        supplier: Some(org.clone()),
        ..Default::default()
    };
    let doc_statements = statements
        .iter()
        .map(|s| {
            let aliases: Vec<String> = findings
                .iter()
                .filter(|f| f.vuln_id == s.vuln_id || f.aliases.split(' ').any(|a| a == s.vuln_id))
                .flat_map(|f| {
                    std::iter::once(f.vuln_id.clone()).chain(
                        f.aliases
                            .split(' ')
                            .filter(|a| !a.is_empty())
                            .map(str::to_owned),
                    )
                })
                .filter(|a| *a != s.vuln_id)
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            let subcomponents = if s.component.is_empty() {
                Vec::new()
            } else {
                components
                    .iter()
                    .filter(|c| c.identity == s.component)
                    .map(|c| medsec_vex::ProductRef {
                        purl: c.purl.clone(),
                        name: Some(c.name.clone()),
                        version: c.version.clone(),
                        ..Default::default()
                    })
                    .take(1)
                    .collect()
            };
            medsec_vex::Statement {
                vulnerability: s.vuln_id.clone(),
                aliases,
                products: vec![product_ref.clone()],
                subcomponents,
                status: medsec_vex::Status::parse(&s.status).unwrap_or_default(),
                justification: s
                    .justification
                    .as_deref()
                    .and_then(medsec_vex::Justification::parse),
                impact_statement: s.impact.clone(),
                action_statement: s.action.clone(),
                timestamp: Some(Timestamp(s.updated_at).rfc3339()),
                ..Default::default()
            }
        })
        .collect();
    let now = Timestamp::now();
    let doc = medsec_vex::Document {
        id: Some(format!("urn:uuid:{}", medsec_core::new_id())),
        author: Some(org),
        timestamp: Some(now.rfc3339()),
        version: Some(1),
        statements: doc_statements,
        ..Default::default()
    };
    let write_error = |e: medsec_vex::VexError| {
        Error::Invalid(vec![
            medsec_core::validate::FieldError::new("format", "format")
                .with("detail", e.to_string()),
        ])
    };
    let stem = format!("{product}-{}-vex", release.version);
    Ok(match format {
        "openvex" => (
            medsec_vex::write_openvex(&doc)
                .map_err(write_error)?
                .into_bytes(),
            "application/json",
            format!("{stem}.openvex.json"),
        ),
        "cyclonedx-json" => (
            medsec_vex::write_cyclonedx_json(&doc)
                .map_err(write_error)?
                .into_bytes(),
            "application/vnd.cyclonedx+json",
            format!("{stem}.cdx.json"),
        ),
        "cyclonedx-xml" => (
            medsec_vex::write_cyclonedx_xml(&doc)
                .map_err(write_error)?
                .into_bytes(),
            "application/vnd.cyclonedx+xml",
            format!("{stem}.cdx.xml"),
        ),
        _ => {
            let Some(ns) = namespace.map(str::trim).filter(|n| !n.is_empty()) else {
                return Err(Error::field("namespace", "required"));
            };
            // CSAF names a vulnerability by its CVE: statements about one
            // without a CVE (a GHSA only) cannot be said in CSAF.
            let mut doc = doc;
            doc.statements.retain(|s| {
                std::iter::once(&s.vulnerability)
                    .chain(&s.aliases)
                    .any(|id| id.starts_with("CVE-"))
            });
            let docs = medsec_vex::write_csaf(&doc, &medsec_vex::CsafOptions::new(ns))
                .map_err(write_error)?;
            let Some(first) = docs.into_iter().next() else {
                return Err(Error::field("format", "required"));
            };
            (
                first.json.into_bytes(),
                "application/json",
                format!("{stem}.csaf.json"),
            )
        }
    })
}

/// What an incremental re-match looked at.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct DeltaSummary {
    /// Releases there are.
    pub releases: usize,
    /// Releases a changed record could concern, which were re-matched.
    pub affected: usize,
    pub rematch: RematchSummary,
    pub seconds: f64,
}

/// Re-matches only the releases the records added or changed by an import
/// can concern: those with a component an added or changed advisory
/// matches (found by matching every release against an index of only
/// these records, which is cheap), and those with a finding about one of
/// these vulnerabilities (a score, KEV or EPSS change, or a corrected
/// range that no longer matches). Each such release is then matched in
/// full against the whole index, so the result is the same as
/// [`rematch_all`].
pub async fn rematch_touched(
    store: &Store,
    db: &Database,
    touched: &[(String, String)],
) -> Result<DeltaSummary> {
    let clock = std::time::Instant::now();
    let all = store.all_release_ids().await?;
    let mut summary = DeltaSummary {
        releases: all.len(),
        ..Default::default()
    };
    if touched.is_empty() || all.is_empty() {
        summary.seconds = clock.elapsed().as_secs_f64();
        return Ok(summary);
    }
    let mut delta = Database::new();
    let mut ids: std::collections::BTreeSet<String> = Default::default();
    for (kind, id) in touched {
        let Some(row) = store.feed_record(kind, id).await? else {
            continue;
        };
        let Some(kind) = Kind::parse(&row.kind) else {
            continue;
        };
        if kind == Kind::Attack {
            continue;
        }
        ids.insert(row.id.clone());
        let record = Record {
            kind,
            id: row.id,
            modified: row.modified,
            body: row.body,
            origin: row.origin,
        };
        if matches!(kind, Kind::Kev | Kind::Epss) {
            continue;
        }
        if let Ok(list) = Advisory::parse(&record) {
            for a in list {
                ids.insert(a.id);
                ids.extend(a.aliases);
            }
        }
        // A record this build cannot read is left out of the index too.
        let _ = delta.add_record(&record);
    }
    delta.build();
    let ids: Vec<String> = ids.into_iter().collect();
    let mut affected: std::collections::BTreeSet<(String, String)> = store
        .releases_with_findings(&ids)
        .await?
        .into_iter()
        .collect();
    let mut rules: std::collections::HashMap<String, Vec<AliasRuleRow>> = Default::default();
    for (org_id, release_id) in &all {
        if affected.contains(&(org_id.clone(), release_id.clone())) {
            continue;
        }
        if !rules.contains_key(org_id) {
            rules.insert(org_id.clone(), store.alias_rules(org_id).await?);
        }
        let rows = store.release_components(org_id, release_id).await?;
        let queries: Vec<medsec_vulndb::Component> =
            rows.iter().map(|r| query_with(r, &rules[org_id])).collect();
        if !delta.matches_built(&queries).is_empty() {
            affected.insert((org_id.clone(), release_id.clone()));
        }
    }
    summary.affected = affected.len();
    let mut orgs: std::collections::BTreeSet<String> = Default::default();
    for (org_id, release_id) in affected {
        if !rules.contains_key(&org_id) {
            rules.insert(org_id.clone(), store.alias_rules(&org_id).await?);
        }
        let change = rematch_with(store, db, &org_id, &release_id, &rules[&org_id]).await?;
        summary.rematch.releases += 1;
        summary.rematch.new += change.new.len();
        summary.rematch.fixed += change.fixed;
        summary.rematch.open += change.open;
        if !change.new.is_empty() {
            notify_new_findings(store, &org_id, &release_id, &change).await?;
        }
        orgs.insert(org_id);
    }
    for org in orgs {
        store.record_trend(&org, Timestamp::now()).await?;
    }
    summary.seconds = clock.elapsed().as_secs_f64();
    Ok(summary)
}
