//! Collective budgets: counters shared by every agent of a workflow, and
//! their limits.
//!
//! A `BudgetLedger` is one workflow's counters. `try_charge` is all-or-nothing:
//! either every counter of the charge fits its limit and all are applied,
//! or nothing changes and the first counter that would overflow is named.
//! Splitting work across agents cannot exceed a limit because every agent
//! charges the same ledger under one lock (or one database transaction).
//!
//! Counters known before a call (calls, writes, e-mails, an estimated spend,
//! a new distinct resource) are charged before it is forwarded; amounts
//! known only after it (rows and bytes read, actual spend) are `record`ed
//! afterwards. A call that `needs_read_budget` is refused once rows or
//! bytes read have reached their limit, so at most one call can cross a
//! post-measured limit, and only by its own size.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::fmt;

/// Distinct resources tracked when no limit bounds them.
pub const MAX_TRACKED_RESOURCES: usize = 65_536;

/// One budget counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Counter {
    Calls,
    Writes,
    RowsRead,
    BytesRead,
    EmailsSent,
    /// Spend in millionths of the deployment's currency unit.
    SpendMicros,
    DistinctResources,
}

impl Counter {
    pub const ALL: [Counter; 7] = [
        Counter::Calls,
        Counter::Writes,
        Counter::RowsRead,
        Counter::BytesRead,
        Counter::EmailsSent,
        Counter::SpendMicros,
        Counter::DistinctResources,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Counter::Calls => "calls",
            Counter::Writes => "writes",
            Counter::RowsRead => "rows_read",
            Counter::BytesRead => "bytes_read",
            Counter::EmailsSent => "emails_sent",
            Counter::SpendMicros => "spend_micros",
            Counter::DistinctResources => "distinct_resources",
        }
    }

    pub fn parse(text: &str) -> Option<Counter> {
        Counter::ALL.into_iter().find(|c| c.as_str() == text)
    }
}

impl fmt::Display for Counter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A value per counter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Counts {
    #[serde(default)]
    pub calls: u64,
    #[serde(default)]
    pub writes: u64,
    #[serde(default)]
    pub rows_read: u64,
    #[serde(default)]
    pub bytes_read: u64,
    #[serde(default)]
    pub emails_sent: u64,
    #[serde(default)]
    pub spend_micros: u64,
    #[serde(default)]
    pub distinct_resources: u64,
}

impl Counts {
    pub fn get(&self, counter: Counter) -> u64 {
        match counter {
            Counter::Calls => self.calls,
            Counter::Writes => self.writes,
            Counter::RowsRead => self.rows_read,
            Counter::BytesRead => self.bytes_read,
            Counter::EmailsSent => self.emails_sent,
            Counter::SpendMicros => self.spend_micros,
            Counter::DistinctResources => self.distinct_resources,
        }
    }

    fn slot(&mut self, counter: Counter) -> &mut u64 {
        match counter {
            Counter::Calls => &mut self.calls,
            Counter::Writes => &mut self.writes,
            Counter::RowsRead => &mut self.rows_read,
            Counter::BytesRead => &mut self.bytes_read,
            Counter::EmailsSent => &mut self.emails_sent,
            Counter::SpendMicros => &mut self.spend_micros,
            Counter::DistinctResources => &mut self.distinct_resources,
        }
    }
}

/// Limits per counter; `None` is unlimited.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetLimits {
    #[serde(default)]
    pub calls: Option<u64>,
    #[serde(default)]
    pub writes: Option<u64>,
    #[serde(default)]
    pub rows_read: Option<u64>,
    #[serde(default)]
    pub bytes_read: Option<u64>,
    #[serde(default)]
    pub emails_sent: Option<u64>,
    #[serde(default)]
    pub spend_micros: Option<u64>,
    #[serde(default)]
    pub distinct_resources: Option<u64>,
}

impl BudgetLimits {
    pub fn get(&self, counter: Counter) -> Option<u64> {
        match counter {
            Counter::Calls => self.calls,
            Counter::Writes => self.writes,
            Counter::RowsRead => self.rows_read,
            Counter::BytesRead => self.bytes_read,
            Counter::EmailsSent => self.emails_sent,
            Counter::SpendMicros => self.spend_micros,
            Counter::DistinctResources => self.distinct_resources,
        }
    }

    pub fn set(&mut self, counter: Counter, limit: Option<u64>) {
        let slot = match counter {
            Counter::Calls => &mut self.calls,
            Counter::Writes => &mut self.writes,
            Counter::RowsRead => &mut self.rows_read,
            Counter::BytesRead => &mut self.bytes_read,
            Counter::EmailsSent => &mut self.emails_sent,
            Counter::SpendMicros => &mut self.spend_micros,
            Counter::DistinctResources => &mut self.distinct_resources,
        };
        *slot = limit;
    }
}

/// What one call costs (or cost).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Charge {
    /// Amounts per counter; `distinct_resources` is ignored (see `resource`).
    pub amounts: Counts,
    /// The resource touched; counts once per distinct value.
    pub resource: Option<String>,
    /// Refuse when rows or bytes read are already at their limit.
    pub needs_read_budget: bool,
}

impl Charge {
    /// One call, nothing else.
    pub fn call() -> Self {
        Charge {
            amounts: Counts {
                calls: 1,
                ..Counts::default()
            },
            ..Charge::default()
        }
    }
}

/// Counters and limits after a charge, for `input.workflow.budgets`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetState {
    pub used: Counts,
    pub limits: BudgetLimits,
}

impl BudgetState {
    /// `{calls: {used, limit}, ...}` with `limit: null` when unlimited.
    pub fn to_policy_value(&self) -> serde_json::Value {
        let mut map = serde_json::Map::new();
        for counter in Counter::ALL {
            map.insert(
                counter.as_str().to_string(),
                serde_json::json!({
                    "used": self.used.get(counter),
                    "limit": self.limits.get(counter),
                }),
            );
        }
        serde_json::Value::Object(map)
    }
}

/// A charge that would take a counter past its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "workflow budget `{counter}` exhausted: {used} used, {requested} more requested, limit {limit}"
)]
pub struct BudgetExceeded {
    pub counter: Counter,
    pub used: u64,
    pub requested: u64,
    pub limit: u64,
}

/// One workflow's counters (serializable: a database keeps it).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BudgetLedger {
    limits: BudgetLimits,
    used: Counts,
    resources: HashSet<[u8; 16]>,
}

fn resource_key(resource: &str) -> [u8; 16] {
    let digest = Sha256::digest(resource.as_bytes());
    let mut key = [0u8; 16];
    key.copy_from_slice(&digest[..16]);
    key
}

impl BudgetLedger {
    pub fn new(limits: BudgetLimits) -> Self {
        BudgetLedger {
            limits,
            ..BudgetLedger::default()
        }
    }

    pub fn limits(&self) -> &BudgetLimits {
        &self.limits
    }

    pub fn state(&self) -> BudgetState {
        BudgetState {
            used: self.used,
            limits: self.limits,
        }
    }

    /// Apply `charge` only if every counter stays within its limit.
    pub fn try_charge(&mut self, charge: &Charge) -> Result<BudgetState, BudgetExceeded> {
        let new_resource = charge
            .resource
            .as_deref()
            .map(resource_key)
            .filter(|key| !self.resources.contains(key));
        for counter in Counter::ALL {
            let requested = match counter {
                Counter::DistinctResources => u64::from(new_resource.is_some()),
                other => charge.amounts.get(other),
            };
            let Some(limit) = self.limits.get(counter) else {
                continue;
            };
            let used = self.used.get(counter);
            let read_exhausted = charge.needs_read_budget
                && matches!(counter, Counter::RowsRead | Counter::BytesRead)
                && used >= limit;
            // A counter already past its limit (by a post-measured amount)
            // refuses only charges that add to it.
            let overflows = requested > 0 && used.saturating_add(requested) > limit;
            if read_exhausted || overflows {
                return Err(BudgetExceeded {
                    counter,
                    used,
                    requested,
                    limit,
                });
            }
        }
        self.apply(charge, new_resource);
        Ok(self.state())
    }

    /// Apply measured usage after a call, whatever the limits.
    pub fn record(&mut self, usage: &Charge) -> BudgetState {
        let new_resource = usage
            .resource
            .as_deref()
            .map(resource_key)
            .filter(|key| !self.resources.contains(key));
        self.apply(usage, new_resource);
        self.state()
    }

    fn apply(&mut self, charge: &Charge, new_resource: Option<[u8; 16]>) {
        for counter in Counter::ALL {
            if counter != Counter::DistinctResources {
                let slot = self.used.slot(counter);
                *slot = slot.saturating_add(charge.amounts.get(counter));
            }
        }
        if let Some(key) = new_resource {
            let bounded = self.limits.distinct_resources.is_some();
            if bounded || self.resources.len() < MAX_TRACKED_RESOURCES {
                self.resources.insert(key);
                self.used.distinct_resources = self.resources.len() as u64;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(pairs: &[(Counter, u64)]) -> BudgetLimits {
        let mut l = BudgetLimits::default();
        for (c, v) in pairs {
            l.set(*c, Some(*v));
        }
        l
    }

    #[test]
    fn charge_is_all_or_nothing() {
        let mut ledger = BudgetLedger::new(limits(&[(Counter::Calls, 10), (Counter::Writes, 1)]));
        let write = Charge {
            amounts: Counts {
                calls: 1,
                writes: 1,
                ..Counts::default()
            },
            ..Charge::default()
        };
        assert!(ledger.try_charge(&write).is_ok());
        let err = ledger.try_charge(&write).unwrap_err();
        assert_eq!(err.counter, Counter::Writes);
        assert_eq!((err.used, err.requested, err.limit), (1, 1, 1));
        // The failed charge did not count its call.
        assert_eq!(ledger.state().used.calls, 1);
        assert!(ledger.try_charge(&Charge::call()).is_ok());
        assert_eq!(ledger.state().used.calls, 2);
    }

    #[test]
    fn distinct_resources_count_once() {
        let mut ledger = BudgetLedger::new(limits(&[(Counter::DistinctResources, 2)]));
        let touch = |r: &str| Charge {
            resource: Some(r.to_string()),
            ..Charge::call()
        };
        assert!(ledger.try_charge(&touch("a")).is_ok());
        assert!(ledger.try_charge(&touch("a")).is_ok());
        assert!(ledger.try_charge(&touch("b")).is_ok());
        assert_eq!(ledger.state().used.distinct_resources, 2);
        let err = ledger.try_charge(&touch("c")).unwrap_err();
        assert_eq!(err.counter, Counter::DistinctResources);
        assert!(ledger.try_charge(&touch("b")).is_ok());
    }

    #[test]
    fn post_measured_reads_stop_further_reads_once_reached() {
        let mut ledger = BudgetLedger::new(limits(&[(Counter::RowsRead, 100)]));
        let read = Charge {
            needs_read_budget: true,
            ..Charge::call()
        };
        assert!(ledger.try_charge(&read).is_ok());
        ledger.record(&Charge {
            amounts: Counts {
                rows_read: 150,
                ..Counts::default()
            },
            ..Charge::default()
        });
        assert_eq!(
            ledger.try_charge(&read).unwrap_err().counter,
            Counter::RowsRead
        );
        // A call that reads nothing still goes through.
        assert!(ledger.try_charge(&Charge::call()).is_ok());
    }

    #[test]
    fn policy_value_lists_every_counter() {
        let mut ledger = BudgetLedger::new(limits(&[(Counter::EmailsSent, 3)]));
        ledger.try_charge(&Charge::call()).unwrap();
        let value = ledger.state().to_policy_value();
        assert_eq!(
            value["calls"],
            serde_json::json!({"used": 1, "limit": null})
        );
        assert_eq!(
            value["emails_sent"],
            serde_json::json!({"used": 0, "limit": 3})
        );
        assert_eq!(value.as_object().unwrap().len(), Counter::ALL.len());
        assert_eq!(Counter::parse("spend_micros"), Some(Counter::SpendMicros));
        assert_eq!(Counter::parse("nope"), None);
    }
}
