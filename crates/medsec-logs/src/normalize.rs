//! The one entry point receivers use: the raw bytes of one message in,
//! an [`Event`] out.
//!
//! For each message the [`Normalizer`] of its source:
//!
//! 1. computes the id from the member, the source and the bytes as
//!    received ([`EventId::of`]), so a resent message keeps its id;
//! 2. masks personal data in the raw bytes ([`Masker`]), before anything
//!    else reads them;
//! 3. reads the syslog envelope, if there is one (RFC 5424 or 3164, by
//!    the source's format or by the message's shape);
//! 4. decodes the payload with the source's format, or in `auto` by its
//!    shape: an analyst-defined decoder whose prematch holds first, then
//!    CEF, LEEF, JSON (Suricata EVE, Windows, other), Linux
//!    authentication by syslog program, PAN-OS CSV, key=value (FortiGate
//!    and others), web server access and error logs, IIS;
//! 5. masks every string field again (decoders undo escapes, which could
//!    reveal a number the raw pass could not see) and builds the event.
//!
//! # Errors and what is kept
//!
//! A message is dropped ([`Outcome::Dropped`]) only when there is nothing
//! to keep: it is empty or whitespace. Unreadable framing is the framer's
//! business ([`crate::framing`]) and never reaches this point. Every other
//! message becomes an event, even when its header or payload does not
//! parse: the event keeps the raw message (ECS `event.original`), the
//! envelope fields that could be read, the payload as `message`, and
//! `error.message` saying what failed where; the same error is returned
//! beside the event ([`Outcome::Event`]) so the receiver can count and
//! sample parse errors per source. An RFC 5424 source whose message is
//! not valid RFC 5424 gets the lenient RFC 3164 reading of it, plus the
//! error.
//!
//! Invalid UTF-8 is kept losslessly: `raw` holds the text with U+FFFD
//! for each invalid sequence, fields are read from that text, and the
//! exact (masked) bytes are kept in `event.original_base64`. Error
//! offsets are offsets into the bytes as received.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use crate::auth;
use crate::cef;
use crate::clock;
use crate::custom::Decoders;
use crate::draft::Draft;
use crate::error::{ErrorKind, ParseError, Result};
use crate::event::{Event, EventId, Value};
use crate::framing::Frame;
use crate::iis::{self, IisState};
use crate::json;
use crate::kv;
use crate::leef;
use crate::mask::{MaskCounts, Masker};
use crate::paloalto;
use crate::suricata;
use crate::syslog::{self, TimeContext};
use crate::text;
use crate::web;
use crate::windows;

/// The format a source is configured with.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    /// Recognise the envelope and the payload by their shape.
    Auto,
    /// RFC 5424 syslog; the payload by its shape.
    Rfc5424,
    /// RFC 3164 syslog (with real devices' deviations); the payload by
    /// its shape.
    Rfc3164,
    Cef,
    Leef,
    /// JSON lines, flattened.
    Json,
    /// nginx access and error logs.
    Nginx,
    /// Apache access and error logs.
    Apache,
    /// IIS W3C extended logs.
    Iis,
    /// Suricata EVE JSON.
    Suricata,
    /// FortiGate (and other) key=value logs.
    FortiGate,
    /// Key=value logs of other firewalls (the same decoder).
    Kv,
    /// PAN-OS CSV logs.
    PaloAlto,
    /// Windows events as JSON (winlogbeat or EVTX-as-JSON).
    WindowsJson,
    /// An analyst-defined decoder, by name.
    Custom(String),
}

impl Format {
    /// The built-in formats' names, as configuration writes them.
    pub const BUILTIN: [&'static str; 14] = [
        "auto",
        "rfc5424",
        "rfc3164",
        "cef",
        "leef",
        "json",
        "nginx",
        "apache",
        "iis",
        "suricata",
        "fortigate",
        "kv",
        "paloalto",
        "windows-json",
    ];

    /// A built-in format by name.
    pub fn builtin(name: &str) -> Option<Format> {
        Some(match name {
            "auto" => Format::Auto,
            "rfc5424" => Format::Rfc5424,
            "rfc3164" => Format::Rfc3164,
            "cef" => Format::Cef,
            "leef" => Format::Leef,
            "json" => Format::Json,
            "nginx" => Format::Nginx,
            "apache" => Format::Apache,
            "iis" => Format::Iis,
            "suricata" => Format::Suricata,
            "fortigate" => Format::FortiGate,
            "kv" => Format::Kv,
            "paloalto" => Format::PaloAlto,
            "windows-json" => Format::WindowsJson,
            _ => return None,
        })
    }

    /// The format's name (a custom decoder's own name).
    pub fn name(&self) -> &str {
        match self {
            Format::Auto => "auto",
            Format::Rfc5424 => "rfc5424",
            Format::Rfc3164 => "rfc3164",
            Format::Cef => "cef",
            Format::Leef => "leef",
            Format::Json => "json",
            Format::Nginx => "nginx",
            Format::Apache => "apache",
            Format::Iis => "iis",
            Format::Suricata => "suricata",
            Format::FortiGate => "fortigate",
            Format::Kv => "kv",
            Format::PaloAlto => "paloalto",
            Format::WindowsJson => "windows-json",
            Format::Custom(name) => name,
        }
    }
}

impl FromStr for Format {
    type Err = std::convert::Infallible;

    /// A built-in name, else the name of a custom decoder (checked when a
    /// message is decoded: an unknown name is a parse error then).
    fn from_str(s: &str) -> std::result::Result<Format, Self::Err> {
        Ok(Format::builtin(s).unwrap_or_else(|| Format::Custom(s.to_owned())))
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What the normaliser needs to know about a source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceConfig {
    /// The member the source belongs to; every event is attributed to it.
    pub member: String,
    /// The source's name in the member's source list.
    pub source: String,
    pub format: Format,
    /// Seconds east of UTC for timestamps without a zone (default: KST).
    pub utc_offset: i32,
}

impl SourceConfig {
    pub fn new(
        member: impl Into<String>,
        source: impl Into<String>,
        format: Format,
    ) -> SourceConfig {
        SourceConfig {
            member: member.into(),
            source: source.into(),
            format,
            utc_offset: clock::KST,
        }
    }
}

/// Decoder state carried from message to message of one source (the
/// column layout of an IIS log, the repeats seen).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceState {
    pub iis: IisState,
    pub repeats: Repeats,
}

/// Counts byte-identical messages within one stream (a connection, a
/// request, a file, the datagrams of a UDP port), so that a message
/// repeated on purpose (the same `Failed password` line twice in one
/// second) is two events while a stream sent again after a failure keeps
/// its ids: the id of a message depends only on its bytes and on its
/// place among the identical messages before it in the stream
/// ([`EventId::repeat`]), so a resend of the stream gives the same ids
/// and is stored once.
///
/// Memory is bounded: the stream is counted in windows of
/// [`Repeats::WINDOW`] messages (by position in the stream, not by how it
/// was cut into reads); the counts start afresh in each window, and the
/// window's number goes into the ids, so a message is never taken for a
/// copy of one in an earlier window.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Repeats {
    seen: foldhash::HashMap<EventId, u32>,
    /// Messages counted in the current window.
    messages: u32,
    window: u32,
    /// [`EventId::window_key`] of the current window.
    key: [u8; 16],
}

impl Repeats {
    /// Messages of one window.
    pub const WINDOW: u32 = 65_536;

    /// The id of the next message of the stream, `base` being the id of
    /// its bytes ([`EventId::of`]).
    pub fn id(&mut self, base: EventId) -> EventId {
        if self.messages == Self::WINDOW {
            self.seen.clear();
            self.messages = 0;
            self.window += 1;
            self.key = EventId::window_key(self.window);
        }
        self.messages += 1;
        let n = self.seen.entry(base).or_insert(0);
        let id = match *n {
            0 => base.in_window(&self.key),
            n => base.repeat(self.window, n),
        };
        *n += 1;
        id
    }
}

/// The result of normalising one message.
#[derive(Clone, Debug, PartialEq)]
pub enum Outcome {
    /// An event to store. `error` says what could not be read (it is also
    /// in the event's `error.message`).
    Event {
        event: Event,
        error: Option<ParseError>,
    },
    /// A directive or comment that updated the source's state (IIS
    /// `#Fields:`), not an event.
    Directive,
    /// Nothing to keep (an empty message).
    Dropped(ParseError),
}

/// The normaliser of one source (a listener connection, a token, a
/// file): its configuration, the shared decoders and masking rules, and
/// the source's decoder state.
#[derive(Clone, Debug)]
pub struct Normalizer {
    config: SourceConfig,
    decoders: Arc<Decoders>,
    masker: Arc<Masker>,
    state: SourceState,
    masked: MaskCounts,
}

impl Normalizer {
    pub fn new(config: SourceConfig, decoders: Arc<Decoders>, masker: Arc<Masker>) -> Normalizer {
        Normalizer {
            config,
            decoders,
            masker,
            state: SourceState::default(),
            masked: MaskCounts::default(),
        }
    }

    pub fn config(&self) -> &SourceConfig {
        &self.config
    }

    pub fn state(&self) -> &SourceState {
        &self.state
    }

    /// The repeat counts, to carry them over from one stream to the next
    /// when the streams are one (the bursts of datagrams of a UDP port).
    pub fn repeats_mut(&mut self) -> &mut Repeats {
        &mut self.state.repeats
    }

    /// Sets the format (the importer does, after detecting it).
    pub fn set_format(&mut self, format: Format) {
        self.config.format = format;
    }

    /// The masking replacements made since the last call, per rule.
    pub fn take_mask_counts(&mut self) -> MaskCounts {
        std::mem::take(&mut self.masked)
    }

    /// Normalises one message received at `received` (Unix nanoseconds).
    pub fn normalize(&mut self, raw: &[u8], received: i64) -> Outcome {
        normalize(
            raw,
            received,
            &self.config,
            &self.decoders,
            &self.masker,
            &mut self.state,
            &mut self.masked,
        )
    }

    /// Normalises a frame from the [`Framer`](crate::framing::Framer); a
    /// truncated frame's event says so in `log.truncated`.
    pub fn normalize_frame(&mut self, frame: Frame<'_>, received: i64) -> Outcome {
        let mut outcome = self.normalize(frame.data, received);
        if frame.truncated
            && let Outcome::Event { event, .. } = &mut outcome
        {
            event.fields.set("log.truncated", Value::Bool(true));
        }
        outcome
    }
}

/// Strips line endings and NULs at the end.
fn trim_end(raw: &[u8]) -> &[u8] {
    let mut end = raw.len();
    while end > 0 && matches!(raw[end - 1], b'\n' | b'\r' | 0) {
        end -= 1;
    }
    &raw[..end]
}

/// Normalises one message; [`Normalizer::normalize`] with the parts
/// passed in. Masking counts are added to `masked`.
pub fn normalize(
    raw: &[u8],
    received: i64,
    config: &SourceConfig,
    decoders: &Decoders,
    masker: &Masker,
    state: &mut SourceState,
    masked: &mut MaskCounts,
) -> Outcome {
    let trimmed = trim_end(raw);
    if trimmed.iter().all(u8::is_ascii_whitespace) {
        return Outcome::Dropped(ParseError::new(ErrorKind::Empty, 0));
    }
    let id = state
        .repeats
        .id(EventId::of(&config.member, &config.source, raw));
    let mut counts = MaskCounts::default();
    let bytes = masker.mask_bytes(trimmed, &mut counts);
    let (text, lossy): (Cow<'_, str>, bool) = match std::str::from_utf8(&bytes) {
        Ok(s) => (Cow::Borrowed(s), false),
        Err(_) => (String::from_utf8_lossy(&bytes), true),
    };
    let ctx = TimeContext {
        received,
        utc_offset: config.utc_offset,
    };
    let format = &config.format;

    // W3C directives: any `#` line of an IIS source, the known ones in
    // `auto` (where a `#` line may also be text).
    let directive = match format {
        Format::Iis => text.starts_with('#'),
        Format::Auto => iis::is_directive(&text),
        _ => false,
    };
    if directive && state.iis.directive(&text) {
        return Outcome::Directive;
    }

    let mut draft = Draft::new();
    let mut error: Option<ParseError> = None;

    // The syslog envelope.
    let envelope = match format {
        Format::Rfc5424 => match syslog::parse_rfc5424(&text, ctx) {
            Ok(s) => Some(s),
            Err(e) => {
                error = Some(e);
                syslog::parse_rfc3164(&text, ctx).ok()
            }
        },
        Format::Rfc3164 => match syslog::parse_rfc3164(&text, ctx) {
            Ok(s) => Some(s),
            Err(e) => {
                error = Some(e);
                None
            }
        },
        _ if syslog::has_pri(&text)
            || (*format == Format::Auto && syslog::looks_like_bare_syslog(&text)) =>
        {
            match syslog::parse(&text, ctx) {
                Ok(s) => Some(s),
                Err(e) => {
                    error = Some(e);
                    syslog::parse_rfc3164(&text, ctx).ok()
                }
            }
        }
        _ => None,
    };
    let (payload, payload_offset, program, header_time) = match &envelope {
        Some(s) => {
            s.to_fields(&mut draft.fields);
            (s.msg, s.msg_offset, s.app_name, s.timestamp)
        }
        None => (&*text, 0, None, None),
    };

    // The payload.
    let (module, failed) =
        match decode_payload(format, payload, program, &mut draft, ctx, state, decoders) {
            Ok(module) => (module, false),
            Err(e) => {
                if error.is_none() {
                    error = Some(e.shifted(payload_offset));
                }
                (None, true)
            }
        };
    // Free text, and a payload that could not be decoded, is the message.
    let plain = failed || matches!(module.as_deref(), None | Some("auth"));
    if plain && !payload.is_empty() && draft.fields.get("message").is_none() {
        draft.set("message", Value::Str(payload.to_owned()));
    }
    if let Some(m) = module {
        draft.set("event.module", Value::Str(m.into_owned()));
    }

    let error = error.map(|e| {
        let mut e = e.with_sample(&text);
        if lossy {
            e.offset = text::lossy_offset_to_raw(&bytes, e.offset);
        }
        e
    });
    if let Some(e) = &error {
        draft.set("error.message", Value::Str(e.to_string()));
    }
    if lossy {
        draft.set("event.original_base64", Value::Str(text::base64(&bytes)));
    }

    // Second masking pass over the decoded strings, where decoding may
    // have changed the text: JSON string escapes, backslash escapes (CEF,
    // LEEF, structured data, quoted values), IIS's `+` for a space. Other
    // field values are substrings of the text masked above.
    let rescan = matches!(
        draft.fields.get("event.module"),
        Some(Value::Str(m)) if matches!(m.as_str(), "json" | "suricata" | "windows" | "iis")
    ) || memchr::memchr(b'\\', text.as_bytes()).is_some()
        || *format == Format::Iis;
    if rescan && masker.is_enabled() {
        for (name, value) in draft.fields.iter_mut() {
            if name == "event.original_base64" {
                continue;
            }
            if let Value::Str(s) = value
                && let Cow::Owned(m) = masker.mask_str(s, &mut counts)
            {
                *s = m;
            }
        }
    }
    masked.rrn += counts.rrn;
    masked.phone += counts.phone;
    for (i, n) in counts.patterns.iter().enumerate() {
        if *n > 0 {
            if masked.patterns.len() <= i {
                masked.patterns.resize(i + 1, 0);
            }
            masked.patterns[i] += n;
        }
    }

    let timestamp = draft.timestamp.or(header_time).unwrap_or(received);
    let event = Event {
        id,
        member: config.member.clone(),
        source: config.source.clone(),
        timestamp,
        received,
        raw: text.into_owned(),
        fields: draft.fields,
    };
    Outcome::Event { event, error }
}

/// Finds `CEF:n|` or `LEEF:n` near the start of a payload (after a
/// device prefix some senders add).
fn find_marker<'a>(payload: &'a str, marker: &str) -> Option<&'a str> {
    let window = text::head(
        payload,
        text::floor_char_boundary(payload, 160.min(payload.len())),
    );
    // Both formats have a `|` right after the version: a cheap test first.
    memchr::memchr(b'|', window.as_bytes())?;
    let at = memchr::memmem::find(window.as_bytes(), marker.as_bytes())?;
    if at > 0 && !matches!(payload.as_bytes()[at - 1], b' ' | b'\t' | b':') {
        return None;
    }
    let after = payload.as_bytes().get(at + marker.len())?;
    after.is_ascii_digit().then(|| text::tail(payload, at))
}

/// Decodes the payload by the source's format; returns the module name
/// (`None` for a plain message).
fn decode_payload(
    format: &Format,
    payload: &str,
    program: Option<&str>,
    draft: &mut Draft,
    ctx: TimeContext,
    state: &mut SourceState,
    decoders: &Decoders,
) -> Result<Option<Cow<'static, str>>> {
    let module = |m: &'static str| Ok(Some(Cow::Borrowed(m)));
    match format {
        Format::Cef => {
            let start = payload.len() - find_marker(payload, "CEF:").unwrap_or(payload).len();
            cef::decode(text::tail(payload, start), draft, ctx).map_err(|e| e.shifted(start))?;
            module("cef")
        }
        Format::Leef => {
            let start = payload.len() - find_marker(payload, "LEEF:").unwrap_or(payload).len();
            leef::decode(text::tail(payload, start), draft, ctx).map_err(|e| e.shifted(start))?;
            module("leef")
        }
        Format::Json => {
            json::decode(payload, draft, ctx)?;
            module("json")
        }
        Format::Suricata => {
            let object = json::parse_object(payload)?;
            suricata::decode_object(object, draft, ctx);
            module("suricata")
        }
        Format::WindowsJson => {
            let object = json::parse_object(payload)?;
            windows::decode_object(object, draft, ctx);
            module("windows")
        }
        Format::FortiGate | Format::Kv => {
            kv::decode(payload, draft, ctx)?;
            module(if kv::is_fortigate(payload) {
                "fortigate"
            } else {
                "kv"
            })
        }
        Format::PaloAlto => {
            paloalto::decode(payload, draft, ctx)?;
            module("paloalto")
        }
        Format::Nginx | Format::Apache => {
            let name = if *format == Format::Nginx {
                "nginx"
            } else {
                "apache"
            };
            if web::looks_like_access(payload) {
                web::decode_access(payload, draft, ctx)?;
            } else if web::looks_like_apache_error(payload) {
                web::decode_apache_error(payload, draft, ctx)?;
            } else if web::looks_like_nginx_error(payload) {
                web::decode_nginx_error(payload, draft, ctx)?;
            } else {
                // Report the access log's own error, which says where.
                web::decode_access(payload, draft, ctx)?;
            }
            module(name)
        }
        Format::Iis => {
            iis::decode(payload, &state.iis, draft, ctx)?;
            module("iis")
        }
        Format::Custom(name) => {
            let decoder = decoders
                .get(name)
                .ok_or_else(|| ParseError::new(ErrorKind::UnknownDecoder(name.clone()), 0))?;
            decoder.decode(payload, draft, ctx)?;
            Ok(Some(Cow::Owned(name.clone())))
        }
        Format::Auto | Format::Rfc5424 | Format::Rfc3164 => {
            auto(payload, program, draft, ctx, state, decoders)
        }
    }
}

/// Recognises and decodes a payload by its shape.
fn auto(
    payload: &str,
    program: Option<&str>,
    draft: &mut Draft,
    ctx: TimeContext,
    state: &mut SourceState,
    decoders: &Decoders,
) -> Result<Option<Cow<'static, str>>> {
    let module = |m: &'static str| Ok(Some(Cow::Borrowed(m)));
    if let Some(decoder) = decoders.prematch(program, payload) {
        decoder.decode(payload, draft, ctx)?;
        return Ok(Some(Cow::Owned(decoder.name().to_owned())));
    }
    if let Some(cef_text) = find_marker(payload, "CEF:") {
        let start = payload.len() - cef_text.len();
        cef::decode(cef_text, draft, ctx).map_err(|e| e.shifted(start))?;
        return module("cef");
    }
    if let Some(leef_text) = find_marker(payload, "LEEF:") {
        let start = payload.len() - leef_text.len();
        leef::decode(leef_text, draft, ctx).map_err(|e| e.shifted(start))?;
        return module("leef");
    }
    let trimmed = payload.trim_start();
    if trimmed.starts_with('{') {
        let start = payload.len() - trimmed.len();
        let object = json::parse_object(trimmed).map_err(|e| e.shifted(start))?;
        if suricata::is_eve(&object) {
            suricata::decode_object(object, draft, ctx);
            return module("suricata");
        }
        if windows::is_windows(&object) {
            windows::decode_object(object, draft, ctx);
            return module("windows");
        }
        json::decode_object(&object, draft, ctx);
        return module("json");
    }
    if program.is_some_and(auth::is_auth_program) || payload.starts_with("pam_unix(") {
        return Ok(auth::decode(payload, draft).then_some(Cow::Borrowed("auth")));
    }
    if paloalto::looks_like_panos(payload) {
        paloalto::decode(payload, draft, ctx)?;
        return module("paloalto");
    }
    if kv::looks_like_kv(payload) {
        kv::decode(payload, draft, ctx)?;
        return module(if kv::is_fortigate(payload) {
            "fortigate"
        } else {
            "kv"
        });
    }
    if web::looks_like_access(payload) {
        web::decode_access(payload, draft, ctx)?;
        return module("access");
    }
    if web::looks_like_apache_error(payload) {
        web::decode_apache_error(payload, draft, ctx)?;
        return module("apache");
    }
    if web::looks_like_nginx_error(payload) {
        web::decode_nginx_error(payload, draft, ctx)?;
        return module("nginx");
    }
    if iis::looks_like_iis(payload, &state.iis) {
        iis::decode(payload, &state.iis, draft, ctx)?;
        return module("iis");
    }
    Ok(None)
}

#[cfg(test)]
mod tests;
