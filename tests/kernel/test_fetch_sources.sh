#!/usr/bin/env bash
# fetch_kernel.sh takes its Debian mirrors from apt's own sources: fake sources
# (through APT_CONFIG, as apt itself would read them) pointing at made-up
# mirrors, and --dry-run's URLs must name those.  No network, no root.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
passed=0 failed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# fake_apt NAME: an apt configuration whose sources are $tmp/NAME/{sources.list,parts/}
fake_apt() {
	mkdir -p "$tmp/$1/parts"
	printf 'Dir::Etc::sourcelist "%s";\nDir::Etc::sourceparts "%s";\n' \
		"$tmp/$1/sources.list" "$tmp/$1/parts/" >"$tmp/$1/apt.conf"
}

# dry NAME: fetch_kernel's --dry-run 5.10 under that configuration (stdout+stderr)
dry() {
	APT_CONFIG=$tmp/$1/apt.conf tests/kernel/fetch_kernel.sh --dry-run 5.10 "$tmp/cache" 2>&1
}

expect_out() { # NAME WANT: the dry run succeeds and prints WANT exactly
	local out
	if out=$(dry "$1") && [[ $out == "$2" ]]; then
		ok "$1: $(tr '\n' ' ' <<<"$out")"
	else
		fail "$1: got '$out', want '$2'"
	fi
}

# deb822: a third party's source first, a disabled Debian stanza, a deb-src
# stanza, then the mirror in use (two URIs: the first counts)
fake_apt deb822
cat >"$tmp/deb822/parts/a-vendor.sources" <<'EOF'
Types: deb
URIs: https://vendor.invalid/apt
Suites: cloud-sdk-bookworm
Components: main
EOF
cat >"$tmp/deb822/parts/debian.sources" <<'EOF'
Types: deb
URIs: http://disabled.invalid/debian
Suites: bookworm
Components: main
Enabled: no

Types: deb-src
URIs: http://src.invalid/debian
Suites: bookworm
Components: main

# the mirror behind this site's proxy
Types: deb
URIs: http://mirror.example.test/debian/ http://second.invalid/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: https://sec.example.test/debian-security
Suites: bookworm-security
Components: main
EOF
expect_out deb822 "bullseye http://mirror.example.test/debian/dists/bullseye/InRelease
bullseye-security https://sec.example.test/debian-security/dists/bullseye-security/InRelease"

# one-line sources.list with options and the old "codename/updates" security suite
fake_apt oneline
cat >"$tmp/oneline/sources.list" <<'EOF'
# deb http://commented.invalid/debian bookworm main
deb-src http://src.invalid/debian bookworm main
deb [arch=amd64 signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://oneline.example.test/debian bookworm main
deb http://oneline-sec.example.test/debian-security buster/updates main
EOF
expect_out oneline "bullseye http://oneline.example.test/debian/dists/bullseye/InRelease
bullseye-security http://oneline-sec.example.test/debian-security/dists/bullseye-security/InRelease"

# no Debian archive at all: one line, exit 1
fake_apt none
echo 'deb https://vendor.invalid/apt cloud-sdk-bookworm main' >"$tmp/none/sources.list"
if out=$(dry none); then
	fail "no Debian source: succeeded with '$out'"
elif [[ $(wc -l <<<"$out") -eq 1 && $out == *"name no Debian archive"* ]]; then
	ok "no Debian source: $out"
else
	fail "no Debian source: '$out'"
fi

# and the script itself names no host
if hosts=$(grep -nE '[a-z]+://' tests/kernel/fetch_kernel.sh); then
	fail "fetch_kernel.sh names a host: $hosts"
else
	ok "fetch_kernel.sh names no mirror host"
fi

echo "fetch-sources: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
