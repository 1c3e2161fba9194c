# shellcheck shell=bash
#
# The wire view on devices without a link-layer header: a tun link (what
# WireGuard and VPN daemons use; tests/tools/tun_relay.py copies its packets
# between the two namespaces of a pair) carrying IPv4 and IPv6.  Its packets
# start at the IP header, not at an Ethernet header.  Truth: the endpoints'
# TcpOutRsts, and the nft REJECT rule's own counter.

# shellcheck source=tests/lib/scenario.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/scenario.sh"

TUN_RELAY=${TUN_RELAY:-$PWD/tests/tools/tun_relay.py}
TNL=rwtun0
: "${NS_TNL_CLI_IP4:=10.79.0.1}"
: "${NS_TNL_SRV_IP4:=10.79.0.2}"
: "${NS_TNL_CLI_IP6:=fd79::1}"
: "${NS_TNL_SRV_IP6:=fd79::2}"

# tunnel_end NS ADDR4 PEER4 ADDR6: the tun device's addresses at one end
tunnel_end() {
	ip -n "$1" addr add "$2" peer "$3" dev "$TNL" &&
		ip -n "$1" -6 addr add "$4/64" dev "$TNL" nodad &&
		ip -n "$1" link set "$TNL" up
}

# l3_setup [ARGS...]: a pair joined by the tun link, rstwatch serve --log ARGS
# attached to it at both ends; run_scenario then talks across it.
l3_setup() {
	local ns
	T=$(mktemp -d)
	PAIRS=()
	trap core_cleanup EXIT
	core_new_pair tnl || return 1
	ns_bg "$CLI_NS" "$T/relay" "$TUN_RELAY" "$CLI_NS" "$SRV_NS" "$TNL" 120 >/dev/null
	ns_wait_line "$T/relay" '^ready' 5 || { e2e_fail "tun relay: $(cat "$T/relay.err")"; return 1; }
	if ! tunnel_end "$CLI_NS" "$NS_TNL_CLI_IP4" "$NS_TNL_SRV_IP4" "$NS_TNL_CLI_IP6" ||
		! tunnel_end "$SRV_NS" "$NS_TNL_SRV_IP4" "$NS_TNL_CLI_IP4" "$NS_TNL_SRV_IP6"; then
		e2e_fail "tun addresses"
		return 1
	fi
	NS_SRV_IP4=$NS_TNL_SRV_IP4 NS_SRV_IP6=$NS_TNL_SRV_IP6 # where run_scenario connects
	RW_OUT=$T/log.json # rw_count and friends read serve's event log
	serve_start --log "$RW_OUT" "$@" || return 1
	for ns in "$SRV_INO" "$CLI_INO"; do
		ns_wait_line "$T/serve.err" "wire: $TNL \\(netns $ns\\).*from the IP header" 5 ||
			{ e2e_fail "$TNL (netns $ns): not attached as a device without link header"; return 1; }
	done
}

wire_all() { # one scrape: every rstwatch_wire_resets_total line
	curl -sf "http://127.0.0.1:$SERVE_PORT/metrics" | grep '^rstwatch_wire_resets_total{' ||
		echo "ERROR(no /metrics)"
}

# wire_of SCRAPE NETNS IF DIR: that interface's count in the scrape (0 if none)
wire_of() {
	awk -v m="rstwatch_wire_resets_total{netns=\"$2\",interface=\"$3\",direction=\"$4\"}" \
		'$1 == m { v = $2 } END { print v + 0 }' <<<"$1"
}

# wire_delta BEFORE AFTER NETNS IF DIR
wire_delta() {
	echo $(($(wire_of "$2" "$3" "$4" "$5") - $(wire_of "$1" "$3" "$4" "$5")))
}

# wait_wire NETNS IF DIR N: bounded wait until the count reaches N, then a
# little more for anything extra to show
wait_wire() {
	local i
	for ((i = 0; i < 60; i++)); do
		(($(wire_of "$(wire_all)" "$1" "$2" "$3") >= $4)) && break
		sleep 0.05
	done
	sleep 0.3
}

# genuine_resets: closed port and abort_on_close over the tun link, IPv4 and
# IPv6; every RST an endpoint's stack sent leaves through its end of the link
# and arrives through the other end, and none is counted on the pair's veth.
genuine_resets() {
	local scen fam tnl=$TNL port=28000 before after
	for fam in 4 6; do
		for scen in closed_port abort_on_close; do
			before=$(wire_all)
			run_scenario "$scen" "$fam" "$port"
			port=$((port + 1))
			((D_SRV + D_CLI > 0)) || e2e_fail "$scen/$fam: no resets sent by the endpoints"
			wait_wire "$SRV_INO" "$tnl" sent "$(($(wire_of "$before" "$SRV_INO" "$tnl" sent) + D_SRV))"
			after=$(wire_all)
			expect_eq "$scen/$fam: server's $tnl sent == its TcpOutRsts" \
				"$(wire_delta "$before" "$after" "$SRV_INO" "$tnl" sent)" "$D_SRV"
			expect_eq "$scen/$fam: client's $tnl sent == its TcpOutRsts" \
				"$(wire_delta "$before" "$after" "$CLI_INO" "$tnl" sent)" "$D_CLI"
			expect_eq "$scen/$fam: client's $tnl received == the server's TcpOutRsts" \
				"$(wire_delta "$before" "$after" "$CLI_INO" "$tnl" received)" "$D_SRV"
			expect_eq "$scen/$fam: server's $tnl received == the client's TcpOutRsts" \
				"$(wire_delta "$before" "$after" "$SRV_INO" "$tnl" received)" "$D_CLI"
			expect_eq "$scen/$fam: RSTs seen on the server's veth (none went there)" \
				"$(($(wire_delta "$before" "$after" "$SRV_INO" "$NS_IFNAME" sent) +
					$(wire_delta "$before" "$after" "$SRV_INO" "$NS_IFNAME" received)))" 0
		done
	done
}

# rejects: an nft REJECT in the server, IPv4 and IPv6 over the link; its RSTs are the
# server's firewall_reject, as many as the rule's counter says.
rejects() {
	local fam tnl=$TNL port=28100 srv_addr before after matched
	ip netns exec "$SRV_NS" nft add table inet rwfw
	ip netns exec "$SRV_NS" nft add chain inet rwfw in '{ type filter hook input priority 0; }'
	for fam in 4 6; do
		srv_addr=$NS_SRV_IP4
		[[ $fam == 6 ]] && srv_addr=$NS_SRV_IP6
		ip netns exec "$SRV_NS" nft add rule inet rwfw in tcp dport "$port" counter \
			reject with tcp reset
		before=$(wire_all)
		ip netns exec "$CLI_NS" "$RSTGEN" client closed_port -a "$srv_addr" -p "$port" \
			-n rg-client -t 3000 >"$T/cli.$port" 2>&1
		expect_eq "reject/$fam: client saw" "$(json_field "$T/cli.$port" "done" result)" \
			ECONNREFUSED
		matched=$(ip netns exec "$SRV_NS" nft list chain inet rwfw in |
			awk -v p="$port" '$0 ~ "dport " p " " { for (i = 1; i < NF; i++)
				if ($i == "packets") print $(i + 1) }')
		((matched >= 1)) || e2e_fail "reject/$fam: the rule matched '$matched' packets"
		wait_wire "$SRV_INO" "$tnl" sent "$(($(wire_of "$before" "$SRV_INO" "$tnl" sent) + matched))"
		after=$(wire_all)
		expect_eq "reject/$fam: server's $tnl sent == the rule's counter" \
			"$(wire_delta "$before" "$after" "$SRV_INO" "$tnl" sent)" "$matched"
		expect_eq "reject/$fam: client's $tnl received == the rule's counter" \
			"$(wire_delta "$before" "$after" "$CLI_INO" "$tnl" received)" "$matched"
		expect_eq "reject/$fam: firewall_reject events" \
			"$(rw_count "(.netns == $SRV_INO and .cause == \"firewall_reject\" and .lport == $port)")" \
			"$matched"
		port=$((port + 1))
	done
}

# rstwatch check names the tun device's link type, and the veth's
check_link_headers() {
	local out ifc want
	out=$("$RSTWATCH" check --json 2>/dev/null)
	for ifc in "$TNL" "$NS_IFNAME"; do
		want=none
		[[ $ifc == "$NS_IFNAME" ]] && want=ethernet
		expect_eq "check: $ifc's link_header" \
			"$(jq -r --arg i "$ifc" --argjson n "$SRV_INO" \
				'.wire[] | select(.ifname == $i and .netns == $n) | .link_header' <<<"$out")" \
			"$want"
	done
}

# TC at both ends (the default)
test_l3_devices_tc() {
	l3_setup || return 1
	genuine_resets
	rejects
	check_link_headers
}

# XDP (generic) at ingress: on such a device it starts at the IP header too
test_l3_devices_xdp() {
	l3_setup --xdp-mode generic || return 1
	genuine_resets
	rejects
}
