#!/usr/bin/env bash
# Prints a directory holding a `node` of the Node.js line the project runs on (24 LTS), for PATH.
# The machine's own node is used when it is that line or newer; otherwise the `node` package of
# that line is installed from the npm registry (as any other dependency) into a cache outside the
# repository, once. Usage: PATH="$(bash scripts/ensure-node.sh):$PATH"
set -euo pipefail
want_major=24
major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

if command -v node >/dev/null 2>&1 && [ "$(major node)" -ge "$want_major" ]; then
  dirname "$(command -v node)"
  exit 0
fi

cache_root="${LOGTO_OPERATOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/logto-operator}"
prefix="$cache_root/node-$want_major"
bin="$prefix/node_modules/.bin"
if [ ! -x "$bin/node" ] || [ "$(major "$bin/node")" -ne "$want_major" ]; then
  mkdir -p "$prefix"
  # The package's install script fetches the platform's binary package from the same registry.
  npm install --prefix "$prefix" --no-audit --no-fund --no-save "node@$want_major" >&2
fi
[ "$(major "$bin/node")" -eq "$want_major" ] || { echo "could not install Node.js $want_major" >&2; exit 1; }
echo "$bin"
