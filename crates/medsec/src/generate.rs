//! `medsec sbom generate`: an SBOM from what a manufacturer ships (lock
//! files of its software, the dpkg database of its Linux image), written
//! as CycloneDX 1.6 JSON or XML or SPDX 2.3 JSON. Works without a store.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Args;
use medsec_sbom::generate::{Options, Product};
use medsec_sbom::{Party, Purl};

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum GenerateFormat {
    CyclonedxJson,
    CyclonedxXml,
    SpdxJson,
}

#[derive(Args)]
pub struct GenerateArgs {
    /// Lock files (Cargo.lock, package-lock.json, npm-shrinkwrap.json,
    /// requirements*.txt, poetry.lock, Pipfile.lock, uv.lock), a dpkg
    /// status file, or directories to walk for them (a Linux image's
    /// root: var/lib/dpkg/status with etc/os-release).
    #[arg(required = true)]
    paths: Vec<PathBuf>,
    /// The product the SBOM describes (its subject; the NTIA check wants
    /// one).
    #[arg(long)]
    product: Option<String>,
    /// The product's version.
    #[arg(long, requires = "product")]
    version: Option<String>,
    /// The manufacturer: the supplier of the product and of its own
    /// packages (Cargo path crates, the npm root package, …).
    #[arg(long, requires = "product")]
    supplier: Option<String>,
    /// A package URL for the product (its unique identifier).
    #[arg(long, requires = "product")]
    purl: Option<String>,
    /// Also list development-only packages (with scope `excluded`).
    #[arg(long)]
    include_dev: bool,
    /// Skip a malformed input with a warning instead of failing.
    #[arg(long)]
    keep_going: bool,
    #[arg(long, value_enum, default_value = "cyclonedx-json")]
    format: GenerateFormat,
    /// Write the SBOM here instead of standard output.
    #[arg(short, long)]
    output: Option<PathBuf>,
}

/// The SBOM's timestamp: `SOURCE_DATE_EPOCH` (seconds; reproducible
/// builds) when set, else now, to the second.
fn created() -> Result<String> {
    let ms = match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(s) => {
            let secs: i64 = s
                .trim()
                .parse()
                .with_context(|| format!("SOURCE_DATE_EPOCH={s:?}: expected seconds since 1970"))?;
            secs.checked_mul(1000)
                .context("SOURCE_DATE_EPOCH is out of range")?
        }
        Err(_) => medsec_core::Timestamp::now().0 / 1000 * 1000,
    };
    Ok(medsec_core::Timestamp(ms).rfc3339().replace(".000Z", "Z"))
}

pub fn generate(args: GenerateArgs) -> Result<ExitCode> {
    let product = match args.product {
        Some(name) => Some(Product {
            name,
            version: args.version,
            supplier: args.supplier.map(Party::organization),
            purl: match args.purl {
                Some(p) => Some(Purl::parse(&p).map_err(|e| anyhow::anyhow!("--purl {p:?}: {e}"))?),
                None => None,
            },
        }),
        None => None,
    };
    let options = Options {
        created: Some(created()?),
        product,
        include_dev: args.include_dev,
        keep_going: args.keep_going,
        ..Options::default()
    };
    let mut inputs = Vec::new();
    let mut warnings = Vec::new();
    for path in &args.paths {
        let collected = medsec_sbom::generate::collect(path, &options.limits)
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        if collected.inputs.is_empty() {
            anyhow::bail!(
                "{}: no lock file or dpkg database found (Cargo.lock, package-lock.json, requirements.txt, poetry.lock, Pipfile.lock, uv.lock, var/lib/dpkg/status)",
                path.display()
            );
        }
        let several = args.paths.len() > 1 && path.is_dir();
        inputs.extend(collected.inputs.into_iter().map(|mut input| {
            // Inputs are named relative to their directory: keep the
            // directories of several apart (a dpkg database finds its
            // os-release by path).
            if several {
                input.path = format!("{}/{}", path.display(), input.path);
            }
            input
        }));
        warnings.extend(collected.warnings);
    }
    let mut sbom =
        medsec_sbom::generate::generate(&inputs, &options).map_err(|e| anyhow::anyhow!("{e}"))?;
    if sbom.name.is_none()
        && let [one] = args.paths.as_slice()
    {
        sbom.name = std::path::absolute(one)
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()));
    }
    warnings.append(&mut sbom.warnings);
    for w in &warnings {
        eprintln!("warning: {}: {}", w.location, w.message);
    }
    let text = match args.format {
        GenerateFormat::CyclonedxJson => medsec_sbom::write_cyclonedx_json(&sbom),
        GenerateFormat::CyclonedxXml => medsec_sbom::write_cyclonedx_xml(&sbom),
        GenerateFormat::SpdxJson => medsec_sbom::write_spdx_json(&sbom),
    };
    match &args.output {
        Some(path) => std::fs::write(path, text.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?,
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            if !text.ends_with('\n') {
                writeln!(out)?;
            }
        }
    }
    let dependencies = sbom.dependencies.len();
    eprintln!(
        "{} components, {} dependency edges from {} input{}",
        sbom.components.len(),
        dependencies,
        inputs.len(),
        if inputs.len() == 1 { "" } else { "s" }
    );
    Ok(ExitCode::SUCCESS)
}
