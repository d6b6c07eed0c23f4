//! Aggregated lists (`tools/list`, `resources/list`,
//! `resources/templates/list`, `prompts/list`): every reachable upstream is
//! asked concurrently, names are qualified, and each entry is shown only if
//! policy would not deny the agent calling it.
//!
//! A failed upstream is left out of the list (and logged) so the others
//! keep working. Lists are returned in one page.

use crate::context::CallCtx;
use crate::visibility::visible_with;
use behavry_core::CallKind;
use futures::future::join_all;
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;

const MAX_PAGES: usize = 50;

#[derive(Clone, Copy)]
pub enum ListKind {
    Tools,
    Resources,
    ResourceTemplates,
    Prompts,
}

impl ListKind {
    pub fn from_method(method: &str) -> Option<Self> {
        match method {
            "tools/list" => Some(ListKind::Tools),
            "resources/list" => Some(ListKind::Resources),
            "resources/templates/list" => Some(ListKind::ResourceTemplates),
            "prompts/list" => Some(ListKind::Prompts),
            _ => None,
        }
    }

    fn method(self) -> &'static str {
        match self {
            ListKind::Tools => "tools/list",
            ListKind::Resources => "resources/list",
            ListKind::ResourceTemplates => "resources/templates/list",
            ListKind::Prompts => "prompts/list",
        }
    }

    fn key(self) -> &'static str {
        match self {
            ListKind::Tools => "tools",
            ListKind::Resources => "resources",
            ListKind::ResourceTemplates => "resourceTemplates",
            ListKind::Prompts => "prompts",
        }
    }

    /// The field that names an entry, and the decided call it stands for.
    fn name_field(self) -> (&'static str, CallKind) {
        match self {
            ListKind::Tools => ("name", CallKind::ToolsCall),
            ListKind::Resources => ("uri", CallKind::ResourcesRead),
            ListKind::ResourceTemplates => ("uriTemplate", CallKind::ResourcesRead),
            ListKind::Prompts => ("name", CallKind::PromptsGet),
        }
    }
}

/// Build the aggregated, filtered list result.
pub async fn aggregate(ctx: &CallCtx, kind: ListKind) -> Value {
    let upstreams = ctx.reachable_upstreams();
    let fetches = upstreams.iter().map(|name| fetch_all(ctx, name, kind));
    let mut per_upstream = join_all(fetches).await;
    if matches!(kind, ListKind::Tools) {
        per_upstream = crate::pinning::admit_tools(ctx, &upstreams, per_upstream).await;
    }
    let policy = ctx.gw.policy.current();
    let mut evaluator = policy.evaluator();
    let (field, call_kind) = kind.name_field();
    let mut entries = Vec::new();
    for (upstream, items) in upstreams.iter().zip(per_upstream) {
        for mut item in items {
            let Some(original) = item.get(field).and_then(Value::as_str).map(str::to_string) else {
                continue;
            };
            if !visible_with(ctx, &mut evaluator, call_kind, upstream, &original) {
                continue;
            }
            let exposed = match kind {
                ListKind::Tools | ListKind::Prompts => ctx.expose_name(upstream, &original),
                ListKind::Resources | ListKind::ResourceTemplates => {
                    ctx.expose_uri(upstream, &original)
                }
            };
            if let Some(obj) = item.as_object_mut() {
                obj.insert(field.into(), Value::String(exposed));
            }
            entries.push(item);
        }
    }
    let mut result = json!({ kind.key(): entries });
    if ctx.modern {
        if let Some(obj) = result.as_object_mut() {
            // Filtered per agent: never cacheable across agents.
            obj.insert("ttlMs".into(), json!(0));
            obj.insert("cacheScope".into(), json!("private"));
        }
    }
    ctx.finish_result(result)
}

/// Every tool of every reachable upstream as `(upstream, tool)`, unfiltered,
/// and whether every upstream answered.
pub(crate) async fn all_tool_names(ctx: &CallCtx) -> (Vec<(String, String)>, bool) {
    let upstreams = ctx.reachable_upstreams();
    let mut names = Vec::new();
    let mut complete = true;
    for upstream in &upstreams {
        if ctx.connection(upstream).await.is_err() {
            complete = false;
            continue;
        }
        for item in fetch_all(ctx, upstream, ListKind::Tools).await {
            if let Some(name) = item.get("name").and_then(Value::as_str) {
                names.push((upstream.clone(), name.to_string()));
            }
        }
    }
    (names, complete)
}

/// Every page of one upstream's list; empty (and logged) on failure.
async fn fetch_all(ctx: &CallCtx, upstream: &str, kind: ListKind) -> Vec<Value> {
    let conn = match ctx.connection(upstream).await {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(upstream, error = %e, "left out of {}", kind.method());
            return Vec::new();
        }
    };
    let mut items = Vec::new();
    let mut cursor: Option<Value> = None;
    for _ in 0..MAX_PAGES {
        let params = cursor.take().map(|c| json!({ "cursor": c }));
        match conn
            .request(kind.method(), params, None, CancellationToken::new())
            .await
        {
            Ok(Ok(result)) => {
                if let Some(list) = result.get(kind.key()).and_then(Value::as_array) {
                    items.extend(list.iter().cloned());
                }
                match result.get("nextCursor") {
                    Some(next) if !next.is_null() => cursor = Some(next.clone()),
                    _ => break,
                }
            }
            Ok(Err(error)) => {
                // Servers without this capability answer method-not-found.
                tracing::debug!(upstream, ?error, "{} not served", kind.method());
                break;
            }
            Err(e) => {
                tracing::warn!(upstream, error = %e, "left out of {}", kind.method());
                break;
            }
        }
    }
    items
}
