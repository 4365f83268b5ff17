//! Webhook deliveries: an HTTPS POST of a JSON event to an organisation's
//! endpoint, signed so that the receiver can check it came from medsec,
//! sent from an outbox in the database and retried with backoff.
//!
//! The signature is `X-Medsec-Signature: sha256=<hex HMAC-SHA256>` of
//! `<X-Medsec-Timestamp>.<body>` under the webhook's secret (the scheme of
//! GitHub's and Stripe's webhooks: the timestamp defeats replays).

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use hmac::{KeyInit, Mac};
use hyper::Request;
use hyper_util::rt::TokioIo;
use medsec_core::Timestamp;
use rustls::pki_types::{CertificateDer, ServerName, pem::PemObject};

use crate::error::{Error, Result};
use crate::state::AppState;

/// The CA bundle used when none is configured (Debian's).
pub const SYSTEM_ROOTS: &str = "/etc/ssl/certs/ca-certificates.crt";

/// How long one attempt may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The TLS client of webhook deliveries, trusting the CA certificates in
/// `ca_file` (PEM), else the system bundle.
pub fn client_config(ca_file: Option<&Path>) -> std::result::Result<rustls::ClientConfig, String> {
    let path = ca_file.unwrap_or(Path::new(SYSTEM_ROOTS));
    let mut roots = rustls::RootCertStore::empty();
    if path.exists() {
        let certs =
            CertificateDer::pem_file_iter(path).map_err(|e| format!("{}: {e}", path.display()))?;
        for cert in certs {
            let cert = cert.map_err(|e| format!("{}: {e}", path.display()))?;
            // A bundle may hold certificates rustls cannot use; skip them.
            let _ = roots.add(cert);
        }
    } else if ca_file.is_some() {
        return Err(format!("{}: no such file", path.display()));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots)
        .with_no_client_auth())
}

/// Checks a webhook address: `https://host[:port][/path]`, no user info.
pub fn check_url(url: &str) -> Result<hyper::Uri> {
    let bad = || Error::field("url", "invalid");
    let uri: hyper::Uri = url.trim().parse().map_err(|_| bad())?;
    if uri.scheme_str() != Some("https") || url.len() > 2000 {
        return Err(Error::field("url", "https_required"));
    }
    let authority = uri.authority().ok_or_else(bad)?;
    if authority.as_str().contains('@') || authority.host().is_empty() {
        return Err(bad());
    }
    Ok(uri)
}

/// The signature header value of `body` sent at `timestamp`.
pub fn signature(secret: &str, timestamp: i64, body: &str) -> String {
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) else {
        return String::new();
    };
    mac.update(format!("{timestamp}.").as_bytes());
    mac.update(body.as_bytes());
    format!(
        "sha256={}",
        data_encoding::HEXLOWER.encode(&mac.finalize().into_bytes())
    )
}

/// One attempt: the HTTP status, or why it could not be sent.
pub async fn post(
    tls: Arc<rustls::ClientConfig>,
    url: &str,
    secret: &str,
    event: &str,
    delivery: &str,
    body: &str,
) -> std::result::Result<u16, String> {
    let uri = check_url(url).map_err(|_| format!("not an https address: {url}"))?;
    let host = uri
        .host()
        .unwrap_or_default()
        .trim_matches(['[', ']'])
        .to_owned();
    let port = uri.port_u16().unwrap_or(443);
    let name = ServerName::try_from(host.clone()).map_err(|e| e.to_string())?;
    let attempt = async {
        let tcp = tokio::net::TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|e| format!("connect {host}:{port}: {e}"))?;
        let stream = tokio_rustls::TlsConnector::from(tls)
            .connect(name, tcp)
            .await
            .map_err(|e| format!("TLS with {host}: {e}"))?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
        let conn = tokio::spawn(conn);
        let now = Timestamp::now().0 / 1000;
        let path = uri.path_and_query().map_or("/", |p| p.as_str()).to_owned();
        let req = Request::post(path)
            .header(
                hyper::header::HOST,
                uri.authority().map_or("", |a| a.as_str()),
            )
            .header(hyper::header::CONTENT_TYPE, "application/json")
            .header(hyper::header::USER_AGENT, "medsec-webhook")
            .header("X-Medsec-Event", event)
            .header("X-Medsec-Delivery", delivery)
            .header("X-Medsec-Timestamp", now.to_string())
            .header("X-Medsec-Signature", signature(secret, now, body))
            .body(Body::from(body.to_owned()))
            .map_err(|e| e.to_string())?;
        let res = sender.send_request(req).await.map_err(|e| e.to_string())?;
        let status = res.status().as_u16();
        drop(sender);
        conn.abort();
        Ok::<u16, String>(status)
    };
    tokio::time::timeout(TIMEOUT, attempt)
        .await
        .map_err(|_| "timed out".to_owned())?
}

/// The wait before the next attempt after `attempts` failed ones: 30 s,
/// doubling, at most an hour.
pub fn backoff(attempts: i64) -> i64 {
    (30_i64 << attempts.clamp(0, 7)).min(3600)
}

/// Sends every delivery due at `now` once; returns how many were
/// delivered.
pub async fn deliver_due(state: &AppState, now: Timestamp) -> Result<usize> {
    let Some(tls) = state.webhook_tls.clone() else {
        return Ok(0);
    };
    let due = state.store.due_deliveries(now, 50).await?;
    let mut delivered = 0;
    for (d, hook) in due {
        let outcome = post(
            tls.clone(),
            &hook.url,
            &hook.secret,
            &d.event,
            &d.id,
            &d.payload,
        )
        .await;
        match outcome {
            Ok(status) if (200..300).contains(&status) => {
                state
                    .store
                    .delivery_attempted(&d.id, Some(i64::from(status)), None, None, now)
                    .await?;
                delivered += 1;
            }
            Ok(status) => {
                let retry = now.plus_secs(backoff(d.attempts));
                state
                    .store
                    .delivery_attempted(
                        &d.id,
                        Some(i64::from(status)),
                        Some(&format!("HTTP {status}")),
                        Some(retry),
                        now,
                    )
                    .await?;
            }
            Err(e) => {
                let retry = now.plus_secs(backoff(d.attempts));
                state
                    .store
                    .delivery_attempted(&d.id, None, Some(&e), Some(retry), now)
                    .await?;
            }
        }
    }
    Ok(delivered)
}

/// Runs [`deliver_due`] every few seconds.
pub fn spawn_sender(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(3));
        loop {
            tick.tick().await;
            if let Err(e) = deliver_due(&state, Timestamp::now()).await {
                tracing::warn!(error = ?e, "webhook deliveries failed");
            }
        }
    })
}
