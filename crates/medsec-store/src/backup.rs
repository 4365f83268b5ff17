//! `medsec backup` and `medsec restore`: a consistent, versioned export of
//! all medsec data that loads into an empty database of either backend.
//!
//! The file is JSON Lines: a header naming the format version and schema
//! version, then for each table a line with its column names followed by
//! one JSON array per row, then a trailer with per-table row counts and
//! the SHA-256 of every byte before it. Restore checks the trailer before
//! it writes anything, loads everything in one transaction and verifies
//! the audit chain before committing.
//!
//! Sessions and one-time links are not exported: they are short-lived
//! secrets bound to the running instance.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::Path;

use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Row;

use medsec_core::Timestamp;
use medsec_core::audit::{Record, Verifier};

use crate::{BeginWrite, Db, Result, Store, StoreError, db};

/// The version of the backup format this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;
const FORMAT_NAME: &str = "medsec-backup";

/// How a column's values are typed in the file and bound on restore.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Col {
    Text,
    OptText,
    Int,
    OptInt,
    Bool,
    /// Binary, base64 in the file.
    Bytes,
}

pub(crate) struct Table {
    pub name: &'static str,
    pub order_by: &'static str,
    pub columns: &'static [(&'static str, Col)],
}

use Col::*;

/// Every exported table, parents before children.
pub(crate) const TABLES: &[Table] = &[
    Table {
        name: "organizations",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("name", Text),
            ("kind", Text),
            ("is_operator", Bool),
            ("enabled", Bool),
            ("created_at", Int),
            ("updated_at", Int),
        ],
    },
    Table {
        name: "users",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("org_id", Text),
            ("username", Text),
            ("display_name", Text),
            ("role", Text),
            ("status", Text),
            ("password_hash", OptText),
            ("password_changed_at", OptInt),
            ("must_change_password", Bool),
            ("totp_secret", OptText),
            ("totp_enabled", Bool),
            ("totp_last_step", OptInt),
            ("failed_logins", Int),
            ("locked_until", OptInt),
            ("last_login_at", OptInt),
            ("last_login_ip", OptText),
            ("prev_login_at", OptInt),
            ("prev_login_ip", OptText),
            ("failures_before_login", Int),
            ("created_at", Int),
            ("updated_at", Int),
        ],
    },
    Table {
        name: "password_history",
        order_by: "user_id, created_at, hash",
        columns: &[("user_id", Text), ("hash", Text), ("created_at", Int)],
    },
    Table {
        name: "api_tokens",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("user_id", Text),
            ("org_id", Text),
            ("name", Text),
            ("token_hash", Text),
            ("prefix", Text),
            ("scopes", Text),
            ("created_at", Int),
            ("expires_at", Int),
            ("last_used_at", OptInt),
            ("revoked_at", OptInt),
        ],
    },
    Table {
        name: "settings",
        order_by: "key",
        columns: &[("key", Text), ("value", Text), ("updated_at", Int)],
    },
    Table {
        name: "audit_log",
        order_by: "seq",
        columns: &[
            ("seq", Int),
            ("at", Int),
            ("org_id", OptText),
            ("actor_id", OptText),
            ("actor", Text),
            ("source", Text),
            ("action", Text),
            ("outcome", Text),
            ("target_kind", Text),
            ("target_id", OptText),
            ("details", Text),
            ("prev_hash", Text),
            ("hash", Text),
        ],
    },
    Table {
        name: "devices",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("org_id", Text),
            ("product", Text),
            ("model", Text),
            ("software_version", Text),
            ("profile", Text),
            ("overrides", Text),
            ("revision", Int),
            ("created_at", Int),
            ("updated_at", Int),
        ],
    },
    Table {
        name: "checklists",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("org_id", Text),
            ("device_id", Text),
            ("catalog", Text),
            ("edition", Text),
            ("workspace", Text),
            ("revision", Int),
            ("status", Text),
            ("created_at", Int),
            ("updated_at", Int),
        ],
    },
    Table {
        name: "checklist_changes",
        order_by: "checklist_id, revision, n",
        columns: &[
            ("checklist_id", Text),
            ("revision", Int),
            ("n", Int),
            ("item", Text),
            ("field", Text),
            ("old_value", Text),
            ("new_value", Text),
            ("actor_id", OptText),
            ("actor", Text),
            ("at", Int),
        ],
    },
    Table {
        name: "evidence",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("org_id", Text),
            ("sha256", Text),
            ("filename", Text),
            ("content_type", Text),
            ("size", Int),
            ("content", Bytes),
            ("created_by", Text),
            ("created_at", Int),
        ],
    },
    Table {
        name: "submissions",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("checklist_id", Text),
            ("org_id", Text),
            ("reviewer_org_id", Text),
            ("round", Int),
            ("snapshot", Text),
            ("status", Text),
            ("submitted_by", Text),
            ("submitted_at", Int),
            ("decided_by", OptText),
            ("decided_at", OptInt),
        ],
    },
    Table {
        name: "submission_evidence",
        order_by: "submission_id, evidence_id",
        columns: &[("submission_id", Text), ("evidence_id", Text)],
    },
    Table {
        name: "review_comments",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("submission_id", Text),
            ("item", Text),
            ("org_id", Text),
            ("author_id", OptText),
            ("author", Text),
            ("verdict", OptText),
            ("body", Text),
            ("at", Int),
        ],
    },
    Table {
        name: "threat_models",
        order_by: "device_id",
        columns: &[
            ("device_id", Text),
            ("org_id", Text),
            ("source", Text),
            ("filename", Text),
            ("original", Text),
            ("model", Text),
            ("revision", Int),
            ("updated_by", Text),
            ("updated_at", Int),
        ],
    },
    Table {
        name: "risk_registers",
        order_by: "device_id",
        columns: &[
            ("device_id", Text),
            ("org_id", Text),
            ("register", Text),
            ("revision", Int),
            ("updated_by", Text),
            ("updated_at", Int),
        ],
    },
    Table {
        name: "risk_register_changes",
        order_by: "device_id, revision",
        columns: &[
            ("device_id", Text),
            ("revision", Int),
            ("action", Text),
            ("subject", Text),
            ("summary", Text),
            ("actor_id", OptText),
            ("actor", Text),
            ("at", Int),
        ],
    },
    Table {
        name: "rubric_assessments",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("org_id", Text),
            ("device_id", Text),
            ("risk_id", Text),
            ("answers", Text),
            ("vector", Text),
            ("base_score", Text),
            ("severity", Text),
            ("rationale", Text),
            ("created_by", Text),
            ("created_at", Int),
        ],
    },
    Table {
        name: "scan_reports",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("org_id", Text),
            ("device_id", Text),
            ("test_id", Text),
            ("tool", Text),
            ("evidence_id", Text),
            ("report", Text),
            ("findings", Int),
            ("open_findings", Int),
            ("created_by", Text),
            ("created_at", Int),
        ],
    },
    Table {
        name: "anomaly_justifications",
        order_by: "device_id, anomaly",
        columns: &[
            ("device_id", Text),
            ("anomaly", Text),
            ("org_id", Text),
            ("justification", Text),
            ("updated_by", Text),
            ("updated_at", Int),
        ],
    },
    Table {
        name: "device_lifecycle_documents",
        order_by: "device_id, kind",
        columns: &[
            ("device_id", Text),
            ("kind", Text),
            ("org_id", Text),
            ("filename", Text),
            ("content", Text),
            ("updated_by", Text),
            ("updated_at", Int),
        ],
    },
    Table {
        name: "submission_packages",
        order_by: "submission_id",
        columns: &[
            ("submission_id", Text),
            ("org_id", Text),
            ("reviewer_org_id", Text),
            ("layout", Text),
            ("evidence_id", Text),
            ("sha256", Text),
            ("size", Int),
            ("manifest", Text),
            ("gaps", Int),
            ("source", Text),
            ("attached_by", Text),
            ("attached_at", Int),
        ],
    },
    Table {
        name: "feed_records",
        order_by: "kind, id",
        columns: &[
            ("kind", Text),
            ("id", Text),
            ("modified", Text),
            ("sha256", Text),
            ("body", Text),
            ("origin", Text),
            ("import_id", Text),
            ("first_seen", Int),
            ("updated_at", Int),
        ],
    },
    Table {
        name: "products",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("org_id", Text),
            ("name", Text),
            ("created_at", Int),
        ],
    },
    Table {
        name: "sboms",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("org_id", Text),
            ("sha256", Text),
            ("filename", Text),
            ("format", Text),
            ("content", Bytes),
            ("created_by", Text),
            ("created_at", Int),
        ],
    },
    Table {
        name: "releases",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("org_id", Text),
            ("product_id", Text),
            ("version", Text),
            ("sbom_id", OptText),
            ("released_on", OptText),
            ("support_until", OptText),
            ("matched_at", OptInt),
            ("created_at", Int),
        ],
    },
    Table {
        name: "release_components",
        order_by: "release_id, idx",
        columns: &[
            ("release_id", Text),
            ("idx", Int),
            ("name", Text),
            ("version", OptText),
            ("purl", OptText),
            ("identity", Text),
            ("cpes", Text),
            ("supplier", OptText),
            ("end_of_support", OptText),
            ("local", Bool),
        ],
    },
    Table {
        name: "findings",
        order_by: "release_id, component, vuln_id",
        columns: &[
            ("release_id", Text),
            ("component", Int),
            ("vuln_id", Text),
            ("org_id", Text),
            ("level", Int),
            ("cvss10", OptInt),
            ("epss100k", OptInt),
            ("kev", Int),
            ("priority10", Int),
            ("state", Text),
            ("first_seen", Int),
            ("last_seen", Int),
            ("aliases", Text),
            ("vex", OptText),
            ("suppressed_until", OptText),
        ],
    },
    Table {
        name: "release_finding_counts",
        order_by: "release_id, level",
        columns: &[
            ("release_id", Text),
            ("org_id", Text),
            ("level", Int),
            ("open", Int),
            ("kev", Int),
        ],
    },
    Table {
        name: "vex_statements",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("org_id", Text),
            ("release_id", Text),
            ("vuln_id", Text),
            ("component", Text),
            ("component_version", OptText),
            ("status", Text),
            ("justification", OptText),
            ("impact", OptText),
            ("action", OptText),
            ("expires_on", OptText),
            ("source", Text),
            ("created_by", Text),
            ("created_at", Int),
            ("updated_at", Int),
        ],
    },
    Table {
        name: "alias_rules",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("org_id", Text),
            ("identity", Text),
            ("purl", OptText),
            ("cpe", OptText),
            ("end_of_support", OptText),
            ("note", OptText),
            ("created_by", Text),
            ("created_at", Int),
        ],
    },
    Table {
        name: "release_shares",
        order_by: "release_id, org_id",
        columns: &[
            ("release_id", Text),
            ("org_id", Text),
            ("shared_by", Text),
            ("created_at", Int),
        ],
    },
    Table {
        name: "device_releases",
        order_by: "device_id",
        columns: &[
            ("device_id", Text),
            ("org_id", Text),
            ("release_id", Text),
            ("linked_by", Text),
            ("linked_at", Int),
        ],
    },
    Table {
        name: "inventory_devices",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("org_id", Text),
            ("asset_tag", Text),
            ("model", Text),
            ("manufacturer", OptText),
            ("version", OptText),
            ("release_id", OptText),
            ("location", OptText),
            ("segment", OptText),
            ("created_at", Int),
            ("updated_at", Int),
        ],
    },
    Table {
        name: "notifications",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("org_id", Text),
            ("kind", Text),
            ("subject_id", OptText),
            ("details", Text),
            ("created_at", Int),
        ],
    },
    Table {
        name: "notification_marks",
        order_by: "org_id, user_id",
        columns: &[("org_id", Text), ("user_id", Text), ("read_until", Int)],
    },
    Table {
        name: "webhooks",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("org_id", Text),
            ("url", Text),
            ("secret", Text),
            ("created_by", Text),
            ("created_at", Int),
            ("enabled", Int),
        ],
    },
    Table {
        name: "webhook_deliveries",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("webhook_id", Text),
            ("org_id", Text),
            ("event", Text),
            ("payload", Text),
            ("state", Text),
            ("attempts", Int),
            ("last_status", OptInt),
            ("last_error", OptText),
            ("next_at", Int),
            ("created_at", Int),
            ("delivered_at", OptInt),
        ],
    },
    Table {
        name: "log_sources",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("member_id", Text),
            ("name", Text),
            ("transport", Text),
            ("port", OptInt),
            ("format", Text),
            ("credential", OptText),
            ("silent_after", Int),
            ("enabled", Bool),
            ("last_event_at", OptInt),
            ("silent_since", OptInt),
            ("created_by", Text),
            ("created_at", Int),
            ("updated_at", Int),
        ],
    },
    Table {
        name: "log_decoders",
        order_by: "name",
        columns: &[
            ("name", Text),
            ("definition", Text),
            ("active_definition", OptText),
            ("tested_at", OptInt),
            ("activated_at", OptInt),
            ("created_by", Text),
            ("created_at", Int),
            ("updated_at", Int),
        ],
    },
    Table {
        name: "masking_rules",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("member_id", OptText),
            ("name", Text),
            ("kind", Text),
            ("pattern", OptText),
            ("enabled", Bool),
            ("created_by", Text),
            ("created_at", Int),
        ],
    },
    Table {
        name: "member_log_settings",
        order_by: "member_id",
        columns: &[("member_id", Text), ("retention_days", Int)],
    },
    Table {
        name: "ingest_daily",
        order_by: "source_id, day",
        columns: &[
            ("source_id", Text),
            ("member_id", Text),
            ("day", Text),
            ("events", Int),
            ("bytes", Int),
            ("parse_errors", Int),
            ("dropped", Int),
        ],
    },
    Table {
        name: "ingest_errors",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("source_id", Text),
            ("member_id", Text),
            ("at", Int),
            ("kind", Text),
            ("message", Text),
            ("sample", Text),
        ],
    },
    Table {
        name: "alerts",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("member_id", Text),
            ("group_key", Text),
            ("kind", Text),
            ("rule_id", Text),
            ("title", Text),
            ("severity", Text),
            ("attack", Text),
            ("tags", Text),
            ("rule_file", OptText),
            ("state", Text),
            ("resolution", OptText),
            ("assignee_id", OptText),
            ("hits", Int),
            ("first_seen", Int),
            ("last_seen", Int),
            ("created_at", Int),
            ("acknowledged_at", OptInt),
            ("closed_at", OptInt),
            ("updated_at", Int),
        ],
    },
    Table {
        name: "alert_hits",
        order_by: "alert_id, seq",
        columns: &[
            ("alert_id", Text),
            ("seq", Int),
            ("event_id", Text),
            ("received_at", Int),
            ("event_time", Int),
            ("detail", Text),
            ("event", Text),
        ],
    },
    Table {
        name: "alert_activity",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("alert_id", Text),
            ("at", Int),
            ("org_id", Text),
            ("user_id", OptText),
            ("actor", Text),
            ("kind", Text),
            ("detail", Text),
        ],
    },
    Table {
        name: "alert_suppressions",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("member_id", OptText),
            ("rule_id", Text),
            ("reason", Text),
            ("created_by", Text),
            ("created_at", Int),
            ("expires_at", OptInt),
            ("suppressed", Int),
        ],
    },
    Table {
        name: "crisis_levels",
        order_by: "seq",
        columns: &[
            ("id", Text),
            ("seq", Int),
            ("level", Text),
            ("reason", Text),
            ("org_id", Text),
            ("set_by_id", OptText),
            ("set_by", Text),
            ("set_at", Int),
        ],
    },
    Table {
        name: "crisis_checklist",
        order_by: "change_id, org_id, action_id",
        columns: &[
            ("change_id", Text),
            ("org_id", Text),
            ("action_id", Text),
            ("done_by_id", OptText),
            ("done_by", Text),
            ("done_at", Int),
        ],
    },
    Table {
        name: "indicator_sources",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("name", Text),
            ("description", Text),
            ("kind", Text),
            ("sha256", OptText),
            ("indicators", Int),
            ("skipped_count", Int),
            ("skipped", Text),
            ("other_objects", Int),
            ("created_by", Text),
            ("created_at", Int),
            ("imported_at", Int),
        ],
    },
    Table {
        name: "indicators",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("source_id", Text),
            ("stix_id", Text),
            ("kind", Text),
            ("value", Text),
            ("name", OptText),
            ("description", OptText),
            ("labels", Text),
            ("confidence", OptInt),
            ("valid_from", Int),
            ("valid_until", OptInt),
            ("revoked", Int),
            ("revoked_by", OptText),
            ("revoked_at", OptInt),
            ("created_at", Int),
        ],
    },
    Table {
        name: "incidents",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("owner_org_id", Text),
            ("title", Text),
            ("category", Text),
            ("severity", Text),
            ("status", Text),
            ("summary", Text),
            ("impact", Text),
            ("cause", Text),
            ("response", Text),
            ("prevention", Text),
            ("lessons", Text),
            ("detected_at", Int),
            ("isac_shared_at", OptInt),
            ("created_by_id", OptText),
            ("created_by", Text),
            ("created_at", Int),
            ("updated_at", Int),
            ("closed_at", OptInt),
        ],
    },
    Table {
        name: "incident_members",
        order_by: "incident_id, member_id",
        columns: &[
            ("incident_id", Text),
            ("member_id", Text),
            ("shared_at", OptInt),
            ("added_by", Text),
            ("added_at", Int),
        ],
    },
    Table {
        name: "incident_devices",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("incident_id", Text),
            ("member_id", Text),
            ("inventory_device_id", OptText),
            ("asset_tag", Text),
            ("model", Text),
            ("manufacturer", Text),
            ("note", Text),
            ("org_id", Text),
            ("added_by", Text),
            ("added_at", Int),
        ],
    },
    Table {
        name: "incident_roles",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("incident_id", Text),
            ("role", Text),
            ("user_id", OptText),
            ("name", Text),
            ("org_id", OptText),
            ("contact", Text),
            ("added_by", Text),
            ("added_at", Int),
        ],
    },
    Table {
        name: "incident_alerts",
        order_by: "incident_id, alert_id",
        columns: &[
            ("incident_id", Text),
            ("alert_id", Text),
            ("linked_by", Text),
            ("linked_at", Int),
        ],
    },
    Table {
        name: "incident_tasks",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("incident_id", Text),
            ("seq", Int),
            ("title", Text),
            ("org_id", Text),
            ("assignee_id", OptText),
            ("due_at", OptInt),
            ("done_at", OptInt),
            ("done_by", OptText),
            ("created_by", Text),
            ("created_at", Int),
        ],
    },
    Table {
        name: "incident_evidence",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("incident_id", Text),
            ("filename", Text),
            ("content_type", Text),
            ("size", Int),
            ("sha256", Text),
            ("content", Bytes),
            ("description", Text),
            ("org_id", Text),
            ("uploaded_by", Text),
            ("uploaded_at", Int),
        ],
    },
    Table {
        name: "incident_timeline",
        order_by: "incident_id, seq",
        columns: &[
            ("id", Text),
            ("incident_id", Text),
            ("seq", Int),
            ("at", Int),
            ("kind", Text),
            ("text", Text),
            ("detail", Text),
            ("org_id", OptText),
            ("actor", Text),
            ("created_at", Int),
        ],
    },
    Table {
        name: "incident_reports",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("incident_id", Text),
            ("version", Int),
            ("lang", Text),
            ("status", Text),
            ("size", Int),
            ("sha256", Text),
            ("pdf", Bytes),
            ("created_by", Text),
            ("created_at", Int),
        ],
    },
    Table {
        name: "web_monitors",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("member_id", Text),
            ("name", Text),
            ("url", Text),
            ("interval_secs", Int),
            ("keywords", Text),
            ("ignore_patterns", Text),
            ("threshold", Int),
            ("failure_threshold", Int),
            ("enabled", Int),
            ("baseline", OptText),
            ("baseline_hash", OptText),
            ("baseline_at", OptInt),
            ("baseline_by", OptText),
            ("last_snapshot", OptText),
            ("last_check_at", OptInt),
            ("last_outcome", OptText),
            ("failures", Int),
            ("next_due", Int),
            ("claimed_until", OptInt),
            ("claimed_by", OptText),
            ("created_by", Text),
            ("created_at", Int),
            ("updated_at", Int),
        ],
    },
    Table {
        name: "web_checks",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("monitor_id", Text),
            ("member_id", Text),
            ("at", Int),
            ("outcome", Text),
            ("http_status", OptInt),
            ("final_url", OptText),
            ("content_hash", OptText),
            ("similarity", OptInt),
            ("bytes", OptInt),
            ("duration_ms", Int),
            ("headers", Text),
            ("findings", Text),
            ("error", OptText),
        ],
    },
    Table {
        name: "webshell_scans",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("member_id", Text),
            ("origin", Text),
            ("label", Text),
            ("uploaded_by", Text),
            ("org_id", Text),
            ("archive_sha256", Text),
            ("archive_bytes", Int),
            ("files", Int),
            ("bytes", Int),
            ("skipped", Int),
            ("skipped_detail", Text),
            ("findings", Int),
            ("flagged_files", Int),
            ("rules_digest", Text),
            ("started_at", Int),
            ("finished_at", Int),
        ],
    },
    Table {
        name: "webshell_findings",
        order_by: "scan_id, seq",
        columns: &[
            ("scan_id", Text),
            ("seq", Int),
            ("path", Text),
            ("sha256", Text),
            ("size", Int),
            ("rule", Text),
            ("severity", Text),
            ("description", Text),
            ("matches", Text),
            ("alert_id", OptText),
        ],
    },
    Table {
        name: "finding_trend",
        order_by: "org_id, day",
        columns: &[
            ("org_id", Text),
            ("day", Text),
            ("critical", Int),
            ("high", Int),
            ("medium", Int),
            ("low", Int),
            ("unknown", Int),
            ("kev", Int),
        ],
    },
    Table {
        name: "feed_imports",
        order_by: "id",
        columns: &[
            ("id", Text),
            ("path", Text),
            ("actor", Text),
            ("started_at", Int),
            ("finished_at", Int),
            ("added", Int),
            ("changed", Int),
            ("unchanged", Int),
            ("failed", Int),
            ("summary", Text),
        ],
    },
    Table {
        name: "audit_head",
        order_by: "id",
        columns: &[("id", Int), ("seq", Int), ("hash", Text)],
    },
];

/// Tables a migration fills with rows of its own, replaced on restore.
const SEEDED: &[&str] = &["masking_rules"];

/// Tables deliberately left out of backups. `feed_keys` and
/// `feed_keys_state` are derived from `feed_records`: a restored database
/// has no key state, so the next feed import or scan computes the keys.
/// `detection_state` names a place in the node's event log.
pub(crate) const NOT_EXPORTED: &[&str] = &[
    "sessions",
    "one_time_tokens",
    "schema_migrations",
    "feed_keys",
    "feed_keys_state",
    // A position in this node's event log, which backups do not hold: a
    // restored database starts live detection at the log's end.
    "detection_state",
    // A counter of changes that live detection polls; the migration seeds
    // it and a restored database's detection builds its index at start.
    "indicator_state",
];

#[derive(Serialize, Deserialize)]
struct Header {
    format: String,
    version: u32,
    schema_version: i64,
    created_at: String,
    source_backend: String,
    medsec_version: String,
}

#[derive(Serialize, Deserialize)]
struct TableStart {
    table: String,
    columns: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct Trailer {
    end: bool,
    tables: BTreeMap<String, u64>,
    sha256: String,
}

/// What a backup or restore did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub schema_version: i64,
    pub tables: BTreeMap<String, u64>,
}

impl Summary {
    pub fn rows(&self) -> u64 {
        self.tables.values().sum()
    }
}

/// A writer that hashes what passes through it.
struct Hashing<W> {
    inner: W,
    hash: Sha256,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(buf.get(..n).unwrap_or(buf));
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn io_err(path: &Path, what: &str) -> impl FnOnce(std::io::Error) -> StoreError {
    let path = path.display().to_string();
    let what = what.to_owned();
    move |e| StoreError::Invalid(format!("{what} {path}: {e}"))
}

fn json_line<W: Write>(w: &mut W, value: &impl Serialize, path: &Path) -> Result<()> {
    serde_json::to_writer(&mut *w, value)
        .map_err(|e| StoreError::Invalid(format!("write {}: {e}", path.display())))?;
    w.write_all(b"\n").map_err(io_err(path, "write"))
}

macro_rules! export_table {
    ($tx:expr, $table:expr, $out:expr, $path:expr) => {{
        let cols: Vec<&str> = $table.columns.iter().map(|(c, _)| *c).collect();
        let sql = format!(
            "SELECT {} FROM {} ORDER BY {}",
            cols.join(", "),
            $table.name,
            $table.order_by
        );
        let mut rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch(&mut *$tx);
        let mut n = 0u64;
        while let Some(row) = rows.try_next().await.map_err(db("read table for backup"))? {
            let mut values = Vec::with_capacity(cols.len());
            for (i, (_, col)) in $table.columns.iter().enumerate() {
                let v = match col {
                    Col::Text => serde_json::Value::from(
                        row.try_get::<String, _>(i).map_err(db("read column"))?,
                    ),
                    Col::OptText => row
                        .try_get::<Option<String>, _>(i)
                        .map_err(db("read column"))?
                        .map_or(serde_json::Value::Null, Into::into),
                    Col::Int => serde_json::Value::from(
                        row.try_get::<i64, _>(i).map_err(db("read column"))?,
                    ),
                    Col::OptInt => row
                        .try_get::<Option<i64>, _>(i)
                        .map_err(db("read column"))?
                        .map_or(serde_json::Value::Null, Into::into),
                    Col::Bool => serde_json::Value::from(
                        row.try_get::<bool, _>(i).map_err(db("read column"))?,
                    ),
                    Col::Bytes => serde_json::Value::from(
                        data_encoding::BASE64
                            .encode(&row.try_get::<Vec<u8>, _>(i).map_err(db("read column"))?),
                    ),
                };
                values.push(v);
            }
            json_line($out, &values, $path)?;
            n += 1;
        }
        n
    }};
}

impl Store {
    /// Writes a consistent snapshot of all data to `path` (mode 0600,
    /// written to a temporary file and renamed into place). Safe while the
    /// server runs: the snapshot is one read transaction.
    pub async fn backup(
        &self,
        path: &Path,
        mut progress: impl FnMut(&str, u64),
    ) -> Result<Summary> {
        let tmp = path.with_extension("partial");
        let file = {
            let mut o = std::fs::OpenOptions::new();
            o.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
            o.open(&tmp).map_err(io_err(&tmp, "create"))?
        };
        let mut out = Hashing {
            inner: std::io::BufWriter::new(file),
            hash: Sha256::new(),
        };
        let schema_version = self.schema_version().await?;
        json_line(
            &mut out,
            &Header {
                format: FORMAT_NAME.into(),
                version: FORMAT_VERSION,
                schema_version,
                created_at: Timestamp::now().rfc3339(),
                source_backend: self.backend().as_str().into(),
                medsec_version: env!("CARGO_PKG_VERSION").into(),
            },
            path,
        )?;
        let mut summary = Summary {
            schema_version,
            tables: BTreeMap::new(),
        };
        macro_rules! export_all {
            ($tx:expr) => {{
                let mut tx = $tx;
                for table in TABLES {
                    let columns = table.columns.iter().map(|(c, _)| (*c).into()).collect();
                    json_line(
                        &mut out,
                        &TableStart {
                            table: table.name.into(),
                            columns,
                        },
                        path,
                    )?;
                    let n = export_table!(tx, table, &mut out, path);
                    progress(table.name, n);
                    summary.tables.insert(table.name.into(), n);
                }
                tx.rollback().await.map_err(db("end backup"))?;
            }};
        }
        match &self.db {
            // In WAL mode a read transaction sees one snapshot from its
            // first read to its end, whatever writers do meanwhile.
            Db::Sqlite(pool) => export_all!(pool.begin().await.map_err(db("begin backup"))?),
            Db::Postgres(pool) => export_all!(
                pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
                    .await
                    .map_err(db("begin backup"))?
            ),
        }
        let sha256 = medsec_core::credential::hex(&out.hash.clone().finalize());
        let mut inner = out.inner;
        json_line(
            &mut inner,
            &Trailer {
                end: true,
                tables: summary.tables.clone(),
                sha256,
            },
            path,
        )?;
        let file = inner
            .into_inner()
            .map_err(|e| StoreError::Invalid(format!("write {}: {e}", tmp.display())))?;
        file.sync_all().map_err(io_err(&tmp, "sync"))?;
        std::fs::rename(&tmp, path).map_err(io_err(path, "rename backup to"))?;
        Ok(summary)
    }

    /// Loads a backup into this store, which must be empty (freshly
    /// created). Everything is loaded in one transaction; if the file is
    /// damaged, of another version, or its audit chain does not verify,
    /// nothing is written.
    pub async fn restore(
        &self,
        path: &Path,
        mut progress: impl FnMut(&str, u64),
    ) -> Result<Summary> {
        let parsed = read_backup(path)?;
        if parsed.schema_version != crate::migrate::latest_version() {
            return Err(StoreError::Invalid(format!(
                "{}: the backup has schema version {}, this medsec has {}; restore it with the medsec version that wrote it",
                path.display(),
                parsed.schema_version,
                crate::migrate::latest_version()
            )));
        }
        let mut verifier = Verifier::new();
        let mut head: Option<(i64, String)> = None;
        for (name, rows) in &parsed.tables {
            if name == "audit_log" {
                for r in rows {
                    verifier.push(&record_from_row(r).ok_or_else(|| {
                        StoreError::Invalid(format!("{}: malformed audit_log row", path.display()))
                    })?);
                }
            }
            if name == "audit_head"
                && let Some(r) = rows.first()
            {
                head = Some((
                    r[1].as_i64().unwrap_or(0),
                    r[2].as_str().unwrap_or("").to_owned(),
                ));
            }
        }
        let verification = verifier.finish(head.as_ref().map(|(s, h)| (*s, h.as_str())));
        if let Some(b) = verification.first_break {
            return Err(StoreError::Invalid(format!(
                "{}: the audit chain in the backup is broken: {b}",
                path.display()
            )));
        }
        if self.user_count().await? > 0
            || self.audit_count().await? > 0
            || !self.list_orgs().await?.is_empty()
        {
            return Err(StoreError::Invalid(
                "the target database is not empty; restore only into a new database".into(),
            ));
        }
        let mut summary = Summary {
            schema_version: parsed.schema_version,
            tables: BTreeMap::new(),
        };
        macro_rules! load {
            ($pool:expr) => {{
                let mut tx = $pool.begin_write().await?;
                for (name, rows) in &parsed.tables {
                    let table = TABLES
                        .iter()
                        .find(|t| t.name == name)
                        .ok_or_else(|| StoreError::Invalid(format!("unknown table {name}")))?;
                    let cols: Vec<&str> = table.columns.iter().map(|(c, _)| *c).collect();
                    if SEEDED.contains(&table.name) {
                        // Rows a migration seeds (the built-in masking
                        // rules) come back as the backup has them.
                        sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {}", table.name)))
                            .execute(&mut *tx)
                            .await
                            .map_err(db("restore seeded table"))?;
                    }
                    let sql = if table.name == "audit_head" {
                        "UPDATE audit_head SET seq = $2, hash = $3 WHERE id = $1".to_owned()
                    } else {
                        let params: Vec<String> =
                            (1..=cols.len()).map(|i| format!("${i}")).collect();
                        format!(
                            "INSERT INTO {} ({}) VALUES ({})",
                            table.name,
                            cols.join(", "),
                            params.join(", ")
                        )
                    };
                    for (line, row) in rows.iter().enumerate() {
                        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.clone()));
                        for (i, (col, ty)) in table.columns.iter().enumerate() {
                            let v = &row[i];
                            let bad = || {
                                StoreError::Invalid(format!(
                                    "{}: table {name}, row {}: column {col} has the wrong type",
                                    path.display(),
                                    line + 1
                                ))
                            };
                            q = match ty {
                                Col::Text => q.bind(v.as_str().ok_or_else(bad)?.to_owned()),
                                Col::OptText => q.bind(if v.is_null() {
                                    None
                                } else {
                                    Some(v.as_str().ok_or_else(bad)?.to_owned())
                                }),
                                Col::Int => q.bind(v.as_i64().ok_or_else(bad)?),
                                Col::OptInt => q.bind(if v.is_null() {
                                    None
                                } else {
                                    Some(v.as_i64().ok_or_else(bad)?)
                                }),
                                Col::Bool => q.bind(v.as_bool().ok_or_else(bad)?),
                                Col::Bytes => q.bind(
                                    data_encoding::BASE64
                                        .decode(v.as_str().ok_or_else(bad)?.as_bytes())
                                        .map_err(|_| bad())?,
                                ),
                            };
                        }
                        q.execute(&mut *tx).await.map_err(db("restore row"))?;
                    }
                    progress(name, rows.len() as u64);
                    summary.tables.insert(name.clone(), rows.len() as u64);
                }
                tx.commit().await.map_err(db("commit restore"))?;
            }};
        }
        match &self.db {
            Db::Sqlite(pool) => load!(pool),
            Db::Postgres(pool) => load!(pool),
        }
        Ok(summary)
    }
}

struct Parsed {
    schema_version: i64,
    tables: Vec<(String, Vec<Vec<serde_json::Value>>)>,
}

fn record_from_row(r: &[serde_json::Value]) -> Option<Record> {
    let s = |i: usize| r.get(i)?.as_str().map(str::to_owned);
    let o = |i: usize| r.get(i).map(|v| v.as_str().map(str::to_owned));
    Some(Record {
        seq: r.first()?.as_i64()?,
        at: Timestamp(r.get(1)?.as_i64()?),
        org_id: o(2)?,
        actor_id: o(3)?,
        actor: s(4)?,
        source: s(5)?,
        action: s(6)?,
        outcome: s(7)?,
        target_kind: s(8)?,
        target_id: o(9)?,
        details: s(10)?,
        prev_hash: s(11)?,
        hash: s(12)?,
    })
}

/// Reads and checks a whole backup file: header, tables, trailer, checksum.
fn read_backup(path: &Path) -> Result<Parsed> {
    let file = std::fs::File::open(path).map_err(io_err(path, "open"))?;
    let reader = std::io::BufReader::new(file);
    let mut hash = Sha256::new();
    let mut header: Option<Header> = None;
    let mut tables: Vec<(String, Vec<Vec<serde_json::Value>>)> = Vec::new();
    let mut trailer: Option<Trailer> = None;
    let err =
        |line: usize, msg: String| StoreError::Invalid(format!("{}:{line}: {msg}", path.display()));
    for (i, line) in reader.lines().enumerate() {
        let n = i + 1;
        let line = line.map_err(|e| err(n, e.to_string()))?;
        if trailer.is_some() {
            return Err(err(n, "data after the end marker".into()));
        }
        if header.is_none() {
            let h: Header = serde_json::from_str(&line)
                .map_err(|e| err(n, format!("not a medsec backup header: {e}")))?;
            if h.format != FORMAT_NAME {
                return Err(err(
                    n,
                    format!("not a medsec backup (format `{}`)", h.format),
                ));
            }
            if h.version != FORMAT_VERSION {
                return Err(err(
                    n,
                    format!(
                        "backup format version {} is not supported (this medsec reads {FORMAT_VERSION})",
                        h.version
                    ),
                ));
            }
            header = Some(h);
        } else if line.starts_with('[') {
            let row: Vec<serde_json::Value> =
                serde_json::from_str(&line).map_err(|e| err(n, format!("malformed row: {e}")))?;
            let Some((name, rows)) = tables.last_mut() else {
                return Err(err(n, "row before any table".into()));
            };
            let expected = TABLES
                .iter()
                .find(|t| t.name == name)
                .map_or(0, |t| t.columns.len());
            if row.len() != expected {
                return Err(err(
                    n,
                    format!(
                        "row of table {name} has {} values, expected {expected}",
                        row.len()
                    ),
                ));
            }
            rows.push(row);
        } else if line.contains("\"end\"") {
            trailer = Some(
                serde_json::from_str(&line)
                    .map_err(|e| err(n, format!("malformed end marker: {e}")))?,
            );
            continue;
        } else {
            let start: TableStart = serde_json::from_str(&line)
                .map_err(|e| err(n, format!("malformed table marker: {e}")))?;
            let Some(table) = TABLES.iter().find(|t| t.name == start.table) else {
                return Err(err(n, format!("unknown table `{}`", start.table)));
            };
            let want: Vec<&str> = table.columns.iter().map(|(c, _)| *c).collect();
            if start.columns != want {
                return Err(err(
                    n,
                    format!(
                        "table {} has columns {:?}, expected {:?}",
                        start.table, start.columns, want
                    ),
                ));
            }
            tables.push((start.table, Vec::new()));
        }
        hash.update(line.as_bytes());
        hash.update(b"\n");
    }
    let header = header.ok_or_else(|| err(0, "empty file".into()))?;
    let trailer = trailer.ok_or_else(|| {
        err(
            0,
            "the end marker is missing: the backup is incomplete".into(),
        )
    })?;
    let sum = medsec_core::credential::hex(&hash.finalize());
    if sum != trailer.sha256 {
        return Err(err(
            0,
            "checksum mismatch: the backup was altered or damaged".into(),
        ));
    }
    for (name, rows) in &tables {
        if trailer.tables.get(name) != Some(&(rows.len() as u64)) {
            return Err(err(
                0,
                format!(
                    "table {name} has {} rows, the end marker says {:?}",
                    rows.len(),
                    trailer.tables.get(name)
                ),
            ));
        }
    }
    Ok(Parsed {
        schema_version: header.schema_version,
        tables,
    })
}

/// Names of every table backups know of, exported or deliberately not.
pub fn known_tables() -> Vec<&'static str> {
    TABLES
        .iter()
        .map(|t| t.name)
        .chain(NOT_EXPORTED.iter().copied())
        .collect()
}

/// The table names a catalogue query returns (for the schema-coverage test).
pub async fn table_names(store: &Store, catalogue_sql: &'static str) -> Result<Vec<String>> {
    crate::on!(store, pool => {
        let rows: Vec<(String,)> = sqlx::query_as(catalogue_sql).fetch_all(pool).await.map_err(db("list tables"))?;
        Ok(rows.into_iter().map(|(n,)| n).collect())
    })
}

/// The columns a backup carries of an exported table, in order; `None`
/// for a table it does not export (for the schema-coverage test).
pub fn exported_columns(table: &str) -> Option<Vec<&'static str>> {
    TABLES
        .iter()
        .find(|t| t.name == table)
        .map(|t| t.columns.iter().map(|(c, _)| *c).collect())
}

/// The columns a table has in the open database (for the schema-coverage
/// test).
pub async fn column_names(store: &Store, table: &str) -> Result<Vec<String>> {
    crate::on!(store, pool => {
        let sql = match store.backend() {
            crate::Backend::Sqlite => "SELECT name FROM pragma_table_info($1) ORDER BY cid",
            crate::Backend::Postgres => "SELECT column_name::text FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
        };
        let rows: Vec<(String,)> = sqlx::query_as(sql).bind(table).fetch_all(pool).await.map_err(db("list columns"))?;
        Ok(rows.into_iter().map(|(n,)| n).collect())
    })
}
