//! The token format: what each block of a workflow token holds, how it is
//! written and how it is read back (see docs/workflows.md).
//!
//! - The **authority block** (signed by Behavry's root key) holds Datalog
//!   facts: `format(1)`, `workflow(id)`, `purpose(text)`, `delegatee(agent)`,
//!   `depth(0)`, `expires(date)`, `max_depth(n)`, `max_fanout(n)`, the
//!   shared budgets as `budget(counter, limit)`, and the root scope as
//!   `tool(pattern)`, `resource(pattern)`, `flag(name)`, plus
//!   `check if time($t), $t <= expires`. They are read back with authorizer
//!   queries, which by Biscuit's scoping only see the authority block: no
//!   later block can add or change them.
//! - Each **delegation block** (appended offline by the holder) holds its
//!   hop record as the block's signed `context` string (JSON: `v`, `to`,
//!   `exp`, `scope`) and exactly one Datalog statement,
//!   `check if time($t), $t <= exp`. The context is part of the signed
//!   block, so each hop record is bound to its position in the chain.
//!   A delegation block holding anything else (facts, rules, other checks)
//!   is rejected before any Datalog is evaluated, so the only Datalog
//!   Behavry runs is its own authority block, and the checks it skips are
//!   exactly the expiries it enforces itself. (Facts in a delegation block
//!   would be invisible to the authority queries anyway.)

use crate::budget::{BudgetLimits, Counter};
use crate::denial::WorkflowDenial;
use crate::ids::{AgentRef, WorkflowId};
use crate::scope::Scope;
use biscuit_auth::builder::{date, int, pred, rule, string, var, BlockBuilder, Fact, Term};
use biscuit_auth::{Authorizer, BiscuitBuilder};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::time::{Duration, SystemTime};

/// The token format version written into `format(..)` and each hop record.
pub const TOKEN_FORMAT: i64 = 1;
/// Longest purpose text accepted.
pub const MAX_PURPOSE_LEN: usize = 512;

/// What the authority block says: the workflow and its root hop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RootFacts {
    pub workflow: WorkflowId,
    pub purpose: String,
    pub delegatee: AgentRef,
    pub expires: u64,
    pub max_depth: u32,
    pub max_fanout: u32,
    pub scope: Scope,
    pub budgets: BudgetLimits,
}

/// What a delegation block says, carried as its context string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct HopRecord {
    pub v: i64,
    pub to: AgentRef,
    pub exp: u64,
    pub scope: Scope,
}

pub(crate) fn system_time(unix: u64) -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(unix)
}

fn expiry_check(unix: u64) -> Result<BlockBuilder, biscuit_auth::error::Token> {
    let params = HashMap::from([("exp".to_string(), date(&system_time(unix)))]);
    BlockBuilder::new().code_with_params("check if time($t), $t <= {exp}", params, HashMap::new())
}

/// The Datalog source of a canonical delegation block, as Biscuit prints it.
pub(crate) fn delegation_block_source(exp: u64) -> Result<String, WorkflowDenial> {
    let date = i64::try_from(exp)
        .ok()
        .and_then(|secs| time::OffsetDateTime::from_unix_timestamp(secs).ok())
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .ok_or_else(|| malformed("hop expiry out of range"))?;
    Ok(format!("check if time($t), $t <= {date};\n"))
}

fn fact1(name: &str, term: Term) -> Fact {
    biscuit_auth::builder::fact(name, &[term])
}

impl RootFacts {
    /// The authority block for these facts.
    pub fn to_builder(&self) -> Result<BiscuitBuilder, biscuit_auth::error::Token> {
        let mut builder = BiscuitBuilder::new()
            .fact(fact1("format", int(TOKEN_FORMAT)))?
            .fact(fact1("workflow", string(self.workflow.as_str())))?
            .fact(fact1("purpose", string(&self.purpose)))?
            .fact(fact1("delegatee", string(self.delegatee.as_str())))?
            .fact(fact1("depth", int(0)))?
            .fact(fact1("expires", date(&system_time(self.expires))))?
            .fact(fact1("max_depth", int(i64::from(self.max_depth))))?
            .fact(fact1("max_fanout", int(i64::from(self.max_fanout))))?;
        for tool in self.scope.tools.iter() {
            builder = builder.fact(fact1("tool", string(&tool.to_string())))?;
        }
        for resource in self.scope.resources.iter() {
            builder = builder.fact(fact1("resource", string(&resource.to_string())))?;
        }
        for flag in &self.scope.flags {
            builder = builder.fact(fact1("flag", string(flag.as_str())))?;
        }
        for counter in Counter::ALL {
            if let Some(limit) = self.budgets.get(counter) {
                let limit = i64::try_from(limit).unwrap_or(i64::MAX);
                builder = builder.fact(biscuit_auth::builder::fact(
                    "budget",
                    &[string(counter.as_str()), int(limit)],
                ))?;
            }
        }
        builder = builder.merge(expiry_check(self.expires)?);
        Ok(builder)
    }

    /// Read the authority facts back. `authorizer` must be built on the
    /// token; its queries only see the authority block.
    pub fn read(authorizer: &mut Authorizer) -> Result<RootFacts, WorkflowDenial> {
        let format: i64 = one(authorizer, "format")?;
        if format != TOKEN_FORMAT {
            return Err(malformed(format!("unsupported token format {format}")));
        }
        let workflow: String = one(authorizer, "workflow")?;
        let purpose: String = one(authorizer, "purpose")?;
        let delegatee: String = one(authorizer, "delegatee")?;
        let depth: i64 = one(authorizer, "depth")?;
        let expires: SystemTime = one(authorizer, "expires")?;
        let max_depth: i64 = one(authorizer, "max_depth")?;
        let max_fanout: i64 = one(authorizer, "max_fanout")?;
        if depth != 0 {
            return Err(malformed("the authority block must be depth 0"));
        }
        let tools: Vec<String> = all(authorizer, "tool")?;
        let resources: Vec<String> = all(authorizer, "resource")?;
        let flags: Vec<String> = all(authorizer, "flag")?;
        let scope = Scope::parse(&tools, &resources, &flags)
            .map_err(|e| malformed(format!("root scope: {e}")))?;
        let budgets = read_budgets(authorizer)?;
        Ok(RootFacts {
            workflow: WorkflowId::parse(&workflow).map_err(|e| malformed(e.to_string()))?,
            purpose,
            delegatee: AgentRef::parse(&delegatee).map_err(|e| malformed(e.to_string()))?,
            expires: expires
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_err(|_| malformed("expiry before 1970"))?
                .as_secs(),
            max_depth: u32::try_from(max_depth).map_err(|_| malformed("max_depth out of range"))?,
            max_fanout: u32::try_from(max_fanout)
                .map_err(|_| malformed("max_fanout out of range"))?,
            scope,
            budgets,
        })
    }
}

impl HopRecord {
    /// The delegation block for this record.
    pub fn to_block(&self) -> Result<BlockBuilder, biscuit_auth::error::Token> {
        let context = serde_json::to_string(self).map_err(|e| {
            biscuit_auth::error::Token::Format(biscuit_auth::error::Format::SerializationError(
                e.to_string(),
            ))
        })?;
        Ok(expiry_check(self.exp)?.context(context))
    }

    /// Parse a delegation block's context.
    pub fn parse(hop: usize, context: Option<&str>) -> Result<HopRecord, WorkflowDenial> {
        let text = context.ok_or_else(|| malformed(format!("hop {hop} has no hop record")))?;
        let record: HopRecord =
            serde_json::from_str(text).map_err(|e| malformed(format!("hop {hop} record: {e}")))?;
        if record.v != TOKEN_FORMAT {
            return Err(malformed(format!(
                "hop {hop} record has format {}",
                record.v
            )));
        }
        record
            .scope
            .validate()
            .map_err(|e| malformed(format!("hop {hop} scope: {e}")))?;
        Ok(record)
    }
}

fn read_budgets(authorizer: &mut Authorizer) -> Result<BudgetLimits, WorkflowDenial> {
    let query = rule(
        "data",
        &[var("n"), var("v")],
        &[pred("budget", &[var("n"), var("v")])],
    );
    let rows: Vec<(String, i64)> = authorizer
        .query(query)
        .map_err(|e| crate::verify::map_biscuit_error(&e))?;
    let mut budgets = BudgetLimits::default();
    for (name, value) in rows {
        let counter =
            Counter::parse(&name).ok_or_else(|| malformed(format!("unknown budget `{name}`")))?;
        if budgets.get(counter).is_some() {
            return Err(malformed(format!("budget `{name}` given twice")));
        }
        let value =
            u64::try_from(value).map_err(|_| malformed(format!("budget `{name}` is negative")))?;
        budgets.set(counter, Some(value));
    }
    Ok(budgets)
}

pub(crate) fn malformed(message: impl Into<String>) -> WorkflowDenial {
    WorkflowDenial::Malformed(message.into())
}

fn query<T>(authorizer: &mut Authorizer, name: &str) -> Result<Vec<T>, WorkflowDenial>
where
    T: TryFrom<Term, Error = biscuit_auth::error::Token>,
{
    let query = rule("data", &[var("v")], &[pred(name, &[var("v")])]);
    let rows: Vec<(T,)> = authorizer
        .query(query)
        .map_err(|e| crate::verify::map_biscuit_error(&e))?;
    Ok(rows.into_iter().map(|(v,)| v).collect())
}

fn one<T>(authorizer: &mut Authorizer, name: &str) -> Result<T, WorkflowDenial>
where
    T: TryFrom<Term, Error = biscuit_auth::error::Token>,
{
    let mut rows = query::<T>(authorizer, name)?;
    match (rows.pop(), rows.is_empty()) {
        (Some(value), true) => Ok(value),
        _ => Err(malformed(format!(
            "the authority block must hold exactly one `{name}` fact"
        ))),
    }
}

fn all(authorizer: &mut Authorizer, name: &str) -> Result<Vec<String>, WorkflowDenial> {
    query::<String>(authorizer, name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use biscuit_auth::{AuthorizerBuilder, KeyPair};

    fn root_facts() -> RootFacts {
        let mut budgets = BudgetLimits::default();
        budgets.set(Counter::Calls, Some(10));
        RootFacts {
            workflow: WorkflowId::parse("wf_1").unwrap(),
            purpose: "p".into(),
            delegatee: AgentRef::parse("a").unwrap(),
            expires: 2_000_000_000,
            max_depth: 2,
            max_fanout: 3,
            scope: Scope::parse(&["db.query"], &["files://x/*"], &["write"]).unwrap(),
            budgets,
        }
    }

    /// Biscuit's scoping, which the authority read relies on: facts and
    /// rules of a later block are invisible to authorizer queries.
    #[test]
    fn facts_of_later_blocks_do_not_reach_the_authority_read() {
        let root = KeyPair::new();
        let facts = root_facts();
        let token = facts.to_builder().unwrap().build(&root).unwrap();
        let sneaky = BlockBuilder::new()
            .code(
                r#"tool("*"); resource("*"); flag("outbound"); workflow("wf_2");
                   delegatee("b"); max_depth(16); max_fanout(99); budget("calls", 1000);
                   budget("emails_sent", 5); purpose("other"); format(1); depth(0);
                   expires(2100-01-01T00:00:00Z); tool($x) <- delegatee($x);"#,
            )
            .unwrap();
        let token = token.append(sneaky).unwrap();
        let mut authorizer = AuthorizerBuilder::new().build(&token).unwrap();
        assert_eq!(RootFacts::read(&mut authorizer).unwrap(), facts);
    }

    #[test]
    fn the_canonical_block_source_matches_what_biscuit_prints() {
        let root = KeyPair::new();
        let token = root_facts().to_builder().unwrap().build(&root).unwrap();
        let record = HopRecord {
            v: TOKEN_FORMAT,
            to: AgentRef::parse("b").unwrap(),
            exp: 1_793_493_000,
            scope: Scope::parse(&["db.query"], &[], &[]).unwrap(),
        };
        let token = token.append(record.to_block().unwrap()).unwrap();
        assert_eq!(
            token.print_block_source(1).unwrap(),
            delegation_block_source(record.exp).unwrap()
        );
        assert_eq!(
            delegation_block_source(1_793_493_000).unwrap(),
            "check if time($t), $t <= 2026-11-01T00:30:00Z;\n"
        );
    }
}
