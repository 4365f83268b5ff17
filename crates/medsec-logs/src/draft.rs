//! What a decoder fills in: the fields it read and the event time it
//! found, before the normaliser adds the envelope, masks and makes the
//! [`Event`](crate::Event).

use crate::event::{Field, Fields, Value};
use crate::schema;

/// The decoded part of an event.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Draft {
    pub fields: Fields,
    /// The event's time as the payload gives it, Unix nanoseconds.
    pub timestamp: Option<i64>,
}

impl Draft {
    pub fn new() -> Draft {
        Draft {
            // Room for a typical event's fields without growing.
            fields: Fields::with_capacity(16),
            timestamp: None,
        }
    }

    /// Sets a field from text, typed by the schema ([`schema::typed`]).
    /// Empty text and the `-` placeholder many formats use are skipped.
    pub fn text(&mut self, name: impl Into<Field>, value: &str) {
        if value.is_empty() || value == "-" {
            return;
        }
        let name = name.into();
        let value = schema::typed(&name, value);
        self.fields.set(name, value);
    }

    /// Sets a string field as is (skipping empty text and `-`).
    pub fn str(&mut self, name: impl Into<Field>, value: &str) {
        if value.is_empty() || value == "-" {
            return;
        }
        self.fields.set(name, Value::Str(value.to_owned()));
    }

    /// Sets a field to a value.
    pub fn set(&mut self, name: impl Into<Field>, value: Value) {
        self.fields.set(name, value);
    }

    /// Sets a field unless it is already set.
    pub fn default_text(&mut self, name: impl Into<Field>, value: &str) {
        let name = name.into();
        if self.fields.get(&name).is_none() {
            self.text(name, value);
        }
    }

    /// Sets `prefix` + `key` from text.
    pub fn prefixed(&mut self, prefix: &str, key: &str, value: &str) {
        if value.is_empty() {
            return;
        }
        let mut name = String::with_capacity(prefix.len() + key.len());
        name.push_str(prefix);
        name.push_str(key);
        let value = schema::typed(&name, value);
        self.fields.set(name, value);
    }

    /// Sets an IP field if the text is an address, else the fallback
    /// field (a host name where an address is usual).
    pub fn ip_or(&mut self, ip_field: &'static str, fallback: &'static str, value: &str) {
        if value.is_empty() || value == "-" {
            return;
        }
        match schema::parse_ip(value) {
            Some(ip) => self.fields.set(ip_field, Value::Ip(ip)),
            None => self.fields.set(fallback, Value::Str(value.to_owned())),
        }
    }

    /// Sets a network transport from a name or an IANA protocol number.
    pub fn transport(&mut self, value: &str) {
        let name = match value {
            "1" => "icmp",
            "6" => "tcp",
            "17" => "udp",
            "47" => "gre",
            "50" => "esp",
            "58" => "ipv6-icmp",
            "132" => "sctp",
            _ => value,
        };
        if name.bytes().any(|c| c.is_ascii_uppercase()) {
            self.str("network.transport", &name.to_ascii_lowercase());
        } else {
            self.str("network.transport", name);
        }
    }
}
