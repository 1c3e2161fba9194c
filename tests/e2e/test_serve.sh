# shellcheck shell=bash
#
# rstwatch serve: /metrics checked by promtool and scraped by a real
# Prometheus; hostile HTTP; systemd's notification protocol.

# shellcheck source=tests/lib/scenario.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/scenario.sh"

# Without --log, serve only counts: exact counters, no samples in the ring
# buffer.  --bpf-stats turns on the kernel's run-time statistics for its life.
test_serve_metrics_exact() {
	local a0 c0 d_srv=0 n
	core_setup || return 1
	rw_stop
	serve_start --bpf-stats || return 1
	curl -sf "http://127.0.0.1:$SERVE_PORT/metrics" >"$T/m0" || e2e_fail "no /metrics"
	promtool check metrics <"$T/m0" >"$T/promtool" 2>&1 || e2e_fail "promtool: $(cat "$T/promtool")"
	a0=$(metric 'rstwatch_resets_sent_total{cause="abort_on_close"}')
	c0=$(metric 'rstwatch_resets_sent_total{cause="closed_port"}')
	for port in 26000 26001 26002; do
		run_scenario abort_on_close 4 "$port"
		d_srv=$((d_srv + D_SRV))
	done
	run_scenario closed_port 6 26003
	d_srv=$((d_srv + D_SRV))
	expect_eq "TcpOutRsts in the server namespace" "$d_srv" 4
	expect_eq "abort_on_close counter delta" \
		"$(($(metric 'rstwatch_resets_sent_total{cause="abort_on_close"}') - a0))" 3
	expect_eq "closed_port counter delta" \
		"$(($(metric 'rstwatch_resets_sent_total{cause="closed_port"}') - c0))" 1
	curl -sf "http://127.0.0.1:$SERVE_PORT/metrics" >"$T/m1"
	promtool check metrics <"$T/m1" >"$T/promtool" 2>&1 || e2e_fail "promtool: $(cat "$T/promtool")"
	n=$(grep -c '^rstwatch_wire_resets_total{netns="'"$SRV_INO"'",interface="veth0",direction="sent"}' "$T/m1")
	expect_eq "per-interface wire counter for the server's veth" "$n" 1
	grep -q '^rstwatch_build_info{version="[0-9.]*",revision="[^"]*"} 1$' "$T/m1" ||
		e2e_fail "build_info: $(grep build_info "$T/m1")"
	grep -qE '^rstwatch_bpf_program_runs_total\{program="send_reset"\} [1-9]' "$T/m1" ||
		e2e_fail "bpf_stats: $(grep program_runs "$T/m1")"
	expect_eq "events sampled by serve without --log" "$(metric rstwatch_events_total)" 0
	expect_eq "events lost by serve without --log" "$(metric rstwatch_events_lost_total)" 0
	curl -sI "http://127.0.0.1:$SERVE_PORT/metrics" | grep -qi '^content-type: text/plain; version=0.0.4' ||
		e2e_fail "content type"
}

# A real Prometheus scrapes rstwatch; the counts it stores equal the resets made.
test_serve_prometheus_scrape() {
	local prom q v i
	core_setup || return 1
	rw_stop
	serve_start || return 1
	mkdir -p "$T/prom"
	cat >"$T/prom/prometheus.yml" <<YML
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: rstwatch
    static_configs:
      - targets: ['127.0.0.1:$SERVE_PORT']
YML
	prometheus --config.file="$T/prom/prometheus.yml" --storage.tsdb.path="$T/prom/data" \
		--web.listen-address=127.0.0.1:19090 >"$T/prom/log" 2>&1 &
	prom=$!
	NS_BG_PIDS+=("$prom")
	for ((i = 0; i < 100; i++)); do
		curl -sf "http://127.0.0.1:19090/-/ready" >/dev/null 2>&1 && break
		sleep 0.1
	done
	run_scenario linger_abort 4 26100
	run_scenario linger_abort 6 26101
	q='rstwatch_resets_sent_total{cause="linger_abort"}'
	# wait (bounded) for a scrape that has both
	for ((i = 0; i < 60; i++)); do
		v=$(curl -sf "http://127.0.0.1:19090/api/v1/query" --data-urlencode "query=$q" |
			jq -r '.data.result[0].value[1] // empty')
		[[ $v == "$(metric "$q")" && -n $v && $v -ge 2 ]] && break
		sleep 0.25
	done
	expect_eq "Prometheus has what rstwatch counted" "$v" "$(metric "$q")"
	[[ -n $v && $v -ge 2 ]] || e2e_fail "Prometheus' linger_abort count: '$v' (log: $(tail -3 "$T/prom/log"))"
	v=$(curl -sf "http://127.0.0.1:19090/api/v1/query" --data-urlencode 'query=up{job="rstwatch"}' |
		jq -r '.data.result[0].value[1] // empty')
	expect_eq "scrape target up" "$v" 1
	ns_stop "$prom" >/dev/null
}

# Oversized headers, idle connections, bad methods and paths: errors for them,
# answers for everyone else, and counting goes on.
test_serve_hostile_http() {
	local code i big pids=()
	core_setup || return 1
	rw_stop
	serve_start || return 1
	code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$SERVE_PORT/metrics")
	expect_eq "POST" "$code" 405
	code=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "http://127.0.0.1:$SERVE_PORT/")
	expect_eq "DELETE" "$code" 405
	code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SERVE_PORT/../../etc/passwd")
	expect_eq "path traversal" "$code" 404
	code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$SERVE_PORT/metrics%00x")
	expect_eq "NUL in the path" "$code" 404
	big=$(head -c 100000 /dev/zero | tr '\0' a)
	code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $big" "http://127.0.0.1:$SERVE_PORT/metrics")
	[[ $code == 431 || $code == 413 || $code == 000 ]] || e2e_fail "100 kB header: HTTP $code"
	# 30 idle connections that never send a byte
	for ((i = 0; i < 30; i++)); do
		bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"; sleep 6' _ "$SERVE_PORT" 2>/dev/null &
		pids+=($!)
	done
	sleep 0.3
	code=$(curl -s -m 3 -o /dev/null -w '%{http_code}' --interface 127.0.0.2 \
		"http://127.0.0.1:$SERVE_PORT/metrics")
	expect_eq "/metrics while 30 connections idle" "$code" 200
	run_scenario closed_port 4 26200
	expect_eq "counting meanwhile (TcpOutRsts)" "$D_SRV" 1
	v=$(curl -s -m 3 --interface 127.0.0.2 "http://127.0.0.1:$SERVE_PORT/metrics" |
		awk '$1 == "rstwatch_resets_sent_total{cause=\"closed_port\"}" { print $2 }')
	[[ -n $v && $v -ge 1 ]] || e2e_fail "closed_port counter during the idle flood: '$v'"
	for i in "${pids[@]}"; do kill "$i" 2>/dev/null; done
	wait "${pids[@]}" 2>/dev/null
	kill -0 "$SERVE_PID" || e2e_fail "rstwatch serve died"
}

# READY=1 after every program is attached; RELOADING=1 then READY=1 on SIGHUP;
# the log is reopened (logrotate moved it away).
test_serve_sd_notify() {
	local sock
	core_setup || return 1
	sock=$T/notify.sock
	rw_stop
	/usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(15)
print("bound", flush=True)
for _ in range(4):
    try:
        print(s.recv(4096).decode().replace("\n", " "), flush=True)
    except socket.timeout:
        break' "$sock" >"$T/notify.log" 2>&1 &
	NS_BG_PIDS+=($!)
	ns_wait_line "$T/notify.log" bound 10 || { e2e_fail "notify listener: $(cat "$T/notify.log")"; return 1; }
	NOTIFY_SOCKET=$sock serve_start --log "$T/events.jsonl" || return 1
	ns_wait_line "$T/notify.log" 'READY=1' 5 || e2e_fail "no READY=1: $(cat "$T/notify.log")"
	grep -q 'wire: ' "$T/serve.err" || e2e_fail "READY before the wire programs attached"
	run_scenario closed_port 4 26300
	ns_wait_line "$T/events.jsonl" '"lport":26300' 5 || e2e_fail "no event in --log"
	mv "$T/events.jsonl" "$T/events.jsonl.1"
	kill -HUP "$SERVE_PID"
	ns_wait_line "$T/notify.log" 'RELOADING=1' 5 || e2e_fail "no RELOADING=1: $(cat "$T/notify.log")"
	sleep 0.3
	expect_eq "notifications" "$(grep -c . "$T/notify.log")" 4
	run_scenario closed_port 4 26301
	ns_wait_line "$T/events.jsonl" '"lport":26301' 5 || e2e_fail "log not reopened after SIGHUP"
	grep -q '"lport":26301' "$T/events.jsonl.1" && e2e_fail "event written to the rotated log"
	return 0
}

# The configuration file: keys are long options, flags override it, SIGHUP reads
# it again; a bad file is one clear line and the old configuration stays.
test_serve_config() {
	local conf v0 v1
	core_setup || return 1
	rw_stop
	conf=$T/rstwatch.conf
	printf '# rstwatch test\nlisten = 127.0.0.1:%s\nlog = %s\n' "$SERVE_PORT" "$T/a.jsonl" >"$conf"
	"$RSTWATCH" serve -v --config "$conf" >"$T/serve.out" 2>"$T/serve.err" &
	SERVE_PID=$!
	NS_BG_PIDS+=("$SERVE_PID")
	ns_wait_line "$T/serve.err" watching 10 || { e2e_fail "serve: $(cat "$T/serve.err")"; return 1; }
	curl -sf "http://127.0.0.1:$SERVE_PORT/metrics" >/dev/null || e2e_fail "listen from the file"
	run_scenario closed_port 4 26400
	ns_wait_line "$T/a.jsonl" '"lport":26400' 5 || e2e_fail "log from the file"
	v0=$(metric 'rstwatch_resets_sent_total{cause="closed_port"}')
	# a broken file: one line, and everything goes on as before
	printf 'listen = 127.0.0.1:%s\nbogus = 1\n' "$SERVE_PORT" >"$conf"
	kill -HUP "$SERVE_PID"
	ns_wait_line "$T/serve.err" "reload: $conf:2: unknown option 'bogus': keeping the previous configuration" 5 ||
		e2e_fail "bad config on reload: $(cat "$T/serve.err")"
	run_scenario closed_port 4 26401
	ns_wait_line "$T/a.jsonl" '"lport":26401' 5 || e2e_fail "old log lost after a bad reload"
	# a good one: the new log path and a filter apply without a restart
	printf 'listen = 127.0.0.1:%s\nlog = %s\nport = 26403\n' "$SERVE_PORT" "$T/b.jsonl" >"$conf"
	kill -HUP "$SERVE_PID"
	ns_wait_line "$T/serve.err" 'reload: configuration read again' 5 || e2e_fail "no reload"
	run_scenario closed_port 4 26402
	run_scenario closed_port 4 26403
	ns_wait_line "$T/b.jsonl" '"lport":26403' 5 || e2e_fail "new log not used"
	grep -q '"lport":26402' "$T/b.jsonl" && e2e_fail "--port filter from the file not applied"
	# counts are the kernel's: nothing lost across reloads
	v1=$(metric 'rstwatch_resets_sent_total{cause="closed_port"}')
	expect_eq "closed_port counted across reloads" "$((v1 - v0))" 3
	kill -0 "$SERVE_PID" || e2e_fail "serve died"
	kill -INT "$SERVE_PID"
	wait_exit "$SERVE_PID" 5 || e2e_fail "serve did not stop"
	# started without a log, serve only counts: a log added later needs a restart
	printf 'listen = 127.0.0.1:%s\n' "$SERVE_PORT" >"$conf"
	"$RSTWATCH" serve -v --config "$conf" >"$T/serve.out" 2>"$T/serve2.err" &
	SERVE_PID=$!
	NS_BG_PIDS+=("$SERVE_PID")
	ns_wait_line "$T/serve2.err" watching 10 || { e2e_fail "serve: $(cat "$T/serve2.err")"; return 1; }
	printf 'listen = 127.0.0.1:%s\nlog = %s\n' "$SERVE_PORT" "$T/c.jsonl" >"$conf"
	kill -HUP "$SERVE_PID"
	ns_wait_line "$T/serve2.err" "--log $T/c.jsonl: not started with --log, this instance only counts; restart it to log events" 5 ||
		e2e_fail "no word that --log needs a restart: $(cat "$T/serve2.err")"
	kill -INT "$SERVE_PID"
	wait_exit "$SERVE_PID" 5 || e2e_fail "serve did not stop"
	# at start, a bad file is an error with the file and line, exit 2
	printf 'json = maybe\n' >"$T/bad.conf"
	expect_eq "bad config exit status" "$("$RSTWATCH" serve --config "$T/bad.conf" >/dev/null 2>"$T/bad.err"; echo $?)" 2
	grep -q "^rstwatch: $T/bad.conf:1: json takes yes or no, not 'maybe'$" "$T/bad.err" ||
		e2e_fail "bad config message: $(cat "$T/bad.err")"
}

# abort_in_cgroup CG PORT: an abort_on_close reset from a server run in cgroup CG
abort_in_cgroup() {
	local cg=$1 port=$2 pid
	# shellcheck disable=SC2016
	sh -c 'echo $$ > "$0/cgroup.procs" && exec ip netns exec "$@"' "$cg" "$SRV_NS" \
		"$RSTGEN" server abort_on_close -a "$NS_SRV_IP4" -p "$port" -n rg-server \
		-t 4000 >"$T/srv.$port" 2>&1 </dev/null &
	pid=$!
	NS_BG_PIDS+=("$pid")
	ns_wait_line "$T/srv.$port" '"listening"' 5 || return 1
	ip netns exec "$CLI_NS" "$RSTGEN" client abort_on_close -a "$NS_SRV_IP4" -p "$port" \
		-n rg-client -t 4000 >/dev/null 2>&1
	wait_exit "$pid" 5
}

# service_metric SVC DIR: its series, waited for (the event loop names a new
# cgroup within a second; scrapes before it have no series for it)
service_metric() {
	local v
	for _ in $(seq 30); do
		v=$(metric "rstwatch_service_resets_total{service=\"$1\",direction=\"$2\"}")
		[[ -n $v ]] && break
		sleep 0.1
	done
	echo "$v"
}

# Resets by service: the server runs in a cgroup named like a systemd unit.
test_serve_per_service() {
	local root cg svc v port
	root=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
	svc=rstw-svc-$$.service
	cg=$root/$svc
	mkdir "$cg" || return 1
	CG_DIRS+=("$cg")
	core_setup || return 1
	rw_stop
	serve_start || return 1
	for port in 26500 26501; do
		abort_in_cgroup "$cg" "$port" || return 1
	done
	expect_eq "resets sent by $svc" "$(service_metric "$svc" sent)" 2
	v=$(metric "rstwatch_service_resets_total{service=\"$svc\",direction=\"received\"}")
	expect_eq "resets received by $svc" "$v" 0
	curl -sf "http://127.0.0.1:$SERVE_PORT/metrics" | promtool check metrics >/dev/null 2>&1 ||
		e2e_fail "promtool"
}

# A cgroup gone for --expire-after loses its kernel keys (the map would fill
# with dead containers' keys) but not its resets: the totals, summed from the
# per-service keys, keep them.
test_serve_expired_service_keeps_totals() {
	local root cg svc v0 v1 v gone=0
	root=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
	svc=rstw-gone-$$.service
	cg=$root/$svc
	mkdir "$cg" || return 1
	CG_DIRS+=("$cg")
	core_setup || return 1
	rw_stop
	serve_start --expire-after 1 || return 1
	v0=$(metric 'rstwatch_resets_sent_total{cause="abort_on_close"}')
	abort_in_cgroup "$cg" 26520 || return 1
	expect_eq "resets sent by $svc" "$(service_metric "$svc" sent)" 1
	v1=$(metric 'rstwatch_resets_sent_total{cause="abort_on_close"}')
	expect_eq "abort_on_close total" "$((v1 - v0))" 1
	rmdir "$cg" || e2e_fail "cannot remove $cg"
	# a live cgroup is checked again after 10 s; gone, its keys go a second later
	for _ in $(seq 150); do
		curl -sf "http://127.0.0.1:$SERVE_PORT/metrics" >"$T/m.gone" || break
		grep -q "service=\"$svc\"" "$T/m.gone" || { gone=1; break; }
		sleep 0.1
	done
	expect_eq "$svc series ended" "$gone" 1
	v=$(metric 'rstwatch_resets_sent_total{cause="abort_on_close"}')
	expect_eq "abort_on_close total after its cgroup's keys were deleted" "$v" "$v1"
}

# WatchdogSec=: WATCHDOG=1 at half the interval systemd gives.
test_serve_watchdog() {
	local sock n
	core_setup || return 1
	rw_stop
	sock=$T/wd.sock
	/usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(0.2)
print("bound", flush=True)
end = time.time() + 6
while time.time() < end:
    try:
        print(s.recv(4096).decode().replace("\n", " "), flush=True)
    except socket.timeout:
        pass' "$sock" >"$T/wd.log" 2>&1 &
	NS_BG_PIDS+=($!)
	ns_wait_line "$T/wd.log" bound 10 || return 1
	NOTIFY_SOCKET=$sock WATCHDOG_USEC=400000 serve_start || return 1
	ns_wait_line "$T/wd.log" 'READY=1' 5 || e2e_fail "no READY=1"
	sleep 1.5
	n=$(grep -c '^WATCHDOG=1' "$T/wd.log")
	((n >= 4 && n <= 10)) || e2e_fail "WATCHDOG=1 pings in 1.5 s at a 400 ms watchdog: $n"
	curl -sf "http://127.0.0.1:$SERVE_PORT/metrics" | grep -q '^rstwatch_ringbuf_pending_events [0-9]' ||
		e2e_fail "no pending-events gauge"
}

task_field() { # STATUS_FILE FIELD: its (first) value
	awk -v f="$2:" '$1 == f { print $2; exit }' "$1"
}

# After attaching, serve keeps only the capabilities it still uses, in every
# thread: the event loop the service set, the HTTP threads (libmicrohttpd's and
# the one that started it) CAP_BPF at most, as nobody; new namespaces still get
# the wire programs.
test_serve_drops_capabilities() {
	local st tid others=0 port=26600 svc=000000c000281004 http=$((16#8000000000)) f v
	T=$(mktemp -d)
	PAIRS=()
	trap core_cleanup EXIT
	serve_start || return 1
	curl -sf -o /dev/null "http://127.0.0.1:$SERVE_PORT/metrics" || e2e_fail "/metrics before the checks"
	for st in "/proc/$SERVE_PID"/task/*/status; do
		[[ -r $st ]] || { e2e_fail "cannot read $st"; continue; }
		tid=${st%/status}
		tid=${tid##*/}
		expect_eq "task $tid: no new privileges" "$(task_field "$st" NoNewPrivs)" 1
		if [[ $tid == "$SERVE_PID" ]]; then
			# CAP_DAC_READ_SEARCH, NET_ADMIN, SYS_PTRACE, SYS_ADMIN, PERFMON, BPF
			for f in CapEff CapPrm CapBnd; do
				expect_eq "event loop $f" "$(task_field "$st" "$f")" "$svc"
			done
			expect_eq "event loop CapInh" "$(task_field "$st" CapInh)" 0000000000000000
			continue
		fi
		others=$((others + 1))
		for f in CapEff CapPrm CapBnd CapInh; do
			v=$(task_field "$st" "$f")
			[[ $v =~ ^[0-9a-f]{16}$ ]] || { e2e_fail "task $tid $f: '$v'"; continue; }
			(((16#$v & ~http) == 0)) || e2e_fail "HTTP task $tid ($(cat "${st%status}comm")) $f: $v, want at most CAP_BPF"
		done
		expect_eq "HTTP task $tid uids" "$(awk '$1 == "Uid:" { print $2, $3, $4, $5 }' "$st")" "65534 65534 65534 65534"
		expect_eq "HTTP task $tid gids" "$(awk '$1 == "Gid:" { print $2, $3, $4, $5 }' "$st")" "65534 65534 65534 65534"
		expect_eq "HTTP task $tid groups" "$(awk '$1 == "Groups:" { print NF - 1 }' "$st")" 0
	done
	# the guard and libmicrohttpd's own thread
	expect_eq "threads besides the event loop" "$others" 2
	core_new_pair cap || return 1
	ip netns exec "$SRV_NS" nft add table inet rwfw
	ip netns exec "$SRV_NS" nft add chain inet rwfw in '{ type filter hook input priority 0; }'
	ip netns exec "$SRV_NS" nft add rule inet rwfw in tcp dport "$port" reject with tcp reset
	ns_wait_line "$T/serve.err" "wire: $NS_IFNAME \\(netns $SRV_INO\\)" 5 ||
		e2e_fail "no wire attach after dropping capabilities: $(cat "$T/serve.err")"
	ip netns exec "$CLI_NS" "$RSTGEN" client closed_port -a "$NS_SRV_IP4" -p "$port" \
		-n rg-client -t 3000 >/dev/null 2>&1
	v=$(metric "rstwatch_wire_resets_total{netns=\"$SRV_INO\",interface=\"$NS_IFNAME\",direction=\"sent\"}")
	expect_eq "firewall RST seen in a namespace made after the drop" "$v" 1
	v=$(metric 'rstwatch_resets_sent_total{cause="firewall_reject"}')
	[[ -n $v && $v -ge 1 ]] || e2e_fail "firewall_reject counter: '$v'"
}

# The watch and top modes drop what they no longer use too (single-threaded).
test_watch_drops_capabilities() {
	local mode st
	T=$(mktemp -d)
	PAIRS=()
	trap core_cleanup EXIT
	for mode in watch top; do
		if [[ $mode == watch ]]; then
			rw_start "$T/rw.json" || return 1
		else
			TERM=dumb "$RSTWATCH" top -v >/dev/null 2>"$T/rw.json.err" </dev/null &
			RW_PID=$!
			ns_wait_line "$T/rw.json.err" watching 10 || { e2e_fail "top: $(cat "$T/rw.json.err")"; return 1; }
		fi
		for st in "/proc/$RW_PID"/task/*/status; do
			expect_eq "$mode CapEff" "$(task_field "$st" CapEff)" 000000c000281004
			expect_eq "$mode CapBnd" "$(task_field "$st" CapBnd)" 000000c000281004
			expect_eq "$mode NoNewPrivs" "$(task_field "$st" NoNewPrivs)" 1
		done
		rw_stop
	done
}

# A crowd of slow clients (a byte a second, never a whole request) from two
# addresses cannot lock Prometheus out: a new client closes the oldest, and no
# request lives past 5 s.
test_serve_slow_clients() {
	local n code t0 t1 res
	T=$(mktemp -d)
	PAIRS=()
	trap core_cleanup EXIT
	serve_start || return 1
	/usr/bin/python3 tests/tools/slowloris.py "$SERVE_PORT" 80 12 127.0.0.1 127.0.0.2 \
		>"$T/slow.log" 2>&1 &
	NS_BG_PIDS+=($!)
	ns_wait_line "$T/slow.log" '^open 160$' 10 || { e2e_fail "slow clients: $(cat "$T/slow.log")"; return 1; }
	sleep 0.3
	n=$(ss -Htn state established "( sport = :$SERVE_PORT )" | wc -l)
	((n >= 64)) || e2e_fail "slow clients holding the server: $n, want >= 64"
	t0=$(date +%s%N)
	code=$(curl -s -m 3 -o "$T/scrape" -w '%{http_code}' "http://127.0.0.1:$SERVE_PORT/metrics")
	t1=$(date +%s%N)
	expect_eq "/metrics among $n slow clients" "$code" 200
	grep -q '^rstwatch_build_info{' "$T/scrape" || e2e_fail "scrape body: $(head -c 200 "$T/scrape")"
	(((t1 - t0) < 2000000000)) || e2e_fail "scrape took $(((t1 - t0) / 1000000)) ms"
	ns_wait_line "$T/slow.log" '^{' 15 || { e2e_fail "slow clients never ended: $(cat "$T/slow.log")"; return 1; }
	res=$(grep '^{' "$T/slow.log")
	expect_eq "slow clients closed by the server" "$(jq -e .closed_by_server <<<"$res")" 160
	jq -e '.longest_s <= 6.5' <<<"$res" >/dev/null || e2e_fail "a slow request lived too long: $res"
	kill -0 "$SERVE_PID" || e2e_fail "rstwatch serve died"
}

# A second serve on the same address is refused in one line, and the first
# goes on serving.
test_serve_address_taken() {
	local rc
	T=$(mktemp -d)
	PAIRS=()
	trap core_cleanup EXIT
	serve_start || return 1
	timeout 20 "$RSTWATCH" serve --listen "127.0.0.1:$SERVE_PORT" >"$T/second.out" 2>"$T/second.err"
	rc=$?
	expect_eq "second serve's exit status" "$rc" 1
	expect_eq "second serve's error" "$(cat "$T/second.err")" \
		"rstwatch: cannot listen on 127.0.0.1:$SERVE_PORT: Address already in use (another rstwatch serve?)"
	expect_eq "second serve's output" "$(wc -c <"$T/second.out")" 0
	curl -sf -o /dev/null "http://127.0.0.1:$SERVE_PORT/metrics" || e2e_fail "first serve no longer answers"
	kill -0 "$SERVE_PID" || e2e_fail "first serve died"
}

# --log as a root daemon should open it: a new file is 0600; a symlink owned by
# someone else is refused (at start: one line, exit 1; on SIGHUP: the old file
# stays); logrotate's mv + SIGHUP reopens.
test_serve_log_file() {
	local out
	core_setup || return 1
	rw_stop
	# another user's link in a shared directory must not aim root's writes
	ln -s "$T/victim" "$T/evil.jsonl"
	chown -h nobody "$T/evil.jsonl"
	# bounded: a rstwatch that follows the link would serve on
	out=$(timeout -s INT 5 "$RSTWATCH" serve --listen "127.0.0.1:$SERVE_PORT" --log "$T/evil.jsonl" \
		2>&1 >/dev/null </dev/null)
	expect_eq "exit status with another user's symlink" "$?" 1
	expect_eq "message for another user's symlink" "$out" \
		"rstwatch: --log $T/evil.jsonl: $T/evil.jsonl is a symlink owned by uid $(id -u nobody): not following it"
	[[ -e $T/victim ]] && e2e_fail "the symlink's target was created"
	# root's own link is followed
	ln -s "$T/events.jsonl" "$T/link.jsonl"
	serve_start --log "$T/link.jsonl" || return 1
	expect_eq "mode of a new log file" "$(stat -c %a "$T/events.jsonl")" 600
	run_scenario closed_port 4 26700
	ns_wait_line "$T/events.jsonl" '"lport":26700' 5 || e2e_fail "no event through root's link"
	# rotation: mv, SIGHUP, a new file
	mv "$T/events.jsonl" "$T/events.jsonl.1"
	kill -HUP "$SERVE_PID"
	ns_wait_line "$T/serve.err" 'reload: configuration read again' 5 || e2e_fail "no reload"
	run_scenario closed_port 4 26701
	ns_wait_line "$T/events.jsonl" '"lport":26701' 5 || e2e_fail "log not reopened after mv + SIGHUP"
	expect_eq "mode of the reopened log" "$(stat -c %a "$T/events.jsonl")" 600
	# the link now someone else's: refused on SIGHUP, the open file kept
	rm "$T/link.jsonl"
	ln -s "$T/victim" "$T/link.jsonl"
	chown -h nobody "$T/link.jsonl"
	kill -HUP "$SERVE_PID"
	ns_wait_line "$T/serve.err" "--log $T/link.jsonl: $T/link.jsonl is a symlink owned by uid" 5 ||
		e2e_fail "no refusal on SIGHUP: $(tail -3 "$T/serve.err")"
	run_scenario closed_port 4 26702
	ns_wait_line "$T/events.jsonl" '"lport":26702' 5 || e2e_fail "old log not kept after a refused reopen"
	[[ -e $T/victim ]] && e2e_fail "the symlink's target was created on SIGHUP"
	kill -0 "$SERVE_PID" || e2e_fail "serve died"
}

# logrotate sends SIGHUP daily, forever: the 100th reload applies like the first.
test_serve_reload_forever() {
	local conf i n
	core_setup || return 1
	rw_stop
	conf=$T/rstwatch.conf
	printf 'listen = 127.0.0.1:%s\nlog = %s\n' "$SERVE_PORT" "$T/0.jsonl" >"$conf"
	serve_start --config "$conf" || return 1
	for ((i = 1; i <= 100; i++)); do
		printf 'listen = 127.0.0.1:%s\nlog = %s\nport = %s\n' "$SERVE_PORT" "$T/$i.jsonl" \
			$((26800 + i)) >"$conf"
		kill -HUP "$SERVE_PID"
		# one reload at a time: signals sent together would merge
		for ((n = 0; n < 100; n++)); do
			[[ $(grep -c 'reload: configuration read again' "$T/serve.err") -ge $i ]] && break
			grep -q 'reload: .*keeping the previous configuration' "$T/serve.err" && break
			sleep 0.02
		done
		grep -q 'keeping the previous configuration' "$T/serve.err" && break
	done
	grep 'keeping the previous configuration' "$T/serve.err" | head -1 | sed 's/^/      /'
	expect_eq "reloads applied" "$(grep -c 'reload: configuration read again' "$T/serve.err")" 100
	run_scenario closed_port 4 26899
	run_scenario closed_port 4 26900
	ns_wait_line "$T/100.jsonl" '"lport":26900' 5 || e2e_fail "the 100th reload's log and filter not used"
	grep -q '"lport":26899' "$T/100.jsonl" && e2e_fail "the 100th reload's --port filter not applied"
	kill -0 "$SERVE_PID" || e2e_fail "serve died"
}

# rstwatch_map_full_total{map}: one series per map, 0 with the host's
# capacities; a map made too small (--map-entries) counts what it lost.
test_serve_map_full() {
	local m port
	core_setup || return 1
	rw_stop
	serve_start || return 1
	run_scenario abort_on_close 4 26100
	run_scenario closed_port 6 26101
	curl -sf "http://127.0.0.1:$SERVE_PORT/metrics" >"$T/m0" || e2e_fail "no /metrics"
	promtool check metrics <"$T/m0" >"$T/promtool" 2>&1 || e2e_fail "promtool: $(cat "$T/promtool")"
	for m in counts service_counts wire_counts owners sk_owners listeners; do
		expect_eq "default capacities: map_full{map=$m}" \
			"$(grep -c "^rstwatch_map_full_total{map=\"$m\"} 0$" "$T/m0")" 1
	done
	expect_eq "counts capacity" "$(metric 'rstwatch_map_entries_max{map="counts"}')" 4096
	ns_stop "$SERVE_PID" >/dev/null
	wait "$SERVE_PID" 2>/dev/null
	serve_start --map-entries counts=1,listeners=1,service_counts=1 || return 1
	for port in 26102 26103; do
		run_scenario abort_on_close 4 "$port"
		run_scenario closed_port 6 "$((port + 10))"
	done
	curl -sf "http://127.0.0.1:$SERVE_PORT/metrics" >"$T/m1" || e2e_fail "no /metrics"
	promtool check metrics <"$T/m1" >"$T/promtool" 2>&1 || e2e_fail "promtool: $(cat "$T/promtool")"
	for m in counts service_counts listeners; do
		grep -qE "^rstwatch_map_full_total\{map=\"$m\"\} [1-9][0-9]*$" "$T/m1" ||
			e2e_fail "tiny $m lost nothing: $(grep map_ "$T/m1")"
	done
	expect_eq "counts capacity" "$(metric 'rstwatch_map_entries_max{map="counts"}')" 1
	expect_eq "wire_counts kept its default" \
		"$(metric 'rstwatch_map_entries_max{map="wire_counts"}')" 4096
}

# A namespace that goes away takes its interface series with it after
# --expire-after: the kernel's keys are deleted (the map would fill with dead
# containers' interfaces), a live namespace's series stay.
test_serve_gone_interface_expires() {
	local old_ino old_pair live_ino n i
	core_setup || return 1
	rw_stop
	serve_start --expire-after 1 || return 1
	run_scenario closed_port 4 26950
	old_ino=$SRV_INO
	old_pair=$P
	core_new_pair g || return 1
	live_ino=$SRV_INO
	ns_wait_line "$T/serve.err" "wire: $NS_IFNAME \\(netns $live_ino\\)" 5 || e2e_fail "no attach to the new pair"
	run_scenario closed_port 4 26951
	curl -sf "http://127.0.0.1:$SERVE_PORT/metrics" >"$T/m0" || e2e_fail "no /metrics"
	for n in "$old_ino" "$live_ino"; do
		grep -q "^rstwatch_wire_resets_total{netns=\"$n\",interface=\"$NS_IFNAME\",direction=\"sent\"} 1$" "$T/m0" ||
			e2e_fail "no wire series for netns $n: $(grep wire_resets "$T/m0")"
	done
	ns_pair_destroy "$old_pair"
	# a rescan (2 s) notices, the next scrape after a second more deletes the keys
	for ((i = 0; i < 60; i++)); do
		curl -sf "http://127.0.0.1:$SERVE_PORT/metrics" >"$T/m1" || e2e_fail "no /metrics"
		grep -q "netns=\"$old_ino\"" "$T/m1" || break
		sleep 0.2
	done
	expect_eq "series of the gone namespace after --expire-after" \
		"$(grep -c "^rstwatch_wire_resets_total{netns=\"$old_ino\"" "$T/m1")" 0
	expect_eq "the live namespace's series" \
		"$(grep -c "^rstwatch_wire_resets_total{netns=\"$live_ino\",interface=\"$NS_IFNAME\",direction=\"sent\"} 1$" "$T/m1")" 1
	promtool check metrics <"$T/m1" >"$T/promtool" 2>&1 || e2e_fail "promtool: $(cat "$T/promtool")"
	kill -0 "$SERVE_PID" || e2e_fail "serve died"
}
