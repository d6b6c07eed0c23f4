//! The admin API's OpenAPI 3.1 document, written by hand in `openapi.json`
//! beside this file and served at `/api/v1/openapi.json`. A test keeps it
//! and [`crate::routes::ROUTES`] describing the same routes and roles.

use axum::http::header;
use axum::response::{IntoResponse, Response};

pub const DOCUMENT: &str = include_str!("openapi.json");

pub async fn document() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT).into_response()
}
