//! Syslog over TLS (RFC 5425) on one shared port. Members are told apart
//! by their client certificates: each TLS source pins the SHA-256 of one
//! certificate, a handshake with any other certificate (or none) fails,
//! and the connection's events belong to the pinned source's member.
//!
//! The client still proves it holds the certificate's key (the handshake
//! signature is verified); the certificate's issuer and dates are not
//! checked, since the pin, not a CA, is what medsec trusts.

use std::sync::Arc;
use std::time::Duration;

use medsec_store::watch::Transport;
use rustls::DistinguishedName;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;

use crate::counters::Counters;
use crate::registry::Shared;
use crate::sink::EventSink;
use crate::stream::{End, Limits, serve};

/// How long a TLS handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The SHA-256 (lower-case hex) of a certificate, as sources pin it.
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

struct Pinned {
    registry: Shared,
    algorithms: WebPkiSupportedAlgorithms,
}

impl std::fmt::Debug for Pinned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pinned").finish_non_exhaustive()
    }
}

impl ClientCertVerifier for Pinned {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        let pin = fingerprint(end_entity.as_ref());
        if self
            .registry
            .get()
            .by_credential(Transport::Tls, &pin)
            .is_some()
        {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The TLS configuration of the syslog port: medsec's certificate, and
/// client certificates required and checked against the sources' pins.
pub fn server_config(
    certs: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
    registry: Shared,
) -> Result<Arc<rustls::ServerConfig>, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(Pinned {
        registry,
        algorithms: provider.signature_verification_algorithms,
    });
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_client_cert_verifier(verifier)
        .with_single_cert(certs, key)?;
    Ok(Arc::new(config))
}

/// Accepts TLS connections until the task is aborted; each is served on
/// its own task once its handshake completed.
pub async fn accept(
    listener: TcpListener,
    config: Arc<rustls::ServerConfig>,
    registry: Shared,
    sink: Arc<dyn EventSink>,
    counters: Counters,
    limits: Limits,
    refused: Arc<std::sync::atomic::AtomicU64>,
) {
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "TLS syslog accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let acceptor = acceptor.clone();
        let (registry, sink, counters, refused) = (
            registry.clone(),
            sink.clone(),
            counters.clone(),
            refused.clone(),
        );
        tokio::spawn(async move {
            let Ok(Ok(stream)) =
                tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await
            else {
                refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tracing::debug!(%peer, "TLS syslog handshake failed or timed out");
                return;
            };
            let source = stream
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|c| c.first())
                .map(|c| fingerprint(c.as_ref()))
                .and_then(|pin| registry.get().by_credential(Transport::Tls, &pin));
            let Some(source) = source else {
                // The source was disabled between handshake and lookup.
                refused.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                return;
            };
            let mut stream = stream;
            if serve(&mut stream, source, sink, counters, limits).await == End::StoreFailed {
                // Reset, so that the sender cannot take the close for an
                // acknowledgement.
                let _ = stream.get_ref().0.set_zero_linger();
            }
        });
    }
}
