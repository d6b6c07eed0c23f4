#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]
//! The admin API over its router: authentication, agents, approvals, trace
//! and health, against a real SQLite store and a real policy set.

mod support;

use axum::http::StatusCode;
use behavry_control::ensure_admin_token;
use behavry_store::Store;
use serde_json::json;
use support::harness;

#[tokio::test]
async fn v1_routes_need_the_admin_token() {
    let h = harness().await;
    for token in [None, Some("wrong"), Some("bhv_not-the-admin-token")] {
        let (status, body) = h.call("GET", "/v1/agents", token, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{token:?}");
        assert!(body["error"]
            .as_str()
            .unwrap()
            .starts_with("authentication required"));
    }
    let (status, _) = h.admin_call("GET", "/v1/agents", None).await;
    assert_eq!(status, StatusCode::OK);
    // health endpoints are open
    assert_eq!(
        h.call("GET", "/healthz", None, None).await.0,
        StatusCode::OK
    );
    let (status, ready) = h.call("GET", "/readyz", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ready["store"], "ok");
}

#[tokio::test]
async fn agent_lifecycle_drives_the_directory() {
    let h = harness().await;
    let (status, created) = h
        .admin_call(
            "POST",
            "/v1/agents",
            Some(json!({"name": "analyst-1", "role": "analyst"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let credential = created["credential"].as_str().unwrap().to_string();
    let header = format!("Bearer {credential}");
    assert_eq!(
        h.gateway
            .agents
            .authenticate(Some(header.as_bytes()))
            .unwrap()
            .name,
        "analyst-1"
    );

    let (status, _) = h
        .admin_call(
            "POST",
            "/v1/agents",
            Some(json!({"name": "analyst-1", "role": "analyst"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    for bad in [
        json!({"name": "", "role": "r"}),
        json!({"name": "a b", "role": "r"}),
        json!({"name": "ok", "role": "r/x"}),
    ] {
        let (status, body) = h.admin_call("POST", "/v1/agents", Some(bad.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad} -> {body}");
    }
    let (status, _) = h
        .admin_call(
            "POST",
            "/v1/agents",
            Some(json!({"name": "x", "role": "r", "is_admin": true})),
        )
        .await;
    assert!(status.is_client_error(), "unknown fields are rejected");

    let (_, rotated) = h
        .admin_call("POST", "/v1/agents/analyst-1/rotate", None)
        .await;
    let new_header = format!("Bearer {}", rotated["credential"].as_str().unwrap());
    assert!(
        h.gateway
            .agents
            .authenticate(Some(header.as_bytes()))
            .is_err(),
        "old credential stops working"
    );
    assert!(h
        .gateway
        .agents
        .authenticate(Some(new_header.as_bytes()))
        .is_ok());

    let (status, _) = h
        .admin_call("POST", "/v1/agents/analyst-1/revoke", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        h.gateway
            .agents
            .authenticate(Some(new_header.as_bytes()))
            .is_err(),
        "revoked credential stops working"
    );
    let (_, listed) = h.admin_call("GET", "/v1/agents", None).await;
    assert_eq!(listed["agents"][0]["revoked"], true);
    assert!(
        !listed.to_string().contains(&credential),
        "credentials are never listed"
    );
    assert_eq!(
        h.admin_call("POST", "/v1/agents/nobody/revoke", None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn approvals_and_trace_errors_are_clear() {
    let h = harness().await;
    let (status, body) = h
        .admin_call("POST", "/v1/approvals/none/deny", Some(json!({})))
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a deny needs a reason: {body}"
    );
    let (status, _) = h
        .admin_call("POST", "/v1/approvals/none/approve", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = h
        .admin_call("GET", "/v1/approvals?status=bogus", None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) = h
        .admin_call("GET", "/v1/trace/unknown-decision", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = h.admin_call("GET", "/v1/trace?limit=5", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["events"], json!([]));
}

#[tokio::test]
async fn policy_reload_rejects_a_broken_set_and_keeps_the_active_one() {
    let h = harness().await;
    let (_, before) = h.admin_call("GET", "/v1/policy", None).await;
    let dir = before["dir"].as_str().unwrap().to_string();
    std::fs::write(
        std::path::Path::new(&dir).join("broken.rego"),
        "package behavry\nthis is not rego",
    )
    .unwrap();
    let (status, body) = h.admin_call("POST", "/v1/policy/reload", None).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (_, after) = h.admin_call("GET", "/v1/policy", None).await;
    assert_eq!(before["policy"]["revision"], after["policy"]["revision"]);
    assert!(after["policy"]["last_error"].is_string());
}

#[tokio::test]
async fn the_admin_token_is_minted_once_and_stored_hashed() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_dir(&dir.path().join("data")).await.unwrap();
    let (first, minted) = ensure_admin_token(&store, dir.path()).await.unwrap();
    let path = minted.unwrap();
    let token = std::fs::read_to_string(&path).unwrap().trim().to_string();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let stored = store
        .get_setting("admin_token_sha256")
        .await
        .unwrap()
        .unwrap();
    assert_ne!(stored, token, "only the hash is stored");
    let (second, minted_again) = ensure_admin_token(&store, dir.path()).await.unwrap();
    assert!(minted_again.is_none());
    assert!(first.matches(&token) && second.matches(&token));
}
