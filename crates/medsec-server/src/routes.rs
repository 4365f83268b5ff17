//! The route table. Every route is registered through [`Routes`], which
//! records it as a [`RouteSpec`] next to adding it to the router, so the
//! isolation and CSRF tests and the OpenAPI check iterate the very routes
//! the server serves: a new route is covered by them automatically.

use axum::Router;
use axum::http::Method;
use axum::routing::MethodRouter;

use crate::state::AppState;

/// Which part of the server a route belongs to; decides how its errors
/// are rendered (HTML page or JSON body).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Surface {
    Ui,
    Api,
    /// Health, metrics and static assets.
    Other,
}

/// Who may call a route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone (login, setup, assets…).
    Public,
    /// A logged-in user or API token.
    User,
}

#[derive(Clone, Debug)]
pub struct RouteSpec {
    pub method: Method,
    pub path: &'static str,
    pub surface: Surface,
    pub access: Access,
}

/// Collects routes per surface together with their specs.
pub struct Routes {
    pub ui: Router<AppState>,
    pub api: Router<AppState>,
    pub other: Router<AppState>,
    pub specs: Vec<RouteSpec>,
}

impl Default for Routes {
    fn default() -> Self {
        Routes {
            ui: Router::new(),
            api: Router::new(),
            other: Router::new(),
            specs: Vec::new(),
        }
    }
}

impl Routes {
    fn add(
        mut self,
        surface: Surface,
        access: Access,
        method: Method,
        path: &'static str,
        handler: MethodRouter<AppState>,
    ) -> Routes {
        self.specs.push(RouteSpec {
            method,
            path,
            surface,
            access,
        });
        match surface {
            Surface::Ui => self.ui = self.ui.route(path, handler),
            Surface::Api => self.api = self.api.route(path, handler),
            Surface::Other => self.other = self.other.route(path, handler),
        }
        self
    }

    pub fn ui(
        self,
        access: Access,
        method: Method,
        path: &'static str,
        handler: MethodRouter<AppState>,
    ) -> Routes {
        self.add(Surface::Ui, access, method, path, handler)
    }

    pub fn api(
        self,
        access: Access,
        method: Method,
        path: &'static str,
        handler: MethodRouter<AppState>,
    ) -> Routes {
        self.add(Surface::Api, access, method, path, handler)
    }

    pub fn other(
        self,
        access: Access,
        method: Method,
        path: &'static str,
        handler: MethodRouter<AppState>,
    ) -> Routes {
        self.add(Surface::Other, access, method, path, handler)
    }
}
