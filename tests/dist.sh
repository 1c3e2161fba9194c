#!/usr/bin/env bash
# What gets installed: files, the systemd unit (verify, security score), the man
# page against --help, the bash completion.  No root needed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
passed=0 failed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if make -s install DESTDIR="$tmp/root" PREFIX=/usr >"$tmp/install.log" 2>&1 &&
	[ -x "$tmp/root/usr/sbin/rstwatch" ] &&
	[ -f "$tmp/root/usr/lib/systemd/system/rstwatch.service" ] &&
	[ -f "$tmp/root/usr/share/man/man8/rstwatch.8" ] &&
	[ -f "$tmp/root/usr/share/bash-completion/completions/rstwatch" ] &&
	[ -f "$tmp/root/etc/rstwatch/rstwatch.conf" ] &&
	grep -q '^ExecStart=/usr/sbin/rstwatch serve' "$tmp/root/usr/lib/systemd/system/rstwatch.service"; then
	ok "make install DESTDIR PREFIX"
else
	fail "make install: $(cat "$tmp/install.log")"
fi

# verify the unit as it would run: ExecStart pointing at the built binary
mkdir -p "$tmp/man/man8"
cp dist/rstwatch.8 "$tmp/man/man8/"
sed "s|@SBINDIR@|$PWD/.output|g" dist/rstwatch.service.in >"$tmp/rstwatch.service"
if out=$(MANPATH=$tmp/man systemd-analyze verify "$tmp/rstwatch.service" 2>&1) && [ -z "$out" ]; then
	ok "systemd-analyze verify"
else
	fail "systemd-analyze verify: $out"
fi
score=$(systemd-analyze security --offline=yes "$tmp/rstwatch.service" 2>/dev/null |
	sed -nE 's/.*Overall exposure level for rstwatch.service: ([0-9.]+).*/\1/p')
if [ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 2.5) }'; then
	ok "systemd-analyze security: exposure $score <= 2.5"
else
	fail "systemd-analyze security: exposure '$score'"
fi

# the sample configuration: every example key, uncommented, is a valid option
sed -E 's/^#([a-z][a-z0-9-]* = )/\1/' dist/rstwatch.conf >"$tmp/all.conf"
if [ "$(grep -cE '^[a-z]' "$tmp/all.conf")" -ge 10 ] &&
	out=$(.output/rstwatch --config "$tmp/all.conf" explain closed_port 2>&1 >/dev/null) && [ -z "$out" ]; then
	ok "sample rstwatch.conf: every example key parses"
else
	fail "sample rstwatch.conf: $out"
fi

# --help and the man page name the same long options and commands
help_opts=$(.output/rstwatch --help | grep -oE -- '--[a-z0-9-]+' | sort -u)
man_opts=$(sed 's/\\-/-/g' dist/rstwatch.8 | grep -oE -- '--[a-z0-9-]+' | sort -u)
if [ "$help_opts" = "$man_opts" ]; then
	ok "--help and rstwatch(8) list the same options ($(wc -w <<<"$help_opts"))"
else
	fail "--help vs man page: $(diff <(echo "$help_opts") <(echo "$man_opts") | grep '^[<>]' | tr '\n' ' ')"
fi
missing=
# captured once: grep -q on a pipe may leave rstwatch a SIGPIPE, which pipefail reports
help_text=$(.output/rstwatch --help)
for cmd in explain check serve top; do
	if ! grep -q "rstwatch $cmd" <<<"$help_text" || ! grep -q "^.B rstwatch $cmd" dist/rstwatch.8; then
		missing="$missing $cmd"
	fi
done
if [ -z "$missing" ]; then
	ok "commands in both: explain check serve top"
else
	fail "commands missing from --help or the man page:$missing"
fi
if man -l dist/rstwatch.8 >/dev/null 2>"$tmp/man.err" && [ ! -s "$tmp/man.err" ]; then
	ok "man page renders without warnings"
else
	fail "man page: $(cat "$tmp/man.err")"
fi

if bash -n dist/rstwatch.bash-completion && shellcheck -s bash dist/rstwatch.bash-completion &&
	out=$(bash -c '. dist/rstwatch.bash-completion; PATH=$PWD/.output:$PATH
		COMP_WORDS=(rstwatch --xdp-mode ""); COMP_CWORD=2; _rstwatch; echo "${COMPREPLY[*]}"') &&
	[ "$out" = "auto generic native" ]; then
	ok "bash completion"
else
	fail "bash completion: '$out'"
fi

echo "dist: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
