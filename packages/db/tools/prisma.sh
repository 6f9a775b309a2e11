#!/usr/bin/env bash
# Runs the Prisma 7 CLI offline: usage `bash packages/db/tools/prisma.sh generate` (or validate, format).
# Prisma 7 tries to download its native schema engine before any command; giving it a stub binary
# skips the download (see packages/db/README.md).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
export PRISMA_SCHEMA_ENGINE_BINARY="$HERE/schema-engine-stub.sh"
export PRISMA_HIDE_UPDATE_MESSAGE=1 CHECKPOINT_DISABLE=1
cd "$ROOT"
exec "$HERE/../node_modules/.bin/prisma" "$@" --schema prisma/schema.prisma
