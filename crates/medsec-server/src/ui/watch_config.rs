//! Watch settings pages: analyst-defined decoders (write, test against
//! their samples, activate, retire), personal-data masking rules with a
//! test box, and each member's retention.
//!
//! Every page goes through `crate::watch`, which decides who sees what
//! (the ISAC every member, a hospital its own) and who changes what (the
//! ISAC's users with write permission), and writes the audit records.

use askama::Template;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use medsec_core::validate::FieldError;
use medsec_core::{OrgKind, Permission, Timestamp};

use super::{Errors, Page, form_status, page, render, see_other};
use crate::api::sustain::as_member;
use crate::assure::By;
use crate::auth::{Actor, WebUser};
use crate::error::{Error, Result};
use crate::extract::{CsrfForm, Id, Query};
use crate::routes::{Access, Routes};
use crate::state::AppState;
use crate::watch::{self as svc, DecoderTrial, DecoderView};

pub fn routes(r: Routes) -> Routes {
    use Access::User;
    r.ui(User, Method::GET, "/watch/decoders", get(decoders))
        .ui(User, Method::POST, "/watch/decoders", post(decoder_save))
        .ui(
            User,
            Method::POST,
            "/watch/decoders/test",
            post(decoder_test),
        )
        .ui(
            User,
            Method::GET,
            "/watch/decoders/{decoder_name}",
            get(decoder_show),
        )
        .ui(
            User,
            Method::POST,
            "/watch/decoders/{decoder_name}/activate",
            post(decoder_activate),
        )
        .ui(
            User,
            Method::POST,
            "/watch/decoders/{decoder_name}/deactivate",
            post(decoder_deactivate),
        )
        .ui(
            User,
            Method::POST,
            "/watch/decoders/{decoder_name}/delete",
            post(decoder_delete),
        )
        .ui(User, Method::GET, "/watch/masking", get(masking))
        .ui(User, Method::POST, "/watch/masking", post(masking_add))
        .ui(
            User,
            Method::POST,
            "/watch/masking/test",
            post(masking_test),
        )
        .ui(
            User,
            Method::POST,
            "/watch/masking/{rule_id}",
            post(masking_update),
        )
        .ui(
            User,
            Method::POST,
            "/watch/masking/{rule_id}/enabled",
            post(masking_enabled),
        )
        .ui(User, Method::GET, "/watch/retention", get(retention))
        .ui(User, Method::POST, "/watch/retention", post(retention_set))
}

/// Whether the caller sets watch up: the ISAC's users who may write.
fn manages(by: &By, actor: &Actor) -> bool {
    by.org_kind == OrgKind::Isac && actor.has(Permission::Write)
}

/// The member hospitals, `(id, name)`, for the ISAC's forms.
async fn hospitals(state: &AppState) -> Result<Vec<(String, String)>> {
    Ok(state
        .store
        .list_orgs()
        .await?
        .into_iter()
        .filter(|o| o.kind == OrgKind::Hospital)
        .map(|o| (o.id, o.name))
        .collect())
}

/// `?done=…` after a change: which notice to show.
#[derive(Default, serde::Deserialize)]
struct DoneQuery {
    #[serde(default)]
    done: String,
    /// Decoders: an example to start the editor from.
    #[serde(default)]
    example: String,
    /// Masking: the rule to edit. Retention: the member to change.
    #[serde(default)]
    edit: String,
}

// --- decoders ------------------------------------------------------------------

/// The definition editor and, after a test, the samples' results.
struct Editor {
    definition: String,
    /// The stored decoder the editor was opened on ("" for a new one).
    editing: String,
    /// Why the definition does not compile (names the pattern and the
    /// character position, or the TOML line and column).
    error: Option<String>,
    trial: Option<DecoderTrial>,
    /// Whether `trial` is of the text in the editor rather than the
    /// stored definition.
    draft: bool,
    can_save: bool,
}

/// A source that uses a decoder, as a link.
struct UsedBy {
    id: String,
    label: String,
}

struct DecoderLine {
    name: String,
    description: String,
    /// In service.
    active: bool,
    /// The draft differs from the version in service.
    pending: bool,
    /// The version in service, when it differs from the draft.
    in_service: Option<String>,
    used_by: Vec<UsedBy>,
    updated: String,
    /// When the version in service was activated.
    activated: Option<String>,
}

struct Example {
    file: &'static str,
    name: String,
    description: String,
}

/// The built-in grok pattern names, for the syntax help.
fn grok_names() -> String {
    medsec_logs::grok::library()
        .map(|(n, _)| n)
        .collect::<Vec<_>>()
        .join(" ")
}

#[derive(Template)]
#[template(path = "watch_decoders.html")]
struct DecodersTpl<'a> {
    page: &'a Page,
    lines: Vec<DecoderLine>,
    examples: Vec<Example>,
    editor: Editor,
    grok: String,
}

#[derive(Template)]
#[template(path = "watch_decoder.html")]
struct DecoderTpl<'a> {
    page: &'a Page,
    manage: bool,
    line: DecoderLine,
    /// Why the last action (activate, deactivate, delete) was refused,
    /// and the service's own words (the failing samples, the sources).
    refused: Option<(String, String)>,
    editor: Editor,
    grok: String,
}

async fn used_by(state: &AppState, view: &DecoderView) -> Result<Vec<UsedBy>> {
    if view.used_by.is_empty() {
        return Ok(Vec::new());
    }
    let orgs = state.store.list_orgs().await?;
    Ok(view
        .used_by
        .iter()
        .map(|s| UsedBy {
            id: s.id.clone(),
            label: svc::source_label(&orgs, s),
        })
        .collect())
}

async fn decoder_line(state: &AppState, page: &Page, view: &DecoderView) -> Result<DecoderLine> {
    let row = &view.row;
    Ok(DecoderLine {
        name: row.name.clone(),
        description: view.description.clone(),
        active: row.active,
        pending: row.changes_pending(),
        in_service: row
            .active_definition
            .clone()
            .filter(|_| row.changes_pending()),
        used_by: used_by(state, view).await?,
        updated: page.time(Timestamp(row.updated_at)),
        activated: row.activated_at.map(|t| page.time(Timestamp(t))),
    })
}

fn examples() -> Vec<Example> {
    medsec_logs::custom::EXAMPLES
        .iter()
        .map(|(file, text)| {
            let def = medsec_logs::custom::parse_definitions(text, file)
                .ok()
                .and_then(|d| d.into_iter().next());
            Example {
                file,
                name: def.as_ref().map_or_else(String::new, |d| d.name.clone()),
                description: def.map_or_else(String::new, |d| d.description),
            }
        })
        .collect()
}

fn notice(page: Page, done: &str) -> Page {
    match done {
        "saved" => page.notice("success", "watch-decoder-saved"),
        "saved_failing" => page.notice("warn", "watch-decoder-saved-failing"),
        "draft_saved" => page.notice("success", "watch-decoder-draft-saved"),
        "draft_saved_failing" => page.notice("warn", "watch-decoder-draft-saved-failing"),
        "draft_same" => page.notice("info", "watch-decoder-draft-same"),
        "activated" => page.notice("success", "watch-decoder-activated"),
        "changes_activated" => page.notice("success", "watch-decoder-changes-activated"),
        "deactivated" => page.notice("info", "watch-decoder-deactivated"),
        "deleted" => page.notice("success", "watch-decoder-deleted"),
        "mask_added" => page.notice("success", "watch-mask-added"),
        "mask_changed" => page.notice("success", "watch-mask-changed"),
        "mask_enabled" => page.notice("success", "watch-mask-enabled"),
        "mask_disabled" => page.notice("info", "watch-mask-disabled"),
        "retention" => page.notice("success", "watch-retention-saved"),
        _ => page,
    }
}

async fn decoders_render(
    state: &AppState,
    parts: &Parts,
    actor: &Actor,
    by: &By,
    done: &str,
    editor: Option<Editor>,
    status: StatusCode,
) -> Result<Response> {
    let views = svc::decoders(&state.store, by).await?;
    let page = page(
        state,
        parts,
        actor,
        "watch-decoders-title",
        "watch-decoders",
    )
    .await?;
    let page = notice(page, done);
    let mut lines = Vec::with_capacity(views.len());
    for v in &views {
        lines.push(decoder_line(state, &page, v).await?);
    }
    let manage = manages(by, actor);
    let editor = editor.unwrap_or_else(|| Editor {
        definition: String::new(),
        editing: String::new(),
        error: None,
        trial: None,
        draft: true,
        can_save: manage,
    });
    Ok(render(
        status,
        &page,
        &DecodersTpl {
            page: &page,
            lines,
            examples: examples(),
            editor,
            grok: grok_names(),
        },
    ))
}

async fn decoders(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Query(q): Query<DoneQuery>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    svc::scope(&by)?;
    let editor = medsec_logs::custom::EXAMPLES
        .iter()
        .find(|(f, _)| *f == q.example)
        .map(|(_, text)| Editor {
            definition: (*text).to_owned(),
            editing: String::new(),
            error: None,
            trial: None,
            draft: true,
            can_save: manages(&by, &actor),
        });
    decoders_render(&state, &parts, &actor, &by, &q.done, editor, StatusCode::OK).await
}

/// The decoder page: its state, the samples of the stored definition
/// (or of the editor's text after a test), and the editor.
#[allow(clippy::too_many_arguments)]
async fn decoder_render(
    state: &AppState,
    parts: &Parts,
    actor: &Actor,
    by: &By,
    name: &str,
    done: &str,
    editor: Option<Editor>,
    refused: Option<(String, String)>,
    status: StatusCode,
) -> Result<Response> {
    let view = svc::decoder(&state.store, by, name).await?;
    let page = page(state, parts, actor, "watch-decoder-title", "watch-decoders").await?;
    let page = notice(page, done);
    let manage = manages(by, actor);
    let editor = match editor {
        Some(e) => e,
        None => {
            let (trial, error) = match svc::decoder_try(by, &view.row.definition) {
                Ok(t) => (Some(t), None),
                Err(Error::BadRequest { detail, .. }) => (None, Some(detail)),
                Err(e) => return Err(e),
            };
            Editor {
                definition: view.row.definition.clone(),
                editing: view.row.name.clone(),
                error,
                trial,
                draft: false,
                can_save: manage,
            }
        }
    };
    let line = decoder_line(state, &page, &view).await?;
    Ok(render(
        status,
        &page,
        &DecoderTpl {
            page: &page,
            manage,
            line,
            refused,
            editor,
            grok: grok_names(),
        },
    ))
}

async fn decoder_show(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(name): Id,
    Query(q): Query<DoneQuery>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    decoder_render(
        &state,
        &parts,
        &actor,
        &by,
        &name,
        &q.done,
        None,
        None,
        StatusCode::OK,
    )
    .await
}

/// The editor's form: the definition and the stored decoder it was
/// opened on, if any.
#[derive(serde::Deserialize)]
struct DecoderForm {
    #[serde(default)]
    definition: String,
    #[serde(default)]
    editing: String,
}

/// Shows the editor again where it was: on its decoder's page when it
/// was opened on a stored decoder, else on the list.
async fn editor_again(
    state: &AppState,
    parts: &Parts,
    actor: &Actor,
    by: &By,
    editor: Editor,
    status: StatusCode,
) -> Result<Response> {
    let stored = !editor.editing.is_empty()
        && state.store.decoder(&editor.editing).await?.is_some()
        // Only names a decoder could have reach its page.
        && editor
            .editing
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if stored {
        let name = editor.editing.clone();
        decoder_render(
            state,
            parts,
            actor,
            by,
            &name,
            "",
            Some(editor),
            None,
            status,
        )
        .await
    } else {
        let editor = Editor {
            editing: String::new(),
            ..editor
        };
        decoders_render(state, parts, actor, by, "", Some(editor), status).await
    }
}

async fn decoder_save(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    CsrfForm(f): CsrfForm<DecoderForm>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    match svc::decoder_save(&state.store, &by, &f.definition).await {
        Ok((row, test)) => {
            // A decoder in service keeps its version in service: say so.
            let done = match (row.active, row.changes_pending(), test.passed) {
                (false, _, true) => "saved",
                (false, _, false) => "saved_failing",
                (true, false, _) => "draft_same",
                (true, true, true) => "draft_saved",
                (true, true, false) => "draft_saved_failing",
            };
            Ok(see_other(&format!(
                "/watch/decoders/{}?done={done}",
                row.name
            )))
        }
        Err(Error::BadRequest { detail, .. }) => {
            let editor = Editor {
                definition: f.definition,
                editing: f.editing,
                error: Some(detail),
                trial: None,
                draft: true,
                can_save: true,
            };
            editor_again(
                &state,
                &parts,
                &actor,
                &by,
                editor,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

async fn decoder_test(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    CsrfForm(f): CsrfForm<DecoderForm>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    let (trial, error, status) = match svc::decoder_try(&by, &f.definition) {
        Ok(t) => (Some(t), None, StatusCode::OK),
        Err(Error::BadRequest { detail, .. }) => {
            (None, Some(detail), StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(e) => return Err(e),
    };
    let editor = Editor {
        definition: f.definition,
        editing: f.editing,
        error,
        trial,
        draft: true,
        can_save: manages(&by, &actor),
    };
    editor_again(&state, &parts, &actor, &by, editor, status).await
}

async fn decoder_activate(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(name): Id,
    CsrfForm(_): CsrfForm<serde_json::Value>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    match svc::decoder_activate(&state.store, &by, &name).await {
        Ok(done) => Ok(see_other(&format!(
            "/watch/decoders/{name}?done={}",
            if done.replaced {
                "changes_activated"
            } else {
                "activated"
            }
        ))),
        Err(e @ Error::BadRequest { .. }) => {
            let status = e.status();
            let detail = match e {
                Error::BadRequest { detail, .. } => detail,
                _ => String::new(),
            };
            let lang = crate::extract::request_lang(&parts);
            decoder_render(
                &state,
                &parts,
                &actor,
                &by,
                &name,
                "",
                None,
                Some((lang.t("watch-decoder-activate-refused"), detail)),
                status,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

async fn decoder_deactivate(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(name): Id,
    CsrfForm(_): CsrfForm<serde_json::Value>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    match svc::decoder_deactivate(&state.store, &by, &name).await {
        Ok(()) => Ok(see_other(&format!(
            "/watch/decoders/{name}?done=deactivated"
        ))),
        Err(e) => {
            refused(
                &state,
                &parts,
                &actor,
                &by,
                &name,
                e,
                "watch-decoder-deactivate-refused",
            )
            .await
        }
    }
}

async fn decoder_delete(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(name): Id,
    CsrfForm(_): CsrfForm<serde_json::Value>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    match svc::decoder_delete(&state.store, &by, &name).await {
        Ok(()) => Ok(see_other("/watch/decoders?done=deleted")),
        Err(e) => {
            refused(
                &state,
                &parts,
                &actor,
                &by,
                &name,
                e,
                "watch-decoder-delete-refused",
            )
            .await
        }
    }
}

/// The decoder's page again after a change was refused because sources
/// use the decoder, with `why` and the sources; other errors pass on.
async fn refused(
    state: &AppState,
    parts: &Parts,
    actor: &Actor,
    by: &By,
    name: &str,
    e: Error,
    why: &str,
) -> Result<Response> {
    let Error::InUse { by: sources, .. } = e else {
        return Err(e);
    };
    let lang = crate::extract::request_lang(parts);
    decoder_render(
        state,
        parts,
        actor,
        by,
        name,
        "",
        None,
        Some((lang.t(why), sources.join(", "))),
        StatusCode::CONFLICT,
    )
    .await
}

// --- masking -------------------------------------------------------------------

struct MaskLine {
    id: String,
    name: String,
    /// `rrn`, `phone` or `pattern`.
    kind: String,
    applies_to: String,
    pattern: String,
    enabled: bool,
}

/// The add or edit form of a pattern rule.
#[derive(Clone, Default, serde::Deserialize)]
struct MaskForm {
    #[serde(default)]
    member: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    pattern: String,
}

/// The test box.
#[derive(Clone, Default, serde::Deserialize)]
struct MaskTestForm {
    #[serde(default)]
    member: String,
    #[serde(default)]
    line: String,
    /// A pattern not stored yet, tried with the stored rules.
    #[serde(default)]
    pattern: String,
}

struct MaskResult {
    masked: String,
    replaced: Vec<(String, u32)>,
}

#[derive(Template)]
#[template(path = "watch_masking.html")]
struct MaskingTpl<'a> {
    page: &'a Page,
    manage: bool,
    isac: bool,
    lines: Vec<MaskLine>,
    members: Vec<(String, String)>,
    form: MaskForm,
    /// The rule the form changes ("" = a new rule).
    editing: String,
    errors: Errors,
    test: MaskTestForm,
    test_errors: Errors,
    result: Option<MaskResult>,
}

/// What the masking page shows besides the rules.
#[derive(Default)]
struct MaskingState {
    done: String,
    form: MaskForm,
    editing: String,
    errors: Errors,
    test: MaskTestForm,
    test_errors: Errors,
    result: Option<MaskResult>,
}

async fn masking_render(
    state: &AppState,
    parts: &Parts,
    actor: &Actor,
    by: &By,
    mut s: MaskingState,
    status: StatusCode,
) -> Result<Response> {
    let rules = svc::masking_rules(&state.store, by).await?;
    let page = page(state, parts, actor, "watch-masking-title", "watch-masking").await?;
    let page = notice(page, &s.done);
    let manage = manages(by, actor);
    let isac = matches!(svc::scope(by)?, medsec_store::watch::MemberScope::All);
    let members = if isac {
        hospitals(state).await?
    } else {
        Vec::new()
    };
    let name_of = |id: &str| {
        members
            .iter()
            .find(|(m, _)| m == id)
            .map_or_else(|| page.t("watch-mask-own"), |(_, n)| n.clone())
    };
    let lines = rules
        .iter()
        .map(|r| MaskLine {
            id: r.id.clone(),
            name: match r.kind.as_str() {
                "rrn" | "phone" => page.t(&format!("watch-mask-kind-{}", r.kind)),
                _ => r.name.clone(),
            },
            kind: r.kind.clone(),
            applies_to: r
                .member_id
                .as_deref()
                .map_or_else(|| page.t("watch-all-members"), name_of),
            pattern: r.pattern.clone().unwrap_or_default(),
            enabled: r.enabled,
        })
        .collect();
    // `?edit=` opens a pattern rule in the form, unless the form is
    // already being shown again with its errors.
    if manage && !s.editing.is_empty() && s.errors.is_empty() {
        match rules
            .iter()
            .find(|r| r.id == s.editing && r.kind == "pattern")
        {
            Some(r) => {
                s.form = MaskForm {
                    member: r.member_id.clone().unwrap_or_default(),
                    name: r.name.clone(),
                    pattern: r.pattern.clone().unwrap_or_default(),
                }
            }
            None => s.editing.clear(),
        }
    } else if !manage {
        s.editing.clear();
    }
    let status = if status == StatusCode::OK {
        form_status(&s.errors).max(form_status(&s.test_errors))
    } else {
        status
    };
    Ok(render(
        status,
        &page,
        &MaskingTpl {
            page: &page,
            manage,
            isac,
            lines,
            members,
            form: s.form,
            editing: s.editing,
            errors: s.errors,
            test: s.test,
            test_errors: s.test_errors,
            result: s.result,
        },
    ))
}

async fn masking(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Query(q): Query<DoneQuery>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    let s = MaskingState {
        done: q.done,
        editing: q.edit,
        ..Default::default()
    };
    masking_render(&state, &parts, &actor, &by, s, StatusCode::OK).await
}

async fn masking_add(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    CsrfForm(f): CsrfForm<MaskForm>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    match svc::masking_add(
        &state.store,
        &by,
        Some(f.member.as_str()),
        &f.name,
        &f.pattern,
    )
    .await
    {
        Ok(_) => Ok(see_other("/watch/masking?done=mask_added")),
        Err(e) => {
            let errors = Errors::of(crate::extract::request_lang(&parts), e)?;
            let s = MaskingState {
                form: f,
                errors,
                ..Default::default()
            };
            masking_render(&state, &parts, &actor, &by, s, StatusCode::OK).await
        }
    }
}

async fn masking_update(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(f): CsrfForm<MaskForm>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    match svc::masking_update(
        &state.store,
        &by,
        &id,
        Some(f.member.as_str()),
        &f.name,
        &f.pattern,
    )
    .await
    {
        Ok(_) => Ok(see_other("/watch/masking?done=mask_changed")),
        Err(e) => {
            let errors = Errors::of(crate::extract::request_lang(&parts), e)?;
            let s = MaskingState {
                form: f,
                editing: id,
                errors,
                ..Default::default()
            };
            masking_render(&state, &parts, &actor, &by, s, StatusCode::OK).await
        }
    }
}

#[derive(serde::Deserialize)]
struct EnabledForm {
    #[serde(default)]
    enabled: String,
}

async fn masking_enabled(
    State(state): State<AppState>,
    WebUser(actor): WebUser,
    Id(id): Id,
    CsrfForm(f): CsrfForm<EnabledForm>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    let enabled = f.enabled == "true";
    svc::masking_enable(&state.store, &by, &id, enabled).await?;
    Ok(see_other(if enabled {
        "/watch/masking?done=mask_enabled"
    } else {
        "/watch/masking?done=mask_disabled"
    }))
}

async fn masking_test(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    CsrfForm(f): CsrfForm<MaskTestForm>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    let mut s = MaskingState::default();
    match svc::masking_preview(
        &state.store,
        &by,
        Some(f.member.as_str()),
        &f.line,
        Some(f.pattern.as_str()),
    )
    .await
    {
        Ok(p) => {
            let lang = crate::extract::request_lang(&parts);
            s.result = Some(MaskResult {
                masked: p.masked,
                replaced: p
                    .replaced
                    .into_iter()
                    .map(|(rule, n)| {
                        let label = match rule.as_str() {
                            "rrn" | "phone" => lang.t(&format!("watch-mask-kind-{rule}")),
                            "" => lang.t("watch-mask-draft"),
                            _ => rule,
                        };
                        (label, n)
                    })
                    .collect(),
            });
        }
        Err(e) => s.test_errors = Errors::of(crate::extract::request_lang(&parts), e)?,
    }
    s.test = f;
    masking_render(&state, &parts, &actor, &by, s, StatusCode::OK).await
}

// --- retention -----------------------------------------------------------------

struct RetentionLine {
    member_id: String,
    member: String,
    days: i64,
    own: bool,
}

#[derive(Default, serde::Deserialize)]
struct RetentionForm {
    #[serde(default)]
    member: String,
    #[serde(default)]
    retention_days: String,
}

#[derive(Template)]
#[template(path = "watch_retention.html")]
struct RetentionTpl<'a> {
    page: &'a Page,
    manage: bool,
    lines: Vec<RetentionLine>,
    default_days: i64,
    min_days: i64,
    max_days: i64,
    form: RetentionForm,
    errors: Errors,
}

async fn retention_render(
    state: &AppState,
    parts: &Parts,
    actor: &Actor,
    by: &By,
    done: &str,
    form: Option<RetentionForm>,
    errors: Errors,
) -> Result<Response> {
    let list = svc::retention_list(&state.store, by).await?;
    let page = page(
        state,
        parts,
        actor,
        "watch-retention-title",
        "watch-retention",
    )
    .await?;
    let page = notice(page, done);
    let lines: Vec<RetentionLine> = list
        .into_iter()
        .map(|r| RetentionLine {
            member_id: r.member_id,
            member: r.member_name,
            days: r.days,
            own: r.own,
        })
        .collect();
    let form = form.unwrap_or_default();
    let status = form_status(&errors);
    Ok(render(
        status,
        &page,
        &RetentionTpl {
            page: &page,
            manage: manages(by, actor),
            lines,
            default_days: medsec_store::watch::DEFAULT_RETENTION_DAYS,
            min_days: *svc::RETENTION_DAYS.start(),
            max_days: *svc::RETENTION_DAYS.end(),
            form,
            errors,
        },
    ))
}

async fn retention(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Query(q): Query<DoneQuery>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Read).await?;
    // `?edit=MEMBER` fills the form with that member's current setting.
    let form = if q.edit.is_empty() {
        None
    } else {
        svc::retention_list(&state.store, &by)
            .await?
            .into_iter()
            .find(|r| r.member_id == q.edit)
            .map(|r| RetentionForm {
                member: r.member_id,
                retention_days: r.days.to_string(),
            })
    };
    retention_render(&state, &parts, &actor, &by, &q.done, form, Errors::none()).await
}

async fn retention_set(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    CsrfForm(f): CsrfForm<RetentionForm>,
) -> Result<Response> {
    let by = as_member(&state, &actor, Permission::Write).await?;
    let result = match f.retention_days.trim().parse::<i64>() {
        Ok(days) => svc::retention_set(&state.store, &by, &f.member, days).await,
        Err(_) => {
            // The service decides who may change retention first.
            svc::isac(&by)?;
            Err(Error::Invalid(vec![FieldError::new(
                "retention_days",
                "not_a_number",
            )]))
        }
    };
    match result {
        Ok(()) => Ok(see_other("/watch/retention?done=retention")),
        Err(e) => {
            let errors = Errors::of(crate::extract::request_lang(&parts), e)?;
            retention_render(&state, &parts, &actor, &by, "", Some(f), errors).await
        }
    }
}
