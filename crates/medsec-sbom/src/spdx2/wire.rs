//! SPDX 2.2/2.3 JSON as serde reads it: the fields the model uses, typed
//! as the SPDX 2.3 JSON schema types them, and the schema's other fields
//! as [`Skip`] so that only unknown ones are reported. The tag-value
//! reader fills the same structs.

// The `Skip` fields exist so that serde knows the schema's fields; they
// are never read.
#![allow(dead_code)]

use serde::Deserialize;

use super::{Algorithm, RelationshipType};
use crate::util::Skip;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Document {
    #[serde(rename = "$schema")]
    pub schema: Option<Skip>,
    #[serde(rename = "SPDXID")]
    pub spdx_id: String,
    pub spdx_version: String,
    pub data_license: String,
    pub name: String,
    pub document_namespace: Option<String>,
    pub creation_info: CreationInfo,
    pub comment: Option<Skip>,
    pub external_document_refs: Option<Skip>,
    #[serde(default)]
    pub has_extracted_licensing_infos: Vec<ExtractedLicensingInfo>,
    pub annotations: Option<Skip>,
    pub revieweds: Option<Skip>,
    #[serde(default)]
    pub document_describes: Vec<String>,
    #[serde(default)]
    pub packages: Vec<Package>,
    #[serde(default)]
    pub files: Vec<File>,
    pub snippets: Option<Skip>,
    #[serde(default)]
    pub relationships: Vec<Relationship>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreationInfo {
    pub created: String,
    pub creators: Vec<String>,
    pub comment: Option<Skip>,
    pub license_list_version: Option<Skip>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ExtractedLicensingInfo {
    pub license_id: String,
    pub extracted_text: String,
    pub name: Option<String>,
    pub comment: Option<Skip>,
    pub cross_refs: Option<Skip>,
    pub see_alsos: Option<Skip>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Checksum {
    pub algorithm: Algorithm,
    pub checksum_value: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ExternalRef {
    pub reference_category: String,
    pub reference_type: String,
    pub reference_locator: String,
    pub comment: Option<Skip>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Package {
    #[serde(rename = "SPDXID")]
    pub spdx_id: String,
    pub name: String,
    pub version_info: Option<String>,
    pub package_file_name: Option<Skip>,
    pub supplier: Option<String>,
    pub originator: Option<String>,
    pub download_location: String,
    pub files_analyzed: Option<bool>,
    pub package_verification_code: Option<Skip>,
    #[serde(default)]
    pub checksums: Vec<Checksum>,
    pub homepage: Option<String>,
    pub source_info: Option<Skip>,
    pub license_concluded: Option<String>,
    pub license_info_from_files: Option<Skip>,
    pub license_declared: Option<String>,
    pub license_comments: Option<Skip>,
    pub copyright_text: Option<String>,
    pub summary: Option<String>,
    pub description: Option<String>,
    pub comment: Option<Skip>,
    #[serde(default)]
    pub external_refs: Vec<ExternalRef>,
    pub attribution_texts: Option<Skip>,
    pub primary_package_purpose: Option<String>,
    pub release_date: Option<Skip>,
    pub built_date: Option<Skip>,
    pub valid_until_date: Option<String>,
    pub annotations: Option<Skip>,
    #[serde(default)]
    pub has_files: Vec<String>,
    /// The tag-value line the package starts at.
    #[serde(skip)]
    pub line: Option<usize>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct File {
    #[serde(rename = "SPDXID")]
    pub spdx_id: String,
    pub file_name: String,
    pub checksums: Vec<Checksum>,
    pub file_types: Option<Skip>,
    pub license_concluded: Option<String>,
    pub license_info_in_files: Option<Skip>,
    pub license_comments: Option<Skip>,
    pub copyright_text: Option<String>,
    pub comment: Option<Skip>,
    pub notice_text: Option<Skip>,
    pub file_contributors: Option<Skip>,
    pub attribution_texts: Option<Skip>,
    pub file_dependencies: Option<Skip>,
    pub artifact_ofs: Option<Skip>,
    pub annotations: Option<Skip>,
    /// In tag-value, the package the file follows.
    #[serde(skip)]
    pub in_package: Option<String>,
    #[serde(skip)]
    pub line: Option<usize>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Relationship {
    pub spdx_element_id: String,
    pub relationship_type: RelationshipType,
    pub related_spdx_element: String,
    pub comment: Option<Skip>,
    #[serde(skip)]
    pub line: Option<usize>,
}
