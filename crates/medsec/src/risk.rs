//! `medsec risk init|update|check|rubric`: the cybersecurity risk register
//! (`medsec_assure::risk`, schema `medsec-risk-register/1`) offline, from
//! files, without a database or server.
//!
//! - `risk init PROFILE -o REGISTER` writes the first register of a device:
//!   one risk per threat of its threat model with the suggested controls,
//!   and with `--findings` one per open SBOM finding.
//! - `risk update PROFILE REGISTER` adds the risks of threats (and findings)
//!   that are new since, keeps every edit, and replaces the file atomically.
//! - `risk check REGISTER` validates and evaluates the register: one line
//!   per risk, then the residual risks that are not acceptable; exit status
//!   1 when the register is invalid or an unacceptable residual risk has no
//!   acceptance on record.
//! - `risk rubric ANSWERS.json` assesses the answers of the MITRE rubric
//!   questionnaire (what `/tools/rubric` downloads): the vector, score and
//!   severity, and per metric its value, the path of answers and the
//!   justification.
//!
//! Register files are TOML, or JSON when their name ends in `.json`.
//! Errors name the file, the entry and the field:
//! ``error: reg.toml: risk `R-TM-gateway-S`.exploitability.vector: …``.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use clap::{Args, Subcommand};
use medsec_assure::Register;
use medsec_assure::evidence::SbomFinding;
use medsec_assure::evidence::sbom::{SbomComponent, read_findings};
use medsec_assure::profile::Format;
use medsec_assure::risk::{HarmBasis, RiskLevel};
use medsec_assure::rubric::Answers;

use crate::threat::{Lang, catalogs, model_of, read, write_stdout};

#[derive(Subcommand)]
pub enum RiskCommand {
    /// Writes the first risk register of a device profile: one risk per
    /// threat of its threat model (R-<threat id>), the controls the KISA
    /// threats suggest (all planned), harm from the data each threat
    /// touches, and an exploitability estimate from exposure.
    Init(InitArgs),
    /// Adds the risks of threats (and, with --findings, SBOM findings)
    /// the register lacks; the register's own risks, controls and edits
    /// stay as they are. The file is replaced atomically; prints the ids
    /// added, one per line.
    Update(UpdateArgs),
    /// Validates a register and prints each risk's level before and after
    /// controls (`ID<TAB>before LEVEL (EXPLOITABILITY × SEVERITY)<TAB>after
    /// LEVEL (…)<TAB>STATE`), then the residual risks that are not
    /// acceptable. Exit status 1 if the register is invalid or an
    /// unacceptable residual risk has no acceptance on record.
    Check(CheckArgs),
    /// Assesses MITRE rubric answers (JSON: {"answers": {KEY: CHOICE},
    /// "justifications": {METRIC: TEXT}}): the CVSS:3.1 vector, base
    /// score and severity, then per metric its value, the path of
    /// answers that led to it and the justification.
    Rubric(RubricArgs),
}

#[derive(Args)]
pub struct InitArgs {
    /// The device profile (TOML, or JSON when named `.json`).
    #[arg(value_name = "PROFILE")]
    profile: PathBuf,
    /// SBOM findings: a JSON array of findings as the sustain part hands
    /// them over (`medsec_assure::evidence::SbomFinding`), or what
    /// `medsec sbom scan --format json` writes.
    #[arg(long, value_name = "FILE")]
    findings: Option<PathBuf>,
    /// The register to write (TOML, or JSON when named `.json`).
    #[arg(short, long, value_name = "REGISTER")]
    output: PathBuf,
    /// Replace an existing file.
    #[arg(long)]
    force: bool,
}

#[derive(Args)]
pub struct UpdateArgs {
    #[arg(value_name = "PROFILE")]
    profile: PathBuf,
    #[arg(value_name = "REGISTER")]
    register: PathBuf,
    /// SBOM findings to add as risks (see `risk init --findings`).
    #[arg(long, value_name = "FILE")]
    findings: Option<PathBuf>,
}

#[derive(Args)]
pub struct CheckArgs {
    #[arg(value_name = "REGISTER")]
    register: PathBuf,
    /// Print the evaluations as a JSON array instead.
    #[arg(long)]
    json: bool,
    /// Language of the level names.
    #[arg(long, value_enum, default_value = "ko")]
    lang: Lang,
}

#[derive(Args)]
pub struct RubricArgs {
    /// The answers as JSON (`-` reads standard input).
    #[arg(value_name = "ANSWERS")]
    answers: PathBuf,
    /// Print the assessment as JSON instead.
    #[arg(long)]
    json: bool,
    #[arg(long, value_enum, default_value = "ko")]
    lang: Lang,
}

pub fn run(cmd: RiskCommand) -> Result<ExitCode> {
    match cmd {
        RiskCommand::Init(args) => init(args),
        RiskCommand::Update(args) => update(args),
        RiskCommand::Check(args) => check(args),
        RiskCommand::Rubric(args) => rubric(args),
    }
}

fn format_of(path: &Path) -> Format {
    Format::from_path(&path.to_string_lossy())
}

/// Reads SBOM findings: medsec's hand-over array, or a `medsec sbom scan
/// --format json` document.
fn findings(path: &Path) -> Result<Vec<SbomFinding>> {
    let text = read(path)?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| anyhow!("{}: not JSON: {e}", path.display()))?;
    if value.is_array() {
        return read_findings(&text).map_err(|e| anyhow!("{}: {e}", path.display()));
    }
    let Some(list) = value.get("findings").and_then(|f| f.as_array()) else {
        bail!(
            "{}: expected a JSON array of findings or the output of `medsec sbom scan --format json` (an object with `findings`)",
            path.display()
        );
    };
    let mut out = Vec::new();
    for (n, f) in list.iter().enumerate() {
        let field = |name: &str| -> Result<&str> {
            f.pointer(name).and_then(|v| v.as_str()).ok_or_else(|| {
                anyhow!(
                    "{}: /findings/{n}{name}: missing or not a string",
                    path.display()
                )
            })
        };
        let strings = |name: &str| -> Vec<String> {
            f.get(name)
                .and_then(|v| v.as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default()
        };
        let text = |name: &str| f.pointer(name).and_then(|v| v.as_str()).map(str::to_owned);
        // RustSec's unmaintained and unsound warnings are not
        // vulnerabilities; the scan's gate leaves them out too.
        if f.get("informational").is_some_and(|v| !v.is_null()) {
            continue;
        }
        let finding = SbomFinding {
            component: SbomComponent {
                name: field("/component/name")?.to_owned(),
                version: text("/component/version"),
                purl: text("/component/purl"),
            },
            vulnerability: field("/id")?.to_owned(),
            aliases: strings("aliases"),
            summary: text("/summary").unwrap_or_default(),
            cvss: text("/cvss/vector"),
            cwe: Vec::new(),
            kev: f.get("kev").is_some_and(|v| !v.is_null()),
            vex: None,
        };
        finding.check().map_err(|(field, message)| {
            anyhow!("{}: /findings/{n}: {field}: {message}", path.display())
        })?;
        out.push(finding);
    }
    Ok(out)
}

fn serialise(register: &Register, path: &Path) -> Result<String> {
    let text = match format_of(path) {
        Format::Json => register.to_json().map(|mut s| {
            s.push('\n');
            s
        }),
        Format::Toml => register.to_toml(),
    };
    text.map_err(|e| anyhow!("{}: {e}", path.display()))
}

/// Writes `text` to `path` through a temporary file in the same directory
/// and a rename, so a reader never sees half a register.
fn write_atomically(path: &Path, text: &str) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| anyhow!("{}: not a file name", path.display()))?;
    let tmp = dir.join(format!(".{}.partial", name.to_string_lossy()));
    let result = (|| -> std::io::Result<()> {
        use std::io::Write;
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("writing {}", path.display()));
    }
    Ok(())
}

fn init(args: InitArgs) -> Result<ExitCode> {
    if args.output.exists() && !args.force {
        bail!(
            "{} exists; use `medsec risk update` to add new threats to it, or --force to replace it",
            args.output.display()
        );
    }
    let (profile, model) = model_of(&args.profile)?;
    let basis = HarmBasis::of(&profile);
    let mut register = Register::from_threat_model(&model, &basis, catalogs()?);
    if let Some(path) = &args.findings {
        register.add_sbom_findings(&findings(path)?, &basis);
    }
    let text = serialise(&register, &args.output)?;
    write_atomically(&args.output, &text)?;
    eprintln!(
        "{}: {} risks, {} controls",
        args.output.display(),
        register.risks.len(),
        register.controls.len()
    );
    Ok(ExitCode::SUCCESS)
}

fn load(path: &Path) -> Result<Register> {
    let text = read(path)?;
    Register::parse(&text, format_of(path), catalogs()?)
        .map_err(|e| anyhow!("{}: {e}", path.display()))
}

fn update(args: UpdateArgs) -> Result<ExitCode> {
    let mut register = load(&args.register)?;
    let (profile, model) = model_of(&args.profile)?;
    let basis = HarmBasis::of(&profile);
    let mut added = register.add_threats(&model, &basis, catalogs()?);
    if let Some(path) = &args.findings {
        added.extend(register.add_sbom_findings(&findings(path)?, &basis));
    }
    if !added.is_empty() {
        let text = serialise(&register, &args.register)?;
        write_atomically(&args.register, &text)?;
    }
    let mut out = String::new();
    for id in &added {
        out.push_str(id);
        out.push('\n');
    }
    write_stdout(&out)?;
    eprintln!(
        "{}: {} risks added, {} in all",
        args.register.display(),
        added.len(),
        register.risks.len()
    );
    Ok(ExitCode::SUCCESS)
}

fn level_name(lang: Lang, level: RiskLevel) -> &'static str {
    lang.of(level.ko(), level.as_str())
}

fn check(args: CheckArgs) -> Result<ExitCode> {
    use std::fmt::Write;
    let register = load(&args.register)?;
    let evaluations = register
        .evaluate()
        .map_err(|e| anyhow!("{}: {e}", args.register.display()))?;
    let unacceptable: Vec<&medsec_assure::risk::Evaluation> = evaluations
        .iter()
        .filter(|e| e.residual == RiskLevel::Unacceptable && !e.accepted)
        .collect();
    let mut s = String::new();
    if args.json {
        s = serde_json::to_string_pretty(&evaluations)?;
        s.push('\n');
    } else {
        let lang = args.lang;
        for e in &evaluations {
            let state = if e.accepted {
                lang.of("수용됨", "accepted")
            } else if e.needs_acceptance {
                lang.of("수용 필요", "needs acceptance")
            } else {
                lang.of("수용 가능", "acceptable")
            };
            let _ = writeln!(
                s,
                "{}\t{} {} ({} × {})\t{} {} ({} × {})\t{state}",
                e.risk,
                lang.of("통제 전", "before"),
                level_name(lang, e.before),
                lang.of(e.exploitability.ko(), e.exploitability.as_str()),
                lang.of(e.severity.ko(), e.severity.as_str()),
                lang.of("통제 후", "after"),
                level_name(lang, e.residual),
                lang.of(
                    e.residual_exploitability.ko(),
                    e.residual_exploitability.as_str()
                ),
                lang.of(e.residual_severity.ko(), e.residual_severity.as_str()),
            );
        }
        let _ = writeln!(
            s,
            "{}: {}, {}: {}",
            lang.of("위험", "risks"),
            evaluations.len(),
            lang.of(
                "수용 불가 잔여위험(미수용)",
                "unacceptable residual risks not accepted"
            ),
            unacceptable.len()
        );
        for e in &unacceptable {
            let title = register
                .risk(&e.risk)
                .map(|r| lang.pick(&r.title).to_owned())
                .unwrap_or_default();
            let _ = writeln!(
                s,
                "{}: {}  {title}",
                lang.of("수용 불가", "unacceptable"),
                e.risk
            );
        }
    }
    write_stdout(&s)?;
    Ok(if unacceptable.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn rubric(args: RubricArgs) -> Result<ExitCode> {
    use std::fmt::Write;
    let name = args.answers.display().to_string();
    let text = if args.answers.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin()).context("reading standard input")?
    } else {
        read(&args.answers)?
    };
    let answers: Answers = serde_json::from_str(&text).map_err(|e| anyhow!("{name}: {e}"))?;
    let a = answers.assess().map_err(|e| anyhow!("{name}: {e}"))?;
    let lang = args.lang;
    let mut s = String::new();
    if args.json {
        s = serde_json::to_string_pretty(&a)?;
        s.push('\n');
    } else {
        let _ = writeln!(s, "{}  {:.1} {}", a.vector, a.base_score, a.severity);
        for m in &a.metrics {
            let _ = writeln!(
                s,
                "{}  {}: {} ({})",
                m.metric.abbrev(),
                lang.of(m.metric.name().ko, m.metric.name().en),
                m.value,
                lang.pick(&m.value_name)
            );
            for step in &m.steps {
                let _ = write!(
                    s,
                    "  {} {}  {}: {}",
                    step.key,
                    step.label,
                    lang.pick(&step.question),
                    lang.pick(&step.answer_text)
                );
                if let Some(v) = &step.value {
                    let _ = write!(s, " -> {v}");
                }
                s.push('\n');
            }
            let _ = writeln!(
                s,
                "  {}: {}",
                lang.of("근거", "justification"),
                if m.justification.trim().is_empty() {
                    lang.of("(없음)", "(none)")
                } else {
                    m.justification.as_str()
                }
            );
        }
        if !a.unused.is_empty() {
            let _ = writeln!(
                s,
                "{}: {}",
                lang.of(
                    "경로 밖의 답변(반영 안 됨)",
                    "answers off the path (not counted)"
                ),
                a.unused.join(", ")
            );
        }
    }
    write_stdout(&s)?;
    Ok(ExitCode::SUCCESS)
}
