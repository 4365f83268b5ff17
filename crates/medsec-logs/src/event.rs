//! The normalised event: one log record from one member, with its raw
//! message and its fields under ECS-style names (`@timestamp`,
//! `source.ip`, `event.action`, …; the list is in `docs/events.md`).

use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;

use sha2::{Digest, Sha256};

/// One stored log record.
///
/// An event belongs to the member whose listener, certificate or token
/// delivered it ([`Event::member`]), never to what the message claims.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// Idempotent id: the same delivery yields the same id, so replays
    /// (a write-ahead log after a crash, a bus redelivery, a sender that
    /// resends what it did not see acknowledged) are stored once.
    pub id: EventId,
    /// The member organisation's id.
    pub member: String,
    /// The source the event came through (a listener, a token, a file
    /// import), as the member's sources list names it.
    pub source: String,
    /// `@timestamp`: when the event happened, from the message when it
    /// says, else when it was received. Unix time in nanoseconds, UTC.
    pub timestamp: i64,
    /// `event.ingested`: when medsec received it, Unix nanoseconds, UTC.
    pub received: i64,
    /// The message as received, after personal-data masking.
    pub raw: String,
    /// Normalised fields, without `@timestamp` (kept in `timestamp`).
    pub fields: Fields,
}

impl Event {
    /// The value of a field; `@timestamp` and `event.ingested` are
    /// answered from the event's own times (as nanoseconds).
    pub fn get(&self, name: &str) -> Option<Value> {
        match name {
            "@timestamp" => Some(Value::Int(self.timestamp)),
            "event.ingested" => Some(Value::Int(self.received)),
            _ => self.fields.get(name).cloned(),
        }
    }
}

/// A 128-bit event id, shown as 32 lower-case hex digits.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventId(pub [u8; 16]);

impl EventId {
    /// The id of a message delivered by `member` through `source`: the
    /// first 128 bits of SHA-256 over both and the raw bytes as received
    /// (before masking). A resent message keeps its id, so it is stored
    /// once; a message repeated within one stream gets a further id per
    /// repeat ([`EventId::repeat`]).
    pub fn of(member: &str, source: &str, raw: &[u8]) -> EventId {
        let mut h = Sha256::new();
        for part in [member.as_bytes(), source.as_bytes()] {
            h.update((part.len() as u64).to_le_bytes());
            h.update(part);
        }
        h.update(raw);
        let digest = h.finalize();
        let mut id = [0; 16];
        id.copy_from_slice(&digest[..16]);
        EventId(id)
    }

    /// The id of the `n`-th repeat (from 0) of this message in window
    /// `window` of its stream (see [`crate::normalize::Repeats`]): for the
    /// first occurrence in a window, the id combined with the window's
    /// key ([`EventId::in_window`]; the id itself in the first window);
    /// for a later one, the first 128 bits of SHA-256 over the id, the
    /// window and `n`.
    pub fn repeat(self, window: u32, n: u32) -> EventId {
        if n == 0 {
            return self.in_window(&Self::window_key(window));
        }
        let mut h = Sha256::new();
        h.update(b"medsec repeat");
        h.update(self.0);
        h.update(window.to_le_bytes());
        h.update(n.to_le_bytes());
        let digest = h.finalize();
        let mut id = [0; 16];
        id.copy_from_slice(&digest[..16]);
        EventId(id)
    }

    /// The key of window `window` of a stream: zero for the first, else
    /// the first 128 bits of SHA-256 over a label and the window's number.
    /// A stream's windows change every [`crate::normalize::Repeats::WINDOW`]
    /// messages, so the key is computed once a window rather than once a
    /// message (most messages of a long-lived connection are the first of
    /// their bytes in their window).
    pub fn window_key(window: u32) -> [u8; 16] {
        let mut key = [0; 16];
        if window != 0 {
            let mut h = Sha256::new();
            h.update(b"medsec window");
            h.update(window.to_le_bytes());
            key.copy_from_slice(&h.finalize()[..16]);
        }
        key
    }

    /// This id with a window's key (exclusive or). The id is a SHA-256
    /// output, so two messages' ids meet only by chance (2^-128), and two
    /// windows' keys differ, so a message's first occurrences in two
    /// windows get two ids.
    pub fn in_window(self, key: &[u8; 16]) -> EventId {
        let mut id = self.0;
        for (b, k) in id.iter_mut().zip(key) {
            *b ^= k;
        }
        EventId(id)
    }

    /// Parses the 32-hex-digit form.
    pub fn parse(text: &str) -> Option<EventId> {
        let bytes = text.as_bytes();
        if bytes.len() != 32 {
            return None;
        }
        let mut id = [0; 16];
        for (i, pair) in bytes.chunks_exact(2).enumerate() {
            let hi = (pair[0] as char).to_digit(16)?;
            let lo = (pair[1] as char).to_digit(16)?;
            id[i] = (hi * 16 + lo) as u8;
        }
        Some(EventId(id))
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EventId({self})")
    }
}

/// A field name such as `source.ip`: borrowed for the schema's names and
/// the decoders' tables (no allocation per event), owned for names taken
/// from the message (JSON keys, analysts' decoders).
pub type Field = Cow<'static, str>;

/// A field value. Types matter for search: `destination.port>1024` compares
/// numbers, `source.ip:10.0.0.0/8` compares addresses.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Ip(IpAddr),
}

impl Value {
    /// The value as text, as search compares keywords and as exports write it.
    pub fn to_text(&self) -> String {
        match self {
            Value::Str(s) => s.clone(),
            Value::Int(i) => i.to_string(),
            Value::Float(x) => x.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Ip(ip) => ip.to_string(),
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}

impl serde::Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Str(v) => s.serialize_str(v),
            Value::Int(v) => s.serialize_i64(*v),
            Value::Float(v) => s.serialize_f64(*v),
            Value::Bool(v) => s.serialize_bool(*v),
            Value::Ip(v) => s.collect_str(v),
        }
    }
}

/// The fields of an event in insertion order; names are unique (setting
/// a name again replaces its value). Events have a dozen or two fields,
/// so a vector beats a map.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fields(Vec<(Field, Value)>);

/// Whether two field names are equal, decided without `memcmp` in the
/// usual cases: normalising sets a dozen fields an event, each compared
/// with the ones set before, and most names are the schema's statics (the
/// same pointer when equal) or differ in length or in their first or last
/// byte.
fn same_name(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    if std::ptr::eq(a, b) {
        return true;
    }
    a.first() == b.first() && a.last() == b.last() && a == b
}

impl Fields {
    pub fn new() -> Fields {
        Fields(Vec::new())
    }

    /// Empty, with room for `n` fields.
    pub fn with_capacity(n: usize) -> Fields {
        Fields(Vec::with_capacity(n))
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0
            .iter()
            .find(|(n, _)| same_name(n, name))
            .map(|(_, v)| v)
    }

    /// Sets a field, replacing an earlier value of the same name.
    pub fn set(&mut self, name: impl Into<Field>, value: Value) {
        let name = name.into();
        match self.0.iter_mut().find(|(n, _)| same_name(n, &name)) {
            Some(slot) => slot.1 = value,
            None => self.0.push((name, value)),
        }
    }

    pub fn remove(&mut self, name: &str) -> Option<Value> {
        let at = self.0.iter().position(|(n, _)| n == name)?;
        Some(self.0.remove(at).1)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|(n, v)| (n.as_ref(), v))
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&str, &mut Value)> {
        self.0
            .iter_mut()
            .map(|&mut (ref n, ref mut v)| (n.as_ref(), v))
    }

    /// The fields with their names as stored (borrowed or owned), for
    /// memory accounting.
    pub fn entries(&self) -> &[(Field, Value)] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<N: Into<Field>> FromIterator<(N, Value)> for Fields {
    fn from_iter<I: IntoIterator<Item = (N, Value)>>(iter: I) -> Fields {
        let mut fields = Fields::new();
        for (n, v) in iter {
            fields.set(n, v);
        }
        fields
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_and_separate_members() {
        let a = EventId::of("m1", "tcp:6514", b"<13>hello");
        assert_eq!(a, EventId::of("m1", "tcp:6514", b"<13>hello"));
        assert_ne!(a, EventId::of("m2", "tcp:6514", b"<13>hello"));
        // The length prefix keeps ("ab", "c") apart from ("a", "bc").
        assert_ne!(EventId::of("ab", "c", b"x"), EventId::of("a", "bc", b"x"));
        assert_eq!(EventId::parse(&a.to_string()), Some(a));
        assert_eq!(EventId::parse("zz"), None);
        assert_eq!(EventId::parse(&"g".repeat(32)), None);
    }

    #[test]
    fn setting_a_field_again_replaces_it() {
        let mut f = Fields::new();
        f.set("source.ip", Value::Str("x".into()));
        f.set("source.ip", Value::Ip("10.0.0.1".parse().unwrap()));
        assert_eq!(f.len(), 1);
        assert_eq!(f.get("source.ip").unwrap().to_text(), "10.0.0.1");
        // An owned name equal to a static one, and names that share their
        // length and first and last bytes, are told apart by content.
        f.set(String::from("source.ip"), Value::Int(1));
        f.set("sxxxxxxxp", Value::Int(2));
        f.set("sourcexip", Value::Int(3));
        assert_eq!(f.len(), 3);
        assert_eq!(f.get("source.ip"), Some(&Value::Int(1)));
        assert_eq!(f.get("sourcexip"), Some(&Value::Int(3)));
        assert!(same_name("a.b", &String::from("a.b")));
        assert!(!same_name("a.b", "a.c") && !same_name("a.b", "b.b") && !same_name("ab", "abc"));
        assert!(!same_name("abxd", "abyd"));
    }
}
