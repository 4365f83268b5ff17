//! Deserialising a JSON SBOM into its wire structs with the errors the
//! user needs: the JSON path (`components[3].version`), the line and
//! column, and serde_json's recursion limit kept (128 levels) so that a
//! deeply nested document is an error, not a stack overflow. Keys the
//! structs do not know become warnings, since the schemas forbid them.

use serde::de::DeserializeOwned;

use crate::error::{ErrorKind, Location, SbomError};
use crate::model::{Diagnostic, FormatKind};

/// Deserialises `bytes` as `T`, returning it with a warning per unknown
/// key.
pub(crate) fn deserialize<T: DeserializeOwned>(
    bytes: &[u8],
    format: FormatKind,
) -> Result<(T, Vec<Diagnostic>), SbomError> {
    let mut unknown = Vec::new();
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = {
        let mut note = |path: serde_ignored::Path<'_>| {
            unknown.push(Diagnostic {
                location: ignored_path(&path),
                message: "field not in the schema; ignored".to_owned(),
            });
        };
        let ignoring = serde_ignored::Deserializer::new(&mut de, &mut note);
        serde_path_to_error::deserialize::<_, T>(ignoring)
            .map_err(|e| path_error(format, e.path().to_string(), e.into_inner()))?
    };
    de.end().map_err(|e| path_error(format, String::new(), e))?;
    Ok((value, unknown))
}

/// Turns a serde_json error into an [`SbomError`] at `path`.
pub(crate) fn path_error(format: FormatKind, path: String, e: serde_json::Error) -> SbomError {
    let kind = match e.classify() {
        serde_json::error::Category::Data => ErrorKind::Invalid,
        _ if e.to_string().contains("recursion limit exceeded") => ErrorKind::TooDeep,
        _ => ErrorKind::Syntax,
    };
    let text = e.to_string();
    // serde_json appends the position to its message; the error keeps it
    // in fields and shows it after the path.
    let message = match text.rsplit_once(" at line ") {
        Some((m, _)) if e.line() > 0 => m.to_owned(),
        _ => text.clone(),
    };
    let mut location = Location::default();
    if e.line() > 0 {
        location = Location::at(e.line(), e.column());
    }
    if path != "." && !path.is_empty() {
        location = location.with_path(path);
    }
    SbomError::new(kind, Some(format), message).at(location)
}

/// `components[3].foo` for serde_ignored's path.
fn ignored_path(path: &serde_ignored::Path<'_>) -> String {
    use serde_ignored::Path;
    match path {
        Path::Root => String::new(),
        Path::Seq { parent, index } => format!("{}[{index}]", ignored_path(parent)),
        Path::Map { parent, key } => {
            let p = ignored_path(parent);
            if p.is_empty() {
                key.clone()
            } else {
                format!("{p}.{key}")
            }
        }
        Path::Some { parent }
        | Path::NewtypeStruct { parent }
        | Path::NewtypeVariant { parent } => ignored_path(parent),
    }
}
