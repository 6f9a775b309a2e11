/**
 * @vetpacs/db: the Prisma 7 client (offline-generated; see README.md), tenant-scoped repositories
 * for admin entities, credential helpers, and the generated model types and enums.
 * The migration runner is a separate entry point: `@vetpacs/db/migrate`.
 */
export { type CreateDbOptions, createDb, createPipelinePool, type Db, type DbClient, type PoolClient } from './client';
export * from './generated/prisma/client';
export * from './repos/index';
export { normaliseForSearch, patientSearchText } from './search-text';
export {
  generateApiToken,
  generateGatewayCredentials,
  generatePassword,
  hashPassword,
  hexDigestsEqual,
  parseApiToken,
  sha256Hex,
  verifyPassword,
} from './secrets';
