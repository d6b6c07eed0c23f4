# Tests of policies/risk.rego: intercept on a high behavioural risk score.
package behavry_risk_test

import rego.v1

risk_input(upstream, tool, args, risk) := {
	"agent": {"id": "0190a4b2-7c1d-7000-8000-000000000002", "name": "data-analyst-primary", "role": "writer", "labels": {}},
	"call": {"method": "tools/call", "upstream": upstream, "tool": tool, "arguments": args},
	"time": {"rfc3339": "2026-03-04T02:47:00Z", "unix": 1772592420, "hour": 2, "minute": 47, "weekday": "wednesday"},
	"request": {"protocol_version": "2026-07-28", "era": "modern"},
	"risk": risk,
	"scan": null,
	"workflow": null,
}

query_with(risk) := risk_input("database", "query", {"sql": "SELECT * FROM orders"}, risk)

email_with(risk) := risk_input("email", "send", {"to": "a@example.com", "subject": "s", "body": "b"}, risk)

scored(score, learning) := {
	"score": score,
	"learning": learning,
	"confidence": 0.9,
	"factors": [{"name": "time_of_week", "observed": 0.0001, "baseline": 0.0169, "evidence": 2.4, "contribution": 0.5, "detail": "off-hours (Wednesday 02:47)"}],
	"summary": "off-hours (Wednesday 02:47)",
}

decide(doc) := d if {
	d := data.behavry.decision with input as doc
}

test_below_threshold_allows if {
	d := decide(query_with(scored(0.2, false)))
	d.result == "allow"
}

test_at_and_above_threshold_intercepts if {
	every score in [0.7, 0.88] {
		d := decide(query_with(scored(score, false)))
		d.result == "intercept"
		count(d.reasons) == 1
		contains(d.reasons[0], "off-hours (Wednesday 02:47)")
	}
}

test_reason_names_score_threshold_and_factors if {
	d := decide(query_with(scored(0.88, false)))
	d.reasons == ["behavioural risk 0.88 reaches 0.7: off-hours (Wednesday 02:47)"]
}

test_high_impact_tool_has_lower_threshold if {
	decide(email_with(scored(0.55, false))).result == "intercept"
	decide(query_with(scored(0.55, false))).result == "allow"
	decide(email_with(scored(0.45, false))).result == "allow"
}

test_null_or_missing_risk_does_not_fire if {
	decide(query_with(null)).result == "allow"
	decide(object.remove(query_with(null), ["risk"])).result == "allow"
	decide(query_with({"learning": false})).result == "allow"
}

test_learning_uses_same_thresholds_by_default if {
	decide(query_with(scored(0.75, true))).result == "intercept"
	decide(query_with(scored(0.6, true))).result == "allow"
}

test_learning_threshold_when_configured if {
	cfg := object.union(data.behavry_config, {"risk": object.union(data.behavry_config.risk, {"learning_intercept_at": 0.9})})
	d1 := data.behavry.decision with input as query_with(scored(0.85, true)) with data.behavry_config as cfg
	d1.result == "allow"
	d2 := data.behavry.decision with input as query_with(scored(0.92, true)) with data.behavry_config as cfg
	d2.result == "intercept"
	d3 := data.behavry.decision with input as query_with(scored(0.85, false)) with data.behavry_config as cfg
	d3.result == "intercept"
}

test_listing_never_consults_risk if {
	doc := object.union(query_with(scored(0.99, false)), {"request": {"protocol_version": "2026-07-28", "era": "modern", "listing": true}, "call": {"method": "tools/call", "upstream": "database", "tool": "query", "arguments": null}})
	decide(doc).result == "allow"
}

test_deny_still_wins_over_risk if {
	doc := risk_input("database", "query", {"sql": 7}, scored(0.95, false))
	decide(doc).result == "deny"
}
