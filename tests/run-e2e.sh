#!/usr/bin/env bash
# End-to-end tests: real BPF programs in the running kernel, real resets in
# network namespaces made here.  Each tests/e2e/*.sh defines test_* functions.
# Closing line: "e2e: N passed, N failed[, N skipped]".
# E2E_ONLY=REGEX runs only the tests whose names match (for development; under
# CI=true it is refused, so CI always runs everything).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

files=(tests/e2e/test_*.sh)
names=()
for f in "${files[@]}"; do
	while read -r fn; do names+=("$f:$fn"); done < <(grep -oE '^test_[a-z0-9_]+' "$f")
done
if [[ -n ${E2E_ONLY:-} ]]; then
	if [[ ${CI:-} == true ]]; then
		echo "FAIL: E2E_ONLY is set under CI: every test must run"
		echo "e2e: 0 passed, 1 failed"
		exit 1
	fi
	sel=()
	for entry in "${names[@]}"; do
		[[ ${entry#*:} =~ $E2E_ONLY ]] && sel+=("$entry")
	done
	names=("${sel[@]}")
	echo "E2E_ONLY=$E2E_ONLY: ${#names[@]} tests selected"
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: end-to-end tests need root (BPF, network namespaces): ${#names[@]} tests NOT RUN"
	echo "e2e: 0 passed, 0 failed, ${#names[@]} skipped"
	exit 0
fi

passed=0 failed=0
for entry in "${names[@]}"; do
	f=${entry%%:*}
	fn=${entry#*:}
	start=$(date +%s)
	# each test runs in its own shell: its traps clean up whatever it made
	bash -c '. tests/lib/e2e.sh; . "$1"; "$2"; rc=$?
		[ "$E2E_FAILS" -eq 0 ] && [ "$rc" -eq 0 ]' _ "$f" "$fn"
	rc=$?
	if [ "$rc" -eq 0 ]; then
		echo "ok   $fn ($(($(date +%s) - start))s)"
		passed=$((passed + 1))
	else
		echo "FAIL $fn"
		failed=$((failed + 1))
	fi
done
# whatever failed, nothing a test made may outlive it
left=$(ip netns list 2>/dev/null | grep -E '^rw[a-z]+[0-9]+' || true)
if [ -n "$left" ]; then
	echo "FAIL cleanup: namespaces left behind: $(echo "$left" | tr '\n' ' ')"
	failed=$((failed + 1))
else
	echo "ok   cleanup: no namespaces left behind"
	passed=$((passed + 1))
fi
echo "e2e: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
