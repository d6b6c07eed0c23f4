//! How a workflow token and trace context travel with a call: HTTP headers
//! and the request's `params._meta` (see docs/workflows.md).
//!
//! - Header `Behavry-Workflow-Token: <token>`, optionally with
//!   `Behavry-Workflow-Id: <id>`.
//! - `params._meta["io.behavry/workflow"] = {"token": "...", "id": "..."}`.
//! - Starting a workflow from MCP: `params._meta["io.behavry/workflow"] =
//!   {"start": {...}}` (a `StartSpec`); the result's `_meta` then carries
//!   `{"id", "token", "expires", "scope", "clamped"}` (`started_meta`).
//! - Trace context: `params._meta.traceparent`, else the `traceparent` header.
//!
//! Both carriers may be used; when both carry a token they must carry the
//! same one. A claimed workflow id is only a cross-check: the id that
//! counts is the one signed into the token. The workflow entry is removed
//! from `_meta` before a call is forwarded, so tokens never reach upstreams.

use crate::authority::RootToken;
use crate::chain::ChainInfo;
use crate::denial::WorkflowDenial;
use crate::start::StartSpec;
use crate::traceparent::{TraceParent, TraceParentError};
use serde::Deserialize;
use serde_json::Value;

/// Header carrying the token.
pub const TOKEN_HEADER: &str = "Behavry-Workflow-Token";
/// Header carrying the claimed workflow id.
pub const WORKFLOW_ID_HEADER: &str = "Behavry-Workflow-Id";
/// `_meta` key carrying `{token, id}`.
pub const META_KEY: &str = "io.behavry/workflow";
/// `_meta` key and header name of the W3C trace context.
pub const TRACEPARENT: &str = "traceparent";

/// Why the workflow carriers of a request are unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CarrierError {
    #[error("`_meta[\"io.behavry/workflow\"]` must be an object with a string `token` and an optional string `id`")]
    MetaShape,
    #[error("the header and `_meta` carry different workflow tokens")]
    Conflict,
    #[error("a workflow id was given without a workflow token")]
    MissingToken,
    #[error("a call cannot both start a workflow and present a workflow token")]
    StartWithToken,
}

impl CarrierError {
    /// The denial this stands for.
    pub fn into_denial(self) -> WorkflowDenial {
        WorkflowDenial::Malformed(self.to_string())
    }
}

/// What a request carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowCarrier {
    pub token: String,
    pub claimed_id: Option<String>,
}

/// What a request asks of workflows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkflowRequest {
    /// The call belongs to a workflow and presents its token.
    Present(WorkflowCarrier),
    /// The call starts a workflow (and is itself decided outside it).
    Start(StartSpec),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MetaEntry {
    #[serde(default)]
    token: Option<String>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    start: Option<StartSpec>,
}

/// Read the workflow carriers: the header values and `params._meta`.
/// `Ok(None)` means the call is not part of a workflow.
pub fn extract(
    header_token: Option<&str>,
    header_id: Option<&str>,
    meta: Option<&Value>,
) -> Result<Option<WorkflowRequest>, CarrierError> {
    let entry = match meta.and_then(|m| m.get(META_KEY)) {
        None | Some(Value::Null) => None,
        Some(value) => Some(MetaEntry::deserialize(value).map_err(|_| CarrierError::MetaShape)?),
    };
    let (meta_token, meta_id, start) = match entry {
        Some(e) => (e.token, e.id, e.start),
        None => (None, None, None),
    };
    let meta_token = meta_token.as_deref().map(str::trim);
    let header_token = header_token.map(str::trim).filter(|t| !t.is_empty());
    let header_id = header_id.map(str::trim).filter(|i| !i.is_empty());
    if let Some(start) = start {
        if header_token.is_some()
            || meta_token.is_some()
            || header_id.is_some()
            || meta_id.is_some()
        {
            return Err(CarrierError::StartWithToken);
        }
        return Ok(Some(WorkflowRequest::Start(start)));
    }
    let token = match (header_token, meta_token) {
        (Some(h), Some(m)) if h != m => return Err(CarrierError::Conflict),
        (Some(t), _) | (None, Some(t)) => Some(t),
        (None, None) => None,
    };
    let claimed_id = match (header_id, meta_id.as_deref()) {
        (Some(h), Some(m)) if h != m => return Err(CarrierError::Conflict),
        (Some(i), _) | (None, Some(i)) => Some(i.to_string()),
        (None, None) => None,
    };
    match token {
        Some(token) => Ok(Some(WorkflowRequest::Present(WorkflowCarrier {
            token: token.to_string(),
            claimed_id,
        }))),
        None if claimed_id.is_some() => Err(CarrierError::MissingToken),
        None => Ok(None),
    }
}

/// The `_meta["io.behavry/workflow"]` value of the result of a call that
/// started a workflow: the agent keeps `token` and presents it from then on.
pub fn started_meta(root: &RootToken) -> Value {
    serde_json::json!({
        "id": root.workflow.as_str(),
        "token": root.token.as_str(),
        "expires": root.expires,
        "scope": root.scope,
        "clamped": root.clamped,
    })
}

/// A claimed workflow id must name the token's workflow.
pub fn check_claimed_id(
    carrier: &WorkflowCarrier,
    chain: &ChainInfo,
) -> Result<(), WorkflowDenial> {
    match &carrier.claimed_id {
        Some(id) if id != chain.workflow_id.as_str() => Err(WorkflowDenial::Malformed(
            "the claimed workflow id is not the token's".into(),
        )),
        _ => Ok(()),
    }
}

/// The caller's trace context: `_meta.traceparent` first, then the header.
/// `Ok(None)` when neither is present; an invalid value is an error the
/// caller should treat as absent (start a new trace) and may record.
pub fn extract_traceparent(
    header: Option<&str>,
    meta: Option<&Value>,
) -> Result<Option<TraceParent>, TraceParentError> {
    match meta.and_then(|m| m.get(TRACEPARENT)) {
        Some(Value::String(value)) => TraceParent::parse(value).map(Some),
        Some(_) => Err(TraceParentError::Shape),
        None => header.map(TraceParent::parse).transpose(),
    }
}

/// Prepare `_meta` for forwarding: drop the workflow entry and set the
/// trace context of Behavry's span. `meta` must be the `_meta` object
/// (anything else is replaced by an object).
pub fn prepare_upstream_meta(meta: &mut Value, traceparent: &TraceParent) {
    if !meta.is_object() {
        *meta = Value::Object(serde_json::Map::new());
    }
    if let Value::Object(map) = meta {
        map.remove(META_KEY);
        map.insert(
            TRACEPARENT.to_string(),
            Value::String(traceparent.to_string()),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    type Expected<'a> = Result<Option<(&'a str, Option<&'a str>)>, CarrierError>;
    type Case<'a> = (
        Option<&'a str>,
        Option<&'a str>,
        Option<Value>,
        Expected<'a>,
    );

    #[test]
    fn extract_table() {
        let meta = json!({"io.behavry/workflow": {"token": "T1", "id": "wf_1"}});
        let only_token = json!({"io.behavry/workflow": {"token": "T1"}});
        let cases: Vec<Case<'_>> = vec![
            (None, None, None, Ok(None)),
            (None, None, Some(json!({"progressToken": 1})), Ok(None)),
            (Some("T1"), None, None, Ok(Some(("T1", None)))),
            (
                None,
                None,
                Some(meta.clone()),
                Ok(Some(("T1", Some("wf_1")))),
            ),
            (
                Some("T1"),
                Some("wf_1"),
                Some(only_token.clone()),
                Ok(Some(("T1", Some("wf_1")))),
            ),
            (
                Some("T2"),
                None,
                Some(meta.clone()),
                Err(CarrierError::Conflict),
            ),
            (
                Some("T1"),
                Some("wf_2"),
                Some(meta),
                Err(CarrierError::Conflict),
            ),
            (None, Some("wf_1"), None, Err(CarrierError::MissingToken)),
            (
                None,
                None,
                Some(json!({"io.behavry/workflow": "T1"})),
                Err(CarrierError::MetaShape),
            ),
            (
                None,
                None,
                Some(json!({"io.behavry/workflow": {"token": "T1", "root": true}})),
                Err(CarrierError::MetaShape),
            ),
        ];
        for (header, header_id, meta, expected) in cases {
            let got = extract(header, header_id, meta.as_ref());
            let got = got.map(|o| {
                o.map(|r| match r {
                    WorkflowRequest::Present(c) => (c.token, c.claimed_id),
                    WorkflowRequest::Start(_) => panic!("not a start request"),
                })
            });
            let expected = expected.map(|o| o.map(|(t, i)| (t.to_string(), i.map(str::to_string))));
            assert_eq!(got, expected, "{header:?} {header_id:?} {meta:?}");
        }
    }

    #[test]
    fn start_requests_come_alone() {
        let start = json!({"io.behavry/workflow": {"start": {"purpose": "p", "scope": {"tools": ["db.*"]}}}});
        match extract(None, None, Some(&start)) {
            Ok(Some(WorkflowRequest::Start(spec))) => assert_eq!(spec.purpose, "p"),
            other => panic!("expected a start request, got {other:?}"),
        }
        assert_eq!(
            extract(Some("T1"), None, Some(&start)),
            Err(CarrierError::StartWithToken)
        );
        let both =
            json!({"io.behavry/workflow": {"token": "T1", "start": {"purpose": "p", "scope": {}}}});
        assert_eq!(
            extract(None, None, Some(&both)),
            Err(CarrierError::StartWithToken)
        );
        let bad = json!({"io.behavry/workflow": {"start": {"purpose": "p", "scope": {"tools": ["*.x"]}}}});
        assert_eq!(
            extract(None, None, Some(&bad)),
            Err(CarrierError::MetaShape)
        );
    }

    #[test]
    fn traceparent_prefers_meta() {
        let a = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let b = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00";
        let meta = json!({"traceparent": a});
        let got = extract_traceparent(Some(b), Some(&meta)).unwrap().unwrap();
        assert_eq!(got.to_string(), a);
        let got = extract_traceparent(Some(b), None).unwrap().unwrap();
        assert_eq!(got.to_string(), b);
        assert_eq!(extract_traceparent(None, None), Ok(None));
        assert!(extract_traceparent(None, Some(&json!({"traceparent": 7}))).is_err());
        assert!(extract_traceparent(Some("garbage"), None).is_err());
    }

    #[test]
    fn upstream_meta_loses_the_token_and_gains_the_span() {
        let mut meta = json!({"io.behavry/workflow": {"token": "secret"}, "progressToken": 3});
        let tp =
            TraceParent::parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01").unwrap();
        let child = tp.child([9; 8]).unwrap();
        prepare_upstream_meta(&mut meta, &child);
        assert_eq!(
            meta,
            json!({"progressToken": 3, "traceparent": child.to_string()})
        );
        let mut not_object = Value::Null;
        prepare_upstream_meta(&mut not_object, &child);
        assert_eq!(not_object["traceparent"], json!(child.to_string()));
    }
}
