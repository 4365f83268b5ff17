//! `medsec indicators`: the ISAC's threat-intelligence indicators in the
//! database: import STIX 2.1 bundles and CSV files as a source (a new
//! import of a source replaces its indicators in one transaction), list
//! the sources and search the indicators, remove a source. Acts on the
//! local database as the machine's operator (the ISAC organisation,
//! audited as `cli`) through the same `medsec_server::indicators`
//! functions as the UI and API; a running server's live detection picks
//! the change up within seconds.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand};
use medsec_core::{OrgKind, Timestamp};
use medsec_server::assure::By;
use medsec_server::indicators as svc;
use medsec_store::Store;

use crate::config::{Config, StoreArgs};
use crate::device::report;
use crate::progress::Progress;

#[derive(Subcommand)]
pub enum IndicatorsCommand {
    /// Import STIX 2.1 bundles or CSV files as one source, replacing the
    /// indicators the source held (analysts' revocations are kept).
    Import(ImportArgs),
    /// The sources with their counts.
    Sources(SourcesArgs),
    /// Search the indicators (by part of the value or a STIX id), as TSV.
    List(ListArgs),
    /// Remove a source and its indicators.
    RemoveSource(RemoveArgs),
}

#[derive(Args)]
pub struct ImportArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// The source's name (e.g. `KISA C-TAS`).
    #[arg(long)]
    source: String,
    #[arg(long, default_value = "")]
    description: String,
    /// STIX 2.1 JSON (starting with `{` or `[`) or CSV files; several
    /// files must be all CSV or one STIX file.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
}

#[derive(Args)]
pub struct SourcesArgs {
    #[command(flatten)]
    store: StoreArgs,
}

#[derive(Args)]
pub struct ListArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// Part of the value, or a whole STIX id.
    #[arg(long)]
    search: Option<String>,
    /// A source's name.
    #[arg(long)]
    source: Option<String>,
    /// ipv4, ipv6, cidr, domain, url, md5, sha1, sha256 or user-agent.
    #[arg(long)]
    kind: Option<String>,
    /// Pages of 100 to print.
    #[arg(long, default_value_t = 1)]
    pages: i64,
}

#[derive(Args)]
pub struct RemoveArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// The source's name.
    source: String,
}

async fn open(store: &StoreArgs) -> Result<(Store, By)> {
    let config = Config::resolve_store(store)?;
    let store = crate::open_store(&config).await?;
    let isac = store
        .list_orgs()
        .await?
        .into_iter()
        .find(|o| o.kind == OrgKind::Isac && o.enabled)
        .context("there is no ISAC organisation; indicator commands act as the ISAC (create one with `medsec org create --kind isac`)")?;
    let by = By {
        org_id: isac.id,
        org_kind: isac.kind,
        user_id: None,
        name: "cli".into(),
        source: "cli".into(),
    };
    Ok((store, by))
}

pub async fn run(cmd: IndicatorsCommand) -> Result<ExitCode> {
    match cmd {
        IndicatorsCommand::Import(a) => import(a).await,
        IndicatorsCommand::Sources(a) => sources(a).await,
        IndicatorsCommand::List(a) => list(a).await,
        IndicatorsCommand::RemoveSource(a) => remove(a).await,
    }
}

/// The files as one document: one STIX file as it is, or CSV files
/// joined (each file's header line kept only from the first).
fn read_files(files: &[PathBuf]) -> Result<Vec<u8>> {
    let mut all = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let bytes = std::fs::read(f).with_context(|| format!("reading {}", f.display()))?;
        let stix = bytes
            .strip_prefix(b"\xEF\xBB\xBF")
            .unwrap_or(&bytes)
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .is_some_and(|b| matches!(b, b'{' | b'['));
        if stix && files.len() > 1 {
            bail!(
                "{} is STIX JSON: import STIX files one at a time (one source each), or several CSV files together",
                f.display()
            );
        }
        if i == 0 {
            all = bytes;
        } else {
            // The header names the columns, which may differ in order:
            // a second file's rows are only joined when its header is the
            // first one's.
            let text = String::from_utf8_lossy(&bytes);
            let first = String::from_utf8_lossy(&all)
                .lines()
                .find(|l| !l.trim().is_empty() && !l.starts_with('#'))
                .unwrap_or("")
                .trim()
                .to_owned();
            let mut lines = text.lines();
            let header = lines
                .by_ref()
                .find(|l| !l.trim().is_empty() && !l.starts_with('#'))
                .unwrap_or("");
            if header.trim() != first {
                bail!(
                    "{}: its header `{}` differs from the first file's `{first}`; import it as its own source",
                    f.display(),
                    header.trim()
                );
            }
            if !all.ends_with(b"\n") {
                all.push(b'\n');
            }
            for l in lines {
                all.extend_from_slice(l.as_bytes());
                all.push(b'\n');
            }
        }
    }
    Ok(all)
}

async fn import(a: ImportArgs) -> Result<ExitCode> {
    let (store, by) = open(&a.store).await?;
    let bytes = read_files(&a.files)?;
    let mut progress = Progress::new("indicators import");
    let req = svc::ImportRequest {
        source: a.source.clone(),
        description: a.description,
        bytes,
    };
    let r = svc::import(&store, &by, req, &mut |n| {
        progress.step("indicators written", n as u64)
    })
    .await
    .map_err(report)?;
    progress.finish();
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "source {} ({}): {} indicators imported ({} replaced, {} analysts' revocations kept), {} not usable, in {:.1} s (reading {:.1} s, storing {:.1} s)",
        r.source.name,
        r.source.kind,
        r.indicators,
        r.replaced,
        r.kept_revocations,
        r.skipped,
        r.parse_seconds + r.store_seconds,
        r.parse_seconds,
        r.store_seconds,
    )?;
    if r.skipped > 0 {
        writeln!(
            out,
            "what could not be used: `medsec indicators sources` or the source's page"
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

async fn sources(a: SourcesArgs) -> Result<ExitCode> {
    let (store, by) = open(&a.store).await?;
    let rows = svc::sources(&store, &by).await.map_err(report)?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "name\tkind\tindicators\trevoked\texpired\tnot usable\timported\tby"
    )?;
    for s in rows {
        writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            s.source.name,
            s.source.kind,
            s.counts.total,
            s.counts.revoked,
            s.counts.expired,
            s.source.skipped_count,
            Timestamp(s.source.imported_at).rfc3339(),
            s.source.created_by
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

async fn source_id(store: &Store, name: &str) -> Result<String> {
    Ok(store
        .indicator_source(name, true)
        .await?
        .with_context(|| format!("there is no indicator source named `{name}`"))?
        .id)
}

async fn list(a: ListArgs) -> Result<ExitCode> {
    let (store, by) = open(&a.store).await?;
    let source = match &a.source {
        Some(name) => Some(source_id(&store, name).await?),
        None => None,
    };
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "id\tsource\tkind\tvalue\tstatus\tvalid_until\tconfidence\tstix_id"
    )?;
    for page in 1..=a.pages.max(1) {
        let params = svc::SearchParams {
            q: a.search.clone(),
            source: source.clone(),
            kind: a.kind.clone(),
            page: Some(page),
        };
        let r = svc::search(&store, &by, &params).await.map_err(report)?;
        for v in &r.indicators {
            writeln!(
                out,
                "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                v.row.id,
                v.source_name,
                v.row.kind,
                v.row.value,
                v.status,
                v.row
                    .valid_until
                    .map_or_else(String::new, |t| Timestamp(t).rfc3339()),
                v.row.confidence.map_or_else(String::new, |c| c.to_string()),
                v.row.stix_id
            )?;
        }
        if !r.more {
            break;
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn remove(a: RemoveArgs) -> Result<ExitCode> {
    let (store, by) = open(&a.store).await?;
    let id = source_id(&store, &a.source).await?;
    let n = svc::remove_source(&store, &by, &id).await.map_err(report)?;
    writeln!(
        std::io::stdout().lock(),
        "source {} removed with its {n} indicators",
        a.source
    )?;
    Ok(ExitCode::SUCCESS)
}
