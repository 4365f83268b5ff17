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
        errors.push(
            FieldError::new("name", "length")
                .with("min", 1)
                .with("max", 100),
        );
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
        errors.push(FieldError::range("silent_after", 0, MAX_SILENT_AFTER));
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
            return Err(Error::Invalid(vec![FieldError::range(
                "silent_after",
                0,
                MAX_SILENT_AFTER,
            )]));
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

/// The longest masking pattern (bytes).
pub const MAX_PATTERN: usize = 1000;

/// The longest line the masking test box takes (bytes).
pub const MAX_MASK_SAMPLE: usize = 64 * 1024;

/// Checks a masking pattern exactly as the receivers will compile it
/// (`medsec_logs::mask::Masker`, with its size limit): a pattern that
/// passed here but failed there would stop the member's sources, which
/// are never run unmasked. A pattern that matches the empty string is
/// refused too, since it would "mask" between every character.
pub fn check_pattern(pattern: &str) -> std::result::Result<(), FieldError> {
    use medsec_logs::mask::{MaskConfig, Masker, PatternRule};
    if pattern.trim().is_empty() {
        return Err(FieldError::new("pattern", "required"));
    }
    if pattern.len() > MAX_PATTERN {
        return Err(FieldError::new("pattern", "too_long").with("max", MAX_PATTERN));
    }
    let config = MaskConfig {
        patterns: vec![PatternRule {
            name: "check".into(),
            regex: pattern.to_owned(),
            replacement: Default::default(),
        }],
        ..MaskConfig::default()
    };
    if Masker::new(config).is_err() {
        return Err(FieldError::new("pattern", "invalid_pattern"));
    }
    match regex::Regex::new(pattern) {
        Ok(r) if r.is_match("") => Err(FieldError::new("pattern", "matches_empty")),
        Ok(_) => Ok(()),
        Err(_) => Err(FieldError::new("pattern", "invalid_pattern")),
    }
}

/// The masking rules that apply to the caller's members: for the ISAC
/// every rule, for a hospital the built-in ones, those for every member
/// and its own.
pub async fn masking_rules(store: &Store, by: &By) -> Result<Vec<MaskingRuleRow>> {
    Ok(store.masking_rules(scope(by)?).await?)
}

/// Checks a pattern rule's fields, all at once; gives the member id
/// (`None` = every member) and the trimmed name.
async fn masking_input(
    store: &Store,
    member_key: Option<&str>,
    name: &str,
    pattern: &str,
) -> Result<(Option<String>, String)> {
    let mut errors = Vec::new();
    let name = match medsec_core::validate::text("name", name, 1, 100) {
        Ok(n) => Some(n),
        Err(e) => {
            errors.push(e);
            None
        }
    };
    if let Err(e) = check_pattern(pattern) {
        errors.push(e);
    }
    let member_id = match member_key.map(str::trim).filter(|k| !k.is_empty()) {
        Some(k) => match member(store, k).await {
            Ok(m) => Some(m.id),
            Err(Error::Invalid(mut e)) => {
                errors.append(&mut e);
                None
            }
            Err(e) => return Err(e),
        },
        None => None,
    };
    match (name, errors.is_empty()) {
        (Some(name), true) => Ok((member_id, name)),
        _ => Err(Error::Invalid(errors)),
    }
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
    let (member_id, name) = masking_input(store, member_key, name, pattern).await?;
    let now = Timestamp::now();
    Ok(store
        .add_masking_rule(
            &medsec_store::watch::NewMaskingRule {
                member_id: member_id.as_deref(),
                name: &name,
                kind: "pattern",
                pattern: Some(pattern),
            },
            &by.name,
            now,
            by.audit(now, Action::MaskingRuleChanged),
        )
        .await?)
}

/// Changes a pattern rule's member, name and pattern; the built-in rules
/// (주민등록번호, phone numbers) can only be turned on and off.
pub async fn masking_update(
    store: &Store,
    by: &By,
    id: &str,
    member_key: Option<&str>,
    name: &str,
    pattern: &str,
) -> Result<MaskingRuleRow> {
    isac(by)?;
    let Some(current) = store.masking_rule(MemberScope::All, id).await? else {
        return Err(Error::NotFound);
    };
    if current.kind != "pattern" {
        return Err(Error::field("pattern", "builtin_rule"));
    }
    let (member_id, name) = masking_input(store, member_key, name, pattern).await?;
    Ok(store
        .update_masking_rule(
            id,
            &medsec_store::watch::NewMaskingRule {
                member_id: member_id.as_deref(),
                name: &name,
                kind: "pattern",
                pattern: Some(pattern),
            },
            by.audit(Timestamp::now(), Action::MaskingRuleChanged),
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

/// A line as the masking rules would store it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct MaskPreview {
    pub masked: String,
    /// Replacements per rule that made any, by rule name.
    pub replaced: Vec<(String, u32)>,
}

/// Masks a sample line with the rules that apply to a member (the ISAC
/// names one, or none for the rules of every member; a hospital always
/// gets its own), plus an optional draft pattern not stored yet. Nothing
/// is stored or audited: the line is the caller's own text.
pub async fn masking_preview(
    store: &Store,
    by: &By,
    member_key: Option<&str>,
    line: &str,
    draft: Option<&str>,
) -> Result<MaskPreview> {
    use medsec_logs::mask::{MaskCounts, Masker, PatternRule};
    let rules = match scope(by)? {
        MemberScope::Member(own) => store.masking_rules(MemberScope::Member(own)).await?,
        MemberScope::All => match member_key.map(str::trim).filter(|k| !k.is_empty()) {
            Some(k) => {
                let m = member(store, k).await?;
                store.masking_rules(MemberScope::Member(&m.id)).await?
            }
            None => store
                .masking_rules(MemberScope::All)
                .await?
                .into_iter()
                .filter(|r| r.member_id.is_none())
                .collect(),
        },
    };
    let mut errors = Vec::new();
    if line.trim().is_empty() {
        errors.push(FieldError::new("line", "required"));
    } else if line.len() > MAX_MASK_SAMPLE {
        errors.push(FieldError::new("line", "too_long").with("max", MAX_MASK_SAMPLE));
    }
    let draft = draft.filter(|d| !d.trim().is_empty());
    if let Some(d) = draft
        && let Err(e) = check_pattern(d)
    {
        errors.push(e);
    }
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    let mut config = medsec_ingest::decode::mask_config(&rules);
    if let Some(d) = draft {
        config.patterns.push(PatternRule {
            name: String::new(),
            regex: d.to_owned(),
            replacement: Default::default(),
        });
    }
    // A stored rule that no longer compiles (an older medsec's) is the
    // receivers' problem too: say so rather than show the line unmasked.
    let masker = Masker::new(config.clone())
        .map_err(|e| Error::Internal(format!("masking rules do not compile: {e}")))?;
    let mut counts = MaskCounts::default();
    let masked = masker.mask_str(line, &mut counts).into_owned();
    let mut replaced = Vec::new();
    if counts.rrn > 0 {
        replaced.push(("rrn".to_owned(), counts.rrn));
    }
    if counts.phone > 0 {
        replaced.push(("phone".to_owned(), counts.phone));
    }
    for (rule, n) in config.patterns.iter().zip(&counts.patterns) {
        if *n > 0 {
            replaced.push((rule.name.clone(), *n));
        }
    }
    Ok(MaskPreview { masked, replaced })
}

/// The shortest and longest retention a member may have (days).
pub const RETENTION_DAYS: std::ops::RangeInclusive<i64> = 1..=3650;

pub async fn retention_set(store: &Store, by: &By, member_key: &str, days: i64) -> Result<()> {
    isac(by)?;
    let mut errors = Vec::new();
    if !RETENTION_DAYS.contains(&days) {
        errors.push(FieldError::range(
            "retention_days",
            *RETENTION_DAYS.start(),
            *RETENTION_DAYS.end(),
        ));
    }
    let member = match member(store, member_key).await {
        Ok(m) => Some(m),
        Err(Error::Invalid(mut e)) => {
            errors.append(&mut e);
            None
        }
        Err(e) => return Err(e),
    };
    let (Some(member), true) = (member, errors.is_empty()) else {
        return Err(Error::Invalid(errors));
    };
    store
        .set_retention_days(
            &member.id,
            days,
            by.audit(Timestamp::now(), Action::RetentionChanged),
        )
        .await?;
    Ok(())
}

/// A member's retention as the retention page shows it.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Retention {
    pub member_id: String,
    pub member_name: String,
    pub days: i64,
    /// Whether the member has its own setting (else the default applies).
    pub own: bool,
}

/// Every member's retention for the ISAC; a hospital's own.
pub async fn retention_list(store: &Store, by: &By) -> Result<Vec<Retention>> {
    let scope = scope(by)?;
    let settings: std::collections::HashMap<String, i64> =
        store.retention_settings().await?.into_iter().collect();
    Ok(store
        .list_orgs()
        .await?
        .into_iter()
        .filter(|o| o.kind == OrgKind::Hospital)
        .filter(|o| match scope {
            MemberScope::All => true,
            MemberScope::Member(own) => o.id == own,
        })
        .map(|o| {
            let own = settings.get(&o.id).copied();
            Retention {
                days: own.unwrap_or(medsec_store::watch::DEFAULT_RETENTION_DAYS),
                own: own.is_some(),
                member_id: o.id,
                member_name: o.name,
            }
        })
        .collect())
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

/// Stores a definition as its decoder's draft (a new decoder, or a new
/// definition of a stored one) and runs its samples. A decoder in service
/// stays in service with its earlier definition: the sources that use it
/// go on with that version until the draft is activated.
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

/// What activating a decoder did.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Activation {
    /// The samples of the draft, which all passed.
    pub test: DecoderTest,
    /// The decoder as it is now, its draft in service.
    pub decoder: medsec_store::watch::DecoderRow,
    /// Whether an earlier, different version was in service and is
    /// replaced: the sources switch to the new one at the receivers' next
    /// reload.
    pub replaced: bool,
}

/// Puts a stored decoder's draft in service (in place of the version in
/// service, if any) if its samples pass now; a `decoder_samples` error
/// with the report when they do not, and nothing changes.
pub async fn decoder_activate(store: &Store, by: &By, name: &str) -> Result<Activation> {
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
    // Only the definition whose samples just passed is activated.
    match store
        .activate_decoder(
            name,
            &row.definition,
            now,
            by.audit(now, Action::DecoderActivated),
        )
        .await
    {
        Ok(done) => Ok(Activation {
            test,
            decoder: done.decoder,
            replaced: done.replaced,
        }),
        Err(medsec_store::StoreError::Conflict { .. }) => Err(Error::BadRequest {
            code: "decoder_changed",
            detail: format!("decoder {name:?} was saved again while its samples ran"),
        }),
        Err(e) => Err(e.into()),
    }
}

/// Takes a decoder out of service (its draft stays). Refused while a
/// source uses it, naming the sources: a source never loses its decoder.
pub async fn decoder_deactivate(store: &Store, by: &By, name: &str) -> Result<()> {
    isac(by)?;
    let now = Timestamp::now();
    match store
        .deactivate_decoder(name, by.audit(now, Action::DecoderDeactivated))
        .await
    {
        Err(medsec_store::StoreError::InUse { by: ids, .. }) => Err(in_use(store, ids).await?),
        other => Ok(other?),
    }
}

/// Deletes a decoder no source uses; refused, naming the sources, while
/// one does.
pub async fn decoder_delete(store: &Store, by: &By, name: &str) -> Result<()> {
    isac(by)?;
    match store
        .delete_decoder(name, by.audit(Timestamp::now(), Action::DecoderDeleted))
        .await
    {
        Err(medsec_store::StoreError::InUse { by: ids, .. }) => Err(in_use(store, ids).await?),
        other => Ok(other?),
    }
}

/// The refusal of a change to a decoder that sources use, naming each
/// as `member · source` (only the ISAC changes decoders, and it sees
/// every source).
async fn in_use(store: &Store, ids: Vec<String>) -> Result<Error> {
    let sources = store.log_sources(MemberScope::All).await?;
    let orgs = store.list_orgs().await?;
    let by = ids
        .into_iter()
        .map(|id| match sources.iter().find(|s| s.id == id) {
            Some(s) => source_label(&orgs, s),
            None => id,
        })
        .collect();
    Ok(Error::InUse {
        what: "decoder",
        by,
    })
}

/// A source as people name it: `member · source`.
pub fn source_label(orgs: &[medsec_store::Organization], source: &LogSourceRow) -> String {
    format!(
        "{} · {}",
        orgs.iter()
            .find(|o| o.id == source.member_id)
            .map_or(source.member_id.as_str(), |o| o.name.as_str()),
        source.name
    )
}

/// A stored decoder with what the caller may see of its use.
#[derive(Clone, Debug)]
pub struct DecoderView {
    pub row: medsec_store::watch::DecoderRow,
    /// The definition's description (empty when it does not parse).
    pub description: String,
    /// The sources, among those the caller sees, that name the decoder.
    pub used_by: Vec<LogSourceRow>,
}

fn description_of(definition: &str) -> String {
    medsec_logs::custom::parse_definitions(definition, "definition")
        .ok()
        .and_then(|d| d.into_iter().next())
        .map(|d| d.description)
        .unwrap_or_default()
}

/// The analyst-defined decoders with the sources (in the caller's scope)
/// that use each: the ISAC sees every source, a hospital its own.
pub async fn decoders(store: &Store, by: &By) -> Result<Vec<DecoderView>> {
    let scope = scope(by)?;
    let sources = store.log_sources(scope).await?;
    Ok(store
        .decoders()
        .await?
        .into_iter()
        .map(|row| DecoderView {
            description: description_of(&row.definition),
            used_by: sources
                .iter()
                .filter(|s| s.format == row.name)
                .cloned()
                .collect(),
            row,
        })
        .collect())
}

/// One decoder, as [`decoders`] gives it.
pub async fn decoder(store: &Store, by: &By, name: &str) -> Result<DecoderView> {
    let scope = scope(by)?;
    let Some(row) = store.decoder(name).await? else {
        return Err(Error::NotFound);
    };
    let used_by = store
        .log_sources(scope)
        .await?
        .into_iter()
        .filter(|s| s.format == row.name)
        .collect();
    Ok(DecoderView {
        description: description_of(&row.definition),
        used_by,
        row,
    })
}

/// One sample of a decoder as the test shows it: the fields the line
/// gave, the parse error with its position, and what differed from the
/// sample's `expect`.
#[derive(Clone, Debug, serde::Serialize)]
pub struct SampleView {
    /// 1-based, as in the report.
    pub number: usize,
    pub line: String,
    pub passed: bool,
    /// Every field of the event, `@timestamp` first.
    pub fields: Vec<(String, String)>,
    /// What could not be read, with the byte position (`… at byte 28
    /// near "…"`).
    pub error: Option<String>,
    /// `(field, expected, actual)`; `actual` is `None` when not set.
    pub mismatches: Vec<(String, String, Option<String>)>,
}

/// A definition's samples run through the normaliser.
#[derive(Clone, Debug, serde::Serialize)]
pub struct DecoderTrial {
    pub decoder: String,
    pub passed: bool,
    pub samples: Vec<SampleView>,
}

/// Compiles a definition and runs its samples, with each sample's fields;
/// nothing is stored. The ISAC and its members may try definitions.
pub fn decoder_try(by: &By, definition: &str) -> Result<DecoderTrial> {
    scope(by)?;
    Ok(decoder_trial(&decoder_compile(definition)?, now_ns()))
}

/// The samples of a compiled decoder, as [`CustomDecoder::test`] decides
/// them (the same normaliser, masking off, the decoder selected by name),
/// with the fields each line gave.
///
/// [`CustomDecoder::test`]: medsec_logs::custom::CustomDecoder::test
pub fn decoder_trial(decoder: &medsec_logs::custom::CustomDecoder, received: i64) -> DecoderTrial {
    use medsec_logs::custom::{Decoders, SampleResult};
    use medsec_logs::mask::Masker;
    use medsec_logs::normalize::{Format, Normalizer, Outcome, SourceConfig};
    let report = decoder.test(received);
    let mut decoders = Decoders::new();
    decoders.add(decoder.clone());
    let mut normalizer = Normalizer::new(
        SourceConfig::new("test", "test", Format::Custom(decoder.name().to_owned())),
        std::sync::Arc::new(decoders),
        std::sync::Arc::new(Masker::disabled()),
    );
    let samples = decoder
        .definition()
        .samples
        .iter()
        .zip(&report.samples)
        .map(|(sample, result)| {
            let received = sample
                .received
                .as_deref()
                .and_then(medsec_logs::clock::parse_rfc3339)
                .unwrap_or(received);
            let (fields, parse_error) = match normalizer.normalize(sample.line.as_bytes(), received)
            {
                Outcome::Event { event, error } => {
                    let mut fields = vec![(
                        "@timestamp".to_owned(),
                        medsec_logs::clock::format_rfc3339(event.timestamp),
                    )];
                    fields.extend(
                        event
                            .fields
                            .iter()
                            .filter(|(k, _)| *k != "error.message")
                            .map(|(k, v)| (k.to_owned(), v.to_text())),
                    );
                    (fields, error.map(|e| e.to_string()))
                }
                Outcome::Directive => (
                    Vec::new(),
                    Some("the line is a directive, not an event".to_owned()),
                ),
                Outcome::Dropped(e) => (Vec::new(), Some(e.to_string())),
            };
            let (passed, mismatches, error) = match &result.result {
                SampleResult::Passed => (true, Vec::new(), parse_error),
                SampleResult::Failed { mismatches, error } => (
                    false,
                    mismatches
                        .iter()
                        .map(|m| (m.field.clone(), m.expected.clone(), m.actual.clone()))
                        .collect(),
                    error.clone().or(parse_error),
                ),
            };
            SampleView {
                number: result.index + 1,
                line: sample.line.clone(),
                passed,
                fields,
                error,
                mismatches,
            }
        })
        .collect();
    DecoderTrial {
        decoder: report.decoder.clone(),
        passed: report.passed(),
        samples,
    }
}

// --- event search -----------------------------------------------------------

/// The event store and receivers of this node, when it collects logs.
pub struct Watch {
    /// The event store, on nodes that index (every node but a receiving
    /// node of a multi-node deployment).
    pub events: Option<std::sync::Arc<medsec_events::EventStore>>,
    pub ingest: std::sync::Arc<medsec_ingest::Ingest>,
    /// The ingest bus in multi-node mode.
    pub bus: Option<std::sync::Arc<medsec_ingest::bus::Bus>>,
    /// Live detection, on an indexing node with rules.
    pub detection: Option<std::sync::Arc<crate::detection::Status>>,
}

/// What the receivers of this node counted for a source since the
/// process started, and its rate.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Live {
    /// Events per second over the last minute (`None` until the
    /// receivers have sampled the source for a second or more).
    pub rate: Option<f64>,
    pub events: u64,
    pub bytes: u64,
    pub parse_errors: u64,
    pub dropped: u64,
    pub connections: i64,
    /// Milliseconds since the epoch of the newest stored event (0: none
    /// since the process started).
    pub last_event_ms: i64,
}

/// The live counts of a source the caller has already found in its
/// scope; `None` when this node does not collect logs or the source has
/// not been loaded by its receivers (disabled, or just created).
pub fn live(state: &crate::AppState, source_id: &str, now_ms: i64) -> Option<Live> {
    use std::sync::atomic::Ordering::Relaxed;
    let c = state.watch.get()?.ingest.counters.get(source_id)?;
    Some(Live {
        rate: c.rate(now_ms),
        events: c.events.load(Relaxed),
        bytes: c.bytes.load(Relaxed),
        parse_errors: c.parse_errors.load(Relaxed),
        dropped: c.dropped.load(Relaxed),
        connections: c.connections.load(Relaxed).max(0),
        last_event_ms: c.last_event_ms.load(Relaxed),
    })
}

/// The per-source series of `/metrics`: one per configured source (the
/// receivers' counters of deleted sources are left out), labelled with
/// the member's and the source's names and the source's id.
pub async fn source_metrics(state: &crate::AppState) -> Result<String> {
    use std::fmt::Write;
    if state.watch.get().is_none() {
        return Ok(String::new());
    }
    let now_ms = state.now().0;
    let names: std::collections::HashMap<String, String> = state
        .store
        .list_orgs()
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect();
    let series: Vec<(String, Live, Option<i64>)> = state
        .store
        .log_sources(MemberScope::All)
        .await?
        .into_iter()
        .map(|s| {
            let labels = format!(
                "member=\"{}\",source=\"{}\",source_id=\"{}\"",
                crate::metrics::escape(names.get(&s.member_id).unwrap_or(&s.member_id)),
                crate::metrics::escape(&s.name),
                crate::metrics::escape(&s.id),
            );
            let live = live(state, &s.id, now_ms).unwrap_or_default();
            // The newest event this process stored, or the one the store
            // remembers from before it started.
            let last = Some(live.last_event_ms)
                .filter(|t| *t > 0)
                .into_iter()
                .chain(s.last_event_at)
                .max();
            (labels, live, last)
        })
        .collect();
    let mut out = String::new();
    /// Name, type, help and value of a family.
    type Family = (&'static str, &'static str, &'static str, fn(&Live) -> f64);
    let families: [Family; 5] = [
        (
            "medsec_ingest_events_total",
            "counter",
            "Events stored per log source since the process started.",
            |l| l.events as f64,
        ),
        (
            "medsec_ingest_bytes_total",
            "counter",
            "Bytes of messages stored per log source since the process started.",
            |l| l.bytes as f64,
        ),
        (
            "medsec_ingest_parse_errors_total",
            "counter",
            "Messages stored with a payload their decoder could not read, per log source.",
            |l| l.parse_errors as f64,
        ),
        (
            "medsec_ingest_dropped_total",
            "counter",
            "Messages not stored (unreadable framing, oversized, refused connections, UDP overflow), per log source.",
            |l| l.dropped as f64,
        ),
        (
            "medsec_ingest_connections",
            "gauge",
            "Open TCP and TLS connections per log source.",
            |l| l.connections as f64,
        ),
    ];
    for (name, kind, help, value) in families {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (labels, live, _) in &series {
            let _ = writeln!(out, "{name}{{{labels}}} {}", value(live));
        }
    }
    let name = "medsec_ingest_last_event_age_seconds";
    let _ = writeln!(
        out,
        "# HELP {name} Seconds since the newest stored event of each log source (absent until its first event).\n# TYPE {name} gauge"
    );
    for (labels, _, last) in &series {
        if let Some(t) = last {
            let _ = writeln!(
                out,
                "{name}{{{labels}}} {}",
                (now_ms - t).max(0) as f64 / 1000.0
            );
        }
    }
    if let Some(bus) = state.watch.get().and_then(|w| w.bus.as_ref()) {
        out.push_str(&bus_metrics(&bus.metrics));
    }
    Ok(out)
}

/// The multi-node ingest bus as this node sees it, in the exposition
/// format.
pub fn bus_metrics(m: &medsec_ingest::bus::BusMetrics) -> String {
    use std::fmt::Write;
    use std::sync::atomic::Ordering::Relaxed;
    let families: [(&str, &str, &str, f64); 15] = [
        (
            "medsec_bus_published_messages_total",
            "counter",
            "Event batches JetStream acknowledged to this node.",
            m.published_messages.load(Relaxed) as f64,
        ),
        (
            "medsec_bus_published_events_total",
            "counter",
            "Events in the batches JetStream acknowledged to this node.",
            m.published_events.load(Relaxed) as f64,
        ),
        (
            "medsec_bus_published_bytes_total",
            "counter",
            "Bytes of raw messages in those events.",
            m.published_bytes.load(Relaxed) as f64,
        ),
        (
            "medsec_bus_duplicate_messages_total",
            "counter",
            "Batches JetStream already had (published again within its duplicate window).",
            m.duplicate_messages.load(Relaxed) as f64,
        ),
        (
            "medsec_bus_full_refusals_total",
            "counter",
            "Publishes refused because the stream was full (appends wait and retry; UDP drops).",
            m.full_refusals.load(Relaxed) as f64,
        ),
        (
            "medsec_bus_publish_errors_total",
            "counter",
            "Publishes that failed otherwise (server unreachable, timeout).",
            m.publish_errors.load(Relaxed) as f64,
        ),
        (
            "medsec_bus_full",
            "gauge",
            "Whether the stream was full at the last look (1) or not (0).",
            if m.full.load(Relaxed) { 1.0 } else { 0.0 },
        ),
        (
            "medsec_bus_stream_messages",
            "gauge",
            "Messages in the stream at the last look.",
            m.stream_messages.load(Relaxed) as f64,
        ),
        (
            "medsec_bus_stream_bytes",
            "gauge",
            "Bytes in the stream at the last look.",
            m.stream_bytes.load(Relaxed) as f64,
        ),
        (
            "medsec_bus_indexer_pending_messages",
            "gauge",
            "Messages the indexing consumer has not acknowledged yet: the indexing lag.",
            m.indexer_pending.load(Relaxed) as f64,
        ),
        (
            "medsec_bus_indexed_messages_total",
            "counter",
            "Messages this node indexed and acknowledged.",
            m.indexed_messages.load(Relaxed) as f64,
        ),
        (
            "medsec_bus_indexed_events_total",
            "counter",
            "Events this node stored from the bus.",
            m.indexed_events.load(Relaxed) as f64,
        ),
        (
            "medsec_bus_duplicate_events_total",
            "counter",
            "Events from the bus the event store already had.",
            m.duplicate_events.load(Relaxed) as f64,
        ),
        (
            "medsec_bus_redelivered_messages_total",
            "counter",
            "Messages delivered to this node again (after a node died).",
            m.redelivered_messages.load(Relaxed) as f64,
        ),
        (
            "medsec_bus_bad_messages_total",
            "counter",
            "Messages that were not event batches (dropped from the stream).",
            m.bad_messages.load(Relaxed) as f64,
        ),
    ];
    let mut out = String::new();
    for (name, kind, help, value) in families {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
        );
    }
    out
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

/// The node's event store; a receiving node of a multi-node deployment
/// has none (its events go to the bus and are indexed elsewhere).
fn events_of(state: &crate::AppState) -> Result<std::sync::Arc<medsec_events::EventStore>> {
    watch_of(state)?.events.clone().ok_or(Error::BadRequest {
        code: "not_indexing",
        detail: "this node receives logs but does not index them: search on an indexing node"
            .into(),
    })
}

pub async fn search(state: &crate::AppState, by: &By, params: &SearchParams) -> Result<SearchPage> {
    let events = events_of(state)?;
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
    let events = events_of(state)?;
    let scope = event_scope(&state.store, by, params.member.as_deref()).await?;
    let (query, from, to) = query_and_range(params, state.now().0.saturating_mul(1_000_000))?;
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
