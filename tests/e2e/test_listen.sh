# shellcheck shell=bash
#
# Accept-queue overflow.  The kernel only overflows at the handshake's final
# ACK when connection requests were queued while the accept queue still had
# room, so: one client connects (queue 1 of backlog 1), two more handshakes
# are held at SYN_RECV by dropping the clients' pure ACKs (nft), then their
# first data completes them: the first fills the queue, the second overflows.

# shellcheck source=tests/lib/scenario.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/scenario.sh"

# overflow_run OVERFLOW_SYSCTL PORT: sets SRV_PID, D_SRV, OVF (ListenOverflows delta)
overflow_run() {
	local abort=$1 port=$2 b_ovf
	ip netns exec "$SRV_NS" sysctl -qw "net.ipv4.tcp_abort_on_overflow=$abort"
	ns_bg "$SRV_NS" "$T/srv.$port" "$RSTGEN" server listen_overflow -a "$NS_SRV_IP4" \
		-p "$port" -n rg-server -t 4000 >/dev/null
	SRV_PID=$NS_BG_PID
	ns_wait_line "$T/srv.$port" '"listening"' 5 || { e2e_fail "server not listening"; return 1; }
	b_ovf=$(ns_nstat "$SRV_NS" TcpExtListenOverflows)
	local b_srv
	b_srv=$(ns_nstat "$SRV_NS" TcpOutRsts)
	# shellcheck disable=SC2016 # expanded by the inner shell
	ip netns exec "$CLI_NS" bash -c '
		set -e
		exec 3<>"/dev/tcp/$1/$2"
		sleep 0.1
		nft add table inet rwtest
		nft add chain inet rwtest out "{ type filter hook output priority 0; }"
		nft add rule inet rwtest out tcp dport "$2" tcp flags == ack drop
		exec 4<>"/dev/tcp/$1/$2"
		exec 5<>"/dev/tcp/$1/$2"
		sleep 0.1
		nft delete table inet rwtest
		echo a >&4
		sleep 0.1
		echo b >&5
		sleep 0.5' _ "$NS_SRV_IP4" "$port" 2>"$T/cli.$port.err" ||
		e2e_fail "client: $(cat "$T/cli.$port.err")"
	ip netns exec "$CLI_NS" nft delete table inet rwtest 2>/dev/null
	OVF=$(($(ns_nstat "$SRV_NS" TcpExtListenOverflows) - b_ovf))
	D_SRV=$(($(ns_nstat "$SRV_NS" TcpOutRsts) - b_srv))
}

test_listen_overflow_reset() {
	local pid
	core_setup || return 1
	overflow_run 1 23000 || return 1
	pid=$(json_field "$T/srv.23000" listening pid)
	expect_eq "ListenOverflows delta" "$OVF" 1
	expect_eq "TcpOutRsts delta" "$D_SRV" 1
	rw_wait_count "(.netns == $SRV_INO and .direction == \"sent\")" 1 5
	check_event "(.netns == $SRV_INO and .direction == \"sent\" and .lport == 23000)" \
		cause=listen_overflow kernel_reason=INVALID_SYN state=LISTEN pid="$pid" \
		comm=rg-server laddr="$NS_SRV_IP4" raddr="$NS_CLI_IP4" backlog=2 backlog_max=1
	ns_stop "$SRV_PID" >/dev/null
}

test_listen_drop() {
	local pid n
	core_setup || return 1
	overflow_run 0 23100 || return 1
	pid=$(json_field "$T/srv.23100" listening pid)
	expect_eq "ListenOverflows delta" "$((OVF > 0))" 1
	expect_eq "TcpOutRsts delta (no reset with tcp_abort_on_overflow=0)" "$D_SRV" 0
	rw_wait_count "(.netns == $SRV_INO and .cause == \"listen_drop\")" "$OVF" 5
	n=$(rw_count "(.netns == $SRV_INO and .cause == \"listen_drop\")")
	expect_eq "listen_drop events == ListenOverflows delta" "$n" "$OVF"
	rw_events "(.netns == $SRV_INO and .cause == \"listen_drop\")" | head -n 1 >"$T/ev"
	expect_eq "listen_drop owner" "$(jq -r '"\(.pid) \(.comm) \(.lport) \(.kernel_reason)"' "$T/ev")" \
		"$pid rg-server 23100 TCP_LISTEN_OVERFLOW"
	ns_stop "$SRV_PID" >/dev/null
}

# The listener goes away (its process is stopped) with connections it never
# accepted: each is reset, owned by the process that closed the listener.
test_listener_closed() {
	local pid n b
	core_setup || return 1
	ns_bg "$SRV_NS" "$T/srv" "$RSTGEN" server listen_overflow -a "$NS_SRV_IP4" \
		-p 23200 -n rg-server -t 8000 >/dev/null
	SRV_PID=$NS_BG_PID
	ns_wait_line "$T/srv" '"listening"' 5 || { e2e_fail "server not listening"; return 1; }
	pid=$(json_field "$T/srv" listening pid)
	# two clients that stay connected while the listener goes away
	# shellcheck disable=SC2016 # expanded by the inner shell
	ns_bg "$CLI_NS" "$T/cli" bash -c 'exec 3<>"/dev/tcp/$1/23200" 4<>"/dev/tcp/$1/23200"
		echo connected; sleep 3' _ "$NS_SRV_IP4" >/dev/null
	ns_wait_line "$T/cli" connected 5 || { e2e_fail "clients: $(cat "$T/cli.err")"; return 1; }
	sleep 0.2
	b=$(ns_nstat "$SRV_NS" TcpOutRsts)
	ns_stop "$SRV_PID" >/dev/null
	sleep 0.3
	n=$(($(ns_nstat "$SRV_NS" TcpOutRsts) - b))
	expect_eq "resets when the listener closed (TcpOutRsts)" "$n" 2
	rw_wait_count "(.netns == $SRV_INO and .cause == \"listener_closed\")" 2 5
	expect_eq "sent events on the port == TcpOutRsts delta" \
		"$(rw_count "(.netns == $SRV_INO and .direction == \"sent\" and .lport == 23200)")" "$n"
	expect_eq "owners" "$(rw_events "(.netns == $SRV_INO and .cause == \"listener_closed\")" |
		jq -r '"\(.pid) \(.comm) \(.kernel_reason)"' | sort -u)" "$pid rg-server TCP_STATE"
}
