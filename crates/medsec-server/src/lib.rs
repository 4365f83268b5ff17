//! medsec's HTTPS server: the web UI, the JSON API, health and metrics,
//! on top of [`medsec_store`].
//!
//! Entry points: [`build`] assembles the router (used in-process by the
//! tests), [`serve`] runs it over TLS until shutdown, [`spawn_sweeper`]
//! ends idle sessions in the background.
//!
//! Architecture invariant: handlers never talk to the store for another
//! organisation's data; they pass the actor's organisation id, and the
//! store scopes every query by it. The isolation test walks the route
//! table ([`routes::Routes`]) to check this for every route.

pub mod alerts;
pub mod api;
pub mod assets;
pub mod assure;
pub mod attack;
pub mod auth;
pub mod clock;
pub mod crisis;
pub mod detection;
pub mod error;
pub mod extract;
pub mod i18n;
pub mod incidents;
pub mod indicators;
pub mod inventory;
pub mod metrics;
mod middleware;
pub mod premarket;
pub mod review_package;
pub mod routes;
pub mod service;
pub mod state;
pub mod sustain;
pub mod tls;
pub mod ui;
pub mod watch;
pub mod webhook;
pub mod webmon;
pub mod webshell;

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::http::Method;
use axum::routing::get;

pub use routes::{Access, RouteSpec, Surface};
pub use state::{AppState, ServerConfig};

/// The assembled application.
pub struct App {
    pub router: Router,
    /// Every route, for the table-driven tests.
    pub specs: Vec<RouteSpec>,
}

/// Builds the router with all middleware.
pub fn build(state: AppState) -> App {
    let r = routes::Routes::default()
        .other(
            Access::Public,
            Method::GET,
            "/healthz",
            get(middleware::healthz),
        )
        .other(
            Access::User,
            Method::GET,
            "/metrics",
            get(middleware::metrics),
        );
    let r = assets::routes(r);
    let r = ui::routes(r);
    let r = api::routes(r);
    let routes::Routes {
        ui,
        api,
        other,
        specs,
    } = r;

    let ui = ui
        .method_not_allowed_fallback(middleware::method_not_allowed)
        .route_layer(axum::middleware::from_fn(middleware::matched_path))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::render_ui_errors,
        ));
    let api = api
        .method_not_allowed_fallback(middleware::method_not_allowed)
        .route_layer(axum::middleware::from_fn(middleware::matched_path))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::render_api_errors,
        ));
    let other = other
        .method_not_allowed_fallback(middleware::method_not_allowed)
        .route_layer(axum::middleware::from_fn(middleware::matched_path))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::render_api_errors,
        ));

    let router = Router::new()
        .merge(ui)
        .merge(api)
        .merge(other)
        .fallback(middleware::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::render_fallback_errors,
        ))
        .layer(axum::middleware::from_fn(middleware::security_headers))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::observe,
        ))
        .with_state(state);
    App { router, specs }
}

/// Serves the app over TLS on `listener` until `shutdown` completes, then
/// lets requests in flight finish.
pub async fn serve(
    app: Router,
    listener: tokio::net::TcpListener,
    tls: std::sync::Arc<rustls::ServerConfig>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let listener = tls::TlsListener::new(listener, tls)?;
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<tls::ClientAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// Ends sessions idle past the policy's timeout every few seconds, so a
/// timeout is recorded in the audit log even if the user never returns.
pub fn spawn_sweeper(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            if let Err(e) = sweep(&state).await {
                tracing::warn!(error = ?e, "session sweep failed");
            }
        }
    })
}

/// One pass of the session sweeper.
pub async fn sweep(state: &AppState) -> error::Result<usize> {
    let policy = state.policy().await?;
    let now = state.now();
    let base = auth::login_audit(
        state,
        "system",
        "system",
        medsec_core::audit::Action::SessionTimeout,
        medsec_core::audit::Outcome::Success,
    );
    let expired = state
        .store
        .expire_sessions(
            now,
            now.plus_secs(-i64::from(policy.idle_timeout_secs)),
            &base,
        )
        .await?;
    for _ in &expired {
        state.metrics.sessions_expired.inc();
    }
    Ok(expired.len())
}

/// The address the server listens on by default.
pub fn default_listen() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 8443))
}
