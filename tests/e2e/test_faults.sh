# shellcheck shell=bash
#
# Faults while running: interfaces vanish, SIGHUP and scrapes during a flood.
# (kill -9 and two instances: tests/e2e/test_wire.sh.)

# shellcheck source=tests/lib/scenario.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/scenario.sh"

# flood NS ADDR PORT N: N connection attempts to a closed port, in the background
flood() {
	# shellcheck disable=SC2016 # expanded by the inner shell
	ip netns exec "$1" bash -c 'for ((i = 0; i < $3; i++)); do : 2>/dev/null <"/dev/tcp/$1/$2"; done' \
		_ "$2" "$3" "$4" &
	FLOOD_PID=$!
	NS_BG_PIDS+=("$FLOOD_PID")
}

test_interface_vanishes() {
	core_setup || return 1
	run_scenario closed_port 4 27000
	rw_wait_count "(.lport == 27000 and .netns == $SRV_INO)" 1 5
	# the server's link goes away while the wire programs are attached to it
	ip -n "$SRV_NS" link del "$NS_IFNAME"
	sleep 3 # a rescan or two
	kill -0 "$RW_PID" || { e2e_fail "rstwatch died when an interface vanished"; return 1; }
	grep -q 'rstwatch: [^w]' "$RW_OUT.err" && grep -v 'warning\|attached\|wire:\|watching\|capabilities:' "$RW_OUT.err" |
		grep -q . && e2e_fail "errors after the interface vanished: $(cat "$RW_OUT.err")"
	# and it goes on: a fresh pair, resets seen, wire attached there
	core_new_pair b || return 1
	ns_wait_line "$RW_OUT.err" "wire: $NS_IFNAME \\(netns $SRV_INO\\)" 5 || e2e_fail "no attach to the new pair"
	run_scenario closed_port 4 27001
	rw_wait_count "(.lport == 27001 and .netns == $SRV_INO)" 1 5 || e2e_fail "no events after the vanishing"
	check_summary
}

test_sighup_and_scrapes_during_flood() {
	local c0 c1 b i code bad=0
	core_setup || return 1
	rw_stop
	"$RSTWATCH" serve -v --listen 127.0.0.1:19880 >"$T/serve.out" 2>"$T/serve.err" &
	SERVE_PID=$!
	NS_BG_PIDS+=("$SERVE_PID")
	ns_wait_line "$T/serve.err" watching 10 || return 1
	c0=$(curl -sf http://127.0.0.1:19880/metrics | awk '$1 == "rstwatch_resets_sent_total{cause=\"closed_port\"}" { print $2 }')
	b=$(ns_nstat "$SRV_NS" TcpOutRsts)
	flood "$CLI_NS" "$NS_SRV_IP4" 27100 1500
	for ((i = 0; i < 20; i++)); do
		code=$(curl -s -m 3 -o "$T/m.$i" -w '%{http_code}' http://127.0.0.1:19880/metrics)
		[[ $code == 200 ]] || bad=$((bad + 1))
		((i % 4 == 0)) && kill -HUP "$SERVE_PID"
		sleep 0.1
	done
	expect_eq "scrapes that failed during the flood" "$bad" 0
	promtool check metrics <"$T/m.10" >/dev/null 2>&1 || e2e_fail "promtool on a scrape during the flood"
	wait_exit "$FLOOD_PID" 60 || e2e_fail "flood did not finish"
	sleep 0.5
	kill -0 "$SERVE_PID" || { e2e_fail "serve died"; return 1; }
	c1=$(curl -sf http://127.0.0.1:19880/metrics | awk '$1 == "rstwatch_resets_sent_total{cause=\"closed_port\"}" { print $2 }')
	expect_eq "closed_port counter == TcpOutRsts in the server namespace" "$((c1 - c0))" \
		"$(($(ns_nstat "$SRV_NS" TcpOutRsts) - b))"
	echo "    $((c1 - c0)) resets during 20 scrapes and 5 SIGHUPs"
}

# A bounded soak: 40 s of resets and scrapes; memory must stay flat.
test_soak_steady_rss() {
	local r1 r2 i
	core_setup || return 1
	rw_stop
	"$RSTWATCH" serve --listen 127.0.0.1:19881 --log "$T/soak.jsonl" --netns "$SRV_INO" \
		>/dev/null 2>"$T/serve.err" &
	SERVE_PID=$!
	NS_BG_PIDS+=("$SERVE_PID")
	sleep 1
	flood "$CLI_NS" "$NS_SRV_IP4" 27200 100000
	for ((i = 0; i < 40; i++)); do
		curl -s -m 3 -o /dev/null http://127.0.0.1:19881/metrics
		((i == 10)) && r1=$(awk '/^VmRSS:/ { print $2 }' "/proc/$SERVE_PID/status")
		sleep 1
	done
	r2=$(awk '/^VmRSS:/ { print $2 }' "/proc/$SERVE_PID/status")
	ns_stop "$FLOOD_PID" >/dev/null
	echo "    RSS ${r1} kB after 10 s, ${r2} kB after 40 s; $(wc -l <"$T/soak.jsonl") events logged"
	((r2 - r1 < 2048)) || e2e_fail "RSS grew by $((r2 - r1)) kB in 30 s"
	[[ $(wc -l <"$T/soak.jsonl") -gt 1000 ]] || e2e_fail "the soak produced too few resets"
	kill -0 "$SERVE_PID" || e2e_fail "serve died"
}
