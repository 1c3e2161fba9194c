#!/usr/bin/env bash
# Fetch a Debian cloud kernel for the guest tests, once, into a cache in the
# build tree (never committed), and print the cache directory:
#
#   tests/kernel/fetch_kernel.sh [--dry-run] 6.1|5.10 [CACHE_ROOT]   (default .output/kernel-cache)
#
# --dry-run prints where it would download from and exits: for 5.10 one line
# "SUITE URL-of-its-InRelease" per suite, for 6.1 the apt-get download line.
#
# 6.1: Debian 12's newest linux-image-6.1.0-*-cloud-amd64-unsigned that apt
# knows, downloaded with apt-get download.
# 5.10: Debian 11's newest linux-image-5.10.0-*-cloud-amd64-unsigned, from
# bullseye's own package indexes (main and bullseye-security), which this
# script fetches itself from the mirrors apt's own sources name (the files
# apt-config gives as Dir::Etc::sourcelist and Dir::Etc::sourceparts, one-line
# .list and deb822 .sources: the first Debian archive and security archive
# there, so the step works behind whatever mirror the machine uses); the
# machine's apt sources are not touched.  Each
# InRelease is checked with gpgv against the Debian archive keyring, each
# Packages.xz against its InRelease's SHA256, the .deb against the index's
# SHA256.  A package the index lists but the mirror does not serve (HTTP 404:
# a security pool the network does not reach) is passed over, with a note on
# stderr, for the next newest; the indexes are kept in CACHE_ROOT/index and
# fetched again only when their InRelease names a new SHA256.
#
# The kernel's vmlinuz, config and the modules the guest needs (with their
# dependencies, from each module's .modinfo: the package has no modules.dep)
# are kept as CACHE/<package>_<version>/{vmlinuz,config,modules/*.ko,modules/order}.
# A later run reuses that directory; if the package lists cannot be had
# (offline), the newest complete cache of that series is used.  The .deb stays
# in the cache: when the list of modules below changes, they are extracted
# again from it, not downloaded.  Notes (a fallback taken) go to stderr as
# lines starting "fetch_kernel: note:".  Errors: one line on stderr, exit 1.
set -euo pipefail
cd "$(dirname "$0")/../.."

DRY_RUN=false
if [[ ${1:-} == --dry-run ]]; then
	DRY_RUN=true
	shift
fi
SERIES=${1:-}
CACHE_ROOT=${2:-.output/kernel-cache}
# what the guest loads: the virtio disk (the output channel), veth, the
# clsact qdisc and cls_bpf (rstwatch's TC egress program where there is no
# tcx), and nftables' inet reject (the firewall_reject scenario)
GUEST_MODULES=(virtio_pci virtio_blk veth sch_ingress cls_bpf nft_reject_inet)
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
# Debian's suite names (codename or alias, with its -updates/-backports
# pockets): how a source is told to be Debian's own archive, not a third party's
DEBIAN_SUITE_RE='^(buster|bullseye|bookworm|trixie|forky|duke|sid|oldoldstable|oldstable|stable|testing|unstable)'

die() {
	echo "fetch_kernel: $*" >&2
	exit 1
}

note() {
	echo "fetch_kernel: note: $*" >&2
}

case $SERIES in
6.1 | 5.10) ;;
*) die "usage: fetch_kernel.sh [--dry-run] 6.1|5.10 [CACHE_ROOT]" ;;
esac
PKG_RE="^linux-image-${SERIES//./\\.}\\.0-[0-9]+-cloud-amd64-unsigned\$"

# apt_source_files: the sources files apt itself reads (apt-config knows
# Dir::Etc and APT_CONFIG), one a line
apt_source_files() {
	local SL='' SP=''
	eval "$(apt-config shell SL Dir::Etc::sourcelist/f SP Dir::Etc::sourceparts/d)"
	if [[ -n $SL && -f $SL ]]; then
		printf '%s\n' "$SL"
	fi
	if [[ -n $SP ]]; then
		# no match is no file, not an error
		compgen -G "$SP*.list" | sort || true
		compgen -G "$SP*.sources" | sort || true
	fi
}

# apt_sources: "URI SUITE" of every enabled binary (deb) source apt reads,
# from one-line .list files and deb822 .sources stanzas
apt_sources() {
	local f
	while read -r f; do
		if [[ $f == *.sources ]]; then
			awk '
				function flush(  i, n, u, s) {
					if (types ~ /(^| )deb( |$)/ && enabled !~ /^(no|false)$/) {
						n = split(uris, u, " "); split("", s)
						m = split(suites, s, " ")
						for (i = 1; i <= n; i++) for (j = 1; j <= m; j++) print u[i], s[j]
					}
					types = uris = suites = ""; enabled = "yes"
				}
				BEGIN { enabled = "yes" }
				/^[ \t]*#/ { next }
				/^[ \t]*$/ { flush(); next }
				{ key = tolower($1); sub(/:$/, "", key); $1 = ""; sub(/^ +/, "") }
				key == "types" { types = $0 } key == "uris" { uris = $0 }
				key == "suites" { suites = $0 } key == "enabled" { enabled = tolower($0) }
				END { flush() }' "$f"
		else
			sed -E 's/#.*//; s/\[[^]]*\]//' "$f" | awk '$1 == "deb" && NF >= 3 { print $2, $3 }'
		fi
	done < <(apt_source_files)
}

# debian_roots: sets archive_root and security_root, the first Debian archive
# and Debian security archive among apt's sources
debian_roots() {
	local uri suite
	archive_root='' security_root=''
	while read -r uri suite; do
		[[ $suite =~ $DEBIAN_SUITE_RE ]] || continue
		uri=${uri%/}
		if [[ $suite == */updates || $suite == *-security ]]; then
			[[ -n $security_root ]] || security_root=$uri
		else
			[[ -n $archive_root ]] || archive_root=$uri
		fi
	done < <(apt_sources)
	[[ -n $archive_root ]] || die "apt's sources ($(apt_source_files | tr '\n' ' ')) name no Debian archive"
	[[ -n $security_root ]] ||
		die "apt's sources ($(apt_source_files | tr '\n' ' ')) name no Debian security archive"
}

# newest_cache: the newest cache directory of this series that is complete,
# or has its .deb kept for a new list of modules
newest_cache() {
	local d best=
	while read -r d; do
		[[ -e $d/complete ]] && best=$d
		compgen -G "$d/*.deb" >/dev/null && best=$d
	done < <(compgen -G "$CACHE_ROOT/linux-image-$SERIES.0-*" | sort -V)
	[[ -n $best ]] && printf '%s\n' "$best"
}

# up_to_date DIR: complete, with the modules of this GUEST_MODULES
up_to_date() {
	[[ -e $1/complete && "$(cat "$1/modules/wanted" 2>/dev/null)" == "${GUEST_MODULES[*]}" ]]
}

# mod_deps KO: the modules KO depends on, from its .modinfo section
mod_deps() {
	objcopy -O binary --only-section=.modinfo "$1" /dev/stdout 2>/dev/null |
		tr '\0' '\n' | sed -n 's/^depends=//p' | tr ',' ' '
}

apt_newest_pkg() {
	apt-cache search --names-only "$PKG_RE" 2>/dev/null | awk '{ print $1 }' | sort -V | tail -n 1
}

# resolve_apt: sets dir (and version, when apt can download it) for 6.1
resolve_apt() {
	local pkg cached
	pkg=$(apt_newest_pkg)
	if [[ -z $pkg && $(id -u) -eq 0 ]]; then
		apt-get update -qq >/dev/null 2>&1 || true
		pkg=$(apt_newest_pkg)
	fi
	if [[ -z $pkg ]]; then
		cached=$(newest_cache) ||
			die "apt knows no linux-image-6.1.0-*-cloud-amd64-unsigned (apt-get update? Debian 12 sources?)"
		note "apt lists no 6.1 cloud kernel; using the cached $cached"
		dir=$cached
		return
	fi
	version=$(apt-cache policy "$pkg" | awk '$1 == "Candidate:" { print $2 }')
	[[ -n $version && $version != "(none)" ]] || die "no candidate version of $pkg"
	dir=$CACHE_ROOT/${pkg}_$version
	apt_pkg=$pkg
}

# suite_index NAME ROOT OUT: bullseye's main/binary-amd64 Packages of suite
# NAME, verified (InRelease by gpgv, Packages.xz by SHA256), uncompressed to
# OUT; fails (with a message on stderr) when the network or a check fails
suite_index() {
	local name=$1 root=$2 out=$3 idx=$CACHE_ROOT/index want got
	mkdir -p "$idx"
	if ! curl -fsS --max-time 60 -o "$tmp/$name.InRelease" "$root/dists/$name/InRelease" \
		2>"$tmp/curl.log"; then
		echo "$name InRelease: $(tail -n 1 "$tmp/curl.log")" >&2
		return 1
	fi
	if ! gpgv --keyring "$KEYRING" "$tmp/$name.InRelease" >"$tmp/gpgv.log" 2>&1; then
		die "$root/dists/$name/InRelease: bad signature: $(grep -m 1 -i 'bad\|no public\|error' "$tmp/gpgv.log")"
	fi
	want=$(awk '$1 == "SHA256:" { s = 1; next } /^[^ ]/ { s = 0 }
		s && $3 == "main/binary-amd64/Packages.xz" { print $1 }' "$tmp/$name.InRelease")
	[[ -n $want ]] || die "$name InRelease lists no main/binary-amd64/Packages.xz"
	got=$(sha256sum "$idx/$name.Packages.xz" 2>/dev/null | awk '{ print $1 }')
	if [[ $got != "$want" ]]; then
		if ! curl -fsS --max-time 120 -o "$tmp/$name.Packages.xz" \
			"$root/dists/$name/main/binary-amd64/Packages.xz" 2>"$tmp/curl.log"; then
			echo "$name Packages.xz: $(tail -n 1 "$tmp/curl.log")" >&2
			return 1
		fi
		got=$(sha256sum "$tmp/$name.Packages.xz" | awk '{ print $1 }')
		[[ $got == "$want" ]] ||
			die "$name Packages.xz: SHA256 $got, its InRelease says $want"
		mv "$tmp/$name.Packages.xz" "$idx/$name.Packages.xz"
	fi
	xz -dc "$idx/$name.Packages.xz" >"$out"
}

# bullseye_candidates: "version package url sha256" of every 5.10 cloud
# kernel image in bullseye and bullseye-security, newest first
bullseye_candidates() {
	local s name root
	for s in "${BULLSEYE_SUITES[@]}"; do
		read -r name root <<<"$s"
		suite_index "$name" "$root" "$tmp/$name.Packages" || return 1
		awk -v re="$PKG_RE" -v root="$root" '
			/^Package: / { p = $2 } /^Version: / { v = $2 }
			/^Filename: / { f = $2 } /^SHA256: / { h = $2 }
			/^$/ { if (p ~ re) print v, p, root "/" f, h; p = "" }
			END { if (p ~ re) print v, p, root "/" f, h }' "$tmp/$name.Packages"
	done | sort -k1,1Vr
}

# resolve_bullseye: sets dir (and deb_url, deb_sha256 when it must be
# downloaded) for 5.10, passing over packages the mirror does not serve
resolve_bullseye() {
	local v p url sha d cached code newest=
	[[ -r $KEYRING ]] || die "$KEYRING missing (Debian: debian-archive-keyring)"
	if ! bullseye_candidates >"$tmp/cands" 2>"$tmp/cands.err" || [[ ! -s $tmp/cands ]]; then
		cached=$(newest_cache) ||
			die "no bullseye package index ($(tail -n 1 "$tmp/cands.err")) and nothing cached"
		note "no bullseye package index ($(tail -n 1 "$tmp/cands.err")); using the cached $cached"
		dir=$cached
		return
	fi
	while read -r v p url sha; do
		d=$CACHE_ROOT/${p}_$v
		[[ -n $newest ]] || newest="${p}_$v"
		if up_to_date "$d" || compgen -G "$d/*.deb" >/dev/null; then
			dir=$d
			break
		fi
		code=$(curl -sS --max-time 30 -r 0-0 -o /dev/null -w '%{http_code}' "$url" 2>/dev/null) ||
			true
		if [[ $code == 200 || $code == 206 ]]; then
			dir=$d deb_url=$url deb_sha256=$sha
			break
		fi
		note "$p $v is in the index but $url answers HTTP $code: passed over"
	done <"$tmp/cands"
	[[ -n ${dir:-} ]] || die "no 5.10 cloud kernel of the index can be downloaded"
	[[ $(basename "$dir") == "$newest" ]] ||
		note "using $(basename "$dir"), not the newest in the index ($newest)"
}

if [[ $SERIES == 5.10 ]]; then
	debian_roots
	# bullseye's suites: name, archive root
	BULLSEYE_SUITES=("bullseye $archive_root" "bullseye-security $security_root")
fi
if $DRY_RUN; then
	if [[ $SERIES == 6.1 ]]; then
		echo "apt-get download $(apt_newest_pkg || true) (apt's own sources)"
	else
		for s in "${BULLSEYE_SUITES[@]}"; do
			read -r name root <<<"$s"
			echo "$name $root/dists/$name/InRelease"
		done
	fi
	exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$CACHE_ROOT"
dir='' version='' apt_pkg='' deb_url='' deb_sha256=''
if [[ $SERIES == 6.1 ]]; then
	resolve_apt
else
	resolve_bullseye
fi
if up_to_date "$dir"; then
	printf '%s\n' "$dir"
	exit 0
fi

rm -f "$dir/complete"
rm -rf "$dir/modules"
mkdir -p "$dir/modules"
debs=("$dir"/*.deb)
deb=${debs[0]}
if [[ ! -e $deb ]]; then
	if [[ -n $deb_url ]]; then
		deb=$dir/$(basename "$deb_url")
		curl -fsS --max-time 600 -o "$tmp/k.deb" "$deb_url" 2>"$tmp/curl.log" ||
			die "$deb_url: $(tail -n 1 "$tmp/curl.log")"
		got=$(sha256sum "$tmp/k.deb" | awk '{ print $1 }')
		[[ $got == "$deb_sha256" ]] ||
			die "$deb_url: SHA256 $got, the signed index says $deb_sha256"
		mv "$tmp/k.deb" "$deb"
		printf '%s\n%s\n' "$deb_url" "$deb_sha256" >"$dir/source"
	elif [[ -n $version ]]; then
		if ! (cd "$dir" && apt-get download -qq -o APT::Sandbox::User=root "$apt_pkg=$version") \
			>"$tmp/apt.log" 2>&1; then
			die "apt-get download $apt_pkg=$version: $(tail -n 1 "$tmp/apt.log")"
		fi
		deb=$(ls "$dir"/*.deb)
	else
		die "no .deb in $dir and nowhere to download it from"
	fi
fi
dpkg-deb -x "$deb" "$tmp/x" || die "dpkg-deb -x $deb failed"
kver=$(ls "$tmp/x/lib/modules")
cp "$tmp/x/boot/vmlinuz-$kver" "$dir/vmlinuz"
cp "$tmp/x/boot/config-$kver" "$dir/config"
echo "$kver" >"$dir/kernel-release"
# rstwatch needs the kernel's BTF (/sys/kernel/btf/vmlinux)
grep -qx 'CONFIG_DEBUG_INFO_BTF=y' "$dir/config" || die "$kver has no CONFIG_DEBUG_INFO_BTF=y"

# Depth-first: each module after the modules it depends on.
declare -A seen=()
order=()
add_module() {
	local m=$1 ko d
	[[ -n ${seen[$m]:-} ]] && return 0
	seen[$m]=1
	# module names say _, some file names - (modprobe treats them alike)
	ko=$(find "$tmp/x/lib/modules/$kver" \( -name "$m.ko" -o -name "${m//_/-}.ko" \) -print -quit)
	if [[ -z $ko ]]; then
		# built into this kernel: nothing to load
		grep -qE "/$m\.ko$" "$tmp/x/lib/modules/$kver/modules.builtin" ||
			die "module $m not in $(basename "$deb")"
		return 0
	fi
	for d in $(mod_deps "$ko"); do
		add_module "$d"
	done
	cp "$ko" "$dir/modules/$m.ko"
	order+=("$m")
}
for m in "${GUEST_MODULES[@]}"; do
	add_module "$m"
done
printf '%s\n' "${order[@]}" >"$dir/modules/order"
echo "${GUEST_MODULES[*]}" >"$dir/modules/wanted"
touch "$dir/complete"
printf '%s\n' "$dir"
