#!/usr/bin/env bash
# Stands in for Prisma's native schema engine, which cannot be downloaded on our machines.
# Pointing PRISMA_SCHEMA_ENGINE_BINARY here lets `prisma generate|validate|format` run offline;
# anything that really needs the engine (prisma migrate …) fails loudly instead of hanging on a
# download. Migrations are applied by packages/db/src/migrate.ts — see packages/db/README.md.
echo "prisma schema engine is not available offline: use 'pnpm db:migrate' / 'pnpm db:new-migration' (see packages/db/README.md)" >&2
exit 1
