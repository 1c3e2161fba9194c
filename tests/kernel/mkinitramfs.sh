#!/usr/bin/env bash
# Build the guest's initramfs (an uncompressed newc cpio: the guest unpacks
# it faster than it could gunzip it under emulation):
#
#   tests/kernel/mkinitramfs.sh OUT.cpio KERNEL_CACHE_DIR STATIC_DIR
#
# Contents: busybox-static with a link per applet, the static rstwatch,
# rstgen, runcaps and attachprobe from STATIC_DIR, iproute2's ip and tc and
# nftables' nft as /usr/lib/rstw/{ip,tc,nft} (netns and veth, rstwatch's clsact
# filters, a REJECT rule; dynamic, so copied with the shared libraries ldd
# names), the kernel modules
# listed in KERNEL_CACHE_DIR/modules/order, and tests/kernel/guest_init.sh as
# /init.  Errors: one line on stderr, exit 1.
set -euo pipefail
cd "$(dirname "$0")/../.."

die() {
	echo "mkinitramfs: $*" >&2
	exit 1
}

[[ $# -eq 3 ]] || die "usage: mkinitramfs.sh OUT.cpio KERNEL_CACHE_DIR STATIC_DIR"
out=$1 kdir=$2 sdir=$3
busybox=$(command -v busybox) || die "busybox not installed (Debian: busybox-static)"
# ldd fails on a static binary
if ldd "$busybox" >/dev/null 2>&1; then
	die "$busybox is not static (Debian: busybox-static)"
fi
ip=$(command -v ip) || die "ip not installed (Debian: iproute2)"
tc=$(command -v tc) || die "tc not installed (Debian: iproute2)"
nft=$(command -v nft) || die "nft not installed (Debian: nftables)"
command -v cpio >/dev/null || die "cpio not installed"
for t in rstwatch rstgen runcaps attachprobe; do
	[[ -x $sdir/$t ]] || die "$sdir/$t missing (make static)"
done
[[ -e $kdir/modules/order ]] || die "$kdir/modules/order missing (tests/kernel/fetch_kernel.sh)"

root=$(mktemp -d)
chmod 0755 "$root" # the guest runs rstwatch as nobody too
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,lib/modules,etc,proc,sys,dev,tmp,run,root}

cp "$busybox" "$root/bin/busybox"
while read -r applet; do
	[[ -e $root/$applet ]] || ln -s /bin/busybox "$root/$applet"
done < <("$busybox" --list-full | grep -v '^bin/busybox$')

# the real ip and tc, under their own paths: busybox's have no netns, and
# busybox sh prefers its applets to anything in PATH of the same name
mkdir -p "$root/usr/lib/rstw"
for b in "$ip" "$tc" "$nft"; do
	cp -L "$b" "$root/usr/lib/rstw/$(basename "$b")"
	while read -r lib; do
		[[ -e $root$lib ]] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done < <(ldd "$b" | grep -oE '/[^ ]+' | sort -u)
done

for t in rstwatch rstgen runcaps attachprobe; do
	cp "$sdir/$t" "$root/bin/$t"
done
cp "$kdir"/modules/*.ko "$kdir/modules/order" "$root/lib/modules/"
cp tests/kernel/guest_init.sh "$root/init"
chmod 0755 "$root/init"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
	>"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"

mkdir -p "$(dirname "$out")"
(cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet) >"$out.tmp"
mv "$out.tmp" "$out"
