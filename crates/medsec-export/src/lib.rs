//! Checklist exports: XLSX laid out like the MFDS form (and its re-import), and HTML.
//!
//! - [`xlsx::write`] and [`xlsx::read`]: the workbook a manufacturer fills
//!   in and a reviewer reads, and the import of its edits.
//! - [`html::render`]: the same checklist as a standalone, printable page.
//!
//! Architecture invariant: no IO. Callers pass a
//! [`medsec_assure::Checklist`] and get bytes or text back.

mod error;
pub mod html;
pub mod xlsx;

pub use error::{ExportError, ImportError, ImportErrorKind, cell_ref, column_name};
pub use html::Lang;

#[cfg(test)]
mod tests;
