//! A source's decoding as the receivers use it: its format, the active
//! analyst-defined decoders and its member's masking rules, built once
//! per configuration, and one [`ConnState`] per connection (IIS logs
//! carry their column layout from line to line).

use std::sync::Arc;

use medsec_logs::Event;
use medsec_logs::custom::{CustomDecoder, Decoders, parse_definitions};
use medsec_logs::framing::Frame;
use medsec_logs::mask::{MaskConfig, Masker, PatternRule};
use medsec_logs::normalize::{Format, Normalizer, Outcome, SourceConfig};
use medsec_store::watch::{DecoderRow, MaskingRuleRow};

/// Why a source's decoding cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("masking: {0}")]
    Mask(String),
    #[error("decoder {name}: {message}")]
    Decoder { name: String, message: String },
    #[error("the format {0:?} is neither built in nor an active decoder")]
    UnknownFormat(String),
}

/// The masking configuration of a member's rules as stored.
pub fn mask_config(rules: &[MaskingRuleRow]) -> MaskConfig {
    let mut config = MaskConfig::default();
    // The built-in rules are on unless a stored rule turns them off.
    config.rrn.enabled = rules.iter().filter(|r| r.kind == "rrn").all(|r| r.enabled);
    config.phone.enabled = rules
        .iter()
        .filter(|r| r.kind == "phone")
        .all(|r| r.enabled);
    config.patterns = rules
        .iter()
        .filter(|r| r.kind == "pattern" && r.enabled)
        .filter_map(|r| {
            Some(PatternRule {
                name: r.name.clone(),
                regex: r.pattern.clone()?,
                replacement: Default::default(),
            })
        })
        .collect();
    config
}

/// The analyst-defined decoders in service, compiled: each one's version
/// in service, never its draft, so that saving a draft changes nothing
/// here until it is activated. One that no longer compiles (it was stored
/// by an older medsec) is reported and left out.
pub fn compile_decoders(rows: &[DecoderRow]) -> (Decoders, Vec<BuildError>) {
    let mut decoders = Decoders::new();
    let mut errors = Vec::new();
    for row in rows {
        let Some(definition) = &row.active_definition else {
            continue;
        };
        match parse_definitions(definition, &row.name) {
            Ok(defs) => {
                for def in defs {
                    match CustomDecoder::compile(def) {
                        Ok(d) => decoders.add(d),
                        Err(e) => errors.push(BuildError::Decoder {
                            name: row.name.clone(),
                            message: e.to_string(),
                        }),
                    }
                }
            }
            Err(e) => errors.push(BuildError::Decoder {
                name: row.name.clone(),
                message: e.to_string(),
            }),
        }
    }
    (decoders, errors)
}

/// How one source's messages become events.
#[derive(Clone, Debug)]
pub struct SourceDecoder {
    template: Normalizer,
}

impl SourceDecoder {
    pub fn new(
        member: &str,
        source_id: &str,
        format: &str,
        decoders: Arc<Decoders>,
        masker: Arc<Masker>,
    ) -> Result<SourceDecoder, BuildError> {
        let format = match Format::builtin(format) {
            Some(f) => f,
            None if decoders.get(format).is_some() => Format::Custom(format.to_owned()),
            None => return Err(BuildError::UnknownFormat(format.to_owned())),
        };
        Ok(SourceDecoder {
            template: Normalizer::new(
                SourceConfig::new(member, source_id, format),
                decoders,
                masker,
            ),
        })
    }

    /// The state of a new connection.
    pub fn connection(&self) -> ConnState {
        ConnState(self.template.clone())
    }
}

/// Decoding state of one connection (or one request, one datagram burst).
#[derive(Clone, Debug)]
pub struct ConnState(Normalizer);

/// What became of one message.
#[derive(Debug)]
pub enum Decoded {
    /// An event to store; `problem` says what could not be decoded (the
    /// event carries it in `error.message` too).
    Event {
        event: Event,
        problem: Option<String>,
    },
    /// Not an event: an empty line or a directive (IIS `#Fields:`).
    Skipped,
}

impl ConnState {
    /// The repeat counts of the stream (see [`medsec_logs::Repeats`]).
    pub fn repeats_mut(&mut self) -> &mut medsec_logs::Repeats {
        self.0.repeats_mut()
    }

    pub fn decode(&mut self, data: &[u8], received: i64, truncated: bool) -> Decoded {
        match self.0.normalize_frame(Frame { data, truncated }, received) {
            Outcome::Event { event, error } => Decoded::Event {
                event,
                problem: error.map(|e| e.to_string()),
            },
            Outcome::Directive | Outcome::Dropped(_) => Decoded::Skipped,
        }
    }
}

/// Builds the masker of a member.
pub fn masker(rules: &[MaskingRuleRow]) -> Result<Masker, BuildError> {
    Masker::new(mask_config(rules)).map_err(|e| BuildError::Mask(e.to_string()))
}
