//! The behavioural-baseline stage: scores every decided call into
//! `input.risk` before policy sees it, and trains the baseline on calls
//! that ran. Profiles are persisted through the store (`baselines` table)
//! by a background flusher and restored at start.
//!
//! Invariants:
//! - The baselines live behind one `std::sync::Mutex`, held only for the
//!   pure, bounded `score` / `update` / serialise steps — never across an
//!   `.await`.
//! - Every decided call is counted as attempted in its hour (`assess`),
//!   which only raises the observed call volume of the calls that follow.
//! - Only calls that ran train (`on_outcome`): denied, rejected, expired or
//!   blocked calls never reach `train`; approved calls train as approvals
//!   (they teach habits only after approvals on several days).
//! - When scoring is off or the baseline is unavailable (a poisoned lock, a
//!   baseline configuration the crate refused), `input.risk` stays `null`
//!   and policy decides without it; nothing is denied for that alone.
//! - Agent and role come from the credential, never from the request.

use crate::context::CallCtx;
use behavry_baseline::{render_profile, BaselineConfig, Baselines, Observation};
use behavry_config::RiskSettings;
use behavry_core::{CallKind, PolicyInput, TimeFacts};
use behavry_store::{BaselineKind, BaselineRecord, Store, StoreError};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};
use time::OffsetDateTime;

/// Argument keys that name the object a call touches, in order of preference.
const RESOURCE_KEYS: [&str; 7] = ["uri", "path", "file", "url", "table", "resource", "key"];
/// Argument keys that carry SQL, from which the first table is taken.
const SQL_KEYS: [&str; 3] = ["sql", "query", "statement"];
/// Argument keys that name where an outbound call sends to.
const DESTINATION_KEYS: [&str; 6] = ["url", "endpoint", "to", "recipient", "host", "domain"];

/// The baseline stage held by the gateway.
#[derive(Debug)]
pub struct RiskStage {
    baselines: Option<Mutex<Baselines>>,
    sensitive: Vec<String>,
    outbound: Vec<String>,
    flush_every: std::time::Duration,
    /// Serialised profiles not yet stored (a failed flush keeps them here).
    pending: Mutex<BTreeMap<(BaselineKind, String), BaselineRecord>>,
}

impl RiskStage {
    /// A stage for these settings. A baseline configuration the crate
    /// refuses leaves the stage unavailable (logged; `input.risk` is null).
    pub fn new(settings: &RiskSettings) -> Self {
        let baselines = if settings.enabled {
            let config = BaselineConfig {
                utc_offset_seconds: settings.utc_offset_minutes.saturating_mul(60),
                min_observations: settings.min_observations,
                min_days: settings.min_days,
                ..BaselineConfig::default()
            };
            match Baselines::new(config) {
                Ok(b) => Some(Mutex::new(b)),
                Err(e) => {
                    tracing::error!(error = %e, "behavioural baseline disabled: invalid settings");
                    None
                }
            }
        } else {
            None
        };
        RiskStage {
            baselines,
            sensitive: settings.sensitive_tools.clone(),
            outbound: settings.outbound_tools.clone(),
            flush_every: settings.flush_every,
            pending: Mutex::new(BTreeMap::new()),
        }
    }

    pub fn enabled(&self) -> bool {
        self.baselines.is_some()
    }

    pub fn flush_every(&self) -> std::time::Duration {
        self.flush_every
    }

    fn lock(&self) -> Option<MutexGuard<'_, Baselines>> {
        self.baselines.as_ref()?.lock().ok()
    }

    /// Run `f` on the baselines (restoring, seeding, inspecting); `None`
    /// when the stage is off or unavailable.
    pub fn with_baselines<R>(&self, f: impl FnOnce(&mut Baselines) -> R) -> Option<R> {
        self.lock().map(|mut b| f(&mut b))
    }

    /// What the baseline sees of this call at decision time (no volume).
    pub(crate) fn observe(&self, input: &PolicyInput, now: OffsetDateTime) -> Option<Observation> {
        self.baselines.as_ref()?;
        let tool = match input.call.method {
            CallKind::ResourcesRead => format!("{}+resource", input.call.upstream),
            _ => format!("{}.{}", input.call.upstream, input.call.tool),
        };
        let mut obs = Observation::new(now, &input.agent.name, &input.agent.role, tool);
        obs.sensitive = matches_any(&self.sensitive, &obs.tool);
        obs.outbound = matches_any(&self.outbound, &obs.tool);
        obs.resource = match input.call.method {
            CallKind::ResourcesRead => Some(input.call.tool.clone()),
            _ => resource_of(&input.call.arguments),
        };
        if obs.outbound {
            obs.destination_host = destination_of(&input.call.arguments);
        }
        Some(obs)
    }

    /// `input.risk` for this observation, or `None` when unavailable. The
    /// call is counted as attempted in its hour, whatever its outcome.
    pub(crate) fn score(&self, obs: &Observation) -> Option<Value> {
        let assessment = self.lock()?.assess(obs);
        Some(assessment.to_policy_value())
    }

    /// Learn from a call that ran, with its result volume; `approved` when
    /// it ran because a person approved it (it then teaches less).
    pub(crate) fn train(&self, obs: &Observation, volume: Option<f64>, approved: bool) {
        let mut obs = obs.clone();
        obs.volume = volume;
        if let Some(mut b) = self.lock() {
            if approved {
                b.update_approved(&obs);
            } else {
                b.update(&obs);
            }
        }
    }

    /// The agent's profile as JSON and as text (`behavry baseline show`).
    pub fn profile(&self, agent: &str) -> Option<(Value, String)> {
        let b = self.lock()?;
        let p = b.agent(agent)?;
        let text = render_profile(p, b.config());
        let json = serde_json::to_value(p).ok()?;
        Some((json, text))
    }

    /// Put back every stored profile; returns how many were restored. A
    /// profile that fails to decode is skipped (logged) and starts afresh.
    pub async fn restore(&self, store: &Store) -> Result<usize, StoreError> {
        if !self.enabled() {
            return Ok(0);
        }
        let records = store.list_baselines().await?;
        let Some(mut b) = self.lock() else {
            return Ok(0);
        };
        let mut restored = 0;
        for r in records {
            let done = match r.kind {
                BaselineKind::Agent => b.restore_agent_json(&r.json),
                BaselineKind::Role => b.restore_role_json(&r.json),
            };
            match done {
                Ok(()) => restored += 1,
                Err(e) => {
                    tracing::warn!(kind = r.kind.as_str(), key = %r.key, error = %e, "stored baseline refused; it starts afresh");
                }
            }
        }
        Ok(restored)
    }

    /// Write the profiles changed since the last flush; returns how many
    /// were written. On a store error they are kept and retried next time.
    pub async fn flush(&self, store: &Store, now: OffsetDateTime) -> Result<usize, StoreError> {
        let batch = {
            let Some(mut b) = self.lock() else {
                return Ok(0);
            };
            let dirty = b.take_dirty();
            let Ok(mut pending) = self.pending.lock() else {
                return Ok(0);
            };
            for name in dirty.agents {
                if let Some(json) = b.agent(&name).and_then(|p| p.to_json().ok()) {
                    pending.insert(
                        (BaselineKind::Agent, name.clone()),
                        record(BaselineKind::Agent, name, json, now),
                    );
                }
            }
            for name in dirty.roles {
                if let Some(json) = b.role(&name).and_then(|p| p.to_json().ok()) {
                    pending.insert(
                        (BaselineKind::Role, name.clone()),
                        record(BaselineKind::Role, name, json, now),
                    );
                }
            }
            std::mem::take(&mut *pending)
        };
        if batch.is_empty() {
            return Ok(0);
        }
        let records: Vec<BaselineRecord> = batch.values().cloned().collect();
        match store.put_baselines(&records).await {
            Ok(()) => Ok(records.len()),
            Err(e) => {
                if let Ok(mut pending) = self.pending.lock() {
                    for (k, r) in batch {
                        // A newer serialisation queued meanwhile wins.
                        pending.entry(k).or_insert(r);
                    }
                }
                Err(e)
            }
        }
    }
}

/// Stage hook before the decision: set `input.time` from the gateway's
/// clock, then score the call into `input.risk` (left `null` when the
/// baseline is off or unavailable) and keep the observation for training.
pub(crate) fn before_decision(
    ctx: &CallCtx,
    input: &mut PolicyInput,
    kept: &mut Option<Observation>,
) {
    let now = ctx.gw.clock.now();
    input.time = TimeFacts::from_datetime(now);
    let stage = &ctx.gw.risk;
    let Some(obs) = stage.observe(input, now) else {
        return;
    };
    input.risk = stage.score(&obs);
    *kept = Some(obs);
}

/// Stage hook for a call that ran: train with the result's volume (the
/// time stays the decision's, so a call held for approval is learned at
/// the hour it was asked for). `approved`: it ran on a person's approval.
pub(crate) fn on_outcome(
    ctx: &CallCtx,
    kept: Option<&Observation>,
    result: Option<&Value>,
    approved: bool,
) {
    if let Some(obs) = kept {
        ctx.gw.risk.train(obs, result.map(result_volume), approved);
    }
}

impl crate::state::Gateway {
    /// Restore the persisted baselines (call once, before serving).
    pub async fn restore_baselines(&self) -> Result<usize, StoreError> {
        self.risk.restore(&self.store).await
    }

    /// Write the changed profiles now (the flusher does this periodically;
    /// call it once more at shutdown).
    pub async fn flush_baselines(&self) -> Result<usize, StoreError> {
        self.risk.flush(&self.store, self.clock.now()).await
    }

    /// Write changed profiles every `[risk] flush_secs` until the gateway
    /// shuts down or is dropped, and once more on shutdown.
    pub fn spawn_baseline_flusher(self: &std::sync::Arc<Self>) {
        if !self.risk.enabled() {
            return;
        }
        let gw = std::sync::Arc::downgrade(self);
        let every = self.risk.flush_every();
        let shutdown = self.shutdown.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                let stop = tokio::select! {
                    _ = tick.tick() => false,
                    _ = shutdown.cancelled() => true,
                };
                let Some(gw) = gw.upgrade() else { return };
                if let Err(e) = gw.flush_baselines().await {
                    tracing::warn!(error = %e, "could not store behavioural baselines; will retry");
                }
                if stop {
                    return;
                }
            }
        });
    }
}

fn record(kind: BaselineKind, key: String, json: String, now: OffsetDateTime) -> BaselineRecord {
    BaselineRecord {
        kind,
        key,
        json,
        updated_at: now,
    }
}

/// The result volume the baseline learns: `structuredContent.row_count`
/// when the result reports rows, else the bytes of the result's JSON.
pub(crate) fn result_volume(result: &Value) -> f64 {
    if let Some(rows) = result
        .get("structuredContent")
        .and_then(|s| s.get("row_count"))
        .and_then(Value::as_u64)
    {
        return rows as f64;
    }
    serde_json::to_vec(result).map_or(0.0, |v| v.len() as f64)
}

/// `*` matches any run of characters (dots included); everything else is
/// literal.
pub(crate) fn glob_match(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for p in middle {
        match rest.find(p) {
            Some(i) => rest = rest.get(i + p.len()..).unwrap_or(""),
            None => return false,
        }
    }
    rest.ends_with(last)
}

fn matches_any(patterns: &[String], tool: &str) -> bool {
    patterns.iter().any(|p| glob_match(p, tool))
}

/// The object a call touches: the first string among `RESOURCE_KEYS`, else
/// the first table named after FROM / INTO / UPDATE / JOIN in an SQL argument.
pub(crate) fn resource_of(arguments: &Value) -> Option<String> {
    let obj = arguments.as_object()?;
    for k in RESOURCE_KEYS {
        if let Some(s) = obj.get(k).and_then(Value::as_str).filter(|s| !s.is_empty()) {
            return Some(s.chars().take(512).collect());
        }
    }
    SQL_KEYS
        .iter()
        .find_map(|k| obj.get(*k).and_then(Value::as_str))
        .and_then(sql_table)
}

fn sql_table(sql: &str) -> Option<String> {
    let mut words = sql.split(|c: char| c.is_whitespace() || c == ',' || c == '(' || c == ';');
    while let Some(w) = words.next() {
        if ["from", "into", "update", "join"]
            .iter()
            .any(|k| w.eq_ignore_ascii_case(k))
        {
            let table = words.find(|w| !w.is_empty())?;
            let table = table.trim_matches(|c| c == '"' || c == '`' || c == '[' || c == ']');
            return (!table.is_empty()).then(|| table.to_ascii_lowercase());
        }
    }
    None
}

/// Where an outbound call sends to: a URL's host or a mail address's domain.
pub(crate) fn destination_of(arguments: &Value) -> Option<String> {
    let obj = arguments.as_object()?;
    for k in DESTINATION_KEYS {
        let v = match obj.get(k) {
            Some(Value::String(s)) => s.as_str(),
            Some(Value::Array(a)) => match a.first().and_then(Value::as_str) {
                Some(s) => s,
                None => continue,
            },
            _ => continue,
        };
        if let Some(host) = host_of(v) {
            return Some(host);
        }
    }
    None
}

fn host_of(v: &str) -> Option<String> {
    let v = v.trim();
    let host = if let Some(i) = v.find("://") {
        let after = v.get(i + 3..)?;
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        let authority = after.get(..end)?;
        let authority = authority.rsplit('@').next()?;
        authority.split(':').next()?
    } else if let Some((_, domain)) = v.rsplit_once('@') {
        domain.trim_end_matches('>')
    } else {
        v
    };
    let host = host.trim().trim_end_matches('.').to_ascii_lowercase();
    (!host.is_empty() && !host.contains(char::is_whitespace)).then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn globs() {
        let cases = [
            ("database.*", "database.query", true),
            ("database.*", "databases.query", false),
            ("*.send_email", "email.send_email", true),
            ("email.send*", "email.send_email", true),
            ("*", "x.y", true),
            ("a.b", "a.b", true),
            ("a.b", "a.bc", false),
            ("a*c*e", "abcde", true),
            ("a*c*e", "abcdf", false),
            ("", "", true),
        ];
        for (p, n, want) in cases {
            assert_eq!(glob_match(p, n), want, "{p} ~ {n}");
        }
    }

    #[test]
    fn resources_and_destinations() {
        let cases = [
            (
                json!({"sql": "SELECT * FROM Customers WHERE id = 1"}),
                Some("customers"),
            ),
            (
                json!({"query": "insert into orders(id) values (1)"}),
                Some("orders"),
            ),
            (
                json!({"path": "/data/q3.csv", "sql": "select 1 from x"}),
                Some("/data/q3.csv"),
            ),
            (json!({"sql": "select 1"}), None),
            (json!({"n": 1}), None),
            (json!(null), None),
        ];
        for (args, want) in cases {
            assert_eq!(resource_of(&args).as_deref(), want, "{args}");
        }
        let cases = [
            (
                json!({"to": "Alice <alice@Example.com>"}),
                Some("example.com"),
            ),
            (json!({"to": ["bob@corp.test"]}), Some("corp.test")),
            (
                json!({"url": "https://user@api.example.com:8443/v1?x"}),
                Some("api.example.com"),
            ),
            (json!({"body": "x"}), None),
        ];
        for (args, want) in cases {
            assert_eq!(destination_of(&args).as_deref(), want, "{args}");
        }
    }

    #[test]
    fn volume_is_rows_when_reported_else_bytes() {
        let rows = json!({"structuredContent": {"row_count": 42, "rows": []}});
        assert_eq!(result_volume(&rows), 42.0);
        let text = json!({"content": [{"type": "text", "text": "hello"}]});
        assert_eq!(
            result_volume(&text),
            serde_json::to_vec(&text).unwrap().len() as f64
        );
    }

    #[test]
    fn disabled_stage_scores_nothing() {
        let stage = RiskStage::new(&RiskSettings {
            enabled: false,
            ..RiskSettings::default()
        });
        assert!(!stage.enabled());
        assert!(stage.with_baselines(|_| ()).is_none());
    }
}
