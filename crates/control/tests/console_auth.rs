#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]
//! Who may call the admin API: agent credentials never (not even beside a
//! valid session), operators by the role each route needs; the operators
//! API and the console's security headers.

mod support;

use axum::http::StatusCode;
use behavry_control::operator::Role;
use behavry_control::routes::{Access, ROUTES};
use serde_json::json;
use support::{concrete, harness};

const PASSWORD: &str = "a long enough password";

#[tokio::test]
async fn agent_credentials_are_refused_on_every_admin_route() {
    let h = harness().await;
    let created = h
        .admin(
            "POST",
            "/v1/agents",
            Some(json!({"name": "agent-1", "role": "analyst"})),
        )
        .await;
    let credential = created.body["credential"].as_str().unwrap().to_string();
    assert!(credential.starts_with("bhv_"));
    let auth = format!("Bearer {credential}");
    // A valid console session beside the agent credential changes nothing.
    let browser = h.operator("alice", "admin", PASSWORD).await;
    for route in ROUTES.iter().filter(|r| r.access != Access::Public) {
        for prefix in ["", "/api"] {
            let path = format!("{prefix}{}", concrete(route.path));
            let reply = h
                .send(
                    route.method,
                    &path,
                    &[("authorization", &auth)],
                    Some(json!({})),
                )
                .await;
            assert_eq!(
                reply.status,
                StatusCode::UNAUTHORIZED,
                "{} {path}",
                route.method
            );
            let reply = h
                .send(
                    route.method,
                    &path,
                    &[
                        ("authorization", &auth),
                        ("cookie", &browser.cookie),
                        ("x-csrf-token", &browser.csrf),
                    ],
                    Some(json!({})),
                )
                .await;
            assert_eq!(
                reply.status,
                StatusCode::UNAUTHORIZED,
                "{} {path} with cookie",
                route.method
            );
        }
    }
    // Nor can it sign in to the console.
    let reply = h
        .login(json!({"admin_token": credential}))
        .await
        .unwrap_err();
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn every_route_checks_its_role() {
    let h = harness().await;
    let viewer = h.operator("vera", "viewer", PASSWORD).await;
    let approver = h.operator("arno", "approver", PASSWORD).await;
    // Signing out would end the sessions this test uses; it has its own test.
    for route in ROUTES
        .iter()
        .filter(|r| !(r.method == "DELETE" && r.path == "/v1/session"))
    {
        let path = concrete(route.path);
        let anonymous = h.send(route.method, &path, &[], Some(json!({}))).await;
        match route.access {
            Access::Public => assert_ne!(anonymous.status, StatusCode::UNAUTHORIZED, "{path}"),
            Access::Operator(role) => {
                assert_eq!(
                    anonymous.status,
                    StatusCode::UNAUTHORIZED,
                    "{} {path}",
                    route.method
                );
                for (who, has) in [(&viewer, Role::Viewer), (&approver, Role::Approver)] {
                    let reply = h.browser(who, route.method, &path, Some(json!({}))).await;
                    if has < role {
                        assert_eq!(
                            reply.status,
                            StatusCode::FORBIDDEN,
                            "{has} on {} {path}: {}",
                            route.method,
                            reply.body
                        );
                    } else {
                        assert_ne!(
                            reply.status,
                            StatusCode::FORBIDDEN,
                            "{has} on {} {path}",
                            route.method
                        );
                        assert_ne!(
                            reply.status,
                            StatusCode::UNAUTHORIZED,
                            "{has} on {} {path}",
                            route.method
                        );
                    }
                }
            }
        }
    }
}

#[tokio::test]
async fn a_viewer_cannot_approve_or_deny() {
    let h = harness().await;
    let viewer = h.operator("vera", "viewer", PASSWORD).await;
    for action in ["approve", "deny"] {
        let reply = h
            .browser(
                &viewer,
                "POST",
                &format!("/v1/approvals/some-id/{action}"),
                Some(json!({"reason": "no"})),
            )
            .await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "{action}: {}",
            reply.body
        );
        assert!(reply.body["error"].as_str().unwrap().contains("approver"));
    }
}

#[tokio::test]
async fn operators_api_validates_and_hides_hashes() {
    let h = harness().await;
    for bad in [
        json!({"name": "admin", "role": "admin"}),
        json!({"name": "x y", "role": "viewer"}),
        json!({"name": "ok", "role": "root"}),
        json!({"name": "ok", "role": "viewer", "password": "short"}),
        json!({"name": "ok", "role": "viewer", "groups": ["bad group"]}),
    ] {
        let reply = h.admin("POST", "/v1/operators", Some(bad.clone())).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{bad}: {}",
            reply.body
        );
    }
    h.operator("alice", "viewer", PASSWORD).await;
    let dup = h
        .admin(
            "POST",
            "/v1/operators",
            Some(json!({"name": "alice", "role": "viewer"})),
        )
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    let listed = h.admin("GET", "/v1/operators", None).await;
    assert_eq!(listed.body["operators"][0]["has_password"], true);
    let text = listed.body.to_string();
    assert!(!text.contains("argon2") && !text.contains(PASSWORD));
}

#[tokio::test]
async fn console_pages_carry_a_strict_csp() {
    let h = harness().await;
    for path in ["/", "/console/assets/app.js", "/v1/agents"] {
        let reply = h.send("GET", path, &[], None).await;
        let csp = reply.headers["content-security-policy"].to_str().unwrap();
        assert!(csp.starts_with("default-src 'self'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline") && csp.contains("frame-ancestors 'none'"));
        assert_eq!(reply.headers["x-content-type-options"], "nosniff");
    }
    assert_eq!(
        h.send("GET", "/console/assets/nope.js", &[], None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}
