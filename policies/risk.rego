# Behavioural risk: intercept a call whose behavioural-baseline score
# (input.risk, docs/risk.md) reaches the configured threshold, so a person
# sees the factors before it runs.
#
# Settings: data.behavry_config.risk
#   intercept_at          score at or above which a call is intercepted
#   high_impact_at        lower threshold for the tools below
#   high_impact_tools     call patterns ("upstream.tool", "upstream.*", "*")
#   learning_intercept_at optional: threshold while the agent is still
#                         learning (its own history is short and the score
#                         leans on its role's peers); unset = same thresholds
#
# input.risk is null when the baseline is disabled or unavailable; then no
# rule here fires and the rest of the policy decides alone. Listing never
# consults risk.
package behavry

import rego.v1

risk_defaults := {"intercept_at": 0.7, "high_impact_at": 0.5, "high_impact_tools": []}

risk_cfg := object.union(risk_defaults, object.get(cfg, "risk", {}))

is_high_impact_tool if {
	some pattern in call_patterns
	pattern in risk_cfg.high_impact_tools
}

risk_threshold := risk_cfg.learning_intercept_at if {
	input.risk.learning == true
	is_number(risk_cfg.learning_intercept_at)
} else := risk_cfg.high_impact_at if {
	is_high_impact_tool
} else := risk_cfg.intercept_at

intercept contains msg if {
	not input.request.listing
	is_number(input.risk.score)
	input.risk.score >= risk_threshold
	msg := sprintf("behavioural risk %v reaches %v: %s", [input.risk.score, risk_threshold, object.get(input.risk, "summary", "")])
}
