//! Where `rsigma-eval` 0.23 departs from the Sigma specification and
//! pySigma (the reference implementation), rules are rewritten before
//! they are compiled, into forms it evaluates as specified.
//!
//! - `base64offset`: rsigma keeps the last base64 character of each
//!   offset variant, which depends on the bytes that follow the value, so
//!   `CommandLine|base64offset|contains: 'http://'` misses
//!   `aHR0cDovL3g=` (base64 of `http://x`). pySigma drops the characters
//!   the neighbouring bytes influence at both ends (`start_offsets = (0,
//!   2, 3)`, `end_offsets = (None, -3, -2)`); the values are expanded here
//!   the same way into plain `contains` values (after `wide`, `utf16le`,
//!   `utf16be` or `utf16` encoding, as the modifiers ask).
//! - `temporal` and `temporal_ordered` without a `condition`: the
//!   specification says all the referenced rules must match within the
//!   timespan; rsigma's parser fills in `gte: 1`, so a `temporal` rule
//!   fires on the first event of any one rule. The default is set to the
//!   number of rules, as pySigma does. (An explicit `gte: 1` cannot be
//!   told from the default and is read the same way.)
//!
//! And one addition of medsec's own: every correlation is grouped by the
//! event's member as well, so that one hospital's events never complete
//! another's correlation.

use rsigma_parser::{
    ConditionOperator, CorrelationCondition, CorrelationRule, CorrelationType, Detection,
    DetectionItem, Detections, Modifier, SigmaString, SigmaValue,
};

/// Groups every correlation by member too ([`crate::view::MEMBER_FIELD`]),
/// so that events of different hospitals never add up to one member's
/// alert; and gives a temporal correlation without a condition the
/// specified one.
pub(crate) fn rewrite_correlation(c: &mut CorrelationRule) {
    if !c.group_by.iter().any(|g| g == crate::view::MEMBER_FIELD) {
        c.group_by.push(crate::view::MEMBER_FIELD.to_owned());
    }
    if !matches!(
        c.correlation_type,
        CorrelationType::Temporal | CorrelationType::TemporalOrdered
    ) {
        return;
    }
    if let CorrelationCondition::Threshold {
        predicates,
        field: None,
        ..
    } = &mut c.condition
        && predicates.as_slice() == [(ConditionOperator::Gte, 1)]
    {
        predicates[0].1 = c.rules.len() as u64;
    }
}

/// Applies every rewrite to a rule's (or filter's) detections.
pub(crate) fn rewrite(detections: &mut Detections) {
    for d in detections.named.values_mut() {
        rewrite_detection(d);
    }
}

fn rewrite_detection(d: &mut Detection) {
    match d {
        Detection::AllOf(items) => items.iter_mut().for_each(rewrite_item),
        Detection::AnyOf(ds) | Detection::And(ds) => ds.iter_mut().for_each(rewrite_detection),
        Detection::ArrayMatch { body, .. } => rewrite_detection(body),
        Detection::Conditional { named, .. } => named.values_mut().for_each(rewrite_detection),
        Detection::Keywords(_) => {}
    }
}

fn rewrite_item(item: &mut DetectionItem) {
    let m = &item.field.modifiers;
    if !m.contains(&Modifier::Base64Offset) {
        return;
    }
    // Only plain strings can be encoded; anything else is left for the
    // compiler to refuse with its own message.
    let Some(plain) = item
        .values
        .iter()
        .map(|v| match v {
            SigmaValue::String(s) => s.as_plain(),
            _ => None,
        })
        .collect::<Option<Vec<String>>>()
    else {
        return;
    };
    let wide = m.contains(&Modifier::Wide);
    let utf16be = m.contains(&Modifier::Utf16be);
    let utf16 = m.contains(&Modifier::Utf16);
    let mut values = Vec::new();
    for p in plain {
        let bytes = if wide {
            utf16_bytes(&p, false)
        } else if utf16be {
            utf16_bytes(&p, true)
        } else if utf16 {
            let mut b = vec![0xFF, 0xFE];
            b.extend(utf16_bytes(&p, false));
            b
        } else {
            p.into_bytes()
        };
        for v in offset_variants(&bytes) {
            if !values.contains(&v) {
                values.push(v);
            }
        }
    }
    item.values = values
        .iter()
        .map(|v| SigmaValue::String(SigmaString::from_raw(v)))
        .collect();
    item.field.modifiers.retain(|m| {
        !matches!(
            m,
            Modifier::Base64Offset | Modifier::Wide | Modifier::Utf16be | Modifier::Utf16
        )
    });
    if !item.field.modifiers.contains(&Modifier::Contains) {
        item.field.modifiers.insert(0, Modifier::Contains);
    }
}

fn utf16_bytes(s: &str, big_endian: bool) -> Vec<u8> {
    s.encode_utf16()
        .flat_map(|u| {
            if big_endian {
                u.to_be_bytes()
            } else {
                u.to_le_bytes()
            }
        })
        .collect()
}

/// pySigma's `base64offset`: the three alignments of `value` in a base64
/// stream, without the characters that depend on the bytes around it.
pub(crate) fn offset_variants(value: &[u8]) -> Vec<String> {
    const START: [usize; 3] = [0, 2, 3];
    const END: [usize; 3] = [0, 3, 2];
    let mut out = Vec::with_capacity(3);
    for i in 0..3 {
        let mut padded = vec![b' '; i];
        padded.extend_from_slice(value);
        let encoded = data_encoding::BASE64.encode(&padded);
        let end = encoded.len().saturating_sub(END[(value.len() + i) % 3]);
        if let Some(v) = encoded.get(START[i]..end)
            && !v.is_empty()
        {
            out.push(v.to_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_match_pysigma() {
        // pySigma: SigmaBase64OffsetModifier on "http://"
        assert_eq!(
            offset_variants(b"http://"),
            ["aHR0cDovL", "h0dHA6Ly", "odHRwOi8v"]
        );
        assert_eq!(offset_variants(b"abc"), ["YWJj", "FiY", "hYm"]);
    }
}
