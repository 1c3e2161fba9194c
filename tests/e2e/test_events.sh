# shellcheck shell=bash
#
# The shape of a JSON event: compact by default (a flood writes one per
# reset), the per-cause static text in 'rstwatch explain --json', and all of
# it back with --details.

# shellcheck source=tests/lib/scenario.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/scenario.sh"

EVENT_MAX_BYTES=350

# Every event of the closed-port reset (sent) and its refusal (received).
closed_port_events() {
	local port=$1
	run_scenario closed_port 4 "$port"
	expect_eq "closed_port: server TcpOutRsts delta" "$D_SRV" 1
	rw_wait_count "$(sel "$CLI_INO" received "$port")" 1 5
}

# A flood's event (a SYN to a closed port, answered by a reset) stays small;
# no event carries the static text.
test_events_compact() {
	local port=24100 n size keys
	core_setup || return 1
	closed_port_events "$port"
	n=$(rw_count "(.lport == $port or .rport == $port)")
	expect_eq "events for the closed port (sent and refused)" "$n" 2
	# the line as written, in bytes
	size=$(rw_events "$(sel "$SRV_INO" sent "$port")" | LC_ALL=C awk '{ print length($0) }')
	[[ -n $size ]] || e2e_fail "no closed_port event"
	((${size:-0} <= EVENT_MAX_BYTES)) ||
		e2e_fail "closed_port event: $size bytes, over $EVENT_MAX_BYTES"
	# every key of the contract, and none of the static text, in both events
	keys=$(rw_events "(.lport == $port or .rport == $port)" | jq -r '
		[("ts","direction","cause","kernel_reason","state","family","laddr","lport",
		  "raddr","rport","netns","pid","comm","cgroup","context","explain") as $k
		 | select(has($k) | not) | "missing " + $k]
		+ [("hint","code","kind") as $k | select(has($k)) | $k] | join(",")' | sort -u)
	expect_eq "contract keys missing or static keys present" "$keys" ""
	# a list of facts is shown only where it says something (a peer's reset has none)
	run_scenario abort_on_close 4 $((port + 1))
	rw_wait_count "$(sel "$CLI_INO" received $((port + 1)))" 1 5
	expect_eq "events with an empty facts list" \
		"$(rw_events "(.lport == $((port + 1)) or .rport == $((port + 1)))" |
			jq -c 'select(.facts == "")' | wc -l)" 0
	check_event "$(sel "$SRV_INO" sent "$port")" cause=closed_port kernel_reason=NO_SOCKET
}

test_events_details() {
	local port=24200 hint want code
	T=$(mktemp -d)
	PAIRS=()
	trap core_cleanup EXIT
	core_new_pair d || return 1
	rw_start "$T/rw.json" --details || return 1
	closed_port_events "$port"
	hint=$(rw_events "$(sel "$SRV_INO" sent "$port")" | jq -r .hint)
	want=$("$RSTWATCH" explain --json closed_port | jq -r .hint)
	[[ -n $want && $want != null ]] || e2e_fail "explain --json closed_port has no hint"
	expect_eq "--details: the hint is explain's" "$hint" "$want"
	code=$(rw_events "$(sel "$SRV_INO" sent "$port")" | jq -r '"\(.code) \(.kind) \(.facts)"')
	expect_eq "--details: code, kind and facts" "$code" \
		"$("$RSTWATCH" explain --json closed_port | jq -r .code) reset segment,syn"
	# no socket and no syscall: whoever the softirq interrupted is not read
	expect_eq "--details: no task beside a closed port" \
		"$(rw_events "$(sel "$SRV_INO" sent "$port")" | jq -c '[.task_pid, .task_comm]')" \
		"[null,null]"
}

# explain --json: one object per cause, the same causes as the text form
test_explain_json() {
	local n_json n_text bad
	n_json=$("$RSTWATCH" explain --json | jq -s 'length') || e2e_fail "explain --json is not JSON"
	n_text=$("$RSTWATCH" explain | grep -cE '^[a-z_0-9]+ \((sent|received|sent or received)\)$')
	expect_eq "explain --json causes == explain causes" "$n_json" "$n_text"
	bad=$("$RSTWATCH" explain --json | jq -r 'select((.cause|type) != "string" or
		(.explain|type) != "string" or (.hint|type) != "string") | .cause')
	expect_eq "explain --json objects without cause, explain or hint" "$bad" ""
	expect_eq "explain --json refused" "$("$RSTWATCH" explain --json refused | jq -r .direction)" \
		received
}
