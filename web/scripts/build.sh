#!/usr/bin/env bash
# Builds the console into DIST and writes the embedded-assets C++ source OUT_CPP.
#   web/scripts/build.sh DIST OUT_CPP      (run from web/; CMake's build step calls it)
# node_modules is shared by every build directory: `npm ci` runs only when package-lock.json
# differs from what was installed, under a lock, so `make test` works offline once installed.
set -euo pipefail
dist=$1
out_cpp=$2
npm=${CITYTWIN_NPM:-npm}
node=${CITYTWIN_NODE:-node}
cd "$(dirname "$0")/.."
(
  flock 9
  if ! cmp -s package-lock.json node_modules/.citytwin-installed-lock 2>/dev/null; then
    "$npm" ci --no-audit --no-fund --loglevel=error
    cp package-lock.json node_modules/.citytwin-installed-lock
  fi
) 9>"${TMPDIR:-/tmp}/citytwin-web-npm.lock"
"$node" node_modules/typescript/bin/tsc --noEmit -p tsconfig.json
"$node" node_modules/vite/bin/vite.js build --outDir "$dist" --emptyOutDir --logLevel warn
"$node" scripts/embed-assets.mjs "$dist" "$out_cpp"
