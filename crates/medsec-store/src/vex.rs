//! What a manufacturer says about its findings: VEX statements per release,
//! vulnerability and component, their effect on the findings (suppression,
//! with an optional expiry), their carry-over to the next release of a
//! product, alias rules, and the daily trend of open findings.
//!
//! A statement names a vulnerability by any of its ids (the finding's own
//! or one of its aliases) and a component by identity (purl without
//! version, or `name:…`), or `''` for every component of the release. A
//! component-specific statement wins over a release-wide one.
//!
//! Architecture invariant: every read takes the caller's organisation and
//! returns only its rows.

use std::collections::{BTreeMap, HashMap, HashSet};

use medsec_core::Timestamp;

use crate::audit::AppendAudit;
use crate::model::row;
use crate::releases::{RefreshCounts, day};
use crate::{AuditEntry, BeginWrite, Result, Store, StoreError, conflict_or, db, on};

/// The VEX statuses, as stored.
pub const STATUSES: [&str; 4] = ["not_affected", "affected", "fixed", "under_investigation"];

/// The justifications of a `not_affected` status (CISA minimum
/// requirements, OpenVEX, CSAF flags).
pub const JUSTIFICATIONS: [&str; 5] = [
    "component_not_present",
    "vulnerable_code_not_present",
    "vulnerable_code_not_in_execute_path",
    "vulnerable_code_cannot_be_controlled_by_adversary",
    "inline_mitigations_already_exist",
];

/// Whether a status takes the finding off the open list.
pub fn suppresses(status: &str) -> bool {
    matches!(status, "not_affected" | "fixed")
}

/// `suppressed_until` of a suppressing statement without expiry.
pub const NO_EXPIRY: &str = "9999-12-31";

row! {
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct VexRow {
        pub id: String,
        pub org_id: String,
        pub release_id: String,
        pub vuln_id: String,
        /// A component identity, or `''` for the whole release.
        pub component: String,
        pub component_version: Option<String>,
        pub status: String,
        pub justification: Option<String>,
        pub impact: Option<String>,
        pub action: Option<String>,
        /// `YYYY-MM-DD`: the suppression ends after this day.
        pub expires_on: Option<String>,
        /// `manual`, `import:<file>` or `carried:<release id>`.
        pub source: String,
        pub created_by: String,
        pub created_at: i64,
        pub updated_at: i64,
    }
}

const VEX_COLUMNS: &str = "id, org_id, release_id, vuln_id, component, component_version, status, justification, impact, action, expires_on, source, created_by, created_at, updated_at";

/// A statement to record (replacing one about the same release,
/// vulnerability and component).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewVex {
    pub vuln_id: String,
    pub component: String,
    pub component_version: Option<String>,
    pub status: String,
    pub justification: Option<String>,
    pub impact: Option<String>,
    pub action: Option<String>,
    pub expires_on: Option<String>,
    pub source: String,
}

/// The statement that applies to a finding, if any: one about the
/// finding's component wins over a release-wide one.
pub fn statement_for<'a>(
    statements: &'a [VexRow],
    vuln_id: &str,
    aliases: &str,
    identity: &str,
) -> Option<&'a VexRow> {
    let names = |s: &VexRow| s.vuln_id == vuln_id || aliases.split(' ').any(|a| a == s.vuln_id);
    statements
        .iter()
        .find(|s| s.component == identity && names(s))
        .or_else(|| {
            statements
                .iter()
                .find(|s| s.component.is_empty() && names(s))
        })
}

/// Statements that no longer apply to any open finding of their release
/// (the component was removed, the advisory withdrawn or corrected).
pub fn stale<'a>(
    statements: &'a [VexRow],
    findings: &[crate::releases::FindingRow],
    components: &[crate::releases::ComponentRow],
) -> Vec<&'a VexRow> {
    let identity: HashMap<i64, &str> = components
        .iter()
        .map(|c| (c.idx, c.identity.as_str()))
        .collect();
    let mut used: HashSet<&str> = HashSet::new();
    for f in findings.iter().filter(|f| f.state == "open") {
        let id = identity.get(&f.component).copied().unwrap_or("");
        if let Some(s) = statement_for(statements, &f.vuln_id, &f.aliases, id) {
            used.insert(s.id.as_str());
        }
    }
    statements
        .iter()
        .filter(|s| !used.contains(s.id.as_str()))
        .collect()
}

row! {
    /// "This component is that purl / CPE."
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct AliasRuleRow {
        pub id: String,
        pub org_id: String,
        pub identity: String,
        pub purl: Option<String>,
        pub cpe: Option<String>,
        /// `YYYY-MM-DD`, when the component's supplier ends support.
        pub end_of_support: Option<String>,
        pub note: Option<String>,
        pub created_by: String,
        pub created_at: i64,
    }
}

row! {
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct TrendRow {
        pub day: String,
        pub critical: i64,
        pub high: i64,
        pub medium: i64,
        pub low: i64,
        pub unknown: i64,
        pub kev: i64,
    }
}

/// Open findings of one release by level.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub critical: i64,
    pub high: i64,
    pub medium: i64,
    pub low: i64,
    pub unknown: i64,
    pub kev: i64,
}

impl Counts {
    fn add(&mut self, level: i64, n: i64, kev: i64) {
        match level {
            4 => self.critical += n,
            3 => self.high += n,
            2 => self.medium += n,
            0 | 1 => self.low += n,
            _ => self.unknown += n,
        }
        self.kev += kev;
    }

    pub fn total(&self) -> i64 {
        self.critical + self.high + self.medium + self.low + self.unknown
    }
}

impl Store {
    /// Records statements about one release (each replaces the one about
    /// the same vulnerability and component), audits each, and applies
    /// them to the release's findings.
    pub async fn record_vex(
        &self,
        org_id: &str,
        release_id: &str,
        statements: &[NewVex],
        created_by: &str,
        now: Timestamp,
        audit: AuditEntry,
    ) -> Result<()> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let release: Option<(String,)> = sqlx::query_as("SELECT id FROM releases WHERE org_id = $1 AND id = $2")
                .bind(org_id).bind(release_id).fetch_optional(&mut *tx).await.map_err(db("read release"))?;
            if release.is_none() {
                return Err(StoreError::NotFound { what: "release" });
            }
            for s in statements {
                let id = medsec_core::new_id();
                let (id,): (String,) = sqlx::query_as("INSERT INTO vex_statements (id, org_id, release_id, vuln_id, component, component_version, status, justification, impact, action, expires_on, source, created_by, created_at, updated_at) \
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14) \
                    ON CONFLICT (release_id, vuln_id, component) DO UPDATE SET component_version = excluded.component_version, status = excluded.status, justification = excluded.justification, impact = excluded.impact, action = excluded.action, expires_on = excluded.expires_on, source = excluded.source, created_by = excluded.created_by, updated_at = excluded.updated_at RETURNING id")
                    .bind(&id).bind(org_id).bind(release_id).bind(&s.vuln_id).bind(&s.component).bind(&s.component_version)
                    .bind(&s.status).bind(&s.justification).bind(&s.impact).bind(&s.action).bind(&s.expires_on).bind(&s.source)
                    .bind(created_by).bind(now.0)
                    .fetch_one(&mut *tx).await.map_err(db("store vex statement"))?;
                let entry = audit.clone().target("vex", id).details(serde_json::json!({
                    "release": release_id, "vulnerability": s.vuln_id, "component": s.component,
                    "status": s.status, "justification": s.justification, "expires_on": s.expires_on,
                    "source": s.source, "suppresses": suppresses(&s.status),
                }));
                tx.append_audit(&entry, pg).await?;
            }
            tx.commit().await.map_err(db("commit vex"))?;
        });
        self.apply_vex(org_id, release_id).await?;
        Ok(())
    }

    /// Deletes one statement (audited) and re-applies the release's VEX.
    pub async fn delete_vex(&self, org_id: &str, id: &str, audit: AuditEntry) -> Result<VexRow> {
        let pg = self.is_postgres();
        let row: VexRow;
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let found: Option<VexRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {VEX_COLUMNS} FROM vex_statements WHERE org_id = $1 AND id = $2")))
                .bind(org_id).bind(id).fetch_optional(&mut *tx).await.map_err(db("read vex statement"))?;
            let Some(found) = found else {
                return Err(StoreError::NotFound { what: "VEX statement" });
            };
            sqlx::query("DELETE FROM vex_statements WHERE org_id = $1 AND id = $2")
                .bind(org_id).bind(id).execute(&mut *tx).await.map_err(db("delete vex statement"))?;
            let entry = audit.target("vex", id.to_owned()).details(serde_json::json!({
                "release": found.release_id, "vulnerability": found.vuln_id, "component": found.component, "status": found.status,
            }));
            tx.append_audit(&entry, pg).await?;
            tx.commit().await.map_err(db("commit vex deletion"))?;
            row = found;
        });
        self.apply_vex(org_id, &row.release_id).await?;
        Ok(row)
    }

    pub async fn release_vex(&self, org_id: &str, release_id: &str) -> Result<Vec<VexRow>> {
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {VEX_COLUMNS} FROM vex_statements WHERE org_id = $1 AND release_id = $2 ORDER BY vuln_id, component")))
            .bind(org_id).bind(release_id).fetch_all(pool).await.map_err(db("list vex statements")))
    }

    /// Sets each finding's VEX status and suppression from the release's
    /// statements; returns how many findings changed.
    pub async fn apply_vex(&self, org_id: &str, release_id: &str) -> Result<u64> {
        let statements = self.release_vex(org_id, release_id).await?;
        if statements.is_empty() {
            // Nothing applies: clear what an earlier statement set, without
            // reading the release's findings back (`findings_vex` holds the
            // few with a status; `suppressed_until` never goes without one).
            return on!(self, pool => {
                let mut tx = pool.begin_write().await?;
                let n = sqlx::query("UPDATE findings SET vex = NULL, suppressed_until = NULL WHERE release_id = $1 AND org_id = $2 AND vex IS NOT NULL")
                    .bind(release_id).bind(org_id).execute(&mut *tx).await.map_err(db("clear vex"))?
                    .rows_affected();
                if n > 0 {
                    tx.refresh_counts(release_id).await?;
                }
                tx.commit().await.map_err(db("commit vex application"))?;
                Ok(n)
            });
        }
        let components = self.release_components(org_id, release_id).await?;
        let identity: HashMap<i64, &str> = components
            .iter()
            .map(|c| (c.idx, c.identity.as_str()))
            .collect();
        let findings = self.release_findings(org_id, release_id).await?;
        let mut updates: Vec<(i64, String, Option<String>, Option<String>)> = Vec::new();
        for f in &findings {
            let id = identity.get(&f.component).copied().unwrap_or("");
            let s = statement_for(&statements, &f.vuln_id, &f.aliases, id);
            let vex = s.map(|s| s.status.clone());
            let until = s
                .filter(|s| suppresses(&s.status))
                .map(|s| s.expires_on.clone().unwrap_or_else(|| NO_EXPIRY.to_owned()));
            if vex != f.vex || until != f.suppressed_until {
                updates.push((f.component, f.vuln_id.clone(), vex, until));
            }
        }
        if updates.is_empty() {
            return Ok(0);
        }
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            for (component, vuln_id, vex, until) in &updates {
                sqlx::query("UPDATE findings SET vex = $1, suppressed_until = $2 WHERE org_id = $3 AND release_id = $4 AND component = $5 AND vuln_id = $6")
                    .bind(vex).bind(until).bind(org_id).bind(release_id).bind(component).bind(vuln_id)
                    .execute(&mut *tx).await.map_err(db("apply vex"))?;
            }
            tx.refresh_counts(release_id).await?;
            tx.commit().await.map_err(db("commit vex application"))?;
        });
        Ok(updates.len() as u64)
    }

    /// Carries the statements of release `from` over to release `to` (the
    /// next release of the same product) where the component did not
    /// change: a component statement while the component is still there
    /// at the same version, a release-wide one while every component its
    /// vulnerability was found in is still there at the same version.
    /// Statements `to` already has are kept. Returns how many were
    /// carried.
    pub async fn carry_vex(
        &self,
        org_id: &str,
        from: &str,
        to: &str,
        created_by: &str,
        now: Timestamp,
        audit: AuditEntry,
    ) -> Result<usize> {
        let old = self.release_vex(org_id, from).await?;
        if old.is_empty() {
            return Ok(0);
        }
        let existing: HashSet<(String, String)> = self
            .release_vex(org_id, to)
            .await?
            .into_iter()
            .map(|s| (s.vuln_id, s.component))
            .collect();
        let old_components = self.release_components(org_id, from).await?;
        let new_components = self.release_components(org_id, to).await?;
        let old_findings = self.release_findings(org_id, from).await?;
        let by_idx: HashMap<i64, (&str, Option<&str>)> = old_components
            .iter()
            .map(|c| (c.idx, (c.identity.as_str(), c.version.as_deref())))
            .collect();
        let mut now_at: HashMap<&str, HashSet<Option<&str>>> = HashMap::new();
        for c in &new_components {
            now_at
                .entry(c.identity.as_str())
                .or_default()
                .insert(c.version.as_deref());
        }
        let unchanged = |identity: &str, version: Option<&str>| {
            now_at.get(identity).is_some_and(|v| v.contains(&version))
        };
        let mut carried = Vec::new();
        for s in &old {
            if existing.contains(&(s.vuln_id.clone(), s.component.clone())) {
                continue;
            }
            let keep = if s.component.is_empty() {
                let mut involved = old_findings
                    .iter()
                    .filter(|f| {
                        f.vuln_id == s.vuln_id || f.aliases.split(' ').any(|a| a == s.vuln_id)
                    })
                    .filter_map(|f| by_idx.get(&f.component))
                    .peekable();
                involved.peek().is_some() && involved.all(|(id, v)| unchanged(id, *v))
            } else {
                let version = s.component_version.as_deref().or_else(|| {
                    old_components
                        .iter()
                        .find(|c| c.identity == s.component)
                        .and_then(|c| c.version.as_deref())
                });
                unchanged(&s.component, version)
            };
            if keep {
                carried.push(NewVex {
                    vuln_id: s.vuln_id.clone(),
                    component: s.component.clone(),
                    component_version: s.component_version.clone(),
                    status: s.status.clone(),
                    justification: s.justification.clone(),
                    impact: s.impact.clone(),
                    action: s.action.clone(),
                    expires_on: s.expires_on.clone(),
                    source: format!("carried:{from}"),
                });
            }
        }
        if !carried.is_empty() {
            self.record_vex(org_id, to, &carried, created_by, now, audit)
                .await?;
        }
        Ok(carried.len())
    }

    /// The release of the same product created just before `release_id`.
    pub async fn previous_release(&self, org_id: &str, release_id: &str) -> Result<Option<String>> {
        on!(self, pool => {
            let row: Option<(String,)> = sqlx::query_as("SELECT p.id FROM releases r JOIN releases p ON p.product_id = r.product_id AND p.org_id = r.org_id \
                WHERE r.org_id = $1 AND r.id = $2 AND p.id <> r.id AND (p.created_at < r.created_at OR (p.created_at = r.created_at AND p.id < r.id)) \
                ORDER BY p.created_at DESC, p.id DESC LIMIT 1")
                .bind(org_id).bind(release_id).fetch_optional(pool).await.map_err(db("previous release"))?;
            Ok(row.map(|(id,)| id))
        })
    }

    /// Open findings by release and level on `now`, for the dashboard:
    /// the kept counts of findings no statement suppresses, plus those
    /// whose suppression expired before `now`.
    pub async fn release_counts(
        &self,
        org_id: &str,
        now: Timestamp,
    ) -> Result<BTreeMap<String, Counts>> {
        let today = day(now);
        // Release, level, findings, of them known exploited.
        type Count = (String, i64, i64, Option<i64>);
        let (kept, expired): (Vec<Count>, Vec<Count>) = on!(self, pool => {
            let kept = sqlx::query_as("SELECT release_id, level, open, kev FROM release_finding_counts WHERE org_id = $1")
                .bind(org_id).fetch_all(pool).await.map_err(db("read finding counts"))?;
            let expired = sqlx::query_as("SELECT release_id, level, COUNT(*), CAST(SUM(kev) AS BIGINT) FROM findings \
                WHERE org_id = $1 AND suppressed_until IS NOT NULL AND suppressed_until < $2 AND state = 'open' GROUP BY release_id, level")
                .bind(org_id).bind(&today).fetch_all(pool).await.map_err(db("count expired suppressions"))?;
            (kept, expired)
        });
        let mut out: BTreeMap<String, Counts> = BTreeMap::new();
        for (release, level, n, kev) in kept.into_iter().chain(expired) {
            out.entry(release)
                .or_default()
                .add(level, n, kev.unwrap_or(0));
        }
        Ok(out)
    }

    /// Records today's open findings of the organisation for the trend.
    pub async fn record_trend(&self, org_id: &str, now: Timestamp) -> Result<Counts> {
        let mut total = Counts::default();
        for c in self.release_counts(org_id, now).await?.values() {
            total.critical += c.critical;
            total.high += c.high;
            total.medium += c.medium;
            total.low += c.low;
            total.unknown += c.unknown;
            total.kev += c.kev;
        }
        let today = day(now);
        on!(self, pool => sqlx::query("INSERT INTO finding_trend (org_id, day, critical, high, medium, low, unknown, kev) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
            ON CONFLICT (org_id, day) DO UPDATE SET critical = excluded.critical, high = excluded.high, medium = excluded.medium, low = excluded.low, unknown = excluded.unknown, kev = excluded.kev")
            .bind(org_id).bind(&today).bind(total.critical).bind(total.high).bind(total.medium).bind(total.low).bind(total.unknown).bind(total.kev)
            .execute(pool).await.map(|_| ()).map_err(db("record trend")))?;
        Ok(total)
    }

    /// The last `days` recorded days of the trend, oldest first.
    pub async fn trend(&self, org_id: &str, days: i64) -> Result<Vec<TrendRow>> {
        let mut rows: Vec<TrendRow> = on!(self, pool => sqlx::query_as("SELECT day, critical, high, medium, low, unknown, kev FROM finding_trend WHERE org_id = $1 ORDER BY day DESC LIMIT $2")
            .bind(org_id).bind(days).fetch_all(pool).await.map_err(db("read trend")))?;
        rows.reverse();
        Ok(rows)
    }

    /// Adds an alias rule (audited): a purl, a CPE and/or an end of support
    /// for a component identity.
    #[allow(clippy::too_many_arguments)]
    pub async fn add_alias_rule(
        &self,
        org_id: &str,
        identity: &str,
        purl: Option<&str>,
        cpe: Option<&str>,
        end_of_support: Option<&str>,
        note: Option<&str>,
        created_by: &str,
        now: Timestamp,
        audit: AuditEntry,
    ) -> Result<AliasRuleRow> {
        let pg = self.is_postgres();
        let row = AliasRuleRow {
            id: medsec_core::new_id(),
            org_id: org_id.to_owned(),
            identity: identity.to_owned(),
            purl: purl.map(str::to_owned),
            cpe: cpe.map(str::to_owned),
            end_of_support: end_of_support.map(str::to_owned),
            note: note.map(str::to_owned),
            created_by: created_by.to_owned(),
            created_at: now.0,
        };
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("INSERT INTO alias_rules (id, org_id, identity, purl, cpe, end_of_support, note, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                .bind(&row.id).bind(org_id).bind(&row.identity).bind(&row.purl).bind(&row.cpe).bind(&row.end_of_support).bind(&row.note).bind(created_by).bind(now.0)
                .execute(&mut *tx).await.map_err(conflict_or("add alias rule", "alias rule for this component"))?;
            tx.append_audit(&audit.target("alias_rule", row.id.clone()).details(serde_json::json!({"identity": row.identity, "purl": row.purl, "cpe": row.cpe, "end_of_support": row.end_of_support})), pg).await?;
            tx.commit().await.map_err(db("commit alias rule"))?;
        });
        Ok(row)
    }

    pub async fn alias_rules(&self, org_id: &str) -> Result<Vec<AliasRuleRow>> {
        on!(self, pool => sqlx::query_as("SELECT id, org_id, identity, purl, cpe, end_of_support, note, created_by, created_at FROM alias_rules WHERE org_id = $1 ORDER BY identity")
            .bind(org_id).fetch_all(pool).await.map_err(db("list alias rules")))
    }

    pub async fn delete_alias_rule(&self, org_id: &str, id: &str, audit: AuditEntry) -> Result<()> {
        let pg = self.is_postgres();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query("DELETE FROM alias_rules WHERE org_id = $1 AND id = $2")
                .bind(org_id).bind(id).execute(&mut *tx).await.map_err(db("delete alias rule"))?;
            if done.rows_affected() == 0 {
                return Err(StoreError::NotFound { what: "alias rule" });
            }
            tx.append_audit(&audit.target("alias_rule", id.to_owned()), pg).await?;
            tx.commit().await.map_err(db("commit alias rule deletion"))?;
        });
        Ok(())
    }
}
