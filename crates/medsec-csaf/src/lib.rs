//! CSAF 2.0 (OASIS Common Security Advisory Framework) advisories without
//! IO: reading a document into typed values, resolving its product tree,
//! flattening it into one statement per vulnerability and product (how
//! medsec imports CISA ICSMA medical advisories and CSAF VEX), writing
//! CSAF VEX for a manufacturer's device, and the mandatory tests of the
//! specification (section 6.1) as diagnostics with JSON paths.
//!
//! Reading never panics and never recurses without bound: `serde_json`
//! stops at 128 levels of nesting, and [`read`] rejects product trees
//! deeper than [`MAX_BRANCH_DEPTH`], which the walkers of this crate rely
//! on.

mod check;
mod model;
mod pointer;
mod products;
mod statements;
mod vers;
mod vex;

pub use check::{Diagnostic, IMPLEMENTED_TESTS, NOT_IMPLEMENTED_TESTS, check};
pub use model::*;
pub use products::{Product, ProductRelation, Products, VersionSpec, products};
pub use statements::{ProductRef, Statement, statements};
pub use vers::{Comparator, Constraint, Constraints, Vers, VersError};
pub use vex::{
    VEX_PRODUCT_ID, VexAction, VexDocument, VexError, VexProduct, VexPublisher, VexRevision,
    VexStatus, VexVulnerability, write_vex,
};

/// How many levels of `branches` a document may nest. Real advisories use
/// three to five (vendor, product family, product name, version,
/// architecture); the limit keeps every recursive walk shallow.
pub const MAX_BRANCH_DEPTH: usize = 32;

/// Why bytes are not a CSAF 2.0 document medsec can use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsafError {
    /// Not JSON, or JSON that does not have the shape of a CSAF document.
    /// `path` is a JSON pointer to the offending member (empty for the
    /// document itself).
    #[error("not a CSAF document: at `{path}` (line {line}, column {column}): {message}")]
    Json {
        path: String,
        line: usize,
        column: usize,
        message: String,
    },
    /// A CSAF document of another version than 2.0.
    #[error("unsupported CSAF version `{0}` at `/document/csaf_version` (only 2.0 is supported)")]
    Version(String),
    /// A member of another JSON type than the schema's where serde would
    /// have accepted it anyway: an array for an object (serde reads a
    /// struct from its fields in order) or an object for a string (serde
    /// reads `{"value": null}` as an enumeration value). Checked after the
    /// read, so without a line and column.
    #[error("not a CSAF document: at `{path}`: {found} where the schema has {expected}")]
    Shape {
        path: String,
        expected: &'static str,
        found: &'static str,
    },
    /// A product tree nested deeper than [`MAX_BRANCH_DEPTH`].
    #[error("product tree too deep: `{path}` is nested more than {limit} branches deep")]
    TooDeep { path: String, limit: usize },
}

/// Reads a CSAF 2.0 document from JSON bytes (an optional UTF-8 byte order
/// mark is ignored).
///
/// The result has the shape the schema demands where medsec relies on it
/// (required members, closed enumerations); value constraints such as
/// patterns and formats, and the mandatory tests, are [`check`]'s job.
pub fn read(bytes: &[u8]) -> Result<Advisory, CsafError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let advisory: Advisory = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = pointer::from_serde_path(e.path());
        let inner = e.into_inner();
        CsafError::Json {
            path,
            line: inner.line(),
            column: inner.column(),
            message: inner.to_string(),
        }
    })?;
    de.end().map_err(|e| CsafError::Json {
        path: String::new(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    // The original as a plain value, to compare JSON types with what was
    // read; it parses, since the typed read of the same bytes did.
    let original: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| CsafError::Json {
            path: String::new(),
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
    let ours = serde_json::to_value(&advisory).map_err(|e| CsafError::Json {
        path: String::new(),
        line: 0,
        column: 0,
        message: e.to_string(),
    })?;
    let mut path = String::new();
    if let Some((expected, found)) = same_shape(&original, &ours, &mut path) {
        return Err(CsafError::Shape {
            path,
            expected,
            found,
        });
    }
    if advisory.document.csaf_version != "2.0" {
        return Err(CsafError::Version(advisory.document.csaf_version));
    }
    if let Some(tree) = &advisory.product_tree
        && let Some(path) = too_deep(&tree.branches, "/product_tree/branches", 1)
    {
        return Err(CsafError::TooDeep {
            path,
            limit: MAX_BRANCH_DEPTH,
        });
    }
    Ok(advisory)
}

fn kind(v: &serde_json::Value) -> &'static str {
    use serde_json::Value;
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The first place where the document has another JSON type than the
/// value read from it, as (expected, found), with `path` pointing there.
/// Members that were not read (unknown to the schema) are not compared.
/// The recursion is bounded by serde_json's nesting limit.
fn same_shape(
    original: &serde_json::Value,
    ours: &serde_json::Value,
    path: &mut String,
) -> Option<(&'static str, &'static str)> {
    use serde_json::Value;
    match (original, ours) {
        (Value::Array(a), Value::Array(b)) => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                let len = path.len();
                pointer::push(path, &i.to_string());
                if let Some(found) = same_shape(x, y, path) {
                    return Some(found);
                }
                path.truncate(len);
            }
            None
        }
        (Value::Object(a), Value::Object(b)) => {
            for (key, y) in b {
                if let Some(x) = a.get(key) {
                    let len = path.len();
                    pointer::push(path, key);
                    if let Some(found) = same_shape(x, y, path) {
                        return Some(found);
                    }
                    path.truncate(len);
                }
            }
            None
        }
        (a, b) if kind(a) == kind(b) => None,
        (a, b) => Some((kind(b), kind(a))),
    }
}

/// The path of the first branch nested deeper than the limit. The
/// recursion itself is bounded: serde_json's nesting limit keeps the tree
/// it builds well under a hundred levels.
fn too_deep(branches: &[Branch], path: &str, depth: usize) -> Option<String> {
    for (i, branch) in branches.iter().enumerate() {
        let here = format!("{path}/{i}");
        if depth > MAX_BRANCH_DEPTH {
            return Some(here);
        }
        if let Some(p) = too_deep(&branch.branches, &format!("{here}/branches"), depth + 1) {
            return Some(p);
        }
    }
    None
}

#[cfg(test)]
mod tests;
