#!/usr/bin/env bash
#
# bench/run.sh: what watching costs a host under a TCP reset flood.
#
# A private namespace pair (rwbench<PID>-cli, rwbench<PID>-srv) joined by a
# veth pair; bench/flood sends SYNs from the client to a closed port of the
# server as fast as it can and the server's kernel answers each with a RST
# (closed_port).  Rounds alternate between the configurations below (the order
# rotates every round); each configuration gets the median of its rounds:
#
#   none      no monitor
#   json      rstwatch --json > /dev/null
#   serve     rstwatch serve (counters only, /metrics scraped after the flood)
#   bt_count  bpftrace: count tcp_send_reset by reason
#   bt_print  bpftrace: print each tcp_send_reset
#   tcpdump   tcpdump capturing RSTs to a file in the server namespace
#
# and diagnostic configurations (fewer rounds) that take rstwatch apart:
#   json_nostats  json with kernel.bpf_stats_enabled left off
#   json_nowire   json --disable wire (no XDP/TC on the veth pair)
#   json_lean     json --disable wire,drops,receive,owner-io
#   json_paused   json with a 1 GiB ring buffer, stopped (SIGSTOP) during the
#                 flood: the kernel side alone, without wakeups or a consumer
#   json_stalled  the same with a 64 MiB ring: the ring fills past its wakeup
#                 threshold (a quarter), after which every record forces a wakeup
#   json_native   json with --xdp-mode native (veth in NAPI mode, a copy per packet)
#   serve_nostats serve as an operator runs it: bpf_stats left off
#   serve_lean    serve --disable wire,drops,receive,owner-io: one program per reset
#
# rstwatch runs with -v only to see its "watching" line (everything attached)
# before the flood starts; its exit summary is read from --summary-json.
#
# then a burst of BURST resets with default settings (rstwatch --json to a
# file), and a perf profile of one json round.  Results: bench/results.md.
#
# Every rstwatch instance gets `-i IFNAME` (the benchmark's own veth name) so
# that its XDP/TC programs stay off other namespaces' interfaces; our veth pair
# gets exactly what it would get by default.
#
# Needs root.  Environment: ROUNDS (5), DIAG_ROUNDS (3), DURATION (3 s per
# flood), BURST (300000), PROFILE (1), RESULTS (bench/results.md),
# RSTWATCH (.output/rstwatch), FLOOD (.output/bench/flood), WAIT_BUDGET (120 s
# in all of waiting for other reset monitors to go away; rounds that would
# still meet one are skipped and say so), MAX_RETRIES (6),
# KEEP (a directory to keep the raw measurements in), REPORT_FROM (write
# RESULTS again from such a directory, measuring nothing), CONFIGS (a quick
# look: only these configurations, ROUNDS rounds each, rates printed, no
# burst, profile (QUICK_PROFILE=1: one, printed) or results.md).

set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
REPO=$PWD

ROUNDS=${ROUNDS:-5}
DIAG_ROUNDS=${DIAG_ROUNDS:-3}
DURATION=${DURATION:-3}
BURST=${BURST:-300000}
PROFILE=${PROFILE:-1}
RESULTS=${RESULTS:-$REPO/bench/results.md}
RSTWATCH_BIN=${RSTWATCH:-$REPO/.output/rstwatch}
FLOOD_BIN=${FLOOD:-$REPO/.output/bench/flood}
MAX_RETRIES=${MAX_RETRIES:-6}
WAIT_BUDGET=${WAIT_BUDGET:-120}

MAIN_CONFIGS=(none json serve bt_count bt_print tcpdump)
DIAG_CONFIGS=(json_nostats json_nowire json_lean json_paused json_stalled json_native serve_nostats serve_lean)
QUICK=0
if [[ -n ${CONFIGS:-} ]]; then
	read -ra MAIN_CONFIGS <<<"$CONFIGS"
	DIAG_CONFIGS=()
	QUICK=1
fi

BT_COUNT_PROG='tracepoint:tcp:tcp_send_reset { @[args->reason] = count(); }'
BT_PRINT_PROG='tracepoint:tcp:tcp_send_reset { printf("%d %d\n", args->state, args->reason); }'
METRICS_PORT=9864

PFX=rwbench$$
# shellcheck source=/dev/null
. "$REPO/tests/lib/netns.sh"
NS_IFNAME=$PFX
NS_CLI_IP4=10.99.0.1
NS_SRV_IP4=10.99.0.2
CLI=$PFX-cli
SRV=$PFX-srv
MON=$PFX-mon

TMP=
MON_PID=
FLOOD_PID=
STATS_ORIG=
STATS_CHANGED=0
RETRIES=0
WAITED_US=0
ROUNDS_FILE=
LAST_FOREIGN=0
MON_FAIL=
BPFTRACE=
BPFTRACE_WHY=
TCPDUMP=
HZ=100
RW=
FLOOD=
RUN_REV=unknown
RUN_DIRTY=0

say() {
	printf 'bench: %s\n' "$*" >&2
}

die() {
	say "$*"
	exit 1
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [[ -n $FLOOD_PID ]]; then
		ns_stop "$FLOOD_PID" >/dev/null 2>&1
	fi
	if [[ -n $MON_PID ]]; then
		kill -CONT "$MON_PID" 2>/dev/null
		ns_stop "$MON_PID" >/dev/null 2>&1
	fi
	if ((STATS_CHANGED)) && [[ -n $STATS_ORIG ]]; then
		sysctl -qw kernel.bpf_stats_enabled="$STATS_ORIG" >/dev/null 2>&1
	fi
	ns_pair_destroy "$PFX"
	ip netns del "$MON" >/dev/null 2>&1
	if [[ -n $TMP && -d $TMP ]]; then
		rm -rf "$TMP"
	fi
	exit "$rc"
}

now_us() {
	local t=${EPOCHREALTIME//[!0-9]/}
	printf '%s\n' "$((10#$t))"
}

# wait_until TIMEOUT_S CMD...: poll CMD every 50 ms; false on timeout or if
# the monitor died meanwhile.
wait_until() {
	local deadline=$(($(now_us) + $1 * 1000000))
	shift
	while ! "$@"; do
		if [[ -n $MON_PID ]] && ! _ns_pid_alive "$MON_PID"; then
			return 1
		fi
		if (($(now_us) >= deadline)); then
			return 1
		fi
		sleep 0.05
	done
}

stats_set() {
	if [[ $1 != "$(sysctl -n kernel.bpf_stats_enabled)" ]]; then
		sysctl -qw kernel.bpf_stats_enabled="$1" || return 1
		STATS_CHANGED=1
	fi
}

stats_restore() {
	stats_set "$STATS_ORIG"
}

# CPU ticks (utime + stime) of PID.
cpu_ticks() {
	local stat f
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || {
		echo 0
		return
	}
	stat=${stat##*) }
	read -ra f <<<"$stat"
	echo $((f[11] + f[12]))
}

peak_rss_kb() {
	awk '$1 == "VmHWM:" { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0
}

# BPF program ids held by PID (program and link file descriptors).
prog_ids() {
	local f ids=()
	for f in /proc/"$1"/fdinfo/*; do
		while read -r k v; do
			[[ $k == prog_id: ]] && ids+=("$v")
		done <"$f" 2>/dev/null
	done
	printf '%s\n' "${ids[@]}" | sort -un | jq -sc '.'
}

# Run time and count of the programs with the given ids (JSON array).
bpf_snapshot() {
	bpftool prog show -j 2>/dev/null | jq -c --argjson ids "$1" \
		'[.[] | select(.id as $i | $ids | index($i)) |
		  {id, name, run_time_ns: (.run_time_ns // 0), run_cnt: (.run_cnt // 0)}]' ||
		echo '[]'
}

# Reset programs of other rstwatch or bpftrace instances on this host (they
# run on our resets too), and XDP programs on our interfaces not held by us.
foreign_count() {
	local ours=$1 n x
	n=$(bpftool prog show -j 2>/dev/null | jq --argjson ids "$ours" \
		'[.[] | select((.name == "send_reset" or .name == "tcp_send_reset") and
		  (.id as $i | $ids | index($i) | not))] | length') || n=0
	x=$(ip -n "$SRV" -j link show dev "$NS_IFNAME" 2>/dev/null |
		jq --argjson ids "$ours" '[.[] | .xdp.prog.id // empty |
		   select(. as $i | $ids | index($i) | not)] | length') || x=0
	echo $((${n:-0} + ${x:-0}))
}

metrics_up() {
	ip netns exec "$MON" curl -sf -o /dev/null "http://127.0.0.1:$METRICS_PORT/metrics"
}

file_has() {
	grep -qs -- "$2" "$1"
}

# summary_of OUTBASE: rstwatch's exit summary (--summary-json), or null if
# it wrote none (it did not start, or was killed)
summary_of() {
	local s
	s=$(jq -c . "$1.summary" 2>/dev/null) || s=
	echo "${s:-null}"
}

# rstwatch -v says "watching" once every program is attached, wire included.
rw_ready() {
	wait_until 20 file_has "$1.err" 'watching'
}

# start_monitor CONFIG OUTBASE: sets MON_PID; false (and MON_FAIL) if it
# cannot run.
start_monitor() {
	local cfg=$1 out=$2
	MON_PID=
	MON_FAIL=
	case $cfg in
	none)
		return 0
		;;
	json | json_nostats)
		"$RW" -v --json --summary-json "$out.summary" -i "$NS_IFNAME" >/dev/null 2>"$out.err" </dev/null &
		MON_PID=$!
		rw_ready "$out"
		;;
	json_native)
		"$RW" -v --json --summary-json "$out.summary" -i "$NS_IFNAME" --xdp-mode native >/dev/null 2>"$out.err" </dev/null &
		MON_PID=$!
		rw_ready "$out"
		;;
	json_nowire)
		"$RW" -v --json --summary-json "$out.summary" --disable wire >/dev/null 2>"$out.err" </dev/null &
		MON_PID=$!
		rw_ready "$out"
		;;
	json_lean)
		"$RW" -v --json --summary-json "$out.summary" --disable wire,drops,receive,owner-io >/dev/null 2>"$out.err" \
			</dev/null &
		MON_PID=$!
		rw_ready "$out"
		;;
	json_paused | json_stalled)
		local size=1G
		[[ $cfg == json_stalled ]] && size=64M
		"$RW" -v --json --summary-json "$out.summary" -i "$NS_IFNAME" --ringbuf-size "$size" >/dev/null 2>"$out.err" \
			</dev/null &
		MON_PID=$!
		rw_ready "$out"
		;;
	burst)
		"$RW" -v --json --summary-json "$out.summary" -i "$NS_IFNAME" >"$out" 2>"$out.err" </dev/null &
		MON_PID=$!
		rw_ready "$out"
		;;
	serve | serve_nostats | serve_lean)
		local -a lean=()
		[[ $cfg == serve_lean ]] && lean=(--disable "wire,drops,receive,owner-io")
		ns_bg "$MON" "$out" "$RW" serve -v --listen "127.0.0.1:$METRICS_PORT" \
			-i "$NS_IFNAME" "${lean[@]}" >/dev/null
		MON_PID=$NS_BG_PID
		rw_ready "$out" && wait_until 10 metrics_up
		;;
	bt_count | bt_print)
		if [[ -z $BPFTRACE ]]; then
			MON_FAIL="bpftrace not available: $BPFTRACE_WHY"
			return 1
		fi
		local prog=$BT_COUNT_PROG
		[[ $cfg == bt_print ]] && prog=$BT_PRINT_PROG
		"$BPFTRACE" -e "$prog" >"$out" 2>"$out.err" </dev/null &
		MON_PID=$!
		wait_until 60 file_has "$out" 'Attaching'
		;;
	tcpdump)
		if [[ -z $TCPDUMP ]]; then
			MON_FAIL="tcpdump not installed"
			return 1
		fi
		ns_bg "$SRV" "$out" "$TCPDUMP" -i "$NS_IFNAME" -w "$TMP/capture.pcap" \
			'tcp[tcpflags] & tcp-rst != 0' >/dev/null
		MON_PID=$NS_BG_PID
		wait_until 20 file_has "$out.err" 'listening on'
		;;
	*)
		MON_FAIL="unknown configuration $cfg"
		return 1
		;;
	esac || {
		MON_FAIL="did not start: $(head -c 300 "$out.err" 2>/dev/null | tr '\n' ' ')"
		return 1
	}
	sleep 0.3 # let it settle (rstwatch: the wire scan of the other namespaces)
	if [[ $cfg == json_paused || $cfg == json_stalled ]]; then
		kill -STOP "$MON_PID"
	fi
}

# stop_monitor [TIMEOUT_S]: TERM, bounded wait, then KILL.
stop_monitor() {
	if [[ -n $MON_PID ]]; then
		kill -CONT "$MON_PID" 2>/dev/null
		NS_STOP_TIMEOUT=${1:-3} ns_stop "$MON_PID" >/dev/null 2>&1
		MON_PID=
	fi
}

# Wait (bounded by WAIT_BUDGET seconds over the whole run) until no other
# reset monitor is loaded: its programs would run on our resets and skew the
# numbers, and it would have to swallow hundreds of thousands of events (an
# rstwatch watches every namespace).  False if one is still there.
SKIP_WHY="skipped: another reset monitor (rstwatch or bpftrace on tcp_send_reset) stayed loaded"
wait_clean() {
	local t0
	t0=$(now_us)
	while (($(foreign_count '[]') > 0)); do
		if ((WAITED_US >= WAIT_BUDGET * 1000000)); then
			say "another reset monitor is loaded and the wait budget is spent: skipping"
			return 1
		fi
		sleep 0.5
		WAITED_US=$((WAITED_US + $(now_us) - t0))
		t0=$(now_us)
	done
}

# One round of one configuration: appends one JSON record to ROUNDS_FILE and
# sets LAST_FOREIGN (another reset monitor was seen during the round).
run_round() {
	local cfg=$1 round=$2 out=$TMP/$1.$2 r0 r1 a b flood progs='[]' f0 f1
	local snap0='[]' snap1='[]' c0=0 c1=0 ctot=0 rss=0 stats metrics='' t0 t1
	if [[ $cfg == *_nostats || $cfg == none || $cfg == bt_* || $cfg == tcpdump ]]; then
		stats_restore
	else
		stats_set 1
	fi
	if ! wait_clean; then
		jq -nc --arg c "$cfg" --argjson r "$round" --arg why "$SKIP_WHY" \
			'{config: $c, round: $r, ok: false, why: $why}' >>"$ROUNDS_FILE"
		LAST_FOREIGN=0
		return 0
	fi
	r0=$(ns_nstat "$SRV" TcpOutRsts) || return 1
	t0=$(now_us)
	if ! start_monitor "$cfg" "$out"; then
		stop_monitor
		stats_restore
		jq -nc --arg c "$cfg" --argjson r "$round" --arg why "$MON_FAIL" \
			'{config: $c, round: $r, ok: false, why: $why}' >>"$ROUNDS_FILE"
		LAST_FOREIGN=0
		return 0
	fi
	if [[ -n $MON_PID ]]; then
		progs=$(prog_ids "$MON_PID")
	fi
	f0=$(foreign_count "$progs")
	snap0=$(bpf_snapshot "$progs")
	[[ -n $MON_PID ]] && c0=$(cpu_ticks "$MON_PID")
	stats=$(sysctl -n kernel.bpf_stats_enabled)
	a=$(ns_nstat "$SRV" TcpOutRsts)
	flood=$(ip netns exec "$CLI" "$FLOOD" -s "$NS_CLI_IP4" -d "$NS_SRV_IP4" -t "$DURATION")
	b=$(ns_nstat "$SRV" TcpOutRsts)
	if [[ -n $MON_PID ]]; then
		c1=$(cpu_ticks "$MON_PID")
		# let bpftrace's output and rstwatch's ring buffer drain
		[[ $cfg == json_paused || $cfg == json_stalled ]] || sleep 0.5
		ctot=$(cpu_ticks "$MON_PID")
		rss=$(peak_rss_kb "$MON_PID")
	fi
	snap1=$(bpf_snapshot "$progs")
	f1=$(foreign_count "$progs")
	if [[ $cfg == serve* ]]; then
		metrics=$(ip netns exec "$MON" curl -sf "http://127.0.0.1:$METRICS_PORT/metrics" |
			grep -E '^rstwatch_(resets_sent_total\{cause="closed_port"\}|events_total|events_lost_total) ')
	fi
	# a paused rstwatch drains its whole ring buffer before its summary
	if [[ $cfg == json_paused || $cfg == json_stalled ]]; then
		stop_monitor 30
	else
		stop_monitor
	fi
	t1=$(now_us)
	r1=$(ns_nstat "$SRV" TcpOutRsts)
	stats_restore
	jq -nc --arg c "$cfg" --argjson r "$round" --argjson flood "${flood:-null}" \
		--argjson a "$a" --argjson b "$b" --argjson r0 "$r0" --argjson r1 "$r1" \
		--argjson c0 "$c0" --argjson c1 "$c1" --argjson ctot "$ctot" \
		--argjson hz "$HZ" --argjson rss "${rss:-0}" --argjson life_us "$((t1 - t0))" \
		--argjson f "$((f0 > f1 ? f0 : f1))" --argjson s0 "$snap0" --argjson s1 "$snap1" \
		--arg stats "$stats" --arg metrics "$metrics" --argjson summary "$(summary_of "$out")" \
		--rawfile err <(tail -c 4000 "$out.err" 2>/dev/null) \
		--rawfile outtail <(if [[ $cfg == bt_count ]]; then cat "$out"; fi) \
		--argjson lines "$(if [[ $cfg == bt_print ]]; then grep -c '^[0-9]' "$out"; else echo 0; fi)" \
		'{config: $c, round: $r, ok: ($flood != null), flood: $flood,
		  rsts: ($b - $a), rsts_life: ($r1 - $r0), cpu_s: (($c1 - $c0) / $hz),
		  cpu_total_s: ($ctot / $hz), rss_kb: $rss, life_s: ($life_us / 1e6), foreign: $f,
		  bpf0: $s0, bpf1: $s1, bpf_stats: $stats, metrics: $metrics, err: $err,
		  summary_json: $summary,
		  out: $outtail, lines: $lines}' >>"$ROUNDS_FILE" || return 1
	LAST_FOREIGN=$((f0 > f1 ? f0 : f1))
	rm -f "$out" "$out.err" "$out.summary" "$TMP/capture.pcap"
}

# The burst: BURST resets at full speed, rstwatch with default settings.
run_burst() {
	local out=$TMP/burst r0 r1 flood srv_ino progs f0 f1
	stats_restore
	if ! wait_clean; then
		jq -nc --arg why "$SKIP_WHY" '{config: "burst", ok: false, why: $why}'
		return 0
	fi
	srv_ino=$(stat -L -c %i "/run/netns/$SRV")
	r0=$(ns_nstat "$SRV" TcpOutRsts) || return 1
	if ! start_monitor burst "$out"; then
		stop_monitor
		jq -nc --arg why "$MON_FAIL" '{config: "burst", ok: false, why: $why}'
		return 0
	fi
	progs=$(prog_ids "$MON_PID")
	f0=$(foreign_count "$progs")
	flood=$(ip netns exec "$CLI" "$FLOOD" -s "$NS_CLI_IP4" -d "$NS_SRV_IP4" -n "$BURST" -t 120)
	f1=$(foreign_count "$progs")
	# wait (bounded) for the stream to drain: the file stops growing
	local prev=-1 cur i
	for ((i = 0; i < 100; i++)); do
		cur=$(stat -c %s "$out")
		((cur == prev)) && break
		prev=$cur
		sleep 0.2
	done
	stop_monitor
	r1=$(ns_nstat "$SRV" TcpOutRsts)
	jq -nc --argjson flood "${flood:-null}" --argjson rsts "$((r1 - r0))" \
		--argjson ino "$srv_ino" --rawfile err <(tail -c 4000 "$out.err") \
		--argjson counts "$(jq -n --argjson ino "$srv_ino" 'reduce (inputs |
			select(.cause == "closed_port") | .netns == $ino) as $ours
			({ours: 0, others: 0}; if $ours then .ours += 1 else .others += 1 end)' \
			"$out" 2>/dev/null || echo null)" \
		--argjson summary "$(summary_of "$out")" \
		--argjson lines "$(wc -l <"$out")" --argjson f "$((f0 > f1 ? f0 : f1))" \
		'{config: "burst", ok: ($flood != null), flood: $flood, rsts: $rsts, netns: $ino,
		  foreign: $f,
		  closed_port_lines: $counts.ours, closed_port_lines_other_netns: $counts.others,
		  lines: $lines, err: $err, summary_json: $summary}'
	rm -f "$out" "$out.err" "$out.summary"
}

# perf profile of the flood under rstwatch --json: shares of the sender's CPU.
run_profile() {
	local out=$TMP/profile data=$TMP/perf.data
	if ! command -v perf >/dev/null; then
		echo "perf not installed: no profile" >"$TMP/profile.txt"
		return 0
	fi
	if ! wait_clean; then
		echo "$SKIP_WHY" >"$TMP/profile.txt"
		return 0
	fi
	stats_set 1
	if ! start_monitor json "$out"; then
		stop_monitor
		stats_restore
		echo "rstwatch did not start: $MON_FAIL" >"$TMP/profile.txt"
		return 0
	fi
	ip netns exec "$CLI" "$FLOOD" -s "$NS_CLI_IP4" -d "$NS_SRV_IP4" -t 4 \
		>"$TMP/profile.flood" 2>&1 &
	FLOOD_PID=$!
	sleep 1
	perf record -q -o "$data" -a -g -- sleep 2 >/dev/null 2>&1
	local flood_tid=$FLOOD_PID rw_tid=$MON_PID
	wait "$FLOOD_PID"
	FLOOD_PID=
	stop_monitor
	stats_restore
	if ! perf script -i "$data" -F comm,tid,ip,sym 2>/dev/null |
		python3 "$REPO/bench/report.py" --profile "$flood_tid" "$rw_tid" >"$TMP/profile.txt"; then
		echo "perf script failed: no profile" >"$TMP/profile.txt"
	fi
	rm -f "$data" "$data.old"
}

main() {
	local cfg r i start_us
	# REPORT_FROM=DIR: only write the report again from a run kept with KEEP=DIR
	if [[ -n ${REPORT_FROM:-} ]]; then
		python3 "$REPO/bench/report.py" "$REPORT_FROM/rounds.jsonl" \
			"$REPORT_FROM/burst.json" "$REPORT_FROM/profile.txt" \
			"$REPORT_FROM/env.json" >"$RESULTS.tmp" || die "report failed"
		mv "$RESULTS.tmp" "$RESULTS"
		exit 0
	fi
	[[ $(id -u) == 0 ]] || die "needs root (namespaces, BPF, raw sockets)"
	for cmd in ip nstat jq bpftool python3 curl sysctl; do
		command -v "$cmd" >/dev/null || die "$cmd not found"
	done
	[[ -x $RSTWATCH_BIN ]] || die "$RSTWATCH_BIN missing: run make bench"
	[[ -x $FLOOD_BIN ]] || die "$FLOOD_BIN missing: run make bench"

	BPFTRACE=$(command -v bpftrace || true)
	BPFTRACE_WHY=
	if [[ -z $BPFTRACE ]]; then
		say "installing bpftrace (apt-get install bpftrace)"
		if DEBIAN_FRONTEND=noninteractive apt-get install -y -q bpftrace \
			>/dev/null 2>&1; then
			BPFTRACE=$(command -v bpftrace || true)
		fi
		[[ -n $BPFTRACE ]] || BPFTRACE_WHY="apt-get install bpftrace failed"
	fi
	TCPDUMP=$(command -v tcpdump || true)
	HZ=$(getconf CLK_TCK)

	trap cleanup EXIT
	trap 'exit 130' INT TERM
	TMP=$(mktemp -d /tmp/rwbench.XXXXXX) || die "mktemp failed"
	STATS_ORIG=$(sysctl -n kernel.bpf_stats_enabled)
	STATS_CHANGED=1 # restored at exit in any case
	# snapshots: others may rebuild the tree while we run
	if ! cp "$RSTWATCH_BIN" "$TMP/rstwatch" || ! cp "$FLOOD_BIN" "$TMP/flood"; then
		die "copy failed"
	fi
	RW=$TMP/rstwatch
	FLOOD=$TMP/flood
	RUN_REV=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
	RUN_DIRTY=$(git -C "$REPO" status --porcelain -- user bpf include 2>/dev/null | wc -l)

	ns_pair_create "$PFX" || die "cannot create the namespace pair"
	if ! ip netns add "$MON" || ! ip -n "$MON" link set lo up; then
		die "cannot create $MON"
	fi
	# neighbour resolution and warm-up, unmeasured
	ip netns exec "$CLI" "$FLOOD" -s "$NS_CLI_IP4" -d "$NS_SRV_IP4" -n 64 >/dev/null ||
		die "flood failed"
	sleep 0.2
	if wait_clean; then
		ip netns exec "$CLI" "$FLOOD" -s "$NS_CLI_IP4" -d "$NS_SRV_IP4" -t 1 >/dev/null
	fi

	ROUNDS_FILE=$TMP/rounds.jsonl
	start_us=$(now_us)
	local -a configs
	for ((r = 1; r <= ROUNDS; r++)); do
		configs=("${MAIN_CONFIGS[@]}")
		if ((r <= DIAG_ROUNDS)); then
			configs+=("${DIAG_CONFIGS[@]}")
		fi
		# rotate the order every round
		local n=${#configs[@]}
		for ((i = 0; i < n; i++)); do
			cfg=${configs[$(((i + r - 1) % n))]}
			say "round $r/$ROUNDS: $cfg"
			run_round "$cfg" "$r" || die "round $r $cfg failed"
			# another reset monitor ran meanwhile: measure that round again
			if ((LAST_FOREIGN)) && ((RETRIES < MAX_RETRIES)); then
				RETRIES=$((RETRIES + 1))
				say "round $r/$ROUNDS: $cfg again (another reset monitor was running)"
				run_round "$cfg" "$r" || die "round $r $cfg failed"
			fi
		done
	done
	if ((QUICK)); then
		jq -rs 'map(select(.ok)) | group_by(.config)[] |
			"\(.[0].config): \(map(.rsts / .flood.elapsed_s) | sort | .[length / 2 | floor] | floor) resets/s (median of \(length))"' \
			"$ROUNDS_FILE"
		if [[ -n ${QUICK_PROFILE:-} ]]; then
			run_profile
			cat "$TMP/profile.txt"
		fi
		return 0
	fi
	say "burst of $BURST resets"
	run_burst >"$TMP/burst.json" || die "burst failed"
	if ((PROFILE)); then
		say "profile"
		run_profile
	else
		echo "not run (PROFILE=0)" >"$TMP/profile.txt"
	fi
	say "report"
	if ! report "$ROUNDS_FILE" "$TMP/burst.json" "$TMP/profile.txt" \
		"$((($(now_us) - start_us) / 1000000))" >"$RESULTS.tmp"; then
		rm -f "$RESULTS.tmp"
		die "report failed"
	fi
	mv "$RESULTS.tmp" "$RESULTS"
	if [[ -n ${KEEP:-} ]]; then
		mkdir -p "$KEEP" &&
			cp "$ROUNDS_FILE" "$TMP/burst.json" "$TMP/profile.txt" "$TMP/env.json" "$KEEP"/
	fi
	say "results in ${RESULTS#"$REPO"/}"
}

# report ROUNDS BURST PROFILE ELAPSED_S: results.md on stdout; the run's
# parameters and machine go to $TMP/env.json (kept with KEEP).
report() {
	local bt_ver td_ver virt
	bt_ver=$([[ -n $BPFTRACE ]] && "$BPFTRACE" --version 2>/dev/null | head -1)
	td_ver=$([[ -n $TCPDUMP ]] && "$TCPDUMP" --version 2>&1 | head -1)
	virt=$(if grep -qw hypervisor /proc/cpuinfo; then echo "virtual machine"; else echo "bare metal"; fi)
	jq -n --arg MACHINE_KERNEL "$(uname -r)" --arg MACHINE_NPROC "$(nproc)" \
		--arg MACHINE_CPU "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)" \
		--arg MACHINE_VIRT "$virt" --arg MACHINE_LOAD "$(cut -d' ' -f1-3 /proc/loadavg)" \
		--arg BENCH_DATE "$(date -u '+%Y-%m-%d %H:%M UTC')" --arg BENCH_REV "$RUN_REV" \
		--arg BENCH_DIRTY "$RUN_DIRTY" --arg BENCH_ROUNDS "$ROUNDS" \
		--arg BENCH_DIAG_ROUNDS "$DIAG_ROUNDS" --arg BENCH_DURATION "$DURATION" \
		--arg BENCH_BURST "$BURST" --arg BENCH_ELAPSED "$4" --arg BENCH_BT "${bt_ver:-none}" \
		--arg BENCH_BT_WHY "$BPFTRACE_WHY" --arg BENCH_TD "${td_ver:-none}" \
		--arg BENCH_IF "$NS_IFNAME" --arg BENCH_STATS_ORIG "$STATS_ORIG" \
		--arg BENCH_WAITED "$((WAITED_US / 1000000))" '$ARGS.named' >"$TMP/env.json" ||
		return 1
	python3 "$REPO/bench/report.py" "$1" "$2" "$3" "$TMP/env.json"
}

main "$@"
