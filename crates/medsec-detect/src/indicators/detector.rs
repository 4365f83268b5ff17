//! Indicators as a [`Detector`]: one [`Hit`] per event and indicator
//! that matches, with the fields and values that matched.

use std::sync::Arc;

use medsec_logs::Event;

use super::{Indicator, IndicatorSet};
use crate::{Detector, FieldValue, Hit, HitKind};

/// The hit level of an indicator, from its STIX confidence (the STIX 2.1
/// "None / Low / Med / High" scale of its appendix A): 0 `informational`,
/// 1–29 `low`, 30–69 `medium`, 70–100 `high`; `medium` without a
/// confidence. A confidence says how sure the source is, not how bad the
/// activity is, so an indicator alone is never `critical`.
pub fn level_of(confidence: Option<u8>) -> &'static str {
    match confidence {
        None => "medium",
        Some(0) => "informational",
        Some(1..=29) => "low",
        Some(30..=69) => "medium",
        Some(_) => "high",
    }
}

/// Matches every event against a set of indicators.
#[derive(Clone, Debug)]
pub struct IndicatorDetector {
    set: Arc<IndicatorSet>,
    include_event: bool,
    at: Option<i64>,
}

impl IndicatorDetector {
    /// Judges each indicator's validity at the event's `event.ingested`
    /// (when medsec received it); `include_event` puts the event into each
    /// hit.
    pub fn new(set: Arc<IndicatorSet>, include_event: bool) -> IndicatorDetector {
        IndicatorDetector {
            set,
            include_event,
            at: None,
        }
    }

    /// Judges validity at this fixed time (milliseconds since the epoch)
    /// instead: a retro-hunt asks about today's indicators in old logs.
    pub fn judged_at(mut self, at_ms: Option<i64>) -> IndicatorDetector {
        self.at = at_ms;
        self
    }

    pub fn set(&self) -> &IndicatorSet {
        &self.set
    }
}

impl Detector for IndicatorDetector {
    fn detect(&mut self, event: &Event, out: &mut Vec<Hit>) {
        let at = self
            .at
            .unwrap_or_else(|| event.received.div_euclid(1_000_000));
        let first = out.len();
        let mut found: Vec<(&Indicator, usize)> = Vec::new();
        self.set.for_each_match(event, at, |ind, field, value| {
            let fv = FieldValue {
                field: field.to_owned(),
                value: serde_json::Value::String(value.to_string()),
            };
            if let Some((_, at)) = found.iter().find(|(i, _)| std::ptr::eq(*i, ind)) {
                if let Some(hit) = out.get_mut(*at)
                    && !hit.matched.contains(&fv)
                {
                    hit.matched.push(fv);
                }
                return;
            }
            found.push((ind, out.len()));
            out.push(Hit {
                rule_id: Some(ind.id.clone()),
                title: format!(
                    "Indicator match: {} {} ({})",
                    ind.kind, ind.value, ind.source
                ),
                level: Some(level_of(ind.confidence).to_owned()),
                tags: ind.labels.clone(),
                attack: crate::attack_techniques(&ind.labels),
                kind: HitKind::Indicator,
                matched: vec![fv],
                group: Vec::new(),
                aggregated: None,
                timespan_secs: None,
                rule_file: None,
                rule_line: None,
                event_id: event.id.to_string(),
                event: None,
            });
        });
        if self.include_event && out.len() > first {
            let json = crate::view::event_json(event);
            for hit in out.iter_mut().skip(first) {
                hit.event = Some(json.clone());
            }
        }
    }
}
