//! `medsec sigma check` and `medsec hunt`: Sigma rules on the command
//! line, without a server or a database, like other Sigma hunters: check
//! that a rule tree loads (and why what does not), and run rules over log
//! files in any format medsec reads, printing the hits as NDJSON.

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use medsec_detect::{Detector, Hit, Options, RuleSet, SigmaDetector};
use medsec_logs::normalize::{Format, Outcome, SourceConfig};

use crate::progress::Progress;

#[derive(Subcommand)]
pub enum SigmaCommand {
    /// Load Sigma rules and report every one that cannot be used, with
    /// file, line and reason (exit status 1 if any). Directories are
    /// read recursively (`.yml`, `.yaml`).
    Check(CheckArgs),
}

#[derive(Args)]
pub struct CheckArgs {
    /// Processing pipelines (pySigma YAML) applied to every rule first.
    #[arg(long = "pipeline", value_name = "FILE")]
    pipelines: Vec<PathBuf>,
    /// Print the report as one JSON object.
    #[arg(long)]
    json: bool,
    /// Rule files and directories.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
}

#[derive(Args)]
pub struct HuntArgs {
    /// Rule files and directories (repeatable).
    #[arg(long = "rules", required = true, value_name = "PATH")]
    rules: Vec<PathBuf>,
    /// Processing pipelines (pySigma YAML) applied to every rule first.
    #[arg(long = "pipeline", value_name = "FILE")]
    pipelines: Vec<PathBuf>,
    /// The files' format: auto, rfc5424, rfc3164, cef, leef, json, nginx,
    /// apache, iis, suricata, fortigate, kv, paloalto, windows-json.
    #[arg(long, default_value = "auto")]
    format: String,
    /// Evaluate every rule on every event, whatever its log source (as
    /// rsigma and SQL backends do); by default a rule whose log source
    /// contradicts what an event certainly is (a Windows rule on a Linux
    /// authentication log) is left out for that event.
    #[arg(long)]
    all_rules: bool,
    /// Leave the event out of the printed hits.
    #[arg(long)]
    no_event: bool,
    /// Log files (`.gz` read compressed; `-` for standard input).
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
}

fn load(paths: &[PathBuf], pipelines: &[PathBuf]) -> Result<RuleSet> {
    let pipelines = pipelines
        .iter()
        .map(|p| medsec_detect::load_pipeline(p))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(RuleSet::load(paths, pipelines)?)
}

/// Loads the rules (failures to standard error, as warnings) into a
/// detector; says on standard error what it holds.
pub fn detector(
    rules: &[PathBuf],
    pipelines: &[PathBuf],
    all_rules: bool,
    include_event: bool,
) -> Result<SigmaDetector> {
    let started = Instant::now();
    let set = load(rules, pipelines)?;
    let mut err = std::io::stderr().lock();
    for f in &set.failures {
        writeln!(err, "warning: rule not loaded: {f}")?;
    }
    let detector = SigmaDetector::new(
        &set,
        Options {
            logsource_routing: !all_rules,
            include_event,
        },
    )?;
    let (rules, correlations, filters) = detector.counts();
    writeln!(
        err,
        "{rules} detection rules, {correlations} correlation rules, {filters} filters ({} not loaded) in {:.2} s",
        set.failures.len(),
        started.elapsed().as_secs_f64()
    )?;
    Ok(detector)
}

pub fn run_sigma(cmd: SigmaCommand) -> Result<ExitCode> {
    match cmd {
        SigmaCommand::Check(args) => check(args),
    }
}

fn check(args: CheckArgs) -> Result<ExitCode> {
    let started = Instant::now();
    let set = load(&args.paths, &args.pipelines)?;
    let secs = started.elapsed().as_secs_f64();
    let mut out = std::io::stdout().lock();
    if args.json {
        let report = serde_json::json!({
            "files": set.files,
            "rules": set.rules.len(),
            "correlations": set.correlations.len(),
            "filters": set.filters.len(),
            "failed": set.failures,
            "warnings": set.warnings,
            "seconds": secs,
        });
        writeln!(out, "{report}")?;
    } else {
        for f in &set.failures {
            writeln!(out, "error: {f}")?;
        }
        for w in &set.warnings {
            writeln!(out, "warning: {w}")?;
        }
        writeln!(
            out,
            "{} files: {} detection rules, {} correlation rules and {} filters loaded; {} failed; {} warnings ({secs:.2} s)",
            set.files,
            set.rules.len(),
            set.correlations.len(),
            set.filters.len(),
            set.failures.len(),
            set.warnings.len(),
        )?;
    }
    Ok(if set.failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// A hit as `medsec hunt` prints it: where the event was read, then the
/// hit.
#[derive(serde::Serialize)]
struct Printed<'a> {
    file: &'a str,
    line: u64,
    #[serde(flatten)]
    hit: &'a Hit,
}

pub fn hunt(args: HuntArgs) -> Result<ExitCode> {
    let mut detector = detector(&args.rules, &args.pipelines, args.all_rules, !args.no_event)?;
    let mut err = std::io::stderr().lock();
    let format: Format = args
        .format
        .parse()
        .map_err(|_| anyhow::anyhow!("unknown format `{}`", args.format))?;
    let decoders = Arc::new(medsec_logs::Decoders::new());
    let masker = Arc::new(medsec_logs::Masker::disabled());
    let mut out = BufWriter::new(std::io::stdout().lock());
    let mut progress = Progress::new("hunt");
    let (mut events, mut lines, mut hits) = (0u64, 0u64, 0u64);
    let mut by_level: std::collections::BTreeMap<String, u64> = Default::default();
    let scan = Instant::now();
    let mut found = Vec::new();
    for file in &args.files {
        let name = file.display().to_string();
        let (reader, received): (Box<dyn BufRead>, i64) = if name == "-" {
            (Box::new(BufReader::new(std::io::stdin())), now_ns())
        } else {
            let f = std::fs::File::open(file).with_context(|| format!("opening {name}"))?;
            // Year-less syslog times take the year of the file's last change.
            let received = f
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or_else(now_ns, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
            let reader: Box<dyn BufRead> = if name.ends_with(".gz") {
                Box::new(BufReader::new(flate2::read::GzDecoder::new(f)))
            } else {
                Box::new(BufReader::with_capacity(256 * 1024, f))
            };
            (reader, received)
        };
        let config = SourceConfig::new("hunt", name.clone(), format.clone());
        let import = medsec_logs::import::Import::new(
            reader,
            config,
            decoders.clone(),
            masker.clone(),
            received,
        )
        .with_context(|| format!("reading {name}"))?;
        for item in import {
            let item = item.with_context(|| format!("reading {name} after line {lines}"))?;
            lines += 1;
            let Outcome::Event { event, .. } = item.outcome else {
                continue;
            };
            events += 1;
            detector.detect(&event, &mut found);
            for hit in found.drain(..) {
                hits += 1;
                *by_level
                    .entry(hit.level.clone().unwrap_or_else(|| "none".into()))
                    .or_default() += 1;
                serde_json::to_writer(
                    &mut out,
                    &Printed {
                        file: &name,
                        line: item.line,
                        hit: &hit,
                    },
                )?;
                out.write_all(b"\n")?;
            }
            if events % 4096 == 0 {
                progress.step(&name, item.line);
            }
        }
    }
    out.flush()?;
    progress.finish();
    let secs = scan.elapsed().as_secs_f64();
    let levels: Vec<String> = by_level.iter().map(|(l, n)| format!("{l} {n}")).collect();
    writeln!(
        err,
        "{} files, {lines} lines, {events} events, {hits} hits ({}) in {secs:.2} s ({:.0} events/s)",
        args.files.len(),
        if levels.is_empty() {
            "none".to_owned()
        } else {
            levels.join(", ")
        },
        events as f64 / secs.max(1e-9)
    )?;
    Ok(ExitCode::SUCCESS)
}

fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}
