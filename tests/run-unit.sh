#!/usr/bin/env bash
# Run the unit test binaries given as arguments; print one "N passed, N failed" line.
set -uo pipefail
passed=0 failed=0
for t in "$@"; do
	out=$("$t" 2>&1)
	rc=$?
	line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -n 1)
	if [ -z "$line" ]; then
		printf '%s\n' "$out"
		echo "FAIL $t: no result line (exit $rc)"
		failed=$((failed + 1))
		continue
	fi
	p=${line%% passed*}
	f=${line#*passed, }
	f=${f%% failed*}
	passed=$((passed + p))
	failed=$((failed + f))
	if [ "$rc" -ne 0 ] || [ "$f" -ne 0 ]; then
		printf '%s\n' "$out"
		[ "$f" -eq 0 ] && failed=$((failed + 1))
		echo "FAIL $t (exit $rc)"
	else
		echo "ok   $(basename "$t"): $line"
	fi
done
echo "unit: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
