#!/usr/bin/env bash
# Install the Debian packages rstwatch needs, only those missing.
#   scripts/deps.sh build   what building and running needs
#   scripts/deps.sh test    that, plus what the test suite uses
#   scripts/deps.sh bench   build, plus what make bench measures against and with
#   scripts/deps.sh deb     build, plus what make deb packages and checks with
set -euo pipefail

build_pkgs=(make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev pkg-config libmicrohttpd-dev libpcap-dev
	libncurses-dev
	linux-libc-dev)
test_pkgs=(iproute2 jq tcpdump shellcheck clang-format libclang-rt-dev procps nftables curl prometheus
	python3 python3-scapy python3-yaml util-linux iptables systemd man-db
	qemu-system-x86 busybox-static cpio)
# make deb: Debian's packaging tools, and lintian to check the result
deb_pkgs=(debhelper dpkg-dev lintian)
# the peers make bench compares with, and the ordinary-traffic generators
bench_pkgs=(iproute2 jq curl python3 procps bpftrace tcpdump linux-perf iperf3 sockperf)

want=("${build_pkgs[@]}")
case "${1:-build}" in
build) ;;
test) want+=("${test_pkgs[@]}" "${deb_pkgs[@]}") ;;
deb) want+=("${deb_pkgs[@]}") ;;
bench) want+=("${bench_pkgs[@]}") ;;
*)
	echo "usage: scripts/deps.sh [build|test|bench|deb]" >&2
	exit 2
	;;
esac

missing=()
for p in "${want[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=()
if [ "$(id -u)" -ne 0 ]; then
	if ! command -v sudo >/dev/null; then
		echo "rstwatch: need root (or sudo) to install: ${missing[*]}" >&2
		exit 1
	fi
	sudo=(sudo)
fi
echo "rstwatch: installing Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
