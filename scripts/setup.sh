#!/usr/bin/env bash
# Set-up for a clean clone (the README's first command, and the first step of .ci/run): the Debian
# packages the tests need, the npm dependencies, then the build (zips + the emitted module).
set -euo pipefail
cd "$(dirname "$0")/.."

# The boot-script tests run shellcheck (a Debian package); install it only when missing.
if ! command -v shellcheck >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq shellcheck
fi
npm ci --no-audit --no-fund
npm run build
