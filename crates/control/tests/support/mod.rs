//! A control-plane router over a real SQLite store and a real policy set,
//! with helpers to call it as the admin token, an agent, or a browser
//! holding a console session.

#![allow(dead_code, reason = "each test file uses a different part")]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use behavry_control::{ensure_admin_token, router, ControlState, SessionSettings};
use behavry_gateway::{Gateway, GatewaySettings, Upstreams};
use behavry_policy::PolicyHandle;
use behavry_store::Store;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use std::sync::Arc;
use tower::ServiceExt;

pub struct Harness {
    pub app: axum::Router,
    pub gateway: Arc<Gateway>,
    pub token: String,
    pub _dir: tempfile::TempDir,
}

#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: Value,
}

/// A browser's view of one console session.
#[derive(Debug, Clone)]
pub struct Browser {
    pub cookie: String,
    pub csrf: String,
}

pub async fn harness() -> Harness {
    harness_with(SessionSettings::default()).await
}

pub async fn harness_with(sessions: SessionSettings) -> Harness {
    harness_full(sessions, GatewaySettings::default()).await
}

#[allow(dead_code, reason = "not every test file uses every helper")]
pub async fn harness_with_settings(settings: GatewaySettings) -> Harness {
    harness_full(SessionSettings::default(), settings).await
}

async fn harness_full(sessions: SessionSettings, settings: GatewaySettings) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let policy_dir = dir.path().join("policy");
    std::fs::create_dir_all(&policy_dir).unwrap();
    std::fs::write(
        policy_dir.join("p.rego"),
        "package behavry\nimport rego.v1\ndefault decision := {\"result\": \"deny\", \"reasons\": [\"no\"]}\n",
    )
    .unwrap();
    let store = Store::open_dir(&dir.path().join("data")).await.unwrap();
    let policy = PolicyHandle::load_dir(&policy_dir).unwrap();
    let gateway = Gateway::new(
        settings,
        policy,
        store.clone(),
        Upstreams::new(vec![], vec![]),
    );
    let (admin_token, minted) = ensure_admin_token(&store, dir.path()).await.unwrap();
    let token = std::fs::read_to_string(minted.unwrap())
        .unwrap()
        .trim()
        .to_string();
    let mut state = ControlState::new(gateway.clone(), admin_token, policy_dir);
    state.console.sessions = sessions;
    Harness {
        app: router(Arc::new(state)),
        gateway,
        token,
        _dir: dir,
    }
}

impl Harness {
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<Value>,
    ) -> Reply {
        let mut req = Request::builder()
            .method(method)
            .uri(path)
            .header("host", "127.0.0.1:8081");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = match body {
            Some(b) => req
                .header("content-type", "application/json")
                .body(Body::from(b.to_string()))
                .unwrap(),
            None => req.body(Body::empty()).unwrap(),
        };
        let response = self.app.clone().oneshot(req).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let is_stream = headers
            .get("content-type")
            .is_some_and(|v| v.to_str().unwrap().starts_with("text/event-stream"));
        let body = if is_stream {
            Value::Null
        } else {
            let bytes = response.into_body().collect().await.unwrap().to_bytes();
            serde_json::from_slice(&bytes).unwrap_or(Value::Null)
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    /// Status and JSON body of a request with an optional bearer token.
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let auth = token.map(|t| format!("Bearer {t}"));
        let headers: Vec<(&str, &str)> =
            auth.iter().map(|a| ("authorization", a.as_str())).collect();
        let reply = self.send(method, path, &headers, body).await;
        (reply.status, reply.body)
    }

    /// `call` with the admin token.
    pub async fn admin_call(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let token = self.token.clone();
        self.call(method, path, Some(&token), body).await
    }

    pub async fn admin(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
        let auth = format!("Bearer {}", self.token);
        self.send(method, path, &[("authorization", &auth)], body)
            .await
    }

    /// Create an operator through the API and sign in as them.
    pub async fn operator(&self, name: &str, role: &str, password: &str) -> Browser {
        let created = self
            .admin(
                "POST",
                "/v1/operators",
                Some(json!({"name": name, "role": role, "password": password})),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
        self.login(json!({"name": name, "password": password}))
            .await
            .unwrap()
    }

    pub async fn login(&self, body: Value) -> Result<Browser, Reply> {
        let reply = self
            .send(
                "POST",
                "/v1/session",
                &[("origin", "http://127.0.0.1:8081")],
                Some(body),
            )
            .await;
        if reply.status != StatusCode::CREATED {
            return Err(reply);
        }
        let set_cookie = reply.headers["set-cookie"].to_str().unwrap().to_string();
        let cookie = set_cookie.split(';').next().unwrap().to_string();
        Ok(Browser {
            cookie,
            csrf: reply.body["csrf_token"].as_str().unwrap().to_string(),
        })
    }

    /// A request as the console makes it: cookie, CSRF header, same origin.
    pub async fn browser(
        &self,
        who: &Browser,
        method: &str,
        path: &str,
        body: Option<Value>,
    ) -> Reply {
        self.send(
            method,
            path,
            &[
                ("cookie", &who.cookie),
                ("x-csrf-token", &who.csrf),
                ("origin", "http://127.0.0.1:8081"),
            ],
            body,
        )
        .await
    }
}

/// A concrete path for a route template.
pub fn concrete(path: &str) -> String {
    path.replace("{name}", "nobody")
        .replace("{id}", "00000000-0000-4000-8000-000000000000")
        .replace("{decision_id}", "no-such-decision")
}
