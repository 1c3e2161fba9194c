#!/usr/bin/env bash
# Style gates: shellcheck on every script, clang-format (kernel style) on every C file;
# clang's static analyzer on user space (use after free, double free, leaks, NULL).
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
# The analyzer needs the generated headers (skeletons, vmlinux.h) that the build makes.
make -s all >/dev/null || { echo "FAIL build (needed by the analyzer)"; failed=$((failed + 1)); }
mapfile -t usrc < <(git ls-files -- 'user/*.c' 2>/dev/null)
# Findings in .output/ are bpftool's generated skeletons (their error path frees
# through libbpf, out of the analyzer's sight): not ours, and not ours to edit.
found=$(printf '%s\n' "${usrc[@]}" | xargs -P2 -I{} clang --analyze -std=gnu11 -D_GNU_SOURCE \
	-Iinclude -Iuser -I.output -DRSTW_VERSION='""' -DRSTW_GIT_REV='""' -o /dev/null {} 2>&1 |
	grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error):' | grep -v '^\.output/')
if [ -n "$found" ]; then
	printf '%s\n' "$found"
	echo "FAIL clang --analyze (user/*.c)"
	failed=$((failed + 1))
else
	echo "ok   clang --analyze (${#usrc[@]} files)"
	passed=$((passed + 1))
fi
echo "lint: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
