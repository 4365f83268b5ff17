//! Log collection for watch: the receivers that take member hospitals'
//! security logs in (syslog over UDP, TCP and TLS, NDJSON over HTTPS,
//! files), decode and mask them, and append them durably to an
//! [`EventSink`], with per-source counters, error samples and silence
//! detection.
//!
//! Architecture invariant: an event's member is the member of the source
//! whose port, client certificate or token delivered it; nothing in a
//! message can change that.

pub mod bus;
pub mod counters;
pub mod decode;
pub mod http;
pub mod registry;
pub mod sink;
pub mod stream;
#[cfg(feature = "testing")]
pub mod testing;
pub mod tls;
pub mod udp;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use medsec_core::Timestamp;
use medsec_store::Store;
use medsec_store::watch::Transport;
use tokio::net::{TcpListener, UdpSocket};
use tokio::task::JoinHandle;

pub use counters::Counters;
pub use registry::{Registry, Shared, Source};
pub use sink::{EventSink, SinkError};
pub use stream::Limits;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] medsec_store::StoreError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// The receivers of one node.
pub struct Ingest {
    pub store: Store,
    pub registry: Shared,
    pub counters: Counters,
    pub sink: Arc<dyn EventSink>,
    pub limits: Limits,
    /// The address UDP and TCP listeners bind to.
    pub bind: IpAddr,
    /// TLS handshakes refused (unknown or missing client certificate).
    pub tls_refused: Arc<AtomicU64>,
    /// Whether [`Ingest::reload`] starts the UDP and TCP listeners (not on
    /// an indexing-only node, which still takes HTTP ingest).
    pub listen: AtomicBool,
    listeners: tokio::sync::Mutex<HashMap<(Transport, u16), JoinHandle<()>>>,
}

impl Ingest {
    pub fn new(store: Store, sink: Arc<dyn EventSink>, bind: IpAddr) -> Arc<Ingest> {
        Arc::new(Ingest {
            store,
            registry: Shared::default(),
            counters: Counters::new(),
            sink,
            limits: Limits::default(),
            bind,
            tls_refused: Arc::new(AtomicU64::new(0)),
            listen: AtomicBool::new(true),
            listeners: tokio::sync::Mutex::new(HashMap::new()),
        })
    }

    /// Reloads the sources from the store and starts or stops the UDP and
    /// TCP listeners to match. A port that cannot be bound is logged and
    /// retried at the next reload.
    pub async fn reload(self: &Arc<Self>) -> Result<(), Error> {
        let registry = Registry::load(&self.store, &self.counters).await?;
        let wanted = if self.listen.load(Ordering::Relaxed) {
            registry.ports()
        } else {
            Default::default()
        };
        self.registry.set(registry);
        let mut listeners = self.listeners.lock().await;
        listeners.retain(|key, task| {
            let keep = wanted.contains(key) && !task.is_finished();
            if !keep {
                task.abort();
            }
            keep
        });
        for (transport, port) in wanted {
            if listeners.contains_key(&(transport, port)) {
                continue;
            }
            let addr = SocketAddr::new(self.bind, port);
            let task = match transport {
                Transport::Udp => match UdpSocket::bind(addr).await {
                    Ok(socket) => tokio::spawn(udp::serve(
                        socket,
                        port,
                        self.registry.clone(),
                        self.sink.clone(),
                        self.counters.clone(),
                    )),
                    Err(e) => {
                        tracing::error!(%addr, error = %e, "cannot listen for syslog over UDP");
                        continue;
                    }
                },
                Transport::Tcp => match TcpListener::bind(addr).await {
                    Ok(listener) => tokio::spawn(self.clone().accept_tcp(listener, port)),
                    Err(e) => {
                        tracing::error!(%addr, error = %e, "cannot listen for syslog over TCP");
                        continue;
                    }
                },
                _ => continue,
            };
            tracing::info!(%addr, transport = transport.as_str(), "log source listening");
            listeners.insert((transport, port), task);
        }
        Ok(())
    }

    async fn accept_tcp(self: Arc<Self>, listener: TcpListener, port: u16) {
        loop {
            let (tcp, _) = match listener.accept().await {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(port, error = %e, "TCP syslog accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let Some(source) = self.registry.get().by_port(Transport::Tcp, port) else {
                continue;
            };
            let _ = tcp.set_nodelay(true);
            let (sink, counters, limits) = (self.sink.clone(), self.counters.clone(), self.limits);
            tokio::spawn(async move {
                let mut tcp = tcp;
                if stream::serve(&mut tcp, source, sink, counters, limits).await
                    == stream::End::StoreFailed
                {
                    // Reset rather than close: a close is the
                    // acknowledgement.
                    let _ = tcp.set_zero_linger();
                }
            });
        }
    }

    /// The ports the UDP and TCP listeners hold now.
    pub async fn listening(&self) -> Vec<(Transport, u16)> {
        let mut v: Vec<_> = self.listeners.lock().await.keys().copied().collect();
        v.sort_by_key(|(t, p)| (t.as_str(), *p));
        v
    }

    /// Starts the shared TLS syslog listener.
    pub fn start_tls(
        self: &Arc<Self>,
        listener: TcpListener,
        config: Arc<rustls::ServerConfig>,
    ) -> JoinHandle<()> {
        tokio::spawn(tls::accept(
            listener,
            config,
            self.registry.clone(),
            self.sink.clone(),
            self.counters.clone(),
            self.limits,
            self.tls_refused.clone(),
        ))
    }

    /// The background work of a receiving node until the task is aborted:
    /// reloading the sources, writing counts and error samples, counting
    /// the kernel's UDP drops and reporting silent sources.
    pub async fn maintain(self: Arc<Self>, every: Duration) {
        let mut flusher = self.counters.flusher();
        let mut udp_drops = HashMap::new();
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = self.reload().await {
                tracing::warn!(error = %e, "reloading log sources failed");
            }
            udp::count_kernel_drops(&self.registry, &mut udp_drops);
            let now = Timestamp::now();
            if let Err(e) = flusher.flush(&self.store, now).await {
                tracing::warn!(error = %e, "writing ingest counts failed");
            }
            if let Err(e) = self.check_silence(now).await {
                tracing::warn!(error = %e, "checking silent sources failed");
            }
        }
    }

    /// Reports the sources that went silent (once per silence) to their
    /// member and the ISAC; returns them.
    pub async fn check_silence(
        &self,
        now: Timestamp,
    ) -> Result<Vec<medsec_store::watch::LogSourceRow>, Error> {
        let silent = self.store.mark_silent_sources(now).await?;
        for s in &silent {
            self.notify_silent(s, now).await;
        }
        Ok(silent)
    }

    /// Tells the member and the ISAC that a source went silent.
    async fn notify_silent(&self, source: &medsec_store::watch::LogSourceRow, now: Timestamp) {
        let details = serde_json::json!({
            "source": source.id, "name": source.name, "member": source.member_id,
            "last_event_at": source.last_event_at.map(|t| Timestamp(t).rfc3339()),
            "silent_after": source.silent_after,
        });
        tracing::warn!(source = %source.id, name = %source.name, member = %source.member_id, "log source silent");
        let mut orgs = vec![source.member_id.clone()];
        if let Ok(all) = self.store.list_orgs().await {
            orgs.extend(
                all.into_iter()
                    .filter(|o| o.kind == medsec_core::OrgKind::Isac)
                    .map(|o| o.id),
            );
        }
        for org in orgs {
            if let Err(e) = self
                .store
                .notify(&org, "watch.source_silent", Some(&source.id), &details, now)
                .await
            {
                tracing::warn!(error = %e, "silence notification failed");
            }
        }
    }
}
