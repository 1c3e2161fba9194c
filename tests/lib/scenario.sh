# shellcheck shell=bash
# shellcheck disable=SC2034 # SRV_INO, D_SRV, ...: globals for the tests that source this
#
# Reset scenarios between a namespace pair, run with tests/tools/rstgen, and
# checks of rstwatch's events against the truth (TcpOutRsts per namespace, the
# processes' own view of their tuples and pids).

CG_DIRS=() # cgroups a test made: removed at cleanup
CORE_RW_ARGS=() # options core_setup gives rstwatch
SRV_ARGS=()     # options run_scenario gives the rstgen server

core_setup() {
	T=$(mktemp -d)
	PAIRS=()
	trap core_cleanup EXIT
	core_new_pair a || return 1
	rw_start "$T/rw.json" ${CORE_RW_ARGS[@]+"${CORE_RW_ARGS[@]}"}
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
	for p in "${CG_DIRS[@]}"; do [[ -d $p ]] && rmdir "$p"; done
	rm -rf "$T"
}

SERVE_PORT=19864

serve_start() { # ARGS...: rstwatch serve in the background on 127.0.0.1:SERVE_PORT
	"$RSTWATCH" serve -v --listen "127.0.0.1:$SERVE_PORT" "$@" >"$T/serve.out" 2>"$T/serve.err" &
	SERVE_PID=$!
	NS_BG_PIDS+=("$SERVE_PID")
	ns_wait_line "$T/serve.err" 'watching' 10 || { e2e_fail "serve: $(cat "$T/serve.err")"; return 1; }
}

metric() { # NAME{LABELS}: its value in a fresh scrape
	curl -sf "http://127.0.0.1:$SERVE_PORT/metrics" | awk -v m="$1" '$1 == m { print $2 }'
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
# SRV_NAME, if set, is the server's process name (default rg-server).
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
			-n "${SRV_NAME:-rg-server}" -t 8000 ${SRV_ARGS[@]+"${SRV_ARGS[@]}"} >/dev/null
		# shellcheck disable=SC2153 # NS_BG_PID is set by ns_bg (netns.sh)
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
		# the keepalive server holds its socket until stopped
		[[ $scen == keepalive ]] || wait_exit "$SRV_PID" 15 ||
			e2e_fail "$scen/$fam: server still running"
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
	if [[ $n != 1 ]]; then # string: an ERROR(...) from rw_count is not 1
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


# check_summary: stop rstwatch; its exact kernel counts (the exit summary's
# JSON, rw_start's --summary-json) must equal the events it printed (nothing
# lost, nothing extra) and the summary must say so.
check_summary() {
	local s=$RW_OUT.summary lines
	rw_stop
	lines=$(json_count "$RW_OUT" true)
	expect_eq "summary: events shown" "$(json_get "$s" .events.shown)" "$lines"
	expect_eq "summary: kernel count == events" "$(json_get "$s" .resets.total)" "$lines"
	expect_eq "summary: lost" "$(json_get "$s" .events.lost)" 0
	expect_eq "summary: malformed" "$(json_get "$s" .events.malformed)" 0
}
