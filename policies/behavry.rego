# Behavry default policy set: decides every MCP tool call, resource read and
# prompt get as allow, deny or intercept (hold for human approval).
#
# Entry point: data.behavry.decision = {"result": ..., "reasons": [...]}.
# Precedence: any deny reason denies; otherwise any intercept reason
# intercepts; otherwise the agent's role must allow the call; otherwise deny.
# Settings live in data.json under data.behavry_config (see docs/policy.md).
package behavry

import rego.v1

cfg := data.behavry_config

# The name rules match against: "<upstream>.<tool>" where tool is the
# upstream's own tool name, resource URI or prompt name.
call_name := sprintf("%s.%s", [input.call.upstream, input.call.tool])

known_methods := {"tools/call", "resources/read", "prompts/get"}

# The gateway asks "may this tool be listed for this agent?" with
# request.listing = true and null arguments; rules that inspect arguments
# only apply to actual calls.
listing if input.request.listing == true

is_call if not listing

decision := {"result": "deny", "reasons": sort(deny)} if {
	count(deny) > 0
} else := {"result": "intercept", "reasons": sort(intercept)} if {
	count(intercept) > 0
} else := {"result": "allow", "reasons": sort(allow_reasons)} if {
	count(allow_reasons) > 0
} else := {"result": "deny", "reasons": ["no rule allows this call"]}

# ---------------------------------------------------------------- matching

# A pattern matches a call name exactly, as "prefix*" (any suffix), or as a
# glob without separators ("*" also matches "." and "/"; "?", "[...]" and
# "{a,b}" work). Exact names are a direct lookup; "prefix*" is a prefix
# test; only patterns with other glob syntax pay for glob.match (which
# compiles the pattern on every call).
matches_any(patterns) if call_name in patterns

matches_any(patterns) if {
	some pattern in patterns
	endswith(pattern, "*")
	startswith(call_name, trim_suffix(pattern, "*"))
}

matches_any(patterns) if {
	some pattern in patterns
	stem := trim_suffix(pattern, "*")
	strings.replace_n({"*": "", "?": "", "[": "", "{": ""}, stem) != stem
	glob.match(pattern, null, call_name)
}

# ---------------------------------------------------------------- roles

role_allows if matches_any(cfg.roles[input.agent.role])

allow_reasons contains msg if {
	role_allows
	msg := sprintf("role %s may call %s", [input.agent.role, call_name])
}

deny contains msg if {
	not cfg.roles[input.agent.role]
	msg := sprintf("unknown role %v", [input.agent.role])
}

deny contains msg if {
	cfg.roles[input.agent.role]
	not role_allows
	msg := sprintf("role %s may not call %s", [input.agent.role, call_name])
}

deny contains msg if {
	not input.call.method in known_methods
	msg := sprintf("unsupported method %v", [input.call.method])
}

# ---------------------------------------------------------------- writes

path_keys := ["path", "source", "destination"]

is_write_tool if matches_any(cfg.write_tools)

write_paths := [p | some key in path_keys; p := input.call.arguments[key]]

deny contains msg if {
	is_write_tool
	is_call
	count(write_paths) == 0
	msg := sprintf("%s needs a path argument", [call_name])
}

deny contains msg if {
	is_write_tool
	is_call
	some p in write_paths
	not is_string(p)
	msg := sprintf("%s path arguments must be strings", [call_name])
}

deny contains msg if {
	is_write_tool
	is_call
	some p in write_paths
	is_string(p)
	not in_sandbox(p)
	msg := sprintf("%s outside the sandbox: %s", [call_name, p])
}

has_dotdot(p) if {
	some segment in split(replace(p, "\\", "/"), "/")
	segment == ".."
}

safe_path(p) if {
	p != ""
	not has_dotdot(p)
	not contains(p, "\u0000")
	not startswith(p, "~")
}

in_sandbox(p) if {
	safe_path(p)
	some prefix in cfg.sandbox_prefixes
	startswith(p, prefix)
}

# Relative paths stay inside whatever directory the server confines them to.
in_sandbox(p) if {
	safe_path(p)
	not startswith(p, "/")
	not startswith(p, "\\")
	not contains(p, ":")
}

# ---------------------------------------------------------------- intercepts

intercept contains msg if {
	matches_any(cfg.intercept_tools)
	msg := sprintf("%s requires approval (sensitive tool)", [call_name])
}

# SQL is split into upper-case words; punctuation and comment markers
# separate words so "DROP/**/TABLE" and "x;DELETE" are still seen.
sql_words := {w |
	is_string(input.call.arguments.sql)
	normalized := strings.replace_n(
		{";": " ", "(": " ", ")": " ", ",": " ", "\n": " ", "\t": " ", "\r": " ", "/": " ", "*": " ", "-": " ", "'": " ", "\"": " ", "`": " "},
		upper(input.call.arguments.sql),
	)
	some w in split(normalized, " ")
	w != ""
}

destructive_keywords := {"DROP", "DELETE", "TRUNCATE", "ALTER"}

deny contains "database.query needs a string sql argument" if {
	is_call
	call_name == "database.query"
	not is_string(input.call.arguments.sql)
}

intercept contains msg if {
	call_name == "database.query"
	is_call
	some keyword in destructive_keywords
	keyword in sql_words
	msg := sprintf("destructive SQL (%s) requires approval", [keyword])
}

intercept contains "UPDATE without WHERE requires approval" if {
	is_call
	call_name == "database.query"
	"UPDATE" in sql_words
	not "WHERE" in sql_words
}

recipient_keys := ["to", "cc", "bcc"]

recipients contains r if {
	some key in recipient_keys
	value := input.call.arguments[key]
	is_string(value)
	r := value
}

recipients contains r if {
	some key in recipient_keys
	value := input.call.arguments[key]
	is_array(value)
	some r in value
}

deny contains "email.send needs recipients" if {
	is_call
	call_name == "email.send"
	count(recipients) == 0
}

deny contains "email.send recipients must be strings" if {
	is_call
	call_name == "email.send"
	some r in recipients
	not is_string(r)
}

internal_address(address) if {
	parts := split(lower(address), "@")
	count(parts) == 2
	domain := parts[1]
	some internal in cfg.internal_domains
	domain_within(domain, lower(internal))
}

domain_within(domain, internal) if domain == internal

domain_within(domain, internal) if endswith(domain, concat("", [".", internal]))

intercept contains msg if {
	call_name == "email.send"
	is_call
	some r in recipients
	is_string(r)
	not internal_address(r)
	msg := sprintf("email to external address %s requires approval", [r])
}
