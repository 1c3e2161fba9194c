#!/usr/bin/env bash
#
# bench/run.sh: what watching costs a host, under a TCP reset flood and under
# ordinary traffic, side by side with its peers in one run (issue 11's
# targets, written at the top of bench/results.md by bench/report.py).
#
# A private namespace pair (rwbench<PID>-cli, rwbench<PID>-srv) joined by a
# veth pair.  Phase 1, resets: bench/flood sends SYNs from the client to a
# closed port of the server as fast as it can and the server's kernel answers
# each with a RST (closed_port).  Rounds alternate between the configurations
# below (the order rotates every round); each gets the median of its rounds:
#
#   none                  no monitor
#   json, json_nowire     rstwatch --json [--disable wire] > a file on disk
#                         (under /var/tmp, removed after each round)
#   serve, serve_nowire   rstwatch serve [--disable wire] (counters only)
#   serve_nostats, serve_nowire_nostats   the same, bpf_stats off (the rate)
#   bt_count              bpftrace: count tcp_send_reset by reason (the rate)
#   bt_count_stats        the same with bpf_stats on (its programs' ns)
#   bt_print              bpftrace: print each tcp_send_reset
#   tcpdump               tcpdump capturing RSTs to a file in the server namespace
#
# and diagnostic configurations (DIAG_ROUNDS rounds) that take rstwatch apart:
#   json_nostats  json to /dev/null with kernel.bpf_stats_enabled left off
#   json_lean     json --disable wire,drops,receive,owner-io
#   json_paused   json with a 1 GiB ring buffer, stopped (SIGSTOP) during the
#                 flood: the kernel side alone, without wakeups or a consumer
#   json_stalled  the same with a 64 MiB ring: the ring fills past its wakeup
#                 threshold, after which every record forces a wakeup
#   json_native   json with --xdp-mode native (veth in NAPI mode, a copy per packet)
#   serve_lean    serve --disable wire,drops,receive,owner-io: one program per reset
#   baseline      bench/baseline (empty programs on each of rstwatch's hook
#                 types): the floor any program on those hooks costs per reset
#
# Phase 2, ordinary traffic (no resets), bpf_stats on, TRAFFIC_ROUNDS
# alternating rounds of t_none, t_baseline (bench/baseline: empty programs on
# each of rstwatch's hook types), t_serve and t_serve_nowire: one iperf3
# stream for IPERF_S seconds, then sockperf TCP ping-pong for SOCKPERF_S
# seconds, servers in the server namespace, clients in the client one.
#
# Then BURSTS bursts of BURST resets at full speed with default settings
# (rstwatch --json to a file on disk; every view on, then --disable wire),
# bench/pipeline (user space alone on synthetic records), and a perf profile of
# one json round.
#
# BPF time comes from bpf_stats of the programs the monitor's pid holds (its
# fds); each program's hook from its link's fdinfo.  rstwatch runs with -v
# only to see its "watching" line (everything attached); its exit summary is
# read from --summary-json.  Every rstwatch instance gets `-i IFNAME` (the
# benchmark's own veth name) unless the wire view is off, so that its XDP/TC
# programs stay off other namespaces' interfaces.  tracefs is mounted for
# bpftrace if it is not (and unmounted at exit).
#
# Needs root.  Environment: ROUNDS (5), DIAG_ROUNDS (3), TRAFFIC_ROUNDS
# (ROUNDS), DURATION (3 s per flood), IPERF_S (3), SOCKPERF_S (3), BURST
# (300000), BURSTS (3), PROFILE (1), RESULTS (bench/results.md), RSTWATCH
# (.output/rstwatch: any rstwatch binary), FLOOD, BASELINE, PIPELINE
# (.output/bench/*), WAIT_BUDGET (120 s in all of waiting for other reset
# monitors to go away; rounds that would still meet one are skipped and say
# so), MAX_RETRIES (6), KEEP (a directory to keep the raw measurements in),
# REPORT_FROM (write RESULTS again from such a directory, measuring nothing),
# NOTE (a line for the results header, e.g. why the rounds are fewer),
# CONFIGS (a quick look: only these configurations, t_* ones included,
# ROUNDS rounds each, medians printed, no burst, profile (QUICK_PROFILE=1:
# one, printed) or results.md).

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

BURSTS=${BURSTS:-3}
TRAFFIC_ROUNDS=${TRAFFIC_ROUNDS:-$ROUNDS}
IPERF_S=${IPERF_S:-3}
SOCKPERF_S=${SOCKPERF_S:-3}
IPERF_PORT=5201
SOCKPERF_PORT=11111
BASELINE_BIN=${BASELINE:-$REPO/.output/bench/baseline}
PIPELINE_BIN=${PIPELINE:-$REPO/.output/bench/pipeline}

MAIN_CONFIGS=(none json json_nowire serve serve_nowire serve_nostats serve_nowire_nostats
	bt_count bt_count_stats bt_print tcpdump)
DIAG_CONFIGS=(json_nostats json_lean json_paused json_stalled json_native serve_lean baseline)
TRAFFIC_CONFIGS=(t_none t_baseline t_serve t_serve_nowire)
QUICK=0
if [[ -n ${CONFIGS:-} ]]; then
	read -ra MAIN_CONFIGS <<<"$CONFIGS"
	TRAFFIC_CONFIGS=()
	for c in "${MAIN_CONFIGS[@]}"; do
		[[ $c == t_* ]] && TRAFFIC_CONFIGS+=("$c")
	done
	read -ra MAIN_CONFIGS <<<"$(printf '%s\n' "${MAIN_CONFIGS[@]}" | grep -v '^t_' | tr '\n' ' ')"
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
DISK=
SERVER_PIDS=()
BASELINE=
PIPELINE=
TRACEFS_MOUNTED=0
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
	stop_servers
	if ((TRACEFS_MOUNTED)); then
		umount /sys/kernel/tracing 2>/dev/null
	fi
	if ((STATS_CHANGED)) && [[ -n $STATS_ORIG ]]; then
		sysctl -qw kernel.bpf_stats_enabled="$STATS_ORIG" >/dev/null 2>&1
	fi
	ns_pair_destroy "$PFX"
	ip netns del "$MON" >/dev/null 2>&1
	if [[ -n $TMP && -d $TMP ]]; then
		rm -rf "$TMP"
	fi
	if [[ -n $DISK && -d $DISK ]]; then
		rm -rf "$DISK"
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

# bpf_stats off between and in the "off" rounds whatever the host had (another
# session may have left it on); the original value comes back at exit.
stats_restore() {
	stats_set 0
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
		  {id, name, type, run_time_ns: (.run_time_ns // 0), run_cnt: (.run_cnt // 0)}]' ||
		echo '[]'
}

# The hook each program of PID is attached to, from its link fds' fdinfo
# (bpftool 7.1 does not know tcx links): {"PROG_ID": "tp_btf/NAME" | "xdp" |
# "tcx_ingress" | "tcx_egress" | "LINK_TYPE"}.  rstwatch and bench/baseline
# get the same names, so report.py puts each program beside the empty one on
# its hook whatever the programs are called.
prog_hooks() {
	local f k v lt pid tp at hooks='{}'
	for f in /proc/"$1"/fdinfo/*; do
		lt='' pid='' tp='' at=''
		while read -r k v; do
			case $k in
			link_type:) lt=$v ;;
			prog_id:) pid=$v ;;
			tp_name:) tp=$v ;;
			attach_type:) at=$v ;;
			esac
		done <"$f" 2>/dev/null
		[[ -n $lt && -n $pid ]] || continue
		case $lt in
		raw_tracepoint) v=tp_btf/$tp ;;
		tcx) # "attach_type:	46 (ingress)"
			case $at in
			*"(ingress)") v=tcx_ingress ;;
			*"(egress)") v=tcx_egress ;;
			*) v="tcx/$at" ;;
			esac
			;;
		*) v=$lt ;;
		esac
		hooks=$(jq -c --arg id "$pid" --arg h "$v" '.[$id] = $h' <<<"$hooks")
	done
	echo "$hooks"
}

# disk_file OUTBASE: where a streaming configuration writes its events, on
# disk (DISK is under /var/tmp, removed at exit).
disk_file() {
	echo "$DISK/${1##*/}.jsonl"
}

# wait_quiet FILE: bounded wait (20 s) until FILE stops growing for 0.3 s,
# so a monitor that fell behind has drained its ring buffer.
wait_quiet() {
	local prev=-1 cur i
	for ((i = 0; i < 66; i++)); do
		cur=$(stat -c %s "$1" 2>/dev/null || echo 0)
		((cur == prev)) && return 0
		prev=$cur
		sleep 0.3
	done
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

# start_json OUTBASE STDOUT ARGS...: rstwatch -v --json ARGS, its stream to
# STDOUT; sets MON_PID and waits until everything is attached.
start_json() {
	local out=$1 to=$2
	shift 2
	"$RW" -v --json --summary-json "$out.summary" "$@" >"$to" 2>"$out.err" </dev/null &
	MON_PID=$!
	rw_ready "$out"
}

# start_monitor CONFIG OUTBASE: sets MON_PID; false (and MON_FAIL) if it
# cannot run.  json, json_nowire and burst* stream to $(disk_file OUTBASE), a
# file on disk; the diagnostic json_* ones to /dev/null.
start_monitor() {
	local cfg=$1 out=$2
	# -i keeps the wire view off other namespaces' interfaces on this shared host
	local -a nowire=(-i "$NS_IFNAME")
	[[ $cfg == *nowire* ]] && nowire=(--disable wire)
	MON_PID=
	MON_FAIL=
	case $cfg in
	none | t_none)
		return 0
		;;
	json | json_nowire | burst | burst_nowire)
		start_json "$out" "$(disk_file "$out")" "${nowire[@]}"
		;;
	json_nostats)
		start_json "$out" /dev/null -i "$NS_IFNAME"
		;;
	json_native)
		start_json "$out" /dev/null -i "$NS_IFNAME" --xdp-mode native
		;;
	json_lean)
		start_json "$out" /dev/null --disable wire,drops,receive,owner-io
		;;
	json_paused | json_stalled)
		local size=1G
		[[ $cfg == json_stalled ]] && size=64M
		start_json "$out" /dev/null -i "$NS_IFNAME" --ringbuf-size "$size"
		;;
	serve | serve_nostats | serve_nowire | serve_nowire_nostats | serve_lean | t_serve | t_serve_nowire)
		[[ $cfg == serve_lean ]] && nowire=(--disable "wire,drops,receive,owner-io")
		ns_bg "$MON" "$out" "$RW" serve -v --listen "127.0.0.1:$METRICS_PORT" \
			"${nowire[@]}" >/dev/null
		MON_PID=$NS_BG_PID
		rw_ready "$out" && wait_until 10 metrics_up
		;;
	t_baseline | baseline)
		"$BASELINE" --netns "$CLI" --netns "$SRV" -i "$NS_IFNAME" >"$out.err" 2>&1 </dev/null &
		MON_PID=$!
		wait_until 20 file_has "$out.err" 'attached'
		;;
	bt_count | bt_count_stats | bt_print)
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
	local snap0='[]' snap1='[]' c0=0 c1=0 ctot=0 rss=0 stats metrics='' t0 t1 hooks='{}'
	local disk='' fbytes=0 flines=0
	[[ $cfg == json || $cfg == json_nowire ]] && disk=$(disk_file "$out")
	# rates as operators run them; ns figures (bpf_stats on) in their own rounds
	if [[ $cfg == *_nostats || $cfg == none || $cfg == bt_count || $cfg == bt_print ||
		$cfg == tcpdump ]]; then
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
		hooks=$(prog_hooks "$MON_PID")
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
		if [[ -n $disk ]]; then
			wait_quiet "$disk"
		elif [[ $cfg != json_paused && $cfg != json_stalled ]]; then
			sleep 0.5
		fi
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
	if [[ -n $disk ]]; then
		fbytes=$(stat -c %s "$disk" 2>/dev/null || echo 0)
		flines=$(wc -l <"$disk" 2>/dev/null || echo 0)
		rm -f "$disk"
	fi
	jq -nc --arg c "$cfg" --argjson r "$round" --argjson flood "${flood:-null}" \
		--argjson a "$a" --argjson b "$b" --argjson r0 "$r0" --argjson r1 "$r1" \
		--argjson c0 "$c0" --argjson c1 "$c1" --argjson ctot "$ctot" \
		--argjson hz "$HZ" --argjson rss "${rss:-0}" --argjson life_us "$((t1 - t0))" \
		--argjson f "$((f0 > f1 ? f0 : f1))" --argjson s0 "$snap0" --argjson s1 "$snap1" \
		--arg stats "$stats" --arg metrics "$metrics" --argjson summary "$(summary_of "$out")" \
		--argjson hooks "$hooks" --argjson fbytes "$fbytes" --argjson flines "$flines" \
		--rawfile err <(tail -c 4000 "$out.err" 2>/dev/null) \
		--rawfile outtail <(if [[ $cfg == bt_count ]]; then cat "$out"; fi) \
		--argjson lines "$(if [[ $cfg == bt_print ]]; then grep -c '^[0-9]' "$out"; else echo 0; fi)" \
		'{config: $c, round: $r, ok: ($flood != null), flood: $flood,
		  rsts: ($b - $a), rsts_life: ($r1 - $r0), cpu_s: (($c1 - $c0) / $hz),
		  cpu_total_s: ($ctot / $hz), cpu_drain_s: (($ctot - $c0) / $hz), rss_kb: $rss, life_s: ($life_us / 1e6), foreign: $f,
		  bpf0: $s0, bpf1: $s1, bpf_stats: $stats, metrics: $metrics, err: $err,
		  summary_json: $summary, hooks: $hooks, file_bytes: $fbytes, file_lines: $flines,
		  out: $outtail, lines: $lines}' >>"$ROUNDS_FILE" || return 1
	LAST_FOREIGN=$((f0 > f1 ? f0 : f1))
	rm -f "$out" "$out.err" "$out.summary" "$TMP/capture.pcap"
}

# A burst run (CFG burst or burst_nowire): rstwatch --json with default
# settings writing to a file on disk while BURSTS bursts of BURST resets each
# run at the generator's full speed, a second apart.  One JSON record.
run_burst() {
	local cfg=$1 out=$TMP/$1 disk r0 r1 flood srv_ino progs f0 f1 floods='[]' b c0 ctot
	disk=$(disk_file "$out")
	stats_restore
	if ! wait_clean; then
		jq -nc --arg c "$cfg" --arg why "$SKIP_WHY" '{config: $c, ok: false, why: $why}'
		return 0
	fi
	srv_ino=$(stat -L -c %i "/run/netns/$SRV")
	r0=$(ns_nstat "$SRV" TcpOutRsts) || return 1
	if ! start_monitor "$cfg" "$out"; then
		stop_monitor
		jq -nc --arg c "$cfg" --arg why "$MON_FAIL" '{config: $c, ok: false, why: $why}'
		return 0
	fi
	progs=$(prog_ids "$MON_PID")
	f0=$(foreign_count "$progs")
	c0=$(cpu_ticks "$MON_PID")
	for ((b = 1; b <= BURSTS; b++)); do
		((b > 1)) && sleep 1
		flood=$(ip netns exec "$CLI" "$FLOOD" -s "$NS_CLI_IP4" -d "$NS_SRV_IP4" -n "$BURST" -t 120)
		floods=$(jq -c --argjson f "${flood:-null}" '. + [$f]' <<<"$floods")
	done
	f1=$(foreign_count "$progs")
	wait_quiet "$disk"
	ctot=$(cpu_ticks "$MON_PID")
	stop_monitor
	r1=$(ns_nstat "$SRV" TcpOutRsts)
	jq -nc --arg c "$cfg" --argjson floods "$floods" --argjson rsts "$((r1 - r0))" \
		--argjson ino "$srv_ino" --rawfile err <(tail -c 4000 "$out.err") \
		--argjson counts "$(jq -n --argjson ino "$srv_ino" 'reduce (inputs |
			select(.cause == "closed_port") | .netns == $ino) as $ours
			({ours: 0, others: 0}; if $ours then .ours += 1 else .others += 1 end)' \
			"$disk" 2>/dev/null || echo null)" \
		--argjson summary "$(summary_of "$out")" --argjson hz "$HZ" \
		--argjson cpu "$((ctot - c0))" --argjson bytes "$(stat -c %s "$disk")" \
		--argjson lines "$(wc -l <"$disk")" --argjson f "$((f0 > f1 ? f0 : f1))" \
		'{config: $c, ok: ($floods | all(. != null)), floods: $floods, rsts: $rsts,
		  netns: $ino, foreign: $f, cpu_s: ($cpu / $hz), file_bytes: $bytes,
		  closed_port_lines: $counts.ours, closed_port_lines_other_netns: $counts.others,
		  lines: $lines, err: $err, summary_json: $summary}'
	rm -f "$disk" "$out.err" "$out.summary"
}

# Ordinary traffic, one round of CFG (t_none, t_baseline, t_serve,
# t_serve_nowire), bpf_stats on throughout: one iperf3 stream for IPERF_S
# seconds, then sockperf TCP ping-pong for SOCKPERF_S seconds, client in the
# client namespace, servers (started once, run_traffic) in the server one.
# BPF snapshots before, between and after.  One record to ROUNDS_FILE.
run_traffic_round() {
	local cfg=$1 round=$2 out=$TMP/$1.$2 progs='[]' hooks='{}' s0 s1 s2 f0 f1 ip sp
	stats_set 1
	if ! wait_clean; then
		jq -nc --arg c "$cfg" --argjson r "$round" --arg why "$SKIP_WHY" \
			'{config: $c, round: $r, ok: false, why: $why}' >>"$ROUNDS_FILE"
		LAST_FOREIGN=0
		return 0
	fi
	if ! start_monitor "$cfg" "$out"; then
		stop_monitor
		jq -nc --arg c "$cfg" --argjson r "$round" --arg why "$MON_FAIL" \
			'{config: $c, round: $r, ok: false, why: $why}' >>"$ROUNDS_FILE"
		LAST_FOREIGN=0
		return 0
	fi
	if [[ -n $MON_PID ]]; then
		progs=$(prog_ids "$MON_PID")
		hooks=$(prog_hooks "$MON_PID")
	fi
	f0=$(foreign_count "$progs")
	s0=$(bpf_snapshot "$progs")
	ip=$(ip netns exec "$CLI" timeout $((IPERF_S + 20)) iperf3 -c "$NS_SRV_IP4" -p "$IPERF_PORT" \
		-t "$IPERF_S" -J 2>/dev/null | jq -c '{bps: .end.sum_received.bits_per_second,
		retransmits: .end.sum_sent.retransmits, error}' 2>/dev/null) || ip=null
	s1=$(bpf_snapshot "$progs")
	sp=$(ip netns exec "$CLI" timeout $((SOCKPERF_S + 20)) sockperf ping-pong --tcp \
		-i "$NS_SRV_IP4" -p "$SOCKPERF_PORT" -m 64 -t "$SOCKPERF_S" 2>&1 | sed 's/\x1b\[[0-9;]*m//g' |
		python3 "$REPO/bench/report.py" --sockperf) || sp=null
	s2=$(bpf_snapshot "$progs")
	f1=$(foreign_count "$progs")
	stop_monitor
	stats_restore
	jq -nc --arg c "$cfg" --argjson r "$round" --argjson ip "${ip:-null}" --argjson sp "${sp:-null}" \
		--argjson s0 "$s0" --argjson s1 "$s1" --argjson s2 "$s2" --argjson hooks "$hooks" \
		--argjson f "$((f0 > f1 ? f0 : f1))" --rawfile err <(tail -c 2000 "$out.err" 2>/dev/null) \
		'{config: $c, round: $r, ok: ($ip.bps != null and $sp.round_trips != null),
		  why: (if $ip.bps == null then "iperf3 failed: \($ip.error // "no output")"
		        elif $sp.round_trips == null then "sockperf failed" else null end),
		  iperf: $ip, sockperf: $sp, bpf0: $s0, bpf1: $s1, bpf2: $s2, hooks: $hooks,
		  foreign: $f, err: $err}' >>"$ROUNDS_FILE" || return 1
	LAST_FOREIGN=$((f0 > f1 ? f0 : f1))
	rm -f "$out" "$out.err" "$out.summary"
}

# The traffic phase: servers up once, TRAFFIC_ROUNDS alternating rounds of
# TRAFFIC_CONFIGS, servers stopped (by pid).
run_traffic() {
	local r i n cfg
	ns_bg "$SRV" "$TMP/iperf3.srv" iperf3 -s -B "$NS_SRV_IP4" -p "$IPERF_PORT" >/dev/null
	SERVER_PIDS+=("$NS_BG_PID")
	ns_bg "$SRV" "$TMP/sockperf.srv" sockperf server --tcp -i "$NS_SRV_IP4" -p "$SOCKPERF_PORT" \
		>/dev/null
	SERVER_PIDS+=("$NS_BG_PID")
	wait_until 10 ss_listening "$IPERF_PORT" || die "iperf3 server did not start"
	wait_until 10 ss_listening "$SOCKPERF_PORT" || die "sockperf server did not start"
	for ((r = 1; r <= TRAFFIC_ROUNDS; r++)); do
		n=${#TRAFFIC_CONFIGS[@]}
		for ((i = 0; i < n; i++)); do
			cfg=${TRAFFIC_CONFIGS[$(((i + r - 1) % n))]}
			say "traffic round $r/$TRAFFIC_ROUNDS: $cfg"
			run_traffic_round "$cfg" "$r" || die "traffic round $r $cfg failed"
			if ((LAST_FOREIGN)) && ((RETRIES < MAX_RETRIES)); then
				RETRIES=$((RETRIES + 1))
				say "traffic round $r/$TRAFFIC_ROUNDS: $cfg again (another reset monitor was running)"
				run_traffic_round "$cfg" "$r" || die "traffic round $r $cfg failed"
			fi
		done
	done
	stop_servers
}

ss_listening() {
	ip netns exec "$SRV" ss -Htln "sport = :$1" | grep -q .
}

stop_servers() {
	local p
	for p in "${SERVER_PIDS[@]}"; do
		ns_stop "$p" >/dev/null 2>&1
	done
	SERVER_PIDS=()
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
			"$REPORT_FROM/env.json" "$REPORT_FROM/pipeline.json" >"$RESULTS.tmp" ||
			die "report failed"
		mv "$RESULTS.tmp" "$RESULTS"
		exit 0
	fi
	[[ $(id -u) == 0 ]] || die "needs root (namespaces, BPF, raw sockets)"
	for cmd in ip nstat jq bpftool python3 curl sysctl ss iperf3 sockperf timeout; do
		command -v "$cmd" >/dev/null || die "$cmd not found"
	done
	[[ -x $RSTWATCH_BIN ]] || die "$RSTWATCH_BIN missing: run make bench"
	[[ -x $FLOOD_BIN ]] || die "$FLOOD_BIN missing: run make bench"
	[[ -x $BASELINE_BIN ]] || die "$BASELINE_BIN missing: run make bench"
	[[ -x $PIPELINE_BIN ]] || die "$PIPELINE_BIN missing: run make bench"

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
	# streamed events go to a real disk, not /dev/null or tmpfs
	DISK=$(mktemp -d /var/tmp/rwbench.XXXXXX) || die "mktemp /var/tmp failed"
	# bpftrace's tracepoint: probes need tracefs; mount it for the run if absent
	if [[ -n $BPFTRACE && ! -d /sys/kernel/tracing/events/tcp ]]; then
		if mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null; then
			TRACEFS_MOUNTED=1
		else
			say "cannot mount tracefs: bpftrace's tracepoints will not attach"
		fi
	fi
	STATS_ORIG=$(sysctl -n kernel.bpf_stats_enabled)
	STATS_CHANGED=1 # restored at exit in any case
	# snapshots: others may rebuild the tree while we run
	if ! cp "$RSTWATCH_BIN" "$TMP/rstwatch" || ! cp "$FLOOD_BIN" "$TMP/flood" ||
		! cp "$BASELINE_BIN" "$TMP/baseline" || ! cp "$PIPELINE_BIN" "$TMP/pipeline"; then
		die "copy failed"
	fi
	RW=$TMP/rstwatch
	FLOOD=$TMP/flood
	BASELINE=$TMP/baseline
	PIPELINE=$TMP/pipeline
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
	if ((${#TRAFFIC_CONFIGS[@]})); then
		run_traffic
	fi
	if ((QUICK)); then
		jq -rs 'map(select(.ok and .flood)) | group_by(.config)[] |
			"\(.[0].config): \(map(.rsts / .flood.elapsed_s) | sort | .[length / 2 | floor] | floor) resets/s (median of \(length))"' \
			"$ROUNDS_FILE"
		jq -rs 'map(select(.ok and .iperf)) | group_by(.config)[] |
			"\(.[0].config): \(map(.iperf.bps / 1e9) | sort | .[length / 2 | floor]) Gbit/s, \(map(.sockperf.avg_latency_us) | sort | .[length / 2 | floor]) us ping-pong latency (median of \(length))"' \
			"$ROUNDS_FILE"
		if [[ -n ${QUICK_PROFILE:-} ]]; then
			run_profile
			cat "$TMP/profile.txt"
		fi
		return 0
	fi
	say "$BURSTS bursts of $BURST resets, every view on"
	run_burst burst >"$TMP/burst.json" || die "burst failed"
	say "$BURSTS bursts of $BURST resets, --disable wire"
	run_burst burst_nowire >>"$TMP/burst.json" || die "burst failed"
	say "pipeline (synthetic records, no BPF)"
	"$PIPELINE" -o "$DISK/pipeline.jsonl" >"$TMP/pipeline.json" || die "pipeline failed"
	rm -f "$DISK/pipeline.jsonl"
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
			cp "$ROUNDS_FILE" "$TMP/burst.json" "$TMP/profile.txt" "$TMP/env.json" \
				"$TMP/pipeline.json" "$KEEP"/
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
		--arg BENCH_NOTE "${NOTE:-}" --arg BENCH_BURST "$BURST" --arg BENCH_BURSTS "$BURSTS" \
		--arg BENCH_TRAFFIC_ROUNDS "$TRAFFIC_ROUNDS" --arg BENCH_IPERF_S "$IPERF_S" \
		--arg BENCH_SOCKPERF_S "$SOCKPERF_S" --arg BENCH_IPERF "$(iperf3 --version | head -1)" \
		--arg BENCH_SOCKPERF "$(sockperf --version 2>&1 | head -1)" --arg BENCH_ELAPSED "$4" --arg BENCH_BT "${bt_ver:-none}" \
		--arg BENCH_BT_WHY "$BPFTRACE_WHY" --arg BENCH_TD "${td_ver:-none}" \
		--arg BENCH_RW_VERSION "$("$RW" --version 2>&1 | head -1)" --arg BENCH_IF "$NS_IFNAME" --arg BENCH_STATS_ORIG "$STATS_ORIG" \
		--arg BENCH_WAITED "$((WAITED_US / 1000000))" '$ARGS.named' >"$TMP/env.json" ||
		return 1
	python3 "$REPO/bench/report.py" "$1" "$2" "$3" "$TMP/env.json" "$TMP/pipeline.json"
}

main "$@"
