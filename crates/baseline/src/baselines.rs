//! `Baselines`: the profiles of every agent and role, with the calls the
//! gateway makes — `assess` before deciding a call, and `update` (or
//! `update_approved`) after a call that was allowed (or approved) has
//! returned.
//!
//! Invariants: `score` never changes state; `assess` changes only the
//! attempt counts of the current window (never persisted, never learned);
//! `update` / `update_approved` are the only way state is learned;
//! profiles touched since the last `take_dirty` are reported so the caller
//! can persist exactly those.

use crate::attempts::AgentAttempts;
use crate::config::{BaselineConfig, ConfigError};
use crate::learn::{learn, Derived, Outcome};
use crate::observation::Observation;
use crate::profile::{AgentProfile, ProfileError, RoleProfile};
use crate::score::score;
use crate::RiskAssessment;
use std::collections::{BTreeSet, HashMap};

/// Profiles changed since the last `take_dirty`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dirty {
    pub agents: Vec<String>,
    pub roles: Vec<String>,
}

/// All agents' and roles' profiles.
#[derive(Debug, Clone, Default)]
pub struct Baselines {
    config: BaselineConfig,
    agents: HashMap<String, AgentProfile>,
    roles: HashMap<String, RoleProfile>,
    /// Calls attempted in the current window, per agent (not persisted).
    attempts: HashMap<String, AgentAttempts>,
    dirty_agents: BTreeSet<String>,
    dirty_roles: BTreeSet<String>,
}

impl Baselines {
    pub fn new(config: BaselineConfig) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(Baselines {
            config,
            ..Default::default()
        })
    }

    pub fn config(&self) -> &BaselineConfig {
        &self.config
    }

    /// Assess a call about to be decided: score it, then count it as
    /// attempted in the current window (whatever its outcome will be), so
    /// the calls that follow see it. This is what the gateway calls once
    /// per decided call.
    pub fn assess(&mut self, obs: &Observation) -> RiskAssessment {
        let d = Derived::of(obs, &self.config);
        let assessment = self.score_derived(obs, &d);
        self.attempts.entry(obs.agent.clone()).or_default().add(
            &obs.tool,
            d.hour,
            self.config.max_tools_per_agent,
        );
        assessment
    }

    /// Score a call without counting it (the same assessment `assess`
    /// returns; the call itself counts in its window either way).
    /// `obs.volume` is normally `None` (the result is not known yet); when
    /// it is given it counts towards the window's volume.
    pub fn score(&self, obs: &Observation) -> RiskAssessment {
        let d = Derived::of(obs, &self.config);
        self.score_derived(obs, &d)
    }

    fn score_derived(&self, obs: &Observation, d: &Derived) -> RiskAssessment {
        score(
            self.agents.get(&obs.agent),
            self.roles.get(&obs.role),
            self.attempts.get(&obs.agent),
            obs,
            d,
            &self.config,
        )
    }

    /// Learn from a call that was decided `allow` and ran. Call it once
    /// per such call, after its outcome, with the result volume filled in
    /// when known. Never call it for a call that was denied, rejected,
    /// expired or blocked.
    pub fn update(&mut self, obs: &Observation) {
        self.learn(obs, Outcome::Allowed);
    }

    /// Learn from a call that was intercepted, approved by a person, and
    /// ran. It makes what it used known, but teaches the agent's habits
    /// only after approvals on several days, at a reduced weight (see
    /// docs/risk.md, "Approved calls").
    pub fn update_approved(&mut self, obs: &Observation) {
        self.learn(obs, Outcome::Approved);
    }

    fn learn(&mut self, obs: &Observation, outcome: Outcome) {
        let d = Derived::of(obs, &self.config);
        let agent = self
            .agents
            .entry(obs.agent.clone())
            .or_insert_with(|| AgentProfile::new(obs.agent.clone(), obs.role.clone()));
        if agent.role != obs.role {
            if let Some(old) = self.roles.get_mut(&agent.role) {
                old.members.remove(&obs.agent);
                self.dirty_roles.insert(agent.role.clone());
            }
            agent.role = obs.role.clone();
        }
        let role = self
            .roles
            .entry(obs.role.clone())
            .or_insert_with(|| RoleProfile::new(obs.role.clone()));
        learn(agent, role, obs, &d, &self.config, outcome);
        self.dirty_agents.insert(obs.agent.clone());
        self.dirty_roles.insert(obs.role.clone());
    }

    pub fn agent(&self, agent: &str) -> Option<&AgentProfile> {
        self.agents.get(agent)
    }

    pub fn role(&self, role: &str) -> Option<&RoleProfile> {
        self.roles.get(role)
    }

    pub fn agents(&self) -> impl Iterator<Item = &AgentProfile> {
        self.agents.values()
    }

    pub fn roles(&self) -> impl Iterator<Item = &RoleProfile> {
        self.roles.values()
    }

    /// Put back a persisted agent profile (trimmed to the current caps).
    pub fn restore_agent(&mut self, mut profile: AgentProfile) {
        profile.trim(&self.config);
        self.agents.insert(profile.agent.clone(), profile);
    }

    /// Put back a persisted role profile (trimmed to the current caps).
    pub fn restore_role(&mut self, mut profile: RoleProfile) {
        profile.trim(&self.config);
        self.roles.insert(profile.role.clone(), profile);
    }

    /// Decode and restore a persisted agent profile.
    pub fn restore_agent_json(&mut self, json: &str) -> Result<(), ProfileError> {
        let p = AgentProfile::from_json(json, &self.config)?;
        self.restore_agent(p);
        Ok(())
    }

    /// Decode and restore a persisted role profile.
    pub fn restore_role_json(&mut self, json: &str) -> Result<(), ProfileError> {
        let p = RoleProfile::from_json(json, &self.config)?;
        self.restore_role(p);
        Ok(())
    }

    /// Forget an agent (deleted or reset by an operator).
    pub fn forget_agent(&mut self, agent: &str) {
        if let Some(p) = self.agents.remove(agent) {
            if let Some(role) = self.roles.get_mut(&p.role) {
                role.members.remove(agent);
                self.dirty_roles.insert(p.role);
            }
        }
        self.dirty_agents.remove(agent);
        self.attempts.remove(agent);
    }

    /// Names of the profiles updated since the last call, to persist.
    pub fn take_dirty(&mut self) -> Dirty {
        Dirty {
            agents: std::mem::take(&mut self.dirty_agents).into_iter().collect(),
            roles: std::mem::take(&mut self.dirty_roles).into_iter().collect(),
        }
    }
}
