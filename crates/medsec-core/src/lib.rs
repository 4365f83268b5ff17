//! Domain types and rules of medsec that do no IO: organisations, roles and
//! permissions, the password policy, credentials and tokens, TOTP, the
//! hash-chained audit record, field validation, and the sector crisis
//! levels with their built-in checklists.
//!
//! Everything here is deterministic given its inputs (time is always passed
//! in), so the server, the store and the CLI share one definition of each
//! rule and tests need no clock or database.

pub mod audit;
pub mod credential;
pub mod crisis;
pub mod org;
pub mod password;
pub mod policy;
pub mod time;
pub mod totp;
pub mod validate;

pub use org::{OrgKind, Permission, Role};
pub use time::Timestamp;

/// Creates a new random identifier for a stored object.
///
/// Identifiers are random (UUID v4) rather than sequential so that an id
/// says nothing about how many objects other organisations have.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}
