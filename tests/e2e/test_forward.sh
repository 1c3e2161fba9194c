# shellcheck shell=bash
#
# RSTs a host forwards are not its own.  Three namespaces, client - middle -
# server: the middle routes (or bridges) the endpoints' genuine resets, which
# rstwatch in the middle counts as direction="forwarded" on its interfaces and
# never as firewall_reject; a REJECT in the middle's FORWARD chain is the
# middle's own RST and stays firewall_reject.  Truth: the endpoints'
# TcpOutRsts, and the firewall rules' own counters.

# shellcheck source=tests/lib/scenario.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/scenario.sh"

fwd_cleanup() {
	core_cleanup
	ns_chain_destroy "$CHAIN"
}

# fwd_setup MODE: a chain (route or bridge) and rstwatch serve --log watching
# it; the endpoints' addresses where run_scenario looks for them.
fwd_setup() {
	local mode=$1 ifc
	T=$(mktemp -d)
	PAIRS=()
	CHAIN=rwfwd$$
	trap fwd_cleanup EXIT
	ns_chain_create "$CHAIN" "$mode" || return 1
	CLI_NS=$CHAIN-cli SRV_NS=$CHAIN-srv MID_NS=$CHAIN-mid
	MID_INO=$(ns_inode "$MID_NS")
	if [[ $mode == route ]]; then
		NS_SRV_IP4=$NS_RT_SRV_IP4 NS_SRV_IP6=$NS_RT_SRV_IP6
	fi
	RW_OUT=$T/log.json # rw_count and friends read serve's event log
	serve_start --log "$RW_OUT" || return 1
	for ifc in "$NS_MID_CLI_IF" "$NS_MID_SRV_IF"; do
		ns_wait_line "$T/serve.err" "wire: $ifc \\(netns $MID_INO\\)" 5 ||
			{ e2e_fail "not attached to $ifc in the middle: $(cat "$T/serve.err")"; return 1; }
	done
}

# mid_wire DIR: the middle's wire count in that direction, both interfaces
mid_wire() {
	local m sum=0 ifc v
	m=$(curl -sf "http://127.0.0.1:$SERVE_PORT/metrics") || { echo "ERROR(no /metrics)"; return 1; }
	for ifc in "$NS_MID_CLI_IF" "$NS_MID_SRV_IF"; do
		v=$(awk -v m="rstwatch_wire_resets_total{netns=\"$MID_INO\",interface=\"$ifc\",direction=\"$1\"}" \
			'$1 == m { print $2 }' <<<"$m")
		sum=$((sum + ${v:-0}))
	done
	echo "$sum"
}

# wait_mid_wire DIR N: bounded wait until the middle's count reaches N, then a
# little more for anything extra to show
wait_mid_wire() {
	local i
	for ((i = 0; i < 60; i++)); do
		(($(mid_wire "$1") >= $2)) && break
		sleep 0.05
	done
	sleep 0.3
}

fw_reject_total() {
	local v
	v=$(metric 'rstwatch_resets_sent_total{cause="firewall_reject"}')
	echo "${v:-0}"
}

# genuine_resets WHAT PORT: closed port and abort_on_close, IPv4 and IPv6,
# through the middle; every RST an endpoint sent is forwarded once, none is
# the middle's own.
genuine_resets() {
	local what=$1 port=$2 scen fam total=0 fw0 ev0 fwd0 rcv0 snt0
	fw0=$(fw_reject_total)
	ev0=$(rw_count '.cause == "firewall_reject"')
	fwd0=$(mid_wire forwarded) rcv0=$(mid_wire received) snt0=$(mid_wire sent)
	for scen in closed_port abort_on_close; do
		for fam in 4 6; do
			run_scenario "$scen" "$fam" "$port"
			total=$((total + D_SRV + D_CLI))
			port=$((port + 1))
		done
	done
	((total >= 4)) || e2e_fail "$what: only $total resets sent by the endpoints"
	wait_mid_wire forwarded "$((fwd0 + total))"
	expect_eq "$what: forwarded RSTs == the endpoints' TcpOutRsts" \
		"$(($(mid_wire forwarded) - fwd0))" "$total"
	expect_eq "$what: RSTs arriving in the middle" "$(($(mid_wire received) - rcv0))" "$total"
	expect_eq "$what: RSTs the middle sent itself" "$(($(mid_wire sent) - snt0))" 0
	expect_eq "$what: firewall_reject counted" "$(($(fw_reject_total) - fw0))" 0
	expect_eq "$what: firewall_reject events" \
		"$(($(rw_count '.cause == "firewall_reject"') - ev0))" 0
}

# A router with no rules forwards its neighbours' resets: not firewall REJECTs.
test_forwarded_resets_routed() {
	fwd_setup route || return 1
	genuine_resets routed 27000
}

# A bridge forwards them too (a Docker bridge, a Kubernetes node).
test_forwarded_resets_bridged() {
	fwd_setup bridge || return 1
	genuine_resets bridged 27100
}

# rule_count TOOL FAMILY: packets the middle's REJECT rule matched
rule_count() {
	if [[ $1 == nft ]]; then
		ip netns exec "$MID_NS" nft list chain inet rwfw through |
			awk '/reject/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'
	else
		ip netns exec "$MID_NS" "$([[ $2 == 6 ]] && echo ip6tables || echo iptables)" \
			-L FORWARD -v -x -n | awk '/REJECT/ { print $1 }'
	fi
}

# reject_case TOOL FAMILY PORT: a FORWARD-chain REJECT in the router, made
# with TOOL; the client's SYN to the server is answered by the router.
reject_case() {
	local tool=$1 fam=$2 port=$3 srv_addr ipt=iptables fw0 fwd0 matched b_cli b_srv
	srv_addr=$NS_SRV_IP4
	[[ $fam == 6 ]] && srv_addr=$NS_SRV_IP6 ipt=ip6tables
	if [[ $tool == nft ]]; then
		ip netns exec "$MID_NS" nft add table inet rwfw
		ip netns exec "$MID_NS" nft add chain inet rwfw through '{ type filter hook forward priority 0; }'
		ip netns exec "$MID_NS" nft add rule inet rwfw through tcp dport "$port" counter \
			reject with tcp reset
	else
		ip netns exec "$MID_NS" "$ipt" -A FORWARD -p tcp --dport "$port" -j REJECT \
			--reject-with tcp-reset
	fi
	fw0=$(fw_reject_total)
	fwd0=$(mid_wire forwarded)
	b_cli=$(ns_nstat "$CLI_NS" TcpOutRsts)
	b_srv=$(ns_nstat "$SRV_NS" TcpOutRsts)
	ip netns exec "$CLI_NS" "$RSTGEN" client closed_port -a "$srv_addr" -p "$port" \
		-n rg-client -t 3000 >"$T/cli.$port" 2>&1
	expect_eq "$tool/$fam: client saw" "$(json_field "$T/cli.$port" "done" result)" ECONNREFUSED
	matched=$(rule_count "$tool" "$fam")
	expect_eq "$tool/$fam: SYNs the rule rejected" "$matched" 1
	rw_wait_count "(.netns == $MID_INO and .cause == \"firewall_reject\" and .lport == $port)" \
		"$matched" 5
	sleep 0.3
	expect_eq "$tool/$fam: firewall_reject events in the router == rule matches" \
		"$(rw_count "(.netns == $MID_INO and .cause == \"firewall_reject\" and .lport == $port)")" \
		"$matched"
	expect_eq "$tool/$fam: firewall_reject counted == rule matches" \
		"$(($(fw_reject_total) - fw0))" "$matched"
	expect_eq "$tool/$fam: forwarded RSTs (the endpoints sent none)" \
		"$(($(mid_wire forwarded) - fwd0))" \
		"$(($(ns_nstat "$CLI_NS" TcpOutRsts) - b_cli + $(ns_nstat "$SRV_NS" TcpOutRsts) - b_srv))"
	check_event "(.netns == $MID_INO and .cause == \"firewall_reject\" and .lport == $port)" \
		direction=sent family="$fam" laddr="$srv_addr"
	if [[ $tool == nft ]]; then
		ip netns exec "$MID_NS" nft delete table inet rwfw
	else
		ip netns exec "$MID_NS" "$ipt" -F FORWARD
	fi
}

# A REJECT in the FORWARD chain: the router makes that RST, so it is its
# firewall_reject, even though the SYN it answers was being forwarded; the
# genuine resets beside it are still only forwarded.
test_forward_chain_reject() {
	fwd_setup route || return 1
	reject_case nft 4 27200
	reject_case nft 6 27201
	reject_case iptables 4 27202
	reject_case iptables 6 27203
	genuine_resets "routed, beside the REJECT" 27210
	expect_eq "firewall_reject events, all told" "$(rw_count '.cause == "firewall_reject"')" 4
}
