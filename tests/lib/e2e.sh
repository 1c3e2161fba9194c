# shellcheck shell=bash
#
# End-to-end test helpers: assertions, and a running rstwatch whose JSON Lines
# are queried with jq.  Sourced by tests/run-e2e.sh for each tests/e2e/*.sh.
#
#   e2e_fail MSG...                 record a failed check (the test goes on)
#   expect_eq WHAT ACTUAL EXPECTED  compare two strings
#   rw_start OUTFILE [ARGS...]      start rstwatch --json in the background
#   rw_stop                         SIGINT it; its exit summary lands in
#                                   OUTFILE.summary (JSON) and OUTFILE.err (text)
#   rw_events FILTER                JSON events matching a jq filter, one per line
#   rw_count FILTER                 how many events match; ERROR(...) if jq fails
#   rw_wait_count FILTER N TMO      wait until N events match (bounded)
#   ns_inode NS                     network namespace inode of NS

# shellcheck source=tests/lib/netns.sh
. "$(dirname "${BASH_SOURCE[0]}")/netns.sh"
# shellcheck source=tests/lib/json_count.sh
. "$(dirname "${BASH_SOURCE[0]}")/json_count.sh"

RSTWATCH=${RSTWATCH:-$PWD/.output/rstwatch}
RSTGEN=${RSTGEN:-$PWD/.output/rstgen}
E2E_FAILS=0
RW_PID=
RW_OUT=

e2e_fail() {
	echo "    FAIL: $*"
	E2E_FAILS=$((E2E_FAILS + 1))
}

expect_eq() {
	if [[ "$2" != "$3" ]]; then
		e2e_fail "$1: got '$2', want '$3'"
		return 1
	fi
	return 0
}

ns_inode() {
	stat -L -c %i "/run/netns/$1"
}

rw_start() {
	RW_OUT=$1
	shift
	"$RSTWATCH" --json -v --summary-json "$RW_OUT.summary" "$@" >"$RW_OUT" 2>"$RW_OUT.err" \
		</dev/null &
	RW_PID=$!
	if ! ns_wait_line "$RW_OUT.err" 'watching' "${RW_START_WAIT:-10}"; then
		cat "$RW_OUT.err" >&2
		return 1
	fi
}

rw_stop() {
	[[ -n $RW_PID ]] || return 0
	kill -INT "$RW_PID" 2>/dev/null || true
	local i
	for ((i = 0; i < 100; i++)); do
		kill -0 "$RW_PID" 2>/dev/null || break
		sleep 0.05
	done
	ns_stop "$RW_PID" >/dev/null 2>&1 || true
	wait "$RW_PID" 2>/dev/null
	RW_PID=
}

rw_events() {
	jq -c "select($1)" "$RW_OUT"
}

rw_count() {
	json_count "$RW_OUT" "$1"
}

# a line being written may not parse yet: only a number counts here, and the
# caller's exact count afterwards (rw_count) says ERROR if it stays broken
rw_wait_count() {
	local filter=$1 want=$2 tmo=$3 i n
	for ((i = 0; i < tmo * 20; i++)); do
		n=$(rw_count "$filter")
		[[ $n =~ ^[0-9]+$ ]] && ((n >= want)) && return 0
		sleep 0.05
	done
	return 1
}
