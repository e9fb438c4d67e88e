//! The web app's files (`server.web_dir`): served under `/app/`, every address there that is
//! no file answered with the app's page, so a person's bookmark of any screen opens it. `/`
//! leads to it. Without the setting the service is the API alone.

use std::path::Path;
use std::sync::Arc;

use axum::Router;
use axum::http::Uri;
use axum::response::Redirect;
use axum::routing::get;
use tower_http::services::{ServeDir, ServeFile};

use super::AppState;

pub fn routes(web_dir: Option<&Path>) -> Router<Arc<AppState>> {
    let Some(dir) = web_dir else {
        return Router::new();
    };
    let files = ServeDir::new(dir).fallback(ServeFile::new(dir.join("index.html")));
    Router::new()
        .route("/", get(to_the_app))
        .nest_service("/app", files)
}

/// `/` leads to the app, with what it asked (`?lang=ar` chooses the language before sign-in).
async fn to_the_app(uri: Uri) -> Redirect {
    match uri.query() {
        Some(query) => Redirect::to(&format!("/app/?{query}")),
        None => Redirect::to("/app/"),
    }
}
