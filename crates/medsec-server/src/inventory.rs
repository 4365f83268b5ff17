//! Between manufacturers and hospitals, as users do it: a manufacturer
//! shares a release (its SBOM, findings and VEX) with a hospital; the
//! hospital keeps its device inventory and sees which devices are exposed
//! to which vulnerabilities and what the manufacturer says about each.

use medsec_core::audit::Action;
use medsec_core::{OrgKind, Timestamp};
use medsec_store::inventory::{InventoryDeviceRow, NewInventoryDevice, SharedReleaseRow};

use crate::assure::By;
use crate::error::{Error, Result};
use crate::sustain::{FindingView, finding_views};
use medsec_store::Store;
use medsec_vulndb::Database;

fn hospital(by: &By) -> Result<()> {
    if by.org_kind == OrgKind::Hospital {
        Ok(())
    } else {
        Err(Error::Forbidden)
    }
}

/// Shares a release of the caller's organisation with a hospital, named
/// by id or by exact name.
pub async fn share(store: &Store, by: &By, release_id: &str, hospital: &str) -> Result<bool> {
    by.manufacturer()?;
    let hospital = hospital.trim();
    if hospital.is_empty() {
        return Err(Error::field("hospital", "required"));
    }
    let orgs = store.list_orgs().await?;
    let Some(target) = orgs.iter().find(|o| {
        o.kind == OrgKind::Hospital && o.enabled && (o.id == hospital || o.name == hospital)
    }) else {
        return Err(Error::field("hospital", "unknown_hospital"));
    };
    let now = Timestamp::now();
    let new = store
        .share_release(
            &by.org_id,
            release_id,
            &target.id,
            &by.name,
            now,
            by.audit(now, Action::ReleaseShared),
        )
        .await?;
    if new {
        let release = store.get_release(&by.org_id, release_id).await?;
        let payload = serde_json::json!({
            "release": {"id": release_id, "version": release.map(|r| r.version)},
            "manufacturer": by.org_id,
            "at": now.rfc3339(),
        });
        store
            .enqueue_webhook(&target.id, "release.shared", &payload, now)
            .await?;
    }
    Ok(new)
}

/// The hospitals every enabled one, for the share form.
pub async fn hospitals(store: &Store) -> Result<Vec<(String, String)>> {
    Ok(store
        .list_orgs()
        .await?
        .into_iter()
        .filter(|o| o.kind == OrgKind::Hospital && o.enabled)
        .map(|o| (o.id, o.name))
        .collect())
}

/// A device as a hospital user enters it.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct DeviceInput {
    pub asset_tag: String,
    pub model: String,
    #[serde(default)]
    pub manufacturer: Option<String>,
    #[serde(default)]
    pub version: Option<String>,
    /// A release shared with the hospital.
    #[serde(default)]
    pub release: Option<String>,
    #[serde(default)]
    pub location: Option<String>,
    #[serde(default)]
    pub segment: Option<String>,
}

fn text(field: &str, v: &str, max: usize, required: bool) -> Result<Option<String>> {
    let v = v.trim();
    if v.is_empty() {
        return if required {
            Err(Error::field(field, "required"))
        } else {
            Ok(None)
        };
    }
    if v.chars().count() > max || v.chars().any(char::is_control) {
        return Err(Error::field(field, "invalid"));
    }
    Ok(Some(v.to_owned()))
}

pub async fn device_add(store: &Store, by: &By, input: &DeviceInput) -> Result<InventoryDeviceRow> {
    hospital(by)?;
    let opt = |f: &str, v: &Option<String>| text(f, v.as_deref().unwrap_or(""), 200, false);
    let mut new = NewInventoryDevice {
        asset_tag: text("asset_tag", &input.asset_tag, 100, true)?.unwrap_or_default(),
        model: text("model", &input.model, 200, true)?.unwrap_or_default(),
        manufacturer: opt("manufacturer", &input.manufacturer)?,
        version: opt("version", &input.version)?,
        release_id: opt("release", &input.release)?,
        location: opt("location", &input.location)?,
        segment: opt("segment", &input.segment)?,
    };
    if let Some(release) = &new.release_id {
        let Some(shared) = store.shared_release(&by.org_id, release).await? else {
            return Err(Error::field("release", "unknown_release"));
        };
        new.manufacturer.get_or_insert(shared.manufacturer);
        new.version.get_or_insert(shared.version);
    }
    let now = Timestamp::now();
    Ok(store
        .add_inventory_device(
            &by.org_id,
            &new,
            now,
            by.audit(now, Action::InventoryDeviceAdded),
        )
        .await?)
}

pub async fn device_remove(store: &Store, by: &By, id: &str) -> Result<()> {
    hospital(by)?;
    let now = Timestamp::now();
    store
        .remove_inventory_device(
            &by.org_id,
            id,
            by.audit(now, Action::InventoryDeviceRemoved),
        )
        .await?;
    Ok(())
}

/// One device of the inventory and what it is exposed to.
#[derive(Clone, Debug, serde::Serialize)]
pub struct DeviceExposure {
    pub device: InventoryDeviceRow,
    pub release: Option<SharedReleaseRow>,
    /// The release's findings: open ones first, then those the
    /// manufacturer's VEX suppresses (with what it says), then fixed.
    pub findings: Vec<FindingView>,
    pub open: usize,
    pub kev: usize,
}

/// Every device of the caller's (hospital's) inventory with its exposure.
pub async fn exposure(
    store: &Store,
    db: Option<&Database>,
    by: &By,
) -> Result<Vec<DeviceExposure>> {
    hospital(by)?;
    let devices = store.inventory(&by.org_id).await?;
    let now = Timestamp::now();
    let mut cache: std::collections::HashMap<String, (SharedReleaseRow, Vec<FindingView>)> =
        Default::default();
    let mut out = Vec::with_capacity(devices.len());
    for device in devices {
        let (release, findings) = match &device.release_id {
            None => (None, Vec::new()),
            Some(id) => {
                if !cache.contains_key(id) {
                    let Some(shared) = store.shared_release(&by.org_id, id).await? else {
                        out.push(DeviceExposure {
                            device,
                            release: None,
                            findings: Vec::new(),
                            open: 0,
                            kev: 0,
                        });
                        continue;
                    };
                    let (findings, vex) = store.shared_findings(&by.org_id, id).await?;
                    let components = store.shared_components(&by.org_id, id).await?;
                    let views = finding_views(db, &findings, &components, &vex, &[], now);
                    cache.insert(id.clone(), (shared, views));
                }
                let (r, f) = &cache[id];
                (Some(r.clone()), f.clone())
            }
        };
        let open = findings.iter().filter(|f| f.state == "open").count();
        let kev = findings
            .iter()
            .filter(|f| f.state == "open" && f.kev)
            .count();
        out.push(DeviceExposure {
            device,
            release,
            findings,
            open,
            kev,
        });
    }
    Ok(out)
}
