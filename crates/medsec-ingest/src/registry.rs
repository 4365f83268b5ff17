//! The sources the receivers serve, as one immutable snapshot replaced
//! whole when the configuration changes: by port (UDP, TCP), by
//! credential (TLS certificate, HTTP token) and by id.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use medsec_store::Store;
use medsec_store::watch::{LogSourceRow, MemberScope, Transport};

use crate::counters::{Counters, SourceCounters};
use crate::decode::SourceDecoder;

/// One enabled source, ready to receive.
pub struct Source {
    pub id: String,
    pub member: String,
    pub name: String,
    pub transport: Transport,
    pub port: Option<u16>,
    pub decoder: SourceDecoder,
    pub counters: Arc<SourceCounters>,
}

/// Every enabled source.
#[derive(Default)]
pub struct Registry {
    by_id: HashMap<String, Arc<Source>>,
    by_port: HashMap<(Transport, u16), Arc<Source>>,
    by_credential: HashMap<(Transport, String), Arc<Source>>,
}

impl Registry {
    /// Builds the snapshot from the store: the enabled sources, each with
    /// its format and the masking rules of its member.
    pub async fn load(store: &Store, counters: &Counters) -> Result<Registry, crate::Error> {
        let rows = store.enabled_log_sources().await?;
        let (decoders, errors) = crate::decode::compile_decoders(&store.decoders().await?);
        for e in errors {
            tracing::error!(error = %e, "decoder left out");
        }
        let decoders = Arc::new(decoders);
        let mut maskers: HashMap<String, Arc<medsec_logs::mask::Masker>> = HashMap::new();
        let mut registry = Registry::default();
        for row in rows {
            let Some(transport) = row.transport() else {
                continue;
            };
            let masker = match maskers.get(&row.member_id) {
                Some(m) => m.clone(),
                None => {
                    let rules = store
                        .masking_rules(MemberScope::Member(&row.member_id))
                        .await?;
                    match crate::decode::masker(&rules) {
                        Ok(m) => {
                            let m = Arc::new(m);
                            maskers.insert(row.member_id.clone(), m.clone());
                            m
                        }
                        Err(e) => {
                            // Never store a member's logs unmasked.
                            tracing::error!(member = %row.member_id, error = %e, "masking rules do not compile; the member's sources are not started");
                            continue;
                        }
                    }
                }
            };
            let decoder = match SourceDecoder::new(
                &row.member_id,
                &row.id,
                &row.format,
                decoders.clone(),
                masker,
            ) {
                Ok(d) => d,
                Err(e) => {
                    // A source whose format cannot be built receives nothing
                    // rather than storing undecoded or unmasked data.
                    tracing::error!(source = %row.id, format = %row.format, error = %e, "log source not started");
                    continue;
                }
            };
            registry.add(row, transport, decoder, counters);
        }
        Ok(registry)
    }

    fn add(
        &mut self,
        row: LogSourceRow,
        transport: Transport,
        decoder: SourceDecoder,
        counters: &Counters,
    ) {
        let source = Arc::new(Source {
            counters: counters.source(&row.id, &row.member_id),
            id: row.id,
            member: row.member_id,
            name: row.name,
            transport,
            port: row.port.and_then(|p| u16::try_from(p).ok()),
            decoder,
        });
        if let Some(port) = source.port.filter(|_| transport.has_port()) {
            self.by_port.insert((transport, port), source.clone());
        }
        if let Some(c) = row.credential {
            self.by_credential.insert((transport, c), source.clone());
        }
        self.by_id.insert(source.id.clone(), source);
    }

    pub fn by_port(&self, transport: Transport, port: u16) -> Option<Arc<Source>> {
        self.by_port.get(&(transport, port)).cloned()
    }

    pub fn by_credential(&self, transport: Transport, credential: &str) -> Option<Arc<Source>> {
        self.by_credential
            .get(&(transport, credential.to_owned()))
            .cloned()
    }

    pub fn by_id(&self, id: &str) -> Option<Arc<Source>> {
        self.by_id.get(id).cloned()
    }

    /// The ports the UDP and TCP listeners must hold.
    pub fn ports(&self) -> Vec<(Transport, u16)> {
        let mut ports: Vec<_> = self.by_port.keys().copied().collect();
        ports.sort_by_key(|(t, p)| (t.as_str(), *p));
        ports
    }
}

/// The current snapshot, shared by every receiver.
#[derive(Clone, Default)]
pub struct Shared(Arc<RwLock<Arc<Registry>>>);

impl Shared {
    pub fn get(&self) -> Arc<Registry> {
        self.0.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn set(&self, registry: Registry) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(registry);
    }
}
