//! The audit record (MFDS 2.1, KISA 5.4.2/5.4.3) and its hash chain.
//!
//! Every record carries the SHA-256 of its predecessor, so altering,
//! removing or reordering a stored record breaks the chain at that point,
//! and [`verify`] names the first record where it breaks. The hash covers a
//! fixed, length-prefixed encoding of the fields, never a re-serialised
//! map, so it does not depend on JSON key order or on the backend.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

use crate::Timestamp;

/// The `prev_hash` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

macro_rules! actions {
    ($($variant:ident = $name:literal, $security:literal;)*) => {
        /// What an audit record records. The string form is stored.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum Action { $($variant,)* }

        impl Action {
            pub const ALL: &'static [Action] = &[$(Action::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $(Action::$variant => $name,)* }
            }

            /// Whether this is a security event (as opposed to a change of a
            /// regulated record).
            pub fn is_security_event(self) -> bool {
                match self { $(Action::$variant => $security,)* }
            }
        }

        impl std::str::FromStr for Action {
            type Err = crate::org::UnknownName;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($name => Ok(Action::$variant),)*
                    _ => Err(crate::org::UnknownName { what: "audit action", value: s.to_owned() }),
                }
            }
        }
    };
}

actions! {
    LoginSuccess = "auth.login.success", true;
    LoginFailure = "auth.login.failure", true;
    Lockout = "auth.lockout", true;
    Logout = "auth.logout", true;
    SessionTimeout = "auth.session.timeout", true;
    SessionExpired = "auth.session.expired", true;
    SessionReplaced = "auth.session.replaced", true;
    SessionRefused = "auth.session.refused", true;
    SessionRevoked = "auth.session.revoked", true;
    TotpFailure = "auth.totp.failure", true;
    TotpEnabled = "auth.totp.enabled", true;
    TotpDisabled = "auth.totp.disabled", true;
    AccessDenied = "auth.access.denied", true;
    SetupCompleted = "setup.completed", true;
    UserCreated = "user.created", true;
    UserUpdated = "user.updated", true;
    UserRoleChanged = "user.role_changed", true;
    UserDisabled = "user.disabled", true;
    UserEnabled = "user.enabled", true;
    UserUnlocked = "user.unlocked", true;
    UserDeleted = "user.deleted", true;
    PasswordChanged = "user.password_changed", true;
    PasswordReset = "user.password_reset", true;
    UserActivated = "user.activated", true;
    OrgCreated = "org.created", true;
    OrgUpdated = "org.updated", true;
    OrgDisabled = "org.disabled", true;
    OrgEnabled = "org.enabled", true;
    TokenCreated = "token.created", true;
    TokenRevoked = "token.revoked", true;
    SettingsChanged = "settings.changed", true;
    AuditExported = "audit.exported", true;
    BackupCreated = "backup.created", true;
    BackupRestored = "backup.restored", true;
    DeviceCreated = "device.created", false;
    DeviceUpdated = "device.updated", false;
    ApplicabilityOverridden = "applicability.overridden", false;
    ChecklistCreated = "checklist.created", false;
    ChecklistUpdated = "checklist.updated", false;
    ChecklistImported = "checklist.imported", false;
    ChecklistExported = "checklist.exported", false;
    EvidenceUploaded = "evidence.uploaded", false;
    EvidenceDownloaded = "evidence.downloaded", false;
    ChecklistSubmitted = "checklist.submitted", true;
    ReviewCommented = "review.commented", false;
    ReviewDecided = "review.decided", false;
    FeedImported = "feed.imported", true;
    ProductCreated = "product.created", false;
    ReleaseCreated = "release.created", false;
    VexRecorded = "vex.recorded", true;
    VexDeleted = "vex.deleted", true;
    AliasRuleAdded = "alias_rule.added", false;
    AliasRuleDeleted = "alias_rule.deleted", false;
    ReleaseShared = "release.shared", true;
    InventoryDeviceAdded = "inventory.device_added", false;
    InventoryDeviceRemoved = "inventory.device_removed", false;
    WebhookCreated = "webhook.created", true;
    WebhookDeleted = "webhook.deleted", true;
    LogSourceCreated = "log_source.created", true;
    LogSourceUpdated = "log_source.updated", true;
    LogSourceDeleted = "log_source.deleted", true;
    DecoderSaved = "decoder.saved", false;
    DecoderActivated = "decoder.activated", true;
    DecoderDeactivated = "decoder.deactivated", true;
    DecoderDeleted = "decoder.deleted", false;
    MaskingRuleChanged = "masking_rule.changed", true;
    RetentionChanged = "retention.changed", true;
    EventsSearched = "events.searched", false;
    EventsExported = "events.exported", true;
    AlertTriaged = "alert.triaged", true;
    AlertAssigned = "alert.assigned", false;
    AlertCommented = "alert.commented", false;
    SuppressionAdded = "alert_suppression.added", true;
    SuppressionEnded = "alert_suppression.ended", true;
    DetectionGap = "detection.gap", true;
    CrisisLevelSet = "crisis.level.set", true;
    CrisisChecklistUpdated = "crisis.checklist.updated", false;
    WebshellScanned = "webshell.scanned", true;
    WebMonitorAdded = "web_monitor.added", false;
    WebMonitorUpdated = "web_monitor.updated", true;
    WebMonitorRemoved = "web_monitor.removed", true;
    WebBaselineAccepted = "web_monitor.baseline_accepted", true;
    IncidentOpened = "incident.opened", true;
    IncidentUpdated = "incident.updated", true;
    IncidentMemberAdded = "incident.member_added", true;
    IncidentShared = "incident.shared", true;
    IncidentReported = "incident.reported", true;
    IncidentDeviceAdded = "incident.device_added", false;
    IncidentRoleAssigned = "incident.role_assigned", true;
    IncidentRoleRemoved = "incident.role_removed", true;
    IncidentAlertLinked = "incident.alert_linked", false;
    IncidentTaskAdded = "incident.task_added", false;
    IncidentTaskUpdated = "incident.task_updated", false;
    IncidentEvidenceAdded = "incident.evidence_added", true;
    IncidentEvidenceDownloaded = "incident.evidence_downloaded", true;
    IncidentNoted = "incident.noted", false;
    IncidentReportIssued = "incident.report_issued", true;
    IndicatorsImported = "indicators.imported", true;
    IndicatorSourceRemoved = "indicator_source.removed", true;
    IndicatorAdded = "indicator.added", true;
    IndicatorRevoked = "indicator.revoked", true;
    IndicatorExpired = "indicator.expired", true;
    ThreatModelImported = "threat_model.imported", false;
    ThreatModelReset = "threat_model.reset", false;
    RiskRegisterUpdated = "risk_register.updated", false;
    RiskRubricAssessed = "risk.rubric_assessed", false;
    ScanReportUploaded = "scan_report.uploaded", false;
    AnomalyJustified = "anomaly.justified", false;
    PackageBuilt = "package.built", false;
    SubmissionPackageAttached = "submission.package_attached", false;
    DeviceReleaseLinked = "device.release_linked", false;
    DeviceReleaseUnlinked = "device.release_unlinked", false;
    DeviceLifecycleUpdated = "device.lifecycle_updated", false;
    DeviceLifecycleRemoved = "device.lifecycle_removed", false;
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether the recorded attempt succeeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Success,
    Failure,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
        }
    }
}

/// A stored audit record: the event plus its place in the chain.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// Position in the chain, 1 for the first record, without gaps.
    pub seq: i64,
    pub at: Timestamp,
    /// The organisation the event belongs to; `None` for instance events.
    pub org_id: Option<String>,
    /// The acting user's id, if a user acted.
    pub actor_id: Option<String>,
    /// The acting user's name at the time, or `anonymous`, `system`, `cli`.
    pub actor: String,
    /// Where the request came from: an IP address, or `cli`/`system`.
    pub source: String,
    pub action: String,
    pub outcome: String,
    /// What was acted upon, e.g. `user`, `organization`, `session`.
    pub target_kind: String,
    pub target_id: Option<String>,
    /// Event details as a JSON text, hashed exactly as stored.
    pub details: String,
    pub prev_hash: String,
    pub hash: String,
}

fn put(h: &mut Sha256, field: &[u8]) {
    h.update((field.len() as u64).to_be_bytes());
    h.update(field);
}

fn put_opt(h: &mut Sha256, field: Option<&str>) {
    match field {
        None => h.update([0u8]),
        Some(s) => {
            h.update([1u8]);
            put(h, s.as_bytes());
        }
    }
}

impl Record {
    /// The hash this record must carry, from its fields and `prev_hash`.
    pub fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        put(&mut h, b"medsec-audit-v1");
        put(&mut h, self.prev_hash.as_bytes());
        h.update(self.seq.to_be_bytes());
        h.update(self.at.0.to_be_bytes());
        put_opt(&mut h, self.org_id.as_deref());
        put_opt(&mut h, self.actor_id.as_deref());
        put(&mut h, self.actor.as_bytes());
        put(&mut h, self.source.as_bytes());
        put(&mut h, self.action.as_bytes());
        put(&mut h, self.outcome.as_bytes());
        put(&mut h, self.target_kind.as_bytes());
        put_opt(&mut h, self.target_id.as_deref());
        put(&mut h, self.details.as_bytes());
        crate::credential::hex(&h.finalize())
    }
}

/// Why the chain is broken at a record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Break {
    /// The record's content no longer matches its hash.
    Altered { seq: i64 },
    /// Records are missing before this one (a gap in the sequence).
    Removed { seq: i64, expected_seq: i64 },
    /// The record is out of order or does not follow its predecessor.
    Reordered { seq: i64 },
    /// Records at the end of the log were removed: the chain head records a
    /// later record than the last one present.
    Truncated { last_seq: i64, head_seq: i64 },
}

impl fmt::Display for Break {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Break::Altered { seq } => write!(
                f,
                "record {seq} was altered: its content does not match its hash"
            ),
            Break::Removed { seq, expected_seq } => write!(
                f,
                "records {expected_seq}..{} were removed: record {seq} follows record {}",
                seq - 1,
                expected_seq - 1
            ),
            Break::Reordered { seq } => write!(
                f,
                "record {seq} is out of order: it does not follow the record before it"
            ),
            Break::Truncated { last_seq, head_seq } => write!(
                f,
                "records {}..{head_seq} were removed from the end: the last record is {last_seq}",
                last_seq + 1
            ),
        }
    }
}

/// Incremental chain verification over records in stored order.
#[derive(Debug, Default)]
pub struct Verifier {
    checked: u64,
    last_seq: i64,
    last_hash: Option<String>,
    first_break: Option<Break>,
}

impl Verifier {
    pub fn new() -> Verifier {
        Verifier::default()
    }

    /// Checks the next record. After the first break the rest is only
    /// counted, since the break has already been reported.
    pub fn push(&mut self, r: &Record) {
        self.checked += 1;
        if self.first_break.is_some() {
            return;
        }
        let expected_seq = self.last_seq + 1;
        let expected_prev = self.last_hash.as_deref().unwrap_or(GENESIS);
        let problem = if r.compute_hash() != r.hash {
            Some(Break::Altered { seq: r.seq })
        } else if r.seq > expected_seq {
            Some(Break::Removed {
                seq: r.seq,
                expected_seq,
            })
        } else if r.seq < expected_seq || r.prev_hash != expected_prev {
            Some(Break::Reordered { seq: r.seq })
        } else {
            None
        };
        self.first_break = problem;
        self.last_seq = r.seq;
        self.last_hash = Some(r.hash.clone());
    }

    /// Ends verification, comparing the last record with the chain head
    /// (the stored sequence number and hash of the newest record).
    pub fn finish(mut self, head: Option<(i64, &str)>) -> Verification {
        if self.first_break.is_none()
            && let Some((head_seq, head_hash)) = head
        {
            if head_seq > self.last_seq {
                self.first_break = Some(Break::Truncated {
                    last_seq: self.last_seq,
                    head_seq,
                });
            } else if head_seq == self.last_seq
                && self.last_hash.as_deref() != Some(head_hash)
                && head_seq > 0
            {
                self.first_break = Some(Break::Altered { seq: head_seq });
            }
        }
        Verification {
            checked: self.checked,
            last_seq: self.last_seq,
            first_break: self.first_break,
        }
    }
}

/// The result of verifying the whole chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub checked: u64,
    pub last_seq: i64,
    pub first_break: Option<Break>,
}

impl Verification {
    pub fn is_intact(&self) -> bool {
        self.first_break.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<Record> {
        let mut out: Vec<Record> = Vec::new();
        for seq in 1..=n {
            let mut r = Record {
                seq,
                at: Timestamp(1_700_000_000_000 + seq),
                org_id: Some("org".into()),
                actor_id: None,
                actor: "kim".into(),
                source: "127.0.0.1".into(),
                action: Action::LoginSuccess.as_str().into(),
                outcome: "success".into(),
                target_kind: "session".into(),
                target_id: None,
                details: format!("{{\"n\":{seq}}}"),
                prev_hash: out.last().map_or(GENESIS.to_owned(), |p| p.hash.clone()),
                hash: String::new(),
            };
            r.hash = r.compute_hash();
            out.push(r);
        }
        out
    }

    fn check(records: &[Record], head: Option<(i64, &str)>) -> Option<Break> {
        let mut v = Verifier::new();
        records.iter().for_each(|r| v.push(r));
        v.finish(head).first_break
    }

    #[test]
    fn intact_chain() {
        let c = chain(5);
        assert_eq!(check(&c, Some((5, &c[4].hash))), None);
    }

    #[test]
    fn tampering_is_found_at_the_first_bad_record() {
        let mut c = chain(5);
        c[2].details = "{\"n\":99}".into();
        assert_eq!(check(&c, None), Some(Break::Altered { seq: 3 }));

        let mut c = chain(5);
        c.remove(1);
        assert_eq!(
            check(&c, None),
            Some(Break::Removed {
                seq: 3,
                expected_seq: 2
            })
        );

        let mut c = chain(5);
        c.swap(1, 2);
        assert_eq!(
            check(&c, None),
            Some(Break::Removed {
                seq: 3,
                expected_seq: 2
            })
        );

        let c = chain(5);
        assert_eq!(
            check(&c[..3], Some((5, &c[4].hash))),
            Some(Break::Truncated {
                last_seq: 3,
                head_seq: 5
            })
        );
    }

    #[test]
    fn rehashed_forgery_breaks_the_link() {
        // An attacker edits record 2 and recomputes its hash, but cannot
        // also fix record 3's prev_hash without recomputing everything.
        let mut c = chain(4);
        c[1].actor = "mallory".into();
        c[1].hash = c[1].compute_hash();
        assert_eq!(check(&c, None), Some(Break::Reordered { seq: 3 }));
    }

    #[test]
    fn every_action_round_trips() {
        for a in Action::ALL {
            assert_eq!(a.as_str().parse::<Action>().unwrap(), *a);
        }
    }
}
