//! The novelty and sequence factors: first use of a tool, resource prefix
//! or destination host, bursts of distinct resources, and a sensitive read
//! followed by an outbound send.

use super::*;

/// First use of a tool (observed = 1 when new; baseline = share of peers
/// that use it).
pub(super) fn new_tool(cx: &Cx) -> Factor {
    let tool = &cx.obs.tool;
    let adopters = cx.role_tool.map_or(0, |t| t.adopters) as usize;
    let share = if cx.peers > 0 {
        (adopters as f64 / cx.peers as f64).min(1.0)
    } else {
        0.0
    };
    if let Some(t) = cx.tool {
        return factor(
            "new_tool",
            0.0,
            share,
            0.0,
            format!(
                "known tool ({} calls to {tool})",
                human_number(t.calls as f64)
            ),
        );
    }
    let peer_evidence = NEW_TOOL_PEER * (1.0 - share).powi(2) * cx.peer_confidence;
    let rate = blend_rate(
        cx.agent.and_then(|a| a.tool_novelty.get()),
        cx.role.and_then(|r| r.tool_novelty.get()),
        cx.w_own,
    )
    .unwrap_or(1.0)
    .max(MIN_RATE);
    let own_evidence = NEW_TOOL_OWN.apply(-rate.ln()) * cx.confidence;
    let evidence = peer_evidence.max(own_evidence);
    let peers = match (cx.peers, adopters) {
        (0, _) => "it has no peers yet".to_string(),
        (p, 0) => format!(
            "none of the {p} other agents of role {} uses it",
            cx.obs.role
        ),
        (p, a) => format!(
            "{} of the {p} other agents of role {} use it",
            a.min(p),
            cx.obs.role
        ),
    };
    factor(
        "new_tool",
        1.0,
        share,
        evidence,
        format!("first use of {tool} by this agent; {peers}"),
    )
}

/// First use of a resource prefix with this tool (observed = 1 when new;
/// baseline = the pair's rate of new prefixes).
pub(super) fn new_resource(cx: &Cx) -> Option<Factor> {
    let (prefix, pk) = (cx.d.prefix.as_deref()?, cx.d.prefix_key?);
    let calls = cx.tool.map_or(0.0, |t| t.calls as f64);
    let rate = blend_rate(
        cx.tool.and_then(|t| t.prefix_novelty.get()),
        cx.role_tool.and_then(|t| t.prefix_novelty.get()),
        calls / (calls + cx.config.prior_strength / 5.0),
    )
    .unwrap_or(1.0)
    .max(MIN_RATE);
    if cx.tool.is_some_and(|t| t.prefixes.contains(pk)) {
        return Some(factor(
            "new_resource",
            0.0,
            rate,
            0.0,
            format!("known resource prefix {prefix}"),
        ));
    }
    let role_knows = cx.role_tool.is_some_and(|t| t.prefixes.contains(pk));
    let discount = if role_knows { ROLE_KNOWN_DISCOUNT } else { 1.0 };
    let evidence = NEW_PREFIX.apply(-rate.ln()) * cx.strength * discount;
    let known = if role_knows { "; used by peers" } else { "" };
    Some(factor(
        "new_resource",
        1.0,
        rate,
        evidence,
        format!(
            "new resource prefix {prefix} for {} (new prefixes are {:.1}% of these calls{known})",
            cx.obs.tool,
            rate * 100.0
        ),
    ))
}

/// First use of a destination host (observed = 1 when new; baseline = the
/// agent's rate of new hosts).
pub(super) fn new_destination(cx: &Cx) -> Option<Factor> {
    let (host, hk) = (cx.d.host.as_deref()?, cx.d.host_key?);
    let n = cx.agent.map_or(0.0, |a| f64::from(a.host_novelty.n));
    let rate = blend_rate(
        cx.agent.and_then(|a| a.host_novelty.get()),
        cx.role.and_then(|r| r.host_novelty.get()),
        n / (n + cx.config.prior_strength / 5.0),
    )
    .unwrap_or(1.0)
    .max(MIN_RATE);
    if cx.agent.is_some_and(|a| a.hosts.contains(hk)) {
        return Some(factor(
            "new_destination",
            0.0,
            rate,
            0.0,
            format!("known destination {host}"),
        ));
    }
    let role_knows = cx.role.is_some_and(|r| r.hosts.contains(hk));
    let discount = if role_knows { ROLE_KNOWN_DISCOUNT } else { 1.0 };
    let direction = if cx.obs.outbound {
        1.0
    } else {
        READ_HOST_SHARE
    };
    let evidence = NEW_HOST.apply(-rate.ln()) * cx.strength * discount * direction;
    let known = if role_knows {
        "known to peers"
    } else {
        "not seen for this agent or its role"
    };
    Some(factor(
        "new_destination",
        1.0,
        rate,
        evidence,
        format!(
            "new destination host {host}, {known} (new hosts are {:.1}% of its outbound calls)",
            rate * 100.0
        ),
    ))
}

/// Distinct resources touched within the burst window, this one included.
pub(super) fn resource_burst(cx: &Cx) -> Option<Factor> {
    let rk = cx.d.resource_key?;
    let x = cx.agent.map_or(1, |a| {
        a.recent
            .distinct_within(cx.obs.time, cx.config.burst_window_seconds, Some(rk))
    }) as f64;
    let n = cx.agent.map_or(0.0, |a| f64::from(a.burst.n));
    let expect = blend(
        cx.agent.and_then(|a| a.burst.expectation()),
        cx.role.and_then(|r| r.burst.expectation()),
        n / (n + cx.config.prior_strength),
    )?;
    let evidence = if x >= 5.0 {
        BURST.apply(expect.z(x)) * cx.strength
    } else {
        0.0
    };
    let minutes = cx.config.burst_window_seconds / 60;
    let detail = format!(
        "{} distinct {} in {minutes} minutes (usually {})",
        human_number(x),
        plural(x, "resource", "resources"),
        human_number(expect.typical())
    );
    Some(factor(
        "resource_burst",
        x,
        expect.typical(),
        evidence,
        detail,
    ))
}

/// An outbound call soon after a sensitive read (observed = 1 when there
/// was one; baseline = 1 if the agent has done this sequence before, 0.5 if
/// its peers have, 0 otherwise).
pub(super) fn sequence(cx: &Cx) -> Option<Factor> {
    if !cx.obs.outbound {
        return None;
    }
    let read = cx
        .agent
        .and_then(|a| recent_sensitive(a, cx.obs.time, cx.config));
    let Some(read) = read else {
        return Some(factor(
            "sequence",
            0.0,
            0.0,
            0.0,
            "no sensitive read before this outbound call".to_string(),
        ));
    };
    let k = sequence_key(&read.tool, &cx.obs.tool);
    let minutes = (cx.obs.time - read.time) / 60;
    let what = format!(
        "outbound {} {minutes} min after a sensitive read ({})",
        cx.obs.tool, read.tool
    );
    let (baseline, evidence, words) = if cx.agent.is_some_and(|a| a.sequences.contains(k)) {
        (1.0, 0.0, "a sequence this agent has done before")
    } else if cx.role.is_some_and(|r| r.sequences.contains(k)) {
        (
            0.5,
            SEQUENCE_ROLE_KNOWN * cx.strength,
            "new for this agent, done by its peers",
        )
    } else {
        let scale = 0.5 + 0.5 * cx.confidence.max(cx.peer_confidence);
        (
            0.0,
            SEQUENCE_NEW * scale,
            "a sequence new for this agent and its role",
        )
    };
    Some(factor(
        "sequence",
        1.0,
        baseline,
        evidence,
        format!("{what}: {words}"),
    ))
}
