#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]
//! Console sessions: cookie flags, CSRF token and origin checks on
//! state-changing requests, sign-out, idle expiry, sessions ended by a
//! disable or a password change, throttled sign-ins, admin-token sessions.

mod support;

use axum::http::StatusCode;
use behavry_control::SessionSettings;
use serde_json::json;
use std::time::Duration;
use support::{harness, harness_with};

const PASSWORD: &str = "a long enough password";

#[tokio::test]
async fn session_cookie_flags_and_csrf_token() {
    let h = harness().await;
    h.admin(
        "POST",
        "/v1/operators",
        Some(json!({"name": "alice", "role": "approver", "password": PASSWORD, "groups": ["finance"]})),
    )
    .await;
    let reply = h
        .send(
            "POST",
            "/v1/session",
            &[],
            Some(json!({"name": "alice", "password": PASSWORD})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.body);
    let cookie = reply.headers["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("behavry_session="), "{cookie}");
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(flag), "{flag} missing in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP: no Secure flag");
    assert_eq!(reply.headers["cache-control"], "no-store");
    assert_eq!(reply.body["operator"]["name"], "alice");
    assert_eq!(reply.body["operator"]["role"], "approver");
    assert_eq!(reply.body["operator"]["groups"], json!(["finance"]));
    let csrf = reply.body["csrf_token"].as_str().unwrap();
    let value = cookie.split(';').next().unwrap().split_once('=').unwrap().1;
    assert!(!csrf.contains(value) && !value.contains(csrf));

    let tls = harness_with(SessionSettings {
        public_origin: Some("https://console.example.com".into()),
        ..SessionSettings::default()
    })
    .await;
    tls.admin(
        "POST",
        "/v1/operators",
        Some(json!({"name": "bob", "role": "viewer", "password": PASSWORD})),
    )
    .await;
    let reply = tls
        .send(
            "POST",
            "/v1/session",
            &[],
            Some(json!({"name": "bob", "password": PASSWORD})),
        )
        .await;
    let cookie = reply.headers["set-cookie"].to_str().unwrap();
    assert!(
        cookie.starts_with("__Host-behavry_session=") && cookie.contains("; Secure"),
        "{cookie}"
    );
}

#[tokio::test]
async fn unsafe_requests_need_the_sessions_csrf_token_and_origin() {
    let h = harness().await;
    let alice = h.operator("alice", "admin", PASSWORD).await;
    let other = h.operator("bob", "admin", PASSWORD).await;
    let body = Some(json!({"name": "agent-x", "role": "analyst"}));
    let cases: Vec<(Vec<(&str, &str)>, StatusCode)> = vec![
        (vec![("cookie", &alice.cookie)], StatusCode::FORBIDDEN),
        (
            vec![("cookie", &alice.cookie), ("x-csrf-token", "")],
            StatusCode::FORBIDDEN,
        ),
        (
            vec![("cookie", &alice.cookie), ("x-csrf-token", &other.csrf)],
            StatusCode::FORBIDDEN,
        ),
        (
            vec![
                ("cookie", &alice.cookie),
                ("x-csrf-token", &alice.csrf),
                ("origin", "http://evil.example"),
            ],
            StatusCode::FORBIDDEN,
        ),
        (
            vec![
                ("cookie", &alice.cookie),
                ("x-csrf-token", &alice.csrf),
                ("sec-fetch-site", "cross-site"),
            ],
            StatusCode::FORBIDDEN,
        ),
        (
            vec![("cookie", &alice.cookie), ("x-csrf-token", &alice.csrf)],
            StatusCode::CREATED,
        ),
    ];
    for (headers, expected) in cases {
        let reply = h.send("POST", "/v1/agents", &headers, body.clone()).await;
        assert_eq!(reply.status, expected, "{headers:?}: {}", reply.body);
    }
    // Reads need no CSRF token.
    let reply = h
        .send("GET", "/v1/agents", &[("cookie", &alice.cookie)], None)
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    // Sign-in from another origin is refused (login CSRF).
    let reply = h
        .send(
            "POST",
            "/v1/session",
            &[("origin", "http://evil.example")],
            Some(json!({"name": "alice", "password": PASSWORD})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn logout_ends_the_session() {
    let h = harness().await;
    let alice = h.operator("alice", "viewer", PASSWORD).await;
    assert_eq!(
        h.browser(&alice, "GET", "/v1/session", None).await.status,
        StatusCode::OK
    );
    let no_csrf = h
        .send("DELETE", "/v1/session", &[("cookie", &alice.cookie)], None)
        .await;
    assert_eq!(
        no_csrf.status,
        StatusCode::FORBIDDEN,
        "logout needs the CSRF token too"
    );
    let out = h.browser(&alice, "DELETE", "/v1/session", None).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert!(out.headers["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    let after = h.browser(&alice, "GET", "/v1/session", None).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn disabling_or_changing_a_password_ends_sessions_and_roles_apply_at_once() {
    let h = harness().await;
    let alice = h.operator("alice", "approver", PASSWORD).await;
    let reply = h
        .admin(
            "PATCH",
            "/v1/operators/alice",
            Some(json!({"role": "viewer"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let reply = h
        .browser(
            &alice,
            "POST",
            "/v1/approvals/x/deny",
            Some(json!({"reason": "r"})),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::FORBIDDEN,
        "the demotion applies to the open session"
    );

    // Own password change: allowed for a viewer, ends the session.
    let reply = h
        .browser(
            &alice,
            "POST",
            "/v1/operators/alice/password",
            Some(json!({"password": "another long password"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(
        h.browser(&alice, "GET", "/v1/session", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let alice = h
        .login(json!({"name": "alice", "password": "another long password"}))
        .await
        .unwrap();
    let reply = h
        .browser(
            &alice,
            "POST",
            "/v1/operators/bob/password",
            Some(json!({"password": "another long password"})),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN, "not someone else's");

    h.admin("POST", "/v1/operators/alice/disable", None).await;
    assert_eq!(
        h.browser(&alice, "GET", "/v1/session", None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let reply = h
        .login(json!({"name": "alice", "password": "another long password"}))
        .await;
    assert_eq!(reply.unwrap_err().status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn idle_sessions_expire() {
    let h = harness_with(SessionSettings {
        idle: Duration::from_millis(300),
        ..SessionSettings::default()
    })
    .await;
    let alice = h.operator("alice", "viewer", PASSWORD).await;
    assert_eq!(
        h.browser(&alice, "GET", "/v1/session", None).await.status,
        StatusCode::OK
    );
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(
        h.browser(&alice, "GET", "/v1/session", None).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn failed_sign_ins_are_throttled() {
    let h = harness().await;
    h.operator("alice", "viewer", PASSWORD).await;
    for _ in 0..5 {
        let reply = h
            .login(json!({"name": "alice", "password": "wrong password!"}))
            .await;
        assert_eq!(reply.unwrap_err().status, StatusCode::UNAUTHORIZED);
    }
    let reply = h
        .login(json!({"name": "alice", "password": PASSWORD}))
        .await;
    assert_eq!(
        reply.unwrap_err().status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password waits once the bucket is empty"
    );
    let unknown = h
        .login(json!({"name": "nobody", "password": "whatever at all"}))
        .await;
    assert_eq!(
        unknown.unwrap_err().status,
        StatusCode::TOO_MANY_REQUESTS,
        "same client address"
    );
}

#[tokio::test]
async fn the_admin_token_opens_an_admin_session() {
    let h = harness().await;
    let token = h.token.clone();
    let admin = h.login(json!({"admin_token": token})).await.unwrap();
    let me = h.browser(&admin, "GET", "/v1/session", None).await;
    assert_eq!(me.body["operator"]["name"], "admin");
    assert_eq!(me.body["operator"]["role"], "admin");
    assert_eq!(me.body["csrf_token"], admin.csrf.as_str());
    let bad = h
        .login(json!({"admin_token": "bhva_wrong"}))
        .await
        .unwrap_err();
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    let mixed = h
        .login(json!({"admin_token": "x", "name": "a", "password": "b"}))
        .await
        .unwrap_err();
    assert_eq!(mixed.status, StatusCode::BAD_REQUEST);
}
