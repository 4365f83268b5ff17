//! `medsec feeds` and `medsec sbom`: the offline vulnerability database
//! and SBOM scans, on the database directly (as the machine's operator,
//! audited as `cli`), without a server.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use medsec_server::sustain;

use crate::config::{Config, StoreArgs};
use crate::progress::Progress;

#[derive(Subcommand)]
pub enum FeedsCommand {
    /// Import vulnerability feeds from a file or directory: OSV, NVD CVE
    /// API 2.0, RustSec advisory-db, CISA KEV, FIRST EPSS, CSAF 2.0.
    /// Importing the same data again changes nothing.
    Import(FeedsImportArgs),
    /// What the database holds, and the last imports.
    Status(FeedsStatusArgs),
}

#[derive(Subcommand)]
pub enum SbomCommand {
    /// Match an SBOM (CycloneDX 1.2–1.6 JSON/XML, SPDX 2.2/2.3 JSON or
    /// tag-value, SPDX 3.0 JSON-LD) against the local vulnerability
    /// database, without a server. Exit status: 0 when nothing trips
    /// --fail-on, 1 when something does, 2 on an error.
    Scan(ScanArgs),
    /// Check an SBOM against the NTIA minimum elements (supplier, name,
    /// version, unique identifier, dependencies, author, timestamp), as a
    /// submission gate: exit status 1 when an element is missing.
    Check(SbomFileArgs),
    /// What changed between two releases' SBOMs: components added,
    /// removed, upgraded, downgraded or changed, and the findings that
    /// came or went (with the local vulnerability database).
    Diff(DiffArgs),
    /// Write an SBOM as CycloneDX 1.6 JSON or XML, or SPDX 2.3 JSON.
    Convert(ConvertArgs),
    /// Generate an SBOM from lock files (Cargo.lock, package-lock.json,
    /// requirements.txt, poetry.lock, Pipfile.lock, uv.lock) and a Debian
    /// image's dpkg database, as CycloneDX 1.6 or SPDX 2.3.
    #[command(disable_version_flag = true)]
    Generate(crate::generate::GenerateArgs),
}

#[derive(Args)]
pub struct SbomFileArgs {
    /// The SBOM file.
    file: PathBuf,
}

#[derive(Args)]
pub struct DiffArgs {
    #[command(flatten)]
    store: StoreArgs,
    old: PathBuf,
    new: PathBuf,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum ConvertTo {
    CyclonedxJson,
    CyclonedxXml,
    SpdxJson,
}

#[derive(Args)]
pub struct ConvertArgs {
    file: PathBuf,
    #[arg(long, value_enum)]
    to: ConvertTo,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum ScanFormat {
    Table,
    Json,
    Sarif,
}

#[derive(Args)]
pub struct ScanArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// The SBOM file; or a lock file (Cargo.lock, package-lock.json,
    /// requirements.txt, poetry.lock, Pipfile.lock, uv.lock, a dpkg status
    /// file) or a directory holding them, whose SBOM is generated first.
    file: PathBuf,
    #[arg(long, value_enum, default_value = "table")]
    format: ScanFormat,
    /// Fail (exit status 1) on a finding of this severity or above
    /// (low, medium, high, critical), or on any known-exploited one (kev).
    #[arg(long, value_name = "SEVERITY|kev")]
    fail_on: Option<String>,
    /// Build the index from every stored record rather than only from
    /// those the components can match: the same findings, slower (for
    /// checks and benchmarks).
    #[arg(long)]
    full_index: bool,
    /// Print on standard error how long each step took.
    #[arg(long)]
    timings: bool,
}

#[derive(Subcommand)]
pub enum ReleaseCommand {
    /// Register a release of a product (created on first use) with its
    /// SBOM; it is matched at once and after every feed import.
    #[command(disable_version_flag = true)]
    Add(ReleaseAddArgs),
    /// The organisation's releases with their open findings.
    List(crate::device::OrgArgs),
    /// Open findings across the organisation's releases, one page.
    Findings(FindingsArgs),
    /// Which releases contain a component (purl without version, e.g.
    /// pkg:npm/lodash, or name:NAME).
    Used(UsedArgs),
    /// One release: its findings with why each matched and what the VEX
    /// says.
    #[command(disable_version_flag = true)]
    Show(ShowArgs),
    /// Share a release (SBOM, findings, VEX) with a hospital.
    #[command(disable_version_flag = true)]
    Share(ShareArgs),
}

#[derive(Args)]
pub struct ShowArgs {
    #[command(flatten)]
    release: crate::postmarket::ReleaseRef,
    /// JSON instead of a table.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct ShareArgs {
    #[command(flatten)]
    release: crate::postmarket::ReleaseRef,
    /// The hospital organisation (its name).
    #[arg(long)]
    hospital: String,
}

#[derive(Args)]
pub struct ReleaseAddArgs {
    #[command(flatten)]
    org: crate::device::OrgArgs,
    #[arg(long)]
    product: String,
    #[arg(long)]
    version: String,
    /// The SBOM the release shipped with.
    #[arg(long)]
    sbom: Option<PathBuf>,
    /// Release date (YYYY-MM-DD).
    #[arg(long)]
    released_on: Option<String>,
    /// End of support (YYYY-MM-DD).
    #[arg(long)]
    support_until: Option<String>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Sort {
    Priority,
    Severity,
    Epss,
    Kev,
    Newest,
}

#[derive(Args)]
pub struct FindingsArgs {
    #[command(flatten)]
    org: crate::device::OrgArgs,
    #[arg(long, value_enum, default_value = "priority")]
    sort: Sort,
    #[arg(long, default_value_t = 50)]
    limit: i64,
    #[arg(long, default_value_t = 0)]
    offset: i64,
}

#[derive(Args)]
pub struct UsedArgs {
    #[command(flatten)]
    org: crate::device::OrgArgs,
    /// pkg:TYPE/NAMESPACE/NAME (no version) or name:NAME.
    identity: String,
}

#[derive(Args)]
pub struct FeedsImportArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// A feed file or a directory searched for feed files.
    path: PathBuf,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
    /// List every file, not only the failed ones and the totals per feed.
    #[arg(long, short)]
    verbose: bool,
}

#[derive(Args)]
pub struct FeedsStatusArgs {
    #[command(flatten)]
    store: StoreArgs,
}

pub async fn run_feeds(cmd: FeedsCommand) -> Result<ExitCode> {
    match cmd {
        FeedsCommand::Import(args) => import(args).await,
        FeedsCommand::Status(args) => status(args).await,
    }
}

async fn import(args: FeedsImportArgs) -> Result<ExitCode> {
    let config = Config::resolve_store(&args.store)?;
    let store = crate::open_store(&config).await?;
    let mut progress = Progress::new("feeds import");
    let summary = sustain::import_feeds(&store, &args.path, "cli", "cli", &mut |p| {
        let name = p
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        progress.step(&format!("file {}/{} {name}", p.file, p.files), p.records);
    })
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))
    .with_context(|| format!("importing {}", args.path.display()))?;
    progress.finish();
    // The releases the new and changed records can concern are matched
    // again against the new database.
    let db = sustain::load_database(&store)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let delta = sustain::rematch_touched(&store, &db, &summary.touched)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let rematch = &delta.rematch;
    let mut out = std::io::stdout().lock();
    if delta.releases > 0 && !args.json {
        writeln!(
            out,
            "re-matched {} releases: {} new findings, {} fixed, {} open ({} of {} releases concerned by the changes, {:.2} s)",
            rematch.releases,
            rematch.new,
            rematch.fixed,
            rematch.open,
            delta.affected,
            delta.releases,
            delta.seconds
        )?;
    }
    if args.json {
        serde_json::to_writer_pretty(&mut out, &summary)?;
        writeln!(out)?;
    } else {
        let mut per_kind: std::collections::BTreeMap<&str, [u64; 5]> = Default::default();
        for f in &summary.files {
            let shown = f
                .path
                .strip_prefix(&*args.path.to_string_lossy())
                .map(|p| p.trim_start_matches('/'))
                .filter(|p| !p.is_empty())
                .unwrap_or(&f.path);
            let t = per_kind.entry(f.kind).or_default();
            t[0] += 1;
            t[1] += f.records;
            t[2] += f.added;
            t[3] += f.changed;
            t[4] += f.unchanged;
            match &f.error {
                Some(e) => writeln!(out, "{:<8} {shown}: not imported: {e}", f.kind)?,
                None if args.verbose => writeln!(
                    out,
                    "{:<8} {shown}: {} records, {} new, {} changed, {} unchanged",
                    f.kind, f.records, f.added, f.changed, f.unchanged
                )?,
                None => {}
            }
        }
        for (kind, [files, records, added, changed, unchanged]) in &per_kind {
            writeln!(
                out,
                "{kind:<8} {files:>5} files {records:>8} records: {added} new, {changed} changed, {unchanged} unchanged"
            )?;
        }
        writeln!(
            out,
            "imported {} files in {:.1} s: {} new, {} changed, {} unchanged records; {} files failed, {} other files skipped",
            summary.files.len() as u64 - summary.failed,
            summary.seconds,
            summary.added,
            summary.changed,
            summary.unchanged,
            summary.failed,
            summary.skipped.len()
        )?;
    }
    Ok(if summary.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

async fn status(args: FeedsStatusArgs) -> Result<ExitCode> {
    let config = Config::resolve_store(&args.store)?;
    let store = crate::open_store(&config).await?;
    let started = std::time::Instant::now();
    let db = sustain::load_database(&store)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let loaded = started.elapsed();
    let mut out = std::io::stdout().lock();
    for c in store.feed_counts().await? {
        writeln!(out, "{:<8} {:>8} records", c.kind, c.records)?;
    }
    let s = db.stats();
    writeln!(
        out,
        "index: {} advisories, {} vulnerabilities, {} packages, {} CPE configurations, {} KEV, {} EPSS; loaded in {:.2} s",
        s.advisories,
        s.vulnerabilities,
        s.packages,
        s.configurations,
        s.kev,
        s.epss,
        loaded.as_secs_f64()
    )?;
    for i in store.feed_imports(5).await? {
        writeln!(
            out,
            "import {} {}: {} new, {} changed, {} unchanged, {} failed",
            medsec_core::Timestamp(i.started_at),
            i.path,
            i.added,
            i.changed,
            i.unchanged,
            i.failed
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn run_sbom(cmd: SbomCommand) -> Result<ExitCode> {
    match cmd {
        SbomCommand::Check(args) => check(args),
        SbomCommand::Diff(args) => diff(args).await,
        SbomCommand::Convert(args) => convert(args),
        SbomCommand::Generate(args) => crate::generate::generate(args),
        SbomCommand::Scan(args) => match scan(args).await {
            Ok(code) => Ok(code),
            // A closed output pipe (`| head`) ends the scan quietly.
            Err(e)
                if e.chain().any(|c| {
                    c.downcast_ref::<std::io::Error>()
                        .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
                }) =>
            {
                Ok(ExitCode::SUCCESS)
            }
            Err(e) => {
                // Errors are exit status 2, so that CI tells a broken scan
                // from a vulnerable SBOM.
                let _ = writeln!(std::io::stderr(), "error: {e:#}");
                Ok(ExitCode::from(2))
            }
        },
    }
}

fn read_sbom(path: &std::path::Path) -> Result<medsec_sbom::Sbom> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    medsec_sbom::read(&bytes)
        .map_err(|e| anyhow::anyhow!("{e}"))
        .with_context(|| format!("reading the SBOM {}", path.display()))
}

fn check(args: SbomFileArgs) -> Result<ExitCode> {
    let sbom = read_sbom(&args.file)?;
    let report = medsec_sbom::ntia::check(&sbom);
    let mut out = std::io::stdout().lock();
    for e in &report.elements {
        write!(
            out,
            "{:<4} {:<26} {:>5.1}%",
            if e.passed { "ok" } else { "FAIL" },
            e.element.name(),
            e.coverage * 100.0
        )?;
        if !e.failing.is_empty() {
            let shown: Vec<&str> = e.failing.iter().take(5).map(String::as_str).collect();
            write!(
                out,
                "  missing in {}: {}{}",
                e.failing.len(),
                shown.join(", "),
                if e.failing.len() > 5 { ", …" } else { "" }
            )?;
        }
        if let Some(note) = &e.note {
            write!(out, "  ({note})")?;
        }
        writeln!(out)?;
    }
    writeln!(
        out,
        "NTIA minimum elements: {} ({} components checked, score {:.0}/100)",
        if report.passed() { "met" } else { "NOT met" },
        report.components_checked,
        report.score
    )?;
    Ok(if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

async fn diff(args: DiffArgs) -> Result<ExitCode> {
    let old = read_sbom(&args.old)?;
    let new = read_sbom(&args.new)?;
    let d = medsec_sbom::diff::diff(&old, &new);
    let mut out = std::io::stdout().lock();
    let v = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    for e in &d.added {
        writeln!(out, "+ {} {}", e.name, v(&e.version))?;
    }
    for e in &d.removed {
        writeln!(out, "- {} {}", e.name, v(&e.version))?;
    }
    for c in &d.upgraded {
        writeln!(out, "↑ {} {} → {}", c.name, v(&c.old), v(&c.new))?;
    }
    for c in &d.downgraded {
        writeln!(out, "↓ {} {} → {}", c.name, v(&c.old), v(&c.new))?;
    }
    for c in &d.changed {
        let fields: Vec<&str> = c.fields.iter().map(|f| f.field).collect();
        writeln!(
            out,
            "~ {} {} ({} changed)",
            c.name,
            v(&c.version),
            fields.join(", ")
        )?;
    }
    writeln!(
        out,
        "{} added, {} removed, {} upgraded, {} downgraded, {} changed, {} unchanged",
        d.added.len(),
        d.removed.len(),
        d.upgraded.len(),
        d.downgraded.len(),
        d.changed.len(),
        d.unchanged
    )?;
    // The findings that came and went, when a database is there.
    let config = Config::resolve_store(&args.store)?;
    let store = crate::open_store(&config).await?;
    if !store.feed_counts().await?.is_empty() {
        let db = sustain::load_database(&store)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let key = |sbom: &medsec_sbom::Sbom| -> std::collections::BTreeSet<(String, String)> {
            let q = sustain::queries(sbom);
            db.matches_built(&q)
                .into_iter()
                .map(|f| (f.id, q[f.component].name.clone()))
                .collect()
        };
        let (before, after) = (key(&old), key(&new));
        for (id, name) in after.difference(&before) {
            writeln!(out, "new finding: {id} in {name}")?;
        }
        for (id, name) in before.difference(&after) {
            writeln!(out, "gone: {id} in {name}")?;
        }
        writeln!(
            out,
            "findings: {} new, {} gone, {} remain",
            after.difference(&before).count(),
            before.difference(&after).count(),
            after.intersection(&before).count()
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

fn convert(args: ConvertArgs) -> Result<ExitCode> {
    let sbom = read_sbom(&args.file)?;
    let text = match args.to {
        ConvertTo::CyclonedxJson => medsec_sbom::write_cyclonedx_json(&sbom),
        ConvertTo::CyclonedxXml => medsec_sbom::write_cyclonedx_xml(&sbom),
        ConvertTo::SpdxJson => medsec_sbom::write_spdx_json(&sbom),
    };
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    if !text.ends_with('\n') {
        writeln!(out)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// What `medsec sbom scan` reads: an SBOM, or else the SBOM generated
/// from a lock file or a dpkg status file (or a directory of them).
fn read_scan_input(path: &std::path::Path) -> Result<medsec_sbom::Sbom> {
    use medsec_sbom::generate::{InputKind, Options, generate_path};
    let generated = |why: &str| {
        generate_path(path, &Options::default())
            .map_err(|e| anyhow::anyhow!("{e}"))
            .with_context(|| format!("generating the SBOM of {}{why}", path.display()))
    };
    if path.is_dir() {
        return generated("");
    }
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    match medsec_sbom::read(&bytes) {
        Ok(sbom) => Ok(sbom),
        Err(e) if InputKind::detect(&path.to_string_lossy(), &bytes).is_some() => {
            generated(&format!(" (not an SBOM: {e})"))
        }
        Err(e) => Err(anyhow::anyhow!("{e}")).with_context(|| {
            format!(
                "reading the SBOM {} (neither an SBOM nor a lock file medsec reads)",
                path.display()
            )
        }),
    }
}

/// Durations of the steps of a scan, for `--timings`.
struct Steps {
    on: bool,
    last: std::time::Instant,
    done: Vec<(&'static str, std::time::Duration)>,
}

impl Steps {
    fn new(on: bool) -> Steps {
        Steps {
            on,
            last: std::time::Instant::now(),
            done: Vec::new(),
        }
    }

    fn step(&mut self, name: &'static str) {
        if self.on {
            let now = std::time::Instant::now();
            self.done.push((name, now - self.last));
            self.last = now;
        }
    }

    fn print(&self, detail: &str) {
        if !self.on {
            return;
        }
        let total: std::time::Duration = self.done.iter().map(|(_, d)| *d).sum();
        let steps: Vec<String> = self
            .done
            .iter()
            .map(|(name, d)| format!("{name} {:.1} ms", d.as_secs_f64() * 1000.0))
            .collect();
        let _ = writeln!(
            std::io::stderr(),
            "timings: {}; total {:.1} ms ({detail})",
            steps.join(", "),
            total.as_secs_f64() * 1000.0
        );
    }
}

async fn scan(args: ScanArgs) -> Result<ExitCode> {
    use medsec_vulndb::report::{self, FailOn};
    let mut steps = Steps::new(args.timings);
    let fail_on = match &args.fail_on {
        Some(s) => Some(FailOn::parse(s).with_context(|| {
            format!("--fail-on {s}: expected low, medium, high, critical or kev")
        })?),
        None => None,
    };
    let sbom = read_scan_input(&args.file)?;
    let components = sustain::queries(&sbom);
    steps.step("read input");
    let config = Config::resolve_store(&args.store)?;
    let empty = || {
        anyhow::anyhow!(
            "the vulnerability database is empty: import feeds first with `medsec feeds import PATH`"
        )
    };
    // A scan reads: nothing to create where there is no database yet.
    if config.database.is_none() && !config.data_dir.join("medsec.db").exists() {
        return Err(empty());
    }
    // One connection: the scan's queries run one after the other, and a
    // second connection (which the pool would open while the first is
    // being returned between the migration checks) costs its own thread,
    // files and schema parse.
    let location = config.database_location();
    let store =
        medsec_store::Store::open(&location, &medsec_store::OpenOptions { max_connections: 1 })
            .await
            .with_context(|| format!("opening the database {}", medsec_store::redact(&location)))?;
    steps.step("open database");
    // Only the records the components can match (and the rest of their
    // vulnerabilities) are read: the same findings as the whole index.
    let db = if args.full_index {
        if store.feed_counts().await?.is_empty() {
            return Err(empty());
        }
        sustain::load_database(&store)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
    } else {
        sustain::load_database_for(&store, &components)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?
            .ok_or_else(empty)?
    };
    steps.step("load index");
    let findings = db.matches_built(&components);
    steps.step("match");
    let source = args.file.display().to_string();
    // Buffered: standard output is line-buffered, and a report has
    // thousands of lines.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match args.format {
        ScanFormat::Json => {
            serde_json::to_writer_pretty(&mut out, &report::json(&source, &components, &findings))?;
            writeln!(out)?;
        }
        ScanFormat::Sarif => {
            serde_json::to_writer_pretty(
                &mut out,
                &report::sarif(&source, &components, &findings),
            )?;
            writeln!(out)?;
        }
        ScanFormat::Table => {
            writeln!(
                out,
                "{:>5}  {:<8}  {:<20}  {:<40}  {:<4}  {:>6}  FIXED",
                "PRIO", "SEVERITY", "VULNERABILITY", "COMPONENT", "KEV", "EPSS"
            )?;
            for f in &findings {
                let c = &components[f.component];
                let name = match &c.version {
                    Some(v) => format!("{}@{v}", c.name),
                    None => c.name.clone(),
                };
                let severity = match (&f.informational, f.level) {
                    (Some(kind), _) => kind.clone(),
                    (None, Some(level)) => level.as_str().to_owned(),
                    (None, None) => "unknown".to_owned(),
                };
                writeln!(
                    out,
                    "{:>5.1}  {:<8}  {:<20}  {:<40}  {:<4}  {:>6}  {}",
                    f.priority,
                    severity,
                    f.id,
                    name,
                    if f.kev.is_some() { "yes" } else { "" },
                    f.epss
                        .map(|e| format!("{:.1}%", e.probability * 100.0))
                        .unwrap_or_default(),
                    f.fixed.join(", ")
                )?;
                for r in &f.reasons {
                    writeln!(out, "       {}: {}", r.advisory, r.text)?;
                }
            }
            let tripped = fail_on.map_or(0, |g| findings.iter().filter(|f| g.trips(f)).count());
            writeln!(
                out,
                "{} components, {} findings ({} known exploited){}",
                components.len(),
                findings.len(),
                findings.iter().filter(|f| f.kev.is_some()).count(),
                match &args.fail_on {
                    Some(g) => format!("; {tripped} at or above --fail-on {g}"),
                    None => String::new(),
                }
            )?;
        }
    }
    out.flush()?;
    steps.step("write");
    if args.timings {
        let stats = db.stats();
        steps.print(&format!(
            "{} components, {} advisories and {} KEV/EPSS records in the index",
            components.len(),
            stats.advisories,
            stats.kev + stats.epss
        ));
    }
    let tripped = fail_on.is_some_and(|g| findings.iter().any(|f| g.trips(f)));
    Ok(if tripped {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

pub async fn run_release(cmd: ReleaseCommand) -> Result<ExitCode> {
    use medsec_store::releases::FindingOrder;
    let mut out = std::io::stdout().lock();
    match cmd {
        ReleaseCommand::Add(args) => {
            let sbom = match &args.sbom {
                Some(path) => Some((
                    path.file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    std::fs::read(path).with_context(|| format!("reading {}", path.display()))?,
                )),
                None => None,
            };
            let (state, by) = crate::device::open(&args.org).await?;
            let db = sustain::load_database(&state.store)
                .await
                .map_err(crate::device::report)?;
            let input = sustain::ReleaseInput {
                product: args.product,
                version: args.version,
                released_on: args.released_on,
                support_until: args.support_until,
                sbom,
            };
            let created = sustain::release_create(&state.store, &db, &by, input)
                .await
                .map_err(crate::device::report)?;
            writeln!(
                out,
                "{}\t{} components, {} open findings",
                created.release.id, created.components, created.change.open
            )?;
        }
        ReleaseCommand::List(args) => {
            let (state, by) = crate::device::open(&args).await?;
            let products = state.store.list_products(&by.org_id).await?;
            let counts = state
                .store
                .release_counts(&by.org_id, medsec_core::Timestamp::now())
                .await?;
            for r in state.store.list_releases(&by.org_id).await? {
                let product = products
                    .iter()
                    .find(|p| p.id == r.product_id)
                    .map(|p| p.name.as_str())
                    .unwrap_or_default();
                let c = counts.get(&r.id).cloned().unwrap_or_default();
                writeln!(
                    out,
                    "{}\t{product} {}\t{} open ({} KEV)\tsupport until {}",
                    r.id,
                    r.version,
                    c.total(),
                    c.kev,
                    r.support_until.as_deref().unwrap_or("-")
                )?;
            }
        }
        ReleaseCommand::Findings(args) => {
            let (state, by) = crate::device::open(&args.org).await?;
            let order = match args.sort {
                Sort::Priority => FindingOrder::Priority,
                Sort::Severity => FindingOrder::Severity,
                Sort::Epss => FindingOrder::Epss,
                Sort::Kev => FindingOrder::Kev,
                Sort::Newest => FindingOrder::Newest,
            };
            let page = state
                .store
                .open_findings(
                    &by.org_id,
                    order,
                    args.limit.clamp(1, 1000),
                    args.offset.max(0),
                    medsec_core::Timestamp::now(),
                )
                .await?;
            for f in page {
                writeln!(
                    out,
                    "{:>5.1}\t{}\t{}\trelease {} component {}{}",
                    f.priority10 as f64 / 10.0,
                    f.vuln_id,
                    ["none", "low", "medium", "high", "critical"]
                        .get(usize::try_from(f.level).unwrap_or(usize::MAX))
                        .copied()
                        .unwrap_or("unknown"),
                    f.release_id,
                    f.component,
                    if f.kev != 0 { "\tKEV" } else { "" }
                )?;
            }
        }
        ReleaseCommand::Show(args) => {
            let (state, by) = crate::device::open(&args.release.org).await?;
            let r = &args.release;
            let id = crate::postmarket::release_id(&state, &by, &r.product, &r.version).await?;
            let views = crate::postmarket::release_views(&state, &by, &id).await?;
            if args.json {
                serde_json::to_writer_pretty(&mut out, &views)?;
                writeln!(out)?;
                return Ok(ExitCode::SUCCESS);
            }
            for v in &views {
                writeln!(
                    out,
                    "{:<10} {:>5.1} {:<8} {:<20} {} {}{}{}",
                    v.state,
                    v.priority,
                    v.level.unwrap_or("unknown"),
                    v.vulnerability,
                    v.component,
                    v.component_version.as_deref().unwrap_or(""),
                    if v.kev { "  KEV" } else { "" },
                    v.vex
                        .as_ref()
                        .map(|s| format!(
                            "  VEX {}{}",
                            s.status,
                            s.justification
                                .as_deref()
                                .map(|j| format!(" ({j})"))
                                .unwrap_or_default()
                        ))
                        .unwrap_or_default()
                )?;
                for reason in &v.reasons {
                    writeln!(out, "       {reason}")?;
                }
            }
            let open = views.iter().filter(|v| v.state == "open").count();
            let suppressed = views.iter().filter(|v| v.state == "suppressed").count();
            writeln!(
                out,
                "{open} open, {suppressed} suppressed by VEX, {} fixed",
                views.len() - open - suppressed
            )?;
        }
        ReleaseCommand::Share(args) => {
            let (state, by) = crate::device::open(&args.release.org).await?;
            let r = &args.release;
            let id = crate::postmarket::release_id(&state, &by, &r.product, &r.version).await?;
            let new = medsec_server::inventory::share(&state.store, &by, &id, &args.hospital)
                .await
                .map_err(crate::device::report)?;
            writeln!(out, "{}", if new { "shared" } else { "already shared" })?;
        }
        ReleaseCommand::Used(args) => {
            let (state, by) = crate::device::open(&args.org).await?;
            for (release, version, component_version) in
                state.store.where_used(&by.org_id, &args.identity).await?
            {
                writeln!(
                    out,
                    "{release}\t{version}\t{}",
                    component_version.as_deref().unwrap_or("-")
                )?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
