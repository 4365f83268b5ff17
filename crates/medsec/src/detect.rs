//! `medsec sigma check` and `medsec hunt`: Sigma rules on the command
//! line, without a server or a database, like other Sigma hunters: check
//! that a rule tree loads (and why what does not), and run rules and
//! threat-intelligence indicators (STIX 2.1 or CSV, `--indicators`) over
//! log files in any format medsec reads, printing the hits as NDJSON. With
//! `--attack`, both read MITRE ATT&CK's bundles: `sigma check` warns of
//! tags that name no technique (or a deprecated or revoked one) and
//! `hunt` names each hit's techniques and tactics.

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use medsec_detect::attack::{self, Matrix, Problem, Tactic, TagWarning};
use medsec_detect::indicators::{self, IndicatorDetector, IndicatorSet};
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
    /// MITRE ATT&CK STIX bundles (a directory of `.json`/`.json.gz`
    /// bundles, or one file): warn of rules whose `attack.*` tags name no
    /// technique, tactic, group or software, or a deprecated or revoked
    /// one (warnings, not failures).
    #[arg(long, value_name = "DIR|FILE")]
    attack: Option<PathBuf>,
    /// Rule files and directories.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
}

#[derive(Args)]
pub struct HuntArgs {
    /// Rule files and directories (repeatable).
    #[arg(
        long = "rules",
        value_name = "PATH",
        required_unless_present = "indicators"
    )]
    rules: Vec<PathBuf>,
    /// Threat-intelligence indicators (repeatable): STIX 2.1 JSON (a
    /// bundle, an object or an array) or CSV (`type,value[,source]
    /// [,valid_until][,description]`), told apart by their content; the
    /// file's name is their source. Indicators are judged valid at the
    /// time the hunt runs (today's indicators over old logs).
    #[arg(long = "indicators", value_name = "FILE")]
    indicators: Vec<PathBuf>,
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
    /// MITRE ATT&CK STIX bundles (a directory or one file): each hit gets
    /// `attack_techniques`, its techniques with name, domain and tactics.
    #[arg(long, value_name = "DIR|FILE")]
    attack: Option<PathBuf>,
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
    detector_of(&set, started, all_rules, include_event)
}

/// [`detector`] of rules already loaded at `started`.
fn detector_of(
    set: &RuleSet,
    started: Instant,
    all_rules: bool,
    include_event: bool,
) -> Result<SigmaDetector> {
    let mut err = std::io::stderr().lock();
    for f in &set.failures {
        writeln!(err, "warning: rule not loaded: {f}")?;
    }
    let detector = SigmaDetector::new(
        set,
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

/// Loads ATT&CK's bundles, saying on standard error what they hold.
fn load_attack(path: &std::path::Path) -> Result<Matrix> {
    let started = Instant::now();
    let matrix = attack::load_dir(path)
        .with_context(|| format!("loading MITRE ATT&CK from {}", path.display()))?;
    let mut err = std::io::stderr().lock();
    for d in matrix.diagnostics() {
        writeln!(err, "warning: ATT&CK: {d}")?;
    }
    let domains: Vec<String> = matrix
        .domains()
        .map(|d| {
            let n = matrix.techniques().filter(|t| t.domain == d).count();
            format!("{d} {n} techniques")
        })
        .collect();
    writeln!(
        err,
        "ATT&CK: {} ({} tactics, {} groups and software) in {:.2} s",
        domains.join(", "),
        matrix.tactics().count(),
        matrix.entities().count(),
        started.elapsed().as_secs_f64()
    )?;
    Ok(matrix)
}

/// The ATT&CK check of `sigma check --attack`: the warnings, each with
/// the line of its tag when the rule file shows it.
struct AttackReport {
    warnings: Vec<TagWarning>,
    tags: usize,
}

impl AttackReport {
    fn new(set: &RuleSet, matrix: &Matrix) -> AttackReport {
        let mut warnings = attack::check_tags(set, matrix);
        let mut texts: std::collections::HashMap<PathBuf, Option<String>> = Default::default();
        for w in &mut warnings {
            let text = texts
                .entry(w.path.clone())
                .or_insert_with(|| std::fs::read_to_string(&w.path).ok());
            if let Some(line) = text
                .as_deref()
                .and_then(|t| attack::tag_line(t, &w.tag, w.line))
            {
                w.line = Some(line);
            }
        }
        let tags = set
            .rules
            .iter()
            .map(|(r, _)| &r.tags)
            .chain(set.correlations.iter().map(|(c, _)| &c.tags))
            .map(|t| matrix.resolve_tags(t).len())
            .sum();
        AttackReport { warnings, tags }
    }

    fn count(&self, code: &str) -> usize {
        self.warnings
            .iter()
            .filter(|w| w.problem.code() == code)
            .count()
    }

    fn summary(&self) -> String {
        format!(
            "ATT&CK: {} tags checked; {} unknown, {} deprecated, {} revoked",
            self.tags,
            self.count("unknown"),
            self.count("deprecated"),
            self.count("revoked")
        )
    }

    fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "tags": self.tags,
            "unknown": self.count("unknown"),
            "deprecated": self.count("deprecated"),
            "revoked": self.count("revoked"),
            "warnings": self.warnings,
        })
    }
}

fn check(args: CheckArgs) -> Result<ExitCode> {
    let matrix = args.attack.as_deref().map(load_attack).transpose()?;
    let started = Instant::now();
    let set = load(&args.paths, &args.pipelines)?;
    let secs = started.elapsed().as_secs_f64();
    let report = matrix.as_ref().map(|m| AttackReport::new(&set, m));
    let mut out = std::io::stdout().lock();
    if args.json {
        let mut json = serde_json::json!({
            "files": set.files,
            "rules": set.rules.len(),
            "correlations": set.correlations.len(),
            "filters": set.filters.len(),
            "failed": set.failures,
            "warnings": set.warnings,
            "seconds": secs,
        });
        if let Some(r) = &report {
            json["attack"] = r.json();
        }
        writeln!(out, "{json}")?;
    } else {
        for f in &set.failures {
            writeln!(out, "error: {f}")?;
        }
        for w in &set.warnings {
            writeln!(out, "warning: {w}")?;
        }
        for w in report.iter().flat_map(|r| &r.warnings) {
            let at = match w.line {
                Some(n) => format!("{}:{n}", w.path.display()),
                None => w.path.display().to_string(),
            };
            writeln!(
                out,
                "warning: {at}: rule \"{}\": tag {} {}",
                w.rule, w.tag, w.message
            )?;
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
        if let Some(r) = &report {
            writeln!(out, "{}", r.summary())?;
        }
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
    /// With `--attack`: the techniques of the hit's tags that ATT&CK has.
    #[serde(skip_serializing_if = "Option::is_none")]
    attack_techniques: Option<Vec<PrintedTechnique<'a>>>,
}

/// A technique as `hunt` prints it.
#[derive(serde::Serialize)]
struct PrintedTechnique<'a> {
    id: &'a str,
    name: &'a str,
    domain: attack::Domain,
    tactics: &'a [Tactic],
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    deprecated: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    revoked: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    revoked_by: Option<&'a str>,
}

fn printed_techniques<'a>(matrix: &'a Matrix, hit: &Hit) -> Vec<PrintedTechnique<'a>> {
    hit.attack
        .iter()
        .filter_map(|id| matrix.technique(id))
        .map(|t| PrintedTechnique {
            id: &t.id,
            name: &t.name,
            domain: t.domain,
            tactics: &t.tactics,
            deprecated: t.deprecated,
            revoked: t.revoked,
            revoked_by: t.revoked_by.as_deref(),
        })
        .collect()
}

pub fn hunt(args: HuntArgs) -> Result<ExitCode> {
    let matrix = args.attack.as_deref().map(load_attack).transpose()?;
    let started = Instant::now();
    let set = load(&args.rules, &args.pipelines)?;
    if let Some(m) = &matrix {
        warn_attack_tags(&set, m)?;
    }
    let mut detectors: Vec<Box<dyn Detector>> = Vec::new();
    if !args.rules.is_empty() {
        let sigma = detector_of(&set, started, args.all_rules, !args.no_event)?;
        detectors.push(Box::new(sigma));
    }
    drop(set);
    if !args.indicators.is_empty() {
        detectors.push(Box::new(indicator_detector(
            &args.indicators,
            !args.no_event,
        )?));
    }
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
            for d in &mut detectors {
                d.detect(&event, &mut found);
            }
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
                        attack_techniques: matrix.as_ref().map(|m| printed_techniques(m, &hit)),
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

/// Says on standard error how many of the rules' ATT&CK tags name
/// nothing, or something deprecated or revoked (`sigma check --attack`
/// lists them).
fn warn_attack_tags(set: &RuleSet, matrix: &Matrix) -> Result<()> {
    let warnings = attack::check_tags(set, matrix);
    if warnings.is_empty() {
        return Ok(());
    }
    let n = |f: fn(&Problem) -> bool| warnings.iter().filter(|w| f(&w.problem)).count();
    writeln!(
        std::io::stderr().lock(),
        "warning: ATT&CK: {} rule tags name nothing or something withdrawn ({} unknown, {} deprecated, {} revoked); `medsec sigma check --attack` lists them",
        warnings.len(),
        n(|p| matches!(p, Problem::Unknown { .. })),
        n(|p| matches!(p, Problem::Deprecated { .. })),
        n(|p| matches!(p, Problem::Revoked { .. })),
    )?;
    Ok(())
}

/// Loads indicator files (STIX or CSV by content; everything skipped to
/// standard error, as warnings) into one detector that judges them at the
/// time the hunt runs.
pub fn indicator_detector(files: &[PathBuf], include_event: bool) -> Result<IndicatorDetector> {
    let started = Instant::now();
    let mut all = Vec::new();
    let mut skipped = 0;
    let mut err = std::io::stderr().lock();
    for file in files {
        let name = file.display().to_string();
        let bytes = std::fs::read(file).with_context(|| format!("reading {name}"))?;
        let source = file
            .file_name()
            .map_or_else(|| name.clone(), |n| n.to_string_lossy().into_owned());
        let parsed = indicators::read(&bytes, &source)
            .with_context(|| format!("reading indicators from {name}"))?;
        for s in &parsed.skipped {
            writeln!(err, "warning: {name}: {s}")?;
        }
        skipped += parsed.skipped.len();
        all.extend(parsed.indicators);
    }
    let set = IndicatorSet::build(all);
    let mut kinds: std::collections::BTreeMap<&str, usize> = Default::default();
    for i in set.indicators() {
        *kinds.entry(i.kind.as_str()).or_default() += 1;
    }
    let kinds: Vec<String> = kinds.iter().map(|(k, n)| format!("{k} {n}")).collect();
    writeln!(
        err,
        "{} indicators ({}) from {} files, {skipped} skipped, in {:.2} s",
        set.len(),
        if kinds.is_empty() {
            "none".to_owned()
        } else {
            kinds.join(", ")
        },
        files.len(),
        started.elapsed().as_secs_f64()
    )?;
    let now_ms = now_ns().div_euclid(1_000_000);
    Ok(IndicatorDetector::new(Arc::new(set), include_event).judged_at(Some(now_ms)))
}
