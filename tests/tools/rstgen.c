/*
 * rstgen - TCP reset traffic generator for the rstwatch end-to-end tests.
 *
 *   rstgen server|client SCENARIO -a ADDR -p PORT [-n COMM] [-t TIMEOUT_MS] [-H]
 *
 * One process plays one side of one TCP connection and provokes (or
 * undergoes) a specific kind of TCP reset.  ADDR is an IPv4 or IPv6 literal
 * (the server binds to it, the client connects to it); a server given -p 0
 * binds a free port and reports it as "lport" in its "listening" line.  The
 * server accepts exactly one connection and closes its listener at once
 * (except in listen_overflow).
 * -n sets the process name (prctl PR_SET_NAME; default rg-server/rg-client).
 * -H (server): once the connection is up and the server has read from it, it
 * hands the socket to a child (fork; the parent closes its copy, reports
 * {"event":"handoff","child":PID} and exits with the child's status), which
 * plays the rest: the socket's owner changes.  Both stay on the CPU the
 * server was on, so that they meet the same per-CPU state in the kernel.
 *
 * Output is JSON Lines on stdout, one object per event, flushed per line:
 *
 *   {"role":"server","scenario":"..","event":"listening","pid":N,"comm":"..",...}
 *   {"role":..,"event":"connected","laddr":"..","lport":N,"raddr":"..","rport":N,...}
 *   {"role":..,"event":"sent","bytes":100,...}
 *   {"role":..,"event":"eof",...}
 *   {"role":..,"event":"done","result":"ECONNRESET","op":"read",...}
 *
 * "result" is "ok", "EOF", "timeout" (an rstgen wait ran out), "data"
 * (unexpected payload) or the errno name the side observed; "op" says which
 * call reported it.  Exit status: 0 = scenario played out as expected,
 * 1 = it did not (one-line reason on stderr), 2 = bad usage.
 *
 * Every wait is bounded by TIMEOUT_MS (default 5000); nothing blocks forever.
 *
 * In linger_abort, linger2_abort, abort_on_data, closed_then_data and
 * disconnect the client sends one sync byte right after its "connected" line and the
 * server reads it before acting, so the client always sees an established
 * connection (and reports its tuple) before the server resets or closes it.
 *
 * Scenarios (side that sends the RST -> kernel reset reason on Linux 6.18,
 * then the expected results; a server result not given is "ok"):
 *   closed_port      client only; connect() to a closed port.
 *                    server host -> NO_SOCKET.  client: ECONNREFUSED
 *   no_socket        server closes the accepted socket in TCP_REPAIR mode
 *                    (silently forgotten); client waits 500 ms, sends data.
 *                    server host -> NO_SOCKET.  client: ECONNRESET
 *   abort_on_close   client sends 100 bytes; server close()s without reading.
 *                    server -> TCP_ABORT_ON_CLOSE.  client: ECONNRESET
 *   linger_abort     server: SO_LINGER {1, 0}, close().
 *                    server -> TCP_STATE.  client: ECONNRESET
 *   linger2_abort    server: TCP_LINGER2 -1, shutdown(SHUT_WR), close() in
 *                    FIN_WAIT2.  server -> TCP_ABORT_ON_LINGER.
 *                    client: EOF, then EPIPE (or ECONNRESET)
 *   abort_on_data    server: shutdown(SHUT_RDWR), keeps the fd; client reads
 *                    EOF and writes 100 bytes.  server host (softirq, in the
 *                    client's sendto) -> TCP_ABORT_ON_DATA.
 *                    client: EPIPE (or ECONNRESET); server: ECONNRESET (the
 *                    abort resets its own socket, which it waits for)
 *   closed_then_data server: shutdown(SHUT_WR), close() in FIN_WAIT2 (the
 *                    kernel keeps a FIN_WAIT2 timewait socket), exits;
 *                    client reads EOF, waits 500 ms, writes 100 bytes.
 *                    server host (softirq, in the client's sendto) ->
 *                    TCP_TIMEWAIT_SOCKET.  client: EPIPE (or ECONNRESET)
 *   keepalive        server holds the connection until the timeout; client
 *                    enables 1 s keepalive and waits.  The test must make
 *                    the server unreachable after the client's "connected".
 *                    client (timer) -> TCP_KEEPALIVE_TIMEOUT.
 *                    client: ETIMEDOUT
 *   peer_close       graceful close on both sides, no reset.  both: ok
 *   listen_overflow  server: listen(fd, 1) ("backlog":1 in its listening
 *                    line), never accepts while the client runs.  Client:
 *                    4 non-blocking connections, each with its own
 *                    "connected" (or "error") line with "conn" index and
 *                    lport, and 1 byte sent on each ("sent"); then it waits
 *                    500 ms (capped by -t) and reports "acked" (byte
 *                    acknowledged: queued by the server's kernel), "error"
 *                    (e.g. ECONNRESET) and "dropped" ("stage":"connect" or
 *                    "data": no answer) lines, then closes everything.
 *                    TCP_DEFER_ACCEPT on the client sockets delays each
 *                    final handshake ACK until the client sends that
 *                    connection's byte, after the next connection's SYN:
 *                    conns 0 and 1 fill the accept queue (backlog + 1), the
 *                    final ACK of conn 2 overflows it, conn 3's SYN is
 *                    dropped.  With net.ipv4.tcp_abort_on_overflow=1 in the
 *                    server's namespace: server host (softirq, in the
 *                    client's sendto; sk = the listener) -> INVALID_SYN,
 *                    client: "resets":1,"dropped":1.  With 0: no reset,
 *                    "resets":0,"dropped":2.  Client done: "result":"ok"
 *                    if resets + dropped >= 1, with "conns", "acked",
 *                    "resets", "dropped" and "errors" counts.  The server
 *                    sees the client done when no queued connection is
 *                    ESTABLISHED any more (/proc/net/tcp[6]), then drains
 *                    gracefully (accept, read to EOF, close; a dropped
 *                    final ACK completes once the queue has room) so that
 *                    closing the listener resets nothing; done: "ok" with
 *                    "queued" (largest accept queue), "accepted" and
 *                    "leftover" (still held by the kernel at exit).  The
 *                    server's -t must outlast the client's run (~1 s;
 *                    give it >= 3000).
 *   disconnect       client: waits 200 ms after the sync byte, then
 *                    connect() with an AF_UNSPEC address (tcp_disconnect).
 *                    client (in its connect syscall) -> TCP_STATE.
 *                    client: ok (connect returned 0); server: ECONNRESET
 *   hold             both sides hold the connection (reading, discarding)
 *                    until it ends or -t runs out, and report what ended
 *                    it, with "held_ms" and "bytes": "ok" on timeout,
 *                    "EOF" or the errno; every outcome exits 0.  For
 *                    administrative aborts, e.g. ss -K (SOCK_DESTROY) of
 *                    the server's socket: the ss process -> TCP_STATE;
 *                    server: ECONNABORTED, client: ECONNRESET.  With equal
 *                    -t the server (started first) may close first and the
 *                    client then sees EOF: give the server the longer -t.
 *
 * Linux reports a reset received in CLOSE_WAIT (after the peer's FIN) as
 * EPIPE, not ECONNRESET, and read() after EOF keeps returning 0; so after
 * EOF the client waits for POLLERR/POLLHUP and reports the pending socket
 * error (linger2_abort) or the errno of its next write().
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef fallthrough
#define fallthrough __attribute__((__fallthrough__))
#endif

#ifndef TCP_REPAIR
#define TCP_REPAIR 19
#endif

/* Kernel TCP states as reported in tcp_info.tcpi_state and /proc/net/tcp. */
#define ST_ESTABLISHED 1
#define ST_SYN_RECV 3
#define ST_FIN_WAIT2 5
#define ST_CLOSE 7
#define ST_CLOSE_WAIT 8
#define N_STATES 16

/* Results that are not errno values. */
#define RES_OK 0
#define RES_EOF (-1)
#define RES_TIMEOUT (-2)
#define RES_DATA (-3)

#define PAYLOAD_LEN 100
#define SETTLE_MS 500
#define STATE_POLL_MS 1

#define LISTEN_BACKLOG 8
#define LO_BACKLOG 1 /* listen_overflow: listen(fd, 1) */
#define LO_CONNS 4 /* listen_overflow: client connections */
#define LO_CONNECT_WAIT_MS 100 /* per connect(), below the 200 ms delayed-ACK timer */
#define LO_POLL_MS 10
#define DISCONNECT_DELAY_MS 200

enum scenario {
	SC_CLOSED_PORT,
	SC_NO_SOCKET,
	SC_ABORT_ON_CLOSE,
	SC_LINGER_ABORT,
	SC_LINGER2_ABORT,
	SC_ABORT_ON_DATA,
	SC_CLOSED_THEN_DATA,
	SC_KEEPALIVE,
	SC_PEER_CLOSE,
	SC_LISTEN_OVERFLOW,
	SC_DISCONNECT,
	SC_HOLD,
};

static const char *const scenario_names[] = {
	[SC_CLOSED_PORT] = "closed_port",
	[SC_NO_SOCKET] = "no_socket",
	[SC_ABORT_ON_CLOSE] = "abort_on_close",
	[SC_LINGER_ABORT] = "linger_abort",
	[SC_LINGER2_ABORT] = "linger2_abort",
	[SC_ABORT_ON_DATA] = "abort_on_data",
	[SC_CLOSED_THEN_DATA] = "closed_then_data",
	[SC_KEEPALIVE] = "keepalive",
	[SC_PEER_CLOSE] = "peer_close",
	[SC_LISTEN_OVERFLOW] = "listen_overflow",
	[SC_DISCONNECT] = "disconnect",
	[SC_HOLD] = "hold",
};

#define N_SCENARIOS (sizeof(scenario_names) / sizeof(scenario_names[0]))

static void emit(const char *event, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int finish(int result, const char *op, bool ok, const char *why, ...)
	__attribute__((format(printf, 4, 5)));
static int finish_ex(int result, const char *op, const char *extra, bool ok, const char *why, ...)
	__attribute__((format(printf, 5, 6)));
static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static const char *g_role;
static const char *g_scenario;
static char g_comm[64];
static int g_timeout_ms = 5000;
static bool g_handoff;
static struct sockaddr_storage g_addr;
static socklen_t g_addrlen;

static const struct {
	int num;
	const char *name;
} errno_names[] = {
	{ ECONNRESET, "ECONNRESET" },
	{ ECONNREFUSED, "ECONNREFUSED" },
	{ ECONNABORTED, "ECONNABORTED" },
	{ ETIMEDOUT, "ETIMEDOUT" },
	{ EPIPE, "EPIPE" },
	{ EHOSTUNREACH, "EHOSTUNREACH" },
	{ EHOSTDOWN, "EHOSTDOWN" },
	{ ENETUNREACH, "ENETUNREACH" },
	{ ENETDOWN, "ENETDOWN" },
	{ ENETRESET, "ENETRESET" },
	{ ENOTCONN, "ENOTCONN" },
	{ EADDRINUSE, "EADDRINUSE" },
	{ EADDRNOTAVAIL, "EADDRNOTAVAIL" },
	{ EAFNOSUPPORT, "EAFNOSUPPORT" },
	{ EPROTO, "EPROTO" },
	{ ENOPROTOOPT, "ENOPROTOOPT" },
	{ EPERM, "EPERM" },
	{ EACCES, "EACCES" },
	{ EINVAL, "EINVAL" },
	{ EAGAIN, "EAGAIN" },
	{ EINTR, "EINTR" },
	{ EBADF, "EBADF" },
	{ ENOMEM, "ENOMEM" },
	{ ENOBUFS, "ENOBUFS" },
	{ EMFILE, "EMFILE" },
};

static const char *errno_name(int e)
{
	static char buf[32];
	size_t i;

	for (i = 0; i < sizeof(errno_names) / sizeof(errno_names[0]); i++) {
		if (errno_names[i].num == e)
			return errno_names[i].name;
	}
	snprintf(buf, sizeof(buf), "errno_%d", e);
	return buf;
}

static const char *result_name(int r)
{
	switch (r) {
	case RES_OK:
		return "ok";
	case RES_EOF:
		return "EOF";
	case RES_TIMEOUT:
		return "timeout";
	case RES_DATA:
		return "data";
	default:
		return errno_name(r);
	}
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t deadline_in(int ms)
{
	return now_ms() + ms;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/*
 * Poll one fd until DEADLINE.  Returns the revents (> 0), 0 on timeout or
 * -1 on error (errno set).  POLLERR/POLLHUP are always reported, so
 * events == 0 waits for an error or hangup only.
 */
static int wait_fd(int fd, short events, int64_t deadline)
{
	for (;;) {
		struct pollfd p = { .fd = fd, .events = events };
		int64_t left = deadline - now_ms();
		int n;

		if (left < 0)
			left = 0;
		n = poll(&p, 1, (int)left);
		if (n > 0)
			return p.revents;
		if (n == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

static void json_escape(char *dst, size_t len, const char *src)
{
	size_t o = 0;

	for (; *src && o + 7 < len; src++) {
		unsigned char c = (unsigned char)*src;

		if (c == '"' || c == '\\') {
			dst[o++] = '\\';
			dst[o++] = (char)c;
		} else if (c < 0x20) {
			o += (size_t)snprintf(dst + o, len - o, "\\u%04x", c);
		} else {
			dst[o++] = (char)c;
		}
	}
	dst[o] = '\0';
}

/* Print one JSON line; FMT (may be NULL) yields extra ",\"k\":v" members. */
static void emit(const char *event, const char *fmt, ...)
{
	char extra[512] = "";
	char comm[sizeof(g_comm) * 6 + 1];
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(extra, sizeof(extra), fmt, ap);
		va_end(ap);
	}
	json_escape(comm, sizeof(comm), g_comm);
	printf("{\"role\":\"%s\",\"scenario\":\"%s\",\"event\":\"%s\",\"pid\":%d,"
	       "\"comm\":\"%s\"%s}\n",
	       g_role, g_scenario, event, (int)getpid(), comm, extra);
	fflush(stdout);
}

/*
 * Print the "done" line (EXTRA, may be NULL, adds ",\"k\":v" members); on
 * failure also a one-line reason on stderr.
 */
static int vfinish(int result, const char *op, const char *extra, bool ok, const char *why,
		   va_list ap)
{
	emit("done", ",\"result\":\"%s\",\"op\":\"%s\"%s", result_name(result), op,
	     extra ? extra : "");
	if (ok)
		return 0;
	fprintf(stderr, "rstgen %s %s: ", g_role, g_scenario);
	vfprintf(stderr, why, ap);
	fputc('\n', stderr);
	return 1;
}

static int finish(int result, const char *op, bool ok, const char *why, ...)
{
	va_list ap;
	int rc;

	va_start(ap, why);
	rc = vfinish(result, op, NULL, ok, why, ap);
	va_end(ap);
	return rc;
}

static int finish_ex(int result, const char *op, const char *extra, bool ok, const char *why, ...)
{
	va_list ap;
	int rc;

	va_start(ap, why);
	rc = vfinish(result, op, extra, ok, why, ap);
	va_end(ap);
	return rc;
}

static void usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("rstgen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (usage: rstgen server|client SCENARIO -a ADDR -p PORT [-n COMM] [-t TIMEOUT_MS])\n",
	      stderr);
	exit(2);
}

/* Format an address as a plain literal; v4-mapped IPv6 becomes a dotted quad. */
static void format_addr(const struct sockaddr_storage *ss, char *buf, size_t len, int *port)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

	*port = 0;
	snprintf(buf, len, "?");
	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &sin->sin_addr, buf, (socklen_t)len);
		*port = ntohs(sin->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
			inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12], buf, (socklen_t)len);
		else
			inet_ntop(AF_INET6, &sin6->sin6_addr, buf, (socklen_t)len);
		*port = ntohs(sin6->sin6_port);
	}
}

/* EVENT with FD's tuple; CONN >= 0 adds a "conn" index (listen_overflow). */
static void emit_tuple(const char *event, int fd, int conn)
{
	struct sockaddr_storage l = { 0 }, r = { 0 };
	socklen_t ll = sizeof(l), rl = sizeof(r);
	char la[INET6_ADDRSTRLEN], ra[INET6_ADDRSTRLEN], idx[24] = "";
	int lp, rp;

	getsockname(fd, (struct sockaddr *)&l, &ll);
	getpeername(fd, (struct sockaddr *)&r, &rl);
	format_addr(&l, la, sizeof(la), &lp);
	format_addr(&r, ra, sizeof(ra), &rp);
	if (conn >= 0)
		snprintf(idx, sizeof(idx), ",\"conn\":%d", conn);
	emit(event, "%s,\"laddr\":\"%s\",\"lport\":%d,\"raddr\":\"%s\",\"rport\":%d", idx, la, lp,
	     ra, rp);
}

static void emit_connected(int fd)
{
	emit_tuple("connected", fd, -1);
}

/* Local port of FD (0 if unbound or unknown). */
static int local_port(int fd)
{
	struct sockaddr_storage l = { 0 };
	socklen_t ll = sizeof(l);
	char la[INET6_ADDRSTRLEN];
	int lp = 0;

	if (getsockname(fd, (struct sockaddr *)&l, &ll) == 0)
		format_addr(&l, la, sizeof(la), &lp);
	return lp;
}

static int so_error(int fd)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return errno;
	return err;
}

static int set_int(int fd, int level, int opt, int val)
{
	return setsockopt(fd, level, opt, &val, sizeof(val));
}

static int get_tcp_info(int fd, struct tcp_info *ti)
{
	socklen_t len = sizeof(*ti);

	memset(ti, 0, sizeof(*ti));
	return getsockopt(fd, IPPROTO_TCP, TCP_INFO, ti, &len);
}

/* Current TCP state of FD, or -1. */
static int tcp_state(int fd)
{
	struct tcp_info ti;

	if (get_tcp_info(fd, &ti) < 0)
		return -1;
	return ti.tcpi_state;
}

#define STATE_BIT(st) (1u << (st))

/* Wait (bounded) until FD is in one of the TCP states in MASK: RES_OK or RES_TIMEOUT. */
static int wait_tcp_state(int fd, unsigned int mask, int64_t deadline)
{
	for (;;) {
		int st = tcp_state(fd);

		if (st >= 0 && st < 32 && (mask & STATE_BIT(st)))
			return RES_OK;
		if (now_ms() >= deadline)
			return RES_TIMEOUT;
		sleep_ms(STATE_POLL_MS);
	}
}

/*
 * Read (discarding payload) until EOF, an error or DEADLINE.  Returns
 * RES_EOF, RES_TIMEOUT, RES_DATA (only if STOP_ON_DATA) or an errno value.
 */
static int await_eof_or_error(int fd, int64_t deadline, bool stop_on_data, size_t *nread)
{
	char buf[4096];

	for (;;) {
		int rev = wait_fd(fd, POLLIN, deadline);
		ssize_t n;

		if (rev == 0)
			return RES_TIMEOUT;
		if (rev < 0)
			return errno;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0) {
			if (nread)
				*nread += (size_t)n;
			if (stop_on_data)
				return RES_DATA;
			if (now_ms() >= deadline)
				return RES_TIMEOUT;
			continue;
		}
		if (n == 0)
			return RES_EOF;
		if (errno != EAGAIN && errno != EINTR)
			return errno;
	}
}

static int send_payload(int fd)
{
	char buf[PAYLOAD_LEN];
	ssize_t n;

	memset(buf, 'r', sizeof(buf));
	n = send(fd, buf, sizeof(buf), MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n < 0)
		return errno;
	if (n != (ssize_t)sizeof(buf))
		return EAGAIN;
	emit("sent", ",\"bytes\":%d", (int)n);
	return 0;
}

/* MS, but never more than the -t timeout. */
static int capped_ms(int ms)
{
	return g_timeout_ms < ms ? g_timeout_ms : ms;
}

/* How long a client waits for the server's silent step (no packet to wait for). */
static int settle_ms(void)
{
	return capped_ms(SETTLE_MS);
}

/*
 * In these scenarios the server acts (and the RST or FIN goes out) right
 * after accept(), which could beat the client's connect() poll: the client
 * would then see ECONNRESET from connect() and could not report its tuple.
 * So the client sends one sync byte after printing "connected", and the
 * server reads it before acting (reading it, so no unread data is left).
 */
static bool needs_sync(enum scenario sc)
{
	return sc == SC_LINGER_ABORT || sc == SC_LINGER2_ABORT || sc == SC_ABORT_ON_DATA ||
	       sc == SC_CLOSED_THEN_DATA || sc == SC_DISCONNECT;
}

static int send_sync(int fd)
{
	char c = 's';

	if (send(fd, &c, 1, MSG_NOSIGNAL | MSG_DONTWAIT) != 1)
		return errno ? errno : EAGAIN;
	return 0;
}

/* Server: wait (bounded) for the client's sync byte and consume it. */
static int recv_sync(int fd)
{
	int rev = wait_fd(fd, POLLIN, deadline_in(g_timeout_ms));
	ssize_t n;
	char c;

	if (rev == 0)
		return RES_TIMEOUT;
	if (rev < 0)
		return errno;
	n = recv(fd, &c, 1, MSG_DONTWAIT);
	if (n == 1)
		return RES_OK;
	if (n == 0)
		return RES_EOF;
	return errno;
}

static bool is_reset_errno(int r)
{
	return r == ECONNRESET || r == EPIPE;
}

/* hold: any end is a valid run (the test decides); a timeout reports "ok". */
static int finish_hold(int r, int64_t start, size_t nread)
{
	char extra[64];

	snprintf(extra, sizeof(extra), ",\"held_ms\":%lld,\"bytes\":%zu",
		 (long long)(now_ms() - start), nread);
	return finish_ex(r == RES_TIMEOUT ? RES_OK : r, "read", extra, true, "-");
}

/* ---- client ------------------------------------------------------------ */

static int client_connect(int *err)
{
	int fd, rev;

	fd = socket(g_addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		*err = errno;
		return -1;
	}
	if (connect(fd, (struct sockaddr *)&g_addr, g_addrlen) == 0)
		return fd;
	if (errno != EINPROGRESS) {
		*err = errno;
		close(fd);
		return -1;
	}
	rev = wait_fd(fd, POLLOUT, deadline_in(g_timeout_ms));
	if (rev <= 0) {
		*err = rev == 0 ? RES_TIMEOUT : errno;
		close(fd);
		return -1;
	}
	*err = so_error(fd);
	if (*err) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * After the peer's FIN has been read: wait for the reset to arrive (the
 * socket raises POLLERR/POLLHUP), then report what the next call sees.
 * USE_WRITE selects write() instead of read() as that call; a read after
 * EOF keeps returning 0, so then the pending socket error is reported.
 */
static int client_after_eof(int fd, bool use_write)
{
	int rev = wait_fd(fd, 0, deadline_in(g_timeout_ms));
	int r;

	if (rev == 0)
		return finish(RES_TIMEOUT, "poll", false, "no reset within %d ms after EOF",
			      g_timeout_ms);
	if (rev < 0)
		return finish(errno, "poll", false, "poll: %s", strerror(errno));

	if (use_write) {
		char c = 'x';

		if (send(fd, &c, 1, MSG_NOSIGNAL | MSG_DONTWAIT) == 1)
			return finish(RES_OK, "write", false, "write succeeded after reset");
		r = errno;
		return finish(r, "write", is_reset_errno(r),
			      "write after reset failed with %s, expected ECONNRESET/EPIPE",
			      errno_name(r));
	} else {
		char buf[64];
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0) {
			r = errno;
			return finish(r, "read", is_reset_errno(r),
				      "read after EOF failed with %s, expected ECONNRESET/EPIPE",
				      errno_name(r));
		}
		if (n > 0)
			return finish(RES_DATA, "read", false, "unexpected data after EOF");
		r = so_error(fd);
		if (!r)
			return finish(RES_EOF, "read", false,
				      "no socket error after POLLERR/POLLHUP");
		return finish(r, "so_error", is_reset_errno(r),
			      "socket error %s after EOF, expected ECONNRESET/EPIPE",
			      errno_name(r));
	}
}

/* ---- client: listen_overflow ------------------------------------------ */

enum lo_state { LO_UNUSED, LO_PENDING, LO_CONNECTED, LO_FAILED };

struct lo_conn {
	int fd;
	int lport;
	enum lo_state state;
	bool sent;
	bool acked;
	int result; /* what ended it, once LO_FAILED */
};

static void lo_fail(struct lo_conn *c, int i, int result, const char *op)
{
	c->state = LO_FAILED;
	c->result = result;
	emit("error", ",\"conn\":%d,\"lport\":%d,\"result\":\"%s\",\"op\":\"%s\"", i, c->lport,
	     result_name(result), op);
}

/*
 * Start a non-blocking connect.  TCP_DEFER_ACCEPT on a connecting socket
 * makes the kernel delay the handshake's final ACK (up to the 200 ms
 * delayed-ACK timer), so it leaves with this connection's data byte, in
 * the order the client chooses.
 */
static void lo_start(struct lo_conn *c, int i)
{
	int r;

	c->fd = socket(g_addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (c->fd < 0) {
		lo_fail(c, i, errno, "socket");
		return;
	}
	if (set_int(c->fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, 1) < 0) {
		lo_fail(c, i, errno, "setsockopt");
		return;
	}
	if (connect(c->fd, (struct sockaddr *)&g_addr, g_addrlen) == 0 || errno == EINPROGRESS) {
		c->lport = local_port(c->fd);
		c->state = LO_PENDING;
		return;
	}
	r = errno;
	c->lport = local_port(c->fd);
	lo_fail(c, i, r, "connect");
}

/* A pending connect reported POLLOUT/POLLERR: report how it ended. */
static void lo_connect_done(struct lo_conn *c, int i)
{
	int r = so_error(c->fd);

	if (r) {
		lo_fail(c, i, r, "connect");
		return;
	}
	c->state = LO_CONNECTED;
	emit_tuple("connected", c->fd, i);
}

/* Poll a pending connect until DEADLINE (now: just check it). */
static void lo_poll_connect(struct lo_conn *c, int i, int64_t deadline)
{
	int rev;

	if (c->state != LO_PENDING)
		return;
	rev = wait_fd(c->fd, POLLOUT, deadline);
	if (rev < 0)
		lo_fail(c, i, errno, "poll");
	else if (rev > 0)
		lo_connect_done(c, i);
}

static void lo_send(struct lo_conn *c, int i)
{
	char b = 'o';

	if (c->state != LO_CONNECTED || c->sent)
		return;
	if (send(c->fd, &b, 1, MSG_NOSIGNAL | MSG_DONTWAIT) != 1) {
		lo_fail(c, i, errno ? errno : EAGAIN, "write");
		return;
	}
	c->sent = true;
	emit("sent", ",\"conn\":%d,\"lport\":%d,\"bytes\":1", i, c->lport);
}

/* A connected socket: an error or EOF ends it; an acknowledged byte marks it acked. */
static void lo_check(struct lo_conn *c, int i)
{
	struct tcp_info ti;
	char buf[64];
	ssize_t n;

	if (c->state != LO_CONNECTED)
		return;
	n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n == 0) {
		lo_fail(c, i, RES_EOF, "read");
		return;
	}
	if (n > 0) {
		lo_fail(c, i, RES_DATA, "read");
		return;
	}
	if (errno != EAGAIN && errno != EINTR) {
		lo_fail(c, i, errno, "read");
		return;
	}
	if (c->sent && !c->acked && get_tcp_info(c->fd, &ti) == 0 &&
	    ti.tcpi_state == ST_ESTABLISHED && ti.tcpi_unacked == 0) {
		c->acked = true;
		emit("acked", ",\"conn\":%d,\"lport\":%d", i, c->lport);
	}
}

/*
 * LO_CONNS connections against a backlog-1 listener that does not accept.
 * Each connection's final ACK (carrying its byte) is sent only after the
 * next connection's SYN: the SYN still finds room (a request socket is
 * created), but once the accept queue is full its ACK overflows it -- a
 * RST with tcp_abort_on_overflow=1, a silent drop otherwise.  SYNs that
 * arrive when the accept queue is already full are dropped.
 */
static int client_listen_overflow(void)
{
	struct lo_conn c[LO_CONNS];
	int acked = 0, resets = 0, dropped = 0, errors = 0, i;
	char extra[160];
	int64_t deadline;
	bool open;

	memset(c, 0, sizeof(c));
	for (i = 0; i < LO_CONNS; i++) {
		c[i].fd = -1;
		lo_start(&c[i], i);
		lo_poll_connect(&c[i], i, deadline_in(capped_ms(LO_CONNECT_WAIT_MS)));
		if (i > 0)
			lo_send(&c[i - 1], i - 1);
	}
	lo_send(&c[LO_CONNS - 1], LO_CONNS - 1);

	/* A reset arrives at once; a drop is silent, so wait a settle time. */
	deadline = deadline_in(settle_ms());
	for (;;) {
		open = false;
		for (i = 0; i < LO_CONNS; i++) {
			if (c[i].state == LO_PENDING) {
				lo_poll_connect(&c[i], i, now_ms());
				lo_send(&c[i], i);
			}
			lo_check(&c[i], i);
			if (c[i].state == LO_PENDING || (c[i].state == LO_CONNECTED && !c[i].acked))
				open = true;
		}
		if (!open || now_ms() >= deadline)
			break;
		sleep_ms(LO_POLL_MS);
	}

	for (i = 0; i < LO_CONNS; i++) {
		if (c[i].state == LO_FAILED && c[i].result == ECONNRESET) {
			resets++;
		} else if (c[i].state == LO_FAILED) {
			errors++;
		} else if (c[i].state == LO_CONNECTED && c[i].acked) {
			acked++;
		} else if (c[i].state != LO_UNUSED) {
			dropped++;
			emit("dropped", ",\"conn\":%d,\"lport\":%d,\"stage\":\"%s\"", i, c[i].lport,
			     c[i].state == LO_PENDING ? "connect" : "data");
		}
		if (c[i].fd >= 0)
			close(c[i].fd);
	}
	snprintf(extra, sizeof(extra),
		 ",\"conns\":%d,\"acked\":%d,\"resets\":%d,\"dropped\":%d,\"errors\":%d", LO_CONNS,
		 acked, resets, dropped, errors);
	return finish_ex(RES_OK, "poll", extra, resets > 0 || dropped > 0,
			 "no overflow: %d of %d connections queued, none reset or dropped", acked,
			 LO_CONNS);
}

/* ---- client: other scenarios ------------------------------------------- */

static int client_run(enum scenario sc)
{
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	int64_t start;
	int fd, err = 0, r, rev;
	size_t nread = 0;

	if (sc == SC_LISTEN_OVERFLOW)
		return client_listen_overflow();

	fd = client_connect(&err);
	if (fd < 0) {
		if (sc == SC_CLOSED_PORT)
			return finish(err, "connect", err == ECONNREFUSED,
				      "connect: %s, expected ECONNREFUSED", result_name(err));
		return finish(err, "connect", false, "connect: %s", result_name(err));
	}

	if (sc == SC_KEEPALIVE) {
		if (set_int(fd, SOL_SOCKET, SO_KEEPALIVE, 1) < 0 ||
		    set_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, 1) < 0 ||
		    set_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, 1) < 0 ||
		    set_int(fd, IPPROTO_TCP, TCP_KEEPCNT, 1) < 0)
			return finish(errno, "setsockopt", false, "keepalive options: %s",
				      strerror(errno));
	}
	emit_connected(fd);
	if (needs_sync(sc)) {
		r = send_sync(fd);
		if (r)
			return finish(r, "write", false, "sending the sync byte: %s",
				      errno_name(r));
	}

	switch (sc) {
	case SC_CLOSED_PORT:
		return finish(RES_OK, "connect", false, "connect succeeded, expected ECONNREFUSED");

	case SC_NO_SOCKET:
		/* Let the server drop the connection silently before sending. */
		r = await_eof_or_error(fd, deadline_in(settle_ms()), true, NULL);
		if (r != RES_TIMEOUT)
			return finish(r, "read", false, "connection changed before sending: %s",
				      result_name(r));
		r = send_payload(fd);
		if (r)
			return finish(r, "write", false, "send: %s", errno_name(r));
		r = await_eof_or_error(fd, deadline_in(g_timeout_ms), true, NULL);
		return finish(r, "read", r == ECONNRESET, "read: %s, expected ECONNRESET",
			      result_name(r));

	case SC_ABORT_ON_CLOSE:
		r = send_payload(fd);
		if (r)
			return finish(r, "write", false, "send: %s", errno_name(r));
		fallthrough;
	case SC_LINGER_ABORT:
		r = await_eof_or_error(fd, deadline_in(g_timeout_ms), true, NULL);
		return finish(r, "read", r == ECONNRESET, "read: %s, expected ECONNRESET",
			      result_name(r));

	case SC_LINGER2_ABORT:
	case SC_ABORT_ON_DATA:
	case SC_CLOSED_THEN_DATA:
		r = await_eof_or_error(fd, deadline_in(g_timeout_ms), true, NULL);
		if (r != RES_EOF)
			return finish(r, "read", false, "read: %s, expected EOF first",
				      result_name(r));
		emit("eof", NULL);
		if (sc == SC_LINGER2_ABORT)
			return client_after_eof(fd, false);
		if (sc == SC_CLOSED_THEN_DATA) {
			/* Let the server close() its FIN_WAIT2 socket (into timewait). */
			rev = wait_fd(fd, 0, deadline_in(settle_ms()));
			if (rev != 0) {
				r = rev < 0 ? errno : so_error(fd);
				return finish(r ? r : RES_EOF, "poll", false,
					      "connection changed before sending: %s",
					      result_name(r ? r : RES_EOF));
			}
		}
		r = send_payload(fd);
		if (r)
			return finish(r, "write", is_reset_errno(r), "send after EOF: %s",
				      errno_name(r));
		return client_after_eof(fd, true);

	case SC_KEEPALIVE:
		r = await_eof_or_error(fd, deadline_in(g_timeout_ms), true, NULL);
		return finish(r, "read", r == ETIMEDOUT, "read: %s, expected ETIMEDOUT",
			      result_name(r));

	case SC_PEER_CLOSE:
		r = send_payload(fd);
		if (r)
			return finish(r, "write", false, "send: %s", errno_name(r));
		if (shutdown(fd, SHUT_WR) < 0)
			return finish(errno, "shutdown", false, "shutdown: %s", strerror(errno));
		r = await_eof_or_error(fd, deadline_in(g_timeout_ms), false, &nread);
		if (r != RES_EOF)
			return finish(r, "read", false, "read: %s, expected EOF", result_name(r));
		emit("eof", NULL);
		close(fd);
		return finish(RES_OK, "close", true, "-");

	case SC_LISTEN_OVERFLOW:
		break;

	case SC_DISCONNECT:
		/* Let the server read the sync byte; the connection must stay intact. */
		r = await_eof_or_error(fd, deadline_in(capped_ms(DISCONNECT_DELAY_MS)), true, NULL);
		if (r != RES_TIMEOUT)
			return finish(r, "read", false,
				      "connection changed before disconnecting: %s",
				      result_name(r));
		/* connect(AF_UNSPEC) disconnects: tcp_disconnect() resets the peer. */
		if (connect(fd, &unspec, sizeof(unspec)) < 0) {
			r = errno;
			return finish(r, "connect", false, "connect(AF_UNSPEC): %s", errno_name(r));
		}
		close(fd);
		return finish(RES_OK, "connect", true, "-");

	case SC_HOLD:
		start = now_ms();
		r = await_eof_or_error(fd, deadline_in(g_timeout_ms), false, &nread);
		close(fd);
		return finish_hold(r, start, nread);
	}
	return finish(RES_OK, "-", false, "unhandled scenario");
}

/* ---- server ------------------------------------------------------------ */

static int server_listen(enum scenario sc, int *err)
{
	int backlog = sc == SC_LISTEN_OVERFLOW ? LO_BACKLOG : LISTEN_BACKLOG;
	struct sockaddr_storage l = { 0 };
	socklen_t ll = sizeof(l);
	char la[INET6_ADDRSTRLEN];
	int fd, lp;

	fd = socket(g_addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		goto fail;
	if (set_int(fd, SOL_SOCKET, SO_REUSEADDR, 1) < 0)
		goto fail;
	if (g_addr.ss_family == AF_INET6 && set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1) < 0)
		goto fail;
	if (bind(fd, (struct sockaddr *)&g_addr, g_addrlen) < 0 || listen(fd, backlog) < 0)
		goto fail;
	getsockname(fd, (struct sockaddr *)&l, &ll);
	format_addr(&l, la, sizeof(la), &lp);
	if (sc == SC_LISTEN_OVERFLOW)
		emit("listening", ",\"laddr\":\"%s\",\"lport\":%d,\"backlog\":%d", la, lp, backlog);
	else
		emit("listening", ",\"laddr\":\"%s\",\"lport\":%d", la, lp);
	return fd;
fail:
	*err = errno;
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Accept one connection and close the listener right away. */
static int server_accept(int lfd, int *err)
{
	int rev = wait_fd(lfd, POLLIN, deadline_in(g_timeout_ms));
	int fd;

	if (rev <= 0) {
		*err = rev == 0 ? RES_TIMEOUT : errno;
		close(lfd);
		return -1;
	}
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	*err = errno;
	/*
	 * No listener may remain: later segments for a forgotten connection
	 * must find no socket at all (no_socket).
	 */
	close(lfd);
	return fd;
}

/* ---- server: listen_overflow ------------------------------------------ */

/*
 * Count this namespace's TCP sockets with local port PORT by state
 * (/proc/net/tcp lists request sockets as SYN_RECV, and children still in
 * the accept queue).  Returns 0, or -1 with errno set.
 */
static int port_states(int port, unsigned int counts[N_STATES])
{
	const char *path = g_addr.ss_family == AF_INET6 ? "/proc/net/tcp6" : "/proc/net/tcp";
	char line[512];
	FILE *f;

	memset(counts, 0, N_STATES * sizeof(counts[0]));
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned int lp, st;

		if (sscanf(line, " %*u: %*[0-9A-Fa-f]:%x %*[0-9A-Fa-f]:%*x %x", &lp, &st) == 2 &&
		    lp == (unsigned int)port && st < N_STATES)
			counts[st]++;
	}
	fclose(f);
	return 0;
}

/* Connections of PORT the kernel still holds for the listener (not accepted). */
static unsigned int port_pending(const unsigned int counts[N_STATES])
{
	return counts[ST_SYN_RECV] + counts[ST_ESTABLISHED] + counts[ST_CLOSE_WAIT];
}

/*
 * Never accept while the client runs: the client is done when every
 * queued connection has been closed by its peer (no ESTABLISHED child
 * left).  Then drain gracefully -- accept, read to EOF, close -- until the
 * kernel holds nothing more for the port (a request socket whose final
 * ACK was dropped completes once the queue has room), so that no child is
 * reset by the listener's close.  All of it bounded by -t.
 */
static int server_listen_overflow(int lfd)
{
	unsigned int st[N_STATES], pending = 0;
	int port = local_port(lfd), maxq = 0, accepted = 0, fd;
	int64_t deadline = deadline_in(g_timeout_ms);
	bool seen = false, client_done = false;
	struct tcp_info ti;
	char extra[128];

	for (;;) {
		/* On a listener, tcpi_unacked is the accept queue length. */
		if (get_tcp_info(lfd, &ti) == 0 && (int)ti.tcpi_unacked > maxq)
			maxq = (int)ti.tcpi_unacked;
		if (port_states(port, st) < 0)
			return finish(errno, "read", false, "/proc/net/tcp: %s", strerror(errno));
		if (st[ST_ESTABLISHED] + st[ST_CLOSE_WAIT] > 0)
			seen = true;
		if (seen && st[ST_ESTABLISHED] == 0) {
			client_done = true;
			break;
		}
		if (now_ms() >= deadline)
			break;
		sleep_ms(LO_POLL_MS);
	}

	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd >= 0) {
			accepted++;
			await_eof_or_error(fd, deadline, false, NULL);
			close(fd);
			continue;
		}
		if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
			break;
		if (port_states(port, st) < 0)
			break;
		pending = port_pending(st);
		if (!pending || now_ms() >= deadline)
			break;
		sleep_ms(LO_POLL_MS);
	}
	close(lfd);

	snprintf(extra, sizeof(extra), ",\"queued\":%d,\"accepted\":%d,\"leftover\":%u", maxq,
		 accepted, pending);
	return finish_ex(client_done ? RES_OK : RES_TIMEOUT, "accept", extra, client_done,
			 "client not done within %d ms (queued %d)", g_timeout_ms, maxq);
}

/* ---- server: other scenarios ------------------------------------------- */

static int server_run(enum scenario sc)
{
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int lfd, fd, err = 0, r, rev;
	int64_t start;
	size_t nread = 0;

	lfd = server_listen(sc, &err);
	if (lfd < 0)
		return finish(err, "listen", false, "listen: %s", errno_name(err));
	if (sc == SC_LISTEN_OVERFLOW)
		return server_listen_overflow(lfd);
	fd = server_accept(lfd, &err);
	if (fd < 0)
		return finish(err, "accept", false, "accept: %s", result_name(err));
	emit_connected(fd);
	if (needs_sync(sc)) {
		r = recv_sync(fd);
		if (r)
			return finish(r, "read", false, "no sync byte from the client: %s",
				      result_name(r));
	}
	if (g_handoff) {
		cpu_set_t cpu;
		pid_t child;
		int status;

		CPU_ZERO(&cpu);
		CPU_SET(sched_getcpu(), &cpu);
		if (sched_setaffinity(0, sizeof(cpu), &cpu) < 0)
			return finish(errno, "sched_setaffinity", false, "sched_setaffinity: %s",
				      strerror(errno));
		child = fork();
		if (child < 0)
			return finish(errno, "fork", false, "fork: %s", strerror(errno));
		if (child > 0) {
			close(fd);
			close(lfd);
			emit("handoff", ",\"child\":%d", (int)child);
			if (waitpid(child, &status, 0) < 0)
				return 1;
			return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
		}
	}

	switch (sc) {
	case SC_CLOSED_PORT:
		break;

	case SC_NO_SOCKET:
		/* Repair mode: close() forgets the connection without FIN/RST. */
		if (set_int(fd, IPPROTO_TCP, TCP_REPAIR, 1) < 0)
			return finish(errno, "setsockopt", false,
				      "TCP_REPAIR: %s (needs CAP_NET_ADMIN)", strerror(errno));
		close(fd);
		return finish(RES_OK, "close", true, "-");

	case SC_ABORT_ON_CLOSE:
		rev = wait_fd(fd, POLLIN, deadline_in(g_timeout_ms));
		if (rev <= 0)
			return finish(rev ? errno : RES_TIMEOUT, "poll", false,
				      "no data from client");
		close(fd);
		return finish(RES_OK, "close", true, "-");

	case SC_LINGER_ABORT:
		if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)) < 0)
			return finish(errno, "setsockopt", false, "SO_LINGER: %s", strerror(errno));
		close(fd);
		return finish(RES_OK, "close", true, "-");

	case SC_LINGER2_ABORT:
		if (set_int(fd, IPPROTO_TCP, TCP_LINGER2, -1) < 0)
			return finish(errno, "setsockopt", false, "TCP_LINGER2: %s",
				      strerror(errno));
		if (shutdown(fd, SHUT_WR) < 0)
			return finish(errno, "shutdown", false, "shutdown: %s", strerror(errno));
		r = wait_tcp_state(fd, STATE_BIT(ST_FIN_WAIT2), deadline_in(g_timeout_ms));
		if (r)
			return finish(r, "tcp_info", false, "FIN_WAIT2 not reached (state %d)",
				      tcp_state(fd));
		close(fd);
		return finish(RES_OK, "close", true, "-");

	case SC_ABORT_ON_DATA:
		if (shutdown(fd, SHUT_RDWR) < 0)
			return finish(errno, "shutdown", false, "shutdown: %s", strerror(errno));
		/*
		 * The client writes as soon as it reads our FIN, so FIN_WAIT2 may
		 * last less than one poll interval: CLOSE counts as passed, too.
		 */
		r = wait_tcp_state(fd, STATE_BIT(ST_FIN_WAIT2) | STATE_BIT(ST_CLOSE),
				   deadline_in(g_timeout_ms));
		if (r)
			return finish(r, "tcp_info", false, "FIN_WAIT2 not reached (state %d)",
				      tcp_state(fd));
		/* The client's data makes the kernel abort this socket: wait for that. */
		r = wait_tcp_state(fd, STATE_BIT(ST_CLOSE), deadline_in(g_timeout_ms));
		if (r)
			return finish(r, "tcp_info", false, "socket not aborted (state %d)",
				      tcp_state(fd));
		r = so_error(fd);
		close(fd);
		return finish(r, "so_error", r == ECONNRESET,
			      "socket error %s, expected ECONNRESET", errno_name(r));

	case SC_CLOSED_THEN_DATA:
		/*
		 * close() in FIN_WAIT2 turns the socket into a FIN_WAIT2 timewait
		 * socket at once.  A plain close() in ESTABLISHED would leave a full
		 * orphan socket instead (the peer's ACK of our FIN is backlogged
		 * while close() holds the socket lock), and the client's data would
		 * then get TCP_ABORT_ON_DATA rather than TCP_TIMEWAIT_SOCKET.
		 */
		if (shutdown(fd, SHUT_WR) < 0)
			return finish(errno, "shutdown", false, "shutdown: %s", strerror(errno));
		r = wait_tcp_state(fd, STATE_BIT(ST_FIN_WAIT2), deadline_in(g_timeout_ms));
		if (r)
			return finish(r, "tcp_info", false, "FIN_WAIT2 not reached (state %d)",
				      tcp_state(fd));
		close(fd);
		return finish(RES_OK, "close", true, "-");

	case SC_KEEPALIVE:
		r = await_eof_or_error(fd, deadline_in(g_timeout_ms), false, &nread);
		if (r != RES_TIMEOUT)
			return finish(r, "read", false, "connection ended early: %s",
				      result_name(r));
		close(fd);
		return finish(RES_OK, "close", true, "-");

	case SC_PEER_CLOSE:
		r = await_eof_or_error(fd, deadline_in(g_timeout_ms), false, &nread);
		if (r != RES_EOF)
			return finish(r, "read", false, "read: %s, expected EOF", result_name(r));
		if (nread != PAYLOAD_LEN)
			return finish(RES_DATA, "read", false, "read %zu bytes, expected %d", nread,
				      PAYLOAD_LEN);
		emit("eof", NULL);
		close(fd);
		return finish(RES_OK, "close", true, "-");

	case SC_LISTEN_OVERFLOW:
		break;

	case SC_DISCONNECT:
		/* The client's connect(AF_UNSPEC) resets the connection. */
		r = await_eof_or_error(fd, deadline_in(g_timeout_ms), false, &nread);
		close(fd);
		return finish(r, "read", r == ECONNRESET, "read: %s, expected ECONNRESET",
			      result_name(r));

	case SC_HOLD:
		start = now_ms();
		r = await_eof_or_error(fd, deadline_in(g_timeout_ms), false, &nread);
		close(fd);
		return finish_hold(r, start, nread);
	}
	return finish(RES_OK, "-", false, "unhandled scenario");
}

/* ---- main -------------------------------------------------------------- */

/* An IPv4 or IPv6 literal and PORT into g_addr / g_addrlen; -1 if neither. */
static int parse_addr(const char *addr, int port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&g_addr;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&g_addr;

	memset(&g_addr, 0, sizeof(g_addr));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		g_addrlen = sizeof(*sin);
		return 0;
	}
	if (inet_pton(AF_INET6, addr, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		g_addrlen = sizeof(*sin6);
		return 0;
	}
	return -1;
}

static long parse_num(const char *s, long min, long max, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		usage_error("invalid %s '%s' (%ld..%ld)", what, s, min, max);
	return v;
}

int main(int argc, char **argv)
{
	const char *addr = NULL, *port = NULL, *comm = NULL;
	enum scenario sc = SC_CLOSED_PORT;
	bool server, found = false;
	int opt, rc;
	size_t i;

	if (argc < 3)
		usage_error("missing role or scenario");
	if (!strcmp(argv[1], "server"))
		server = true;
	else if (!strcmp(argv[1], "client"))
		server = false;
	else
		usage_error("unknown role '%s'", argv[1]);
	g_role = argv[1];
	for (i = 0; i < N_SCENARIOS; i++) {
		if (!strcmp(argv[2], scenario_names[i])) {
			sc = (enum scenario)i;
			found = true;
		}
	}
	if (!found)
		usage_error("unknown scenario '%s'", argv[2]);
	g_scenario = scenario_names[sc];
	if (server && sc == SC_CLOSED_PORT)
		usage_error("scenario closed_port has no server side");

	/* Options follow the two positional words; argv[2] acts as argv[0]. */
	opterr = 0;
	while ((opt = getopt(argc - 2, argv + 2, ":a:p:n:t:H")) != -1) {
		switch (opt) {
		case 'H':
			if (!server)
				usage_error("-H is for the server");
			g_handoff = true;
			break;
		case 'a':
			addr = optarg;
			break;
		case 'p':
			port = optarg;
			break;
		case 'n':
			comm = optarg;
			break;
		case 't':
			g_timeout_ms = (int)parse_num(optarg, 1, 3600000, "timeout");
			break;
		case ':':
			usage_error("option -%c needs an argument", optopt);
		default:
			usage_error("unknown option -%c", optopt);
		}
	}
	if (optind < argc - 2)
		usage_error("unexpected argument '%s'", argv[optind + 2]);
	if (!addr || !port)
		usage_error("-a ADDR and -p PORT are required");
	parse_num(port, server ? 0 : 1, 65535, "port");
	if (comm && !*comm)
		usage_error("empty -n COMM");

	if (!comm)
		comm = server ? "rg-server" : "rg-client";
	prctl(PR_SET_NAME, comm, 0, 0, 0);
	if (prctl(PR_GET_NAME, g_comm, 0, 0, 0) < 0)
		snprintf(g_comm, sizeof(g_comm), "%s", comm);

	/*
	 * Address literals only (inet_pton, not getaddrinfo): no resolver, so the
	 * static build for the kernel guest tests needs no NSS at run time.
	 */
	if (parse_addr(addr, (int)parse_num(port, 0, 65535, "port")) < 0)
		usage_error("invalid address '%s' (need an IPv4 or IPv6 literal)", addr);

	signal(SIGPIPE, SIG_IGN);

	rc = server ? server_run(sc) : client_run(sc);
	return rc;
}
