# Content scanning of call arguments: input.scan (docs/scanning.md) holds
# the findings of the secret, personal-data and dangerous-argument scanners
# on the call's arguments.
#
# - A secret in the arguments is denied: credentials must not leave through
#   a tool call.
# - A dangerous argument (path traversal, command or SQL injection,
#   destructive commands, SSRF) found with high confidence is intercepted:
#   a person sees the finding before it runs. These are intercepted rather
#   than denied because legitimate administration uses some of them
#   (a DROP in a migration, a private address in development).
# - Arguments too large to scan completely are denied (fail closed).
#
# Settings: data.behavry_config.scan
#   deny_secret_at          secret confidence at or above which a call is denied
#   intercept_dangerous_at  confidence at or above which a dangerous
#                           argument is intercepted
#   dangerous_kinds         the finding kinds counted as dangerous
#   deny_truncated          deny when the arguments were not fully scanned
#
# input.scan is null when scanning is disabled; then no rule here fires.
# Listing never consults input.scan. Tool results are not decided here:
# the gateway blocks, redacts or wraps them from the [scan] thresholds of
# its configuration.
package behavry

import rego.v1

scan_defaults := {
	"deny_secret_at": 0.8,
	"intercept_dangerous_at": 0.8,
	"dangerous_kinds": ["path_traversal", "command_injection", "destructive_command", "sql_injection", "ssrf"],
	"deny_truncated": true,
}

scan_cfg := object.union(scan_defaults, object.get(cfg, "scan", {}))

# The rules of findings of one kind at or above a confidence, sorted.
scan_rules(kind, at) := concat(", ", sort({f.rule |
	some f in input.scan.findings
	f.kind == kind
	f.confidence >= at
}))

deny contains msg if {
	not input.request.listing
	input.scan.channel == "arguments"
	input.scan.max_confidence.secret >= scan_cfg.deny_secret_at
	msg := sprintf("%s arguments carry a secret (%s)", [call_name, scan_rules("secret", scan_cfg.deny_secret_at)])
}

deny contains msg if {
	not input.request.listing
	input.scan.channel == "arguments"
	input.scan.truncated == true
	scan_cfg.deny_truncated == true
	msg := sprintf("%s arguments are too large to scan completely", [call_name])
}

intercept contains msg if {
	not input.request.listing
	input.scan.channel == "arguments"
	some kind in scan_cfg.dangerous_kinds
	input.scan.max_confidence[kind] >= scan_cfg.intercept_dangerous_at
	msg := sprintf("%s arguments look dangerous: %s (%s) requires approval", [call_name, kind, scan_rules(kind, scan_cfg.intercept_dangerous_at)])
}
