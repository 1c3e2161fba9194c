# shellcheck shell=bash
#
# The wire view: RSTs no tracepoint sees.  Truth: packet captures, TcpOutRsts
# (which a netfilter REJECT does not bump), and ss for TIME_WAIT sockets.

# shellcheck source=tests/lib/scenario.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/scenario.sh"

INJECT=${INJECT:-$PWD/tests/tools/inject_rst.py}

# capture_start NS FILE FILTER / capture_stop: a tcpdump of our own
capture_start() {
	ns_bg "$1" "$2" tcpdump --immediate-mode -i "$NS_IFNAME" -U -n -w "$2.pcap" "$3" >/dev/null
	CAP_PID=$NS_BG_PID
	ns_wait_line "$2.err" 'listening on' 5
}

capture_count() { # FILE FILTER: packets in the capture matching a filter
	tcpdump -n -r "$1.pcap" "$2" 2>/dev/null | wc -l
}

test_firewall_reject() {
	local fam port=25000 srv_addr cli_addr b_srv cport n
	core_setup || return 1
	ip netns exec "$SRV_NS" nft add table inet rwfw
	ip netns exec "$SRV_NS" nft add chain inet rwfw in '{ type filter hook input priority 0; }'
	ip netns exec "$SRV_NS" nft add rule inet rwfw in tcp dport "{ 25000, 25001 }" reject with tcp reset
	for fam in 4 6; do
		srv_addr=$NS_SRV_IP4 cli_addr=$NS_CLI_IP4
		[[ $fam == 6 ]] && srv_addr=$NS_SRV_IP6 cli_addr=$NS_CLI_IP6
		capture_start "$SRV_NS" "$T/cap.$fam" "tcp port $port" || return 1
		b_srv=$(ns_nstat "$SRV_NS" TcpOutRsts)
		ip netns exec "$CLI_NS" "$RSTGEN" client closed_port -a "$srv_addr" -p "$port" \
			-n rg-client -t 3000 >"$T/cli.$fam" 2>&1
		expect_eq "$fam: client saw" "$(json_field "$T/cli.$fam" "done" result)" ECONNREFUSED
		rw_wait_count "(.netns == $SRV_INO and .cause == \"firewall_reject\" and .lport == $port)" 1 5
		sleep 0.2
		ns_stop "$CAP_PID" >/dev/null
		expect_eq "$fam: TcpOutRsts delta (netfilter bypasses the stack)" \
			"$(($(ns_nstat "$SRV_NS" TcpOutRsts) - b_srv))" 0
		n=$(capture_count "$T/cap.$fam" "src port $port and tcp[13] & 4 != 0")
		[[ $fam == 6 ]] && n=$(capture_count "$T/cap.$fam" "src port $port and ip6[53] & 4 != 0")
		expect_eq "$fam: RSTs on the wire (capture)" "$n" 1
		cport=$(rw_events "(.netns == $CLI_INO and .cause == \"refused\" and .rport == $port)" |
			jq -r .lport)
		check_event "(.netns == $SRV_INO and .cause == \"firewall_reject\" and .lport == $port)" \
			direction=sent kind=wire family="$fam" laddr="$srv_addr" raddr="$cli_addr" \
			rport="$cport" pid=null kernel_reason=null
		expect_eq "$fam: stack resets reported in the server ns" \
			"$(rw_count "(.netns == $SRV_INO and .kind == \"reset\" and .lport == $port)")" 0
		port=$((port + 1))
	done
	ip netns exec "$SRV_NS" nft delete table inet rwfw
	check_summary
}

# The stack's own RSTs are never taken for a firewall's.
test_wire_stack_resets_not_foreign() {
	core_setup || return 1
	run_scenario closed_port 4 25100
	run_scenario closed_port 6 25101
	run_scenario abort_on_close 4 25102
	run_scenario abort_on_close 6 25103
	sleep 0.5
	expect_eq "firewall_reject events for stack resets" "$(rw_count '.cause == "firewall_reject"')" 0
}

# A RST for a TIME_WAIT socket: tcp_rfc1337=0 kills it, =1 keeps it (RFC 1337).
tw_case() {
	local rfc=$1 port=$2 fam=$3 srv_addr cli_pid tw_before tw_after
	srv_addr=$NS_SRV_IP4
	[[ $fam == 6 ]] && srv_addr=$NS_SRV_IP6
	ip netns exec "$CLI_NS" sysctl -qw "net.ipv4.tcp_rfc1337=$rfc"
	capture_start "$SRV_NS" "$T/tw.$port" "tcp port $port" || return 1
	ns_bg "$SRV_NS" "$T/srv.$port" "$RSTGEN" server hold -a "$srv_addr" -p "$port" \
		-n rg-server -t 3000 >/dev/null
	ns_wait_line "$T/srv.$port" '"listening"' 5 || return 1
	# the client gives up first: its close makes it the TIME_WAIT side
	ip netns exec "$CLI_NS" "$RSTGEN" client hold -a "$srv_addr" -p "$port" -n rg-client \
		-t 500 >"$T/cli.$port" 2>&1
	cli_pid=$(json_field "$T/cli.$port" connected pid)
	ns_wait_line "$T/srv.$port" '"done"' 5 || e2e_fail "server did not close"
	sleep 0.3
	ns_stop "$CAP_PID" >/dev/null
	tw_before=$(ip netns exec "$CLI_NS" ss -Htan state time-wait "( dport = :$port )" | wc -l)
	expect_eq "rfc1337=$rfc/$fam: TIME_WAIT sockets before" "$tw_before" 1
	ip netns exec "$SRV_NS" "$INJECT" "$T/tw.$port.pcap" "$srv_addr" "$port" 0 \
		>/dev/null 2>>"$T/inject.err" || e2e_fail "inject: $(cat "$T/inject.err")"
	rw_wait_count "(.netns == $CLI_INO and .cause == \"rst_timewait\" and .rport == $port)" 1 5
	sleep 0.2
	tw_after=$(ip netns exec "$CLI_NS" ss -Htan state time-wait "( dport = :$port )" | wc -l)
	expect_eq "rfc1337=$rfc/$fam: TIME_WAIT sockets after" "$tw_after" "$rfc"
	check_event "(.netns == $CLI_INO and .cause == \"rst_timewait\" and .rport == $port)" \
		direction=received state=TIME_WAIT tcp_rfc1337="$rfc" pid="$cli_pid" comm=rg-client \
		family="$fam"
}

test_rst_timewait() {
	core_setup || return 1
	tw_case 0 25200 4
	tw_case 1 25201 4
	tw_case 0 25202 6
	tw_case 1 25203 6
}
