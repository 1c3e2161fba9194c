#!/bin/sh
# /init of the old-kernel guest (tests/kernel/test_old_kernel.sh): busybox sh.
#
# Mounts what rstwatch needs, loads the modules in /lib/modules/order, then for
# each rstwatch run (RSTW_RUNS from the kernel command line, comma-separated;
# default "default,kprobe,caps") saves `rstwatch check --json`, starts rstwatch
# (--details: the hook (kind) and facts of every event are checked)
# (its exit summary with --summary-json), plays
# the reset scenarios with rstgen over loopback and over a veth pair between
# two namespaces (and nftables REJECTs with tcp reset, on both), and stops it.
# Per scenario it keeps rstgen's own JSON lines, its exit status, and
# /proc/net/snmp and /proc/net/netstat of both ends before and after; per run,
# the egress tc filters (rstwatch's clsact filter) while it watches and after
# it stopped.  Everything lands in /tmp/out, which is written as a tar archive
# to the raw virtio disk /dev/vda for the host to unpack (the serial console
# mixes kernel messages into anything printed).  Then the guest powers off.
# Every wait is bounded; the host also bounds the whole guest with timeout.

export PATH=/sbin:/bin:/usr/sbin:/usr/bin
# iproute2's ip (busybox's has no netns; busybox sh prefers applets to PATH)
IP=/usr/lib/rstw/ip
TC=/usr/lib/rstw/tc
NFT=/usr/lib/rstw/nft
OUT=/tmp/out
SRV_NS=ksrv
CLI_NS=kcli
IFNAME=veth0
SRV_IP4=10.77.0.2
CLI_IP4=10.77.0.1
SRV_IP6=fd77::2
CLI_IP6=fd77::1
ROOT_INO=
RW_PID=

uptime_s() {
	cut -d' ' -f1 /proc/uptime
}

log() {
	echo "rstw-guest: $*" >/dev/console
	echo "$(uptime_s) $*" >>"$OUT/guest.log"
}

# pid_alive PID: it exists and is not a zombie (kill -0 succeeds on zombies)
pid_alive() {
	_st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$_st" ] && [ "${_st%% *}" != Z ]
}

# wait_line FILE REGEX SECS [PID]: bounded wait for a line; fails early if PID exits
wait_line() {
	_n=$(($3 * 10))
	while [ "$_n" -gt 0 ]; do
		grep -Eq -- "$2" "$1" 2>/dev/null && return 0
		if [ -n "${4:-}" ] && ! pid_alive "$4"; then
			grep -Eq -- "$2" "$1" 2>/dev/null
			return
		fi
		sleep 0.1
		_n=$((_n - 1))
	done
	return 1
}

# wait_gone PID SECS: bounded wait for PID to exit
wait_gone() {
	_n=$(($2 * 10))
	while [ "$_n" -gt 0 ]; do
		pid_alive "$1" || return 0
		sleep 0.1
		_n=$((_n - 1))
	done
	return 1
}

# stop_pid PID SIG: send SIG, then KILL after 10 s; prints nothing, reaps it
stop_pid() {
	kill "-$2" "$1" 2>/dev/null
	wait_gone "$1" 10 || kill -KILL "$1" 2>/dev/null
	wait_gone "$1" 5
}

# bg_in_ns NS CMD...: exec CMD in namespace NS ("" = the initial one); only
# ever called in the background (with &), so that $! is CMD's own pid
bg_in_ns() {
	_ns=$1
	shift
	if [ -z "$_ns" ]; then
		exec "$@"
	fi
	exec "$IP" netns exec "$_ns" "$@"
}

# in_ns NS CMD...: run CMD in namespace NS ("" = the initial one)
in_ns() {
	_ns=$1
	shift
	if [ -z "$_ns" ]; then
		"$@"
	else
		"$IP" netns exec "$_ns" "$@"
	fi
}

setup() {
	mount -t proc proc /proc
	mount -t sysfs sysfs /sys
	mount -t devtmpfs devtmpfs /dev
	mount -t tmpfs tmpfs /tmp
	mount -t tmpfs tmpfs /run
	mkdir -p "$OUT"
	uptime_s >"$OUT/uptime.init"
	mount -t bpf bpf /sys/fs/bpf
	mount -t tracefs tracefs /sys/kernel/tracing
	mount -t debugfs debugfs /sys/kernel/debug
	mount -t cgroup2 cgroup2 /sys/fs/cgroup
	while read -r m; do
		insmod "/lib/modules/$m.ko" 2>>"$OUT/guest.log" || log "insmod $m failed"
	done </lib/modules/order
	"$IP" link set lo up
	uname -r >"$OUT/uname"
	cat /proc/sys/kernel/perf_event_paranoid >"$OUT/perf_event_paranoid"
	ROOT_INO=$(stat -L -c %i /proc/self/ns/net)
	echo "$ROOT_INO" >"$OUT/root_netns"
	_n=100
	while [ ! -b /dev/vda ] && [ "$_n" -gt 0 ]; do
		sleep 0.1
		_n=$((_n - 1))
	done
	[ -b /dev/vda ] || log "no /dev/vda: results cannot reach the host"
}

finish() {
	uptime_s >"$OUT/uptime.end"
	touch "$OUT/complete"
	tar -C /tmp -cf /dev/vda out 2>/dev/console || log "tar to /dev/vda failed"
	sync
	poweroff -f
}

veth_create() {
	for ns in "$SRV_NS" "$CLI_NS"; do
		"$IP" netns add "$ns" || return 1
		"$IP" netns exec "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 \
			net.ipv6.conf.default.accept_dad=0
		"$IP" -n "$ns" link set lo up
	done
	"$IP" -n "$CLI_NS" link add "$IFNAME" type veth peer name "$IFNAME" netns "$SRV_NS" || return 1
	"$IP" -n "$CLI_NS" addr add "$CLI_IP4/24" dev "$IFNAME"
	"$IP" -n "$SRV_NS" addr add "$SRV_IP4/24" dev "$IFNAME"
	"$IP" -n "$CLI_NS" -6 addr add "$CLI_IP6/64" dev "$IFNAME" nodad
	"$IP" -n "$SRV_NS" -6 addr add "$SRV_IP6/64" dev "$IFNAME" nodad
	"$IP" -n "$CLI_NS" link set "$IFNAME" up
	"$IP" -n "$SRV_NS" link set "$IFNAME" up
	_n=50
	while [ "$_n" -gt 0 ]; do
		"$IP" -n "$SRV_NS" link show "$IFNAME" | grep -q LOWER_UP &&
			"$IP" -n "$CLI_NS" link show "$IFNAME" | grep -q LOWER_UP && return 0
		sleep 0.1
		_n=$((_n - 1))
	done
	return 1
}

veth_destroy() {
	"$IP" netns del "$SRV_NS" 2>/dev/null
	"$IP" netns del "$CLI_NS" 2>/dev/null
}

# snap DIR TAG NS_SRV NS_CLI: the kernel's counters of both ends
snap() {
	in_ns "$3" cat /proc/net/snmp >"$1/$2.srv.snmp"
	in_ns "$3" cat /proc/net/netstat >"$1/$2.srv.netstat"
	in_ns "$4" cat /proc/net/snmp >"$1/$2.cli.snmp"
	in_ns "$4" cat /proc/net/netstat >"$1/$2.cli.netstat"
}

# scenario RUN_DIR ID SCENARIO FAMILY lo|veth PORT: SCENARIO is rstgen's, or
# firewall_reject: rstgen's closed_port client against an nftables rule of the
# server's namespace that rejects the port with a TCP reset
scenario() {
	d=$1/$2
	sc=$3
	fam=$4
	where=$5
	port=$6
	mkdir -p "$d"
	if [ "$where" = lo ]; then
		sns='' cns='' srv_ino=$ROOT_INO cli_ino=$ROOT_INO addr=127.0.0.1
		[ "$fam" = 6 ] && addr=::1
		caddr=$addr
	else
		sns=$SRV_NS cns=$CLI_NS addr=$SRV_IP4 caddr=$CLI_IP4
		[ "$fam" = 6 ] && addr=$SRV_IP6 caddr=$CLI_IP6
		srv_ino=$(stat -L -c %i "/run/netns/$SRV_NS")
		cli_ino=$(stat -L -c %i "/run/netns/$CLI_NS")
	fi
	printf 'id=%s\nscenario=%s\nfamily=%s\nwhere=%s\nport=%s\naddr=%s\ncaddr=%s\n' \
		"$2" "$sc" "$fam" "$where" "$port" "$addr" "$caddr" >"$d/meta"
	printf 'srv_ino=%s\ncli_ino=%s\n' "$srv_ino" "$cli_ino" >>"$d/meta"
	log "scenario $2 ($sc, IPv$fam, $where, port $port)"
	[ "$sc" = listen_overflow ] && in_ns "$sns" sysctl -qw net.ipv4.tcp_abort_on_overflow=1
	rsc=$sc
	# the same overflow with tcp_abort_on_overflow=0: dropped, not reset
	[ "$sc" = listen_drop ] && rsc=listen_overflow
	if [ "$sc" = firewall_reject ]; then
		rsc=closed_port
		in_ns "$sns" "$NFT" -f - >"$d/nft.err" 2>&1 <<-EOF
			add table inet rwfw
			add chain inet rwfw in { type filter hook input priority 0; }
			add rule inet rwfw in tcp dport $port reject with tcp reset
		EOF
		echo $? >"$d/nft.rc"
	fi
	snap "$d" before "$sns" "$cns"
	spid=
	if [ "$rsc" != closed_port ]; then
		bg_in_ns "$sns" rstgen server "$rsc" -a "$addr" -p "$port" -n rg-server -t 10000 \
			>"$d/srv.json" 2>"$d/srv.err" </dev/null &
		spid=$!
		wait_line "$d/srv.json" '"listening"' 20 "$spid" || log "$2: server not listening"
	fi
	bg_in_ns "$cns" rstgen client "$rsc" -a "$addr" -p "$port" -n rg-client -t 8000 \
		>"$d/cli.json" 2>"$d/cli.err" </dev/null &
	cpid=$!
	if [ "$sc" = keepalive ]; then
		# the server stops answering: keepalive probes go unanswered
		wait_line "$d/cli.json" '"connected"' 20 "$cpid" || log "$2: client not connected"
		"$IP" -n "$SRV_NS" link set "$IFNAME" down
	fi
	wait_gone "$cpid" 30 || log "$2: client still running after 30 s"
	stop_pid "$cpid" TERM
	wait "$cpid"
	echo $? >"$d/cli.rc"
	if [ -n "$spid" ]; then
		# the keepalive server holds its socket until stopped
		[ "$sc" = keepalive ] || wait_gone "$spid" 30 || log "$2: server still running"
		stop_pid "$spid" TERM
		wait "$spid"
		echo $? >"$d/srv.rc"
	fi
	# rstgen's exit is not the end of the story: let the last segments land
	sleep 0.3
	snap "$d" after "$sns" "$cns"
	[ "$sc" = listen_overflow ] && in_ns "$sns" sysctl -qw net.ipv4.tcp_abort_on_overflow=0
	[ "$sc" = firewall_reject ] && in_ns "$sns" "$NFT" delete table inet rwfw >>"$d/nft.err" 2>&1
	return 0
}

# tc_filters RUN_DIR TAG: the egress filters of the veth pair's ends and of
# the initial namespace's lo (rstwatch's clsact filter: handle 0x52535457)
tc_filters() {
	for ns in "$SRV_NS" "$CLI_NS"; do
		"$TC" -n "$ns" filter show dev "$IFNAME" egress >"$1/tc.$2.$ns" 2>&1
	done
	"$TC" filter show dev lo egress >"$1/tc.$2.root" 2>&1
}

# run_rstwatch NAME ARGS...: rstwatch (or runcaps ... rstwatch) for run NAME
rstwatch_cmd() {
	case $1 in
	default) echo "rstwatch" ;;
	kprobe) echo "rstwatch --fallback kprobe" ;;
	caps) echo "runcaps 65534 bpf,perfmon,net_admin -- rstwatch" ;;
	*) return 1 ;;
	esac
}

# What rstwatch.service sets (LimitMEMLOCK=infinity): kernels before 5.11
# count BPF maps against the memlock limit, which the capability-only run
# cannot raise itself.
# shellcheck disable=SC3045 # busybox ash has ulimit -l
ulimit -l unlimited

one_run() {
	name=$1
	base=$2
	r=$OUT/$name
	mkdir -p "$r"
	cmd=$(rstwatch_cmd "$name") || {
		log "unknown run $name"
		return
	}
	echo "$cmd" >"$r/command"
	log "run $name: $cmd"
	echo "start $(uptime_s)" >"$r/times"
	veth_create || log "run $name: veth pair not created"

	# shellcheck disable=SC2086 # $cmd is words on purpose
	timeout -s KILL 180 $cmd check --json >"$r/check.json" 2>"$r/check.err"
	echo $? >"$r/check.rc"
	echo "checked $(uptime_s)" >>"$r/times"

	# a directory the capability-only run (uid 65534) may write its summary in
	mkdir -p "$r/summary"
	chmod 0777 "$r/summary"
	# shellcheck disable=SC2086
	$cmd --json --details -v --summary-json "$r/summary/summary.json" >"$r/rw.json" 2>"$r/rw.err" \
		</dev/null &
	RW_PID=$!
	if ! wait_line "$r/rw.err" 'watching' 180 "$RW_PID"; then
		log "run $name: rstwatch did not start"
		stop_pid "$RW_PID" KILL
		wait "$RW_PID"
		echo $? >"$r/rw.rc"
		RW_PID=
		veth_destroy
		echo "end $(uptime_s)" >>"$r/times"
		return
	fi
	echo "attached $(uptime_s)" >>"$r/times"
	tc_filters "$r" during

	scenario "$r" cp4 closed_port 4 lo $((base + 1))
	scenario "$r" cp6 closed_port 6 lo $((base + 2))
	scenario "$r" aoc4 abort_on_close 4 lo $((base + 3))
	scenario "$r" linger4 linger_abort 4 lo $((base + 4))
	scenario "$r" tw4 closed_then_data 4 lo $((base + 5))
	scenario "$r" ovf4 listen_overflow 4 lo $((base + 6))
	scenario "$r" drop4 listen_drop 4 lo $((base + 18))
	scenario "$r" cpv4 closed_port 4 veth $((base + 7))
	scenario "$r" aocv6 abort_on_close 6 veth $((base + 8))
	scenario "$r" fw4 firewall_reject 4 lo $((base + 17))
	scenario "$r" fwv4 firewall_reject 4 veth $((base + 10))
	scenario "$r" fwv6 firewall_reject 6 veth $((base + 11))
	scenario "$r" l2v4 linger2_abort 4 lo $((base + 12))
	scenario "$r" aod4 abort_on_data 4 lo $((base + 13))
	scenario "$r" aodv6 abort_on_data 6 veth $((base + 14))
	scenario "$r" disv6 disconnect 6 veth $((base + 15))
	scenario "$r" dis4 disconnect 4 lo $((base + 16))
	# last: it takes the server's end of the veth pair down
	scenario "$r" kav4 keepalive 4 veth $((base + 9))

	sleep 0.5
	echo "scenarios $(uptime_s)" >>"$r/times"
	stop_pid "$RW_PID" INT
	wait "$RW_PID"
	echo $? >"$r/rw.rc"
	RW_PID=
	# up again (keepalive took it down), so that a filter left shows
	"$IP" -n "$SRV_NS" link set "$IFNAME" up
	tc_filters "$r" after
	veth_destroy
	echo "end $(uptime_s)" >>"$r/times"
}

# Which ways of attaching to a kernel function work here, as root and as
# nobody with the capabilities rstwatch asks for (facts for the report)
attach_probes() {
	timeout -s KILL 60 attachprobe >"$OUT/attach.root.txt" 2>&1
	timeout -s KILL 60 runcaps 65534 bpf,perfmon,net_admin -- attachprobe \
		>"$OUT/attach.caps.txt" 2>&1
}

# The static rstwatch's HTTP server (libmicrohttpd without GnuTLS: see the
# Makefile's static block) serves /metrics
serve_probe() {
	rstwatch serve -v --listen 127.0.0.1:9864 >"$OUT/serve.out" 2>"$OUT/serve.err" </dev/null &
	_pid=$!
	if wait_line "$OUT/serve.err" 'serving /metrics' 60 "$_pid"; then
		timeout -s KILL 20 wget -q -O "$OUT/metrics.txt" http://127.0.0.1:9864/metrics ||
			log "serve: wget failed"
	fi
	stop_pid "$_pid" TERM
}

main() {
	setup
	attach_probes
	serve_probe
	runs=$(echo "${RSTW_RUNS:-default,kprobe,caps}" | tr ',' ' ')
	base=30000
	for run in $runs; do
		one_run "$run" "$base"
		base=$((base + 100))
	done
	finish
}

main
