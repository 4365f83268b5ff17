//! Sigma's view of a normalised event: Sigma rules name fields the way
//! their log sources do (`EventID`, `CommandLine`, `cs-uri-query`,
//! `c-useragent`), medsec stores them under its schema's names
//! (`winlog.event_id`, `winlog.event_data.CommandLine`, `url.query`,
//! `user_agent.original`). A field a rule names is looked up as it is
//! named, then under the schema name the taxonomy maps it to
//! ([`SIGMA_FIELDS`]), then among the Windows event data. A
//! pipeline given to the engine may rename fields first.
//!
//! Keywords (a rule's bare strings) are searched in every text field, and
//! in the raw message when it is a line of text rather than a JSON
//! document. The view also tells the log source it can vouch for
//! (product, service, category), for logsource routing.

use std::borrow::Cow;

use medsec_logs::{Event, Value};
use rsigma_eval::EventValue;

/// Sigma taxonomy field names and the schema fields they are found in
/// (first present wins).
pub const SIGMA_FIELDS: &[(&str, &[&str])] = &[
    // Windows (https://github.com/SigmaHQ/sigma-specification, taxonomy)
    ("EventID", &["winlog.event_id"]),
    ("Channel", &["winlog.channel"]),
    ("Provider_Name", &["winlog.provider_name"]),
    ("Computer", &["winlog.computer_name", "host.name"]),
    ("ComputerName", &["winlog.computer_name", "host.name"]),
    // Web server access logs (category webserver; W3C names)
    ("cs-method", &["http.request.method"]),
    ("cs-uri-stem", &["url.path"]),
    ("cs-uri-query", &["url.query"]),
    ("c-uri", &["url.original"]),
    ("cs-uri", &["url.original"]),
    ("c-uri-query", &["url.query"]),
    ("c-uri-stem", &["url.path"]),
    ("c-useragent", &["user_agent.original"]),
    ("cs-user-agent", &["user_agent.original"]),
    ("cs-referrer", &["http.request.referrer"]),
    ("cs-host", &["url.domain", "destination.domain"]),
    ("sc-status", &["http.response.status_code"]),
    ("c-ip", &["source.ip"]),
    ("cs-username", &["user.name"]),
    ("cs-bytes", &["http.request.bytes"]),
    ("sc-bytes", &["http.response.bytes"]),
    // Firewalls and proxies (category firewall, proxy)
    ("src_ip", &["source.ip"]),
    ("src_port", &["source.port"]),
    ("dst_ip", &["destination.ip"]),
    ("dst_port", &["destination.port"]),
    ("src_hostname", &["source.domain"]),
    ("dst_hostname", &["destination.domain"]),
    ("action", &["event.action"]),
    ("protocol", &["network.transport"]),
    ("username", &["user.name"]),
    ("User", &["user.name"]),
    ("query", &["dns.question.name"]),
    ("r-dns", &["url.domain"]),
    // Linux
    ("pid", &["process.pid"]),
    ("comm", &["process.name"]),
    ("exe", &["process.executable"]),
    ("uid", &["user.id"]),
];

/// [`SIGMA_FIELDS`] both ways, for lookups in constant time.
struct Taxonomy {
    /// Sigma name → schema names.
    forward: std::collections::HashMap<&'static str, &'static [&'static str]>,
    /// Schema name → the Sigma names it answers.
    backward: std::collections::HashMap<&'static str, Vec<&'static str>>,
}

static TAXONOMY: std::sync::LazyLock<Taxonomy> = std::sync::LazyLock::new(|| {
    let mut forward = std::collections::HashMap::new();
    let mut backward: std::collections::HashMap<&'static str, Vec<&'static str>> =
        std::collections::HashMap::new();
    for (sigma, names) in SIGMA_FIELDS {
        forward.insert(*sigma, *names);
        for n in *names {
            backward.entry(*n).or_default().push(*sigma);
        }
    }
    Taxonomy { forward, backward }
});

/// The schema fields a Sigma field name maps to.
pub fn schema_names(sigma: &str) -> &'static [&'static str] {
    TAXONOMY.forward.get(sigma).copied().unwrap_or(&[])
}

/// A normalised event as Sigma rules see it.
pub struct SigmaView<'a> {
    pub event: &'a Event,
    /// Every name a rule may look a Windows event's field up by, built
    /// on the first lookup (see [`SigmaView::names`]); `None` for other
    /// events.
    names: std::cell::OnceCell<Option<Names<'a>>>,
    /// The log source the view vouches for, worked out once.
    logsource: std::cell::OnceCell<LogSource>,
}

type LogSource = (
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
);

/// Field names to values, with a fast hasher (names are not
/// attacker-chosen keys here: an event has a few dozen fields).
type Names<'a> = std::collections::HashMap<Cow<'a, str>, &'a Value, foldhash::fast::RandomState>;

const EVENT_DATA: &str = "winlog.event_data.";
const USER_DATA: &str = "winlog.user_data.";

impl<'a> SigmaView<'a> {
    pub fn new(event: &'a Event) -> SigmaView<'a> {
        SigmaView {
            event,
            names: std::cell::OnceCell::new(),
            logsource: std::cell::OnceCell::new(),
        }
    }

    /// The names a rule can find a value under, first hit wins in this
    /// order: the event's own fields; the Sigma taxonomy names
    /// ([`SIGMA_FIELDS`]) of the schema fields present (the first schema
    /// name listed that is present); a Windows event's data under the
    /// names Sigma's Windows rules use: `EventData` names
    /// (`winlog.event_data.CommandLine` as `CommandLine`; names with
    /// spaces, as Defender writes them, also without the spaces: `Source
    /// Name` as `SourceName`) and the leaves of `UserData`'s element
    /// (`winlog.user_data.Operation_ClientFailure.Operation` as
    /// `Operation`). Built once for a Windows event, so that each of the
    /// hundreds of lookups the rules make is one hash probe rather than a
    /// walk of its fifty-odd fields and data names; `None` for other
    /// events, whose dozen fields are quicker walked than hashed.
    fn names(&self) -> Option<&Names<'a>> {
        self.names
            .get_or_init(|| self.has_windows_data().then(|| self.build_names()))
            .as_ref()
    }

    /// Whether the event has Windows event or user data.
    fn has_windows_data(&self) -> bool {
        self.event
            .fields
            .iter()
            .any(|(n, _)| n.starts_with(EVENT_DATA) || n.starts_with(USER_DATA))
    }

    fn build_names(&self) -> Names<'a> {
        let fields = &self.event.fields;
        let mut map = Names::with_capacity_and_hasher(
            fields.len() * 2 + 4,
            foldhash::fast::RandomState::default(),
        );
        // (taxonomy name, rank of the schema name among its names, value)
        let mut taxonomy: Vec<(&'static str, usize, &'a Value)> = Vec::new();
        for (name, v) in fields.iter() {
            map.entry(Cow::Borrowed(name)).or_insert(v);
            if let Some(sigma) = TAXONOMY.backward.get(name) {
                for s in sigma {
                    let rank = schema_names(s)
                        .iter()
                        .position(|n| *n == name)
                        .unwrap_or(usize::MAX);
                    taxonomy.push((s, rank, v));
                }
            }
        }
        taxonomy.sort_by_key(|(_, rank, _)| *rank);
        for (s, _, v) in taxonomy {
            map.entry(Cow::Borrowed(s)).or_insert(v);
        }
        for (name, v) in fields.iter() {
            if let Some(data) = name.strip_prefix(EVENT_DATA) {
                map.entry(Cow::Borrowed(data)).or_insert(v);
                if data.contains(' ') {
                    map.entry(Cow::Owned(data.replace(' ', ""))).or_insert(v);
                }
            } else if let Some(user) = name.strip_prefix(USER_DATA)
                && let Some((_, leaf)) = user.split_once('.')
            {
                map.entry(Cow::Borrowed(leaf)).or_insert(v);
            }
        }
        map
    }

    fn lookup(&self, name: &str) -> Option<&'a Value> {
        if let Some(names) = self.names() {
            return names.get(name).copied();
        }
        let fields = &self.event.fields;
        if let Some(v) = fields.get(name) {
            return Some(v);
        }
        schema_names(name)
            .iter()
            .find_map(|schema| fields.get(schema))
    }

    /// The values keywords are searched in: the raw message when it is a
    /// line of text, then the text fields (for a Windows event only the
    /// record's own).
    fn each_text(&self, mut visit: impl FnMut(&'a str)) {
        if self.raw_is_text() {
            visit(&self.event.raw);
        }
        let windows = self.is_windows();
        for (name, v) in self.event.fields.iter() {
            if let Value::Str(s) = v
                && (!windows || name.starts_with("winlog."))
            {
                visit(s);
            }
        }
    }

    /// The texts keywords are searched in (see [`SigmaView::each_text`]).
    pub(crate) fn texts(&self) -> Vec<&'a str> {
        let mut out = Vec::with_capacity(self.event.fields.len() + 1);
        self.each_text(|s| out.push(s));
        out
    }

    /// Every name [`rsigma_eval::Event::get_field`] answers for this
    /// event, with the value it answers (a name may come more than once;
    /// the first time with that value). Our candidate index
    /// (`crate::eval::Index`) relies on it naming them all.
    pub(crate) fn visit_names(&self, visit: &mut dyn FnMut(&str, EventValue<'a>)) {
        visit(
            MEMBER_FIELD,
            EventValue::Str(Cow::Borrowed(&self.event.member)),
        );
        let (p, s, c) = self.logsource();
        for (name, v) in LOGSOURCE_FIELDS.iter().zip([p, s, c]) {
            if let Some(v) = v {
                visit(name, EventValue::Str(Cow::Borrowed(v)));
            }
        }
        if let Some(names) = self.names() {
            for (name, v) in names {
                visit(name, event_value(v));
            }
            return;
        }
        for (name, v) in self.event.fields.iter() {
            visit(name, event_value(v));
            if let Some(sigma) = TAXONOMY.backward.get(name) {
                for s in sigma {
                    if let Some(v) = self.lookup(s) {
                        visit(s, event_value(v));
                    }
                }
            }
        }
    }

    /// Whether keywords are searched in the raw message: yes for a line
    /// of text (syslog, access logs, CEF, LEEF, key=value), no for a JSON
    /// document (JSON lines, Suricata EVE, Windows events), whose raw
    /// form is keys and quoting around the values the fields already
    /// hold — as other evaluators search a JSON event's values only.
    fn raw_is_text(&self) -> bool {
        !matches!(
            self.event.fields.get("event.module"),
            Some(Value::Str(m)) if matches!(m.as_str(), "json" | "suricata" | "windows")
        )
    }

    /// A Windows event: its keywords are searched in the record's own
    /// values (`winlog.*`), not in the fields medsec derives from them
    /// (`log.level: information` would match a rule's `format`).
    fn is_windows(&self) -> bool {
        matches!(self.event.fields.get("event.module"), Some(Value::Str(m)) if m == "windows")
    }

    /// The product, service and category of the event, as Sigma log
    /// sources name them, for logsource routing: `None` where it cannot
    /// say (no rule is left out on that account), except the product:
    /// an event whose product medsec does not know is [`UNKNOWN_PRODUCT`],
    /// so that rules written for a product (Windows, Linux, Zeek, Cisco,
    /// AWS, …) run only on events of that product.
    pub fn logsource(&self) -> LogSource {
        *self.logsource.get_or_init(|| self.place())
    }

    fn place(&self) -> LogSource {
        let f = &self.event.fields;
        if let Some(Value::Str(channel)) = f.get("winlog.channel") {
            let service = match channel.as_str() {
                "Security" => Some("security"),
                "System" => Some("system"),
                "Application" => Some("application"),
                "Microsoft-Windows-Sysmon/Operational" => Some("sysmon"),
                "Microsoft-Windows-PowerShell/Operational" => Some("powershell"),
                "Windows PowerShell" => Some("powershell-classic"),
                "Microsoft-Windows-Windows Defender/Operational" => Some("windefend"),
                "Microsoft-Windows-TaskScheduler/Operational" => Some("taskscheduler"),
                "Microsoft-Windows-DNS-Client/Operational" => Some("dns-client"),
                _ => None,
            };
            return (Some("windows"), service, None);
        }
        if f.get("winlog.event_id").is_some() {
            return (Some("windows"), None, None);
        }
        match f.get("event.module") {
            Some(Value::Str(m)) if m == "auth" => (Some("linux"), None, None),
            Some(Value::Str(m)) if matches!(m.as_str(), "nginx" | "apache" | "iis" | "access") => {
                (Some(UNKNOWN_PRODUCT), None, Some("webserver"))
            }
            None if matches!(f.get("process.name"), Some(Value::Str(p)) if is_linux_program(p)) => {
                (Some("linux"), None, None)
            }
            _ => (Some(UNKNOWN_PRODUCT), None, None),
        }
    }
}

/// The product of events medsec cannot place (see
/// [`SigmaView::logsource`]).
pub const UNKNOWN_PRODUCT: &str = "medsec-unknown";

/// Programs that log to syslog only on Linux (and similar) hosts: plain
/// syslog messages from them are Linux's.
fn is_linux_program(name: &str) -> bool {
    let base = name.split(['(', '[']).next().unwrap_or(name);
    matches!(
        base,
        "kernel"
            | "systemd"
            | "systemd-logind"
            | "cron"
            | "CRON"
            | "crond"
            | "anacron"
            | "su"
            | "sudo"
            | "sshd"
            | "login"
            | "auditd"
            | "audispd"
            | "useradd"
            | "userdel"
            | "usermod"
            | "groupadd"
            | "passwd"
            | "chpasswd"
            | "dbus-daemon"
            | "NetworkManager"
            | "dhclient"
            | "rsyslogd"
            | "syslogd"
            | "klogd"
            | "xinetd"
            | "logrotate"
            | "polkitd"
            | "gdm"
            | "gdm-password"
    )
}

fn event_value(v: &Value) -> EventValue<'_> {
    match v {
        Value::Str(s) => EventValue::Str(Cow::Borrowed(s)),
        Value::Int(i) => EventValue::Int(*i),
        Value::Float(x) => EventValue::Float(*x),
        Value::Bool(b) => EventValue::Bool(*b),
        Value::Ip(ip) => EventValue::Str(Cow::Owned(ip.to_string())),
    }
}

/// Field names under which the view answers the log source it vouches
/// for (see [`SigmaView::logsource`]); they cannot clash with real
/// fields, which never start with `@medsec`.
pub const LOGSOURCE_FIELDS: [&str; 3] = [
    "@medsec.logsource.product",
    "@medsec.logsource.service",
    "@medsec.logsource.category",
];

/// The field under which the view answers the event's member (added to
/// every correlation's group-by).
pub const MEMBER_FIELD: &str = "@medsec.member";

impl rsigma_eval::Event for SigmaView<'_> {
    fn get_field(&self, path: &str) -> Option<EventValue<'_>> {
        if path == MEMBER_FIELD {
            return Some(EventValue::Str(Cow::Borrowed(&self.event.member)));
        }
        if let Some(rest) = path.strip_prefix("@medsec.logsource.") {
            let (p, s, c) = self.logsource();
            let v = match rest {
                "product" => p,
                "service" => s,
                "category" => c,
                _ => None,
            };
            return v.map(|v| EventValue::Str(Cow::Borrowed(v)));
        }
        self.lookup(path).map(event_value)
    }

    fn any_string_value(&self, pred: &dyn Fn(&str) -> bool) -> bool {
        let mut found = false;
        self.visit_string_values(&mut |v| found = found || pred(v));
        found
    }

    fn all_string_values(&self) -> Vec<Cow<'_, str>> {
        let mut out = Vec::new();
        self.each_text(|s| out.push(Cow::Borrowed(s)));
        out
    }

    fn visit_string_values(&self, visit: &mut dyn FnMut(&str)) {
        self.each_text(visit);
    }

    fn to_json(&self) -> serde_json::Value {
        event_json(self.event)
    }

    /// The names rules can find in this event (their first segment): its
    /// own fields, the taxonomy names they answer and a Windows event's
    /// data names, so that the engine's index probes only fields the
    /// event can have rather than every field some rule names.
    fn visit_top_level_keys(&self, visit: &mut dyn FnMut(&str)) -> bool {
        let Some(names) = self.names() else {
            for (name, _) in self.event.fields.iter() {
                visit(name.split('.').next().unwrap_or(name));
                if let Some(sigma) = TAXONOMY.backward.get(name) {
                    for s in sigma {
                        visit(s);
                    }
                }
            }
            return true;
        };
        // Each root once: the index probes every rule field under a root
        // it is given, and a Windows event's fifty-odd names share a few
        // roots (`winlog`, `event`, `host`); names without a dot are
        // roots of their own, all different.
        let mut seen: Vec<&str> = Vec::with_capacity(8);
        for name in names.keys() {
            match name.split_once('.') {
                None => visit(name),
                Some((root, _)) if !seen.contains(&root) => {
                    seen.push(root);
                    visit(root);
                }
                Some(_) => {}
            }
        }
        true
    }
}

/// An event as one flat JSON object: its id, member, times, fields and
/// raw message (what hits print and correlations keep).
pub fn event_json(event: &Event) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    m.insert("event.id".into(), event.id.to_string().into());
    m.insert("@timestamp".into(), rfc3339(event.timestamp).into());
    for (name, v) in event.fields.iter() {
        let j = match v {
            Value::Str(s) => serde_json::Value::String(s.clone()),
            Value::Int(i) => (*i).into(),
            Value::Float(x) => serde_json::Number::from_f64(*x)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            Value::Bool(b) => (*b).into(),
            Value::Ip(ip) => ip.to_string().into(),
        };
        m.insert(name.to_owned(), j);
    }
    m.insert("event.original".into(), event.raw.clone().into());
    serde_json::Value::Object(m)
}

fn rfc3339(ns: i64) -> String {
    medsec_logs::clock::format_rfc3339(ns)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `docs/detection.md` lists every mapping, with every schema name.
    #[test]
    fn the_documentation_lists_every_field_mapping() {
        let doc = include_str!("../../../docs/detection.md");
        for (sigma, names) in SIGMA_FIELDS {
            let quoted = format!("`{sigma}`");
            let Some(row) = doc.lines().find(|l| {
                l.starts_with("| ") && l.split('|').nth(1).is_some_and(|c| c.contains(&quoted))
            }) else {
                panic!("docs/detection.md has no row for {sigma}");
            };
            for n in *names {
                assert!(
                    row.contains(&format!("`{n}`")),
                    "{sigma}: {n} missing in {row}"
                );
            }
        }
    }
}
