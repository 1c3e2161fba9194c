#!/usr/bin/env bash
# Build the Debian package with dpkg-buildpackage, from a copy of the tree so
# that its outputs, which it writes to the parent directory, stay in OUTDIR:
#   scripts/build-deb.sh [OUTDIR]    (default .output/deb)
# Leaves OUTDIR/rstwatch_<version>_<arch>.deb (and .changes, .buildinfo,
# the -dbgsym .deb) and prints the .deb's path.
set -euo pipefail
cd "$(dirname "$0")/.." || exit 1
outdir=${1:-.output/deb}

version=$(cat VERSION)
deb_version=$(dpkg-parsechangelog -S Version)
if [ "$version" != "$deb_version" ]; then
	echo "rstwatch deb: VERSION is $version but debian/changelog is at $deb_version:" \
		"add an entry (dch -v $version)" >&2
	exit 1
fi

build=$outdir/build
src=$build/rstwatch-$version
rm -rf "$build"
mkdir -p "$src"
# the tree as git sees it (tracked and new files, edits included), without
# .output/ or anything else .gitignore names; outside git, all but .output/
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
		[ -e "$f" ] || continue # deleted in the work tree, not yet committed
		mkdir -p "$src/$(dirname "$f")"
		cp -a "$f" "$src/$f"
	done
else
	tar -cf - --exclude=./.output --exclude="./$outdir" . | tar -C "$src" -xf -
fi

(cd "$src" && dpkg-buildpackage -b -us -uc) >"$build/build.log" 2>&1 || {
	tail -n 40 "$build/build.log" >&2
	echo "rstwatch deb: dpkg-buildpackage failed; the whole log is $build/build.log" >&2
	exit 1
}
arch=$(dpkg-architecture -q DEB_HOST_ARCH)
rm -f "$outdir"/rstwatch*_"$version"_*
mv "$build"/rstwatch*_"$version"_* "$outdir"/
deb=$outdir/rstwatch_${version}_$arch.deb
[ -f "$deb" ] || {
	echo "rstwatch deb: dpkg-buildpackage made no $deb" >&2
	exit 1
}
echo "$deb"
