//! The seeded generator of log events replayed from the real loghub
//! samples, shared by `events-bench` (events appended to the store) and
//! `ingest-bench` (the same events as syslog lines over TCP).
//!
//! Every event is a real record of the loghub samples in
//! `MEDSEC_DATA/logs/loghub` (`Linux/Linux_2k.log`, `OpenSSH/OpenSSH_2k.log`,
//! `Apache/Apache_2k.log`: 2,000 lines each, a Linux system log, an SSH
//! server under attack, an Apache error log), replayed with a seeded
//! generator (splitmix64, seed 5), so every run builds the same data:
//!
//! - **Members**: hospitals `h01`, `h02`, … with volumes in proportion to
//!   1/√rank (of 20, the largest sends about 4.5 times what the smallest
//!   does).
//! - **Streams**: each member replays each file from its own start line,
//!   in file order, so sessions stay together as in the real logs (an
//!   attacker's failed passwords, then the disconnect); a stream that
//!   reaches the end starts the file again as a new *round*. A member's
//!   next event comes from the SSH log with probability 1/2, the Linux log
//!   3/10, the Apache log 1/5.
//! - **What varies**: the timestamp (the line's own, rewritten; events are
//!   spread evenly over the span from its start, 2024-05-01 00:00 KST by
//!   default, in arrival order, whole seconds), the host name (the
//!   member's prefix on the line's host: `h07-LabSZ`), every IPv4
//!   address (mapped by a keyed hash of the address and the round, so
//!   attackers differ between rounds but repeat within one, and the same
//!   address hits several hospitals in the same round), user names after
//!   `user`, `for … from` and `user=` (mapped into a pool of 40 attack and
//!   hospital account names; `root` stays), ports after `port` and process
//!   ids (shifted by the round).
//! - **The raw message** is the rewritten line; syslog lines (Linux, SSH)
//!   get the `<PRI>` a receiver sees (`<38>`/`<86>`). [`syslog_line`]
//!   gives every event as the RFC 3164 line a sender puts on the wire:
//!   the syslog lines as they are, an Apache error line as a file
//!   forwarder sends it (`<187>May  1 00:00:03 h01-web01 httpd: [Wed May 01
//!   00:00:03 2024] [error] …`).
//! - **Fields**, as the parsers would set them: `host.name`,
//!   `process.name`, `process.pid`, `log.level` (Apache), `event.action`
//!   (from the message template: `ssh_login_failed`, `invalid_user`,
//!   `auth_failure`, …), `event.outcome`, `source.ip`, `source.port`,
//!   `user.name`. The id is `EventId::of(member, source, raw)`.

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

use medsec_logs::{Event, EventId, Fields, Value};

/// splitmix64: small, seeded, good enough to pick test data.
#[derive(Clone)]
pub struct Rng(pub u64);

impl Rng {
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix(self.0)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

pub fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a of a string, to key the deterministic mappings.
fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// 2024-05-01T00:00:00+09:00.
pub const START: i64 = 1_714_489_200_000_000_000;
pub const SECOND: i64 = 1_000_000_000;
pub const HOUR: i64 = 3600 * SECOND;
pub const DAY: i64 = 24 * HOUR;
pub const KST: i64 = 9 * HOUR;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ssh,
    Linux,
    Apache,
}

/// One real log line, cut into what the generator rewrites.
struct Line {
    kind: Kind,
    host: String,
    /// `sshd`, `sshd(pam_unix)`, `ftpd`, …
    prog: String,
    pid: Option<u32>,
    /// Apache's `[notice]`/`[error]`.
    level: Option<String>,
    message: String,
}

fn parse_line(kind: Kind, line: &str) -> Option<Line> {
    if kind == Kind::Apache {
        // [Sun Dec 04 04:47:44 2005] [notice] message
        let rest = line.strip_prefix('[')?;
        let (_, rest) = rest.split_once("] [")?;
        let (level, message) = rest.split_once("] ")?;
        return Some(Line {
            kind,
            host: "web01".into(),
            prog: "httpd".into(),
            pid: None,
            level: Some(level.into()),
            message: message.into(),
        });
    }
    // Jun 14 15:16:01 combo sshd(pam_unix)[19939]: message
    let mut parts = line.splitn(5, ' ').filter(|p| !p.is_empty());
    let _month = parts.next()?;
    let rest: Vec<&str> = line.split_whitespace().collect();
    let host = rest.get(3)?.to_string();
    let tag = rest.get(4)?;
    let tag = tag.strip_suffix(':').unwrap_or(tag);
    let (prog, pid) = match tag.split_once('[') {
        Some((p, pid)) => (p.to_string(), pid.trim_end_matches(']').parse().ok()),
        None => (tag.to_string(), None),
    };
    let at = line.find(rest.get(4)?)? + rest.get(4)?.len();
    let message = line.get(at..)?.trim_start().to_string();
    Some(Line {
        kind,
        host,
        prog,
        pid,
        level: None,
        message,
    })
}

const USERS: &[&str] = &[
    "admin",
    "test",
    "oracle",
    "guest",
    "support",
    "user",
    "ubuntu",
    "postgres",
    "pi",
    "git",
    "ftp",
    "mysql",
    "nagios",
    "tomcat",
    "backup",
    "deploy",
    "jenkins",
    "www-data",
    "operator",
    "administrator",
    "kim.minsu",
    "lee.jiwoo",
    "park.seoyeon",
    "choi.hyunwoo",
    "jung.emr",
    "kang.pacs",
    "cho.ocs",
    "yoon.lis",
    "jang.ris",
    "lim.nurse",
    "emr_svc",
    "pacs_admin",
    "ocs_user",
    "lis_batch",
    "ris_gw",
    "hl7_if",
    "dicom",
    "backup_svc",
    "monitor",
    "scan",
];

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// The local (KST) calendar parts of a time.
fn kst_parts(ts: i64) -> (i32, usize, u8, u8, u8, u8, usize) {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ts + KST)).unwrap();
    (
        t.year(),
        u8::from(t.month()) as usize - 1,
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.weekday().number_days_from_monday() as usize,
    )
}

fn map_ip(ip: Ipv4Addr, round: u64) -> Ipv4Addr {
    let h = mix(fnv(&ip.to_string()) ^ round.wrapping_mul(0x51_7cc1_b727_220a));
    Ipv4Addr::new(
        1 + (h % 223) as u8,
        (h >> 8) as u8,
        (h >> 16) as u8,
        1 + ((h >> 24) % 254) as u8,
    )
}

fn map_user(name: &str, round: u64) -> String {
    if name == "root" || name == "unknown" {
        return name.into();
    }
    USERS[(mix(fnv(name) ^ round) % USERS.len() as u64) as usize].into()
}

/// Rewrites a message: addresses, users, ports and process ids.
fn rewrite(message: &str, round: u64) -> (String, Option<IpAddr>, Option<i64>, Option<String>) {
    let words: Vec<&str> = message.split(' ').collect();
    let mut out: Vec<String> = Vec::with_capacity(words.len());
    let (mut ip, mut port, mut user) = (None, None, None);
    for (i, w) in words.iter().enumerate() {
        let prev = if i > 0 { words[i - 1] } else { "" };
        let next = words.get(i + 1).copied().unwrap_or("");
        // An address, alone, in brackets, or after `rhost=`.
        let (pre, core, post) = split_affixes(w);
        if let Ok(a) = core.parse::<Ipv4Addr>() {
            let m = map_ip(a, round);
            ip.get_or_insert(IpAddr::V4(m));
            out.push(format!("{pre}{m}{post}"));
            continue;
        }
        if prev == "port" && w.parse::<u32>().is_ok() {
            let p = 1024 + mix(fnv(w) ^ round) % 64_000;
            port = Some(p as i64);
            out.push(p.to_string());
            continue;
        }
        if prev == "child" && w.parse::<u32>().is_ok() {
            let p = (w.parse::<u64>().unwrap_or(0) + round * 7919) % 32_000 + 100;
            out.push(p.to_string());
            continue;
        }
        if (prev == "user" || (prev == "for" && next == "from")) && !w.is_empty() && *w != "unknown"
        {
            let u = map_user(w, round);
            user = Some(u.clone());
            out.push(u);
            continue;
        }
        if let Some(name) = w.strip_prefix("user=") {
            let u = map_user(name, round);
            user = Some(u.clone());
            out.push(format!("user={u}"));
            continue;
        }
        out.push((*w).to_string());
    }
    (out.join(" "), ip, port, user)
}

/// A word's leading `[`/`rhost=`, its core, and its trailing `]`/`:`.
fn split_affixes(w: &str) -> (&str, &str, &str) {
    let pre_len = if w.starts_with("rhost=") {
        6
    } else if w.starts_with('[') {
        1
    } else {
        0
    };
    let rest = w.get(pre_len..).unwrap_or("");
    let core_len = rest.trim_end_matches([']', ':', ',']).len();
    (
        w.get(..pre_len).unwrap_or(""),
        rest.get(..core_len).unwrap_or(""),
        rest.get(core_len..).unwrap_or(""),
    )
}

fn action_of(kind: Kind, m: &str) -> (&'static str, &'static str) {
    let has = |s: &str| m.contains(s);
    match kind {
        Kind::Apache if has("Found child") => ("worker_found", "success"),
        Kind::Apache if has("init() ok") => ("worker_init", "success"),
        Kind::Apache if has("error state") => ("worker_error", "failure"),
        Kind::Apache if has("Directory index forbidden") => {
            ("directory_index_forbidden", "failure")
        }
        Kind::Apache => ("other", "unknown"),
        _ if has("Failed password") => ("ssh_login_failed", "failure"),
        _ if has("Accepted password") => ("ssh_login", "success"),
        _ if has("Invalid user") || has("invalid user") => ("invalid_user", "failure"),
        _ if has("authentication failure") => ("auth_failure", "failure"),
        _ if has("check pass; user unknown") => ("unknown_user", "failure"),
        _ if has("POSSIBLE BREAK-IN") => ("reverse_mapping_failed", "failure"),
        _ if has("Received disconnect") => ("disconnect", "unknown"),
        _ if has("Connection closed") => ("connection_closed", "unknown"),
        _ if has("session opened") => ("session_opened", "success"),
        _ if has("session closed") => ("session_closed", "success"),
        _ if has("connection from") => ("ftp_connection", "unknown"),
        _ => ("other", "unknown"),
    }
}

pub struct Generator {
    lines: [Vec<Line>; 3],
    members: Vec<String>,
    /// Cumulative member weights.
    weights: Vec<f64>,
    /// Per member and kind: (next line, round).
    streams: Vec<[(usize, u64); 3]>,
    rng: Rng,
    n: u64,
    total: u64,
    start: i64,
    span: i64,
}

impl Generator {
    pub fn new(data: &Path, members: usize, total: u64, days: i64) -> Generator {
        Generator::with(data, members, total, START, days * DAY, 5)
    }

    /// `total` events over `span` from `start`, from generator seed `seed`.
    pub fn with(
        data: &Path,
        members: usize,
        total: u64,
        start: i64,
        span: i64,
        seed: u64,
    ) -> Generator {
        let read = |kind: Kind, file: &str| -> Vec<Line> {
            let path = data.join("logs/loghub").join(file);
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            text.lines().filter_map(|l| parse_line(kind, l)).collect()
        };
        let lines = [
            read(Kind::Ssh, "OpenSSH/OpenSSH_2k.log"),
            read(Kind::Linux, "Linux/Linux_2k.log"),
            read(Kind::Apache, "Apache/Apache_2k.log"),
        ];
        let mut rng = Rng(seed);
        let mut acc = 0.0;
        let weights = (0..members)
            .map(|i| {
                acc += 1.0 / ((i + 1) as f64).sqrt();
                acc
            })
            .collect();
        let streams = (0..members)
            .map(|m| {
                let mut s = [(0usize, 0u64); 3];
                for (k, slot) in s.iter_mut().enumerate() {
                    *slot = (rng.below(lines[k].len()), (m * 1000 + k) as u64);
                }
                s
            })
            .collect();
        Generator {
            lines,
            members: (1..=members).map(|i| format!("h{i:02}")).collect(),
            weights,
            streams,
            rng,
            n: 0,
            total,
            start,
            span,
        }
    }

    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Event {
        let i = self.n;
        self.n += 1;
        let r = self.rng.next();
        let pick =
            (r % 1_000_000) as f64 / 1_000_000.0 * self.weights.last().copied().unwrap_or(1.0);
        let m = self
            .weights
            .partition_point(|w| *w < pick)
            .min(self.members.len() - 1);
        let k = match (r >> 20) % 10 {
            0..=4 => 0,
            5..=7 => 1,
            _ => 2,
        };
        let (pos, round) = self.streams[m][k];
        let line = &self.lines[k][pos];
        self.streams[m][k] = if pos + 1 == self.lines[k].len() {
            (0, round + 100_000)
        } else {
            (pos + 1, round)
        };
        // Syslog and Apache error log times have whole seconds, and the
        // parsers take the event's time from the message.
        let ts = self.start + ((i as i128 * self.span as i128) / self.total.max(1) as i128) as i64;
        let ts = ts - ts.rem_euclid(SECOND);
        let member = &self.members[m];
        let host = format!("{member}-{}", line.host);
        let (message, ip, port, user) = rewrite(&line.message, round);
        let (y, mon, d, hh, mm, ss, wd) = kst_parts(ts);
        let (raw, source) = match line.kind {
            Kind::Apache => (
                format!(
                    "[{} {} {d:02} {hh:02}:{mm:02}:{ss:02} {y}] [{}] {message}",
                    WEEKDAYS[wd],
                    MONTHS[mon],
                    line.level.as_deref().unwrap_or("notice")
                ),
                "file:apache-error",
            ),
            kind => {
                let pri = if kind == Kind::Ssh || line.prog.contains("pam") {
                    86
                } else {
                    38
                };
                let pid = line
                    .pid
                    .map(|p| format!("[{}]", (u64::from(p) + round * 7919) % 32_000 + 100))
                    .unwrap_or_default();
                (
                    format!(
                        "<{pri}>{} {d:>2} {hh:02}:{mm:02}:{ss:02} {host} {}{pid}: {message}",
                        MONTHS[mon], line.prog
                    ),
                    "tls:6514",
                )
            }
        };
        let (action, outcome) = action_of(line.kind, &message);
        let mut fields = Fields::new();
        fields.set("host.name", Value::Str(host));
        let prog = line
            .prog
            .split('(')
            .next()
            .unwrap_or("")
            .trim_end_matches(':');
        fields.set("process.name", Value::Str(prog.into()));
        if let Some(p) = line.pid {
            fields.set(
                "process.pid",
                Value::Int(((u64::from(p) + round * 7919) % 32_000 + 100) as i64),
            );
        }
        if let Some(l) = &line.level {
            fields.set("log.level", Value::Str(l.clone()));
        }
        fields.set("event.action", Value::Str(action.into()));
        fields.set("event.outcome", Value::Str(outcome.into()));
        if let Some(ip) = ip {
            fields.set("source.ip", Value::Ip(ip));
        }
        if let Some(p) = port {
            fields.set("source.port", Value::Int(p));
        }
        if let Some(u) = user {
            fields.set("user.name", Value::Str(u));
        }
        Event {
            id: EventId::of(member, source, raw.as_bytes()),
            member: member.clone(),
            source: source.into(),
            timestamp: ts,
            received: ts + ((r >> 12) % (2 * SECOND as u64)) as i64,
            raw,
            fields,
        }
    }
}

/// An event as the RFC 3164 line a sender writes on the wire (without
/// the line end): a syslog event's raw message as it is; an Apache error
/// log line behind the header a file forwarder adds (facility local7,
/// the severity of its level, program `httpd`).
pub fn syslog_line(event: &Event) -> String {
    if event.raw.starts_with('<') {
        return event.raw.clone();
    }
    let severity = match event.fields.get("log.level").and_then(Value::as_str) {
        Some("emerg") => 0,
        Some("alert") => 1,
        Some("crit") => 2,
        Some("error") => 3,
        Some("warn") => 4,
        Some("notice") => 5,
        Some("info") => 6,
        _ => 7,
    };
    let host = event
        .fields
        .get("host.name")
        .and_then(Value::as_str)
        .unwrap_or("-");
    let (_, mon, d, hh, mm, ss, _) = kst_parts(event.timestamp);
    format!(
        "<{}>{} {d:>2} {hh:02}:{mm:02}:{ss:02} {host} httpd: {}",
        23 * 8 + severity,
        MONTHS[mon],
        event.raw
    )
}
