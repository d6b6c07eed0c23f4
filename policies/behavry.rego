# Behavry default policy set: decides every MCP tool call, resource read and
# prompt get as allow, deny or intercept (hold for human approval).
#
# Entry point: data.behavry.decision = {"result": ..., "reasons": [...]}.
# Precedence: any deny reason denies; otherwise any intercept reason
# intercepts; otherwise the agent's role must allow the call; otherwise deny.
# Settings live in data.json under data.behavry_config (see docs/policy.md).
#
# Written for the per-call hot path: rules are evaluated lazily, so every
# tool-specific check sits behind one cheap guard and helper sets are only
# computed for the calls they concern.
package behavry

import rego.v1

cfg := data.behavry_config

decision := {"result": "deny", "reasons": sort(deny)} if {
	count(deny) > 0
} else := {"result": "intercept", "reasons": sort(intercept)} if {
	count(intercept) > 0
} else := {"result": "allow", "reasons": [sprintf("role %s may call %s", [input.agent.role, call_name])]} if {
	role_allows
} else := {"result": "deny", "reasons": ["no rule allows this call"]}

# ---------------------------------------------------------------- matching

# The name rules match: "<upstream>.<tool>", where tool is the upstream's
# own tool name, resource URI or prompt name.
call_name := sprintf("%s.%s", [input.call.upstream, input.call.tool])

# A configured pattern matches a call when it is the exact call name,
# "<upstream>.*" (every tool, resource and prompt of that upstream) or "*".
call_patterns := [call_name, sprintf("%s.*", [input.call.upstream]), "*"]

role_allows if {
	some pattern in call_patterns
	pattern in cfg.roles[input.agent.role]
}

is_write_tool if {
	some pattern in call_patterns
	pattern in cfg.write_tools
}

is_intercept_tool if {
	some pattern in call_patterns
	pattern in cfg.intercept_tools
}

# ---------------------------------------------------------------- roles

deny contains msg if {
	not role_allows
	msg := role_denial
}

role_denial := sprintf("role %s may not call %s", [input.agent.role, call_name]) if {
	cfg.roles[input.agent.role]
} else := sprintf("unknown role %v", [input.agent.role])

known_methods := {"tools/call", "resources/read", "prompts/get"}

deny contains msg if {
	not input.call.method in known_methods
	msg := sprintf("unsupported method %v", [input.call.method])
}

# ---------------------------------------------------------------- arguments

# The gateway asks "may this tool be listed for this agent?" with
# request.listing = true and null arguments; rules that inspect arguments
# only apply to actual calls.
deny contains msg if {
	not input.request.listing
	some msg in argument_denials
}

intercept contains msg if {
	not input.request.listing
	some msg in argument_intercepts
}

# ---------------------------------------------------------------- writes

argument_denials contains msg if {
	is_write_tool
	some msg in write_denials
}

path_keys := ["path", "source", "destination"]

write_paths := {p | some key in path_keys; p := input.call.arguments[key]}

write_denials contains sprintf("%s needs a path argument", [call_name]) if count(write_paths) == 0

write_denials contains sprintf("%s path arguments must be strings", [call_name]) if {
	some p in write_paths
	not is_string(p)
}

write_denials contains sprintf("%s outside the sandbox: %s", [call_name, p]) if {
	some p in write_paths
	is_string(p)
	not path_allowed(p)
}

# A path may be written if it is non-empty, has no ".." segment ("/" or
# "\" separated), no NUL, no "~" home prefix, and is either under a sandbox
# prefix or relative.
path_allowed(p) if {
	p != ""
	not ".." in split(replace(p, "\\", "/"), "/")
	not contains(p, "\u0000")
	not startswith(p, "~")
	allowed_location(p)
}

allowed_location(p) if strings.any_prefix_match(p, cfg.sandbox_prefixes)

# Relative paths stay inside whatever directory the server confines them to.
allowed_location(p) if {
	not startswith(p, "/")
	not startswith(p, "\\")
	not contains(p, ":")
}

# ---------------------------------------------------------------- sensitive tools

intercept contains sprintf("%s requires approval (sensitive tool)", [call_name]) if is_intercept_tool

# ---------------------------------------------------------------- SQL

argument_denials contains "database.query needs a string sql argument" if {
	call_name == "database.query"
	not is_string(input.call.arguments.sql)
}

argument_intercepts contains msg if {
	call_name == "database.query"
	some msg in sql_intercepts
}

# SQL is split into upper-case words; punctuation and comment markers
# separate words so "DROP/**/TABLE" and "x;DELETE" are still seen.
sql_words := {w |
	normalized := strings.replace_n(
		{";": " ", "(": " ", ")": " ", ",": " ", "\n": " ", "\t": " ", "\r": " ", "/": " ", "*": " ", "-": " ", "'": " ", "\"": " ", "`": " "},
		upper(input.call.arguments.sql),
	)
	some w in split(normalized, " ")
	w != ""
}

destructive_keywords := ["DROP", "DELETE", "TRUNCATE", "ALTER"]

sql_intercepts contains sprintf("destructive SQL (%s) requires approval", [keyword]) if {
	some keyword in destructive_keywords
	keyword in sql_words
}

sql_intercepts contains "UPDATE without WHERE requires approval" if {
	"UPDATE" in sql_words
	not "WHERE" in sql_words
}

# ---------------------------------------------------------------- e-mail

argument_denials contains msg if {
	call_name == "email.send"
	some msg in email_denials
}

argument_intercepts contains msg if {
	call_name == "email.send"
	some msg in email_intercepts
}

recipient_keys := ["to", "cc", "bcc"]

recipients contains r if {
	some key in recipient_keys
	r := input.call.arguments[key]
	is_string(r)
}

recipients contains r if {
	some key in recipient_keys
	value := input.call.arguments[key]
	is_array(value)
	some r in value
}

email_denials contains "email.send needs recipients" if count(recipients) == 0

email_denials contains "email.send recipients must be strings" if {
	some r in recipients
	not is_string(r)
}

email_intercepts contains sprintf("email to external address %s requires approval", [r]) if {
	some r in recipients
	is_string(r)
	not internal_address(r)
}

internal_address(address) if {
	parts := split(lower(address), "@")
	count(parts) == 2
	some internal in cfg.internal_domains
	domain_within(parts[1], lower(internal))
}

domain_within(domain, internal) if domain == internal

domain_within(domain, internal) if endswith(domain, concat("", [".", internal]))
