//! Search over catalogue entries in Korean and English.
//!
//! Korean words take particles (`서버가`, `서버에`), so matching is by
//! substring of the normalised text, not by whole words: `서버` finds
//! both. Every query term must occur in the item (AND).

use crate::{Catalogs, Item};

/// An item that matched, with where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub catalog: String,
    pub item: String,
    /// Higher is better: matches in the id or title count more.
    pub score: u32,
}

fn normalise(s: &str) -> String {
    s.chars()
        .flat_map(char::to_lowercase)
        .filter(|c| !c.is_whitespace())
        .collect()
}

fn fields(i: &Item) -> [(u32, String); 3] {
    let body: Vec<&str> = [
        i.text_ko.as_deref(),
        i.text_en.as_deref(),
        i.test_criterion_ko.as_deref(),
        i.test_criterion_en.as_deref(),
        i.note_en.as_deref(),
    ]
    .into_iter()
    .flatten()
    .chain(i.evidence_ko.iter().map(String::as_str))
    .chain(i.evidence_en.iter().map(String::as_str))
    .chain(i.standards.iter().map(String::as_str))
    .chain(i.test_method_ko.iter().map(String::as_str))
    .chain(i.test_method_en.iter().map(String::as_str))
    .collect();
    [
        (8, normalise(&i.id)),
        (4, normalise(&format!("{} {}", i.title_ko, i.title_en))),
        (1, normalise(&body.join(" "))),
    ]
}

impl Catalogs {
    /// Items of every catalogue (or of `only`) matching all terms of
    /// `query`, best first.
    pub fn search(&self, query: &str, only: Option<&str>) -> Vec<Hit> {
        let terms: Vec<String> = query
            .split_whitespace()
            .map(normalise)
            .filter(|t| !t.is_empty())
            .collect();
        if terms.is_empty() {
            return Vec::new();
        }
        let mut hits = Vec::new();
        for c in self
            .catalogs
            .iter()
            .filter(|c| only.is_none_or(|o| o == c.catalog.id))
        {
            for item in &c.item {
                let f = fields(item);
                let mut score = 0;
                let all = terms.iter().all(|t| {
                    let s: u32 = f
                        .iter()
                        .filter(|(_, text)| text.contains(t.as_str()))
                        .map(|(w, _)| *w)
                        .sum();
                    score += s;
                    s > 0
                });
                if all {
                    hits.push(Hit {
                        catalog: c.catalog.id.clone(),
                        item: item.id.clone(),
                        score,
                    });
                }
            }
        }
        hits.sort_by(|a, b| {
            b.score
                .cmp(&a.score)
                .then_with(|| a.catalog.cmp(&b.catalog))
        });
        hits
    }
}
