//! `medsec webshell scan` and `medsec webshell upload`: webshell scanning
//! with YARA rules on the command line. `scan` runs offline, without a
//! server or a database, like other scanners (exit status 1 when anything
//! matched, 2 when the rules or paths are unusable); `upload` is a
//! member's agent, which packs its web root into a zip archive and sends
//! it to the ISAC's medsec with the member's ingest token.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use medsec_webshell::{Limits, Report, Rules, Session, archive, walk};

#[derive(Subcommand)]
pub enum WebshellCommand {
    /// Scan files and directories (recursively, symbolic links not
    /// followed) with the built-in rules and any given with --rules;
    /// print one finding per file and rule. Exit status 1 if anything
    /// matched, 2 if the rules do not compile.
    Scan(ScanArgs),
    /// A member's agent: pack DIR into a zip archive (bounded) and send it
    /// to the ISAC's medsec, authenticated by the member's ingest token;
    /// the ISAC scans it and raises alerts. Exit status 1 if the scan
    /// found anything.
    Upload(UploadArgs),
}

#[derive(Args)]
pub struct LimitArgs {
    /// Skip files larger than this many bytes (listed, not silent).
    #[arg(long, default_value_t = 16 * 1024 * 1024, value_name = "BYTES")]
    max_file_size: u64,
    /// Stop scanning one file after this many seconds (it is listed as
    /// skipped).
    #[arg(long, default_value_t = 10, value_name = "SECS")]
    timeout: u64,
    /// Scan at most this many bytes in all; later files are listed as
    /// skipped.
    #[arg(long, default_value_t = 1024 * 1024 * 1024, value_name = "BYTES")]
    max_total: u64,
}

impl LimitArgs {
    fn limits(&self) -> Limits {
        Limits {
            max_file_size: self.max_file_size,
            timeout: Duration::from_secs(self.timeout.max(1)),
            max_total_bytes: self.max_total,
            ..Limits::default()
        }
    }
}

#[derive(Args)]
pub struct ScanArgs {
    /// More YARA rule files or directories (`.yar`, `.yara`), compiled with
    /// the built-in rules (repeatable).
    #[arg(long = "rules", value_name = "PATH")]
    rules: Vec<PathBuf>,
    /// Only the rules given with --rules, not the built-in ones.
    #[arg(long)]
    no_builtin: bool,
    /// Print the report as one JSON object (findings with matched strings,
    /// skipped files with reasons).
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    limits: LimitArgs,
    /// Files and directories to scan.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
}

#[derive(Args)]
pub struct UploadArgs {
    /// The ISAC's medsec, `https://host:port`.
    #[arg(long, env = "MEDSEC_SERVER", value_name = "URL")]
    server: String,
    /// The member's ingest token (`msi_…`, of one of its HTTP log sources).
    #[arg(
        long,
        env = "MEDSEC_INGEST_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    token: String,
    /// CA certificates (PEM) to trust for the server, e.g. its self-signed
    /// certificate; default: the system's.
    #[arg(long, value_name = "FILE")]
    ca_file: Option<PathBuf>,
    /// Seconds to wait for the server's answer (the scan runs meanwhile).
    #[arg(long, default_value_t = 600, value_name = "SECS")]
    wait: u64,
    #[command(flatten)]
    limits: LimitArgs,
    /// The web root.
    #[arg(value_name = "DIR")]
    dir: PathBuf,
}

pub async fn run(cmd: WebshellCommand) -> Result<ExitCode> {
    match cmd {
        WebshellCommand::Scan(args) => tokio::task::spawn_blocking(move || scan(args))
            .await
            .context("scan task")?,
        WebshellCommand::Upload(args) => upload(args).await,
    }
}

fn scan(args: ScanArgs) -> Result<ExitCode> {
    let started = Instant::now();
    let rules = match Rules::load(&args.rules, !args.no_builtin) {
        Ok(r) => r,
        Err(e) => {
            let mut err = std::io::stderr().lock();
            for p in &e.problems {
                writeln!(err, "error: {p}")?;
            }
            return Ok(ExitCode::from(2));
        }
    };
    if rules.is_empty() {
        bail!("no rules: give --rules with --no-builtin");
    }
    let mut session = Session::new(&rules, args.limits.limits());
    for p in &args.paths {
        if !p.exists() {
            bail!("{}: no such file or directory", p.display());
        }
        if p.is_file()
            && std::fs::File::open(p)
                .and_then(|mut f| {
                    let mut head = [0_u8; 4];
                    std::io::Read::read(&mut f, &mut head)
                        .map(|n| head.get(..n).map(|h| h.to_vec()))
                })
                .ok()
                .flatten()
                .is_some_and(|h| archive::is_zip(&h))
        {
            // A zip archive given by name is scanned entry by entry, as
            // the server does with an upload.
            let bytes = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
            archive::scan_zip(&mut session, &bytes)
                .with_context(|| format!("reading the zip archive {}", p.display()))?;
            continue;
        }
        walk::scan_paths(&mut session, std::slice::from_ref(p))
            .with_context(|| format!("reading {}", p.display()))?;
    }
    let report = session.finish();
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(
            &mut out,
            &serde_json::json!({
                "rules": rules.len(),
                "rules_digest": rules.digest(),
                "files": report.files,
                "bytes": report.bytes,
                "findings": report.findings,
                "skipped": report.skipped,
            }),
        )?;
        writeln!(out)?;
    } else {
        print_findings(&mut out, &report)?;
    }
    summary(&report, rules.len(), started)?;
    Ok(if report.findings.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print_findings(out: &mut impl Write, report: &Report) -> Result<()> {
    for f in &report.findings {
        let strings: Vec<String> = f
            .matches
            .iter()
            .map(|m| format!("{}@{}", m.id, m.offset))
            .collect();
        writeln!(
            out,
            "{}\t{}\tyara:{}\t{}\tsha256={}\t{}",
            f.path,
            f.severity,
            f.rule,
            f.attack.join(","),
            f.sha256,
            strings.join(",")
        )?;
    }
    Ok(())
}

fn summary(report: &Report, rules: usize, started: Instant) -> Result<()> {
    let mut err = std::io::stderr().lock();
    for s in &report.skipped {
        writeln!(err, "skipped: {}: {}", s.path, s.reason)?;
    }
    let by_reason: Vec<String> = report
        .skipped_by_reason()
        .into_iter()
        .map(|(r, n)| format!("{n} {r}"))
        .collect();
    writeln!(
        err,
        "{} rules, {} files ({} bytes) scanned in {:.2} s, {} findings in {} files, {} skipped{}",
        rules,
        report.files,
        report.bytes,
        started.elapsed().as_secs_f64(),
        report.findings.len(),
        report.flagged_files(),
        report.skipped.len(),
        if by_reason.is_empty() {
            String::new()
        } else {
            format!(" ({})", by_reason.join(", "))
        }
    )?;
    Ok(())
}

async fn upload(args: UploadArgs) -> Result<ExitCode> {
    let limits = args.limits.limits();
    let dir = args.dir.clone();
    let packed = tokio::task::spawn_blocking(move || archive::pack(&dir, &limits))
        .await
        .context("packing task")?
        .with_context(|| format!("packing {}", args.dir.display()))?;
    {
        let mut err = std::io::stderr().lock();
        for s in &packed.skipped {
            writeln!(err, "not sent: {}: {}", s.path, s.reason)?;
        }
        writeln!(
            err,
            "packed {} files ({} bytes, {} bytes compressed), {} left out",
            packed.files,
            packed.bytes,
            packed.zip.len(),
            packed.skipped.len()
        )?;
    }
    let label = format!(
        "{}.zip",
        args.dir
            .file_name()
            .map_or_else(|| "webroot".into(), |n| n.to_string_lossy().into_owned())
    );
    let answer = medsec_server::webshell::send_webroot(
        &args.server,
        &args.token,
        args.ca_file.as_deref(),
        &label,
        packed.zip,
        Duration::from_secs(args.wait.max(1)),
    )
    .await
    .map_err(|e| anyhow::anyhow!("sending to {}: {e}", args.server))?;
    if answer.status != 201 {
        let message = serde_json::from_str::<serde_json::Value>(&answer.body)
            .ok()
            .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
            .unwrap_or(answer.body);
        bail!(
            "the server refused the upload ({}): {message}",
            answer.status
        );
    }
    let v: serde_json::Value =
        serde_json::from_str(&answer.body).context("reading the server's answer")?;
    let findings = v["scan"]["findings"].as_i64().unwrap_or(0);
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "scan {}: {} files scanned, {} skipped, {} findings",
        v["scan"]["id"].as_str().unwrap_or(""),
        v["scan"]["files"],
        v["scan"]["skipped"],
        findings
    )?;
    for f in v["findings"].as_array().into_iter().flatten() {
        writeln!(
            out,
            "{}\t{}\tyara:{}\tsha256={}",
            f["path"].as_str().unwrap_or(""),
            f["severity"].as_str().unwrap_or(""),
            f["rule"].as_str().unwrap_or(""),
            f["sha256"].as_str().unwrap_or("")
        )?;
    }
    Ok(if findings > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
