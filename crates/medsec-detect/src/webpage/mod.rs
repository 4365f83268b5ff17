//! Web page monitoring without IO: a fetched page becomes a [`Snapshot`]
//! (normalised content hash, tag skeleton, external resources and their
//! origins, inline script hashes, hidden iframes, title and visible
//! text), and [`compare`] judges a snapshot against the accepted baseline:
//! unchanged, changed (recorded, no alert), defaced or injected, each
//! judgement with the [`Finding`]s that say what changed.
//!
//! What counts as defacement: the tag skeleton's similarity with the
//! baseline below the monitor's threshold, the title replaced, a
//! defacement keyword ([`DEFAULT_KEYWORDS`] and the monitor's own) that
//! the baseline did not have as often, or the page now leading to
//! another site (redirect or `<meta http-equiv=refresh>`). What counts as
//! injection: a script, frame, embedded object or form target from an
//! origin the baseline did not use, a new inline script, a hidden iframe
//! that was not there, or any resource whose host a threat-intelligence
//! indicator names ([`Intel`]).
//!
//! Dynamic parts (nonces, CSRF tokens, dates and times) are left out of
//! the content hash, together with the monitor's own ignore patterns, so
//! a page that only re-rendered compares as unchanged.

pub mod html;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use regex::Regex;
use sha2::{Digest, Sha256};
use url::Url;

use html::Token;

/// Keywords of defacement pages and of the spam injected into hacked
/// sites (Korean gambling and adult terms), matched case-insensitively in
/// the title and the visible text.
pub const DEFAULT_KEYWORDS: &[&str] = &[
    "hacked by",
    "defaced by",
    "defaced",
    "owned by",
    "h4ck3d",
    "was here",
    "해킹",
    "해킹당",
    "카지노",
    "토토",
    "바카라",
    "슬롯",
    "먹튀",
    "성인방송",
    "야동",
];

/// The default structure similarity, in percent, below which a page
/// counts as defaced.
pub const DEFAULT_THRESHOLD: u8 = 60;

/// The most tags of the skeleton kept.
pub const MAX_SKELETON: usize = 20_000;
/// The most characters of visible text kept in a snapshot.
pub const MAX_TEXT_CHARS: usize = 100_000;
/// The most resources and inline scripts kept.
pub const MAX_ITEMS: usize = 2_000;

/// What a check compares against and what a check saw.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Snapshot {
    /// The address the page was finally read from (after redirects).
    pub url: String,
    /// SHA-256 (hex) of the normalised content.
    pub content_hash: String,
    pub title: String,
    /// Start tags in document order (lower-case names).
    pub skeleton: Vec<String>,
    /// External scripts, frames, objects, stylesheets, form targets and
    /// refresh targets, resolved against the page's address.
    pub resources: Vec<Resource>,
    /// Inline scripts (JavaScript only), by hash of their normalised text.
    pub inline_scripts: Vec<InlineScript>,
    /// Iframes hidden by size, attribute or style (their own or an
    /// ancestor's).
    pub hidden_iframes: Vec<Resource>,
    /// The visible text, whitespace collapsed, at most [`MAX_TEXT_CHARS`].
    pub text: String,
    /// The bytes of the page that were read.
    pub bytes: u64,
}

/// A resource the page loads or leads to.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub struct Resource {
    /// `script`, `iframe`, `frame`, `embed`, `object`, `link`, `form` or
    /// `refresh`.
    pub element: String,
    pub url: String,
    /// `scheme://host[:port]`, or `data:`, `javascript:` and the like.
    pub origin: String,
}

/// An inline script.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct InlineScript {
    pub hash: String,
    /// Its first characters, for people.
    pub excerpt: String,
}

/// How a monitor judges changes.
#[derive(Clone, Debug)]
pub struct Options {
    /// Removed from the page before anything else (dynamic parts).
    pub ignore: Vec<Regex>,
    /// Keywords beyond [`DEFAULT_KEYWORDS`].
    pub keywords: Vec<String>,
    /// Structure similarity in percent below which a page is defaced.
    pub threshold: u8,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            ignore: Vec::new(),
            keywords: Vec::new(),
            threshold: DEFAULT_THRESHOLD,
        }
    }
}

/// The longest ignore pattern, in characters.
pub const MAX_PATTERN: usize = 500;

/// Compiles an ignore pattern with bounded size, so a pattern cannot make
/// checks slow or large.
pub fn compile_pattern(pattern: &str) -> Result<Regex, String> {
    if pattern.chars().count() > MAX_PATTERN {
        return Err(format!("longer than {MAX_PATTERN} characters"));
    }
    regex::RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .dfa_size_limit(1 << 20)
        .nest_limit(50)
        .build()
        .map_err(|e| e.to_string())
}

/// Threat intelligence about hosts: the indicator that names a resource's
/// host, if any.
pub trait Intel {
    fn lookup(&self, url: &Url, at_ms: i64) -> Option<IntelHit>;
}

/// An indicator that matched a resource.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntelHit {
    /// The indicator's value (a domain or address).
    pub indicator: String,
    pub source: String,
}

/// No intelligence.
pub struct NoIntel;

impl Intel for NoIntel {
    fn lookup(&self, _: &Url, _: i64) -> Option<IntelHit> {
        None
    }
}

impl Intel for crate::indicators::IndicatorSet {
    fn lookup(&self, url: &Url, at_ms: i64) -> Option<IntelHit> {
        let mut out = Vec::new();
        match url.host()? {
            url::Host::Domain(d) => self.lookup_domain(d, at_ms, &mut out),
            url::Host::Ipv4(a) => self.lookup_ip(a.into(), at_ms, &mut out),
            url::Host::Ipv6(a) => self.lookup_ip(a.into(), at_ms, &mut out),
        }
        out.first().map(|i| IntelHit {
            indicator: i.value.clone(),
            source: i.source.to_string(),
        })
    }
}

/// Built-in dynamic parts: dates and times as pages show them.
static DYNAMIC: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        // 2026-11-25, 2026.11.25, 2026/11/25 (with an optional time).
        r"\b\d{4}[-./]\d{1,2}[-./]\d{1,2}\.?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)?",
        // 2026년 11월 25일
        r"\d{4}\s*년\s*\d{1,2}\s*월\s*\d{1,2}\s*일",
        // 14:03, 14:03:22
        r"\b\d{1,2}:\d{2}(?::\d{2})?\b",
    ]
    .iter()
    .filter_map(|p| Regex::new(p).ok())
    .collect()
});

/// Attribute names whose values are per-request secrets or nonces.
fn dynamic_attr(tag: &str, name: &str, attrs: &[(String, String)]) -> bool {
    if name == "nonce" {
        return true;
    }
    let named = |key: &str| {
        attrs
            .iter()
            .find(|(n, _)| n == key)
            .map(|(_, v)| v.to_ascii_lowercase())
            .unwrap_or_default()
    };
    let tokenish = |s: &str| {
        s.contains("csrf") || s.contains("xsrf") || s.contains("token") || s.contains("nonce")
    };
    match (tag, name) {
        ("input", "value") => tokenish(&named("name")) || tokenish(&named("id")),
        ("meta", "content") => tokenish(&named("name")),
        _ => false,
    }
}

fn strip_dynamic(s: &str) -> String {
    let mut out = s.to_owned();
    for re in DYNAMIC.iter() {
        if re.is_match(&out) {
            out = re.replace_all(&out, "").into_owned();
        }
    }
    out
}

fn collapse(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256(s: &str) -> String {
    hex(&Sha256::digest(s.as_bytes()))
}

/// The first `n` characters of `s`.
fn excerpt(s: &str, n: usize) -> String {
    let mut out: String = s.chars().take(n).collect();
    if s.chars().nth(n).is_some() {
        out.push('…');
    }
    out
}

fn origin_of(url: &Url) -> String {
    match url.scheme() {
        "http" | "https" => url.origin().ascii_serialization(),
        other => format!("{other}:"),
    }
}

/// Whether a script element's `type` says JavaScript.
fn is_javascript(kind: Option<&str>) -> bool {
    match kind.map(|t| t.trim().to_ascii_lowercase()) {
        None => true,
        Some(t) => {
            t.is_empty()
                || t == "module"
                || t.contains("javascript")
                || t.contains("ecmascript")
                || t == "text/jscript"
        }
    }
}

/// Why an element hides what it holds, if it does.
fn hidden_by(attrs: &[(String, String)]) -> Option<String> {
    let get = |k: &str| attrs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    if get("hidden").is_some() {
        return Some("hidden".into());
    }
    for dim in ["width", "height"] {
        if let Some(v) = get(dim) {
            let v = v.trim().trim_end_matches("px").trim();
            if v == "0" || v == "1" {
                return Some(format!("{dim}={v}"));
            }
        }
    }
    let style: String = get("style")
        .unwrap_or("")
        .to_ascii_lowercase()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    for marker in [
        "display:none",
        "visibility:hidden",
        "width:0",
        "height:0",
        "width:1px",
        "height:1px",
        "opacity:0;",
        "left:-",
        "top:-",
    ] {
        if style.contains(marker) || (marker == "opacity:0;" && style.ends_with("opacity:0")) {
            return Some(format!("style {}", marker.trim_end_matches(';')));
        }
    }
    None
}

/// The snapshot of `body` read from `url` (the final address).
pub fn snapshot(url: &str, body: &str, options: &Options) -> Snapshot {
    let mut cleaned = body.to_owned();
    for re in &options.ignore {
        if re.is_match(&cleaned) {
            cleaned = re.replace_all(&cleaned, "").into_owned();
        }
    }
    let tokens = html::tokenize(&cleaned);
    let page_url = Url::parse(url).ok();
    // A <base href> changes how later addresses resolve.
    let base = tokens
        .iter()
        .find(|t| matches!(t, Token::Start { name, .. } if name == "base"))
        .and_then(|t| t.attr("href"))
        .and_then(|h| match &page_url {
            Some(u) => u.join(h.trim()).ok(),
            None => Url::parse(h.trim()).ok(),
        })
        .or_else(|| page_url.clone());
    let resolve = |raw: &str| -> Option<Url> {
        let raw = raw.trim();
        if raw.is_empty() || raw.starts_with('#') {
            return None;
        }
        match &base {
            Some(b) => b.join(raw).ok(),
            None => Url::parse(raw).ok(),
        }
    };

    let mut hasher = Sha256::new();
    let mut skeleton = Vec::new();
    let mut resources: Vec<Resource> = Vec::new();
    let mut inline_scripts: Vec<InlineScript> = Vec::new();
    let mut hidden_iframes: Vec<Resource> = Vec::new();
    let mut text = String::new();
    let mut text_chars = 0usize;
    let mut title: Option<String> = None;
    // Open elements: name, and whether it hides its content.
    let mut stack: Vec<(String, bool)> = Vec::new();
    let mut in_title = false;
    let mut title_text = String::new();
    let mut script_is_js = false;
    let mut in_script = false;

    let add = |element: &str, raw: &str, resources: &mut Vec<Resource>| -> Option<Resource> {
        let url = resolve(raw)?;
        let r = Resource {
            element: element.to_owned(),
            origin: origin_of(&url),
            url: url.to_string(),
        };
        if resources.len() < MAX_ITEMS && !resources.contains(&r) {
            resources.push(r.clone());
        }
        Some(r)
    };

    for token in &tokens {
        match token {
            Token::Start {
                name,
                attrs,
                self_closing,
            } => {
                if skeleton.len() < MAX_SKELETON {
                    skeleton.push(name.clone());
                }
                hasher.update(b"<");
                hasher.update(name.as_bytes());
                for (n, v) in attrs {
                    hasher.update(b" ");
                    hasher.update(n.as_bytes());
                    if !dynamic_attr(name, n, attrs) {
                        hasher.update(b"=");
                        hasher.update(strip_dynamic(v).as_bytes());
                    }
                    hasher.update(b"\0");
                }
                hasher.update(b">");
                let hidden_here = hidden_by(attrs);
                let ancestor_hidden = stack.iter().any(|(_, h)| *h);
                match name.as_str() {
                    "script" => {
                        in_script = true;
                        script_is_js = is_javascript(token.attr("type"));
                        if let Some(src) = token.attr("src") {
                            add("script", src, &mut resources);
                        }
                    }
                    "iframe" | "frame" => {
                        if let Some(src) = token.attr("src") {
                            let r = add(name, src, &mut resources);
                            let why = hidden_here
                                .clone()
                                .or_else(|| ancestor_hidden.then(|| "hidden parent".to_owned()));
                            if let (Some(r), Some(_)) = (r, why)
                                && hidden_iframes.len() < MAX_ITEMS
                                && !hidden_iframes.contains(&r)
                            {
                                hidden_iframes.push(r);
                            }
                        }
                    }
                    "embed" => {
                        if let Some(src) = token.attr("src") {
                            add("embed", src, &mut resources);
                        }
                    }
                    "object" => {
                        if let Some(src) = token.attr("data") {
                            add("object", src, &mut resources);
                        }
                    }
                    "link" => {
                        let rel = token.attr("rel").unwrap_or("").to_ascii_lowercase();
                        let loads = rel.split_whitespace().any(|r| {
                            matches!(
                                r,
                                "stylesheet" | "preload" | "modulepreload" | "prefetch" | "import"
                            )
                        });
                        if loads && let Some(href) = token.attr("href") {
                            add("link", href, &mut resources);
                        }
                    }
                    "form" => {
                        if let Some(action) = token.attr("action") {
                            add("form", action, &mut resources);
                        }
                    }
                    "meta" => {
                        let refresh = token
                            .attr("http-equiv")
                            .is_some_and(|h| h.eq_ignore_ascii_case("refresh"));
                        if refresh && let Some(content) = token.attr("content") {
                            let lower = content.to_ascii_lowercase();
                            if let Some(p) = lower.find("url=") {
                                let target =
                                    content.get(p + 4..).unwrap_or("").trim_matches(|c: char| {
                                        c == '\'' || c == '"' || c.is_whitespace()
                                    });
                                add("refresh", target, &mut resources);
                            }
                        }
                    }
                    "title" if title.is_none() => {
                        in_title = true;
                        title_text.clear();
                    }
                    _ => {}
                }
                if !*self_closing && !html::VOID.contains(&name.as_str()) {
                    stack.push((name.clone(), hidden_here.is_some()));
                    if stack.len() > 512 {
                        stack.remove(0);
                    }
                }
            }
            Token::End { name } => {
                hasher.update(b"</");
                hasher.update(name.as_bytes());
                hasher.update(b">");
                if let Some(p) = stack.iter().rposition(|(n, _)| n == name) {
                    stack.truncate(p);
                }
                match name.as_str() {
                    "title" if in_title => {
                        in_title = false;
                        title = Some(collapse(&title_text));
                    }
                    "script" => in_script = false,
                    _ => {}
                }
            }
            Token::Text(t) => {
                let collapsed = collapse(&strip_dynamic(t));
                if !collapsed.is_empty() {
                    hasher.update(b"T");
                    hasher.update(collapsed.as_bytes());
                    hasher.update(b"\0");
                }
                if in_title {
                    title_text.push_str(t);
                    title_text.push(' ');
                    continue;
                }
                let visible = collapse(t);
                if !visible.is_empty() && text_chars < MAX_TEXT_CHARS {
                    let room = MAX_TEXT_CHARS - text_chars;
                    let piece: String = visible.chars().take(room).collect();
                    text_chars += piece.chars().count() + 1;
                    if !text.is_empty() {
                        text.push(' ');
                    }
                    text.push_str(&piece);
                }
            }
            Token::Raw(r) => {
                let normalised = collapse(&strip_dynamic(r));
                hasher.update(b"R");
                hasher.update(normalised.as_bytes());
                hasher.update(b"\0");
                let is_script = in_script || stack.last().is_some_and(|(n, _)| n == "script");
                if is_script
                    && script_is_js
                    && !normalised.is_empty()
                    && inline_scripts.len() < MAX_ITEMS
                {
                    let hash = sha256(&normalised);
                    if !inline_scripts.iter().any(|s| s.hash == hash) {
                        inline_scripts.push(InlineScript {
                            hash,
                            excerpt: excerpt(&normalised, 160),
                        });
                    }
                }
            }
            // Comments are left out: builders stamp them with times.
            Token::Comment(_) => {}
        }
    }
    if in_title && title.is_none() {
        title = Some(collapse(&title_text));
    }
    Snapshot {
        url: url.to_owned(),
        content_hash: hex(&hasher.finalize()),
        title: title.unwrap_or_default(),
        skeleton,
        resources,
        inline_scripts,
        hidden_iframes,
        text,
        bytes: body.len() as u64,
    }
}

/// What a check concluded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Unchanged,
    /// Changed within the monitor's tolerance: recorded, no alert.
    Changed,
    Injected,
    Defaced,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Unchanged => "unchanged",
            Outcome::Changed => "changed",
            Outcome::Injected => "injected",
            Outcome::Defaced => "defaced",
        }
    }
}

/// Where a keyword was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Place {
    Title,
    Text,
}

/// Something that changed, and why it matters.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Finding {
    /// The content hash differs; the similarities in per mille.
    ContentChanged {
        similarity: u16,
        text_similarity: u16,
    },
    /// The tag skeleton is less similar than the threshold (per mille).
    StructureChanged {
        similarity: u16,
        threshold: u16,
    },
    TitleReplaced {
        before: String,
        after: String,
    },
    /// A keyword occurs more often than in the baseline.
    Keyword {
        keyword: String,
        place: Place,
        count: usize,
        baseline_count: usize,
        context: String,
    },
    /// The page now leads to another site.
    Redirected {
        from: String,
        to: String,
    },
    /// A resource from an origin the baseline did not use.
    NewOrigin {
        element: String,
        url: String,
        origin: String,
    },
    NewInlineScript {
        hash: String,
        excerpt: String,
    },
    HiddenIframe {
        url: String,
    },
    /// A resource whose host an indicator names.
    Indicator {
        element: String,
        url: String,
        indicator: String,
        source: String,
    },
}

/// The alert rules of findings.
pub const RULE_DEFACEMENT: &str = "web.defacement";
pub const RULE_INJECTED: &str = "web.injected-script";
pub const RULE_UNREACHABLE: &str = "web.unreachable";

impl Finding {
    /// The alert rule this finding raises, if it raises one.
    pub fn rule(&self) -> Option<&'static str> {
        match self {
            Finding::ContentChanged { .. } => None,
            Finding::StructureChanged { .. }
            | Finding::TitleReplaced { .. }
            | Finding::Keyword { .. }
            | Finding::Redirected { .. } => Some(RULE_DEFACEMENT),
            Finding::NewOrigin { element, .. } if element == "link" => None,
            Finding::NewOrigin { .. }
            | Finding::NewInlineScript { .. }
            | Finding::HiddenIframe { .. }
            | Finding::Indicator { .. } => Some(RULE_INJECTED),
        }
    }

    /// One line for people (English; the UI has its own words).
    pub fn summary(&self) -> String {
        match self {
            Finding::ContentChanged {
                similarity,
                text_similarity,
            } => format!(
                "content changed (structure {:.1}% similar, text {:.1}%)",
                f64::from(*similarity) / 10.0,
                f64::from(*text_similarity) / 10.0
            ),
            Finding::StructureChanged {
                similarity,
                threshold,
            } => format!(
                "structure only {:.1}% similar to the baseline (threshold {:.0}%)",
                f64::from(*similarity) / 10.0,
                f64::from(*threshold) / 10.0
            ),
            Finding::TitleReplaced { before, after } => {
                format!("title replaced: \"{before}\" → \"{after}\"")
            }
            Finding::Keyword {
                keyword,
                place,
                count,
                baseline_count,
                context,
            } => format!(
                "keyword \"{keyword}\" in the {} {count}× (baseline {baseline_count}×): …{context}…",
                match place {
                    Place::Title => "title",
                    Place::Text => "text",
                }
            ),
            Finding::Redirected { from, to } => format!("now leads from {from} to {to}"),
            Finding::NewOrigin {
                element,
                url,
                origin,
            } => format!("new {element} origin {origin}: {url}"),
            Finding::NewInlineScript { excerpt, .. } => format!("new inline script: {excerpt}"),
            Finding::HiddenIframe { url } => format!("new hidden iframe: {url}"),
            Finding::Indicator {
                element,
                url,
                indicator,
                source,
            } => format!("{element} {url} matches indicator {indicator} ({source})"),
        }
    }
}

/// The result of comparing a snapshot with the baseline.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Comparison {
    pub outcome: Outcome,
    /// Structure similarity in per mille (1000 = the same skeleton).
    pub similarity: u16,
    /// Visible-text similarity in per mille.
    pub text_similarity: u16,
    pub findings: Vec<Finding>,
}

impl Comparison {
    /// The alert rules the findings raise, once each, defacement first.
    pub fn rules(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        for r in [RULE_DEFACEMENT, RULE_INJECTED] {
            if self.findings.iter().any(|f| f.rule() == Some(r)) {
                out.push(r);
            }
        }
        out
    }
}

/// Multiset Jaccard similarity of the tag skeletons' 3-tag shingles, in
/// per mille: adding a news item changes it a little, replacing the page
/// a lot.
pub fn structure_similarity(a: &[String], b: &[String]) -> u16 {
    fn shingles(s: &[String]) -> BTreeMap<&[String], u32> {
        let n = if s.len() >= 3 { 3 } else { 1 };
        let mut m = BTreeMap::new();
        for w in s.windows(n) {
            *m.entry(w).or_insert(0) += 1;
        }
        m
    }
    if a.is_empty() && b.is_empty() {
        return 1000;
    }
    let (sa, sb) = (shingles(a), shingles(b));
    let mut inter = 0u64;
    let mut union = 0u64;
    for (k, &ca) in &sa {
        let cb = sb.get(k).copied().unwrap_or(0);
        inter += u64::from(ca.min(cb));
        union += u64::from(ca.max(cb));
    }
    for (k, &cb) in &sb {
        if !sa.contains_key(k) {
            union += u64::from(cb);
        }
    }
    if union == 0 {
        return 1000;
    }
    (inter * 1000 / union) as u16
}

fn words(s: &str) -> BTreeSet<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Jaccard similarity of the distinct words, in per mille.
pub fn text_similarity(a: &str, b: &str) -> u16 {
    let (wa, wb) = (words(a), words(b));
    if wa.is_empty() && wb.is_empty() {
        return 1000;
    }
    let inter = wa.intersection(&wb).count() as u64;
    let union = wa.union(&wb).count() as u64;
    (inter * 1000 / union.max(1)) as u16
}

/// Occurrences of `needle` (lower-case) in `haystack`, case-insensitively,
/// and the text around the first.
fn occurrences(haystack: &str, needle: &str) -> (usize, String) {
    if needle.is_empty() {
        return (0, String::new());
    }
    let lower = haystack.to_lowercase();
    let count = lower.matches(needle).count();
    let context = match lower.find(needle) {
        // Lower-casing can change lengths, so the context is cut from the
        // lower-cased text, by characters.
        Some(p) => {
            let before: Vec<char> = lower.get(..p).unwrap_or("").chars().collect();
            let start = before.len().saturating_sub(30);
            lower
                .chars()
                .skip(start)
                .take(30 + needle.chars().count() + 30)
                .collect()
        }
        None => String::new(),
    };
    (count, context)
}

fn title_replaced(before: &str, after: &str) -> bool {
    let (b, a) = (before.trim().to_lowercase(), after.trim().to_lowercase());
    if b.is_empty() || a == b || a.contains(&b) || b.contains(&a) && !a.is_empty() {
        return false;
    }
    text_similarity(&b, &a) < 500
}

/// The keywords a monitor looks for, lower-cased, once each.
pub fn keywords(options: &Options) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for k in DEFAULT_KEYWORDS
        .iter()
        .map(|k| (*k).to_owned())
        .chain(options.keywords.iter().cloned())
    {
        let k = k.trim().to_lowercase();
        if !k.is_empty() && !out.contains(&k) {
            out.push(k);
        }
    }
    out
}

/// Judges `current` against `baseline`; `intel` names hosts that threat
/// intelligence knows, judged at `at_ms`.
pub fn compare(
    baseline: &Snapshot,
    current: &Snapshot,
    options: &Options,
    intel: &dyn Intel,
    at_ms: i64,
) -> Comparison {
    let similarity = structure_similarity(&baseline.skeleton, &current.skeleton);
    let text_sim = text_similarity(&baseline.text, &current.text);
    let mut findings = Vec::new();

    // Indicators concern every resource, known or new.
    for r in &current.resources {
        if let Ok(u) = Url::parse(&r.url)
            && let Some(hit) = intel.lookup(&u, at_ms)
        {
            findings.push(Finding::Indicator {
                element: r.element.clone(),
                url: r.url.clone(),
                indicator: hit.indicator,
                source: hit.source,
            });
        }
    }
    if let Ok(u) = Url::parse(&current.url)
        && let Some(hit) = intel.lookup(&u, at_ms)
    {
        findings.push(Finding::Indicator {
            element: "page".into(),
            url: current.url.clone(),
            indicator: hit.indicator,
            source: hit.source,
        });
    }

    if baseline.content_hash == current.content_hash {
        let outcome = if findings.is_empty() {
            Outcome::Unchanged
        } else {
            Outcome::Injected
        };
        return Comparison {
            outcome,
            similarity,
            text_similarity: text_sim,
            findings,
        };
    }

    findings.insert(
        0,
        Finding::ContentChanged {
            similarity,
            text_similarity: text_sim,
        },
    );
    let threshold = u16::from(options.threshold.clamp(1, 99)) * 10;
    if similarity < threshold {
        findings.push(Finding::StructureChanged {
            similarity,
            threshold,
        });
    }
    if title_replaced(&baseline.title, &current.title) {
        findings.push(Finding::TitleReplaced {
            before: baseline.title.clone(),
            after: current.title.clone(),
        });
    }
    for k in keywords(options) {
        for (place, now, before) in [
            (Place::Title, &current.title, &baseline.title),
            (Place::Text, &current.text, &baseline.text),
        ] {
            let (count, context) = occurrences(now, &k);
            let (baseline_count, _) = occurrences(before, &k);
            if count > baseline_count {
                findings.push(Finding::Keyword {
                    keyword: k.clone(),
                    place,
                    count,
                    baseline_count,
                    context,
                });
            }
        }
    }
    let page_origin = |s: &Snapshot| Url::parse(&s.url).ok().map(|u| origin_of(&u));
    let (base_origin, cur_origin) = (page_origin(baseline), page_origin(current));
    if let (Some(b), Some(c)) = (&base_origin, &cur_origin)
        && b != c
    {
        // http → https of the same host is an upgrade, not a move.
        let host = |s: &Snapshot| {
            Url::parse(&s.url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned))
        };
        if host(baseline) != host(current) {
            findings.push(Finding::Redirected {
                from: b.clone(),
                to: current.url.clone(),
            });
        }
    }
    let known: BTreeSet<&str> = baseline
        .resources
        .iter()
        .map(|r| r.origin.as_str())
        .chain(base_origin.as_deref())
        .chain(cur_origin.as_deref())
        .collect();
    let mut reported: BTreeSet<(&str, &str)> = BTreeSet::new();
    for r in &current.resources {
        if r.element == "refresh" {
            let before = baseline
                .resources
                .iter()
                .any(|b| b.element == "refresh" && b.origin == r.origin);
            if !before && Some(&r.origin) != cur_origin.as_ref() {
                findings.push(Finding::Redirected {
                    from: cur_origin.clone().unwrap_or_default(),
                    to: r.url.clone(),
                });
            }
            continue;
        }
        if !known.contains(r.origin.as_str()) && reported.insert((&r.element, &r.origin)) {
            findings.push(Finding::NewOrigin {
                element: r.element.clone(),
                url: r.url.clone(),
                origin: r.origin.clone(),
            });
        }
    }
    let known_scripts: BTreeSet<&str> = baseline
        .inline_scripts
        .iter()
        .map(|s| s.hash.as_str())
        .collect();
    for s in &current.inline_scripts {
        if !known_scripts.contains(s.hash.as_str()) {
            findings.push(Finding::NewInlineScript {
                hash: s.hash.clone(),
                excerpt: s.excerpt.clone(),
            });
        }
    }
    for f in &current.hidden_iframes {
        if !baseline.hidden_iframes.iter().any(|b| b.url == f.url) {
            findings.push(Finding::HiddenIframe { url: f.url.clone() });
        }
    }

    let outcome = if findings.iter().any(|f| f.rule() == Some(RULE_DEFACEMENT)) {
        Outcome::Defaced
    } else if findings.iter().any(|f| f.rule() == Some(RULE_INJECTED)) {
        Outcome::Injected
    } else {
        Outcome::Changed
    };
    Comparison {
        outcome,
        similarity,
        text_similarity: text_sim,
        findings,
    }
}

#[cfg(test)]
mod tests;
