//! Watch (the ISAC's log collection) as users see it: members' log
//! sources, masking rules and retention, with validation, permissions and
//! audit. The receivers themselves live in `medsec-ingest`.
//!
//! Who may do what: the ISAC's users see every member and, with write
//! permission, set up sources, masking and retention; a hospital's users
//! see their own sources, counts and error samples and nothing of other
//! members; other organisations see nothing here.

use medsec_core::audit::Action;
use medsec_core::validate::FieldError;
use medsec_core::{OrgKind, Timestamp};
use medsec_store::Store;
use medsec_store::watch::{
    LogSourceChange, LogSourceRow, MaskingRuleRow, MemberScope, NewLogSource, Transport,
};
use sha2::{Digest, Sha256};

use crate::assure::By;
use crate::error::{Error, Result};

/// The formats a source may be set to besides an active analyst-defined
/// decoder's name.
pub const FORMATS: &[&str] = &medsec_logs::normalize::Format::BUILTIN;

/// The longest silence a source may be allowed (30 days, in seconds).
pub const MAX_SILENT_AFTER: i64 = 30 * 24 * 3600;

/// The members whose data the caller may see.
pub fn scope(by: &By) -> Result<MemberScope<'_>> {
    match by.org_kind {
        OrgKind::Isac => Ok(MemberScope::All),
        OrgKind::Hospital => Ok(MemberScope::Member(&by.org_id)),
        _ => Err(Error::Forbidden),
    }
}

/// Fails unless the caller is the ISAC (for changes to sources, masking
/// and retention).
pub fn isac(by: &By) -> Result<()> {
    if by.org_kind == OrgKind::Isac {
        Ok(())
    } else {
        Err(Error::Forbidden)
    }
}

/// A source as the form or API gives it.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct SourceForm {
    /// The member organisation's id or name.
    pub member: String,
    pub name: String,
    pub transport: String,
    pub port: Option<u16>,
    #[serde(default)]
    pub format: Option<String>,
    /// The member's client certificate (PEM), for `tls`.
    #[serde(default)]
    pub certificate: Option<String>,
    /// Seconds of silence before the source is reported; 0 = never.
    #[serde(default)]
    pub silent_after: Option<i64>,
}

/// What creating a source returns: the source and, for `http`, the token
/// the member sends with each request, shown only this once.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CreatedSource {
    pub source: LogSourceRow,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// The SHA-256 (hex) of a certificate's DER bytes, from PEM; how TLS
/// connections are attributed.
pub fn certificate_fingerprint(pem: &str) -> Result<String> {
    let mut reader = std::io::Cursor::new(pem.as_bytes());
    let mut certs = Vec::new();
    for item in rustls_pki_types::pem::PemObject::pem_reader_iter(&mut reader) {
        match item {
            Ok(cert) => certs.push(rustls_pki_types::CertificateDer::into_owned(cert)),
            Err(_) => return Err(Error::field("certificate", "invalid_certificate")),
        }
    }
    match certs.as_slice() {
        [one] => {
            // Only a well-formed X.509 certificate is pinned: a PEM block
            // of anything else would never match a TLS handshake.
            if webpki::EndEntityCert::try_from(one).is_err() {
                return Err(Error::field("certificate", "invalid_certificate"));
            }
            Ok(medsec_core::credential::hex(&Sha256::digest(one.as_ref())))
        }
        _ => Err(Error::field("certificate", "one_certificate")),
    }
}

/// The SHA-256 (hex) of an ingest token, as stored.
pub fn token_hash(token: &str) -> String {
    medsec_core::credential::hex(&Sha256::digest(token.as_bytes()))
}

/// Checks a format name: a built-in format or an active decoder.
pub async fn check_format(store: &Store, format: &str) -> Result<()> {
    if FORMATS.contains(&format) {
        return Ok(());
    }
    match store.decoder(format).await? {
        Some(d) if d.active => Ok(()),
        _ => Err(Error::field("format", "unknown_format")),
    }
}

/// Finds a member organisation (a hospital) by id or name.
pub async fn member(store: &Store, key: &str) -> Result<medsec_store::Organization> {
    let key = key.trim();
    let org = match store.get_org(key).await? {
        Some(o) => Some(o),
        None => store.list_orgs().await?.into_iter().find(|o| o.name == key),
    };
    match org {
        Some(o) if o.kind == OrgKind::Hospital => Ok(o),
        _ => Err(Error::field("member", "unknown_member")),
    }
}

pub async fn source_create(store: &Store, by: &By, form: &SourceForm) -> Result<CreatedSource> {
    isac(by)?;
    let mut errors = Vec::new();
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        errors.push(FieldError::new("name", "length"));
    }
    let transport = Transport::parse(form.transport.trim());
    match transport {
        None => errors.push(FieldError::new("transport", "invalid_choice")),
        Some(t) if t.has_port() => {
            if form.port.is_none_or(|p| p == 0) {
                errors.push(FieldError::new("port", "required"));
            }
        }
        Some(_) => {
            if form.port.is_some() {
                errors.push(FieldError::new("port", "not_allowed"));
            }
        }
    }
    let silent_after = form.silent_after.unwrap_or(3600);
    if !(0..=MAX_SILENT_AFTER).contains(&silent_after) {
        errors.push(FieldError::new("silent_after", "out_of_range"));
    }
    let format = form.format.as_deref().map_or("auto", str::trim).to_owned();
    if let Err(Error::Invalid(mut e)) = check_format(store, &format).await {
        errors.append(&mut e);
    }
    let member = match member(store, &form.member).await {
        Ok(m) => Some(m),
        Err(Error::Invalid(mut e)) => {
            errors.append(&mut e);
            None
        }
        Err(e) => return Err(e),
    };
    let mut credential = None;
    let mut token = None;
    match transport {
        Some(Transport::Tls) => match form.certificate.as_deref().map(str::trim) {
            Some(pem) if !pem.is_empty() => match certificate_fingerprint(pem) {
                Ok(f) => credential = Some(f),
                Err(Error::Invalid(mut e)) => errors.append(&mut e),
                Err(e) => return Err(e),
            },
            _ => errors.push(FieldError::new("certificate", "required")),
        },
        Some(Transport::Http) => {
            let t = format!("msi_{}", medsec_core::credential::random_token(32));
            credential = Some(token_hash(&t));
            token = Some(t);
        }
        _ => {}
    }
    let (Some(member), Some(transport), true) = (member, transport, errors.is_empty()) else {
        return Err(Error::Invalid(errors));
    };
    let now = Timestamp::now();
    let source = store
        .create_log_source(
            &NewLogSource {
                member_id: member.id,
                name: name.to_owned(),
                transport,
                port: form.port.filter(|_| transport.has_port()),
                format,
                credential,
                silent_after,
            },
            &by.name,
            now,
            by.audit(now, Action::LogSourceCreated),
        )
        .await?;
    Ok(CreatedSource { source, token })
}

/// Changes a source: format, silence, enabled; for `http` a new token
/// (`renew_token`), for `tls` a new certificate.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct SourceChangeForm {
    #[serde(default)]
    pub format: Option<String>,
    #[serde(default)]
    pub silent_after: Option<i64>,
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub certificate: Option<String>,
    #[serde(default)]
    pub renew_token: bool,
}

pub async fn source_update(
    store: &Store,
    by: &By,
    id: &str,
    form: &SourceChangeForm,
) -> Result<CreatedSource> {
    isac(by)?;
    let Some(current) = store.log_source(MemberScope::All, id).await? else {
        return Err(Error::NotFound);
    };
    let mut change = LogSourceChange {
        enabled: form.enabled,
        ..Default::default()
    };
    if let Some(f) = &form.format {
        check_format(store, f.trim()).await?;
        change.format = Some(f.trim().to_owned());
    }
    if let Some(s) = form.silent_after {
        if !(0..=MAX_SILENT_AFTER).contains(&s) {
            return Err(Error::field("silent_after", "out_of_range"));
        }
        change.silent_after = Some(s);
    }
    let mut token = None;
    match current.transport() {
        Some(Transport::Tls) => {
            if let Some(pem) = form.certificate.as_deref().filter(|p| !p.trim().is_empty()) {
                change.credential = Some(certificate_fingerprint(pem)?);
            }
        }
        Some(Transport::Http) if form.renew_token => {
            let t = format!("msi_{}", medsec_core::credential::random_token(32));
            change.credential = Some(token_hash(&t));
            token = Some(t);
        }
        _ => {}
    }
    let now = Timestamp::now();
    let source = store
        .update_log_source(
            MemberScope::All,
            id,
            &change,
            now,
            by.audit(now, Action::LogSourceUpdated),
        )
        .await?;
    Ok(CreatedSource { source, token })
}

pub async fn source_delete(store: &Store, by: &By, id: &str) -> Result<()> {
    isac(by)?;
    store
        .delete_log_source(
            MemberScope::All,
            id,
            by.audit(Timestamp::now(), Action::LogSourceDeleted),
        )
        .await?;
    Ok(())
}

/// Adds a masking rule: a `pattern` (regular expression) for patient ids,
/// for one member or (`member` empty) for every member.
pub async fn masking_add(
    store: &Store,
    by: &By,
    member_key: Option<&str>,
    name: &str,
    pattern: &str,
) -> Result<MaskingRuleRow> {
    isac(by)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Error::field("name", "length"));
    }
    if pattern.is_empty() || pattern.len() > 1000 || regex::Regex::new(pattern).is_err() {
        return Err(Error::field("pattern", "invalid_pattern"));
    }
    let member_id = match member_key.map(str::trim).filter(|k| !k.is_empty()) {
        Some(k) => Some(member(store, k).await?.id),
        None => None,
    };
    let now = Timestamp::now();
    Ok(store
        .add_masking_rule(
            &medsec_store::watch::NewMaskingRule {
                member_id: member_id.as_deref(),
                name,
                kind: "pattern",
                pattern: Some(pattern),
            },
            &by.name,
            now,
            by.audit(now, Action::MaskingRuleChanged),
        )
        .await?)
}

pub async fn masking_enable(store: &Store, by: &By, id: &str, enabled: bool) -> Result<()> {
    isac(by)?;
    store
        .set_masking_rule_enabled(
            id,
            enabled,
            by.audit(Timestamp::now(), Action::MaskingRuleChanged),
        )
        .await?;
    Ok(())
}

/// The shortest and longest retention a member may have (days).
pub const RETENTION_DAYS: std::ops::RangeInclusive<i64> = 1..=3650;

pub async fn retention_set(store: &Store, by: &By, member_key: &str, days: i64) -> Result<()> {
    isac(by)?;
    if !RETENTION_DAYS.contains(&days) {
        return Err(Error::field("retention_days", "out_of_range"));
    }
    let member = member(store, member_key).await?;
    store
        .set_retention_days(
            &member.id,
            days,
            by.audit(Timestamp::now(), Action::RetentionChanged),
        )
        .await?;
    Ok(())
}

// --- analyst-defined decoders ---------------------------------------------

/// A decoder's samples, as the UI and API show them.
#[derive(Clone, Debug, serde::Serialize)]
pub struct DecoderTest {
    pub decoder: String,
    pub passed: bool,
    /// One line per sample: `sample 1: ok`, or what differed.
    pub report: String,
}

impl DecoderTest {
    fn of(report: &medsec_logs::custom::TestReport) -> DecoderTest {
        DecoderTest {
            decoder: report.decoder.clone(),
            passed: report.passed(),
            report: report.to_string(),
        }
    }
}

/// Reads and compiles one decoder definition; errors name the definition,
/// the pattern and the character position.
pub fn decoder_compile(definition: &str) -> Result<medsec_logs::custom::CustomDecoder> {
    use medsec_logs::custom::{CustomDecoder, parse_definitions};
    let bad = |detail: String| Error::BadRequest {
        code: "decoder",
        detail,
    };
    if definition.len() > 256 * 1024 {
        return Err(bad("the definition is larger than 256 KiB".into()));
    }
    let mut defs = parse_definitions(definition, "definition").map_err(|e| bad(e.to_string()))?;
    if defs.len() != 1 {
        return Err(bad(format!(
            "a stored definition holds exactly one decoder; this one holds {}",
            defs.len()
        )));
    }
    let def = defs.remove(0);
    let name_ok = !def.name.is_empty()
        && def.name.len() <= 64
        && def
            .name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !name_ok {
        return Err(bad(format!(
            "decoder name {:?}: use 1 to 64 lower-case letters, digits and '-'",
            def.name
        )));
    }
    if medsec_logs::normalize::Format::builtin(&def.name).is_some() {
        return Err(bad(format!(
            "decoder name {:?} is a built-in format",
            def.name
        )));
    }
    CustomDecoder::compile(def).map_err(|e| bad(e.to_string()))
}

/// Runs a definition's samples without storing it.
pub fn decoder_test(definition: &str) -> Result<DecoderTest> {
    let decoder = decoder_compile(definition)?;
    Ok(DecoderTest::of(&decoder.test(now_ns())))
}

fn now_ns() -> i64 {
    Timestamp::now().0.saturating_mul(1_000_000)
}

/// Stores a definition (new or replacing one of the same name, which
/// makes it inactive until its samples pass again) and runs its samples.
pub async fn decoder_save(
    store: &Store,
    by: &By,
    definition: &str,
) -> Result<(medsec_store::watch::DecoderRow, DecoderTest)> {
    isac(by)?;
    let decoder = decoder_compile(definition)?;
    let test = DecoderTest::of(&decoder.test(now_ns()));
    let now = Timestamp::now();
    let row = store
        .save_decoder(
            decoder.name(),
            definition,
            &by.name,
            now,
            by.audit(now, Action::DecoderSaved),
        )
        .await?;
    Ok((row, test))
}

/// Activates a stored decoder if its samples pass now; the answer is the
/// test either way, and an `Invalid` error when they do not pass.
pub async fn decoder_activate(store: &Store, by: &By, name: &str) -> Result<DecoderTest> {
    isac(by)?;
    let Some(row) = store.decoder(name).await? else {
        return Err(Error::NotFound);
    };
    let decoder = decoder_compile(&row.definition)?;
    let test = DecoderTest::of(&decoder.test(now_ns()));
    if !test.passed {
        return Err(Error::BadRequest {
            code: "decoder_samples",
            detail: test.report,
        });
    }
    let now = Timestamp::now();
    store
        .set_decoder_active(name, true, now, by.audit(now, Action::DecoderActivated))
        .await?;
    Ok(test)
}

pub async fn decoder_deactivate(store: &Store, by: &By, name: &str) -> Result<()> {
    isac(by)?;
    let now = Timestamp::now();
    store
        .set_decoder_active(name, false, now, by.audit(now, Action::DecoderActivated))
        .await?;
    Ok(())
}

/// Deletes a decoder no source uses.
pub async fn decoder_delete(store: &Store, by: &By, name: &str) -> Result<()> {
    isac(by)?;
    if store
        .log_sources(MemberScope::All)
        .await?
        .iter()
        .any(|s| s.format == name)
    {
        return Err(Error::Conflict {
            field: "format".into(),
        });
    }
    store
        .delete_decoder(name, by.audit(Timestamp::now(), Action::DecoderDeleted))
        .await?;
    Ok(())
}

// --- event search -----------------------------------------------------------

/// The event store and receivers of this node, when it collects logs.
pub struct Watch {
    pub events: std::sync::Arc<medsec_events::EventStore>,
    pub ingest: std::sync::Arc<medsec_ingest::Ingest>,
}

/// A search as the UI and API ask it.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct SearchParams {
    /// The query (docs/search.md); empty = every event.
    #[serde(default)]
    pub q: String,
    /// RFC 3339 start (default: 24 hours before `to`).
    #[serde(default)]
    pub from: Option<String>,
    /// RFC 3339 end, exclusive (default: now).
    #[serde(default)]
    pub to: Option<String>,
    /// One member (id or name); ISAC users only.
    #[serde(default)]
    pub member: Option<String>,
    /// Events per page (1 to 1,000; default 100).
    #[serde(default)]
    pub size: Option<usize>,
    /// The `next` cursor of the previous page.
    #[serde(default)]
    pub cursor: Option<String>,
}

/// One page of a search.
pub struct SearchPage {
    pub total: u64,
    pub events: Vec<medsec_logs::Event>,
    pub histogram: Option<medsec_events::Histogram>,
    pub next: Option<String>,
    pub from: i64,
    pub to: i64,
    /// Member ids to names, for display.
    pub members: std::collections::HashMap<String, String>,
}

/// The largest page.
pub const MAX_PAGE: usize = 1000;

fn parse_time(field: &str, text: &str) -> Result<i64> {
    use time::format_description::well_known::Rfc3339;
    time::OffsetDateTime::parse(text.trim(), &Rfc3339)
        .ok()
        .and_then(|t| i64::try_from(t.unix_timestamp_nanos()).ok())
        .ok_or_else(|| Error::field(field, "invalid_time"))
}

/// A histogram bucket width giving about 60 bars over the range.
pub fn bucket_width(from: i64, to: i64) -> i64 {
    const S: i64 = 1_000_000_000;
    let steps = [
        S,
        5 * S,
        15 * S,
        60 * S,
        5 * 60 * S,
        15 * 60 * S,
        3600 * S,
        3 * 3600 * S,
        6 * 3600 * S,
        12 * 3600 * S,
        86_400 * S,
        7 * 86_400 * S,
        30 * 86_400 * S,
    ];
    let want = (to - from) / 60;
    steps
        .iter()
        .copied()
        .find(|w| *w >= want)
        .unwrap_or(want.max(S))
}

/// The event store's view of who the caller may see, with a member
/// filter (ISAC only; a hospital always sees just itself).
async fn event_scope(
    store: &Store,
    by: &By,
    member: Option<&str>,
) -> Result<medsec_events::MemberScope> {
    match (scope(by)?, member.map(str::trim).filter(|m| !m.is_empty())) {
        (MemberScope::All, None) => Ok(medsec_events::MemberScope::AllMembers),
        (MemberScope::All, Some(m)) => Ok(medsec_events::MemberScope::member(
            self::member(store, m).await?.id,
        )),
        (MemberScope::Member(own), _) => Ok(medsec_events::MemberScope::member(own)),
    }
}

/// The parsed query and range of a search.
fn query_and_range(params: &SearchParams, now_ns: i64) -> Result<(medsec_events::Query, i64, i64)> {
    let query = if params.q.trim().is_empty() {
        medsec_events::Query::all()
    } else {
        medsec_events::Query::parse(&params.q).map_err(|e| Error::BadRequest {
            code: "query",
            detail: e.to_string(),
        })?
    };
    let to = match params.to.as_deref().filter(|t| !t.trim().is_empty()) {
        Some(t) => parse_time("to", t)?,
        None => now_ns,
    };
    let from = match params.from.as_deref().filter(|t| !t.trim().is_empty()) {
        Some(t) => parse_time("from", t)?,
        None => to - 86_400 * 1_000_000_000,
    };
    if from >= to {
        return Err(Error::field("from", "not_before_to"));
    }
    Ok((query, from, to))
}

fn watch_of(state: &crate::AppState) -> Result<&Watch> {
    state.watch.get().ok_or(Error::BadRequest {
        code: "watch_off",
        detail: "this node does not collect logs (no event store)".into(),
    })
}

pub async fn search(state: &crate::AppState, by: &By, params: &SearchParams) -> Result<SearchPage> {
    let watch = watch_of(state)?;
    let scope = event_scope(&state.store, by, params.member.as_deref()).await?;
    let (query, from, to) = query_and_range(params, state.now().0.saturating_mul(1_000_000))?;
    let size = params.size.unwrap_or(100).clamp(1, MAX_PAGE);
    let cursor = params
        .cursor
        .as_deref()
        .filter(|c| !c.is_empty())
        .map(medsec_events::Cursor::from_text);
    let req =
        medsec_events::SearchRequest::new(query, medsec_events::TimeRange::new(from, to), scope)
            .page_size(size)
            .cursor(cursor)
            .histogram(bucket_width(from, to));
    let events = watch.events.clone();
    let result = tokio::task::spawn_blocking(move || events.search(&req))
        .await
        .map_err(|e| Error::Internal(e.to_string()))?
        .map_err(|e| match e {
            medsec_events::Error::Request(detail) => Error::BadRequest {
                code: "search",
                detail,
            },
            other => Error::Internal(other.to_string()),
        })?;
    let members = state
        .store
        .list_orgs()
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    Ok(SearchPage {
        total: result.total,
        events: result.events,
        histogram: result.histogram,
        next: result.next.map(|c| c.to_string()),
        from,
        to,
        members,
    })
}

/// An event as the API returns it.
pub fn event_json(
    ev: &medsec_logs::Event,
    members: &std::collections::HashMap<String, String>,
) -> serde_json::Value {
    let fields: serde_json::Map<String, serde_json::Value> = ev
        .fields
        .iter()
        .map(|(k, v)| {
            (
                k.to_owned(),
                serde_json::to_value(v).unwrap_or(serde_json::Value::Null),
            )
        })
        .collect();
    serde_json::json!({
        "id": ev.id.to_string(),
        "@timestamp": medsec_events::rfc3339(ev.timestamp),
        "ingested": medsec_events::rfc3339(ev.received),
        "member": ev.member,
        "member_name": members.get(&ev.member),
        "source": ev.source,
        "raw": ev.raw,
        "fields": fields,
    })
}

/// Export formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Ndjson,
}

/// The most events one export writes.
pub const MAX_EXPORT: u64 = 1_000_000;

/// Every match of a search (oldest first, at most [`MAX_EXPORT`]) as CSV
/// or NDJSON; audited.
pub async fn export(
    state: &crate::AppState,
    by: &By,
    params: &SearchParams,
    format: ExportFormat,
) -> Result<Vec<u8>> {
    let watch = watch_of(state)?;
    let scope = event_scope(&state.store, by, params.member.as_deref()).await?;
    let (query, from, to) = query_and_range(params, state.now().0.saturating_mul(1_000_000))?;
    let events = watch.events.clone();
    let q_text = params.q.clone();
    let (bytes, rows) = tokio::task::spawn_blocking(move || -> Result<(Vec<u8>, u64)> {
        let it = events
            .export(
                &query,
                medsec_events::TimeRange::new(from, to),
                &scope,
                medsec_events::Order::OldestFirst,
            )
            .map_err(|e| Error::Internal(e.to_string()))?;
        let mut rows = 0u64;
        let out = match format {
            ExportFormat::Csv => {
                let columns = [
                    "@timestamp",
                    "member",
                    "source",
                    "host.name",
                    "source.ip",
                    "destination.ip",
                    "destination.port",
                    "event.action",
                    "user.name",
                    "url.path",
                    "raw",
                ]
                .iter()
                .map(|c| (*c).to_owned())
                .collect();
                let mut w = medsec_events::CsvWriter::new(
                    Vec::new(),
                    columns,
                    medsec_events::CsvOptions::default(),
                )
                .map_err(|e| Error::Internal(e.to_string()))?;
                for ev in it.take(MAX_EXPORT as usize) {
                    let ev = ev.map_err(|e| Error::Internal(e.to_string()))?;
                    w.write(&ev).map_err(|e| Error::Internal(e.to_string()))?;
                    rows += 1;
                }
                w.finish().map_err(|e| Error::Internal(e.to_string()))?
            }
            ExportFormat::Ndjson => {
                let mut w = medsec_events::NdjsonWriter::new(Vec::new());
                for ev in it.take(MAX_EXPORT as usize) {
                    let ev = ev.map_err(|e| Error::Internal(e.to_string()))?;
                    w.write(&ev).map_err(|e| Error::Internal(e.to_string()))?;
                    rows += 1;
                }
                w.finish().map_err(|e| Error::Internal(e.to_string()))?
            }
        };
        Ok((out, rows))
    })
    .await
    .map_err(|e| Error::Internal(e.to_string()))??;
    let now = Timestamp::now();
    state
        .store
        .audit(
            by.audit(now, Action::EventsExported)
                .details(serde_json::json!({"query": q_text, "from": medsec_events::rfc3339(from), "to": medsec_events::rfc3339(to), "member": params.member, "events": rows, "format": match format { ExportFormat::Csv => "csv", ExportFormat::Ndjson => "ndjson" }})),
        )
        .await?;
    Ok(bytes)
}

/// The member's file source `name` (for `medsec logs import`), created on
/// first use.
pub async fn file_source(
    store: &Store,
    by: &By,
    member_id: &str,
    name: &str,
    format: &str,
) -> Result<LogSourceRow> {
    isac(by)?;
    let existing = store
        .log_sources(MemberScope::Member(member_id))
        .await?
        .into_iter()
        .find(|s| s.name == name);
    match existing {
        Some(s) if s.transport() == Some(Transport::File) => Ok(s),
        Some(_) => Err(Error::Conflict {
            field: "name".into(),
        }),
        None => {
            let now = Timestamp::now();
            Ok(store
                .create_log_source(
                    &NewLogSource {
                        member_id: member_id.to_owned(),
                        name: name.to_owned(),
                        transport: Transport::File,
                        port: None,
                        format: format.to_owned(),
                        credential: None,
                        silent_after: 0,
                    },
                    &by.name,
                    now,
                    by.audit(now, Action::LogSourceCreated),
                )
                .await?)
        }
    }
}
