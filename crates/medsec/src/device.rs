//! `medsec device` and `medsec checklist`: devices from profile files,
//! their applicability tables, and checklists with exports, on the
//! database directly (as the operator of this machine, audited as `cli`).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, Subcommand, ValueEnum};
use medsec_assure::profile::Format;
use medsec_core::OrgKind;
use medsec_server::assure::{self, By};
use medsec_server::state::AppState;

use crate::config::{Config, StoreArgs};

#[derive(Subcommand)]
pub enum DeviceCommand {
    /// Register a device version from a profile file (TOML or JSON).
    Import(ImportArgs),
    /// List the organisation's devices.
    List(OrgArgs),
    /// Print whether each MFDS and KISA item applies to a device, and why.
    Applicability(DeviceArgs),
}

#[derive(Subcommand)]
pub enum ChecklistCommand {
    /// Start the MFDS checklist of a device (current edition unless --edition).
    New(NewArgs),
    /// List what the device's checklist still lacks.
    Gaps(DeviceArgs),
    /// Write the device's checklist as XLSX, PDF, HTML or JSON.
    Export(ExportArgs),
    /// Carry the device's checklist to another edition (2019 to 2024) and list what is new.
    Carry(CarryArgs),
}

#[derive(Args)]
pub struct CarryArgs {
    #[command(flatten)]
    org: OrgArgs,
    #[arg(long)]
    device: String,
    /// The edition to carry to.
    #[arg(long, default_value = "mfds-2024")]
    to: String,
}

#[derive(Args)]
pub struct OrgArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// The organisation (its name).
    #[arg(long)]
    org: String,
}

#[derive(Args)]
pub struct ImportArgs {
    #[command(flatten)]
    org: OrgArgs,
    /// The profile: `.json` is JSON, anything else TOML.
    file: PathBuf,
}

#[derive(Args)]
pub struct DeviceArgs {
    #[command(flatten)]
    org: OrgArgs,
    /// Device id (as `medsec device list` prints it).
    #[arg(long)]
    device: String,
    /// Language of reasons.
    #[arg(long, value_enum, default_value = "ko")]
    lang: Lang,
}

#[derive(Args)]
pub struct NewArgs {
    #[command(flatten)]
    org: OrgArgs,
    #[arg(long)]
    device: String,
    /// MFDS edition: mfds-2024 (default) or mfds-2019.
    #[arg(long)]
    edition: Option<String>,
}

#[derive(Args)]
pub struct ExportArgs {
    #[command(flatten)]
    org: OrgArgs,
    #[arg(long)]
    device: String,
    #[arg(long, value_enum)]
    format: ExportFormat,
    #[arg(long, value_enum, default_value = "ko")]
    lang: Lang,
    /// Output file [default: standard output for json and html].
    #[arg(long, short)]
    output: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum Lang {
    Ko,
    En,
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    Xlsx,
    Pdf,
    Html,
    Json,
}

pub(crate) async fn open(args: &OrgArgs) -> Result<(AppState, By)> {
    open_as(
        args,
        Some(OrgKind::Manufacturer),
        "devices belong to manufacturers",
    )
    .await
}

/// Opens the store on behalf of the organisation named in `args`, which
/// must be of `kind` when given (`why` says why, when it is not).
pub(crate) async fn open_as(
    args: &OrgArgs,
    kind: Option<OrgKind>,
    why: &str,
) -> Result<(AppState, By)> {
    let config = Config::resolve_store(&args.store)?;
    let store = crate::open_store(&config).await?;
    let org = store
        .list_orgs()
        .await?
        .into_iter()
        .find(|o| o.name == args.org)
        .with_context(|| format!("no organisation named \"{}\"", args.org))?;
    if kind.is_some_and(|k| k != org.kind) {
        bail!("\"{}\" is a {} organisation; {why}", org.name, org.kind);
    }
    let state = crate::app_state(&config, store).await?;
    let by = By {
        org_id: org.id,
        org_kind: org.kind,
        user_id: None,
        name: "cli".into(),
        source: "cli".into(),
    };
    Ok((state, by))
}

/// Prints a service error the way the CLI reports input problems.
pub(crate) fn report(e: medsec_server::error::Error) -> anyhow::Error {
    match e {
        medsec_server::error::Error::Invalid(errors) => anyhow::anyhow!(
            "{}",
            errors
                .iter()
                .map(|e| format!(
                    "{}: {}",
                    e.field,
                    medsec_server::i18n::Lang::En.field_error(e)
                ))
                .collect::<Vec<_>>()
                .join("\n")
        ),
        medsec_server::error::Error::Conflict { field } => {
            anyhow::anyhow!("{field} already exists")
        }
        medsec_server::error::Error::NotFound => anyhow::anyhow!("not found in this organisation"),
        other => anyhow::anyhow!("{other}"),
    }
}

pub async fn run_device(cmd: DeviceCommand) -> Result<ExitCode> {
    match cmd {
        DeviceCommand::Import(args) => {
            let text = std::fs::read_to_string(&args.file)
                .with_context(|| format!("reading {}", args.file.display()))?;
            let (state, by) = open(&args.org).await?;
            let format = Format::from_path(&args.file.to_string_lossy());
            let d = assure::device_import(&state, &by, &text, format)
                .await
                .map_err(report)
                .with_context(|| format!("importing {}", args.file.display()))?;
            writeln!(std::io::stdout(), "{}\t{}", d.row.id, d.profile.title())?;
            Ok(ExitCode::SUCCESS)
        }
        DeviceCommand::List(args) => {
            let (state, by) = open(&args).await?;
            for d in assure::devices(&state, &by.org_id).await.map_err(report)? {
                writeln!(std::io::stdout(), "{}\t{}", d.row.id, d.profile.title())?;
            }
            Ok(ExitCode::SUCCESS)
        }
        DeviceCommand::Applicability(args) => {
            let (state, by) = open(&args.org).await?;
            let d = assure::device(&state, &by.org_id, &args.device)
                .await
                .map_err(report)?;
            let table = assure::applicability(&d).map_err(report)?;
            for (catalog, decisions) in &table.catalogs {
                let applies = decisions.iter().filter(|d| d.applies).count();
                writeln!(
                    std::io::stdout(),
                    "# {catalog}: {applies} of {} apply",
                    decisions.len()
                )?;
                for d in decisions {
                    let mark = if d.applies { "적용" } else { "비적용" };
                    let mark = match args.lang {
                        Lang::Ko => mark,
                        Lang::En if d.applies => "applies",
                        Lang::En => "n/a",
                    };
                    let reason = match args.lang {
                        Lang::Ko => &d.reason_ko,
                        Lang::En => &d.reason_en,
                    };
                    let by_user = d
                        .overridden
                        .as_ref()
                        .map(|o| format!(" [override by {}: {}]", o.by, o.justification))
                        .unwrap_or_default();
                    writeln!(
                        std::io::stdout(),
                        "{}\t{mark}\t{reason}{by_user}",
                        d.reference
                    )?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub async fn run_checklist(cmd: ChecklistCommand) -> Result<ExitCode> {
    match cmd {
        ChecklistCommand::New(args) => {
            let (state, by) = open(&args.org).await?;
            let row = assure::checklist_create(&state, &by, &args.device, args.edition.as_deref())
                .await
                .map_err(report)?;
            writeln!(
                std::io::stdout(),
                "{}\t{} ({})",
                row.id,
                row.catalog,
                row.edition
            )?;
            Ok(ExitCode::SUCCESS)
        }
        ChecklistCommand::Gaps(args) => {
            let (state, by) = open(&args.org).await?;
            let view = assure::checklist_of_device(&state, &by.org_id, &args.device)
                .await
                .map_err(report)?;
            for g in &view.gaps {
                let text = match args.lang {
                    Lang::Ko => g.kind.ko(),
                    Lang::En => g.kind.en(),
                };
                writeln!(std::io::stdout(), "{}\t{}\t{text}", g.item, g.kind.as_str())?;
            }
            let applicable = view.checklist.rows.iter().filter(|r| r.applies).count();
            eprintln!(
                "{} gaps in {applicable} applicable items of {} ({})",
                view.gaps.len(),
                view.row.catalog,
                view.row.edition
            );
            Ok(if view.gaps.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        ChecklistCommand::Carry(args) => {
            let (state, by) = open(&args.org).await?;
            let view = assure::checklist_of_device(&state, &by.org_id, &args.device)
                .await
                .map_err(report)?;
            let (row, gaps) = assure::checklist_carry(&state, &by, &view.row.id, &args.to)
                .await
                .map_err(report)?;
            writeln!(
                std::io::stdout(),
                "{}\t{} ({}) from {} ({})",
                row.id,
                row.catalog,
                row.edition,
                view.row.catalog,
                view.row.edition
            )?;
            for g in &gaps {
                writeln!(
                    std::io::stdout(),
                    "{g}\tnew: no item of {} reaches it",
                    view.row.catalog
                )?;
            }
            eprintln!(
                "{} requirements of {} to write from scratch",
                gaps.len(),
                row.catalog
            );
            Ok(ExitCode::SUCCESS)
        }
        ChecklistCommand::Export(args) => {
            let (state, by) = open(&args.org).await?;
            let view = assure::checklist_of_device(&state, &by.org_id, &args.device)
                .await
                .map_err(report)?;
            let lang = match args.lang {
                Lang::Ko => medsec_server::i18n::Lang::Ko,
                Lang::En => medsec_server::i18n::Lang::En,
            };
            let format = match args.format {
                ExportFormat::Xlsx => assure::ExportFormat::Xlsx,
                ExportFormat::Pdf => assure::ExportFormat::Pdf,
                ExportFormat::Html => assure::ExportFormat::Html,
                ExportFormat::Json => assure::ExportFormat::Json,
            };
            let mut p = crate::progress::Progress::new("export");
            let file = assure::export(&state, &by, &view, format, lang)
                .await
                .map_err(report)?;
            p.step(file.filename.as_str(), file.bytes.len() as u64);
            p.finish();
            match &args.output {
                Some(path) => {
                    std::fs::write(path, &file.bytes)
                        .with_context(|| format!("writing {}", path.display()))?;
                    eprintln!("Wrote {} ({} bytes)", path.display(), file.bytes.len());
                }
                None if matches!(args.format, ExportFormat::Json | ExportFormat::Html) => {
                    std::io::stdout().write_all(&file.bytes)?;
                }
                None => bail!("--output FILE is needed for {}", file.filename),
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[derive(Subcommand)]
pub enum OrgCommand {
    /// List the organisations with their kinds.
    List(StoreOnly),
    /// Create an organisation (a manufacturer, hospital, ISAC or regulator).
    Create(CreateOrgArgs),
}

#[derive(Args)]
pub struct StoreOnly {
    #[command(flatten)]
    store: StoreArgs,
}

#[derive(Args)]
pub struct CreateOrgArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// The organisation's name.
    #[arg(long)]
    name: String,
    /// manufacturer, hospital, isac or regulator.
    #[arg(long)]
    kind: OrgKind,
}

pub async fn run_org(cmd: OrgCommand) -> Result<ExitCode> {
    match cmd {
        OrgCommand::List(args) => {
            let config = Config::resolve_store(&args.store)?;
            let store = crate::open_store(&config).await?;
            for o in store.list_orgs().await? {
                writeln!(
                    std::io::stdout(),
                    "{}\t{}\t{}{}",
                    o.id,
                    o.kind,
                    o.name,
                    if o.enabled { "" } else { "\t(disabled)" }
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
        OrgCommand::Create(args) => {
            let name = args.name.trim();
            if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
                bail!("--name: use 1 to 100 characters without control characters");
            }
            let config = Config::resolve_store(&args.store)?;
            let store = crate::open_store(&config).await?;
            let audit = crate::cli_audit(medsec_core::audit::Action::OrgCreated);
            let (org, _) = store
                .create_org(name, args.kind, medsec_core::Timestamp::now(), audit, None)
                .await
                .with_context(|| format!("creating the organisation \"{name}\""))?;
            writeln!(std::io::stdout(), "{}\t{}\t{}", org.id, org.kind, org.name)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
