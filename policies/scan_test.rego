# Tests of the content-scanning rules (scan.rego).
package behavry_scan_test

import rego.v1

base := {
	"agent": {"id": "0190a4b2-7c1d-7000-8000-000000000002", "name": "scan-agent", "role": "admin", "labels": {}},
	"call": {"method": "tools/call", "upstream": "everything", "tool": "echo", "arguments": {"message": "x"}},
	"time": {"rfc3339": "2026-11-02T10:15:00Z", "unix": 1793614500, "hour": 10, "minute": 15, "weekday": "monday"},
	"request": {"protocol_version": "2025-11-25", "era": "legacy"},
	"risk": null,
	"workflow": null,
}

kinds := ["secret", "pii", "injection", "path_traversal", "command_injection", "destructive_command", "sql_injection", "ssrf", "truncated"]

# An input.scan document with one finding (or none).
scan_doc(findings, truncated) := {
	"channel": "arguments",
	"findings": findings,
	"max_confidence": {k: c |
		some k in kinds
		c := max(array.concat([0], [f.confidence | some f in findings; f.kind == k]))
	},
	"truncated": truncated,
	"injection_score": 0,
}

finding(kind, rule, confidence) := {"kind": kind, "rule": rule, "confidence": confidence, "severity": "high", "path": "/message"}

decide_with(scan) := d if {
	d := data.behavry.decision with input as object.union(base, {"scan": scan})
}

test_clean_arguments_are_allowed if {
	decide_with(scan_doc([], false)).result == "allow"
}

test_null_scan_changes_nothing if {
	decide_with(null).result == "allow"
}

test_secret_in_arguments_is_denied if {
	d := decide_with(scan_doc([finding("secret", "aws-access-key-id", 0.95)], false))
	d.result == "deny"
	d.reasons == ["everything.echo arguments carry a secret (aws-access-key-id)"]
}

test_weak_secret_is_not_denied if {
	decide_with(scan_doc([finding("secret", "generic-assignment", 0.5)], false)).result == "allow"
}

test_personal_data_alone_is_allowed if {
	decide_with(scan_doc([finding("pii", "email", 0.99)], false)).result == "allow"
}

test_dangerous_argument_is_intercepted if {
	d := decide_with(scan_doc([finding("path_traversal", "dot-dot-sensitive", 0.9)], false))
	d.result == "intercept"
	d.reasons == ["everything.echo arguments look dangerous: path_traversal (dot-dot-sensitive) requires approval"]
}

test_low_confidence_dangerous_argument_is_allowed if {
	decide_with(scan_doc([finding("ssrf", "ssrf-private", 0.45)], false)).result == "allow"
}

test_secret_and_danger_together_deny if {
	d := decide_with(scan_doc([finding("ssrf", "ssrf-cloud-metadata", 0.95), finding("secret", "github-token", 0.95)], false))
	d.result == "deny"
}

test_truncated_arguments_are_denied if {
	d := decide_with(scan_doc([], true))
	d.result == "deny"
	d.reasons == ["everything.echo arguments are too large to scan completely"]
}

test_listing_ignores_scan if {
	listing := object.union(base, {
		"scan": scan_doc([finding("secret", "aws-access-key-id", 0.95)], true),
		"request": {"protocol_version": "2025-11-25", "era": "legacy", "listing": true},
	})
	data.behavry.decision.result == "allow" with input as listing
}

test_thresholds_come_from_data if {
	d := data.behavry.decision with input as object.union(base, {"scan": scan_doc([finding("secret", "aws-access-key-id", 0.85)], false)})
		with data.behavry_config.scan.deny_secret_at as 0.9
	d.result == "allow"
}
