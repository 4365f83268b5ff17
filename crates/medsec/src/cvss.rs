//! `medsec cvss VECTOR…`: CVSS v2.0, v3.0, v3.1 and v4.0 vectors scored
//! offline by `medsec-cvss`, one line (or one JSON object) per vector on
//! standard output; an invalid vector is reported on standard error with
//! the metric at fault, the others are still printed, and the exit status
//! is then 1.
//!
//! A line gives the version, the score and severity of each metric group
//! the vector defines, and the normalised vector:
//!
//! ```text
//! 3.1  base 9.8 critical  temporal 8.8 high  environmental 7.6 high  CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C/MAV:L
//! 4.0  base 9.3 critical  threat 8.9 high  CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:P
//! ```

use std::io::{BufRead, BufWriter, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use medsec_cvss::{Score, Vector};

#[derive(Args)]
pub struct CvssArgs {
    /// Print one JSON object per vector, one per line: `vector` (as
    /// given), `version` (`2.0`, `3.0`, `3.1`, `4.0`), `normalized` (the
    /// metrics in the specification's order, Not Defined ones left out),
    /// `base`, and `temporal` (v2, v3.x), `threat` (v4.0: CVSS-BT) and
    /// `environmental` (v4.0: CVSS-BE or CVSS-BTE) when the vector
    /// defines such metrics, each `{"score": 9.8, "severity":
    /// "critical"}`; for v4.0 also `nomenclature` (`CVSS-BTE`, …), the
    /// name of the whole vector's score.
    #[arg(long)]
    json: bool,
    /// Vectors: `CVSS:3.1/AV:N/…`, `CVSS:3.0/…`, `CVSS:4.0/…`, or a v2
    /// vector, which has no prefix (`AV:N/AC:L/Au:N/C:P/I:P/A:P`). `-`
    /// reads vectors from standard input, one per line (blank lines are
    /// skipped).
    #[arg(required = true, value_name = "VECTOR")]
    vectors: Vec<String>,
}

/// A score with its severity, as printed in JSON.
#[derive(serde::Serialize)]
struct Rated {
    score: Score,
    severity: medsec_cvss::Severity,
}

/// One vector, as printed in JSON (see `CvssArgs::json`).
#[derive(serde::Serialize)]
struct Report<'a> {
    vector: &'a str,
    version: medsec_cvss::Version,
    normalized: String,
    base: Rated,
    #[serde(skip_serializing_if = "Option::is_none")]
    temporal: Option<Rated>,
    #[serde(skip_serializing_if = "Option::is_none")]
    threat: Option<Rated>,
    #[serde(skip_serializing_if = "Option::is_none")]
    environmental: Option<Rated>,
    #[serde(skip_serializing_if = "Option::is_none")]
    nomenclature: Option<&'static str>,
}

pub fn run(args: CvssArgs) -> Result<ExitCode> {
    let mut out = BufWriter::new(std::io::stdout().lock());
    let mut invalid = 0_usize;
    for arg in &args.vectors {
        if arg == "-" {
            for line in std::io::stdin().lock().lines() {
                let line = line.context("cannot read standard input")?;
                let vector = line.trim();
                if !vector.is_empty() {
                    invalid += usize::from(!print(&mut out, vector, args.json)?);
                }
            }
        } else {
            invalid += usize::from(!print(&mut out, arg, args.json)?);
        }
    }
    out.flush()?;
    Ok(if invalid == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Prints one vector's line, or its error on standard error; whether it
/// was valid.
fn print(out: &mut impl Write, vector: &str, json: bool) -> Result<bool> {
    let v = match Vector::parse(vector) {
        Ok(v) => v,
        Err(e) => {
            // Keep the order of the output when both go to a terminal.
            out.flush()?;
            eprintln!("error: {vector}: {e}");
            return Ok(false);
        }
    };
    let scores = v.scores();
    let rated = |score: Score| Rated {
        score,
        severity: v.severity(score),
    };
    let groups = [
        ("base", Some(scores.base)),
        ("temporal", scores.temporal),
        ("threat", scores.threat),
        ("environmental", scores.environmental),
    ];
    if json {
        let report = Report {
            vector,
            version: v.version(),
            normalized: v.to_string(),
            base: rated(scores.base),
            temporal: scores.temporal.map(rated),
            threat: scores.threat.map(rated),
            environmental: scores.environmental.map(rated),
            nomenclature: match v {
                Vector::V4(v4) => Some(v4.nomenclature()),
                _ => None,
            },
        };
        serde_json::to_writer(&mut *out, &report)?;
        writeln!(out)?;
    } else {
        write!(out, "{}", v.version())?;
        for (name, score) in groups {
            if let Some(score) = score {
                write!(out, "  {name} {score} {}", v.severity(score))?;
            }
        }
        writeln!(out, "  {v}")?;
    }
    Ok(true)
}
