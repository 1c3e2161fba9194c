#!/usr/bin/env bash
# Fetch Debian's 6.1 cloud kernel for the guest tests, once, into a cache in
# the build tree (never committed), and print the cache directory:
#
#   tests/kernel/fetch_kernel.sh [CACHE_ROOT]     (default .output/kernel-cache)
#
# The newest linux-image-6.1.0-*-cloud-amd64-unsigned that apt knows is
# downloaded with apt-get download; its vmlinuz, config and the modules the
# guest needs (with their dependencies, from each module's .modinfo: the
# package has no modules.dep) are kept as
# CACHE/<package>_<version>/{vmlinuz,config,modules/*.ko,modules/order}.
# A later run reuses that directory; if apt cannot be asked (offline), the
# newest complete cache is used.  The .deb stays in the cache: when the list
# of modules below changes, they are extracted again from it, not downloaded.
# Errors: one line on stderr, exit 1.
set -euo pipefail
cd "$(dirname "$0")/../.."

CACHE_ROOT=${1:-.output/kernel-cache}
# what the guest loads: the virtio disk (the output channel), veth, the
# clsact qdisc and cls_bpf (rstwatch's TC egress program where there is no
# tcx), and nftables' inet reject (the firewall_reject scenario)
GUEST_MODULES=(virtio_pci virtio_blk veth sch_ingress cls_bpf nft_reject_inet)

die() {
	echo "fetch_kernel: $*" >&2
	exit 1
}

newest_pkg() {
	apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-cloud-amd64-unsigned$' 2>/dev/null |
		awk '{ print $1 }' | sort -V | tail -n 1
}

newest_cache() {
	local d best=
	# complete, or its .deb kept for a new list of modules
	for d in "$CACHE_ROOT"/*/; do
		[[ -e $d/complete ]] && best=${d%/}
		compgen -G "$d*.deb" >/dev/null && best=${d%/}
	done
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

mkdir -p "$CACHE_ROOT"
pkg=$(newest_pkg)
if [[ -z $pkg && $(id -u) -eq 0 ]]; then
	apt-get update -qq >/dev/null 2>&1 || true
	pkg=$(newest_pkg)
fi
if [[ -z $pkg ]]; then
	if cached=$(newest_cache); then
		echo "fetch_kernel: apt lists no 6.1 cloud kernel; using the cached $cached" >&2
		dir=$cached
		pkg=$(basename "$dir")
		pkg=${pkg%%_*}
	else
		die "apt knows no linux-image-6.1.0-*-cloud-amd64-unsigned (apt-get update? Debian 12 sources?)"
	fi
fi
if [[ -z ${dir:-} ]]; then
	version=$(apt-cache policy "$pkg" | awk '$1 == "Candidate:" { print $2 }')
	[[ -n $version && $version != "(none)" ]] || die "no candidate version of $pkg"
	dir=$CACHE_ROOT/${pkg}_$version
fi
if up_to_date "$dir"; then
	printf '%s\n' "$dir"
	exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rm -f "$dir/complete"
rm -rf "$dir/modules"
mkdir -p "$dir/modules"
debs=("$dir"/*.deb)
deb=${debs[0]}
if [[ ! -e $deb ]]; then
	[[ -n ${version:-} ]] || die "no .deb in $dir and no version to download"
	if ! (cd "$dir" && apt-get download -qq -o APT::Sandbox::User=root "$pkg=$version") \
		>"$tmp/apt.log" 2>&1; then
		die "apt-get download $pkg=$version: $(tail -n 1 "$tmp/apt.log")"
	fi
	deb=$(ls "$dir"/*.deb)
fi
dpkg-deb -x "$deb" "$tmp/x" || die "dpkg-deb -x $deb failed"
kver=$(ls "$tmp/x/lib/modules")
cp "$tmp/x/boot/vmlinuz-$kver" "$dir/vmlinuz"
cp "$tmp/x/boot/config-$kver" "$dir/config"
echo "$kver" >"$dir/kernel-release"

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
			die "module $m not in $pkg"
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
