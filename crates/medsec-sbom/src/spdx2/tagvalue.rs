//! SPDX 2 tag-value: `Tag: value` lines, `<text>…</text>` values that span
//! lines, `#` comments. Fields belong to the package or file last opened
//! by `PackageName:` or `FileName:`, as the specification orders them;
//! files that follow a package are its files. Errors and warnings give the
//! line number.

use super::{
    Algorithm, Checksum, Document, ExternalRef, ExtractedLicensingInfo, File, Package,
    Relationship, RelationshipType,
};
use crate::Limits;
use crate::error::{ErrorKind, Location, SbomError};
use crate::model::{Diagnostic, FormatKind, Sbom};

const FORMAT: FormatKind = FormatKind::Spdx2TagValue;

fn error(line: usize, message: impl Into<String>) -> SbomError {
    SbomError::invalid(FORMAT, Location::line(line), message)
}

/// What the lines being read describe.
enum Current {
    Document,
    Package,
    File,
    Snippet,
    License,
}

pub(crate) fn read_tag_value(bytes: &[u8], limits: &Limits) -> Result<Sbom, SbomError> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let (line, column) = crate::util::line_column(bytes, e.valid_up_to());
        SbomError::new(ErrorKind::Syntax, Some(FORMAT), "not UTF-8").at(Location::at(line, column))
    })?;
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let mut doc = Document::default();
    let mut warnings = Vec::new();
    let mut current = Current::Document;
    let mut seen_version = false;
    let mut seen_created = false;
    let mut lines = text.lines().enumerate();
    while let Some((i, raw)) = lines.next() {
        let line = i + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let Some((tag, value)) = trimmed.split_once(':') else {
            return Err(error(
                line,
                format!("expected `Tag: value`, found `{trimmed}`"),
            ));
        };
        let tag = tag.trim();
        let mut value = value.trim().to_owned();
        // A `<text>` value runs to the matching `</text>`, possibly lines
        // later.
        if let Some(rest) = value.strip_prefix("<text>") {
            let mut collected = rest.to_owned();
            loop {
                if let Some(end) = collected.find("</text>") {
                    collected.truncate(end);
                    break;
                }
                match lines.next() {
                    Some((_, next)) => {
                        collected.push('\n');
                        collected.push_str(next);
                    }
                    None => return Err(error(line, "`<text>` without `</text>`")),
                }
            }
            value = collected;
        }
        match tag {
            "SPDXVersion" => {
                doc.spdx_version = value;
                seen_version = true;
            }
            "DataLicense" => doc.data_license = value,
            "DocumentName" => doc.name = value,
            "DocumentNamespace" => doc.document_namespace = Some(value),
            "Creator" => doc.creation_info.creators.push(value),
            "Created" => {
                doc.creation_info.created = value;
                seen_created = true;
            }
            "SPDXID" => match current {
                Current::Document => doc.spdx_id = value,
                Current::Package => {
                    if let Some(p) = doc.packages.last_mut() {
                        p.spdx_id = value;
                    }
                }
                Current::File => {
                    if let Some(f) = doc.files.last_mut() {
                        f.spdx_id = value;
                    }
                }
                _ => {}
            },
            "PackageName" => {
                current = Current::Package;
                doc.packages.push(Package {
                    name: value,
                    line: Some(line),
                    ..Package::default()
                });
            }
            "FileName" => {
                let in_package = doc.packages.last().map(|p| p.spdx_id.clone());
                current = Current::File;
                doc.files.push(File {
                    file_name: value,
                    in_package,
                    line: Some(line),
                    ..File::default()
                });
            }
            "SnippetSPDXID" => current = Current::Snippet,
            "LicenseID" => {
                current = Current::License;
                doc.has_extracted_licensing_infos
                    .push(ExtractedLicensingInfo {
                        license_id: value,
                        ..ExtractedLicensingInfo::default()
                    });
            }
            "ExtractedText" => {
                if let Some(l) = doc.has_extracted_licensing_infos.last_mut() {
                    l.extracted_text = value;
                }
            }
            "LicenseName" => {
                if let (Current::License, Some(l)) =
                    (&current, doc.has_extracted_licensing_infos.last_mut())
                {
                    l.name = Some(value);
                }
            }
            "Relationship" => {
                let parts: Vec<&str> = value.split_whitespace().collect();
                let [a, t, b] = parts.as_slice() else {
                    return Err(error(
                        line,
                        format!("expected `Relationship: <id> <TYPE> <id>`, found `{value}`"),
                    ));
                };
                let relationship_type = RelationshipType::parse(t).map_err(|m| error(line, m))?;
                doc.relationships.push(Relationship {
                    spdx_element_id: (*a).to_owned(),
                    relationship_type,
                    related_spdx_element: (*b).to_owned(),
                    comment: None,
                    line: Some(line),
                });
            }
            "PackageVersion" => with_package(&mut doc, line, |p| p.version_info = Some(value))?,
            "PackageSupplier" => with_package(&mut doc, line, |p| p.supplier = Some(value))?,
            "PackageOriginator" => with_package(&mut doc, line, |p| p.originator = Some(value))?,
            "PackageDownloadLocation" => {
                with_package(&mut doc, line, |p| p.download_location = value)?
            }
            "PackageHomePage" => with_package(&mut doc, line, |p| p.homepage = Some(value))?,
            "PackageLicenseConcluded" => {
                with_package(&mut doc, line, |p| p.license_concluded = Some(value))?;
            }
            "PackageLicenseDeclared" => {
                with_package(&mut doc, line, |p| p.license_declared = Some(value))?;
            }
            "PackageCopyrightText" => {
                with_package(&mut doc, line, |p| p.copyright_text = Some(value))?
            }
            "PackageSummary" => with_package(&mut doc, line, |p| p.summary = Some(value))?,
            "PackageDescription" => with_package(&mut doc, line, |p| p.description = Some(value))?,
            "PrimaryPackagePurpose" => {
                with_package(&mut doc, line, |p| p.primary_package_purpose = Some(value))?;
            }
            "ValidUntilDate" => with_package(&mut doc, line, |p| p.valid_until_date = Some(value))?,
            "FilesAnalyzed" => {
                let b = match value.as_str() {
                    "true" => true,
                    "false" => false,
                    _ => {
                        return Err(error(
                            line,
                            format!("FilesAnalyzed must be `true` or `false`, found `{value}`"),
                        ));
                    }
                };
                with_package(&mut doc, line, |p| p.files_analyzed = Some(b))?;
            }
            "PackageChecksum" => {
                let c = checksum(&value).map_err(|m| error(line, m))?;
                with_package(&mut doc, line, |p| p.checksums.push(c))?;
            }
            "ExternalRef" => {
                let parts: Vec<&str> = value.split_whitespace().collect();
                let [category, kind, locator] = parts.as_slice() else {
                    return Err(error(
                        line,
                        format!(
                            "expected `ExternalRef: <CATEGORY> <type> <locator>`, found `{value}`"
                        ),
                    ));
                };
                let r = ExternalRef {
                    reference_category: (*category).to_owned(),
                    reference_type: (*kind).to_owned(),
                    reference_locator: (*locator).to_owned(),
                    comment: None,
                };
                with_package(&mut doc, line, |p| p.external_refs.push(r))?;
            }
            "FileChecksum" => {
                let c = checksum(&value).map_err(|m| error(line, m))?;
                with_file(&mut doc, line, |f| f.checksums.push(c))?;
            }
            "LicenseConcluded" => {
                if let Current::File = current {
                    with_file(&mut doc, line, |f| f.license_concluded = Some(value))?;
                }
            }
            "FileCopyrightText" => with_file(&mut doc, line, |f| f.copyright_text = Some(value))?,
            _ if KNOWN.contains(&tag) => {}
            _ => warnings.push(Diagnostic {
                location: format!("line {line}"),
                message: format!("unknown tag `{tag}`; ignored"),
            }),
        }
    }
    if !seen_version {
        return Err(error(1, "missing `SPDXVersion:`"));
    }
    if !seen_created {
        return Err(error(1, "missing `Created:`"));
    }
    for (what, missing) in [
        ("DataLicense", doc.data_license.is_empty()),
        ("DocumentName", doc.name.is_empty()),
        ("SPDXID", doc.spdx_id.is_empty()),
    ] {
        if missing {
            return Err(error(1, format!("missing document `{what}:`")));
        }
    }
    for p in &doc.packages {
        if p.spdx_id.is_empty() {
            return Err(error(
                p.line.unwrap_or(1),
                format!("package `{}` has no `SPDXID:`", p.name),
            ));
        }
    }
    for f in &doc.files {
        if f.spdx_id.is_empty() {
            return Err(error(
                f.line.unwrap_or(1),
                format!("file `{}` has no `SPDXID:`", f.file_name),
            ));
        }
    }
    super::convert(doc, FORMAT, warnings, limits)
}

/// Tags of SPDX 2.2/2.3 the model has no field for.
const KNOWN: &[&str] = &[
    "ExternalDocumentRef",
    "LicenseListVersion",
    "CreatorComment",
    "DocumentComment",
    "PackageFileName",
    "PackageVerificationCode",
    "PackageSourceInfo",
    "PackageLicenseInfoFromFiles",
    "PackageLicenseComments",
    "PackageComment",
    "ExternalRefComment",
    "PackageAttributionText",
    "ReleaseDate",
    "BuiltDate",
    "FileType",
    "LicenseInfoInFile",
    "LicenseComments",
    "FileComment",
    "FileNotice",
    "FileContributor",
    "FileAttributionText",
    "FileDependency",
    "ArtifactOfProjectName",
    "ArtifactOfProjectHomePage",
    "ArtifactOfProjectURI",
    "SnippetFromFileSPDXID",
    "SnippetByteRange",
    "SnippetLineRange",
    "SnippetLicenseConcluded",
    "LicenseInfoInSnippet",
    "SnippetLicenseComments",
    "SnippetCopyrightText",
    "SnippetComment",
    "SnippetName",
    "SnippetAttributionText",
    "LicenseCrossReference",
    "LicenseComment",
    "RelationshipComment",
    "Annotator",
    "AnnotationDate",
    "AnnotationType",
    "SPDXREF",
    "AnnotationComment",
    "Reviewer",
    "ReviewDate",
    "ReviewComment",
];

fn with_package(
    doc: &mut Document,
    line: usize,
    f: impl FnOnce(&mut Package),
) -> Result<(), SbomError> {
    match doc.packages.last_mut() {
        Some(p) => {
            f(p);
            Ok(())
        }
        None => Err(error(line, "a package field before any `PackageName:`")),
    }
}

fn with_file(doc: &mut Document, line: usize, f: impl FnOnce(&mut File)) -> Result<(), SbomError> {
    match doc.files.last_mut() {
        Some(file) => {
            f(file);
            Ok(())
        }
        None => Err(error(line, "a file field before any `FileName:`")),
    }
}

/// `SHA1: 2fd4e1c6…` as a checksum.
fn checksum(value: &str) -> Result<Checksum, String> {
    let Some((alg, hex)) = value.split_once(':') else {
        return Err(format!("expected `<ALGORITHM>: <hex>`, found `{value}`"));
    };
    let hex = hex.trim();
    if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!("checksum `{hex}` is not hexadecimal"));
    }
    Ok(Checksum {
        algorithm: Algorithm::parse(alg.trim())?,
        checksum_value: hex.to_owned(),
    })
}
