# shellcheck shell=bash
#
# RSTs the kernel does not accept, injected from a raw socket (scapy) with
# sequence numbers taken from a capture of the connection: out of window
# (dropped), in window but inexact (RFC 5961 challenge ACK), exact (accepted:
# reset by peer), and one for a port with no socket.

# shellcheck source=tests/lib/scenario.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/scenario.sh"

INJECT=${INJECT:-$PWD/tests/tools/inject_rst.py}

injected_case() {
	local fam=$1 port=$2 srv_addr cli_addr cli_pid cport b_ch cap_pid n
	srv_addr=$NS_SRV_IP4 cli_addr=$NS_CLI_IP4
	[[ $fam == 6 ]] && srv_addr=$NS_SRV_IP6 cli_addr=$NS_CLI_IP6
	ns_bg "$SRV_NS" "$T/cap.$fam" tcpdump --immediate-mode -i "$NS_IFNAME" -U -n -w "$T/cap.$fam.pcap" \
		tcp port "$port" >/dev/null
	cap_pid=$NS_BG_PID
	ns_wait_line "$T/cap.$fam.err" 'listening on' 5 || { e2e_fail "tcpdump did not start"; return 1; }
	ns_bg "$SRV_NS" "$T/srv.$fam" "$RSTGEN" server hold -a "$srv_addr" -p "$port" \
		-n rg-server -t 30000 >/dev/null
	ns_wait_line "$T/srv.$fam" '"listening"' 5 || return 1
	ns_bg "$CLI_NS" "$T/cli.$fam" "$RSTGEN" client hold -a "$srv_addr" -p "$port" \
		-n rg-client -t 25000 >/dev/null
	ns_wait_line "$T/cli.$fam" '"connected"' 5 || return 1
	cli_pid=$(json_field "$T/cli.$fam" connected pid)
	cport=$(json_field "$T/cli.$fam" connected lport)
	sleep 0.3
	ns_stop "$cap_pid" >/dev/null

	# 1. out of the window: dropped, the connection lives
	ip netns exec "$SRV_NS" "$INJECT" "$T/cap.$fam.pcap" "$srv_addr" "$port" $((1 << 30)) >/dev/null 2>>"$T/inject.err" ||
		e2e_fail "inject failed"
	rw_wait_count "(.netns == $CLI_INO and .cause == \"rst_out_of_window\")" 1 5
	check_event "(.netns == $CLI_INO and .cause == \"rst_out_of_window\")" direction=received \
		kernel_reason=TCP_INVALID_SEQUENCE pid="$cli_pid" comm=rg-client \
		state=ESTABLISHED laddr="$cli_addr" lport="$cport" raddr="$srv_addr" rport="$port"

	# 2. in the window, inexact: a challenge ACK, the connection lives
	b_ch=$(ns_nstat "$CLI_NS" TcpExtTCPChallengeACK)
	ip netns exec "$SRV_NS" "$INJECT" "$T/cap.$fam.pcap" "$srv_addr" "$port" 1000 >/dev/null 2>>"$T/inject.err"
	rw_wait_count "(.netns == $CLI_INO and .cause == \"rst_challenged\")" 1 5
	expect_eq "$fam: TCPChallengeACK delta" "$(($(ns_nstat "$CLI_NS" TcpExtTCPChallengeACK) - b_ch))" 1
	check_event "(.netns == $CLI_INO and .cause == \"rst_challenged\")" direction=received \
		kernel_reason=TCP_RESET pid="$cli_pid" comm=rg-client lport="$cport" rport="$port"
	_ns_pid_alive "$(json_field "$T/cli.$fam" connected pid)" ||
		e2e_fail "$fam: the client died of a reset the kernel should have refused"

	# 3. exact: accepted, connection reset by peer
	ip netns exec "$SRV_NS" "$INJECT" "$T/cap.$fam.pcap" "$srv_addr" "$port" 0 >/dev/null 2>>"$T/inject.err"
	rw_wait_count "(.netns == $CLI_INO and .cause == \"peer_reset\" and .lport == $cport)" 1 5
	check_event "(.netns == $CLI_INO and .cause == \"peer_reset\" and .lport == $cport)" \
		pid="$cli_pid" comm=rg-client state=ESTABLISHED
	wait_exit "$cli_pid" 5 || e2e_fail "$fam: client survived an exact reset"
	expect_eq "$fam: client saw" "$(json_field "$T/cli.$fam" "done" result)" ECONNRESET

	# 4. a port with no socket: dropped, no owner
	ip netns exec "$SRV_NS" "$INJECT" "$T/cap.$fam.pcap" "$srv_addr" "$port" 0 9 >/dev/null 2>>"$T/inject.err"
	rw_wait_count "(.netns == $CLI_INO and .cause == \"rst_no_socket\")" 1 5
	check_event "(.netns == $CLI_INO and .cause == \"rst_no_socket\")" kernel_reason=NO_SOCKET \
		pid=null comm=null lport=9 rport="$port" state=null
	# none of the four made this host send anything
	n=$(rw_count "(.netns == $CLI_INO and .direction == \"sent\")")
	expect_eq "$fam: resets sent by the client namespace" "$n" 0
}

test_injected_resets() {
	core_setup || return 1
	injected_case 4 24000
	rw_stop
	rw_start "$T/rw6.json"
	injected_case 6 24001
}

# A bare ACK to a listener (no handshake): the listener's host answers with a
# RST the kernel labels TCP_FLAGS; the client's host, having no socket for it,
# drops that RST (NO_SOCKET).
test_bad_flags() {
	local pid b
	core_setup || return 1
	ns_bg "$SRV_NS" "$T/srv" "$RSTGEN" server hold -a "$NS_SRV_IP4" -p 24100 -n rg-server \
		-t 4000 >/dev/null
	ns_wait_line "$T/srv" '"listening"' 5 || return 1
	pid=$(json_field "$T/srv" listening pid)
	b=$(ns_nstat "$SRV_NS" TcpOutRsts)
	ip netns exec "$CLI_NS" /usr/bin/python3 -c '
import sys
from scapy.all import IP, TCP, send
send(IP(src=sys.argv[1], dst=sys.argv[2]) / TCP(sport=40001, dport=24100, flags="A",
     seq=1000, ack=5555), verbose=False)' "$NS_CLI_IP4" "$NS_SRV_IP4" 2>>"$T/inject.err" ||
		e2e_fail "scapy: $(cat "$T/inject.err")"
	rw_wait_count "(.netns == $SRV_INO and .lport == 24100)" 1 5
	expect_eq "TcpOutRsts delta" "$(($(ns_nstat "$SRV_NS" TcpOutRsts) - b))" 1
	check_event "(.netns == $SRV_INO and .lport == 24100)" cause=bad_flags kernel_reason=TCP_FLAGS \
		direction=sent state=LISTEN pid="$pid" comm=rg-server raddr="$NS_CLI_IP4" rport=40001
	rw_wait_count "(.netns == $CLI_INO and .cause == \"rst_no_socket\")" 1 5
	check_event "(.netns == $CLI_INO and .cause == \"rst_no_socket\")" lport=40001 rport=24100 \
		pid=null
	check_summary
}

# A second SYN, with another sequence number, for a pending connection request
# (from an address that never completes the handshake): INVALID_SYN, and the
# listener is not full, so invalid_syn rather than listen_overflow.
test_invalid_syn() {
	local pid b
	core_setup || return 1
	ns_bg "$SRV_NS" "$T/srv" "$RSTGEN" server hold -a "$NS_SRV_IP4" -p 24200 -n rg-server \
		-t 4000 >/dev/null
	ns_wait_line "$T/srv" '"listening"' 5 || return 1
	pid=$(json_field "$T/srv" listening pid)
	b=$(ns_nstat "$SRV_NS" TcpOutRsts)
	ip netns exec "$CLI_NS" /usr/bin/python3 -c '
import sys, time
from scapy.all import IP, TCP, send
ip = IP(src=sys.argv[1], dst=sys.argv[2])
send(ip / TCP(sport=40002, dport=24200, flags="S", seq=2000), verbose=False)
time.sleep(0.2)
send(ip / TCP(sport=40002, dport=24200, flags="S", seq=2001), verbose=False)' \
		10.77.0.9 "$NS_SRV_IP4" 2>>"$T/inject.err" || e2e_fail "scapy: $(cat "$T/inject.err")"
	rw_wait_count "(.netns == $SRV_INO and .lport == 24200)" 1 5
	expect_eq "TcpOutRsts delta" "$(($(ns_nstat "$SRV_NS" TcpOutRsts) - b))" 1
	check_event "(.netns == $SRV_INO and .lport == 24200)" cause=invalid_syn \
		kernel_reason=INVALID_SYN direction=sent pid="$pid" comm=rg-server raddr=10.77.0.9 \
		rport=40002
	check_summary
}

# bad_synack_case PORT ACK_DELTA TSECR CAUSE REASON: the client's SYN is
# answered with a forged SYN-ACK (ack = seq + ACK_DELTA, timestamp echo TSECR
# or none); the client's host resets it.  The server's own stack is kept out
# of it: nft drops the SYN before TCP sees it.
bad_synack_case() {
	local port=$1 delta=$2 tsecr=$3 cause=$4 reason=$5 b cli_pid
	ip netns exec "$SRV_NS" nft add table inet rwtest
	ip netns exec "$SRV_NS" nft add chain inet rwtest in '{ type filter hook input priority 0; }'
	ip netns exec "$SRV_NS" nft add rule inet rwtest in tcp dport "$port" drop
	ns_bg "$SRV_NS" "$T/synack.$port" /usr/bin/python3 -c '
import sys
from scapy.all import IP, TCP, sniff, send
port, delta, tsecr = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def forged_synack(p):
    opts = [("Timestamp", (4242, tsecr))] if tsecr >= 0 else []
    send(IP(src=p[IP].dst, dst=p[IP].src) / TCP(sport=p[TCP].dport, dport=p[TCP].sport,
         flags="SA", seq=777, ack=p[TCP].seq + delta, options=opts), verbose=False)
    print("answered", flush=True)
sniff(iface=sys.argv[1], filter="tcp dst port %d and tcp[13] == 2" % port, count=1, timeout=8,
      prn=forged_synack, started_callback=lambda: print("started", flush=True))' \
		"$NS_IFNAME" "$port" "$delta" "$tsecr" >/dev/null
	ns_wait_line "$T/synack.$port" started 10 || { e2e_fail "sniffer: $(cat "$T/synack.$port.err")"; return 1; }
	b=$(ns_nstat "$CLI_NS" TcpOutRsts)
	ns_bg "$CLI_NS" "$T/cli.$port" "$RSTGEN" client hold -a "$NS_SRV_IP4" -p "$port" \
		-n rg-client -t 2000 >/dev/null
	cli_pid=$NS_BG_PID
	ns_wait_line "$T/synack.$port" answered 5 || e2e_fail "no SYN seen: $(cat "$T/synack.$port.err")"
	rw_wait_count "(.netns == $CLI_INO and .direction == \"sent\" and .rport == $port)" 1 5
	expect_eq "$cause: client TcpOutRsts delta" "$(($(ns_nstat "$CLI_NS" TcpOutRsts) - b))" 1
	check_event "(.netns == $CLI_INO and .direction == \"sent\" and .rport == $port)" \
		cause="$cause" kernel_reason="$reason" state=SYN_SENT pid="$cli_pid" comm=rg-client \
		laddr="$NS_CLI_IP4" raddr="$NS_SRV_IP4"
	ns_stop "$cli_pid" >/dev/null
	ip netns exec "$SRV_NS" nft delete table inet rwtest
}

# A SYN-ACK that acknowledges the wrong sequence number.
test_invalid_ack() {
	core_setup || return 1
	bad_synack_case 24300 1000 -1 invalid_ack TCP_INVALID_ACK_SEQUENCE
}

# A SYN-ACK whose timestamp echo predates our SYN: PAWS (RFC 7323) rejects it.
test_paws() {
	core_setup || return 1
	bad_synack_case 24400 1 1 paws TCP_RFC7323_PAWS
}

# An MPTCP MP_JOIN SYN with a token nobody knows: the MPTCP listener's host
# resets the subflow (MPTCP_RST_EMPTCP).
test_mptcp() {
	local pid b
	core_setup || return 1
	ip netns exec "$SRV_NS" sysctl -qw net.mptcp.enabled=1 ||
		{ e2e_fail "no MPTCP in this kernel"; return 1; }
	ns_bg "$SRV_NS" "$T/mp" /usr/bin/python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 262)  # IPPROTO_MPTCP
s.bind((sys.argv[1], 24500))
s.listen()
print("listening", flush=True)
time.sleep(4)' "$NS_SRV_IP4" >/dev/null
	pid=$NS_BG_PID
	ns_wait_line "$T/mp" listening 5 || { e2e_fail "listener: $(cat "$T/mp.err")"; return 1; }
	b=$(ns_nstat "$SRV_NS" TcpOutRsts)
	ip netns exec "$CLI_NS" /usr/bin/python3 -c '
import sys
from scapy.all import IP, TCP, send
join = bytes([0x10, 0x00]) + bytes([1, 2, 3, 4]) + bytes([5, 6, 7, 8])  # MP_JOIN: token, nonce
send(IP(src=sys.argv[1], dst=sys.argv[2]) / TCP(sport=40100, dport=24500, flags="S", seq=100,
     options=[(30, join)]), verbose=False)' "$NS_CLI_IP4" "$NS_SRV_IP4" 2>>"$T/inject.err" ||
		e2e_fail "scapy: $(cat "$T/inject.err")"
	rw_wait_count "(.netns == $SRV_INO and .lport == 24500)" 1 5
	expect_eq "TcpOutRsts delta" "$(($(ns_nstat "$SRV_NS" TcpOutRsts) - b))" 1
	check_event "(.netns == $SRV_INO and .lport == 24500)" cause=mptcp \
		kernel_reason=MPTCP_RST_EMPTCP direction=sent pid="$pid" comm=python3 rport=40100
}
