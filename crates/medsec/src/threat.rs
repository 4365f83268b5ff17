//! `medsec threat model|import-dragon`: a device's threat model offline,
//! from files, without a database or server.
//!
//! `threat model PROFILE` builds the model from a device profile
//! (`medsec_assure::ThreatModel::from_profile`) and prints it as a text
//! report organised by IMDRF N60's four questions (the default), as the
//! model's JSON, as an SVG data-flow diagram or as an OWASP Threat Dragon
//! v2 file. `threat import-dragon FILE` reads a Threat Dragon v2 file and
//! prints the model it holds as JSON or as the same report; a malformed
//! file is refused with the JSON pointer of what is wrong.
//!
//! The text report is stable, one item per line, indented by two spaces
//! per level:
//!
//! ```text
//! # 유헬스케어 게이트웨이 UHG-100 1.0.0
//! ## 1. 구축하는 모델은 무엇인가? (What are we working on?)
//! boundaries:
//!   hospital  병원 네트워크
//! elements:
//!   gateway  process  게이트웨이  [in 병원 네트워크]
//! flows:
//!   f-ecg  환자 모니터 -> 게이트웨이  BLE  data: 개인의료정보  encrypted: yes  authenticated: no  crosses: …
//! ## 2. 잠재적 문제는 무엇인가? (What can go wrong?)
//!   게이트웨이 (process)
//!     TM-gateway-S  S  High  Open  사용자 위장  KISA: T-01
//! ## 3. …
//!   kisa-dh:1.1.1  사용자 인증  TM-gateway-S, …
//! ## 4. …
//!   [ok] threats-for-every-element  …
//!   [FAIL] encryption-stated  …: f-usb
//! threats: 42, open: 42
//! ```

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};
use clap::{Args, Subcommand, ValueEnum};
use medsec_assure::ThreatModel;
use medsec_assure::profile::{Format, Profile};
use medsec_assure::threat::{Report, Text, dragon, svg};

#[derive(Subcommand)]
pub enum ThreatCommand {
    /// The threat model of a device profile (TOML or JSON): the report by
    /// IMDRF N60's four questions with every threat (`report`), the
    /// model as JSON (`json`), the data-flow diagram as SVG (`svg`) or an
    /// OWASP Threat Dragon v2 file (`dragon`), on standard output.
    Model(ModelArgs),
    /// Reads an OWASP Threat Dragon v2 file and prints its model as JSON
    /// (`json`, the default) or as the four-question report (`report`);
    /// a malformed file is refused naming the JSON pointer at fault.
    ImportDragon(ImportArgs),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ModelFormat {
    Report,
    Json,
    Svg,
    Dragon,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ImportFormat {
    Json,
    Report,
}

/// The language of text output.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum Lang {
    #[default]
    Ko,
    En,
}

impl Lang {
    pub fn pick(self, text: &Text) -> &str {
        match self {
            Lang::Ko => &text.ko,
            Lang::En => &text.en,
        }
    }

    pub fn of<'a>(self, ko: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Ko => ko,
            Lang::En => en,
        }
    }
}

#[derive(Args)]
pub struct ModelArgs {
    /// The device profile (`.json` is read as JSON, anything else as TOML).
    #[arg(value_name = "PROFILE")]
    pub profile: PathBuf,
    /// What to print.
    #[arg(long, value_enum, default_value = "report")]
    pub format: ModelFormat,
    /// Language of the report.
    #[arg(long, value_enum, default_value = "ko")]
    pub lang: Lang,
}

#[derive(Args)]
pub struct ImportArgs {
    /// The Threat Dragon v2 JSON file.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    #[arg(long, value_enum, default_value = "json")]
    pub format: ImportFormat,
    /// Language of the report.
    #[arg(long, value_enum, default_value = "ko")]
    pub lang: Lang,
}

pub fn run(cmd: ThreatCommand) -> Result<ExitCode> {
    let catalogs = catalogs()?;
    let out = match cmd {
        ThreatCommand::Model(args) => {
            let (_, model) = model_of(&args.profile)?;
            match args.format {
                ModelFormat::Report => report(&model, catalogs, args.lang),
                ModelFormat::Json => json(&model)?,
                ModelFormat::Svg => svg::render(&model),
                ModelFormat::Dragon => {
                    let mut s = serde_json::to_string_pretty(&dragon::export(&model))?;
                    s.push('\n');
                    s
                }
            }
        }
        ThreatCommand::ImportDragon(args) => {
            let text = read(&args.file)?;
            let model =
                dragon::import(&text).map_err(|e| anyhow!("{}: {e}", args.file.display()))?;
            match args.format {
                ImportFormat::Json => json(&model)?,
                ImportFormat::Report => report(&model, catalogs, args.lang),
            }
        }
    };
    write_stdout(&out)?;
    Ok(ExitCode::SUCCESS)
}

pub fn catalogs() -> Result<&'static medsec_catalog::Catalogs> {
    medsec_catalog::catalogs().map_err(|e| anyhow!("loading the catalogues: {e}"))
}

pub fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// Reads a profile and builds its threat model; errors name the file and
/// the field.
pub fn model_of(path: &Path) -> Result<(Profile, ThreatModel)> {
    let text = read(path)?;
    let profile = Profile::parse(&text, Format::from_path(&path.to_string_lossy()))
        .map_err(|e| anyhow!("{}: {e}", path.display()))?;
    let model = ThreatModel::from_profile(&profile, catalogs()?)
        .map_err(|e| anyhow!("{}: {e}", path.display()))?;
    Ok((profile, model))
}

fn json(model: &ThreatModel) -> Result<String> {
    let mut s = serde_json::to_string_pretty(model)?;
    s.push('\n');
    Ok(s)
}

pub fn write_stdout(text: &str) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

fn yes_no(lang: Lang, v: Option<bool>) -> &'static str {
    match v {
        Some(true) => lang.of("예", "yes"),
        Some(false) => lang.of("아니오", "no"),
        None => lang.of("미기재", "not stated"),
    }
}

/// The four-question report as text (see the module documentation).
pub fn report(model: &ThreatModel, catalogs: &medsec_catalog::Catalogs, lang: Lang) -> String {
    use std::fmt::Write;
    let r = Report::new(model, catalogs);
    let mut s = String::new();
    let q = |q: medsec_assure::threat::report::Question| {
        format!("## {}. {} ({})\n", q.number(), q.ko(), q.en())
    };
    let _ = writeln!(s, "# {}", r.title);
    if !r.owner.is_empty() {
        let _ = writeln!(s, "{}: {}", lang.of("소유자", "owner"), r.owner);
    }
    if !r.description.is_empty() {
        let _ = writeln!(s, "{}: {}", lang.of("설명", "description"), r.description);
    }
    let w = &r.working_on;
    s.push_str(&q(w.question));
    let _ = writeln!(s, "{}:", lang.of("신뢰 경계", "boundaries"));
    for b in &w.boundaries {
        let _ = write!(s, "  {}  {}", b.id, lang.pick(&b.name));
        if b.line {
            let _ = write!(s, "  ({})", lang.of("경계선", "line"));
        }
        if let Some(p) = &b.parent {
            let _ = write!(s, "  [{} {p}]", lang.of("포함:", "in"));
        }
        if let Some(d) = &b.derived {
            let _ = write!(s, "  ({}: {})", lang.of("추정", "inferred"), lang.pick(d));
        }
        s.push('\n');
    }
    let _ = writeln!(s, "{}:", lang.of("요소", "elements"));
    for e in &w.elements {
        let _ = write!(s, "  {}  {}  {}", e.id, e.kind.as_str(), lang.pick(&e.name));
        if let Some(b) = &e.boundary {
            let _ = write!(s, "  [{} {b}]", lang.of("포함:", "in"));
        }
        if let Some(o) = &e.out_of_scope {
            let _ = write!(s, "  ({}: {o})", lang.of("범위 밖", "out of scope"));
        }
        if let Some(d) = &e.derived {
            let _ = write!(s, "  ({}: {})", lang.of("추정", "inferred"), lang.pick(d));
        }
        s.push('\n');
    }
    let _ = writeln!(s, "{}:", lang.of("데이터 흐름", "flows"));
    for f in &w.flows {
        let arrow = if f.bidirectional { "<->" } else { "->" };
        let _ = write!(
            s,
            "  {}  {} {arrow} {}  {}  {}: {}  {}: {}  {}: {}",
            f.id,
            f.from,
            f.to,
            if f.protocol.is_empty() {
                "-"
            } else {
                &f.protocol
            },
            lang.of("데이터", "data"),
            if f.data.is_empty() {
                "-"
            } else {
                lang.pick(&f.data_names)
            },
            lang.of("암호화", "encrypted"),
            yes_no(lang, f.encrypted),
            lang.of("인증", "authenticated"),
            yes_no(lang, f.authenticated),
        );
        if f.public_network {
            let _ = write!(s, "  {}", lang.of("공용망", "public network"));
        }
        if !f.crosses.is_empty() {
            let _ = write!(
                s,
                "  {}: {}",
                lang.of("경계 통과", "crosses"),
                f.crosses.join(", ")
            );
        }
        if let Some(o) = &f.out_of_scope {
            let _ = write!(s, "  ({}: {o})", lang.of("범위 밖", "out of scope"));
        }
        s.push('\n');
    }
    if !w.interfaces.is_empty() {
        let _ = writeln!(s, "{}:", lang.of("인터페이스", "interfaces"));
        for i in &w.interfaces {
            let _ = write!(s, "  {}  {}  {}", i.element, i.name, i.kind);
            if i.inbound {
                let _ = write!(s, "  {}", lang.of("수신", "inbound"));
            }
            if i.remote_access {
                let _ = write!(s, "  {}", lang.of("원격 접속", "remote access"));
            }
            s.push('\n');
        }
    }
    let c = &r.can_go_wrong;
    s.push_str(&q(c.question));
    for subject in &c.subjects {
        let _ = writeln!(s, "  {} ({})", subject.name, lang.pick(&subject.kind_name));
        for t in &subject.threats {
            let _ = write!(
                s,
                "    {}  {}  {}  {}  {}",
                t.id,
                t.category,
                t.severity.as_str(),
                t.status.as_str(),
                lang.pick(&t.title)
            );
            if !t.kisa.is_empty() {
                let ids: Vec<&str> = t.kisa.iter().map(|k| k.id.as_str()).collect();
                let _ = write!(s, "  KISA: {}", ids.join(", "));
            }
            s.push('\n');
        }
    }
    let d = &r.doing_about_it;
    s.push_str(&q(d.question));
    for row in &d.requirements {
        let _ = writeln!(
            s,
            "  {}  {}  {}",
            row.requirement.reference,
            lang.pick(&row.requirement.title),
            row.threats.join(", ")
        );
    }
    let g = &r.good_job;
    s.push_str(&q(g.question));
    for check in &g.checks {
        let _ = write!(
            s,
            "  [{}] {}  {}",
            if check.passed { "ok" } else { "FAIL" },
            check.id,
            lang.pick(&check.title)
        );
        if !check.subjects.is_empty() {
            let _ = write!(s, ": {}", check.subjects.join(", "));
        }
        s.push('\n');
    }
    let _ = writeln!(
        s,
        "{}: {}, {}: {}",
        lang.of("위협", "threats"),
        g.threats,
        lang.of("미조치", "open"),
        g.open
    );
    s
}
