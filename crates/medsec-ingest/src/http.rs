//! NDJSON over HTTPS: a member's shipper posts lines (gzip allowed) with
//! its source's token; the answer is 2xx only once every line is stored.

use std::io::Read;

use medsec_store::watch::Transport;
use sha2::{Digest, Sha256};

use crate::Ingest;
use crate::stream::{Batch, now_ns};

/// The largest body accepted after decompression.
pub const MAX_BODY: usize = 64 * 1024 * 1024;

/// What an ingest request stored.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Report {
    /// Lines stored (including those whose payload could not be decoded:
    /// they are stored with `error.message`).
    pub accepted: usize,
    /// Of those, lines stored with a decoding problem.
    pub parse_errors: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// No source has this token (or it is disabled).
    #[error("unknown or disabled ingest token")]
    Unauthorized,
    #[error("the body is not valid gzip: {0}")]
    Gzip(String),
    #[error("the body is larger than {MAX_BODY} bytes")]
    TooLarge,
    /// Nothing was acknowledged; the shipper should retry.
    #[error("storing the events failed")]
    Store,
}

/// The SHA-256 (hex) of a token, as sources store it.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Stores the lines of an NDJSON body for the source `token` belongs to.
pub async fn ingest(
    ingest: &Ingest,
    token: &str,
    body: &[u8],
    gzip: bool,
) -> Result<Report, HttpError> {
    let Some(source) = ingest
        .registry
        .get()
        .by_credential(Transport::Http, &token_hash(token))
    else {
        return Err(HttpError::Unauthorized);
    };
    let inflated;
    let body = if gzip {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(body)
            .take(MAX_BODY as u64 + 1)
            .read_to_end(&mut out)
            .map_err(|e| HttpError::Gzip(e.to_string()))?;
        inflated = out;
        &inflated[..]
    } else {
        body
    };
    if body.len() > MAX_BODY {
        return Err(HttpError::TooLarge);
    }
    let mut batch = Batch::new(&source, &ingest.counters, now_ns());
    let mut conn = source.decoder.connection();
    for line in body.split(|b| *b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let truncated = line.len() > ingest.limits.max_frame;
        let line = line.get(..ingest.limits.max_frame).unwrap_or(line);
        batch.frame(line, truncated, &mut conn);
    }
    let (accepted, parse_errors) = (batch.len(), batch.problems());
    if !batch.flush(&*ingest.sink, ingest.limits.max_batch).await {
        return Err(HttpError::Store);
    }
    Ok(Report {
        accepted,
        parse_errors,
    })
}
