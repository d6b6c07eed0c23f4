# Test policy: `everything.echo` is held for approval unless its message
# says "forbidden", which is denied; everything else is allowed.
package behavry

import rego.v1

default decision := {"result": "allow", "reasons": []}

message := object.get(input.call.arguments, "message", "") if {
	is_object(input.call.arguments)
}

decision := {"result": "intercept", "reasons": ["echo needs a human"]} if {
	not input.request.listing
	input.call.tool == "echo"
	not contains(message, "forbidden")
}

decision := {"result": "deny", "reasons": ["forbidden message"]} if {
	not input.request.listing
	input.call.tool == "echo"
	contains(message, "forbidden")
}

test_echo_is_held if {
	decision.result == "intercept" with input as {"call": {"tool": "echo", "arguments": {"message": "hi"}}, "request": {"listing": false}}
}

test_forbidden_is_denied if {
	decision.result == "deny" with input as {"call": {"tool": "echo", "arguments": {"message": "forbidden"}}, "request": {"listing": false}}
}

test_other_tools_are_allowed if {
	decision.result == "allow" with input as {"call": {"tool": "get-sum", "arguments": {"a": 1, "b": 2}}, "request": {"listing": false}}
}
