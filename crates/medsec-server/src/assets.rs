//! Static assets (stylesheet, script), embedded in the binary: no CDN and
//! no build step at run time. Served with a content hash in the URL so
//! browsers may cache them for a year.

use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::error::Error;
use crate::routes::{Access, Routes};

const CSS: &str = include_str!("../assets/medsec.css");
const JS: &str = include_str!("../assets/medsec.js");
const ICON: &str = include_str!("../assets/favicon.svg");

/// A version string that changes whenever an asset does (FNV-1a of both).
pub const VERSION: &str = {
    const fn fnv(bytes: &[u8], mut h: u64) -> u64 {
        let mut i = 0;
        while i < bytes.len() {
            h ^= bytes[i] as u64;
            h = h.wrapping_mul(0x100000001b3);
            i += 1;
        }
        h
    }
    const H: u64 = fnv(JS.as_bytes(), fnv(CSS.as_bytes(), 0xcbf29ce484222325));
    const HEX: &[u8; 16] = b"0123456789abcdef";
    const BYTES: [u8; 8] = {
        let mut out = [0u8; 8];
        let mut i = 0;
        while i < 8 {
            out[i] = HEX[((H >> (60 - 4 * i)) & 0xf) as usize];
            i += 1;
        }
        out
    };
    match std::str::from_utf8(&BYTES) {
        Ok(s) => s,
        Err(_) => "0",
    }
};

pub fn routes(r: Routes) -> Routes {
    r.other(Access::Public, Method::GET, "/assets/{name}", get(asset))
        .other(Access::Public, Method::GET, "/favicon.ico", get(favicon))
}

/// Browsers ask for `/favicon.ico` whatever the page says; answer with
/// the icon instead of an error page.
async fn favicon() -> Response {
    asset(axum::extract::Path("favicon.svg".to_owned())).await
}

async fn asset(axum::extract::Path(name): axum::extract::Path<String>) -> Response {
    let (body, ty) = match name.as_str() {
        "medsec.css" => (CSS, "text/css; charset=utf-8"),
        "medsec.js" => (JS, "text/javascript; charset=utf-8"),
        "favicon.svg" => (ICON, "image/svg+xml"),
        _ => return Error::NotFound.into_response(),
    };
    let mut res = (StatusCode::OK, body).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(ty));
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    res
}
