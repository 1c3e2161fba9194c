#!/usr/bin/env bash
# Style gates: shellcheck on every script, clang-format (kernel style) on every C file.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
passed=0 failed=0

mapfile -t scripts < <(git ls-files -- '*.sh' .ci/run 2>/dev/null)
if shellcheck -x "${scripts[@]}"; then
	echo "ok   shellcheck (${#scripts[@]} scripts)"
	passed=$((passed + 1))
else
	echo "FAIL shellcheck"
	failed=$((failed + 1))
fi

mapfile -t csrc < <(git ls-files -- '*.c' '*.h' 2>/dev/null)
fmt=$(clang-format --dry-run --Werror "${csrc[@]}" 2>&1)
if [ -n "$fmt" ]; then
	printf '%s\n' "$fmt" | head -20
	echo "FAIL clang-format (run: clang-format -i on the files above)"
	failed=$((failed + 1))
else
	echo "ok   clang-format (${#csrc[@]} files)"
	passed=$((passed + 1))
fi
echo "lint: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
