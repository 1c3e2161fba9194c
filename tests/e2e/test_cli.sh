# shellcheck shell=bash
#
# The command line as a user meets it: errors, filters, text output.

# shellcheck source=tests/lib/scenario.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/scenario.sh"

# expect_error WANT_RC REGEX CMD...: exit status, exactly one stderr line matching
expect_error() {
	local rc=$1 re=$2 out code
	shift 2
	out=$("$@" 2>&1 >/dev/null </dev/null)
	code=$?
	expect_eq "exit status of: $*" "$code" "$rc"
	if ! grep -qE -- "$re" <<<"$out"; then
		e2e_fail "stderr of '$*' does not match /$re/: $out"
	fi
	# one line, plus a "Try --help" line for usage errors
	if [[ $rc == 1 && $(wc -l <<<"$out") -ne 1 ]]; then
		e2e_fail "'$*' printed more than one line: $out"
	fi
}

test_bad_usage() {
	expect_error 2 "unknown option '--frobnicate'" "$RSTWATCH" --frobnicate
	expect_error 2 "unknown option '-Z'" "$RSTWATCH" -Z
	expect_error 2 "needs a value" "$RSTWATCH" -p
	expect_error 2 "is not a process id" "$RSTWATCH" -p abc
	expect_error 2 "is not a port" "$RSTWATCH" --port 70000
	expect_error 2 "unknown cause 'nope'" "$RSTWATCH" --cause closed_port,nope
	expect_error 2 "--summary-json: only the event stream" "$RSTWATCH" serve --summary-json /tmp/x
	# a summary that cannot be written is an error at start, not after the run
	expect_error 1 "--summary-json /nonexistent/s.json: No such file or directory" \
		"$RSTWATCH" --summary-json /nonexistent/s.json
	expect_error 2 "exclude each other" "$RSTWATCH" -4 -6
	expect_error 2 "not a positive count" "$RSTWATCH" -c 0
	expect_error 2 "power of two" "$RSTWATCH" --ringbuf-size 3000
	expect_error 2 "unknown command 'frob'" "$RSTWATCH" frob
	expect_error 2 "unknown hook 'foo'" "$RSTWATCH" --disable receive,foo
	expect_error 2 "is not auto, generic or native" "$RSTWATCH" --xdp-mode turbo
	expect_error 2 "is not a list of interface names" "$RSTWATCH" -i ,eth0
	expect_error 2 "unknown cause" "$RSTWATCH" explain nope
	"$RSTWATCH" --help | grep -q '^Examples:' || e2e_fail "--help has no examples"
	"$RSTWATCH" --version | grep -qE '^rstwatch [0-9]+\.[0-9]+\.[0-9]+' ||
		e2e_fail "--version: $("$RSTWATCH" --version)"
	[[ $("$RSTWATCH" explain | grep -cE '^[a-z0-9_]+ \((sent|received|sent or received)\)$') -eq 27 ]] ||
		e2e_fail "explain does not list the 27 causes"
	"$RSTWATCH" explain linger_abort | grep -q 'SO_LINGER' || e2e_fail "explain linger_abort"
	[[ $("$RSTWATCH" explain | grep -c "^  kernels: ") -eq 27 ]] || e2e_fail "explain: a cause without kernels"
}

test_runtime_errors() {
	expect_error 1 "--btf /nonexistent/vmlinux: No such file" "$RSTWATCH" --btf /nonexistent/vmlinux
	expect_error 1 "cannot read BTF from /etc/hostname" "$RSTWATCH" --btf /etc/hostname
	expect_error 1 "-i nosuch0: no such interface in any network namespace" "$RSTWATCH" -i nosuch0
	# an unprivileged user, then one with CAP_BPF but not CAP_PERFMON
	expect_error 1 "missing capability CAP_BPF" \
		setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$RSTWATCH"
	expect_error 1 "missing capability CAP_PERFMON" \
		setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all,+bpf \
		--ambient-caps=+bpf "$RSTWATCH"
}

# Filters are applied to attributed events: each must keep exactly what it names.
test_filters() {
	local all f n srv_pid
	core_setup || return 1
	rw_stop
	# three instances with different filters, watching the same resets
	"$RSTWATCH" --json -v --port 22001 >"$T/port.json" 2>"$T/port.err" &
	NS_BG_PIDS+=($!)
	"$RSTWATCH" --json -v --cause abort_on_close -6 >"$T/cause6.json" 2>"$T/cause6.err" &
	NS_BG_PIDS+=($!)
	"$RSTWATCH" --json -v --netns "$CLI_INO" -c 2 >"$T/netns.json" 2>"$T/netns.err" &
	NS_BG_PIDS+=($!)
	for f in port cause6 netns; do ns_wait_line "$T/$f.err" watching 10 || return 1; done
	rw_start "$T/rw.json"
	run_scenario closed_port 4 22000
	run_scenario closed_port 4 22001
	run_scenario abort_on_close 4 22002
	run_scenario abort_on_close 6 22003
	srv_pid=$(json_field "$SRV_OUT" listening pid)
	"$RSTWATCH" --json -v -p "$srv_pid" >"$T/pid.json" 2>"$T/pid.err" &
	NS_BG_PIDS+=($!)
	ns_wait_line "$T/pid.err" watching 10 || return 1
	rw_wait_count "(.netns == $SRV_INO or .netns == $CLI_INO)" 8 5
	all=$(rw_count "(.netns == $SRV_INO or .netns == $CLI_INO)")
	expect_eq "unfiltered events (2 closed ports, 2 aborts, each seen from both sides)" "$all" 8
	sleep 0.3
	# matching/all: each filter keeps exactly what it names, and nothing else
	n=$(json_count "$T/port.json" ".lport == 22001 or .rport == 22001")
	expect_eq "--port 22001 events" "$n/$(json_count "$T/port.json" true)" 2/2
	n=$(json_count "$T/cause6.json" \
		'.cause == "abort_on_close" and .family == 6 and .lport == 22003')
	expect_eq "--cause abort_on_close -6 events" "$n/$(json_count "$T/cause6.json" true)" 1/1
	# -c 2 in the client namespace: the two refusals, then it exits by itself
	wait_exit "${NS_BG_PIDS[2]}" 5 || e2e_fail "-c 2 did not exit"
	n=$(json_count "$T/netns.json" ".netns == $CLI_INO and .cause == \"refused\"")
	expect_eq "--netns CLI -c 2 events" "$n/$(json_count "$T/netns.json" true)" 2/2
	# -p started after the last server was gone: it must show nothing of others
	expect_eq "-p (a pid with no more resets) events" "$(json_count "$T/pid.json" true)" 0
}

# -p selects by the socket's owner, not by the task on the CPU
test_filter_pid_owner() {
	local srv_pid n
	core_setup || return 1
	ns_bg "$SRV_NS" "$T/srv" "$RSTGEN" server abort_on_data -a "$NS_SRV_IP4" -p 22100 \
		-n rg-server -t 8000 >/dev/null
	ns_wait_line "$T/srv" '"listening"' 5 || return 1
	srv_pid=$(json_field "$T/srv" listening pid)
	"$RSTWATCH" --json -v -p "$srv_pid" -c 1 >"$T/pid.json" 2>"$T/pid.err" &
	NS_BG_PIDS+=($!)
	ns_wait_line "$T/pid.err" watching 10 || return 1
	ip netns exec "$CLI_NS" "$RSTGEN" client abort_on_data -a "$NS_SRV_IP4" -p 22100 \
		-n rg-client -t 8000 >"$T/cli" 2>&1
	wait_exit "${NS_BG_PIDS[-1]}" 5 || e2e_fail "-p -c 1 did not exit"
	n=$(jq -r '"\(.cause) \(.pid) \(.comm) \(.task_comm)"' "$T/pid.json")
	expect_eq "-p SERVER: the reset the client's sendto triggered" "$n" \
		"abort_on_data $srv_pid rg-server rg-client"
}

# Text mode: a header, IPv4 lines within 80 columns, the same names and
# numbers as JSON, and a summary on Ctrl-C.
test_text_output() {
	local line pid
	core_setup || return 1
	"$RSTWATCH" --port 22200 --summary-json "$T/text.summary" >"$T/text" 2>"$T/text.err" &
	RWT=$!
	NS_BG_PIDS+=("$RWT")
	ns_wait_line "$T/text" '^TIME +DIR +CAUSE +LOCAL > REMOTE' 10 || return 1
	run_scenario abort_on_close 4 22200
	rw_wait_count "(.lport == 22200 or .rport == 22200)" 2 5
	sleep 0.3
	kill -INT "$RWT"
	wait_exit "$RWT" 5 || e2e_fail "text mode did not stop on SIGINT"
	pid=$(json_field "$SRV_OUT" listening pid)
	line=$(grep -E '^[0-9:]{8} sent abort_on_close' "$T/text")
	[[ $line =~ \ $NS_SRV_IP4:22200\ \>\ $NS_CLI_IP4:[0-9]+$ ]] ||
		e2e_fail "text line for the abort: '$line'"
	# the wrapped detail lines below it, joined
	line=$(sed -n '/sent abort_on_close/,/^[^ ]/p' "$T/text" | sed '1d;/^[^ ]/d' | tr -s ' \n' ' ')
	expect_eq "detail lines" "$line" \
		" rg-server[$pid], CLOSE, syscall:close: the application closed the socket with unread data [TCP_ABORT_ON_CLOSE] "
	grep -qE '^[0-9:]{8} recv peer_reset' "$T/text" || e2e_fail "no received line"
	if awk 'length > 80' "$T/text" | grep -q .; then
		e2e_fail "lines over 80 columns: $(awk 'length > 80' "$T/text")"
	fi
	# the summary for people says what its JSON form says (user/summary.c)
	expect_eq "text summary: sent abort_on_close" \
		"$(sed -nE 's/^  sent +abort_on_close +([0-9]+)$/\1/p' "$T/text")" \
		"$(json_get "$T/text.summary" .resets.sent.abort_on_close)"
	expect_eq "text summary: total" \
		"$(sed -nE 's/^Resets by cause \(all namespaces, exact kernel counts\): ([0-9]+)$/\1/p' "$T/text")" \
		"$(json_get "$T/text.summary" .resets.total)"
	expect_eq "JSON summary: events" "$(json_get "$T/text.summary" '.events | "\(.shown) \(.lost) \(.malformed)"')" \
		"2 0 0"
	grep -q '^Events shown: 2, lost (ring buffer full): 0, malformed: 0$' "$T/text" ||
		e2e_fail "summary footer: $(cat "$T/text")"
}

# A process may name itself with terminal escapes, and so may an interface in
# anyone's namespace: text mode, top, check and the log lines show them
# escaped, never raw (a title change, a cleared screen).
test_text_output_escapes_names() {
	local pid ctl
	core_setup || return 1
	ip -n "$SRV_NS" link add $'rw\e[2J' type veth peer name rwesc0 ||
		{ e2e_fail "cannot make an interface named with an escape"; return 1; }
	"$RSTWATCH" check >"$T/check" 2>"$T/check.err"
	"$RSTWATCH" -v --port 22210 >"$T/text" 2>"$T/text.err" &
	RWT=$!
	NS_BG_PIDS+=("$RWT")
	"$RSTWATCH" top --interval 1 --port 22210 --disable wire >"$T/top" 2>"$T/top.err" </dev/null &
	pid=$!
	NS_BG_PIDS+=("$pid")
	ns_wait_line "$T/text" '^TIME +DIR +CAUSE +LOCAL > REMOTE' 10 || return 1
	ns_wait_line "$T/top" '^rstwatch top ' 10 || return 1
	SRV_NAME=$'\e]2;owned\a' run_scenario abort_on_close 4 22210
	rw_wait_count "(.lport == 22210 or .rport == 22210)" 2 5
	expect_eq "comm in JSON" "$(rw_events '.lport == 22210 and .direction == "sent"' | jq -r .comm)" \
		$'\e]2;owned\a'
	sleep 1.5 # a top block after the reset
	kill -INT "$RWT" "$pid"
	wait_exit "$RWT" 5 || e2e_fail "text mode did not stop on SIGINT"
	wait_exit "$pid" 5 || e2e_fail "top did not stop on SIGINT"
	# any C0 byte but newline, or DEL
	ctl=$'[\x01-\x09\x0b-\x1f\x7f]'
	for f in "$T/text" "$T/top" "$T/text.err" "$T/top.err" "$T/check" "$T/check.err"; do
		LC_ALL=C grep -q "$ctl" "$f" && e2e_fail "raw control bytes in $f: $(LC_ALL=C grep "$ctl" "$f" | od -c | head -5)"
	done
	grep -qF '\x1b]2;owned\x07[' "$T/text" || e2e_fail "no escaped name in text mode: $(cat "$T/text")"
	grep -qF '\x1b]2;owned\x07[' "$T/top" || e2e_fail "no escaped name in top: $(tail -20 "$T/top")"
	grep -qF 'wire: rw\x1b[2J (netns' "$T/text.err" || e2e_fail "no escaped interface in the log: $(cat "$T/text.err")"
	grep -qF 'rw\x1b[2J' "$T/check" || e2e_fail "no escaped interface in check: $(cat "$T/check")"
}

# A hook that is missing (or turned off) degrades with a warning naming it;
# the rest keeps working, and counts stay consistent with what is shown.
test_degraded_hooks() {
	core_setup || return 1
	rw_stop
	rw_start "$T/rw.json" --disable receive,drops
	grep -q 'warning: degraded: tcp_receive_reset disabled (--disable receive): received resets not shown' \
		"$T/rw.json.err" || e2e_fail "no receive warning: $(cat "$T/rw.json.err")"
	grep -q 'warning: degraded: kfree_skb disabled' "$T/rw.json.err" ||
		e2e_fail "no drops warning: $(cat "$T/rw.json.err")"
	run_scenario closed_port 4 22700
	check_sent_count "$SRV_INO" "$D_SRV" 22700 "closed_port with receive disabled"
	expect_eq "received events with receive disabled" \
		"$(rw_count ".direction == \"received\"")" 0
	check_summary
}

# check: what the kernel offers, loaded and attached for real, then exit; the
# same facts as text and as JSON (--json)
test_check() {
	local out j=$T/check.json rc
	core_setup || return 1
	rw_stop
	"$RSTWATCH" check --json >"$j" 2>"$T/check.err"
	expect_eq "check --json exit status" "$?" 0
	expect_eq "check --json: result, sent resets, reason" \
		"$(json_get "$j" '"\(.result) \(.hooks.send_reset.ok) \(.hooks.reset_reason.ok)"')" \
		"ok true true"
	[[ $(json_get "$j" .hooks.reset_reason.names) =~ ^[1-9][0-9]*$ ]] ||
		e2e_fail "check --json: reason names: $(json_get "$j" .hooks.reset_reason.names)"
	expect_eq "check --json: $NS_IFNAME in $SRV_INO" \
		"$(json_get "$j" "[.wire[] | select(.ifname == \"$NS_IFNAME\" and .netns == $SRV_INO) |
			\"\\(.tc) \\(.ingress)\"] | join(\",\")")" "tcx tcx"
	expect_eq "check --json: the kernel" "$(json_get "$j" .kernel.release)" "$(uname -r)"
	out=$("$RSTWATCH" check 2>&1)
	rc=$?
	expect_eq "check exit status" "$rc" 0
	# the text for people: every hook of the JSON is a line with the same verdict
	expect_eq "check: ok lines == hooks ok in JSON" "$(grep -cE '^  ok   ' <<<"$out")" \
		"$(json_get "$j" '[.hooks[] | select(.ok)] | length')"
	expect_eq "check: no lines == hooks not ok in JSON" "$(grep -cE '^  no   ' <<<"$out")" \
		"$(json_get "$j" '[.hooks[] | select(.ok | not)] | length')"
	grep -qE "^  $NS_IFNAME +netns $SRV_INO +tcx-egress tcx-ingress" <<<"$out" ||
		e2e_fail "check does not list $NS_IFNAME in $SRV_INO: $out"
	grep -q '^result:     ok: the core works$' <<<"$out" || e2e_fail "check result: $out"
	# 6.18: owners on the socket, nothing to evict
	grep -q '^  ok   owners kept on the socket (socket-local storage): nothing to evict' <<<"$out" ||
		e2e_fail "check owners line: $out"
	out=$("$RSTWATCH" check --disable sk-storage 2>&1)
	grep -q '^  no   owners kept on the socket (socket-local storage): --disable sk-storage$' \
		<<<"$out" || e2e_fail "check --disable sk-storage: $out"
	# options after the command; a disabled hook shows as degraded
	"$RSTWATCH" check --json --disable receive,wire >"$j" 2>"$T/check.err"
	expect_eq "check --disable exit status" "$?" 0
	expect_eq "check --disable: result, receive, tc, ingress, interfaces" \
		"$(json_get "$j" '"\(.result) \(.hooks.receive_reset.ok) \(.hooks.tc_egress.ok) \(.hooks.ingress.ok) \(.wire | length)"')" \
		"degraded false false false 0"
	out=$("$RSTWATCH" check --disable receive,wire 2>&1)
	grep -q '^  no   tp_btf/tcp_receive_reset' <<<"$out" || e2e_fail "check --disable: $out"
	grep -q 'some views are degraded' <<<"$out" || e2e_fail "check --disable result: $out"
	# nothing stays attached after check
	ip -n "$SRV_NS" link show "$NS_IFNAME" | grep -q xdp && e2e_fail "check left XDP attached"
	expect_error 1 "missing capability CAP_BPF" \
		setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$RSTWATCH" check
	# a check that cannot run says so in JSON too, and exits 1
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$RSTWATCH" check --json \
		>"$j" 2>/dev/null
	expect_eq "check --json without privileges: exit status" "$?" 1
	expect_eq "check --json without privileges" \
		"$(json_get "$j" '"\(.result) \(.privileges.CAP_BPF)"')" "fail false"
}

# Colour only on a terminal, never with NO_COLOR unless asked, always if asked.
test_color() {
	local esc=$'\033[3'
	core_setup || return 1
	rw_stop
	"$RSTWATCH" -c 2 --port 22900 >"$T/plain" 2>/dev/null &
	NS_BG_PIDS+=($!)
	"$RSTWATCH" -c 2 --port 22900 --color=always >"$T/always" 2>/dev/null &
	NS_BG_PIDS+=($!)
	NO_COLOR=1 script -qfec "$RSTWATCH -c 2 --port 22900" /dev/null >"$T/tty-nocolor" 2>&1 &
	NS_BG_PIDS+=($!)
	TERM=xterm script -qfec "$RSTWATCH -c 2 --port 22900" /dev/null >"$T/tty" 2>&1 &
	NS_BG_PIDS+=($!)
	sleep 2
	run_scenario abort_on_close 4 22900
	sleep 1
	grep -qF "$esc" "$T/always" || e2e_fail "--color=always: no colour"
	grep -qF "$esc" "$T/tty" || e2e_fail "terminal: no colour: $(head -3 "$T/tty")"
	grep -q $'\033\[' "$T/plain" && e2e_fail "a pipe got colour"
	grep -q $'\033\[' "$T/tty-nocolor" && e2e_fail "NO_COLOR ignored"
	grep -q 'abort_on_close' "$T/plain" || e2e_fail "the pipe got nothing"
	return 0
}

# top on a terminal (tmux): shows the resets, sorts, quits on q.
test_top_tmux() {
	local sess=rwtop$$ pane pid i
	core_setup || return 1
	rw_stop
	trap 'tmux kill-session -t "'"$sess"'" 2>/dev/null; core_cleanup' EXIT
	tmux new-session -d -s "$sess" -x 100 -y 50 "$RSTWATCH top --disable wire" || return 1
	sleep 1.5
	run_scenario abort_on_close 4 23300
	pid=$(json_field "$SRV_OUT" listening pid)
	for ((i = 0; i < 30; i++)); do
		pane=$(tmux capture-pane -p -t "$sess")
		grep -q "rg-server\[$pid\]" <<<"$pane" && break
		sleep 0.2
	done
	grep -q '^rstwatch top .*resets/s' <<<"$pane" || e2e_fail "no top header: $pane"
	grep -qE '^  abort_on_close +[0-9]+' <<<"$pane" || e2e_fail "no abort_on_close line: $pane"
	grep -qE "^  rg-server\[$pid\] +1\$" <<<"$pane" || e2e_fail "no owner line: $pane"
	grep -qE '^  23300 +[0-9]+' <<<"$pane" || e2e_fail "no port line: $pane"
	tmux send-keys -t "$sess" s
	sleep 1.2
	tmux send-keys -t "$sess" q
	for ((i = 0; i < 30; i++)); do
		tmux has-session -t "$sess" 2>/dev/null || break
		sleep 0.1
	done
	tmux has-session -t "$sess" 2>/dev/null && e2e_fail "top did not quit on q"
	return 0
}

# top without a terminal: plain text blocks, at the interval asked.
test_top_plain() {
	local pid
	core_setup || return 1
	rw_stop
	"$RSTWATCH" top --interval 1 --disable wire >"$T/top" 2>"$T/top.err" </dev/null &
	pid=$!
	NS_BG_PIDS+=("$pid")
	sleep 1.5
	run_scenario linger_abort 6 23301
	sleep 2.5
	kill -INT "$pid"
	wait_exit "$pid" 5 || e2e_fail "top did not stop on SIGINT"
	grep -q $'\033' "$T/top" && e2e_fail "terminal codes in plain output"
	[[ $(grep -c '^rstwatch top ' "$T/top") -ge 3 ]] || e2e_fail "fewer than 3 blocks in 4 s"
	grep -qE '^  linger_abort +1$' "$T/top" || e2e_fail "no linger_abort: $(tail -30 "$T/top")"
	grep -qE "^  rg-server\[$(json_field "$SRV_OUT" listening pid)\] +1$" "$T/top" ||
		e2e_fail "no owner: $(tail -30 "$T/top")"
}

# Least privilege: an unprivileged user with only CAP_BPF, CAP_PERFMON and
# CAP_NET_ADMIN sees every namespace's resets; what needs more says so.
test_least_privilege() {
	local pid
	core_setup || return 1
	rw_stop
	# a directory uid 65534 may write its exit summary in
	chmod 0711 "$T"
	install -d -o 65534 -m 0700 "$T/lp"
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all,+bpf,+perfmon,+net_admin --ambient-caps=+bpf,+perfmon,+net_admin \
		"$RSTWATCH" --json -v --summary-json "$T/lp/summary.json" >"$T/lp.json" 2>"$T/lp.err" &
	pid=$!
	NS_BG_PIDS+=("$pid")
	ns_wait_line "$T/lp.err" watching 10 || { e2e_fail "least privilege: $(cat "$T/lp.err")"; return 1; }
	expect_eq "effective capabilities" "$(awk '/^CapEff:/ { print $2 }' "/proc/$pid/status")" 000000c000001000
	grep -q 'degraded: cannot enter other network namespaces (Operation not permitted, CAP_SYS_ADMIN needed)' \
		"$T/lp.err" || e2e_fail "no word about the namespaces it cannot enter: $(cat "$T/lp.err")"
	run_scenario abort_on_close 4 23400
	RW_OUT=$T/lp.json
	check_sent_count "$SRV_INO" "$D_SRV" 23400 "least privilege abort_on_close"
	check_event "$(sel "$SRV_INO" sent 23400)" cause=abort_on_close kernel_reason=TCP_ABORT_ON_CLOSE \
		pid="$(json_field "$SRV_OUT" listening pid)" comm=rg-server
	check_event "$(sel "$CLI_INO" received 23400)" cause=peer_reset comm=rg-client
	# the same assertions as the core tests, for the other everyday causes
	run_scenario closed_port 6 23401
	expect_eq "least privilege closed_port: server TcpOutRsts delta" "$D_SRV" 1
	check_sent_count "$SRV_INO" "$D_SRV" 23401 "least privilege closed_port"
	check_event "$(sel "$SRV_INO" sent 23401)" cause=closed_port kernel_reason=NO_SOCKET \
		pid=null comm=null laddr="$NS_SRV_IP6" lport=23401
	check_event "$(sel "$CLI_INO" received 23401)" cause=refused comm=rg-client \
		pid="$(json_field "$CLI_OUT" "done" pid)"
	run_scenario linger_abort 4 23402
	check_sent_count "$SRV_INO" "$D_SRV" 23402 "least privilege linger_abort"
	check_event "$(sel "$SRV_INO" sent 23402)" cause=linger_abort \
		pid="$(json_field "$SRV_OUT" listening pid)" comm=rg-server
	kill -INT "$pid"
	wait_exit "$pid" 5 || e2e_fail "did not stop"
	expect_eq "least privilege: events shown == lines, lost" \
		"$(json_get "$T/lp/summary.json" '"\(.events.shown) \(.events.lost)"')" \
		"$(json_count "$T/lp.json" true) 0"
}

# --filter: a pcap-filter expression on each reset's packet, as tcpdump reads
# it; the rest are left out of the stream (not of the counts).  A bad one is
# libpcap's own error and exit 2.
test_pcap_filter() {
	local p1=22700 p2=22701 n
	CORE_RW_ARGS=(--filter "host $NS_SRV_IP4 and tcp port $p1")
	core_setup || return 1
	CORE_RW_ARGS=()
	run_scenario closed_port 4 "$p2"
	run_scenario closed_port 6 "$p1"
	run_scenario closed_port 4 "$p1"
	rw_wait_count "(.lport == $p1 or .rport == $p1)" 2 5 || e2e_fail "no events for port $p1"
	sleep 0.3
	expect_eq "events passing the filter" "$(rw_count 'true')" 2
	expect_eq "the server's reset and the client's refusal, IPv4, port $p1" \
		"$(rw_events 'true' | jq -r '"\(.direction) \(.family) \(.cause)"' | sort | tr '\n' ' ')" \
		"received 4 refused sent 4 closed_port "
	rw_stop
	# the RST as it travelled, from the server's port with the RST flag, seen
	# leaving the server and reaching the client; none travelled to that port
	rw_start "$T/rst.json" --filter "src port $p1 and tcp[tcpflags] & tcp-rst != 0" || return 1
	run_scenario closed_port 4 "$p1"
	run_scenario closed_port 4 "$p2"
	rw_wait_count "true" 2 5 || e2e_fail "no events from port $p1"
	sleep 0.3
	n=$(rw_events 'true' | jq -r '"\(.direction) \(.rport == '"$p1"' or .lport == '"$p1"')"' | sort | tr '\n' ' ')
	expect_eq "the RST from port $p1, at both ends" "$n" "received true sent true "
	rw_stop
	rw_start "$T/dst.json" --filter "dst port $p1" || return 1
	run_scenario closed_port 4 "$p1"
	sleep 0.5
	expect_eq "RSTs to port $p1 (there are none)" "$(rw_count 'true')" 0
	rw_stop
	expect_eq "bad filter exit status" \
		"$("$RSTWATCH" --filter 'tcp port' >/dev/null 2>"$T/bad.err"; echo $?)" 2
	grep -q "^rstwatch: --filter 'tcp port': " "$T/bad.err" ||
		e2e_fail "bad filter message: $(cat "$T/bad.err")"
}
