//! Sustain records of a manufacturer: products, releases with the SBOM
//! they shipped with, the release's components, and the findings of the
//! last match against the vulnerability database.
//!
//! Architecture invariant: every read takes the caller's organisation and
//! returns only its rows.

use medsec_core::Timestamp;

use crate::audit::AppendAudit;
use crate::model::row;
use crate::{
    AuditEntry, BeginWrite, Result, Store, StoreError, conflict_or, db, for_both_backends, on,
};

row! {
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct ProductRow {
        pub id: String,
        pub org_id: String,
        pub name: String,
        pub created_at: i64,
    }
}

row! {
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct ReleaseRow {
        pub id: String,
        pub org_id: String,
        pub product_id: String,
        pub version: String,
        pub sbom_id: Option<String>,
        pub released_on: Option<String>,
        pub support_until: Option<String>,
        pub matched_at: Option<i64>,
        pub created_at: i64,
    }
}

const RELEASE_COLUMNS: &str =
    "id, org_id, product_id, version, sbom_id, released_on, support_until, matched_at, created_at";

row! {
    /// One component of a release, as matched.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct ComponentRow {
        pub idx: i64,
        pub name: String,
        pub version: Option<String>,
        pub purl: Option<String>,
        pub identity: String,
        pub cpes: String,
        pub supplier: Option<String>,
        /// `YYYY-MM-DD`, when the component's supplier ends support.
        pub end_of_support: Option<String>,
        /// The project's own package (`medsec:local`), not matched.
        pub local: bool,
    }
}

row! {
    /// One finding of a release.
    #[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
    pub struct FindingRow {
        pub release_id: String,
        pub component: i64,
        pub vuln_id: String,
        pub level: i64,
        pub cvss10: Option<i64>,
        pub epss100k: Option<i64>,
        pub kev: i64,
        pub priority10: i64,
        pub state: String,
        pub first_seen: i64,
        pub last_seen: i64,
        /// Other ids of the vulnerability, space-separated.
        pub aliases: String,
        /// The VEX status that applies (see [`crate::vex`]).
        pub vex: Option<String>,
        /// Until when the finding is suppressed by its VEX status
        /// (`YYYY-MM-DD`; `9999-12-31` = no expiry).
        pub suppressed_until: Option<String>,
    }
}

const FINDING_COLUMNS: &str = "release_id, component, vuln_id, level, cvss10, epss100k, kev, priority10, state, first_seen, last_seen, aliases, vex, suppressed_until";

/// The condition under which a finding counts as open: found by the last
/// match and not suppressed by a VEX statement on `$today`.
pub(crate) fn open_condition(today: &str) -> String {
    format!("state = 'open' AND (suppressed_until IS NULL OR suppressed_until < '{today}')")
}

/// Today's date as stored in `expires_on` / `suppressed_until`.
pub fn day(now: Timestamp) -> String {
    // The UTC date of an RFC 3339 time is its first ten characters.
    let mut s = now.rfc3339();
    s.truncate(10);
    s
}

/// Rewriting a release's rows of `release_finding_counts` from its
/// findings, in the transaction that changed them.
pub(crate) trait RefreshCounts {
    async fn refresh_counts(&mut self, release_id: &str) -> Result<()>;
}

for_both_backends! {
impl RefreshCounts for Tx {
    async fn refresh_counts(&mut self, release_id: &str) -> Result<()> {
        sqlx::query("DELETE FROM release_finding_counts WHERE release_id = $1")
            .bind(release_id).execute(&mut **self).await.map_err(db("clear finding counts"))?;
        sqlx::query("INSERT INTO release_finding_counts (release_id, org_id, level, open, kev) \
            SELECT release_id, org_id, level, COUNT(*), SUM(kev) FROM findings \
            WHERE release_id = $1 AND state = 'open' AND suppressed_until IS NULL GROUP BY release_id, org_id, level")
            .bind(release_id).execute(&mut **self).await.map_err(db("count findings"))?;
        Ok(())
    }
}
}

/// A finding as the matcher produced it, to store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewFinding {
    pub component: i64,
    pub vuln_id: String,
    pub level: i64,
    pub cvss10: Option<i64>,
    pub epss100k: Option<i64>,
    pub kev: bool,
    pub priority10: i64,
    /// Other ids of the vulnerability, space-separated.
    pub aliases: String,
}

/// A new release with its SBOM file and components.
#[derive(Clone, Debug)]
pub struct NewRelease {
    pub product_id: String,
    pub version: String,
    pub released_on: Option<String>,
    pub support_until: Option<String>,
    pub sbom: Option<NewSbom>,
    pub components: Vec<ComponentRow>,
}

#[derive(Clone, Debug)]
pub struct NewSbom {
    pub sha256: String,
    pub filename: String,
    pub format: String,
    pub content: Vec<u8>,
    pub created_by: String,
}

/// The orders of the findings list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FindingOrder {
    Priority,
    Severity,
    Epss,
    Kev,
    Newest,
}

impl FindingOrder {
    fn sql(self) -> &'static str {
        match self {
            FindingOrder::Priority => "priority10 DESC",
            // NULLS LAST: PostgreSQL puts nulls first in a descending
            // order, SQLite last; unknown scores go last in both.
            FindingOrder::Severity => "level DESC, cvss10 DESC NULLS LAST",
            FindingOrder::Epss => "epss100k DESC NULLS LAST",
            FindingOrder::Kev => "kev DESC, priority10 DESC",
            FindingOrder::Newest => "first_seen DESC",
        }
    }
}

/// What storing one match changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MatchChange {
    /// Findings not seen before (or seen again after being fixed).
    pub new: Vec<(i64, String)>,
    /// Findings the match no longer produced.
    pub fixed: u64,
    pub open: u64,
}

impl Store {
    pub async fn create_product(
        &self,
        org_id: &str,
        name: &str,
        now: Timestamp,
        audit: AuditEntry,
    ) -> Result<ProductRow> {
        let pg = self.is_postgres();
        let row = ProductRow {
            id: medsec_core::new_id(),
            org_id: org_id.to_owned(),
            name: name.to_owned(),
            created_at: now.0,
        };
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("INSERT INTO products (id, org_id, name, created_at) VALUES ($1, $2, $3, $4)")
                .bind(&row.id).bind(&row.org_id).bind(&row.name).bind(now.0)
                .execute(&mut *tx).await.map_err(conflict_or("create product", "product with this name"))?;
            tx.append_audit(&audit.target("product", row.id.clone()).details(serde_json::json!({"name": row.name})), pg).await?;
            tx.commit().await.map_err(db("commit product"))?;
        });
        Ok(row)
    }

    pub async fn list_products(&self, org_id: &str) -> Result<Vec<ProductRow>> {
        on!(self, pool => sqlx::query_as("SELECT id, org_id, name, created_at FROM products WHERE org_id = $1 ORDER BY name")
            .bind(org_id).fetch_all(pool).await.map_err(db("list products")))
    }

    pub async fn product_by_name(&self, org_id: &str, name: &str) -> Result<Option<ProductRow>> {
        on!(self, pool => sqlx::query_as("SELECT id, org_id, name, created_at FROM products WHERE org_id = $1 AND name = $2")
            .bind(org_id).bind(name).fetch_optional(pool).await.map_err(db("read product")))
    }

    /// Creates a release with its SBOM (kept once per organisation and
    /// content) and components, in one transaction.
    pub async fn create_release(
        &self,
        org_id: &str,
        new: &NewRelease,
        now: Timestamp,
        audit: AuditEntry,
    ) -> Result<ReleaseRow> {
        let pg = self.is_postgres();
        let mut row = ReleaseRow {
            id: medsec_core::new_id(),
            org_id: org_id.to_owned(),
            product_id: new.product_id.clone(),
            version: new.version.clone(),
            sbom_id: None,
            released_on: new.released_on.clone(),
            support_until: new.support_until.clone(),
            matched_at: None,
            created_at: now.0,
        };
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let product: Option<(String,)> = sqlx::query_as("SELECT id FROM products WHERE org_id = $1 AND id = $2")
                .bind(org_id).bind(&new.product_id).fetch_optional(&mut *tx).await.map_err(db("read product"))?;
            if product.is_none() {
                return Err(StoreError::NotFound { what: "product" });
            }
            if let Some(sbom) = &new.sbom {
                let existing: Option<(String,)> = sqlx::query_as("SELECT id FROM sboms WHERE org_id = $1 AND sha256 = $2")
                    .bind(org_id).bind(&sbom.sha256).fetch_optional(&mut *tx).await.map_err(db("read sbom"))?;
                let id = match existing {
                    Some((id,)) => id,
                    None => {
                        let id = medsec_core::new_id();
                        sqlx::query("INSERT INTO sboms (id, org_id, sha256, filename, format, content, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                            .bind(&id).bind(org_id).bind(&sbom.sha256).bind(&sbom.filename).bind(&sbom.format).bind(&sbom.content).bind(&sbom.created_by).bind(now.0)
                            .execute(&mut *tx).await.map_err(db("store sbom"))?;
                        id
                    }
                };
                row.sbom_id = Some(id);
            }
            sqlx::query(sqlx::AssertSqlSafe(format!("INSERT INTO releases ({RELEASE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")))
                .bind(&row.id).bind(org_id).bind(&row.product_id).bind(&row.version).bind(&row.sbom_id)
                .bind(&row.released_on).bind(&row.support_until).bind(row.matched_at).bind(now.0)
                .execute(&mut *tx).await.map_err(conflict_or("create release", "release with this version"))?;
            for c in &new.components {
                sqlx::query("INSERT INTO release_components (release_id, idx, name, version, purl, identity, cpes, supplier, end_of_support, local) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
                    .bind(&row.id).bind(c.idx).bind(&c.name).bind(&c.version).bind(&c.purl).bind(&c.identity).bind(&c.cpes).bind(&c.supplier).bind(&c.end_of_support).bind(c.local)
                    .execute(&mut *tx).await.map_err(db("store release component"))?;
            }
            tx.append_audit(&audit.target("release", row.id.clone()).details(serde_json::json!({"product": row.product_id, "version": row.version, "components": new.components.len()})), pg).await?;
            tx.commit().await.map_err(db("commit release"))?;
        });
        Ok(row)
    }

    pub async fn list_releases(&self, org_id: &str) -> Result<Vec<ReleaseRow>> {
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {RELEASE_COLUMNS} FROM releases WHERE org_id = $1 ORDER BY product_id, created_at")))
            .bind(org_id).fetch_all(pool).await.map_err(db("list releases")))
    }

    /// Every release of every organisation: for re-matching after a feed
    /// import, which is not done on anyone's behalf.
    pub async fn all_release_ids(&self) -> Result<Vec<(String, String)>> {
        on!(self, pool => sqlx::query_as("SELECT org_id, id FROM releases ORDER BY org_id, id")
            .fetch_all(pool).await.map_err(db("list all releases")))
    }

    pub async fn get_release(&self, org_id: &str, id: &str) -> Result<Option<ReleaseRow>> {
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {RELEASE_COLUMNS} FROM releases WHERE org_id = $1 AND id = $2")))
            .bind(org_id).bind(id).fetch_optional(pool).await.map_err(db("read release")))
    }

    pub async fn release_components(
        &self,
        org_id: &str,
        release_id: &str,
    ) -> Result<Vec<ComponentRow>> {
        on!(self, pool => sqlx::query_as("SELECT c.idx, c.name, c.version, c.purl, c.identity, c.cpes, c.supplier, c.end_of_support, c.local FROM release_components c JOIN releases r ON r.id = c.release_id WHERE r.org_id = $1 AND c.release_id = $2 ORDER BY c.idx")
            .bind(org_id).bind(release_id).fetch_all(pool).await.map_err(db("read release components")))
    }

    /// Stores the result of matching one release: new findings are added,
    /// those found again stay open (rewritten only when their scores or
    /// aliases changed), those no longer found become fixed. A re-match
    /// that changes nothing writes nothing but the release's `matched_at`,
    /// so re-matching a portfolio costs reads, not rewrites.
    ///
    /// `last_seen` of a fixed finding is the last match that still found
    /// it; of an open one, the last match that wrote it (the release's
    /// `matched_at` is the last match, which found it too).
    pub async fn store_match(
        &self,
        org_id: &str,
        release_id: &str,
        findings: &[NewFinding],
        now: Timestamp,
    ) -> Result<MatchChange> {
        type Known = (i64, Option<i64>, Option<i64>, i64, i64, String, String);
        type Stored = (
            i64,
            String,
            i64,
            Option<i64>,
            Option<i64>,
            i64,
            i64,
            String,
            String,
        );
        let mut change = MatchChange::default();
        on!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let matched_at: Option<(Option<i64>,)> = sqlx::query_as("SELECT matched_at FROM releases WHERE org_id = $1 AND id = $2")
                .bind(org_id).bind(release_id).fetch_optional(&mut *tx).await.map_err(db("read release"))?;
            let Some((previous,)) = matched_at else {
                return Err(StoreError::NotFound { what: "release" });
            };
            let existing: Vec<Stored> = sqlx::query_as(
                "SELECT component, vuln_id, level, cvss10, epss100k, kev, priority10, aliases, state FROM findings WHERE release_id = $1")
                .bind(release_id).fetch_all(&mut *tx).await.map_err(db("read findings"))?;
            let mut known: std::collections::HashMap<(i64, &str), Known> = existing
                .iter()
                .map(|(c, v, level, cvss, epss, kev, prio, aliases, state)| {
                    ((*c, v.as_str()), (*level, *cvss, *epss, *kev, *prio, aliases.clone(), state.clone()))
                })
                .collect();
            let mut writes: Vec<&NewFinding> = Vec::new();
            for f in findings {
                match known.remove(&(f.component, f.vuln_id.as_str())) {
                    Some((level, cvss, epss, kev, prio, aliases, state)) if state == "open" => {
                        if (level, cvss, epss, kev, prio, aliases.as_str())
                            != (f.level, f.cvss10, f.epss100k, i64::from(f.kev), f.priority10, f.aliases.as_str())
                        {
                            writes.push(f);
                        }
                    }
                    _ => {
                        change.new.push((f.component, f.vuln_id.clone()));
                        writes.push(f);
                    }
                }
            }
            // Many rows per statement: a release's first match writes
            // thousands of findings.
            const COLUMNS: usize = 11;
            for chunk in writes.chunks(200) {
                let values: Vec<String> = (0..chunk.len())
                    .map(|i| {
                        let b = i * COLUMNS;
                        format!(
                            "(${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, ${}, 'open', ${}, ${}, ${})",
                            b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7, b + 8, b + 9, b + 10, b + 10, b + 11
                        )
                    })
                    .collect();
                let sql = format!(
                    "INSERT INTO findings (release_id, component, vuln_id, org_id, level, cvss10, epss100k, kev, priority10, state, first_seen, last_seen, aliases) VALUES {} \
                    ON CONFLICT (release_id, component, vuln_id) DO UPDATE SET level = excluded.level, cvss10 = excluded.cvss10, epss100k = excluded.epss100k, kev = excluded.kev, priority10 = excluded.priority10, state = 'open', last_seen = excluded.last_seen, aliases = excluded.aliases",
                    values.join(", ")
                );
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for f in chunk {
                    q = q.bind(release_id).bind(f.component).bind(&f.vuln_id).bind(org_id).bind(f.level).bind(f.cvss10).bind(f.epss100k)
                        .bind(i64::from(f.kev)).bind(f.priority10).bind(now.0).bind(&f.aliases);
                }
                q.execute(&mut *tx).await.map_err(db("store findings"))?;
            }
            for ((component, vuln_id), (.., state)) in known {
                if state == "open" {
                    sqlx::query("UPDATE findings SET state = 'fixed', last_seen = $4 WHERE release_id = $1 AND component = $2 AND vuln_id = $3")
                        .bind(release_id).bind(component).bind(vuln_id).bind(previous.unwrap_or(now.0))
                        .execute(&mut *tx).await.map_err(db("close finding"))?;
                    change.fixed += 1;
                }
            }
            if !writes.is_empty() || change.fixed > 0 {
                tx.refresh_counts(release_id).await?;
            }
            sqlx::query("UPDATE releases SET matched_at = $1 WHERE org_id = $2 AND id = $3")
                .bind(now.0).bind(org_id).bind(release_id).execute(&mut *tx).await.map_err(db("mark release matched"))?;
            tx.commit().await.map_err(db("commit match"))?;
        });
        change.open = findings.len() as u64;
        Ok(change)
    }

    /// A page of the organisation's open findings in one order.
    /// Suppressed findings (VEX not_affected or fixed, not expired on
    /// `now`) are left out.
    pub async fn open_findings(
        &self,
        org_id: &str,
        order: FindingOrder,
        limit: i64,
        offset: i64,
        now: Timestamp,
    ) -> Result<Vec<FindingRow>> {
        let sql = format!(
            "SELECT {FINDING_COLUMNS} FROM findings WHERE org_id = $1 AND {} ORDER BY {}, release_id, component, vuln_id LIMIT $2 OFFSET $3",
            open_condition(&day(now)),
            order.sql()
        );
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
            .bind(org_id).bind(limit).bind(offset).fetch_all(pool).await.map_err(db("list findings")))
    }

    pub async fn release_findings(
        &self,
        org_id: &str,
        release_id: &str,
    ) -> Result<Vec<FindingRow>> {
        on!(self, pool => sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {FINDING_COLUMNS} FROM findings WHERE org_id = $1 AND release_id = $2 ORDER BY state DESC, priority10 DESC, component, vuln_id")))
            .bind(org_id).bind(release_id).fetch_all(pool).await.map_err(db("list release findings")))
    }

    /// The organisation's releases that contain a component, by identity
    /// (purl without version, or lower-cased name).
    pub async fn where_used(
        &self,
        org_id: &str,
        identity: &str,
    ) -> Result<Vec<(String, String, Option<String>)>> {
        on!(self, pool => sqlx::query_as("SELECT r.id, r.version, c.version FROM release_components c JOIN releases r ON r.id = c.release_id WHERE r.org_id = $1 AND c.identity = $2 ORDER BY r.created_at, c.idx")
            .bind(org_id).bind(identity).fetch_all(pool).await.map_err(db("where used")))
    }
}

impl Store {
    /// The releases (organisation, release) with a finding whose shown id
    /// is one of `ids`: those a change of these vulnerabilities' records
    /// (scores, KEV, EPSS, a corrected range) can change. Not on anyone's
    /// behalf: the re-match after an import works for every organisation.
    pub async fn releases_with_findings(&self, ids: &[String]) -> Result<Vec<(String, String)>> {
        let mut out: std::collections::BTreeSet<(String, String)> = Default::default();
        for chunk in ids.chunks(500) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let sql = format!(
                "SELECT DISTINCT org_id, release_id FROM findings WHERE vuln_id IN ({})",
                marks.join(", ")
            );
            let rows: Vec<(String, String)> = on!(self, pool => {
                let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()));
                for id in chunk {
                    q = q.bind(id);
                }
                q.fetch_all(pool).await.map_err(db("releases with findings"))
            })?;
            out.extend(rows);
        }
        Ok(out.into_iter().collect())
    }
}
