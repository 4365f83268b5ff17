//! The catalogue browser: every requirement catalogue, its items, one
//! item with its verification examples and crosswalk links, and search in
//! Korean and English. Catalogues are the same for every organisation.

use askama::Template;
use axum::extract::State;
use axum::http::Method;
use axum::http::request::Parts;
use axum::response::Response;
use axum::routing::get;
use medsec_catalog::{Catalog, Catalogs, Item};

use super::{Page, ok, page};
use crate::auth::WebUser;
use crate::error::{Error, Result};
use crate::extract::{Query, RefId, RefPair};
use crate::i18n::Lang;
use crate::routes::{Access, Routes};
use crate::state::AppState;

pub fn routes(r: Routes) -> Routes {
    r.ui(Access::User, Method::GET, "/catalogs", get(list))
        .ui(
            Access::User,
            Method::GET,
            "/catalogs/{catalog_id}",
            get(show),
        )
        .ui(
            Access::User,
            Method::GET,
            "/catalogs/{catalog_id}/{item_id}",
            get(item),
        )
}

/// The loaded catalogues; a broken build would fail its tests first.
pub fn all() -> Result<&'static Catalogs> {
    medsec_catalog::catalogs().map_err(|e| Error::Internal(format!("catalogues: {e}")))
}

fn pick<'a>(lang: Lang, ko: &'a str, en: &'a str) -> &'a str {
    match lang {
        Lang::Ko => ko,
        Lang::En => en,
    }
}

pub fn item_title(lang: Lang, i: &Item) -> &str {
    pick(lang, &i.title_ko, &i.title_en)
}

pub fn catalog_title(lang: Lang, c: &Catalog) -> &str {
    pick(lang, &c.catalog.title_ko, &c.catalog.title_en)
}

#[derive(serde::Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
}

struct CatalogRow {
    id: String,
    title: String,
    kind: String,
    edition: String,
    items: usize,
    default_for_new: bool,
}

struct HitRow {
    catalog: String,
    item: String,
    title: String,
}

#[derive(Template)]
#[template(path = "catalogs.html")]
struct ListTpl<'a> {
    page: &'a Page,
    q: String,
    hits: Vec<HitRow>,
    catalogs: Vec<CatalogRow>,
}

fn hits(lang: Lang, all: &Catalogs, q: &str, only: Option<&str>) -> Vec<HitRow> {
    all.search(q, only)
        .into_iter()
        .take(200)
        .map(|h| {
            let title = all
                .resolve(&format!("{}:{}", h.catalog, h.item))
                .map(|(_, i)| item_title(lang, i).to_owned())
                .unwrap_or_default();
            HitRow {
                catalog: h.catalog,
                item: h.item,
                title,
            }
        })
        .collect()
}

async fn list(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    Query(q): Query<SearchQuery>,
) -> Result<Response> {
    let page = page(&state, &parts, &actor, "catalogs-title", "catalogs").await?;
    let all = all()?;
    let q = q.q.chars().take(200).collect::<String>();
    let catalogs = all
        .catalogs
        .iter()
        .map(|c| CatalogRow {
            id: c.catalog.id.clone(),
            title: catalog_title(page.lang, c).to_owned(),
            kind: page.t(&format!("catalogs-kind-{}", c.catalog.kind.as_str())),
            edition: c.catalog.edition.clone(),
            items: c.item.len(),
            default_for_new: c.catalog.default_for_new,
        })
        .collect();
    let tpl = ListTpl {
        hits: hits(page.lang, all, &q, None),
        q,
        catalogs,
        page: &page,
    };
    Ok(ok(&page, &tpl))
}

struct ItemRow {
    id: String,
    group: String,
    title: String,
    confidence: String,
}

#[derive(Template)]
#[template(path = "catalog.html")]
struct ShowTpl<'a> {
    page: &'a Page,
    id: String,
    title: String,
    publisher: String,
    edition: String,
    issued: Option<String>,
    accepted_until: Option<String>,
    note: Option<String>,
    q: String,
    items: Vec<ItemRow>,
}

fn group_title(lang: Lang, c: &Catalog, group: Option<&str>) -> String {
    group
        .and_then(|g| c.group(g))
        .map(|g| pick(lang, &g.title_ko, &g.title_en).to_owned())
        .unwrap_or_default()
}

async fn show(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    RefId(id): RefId,
    Query(q): Query<SearchQuery>,
) -> Result<Response> {
    let all = all()?;
    let c = all.get(&id).ok_or(Error::NotFound)?;
    let mut page = page(&state, &parts, &actor, "catalogs-title", "catalogs").await?;
    page.title = catalog_title(page.lang, c).to_owned();
    let q = q.q.chars().take(200).collect::<String>();
    let matching: Option<Vec<String>> = (!q.trim().is_empty()).then(|| {
        all.search(&q, Some(&id))
            .into_iter()
            .map(|h| h.item)
            .collect()
    });
    let items = c
        .item
        .iter()
        .filter(|i| matching.as_ref().is_none_or(|m| m.contains(&i.id)))
        .map(|i| ItemRow {
            id: i.id.clone(),
            group: group_title(page.lang, c, i.group.as_deref()),
            title: item_title(page.lang, i).to_owned(),
            confidence: page.t(&format!("confidence-{}", i.confidence.as_str())),
        })
        .collect();
    let h = &c.catalog;
    let tpl = ShowTpl {
        id: h.id.clone(),
        title: catalog_title(page.lang, c).to_owned(),
        publisher: pick(page.lang, &h.publisher_ko, &h.publisher_en).to_owned(),
        edition: h.edition.clone(),
        issued: h.issued.clone(),
        accepted_until: h.accepted_until.clone(),
        note: h.note_en.clone(),
        q,
        items,
        page: &page,
    };
    Ok(ok(&page, &tpl))
}

struct LinkRow {
    catalog: String,
    item: String,
    title: String,
    relation: String,
    confidence: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "catalog_item.html")]
struct ItemTpl<'a> {
    page: &'a Page,
    catalog_id: String,
    catalog_title: String,
    item_id: String,
    title: String,
    other_title: String,
    other_lang: &'static str,
    text: Option<String>,
    other_text: Option<String>,
    group: String,
    functions: String,
    evidence: String,
    standards: String,
    attachment: Option<String>,
    source: String,
    confidence: String,
    note: Option<String>,
    criterion: Option<String>,
    steps: Vec<String>,
    threats: Vec<(String, String)>,
    links: Vec<LinkRow>,
}

async fn item(
    State(state): State<AppState>,
    parts: Parts,
    WebUser(actor): WebUser,
    RefPair(catalog_id, item_id): RefPair,
) -> Result<Response> {
    let all = all()?;
    let (c, i) = all
        .resolve(&format!("{catalog_id}:{item_id}"))
        .ok_or(Error::NotFound)?;
    let mut page = page(&state, &parts, &actor, "catalogs-title", "catalogs").await?;
    let lang = page.lang;
    page.title = format!("{} {}", i.id, item_title(lang, i));
    let (text, other_text) = match lang {
        Lang::Ko => (i.text_ko.clone(), i.text_en.clone()),
        Lang::En => (i.text_en.clone(), i.text_ko.clone()),
    };
    let (evidence, criterion, steps) = match lang {
        Lang::Ko => (
            &i.evidence_ko,
            i.test_criterion_ko.clone(),
            i.test_method_ko.clone(),
        ),
        Lang::En => (
            &i.evidence_en,
            i.test_criterion_en.clone(),
            i.test_method_en.clone(),
        ),
    };
    let threats = i
        .threats
        .iter()
        .filter_map(|t| c.threat.iter().find(|x| &x.id == t))
        .map(|t| {
            (
                pick(lang, &t.title_ko, &t.title_en).to_owned(),
                pick(lang, &t.text_ko, &t.text_en).to_owned(),
            )
        })
        .collect();
    let reference = format!("{}:{}", c.catalog.id, i.id);
    let links = all
        .links_of(&reference)
        .map(|(l, other)| {
            let (oc, oi) = other.split_once(':').unwrap_or((other, ""));
            LinkRow {
                catalog: oc.to_owned(),
                item: oi.to_owned(),
                title: all
                    .resolve(other)
                    .map(|(_, x)| item_title(lang, x).to_owned())
                    .unwrap_or_default(),
                relation: page.t(&format!("relation-{}", l.relation.as_str())),
                confidence: page.t(&format!("confidence-{}", l.confidence.as_str())),
                reason: l.reason_en.clone(),
            }
        })
        .collect();
    let tpl = ItemTpl {
        catalog_id: c.catalog.id.clone(),
        catalog_title: catalog_title(lang, c).to_owned(),
        item_id: i.id.clone(),
        title: item_title(lang, i).to_owned(),
        other_title: item_title(lang.other(), i).to_owned(),
        other_lang: lang.other().code(),
        text,
        other_text,
        group: group_title(lang, c, i.group.as_deref()),
        functions: i
            .functions
            .iter()
            .map(|f| page.t(&format!("function-{}", f.as_str())))
            .collect::<Vec<_>>()
            .join(" · "),
        evidence: evidence.join("; "),
        standards: i.standards.join("; "),
        attachment: i.attachment.clone(),
        source: page.t(&format!("source-{}", i.source.as_str())),
        confidence: page.t(&format!("confidence-{}", i.confidence.as_str())),
        note: i.note_en.clone(),
        criterion,
        steps,
        threats,
        links,
        page: &page,
    };
    Ok(ok(&page, &tpl))
}
