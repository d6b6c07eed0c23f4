# Tests of the default policy set; run with `behavry policy test policies/`.
# A set whose tests fail is never loaded.
package behavry_test

import rego.v1

base_input := {
	"agent": {"id": "0190a4b2-7c1d-7000-8000-000000000001", "name": "test-agent", "role": "analyst", "labels": {}},
	"call": {"method": "tools/call", "upstream": "database", "tool": "query", "arguments": {}},
	"time": {"rfc3339": "2026-11-02T10:15:00Z", "unix": 1793614500, "hour": 10, "minute": 15, "weekday": "monday"},
	"request": {"protocol_version": "2025-11-25", "era": "legacy"},
	"risk": null,
	"scan": null,
	"workflow": null,
}

call_as(role, method, upstream, tool, args) := object.union(base_input, {
	"agent": object.union(base_input.agent, {"role": role}),
	"call": {"method": method, "upstream": upstream, "tool": tool, "arguments": args},
})

decide(role, upstream, tool, args) := d if {
	d := data.behavry.decision with input as call_as(role, "tools/call", upstream, tool, args)
}

# ---------------------------------------------------------------- roles

test_analyst_may_query if {
	d := decide("analyst", "database", "query", {"sql": "SELECT * FROM orders WHERE id = 7"})
	d.result == "allow"
	d.reasons == ["role analyst may call database.query"]
}

test_analyst_may_not_write if {
	d := decide("analyst", "files", "write", {"path": "/sandbox/report.txt", "content": "x"})
	d.result == "deny"
	"role analyst may not call files.write" in d.reasons
}

test_analyst_may_not_send_email if {
	decide("analyst", "email", "send", {"to": "a@example.com"}).result == "deny"
}

test_writer_may_write_in_sandbox if {
	d := decide("writer", "files", "write", {"path": "/sandbox/report.txt", "content": "x"})
	d.result == "allow"
}

test_admin_may_call_anything if {
	decide("admin", "crm", "delete_account", {"id": 1}).result == "allow"
}

test_unknown_role_is_denied if {
	d := decide("intruder", "database", "query", {"sql": "select 1"})
	d.result == "deny"
	d.reasons == ["unknown role intruder"]
}

test_unknown_upstream_is_denied_for_analyst if {
	decide("analyst", "shell", "exec", {"cmd": "ls"}).result == "deny"
}

test_tester_may_use_everything_tools_resources_and_prompts if {
	decide("tester", "everything", "echo", {"message": "hi"}).result == "allow"
	resource := data.behavry.decision with input as call_as("tester", "resources/read", "everything", "test://static/resource/1", {})
	resource.result == "allow"
	prompt := data.behavry.decision with input as call_as("tester", "prompts/get", "everything", "simple_prompt", {})
	prompt.result == "allow"
}

test_tester_may_not_use_other_upstreams if {
	decide("tester", "database", "query", {"sql": "select 1"}).result == "deny"
}

test_unsupported_method_is_denied if {
	d := data.behavry.decision with input as call_as("admin", "tools/list", "everything", "echo", {})
	d.result == "deny"
	"unsupported method tools/list" in d.reasons
}

test_missing_call_is_denied if {
	d := data.behavry.decision with input as {"agent": {"role": "admin"}}
	d.result == "deny"
}

# ---------------------------------------------------------------- sandbox

test_write_outside_sandbox_is_denied if {
	d := decide("writer", "files", "write", {"path": "/etc/passwd", "content": "x"})
	d.result == "deny"
	d.reasons == ["files.write outside the sandbox: /etc/passwd"]
}

test_write_with_dotdot_is_denied if {
	decide("writer", "files", "write", {"path": "/sandbox/../etc/passwd"}).result == "deny"
	decide("writer", "files", "write", {"path": "notes/../../x"}).result == "deny"
	decide("writer", "files", "write", {"path": "/sandbox/a\\..\\..\\etc"}).result == "deny"
}

test_write_relative_path_is_allowed if {
	decide("writer", "files", "write", {"path": "notes/today.md"}).result == "allow"
}

test_write_home_path_is_denied if {
	decide("writer", "files", "write", {"path": "~/.ssh/authorized_keys"}).result == "deny"
}

test_write_without_path_is_denied if {
	d := decide("writer", "files", "write", {"content": "x"})
	d.result == "deny"
	d.reasons == ["files.write needs a path argument"]
}

test_write_with_non_string_path_is_denied if {
	decide("writer", "files", "write", {"path": ["/sandbox/a"]}).result == "deny"
}

test_move_checks_source_and_destination if {
	decide("tester", "filesystem", "move_file", {"source": "/tmp/behavry-sandbox/a", "destination": "/tmp/behavry-sandbox/b"}).result == "allow"
	d := decide("tester", "filesystem", "move_file", {"source": "/tmp/behavry-sandbox/a", "destination": "/etc/cron.d/x"})
	d.result == "deny"
	d.reasons == ["filesystem.move_file outside the sandbox: /etc/cron.d/x"]
}

test_sandbox_prefixes_come_from_data if {
	d := decide("writer", "files", "write", {"path": "/srv/shared/a.txt"}) with data.behavry_config.sandbox_prefixes as ["/srv/shared/"]
	d.result == "allow"
}

test_reads_are_not_sandboxed if {
	decide("analyst", "files", "read", {"path": "/etc/hosts"}).result == "allow"
	decide("tester", "filesystem", "read_file", {"path": "/etc/hosts"}).result == "allow"
}

# ---------------------------------------------------------------- intercepts

test_drop_table_is_intercepted if {
	d := decide("analyst", "database", "query", {"sql": "drop table orders"})
	d.result == "intercept"
	d.reasons == ["destructive SQL (DROP) requires approval"]
}

test_hidden_delete_is_intercepted if {
	decide("analyst", "database", "query", {"sql": "select 1;DELETE/**/FROM orders"}).result == "intercept"
	decide("analyst", "database", "query", {"sql": "truncate orders"}).result == "intercept"
	decide("analyst", "database", "query", {"sql": "Alter TABLE orders add column x int"}).result == "intercept"
}

test_update_without_where_is_intercepted if {
	decide("analyst", "database", "query", {"sql": "UPDATE orders SET paid = true"}).result == "intercept"
	decide("analyst", "database", "query", {"sql": "update orders set paid = true where id = 1"}).result == "allow"
}

test_words_containing_keywords_are_not_intercepted if {
	decide("analyst", "database", "query", {"sql": "select dropped_at, deleted from orders"}).result == "allow"
}

test_query_without_sql_is_denied if {
	decide("analyst", "database", "query", {}).result == "deny"
	decide("analyst", "database", "query", {"sql": 42}).result == "deny"
}

test_internal_email_is_allowed if {
	decide("writer", "email", "send", {"to": "Alice@Example.com", "cc": ["bob@mail.example.com"]}).result == "allow"
}

test_external_email_is_intercepted if {
	d := decide("writer", "email", "send", {"to": ["alice@example.com", "eve@evil.test"]})
	d.result == "intercept"
	d.reasons == ["email to external address eve@evil.test requires approval"]
	decide("writer", "email", "send", {"to": "alice@example.com", "bcc": "x@notexample.com"}).result == "intercept"
}

test_email_without_recipients_is_denied if {
	decide("writer", "email", "send", {"subject": "hi"}).result == "deny"
}

test_sensitive_tools_are_intercepted if {
	decide("tester", "everything", "printEnv", {}).result == "intercept"
	decide("admin", "everything", "get-env", {}).result == "intercept"
}

test_deny_takes_precedence_over_intercept if {
	d := decide("analyst", "everything", "printEnv", {})
	d.result == "deny"
}

test_deny_reasons_are_all_collected if {
	d := decide("analyst", "files", "write", {"path": "/etc/x"})
	d.result == "deny"
	count(d.reasons) == 2
}

test_role_patterns_are_exact_upstream_wildcard_or_star if {
	roles := {"reporter": ["reports.*", "files.read"], "root": ["*"], "partial": ["files.re*"]}
	decide("reporter", "reports", "export_csv", {}).result == "allow" with data.behavry_config.roles as roles
	decide("reporter", "files", "read", {}).result == "allow" with data.behavry_config.roles as roles
	decide("reporter", "files", "list", {}).result == "deny" with data.behavry_config.roles as roles
	decide("reporter", "reportsx", "y", {}).result == "deny" with data.behavry_config.roles as roles
	decide("root", "any", "thing", {}).result == "allow" with data.behavry_config.roles as roles
	decide("partial", "files", "read", {}).result == "deny" with data.behavry_config.roles as roles
}

# Every configured pattern must use the supported forms; anything else
# would silently never match.
supported_pattern(p) if p == "*"

supported_pattern(p) if {
	endswith(p, ".*")
	not contains(trim_suffix(p, ".*"), "*")
}

supported_pattern(p) if {
	not contains(p, "*")
	contains(p, ".")
}

test_configured_patterns_are_supported if {
	cfg := data.behavry_config
	lists := array.concat(array.concat(cfg.write_tools, cfg.intercept_tools), [p | some role, patterns in cfg.roles; some p in patterns])
	every p in lists {
		supported_pattern(p)
	}
}

# ---------------------------------------------------------------- listing

list_as(role, upstream, tool) := object.union(call_as(role, "tools/call", upstream, tool, null), {
	"request": {"protocol_version": "2025-11-25", "era": "legacy", "listing": true},
})

listed(role, upstream, tool) := d if {
	d := data.behavry.decision with input as list_as(role, upstream, tool)
}

test_listing_ignores_argument_rules if {
	listed("writer", "files", "write").result == "allow"
	listed("analyst", "database", "query").result == "allow"
	listed("writer", "email", "send").result == "allow"
}

test_listing_still_applies_roles if {
	listed("analyst", "files", "write").result == "deny"
	listed("nobody", "files", "read").result == "deny"
}

test_calls_with_null_arguments_are_checked if {
	decide("writer", "files", "write", null).result == "deny"
}
