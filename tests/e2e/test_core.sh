# shellcheck shell=bash
#
# Core causes, produced for real between two namespaces over veth, IPv4 and
# IPv6.  For each scenario rstwatch's events are checked against the truth:
# the kernel's own TcpOutRsts in each namespace, the tuples and pids the two
# processes report about themselves, and what their sockets saw.

# shellcheck source=tests/lib/scenario.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/scenario.sh"

# A reset sent by the server's host; the client receives it.  OWNER is
# "server" (the server process owns the socket) or "none" (no socket left).
server_reset_case() {
	local scen=$1 cause=$2 port=$3 owner=${4:-server} fam ctx want_pid want_comm
	core_setup || return 1
	for fam in 4 6; do
		run_scenario "$scen" "$fam" "$port"
		expect_eq "$scen/$fam: server TcpOutRsts delta" "$D_SRV" 1
		expect_eq "$scen/$fam: client TcpOutRsts delta" "$D_CLI" 0
		check_sent_count "$SRV_INO" "$D_SRV" "$port" "$scen/$fam server"
		check_sent_count "$CLI_INO" "$D_CLI" "$port" "$scen/$fam client"
		want_pid=$(json_field "$SRV_OUT" listening pid)
		want_comm=rg-server
		if [[ $owner == child ]]; then
			want_pid=$(json_field "$SRV_OUT" handoff child)
			[[ $want_pid =~ ^[0-9]+$ ]] || e2e_fail "$scen/$fam: no handoff line"
		fi
		if [[ $owner == none ]]; then
			want_pid=null
			want_comm=null
		fi
		# shellcheck disable=SC2046
		check_event "$(sel "$SRV_INO" sent "$port")" cause="$cause" family="$fam" \
			pid="$want_pid" comm="$want_comm" $(side_fields "$SRV_OUT")
		# shellcheck disable=SC2046
		check_event "$(sel "$CLI_INO" received "$port")" cause=peer_reset \
			pid="$(json_field "$CLI_OUT" connected pid)" comm=rg-client \
			$(side_fields "$CLI_OUT")
		# a write may see EPIPE once the reset has closed the socket
		case $(json_field "$CLI_OUT" "done" result) in
		ECONNRESET | EPIPE) ;;
		*) e2e_fail "$scen/$fam: client saw $(json_field "$CLI_OUT" "done" result)" ;;
		esac
		expect_eq "$scen/$fam: no reset received in the server ns" \
			"$(rw_count "$(sel "$SRV_INO" received "$port")")" 0
		ctx=$(rw_events "$(sel "$SRV_INO" sent "$port")" | jq -r .context)
		echo "    $scen/$fam: $cause, context $ctx"
		port=$((port + 1))
	done
	check_summary
}

test_closed_port() {
	local fam port=21000 lport cli_pid
	core_setup || return 1
	for fam in 4 6; do
		run_scenario closed_port "$fam" "$port"
		expect_eq "closed_port/$fam: server TcpOutRsts delta" "$D_SRV" 1
		check_sent_count "$SRV_INO" "$D_SRV" "$port" "closed_port/$fam"
		check_sent_count "$CLI_INO" "$D_CLI" "$port" "closed_port/$fam client"
		cli_pid=$(json_field "$CLI_OUT" "done" pid)
		check_event "$(sel "$CLI_INO" received "$port")" cause=refused state=SYN_SENT \
			pid="$cli_pid" comm=rg-client family="$fam" rport="$port"
		lport=$(rw_events "$(sel "$CLI_INO" received "$port")" | jq -r .lport)
		# no socket, no owner: the client process on the CPU must not be named
		if [[ $fam == 4 ]]; then
			check_event "$(sel "$SRV_INO" sent "$port")" cause=closed_port \
				kernel_reason=NO_SOCKET pid=null comm=null state=null \
				laddr="$NS_SRV_IP4" lport="$port" raddr="$NS_CLI_IP4" rport="$lport"
		else
			check_event "$(sel "$SRV_INO" sent "$port")" cause=closed_port \
				kernel_reason=NO_SOCKET pid=null comm=null state=null \
				laddr="$NS_SRV_IP6" lport="$port" raddr="$NS_CLI_IP6" rport="$lport"
		fi
		expect_eq "closed_port/$fam: client saw" "$(json_field "$CLI_OUT" "done" result)" \
			ECONNREFUSED
		port=$((port + 1))
	done
	check_summary
}

# The server's socket vanished without a FIN (TCP_REPAIR close): the reset
# for the client's next segment has no socket, so no owner may be named.
test_no_socket() {
	server_reset_case no_socket no_socket 21100 none
}

test_abort_on_close() {
	server_reset_case abort_on_close abort_on_close 21200
}

test_linger_abort() {
	server_reset_case linger_abort linger_abort 21300
}

test_linger2_abort() {
	server_reset_case linger2_abort linger2_abort 21400
}

# The reset is sent in softirq while the client is in sendto(): it must be
# attributed to the server, which owns the socket, not to the client on the CPU.
test_abort_on_data() {
	server_reset_case abort_on_data abort_on_data 21500
}

# The server reads, then hands the socket to a child that shuts it down: the
# owner recorded for the socket changes to the child, and the reset in
# softirq is the child's (the per-CPU cache of recorded owners must not keep
# the parent).
test_abort_on_data_handoff() {
	SRV_ARGS=(-H)
	server_reset_case abort_on_data abort_on_data 21540 child
	SRV_ARGS=()
}

# Where owners cannot be kept on the socket (before 5.12, or --disable
# sk-storage) they are in the keyed map: the reset in softirq is still the
# server's.
test_abort_on_data_keyed_owners() {
	CORE_RW_ARGS=(--disable sk-storage)
	server_reset_case abort_on_data abort_on_data 21520
	grep -q 'owners in a keyed LRU map, not on the socket: --disable sk-storage' "$RW_OUT.err" ||
		e2e_fail "keyed owners not said: $(cat "$RW_OUT.err")"
}

test_closed_then_data() {
	server_reset_case closed_then_data timewait 21600
}

test_keepalive_timeout() {
	local fam port=21700
	core_setup || return 1
	for fam in 4 6; do
		# a pair per family: the server side stays down, its late FIN unanswered
		[[ $fam == 6 ]] && { core_new_pair b || return 1; }
		run_scenario keepalive "$fam" "$port"
		expect_eq "keepalive/$fam: client TcpOutRsts delta" "$D_CLI" 1
		check_sent_count "$CLI_INO" "$D_CLI" "$port" "keepalive/$fam client"
		check_sent_count "$SRV_INO" "$D_SRV" "$port" "keepalive/$fam server"
		# shellcheck disable=SC2046
		check_event "$(sel "$CLI_INO" sent "$port")" cause=keepalive_timeout \
			pid="$(json_field "$CLI_OUT" connected pid)" comm=rg-client context=timer \
			$(side_fields "$CLI_OUT")
		expect_eq "keepalive/$fam: client saw" "$(json_field "$CLI_OUT" "done" result)" ETIMEDOUT
		port=$((port + 1))
	done
	check_summary
}

# A graceful close resets nothing: rstwatch must report nothing.
test_graceful_close_no_events() {
	local fam port=21800
	core_setup || return 1
	for fam in 4 6; do
		run_scenario peer_close "$fam" "$port"
		expect_eq "peer_close/$fam: TcpOutRsts" "$D_SRV/$D_CLI" 0/0
		sleep 0.3
		expect_eq "peer_close/$fam: events" \
			"$(rw_count "(.netns == $SRV_INO or .netns == $CLI_INO)")" 0
		port=$((port + 1))
	done
}

# connect(AF_UNSPEC) on a connected socket: the client resets its own connection.
test_disconnect() {
	local fam port=21900
	core_setup || return 1
	for fam in 4 6; do
		run_scenario disconnect "$fam" "$port"
		expect_eq "disconnect/$fam: client TcpOutRsts delta" "$D_CLI" 1
		check_sent_count "$CLI_INO" "$D_CLI" "$port" "disconnect/$fam client"
		check_sent_count "$SRV_INO" "$D_SRV" "$port" "disconnect/$fam server"
		# shellcheck disable=SC2046
		check_event "$(sel "$CLI_INO" sent "$port")" cause=disconnect kernel_reason=TCP_STATE \
			pid="$(json_field "$CLI_OUT" connected pid)" comm=rg-client \
			context=syscall:connect $(side_fields "$CLI_OUT")
		# shellcheck disable=SC2046
		check_event "$(sel "$SRV_INO" received "$port")" cause=peer_reset \
			pid="$(json_field "$SRV_OUT" listening pid)" comm=rg-server $(side_fields "$SRV_OUT")
		port=$((port + 1))
	done
	check_summary
}

# ss -K destroys the server's socket: the reset is made by ss, in its sendmsg
# on a netlink socket, but the socket belongs to the server.
# An accepted socket its process never read or wrote, reset from outside in
# softirq: nothing in the kernel names its owner, /proc/PID/fd does (a process
# that keeps the socket open after the reset; ss -e gives the inode).
test_owner_from_procfs() {
	local port=22600 srv_pid ino
	core_setup || return 1
	ns_bg "$SRV_NS" "$T/srv" /usr/bin/python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
s.listen()
print("listening", flush=True)
c, _ = s.accept()
print("accepted", flush=True)
time.sleep(8)' "$NS_SRV_IP4" "$port" >/dev/null
	srv_pid=$NS_BG_PID
	ns_wait_line "$T/srv" listening 5 || return 1
	ns_bg "$CLI_NS" "$T/cli" "$RSTGEN" client hold -a "$NS_SRV_IP4" -p "$port" -n rg-client \
		-t 5000 >/dev/null
	CLI_PID=$NS_BG_PID
	ns_wait_line "$T/srv" accepted 5 || return 1
	ino=$(ip netns exec "$SRV_NS" ss -Htne state established "( sport = :$port )" 2>/dev/null |
		grep -o 'ino:[0-9]*' | cut -d: -f2)
	ip netns exec "$CLI_NS" ss -K state established "( dport = :$port )" >/dev/null 2>&1
	wait_exit "$CLI_PID" 5 || e2e_fail "client still holding"
	rw_wait_count "$(sel "$SRV_INO" received "$port")" 1 5
	check_event "$(sel "$SRV_INO" received "$port")" cause=peer_reset context=softirq \
		owner_source=procfs pid="$srv_pid" comm=python3 sock_inode="$ino" lport="$port" \
		rport="$(json_field "$T/cli" connected lport)"
	ns_stop "$srv_pid" >/dev/null
}

test_admin_kill() {
	local fam port=22500 srv_addr
	core_setup || return 1
	for fam in 4 6; do
		srv_addr=$NS_SRV_IP4
		[[ $fam == 6 ]] && srv_addr=$NS_SRV_IP6
		local b_srv b_cli
		b_srv=$(ns_nstat "$SRV_NS" TcpOutRsts)
		b_cli=$(ns_nstat "$CLI_NS" TcpOutRsts)
		ns_bg "$SRV_NS" "$T/srv.$fam" "$RSTGEN" server hold -a "$srv_addr" -p "$port" \
			-n rg-server -t 6000 >/dev/null
		SRV_PID=$NS_BG_PID
		ns_wait_line "$T/srv.$fam" '"listening"' 5 || return 1
		ns_bg "$CLI_NS" "$T/cli.$fam" "$RSTGEN" client hold -a "$srv_addr" -p "$port" \
			-n rg-client -t 5000 >/dev/null
		CLI_PID=$NS_BG_PID
		ns_wait_line "$T/srv.$fam" '"connected"' 5 || return 1
		ip netns exec "$SRV_NS" ss -K state established "( sport = :$port )" >/dev/null 2>&1
		wait_exit "$SRV_PID" 5 || e2e_fail "admin_kill/$fam: server still holding"
		wait_exit "$CLI_PID" 5 || e2e_fail "admin_kill/$fam: client still holding"
		expect_eq "admin_kill/$fam: server TcpOutRsts" "$(($(ns_nstat "$SRV_NS" TcpOutRsts) - b_srv))" 1
		expect_eq "admin_kill/$fam: client TcpOutRsts" "$(($(ns_nstat "$CLI_NS" TcpOutRsts) - b_cli))" 0
		check_sent_count "$SRV_INO" 1 "$port" "admin_kill/$fam server"
		# shellcheck disable=SC2046
		check_event "$(sel "$SRV_INO" sent "$port")" cause=admin_kill kernel_reason=TCP_STATE \
			pid="$(json_field "$T/srv.$fam" listening pid)" comm=rg-server task_comm=ss \
			$(side_fields "$T/srv.$fam")
		# shellcheck disable=SC2046
		check_event "$(sel "$CLI_INO" received "$port")" cause=peer_reset comm=rg-client \
			$(side_fields "$T/cli.$fam")
		port=$((port + 1))
	done
	check_summary
}

# A SYN to a port that had a listener: the closed_port event still names no
# owner, but says who listened there last and how long ago it stopped.
test_closed_port_history() {
	local pid port=22600 ev
	core_setup || return 1
	ns_bg "$SRV_NS" "$T/srv" "$RSTGEN" server hold -a "$NS_SRV_IP4" -p "$port" \
		-n rg-server -t 300 >/dev/null
	SRV_PID=$NS_BG_PID
	ns_wait_line "$T/srv" '"listening"' 5 || return 1
	pid=$(json_field "$T/srv" listening pid)
	wait_exit "$SRV_PID" 5 || e2e_fail "server did not time out"
	sleep 0.5
	ip netns exec "$CLI_NS" "$RSTGEN" client closed_port -a "$NS_SRV_IP4" -p "$port" \
		-n rg-client -t 3000 >"$T/cli" 2>&1
	rw_wait_count "$(sel "$SRV_INO" sent "$port")" 1 5
	check_event "$(sel "$SRV_INO" sent "$port")" cause=closed_port pid=null comm=null \
		last_listener.pid="$pid" last_listener.comm=rg-server
	ev=$(rw_events "$(sel "$SRV_INO" sent "$port")")
	# it stopped at least the 0.5 s we slept before the SYN, and not minutes ago
	jq -e '.last_listener.stopped_ns_before > 400000000 and
		.last_listener.stopped_ns_before < 10000000000' <<<"$ev" >/dev/null ||
		e2e_fail "stopped_ns_before: $ev"
	[[ $(jq -r .last_listener.text <<<"$ev") =~ ^last\ listener\ rg-server\[$pid\]\ stopped\ [0-9.]+\ s\ before$ ]] ||
		e2e_fail "history text: $ev"
}

# Too many orphaned sockets: a close becomes a reset (TCP_ABORT_ON_MEMORY).
# tcp_max_orphans is global: it is set to 0 only for the moment of one close,
# and restored by a trap whatever happens.  The kernel compares a cached orphan
# count (refreshed every 100 ms), so one orphan is made first: a client whose
# FIN cannot leave (nft) stays in FIN_WAIT1 after its close.
ORPHANS_SAVED=
test_abort_on_memory() {
	local pid b port=22800
	core_setup || return 1
	ORPHANS_SAVED=$(cat /proc/sys/net/ipv4/tcp_max_orphans)
	trap '[[ -n $ORPHANS_SAVED ]] && echo "$ORPHANS_SAVED" >/proc/sys/net/ipv4/tcp_max_orphans; core_cleanup' EXIT
	# the orphan: a connection on another port whose client closes into a black hole
	ns_bg "$SRV_NS" "$T/osrv" "$RSTGEN" server hold -a "$NS_SRV_IP4" -p $((port + 1)) \
		-n rg-server -t 5000 >/dev/null
	ns_wait_line "$T/osrv" '"listening"' 5 || return 1
	ns_bg "$CLI_NS" "$T/ocli" "$RSTGEN" client hold -a "$NS_SRV_IP4" -p $((port + 1)) \
		-n rg-orphan -t 5000 >/dev/null
	ns_wait_line "$T/ocli" '"connected"' 5 || return 1
	ip netns exec "$CLI_NS" nft add table inet rwtest
	ip netns exec "$CLI_NS" nft add chain inet rwtest out '{ type filter hook output priority 0; }'
	ip netns exec "$CLI_NS" nft add rule inet rwtest out tcp dport $((port + 1)) drop
	ns_stop "$NS_BG_PID" >/dev/null
	sleep 0.3
	[[ $(ip netns exec "$CLI_NS" ss -Htan state fin-wait-1 | wc -l) -ge 1 ]] ||
		e2e_fail "no orphan in FIN_WAIT1 to start from"
	# the connection whose close will be refused a FIN
	ns_bg "$SRV_NS" "$T/srv" "$RSTGEN" server hold -a "$NS_SRV_IP4" -p "$port" -n rg-server \
		-t 5000 >/dev/null
	pid=$NS_BG_PID
	ns_wait_line "$T/srv" '"listening"' 5 || return 1
	ns_bg "$CLI_NS" "$T/cli" "$RSTGEN" client hold -a "$NS_SRV_IP4" -p "$port" -n rg-client \
		-t 5000 >/dev/null
	ns_wait_line "$T/srv" '"connected"' 5 || return 1
	b=$(ns_nstat "$SRV_NS" TcpExtTCPAbortOnMemory)
	echo 0 >/proc/sys/net/ipv4/tcp_max_orphans
	kill -TERM "$pid"
	wait_exit "$pid" 3
	echo "$ORPHANS_SAVED" >/proc/sys/net/ipv4/tcp_max_orphans
	expect_eq "tcp_max_orphans restored" "$(cat /proc/sys/net/ipv4/tcp_max_orphans)" "$ORPHANS_SAVED"
	expect_eq "TCPAbortOnMemory delta" "$(($(ns_nstat "$SRV_NS" TcpExtTCPAbortOnMemory) - b))" 1
	# (a segment of the client's crossing the reset may draw a NO_SOCKET reset too)
	rw_wait_count "$(sel "$SRV_INO" sent "$port") and .cause == \"abort_on_memory\"" 1 5
	check_event "$(sel "$SRV_INO" sent "$port") and .cause == \"abort_on_memory\"" \
		kernel_reason=TCP_ABORT_ON_MEMORY pid="$pid" comm=rg-server
}
