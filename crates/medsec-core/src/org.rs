//! Organisations (tenants), roles and what each role may do.
//!
//! Architecture invariant: every stored object belongs to exactly one
//! organisation and a user only ever acts inside their own organisation.
//! The one exception is the *operator* organisation (the one that installed
//! medsec): its administrators may create and disable organisations and
//! their first administrators, but still cannot read other organisations'
//! records.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What kind of party an organisation is; decides its dashboard and which
/// roles and features it has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrgKind {
    /// A medical-device manufacturer or importer (제조·수입업체).
    Manufacturer,
    /// A hospital or other healthcare provider (의료기관).
    Hospital,
    /// The medical ISAC operator (의료ISAC, 의료기관공동보안관제센터).
    Isac,
    /// A regulator such as MFDS (식품의약품안전처).
    Regulator,
}

impl OrgKind {
    pub const ALL: [OrgKind; 4] = [
        OrgKind::Manufacturer,
        OrgKind::Hospital,
        OrgKind::Isac,
        OrgKind::Regulator,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            OrgKind::Manufacturer => "manufacturer",
            OrgKind::Hospital => "hospital",
            OrgKind::Isac => "isac",
            OrgKind::Regulator => "regulator",
        }
    }

    /// Roles that users of this kind of organisation can hold.
    pub fn roles(self) -> &'static [Role] {
        match self {
            OrgKind::Isac => &[Role::Admin, Role::Analyst, Role::Editor, Role::Viewer],
            _ => &[Role::Admin, Role::Editor, Role::Viewer],
        }
    }
}

impl fmt::Display for OrgKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The error of parsing an unknown organisation kind or role name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{value}`")]
pub struct UnknownName {
    pub what: &'static str,
    pub value: String,
}

impl FromStr for OrgKind {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OrgKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownName {
                what: "organisation kind",
                value: s.to_owned(),
            })
    }
}

/// A user's role inside their organisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages the organisation's users and settings and reads its audit log.
    Admin,
    /// Creates and changes the organisation's records.
    Editor,
    /// Reads the organisation's records.
    Viewer,
    /// An ISAC analyst (관제 요원): works alerts and incidents; ISAC only.
    Analyst,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Editor, Role::Viewer, Role::Analyst];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Viewer => "viewer",
            Role::Analyst => "analyst",
        }
    }

    /// Whether this role may do `p`. `operator` says whether the user's
    /// organisation is the operator organisation.
    pub fn can(self, p: Permission, operator: bool) -> bool {
        use Permission::*;
        match p {
            Read => true,
            Write => matches!(self, Role::Admin | Role::Editor | Role::Analyst),
            ManageUsers | ManageOrgSettings | ViewAudit | ExportAudit => self == Role::Admin,
            ManageOrganizations | ManageSecurityPolicy => self == Role::Admin && operator,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownName {
                what: "role",
                value: s.to_owned(),
            })
    }
}

/// Something a user may or may not be allowed to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Permission {
    /// Read the organisation's records.
    Read,
    /// Create or change the organisation's records.
    Write,
    /// Create, change and disable users of the organisation.
    ManageUsers,
    /// Change the organisation's own settings.
    ManageOrgSettings,
    /// Read the organisation's audit log.
    ViewAudit,
    /// Export the organisation's audit log.
    ExportAudit,
    /// Create and disable organisations (operator administrators only).
    ManageOrganizations,
    /// Change the instance-wide security policy (operator administrators only).
    ManageSecurityPolicy,
}

/// What an API token may be used for. A token never grants more than its
/// owner's role allows; the scope narrows it further.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Read requests (GET).
    Read,
    /// State-changing requests, within the owner's role.
    Write,
    /// Administrative requests (users, settings, audit), within the owner's role.
    Admin,
    /// Scraping `/metrics`.
    Metrics,
}

impl Scope {
    pub const ALL: [Scope; 4] = [Scope::Read, Scope::Write, Scope::Admin, Scope::Metrics];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Admin => "admin",
            Scope::Metrics => "metrics",
        }
    }

    /// The scope a token needs to exercise `p`.
    pub fn needed_for(p: Permission) -> Scope {
        match p {
            Permission::Read => Scope::Read,
            Permission::Write => Scope::Write,
            _ => Scope::Admin,
        }
    }
}

impl FromStr for Scope {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Scope::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownName {
                what: "scope",
                value: s.to_owned(),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for k in OrgKind::ALL {
            assert_eq!(k.as_str().parse::<OrgKind>(), Ok(k));
        }
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(r));
        }
        for s in Scope::ALL {
            assert_eq!(s.as_str().parse::<Scope>(), Ok(s));
        }
        assert!("root".parse::<Role>().is_err());
    }

    #[test]
    fn least_privilege() {
        assert!(!Role::Viewer.can(Permission::Write, true));
        assert!(!Role::Editor.can(Permission::ManageUsers, true));
        assert!(Role::Admin.can(Permission::ManageUsers, false));
        assert!(!Role::Admin.can(Permission::ManageOrganizations, false));
        assert!(Role::Admin.can(Permission::ManageOrganizations, true));
        assert!(!OrgKind::Hospital.roles().contains(&Role::Analyst));
        assert!(OrgKind::Isac.roles().contains(&Role::Analyst));
    }
}
