//! Web page monitoring (seed 004: 웹페이지 위변조·웹쉘·악성코드 유포
//!모니터링) for the UI, the API and the CLI: members' pages fetched on
//! schedule and judged against their accepted baseline by
//! [`medsec_detect::webpage`]; defacement, injected scripts and pages that
//! stay unreachable become alerts of kind `webpage` for their member.
//!
//! Who may do what: the ISAC's users see every member's monitors and,
//! with write permission, add, change, remove, check and re-baseline any;
//! a hospital's users the same for their own; other organisations nothing.
//! Every change is audited in its transaction.
//!
//! The fetch ([`fetch`]) is HTTP/1.1 over hyper, with rustls (ring) for
//! https and the system's CA bundle; it is bounded in time ([`TIMEOUT`]),
//! size ([`MAX_BODY`], the rest is not read) and redirects
//! ([`MAX_REDIRECTS`]), and refuses private, loopback and link-local
//! addresses unless the server allows them (`--webmon-allow-private`),
//! checking the address it connects to, so a monitor cannot be pointed at
//! the ISAC's own network. The scheduler ([`spawn_scheduler`]) claims due
//! monitors in the database ([`medsec_store::webmon`]) and runs at most
//! [`CONCURRENCY`] checks at once; a claim is a lease, so checks of one
//! monitor never overlap, on one node or several.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, LazyLock, OnceLock};
use std::time::{Duration, Instant};

use axum::body::Body;
use hyper::Request;
use hyper_util::rt::TokioIo;
use medsec_core::audit::Action;
use medsec_core::validate::FieldError;
use medsec_core::{OrgKind, Timestamp};
use medsec_detect::webpage::{
    self, Comparison, Finding, Intel, NoIntel, Options, Outcome, RULE_DEFACEMENT, RULE_INJECTED,
    RULE_UNREACHABLE, Snapshot,
};
use medsec_store::Store;
use medsec_store::alerts::NewHit;
use medsec_store::webmon::{Claim, WebCheckRecord, WebCheckRow, WebMonitorRow, WebMonitorSettings};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use url::Url;

use crate::assure::By;
use crate::error::{Error, Result};
use crate::state::AppState;
use crate::watch::scope;

/// The shortest and longest check interval, in seconds.
pub const MIN_INTERVAL: i64 = 60;
pub const MAX_INTERVAL: i64 = 86_400;
pub const DEFAULT_INTERVAL: i64 = 300;
/// Consecutive failures before an unreachable alert, by default.
pub const DEFAULT_FAILURES: i64 = 3;
/// The most keywords and ignore patterns of one monitor.
pub const MAX_KEYWORDS: usize = 50;
pub const MAX_PATTERNS: usize = 20;
/// The longest keyword and monitor name, in characters.
pub const MAX_KEYWORD: usize = 100;
pub const MAX_NAME: usize = 200;
/// The longest address, in bytes.
pub const MAX_URL: usize = 2000;
/// The most bytes of a page read; the rest is not fetched.
pub const MAX_BODY: usize = 4 * 1024 * 1024;
pub const MAX_REDIRECTS: usize = 5;
/// A whole fetch (connection, redirects, body) takes at most this long.
pub const TIMEOUT: Duration = Duration::from_secs(20);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a claim holds a monitor: longer than any check.
pub const LEASE_MS: i64 = 120_000;
/// Checks running at once on one node.
pub const CONCURRENCY: usize = 4;
/// Checks shown on a monitor's page.
pub const HISTORY: i64 = 50;

/// This process's name in claims.
pub fn node_id() -> &'static str {
    static NODE: LazyLock<String> = LazyLock::new(|| {
        format!(
            "{}-{}",
            std::process::id(),
            medsec_core::new_id().get(..8).unwrap_or("")
        )
    });
    &NODE
}

// ---------------------------------------------------------------------------
// Fetching

/// How [`fetch`] reads a page.
#[derive(Clone)]
pub struct FetchOptions {
    pub timeout: Duration,
    pub max_bytes: usize,
    pub max_redirects: usize,
    /// Whether private, loopback and link-local addresses may be reached.
    pub allow_private: bool,
    /// The TLS client for https pages (`None`: https fails).
    pub tls: Option<Arc<rustls::ClientConfig>>,
}

impl FetchOptions {
    /// The defaults, trusting the system's CA bundle.
    pub fn new(allow_private: bool) -> FetchOptions {
        FetchOptions {
            timeout: TIMEOUT,
            max_bytes: MAX_BODY,
            max_redirects: MAX_REDIRECTS,
            allow_private,
            tls: system_tls(),
        }
    }
}

/// The TLS client of monitors: the system's CA bundle (not the webhooks'
/// `--webhook-ca`, which may name a private CA only).
fn system_tls() -> Option<Arc<rustls::ClientConfig>> {
    static TLS: OnceLock<Option<Arc<rustls::ClientConfig>>> = OnceLock::new();
    TLS.get_or_init(|| match crate::webhook::client_config(None) {
        Ok(c) => Some(Arc::new(c)),
        Err(e) => {
            tracing::error!(error = %e, "system CA certificates unreadable; https pages cannot be monitored");
            None
        }
    })
    .clone()
}

/// A page as read.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Fetched {
    pub status: u16,
    /// The address after redirects.
    pub final_url: String,
    /// Each redirect's target, in order.
    pub redirects: Vec<String>,
    /// The response headers of interest.
    pub headers: BTreeMap<String, String>,
    #[serde(skip)]
    pub body: Vec<u8>,
    /// The page was longer than the limit and was cut.
    pub truncated: bool,
    pub duration_ms: i64,
}

/// Response headers worth keeping with a check.
const HEADERS: &[&str] = &[
    "content-type",
    "content-length",
    "last-modified",
    "etag",
    "server",
    "x-powered-by",
    "content-security-policy",
    "strict-transport-security",
    "x-frame-options",
];

/// Whether an address may be reached by a monitor when private
/// addresses are not allowed: public unicast only.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => {
            let o = a.octets();
            !(a.is_loopback()
                || a.is_private()
                || a.is_link_local()
                || a.is_unspecified()
                || a.is_broadcast()
                || a.is_multicast()
                // 0.0.0.0/8, 100.64.0.0/10 (carrier-grade NAT), 198.18.0.0/15.
                || o[0] == 0
                || o[0] == 100 && (64..128).contains(&o[1])
                || o[0] == 198 && (o[1] == 18 || o[1] == 19)
                || o[0] >= 240)
        }
        IpAddr::V6(a) => {
            if let Some(v4) = a.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let s = a.segments();
            !(a.is_loopback()
                || a.is_unspecified()
                || a.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80)
        }
    }
}

/// Fetches `url` (http or https), following redirects, within the
/// options' bounds. The error says what failed, for the check's record.
pub async fn fetch(url: &str, o: &FetchOptions) -> std::result::Result<Fetched, String> {
    let started = Instant::now();
    let mut out = tokio::time::timeout(o.timeout, fetch_inner(url, o))
        .await
        .map_err(|_| format!("timed out after {} s", o.timeout.as_secs()))??;
    out.duration_ms = started.elapsed().as_millis() as i64;
    Ok(out)
}

async fn fetch_inner(url: &str, o: &FetchOptions) -> std::result::Result<Fetched, String> {
    let mut current = Url::parse(url).map_err(|e| format!("not an address: {e}"))?;
    let mut redirects = Vec::new();
    loop {
        let (status, headers, body, truncated) = get_once(&current, o).await?;
        let location = headers.get("location").cloned();
        if matches!(status, 301 | 302 | 303 | 307 | 308)
            && let Some(location) = location
        {
            if redirects.len() >= o.max_redirects {
                return Err(format!("more than {} redirects", o.max_redirects));
            }
            let next = current
                .join(location.trim())
                .map_err(|e| format!("redirect to an invalid address {location:?}: {e}"))?;
            if !matches!(next.scheme(), "http" | "https") {
                return Err(format!("redirect to a {} address", next.scheme()));
            }
            redirects.push(next.to_string());
            current = next;
            continue;
        }
        let headers = headers
            .into_iter()
            .filter(|(k, _)| HEADERS.contains(&k.as_str()))
            .collect();
        return Ok(Fetched {
            status,
            final_url: current.to_string(),
            redirects,
            headers,
            body,
            truncated,
            duration_ms: 0,
        });
    }
}

type Response = (u16, BTreeMap<String, String>, Vec<u8>, bool);

async fn get_once(url: &Url, o: &FetchOptions) -> std::result::Result<Response, String> {
    let https = match url.scheme() {
        "http" => false,
        "https" => true,
        other => return Err(format!("a {other} address cannot be monitored")),
    };
    let host = url.host().ok_or("the address has no host")?;
    let port = url
        .port_or_known_default()
        .ok_or("the address has no port")?;
    let (addrs, name): (Vec<SocketAddr>, String) = match host {
        url::Host::Ipv4(a) => (vec![SocketAddr::new(a.into(), port)], a.to_string()),
        url::Host::Ipv6(a) => (vec![SocketAddr::new(a.into(), port)], a.to_string()),
        url::Host::Domain(d) => (
            tokio::net::lookup_host((d, port))
                .await
                .map_err(|e| format!("resolving {d}: {e}"))?
                .collect(),
            d.to_owned(),
        ),
    };
    let allowed: Vec<SocketAddr> = addrs
        .iter()
        .copied()
        .filter(|a| o.allow_private || is_public(a.ip()))
        .collect();
    if allowed.is_empty() {
        let list: Vec<String> = addrs.iter().map(|a| a.ip().to_string()).collect();
        return Err(format!(
            "{name} resolves only to private or local addresses ({}), which monitors may not reach",
            list.join(", ")
        ));
    }
    let mut last = String::new();
    let mut tcp = None;
    for addr in &allowed {
        match tokio::time::timeout(CONNECT_TIMEOUT, tokio::net::TcpStream::connect(addr)).await {
            Ok(Ok(s)) => {
                tcp = Some(s);
                break;
            }
            Ok(Err(e)) => last = format!("connect {addr}: {e}"),
            Err(_) => last = format!("connect {addr}: timed out"),
        }
    }
    let tcp = tcp.ok_or(last)?;
    let host_header = match url.port() {
        Some(p) => format!("{}:{p}", url.host_str().unwrap_or("")),
        None => url.host_str().unwrap_or("").to_owned(),
    };
    let mut target = url.path().to_owned();
    if let Some(q) = url.query() {
        target.push('?');
        target.push_str(q);
    }
    let req = Request::get(target)
        .header(hyper::header::HOST, host_header)
        .header(
            hyper::header::USER_AGENT,
            concat!("medsec-webmon/", env!("CARGO_PKG_VERSION")),
        )
        .header(
            hyper::header::ACCEPT,
            "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
        )
        .header(hyper::header::ACCEPT_ENCODING, "identity")
        .body(Body::empty())
        .map_err(|e| e.to_string())?;
    if https {
        let tls = o.tls.clone().ok_or("no CA certificates for https")?;
        let server = ServerName::try_from(name.clone()).map_err(|e| e.to_string())?;
        let stream = tokio_rustls::TlsConnector::from(tls)
            .connect(server, tcp)
            .await
            .map_err(|e| format!("TLS with {name}: {e}"))?;
        exchange(stream, req, o.max_bytes).await
    } else {
        exchange(tcp, req, o.max_bytes).await
    }
}

async fn exchange<S>(
    stream: S,
    req: Request<Body>,
    max: usize,
) -> std::result::Result<Response, String>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    use hyper::body::Body as _;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    let conn = tokio::spawn(conn);
    let res = sender.send_request(req).await.map_err(|e| e.to_string());
    let res = match res {
        Ok(r) => r,
        Err(e) => {
            conn.abort();
            return Err(e);
        }
    };
    let status = res.status().as_u16();
    let mut headers = BTreeMap::new();
    for (k, v) in res.headers() {
        if let Ok(v) = v.to_str() {
            headers
                .entry(k.as_str().to_owned())
                .or_insert_with(|| v.chars().take(1000).collect::<String>());
        }
    }
    let mut body = res.into_body();
    let mut buf: Vec<u8> = Vec::new();
    let mut truncated = false;
    let read = async {
        while let Some(frame) =
            std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await
        {
            let frame = frame.map_err(|e| format!("reading the page: {e}"))?;
            if let Ok(data) = frame.into_data() {
                let room = max - buf.len();
                if data.len() > room {
                    buf.extend_from_slice(data.get(..room).unwrap_or(&[]));
                    truncated = true;
                    break;
                }
                buf.extend_from_slice(&data);
            }
        }
        Ok::<(), String>(())
    };
    let result = read.await;
    drop(sender);
    conn.abort();
    result?;
    Ok((status, headers, buf, truncated))
}

// ---------------------------------------------------------------------------
// Settings

/// A monitor as the API gives it.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct MonitorInput {
    /// The member hospital's id or name (the ISAC; a hospital's own
    /// monitors are always its own).
    #[serde(default)]
    pub member: Option<String>,
    pub name: String,
    /// `http://` or `https://` address of the page.
    pub url: String,
    /// Seconds between checks, 60 to 86400 [default: 300].
    #[serde(default)]
    pub interval_secs: Option<i64>,
    /// Defacement keywords beyond the built-in ones.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Regular expressions removed from the page before comparing
    /// (dynamic parts).
    #[serde(default)]
    pub ignore_patterns: Vec<String>,
    /// Structure similarity in percent below which the page counts as
    /// defaced, 1 to 99 [default: 60].
    #[serde(default)]
    pub threshold: Option<i64>,
    /// Consecutive failed checks before an alert, 1 to 100 [default: 3].
    #[serde(default)]
    pub failure_threshold: Option<i64>,
    /// [default: true]
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// A monitor as the form gives it: lists one per line, numbers as text.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct MonitorForm {
    #[serde(default)]
    pub member: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub interval_secs: String,
    #[serde(default)]
    pub keywords: String,
    #[serde(default)]
    pub ignore_patterns: String,
    #[serde(default)]
    pub threshold: String,
    #[serde(default)]
    pub failure_threshold: String,
    /// A checkbox: present when ticked.
    #[serde(default)]
    pub enabled: Option<String>,
}

fn lines(s: &str) -> Vec<String> {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

impl MonitorForm {
    /// The form's values for a new monitor.
    pub fn blank() -> MonitorForm {
        MonitorForm {
            interval_secs: DEFAULT_INTERVAL.to_string(),
            threshold: webpage::DEFAULT_THRESHOLD.to_string(),
            failure_threshold: DEFAULT_FAILURES.to_string(),
            enabled: Some("true".into()),
            ..MonitorForm::default()
        }
    }

    /// The form of a stored monitor.
    pub fn of(m: &WebMonitorRow, member_name: &str) -> MonitorForm {
        let list = |s: &str| {
            serde_json::from_str::<Vec<String>>(s)
                .unwrap_or_default()
                .join("\n")
        };
        MonitorForm {
            member: member_name.to_owned(),
            name: m.name.clone(),
            url: m.url.clone(),
            interval_secs: m.interval_secs.to_string(),
            keywords: list(&m.keywords),
            ignore_patterns: list(&m.ignore_patterns),
            threshold: m.threshold.to_string(),
            failure_threshold: m.failure_threshold.to_string(),
            enabled: (m.enabled != 0).then(|| "true".into()),
        }
    }

    /// The input, with numbers that are not numbers named.
    pub fn input(&self) -> std::result::Result<MonitorInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut number = |field: &'static str, v: &str, min: i64, max: i64| -> Option<i64> {
            let v = v.trim();
            if v.is_empty() {
                return None;
            }
            match v.parse::<i64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    errors.push(FieldError::range(field, min, max));
                    None
                }
            }
        };
        let input = MonitorInput {
            member: Some(self.member.clone()),
            name: self.name.clone(),
            url: self.url.clone(),
            interval_secs: number(
                "interval_secs",
                &self.interval_secs,
                MIN_INTERVAL,
                MAX_INTERVAL,
            ),
            keywords: lines(&self.keywords),
            ignore_patterns: lines(&self.ignore_patterns),
            threshold: number("threshold", &self.threshold, 1, 99),
            failure_threshold: number("failure_threshold", &self.failure_threshold, 1, 100),
            enabled: Some(self.enabled.is_some()),
        };
        if errors.is_empty() {
            Ok(input)
        } else {
            Err(errors)
        }
    }
}

/// Checks a page address: `http(s)://host[:port][/path]`, no user info,
/// at most [`MAX_URL`] bytes; returns it normalised.
pub fn check_url(url: &str) -> std::result::Result<String, FieldError> {
    let url = url.trim();
    if url.is_empty() {
        return Err(FieldError::new("url", "required"));
    }
    if url.len() > MAX_URL {
        return Err(FieldError::new("url", "too_long").with("max", MAX_URL));
    }
    let parsed = Url::parse(url).map_err(|_| FieldError::new("url", "invalid"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(FieldError::new("url", "web_url_scheme"));
    }
    if parsed.host_str().is_none_or(str::is_empty)
        || !parsed.username().is_empty()
        || parsed.password().is_some()
    {
        return Err(FieldError::new("url", "invalid"));
    }
    let mut parsed = parsed;
    parsed.set_fragment(None);
    Ok(parsed.to_string())
}

fn plain_text(
    field: &'static str,
    v: &str,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let v = v.trim();
    if v.is_empty() {
        errors.push(FieldError::new(field, "required"));
        None
    } else if v.chars().count() > max {
        errors.push(FieldError::new(field, "too_long").with("max", max));
        None
    } else if v.chars().any(char::is_control) {
        errors.push(FieldError::new(field, "control_chars"));
        None
    } else {
        Some(v.to_owned())
    }
}

fn in_range(
    field: &'static str,
    v: Option<i64>,
    default: i64,
    min: i64,
    max: i64,
    errors: &mut Vec<FieldError>,
) -> i64 {
    let v = v.unwrap_or(default);
    if !(min..=max).contains(&v) {
        errors.push(FieldError::range(field, min, max));
    }
    v
}

/// Validates a monitor's input for `member_id` (decided by the caller),
/// naming every wrong field.
pub fn settings(member_id: String, input: &MonitorInput) -> Result<WebMonitorSettings> {
    let mut errors = Vec::new();
    let name = plain_text("name", &input.name, MAX_NAME, &mut errors);
    let url = check_url(&input.url).map_err(|e| errors.push(e)).ok();
    let interval_secs = in_range(
        "interval_secs",
        input.interval_secs,
        DEFAULT_INTERVAL,
        MIN_INTERVAL,
        MAX_INTERVAL,
        &mut errors,
    );
    let threshold = in_range(
        "threshold",
        input.threshold,
        i64::from(webpage::DEFAULT_THRESHOLD),
        1,
        99,
        &mut errors,
    );
    let failure_threshold = in_range(
        "failure_threshold",
        input.failure_threshold,
        DEFAULT_FAILURES,
        1,
        100,
        &mut errors,
    );
    let mut keywords: Vec<String> = Vec::new();
    for k in &input.keywords {
        let k = k.trim();
        if k.is_empty() || keywords.iter().any(|x| x == k) {
            continue;
        }
        if k.chars().count() > MAX_KEYWORD || k.chars().any(char::is_control) {
            errors.push(FieldError::new("keywords", "too_long").with("max", MAX_KEYWORD));
            break;
        }
        keywords.push(k.to_owned());
    }
    if keywords.len() > MAX_KEYWORDS {
        errors.push(FieldError::new("keywords", "too_many").with("max", MAX_KEYWORDS));
    }
    let mut patterns: Vec<String> = Vec::new();
    for p in &input.ignore_patterns {
        let p = p.trim();
        if p.is_empty() || patterns.iter().any(|x| x == p) {
            continue;
        }
        if let Err(e) = webpage::compile_pattern(p) {
            errors.push(
                FieldError::new("ignore_patterns", "format")
                    .with("detail", format!("{p}: {}", e.lines().last().unwrap_or(&e))),
            );
            break;
        }
        patterns.push(p.to_owned());
    }
    if patterns.len() > MAX_PATTERNS {
        errors.push(FieldError::new("ignore_patterns", "too_many").with("max", MAX_PATTERNS));
    }
    match (name, url, errors.is_empty()) {
        (Some(name), Some(url), true) => Ok(WebMonitorSettings {
            member_id,
            name,
            url,
            interval_secs,
            keywords,
            ignore_patterns: patterns,
            threshold,
            failure_threshold,
            enabled: input.enabled.unwrap_or(true),
        }),
        _ => Err(Error::Invalid(errors)),
    }
}

/// The member a new monitor is for: the caller's own hospital, or for the
/// ISAC the member it names.
async fn member_for(store: &Store, by: &By, member: Option<&str>) -> Result<String> {
    match by.org_kind {
        OrgKind::Hospital => Ok(by.org_id.clone()),
        OrgKind::Isac => {
            let key = member.map(str::trim).unwrap_or("");
            if key.is_empty() {
                return Err(Error::field("member", "required"));
            }
            Ok(crate::watch::member(store, key).await?.id)
        }
        _ => Err(Error::Forbidden),
    }
}

// ---------------------------------------------------------------------------
// Views

/// A monitor with the names a page shows.
#[derive(Clone, Debug, serde::Serialize)]
pub struct MonitorView {
    #[serde(flatten)]
    pub monitor: WebMonitorRow,
    pub member_name: String,
    pub keyword_list: Vec<String>,
    pub pattern_list: Vec<String>,
    /// The baseline's title.
    pub baseline_title: Option<String>,
}

/// A check with its findings parsed.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CheckView {
    #[serde(flatten)]
    pub check: WebCheckRow,
    #[serde(rename = "findings")]
    pub finding_list: Vec<Finding>,
    #[serde(rename = "headers")]
    pub header_map: BTreeMap<String, String>,
}

impl CheckView {
    pub fn of(check: WebCheckRow) -> CheckView {
        CheckView {
            finding_list: serde_json::from_str(&check.findings).unwrap_or_default(),
            header_map: serde_json::from_str(&check.headers).unwrap_or_default(),
            check,
        }
    }
}

/// A monitor with its latest checks.
#[derive(Clone, Debug, serde::Serialize)]
pub struct MonitorDetail {
    pub monitor: MonitorView,
    pub checks: Vec<CheckView>,
}

fn view(m: WebMonitorRow, names: &std::collections::HashMap<String, String>) -> MonitorView {
    let baseline_title = m
        .baseline
        .as_deref()
        .and_then(|b| serde_json::from_str::<Snapshot>(b).ok())
        .map(|s| s.title);
    MonitorView {
        member_name: names
            .get(&m.member_id)
            .cloned()
            .unwrap_or_else(|| m.member_id.clone()),
        keyword_list: serde_json::from_str(&m.keywords).unwrap_or_default(),
        pattern_list: serde_json::from_str(&m.ignore_patterns).unwrap_or_default(),
        baseline_title,
        monitor: m,
    }
}

async fn names(store: &Store) -> Result<std::collections::HashMap<String, String>> {
    Ok(store
        .list_orgs()
        .await?
        .into_iter()
        .map(|o| (o.id, o.name))
        .collect())
}

/// The monitors in the caller's scope.
pub async fn list(store: &Store, by: &By) -> Result<Vec<MonitorView>> {
    let scope = scope(by)?;
    let names = names(store).await?;
    Ok(store
        .web_monitors(scope)
        .await?
        .into_iter()
        .map(|m| view(m, &names))
        .collect())
}

/// One monitor in the caller's scope with its latest checks; another
/// member's looks missing.
pub async fn detail(store: &Store, by: &By, id: &str) -> Result<MonitorDetail> {
    let m = store
        .web_monitor(scope(by)?, id)
        .await?
        .ok_or(Error::NotFound)?;
    let checks = store
        .web_checks(&m.id, HISTORY)
        .await?
        .into_iter()
        .map(CheckView::of)
        .collect();
    let names = names(store).await?;
    Ok(MonitorDetail {
        monitor: view(m, &names),
        checks,
    })
}

// ---------------------------------------------------------------------------
// Changes

/// Adds a monitor, due at `now` (its first check reads the baseline).
pub async fn add(
    store: &Store,
    by: &By,
    input: &MonitorInput,
    now: Timestamp,
) -> Result<WebMonitorRow> {
    scope(by)?;
    let member = member_for(store, by, input.member.as_deref()).await?;
    let s = settings(member, input)?;
    store
        .add_web_monitor(&s, by.audit(now, Action::WebMonitorAdded))
        .await
        .map_err(|e| match e {
            medsec_store::StoreError::Conflict { .. } => Error::field("url", "taken"),
            e => e.into(),
        })
}

/// Changes a monitor's settings at `now`; its member stays (a new
/// address is due at once).
pub async fn update(
    store: &Store,
    by: &By,
    id: &str,
    input: &MonitorInput,
    now: Timestamp,
) -> Result<()> {
    let scope = scope(by)?;
    let m = store.web_monitor(scope, id).await?.ok_or(Error::NotFound)?;
    let s = settings(m.member_id.clone(), input)?;
    store
        .update_web_monitor(scope, &m.id, &s, by.audit(now, Action::WebMonitorUpdated))
        .await
        .map_err(|e| match e {
            medsec_store::StoreError::Conflict { .. } => Error::field("url", "taken"),
            e => e.into(),
        })
}

/// Removes a monitor and its checks; its alerts stay.
pub async fn remove(store: &Store, by: &By, id: &str) -> Result<()> {
    store
        .remove_web_monitor(
            scope(by)?,
            id,
            by.audit(Timestamp::now(), Action::WebMonitorRemoved),
        )
        .await?;
    Ok(())
}

/// Makes the latest page read the baseline (after a legitimate change).
pub async fn accept_baseline(store: &Store, by: &By, id: &str) -> Result<String> {
    store
        .accept_web_baseline(
            scope(by)?,
            id,
            by.audit(Timestamp::now(), Action::WebBaselineAccepted),
        )
        .await
        .map_err(|e| match e {
            medsec_store::StoreError::Invalid(_) => Error::field("baseline", "web_no_page_yet"),
            e => e.into(),
        })
}

// ---------------------------------------------------------------------------
// Checks

/// What one check concluded.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CheckResult {
    pub check: CheckView,
    /// Alerts opened by this check.
    pub alerts_created: Vec<String>,
    /// Open alerts this check added a hit to.
    pub alerts_updated: usize,
}

/// The intelligence checks consult: the indicators live detection
/// matches, when this node runs it.
fn intel(state: &AppState) -> Option<Arc<medsec_detect::IndicatorSet>> {
    let detection = state.watch.get()?.detection.clone()?;
    detection.indicators.get().map(|live| live.set())
}

/// Compiles a stored monitor's options.
pub fn options_of(m: &WebMonitorRow) -> std::result::Result<Options, String> {
    let patterns: Vec<String> = serde_json::from_str(&m.ignore_patterns).unwrap_or_default();
    let mut ignore = Vec::new();
    for p in patterns {
        ignore.push(webpage::compile_pattern(&p).map_err(|e| format!("ignore pattern {p}: {e}"))?);
    }
    Ok(Options {
        ignore,
        keywords: serde_json::from_str(&m.keywords).unwrap_or_default(),
        threshold: u8::try_from(m.threshold.clamp(1, 99)).unwrap_or(webpage::DEFAULT_THRESHOLD),
    })
}

/// Reads the page and, when it is up, its snapshot.
pub async fn read_page(
    url: &str,
    options: &Options,
    fetch_options: &FetchOptions,
) -> std::result::Result<(Fetched, Snapshot), (Option<Fetched>, String)> {
    let fetched = fetch(url, fetch_options).await.map_err(|e| (None, e))?;
    if fetched.status >= 400 {
        let status = fetched.status;
        return Err((Some(fetched), format!("HTTP {status}")));
    }
    let body = String::from_utf8_lossy(&fetched.body);
    let snapshot = webpage::snapshot(&fetched.final_url, &body, options);
    Ok((fetched, snapshot))
}

/// Runs one check of a monitor this node has claimed: fetch, compare,
/// record, alert. Errors are the store's; a page that cannot be read is
/// an `unreachable` check, not an error.
pub async fn run_check(state: &AppState, m: &WebMonitorRow, node: &str) -> Result<CheckResult> {
    let options = options_of(m);
    let fetch_options = FetchOptions::new(state.config.webmon_allow_private);
    let started = Instant::now();
    let read = match &options {
        Ok(o) => read_page(&m.url, o, &fetch_options).await,
        Err(e) => Err((None, e.clone())),
    };
    let duration_ms = started.elapsed().as_millis() as i64;
    let at = state.now();
    let baseline: Option<Snapshot> = m
        .baseline
        .as_deref()
        .and_then(|b| serde_json::from_str(b).ok());
    let mut check = WebCheckRow {
        id: medsec_core::new_id(),
        monitor_id: m.id.clone(),
        member_id: m.member_id.clone(),
        at: at.0,
        outcome: String::new(),
        http_status: None,
        final_url: None,
        content_hash: None,
        similarity: None,
        bytes: None,
        duration_ms,
        headers: "{}".into(),
        findings: "[]".into(),
        error: None,
    };
    let mut snapshot_json = None;
    let mut comparison: Option<Comparison> = None;
    let mut page_title = String::new();
    let failures = match read {
        Ok((fetched, snap)) => {
            check.http_status = Some(i64::from(fetched.status));
            check.final_url = Some(fetched.final_url.clone());
            check.content_hash = Some(snap.content_hash.clone());
            check.bytes = Some(fetched.body.len() as i64);
            check.headers = serde_json::to_string(&fetched.headers).unwrap_or_else(|_| "{}".into());
            if fetched.truncated {
                check.error = Some(format!("page cut at {} bytes", fetch_options.max_bytes));
            }
            page_title = snap.title.clone();
            match &baseline {
                None => check.outcome = "baseline".into(),
                Some(b) => {
                    let live = intel(state);
                    let intel: &dyn Intel = match &live {
                        Some(set) => set.as_ref(),
                        None => &NoIntel,
                    };
                    let o = options.as_ref().map_err(|e| Error::Internal(e.clone()))?;
                    let c = webpage::compare(b, &snap, o, intel, at.0);
                    check.outcome = c.outcome.as_str().into();
                    check.similarity = Some(i64::from(c.similarity));
                    check.findings =
                        serde_json::to_string(&c.findings).unwrap_or_else(|_| "[]".into());
                    comparison = Some(c);
                }
            }
            snapshot_json = serde_json::to_string(&snap)
                .ok()
                .map(|s| (s, snap.content_hash.clone()));
            0
        }
        Err((fetched, error)) => {
            if let Some(f) = fetched {
                check.http_status = Some(i64::from(f.status));
                check.final_url = Some(f.final_url);
                check.headers = serde_json::to_string(&f.headers).unwrap_or_else(|_| "{}".into());
            }
            check.outcome = "unreachable".into();
            check.error = Some(error);
            m.failures + 1
        }
    };
    let record = WebCheckRecord {
        check: check.clone(),
        snapshot: snapshot_json,
        failures,
        next_due: at.0 + m.interval_secs * 1000,
        claimed_by: node.to_owned(),
    };
    state.store.record_web_check(&record).await?;

    let mut hits = Vec::new();
    let hit = |rule: &str, severity: &str, findings: Vec<&Finding>| -> NewHit {
        let (title, attack, tags): (String, Vec<String>, Vec<String>) = match rule {
            RULE_DEFACEMENT => (
                format!("웹페이지 위변조: {}", m.name),
                vec!["T1491.002".into()],
                vec!["attack.impact".into(), "attack.t1491.002".into()],
            ),
            RULE_INJECTED => (
                format!("웹페이지 악성 스크립트 삽입: {}", m.name),
                vec!["T1189".into()],
                vec!["attack.initial-access".into(), "attack.t1189".into()],
            ),
            _ => (
                format!("웹페이지 접속 불가: {}", m.name),
                Vec::new(),
                Vec::new(),
            ),
        };
        let mut matched: Vec<serde_json::Value> = findings
            .iter()
            .map(|f| {
                let kind = serde_json::to_value(f)
                    .ok()
                    .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_owned))
                    .unwrap_or_default();
                serde_json::json!({"field": format!("web.{kind}"), "value": f.summary()})
            })
            .collect();
        if let Some(e) = &check.error {
            matched.push(serde_json::json!({"field": "web.error", "value": e}));
        }
        matched.push(serde_json::json!({"field": "url.full", "value": m.url}));
        NewHit {
            member_id: m.member_id.clone(),
            group_key: format!("{}\u{1f}webpage\u{1f}{}\u{1f}{rule}", m.member_id, m.id),
            kind: "webpage".into(),
            rule_id: rule.to_owned(),
            title,
            severity: severity.to_owned(),
            attack,
            tags,
            rule_file: None,
            event_id: check.id.clone(),
            received_at: at.0,
            event_time: at.0,
            detail: serde_json::json!({
                "matched": matched,
                "monitor": m.id,
                "check": check.id,
                "similarity": check.similarity,
                "findings": findings,
            }),
            event: serde_json::json!({
                "monitor": m.name,
                "url": m.url,
                "final_url": check.final_url,
                "http_status": check.http_status,
                "title": page_title,
                "content_hash": check.content_hash,
                "baseline_hash": m.baseline_hash,
                "outcome": check.outcome,
                "failures": failures,
            }),
        }
    };
    if let Some(c) = &comparison {
        for rule in c.rules() {
            let findings: Vec<&Finding> = c
                .findings
                .iter()
                .filter(|f| f.rule() == Some(rule))
                .collect();
            let severity = if rule == RULE_DEFACEMENT {
                let grave = findings.iter().any(|f| {
                    matches!(f, Finding::Keyword { .. } | Finding::Redirected { .. })
                        || matches!(f, Finding::StructureChanged { similarity, .. } if *similarity < 300)
                });
                if grave { "critical" } else { "high" }
            } else if findings
                .iter()
                .any(|f| matches!(f, Finding::Indicator { .. }))
            {
                "critical"
            } else {
                "high"
            };
            hits.push(hit(rule, severity, findings));
        }
    }
    if check.outcome == "unreachable" && failures >= m.failure_threshold {
        hits.push(hit(RULE_UNREACHABLE, "low", Vec::new()));
    }
    let recorded = if hits.is_empty() {
        medsec_store::alerts::Recorded::default()
    } else {
        state.store.record_hits(&hits, at).await?
    };
    if comparison
        .as_ref()
        .is_some_and(|c| c.outcome >= Outcome::Injected)
    {
        tracing::warn!(monitor = %m.id, member = %m.member_id, url = %m.url, outcome = %check.outcome, "web page check raised an alert");
    }
    Ok(CheckResult {
        check: CheckView::of(check),
        alerts_created: recorded.created.into_iter().map(|a| a.id).collect(),
        alerts_updated: recorded.updated,
    })
}

/// "Check now": claims the monitor in the caller's scope and checks it;
/// a check already running is a conflict.
pub async fn check_now(state: &AppState, by: &By, id: &str) -> Result<CheckResult> {
    let node = node_id();
    match state
        .store
        .claim_web_monitor(scope(by)?, id, state.now(), LEASE_MS, node)
        .await?
    {
        Claim::Claimed(m) => run_check(state, &m, node).await,
        Claim::Busy => Err(Error::field("check", "web_check_running")),
    }
}

/// Checks every monitor due now, at most [`CONCURRENCY`] at once, and
/// waits for them; returns how many ran. A monitor is claimed only when
/// a slot is free, so a claim's lease starts with its check.
pub async fn run_due(state: &AppState) -> Result<usize> {
    let node = node_id();
    let limit = Arc::new(tokio::sync::Semaphore::new(CONCURRENCY));
    let mut tasks = tokio::task::JoinSet::new();
    let mut n = 0;
    let result = loop {
        let Ok(permit) = limit.clone().acquire_owned().await else {
            break Ok(());
        };
        let claimed = state
            .store
            .claim_due_web_monitors(state.now(), LEASE_MS, node, 1)
            .await;
        let m = match claimed {
            Ok(mut due) => match due.pop() {
                Some(m) => m,
                None => break Ok(()),
            },
            Err(e) => break Err(e),
        };
        n += 1;
        let state = state.clone();
        tasks.spawn(async move {
            let _permit = permit;
            if let Err(e) = run_check(&state, &m, node).await {
                tracing::warn!(monitor = %m.id, error = %e, "web page check failed");
            }
        });
    };
    while tasks.join_next().await.is_some() {}
    result?;
    Ok(n)
}

/// Runs [`run_due`] every few seconds in the background (started by
/// `medsec serve`).
pub fn spawn_scheduler(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = run_due(&state).await {
                tracing::warn!(error = %e, "web page monitoring: checks failed");
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_addresses_are_public() {
        for a in ["203.0.113.5", "8.8.8.8", "2001:db8::1", "2606:4700::1111"] {
            assert!(
                is_public(a.parse().unwrap_or(IpAddr::V4([0, 0, 0, 0].into()))),
                "{a}"
            );
        }
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(
                !is_public(a.parse().unwrap_or(IpAddr::V4([8, 8, 8, 8].into()))),
                "{a}"
            );
        }
    }

    #[test]
    fn addresses_are_checked_and_named() {
        let code = |u: &str| check_url(u).map_err(|e| (e.field, e.code));
        assert_eq!(
            code(" https://www.병원.kr/main#top "),
            Ok("https://www.xn--om3bw6p.kr/main".to_owned())
        );
        assert_eq!(
            code("ftp://x.example/"),
            Err(("url".into(), "web_url_scheme"))
        );
        assert_eq!(
            code("https://u:p@x.example/"),
            Err(("url".into(), "invalid"))
        );
        assert_eq!(code("not a url"), Err(("url".into(), "invalid")));
        assert_eq!(code(""), Err(("url".into(), "required")));
        let long = format!("https://x.example/{}", "a".repeat(MAX_URL));
        assert_eq!(code(&long), Err(("url".into(), "too_long")));
    }
}
