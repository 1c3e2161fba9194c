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

# fw_case TOOL FAMILY PORT: a REJECT rule made with TOOL (nft or iptables)
fw_case() {
	local tool=$1 fam=$2 port=$3 srv_addr cli_addr b_srv cport n ipt=iptables
	srv_addr=$NS_SRV_IP4 cli_addr=$NS_CLI_IP4
	[[ $fam == 6 ]] && srv_addr=$NS_SRV_IP6 cli_addr=$NS_CLI_IP6 ipt=ip6tables
	if [[ $tool == nft ]]; then
		ip netns exec "$SRV_NS" nft add table inet rwfw
		ip netns exec "$SRV_NS" nft add chain inet rwfw in '{ type filter hook input priority 0; }'
		ip netns exec "$SRV_NS" nft add rule inet rwfw in tcp dport "$port" reject with tcp reset
	else
		ip netns exec "$SRV_NS" "$ipt" -A INPUT -p tcp --dport "$port" -j REJECT \
			--reject-with tcp-reset
	fi
	capture_start "$SRV_NS" "$T/cap.$port" "tcp port $port" || return 1
	b_srv=$(ns_nstat "$SRV_NS" TcpOutRsts)
	ip netns exec "$CLI_NS" "$RSTGEN" client closed_port -a "$srv_addr" -p "$port" \
		-n rg-client -t 3000 >"$T/cli.$port" 2>&1
	expect_eq "$tool/$fam: client saw" "$(json_field "$T/cli.$port" "done" result)" ECONNREFUSED
	rw_wait_count "(.netns == $SRV_INO and .cause == \"firewall_reject\" and .lport == $port)" 1 5
	sleep 0.2
	ns_stop "$CAP_PID" >/dev/null
	expect_eq "$tool/$fam: TcpOutRsts delta (netfilter bypasses the stack)" \
		"$(($(ns_nstat "$SRV_NS" TcpOutRsts) - b_srv))" 0
	if [[ $fam == 4 ]]; then
		n=$(capture_count "$T/cap.$port" "src port $port and tcp[13] & 4 != 0")
	else
		n=$(capture_count "$T/cap.$port" "src port $port and ip6[53] & 4 != 0")
	fi
	expect_eq "$tool/$fam: RSTs on the wire (capture)" "$n" 1
	cport=$(rw_events "(.netns == $CLI_INO and .cause == \"refused\" and .rport == $port)" |
		jq -r .lport)
	check_event "(.netns == $SRV_INO and .cause == \"firewall_reject\" and .lport == $port)" \
		direction=sent family="$fam" laddr="$srv_addr" raddr="$cli_addr" \
		rport="$cport" pid=null kernel_reason=null
	expect_eq "$tool/$fam: stack resets reported in the server ns" \
		"$(rw_count "(.netns == $SRV_INO and .cause != \"firewall_reject\" and .lport == $port)")" 0
	if [[ $tool == nft ]]; then
		ip netns exec "$SRV_NS" nft delete table inet rwfw
	else
		ip netns exec "$SRV_NS" "$ipt" -F INPUT
	fi
}

test_firewall_reject() {
	core_setup || return 1
	fw_case nft 4 25000
	fw_case nft 6 25001
	fw_case iptables 4 25002
	fw_case iptables 6 25003
	check_summary
}

tc_filters() { # NS: rstwatch's clsact egress filters on the pair's interface there
	tc -n "$1" filter show dev "$NS_IFNAME" egress 2>/dev/null | grep -c "handle 0x52535457"
}

# Kernels without tcx (before 6.6) get a clsact filter instead: the same
# firewall_reject view.  The filter goes at a clean stop; after kill -9 it
# stays, and the next start replaces it rather than adding a second.  Only the
# pair's own, uniquely named interfaces are touched (-i).
test_firewall_reject_clsact() {
	NS_IFNAME=rwcls$$
	core_setup || return 1
	rw_stop
	rw_start "$T/cls.json" --tc-mode clsact -i "$NS_IFNAME" || return 1
	grep -q "wire: $NS_IFNAME (netns $SRV_INO): clsact egress" "$RW_OUT.err" ||
		e2e_fail "no clsact filter: $(cat "$RW_OUT.err")"
	expect_eq "clsact filters in the server namespace" "$(tc_filters "$SRV_NS")" 1
	fw_case nft 4 25010
	fw_case iptables 6 25011
	rw_stop
	expect_eq "clsact filters after a clean stop" "$(tc_filters "$SRV_NS")" 0
	expect_eq "clsact filters after a clean stop (client)" "$(tc_filters "$CLI_NS")" 0
	rw_start "$T/cls2.json" --tc-mode clsact -i "$NS_IFNAME" || return 1
	kill -KILL "$RW_PID"
	wait "$RW_PID" 2>/dev/null
	RW_PID=
	expect_eq "clsact filters left by kill -9" "$(tc_filters "$SRV_NS")" 1
	rw_start "$T/cls3.json" --tc-mode clsact -i "$NS_IFNAME" || return 1
	expect_eq "clsact filters after a restart (replaced, not added)" "$(tc_filters "$SRV_NS")" 1
	fw_case nft 4 25012
	rw_stop
	expect_eq "clsact filters after the restart's clean stop" "$(tc_filters "$SRV_NS")" 0
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
	# TC ingress (the default), then XDP: both see the RST and look the socket up
	tw_case 0 25200 4
	tw_case 1 25201 4
	tw_case 0 25202 6
	tw_case 1 25203 6
	rw_stop
	rw_start "$T/rw-xdp.json" --xdp-mode generic || return 1
	tw_case 0 25204 4
	tw_case 1 25205 6
}

# Never displace another XDP program; nothing left behind, even after kill -9.
test_wire_coexists_and_cleans_up() {
	local second
	core_setup || return 1
	rw_stop
	rw_start "$T/rw-xdp.json" --xdp-mode generic || return 1
	ip -n "$SRV_NS" link show "$NS_IFNAME" | grep -q ' xdp' ||
		e2e_fail "first instance: no XDP on $NS_IFNAME: $(ip -n "$SRV_NS" link show "$NS_IFNAME")"
	ip -n "$SRV_NS" link show "$NS_IFNAME" | grep -q 'prog/xdp id' ||
		true # iproute2 shows 'prog/xdp id N' only in -d; the flag above is enough
	"$RSTWATCH" --json -v --xdp-mode generic >"$T/second.json" 2>"$T/second.err" &
	second=$!
	NS_BG_PIDS+=("$second")
	ns_wait_line "$T/second.err" watching 10 || return 1
	grep -q "wire: $NS_IFNAME (netns $SRV_INO): XDP: Device or resource busy (it has an XDP program already: left alone" \
		"$T/second.err" || e2e_fail "second instance did not say it left XDP alone: $(cat "$T/second.err")"
	# the second one still works from the tracepoints
	run_scenario closed_port 4 25300
	ns_wait_line "$T/second.json" '"lport":25300' 5 || e2e_fail "second instance saw nothing"
	kill -INT "$second"
	wait_exit "$second" 5
	ip -n "$SRV_NS" link show "$NS_IFNAME" | grep -q ' xdp' ||
		e2e_fail "the second instance took the first one's XDP program away"
	# kill -9: the links die with the process, nothing stays attached.  Every
	# program of ours stays loaded while anything (a link) still holds it.
	local ids id
	ids=$(cat /proc/"$RW_PID"/fdinfo/* 2>/dev/null | awk '$1 == "prog_id:" { print $2 }' | sort -u)
	[[ $(wc -w <<<"$ids") -ge 2 ]] || e2e_fail "could not find rstwatch's programs: '$ids'"
	kill -KILL "$RW_PID"
	wait_exit "$RW_PID" 5
	RW_PID=
	sleep 0.5
	for id in $ids; do
		bpftool prog show id "$id" >/dev/null 2>&1 &&
			e2e_fail "program $id still loaded after kill -9: $(bpftool prog show id "$id")"
	done
	if ip -n "$SRV_NS" link show "$NS_IFNAME" | grep -q 'xdp'; then
		e2e_fail "XDP still attached after kill -9: $(ip -n "$SRV_NS" link show "$NS_IFNAME")"
	fi
	# and a restart works at once
	rw_start "$T/again.json" || e2e_fail "restart after kill -9 failed"
	grep -q "XDP: " "$T/again.json.err" && e2e_fail "restart could not attach XDP: $(cat "$T/again.json.err")"
	return 0
}

# -i limits the wire view to the interfaces named; the rest are untouched.
test_wire_interface_choice() {
	core_setup || return 1
	rw_stop
	rw_start "$T/only.json" -i lo
	grep -q "wire: lo (netns $SRV_INO): tcx egress" "$RW_OUT.err" ||
		e2e_fail "-i lo: not attached to lo: $(cat "$RW_OUT.err")"
	grep -q "wire: $NS_IFNAME " "$RW_OUT.err" && e2e_fail "-i lo: attached to $NS_IFNAME too"
	ip -n "$SRV_NS" link show "$NS_IFNAME" | grep -q xdp && e2e_fail "-i lo: XDP on $NS_IFNAME"
	rw_stop
	rw_start "$T/none.json" --disable wire
	grep -q "wire:" "$RW_OUT.err" && e2e_fail "--disable wire still attached: $(cat "$RW_OUT.err")"
	return 0
}

# A namespace created while rstwatch runs gets the wire programs too.
test_wire_new_namespace() {
	local port=25400 n
	T=$(mktemp -d)
	PAIRS=()
	trap core_cleanup EXIT
	rw_start "$T/rw.json"
	core_new_pair late || return 1
	ip netns exec "$SRV_NS" nft add table inet rwfw
	ip netns exec "$SRV_NS" nft add chain inet rwfw in '{ type filter hook input priority 0; }'
	ip netns exec "$SRV_NS" nft add rule inet rwfw in tcp dport "$port" reject with tcp reset
	# the rescan runs every 2 s
	ns_wait_line "$RW_OUT.err" "wire: $NS_IFNAME \\(netns $SRV_INO\\)" 5 ||
		e2e_fail "not attached in the new namespace: $(cat "$RW_OUT.err")"
	ip netns exec "$CLI_NS" "$RSTGEN" client closed_port -a "$NS_SRV_IP4" -p "$port" \
		-n rg-client -t 3000 >/dev/null 2>&1
	rw_wait_count "(.netns == $SRV_INO and .cause == \"firewall_reject\")" 1 5
	n=$(rw_count "(.netns == $SRV_INO and .cause == \"firewall_reject\")")
	expect_eq "firewall_reject in a namespace made after start" "$n" 1
}

bounds_cleanup() {
	ip netns del "rwbnd$$" 2>/dev/null
	core_cleanup
}

# Bounded resources: an unprivileged user's namespace with 600 interfaces, then
# a root-made one with 300, against RLIMIT_NOFILE 512.  rstwatch keeps running
# under its descriptor budget, says what it left out, and still reports and
# serves /metrics.
test_wire_bounds() {
	local port=19865 user_pid user_ino nfd max v0 v1 n
	T=$(mktemp -d)
	PAIRS=()
	trap bounds_cleanup EXIT
	for ((n = 1; n <= 600; n++)); do echo "link add rwb$n type bridge"; done >"$T/batch"
	# unshare -Urn as nobody: anyone can make such a namespace
	setpriv --reuid=nobody --regid=nogroup --clear-groups \
		unshare -Urn sh -c 'ip -batch - && echo ready && exec sleep 120' <"$T/batch" >"$T/userns" 2>&1 &
	user_pid=$!
	NS_BG_PIDS+=("$user_pid")
	ns_wait_line "$T/userns" ready 20 || { e2e_fail "userns: $(cat "$T/userns")"; return 1; }
	user_ino=$(stat -L -c %i "/proc/$user_pid/ns/net")
	core_new_pair b || return 1
	(
		ulimit -n 512
		exec "$RSTWATCH" serve -v --listen "127.0.0.1:$port" --log "$T/events.jsonl"
	) >/dev/null 2>"$T/serve.err" </dev/null &
	SERVE_PID=$!
	NS_BG_PIDS+=("$SERVE_PID")
	ns_wait_line "$T/serve.err" watching 20 || { e2e_fail "serve: $(cat "$T/serve.err")"; return 1; }
	expect_eq "interfaces watched in the unprivileged namespace" \
		"$(grep -c "wire: .* (netns $user_ino):" "$T/serve.err")" 8
	grep -q 'wire: namespaces of unprivileged users are watched within bounds' "$T/serve.err" ||
		e2e_fail "no word of the unprivileged bound"
	grep -q "wire: $NS_IFNAME (netns $SRV_INO):" "$T/serve.err" ||
		e2e_fail "the server's interface not watched"
	# root's own namespaces are bounded by the descriptor budget: 300 more interfaces
	if ! ip netns add "rwbnd$$" || ! head -n 300 "$T/batch" | ip -n "rwbnd$$" -batch -; then
		e2e_fail "cannot make the root namespace"
		return 1
	fi
	# the most descriptors open, sampled every 50 ms: until the scan has met the
	# budget and one more scan (2 s) went by, or 20 s on a slow machine
	max=0
	local met=-1
	for ((n = 0; n < 400; n++)); do
		nfd=$(find "/proc/$SERVE_PID/fd" -mindepth 1 2>/dev/null | wc -l)
		((nfd > max)) && max=$nfd
		if ((met < 0)) && grep -q "descriptor budget (256" "$T/serve.err"; then
			met=$n
		fi
		((met >= 0 && n - met >= 50)) && break
		sleep 0.05
	done
	kill -0 "$SERVE_PID" || { e2e_fail "serve died: $(tail -5 "$T/serve.err")"; return 1; }
	echo "    at most $max descriptors open (limit 512, links' budget 256)"
	((max <= 256 + 64)) || e2e_fail "$max descriptors open: over the budget"
	grep -q "wire: the links' descriptor budget (256, half of RLIMIT_NOFILE) is reached" "$T/serve.err" ||
		e2e_fail "no word of the descriptor budget"
	expect_eq "warnings (once each, not per scan)" "$(grep -c 'warning: wire: ' "$T/serve.err")" 2
	# a reset elsewhere is still reported, and counted
	v0=$(curl -sf "http://127.0.0.1:$port/metrics" | awk '$1 == "rstwatch_resets_sent_total{cause=\"closed_port\"}" { print $2 }')
	[[ -n $v0 ]] || e2e_fail "no scrape"
	run_scenario closed_port 4 26950
	ns_wait_line "$T/events.jsonl" '"lport":26950' 5 || e2e_fail "no event for a reset elsewhere"
	v1=$(curl -sf "http://127.0.0.1:$port/metrics" | awk '$1 == "rstwatch_resets_sent_total{cause=\"closed_port\"}" { print $2 }')
	expect_eq "closed_port counted" "$((v1 - v0))" 1
	# check says what the bounds leave out
	(
		ulimit -n 512
		exec "$RSTWATCH" check
	) >"$T/check" 2>&1
	grep -qE '^  skipped by the bounds: [1-9][0-9]* interface\(s\), 0 namespace\(s\) of unprivileged users \(descriptor budget 256\)$' "$T/check" ||
		e2e_fail "check: $(grep -A2 '^wire:' "$T/check")"
}

# young_pair P PORT: a namespace pair made as a container runtime makes one,
# its REJECT rule and a SYN to it at once, with nothing waited for.
young_pair() {
	local p=$1 port=$2
	ip netns add "$p-cli" && ip netns add "$p-srv" &&
		ip -n "$p-cli" link add "$NS_IFNAME" type veth peer name "$NS_IFNAME" netns "$p-srv" &&
		ip -n "$p-cli" addr add "$NS_CLI_IP4/24" dev "$NS_IFNAME" &&
		ip -n "$p-srv" addr add "$NS_SRV_IP4/24" dev "$NS_IFNAME" &&
		ip -n "$p-cli" link set "$NS_IFNAME" up && ip -n "$p-srv" link set "$NS_IFNAME" up &&
		ip netns exec "$p-srv" nft "add table inet rwfw; add chain inet rwfw in { type filter hook input priority 0; }; add rule inet rwfw in tcp dport $port counter reject with tcp reset" &&
		ip netns exec "$p-cli" "$RSTGEN" client closed_port -a "$NS_SRV_IP4" -p "$port" \
			-n rg-client -t 2000 >"$T/young.$p" 2>&1
}

# Namespaces from their first packet: 20 pairs, each REJECTing a SYN as soon
# as it exists, are all seen (rstwatch attaches when a namespace or an
# interface appears, not at its next periodic scan); truth: each rule's
# own counter.
test_wire_young_namespaces() {
	local i p port=25300 ms max=0 seen=0 rejected=0 ino n t0
	T=$(mktemp -d)
	PAIRS=()
	trap core_cleanup EXIT
	# the kernel may still be tearing down earlier tests' hundreds of interfaces,
	# holding the RTNL lock that every attach takes: more time to start
	RW_START_WAIT=60 rw_start "$T/young.json" || return 1
	for i in $(seq 20); do
		p=rwyng$$$i
		PAIRS+=("$p")
		t0=$(_ns_now_us)
		young_pair "$p" "$port" || { e2e_fail "pair $i: $(cat "$T/young.$p" 2>/dev/null)"; continue; }
		ms=$((($(_ns_now_us) - t0) / 1000))
		((ms > max)) && max=$ms
		expect_eq "pair $i: client saw" "$(json_field "$T/young.$p" "done" result)" ECONNREFUSED
	done
	echo "    20 pairs, each created, REJECTed and answered within $max ms"
	for i in $(seq 20); do
		p=rwyng$$$i
		ino=$(ns_inode "$p-srv") || continue
		n=$(ip netns exec "$p-srv" nft list chain inet rwfw in | grep -oE 'packets [0-9]+' | awk '{ print $2 }')
		rejected=$((rejected + ${n:-0}))
		rw_wait_count "(.netns == $ino and .cause == \"firewall_reject\")" "${n:-1}" 3
		n=$(rw_count "(.netns == $ino and .cause == \"firewall_reject\")")
		seen=$((seen + n))
	done
	expect_eq "REJECTs made (the rules' counters)" "$rejected" 20
	expect_eq "firewall_reject seen in young namespaces" "$seen" "$rejected"
}
