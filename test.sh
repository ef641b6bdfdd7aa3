#!/usr/bin/env bash
# The whole test suite on a fresh machine: installs what the tests need, then runs them.
#   Debian's chromium (for the real-browser test), the Python test requirements, then pytest.
# CI (.ci/run) calls exactly this script.
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -x /usr/bin/chromium ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq chromium >/dev/null
fi
python3 -m pip install -q -r requirements-dev.txt   # never `playwright install`: it downloads a browser

python3 -m pytest "$@"
