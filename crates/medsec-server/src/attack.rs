//! MITRE ATT&CK names for alerts: the matrix rebuilt from the stored
//! `attack` feed records ([`crate::sustain::attack_matrix`]), cached in
//! the server and rebuilt when a newer feed import exists (by this
//! process or another: the command line, another node), and the view of
//! an alert's technique ids with their names, matrix and tactics.
//!
//! Without ATT&CK imported the matrix is empty and an alert shows its
//! technique ids only; a matrix that cannot be rebuilt is logged and
//! treated the same way, so naming never fails a page.

use std::sync::Arc;

use medsec_detect::attack::Matrix;
use medsec_store::Store;

/// The cached matrix and the feed import it was built after.
#[derive(Default)]
pub struct AttackCache {
    slot: tokio::sync::RwLock<Option<(Option<String>, Arc<Matrix>)>>,
}

impl AttackCache {
    /// The matrix as the stored records give it now.
    pub async fn get(&self, store: &Store) -> Arc<Matrix> {
        let latest = match store.feed_imports(1).await {
            Ok(list) => list.into_iter().next().map(|i| i.id),
            Err(e) => {
                tracing::warn!(error = %e, "ATT&CK names: the feed imports could not be read");
                return self.cached().await.unwrap_or_default();
            }
        };
        if let Some((at, m)) = self.slot.read().await.as_ref()
            && *at == latest
        {
            return m.clone();
        }
        let mut slot = self.slot.write().await;
        if let Some((at, m)) = slot.as_ref()
            && *at == latest
        {
            return m.clone();
        }
        let m = match crate::sustain::attack_matrix(store).await {
            Ok(m) => Arc::new(m),
            Err(e) => {
                tracing::warn!(error = %e, "ATT&CK names: the stored matrix could not be rebuilt; alerts show technique ids only");
                Arc::new(Matrix::default())
            }
        };
        *slot = Some((latest, m.clone()));
        m
    }

    async fn cached(&self) -> Option<Arc<Matrix>> {
        self.slot.read().await.as_ref().map(|(_, m)| m.clone())
    }
}

/// A technique id of an alert with what the matrix says of it.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct TechniqueName {
    /// `T1110`, `T0855`.
    pub id: String,
    /// `None` when the matrix does not know the id (or none is imported).
    pub name: Option<String>,
    /// `enterprise`, `ics` or `mobile`.
    pub domain: Option<String>,
    /// The tactics' names, in the technique's kill-chain order.
    pub tactics: Vec<String>,
    pub url: Option<String>,
    /// Deprecated or revoked in the imported matrix.
    pub outdated: bool,
}

/// Names `ids` from `matrix`, in order.
pub fn name_techniques(matrix: &Matrix, ids: &[String]) -> Vec<TechniqueName> {
    ids.iter()
        .map(|id| match matrix.technique(id) {
            Some(t) => TechniqueName {
                id: id.clone(),
                name: Some(t.name.clone()),
                domain: Some(t.domain.as_str().to_owned()),
                tactics: t.tactics.iter().map(|x| x.name.clone()).collect(),
                url: t.url.clone(),
                outdated: t.deprecated || t.revoked,
            },
            None => TechniqueName {
                id: id.clone(),
                ..TechniqueName::default()
            },
        })
        .collect()
}
