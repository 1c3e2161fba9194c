#!/usr/bin/env bash
# The Debian package: make deb builds it, lintian finds nothing, apt-get installs
# it on this machine (every file it lists is there, the binary runs, the
# configuration is a conffile, the unit is enabled where systemd looks), and
# dpkg --purge leaves nothing behind, the service's log directory included.
# Root: it installs system-wide, and purges even on failure.  It refuses to run
# where a rstwatch package or rstwatch's files are already on the system.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
passed=0 failed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }

# What the running service makes and a purge removes (debian/postrm): DynamicUser=yes
# puts LogsDirectory=rstwatch in /var/log/private/rstwatch, /var/log/rstwatch links to it.
runtime_dirs=(/var/log/rstwatch /var/log/private/rstwatch /var/lib/private/rstwatch)
unit_link=/etc/systemd/system/multi-user.target.wants/rstwatch.service

tmp=$(mktemp -d)
installed="" made_private=""
# shellcheck disable=SC2317 # run by the EXIT trap, which shellcheck 0.9 does not follow
cleanup() {
	if [ -n "$installed" ] && dpkg-query -W rstwatch >/dev/null 2>&1 &&
		! dpkg --purge rstwatch >/dev/null 2>&1; then
		# a broken maintainer script of the package under test: never leave
		# it half-installed on this machine
		echo "deb: dpkg --purge rstwatch failed; purging without its maintainer scripts" >&2
		for script in prerm postrm; do
			[ -e "/var/lib/dpkg/info/rstwatch.$script" ] &&
				printf '#!/bin/sh\nexit 0\n' >"/var/lib/dpkg/info/rstwatch.$script"
		done
		dpkg --purge rstwatch >/dev/null 2>&1 || echo "deb: COULD NOT PURGE rstwatch" >&2
		rm -rf "${runtime_dirs[@]}" "$unit_link" /etc/rstwatch \
			/var/lib/systemd/deb-systemd-helper-enabled/rstwatch.service.dsh-also
	fi
	[ -n "$made_private" ] && rmdir /var/log/private 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
finish() {
	echo "deb: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}

if [ "$(id -u)" -ne 0 ]; then
	echo "SKIP: the package test needs root (it installs system-wide): 1 test NOT RUN"
	echo "deb: 0 passed, 0 failed, 1 skipped"
	exit 0
fi
status=$(dpkg-query -W -f='${db:Status-Status} ${Version}' rstwatch 2>/dev/null)
if [ -n "$status" ] && [ "${status%% *}" != not-installed ]; then
	fail "deb: REFUSING: a rstwatch package is already on this machine ($status); not touching it"
	finish
fi

version=$(cat VERSION)
if make -s deb >"$tmp/build.log" 2>&1 && deb=$(tail -n 1 "$tmp/build.log") &&
	[ "$(basename "$deb")" = "rstwatch_${version}_$(dpkg --print-architecture).deb" ] &&
	[ "$(dpkg-deb -f "$deb" Version)" = "$version" ]; then
	ok "make deb: $(basename "$deb")"
else
	tail -n 30 "$tmp/build.log"
	fail "make deb"
	finish
fi
changes=${deb%.deb}.changes

if lintian --fail-on error,warning "$deb" "$changes" >"$tmp/lintian" 2>&1 &&
	! grep -qE '^[EW]: ' "$tmp/lintian"; then
	ok "lintian: no errors, no warnings"
else
	fail "lintian: $(grep -E '^[EW]: ' "$tmp/lintian" | tr '\n' ' ')"
fi
# every override says why, in a comment right above it
bare=$(awk 'FNR == 1 { prev = "" } /^[^#]/ && prev !~ /^#/ { print FILENAME ": " $0 } { prev = $0 }' \
	debian/*lintian-overrides 2>/dev/null)
if [ -z "$bare" ]; then
	ok "lintian overrides: each has its reason"
else
	fail "lintian overrides without a reason: $bare"
fi

# Never overwrite or later purge something this package does not own yet.
in_the_way=
while read -r path; do
	if [ -e "$path" ] || [ -L "$path" ]; then in_the_way="$in_the_way $path"; fi
done < <(dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }'
	printf '%s\n' /etc/rstwatch "$unit_link" /etc/systemd/system/rstwatch.service "${runtime_dirs[@]}")
if [ -n "$in_the_way" ]; then
	fail "deb: REFUSING to install: already on this machine, not from a package:$in_the_way"
	finish
fi

# the install is system-wide: no BPF user (e2e, a booted container) runs meanwhile
exec {lock}>/tmp/rstwatch-bpf.lock
flock -w 600 "$lock" || {
	fail "deb: /tmp/rstwatch-bpf.lock held for 10 minutes"
	finish
}
# a directory apt's unprivileged _apt user can read, so apt says nothing about it
mkdir -m 0755 "$tmp/apt"
install -m 0644 "$deb" "$tmp/apt/"
dpkg-deb -c "$deb" | awk '{ sub(/^\./, "", $6); sub(/\/$/, "", $6); if ($6 != "") print $6 }' |
	while read -r path; do [ -e "$path" ] && echo "$path"; done >"$tmp/there-before"
installed=yes
if (cd "$tmp/apt" && DEBIAN_FRONTEND=noninteractive apt-get install -y "./$(basename "$deb")") \
	>"$tmp/install.log" 2>&1 &&
	[ "$(dpkg-query -W -f='${db:Status-Status}' rstwatch)" = installed ] &&
	! grep -iE 'error|warning|fail|^[EW]: ' "$tmp/install.log"; then
	ok "apt-get install ./$(basename "$deb"): installed, no error or warning"
else
	cat "$tmp/install.log"
	fail "apt-get install"
	finish
fi

# every path the package owns, but "/."
dpkg -L rstwatch | grep -vx '/\.' >"$tmp/files"
missing=$(while read -r path; do [ -e "$path" ] || echo "$path"; done <"$tmp/files")
if [ -s "$tmp/files" ] && [ -z "$missing" ]; then
	ok "dpkg -L: all $(wc -l <"$tmp/files") paths exist"
else
	fail "dpkg -L: missing: $missing"
fi

if out=$(/usr/sbin/rstwatch --version 2>&1) && [[ "$out" == "rstwatch $version "* ]]; then
	ok "rstwatch --version: $out"
else
	fail "rstwatch --version: '$out'"
fi
# the installed binary loads and attaches (the lock is ours already)
if /usr/sbin/rstwatch check >"$tmp/check" 2>&1 && grep -q '^result: *ok' "$tmp/check"; then
	ok "rstwatch check: $(grep '^result:' "$tmp/check" | sed 's/^result: *//')"
else
	tail -n 10 "$tmp/check"
	fail "rstwatch check"
fi

conf=/etc/rstwatch/rstwatch.conf
sum=$(md5sum "$conf" 2>/dev/null | cut -d' ' -f1)
if dpkg-query -W -f='${Conffiles}\n' rstwatch | grep -qxE " $conf ${sum:-none}" &&
	cmp -s "$conf" dist/rstwatch.conf; then
	ok "conffile: $conf"
else
	fail "conffile: $conf not registered ($(dpkg-query -W -f='${Conffiles}' rstwatch))"
fi

unit=$(grep -E '/systemd/system/rstwatch\.service$' "$tmp/files")
unit_dirs=$(systemd-analyze --system unit-paths 2>/dev/null)
if [ -n "$unit" ] && grep -qxF "$(dirname "$unit")" <<<"$unit_dirs" &&
	[ "$(readlink "$unit_link")" = "$unit" ] &&
	out=$(systemd-analyze verify "$unit" 2>&1) && [ -z "$out" ]; then
	ok "unit: $unit, where systemd looks, enabled (multi-user.target), verifies"
else
	fail "unit: '$unit' (link $(readlink "$unit_link")): $out"
fi

if man -w rstwatch 2>/dev/null | grep -qx /usr/share/man/man8/rstwatch.8.gz &&
	out=$(bash -c '. /usr/share/bash-completion/completions/rstwatch; complete -p rstwatch') &&
	grep -q '_rstwatch rstwatch$' <<<"$out"; then
	ok "man rstwatch and bash completion installed"
else
	fail "man page or bash completion: $(man -w rstwatch 2>&1) '$out'"
fi

# what the service leaves when it ran with a log: systemd's own layout (its
# /var/log/private is systemd's, not the package's: made here, removed here)
[ -d /var/log/private ] || made_private=yes
[ -n "$made_private" ] && mkdir -m 0700 /var/log/private
mkdir -p /var/log/private/rstwatch
echo '{}' >/var/log/private/rstwatch/events.jsonl
ln -s private/rstwatch /var/log/rstwatch
if dpkg --purge rstwatch >"$tmp/purge.log" 2>&1 && ! grep -iE 'error|warning' "$tmp/purge.log"; then
	ok "dpkg --purge rstwatch"
else
	cat "$tmp/purge.log"
	fail "dpkg --purge rstwatch"
fi
left=
while read -r path; do
	{ [ -e "$path" ] || [ -L "$path" ]; } && ! grep -qxF "$path" "$tmp/there-before" && left="$left $path"
done < <({
	cat "$tmp/files"
	printf '%s\n' /etc/rstwatch "$unit_link" "${runtime_dirs[@]}" \
		/var/lib/systemd/deb-systemd-helper-enabled/rstwatch.service.dsh-also
} | sort -u)
if [ -z "$left" ] && ! dpkg-query -W rstwatch >/dev/null 2>&1; then
	ok "purge left nothing behind (files, /etc/rstwatch, the enablement, the log directory)"
else
	fail "purge left:$left"
	rm -rf /var/log/private/rstwatch /var/log/rstwatch
fi

finish
