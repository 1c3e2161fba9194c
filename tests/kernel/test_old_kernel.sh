#!/usr/bin/env bash
# rstwatch on old kernels: Debian 12's 6.1 and Debian 11's 5.10 cloud kernels,
# each booted under qemu (TCG: no KVM needed) with a small initramfs
# (tests/kernel/mkinitramfs.sh) whose /init (tests/kernel/guest_init.sh) plays
# the reset scenarios with rstgen under three rstwatch runs: default,
# --fallback kprobe, and as uid 65534 with only CAP_BPF, CAP_PERFMON and
# CAP_NET_ADMIN.  The guest's results come back as a tar archive on a raw
# virtio disk; here they are checked with jq against the guest kernel's own
# counters (TcpOutRsts, TcpExt*) and the processes' own view of their sockets
# (rstgen's JSON lines).  An nftables REJECT (firewall_reject) is seen only by
# rstwatch's TC egress program, a clsact filter on both (no tcx before 6.6):
# it must be there while rstwatch runs and gone after it stops (tc filter show
# in the guest).
#
# What each kernel offers is written down here (offers(), by the release that
# brought each feature) and `rstwatch check --json` must say the same; the
# scenarios' expectations then follow from what check says.  Where a view is
# missing (5.10: no process context, no drop reasons, no fexit return value)
# the degraded behaviour itself is asserted: rstwatch's warning, no events of
# that view, and the causes the remaining facts give.
#
#   tests/kernel/test_old_kernel.sh          (make kernel-test; part of make test)
#
# Environment: RSTW_KERNELS (default "6.1,5.10"), RSTW_RUNS (default
# "default,kprobe,caps" on every kernel), RSTW_QEMU_TIMEOUT (seconds per
# guest, default 180), RSTW_QEMU_SMP (default 2).  Each guest's files of the
# last run are kept in .output/kernel-test/<kernel>/out for a look after a
# failure.  Closing line: "kernel: N passed, N failed[, N skipped]".  Without
# root or qemu, or without a kernel package, the test (or that kernel) is
# skipped, loudly; under CI (CI=true) the runner counts a skip as a failure,
# and so does this script's exit status.
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck source=tests/lib/json_count.sh
. tests/lib/json_count.sh

KERNELS=${RSTW_KERNELS:-6.1,5.10}
RUNS=${RSTW_RUNS:-default,kprobe,caps}
QEMU_TIMEOUT=${RSTW_QEMU_TIMEOUT:-180}
SMP=${RSTW_QEMU_SMP:-2}
KEEP=.output/kernel-test
PASSED=0
FAILED=0
SKIPPED=0
T=
QEMU_PID=
# the kernel series being checked (6.1, 5.10): every result line names it
K=
# what this run's `rstwatch check` says (ok or no) of: process context,
# refused-RST drops, listen drops, the wire's netns (check_run)
CTX='' RDROP='' LDROP='' WNETNS=''
# whether the run has CAP_SYS_ADMIN (ok or no), as rstwatch check says
SYSADM=''

skip_all() {
	echo "SKIP: old-kernel test (Debian kernels under qemu) NOT RUN: $*"
	echo "kernel: 0 passed, 0 failed, 1 skipped"
	if [[ ${CI:-} == true ]]; then
		exit 1
	fi
	exit 0
}

fail_all() {
	echo "FAIL old-kernel test: $*"
	echo "kernel: $PASSED passed, $((FAILED + 1)) failed"
	exit 1
}

# skip_kernel WHY: this kernel's guest is not run (counted as one skip)
skip_kernel() {
	SKIPPED=$((SKIPPED + 1))
	echo "SKIP: [$K] Debian $K guest NOT RUN: $*"
}

cleanup() {
	if [[ -n $QEMU_PID ]] && kill -0 "$QEMU_PID" 2>/dev/null; then
		kill -TERM "$QEMU_PID" 2>/dev/null || true
		wait "$QEMU_PID" 2>/dev/null || true
	fi
	[[ -n $T ]] && rm -rf "$T"
}

ok() {
	PASSED=$((PASSED + 1))
	echo "ok   [$K] $*"
}

fail() {
	FAILED=$((FAILED + 1))
	echo "FAIL [$K] $*"
}

# check WHAT ACTUAL EXPECTED
check() {
	if [[ "$2" == "$3" ]]; then
		ok "$1: $2"
	else
		fail "$1: got '$2', want '$3'"
	fi
}

# counter FILE SECTION NAME: a counter from a /proc/net/snmp or netstat copy
counter() {
	awk -v s="$2:" -v n="$3" '$1 == s {
		if (!h) { for (i = 2; i <= NF; i++) col[$i] = i; h = 1; next }
		if (n in col) print $(col[n]); exit }' "$1"
}

# delta DIR srv|cli SECTION NAME: after - before, in that end's namespace
delta() {
	local ext=snmp a b
	[[ $3 == Tcp ]] || ext=netstat
	b=$(counter "$1/before.$2.$ext" "$3" "$4")
	a=$(counter "$1/after.$2.$ext" "$3" "$4")
	if [[ -z $a || -z $b ]]; then
		echo "missing"
	else
		echo $((a - b))
	fi
}

# sel NSINO DIRECTION PORT: jq filter for a scenario's events in one namespace
sel() {
	echo ".netns == $1 and .direction == \"$2\" and (.lport == $3 or .rport == $3)"
}

# rsel NSINO PORT: received resets (a SYN dropped for a full accept queue is
# a received listen_drop on the same port, e.g. in listen_overflow on lo)
rsel() {
	echo "$(sel "$1" received "$2") and .kind == \"reset\""
}

# wsel PORT: jq filter for the RSTs rstwatch saw only on the wire, leaving
wsel() {
	echo ".kind == \"wire\" and .direction == \"sent\" and (.lport == $1 or .rport == $1)"
}

# events FILTER / count FILTER: of the current run's JSON lines ($RW); count
# says ERROR(...) if jq fails or the file is missing, never 0
events() {
	jq -c "select($1)" "$RW"
}

count() {
	json_count "$RW" "$1"
}

# at_least VALUE MIN: "VALUE >= MIN" if it is, else VALUE itself (a number
# below MIN, or "missing"): for check's ACTUAL, whose EXPECTED is "VALUE >= MIN"
at_least() {
	if [[ $1 =~ ^-?[0-9]+$ ]] && (($1 >= $2)); then
		echo "at least $2"
	else
		echo "$1"
	fi
}

# field FILE EVENT KEY: KEY of the first rstgen line of that event
field() {
	[[ -e $1 ]] || return 0
	jq -r --arg ev "$2" "select(.event == \$ev) | .$3" "$1" | head -n 1
}

# expect_event WHAT FILTER KEY=VALUE...: exactly one event, with these values
expect_event() {
	local what=$1 filter=$2 ev n kv k v got bad=()
	shift 2
	n=$(count "$filter")
	if [[ $n != 1 ]]; then
		fail "$what: $n events, want exactly 1"
		events "$filter" | head -n 3 | sed 's/^/       /'
		return
	fi
	ev=$(events "$filter")
	for kv in "$@"; do
		k=${kv%%=*}
		v=${kv#*=}
		got=$(jq -r ".$k" <<<"$ev")
		[[ $got == "$v" ]] || bad+=("$k=$got (want $v)")
	done
	if [[ ${#bad[@]} -eq 0 ]]; then
		ok "$what: $*"
	else
		fail "$what: ${bad[*]}"
		echo "       $ev"
	fi
}

# An accept queue overflowing with tcp_abort_on_overflow=0: no reset, and a
# listen_drop event for each of the kernel's ListenOverflows (the final ACK
# found the queue full, or a SYN did).
check_listen_drop() {
	local d=$1 id=$2 srv_pid=$3 ovf n ev
	ovf=$(delta "$d" srv TcpExt ListenOverflows)
	check "$id: rstgen client result" "$(field "$d/cli.json" "done" result)" ok
	check "$id: TcpOutRsts delta (no reset with tcp_abort_on_overflow=0)" \
		"$(delta "$d" srv Tcp OutRsts)" 0
	if [[ $ovf == missing || $ovf -lt 1 ]]; then
		fail "$id: TcpExtListenOverflows delta: $ovf, want >= 1"
		return
	fi
	ok "$id: TcpExtListenOverflows delta: $ovf"
	check "$id: resets on the port" "$(count ".kind == \"reset\" and (.lport == $port or .rport == $port)")" 0
	if [[ $LDROP == no ]]; then
		# not skipped: what rstwatch promises here is no event, and a
		# warning (check_degraded), and nothing else on the port
		echo "   NOTE: [$K] $id: listen_drop events NOT expected: rstwatch check says no" \
			"listen drops on this kernel (no drop reason, no fexit return value before 5.17)"
		check "$id: listen_drop events (none: no listen drops here)" \
			"$(count ".kind == \"listen_drop\"")" 0
		check "$id: events of any kind on the port" \
			"$(count ".lport == $port or .rport == $port")" 0
		return
	fi
	n=$(count "$(sel "$srv_ino" received "$port") and .kind == \"listen_drop\"")
	check "$id: listen_drop events == TcpExtListenOverflows delta" "$n" "$ovf"
	ev=$(events "$(sel "$srv_ino" received "$port") and .kind == \"listen_drop\"" | head -n 1)
	check "$id: listen_drop event" \
		"$(jq -r '"\(.cause) \(.pid) \(.comm) \(.lport) \(.state) \(.kernel_reason)"' <<<"$ev")" \
		"listen_drop $srv_pid rg-server $port LISTEN TCP_LISTEN_OVERFLOW"
}

# One scenario of one run: the scenario itself happened (rstgen, the kernel's
# counters), then rstwatch's events against it.
check_scenario() {
	local d=$1 run=$2 id scenario family sc fam where port addr caddr srv_ino cli_ino w
	local sender sender_ino other_ino sent_cause recv_n recv_cause sent_rsts wire_n
	local srv_pid cli_pid c_tuple ino role d_rst want_ns
	local s_pid s_comm s_json r_pid r_comm r_json nerr want_ctx_disconnect want_ctx_timer
	# shellcheck disable=SC1091 # written by the guest
	. "$d/meta"
	id=$run/$id
	sc=$scenario fam=$family
	srv_pid=$(field "$d/srv.json" listening pid)
	cli_pid=$(jq -r .pid "$d/cli.json" 2>/dev/null | head -n 1)

	if [[ $sc == listen_drop ]]; then
		check_listen_drop "$d" "$id" "$srv_pid"
		return
	fi

	# what the scenario must produce (DESIGN.md §3); sent_rsts: the sender's
	# TcpOutRsts delta, wire_n: resets seen only on the wire (TC egress)
	sender=srv recv_n=1 recv_cause=peer_reset sent_rsts=1 wire_n=0
	case $sc in
	closed_port) sent_cause=closed_port recv_cause=refused ;;
	abort_on_close) sent_cause=abort_on_close ;;
	linger_abort) sent_cause=linger_abort ;;
	linger2_abort) sent_cause=linger2_abort ;;
	abort_on_data) sent_cause=abort_on_data ;;
	closed_then_data) sent_cause=timewait ;;
	listen_overflow) sent_cause=listen_overflow ;;
	keepalive) sent_cause=keepalive_timeout sender=cli recv_n=0 ;;
	disconnect) sent_cause=disconnect sender=cli ;;
	# netfilter's reset: not the stack's, so no TcpOutRsts
	firewall_reject)
		sent_cause=firewall_reject recv_cause=refused sent_rsts=0 wire_n=1
		# without CAP_SYS_ADMIN rstwatch cannot enter the pair's namespaces
		# to attach there (check_clsact): then the wire sees nothing of it
		if [[ $where == veth && $SYSADM == no ]]; then
			wire_n=0
			echo "   $id: rstwatch cannot enter the server's namespace: no wire event expected"
		fi
		;;
	*)
		fail "$id: unknown scenario $sc"
		return
		;;
	esac
	# without process context (check: no) the rules that need the syscall
	# in progress (include/rstwatch.h RSTW_F_TASK; user/cause.c) cannot
	# match: no other fact proves these three, so the cause is unknown
	want_ctx_disconnect=syscall:connect want_ctx_timer=timer
	if [[ $CTX == no ]]; then
		case $sc in
		abort_on_close | linger_abort | disconnect)
			echo "   NOTE: [$K] $id: sent cause unknown expected, not $sent_cause:" \
				"no process context on this kernel"
			sent_cause=unknown
			;;
		esac
		want_ctx_disconnect=unknown want_ctx_timer=unknown
	fi
	if [[ $sender == srv ]]; then
		sender_ino=$srv_ino other_ino=$cli_ino
		s_pid=$srv_pid s_comm=rg-server s_json=$d/srv.json
		r_pid=$cli_pid r_comm=rg-client r_json=$d/cli.json
	else
		sender_ino=$cli_ino other_ino=$srv_ino
		s_pid=$cli_pid s_comm=rg-client s_json=$d/cli.json
		r_pid=$srv_pid r_comm=rg-server r_json=$d/srv.json
	fi

	# the scenario played out: rstgen's verdicts and the kernel's counters
	w=$(cat "$d/cli.rc" 2>/dev/null || echo none)
	check "$id: rstgen client exit status ($(field "$d/cli.json" "done" result))" "$w" 0
	case $sc in
	closed_port | keepalive | firewall_reject) ;;
	*) check "$id: rstgen server exit status" "$(cat "$d/srv.rc" 2>/dev/null || echo none)" 0 ;;
	esac
	if [[ $sc == firewall_reject ]]; then
		nerr=$(tr '\n' ' ' <"$d/nft.err" 2>/dev/null | head -c 200)
		check "$id: nft REJECT rule where the server would be${nerr:+ ($nerr)}" \
			"$(cat "$d/nft.rc" 2>/dev/null || echo none)" 0
		check "$id: client saw" "$(field "$d/cli.json" "done" result)" ECONNREFUSED
	fi
	check "$id: TcpOutRsts delta where the reset is sent" "$(delta "$d" "$sender" Tcp OutRsts)" \
		"$sent_rsts"
	if [[ $where == veth ]]; then
		role=cli
		[[ $sender == cli ]] && role=srv
		check "$id: TcpOutRsts delta at the other end" "$(delta "$d" "$role" Tcp OutRsts)" 0
	fi
	case $sc in
	abort_on_close) check "$id: TcpExtTCPAbortOnClose delta" \
		"$(delta "$d" srv TcpExt TCPAbortOnClose)" 1 ;;
	linger_abort) check "$id: TcpExtTCPAbortOnData delta (SO_LINGER 0 close)" \
		"$(delta "$d" srv TcpExt TCPAbortOnData)" 1 ;;
	linger2_abort) check "$id: TcpExtTCPAbortOnLinger delta" \
		"$(delta "$d" srv TcpExt TCPAbortOnLinger)" 1 ;;
	abort_on_data) check "$id: TcpExtTCPAbortOnData delta" \
		"$(delta "$d" srv TcpExt TCPAbortOnData)" 1 ;;
	keepalive) check "$id: TcpExtTCPAbortOnTimeout delta" \
		"$(delta "$d" cli TcpExt TCPAbortOnTimeout)" 1 ;;
	listen_overflow) check "$id: TcpExtListenOverflows delta" \
		"$(at_least "$(delta "$d" srv TcpExt ListenOverflows)" 1)" "at least 1" ;;
	esac

	# sent: in every namespace of the scenario, the stack's resets == TcpOutRsts
	# delta; and the resets the TCP stack did not make, whatever their netns
	for ino in $(printf '%s\n' "$srv_ino" "$cli_ino" | sort -u); do
		role=srv
		[[ $ino == "$cli_ino" && $ino != "$srv_ino" ]] && role=cli
		d_rst=$(delta "$d" "$role" Tcp OutRsts)
		check "$id: sent reset events in netns $ino == its TcpOutRsts delta ($d_rst)" \
			"$(count "$(sel "$ino" sent "$port") and .kind == \"reset\"")" "$d_rst"
	done
	check "$id: sent wire events (RSTs not made by the TCP stack)" \
		"$(count "$(wsel "$port")")" "$wire_n"

	# the sent reset: cause, direction, family, 4-tuple, owner
	case $sc in
	closed_port)
		# no socket, no owner; the tuple is the SYN's, its source as the
		# client saw it (its received event)
		c_tuple=$(events "$(rsel "$other_ino" "$port")" | head -n 1 |
			jq -r '"raddr=\(.laddr) rport=\(.lport)"')
		# shellcheck disable=SC2086 # words on purpose
		expect_event "$id: sent reset" "$(sel "$sender_ino" sent "$port")" cause=closed_port \
			family="$fam" pid=null comm=null laddr="$addr" lport="$port" facts=segment,syn \
			kernel_reason=null $c_tuple
		;;
	listen_overflow)
		expect_event "$id: sent reset" "$(sel "$sender_ino" sent "$port")" \
			cause=listen_overflow family="$fam" state=LISTEN pid="$srv_pid" comm=rg-server \
			laddr="$addr" lport="$port" raddr="$addr" \
			rport="$(jq -r 'select(.event == "error" and .result == "ECONNRESET") | .lport' \
				"$d/cli.json" | head -n 1)"
		;;
	keepalive)
		# shellcheck disable=SC2046 # words on purpose
		expect_event "$id: sent reset" "$(sel "$sender_ino" sent "$port")" \
			cause=keepalive_timeout family="$fam" pid="$cli_pid" comm=rg-client \
			context="$want_ctx_timer" \
			kernel_reason=null evidence=keepalive_exhausted $(tuple "$d/cli.json")
		;;
	firewall_reject)
		# on the wire: the SYN's tuple, its source port as the client saw it;
		# no owner.  The netns: the server's, or null (not known) where rstwatch
		# check says a TC program cannot tell its interface's (wire_netns)
		want_ns=$sender_ino
		[[ $WNETNS == no ]] && want_ns=null
		if [[ $wire_n -eq 1 ]]; then
			expect_event "$id: sent reset (wire)" "$(wsel "$port")" cause=firewall_reject \
				kind=wire direction=sent family="$fam" netns="$want_ns" pid=null comm=null \
				kernel_reason=null laddr="$addr" lport="$port" raddr="$caddr" \
				rport="$(events "$(rsel "$other_ino" "$port")" | head -n 1 | jq -r .lport)"
		fi
		;;
	linger2_abort)
		# shellcheck disable=SC2046
		expect_event "$id: sent reset" "$(sel "$sender_ino" sent "$port")" cause=linger2_abort \
			family="$fam" pid="$s_pid" comm="$s_comm" kernel_reason=null \
			evidence=orphan_linger2_negative $(tuple "$s_json")
		;;
	disconnect)
		# shellcheck disable=SC2046
		expect_event "$id: sent reset" "$(sel "$sender_ino" sent "$port")" \
			cause="$sent_cause" family="$fam" pid="$s_pid" comm="$s_comm" kernel_reason=null \
			context="$want_ctx_disconnect" $(tuple "$s_json")
		;;
	*)
		# shellcheck disable=SC2046
		expect_event "$id: sent reset" "$(sel "$sender_ino" sent "$port")" cause="$sent_cause" \
			family="$fam" pid="$s_pid" comm="$s_comm" kernel_reason=null $(tuple "$s_json")
		;;
	esac

	# the received reset, at the other end
	check "$id: received events in netns $other_ino" \
		"$(count "$(rsel "$other_ino" "$port")")" "$recv_n"
	if [[ $recv_n -eq 1 ]]; then
		case $sc in
		closed_port | firewall_reject)
			expect_event "$id: received reset" "$(rsel "$other_ino" "$port")" \
				cause=refused state=SYN_SENT family="$fam" pid="$cli_pid" comm=rg-client \
				raddr="$addr" rport="$port"
			;;
		listen_overflow)
			expect_event "$id: received reset" "$(rsel "$other_ino" "$port")" \
				cause=peer_reset family="$fam" pid="$cli_pid" comm=rg-client raddr="$addr" \
				rport="$port"
			;;
		*)
			# shellcheck disable=SC2046
			expect_event "$id: received reset" "$(rsel "$other_ino" "$port")" \
				cause="$recv_cause" family="$fam" pid="$r_pid" comm="$r_comm" \
				$(tuple "$r_json")
			;;
		esac
	fi
	if [[ $sender_ino != "$other_ino" ]]; then
		check "$id: no reset received in netns $sender_ino, where it was sent" \
			"$(count "$(sel "$sender_ino" received "$port")")" 0
	fi
}

# tcf FILE: rstwatch's clsact filters (handle 0x52535457) in a tc filter listing
tcf() {
	if [[ -e $1 ]]; then
		grep -c 'handle 0x52535457' "$1" || true
	else
		echo "no listing"
	fi
}

# check_clsact RUN_DIR RUN: no tcx on 6.1, so TC egress is a clsact filter on
# every interface rstwatch watches, there while it runs, gone after it stopped
check_clsact() {
	local r=$1 run=$2 ns want=1 j=$1/check.json
	check "$run: rstwatch check: TC egress" "$(json_get "$j" '"\(.hooks.tc_egress.ok) \(.hooks.tc_egress.how)"')" \
		"true clsact"
	check "$run: rstwatch check: interfaces in the wire list" \
		"$(at_least "$(json_get "$j" '.wire | length')" 1)" "at least 1"
	check "$run: rstwatch check: interfaces in the wire list without clsact-egress" \
		"$(json_get "$j" '[.wire[] | select(.tc != "clsact")] | length')" 0
	check "$run: clsact attach failures in rstwatch's stderr" \
		"$(grep -c 'clsact \(egress\|ingress\): [A-Z]' "$r/rw.err")" 0
	# no tcx before 6.6: ingress by a clsact filter too, on every interface but lo
	check "$run: rstwatch check: ingress" "$(json_get "$j" '"\(.hooks.ingress.ok) \(.hooks.ingress.how)"')" \
		"true clsact"
	check "$run: rstwatch check: interfaces but lo without clsact ingress" \
		"$(json_get "$j" '[.wire[] | select(.ifname != "lo" and .ingress != "clsact")] | length')" 0
	check "$run: clsact filter on lo while rstwatch watched" "$(tcf "$r/tc.during.root")" 1
	# without CAP_SYS_ADMIN it cannot enter the pair's namespaces, and says so
	if [[ $SYSADM == no ]]; then
		want=0
		check "$run: rstwatch's stderr says it cannot enter other network namespaces" \
			"$(grep -c 'degraded: cannot enter other network namespaces' "$r/rw.err")" 1
	fi
	for ns in ksrv kcli; do
		check "$run: clsact filter on $ns's veth0 while rstwatch watched" \
			"$(tcf "$r/tc.during.$ns")" "$want"
	done
	for ns in root ksrv kcli; do
		check "$run: clsact filters left in $ns after rstwatch stopped" \
			"$(tcf "$r/tc.after.$ns")" 0
	done
}

# tuple RSTGEN_JSON: laddr=.. lport=.. raddr=.. rport=.. of its "connected" line
tuple() {
	local k
	for k in laddr lport raddr rport; do
		printf '%s=%s\n' "$k" "$(field "$1" connected "$k")"
	done
}

# offers FEATURE: what the kernel being checked offers rstwatch (ok or no), by
# the release that brought it; `rstwatch check` must say the same
#   receive  the tcp_receive_reset tracepoint (4.17)
#   ctx      bpf_task_pt_regs (5.15): process vs softirq context
#   rdrop    kfree_skb's drop reason (5.17) with TCP_RESET, TCP_INVALID_SEQUENCE
#            and NO_SOCKET (all in 6.1)
#   ldrop    listen drops: the drop reason TCP_LISTEN_OVERFLOW (in neither), or
#            fexit on tcp_check_req, which needs bpf_get_func_ret (5.17)
#   cookie   bpf_get_socket_cookie in tracing programs (5.12): owners keyed
#            by socket cookie, else by socket address
#   wnetns   bpf_cast_to_kern_ctx (6.2): the TC program knows its interface's
#            network namespace (in neither)
#   skowners bpf_sk_storage_get in tracing programs (5.11) and cookies (5.12):
#            owners kept on the socket, else in the keyed LRU map
offers() {
	case $K:$1 in
	*:wnetns) echo no ;;
	5.10:ctx | 5.10:rdrop | 5.10:ldrop | 5.10:cookie | 5.10:skowners) echo no ;;
	*) echo ok ;;
	esac
}

# check_says RUN_DIR HOOK: ok or no, what rstwatch check --json says of HOOK
# (its key under .hooks); ERROR(...) if there is no such hook
check_says() {
	json_okno "$1/check.json" ".hooks.$2.ok"
}

# check_features RUN_DIR RUN: what rstwatch check says this kernel offers; sets
# CTX, RDROP and LDROP from it; where a view is missing, the degraded
# behaviour: rstwatch's warning and none of that view's events
check_features() {
	local r=$1 run=$2 f hook got warn
	for f in receive:receive_reset ctx:process_context rdrop:rst_drops ldrop:listen_drops \
		wnetns:wire_netns skowners:owners_on_socket; do
		hook=${f#*:}
		got=$(check_says "$r" "$hook")
		check "$run: rstwatch check: $hook" "$got" "$(offers "${f%%:*}")"
		case ${f%%:*} in
		ctx) CTX=$got ;;
		rdrop) RDROP=$got ;;
		ldrop) LDROP=$got ;;
		wnetns) WNETNS=$got ;;
		esac
	done
	got=$(json_get "$r/check.json" '.hooks.owner_state.how |
		if . == "cookie" then "ok" elif . == "address" then "no" else error("how: \(.)") end')
	check "$run: rstwatch check: owner tracking by socket cookie (else by address)" "$got" \
		"$(offers cookie)"
	# the warnings rstwatch gives for each missing view (user/loader.c)
	warn='degraded: no bpf_task_pt_regs helper'
	if [[ $CTX == no ]]; then
		check "$run: rstwatch's stderr says '$warn'" "$(grep -c "$warn" "$r/rw.err")" 1
		check "$run: events with a context other than unknown (no process context here)" \
			"$(count '.context != null and .context != "unknown"')" 0
		check "$run: events with the fact task (no process context here)" \
			"$(count 'any((.facts // "") | split(",")[]; . == "task")')" 0
	else
		check "$run: no '$warn' in rstwatch's stderr" "$(grep -c "$warn" "$r/rw.err")" 0
	fi
	check_view "$run" "$r" "$RDROP" 'degraded: no kfree_skb drop reasons for TCP resets' \
		reset_dropped 'no drop reasons here'
	check_view "$run" "$r" "$LDROP" 'degraded: .*accept queue drops (listen_drop) not shown' \
		listen_drop 'no listen drops here'
}

# check_view RUN DIR OFFERED WARNING KIND WHY: a view this kernel lacks comes
# with its warning and no events of its kind; one it has, with no warning.
check_view() {
	local run=$1 r=$2 offered=$3 warn=$4 kind=$5 why=$6
	if [[ $offered == no ]]; then
		check "$run: rstwatch's stderr says '$warn'" "$(grep -c "$warn" "$r/rw.err")" 1
		check "$run: $kind events (none: $why)" "$(count ".kind == \"$kind\"")" 0
	else
		check "$run: no '$warn' in rstwatch's stderr" "$(grep -c "$warn" "$r/rw.err")" 0
	fi
}

check_run() {
	local run=$1 r=$OUT/$1 d first why t
	echo "-- run $run: $(cat "$r/command" 2>/dev/null || echo '?')"
	if [[ ! -d $r ]]; then
		fail "$run: the guest did not get to this run"
		return
	fi
	echo "   rstwatch check --json (exit status $(cat "$r/check.rc" 2>/dev/null)):"
	jq -r '"result \(.result), rung \(.rung)\(if .rung_why then " (fentry: \(.rung_why))" else "" end)",
		(.hooks // {} | to_entries[] | "\(if .value.ok then "ok" else "no" end) \(.key)\(
			if .value.how then " (\(.value.how))" else "" end)\(
			if .value.detail then ": \(.value.detail)" else "" end)"),
		(.wire // [] | .[] | "wire \(.ifname) netns \(.netns) tc \(.tc) ingress \(.ingress)")' \
		"$r/check.json" 2>&1 | sed 's/^/     | /'
	sed 's/^/     | /' "$r/check.err" 2>/dev/null
	RW=$r/rw.json
	# what the run may do: without CAP_SYS_ADMIN no other network namespaces
	SYSADM=$(json_okno "$r/check.json" .privileges.CAP_SYS_ADMIN)
	if ! grep -q watching "$r/rw.err" 2>/dev/null; then
		# rstwatch's own error, and the verifier's or libbpf's reason
		first=$(grep -E '^rstwatch: (cannot|error|missing)' "$r/rw.err" 2>/dev/null | tail -n 1 ||
			true)
		why=$(grep -m 1 -E '^unknown func|^libbpf: map .*failed to create|^R[0-9]+ invalid|^invalid' \
			"$r/rw.err" 2>/dev/null || true)
		fail "$run: rstwatch did not start (exit status $(cat "$r/rw.rc" 2>/dev/null)):" \
			"${first:-$(head -n 1 "$r/rw.err" 2>/dev/null)}${why:+ [$why]}"
		# without the verifier's instruction trace
		grep -vE '^ *R[0-9]+_?w?=|^[0-9]+: \(|^; |^last_idx|^regs=|^func .*has btf_id' \
			"$r/rw.err" 2>/dev/null | sed 's/^/     | /' | head -n 40
		return
	fi
	ok "$run: rstwatch attached"
	check_features "$r" "$run"
	# the ladder: fentry unless forced to kprobe; least privilege cannot use kprobes here
	local want_rung=fentry
	[[ $run == kprobe ]] && want_rung=kprobe
	check "$run: rung in rstwatch check" "$(json_get "$r/check.json" .rung)" "$want_rung"
	check "$run: rstwatch check exit status" "$(cat "$r/check.rc" 2>/dev/null)" 0
	check_clsact "$r" "$run"
	echo "   rstwatch stderr:"
	sed 's/^/     | /' "$r/rw.err"
	check "$run: rstwatch exit status after SIGINT" "$(cat "$r/rw.rc" 2>/dev/null)" 0
	# its exit summary (--summary-json): every event shown is a line, none lost
	check "$run: exit summary: events shown, lost, malformed" \
		"$(json_get "$r/summary/summary.json" '.events | "\(.shown) \(.lost) \(.malformed)"')" \
		"$(count true) 0 0"
	for d in "$r"/*/; do
		[[ -e $d/meta ]] && check_scenario "${d%/}" "$run"
	done
	t=$(awk '{ v[$1] = $2 } END { printf "check %.1f s, attach %.1f s, scenarios %.1f s",
		v["checked"] - v["start"], v["attached"] - v["checked"], v["scenarios"] - v["attached"] }' \
		"$r/times" 2>/dev/null || true)
	echo "   times (guest): $t"
}

# guest SERIES: boot that kernel with the guest, check what came back
guest() {
	local kdir boot end qrc run runs kstart p0=$PASSED f0=$FAILED res
	K=$1
	kstart=$(date +%s)
	echo "== [$K] Debian $K cloud kernel"
	if ! kdir=$(tests/kernel/fetch_kernel.sh "$K" 2>"$T/fetch.log"); then
		skip_kernel "no Debian $K kernel: $(tail -n 1 "$T/fetch.log")"
		return
	fi
	sed -n 's/^fetch_kernel: note: /   note: /p' "$T/fetch.log"
	# rstwatch needs the kernel's BTF
	check "kernel config: CONFIG_DEBUG_INFO_BTF=y" \
		"$(grep -c '^CONFIG_DEBUG_INFO_BTF=y$' "$kdir/config" || true)" 1
	if ! tests/kernel/mkinitramfs.sh "$T/initrd.cpio" "$kdir" .output/static; then
		fail "initramfs not built"
		return
	fi
	rm -f "$T/out.img"
	truncate -s 64M "$T/out.img"
	echo "   kernel: $(basename "$kdir"), qemu TCG, $SMP CPUs, runs: $RUNS"

	boot=$(date +%s.%N)
	timeout -k 5 "$QEMU_TIMEOUT" qemu-system-x86_64 -accel tcg -m 1024 -smp "$SMP" \
		-nodefaults -no-user-config -no-reboot -display none -monitor none \
		-serial "file:$T/console.log" -kernel "$kdir/vmlinuz" -initrd "$T/initrd.cpio" \
		-append "console=ttyS0 panic=-1 quiet RSTW_RUNS=$RUNS" \
		-drive "file=$T/out.img,format=raw,if=virtio" </dev/null >"$T/qemu.log" 2>&1 &
	QEMU_PID=$!
	qrc=0
	wait "$QEMU_PID" || qrc=$?
	QEMU_PID=
	end=$(date +%s.%N)
	if [[ $qrc -ne 0 ]]; then
		tail -n 30 "$T/console.log" "$T/qemu.log" 2>/dev/null
		if [[ $qrc -eq 124 || $qrc -eq 137 ]]; then
			fail "the guest ran over ${QEMU_TIMEOUT}s"
		elif grep -qiE 'could not|failed to|cannot' "$T/qemu.log"; then
			skip_kernel "qemu could not boot the guest: $(head -n 1 "$T/qemu.log")"
		else
			fail "qemu exited with status $qrc"
		fi
		return
	fi
	res=$T/res.$K
	mkdir -p "$res"
	tar -C "$res" -xf "$T/out.img" 2>"$T/tar.log" || {
		tail -n 30 "$T/console.log"
		fail "no results on the guest's disk: $(head -n 1 "$T/tar.log")"
		return
	}
	OUT=$res/out
	rm -rf "${KEEP:?}/$K"
	mkdir -p "$KEEP/$K"
	cp -r "$OUT" "$KEEP/$K/out"
	cp "$T/console.log" "$KEEP/$K/"
	if [[ -e $OUT/complete ]]; then
		ok "guest ran to the end"
	else
		fail "guest did not finish"
	fi
	check "guest kernel" "$(cut -d. -f1-2 "$OUT/uname")" "$K"
	# the modules the guest needs (fetch_kernel.sh), each with its dependencies
	check "guest loaded its modules ($(tr '\n' ' ' <"$kdir/modules/order"| sed 's/ $//')): insmod failures" \
		"$(grep -c 'insmod .* failed' "$OUT/guest.log" || true)" 0
	echo "   guest: $(cat "$OUT/uname"), perf_event_paranoid $(cat "$OUT/perf_event_paranoid")," \
		"/init after $(cat "$OUT/uptime.init") s of uptime, done at $(cat "$OUT/uptime.end") s;" \
		"qemu $(awk -v a="$boot" -v b="$end" 'BEGIN { printf "%.1f", b - a }') s wall"
	grep -v ' scenario \| run ' "$OUT/guest.log" 2>/dev/null | sed 's/^/   guest: /' || true
	echo "   attaching a BPF program to a kernel function in the guest, as root:"
	sed 's/^/     | /' "$OUT/attach.root.txt" 2>/dev/null || true
	echo "   ... and as uid 65534 with CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN:"
	sed 's/^/     | /' "$OUT/attach.caps.txt" 2>/dev/null || true

	check "static rstwatch serve: /metrics has rstwatch_build_info" \
		"$(grep -c '^rstwatch_build_info{' "$OUT/metrics.txt" 2>/dev/null || true)" 1
	# why not: rstwatch's errors and the verifier's or libbpf's reason
	[[ -s $OUT/metrics.txt ]] || grep -E '^rstwatch: (cannot|error)|^unknown func|failed to create' \
		"$OUT/serve.err" 2>/dev/null | sed 's/^/     | /'

	IFS=, read -ra runs <<<"$RUNS"
	for run in "${runs[@]}"; do
		check_run "$run"
	done
	echo "   [$K] $((PASSED - p0)) passed, $((FAILED - f0)) failed in $(($(date +%s) - kstart)) s" \
		"(results kept in $KEEP/$K)"
}

main() {
	local start k kernels
	start=$(date +%s)
	[[ $(id -u) -eq 0 ]] || skip_all "needs root (qemu, static build)"
	command -v qemu-system-x86_64 >/dev/null ||
		skip_all "qemu-system-x86_64 missing (scripts/deps.sh test installs qemu-system-x86)"
	for t in busybox cpio jq curl gpgv xz; do
		command -v "$t" >/dev/null || skip_all "$t missing (scripts/deps.sh test)"
	done
	T=$(mktemp -d)
	trap cleanup EXIT
	trap 'exit 130' INT TERM

	make -s static >"$T/build.log" 2>&1 || {
		tail -n 20 "$T/build.log"
		fail_all "make static failed"
	}
	IFS=, read -ra kernels <<<"$KERNELS"
	for k in "${kernels[@]}"; do
		guest "$k"
	done
	echo "   kernel step: $(($(date +%s) - start)) s in all"
	if [[ $SKIPPED -gt 0 ]]; then
		echo "kernel: $PASSED passed, $FAILED failed, $SKIPPED skipped"
		[[ ${CI:-} == true ]] && return 1
	else
		echo "kernel: $PASSED passed, $FAILED failed"
	fi
	[[ $FAILED -eq 0 ]]
}

main "$@"
