#!/usr/bin/env bash
# One command from a fresh Debian 12: install what is missing, build, run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh test
make -s all
make -s test
