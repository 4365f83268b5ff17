//! The instance-wide security policy: lock-out, sessions, password expiry
//! and second factor. Operator administrators change it in the settings
//! page; every change is audited.

use serde::{Deserialize, Serialize};

use crate::validate::FieldError;

/// What happens when an administrator logs in while already holding a
/// session (MFDS 1.2 다중접속 금지, KISA 1.3.8 / web 03).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdminSessionPolicy {
    /// The new login ends the earlier session.
    ReplaceOld,
    /// The new login is refused while the earlier session is alive.
    RefuseNew,
}

/// Instance-wide security settings. Values are validated by [`SecurityPolicy::validate`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SecurityPolicy {
    /// Failed logins in a row before the account locks (MFDS 1.4/1.7).
    pub lockout_threshold: u32,
    /// How long a locked account stays locked, in seconds.
    pub lockout_secs: u32,
    /// A session unused this long ends (MFDS 1.8), in seconds.
    pub idle_timeout_secs: u32,
    /// A session ends this long after login whatever its use, in seconds.
    pub session_lifetime_secs: u32,
    /// Administrators' concurrent-session rule.
    pub admin_sessions: AdminSessionPolicy,
    /// Passwords expire after this many days; 0 means never.
    pub password_max_age_days: u32,
    /// How many previous passwords may not be reused.
    pub password_history: u32,
    /// Administrators must use a second factor (TOTP).
    pub require_totp_for_admins: bool,
    /// The longest validity of an API token, in days.
    pub token_max_days: u32,
}

impl Default for SecurityPolicy {
    fn default() -> Self {
        SecurityPolicy {
            lockout_threshold: 5,
            lockout_secs: 30 * 60,
            idle_timeout_secs: 15 * 60,
            session_lifetime_secs: 12 * 60 * 60,
            admin_sessions: AdminSessionPolicy::ReplaceOld,
            password_max_age_days: 0,
            password_history: 3,
            require_totp_for_admins: false,
            token_max_days: 365,
        }
    }
}

impl SecurityPolicy {
    /// Checks every field against its allowed range; returns one error per
    /// field that is out of range.
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let mut range = |field: &'static str, value: u32, min: u32, max: u32| {
            if value < min || value > max {
                errors.push(FieldError::range(field, i64::from(min), i64::from(max)));
            }
        };
        range("lockout_threshold", self.lockout_threshold, 3, 10);
        range("lockout_secs", self.lockout_secs, 60, 24 * 3600);
        // Ten seconds is the floor so that tests and drills can watch a
        // timeout happen; an hour is the ceiling the KISA guides tolerate.
        range("idle_timeout_secs", self.idle_timeout_secs, 10, 3600);
        range(
            "session_lifetime_secs",
            self.session_lifetime_secs,
            600,
            7 * 24 * 3600,
        );
        range("password_max_age_days", self.password_max_age_days, 0, 365);
        range("password_history", self.password_history, 0, 24);
        range("token_max_days", self.token_max_days, 1, 730);
        if self.session_lifetime_secs < self.idle_timeout_secs {
            errors.push(FieldError::new("session_lifetime_secs", "less_than_idle"));
        }
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_ranges_enforced() {
        assert!(SecurityPolicy::default().validate().is_empty());
        let p = SecurityPolicy {
            lockout_threshold: 50,
            idle_timeout_secs: 5,
            ..Default::default()
        };
        let fields: Vec<_> = p.validate().into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["lockout_threshold", "idle_timeout_secs"]);
    }

    #[test]
    fn unknown_fields_are_refused() {
        let e = serde_json::from_str::<SecurityPolicy>(r#"{"lockout_treshold": 3}"#);
        assert!(e.is_err());
    }
}
