//! NISTIR 7696 CPE name matching: each attribute of a source name is
//! compared with the target's (Table 6-2), and the name relations follow
//! from the eleven attribute relations (Table 6-4).
//!
//! Comparison works on the values lowercased at parse time and allocates
//! nothing, because a matcher runs it for every inventory component and
//! every candidate criterion.

use std::iter;

use crate::name::{Attribute, Cpe, Text, Value, Wildcard};

/// The set relation of a source attribute value to a target value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Relation {
    /// The source denotes the target's values and possibly more.
    Superset,
    /// The source denotes some of the target's values.
    Subset,
    Equal,
    Disjoint,
    /// The target has wildcards, which NISTIR 7696 leaves undefined.
    Undefined,
}

impl Relation {
    /// SUPERSET or EQUAL: every value the target denotes, the source does.
    pub fn covers(self) -> bool {
        matches!(self, Relation::Superset | Relation::Equal)
    }
}

/// The eleven attribute relations of a source name to a target name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Comparison {
    relations: [Relation; 11],
}

impl Comparison {
    pub fn relation(&self, attribute: Attribute) -> Relation {
        self.relations[attribute.index()]
    }

    /// The relations in the order of [`Attribute::ALL`].
    pub fn relations(&self) -> &[Relation; 11] {
        &self.relations
    }

    /// CPE_DISJOINT: some attribute is DISJOINT.
    pub fn is_disjoint(&self) -> bool {
        self.relations.contains(&Relation::Disjoint)
    }

    /// CPE_EQUAL: every attribute is EQUAL.
    pub fn is_equal(&self) -> bool {
        self.relations.iter().all(|r| *r == Relation::Equal)
    }

    /// CPE_SUBSET: every attribute is SUBSET or EQUAL.
    pub fn is_subset(&self) -> bool {
        self.relations
            .iter()
            .all(|r| matches!(r, Relation::Subset | Relation::Equal))
    }

    /// CPE_SUPERSET: every attribute is SUPERSET or EQUAL.
    pub fn is_superset(&self) -> bool {
        self.relations.iter().all(|r| r.covers())
    }
}

/// The attributes in the order [`Cpe::matches`] tries them: the product
/// and vendor first, because they differ for nearly every pair a matcher
/// tries, so most comparisons stop after one string comparison.
const MATCH_ORDER: [Attribute; 11] = [
    Attribute::Product,
    Attribute::Vendor,
    Attribute::Part,
    Attribute::Version,
    Attribute::Update,
    Attribute::Edition,
    Attribute::Language,
    Attribute::SwEdition,
    Attribute::TargetSw,
    Attribute::TargetHw,
    Attribute::Other,
];

impl Cpe {
    /// Compare_WFNs: the relation of each attribute of `self` (the source)
    /// to the same attribute of `target`.
    pub fn compare(&self, target: &Cpe) -> Comparison {
        let mut relations = [Relation::Equal; 11];
        for ((relation, source), target) in
            relations.iter_mut().zip(self.values()).zip(target.values())
        {
            *relation = compare(source, target);
        }
        Comparison { relations }
    }

    /// CPE_SUPERSET of `self`, an NVD criterion, over `target`, a
    /// component's name: the target is an instance of the criterion. Stops
    /// at the first attribute that is not SUPERSET or EQUAL.
    pub fn matches(&self, target: &Cpe) -> bool {
        self.matches_except(target, None)
    }

    /// [`Cpe::matches`] on every attribute but one (the version, when NVD
    /// bounds decide it instead).
    pub(crate) fn matches_except(&self, target: &Cpe, skip: Option<Attribute>) -> bool {
        MATCH_ORDER
            .iter()
            .filter(|a| Some(**a) != skip)
            .all(|a| compare(self.get(*a), target.get(*a)).covers())
    }
}

/// NISTIR 7696 `compare(source, target)` of two attribute values, Table
/// 6-2: lowercased literals, UNDEFINED when the target has wildcards.
pub fn compare(source: &Value, target: &Value) -> Relation {
    if let Value::Str(t) = target
        && t.has_wildcards()
    {
        return Relation::Undefined;
    }
    match (source, target) {
        (Value::Any, Value::Any) | (Value::Na, Value::Na) => Relation::Equal,
        (Value::Any, _) => Relation::Superset,
        (_, Value::Any) => Relation::Subset,
        (Value::Na, _) | (_, Value::Na) => Relation::Disjoint,
        (Value::Str(s), Value::Str(t)) => {
            if !s.has_wildcards() {
                if s.lowercase() == t.lowercase() {
                    Relation::Equal
                } else {
                    Relation::Disjoint
                }
            } else if wildcard_match(s, t.lowercase()) {
                Relation::Superset
            } else {
                Relation::Disjoint
            }
        }
    }
}

/// NISTIR 7696 `compareStrings` for a source with wildcards: the literal
/// must occur in the target with at most as many characters before and
/// after it as the wildcards allow (`*` any number, `?`×n up to n).
/// Counts characters, not bytes, so that non-ASCII text counts right.
fn wildcard_match(source: &Text, target: &str) -> bool {
    let body = source.lowercase();
    let allows = |w: Wildcard, n: usize| match w {
        Wildcard::None => n == 0,
        Wildcard::Many => true,
        Wildcard::UpTo(max) => u32::try_from(n).is_ok_and(|n| n <= max),
    };
    // Every character boundary of the target is a candidate start,
    // counted in characters for the prefix wildcard.
    let starts = target
        .char_indices()
        .map(|(i, _)| i)
        .chain(iter::once(target.len()));
    for (before, start) in starts.enumerate() {
        if !allows(source.prefix(), before) {
            // Later starts have even more characters before them.
            break;
        }
        let Some(rest) = target.get(start..) else {
            continue;
        };
        if let Some(after) = rest.strip_prefix(body)
            && allows(source.suffix(), after.chars().count())
        {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests;
