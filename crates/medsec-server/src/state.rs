//! The state every handler shares: store, clock, configuration, the
//! cached security policy, the password-hashing limiter and metrics.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use medsec_core::Timestamp;
use medsec_core::policy::SecurityPolicy;
use medsec_store::Store;
use tokio::sync::{RwLock, Semaphore};

use crate::clock::Clock;
use crate::error::{Error, Result};
use crate::metrics::Metrics;

/// Settings of the HTTP server itself (not the security policy, which
/// lives in the database and is edited in the UI).
#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub data_dir: PathBuf,
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    /// Offset from UTC, in minutes, for times shown in the UI (KST = 540).
    pub display_offset_minutes: i32,
    /// Password checks that may run at once; further logins wait in a
    /// short queue and then get "busy".
    pub hashing_concurrency: usize,
    /// Logins that may wait for a hashing slot before new ones are refused.
    pub hashing_queue: usize,
    /// CA certificates (PEM) webhook endpoints are checked against;
    /// `None` = the system bundle.
    pub webhook_ca: Option<PathBuf>,
    /// Whether web page monitors may reach private, loopback and
    /// link-local addresses (off: a monitor cannot probe the ISAC's own
    /// network).
    pub webmon_allow_private: bool,
}

impl ServerConfig {
    pub fn new(data_dir: PathBuf) -> ServerConfig {
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
        ServerConfig {
            data_dir,
            body_limit: 1024 * 1024,
            display_offset_minutes: 9 * 60,
            hashing_concurrency: cpus,
            hashing_queue: 64,
            webhook_ca: None,
            webmon_allow_private: false,
        }
    }
}

/// The setting key of the security policy.
pub const POLICY_KEY: &str = "security_policy";

/// How long a node trusts its cached policy before re-reading it, so that
/// a change made on one node reaches the others.
const POLICY_TTL: Duration = Duration::from_secs(5);

pub struct Inner {
    pub store: Store,
    pub clock: Arc<dyn Clock>,
    pub config: ServerConfig,
    pub metrics: Metrics,
    /// The vulnerability index, built from the stored feeds on first use.
    pub index: crate::sustain::Index,
    /// The TLS client of webhook deliveries (`None` when its CA file
    /// could not be read; said at start-up).
    pub webhook_tls: Option<Arc<rustls::ClientConfig>>,
    /// The event store and receivers, on a node that collects logs.
    pub watch: std::sync::OnceLock<crate::watch::Watch>,
    /// The sector crisis level in force, cached for every page's banner.
    pub crisis: crate::crisis::Cache,
    /// MITRE ATT&CK from the stored feed records, for alerts' technique
    /// names; rebuilt after a feed import.
    pub attack: crate::attack::AttackCache,
    policy: RwLock<(Instant, Arc<SecurityPolicy>)>,
    hashing: Semaphore,
    hashing_waiting: AtomicUsize,
}

/// The shared application state; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub async fn new(
        store: Store,
        clock: Arc<dyn Clock>,
        config: ServerConfig,
    ) -> Result<AppState> {
        let policy = load_policy(&store).await?;
        let webhook_tls = match crate::webhook::client_config(config.webhook_ca.as_deref()) {
            Ok(c) => Some(Arc::new(c)),
            Err(e) => {
                tracing::error!(error = %e, "webhook CA certificates unreadable; webhooks are not sent");
                None
            }
        };
        Ok(AppState(Arc::new(Inner {
            index: crate::sustain::Index::default(),
            webhook_tls,
            watch: std::sync::OnceLock::new(),
            crisis: crate::crisis::Cache::default(),
            attack: crate::attack::AttackCache::default(),
            hashing: Semaphore::new(config.hashing_concurrency.max(1)),
            hashing_waiting: AtomicUsize::new(0),
            store,
            clock,
            config,
            metrics: Metrics::default(),
            policy: RwLock::new((Instant::now(), Arc::new(policy))),
        })))
    }

    pub fn now(&self) -> Timestamp {
        self.clock.now()
    }

    /// The current security policy (cached for a few seconds).
    pub async fn policy(&self) -> Result<Arc<SecurityPolicy>> {
        {
            let cached = self.policy.read().await;
            if cached.0.elapsed() < POLICY_TTL {
                return Ok(cached.1.clone());
            }
        }
        let fresh = Arc::new(load_policy(&self.store).await?);
        *self.policy.write().await = (Instant::now(), fresh.clone());
        Ok(fresh)
    }

    /// Replaces the cached policy after a change.
    pub async fn set_cached_policy(&self, policy: SecurityPolicy) {
        *self.policy.write().await = (Instant::now(), Arc::new(policy));
    }

    /// Runs a password hash or verification on the blocking pool, at most
    /// `hashing_concurrency` at a time. When more than `hashing_queue`
    /// requests already wait, refuses at once with [`Error::Busy`], so a
    /// login flood costs the server a bounded amount of CPU and memory.
    pub async fn hash_work<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        let waiting = self.hashing_waiting.fetch_add(1, Ordering::SeqCst);
        let permit = if waiting >= self.config.hashing_queue {
            None
        } else {
            tokio::time::timeout(Duration::from_secs(10), self.hashing.acquire())
                .await
                .ok()
                .and_then(|p| p.ok())
        };
        self.hashing_waiting.fetch_sub(1, Ordering::SeqCst);
        let Some(_permit) = permit else {
            self.metrics.hashing_refused.inc();
            return Err(Error::Busy);
        };
        let started = Instant::now();
        let out = tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| Error::Internal(format!("hashing task: {e}")))?;
        self.metrics
            .hashing_seconds
            .observe(started.elapsed().as_secs_f64());
        Ok(out)
    }
}

async fn load_policy(store: &Store) -> Result<SecurityPolicy> {
    match store.setting(POLICY_KEY).await? {
        None => Ok(SecurityPolicy::default()),
        Some(text) => serde_json::from_str(&text)
            .map_err(|e| Error::Internal(format!("stored security policy is invalid: {e}"))),
    }
}
