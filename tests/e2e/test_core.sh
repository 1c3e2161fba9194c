# shellcheck shell=bash
#
# Core causes, produced for real between two namespaces over veth, IPv4 and
# IPv6.  For each scenario rstwatch's events are checked against the truth:
# the kernel's own TcpOutRsts in each namespace, the tuples and pids the two
# processes report about themselves, and what their sockets saw.

core_setup() {
	T=$(mktemp -d)
	PAIRS=()
	trap core_cleanup EXIT
	core_new_pair a || return 1
	rw_start "$T/rw.json"
}

# core_new_pair SUFFIX: a fresh namespace pair (SRV_NS, CLI_NS and inodes)
core_new_pair() {
	P=rwc$$$1
	PAIRS+=("$P")
	ns_pair_create "$P" || return 1
	SRV_NS=$P-srv
	CLI_NS=$P-cli
	SRV_INO=$(ns_inode "$SRV_NS")
	CLI_INO=$(ns_inode "$CLI_NS")
}

core_cleanup() {
	local pid p
	rw_stop
	for pid in "${NS_BG_PIDS[@]}"; do ns_stop "$pid" >/dev/null 2>&1; done
	for p in "${PAIRS[@]}"; do ns_pair_destroy "$p"; done
	rm -rf "$T"
}

# json_field FILE EVENT FIELD: a field of the first line of FILE with that event
json_field() {
	jq -r --arg ev "$2" "select(.event == \$ev) | .$3" "$1" | head -n 1
}

# wait_exit PID SECONDS: bounded wait for a background process to exit
wait_exit() {
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		_ns_pid_alive "$1" || return 0
		sleep 0.05
	done
	return 1
}

# run_scenario SCEN FAMILY PORT: runs server and client, sets D_SRV/D_CLI
# (TcpOutRsts deltas), SRV_OUT/CLI_OUT (their JSON lines), SRV_PID/CLI_PID.
run_scenario() {
	local scen=$1 fam=$2 port=$3 srv_addr b_srv b_cli
	srv_addr=$NS_SRV_IP4
	[[ $fam == 6 ]] && srv_addr=$NS_SRV_IP6
	SRV_OUT=$T/$scen.$fam.srv
	CLI_OUT=$T/$scen.$fam.cli
	SRV_PID=
	b_srv=$(ns_nstat "$SRV_NS" TcpOutRsts)
	b_cli=$(ns_nstat "$CLI_NS" TcpOutRsts)
	if [[ $scen != closed_port ]]; then
		ns_bg "$SRV_NS" "$SRV_OUT" "$RSTGEN" server "$scen" -a "$srv_addr" -p "$port" \
			-n rg-server -t 8000 >/dev/null
		SRV_PID=$NS_BG_PID
		ns_wait_line "$SRV_OUT" '"listening"' 5 || { e2e_fail "$scen/$fam: server not listening"; return 1; }
	fi
	ns_bg "$CLI_NS" "$CLI_OUT" "$RSTGEN" client "$scen" -a "$srv_addr" -p "$port" \
		-n rg-client -t 8000 >/dev/null
	CLI_PID=$NS_BG_PID
	if [[ $scen == keepalive ]]; then
		# the server stops answering: keepalive probes go unanswered
		ns_wait_line "$CLI_OUT" '"connected"' 5 || e2e_fail "$scen/$fam: client not connected"
		ip netns exec "$SRV_NS" sysctl -qw "net.ipv6.conf.$NS_IFNAME.keep_addr_on_down=1"
		ip -n "$SRV_NS" link set "$NS_IFNAME" down
	fi
	wait_exit "$CLI_PID" 15 || e2e_fail "$scen/$fam: client still running"
	wait "$CLI_PID"
	expect_eq "$scen/$fam client exit status" "$?" 0 || cat "$CLI_OUT.err"
	if [[ -n $SRV_PID ]]; then
		wait_exit "$SRV_PID" 15 || e2e_fail "$scen/$fam: server still running"
		ns_stop "$SRV_PID" >/dev/null
		wait "$SRV_PID" 2>/dev/null
	fi
	D_SRV=$(($(ns_nstat "$SRV_NS" TcpOutRsts) - b_srv))
	D_CLI=$(($(ns_nstat "$CLI_NS" TcpOutRsts) - b_cli))
}

# sel NSINO DIR PORT: jq filter for this scenario's events in one namespace
sel() {
	echo ".netns == $1 and .direction == \"$2\" and (.lport == $3 or .rport == $3)"
}

# check_sent_count NSINO DELTA PORT WHAT: events sent in the ns == TcpOutRsts delta
check_sent_count() {
	rw_wait_count "$(sel "$1" sent "$3")" "$2" 5
	sleep 0.2 # anything extra would show up now
	expect_eq "$4: sent events == TcpOutRsts delta" "$(rw_count "$(sel "$1" sent "$3")")" "$2"
}

# check_event FILTER FIELD=VALUE...: exactly one event matches and has these fields
check_event() {
	local filter=$1 ev kv k v n
	shift
	n=$(rw_count "$filter")
	if [[ $n -ne 1 ]]; then
		e2e_fail "want exactly 1 event for ($filter), got $n"
		rw_events "$filter" | head -5 | sed 's/^/      /'
		return 1
	fi
	ev=$(rw_events "$filter")
	for kv in "$@"; do
		k=${kv%%=*}
		v=${kv#*=}
		expect_eq "$k of ($filter)" "$(jq -r ".$k" <<<"$ev")" "$v" || echo "      $ev"
	done
}

# side_tuple FILE: "laddr lport raddr rport" from a rstgen connected line
side_fields() {
	local f=$1
	echo "laddr=$(json_field "$f" connected laddr)" "lport=$(json_field "$f" connected lport)" \
		"raddr=$(json_field "$f" connected raddr)" "rport=$(json_field "$f" connected rport)"
}

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
		case $(json_field "$CLI_OUT" done result) in
		ECONNRESET | EPIPE) ;;
		*) e2e_fail "$scen/$fam: client saw $(json_field "$CLI_OUT" done result)" ;;
		esac
		expect_eq "$scen/$fam: no reset received in the server ns" \
			"$(rw_count "$(sel "$SRV_INO" received "$port")")" 0
		ctx=$(rw_events "$(sel "$SRV_INO" sent "$port")" | jq -r .context)
		echo "    $scen/$fam: $cause, context $ctx"
		port=$((port + 1))
	done
}

test_closed_port() {
	local fam port=21000 lport cli_pid
	core_setup || return 1
	for fam in 4 6; do
		run_scenario closed_port "$fam" "$port"
		expect_eq "closed_port/$fam: server TcpOutRsts delta" "$D_SRV" 1
		check_sent_count "$SRV_INO" "$D_SRV" "$port" "closed_port/$fam"
		check_sent_count "$CLI_INO" "$D_CLI" "$port" "closed_port/$fam client"
		cli_pid=$(json_field "$CLI_OUT" done pid)
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
		expect_eq "closed_port/$fam: client saw" "$(json_field "$CLI_OUT" done result)" \
			ECONNREFUSED
		port=$((port + 1))
	done
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
		expect_eq "keepalive/$fam: client saw" "$(json_field "$CLI_OUT" done result)" ETIMEDOUT
		port=$((port + 1))
	done
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
