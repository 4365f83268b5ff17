//! Webshell scans as users see them, for the UI, the API and members'
//! agents: a web root (a zip archive, or one file) is scanned with the
//! built-in YARA rules of `medsec-webshell`, each finding becomes an alert
//! hit for the member (kind `webshell`, rule `yara:<rule>`, ATT&CK
//! T1505.003), and the scan with its findings is stored and audited.
//!
//! Who may do what: the ISAC's users scan any member hospital's files and
//! see every scan; a hospital's users scan their own and see their own;
//! a member's agent posts its web root with the member's ingest token
//! (a log source of transport `http`), which names the member; other
//! organisations see nothing here.

use std::sync::OnceLock;
use std::time::Duration;

use medsec_core::audit::{Action, Outcome};
use medsec_core::{OrgKind, Timestamp};
use medsec_store::alerts::NewHit;
use medsec_store::watch::Transport;
use medsec_store::webshell::{NewWebshellFinding, WebshellFindingRow, WebshellScanRow};
use medsec_store::{AuditEntry, Store};
use medsec_webshell::{Limits, Report, Rules, Session, Skipped, archive};

use crate::assure::By;
use crate::error::{Error, Result};
use crate::watch::{member, scope};

/// The largest upload (an archive or one file).
pub const MAX_UPLOAD: usize = 256 * 1024 * 1024;
/// The most scans on one page.
pub const PAGE: i64 = 50;
/// Skipped files kept with a scan (all are counted).
pub const SKIPPED_KEPT: usize = 200;

/// What one scan may spend: 16 MiB per file, 10 s per file, 1 GiB
/// decompressed per archive, 200,000 files.
pub fn limits() -> Limits {
    Limits {
        max_file_size: 16 * 1024 * 1024,
        timeout: Duration::from_secs(10),
        max_total_bytes: 1024 * 1024 * 1024,
        max_files: 200_000,
    }
}

static RULES: OnceLock<std::result::Result<Rules, String>> = OnceLock::new();

/// The built-in rules, compiled once per process.
pub fn rules() -> Result<&'static Rules> {
    match RULES.get_or_init(|| Rules::builtin().map_err(|e| e.to_string())) {
        Ok(r) => Ok(r),
        Err(e) => Err(Error::Internal(format!("webshell rules: {e}"))),
    }
}

/// Who uploaded, for the scan record and the audit log.
pub struct Uploader {
    /// `agent`, `api` or `ui`.
    pub origin: &'static str,
    pub name: String,
    pub org_id: String,
    pub user_id: Option<String>,
    pub source: String,
}

impl Uploader {
    pub fn of(by: &By, origin: &'static str) -> Uploader {
        Uploader {
            origin,
            name: by.name.clone(),
            org_id: by.org_id.clone(),
            user_id: by.user_id.clone(),
            source: by.source.clone(),
        }
    }

    fn audit(&self, at: Timestamp) -> AuditEntry {
        AuditEntry {
            at,
            org_id: Some(self.org_id.clone()),
            actor_id: self.user_id.clone(),
            actor: self.name.clone(),
            source: self.source.clone(),
            action: Action::WebshellScanned,
            outcome: Outcome::Success,
            target_kind: "",
            target_id: None,
            details: serde_json::Value::Null,
        }
    }
}

/// A stored scan with its findings, as the API returns it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ScanDetail {
    pub scan: ScanView,
    pub findings: Vec<FindingView>,
    /// The skipped files kept with the scan (the first [`SKIPPED_KEPT`]).
    pub skipped: Vec<Skipped>,
}

/// A scan with the member's name.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ScanView {
    #[serde(flatten)]
    pub scan: WebshellScanRow,
    pub member_name: String,
}

/// A finding with its matches parsed.
#[derive(Clone, Debug, serde::Serialize)]
pub struct FindingView {
    #[serde(flatten)]
    pub finding: WebshellFindingRow,
    #[serde(skip)]
    pub matches_list: Vec<medsec_webshell::MatchedString>,
}

/// The member a user's upload is for: a hospital's own (named or not), or
/// for the ISAC the member hospital named by id or name. Another member
/// and an unknown one look the same.
pub async fn target_member(store: &Store, by: &By, key: Option<&str>) -> Result<String> {
    scope(by)?;
    let key = key.map(str::trim).filter(|k| !k.is_empty());
    match (by.org_kind, key) {
        (OrgKind::Isac, None) => Err(Error::field("member", "required")),
        (OrgKind::Isac, Some(k)) => Ok(member(store, k).await?.id),
        (_, None) => Ok(by.org_id.clone()),
        (_, Some(k)) if k == by.org_id => Ok(by.org_id.clone()),
        (_, Some(k)) => match member(store, k).await {
            Ok(o) if o.id == by.org_id => Ok(o.id),
            _ => Err(Error::field("member", "unknown_member")),
        },
    }
}

/// A label safe to store and show: the last 200 characters, no control
/// characters; `upload` when empty.
fn clean_label(label: &str) -> String {
    let chars: Vec<char> = label
        .chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect();
    let tail: String = chars[chars.len().saturating_sub(200)..].iter().collect();
    if tail.trim().is_empty() {
        "upload".into()
    } else {
        tail
    }
}

/// Scans `bytes` (a zip archive, or else one file named `label`) for
/// `member_id`, raises the findings as alerts and stores the scan.
/// A damaged archive stores nothing and says what is wrong and where.
pub async fn scan_upload(
    store: &Store,
    uploader: &Uploader,
    member_id: &str,
    label: &str,
    bytes: Vec<u8>,
    now: Timestamp,
) -> Result<ScanDetail> {
    if bytes.len() > MAX_UPLOAD {
        return Err(Error::PayloadTooLarge);
    }
    let label = clean_label(label);
    let started = std::time::Instant::now();
    let scan_label = label.clone();
    let (report, archive_sha256, archive_bytes, digest) =
        tokio::task::spawn_blocking(move || -> Result<(Report, String, i64, String)> {
            let rules = rules()?;
            let mut session = Session::new(rules, limits());
            if archive::is_zip(&bytes) {
                archive::scan_zip(&mut session, &bytes).map_err(|e| Error::BadRequest {
                    code: "invalid_archive",
                    detail: e.to_string(),
                })?;
            } else {
                session.scan(&scan_label, &bytes);
            }
            Ok((
                session.finish(),
                medsec_webshell::sha256_hex(&bytes),
                bytes.len() as i64,
                rules.digest().to_owned(),
            ))
        })
        .await
        .map_err(|e| Error::Internal(format!("webshell scan task: {e}")))??;
    let elapsed = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let scan_id = medsec_core::new_id();
    let rules = rules()?;
    let mut hits = Vec::with_capacity(report.findings.len());
    let mut findings = Vec::with_capacity(report.findings.len());
    for (i, f) in report.findings.iter().enumerate() {
        let group_key = format!("{member_id}\u{1f}yara:{}", f.rule);
        let mut matched = vec![
            serde_json::json!({"field": "file.path", "value": f.path}),
            serde_json::json!({"field": "file.hash.sha256", "value": f.sha256}),
        ];
        matched.extend(f.matches.iter().map(
            |m| serde_json::json!({"field": format!("{}@{}", m.id, m.offset), "value": m.data}),
        ));
        hits.push(NewHit {
            member_id: member_id.to_owned(),
            group_key: group_key.clone(),
            kind: "webshell".into(),
            rule_id: format!("yara:{}", f.rule),
            title: format!("Webshell: {}", f.rule),
            severity: f.severity.clone(),
            attack: f.attack.clone(),
            tags: vec!["webshell".into(), "yara".into()],
            rule_file: rules.meta(&f.rule).map(|m| m.origin.clone()),
            event_id: format!("{scan_id}:{}", i + 1),
            received_at: now.0,
            event_time: now.0,
            detail: serde_json::json!({
                "matched": matched,
                "scan": scan_id,
                "path": f.path,
                "sha256": f.sha256,
                "matches": f.matches,
                "description": f.description,
            }),
            event: serde_json::json!({
                "file": {"path": f.path, "size": f.size, "hash": {"sha256": f.sha256}},
                "webshell": {"scan": scan_id, "origin": uploader.origin, "upload": label, "rule": f.rule},
                "organization": {"id": member_id},
            }),
        });
        findings.push(NewWebshellFinding {
            path: f.path.clone(),
            sha256: f.sha256.clone(),
            size: f.size as i64,
            rule: f.rule.clone(),
            severity: f.severity.clone(),
            description: f.description.clone(),
            matches: serde_json::to_string(&f.matches).unwrap_or_else(|_| "[]".into()),
            group_key,
        });
    }
    if !hits.is_empty() {
        store.record_hits(&hits, now).await?;
    }
    let kept: Vec<&Skipped> = report.skipped.iter().take(SKIPPED_KEPT).collect();
    let row = WebshellScanRow {
        id: scan_id.clone(),
        member_id: member_id.to_owned(),
        origin: uploader.origin.to_owned(),
        label: label.clone(),
        uploaded_by: uploader.name.clone(),
        org_id: uploader.org_id.clone(),
        archive_sha256,
        archive_bytes,
        files: report.files as i64,
        bytes: report.bytes as i64,
        skipped: report.skipped.len() as i64,
        skipped_detail: serde_json::to_string(&kept).unwrap_or_else(|_| "[]".into()),
        findings: report.findings.len() as i64,
        flagged_files: report.flagged_files() as i64,
        rules_digest: digest,
        started_at: now.0,
        finished_at: now.0 + elapsed,
    };
    let audit = uploader.audit(now).details(serde_json::json!({
        "member": member_id,
        "origin": uploader.origin,
        "upload": label,
        "files": report.files,
        "skipped": report.skipped.len(),
        "findings": report.findings.len(),
        "rules_digest": row.rules_digest,
    }));
    store.record_webshell_scan(&row, &findings, audit).await?;
    if !report.findings.is_empty() {
        tracing::warn!(
            scan = %scan_id, member = %member_id, findings = report.findings.len(),
            "webshell scan found matches"
        );
    }
    detail_of(store, row, medsec_store::watch::MemberScope::All).await
}

/// A user's upload (UI or API) for a member.
pub async fn upload(
    store: &Store,
    by: &By,
    origin: &'static str,
    member_key: Option<&str>,
    label: &str,
    bytes: Vec<u8>,
    now: Timestamp,
) -> Result<ScanDetail> {
    let member_id = target_member(store, by, member_key).await?;
    scan_upload(
        store,
        &Uploader::of(by, origin),
        &member_id,
        label,
        bytes,
        now,
    )
    .await
}

/// An agent's upload, authenticated by the member's ingest token (the
/// token of one of its enabled `http` log sources).
pub async fn agent_upload(
    store: &Store,
    token: &str,
    ip: &str,
    label: &str,
    bytes: Vec<u8>,
    now: Timestamp,
) -> Result<ScanDetail> {
    let source = store
        .log_source_by_credential(Transport::Http, &crate::watch::token_hash(token.trim()))
        .await?
        .ok_or(Error::Unauthenticated)?;
    let uploader = Uploader {
        origin: "agent",
        name: format!("agent:{}", source.name),
        org_id: source.member_id.clone(),
        user_id: None,
        source: ip.to_owned(),
    };
    scan_upload(store, &uploader, &source.member_id, label, bytes, now).await
}

async fn member_name(store: &Store, id: &str) -> Result<String> {
    Ok(store
        .get_org(id)
        .await?
        .map_or_else(|| id.to_owned(), |o| o.name))
}

async fn detail_of(
    store: &Store,
    scan: WebshellScanRow,
    scope: medsec_store::watch::MemberScope<'_>,
) -> Result<ScanDetail> {
    let findings = store
        .webshell_findings(scope, &scan.id)
        .await?
        .into_iter()
        .map(|f| FindingView {
            matches_list: serde_json::from_str(&f.matches).unwrap_or_default(),
            finding: f,
        })
        .collect();
    let skipped = serde_json::from_str(&scan.skipped_detail).unwrap_or_default();
    Ok(ScanDetail {
        scan: ScanView {
            member_name: member_name(store, &scan.member_id).await?,
            scan,
        },
        findings,
        skipped,
    })
}

/// A query of the scan list.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::IntoParams)]
pub struct ScanQuery {
    /// A member organisation's id (the ISAC).
    #[serde(default)]
    pub member: Option<String>,
    #[serde(default)]
    pub page: Option<i64>,
}

/// A page of scans.
#[derive(Clone, Debug, serde::Serialize)]
pub struct ScanList {
    pub scans: Vec<ScanView>,
    pub total: i64,
    pub page: i64,
    pub pages: i64,
}

/// Scans in the caller's scope, newest first.
pub async fn scans(store: &Store, by: &By, q: &ScanQuery) -> Result<ScanList> {
    let scope = scope(by)?;
    let page = q.page.unwrap_or(1).max(1);
    let member = q.member.as_deref().map(str::trim).filter(|m| !m.is_empty());
    let (rows, total) = store
        .webshell_scans(scope, member, PAGE, (page - 1) * PAGE)
        .await?;
    let names: std::collections::HashMap<String, String> = store
        .list_orgs()
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    Ok(ScanList {
        scans: rows
            .into_iter()
            .map(|s| ScanView {
                member_name: names
                    .get(&s.member_id)
                    .cloned()
                    .unwrap_or_else(|| s.member_id.clone()),
                scan: s,
            })
            .collect(),
        total,
        page,
        pages: ((total + PAGE - 1) / PAGE).max(1),
    })
}

/// One scan in the caller's scope with its findings; another member's and
/// a missing one look the same.
pub async fn scan(store: &Store, by: &By, id: &str) -> Result<ScanDetail> {
    let scope = scope(by)?;
    let row = store
        .webshell_scan(scope, id)
        .await?
        .ok_or(Error::NotFound)?;
    detail_of(store, row, scope).await
}

/// The built-in rules, for the rule list.
pub fn rule_list() -> Result<Vec<medsec_webshell::RuleMeta>> {
    Ok(rules()?.all().cloned().collect())
}

#[cfg(test)]
mod tests {
    #[test]
    fn labels_are_cleaned() {
        assert_eq!(super::clean_label(""), "upload");
        assert_eq!(super::clean_label("a\nb.zip"), "a\u{fffd}b.zip");
        let long = "가".repeat(300);
        assert_eq!(super::clean_label(&long).chars().count(), 200);
    }
}

/// What the server answered an agent's upload.
#[derive(Clone, Debug)]
pub struct AgentAnswer {
    pub status: u16,
    pub body: String,
}

/// Posts a packed web root to `server`'s agent endpoint
/// (`/api/v1/ingest/webshell`) with the member's ingest token, trusting
/// the CA certificates in `ca_file` (PEM; medsec's own self-signed
/// certificate works) or else the system's. For `medsec webshell upload`.
pub async fn send_webroot(
    server: &str,
    token: &str,
    ca_file: Option<&std::path::Path>,
    label: &str,
    zip: Vec<u8>,
    timeout: Duration,
) -> std::result::Result<AgentAnswer, String> {
    use hyper_util::rt::TokioIo;
    let base: hyper::Uri = server
        .trim()
        .parse()
        .map_err(|e| format!("server address {server}: {e}"))?;
    if base.scheme_str() != Some("https") {
        return Err(format!("server address {server}: https:// required"));
    }
    let authority = base
        .authority()
        .ok_or_else(|| format!("server address {server}: no host"))?
        .clone();
    let host = authority.host().trim_matches(['[', ']']).to_owned();
    let port = authority.port_u16().unwrap_or(443);
    let tls = std::sync::Arc::new(crate::webhook::client_config(ca_file)?);
    let name = rustls::pki_types::ServerName::try_from(host.clone()).map_err(|e| e.to_string())?;
    let query = serde_urlencoded::to_string([("filename", label)]).unwrap_or_default();
    let path = format!(
        "{}/api/v1/ingest/webshell?{query}",
        base.path().trim_end_matches('/')
    );
    let token = token.trim().to_owned();
    let attempt = async move {
        let tcp = tokio::net::TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|e| format!("connect {host}:{port}: {e}"))?;
        let stream = tokio_rustls::TlsConnector::from(tls)
            .connect(name, tcp)
            .await
            .map_err(|e| format!("TLS with {host}: {e}"))?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
        let conn = tokio::spawn(conn);
        let req = hyper::Request::post(path)
            .header(hyper::header::HOST, authority.as_str())
            .header(hyper::header::CONTENT_TYPE, "application/zip")
            .header(hyper::header::AUTHORIZATION, format!("Bearer {token}"))
            .header(hyper::header::USER_AGENT, "medsec-webshell-agent")
            .body(axum::body::Body::from(zip))
            .map_err(|e| e.to_string())?;
        let res = sender.send_request(req).await.map_err(|e| e.to_string())?;
        let status = res.status().as_u16();
        let body = axum::body::to_bytes(axum::body::Body::new(res.into_body()), 4 * 1024 * 1024)
            .await
            .map_err(|e| e.to_string())?;
        drop(sender);
        conn.abort();
        Ok::<AgentAnswer, String>(AgentAnswer {
            status,
            body: String::from_utf8_lossy(&body).into_owned(),
        })
    };
    tokio::time::timeout(timeout, attempt)
        .await
        .map_err(|_| format!("no answer within {} s", timeout.as_secs()))?
}
