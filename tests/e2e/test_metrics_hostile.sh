# shellcheck shell=bash
#
# /metrics on a hostile, busy host: cgroup names that are not UTF-8 or carry
# quotes, a user's unit named like a system one, 20,000 cgroups, and cgroups
# that had resets and are gone.  Every cgroup made here has 'rstw' in its path.

# shellcheck source=tests/lib/scenario.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/scenario.sh"

MH_PORT=19865
MH_TREE= # a cgroup tree made here: removed, leaves first, at cleanup

mh_cleanup() {
	local i
	if [[ -n $MH_TREE && -d $MH_TREE ]]; then
		# bounded: a cgroup whose last process just exited may be busy a moment
		for ((i = 0; i < 20; i++)); do
			find "$MH_TREE" -depth -type d -exec rmdir {} + 2>/dev/null
			[[ -d $MH_TREE ]] || break
			sleep 0.1
		done
		[[ -d $MH_TREE ]] && echo "    WARN: could not remove $MH_TREE" >&2
	fi
	core_cleanup
}

mh_setup() { # [log]: a cgroup tree, rstwatch serve on 127.0.0.1:MH_PORT [--log $T/events.jsonl]
	local root args=()
	T=$(mktemp -d)
	[[ ${1:-} == log ]] && args=(--log "$T/events.jsonl")
	PAIRS=()
	trap mh_cleanup EXIT
	root=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
	[[ -n $root ]] || { e2e_fail "no cgroup2 mount"; return 1; }
	MH_TREE=$root/rstw-mh-$$
	mkdir "$MH_TREE" || return 1
	"$RSTWATCH" serve -v --listen "127.0.0.1:$MH_PORT" "${args[@]}" >"$T/serve.out" 2>"$T/serve.err" &
	SERVE_PID=$!
	NS_BG_PIDS+=("$SERVE_PID")
	ns_wait_line "$T/serve.err" 'watching' 10 || { e2e_fail "serve: $(cat "$T/serve.err")"; return 1; }
}

# mh_reset_from CGROUP PORT: a process in CGROUP connects to a closed loopback
# port: one RST sent (closed_port) and one received (refused), owned there.
mh_reset_from() {
	# shellcheck disable=SC2016
	sh -c 'echo $$ > "$0/cgroup.procs" && exec bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null' \
		"$1" "$2" || true
}

mh_scrape() { curl -sf -m 5 "http://127.0.0.1:$MH_PORT/metrics"; }

mh_metric() { # NAME{LABELS}: its value in a fresh scrape
	mh_scrape | awk -v m="$1" '$1 == m { print $2 }'
}

# A reset from cgroups named with invalid UTF-8, quotes and backslashes, and
# from a user's unit named like a system one: promtool accepts the scrape, and
# the user's unit is counted as the user's.
test_metrics_hostile_cgroup_names() {
	local bad quoted user n i
	mh_setup || return 1
	bad=$MH_TREE/$'rstw-\xff\xfe.service'
	quoted=$MH_TREE/'rstw-q"\x.service'
	user=$MH_TREE/user.slice/user-4242.slice/user@4242.service/app.slice/rstw-nginx.service
	mkdir -p "$bad" "$quoted" "$user" || { e2e_fail "mkdir"; return 1; }
	mh_reset_from "$bad" 26701
	mh_reset_from "$quoted" 26702
	mh_reset_from "$user" 26703
	# the event loop names new cgroups about once a second; scrapes read its names
	for ((i = 0; i < 40; i++)); do
		mh_scrape >"$T/m" || { e2e_fail "no /metrics"; return 1; }
		[[ $(grep -c '^rstwatch_service_resets_total{service=.*direction="received"} 1$' "$T/m") -ge 3 ]] && break
		sleep 0.1
	done
	promtool check metrics <"$T/m" >"$T/promtool" 2>&1 || e2e_fail "promtool: $(cat "$T/promtool")"
	LC_ALL=C grep -q $'[\x80-\xff]' "$T/m" && e2e_fail "bytes above 0x7f in the scrape"
	n=$(grep -c '^rstwatch_service_resets_total{service="rstw-\\\\xff\\\\xfe.service",direction="received"} 1$' "$T/m")
	expect_eq "the invalid-UTF-8 unit, escaped as \\xNN" "$n" 1
	n=$(grep -c '^rstwatch_service_resets_total{service="rstw-q\\"\\\\x.service",direction="received"} 1$' "$T/m")
	expect_eq "the unit with a quote and a backslash" "$n" 1
	n=$(grep -c '^rstwatch_service_resets_total{service="user@4242.service",direction="received"} 1$' "$T/m")
	expect_eq "the user's nginx counted as user@4242.service" "$n" 1
	grep -q 'service="rstw-nginx.service"' "$T/m" && e2e_fail "a user's unit posed as a system one"
	kill -0 "$SERVE_PID" || e2e_fail "rstwatch serve died"
}

# 20,000 cgroups on the host and 200 that had resets and are gone: every
# scrape answers in under 0.5 s, the set of series is the same in each, and
# the --log stream written meanwhile has every event the kernel counted.
test_metrics_scrape_busy_host() {
	local i t max=0 slow=0 gen lost c_log c_kern r_log r_kern
	mh_setup log || return 1
	mkdir -p "$MH_TREE"/many/rstw{1..20000} || { e2e_fail "mkdir"; return 1; }
	mkdir "$MH_TREE"/gone{1..200} || { e2e_fail "mkdir"; return 1; }
	for ((i = 1; i <= 200; i++)); do mh_reset_from "$MH_TREE/gone$i" 26710; done
	for ((i = 0; i < 20; i++)); do
		rmdir "$MH_TREE"/gone{1..200} 2>/dev/null
		[[ -d $MH_TREE/gone1 ]] || break
		sleep 0.1
	done
	[[ -d $MH_TREE/gone200 ]] && { e2e_fail "cgroups still busy"; return 1; }
	mh_reset_from "$MH_TREE" 26711 # every series exists before the timed scrapes
	sleep 0.2
	mh_scrape >/dev/null || e2e_fail "first scrape"
	# resets while 20 scrapes run
	(for ((i = 0; i < 300; i++)); do mh_reset_from "$MH_TREE" 26711; done) &
	gen=$!
	NS_BG_PIDS+=("$gen")
	for ((i = 0; i < 20; i++)); do
		t=$(curl -sf -m 5 -o "$T/scrape.$i" -w '%{time_total}' "http://127.0.0.1:$MH_PORT/metrics") ||
			e2e_fail "scrape $i failed"
		awk -v t="$t" 'BEGIN { exit !(t < 0.5) }' || slow=$((slow + 1))
		awk -v t="$t" -v m="$max" 'BEGIN { exit !(t > m) }' && max=$t
		grep -o '^[a-z_]*{[^}]*}' "$T/scrape.$i" | sed 's/ .*//' >"$T/series.$i"
	done
	echo "    slowest of 20 scrapes: ${max}s"
	expect_eq "scrapes slower than 0.5 s (slowest ${max}s)" "$slow" 0
	for ((i = 1; i < 20; i++)); do
		cmp -s "$T/series.0" "$T/series.$i" || { e2e_fail "series changed at scrape $i: $(diff "$T/series.0" "$T/series.$i" | head -3)"; break; }
	done
	wait_exit "$gen" 60 || e2e_fail "reset generator did not finish"
	# the log has caught up when nothing is pending
	for ((i = 0; i < 50; i++)); do
		[[ $(mh_metric rstwatch_ringbuf_pending_events) == 0 ]] && break
		sleep 0.1
	done
	sleep 0.3 # the last lines leave the writer's buffer
	lost=$(mh_metric rstwatch_events_lost_total)
	expect_eq "events lost" "$lost" 0
	c_kern=$(mh_metric 'rstwatch_resets_sent_total{cause="closed_port"}')
	r_kern=$(mh_metric 'rstwatch_resets_received_total{cause="refused"}')
	c_log=$(jq -s '[.[] | select(.direction == "sent" and .cause == "closed_port")] | length' "$T/events.jsonl") ||
		{ e2e_fail "jq on the log"; return 1; }
	r_log=$(jq -s '[.[] | select(.direction == "received" and .cause == "refused")] | length' "$T/events.jsonl") ||
		{ e2e_fail "jq on the log"; return 1; }
	((c_kern >= 500)) || e2e_fail "closed_port count $c_kern < 500"
	expect_eq "closed_port: events in the log == kernel count" "$c_log" "$c_kern"
	expect_eq "refused: events in the log == kernel count" "$r_log" "$r_kern"
	kill -0 "$SERVE_PID" || e2e_fail "rstwatch serve died"
}
