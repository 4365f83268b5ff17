//! FIRST EPSS scores (https://www.first.org/epss/data_stats): a CSV of
//! `cve,epss,percentile`, preceded by a comment line such as
//! `#model_version:v2025.03.14,score_date:2025-08-25T12:55:00Z`.
//! Each row becomes one record; its body is `epss,percentile` as written.

use std::io::Read;

use crate::feed::{Kind, Limits, Record, read_lines};
use crate::{Error, Result};

/// A CVE's EPSS probability and percentile, both from 0 to 1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Score {
    pub probability: f32,
    pub percentile: f32,
}

impl Score {
    /// Reads a record body (`0.00043,0.08250`).
    pub fn parse(body: &str) -> Option<Score> {
        let (p, q) = body.split_once(',')?;
        let probability: f32 = p.trim().parse().ok()?;
        let percentile: f32 = q.trim().parse().ok()?;
        ((0.0..=1.0).contains(&probability) && (0.0..=1.0).contains(&percentile)).then_some(Score {
            probability,
            percentile,
        })
    }
}

pub(crate) fn read(
    input: Box<dyn Read>,
    origin: &str,
    limits: Limits,
    each: &mut dyn FnMut(Record) -> Result<()>,
) -> Result<()> {
    let mut date = String::new();
    let mut header = false;
    read_lines(input, origin, limits, &mut |line, at| {
        if let Some(comment) = line.strip_prefix('#') {
            if let Some(d) = comment
                .split(',')
                .find_map(|kv| kv.trim().strip_prefix("score_date:"))
            {
                date = d.to_owned();
            }
            return Ok(());
        }
        if !header {
            if !line.starts_with("cve,epss,percentile") {
                return Err(Error::invalid(
                    at,
                    "expected the header cve,epss,percentile",
                ));
            }
            header = true;
            return Ok(());
        }
        let mut fields = line.split(',');
        let (Some(cve), Some(epss), Some(pct), None) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            return Err(Error::invalid(
                at,
                "expected three fields: cve,epss,percentile",
            ));
        };
        if !cve.starts_with("CVE-") {
            return Err(Error::invalid(at, format!("`{cve}` is not a CVE id")));
        }
        let body = format!("{epss},{pct}");
        if Score::parse(&body).is_none() {
            return Err(Error::invalid(
                at,
                format!("`{epss}` and `{pct}` must be numbers from 0 to 1"),
            ));
        }
        each(Record {
            kind: Kind::Epss,
            id: cve.to_owned(),
            modified: date.clone(),
            body,
            origin: at,
        })
    })
}
