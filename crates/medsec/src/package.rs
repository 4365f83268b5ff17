//! `medsec package build|verify`: the premarket submission package
//! offline, from files, without a database.
//!
//! `build` reads the device profile and whichever documents exist (the
//! rest made as the device page would start them, `medsec_package::prepare`),
//! builds the ZIP in the MFDS layout, the FDA 2023 layout or both, and
//! prints a summary: files, traceability gaps, what the documents leave
//! unstated (`--tplc`, `--support` and `--end-of-support` fill that in)
//! and the ZIP's SHA-256.
//! `verify` checks a package against its manifest, prints each file's
//! check, and exits with status 1 on any problem.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use medsec_assure::evidence::Justification;
use medsec_assure::evidence::sarif::{self, ImportOptions};
use medsec_assure::profile::{Format, Profile};
use medsec_assure::{Register, TestPlan};
use medsec_package::{Evidence, Layout, Scan, Sources};

#[derive(Subcommand)]
pub enum PackageCommand {
    /// Build the submission package (ZIP with MANIFEST.json and
    /// SHA256SUMS) from a device profile and its documents.
    Build(Box<BuildArgs>),
    /// Check a package: every file against the manifest's size and
    /// SHA-256, nothing unlisted, safe names; exit status 1 on any
    /// problem.
    Verify(VerifyArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum LayoutArg {
    /// The three MFDS documents (seed 000).
    Mfds,
    /// The FDA 2023 premarket cybersecurity guidance's sections.
    Fda,
    /// Both: OUT's name with `-mfds` and `-fda` before `.zip`.
    Both,
}

#[derive(Args)]
pub struct BuildArgs {
    /// The device profile (TOML or JSON).
    #[arg(long, value_name = "DEVICE.toml")]
    profile: PathBuf,
    /// The filled-in checklist (JSON or the XLSX form, as exported);
    /// without it, the current MFDS edition prefilled for the profile.
    #[arg(long, value_name = "CHECKLIST.json|.xlsx")]
    checklist: Option<PathBuf>,
    /// The risk register (TOML or JSON); without it, the first register
    /// from the profile's threat model and the SBOM findings.
    #[arg(long, value_name = "REGISTER.toml|.json")]
    register: Option<PathBuf>,
    /// The test plan with results (TOML or JSON); without it, the test
    /// cases derived from the checklist, not run.
    #[arg(long, value_name = "PLAN.toml|.json")]
    plan: Option<PathBuf>,
    /// The release's SBOM (any format `medsec sbom` reads), written into
    /// the package as CycloneDX 1.6 JSON.
    #[arg(long, value_name = "SBOM")]
    sbom: Option<PathBuf>,
    /// SBOM findings: `medsec sbom scan --format json` output or a JSON
    /// array of findings.
    #[arg(long, value_name = "FINDINGS.json")]
    findings: Option<PathBuf>,
    /// A scanner's or fuzzer's SARIF 2.1.0 file, put in the package as
    /// evidence; `FILE#TEST-ID` links it to a test case. Repeatable.
    #[arg(long, value_name = "FILE[#TEST]")]
    sarif: Vec<String>,
    /// A file of test evidence (report, capture), put in the package.
    /// Repeatable.
    #[arg(long, value_name = "FILE")]
    evidence: Vec<PathBuf>,
    /// Justifications of unresolved anomalies: a JSON array, or TOML with
    /// `[[justification]]` tables.
    #[arg(long, value_name = "FILE")]
    justifications: Option<PathBuf>,
    /// The manufacturer's TPLC cybersecurity management plan (TOML:
    /// personnel, monitoring, CVD, patch timelines, communication, end
    /// of support, customer-documentation statements; schema in
    /// `medsec_package::lifecycle`). What it leaves out is listed as a
    /// gap of the labelling (D8) and the plan (D9).
    #[arg(long, value_name = "PLAN.toml")]
    tplc: Option<PathBuf>,
    /// The support of the SBOM's components (TOML `[[component]]` or CSV
    /// `component,level,end_of_support,note`; keyed by purl or
    /// name@version; level active, limited, end-of-support or unknown).
    /// Components without one are listed as gaps.
    #[arg(long, value_name = "SUPPORT.toml|.csv")]
    support: Option<PathBuf>,
    /// The device's end of cybersecurity support (YYYY-MM-DD).
    #[arg(long, value_name = "DATE")]
    end_of_support: Option<String>,
    #[arg(long, value_enum, default_value = "mfds")]
    layout: LayoutArg,
    /// The creation time (RFC 3339) that dates the documents and the ZIP
    /// entries; the same inputs and time give the same bytes. Default:
    /// now.
    #[arg(long, value_name = "TIME")]
    created: Option<String>,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
    /// The ZIP to write.
    #[arg(short, long, value_name = "OUT.zip")]
    output: PathBuf,
}

#[derive(Args)]
pub struct VerifyArgs {
    /// The package.
    file: PathBuf,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(cmd: PackageCommand) -> Result<ExitCode> {
    match cmd {
        PackageCommand::Build(args) => build(*args),
        PackageCommand::Verify(args) => verify(&args),
    }
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

fn read_text(path: &Path) -> Result<String> {
    String::from_utf8(read(path)?).with_context(|| format!("{}: not UTF-8 text", path.display()))
}

fn format_of(path: &Path) -> Format {
    Format::from_path(&path.to_string_lossy())
}

fn file_name(path: &Path) -> Result<String> {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .with_context(|| format!("{}: not a file name", path.display()))
}

fn justifications(path: &Path) -> Result<Vec<Justification>> {
    let text = read_text(path)?;
    let at = || format!("reading the justifications {}", path.display());
    if format_of(path) == Format::Json {
        return serde_json::from_str(&text).with_context(at);
    }
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct File {
        #[serde(default)]
        justification: Vec<Justification>,
    }
    let file: File = toml::from_str(&text).with_context(at)?;
    Ok(file.justification)
}

fn build(args: BuildArgs) -> Result<ExitCode> {
    let catalogs = medsec_catalog::catalogs().context("loading the catalogues")?;
    let profile = Profile::parse(&read_text(&args.profile)?, format_of(&args.profile))
        .with_context(|| format!("reading the device profile {}", args.profile.display()))?;
    let checklist = match &args.checklist {
        Some(p) => Some(
            medsec_package::read_checklist(&p.to_string_lossy(), &read(p)?)
                .with_context(|| format!("reading the checklist {}", p.display()))?,
        ),
        None => None,
    };
    let register = match &args.register {
        Some(p) => Some(
            Register::parse(&read_text(p)?, format_of(p), catalogs)
                .with_context(|| format!("reading the risk register {}", p.display()))?,
        ),
        None => None,
    };
    let plan = match &args.plan {
        Some(p) => Some(
            TestPlan::parse(&read_text(p)?, format_of(p))
                .with_context(|| format!("reading the test plan {}", p.display()))?,
        ),
        None => None,
    };
    let sbom = match &args.sbom {
        Some(p) => Some(
            medsec_sbom::read(&read(p)?)
                .with_context(|| format!("reading the SBOM {}", p.display()))?,
        ),
        None => None,
    };
    let findings = match &args.findings {
        Some(p) => medsec_package::findings::read(&read_text(p)?)
            .with_context(|| format!("reading the SBOM findings {}", p.display()))?,
        None => Vec::new(),
    };
    let mut scans = Vec::new();
    for spec in &args.sarif {
        let (path, test) = match spec.rsplit_once('#') {
            Some((p, t)) if !t.is_empty() => (Path::new(p), Some(t.to_owned())),
            _ => (Path::new(spec.as_str()), None),
        };
        let bytes = read(path)?;
        let name = file_name(path)?;
        let report = sarif::import(
            &bytes,
            &ImportOptions {
                source: name.clone(),
                test,
            },
        )
        .with_context(|| format!("reading the SARIF file {}", path.display()))?;
        scans.push(Scan {
            name,
            bytes,
            report,
        });
    }
    let mut evidence = Vec::new();
    for p in &args.evidence {
        evidence.push(Evidence {
            name: file_name(p)?,
            bytes: read(p)?,
        });
    }
    let justifications = match &args.justifications {
        Some(p) => justifications(p)?,
        None => Vec::new(),
    };
    let tplc = match &args.tplc {
        Some(p) => Some(medsec_package::lifecycle::read_tplc(
            &p.display().to_string(),
            &read_text(p)?,
        )?),
        None => None,
    };
    let support = match &args.support {
        Some(p) => {
            medsec_package::lifecycle::read_support(&p.display().to_string(), &read_text(p)?)?
        }
        None => Vec::new(),
    };
    let end_of_support = match &args.end_of_support {
        Some(d) => Some(
            medsec_package::lifecycle::parse_date(d)
                .map_err(|e| anyhow::anyhow!("--end-of-support: {e}"))?,
        ),
        None => None,
    };
    let created = match &args.created {
        Some(t) => time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
            .with_context(|| format!("--created {t}: not an RFC 3339 time"))?,
        None => time::OffsetDateTime::now_utc(),
    };
    let inputs = medsec_package::prepare(Sources {
        profile,
        checklist,
        register,
        plan,
        scans,
        findings,
        sbom,
        justifications,
        evidence,
        tplc,
        support,
        end_of_support,
        created,
    })?;
    let layouts: &[Layout] = match args.layout {
        LayoutArg::Mfds => &[Layout::Mfds],
        LayoutArg::Fda => &[Layout::Fda2023],
        LayoutArg::Both => &[Layout::Mfds, Layout::Fda2023],
    };
    let fonts = medsec_package::Fonts::discover().context("loading fonts for the PDFs")?;
    let packages = medsec_package::build_all(&inputs, layouts, &fonts)?;
    let mut summary = Vec::new();
    for p in &packages {
        let path = if packages.len() == 1 {
            args.output.clone()
        } else {
            suffixed(
                &args.output,
                if p.layout == Layout::Mfds {
                    "mfds"
                } else {
                    "fda"
                },
            )
        };
        write_atomically(&path, &p.zip)?;
        summary.push(serde_json::json!({
            "path": path.display().to_string(),
            "layout": p.layout.as_str(),
            "sha256": medsec_assure::evidence::sha256_hex(&p.zip),
            "bytes": p.zip.len(),
            "files": p.manifest.files.len(),
            "gaps": p.manifest.gaps,
            "gaps_by_kind": p.manifest.gaps_by_kind,
            "document_gaps": p.manifest.document_gaps.len(),
            "document_gaps_by_kind": p.manifest.document_gaps_by_kind,
        }));
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &serde_json::json!({ "packages": summary }))?;
        writeln!(out)?;
        return Ok(ExitCode::SUCCESS);
    }
    for (s, p) in summary.iter().zip(&packages) {
        writeln!(
            out,
            "{}  {} layout, {} files, {} bytes",
            s["path"].as_str().unwrap_or_default(),
            p.layout.as_str(),
            p.manifest.files.len(),
            p.zip.len()
        )?;
        writeln!(out, "  sha256 {}", s["sha256"].as_str().unwrap_or_default())?;
        let kinds: Vec<String> = p
            .manifest
            .gaps_by_kind
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        if kinds.is_empty() {
            writeln!(out, "  traceability gaps: none")?;
        } else {
            writeln!(
                out,
                "  traceability gaps: {} ({})",
                p.manifest.gaps,
                kinds.join(", ")
            )?;
        }
        let kinds: Vec<String> = p
            .manifest
            .document_gaps_by_kind
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        if kinds.is_empty() {
            writeln!(out, "  unstated in the documents: none")?;
        } else {
            writeln!(
                out,
                "  unstated in the documents: {} ({})",
                p.manifest.document_gaps.len(),
                kinds.join(", ")
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `out.zip` → `out-mfds.zip`.
fn suffixed(path: &Path, suffix: &str) -> PathBuf {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let ext = path
        .extension()
        .map_or_else(|| "zip".to_owned(), |e| e.to_string_lossy().into_owned());
    path.with_file_name(format!("{stem}-{suffix}.{ext}"))
}

/// Written next to the target and renamed, so a failed write never
/// leaves a half package under the name.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = PathBuf::from(partial);
    let write = || -> std::io::Result<()> {
        let mut f = std::fs::File::create(&partial)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&partial, path)
    };
    if let Err(e) = write() {
        let _ = std::fs::remove_file(&partial);
        bail!("writing {}: {e}", path.display());
    }
    Ok(())
}

fn verify(args: &VerifyArgs) -> Result<ExitCode> {
    let bytes = read(&args.file)?;
    let v = medsec_package::verify(&bytes);
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(
            &mut out,
            &serde_json::json!({
                "file": args.file.display().to_string(),
                "clean": v.is_clean(),
                "files": v.files,
                "problems": v.problems,
            }),
        )?;
        writeln!(out)?;
    } else {
        if let Some(m) = &v.manifest {
            writeln!(
                out,
                "{}: {} {} {} ({} layout, created {}, {} traceability gaps)",
                args.file.display(),
                m.device.product,
                m.device.model,
                m.device.version,
                m.layout,
                m.created,
                m.gaps
            )?;
        }
        for f in &v.files {
            writeln!(
                out,
                "{}  {}  {}",
                if f.ok { "ok  " } else { "FAIL" },
                f.document,
                f.path
            )?;
        }
        for p in &v.problems {
            writeln!(out, "problem  {}: {}", p.path, p.message)?;
        }
        if v.is_clean() {
            writeln!(out, "verified: {} files match the manifest", v.files.len())?;
        } else {
            writeln!(out, "{} problem(s)", v.problems.len())?;
        }
    }
    Ok(if v.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
