//! Security logs as medsec reads them, without IO: framing of syslog
//! streams, parsing and decoding of the formats hospitals' devices send,
//! personal-data masking, and normalisation to the [`Event`] every
//! receiver produces and search and detection consume.
//!
//! The pieces, in the order a message meets them:
//!
//! - [`framing::Framer`] cuts a TCP/TLS byte stream into messages (RFC
//!   6587 octet counting or LF/CRLF/NUL delimiters, detected per
//!   connection), with a maximum frame size and counters.
//! - [`Normalizer`] turns one message into an [`Event`]: id, masking
//!   ([`mask::Masker`]), the syslog envelope ([`syslog`]: RFC 5424 and RFC
//!   3164 with real devices' deviations), the payload by the source's
//!   [`Format`] or by its shape (CEF, LEEF, JSON, Suricata EVE, Windows
//!   events, FortiGate and other key=value firewalls, PAN-OS CSV, nginx,
//!   Apache and IIS logs, Linux authentication, analyst-defined
//!   decoders), and ECS-style fields ([`schema`], `docs/events.md`). What
//!   cannot be parsed is kept with `error.message`; see [`mod@normalize`] for
//!   the policy.
//! - [`custom`] compiles and tests analyst-defined decoders (TOML with
//!   grok-like patterns, `docs/decoders.md`).
//! - [`import::Import`] reads a log file line by line, detecting its
//!   format.

mod auth;
pub mod cef;
pub mod clock;
pub mod custom;
mod draft;
mod error;
pub mod event;
pub mod framing;
pub mod grok;
pub mod iis;
pub mod import;
mod json;
mod kv;
pub mod leef;
pub mod mask;
pub mod normalize;
mod paloalto;
pub mod schema;
mod suricata;
pub mod syslog;
mod text;
mod web;
mod windows;

#[cfg(test)]
mod testing;

pub use custom::{CustomDecoder, DecoderDef, DecoderError, Decoders, TestReport};
pub use draft::Draft;
pub use error::{ErrorKind, ParseError};
pub use event::{Event, EventId, Field, Fields, Value};
pub use framing::{Frame, Framer, FramerConfig, FramerStats, Framing, Oversize};
pub use grok::CaptureType;
pub use import::{Import, ImportedLine, detect_format};
pub use mask::{MaskConfig, MaskCounts, Masker};
pub use normalize::{Format, Normalizer, Outcome, Repeats, SourceConfig, SourceState, normalize};
pub use syslog::TimeContext;
