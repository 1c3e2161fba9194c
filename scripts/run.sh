#!/usr/bin/env bash
# One command from a fresh Debian 12: install what is missing, build, and run rstwatch.
#   scripts/run.sh [rstwatch options]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh build
make -s all
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then
	exec sudo .output/rstwatch "$@"
fi
exec .output/rstwatch "$@"
