//! The normalised schema: every field name medsec sets, its type, and
//! which formats set it. The table drives the typing of decoded values
//! (a `source.ip` that parses as an address is stored as one, a
//! `destination.port` as a number) and `docs/events.md` is generated from
//! it (a test keeps the two in step).

use std::borrow::Cow;
use std::net::IpAddr;

use crate::event::{Field, Value};
use crate::text;

/// The type of a field's values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Text, compared as a keyword and searched as text.
    Str,
    /// A 64-bit integer.
    Int,
    /// A floating-point number.
    Float,
    /// An IPv4 or IPv6 address.
    Ip,
    Bool,
    /// A time, kept in the event itself rather than in its fields.
    Time,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Str => "string",
            Kind::Int => "integer",
            Kind::Float => "float",
            Kind::Ip => "ip",
            Kind::Bool => "boolean",
            Kind::Time => "time",
        }
    }
}

/// One field of the schema.
#[derive(Clone, Copy, Debug)]
pub struct FieldSpec {
    pub name: &'static str,
    pub kind: Kind,
    pub description: &'static str,
    /// The formats and decoders that set it, for the documentation.
    pub set_by: &'static str,
}

/// A family of fields under a common prefix.
#[derive(Clone, Copy, Debug)]
pub struct PrefixSpec {
    pub prefix: &'static str,
    pub description: &'static str,
    pub set_by: &'static str,
}

/// The schema's field named `name`. Normalising looks up every field it
/// sets (its type, its interned name), so by hash rather than by a binary
/// search of string comparisons.
pub fn spec(name: &str) -> Option<&'static FieldSpec> {
    static BY_NAME: std::sync::LazyLock<foldhash::HashMap<&'static str, &'static FieldSpec>> =
        std::sync::LazyLock::new(|| FIELDS.iter().map(|f| (f.name, f)).collect());
    BY_NAME.get(name).copied()
}

/// The kind of a field: from [`FIELDS`], else from the end of its name
/// (`*.ip` addresses; `*.port`, `*.pid`, `*.bytes`, `*.packets` numbers),
/// else `None` (text).
pub fn kind_of(name: &str) -> Option<Kind> {
    if let Some(f) = spec(name) {
        return Some(f.kind);
    }
    let last = name.rsplit('.').next().unwrap_or(name);
    match last {
        "ip" => Some(Kind::Ip),
        "port" | "pid" | "bytes" | "packets" => Some(Kind::Int),
        _ => None,
    }
}

/// Whether `docs/events.md` documents a field: it is in [`FIELDS`] or
/// under one of the [`PREFIXES`].
pub fn is_documented(name: &str) -> bool {
    spec(name).is_some() || PREFIXES.iter().any(|p| name.starts_with(p.prefix))
}

/// The name as a [`Field`]: borrowed from [`FIELDS`] when the schema
/// documents it (no allocation), else owned.
pub fn intern(name: &str) -> Field {
    match spec(name) {
        Some(f) => Cow::Borrowed(f.name),
        None => Cow::Owned(name.to_owned()),
    }
}

/// The value of a field read as text, typed by [`kind_of`]; text that
/// does not parse as the field's type stays text (and is kept).
pub fn typed(name: &str, text: &str) -> Value {
    match kind_of(name) {
        Some(Kind::Ip) => match parse_ip(text) {
            Some(ip) => Value::Ip(ip),
            None => Value::Str(text.to_owned()),
        },
        Some(Kind::Int) => match text::parse_i64(text) {
            Some(n) => Value::Int(n),
            None => Value::Str(text.to_owned()),
        },
        Some(Kind::Float) => match text.parse::<f64>() {
            Ok(x) if x.is_finite() => Value::Float(x),
            _ => Value::Str(text.to_owned()),
        },
        Some(Kind::Bool) => match text {
            "true" | "TRUE" | "True" => Value::Bool(true),
            "false" | "FALSE" | "False" => Value::Bool(false),
            _ => Value::Str(text.to_owned()),
        },
        _ => Value::Str(text.to_owned()),
    }
}

/// An IP address as logs write them: plain, in brackets, or with an IPv6
/// zone (dropped).
pub(crate) fn parse_ip(text: &str) -> Option<IpAddr> {
    let t = text.trim();
    let t = t
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(t);
    let t = match t.find('%') {
        Some(i) => text::head(t, i),
        None => t,
    };
    if t.is_empty() || t.len() > 45 {
        return None;
    }
    t.parse().ok()
}

/// Every field medsec sets by name, sorted by name.
pub const FIELDS: &[FieldSpec] = &[
    FieldSpec {
        name: "@timestamp",
        kind: Kind::Time,
        description: "When the event happened: from the message when it says, else the receive time. Kept in `Event::timestamp`, not in the fields.",
        set_by: "all",
    },
    FieldSpec {
        name: "destination.bytes",
        kind: Kind::Int,
        description: "Bytes sent by the destination.",
        set_by: "CEF, LEEF, FortiGate, Palo Alto, Suricata",
    },
    FieldSpec {
        name: "destination.domain",
        kind: Kind::Str,
        description: "Destination host name.",
        set_by: "CEF",
    },
    FieldSpec {
        name: "destination.geo.country_name",
        kind: Kind::Str,
        description: "Destination country as the device names it.",
        set_by: "FortiGate",
    },
    FieldSpec {
        name: "destination.ip",
        kind: Kind::Ip,
        description: "Destination address.",
        set_by: "CEF, LEEF, key=value, Palo Alto, Suricata, IIS",
    },
    FieldSpec {
        name: "destination.mac",
        kind: Kind::Str,
        description: "Destination MAC address.",
        set_by: "CEF, LEEF",
    },
    FieldSpec {
        name: "destination.nat.ip",
        kind: Kind::Ip,
        description: "Destination address after NAT.",
        set_by: "CEF, LEEF, Palo Alto",
    },
    FieldSpec {
        name: "destination.nat.port",
        kind: Kind::Int,
        description: "Destination port after NAT.",
        set_by: "CEF, Palo Alto",
    },
    FieldSpec {
        name: "destination.packets",
        kind: Kind::Int,
        description: "Packets sent by the destination.",
        set_by: "LEEF, FortiGate, Palo Alto, Suricata",
    },
    FieldSpec {
        name: "destination.port",
        kind: Kind::Int,
        description: "Destination port.",
        set_by: "CEF, LEEF, key=value, Palo Alto, Suricata, IIS",
    },
    FieldSpec {
        name: "destination.user.name",
        kind: Kind::Str,
        description: "User on the destination side (CEF `duser`).",
        set_by: "CEF, Palo Alto",
    },
    FieldSpec {
        name: "dns.id",
        kind: Kind::Int,
        description: "DNS transaction id.",
        set_by: "Suricata",
    },
    FieldSpec {
        name: "dns.question.name",
        kind: Kind::Str,
        description: "Queried name.",
        set_by: "Suricata",
    },
    FieldSpec {
        name: "dns.question.type",
        kind: Kind::Str,
        description: "Query type (`A`, `AAAA`, …).",
        set_by: "Suricata",
    },
    FieldSpec {
        name: "dns.response_code",
        kind: Kind::Str,
        description: "DNS response code (`NOERROR`, `NXDOMAIN`).",
        set_by: "Suricata",
    },
    FieldSpec {
        name: "dns.type",
        kind: Kind::Str,
        description: "`query` or `answer`.",
        set_by: "Suricata",
    },
    FieldSpec {
        name: "error.code",
        kind: Kind::Str,
        description: "The error's code (Apache `AH00124`).",
        set_by: "Apache error",
    },
    FieldSpec {
        name: "error.message",
        kind: Kind::Str,
        description: "Why the payload could not be decoded (the event keeps the envelope fields and the raw message).",
        set_by: "all",
    },
    FieldSpec {
        name: "event.action",
        kind: Kind::Str,
        description: "What happened or what the device did (`deny`, `allow`, `ssh_login`, …).",
        set_by: "CEF, LEEF, key=value, Palo Alto, Suricata, auth, Windows",
    },
    FieldSpec {
        name: "event.category",
        kind: Kind::Str,
        description: "ECS category (`authentication`, `network`, `intrusion_detection`, `web`, `process`).",
        set_by: "auth, Suricata, Windows, web",
    },
    FieldSpec {
        name: "event.code",
        kind: Kind::Str,
        description: "The event's code: Cisco mnemonic, CEF signature id, LEEF event id, FortiGate `logid`, Windows event id.",
        set_by: "syslog, CEF, LEEF, FortiGate, Windows",
    },
    FieldSpec {
        name: "event.duration",
        kind: Kind::Int,
        description: "Duration in nanoseconds (request time, session time).",
        set_by: "web, IIS, FortiGate, Palo Alto",
    },
    FieldSpec {
        name: "event.ingested",
        kind: Kind::Time,
        description: "When medsec received the event. Kept in `Event::received`.",
        set_by: "all",
    },
    FieldSpec {
        name: "event.kind",
        kind: Kind::Str,
        description: "`alert` for IDS alerts, `event` otherwise.",
        set_by: "Suricata, Palo Alto",
    },
    FieldSpec {
        name: "event.module",
        kind: Kind::Str,
        description: "The decoder that read the payload: `cef`, `leef`, `json`, `suricata`, `windows`, `fortigate`, `kv`, `paloalto`, `access` (an access log recognised in `auto`), `nginx`, `apache`, `iis`, `auth`, or a custom decoder's name. Absent for plain text.",
        set_by: "all but plain text",
    },
    FieldSpec {
        name: "event.original_base64",
        kind: Kind::Str,
        description: "The raw message (masked) in base64, only when it is not valid UTF-8; `raw` then holds it with U+FFFD replacements.",
        set_by: "all",
    },
    FieldSpec {
        name: "event.outcome",
        kind: Kind::Str,
        description: "`success` or `failure`.",
        set_by: "CEF, auth, Windows",
    },
    FieldSpec {
        name: "event.reason",
        kind: Kind::Str,
        description: "Why the event happened (CEF name).",
        set_by: "CEF",
    },
    FieldSpec {
        name: "event.sequence",
        kind: Kind::Int,
        description: "Sequence number: Cisco syslog sequence, PAN-OS sequence number.",
        set_by: "syslog, Palo Alto",
    },
    FieldSpec {
        name: "event.severity",
        kind: Kind::Int,
        description: "Numeric severity as the device rates it (CEF 0–10, Suricata 1–3, PAN-OS 1–5).",
        set_by: "CEF, LEEF, Suricata, Palo Alto",
    },
    FieldSpec {
        name: "file.hash.sha256",
        kind: Kind::Str,
        description: "SHA-256 of the file.",
        set_by: "Palo Alto",
    },
    FieldSpec {
        name: "file.name",
        kind: Kind::Str,
        description: "File name.",
        set_by: "CEF, Palo Alto",
    },
    FieldSpec {
        name: "file.path",
        kind: Kind::Str,
        description: "File path.",
        set_by: "CEF",
    },
    FieldSpec {
        name: "file.size",
        kind: Kind::Int,
        description: "File size in bytes.",
        set_by: "CEF",
    },
    FieldSpec {
        name: "host.name",
        kind: Kind::Str,
        description: "The host that sent or wrote the event, as the message names it (attribution is `Event::member`).",
        set_by: "syslog, IIS, Windows",
    },
    FieldSpec {
        name: "http.request.bytes",
        kind: Kind::Int,
        description: "Request size in bytes.",
        set_by: "IIS",
    },
    FieldSpec {
        name: "http.request.method",
        kind: Kind::Str,
        description: "HTTP method.",
        set_by: "CEF, Suricata, web, IIS, Palo Alto",
    },
    FieldSpec {
        name: "http.request.referrer",
        kind: Kind::Str,
        description: "HTTP Referer.",
        set_by: "CEF, Suricata, web, IIS, Palo Alto",
    },
    FieldSpec {
        name: "http.response.body.bytes",
        kind: Kind::Int,
        description: "Response body size.",
        set_by: "Suricata, web",
    },
    FieldSpec {
        name: "http.response.bytes",
        kind: Kind::Int,
        description: "Response size in bytes.",
        set_by: "IIS",
    },
    FieldSpec {
        name: "http.response.status_code",
        kind: Kind::Int,
        description: "HTTP status.",
        set_by: "Suricata, web, IIS",
    },
    FieldSpec {
        name: "http.version",
        kind: Kind::Str,
        description: "HTTP version (`1.1`).",
        set_by: "Suricata, web, IIS",
    },
    FieldSpec {
        name: "iis.access.sub_status",
        kind: Kind::Int,
        description: "IIS substatus code.",
        set_by: "IIS",
    },
    FieldSpec {
        name: "iis.access.win32_status",
        kind: Kind::Int,
        description: "IIS Win32 status code.",
        set_by: "IIS",
    },
    FieldSpec {
        name: "log.level",
        kind: Kind::Str,
        description: "The device's own level word (`notice`, `error`, `high`).",
        set_by: "FortiGate, Palo Alto, Apache/nginx error, Windows",
    },
    FieldSpec {
        name: "log.syslog.facility.code",
        kind: Kind::Int,
        description: "Syslog facility number; its keyword (`auth`, `local7`) is `medsec_logs::syslog::FACILITIES[code]` and not stored.",
        set_by: "syslog",
    },
    FieldSpec {
        name: "log.syslog.msgid",
        kind: Kind::Str,
        description: "RFC 5424 MSGID.",
        set_by: "RFC 5424",
    },
    FieldSpec {
        name: "log.syslog.priority",
        kind: Kind::Int,
        description: "Syslog PRI (facility × 8 + severity).",
        set_by: "syslog",
    },
    FieldSpec {
        name: "log.syslog.procid",
        kind: Kind::Str,
        description: "Syslog PROCID when it is not a number.",
        set_by: "syslog",
    },
    FieldSpec {
        name: "log.syslog.severity.code",
        kind: Kind::Int,
        description: "Syslog severity number (0 emergency … 7 debug); its keyword is `medsec_logs::syslog::SEVERITIES[code]` and not stored.",
        set_by: "syslog",
    },
    FieldSpec {
        name: "log.syslog.version",
        kind: Kind::Int,
        description: "RFC 5424 version.",
        set_by: "RFC 5424",
    },
    FieldSpec {
        name: "log.truncated",
        kind: Kind::Bool,
        description: "The framer cut the message at the maximum frame size.",
        set_by: "TCP/TLS receivers",
    },
    FieldSpec {
        name: "message",
        kind: Kind::Str,
        description: "The free-text part of the message: the syslog MSG, CEF `msg`, JSON `message`.",
        set_by: "syslog, CEF, JSON, key=value, auth, Apache/nginx error, custom",
    },
    FieldSpec {
        name: "network.application",
        kind: Kind::Str,
        description: "Application as the firewall identified it.",
        set_by: "FortiGate, Palo Alto",
    },
    FieldSpec {
        name: "network.bytes",
        kind: Kind::Int,
        description: "Bytes in both directions.",
        set_by: "Palo Alto",
    },
    FieldSpec {
        name: "network.community_id",
        kind: Kind::Str,
        description: "Community ID flow hash.",
        set_by: "Suricata",
    },
    FieldSpec {
        name: "network.iana_number",
        kind: Kind::Int,
        description: "IANA protocol number.",
        set_by: "FortiGate",
    },
    FieldSpec {
        name: "network.packets",
        kind: Kind::Int,
        description: "Packets in both directions.",
        set_by: "LEEF, Palo Alto",
    },
    FieldSpec {
        name: "network.protocol",
        kind: Kind::Str,
        description: "Application protocol (CEF `app`).",
        set_by: "CEF, Suricata",
    },
    FieldSpec {
        name: "network.transport",
        kind: Kind::Str,
        description: "Transport protocol, lower case (`tcp`, `udp`, `icmp`).",
        set_by: "CEF, LEEF, key=value, Palo Alto, Suricata",
    },
    FieldSpec {
        name: "observer.egress.interface.name",
        kind: Kind::Str,
        description: "Interface the traffic went out on.",
        set_by: "FortiGate, Palo Alto",
    },
    FieldSpec {
        name: "observer.egress.zone",
        kind: Kind::Str,
        description: "Zone the traffic went to.",
        set_by: "Palo Alto",
    },
    FieldSpec {
        name: "observer.hostname",
        kind: Kind::Str,
        description: "Host name of the reporting device (CEF `dvchost`).",
        set_by: "CEF",
    },
    FieldSpec {
        name: "observer.ingress.interface.name",
        kind: Kind::Str,
        description: "Interface the traffic came in on.",
        set_by: "FortiGate, Palo Alto",
    },
    FieldSpec {
        name: "observer.ingress.zone",
        kind: Kind::Str,
        description: "Zone the traffic came from.",
        set_by: "Palo Alto",
    },
    FieldSpec {
        name: "observer.ip",
        kind: Kind::Ip,
        description: "Address of the reporting device (CEF `dvc`).",
        set_by: "CEF",
    },
    FieldSpec {
        name: "observer.name",
        kind: Kind::Str,
        description: "Name of the reporting device (FortiGate `devname`, PAN-OS device name).",
        set_by: "FortiGate, Palo Alto",
    },
    FieldSpec {
        name: "observer.product",
        kind: Kind::Str,
        description: "Product of the reporting device.",
        set_by: "CEF, LEEF, FortiGate, Palo Alto",
    },
    FieldSpec {
        name: "observer.serial_number",
        kind: Kind::Str,
        description: "Serial number of the reporting device.",
        set_by: "FortiGate, Palo Alto",
    },
    FieldSpec {
        name: "observer.vendor",
        kind: Kind::Str,
        description: "Vendor of the device that reported the event.",
        set_by: "CEF, LEEF, FortiGate, Palo Alto",
    },
    FieldSpec {
        name: "observer.version",
        kind: Kind::Str,
        description: "Version of the reporting device.",
        set_by: "CEF, LEEF",
    },
    FieldSpec {
        name: "panw.panos.sub_type",
        kind: Kind::Str,
        description: "PAN-OS log subtype (`end`, `url`, `vulnerability`, …).",
        set_by: "Palo Alto",
    },
    FieldSpec {
        name: "panw.panos.threat.id",
        kind: Kind::Str,
        description: "PAN-OS threat id.",
        set_by: "Palo Alto",
    },
    FieldSpec {
        name: "panw.panos.threat.name",
        kind: Kind::Str,
        description: "PAN-OS threat name.",
        set_by: "Palo Alto",
    },
    FieldSpec {
        name: "panw.panos.type",
        kind: Kind::Str,
        description: "PAN-OS log type (`TRAFFIC`, `THREAT`, …).",
        set_by: "Palo Alto",
    },
    FieldSpec {
        name: "process.command_line",
        kind: Kind::Str,
        description: "Command line (Sysmon `CommandLine`, sudo `COMMAND`).",
        set_by: "Windows, auth",
    },
    FieldSpec {
        name: "process.executable",
        kind: Kind::Str,
        description: "Executable path (Sysmon `Image`).",
        set_by: "Windows",
    },
    FieldSpec {
        name: "process.name",
        kind: Kind::Str,
        description: "Syslog APP-NAME / TAG.",
        set_by: "syslog",
    },
    FieldSpec {
        name: "process.parent.command_line",
        kind: Kind::Str,
        description: "Parent command line.",
        set_by: "Windows",
    },
    FieldSpec {
        name: "process.parent.executable",
        kind: Kind::Str,
        description: "Parent executable path (Sysmon `ParentImage`).",
        set_by: "Windows",
    },
    FieldSpec {
        name: "process.parent.pid",
        kind: Kind::Int,
        description: "Parent process id.",
        set_by: "Windows",
    },
    FieldSpec {
        name: "process.pid",
        kind: Kind::Int,
        description: "Process id: syslog PROCID, Apache/nginx error log pid, Sysmon `ProcessId`.",
        set_by: "syslog, Apache/nginx error, Windows",
    },
    FieldSpec {
        name: "process.thread.id",
        kind: Kind::Int,
        description: "Thread id.",
        set_by: "Apache/nginx error",
    },
    FieldSpec {
        name: "rule.category",
        kind: Kind::Str,
        description: "Category of the rule or signature.",
        set_by: "Suricata",
    },
    FieldSpec {
        name: "rule.id",
        kind: Kind::Str,
        description: "Id of the rule or signature that fired (CEF signature id, Suricata `signature_id`, firewall policy id).",
        set_by: "CEF, FortiGate, Suricata",
    },
    FieldSpec {
        name: "rule.name",
        kind: Kind::Str,
        description: "Name of the rule: CEF name, Suricata signature, firewall policy name, IPS attack name.",
        set_by: "CEF, FortiGate, Palo Alto, Suricata",
    },
    FieldSpec {
        name: "source.bytes",
        kind: Kind::Int,
        description: "Bytes sent by the source.",
        set_by: "CEF, LEEF, FortiGate, Palo Alto, Suricata",
    },
    FieldSpec {
        name: "source.domain",
        kind: Kind::Str,
        description: "Source host name.",
        set_by: "CEF, auth, web",
    },
    FieldSpec {
        name: "source.geo.country_name",
        kind: Kind::Str,
        description: "Source country as the device names it.",
        set_by: "FortiGate",
    },
    FieldSpec {
        name: "source.ip",
        kind: Kind::Ip,
        description: "Source address (a name that is not an address goes to `source.domain`).",
        set_by: "CEF, LEEF, key=value, Palo Alto, Suricata, web, IIS, auth, Windows",
    },
    FieldSpec {
        name: "source.mac",
        kind: Kind::Str,
        description: "Source MAC address.",
        set_by: "CEF, LEEF, FortiGate",
    },
    FieldSpec {
        name: "source.nat.ip",
        kind: Kind::Ip,
        description: "Source address after NAT.",
        set_by: "CEF, LEEF, FortiGate, Palo Alto",
    },
    FieldSpec {
        name: "source.nat.port",
        kind: Kind::Int,
        description: "Source port after NAT.",
        set_by: "CEF, FortiGate, Palo Alto",
    },
    FieldSpec {
        name: "source.packets",
        kind: Kind::Int,
        description: "Packets sent by the source.",
        set_by: "LEEF, FortiGate, Palo Alto, Suricata",
    },
    FieldSpec {
        name: "source.port",
        kind: Kind::Int,
        description: "Source port.",
        set_by: "CEF, LEEF, key=value, Palo Alto, Suricata, auth, Windows",
    },
    FieldSpec {
        name: "source.user.name",
        kind: Kind::Str,
        description: "User on the source side (CEF `suser`, PAN-OS source user).",
        set_by: "CEF, Palo Alto",
    },
    FieldSpec {
        name: "suricata.eve.event_type",
        kind: Kind::Str,
        description: "EVE event type (`alert`, `http`, `dns`, `flow`, `tls`, …).",
        set_by: "Suricata",
    },
    FieldSpec {
        name: "system.auth.ssh.method",
        kind: Kind::Str,
        description: "SSH authentication method (`password`, `publickey`).",
        set_by: "auth",
    },
    FieldSpec {
        name: "system.auth.sudo.pwd",
        kind: Kind::Str,
        description: "sudo's working directory.",
        set_by: "auth",
    },
    FieldSpec {
        name: "system.auth.sudo.tty",
        kind: Kind::Str,
        description: "sudo's TTY.",
        set_by: "auth",
    },
    FieldSpec {
        name: "tls.client.server_name",
        kind: Kind::Str,
        description: "SNI.",
        set_by: "Suricata",
    },
    FieldSpec {
        name: "tls.server.hash.sha1",
        kind: Kind::Str,
        description: "Server certificate SHA-1 fingerprint.",
        set_by: "Suricata",
    },
    FieldSpec {
        name: "tls.server.issuer",
        kind: Kind::Str,
        description: "Server certificate issuer.",
        set_by: "Suricata",
    },
    FieldSpec {
        name: "tls.server.subject",
        kind: Kind::Str,
        description: "Server certificate subject.",
        set_by: "Suricata",
    },
    FieldSpec {
        name: "tls.version",
        kind: Kind::Str,
        description: "TLS version.",
        set_by: "Suricata",
    },
    FieldSpec {
        name: "url.domain",
        kind: Kind::Str,
        description: "Host of the URL (HTTP `Host`, FortiGate `hostname`).",
        set_by: "Suricata, IIS, FortiGate, web",
    },
    FieldSpec {
        name: "url.original",
        kind: Kind::Str,
        description: "The URL or request target as sent.",
        set_by: "CEF, LEEF, Suricata, web, Palo Alto",
    },
    FieldSpec {
        name: "url.path",
        kind: Kind::Str,
        description: "Path of the URL.",
        set_by: "web, IIS, FortiGate",
    },
    FieldSpec {
        name: "url.port",
        kind: Kind::Int,
        description: "Port of the virtual host (Apache `vhost_combined`).",
        set_by: "web",
    },
    FieldSpec {
        name: "url.query",
        kind: Kind::Str,
        description: "Query of the URL, without `?`.",
        set_by: "web, IIS",
    },
    FieldSpec {
        name: "user.effective.name",
        kind: Kind::Str,
        description: "The user a command ran as (sudo `USER`).",
        set_by: "auth",
    },
    FieldSpec {
        name: "user.name",
        kind: Kind::Str,
        description: "The user the event is about: the target account of a login, CEF `duser` else `suser`.",
        set_by: "CEF, LEEF, key=value, Palo Alto, web, IIS, auth, Windows",
    },
    FieldSpec {
        name: "user_agent.original",
        kind: Kind::Str,
        description: "User-Agent header.",
        set_by: "CEF, Suricata, web, IIS, Palo Alto",
    },
    FieldSpec {
        name: "winlog.channel",
        kind: Kind::Str,
        description: "Windows event log channel (`Security`, `Microsoft-Windows-Sysmon/Operational`).",
        set_by: "Windows",
    },
    FieldSpec {
        name: "winlog.computer_name",
        kind: Kind::Str,
        description: "Computer that logged the event.",
        set_by: "Windows",
    },
    FieldSpec {
        name: "winlog.event_id",
        kind: Kind::Int,
        description: "Windows event id.",
        set_by: "Windows",
    },
    FieldSpec {
        name: "winlog.process.pid",
        kind: Kind::Int,
        description: "Process that logged the event.",
        set_by: "Windows",
    },
    FieldSpec {
        name: "winlog.process.thread.id",
        kind: Kind::Int,
        description: "Thread that logged the event.",
        set_by: "Windows",
    },
    FieldSpec {
        name: "winlog.provider_name",
        kind: Kind::Str,
        description: "Windows event provider.",
        set_by: "Windows",
    },
    FieldSpec {
        name: "winlog.record_id",
        kind: Kind::Int,
        description: "Event record id.",
        set_by: "Windows",
    },
    FieldSpec {
        name: "winlog.user.identifier",
        kind: Kind::Str,
        description: "SID of the user in the event's System part.",
        set_by: "Windows",
    },
];

/// Families of fields named by prefix; every field medsec sets is in
/// [`FIELDS`] or under one of these.
pub const PREFIXES: &[PrefixSpec] = &[
    PrefixSpec {
        prefix: "log.syslog.structured_data.",
        description: "RFC 5424 structured data: `log.syslog.structured_data.<SD-ID>.<PARAM-NAME>`, strings.",
        set_by: "RFC 5424",
    },
    PrefixSpec {
        prefix: "cef.",
        description: "CEF extension keys medsec does not map, under their CEF key (`cef.cs1`, `cef.cs1Label`, …); CEF `cnN` values are integers.",
        set_by: "CEF",
    },
    PrefixSpec {
        prefix: "leef.",
        description: "LEEF attributes medsec does not map, under their LEEF key; `leef.version` is the LEEF version.",
        set_by: "LEEF",
    },
    PrefixSpec {
        prefix: "fortinet.firewall.",
        description: "FortiGate keys medsec does not map (`fortinet.firewall.type`, `…subtype`, `…vd`, …).",
        set_by: "FortiGate",
    },
    PrefixSpec {
        prefix: "kv.",
        description: "Keys of other key=value devices medsec does not map.",
        set_by: "key=value",
    },
    PrefixSpec {
        prefix: "panw.panos.",
        description: "Other PAN-OS columns, by their PAN-OS field name.",
        set_by: "Palo Alto",
    },
    PrefixSpec {
        prefix: "suricata.eve.",
        description: "The rest of a Suricata EVE record, flattened with dots.",
        set_by: "Suricata",
    },
    PrefixSpec {
        prefix: "winlog.event_data.",
        description: "Windows EventData, by data name (`winlog.event_data.TargetUserName`).",
        set_by: "Windows",
    },
    PrefixSpec {
        prefix: "iis.access.",
        description: "IIS columns medsec does not map (`iis.access.sub_status`, `…win32_status`, `…site_name`).",
        set_by: "IIS",
    },
    PrefixSpec {
        prefix: "apache.error.",
        description: "Apache error log parts (`apache.error.module`).",
        set_by: "Apache error",
    },
    PrefixSpec {
        prefix: "nginx.error.",
        description: "nginx error log parts (`nginx.error.connection_id`).",
        set_by: "nginx error",
    },
    PrefixSpec {
        prefix: "(any)",
        description: "JSON lines are flattened with dots and keep their names; custom decoders set the names their patterns capture.",
        set_by: "JSON, custom",
    },
];

/// The schema as the Markdown of `docs/events.md`.
pub fn markdown() -> String {
    let mut out = String::from(
        "# Normalised events\n\n\
         Every event medsec stores has an id, the member and source it came through, two times, the raw message (after personal-data masking) and fields with ECS-style names.\n\
         This file is generated from `crates/medsec-logs/src/schema.rs` by `MEDSEC_BLESS=1 cargo test -p medsec-logs schema`; edit the table there.\n\n\
         The event itself (`medsec_logs::Event`):\n\n\
         | Part | Type | Meaning |\n|---|---|---|\n\
         | `id` | 128-bit id, 32 hex digits | SHA-256 of member, source and the raw bytes before masking: a resent message is stored once. |\n\
         | `member` | string | The member whose listener, certificate or token delivered the event, never what the message claims. |\n\
         | `source` | string | The member's source (listener, token, file import) it came through. |\n\
         | `@timestamp` | time (Unix ns, UTC) | When it happened: the message's own time, else the receive time. Year-less syslog times take the year that is not more than 31 days ahead of the receive time; zone-less times are read at the source's UTC offset (default KST). |\n\
         | `event.ingested` | time (Unix ns, UTC) | When medsec received it. |\n\
         | `raw` | string | The message as received, masked; invalid UTF-8 replaced by U+FFFD (the exact bytes are then in `event.original_base64`). This is the `event.original` of ECS. |\n\n\
         ## Fields\n\n\
         | Field | Type | Set by | Meaning |\n|---|---|---|---|\n",
    );
    for f in FIELDS {
        if f.kind == Kind::Time {
            continue;
        }
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            f.name,
            f.kind.name(),
            f.set_by,
            f.description
        ));
    }
    out.push_str(
        "\n## Field families\n\n\
         | Prefix | Set by | Meaning |\n|---|---|---|\n",
    );
    for p in PREFIXES {
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            p.prefix, p.set_by, p.description
        ));
    }
    out.push_str(
        "\n## Types\n\n\
         Values are typed by this table: a field of type ip or integer whose text does not parse as one is kept as a string rather than dropped.\n\
         Fields not in the table are typed by their last name part: `*.ip` as ip, `*.port`, `*.pid`, `*.bytes` and `*.packets` as integers, the rest as strings.\n\
         JSON numbers and booleans keep their JSON type.\n",
    );
    out
}

#[cfg(test)]
mod tests;
