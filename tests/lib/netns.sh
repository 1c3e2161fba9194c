# shellcheck shell=bash
#
# Network namespace helpers for the rstwatch end-to-end tests (run as root).
# Source this file; all helpers are prefixed ns_.
#
#   ns_pair_create PREFIX        namespaces PREFIX-cli / PREFIX-srv joined by a
#                                veth pair ($NS_IFNAME in both), addresses
#                                $NS_CLI_IP4/$NS_PLEN4, $NS_CLI_IP6/$NS_PLEN6
#                                (client) and $NS_SRV_IP4, $NS_SRV_IP6 (server)
#   ns_pair_destroy PREFIX       remove both namespaces (idempotent)
#   ns_chain_create PREFIX MODE  three namespaces PREFIX-cli, PREFIX-mid,
#                                PREFIX-srv in a line, the middle one joined to
#                                each end by a veth pair ($NS_IFNAME at the
#                                ends, $NS_MID_CLI_IF / $NS_MID_SRV_IF in the
#                                middle).  MODE route: the middle forwards
#                                (ip_forward, IPv6 forwarding) between two
#                                subnets; client $NS_RT_CLI_IP4/6, server
#                                $NS_RT_SRV_IP4/6, routes both ways.  MODE
#                                bridge: the middle bridges its two ports
#                                ($NS_MID_BR), no address of its own; client
#                                and server are $NS_CLI_IP4/6, $NS_SRV_IP4/6.
#   ns_chain_destroy PREFIX      remove all three (idempotent)
#   ns_bg NS OUTFILE CMD...      run CMD in NS in the background, stdout to
#                                OUTFILE, stderr to OUTFILE.err; prints the pid
#                                (also left in $NS_BG_PID and appended to
#                                NS_BG_PIDS when not called in a subshell)
#   ns_stop PID                  TERM, bounded wait, then KILL that one pid
#   ns_wait_line FILE REGEX TMO  wait up to TMO seconds for a line matching
#                                the extended REGEX in FILE
#   ns_nstat NS COUNTER          absolute value of a kernel counter in NS
#
# Addresses and names may be overridden by setting the variables below
# before calling ns_pair_create.

: "${NS_CLI_IP4:=10.77.0.1}"
: "${NS_SRV_IP4:=10.77.0.2}"
: "${NS_PLEN4:=24}"
: "${NS_CLI_IP6:=fd77::1}"
: "${NS_SRV_IP6:=fd77::2}"
: "${NS_PLEN6:=64}"
: "${NS_IFNAME:=veth0}"
: "${NS_RT_CLI_IP4:=10.78.1.1}"
: "${NS_RT_CLI_GW4:=10.78.1.254}"
: "${NS_RT_SRV_IP4:=10.78.2.1}"
: "${NS_RT_SRV_GW4:=10.78.2.254}"
: "${NS_RT_CLI_IP6:=fd78:1::1}"
: "${NS_RT_CLI_GW6:=fd78:1::fe}"
: "${NS_RT_SRV_IP6:=fd78:2::1}"
: "${NS_RT_SRV_GW6:=fd78:2::fe}"
: "${NS_MID_CLI_IF:=tocli0}"
: "${NS_MID_SRV_IF:=tosrv0}"
: "${NS_MID_BR:=br0}"
: "${NS_SETTLE_TIMEOUT:=5}"
: "${NS_STOP_TIMEOUT:=3}"

NS_BG_PID=
NS_BG_PIDS=()

# Current time in microseconds (bash 5 $EPOCHREALTIME; locale-proof).
_ns_now_us() {
	local t=${EPOCHREALTIME//[!0-9]/}
	printf '%s\n' "$((10#$t))"
}

# Seconds ("3", "0.5", "2.25") to microseconds; empty output if invalid.
_ns_secs_to_us() {
	local s=$1 int frac
	[[ $s =~ ^([0-9]+)(\.([0-9]{1,6}))?$ ]] || return 1
	int=${BASH_REMATCH[1]}
	frac=${BASH_REMATCH[3]}000000
	printf '%s\n' "$((10#$int * 1000000 + 10#${frac:0:6}))"
}

_ns_err() {
	printf 'netns.sh: %s\n' "$*" >&2
}

# _ns_pid_alive PID: true if PID exists and is not a zombie.
_ns_pid_alive() {
	local stat
	kill -0 "$1" 2>/dev/null || return 1
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	[[ ${stat:0:1} != Z ]]
}

# _ns_try CMD...: run CMD quietly; on failure print "CMD: its output" on one
# line to stdout and fail.
_ns_try() {
	local out
	if ! out=$("$@" 2>&1); then
		out=${out//$'\n'/; }
		printf '%s: %s\n' "$*" "${out:-failed}"
		return 1
	fi
}

# _ns_pair_setup CLI SRV: the configuration steps of ns_pair_create.
_ns_pair_setup() {
	local cli=$1 srv=$2 ns
	_ns_try ip netns add "$cli" || return 1
	_ns_try ip netns add "$srv" || return 1
	for ns in "$cli" "$srv"; do
		# DAD off before any interface exists, so v6 is usable at once.
		_ns_try ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0 || return 1
		_ns_try ip -n "$ns" link set lo up || return 1
	done
	_ns_try ip -n "$cli" link add "$NS_IFNAME" type veth \
		peer name "$NS_IFNAME" netns "$srv" || return 1
	_ns_try ip -n "$cli" addr add "$NS_CLI_IP4/$NS_PLEN4" dev "$NS_IFNAME" || return 1
	_ns_try ip -n "$srv" addr add "$NS_SRV_IP4/$NS_PLEN4" dev "$NS_IFNAME" || return 1
	_ns_try ip -n "$cli" -6 addr add "$NS_CLI_IP6/$NS_PLEN6" dev "$NS_IFNAME" nodad ||
		return 1
	_ns_try ip -n "$srv" -6 addr add "$NS_SRV_IP6/$NS_PLEN6" dev "$NS_IFNAME" nodad ||
		return 1
	_ns_try ip -n "$cli" link set "$NS_IFNAME" up || return 1
	_ns_try ip -n "$srv" link set "$NS_IFNAME" up || return 1
}

# _ns_wait_ready NS IF [NS IF...]: wait (bounded) for carrier on each
# interface and, where it has global IPv6 addresses, none still tentative.
# Fails with a line saying which one is not ready.
_ns_wait_ready() {
	local deadline ready out ns ifc i args=("$@")
	deadline=$(($(_ns_now_us) + $(_ns_secs_to_us "$NS_SETTLE_TIMEOUT" || echo 5000000)))
	while :; do
		ready=1
		for ((i = 0; i + 1 < ${#args[@]}; i += 2)); do
			ns=${args[i]} ifc=${args[i + 1]}
			out=$(ip -n "$ns" link show dev "$ifc" 2>/dev/null) || out=
			[[ $out == *LOWER_UP* ]] || ready=0
			out=$(ip -n "$ns" -6 addr show dev "$ifc" tentative 2>/dev/null) || out=
			[[ -z $out ]] || ready=0
			out=$(ip -n "$ns" -6 addr show dev "$ifc" dadfailed 2>/dev/null) || out=
			[[ -z $out ]] || ready=0
		done
		if ((ready)); then
			return 0
		fi
		if (($(_ns_now_us) >= deadline)); then
			printf '%s\n' "$ns/$ifc not up with usable IPv6 after ${NS_SETTLE_TIMEOUT}s"
			return 1
		fi
		sleep 0.05
	done
}

ns_pair_create() {
	local p=${1:-} cli srv ns out
	if [[ -z $p ]]; then
		_ns_err "ns_pair_create: missing PREFIX"
		return 1
	fi
	cli=$p-cli
	srv=$p-srv
	# Never reuse (or on failure delete) namespaces this call did not create.
	for ns in "$cli" "$srv"; do
		if [[ -e /run/netns/$ns ]]; then
			_ns_err "ns_pair_create $p: namespace $ns already exists"
			return 1
		fi
	done
	if ! out=$(_ns_pair_setup "$cli" "$srv"); then
		ns_pair_destroy "$p"
		_ns_err "ns_pair_create $p: ${out:-failed}"
		return 1
	fi
	if ! out=$(_ns_wait_ready "$cli" "$NS_IFNAME" "$srv" "$NS_IFNAME"); then
		ns_pair_destroy "$p"
		_ns_err "ns_pair_create $p: $out"
		return 1
	fi
}

ns_pair_destroy() {
	local p=${1:-} ns
	[[ -n $p ]] || return 0
	for ns in "$p-cli" "$p-srv"; do
		ip netns del "$ns" >/dev/null 2>&1 || true
	done
	return 0
}

# _ns_addrs NS IF IP4/PLEN IP6/PLEN: both addresses on IF, and IF up
_ns_addrs() {
	_ns_try ip -n "$1" addr add "$3" dev "$2" || return 1
	_ns_try ip -n "$1" -6 addr add "$4" dev "$2" nodad || return 1
	_ns_try ip -n "$1" link set "$2" up
}

# _ns_chain_setup PREFIX MODE: the configuration steps of ns_chain_create.
_ns_chain_setup() {
	local p=$1 mode=$2 ns
	for ns in "$p-cli" "$p-mid" "$p-srv"; do
		_ns_try ip netns add "$ns" || return 1
		_ns_try ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0 || return 1
		_ns_try ip -n "$ns" link set lo up || return 1
	done
	_ns_try ip -n "$p-cli" link add "$NS_IFNAME" type veth \
		peer name "$NS_MID_CLI_IF" netns "$p-mid" || return 1
	_ns_try ip -n "$p-srv" link add "$NS_IFNAME" type veth \
		peer name "$NS_MID_SRV_IF" netns "$p-mid" || return 1
	if [[ $mode == bridge ]]; then
		_ns_try ip -n "$p-mid" link add "$NS_MID_BR" type bridge stp_state 0 \
			forward_delay 0 || return 1
		for ns in "$NS_MID_CLI_IF" "$NS_MID_SRV_IF"; do
			_ns_try ip -n "$p-mid" link set "$ns" master "$NS_MID_BR" up || return 1
		done
		_ns_try ip -n "$p-mid" link set "$NS_MID_BR" up || return 1
		_ns_addrs "$p-cli" "$NS_IFNAME" "$NS_CLI_IP4/$NS_PLEN4" "$NS_CLI_IP6/$NS_PLEN6" ||
			return 1
		_ns_addrs "$p-srv" "$NS_IFNAME" "$NS_SRV_IP4/$NS_PLEN4" "$NS_SRV_IP6/$NS_PLEN6"
		return
	fi
	_ns_try ip netns exec "$p-mid" sysctl -qw net.ipv4.ip_forward=1 \
		net.ipv6.conf.all.forwarding=1 || return 1
	_ns_addrs "$p-cli" "$NS_IFNAME" "$NS_RT_CLI_IP4/24" "$NS_RT_CLI_IP6/64" || return 1
	_ns_addrs "$p-srv" "$NS_IFNAME" "$NS_RT_SRV_IP4/24" "$NS_RT_SRV_IP6/64" || return 1
	_ns_addrs "$p-mid" "$NS_MID_CLI_IF" "$NS_RT_CLI_GW4/24" "$NS_RT_CLI_GW6/64" || return 1
	_ns_addrs "$p-mid" "$NS_MID_SRV_IF" "$NS_RT_SRV_GW4/24" "$NS_RT_SRV_GW6/64" || return 1
	_ns_try ip -n "$p-cli" route add default via "$NS_RT_CLI_GW4" || return 1
	_ns_try ip -n "$p-cli" -6 route add default via "$NS_RT_CLI_GW6" || return 1
	_ns_try ip -n "$p-srv" route add default via "$NS_RT_SRV_GW4" || return 1
	_ns_try ip -n "$p-srv" -6 route add default via "$NS_RT_SRV_GW6"
}

ns_chain_create() {
	local p=${1:-} mode=${2:-} ns out
	if [[ -z $p || ( $mode != route && $mode != bridge ) ]]; then
		_ns_err "usage: ns_chain_create PREFIX route|bridge"
		return 1
	fi
	for ns in "$p-cli" "$p-mid" "$p-srv"; do
		if [[ -e /run/netns/$ns ]]; then
			_ns_err "ns_chain_create $p: namespace $ns already exists"
			return 1
		fi
	done
	if ! out=$(_ns_chain_setup "$p" "$mode"); then
		ns_chain_destroy "$p"
		_ns_err "ns_chain_create $p: ${out:-failed}"
		return 1
	fi
	if ! out=$(_ns_wait_ready "$p-cli" "$NS_IFNAME" "$p-srv" "$NS_IFNAME" \
		"$p-mid" "$NS_MID_CLI_IF" "$p-mid" "$NS_MID_SRV_IF"); then
		ns_chain_destroy "$p"
		_ns_err "ns_chain_create $p: $out"
		return 1
	fi
}

ns_chain_destroy() {
	local p=${1:-} ns
	[[ -n $p ]] || return 0
	for ns in "$p-cli" "$p-mid" "$p-srv"; do
		ip netns del "$ns" >/dev/null 2>&1 || true
	done
	return 0
}

ns_bg() {
	local ns=${1:-} outfile=${2:-}
	if [[ -z $ns || -z $outfile || $# -lt 3 ]]; then
		_ns_err "usage: ns_bg NS OUTFILE CMD..."
		return 1
	fi
	shift 2
	# ip netns exec execs CMD in place, so $! is the pid of CMD itself.
	ip netns exec "$ns" "$@" >"$outfile" 2>"$outfile.err" </dev/null &
	NS_BG_PID=$!
	NS_BG_PIDS+=("$NS_BG_PID")
	printf '%s\n' "$NS_BG_PID"
}

ns_stop() {
	local pid=${1:-} deadline
	# Only ever signal one explicit positive pid (never 0, -1 or a group).
	if [[ ! $pid =~ ^[0-9]+$ ]] || ((10#$pid <= 1)); then
		_ns_err "ns_stop: invalid pid '$pid'"
		return 1
	fi
	pid=$((10#$pid))
	if _ns_pid_alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null || true
		deadline=$(($(_ns_now_us) + $(_ns_secs_to_us "$NS_STOP_TIMEOUT" || echo 3000000)))
		while _ns_pid_alive "$pid" && (($(_ns_now_us) < deadline)); do
			sleep 0.05
		done
		if _ns_pid_alive "$pid"; then
			kill -KILL "$pid" 2>/dev/null || true
			deadline=$(($(_ns_now_us) + 2000000))
			while _ns_pid_alive "$pid" && (($(_ns_now_us) < deadline)); do
				sleep 0.05
			done
		fi
	fi
	if _ns_pid_alive "$pid"; then
		_ns_err "ns_stop: pid $pid did not exit"
		return 1
	fi
	# Reap it if it is our child (no-op otherwise; it is gone, so no blocking).
	wait "$pid" 2>/dev/null || true
	return 0
}

ns_wait_line() {
	local file=${1:-} regex=${2:-} tmo=${3:-} us deadline
	if [[ -z $file || -z $regex ]] || ! us=$(_ns_secs_to_us "$tmo"); then
		_ns_err "usage: ns_wait_line FILE REGEX TIMEOUT_S"
		return 1
	fi
	deadline=$(($(_ns_now_us) + us))
	while :; do
		if [[ -f $file ]] && grep -Eq -- "$regex" "$file" 2>/dev/null; then
			return 0
		fi
		if (($(_ns_now_us) >= deadline)); then
			_ns_err "ns_wait_line: no line matching '$regex' in $file after ${tmo}s"
			return 1
		fi
		sleep 0.05
	done
}

ns_nstat() {
	local ns=${1:-} counter=${2:-} out val
	if [[ -z $ns || -z $counter ]]; then
		_ns_err "usage: ns_nstat NS COUNTER"
		return 1
	fi
	# -a: absolute values, -s: never write the history file, -z: list zeros.
	# /proc/net follows the calling task's netns, so this is per namespace.
	# NSTAT_HISTORY points at a path that is never created, in case nstat's
	# flags change behaviour: the shared /tmp/.nstat.u0 must not be touched.
	if ! out=$(NSTAT_HISTORY=/nonexistent/rstwatch-nstat-history \
		ip netns exec "$ns" nstat -asz "$counter" 2>&1); then
		_ns_err "ns_nstat $ns $counter: ${out//$'\n'/; }"
		return 1
	fi
	val=$(awk -v c="$counter" '$1 == c { print $2; exit }' <<<"$out")
	if [[ ! $val =~ ^[0-9]+$ ]]; then
		_ns_err "ns_nstat: no counter '$counter' in namespace $ns"
		return 1
	fi
	printf '%s\n' "$val"
}
