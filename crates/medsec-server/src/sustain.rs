//! Postmarket work as users do it, for the UI, the API and the CLI: the
//! offline vulnerability database (feed imports, the index built from the
//! stored records) and the matching of SBOMs against it.

use std::path::Path;
use std::sync::Arc;

use medsec_core::Timestamp;
use medsec_core::audit::{Action, Outcome};
use medsec_store::feeds::{FeedImportRow, NewFeedRecord};
use medsec_store::releases::{
    ComponentRow, MatchChange, NewFinding, NewRelease, NewSbom, ReleaseRow,
};
use sha2::Digest;

use crate::assure::By;
use medsec_store::{AuditEntry, Store};
use medsec_vulndb::feed::{self, FeedFile, Limits, Skipped};
use medsec_vulndb::{Advisory, Database, Kind, Record};

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
        let records = match read {
            Ok(records) => records,
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
            .write_feed_records(&id, &records, &mut known, Timestamp::now())
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
    Ok(summary)
}

/// Reads a file's records and checks each parses, so that nothing is
/// stored that the index could not read back.
fn read_checked(file: &FeedFile) -> std::result::Result<Vec<NewFeedRecord>, medsec_vulndb::Error> {
    let mut out = Vec::new();
    feed::read(file, Limits::default(), &mut |record: Record| {
        if matches!(
            record.kind,
            Kind::Osv | Kind::Nvd | Kind::RustSec | Kind::Csaf
        ) {
            Advisory::parse(&record)?;
        }
        out.push(NewFeedRecord {
            kind: record.kind.as_str().to_owned(),
            id: record.id.clone(),
            modified: record.modified.clone(),
            sha256: record.digest(),
            body: record.body,
            origin: record.origin,
        });
        Ok(())
    })?;
    Ok(out)
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

/// The index of this process, built on first use and after each import.
#[derive(Default)]
pub struct Index {
    db: tokio::sync::RwLock<Option<Arc<Database>>>,
}

impl Index {
    pub async fn get(&self, store: &Store) -> Result<Arc<Database>> {
        if let Some(db) = self.db.read().await.as_ref() {
            return Ok(db.clone());
        }
        let mut slot = self.db.write().await;
        if let Some(db) = slot.as_ref() {
            return Ok(db.clone());
        }
        let db = Arc::new(load_database(store).await?);
        *slot = Some(db.clone());
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
        })
        .collect()
}

/// A stored component as a matcher query.
pub fn query_of(row: &ComponentRow) -> medsec_vulndb::Component {
    let purl = row
        .purl
        .as_deref()
        .and_then(|p| medsec_sbom::Purl::parse(p).ok());
    let mut c = medsec_sbom::Component::new(row.idx.to_string(), row.name.clone());
    c.version = row.version.clone();
    c.purl = purl;
    c.cpes = serde_json::from_str(&row.cpes).unwrap_or_default();
    c.supplier = row.supplier.clone().map(medsec_sbom::Party::organization);
    medsec_vulndb::Component::from_sbom(&c)
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
    }
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
    let (sbom, components) = match &input.sbom {
        Some((filename, bytes)) => {
            let parsed = medsec_sbom::read(bytes).map_err(|e| Error::BadRequest {
                code: "sbom",
                detail: e.to_string(),
            })?;
            let rows = component_rows(&parsed);
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
    Ok(ReleaseCreated {
        release,
        components: new.components.len(),
        change,
    })
}

/// Matches one release's components and stores the findings.
pub async fn rematch(
    store: &Store,
    db: &Database,
    org_id: &str,
    release_id: &str,
) -> Result<MatchChange> {
    let rows = store.release_components(org_id, release_id).await?;
    let queries: Vec<medsec_vulndb::Component> = rows.iter().map(query_of).collect();
    let findings: Vec<NewFinding> = db
        .matches_built(&queries)
        .iter()
        .filter(|f| f.informational.is_none())
        .map(stored)
        .collect();
    Ok(store
        .store_match(org_id, release_id, &findings, Timestamp::now())
        .await?)
}

/// Re-matches every release of every organisation (after a feed import).
pub async fn rematch_all(store: &Store, db: &Database) -> Result<RematchSummary> {
    let mut summary = RematchSummary::default();
    for (org_id, release_id) in store.all_release_ids().await? {
        let change = rematch(store, db, &org_id, &release_id).await?;
        summary.releases += 1;
        summary.new += change.new.len();
        summary.fixed += change.fixed;
        summary.open += change.open;
    }
    Ok(summary)
}
