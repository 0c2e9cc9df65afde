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
# test/package/pack.test.ts installs the packed kit offline into a fresh app with its peers at the
# versions installed here. `npm ci` caches tarballs but not the registry documents an install without a
# lockfile resolves from, so fetch those now, while set-up may reach the registry.
# shellcheck disable=SC2016 # a JavaScript template literal, not a shell expansion
peers=$(node -e 'for (const n of ["cdktf", "constructs", "@cdktf/provider-aws"]) console.log(`${n}@${require(`${n}/package.json`).version}`)')
# shellcheck disable=SC2086
npm cache add $peers
npm run build
