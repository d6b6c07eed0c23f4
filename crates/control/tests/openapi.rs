#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]
//! The OpenAPI document describes exactly the routes the router serves,
//! with the roles the auth middleware enforces.

mod support;

use axum::http::StatusCode;
use behavry_control::operator::Role;
use behavry_control::routes::{Access, ROUTES};
use behavry_control::OPENAPI_DOCUMENT;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use support::{concrete, harness};

fn documented() -> Value {
    serde_json::from_str(OPENAPI_DOCUMENT).expect("openapi.json is JSON")
}

fn role_name(access: Access) -> &'static str {
    match access {
        Access::Public => "public",
        Access::Operator(Role::Viewer) => "viewer",
        Access::Operator(Role::Approver) => "approver",
        Access::Operator(Role::Admin) => "admin",
    }
}

#[test]
fn the_document_lists_exactly_the_route_table_with_its_roles() {
    let doc = documented();
    assert_eq!(doc["openapi"], "3.1.0");
    let mut in_doc = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let method = method.to_uppercase();
            let route = ROUTES
                .iter()
                .find(|r| r.method == method && r.path == path)
                .unwrap_or_else(|| panic!("{method} {path} is documented but not in ROUTES"));
            assert_eq!(
                operation["x-behavry-role"],
                role_name(route.access),
                "{method} {path}"
            );
            assert!(operation["summary"].is_string() && operation["responses"].is_object());
            in_doc.insert((method, path.clone()));
        }
    }
    for route in ROUTES {
        assert!(
            in_doc.contains(&(route.method.to_string(), route.path.to_string())),
            "{} {} is routed but missing from openapi.json",
            route.method,
            route.path
        );
    }
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let text = OPENAPI_DOCUMENT;
    for part in text.split("#/components/schemas/").skip(1) {
        let name: String = part.chars().take_while(|c| c.is_alphanumeric()).collect();
        assert!(schemas.contains_key(&name), "dangling $ref {name}");
    }
}

#[tokio::test]
async fn every_route_in_the_table_is_served() {
    let h = harness().await;
    for route in ROUTES {
        for prefix in ["", "/api"] {
            if prefix == "/api" && !route.path.starts_with("/v1/") {
                continue;
            }
            let path = format!("{prefix}{}", concrete(route.path));
            let reply = h.admin(route.method, &path, Some(json!({}))).await;
            assert_ne!(
                reply.status,
                StatusCode::METHOD_NOT_ALLOWED,
                "{} {path}",
                route.method
            );
            assert!(
                reply.status != StatusCode::NOT_FOUND || reply.body["error"].is_string(),
                "{} {path} is not routed",
                route.method
            );
        }
    }
    // A method the table does not list is not served.
    let reply = h.admin("PUT", "/v1/agents", None).await;
    assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED);
    let served = h.send("GET", "/api/v1/openapi.json", &[], None).await;
    assert_eq!(served.status, StatusCode::OK);
    assert_eq!(served.body, documented());
}
