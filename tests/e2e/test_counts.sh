# shellcheck shell=bash
#
# Exact counts whatever user space does, and the owner's cgroup.

# shellcheck source=tests/lib/scenario.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/scenario.sh"

# out_rsts_elsewhere EXCEPT_NS: TcpOutRsts summed over the namespaces this
# host can name (its own and those in /run/netns) other than EXCEPT_NS; the
# kernel counts every namespace, so these are the resets besides the test's
out_rsts_elsewhere() {
	local sum ns v
	sum=$(NSTAT_HISTORY=/nonexistent/rstwatch-nstat-history nstat -asz TcpOutRsts |
		awk '$1 == "TcpOutRsts" { print $2 }')
	[[ $sum =~ ^[0-9]+$ ]] || { echo "ERROR(nstat)"; return 1; }
	for ns in $(ip netns list | awk '{ print $1 }'); do
		[[ $ns == "$1" ]] && continue
		v=$(ns_nstat "$ns" TcpOutRsts 2>/dev/null) || continue # gone meanwhile
		sum=$((sum + v))
	done
	echo "$sum"
}

# A reader that stops while resets pour in: the ring buffer (4 KiB, ~24
# events) overflows; delivered + lost must equal the kernel's count, and the
# exact per-cause count must equal TcpOutRsts (the exit summary's JSON).
test_ring_buffer_loss_is_counted() {
	local before after d lines total lost shown closed o0 o1 s
	core_setup || return 1
	rw_stop
	s=$T/rw.summary
	"$RSTWATCH" --json -v --ringbuf-size 4K --summary-json "$s" >"$T/rw.json" 2>"$T/rw.err" &
	RW_PID=$!
	RW_OUT=$T/rw.json
	ns_wait_line "$T/rw.err" watching 10 || return 1
	kill -STOP "$RW_PID"
	o0=$(out_rsts_elsewhere "$SRV_NS")
	before=$(ns_nstat "$SRV_NS" TcpOutRsts)
	# 300 connects to a closed port: 300 resets from the server namespace
	ip netns exec "$CLI_NS" bash -c \
		"for i in \$(seq 300); do : 2>/dev/null </dev/tcp/$NS_SRV_IP4/22300; done"
	after=$(ns_nstat "$SRV_NS" TcpOutRsts)
	d=$((after - before))
	expect_eq "TcpOutRsts delta" "$d" 300
	kill -CONT "$RW_PID"
	sleep 1.5
	rw_stop
	o1=$(out_rsts_elsewhere "$SRV_NS")
	lines=$(json_count "$T/rw.json" true)
	total=$(json_get "$s" .resets.total)
	shown=$(json_get "$s" .events.shown)
	lost=$(json_get "$s" .events.lost)
	closed=$(json_get "$s" '.resets.sent.closed_port // 0')
	echo "    300 resets: $lines delivered, $lost lost, kernel count $total"
	if ! [[ $lost =~ ^[0-9]+$ ]] || ((lost == 0)); then
		e2e_fail "a stopped reader with a 4K ring lost nothing ($lost): the test proves nothing"
	fi
	grep -q "events lost (ring buffer full; counts stay exact)" "$T/rw.err" ||
		e2e_fail "no loss warning on stderr: $(cat "$T/rw.err")"
	expect_eq "events shown == lines" "$shown" "$lines"
	# the kernel counts every namespace: exact where nothing else sent a reset
	# meanwhile, and then within what the others sent
	if [[ $o0 == "$o1" ]]; then
		expect_eq "exact closed_port count == TcpOutRsts delta" "$closed" "$d"
	else
		echo "    other namespaces sent $((o1 - o0)) resets meanwhile: closed_port within $d..$((d + o1 - o0))"
		if ! [[ $closed =~ ^[0-9]+$ ]] || ((closed < d || closed > d + o1 - o0)); then
			e2e_fail "exact closed_port count $closed not in $d..$((d + o1 - o0))"
		fi
	fi
	# delivered + lost covers every reset of every namespace while it ran
	if [[ $lines =~ ^[0-9]+$ && $lost =~ ^[0-9]+$ ]]; then
		expect_eq "delivered + lost == kernel count" "$((lines + lost))" "$total"
	else
		e2e_fail "delivered ($lines) or lost ($lost) unknown"
	fi
}

# The owner's cgroup (and unit) is the one the kernel has for the process.
test_owner_cgroup() {
	local root cg pid
	root=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
	[[ -n $root ]] || { e2e_fail "no cgroup2 mount"; return 1; }
	cg=$root/rstw-e2e-$$.service
	mkdir "$cg" || return 1
	CG_DIRS+=("$cg")
	core_setup || return 1
	# join the cgroup first: ip netns exec mounts its own /sys, without cgroups
	# shellcheck disable=SC2016
	sh -c 'echo $$ > "$0/cgroup.procs" && exec ip netns exec "$@"' "$cg" "$SRV_NS" \
		"$RSTGEN" server abort_on_close -a "$NS_SRV_IP4" -p 22400 -n rg-server -t 8000 \
		>"$T/srv" 2>"$T/srv.err" </dev/null &
	pid=$!
	NS_BG_PIDS+=("$pid")
	ns_wait_line "$T/srv" '"listening"' 5 || { e2e_fail "server: $(cat "$T/srv.err")"; return 1; }
	expect_eq "server's /proc cgroup" "$(sed -n 's/^0:://p' "/proc/$pid/cgroup")" "/rstw-e2e-$$.service"
	ip netns exec "$CLI_NS" "$RSTGEN" client abort_on_close -a "$NS_SRV_IP4" -p 22400 \
		-n rg-client -t 8000 >"$T/cli" 2>&1
	rw_wait_count "(.netns == $SRV_INO and .lport == 22400)" 1 5
	check_event "(.netns == $SRV_INO and .lport == 22400)" cause=abort_on_close pid="$pid" \
		cgroup="/rstw-e2e-$$.service" unit="rstw-e2e-$$.service"
}

# A map too small for what happens: every entry it loses is counted per map,
# said on stderr while running and in the summary; with the host's default
# capacities nothing is lost.  Owners in the keyed map (--disable sk-storage)
# show LRU evictions, which the kernel does not count.
map_full_run() { # OUT ARGS...: rstwatch with ARGS during 4 resets and 2 listeners
	local out=$1 port
	shift
	rw_start "$out" "$@" || return 1
	for port in 22800 22801; do
		run_scenario abort_on_close 4 "$port"
		run_scenario closed_port 6 "$((port + 10))"
	done
	sleep 1.5 # the loss check runs every second
	rw_stop
}

test_map_full_is_counted() {
	core_setup || return 1
	rw_stop
	map_full_run "$T/default.json" || return 1
	grep -E 'map [a-z_]+ full|Map entries lost' "$T/default.json.err" &&
		e2e_fail "default capacities lost entries: $(cat "$T/default.json.err")"
	grep -q '^Resets by cause' "$T/default.json.err" || e2e_fail "no summary: $(cat "$T/default.json.err")"
	map_full_run "$T/tiny.json" --disable sk-storage --map-entries 1 || return 1
	grep -qE '^rstwatch: warning: map counts full: [1-9][0-9]* entries lost, .*--map-entries counts=N\): counts are no longer exact' \
		"$T/tiny.json.err" || e2e_fail "no counts warning: $(cat "$T/tiny.json.err")"
	grep -qE '^Map entries lost \(map full\): counts [1-9].* owners [1-9][0-9]* .*listeners [1-9][0-9]* \(the counts above are not exact\)$' \
		"$T/tiny.json.err" || e2e_fail "summary: $(grep -i map "$T/tiny.json.err")"
	map_full_run "$T/owners.json" --map-entries owners=1 || return 1
	grep -E 'map [a-z_]+ full|Map entries lost' "$T/owners.json.err" &&
		e2e_fail "owners on the socket need no room: $(cat "$T/owners.json.err")"
	return 0
}
