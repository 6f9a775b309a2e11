/** `pacs token …` and `pacs gateway …`: machine credentials, shown in plaintext exactly once. */
import { Option, type Command } from 'commander';
import {
  type ApiTokenInfo,
  createApiToken,
  createGateway,
  type GatewayInfo,
  getSiteByCode,
  listApiTokens,
  listGateways,
  listSites,
  RepoError,
  revokeApiToken,
  revokeGateway,
  Role,
} from '@vetpacs/db';
import type { CliContext } from '../context';
import { emit, fieldsText, table } from '../output';

const tokenJson = (t: ApiTokenInfo) => ({
  id: t.id,
  name: t.name,
  prefix: t.prefix,
  role: t.role,
  createdAt: t.createdAt,
  lastUsedAt: t.lastUsedAt,
  revokedAt: t.revokedAt,
});

const gatewayJson = (g: GatewayInfo, siteCode: string | null) => ({
  id: g.id,
  name: g.name,
  siteId: g.siteId,
  siteCode,
  keyId: g.keyId,
  version: g.version,
  createdAt: g.createdAt,
  lastSeenAt: g.lastSeenAt,
  revokedAt: g.revokedAt,
});

/** Registers the token and gateway commands. */
export function registerCredentialCommands(program: Command, ctx: CliContext): void {
  const token = program.command('token').description('API tokens for scripts and integrations');
  token
    .command('create')
    .description('create an API token (printed once)')
    .requiredOption('--practice <slug>', 'practice slug')
    .requiredOption('--name <name>', 'what the token is for')
    .addOption(new Option('--role <role>', 'permissions').choices(Object.values(Role)).makeOptionMandatory())
    .action(async (o: { practice: string; name: string; role: Role }) => {
      const practiceId = await ctx.practiceId(o.practice);
      const r = await createApiToken(ctx.db(), practiceId, { name: o.name, role: o.role }, ctx.actor);
      emit(ctx.out(), { ...tokenJson(r.apiToken), token: r.token }, () =>
        fieldsText([
          ['created token', r.apiToken.name],
          ['id', r.apiToken.id],
          ['role', r.apiToken.role],
          ['token (shown once)', r.token],
        ]),
      );
    });
  token
    .command('list')
    .description("list a practice's API tokens")
    .requiredOption('--practice <slug>', 'practice slug')
    .action(async (o: { practice: string }) => {
      const rows = await listApiTokens(ctx.db(), await ctx.practiceId(o.practice));
      emit(ctx.out(), rows.map(tokenJson), () =>
        table(rows, [
          ['NAME', (t) => t.name],
          ['PREFIX', (t) => `vp_${t.prefix}_…`],
          ['ROLE', (t) => t.role],
          ['LAST USED', (t) => t.lastUsedAt],
          ['REVOKED', (t) => t.revokedAt],
          ['ID', (t) => t.id],
        ]),
      );
    });
  token
    .command('revoke')
    .description('revoke an API token')
    .requiredOption('--practice <slug>', 'practice slug')
    .requiredOption('--id <id>', 'token id (see token list)')
    .action(async (o: { practice: string; id: string }) => {
      const ok = await revokeApiToken(ctx.db(), await ctx.practiceId(o.practice), o.id, ctx.actor);
      if (!ok) throw new RepoError('NOT_FOUND', `no active token ${o.id} in ${o.practice}`);
      emit(ctx.out(), { id: o.id, revoked: true }, () => `revoked token ${o.id}`);
    });

  const gateway = program.command('gateway').description('edge gateways installed at sites');
  gateway
    .command('create')
    .description('register a gateway (key id and secret printed once)')
    .requiredOption('--practice <slug>', 'practice slug')
    .requiredOption('--site <code>', 'site code')
    .requiredOption('--name <name>', 'display name')
    .action(async (o: { practice: string; site: string; name: string }) => {
      const practiceId = await ctx.practiceId(o.practice);
      const site = await getSiteByCode(ctx.db(), practiceId, o.site);
      if (!site) throw new RepoError('NOT_FOUND', `no site with code "${o.site}" in ${o.practice}`);
      const r = await createGateway(ctx.db(), practiceId, { siteId: site.id, name: o.name }, ctx.actor);
      emit(ctx.out(), { ...gatewayJson(r.gateway, site.code), secret: r.secret }, () =>
        fieldsText([
          ['created gateway', r.gateway.name],
          ['id', r.gateway.id],
          ['site', site.code],
          ['key id', r.keyId],
          ['secret (shown once)', r.secret],
        ]),
      );
    });
  gateway
    .command('list')
    .description("list a practice's gateways")
    .requiredOption('--practice <slug>', 'practice slug')
    .action(async (o: { practice: string }) => {
      const practiceId = await ctx.practiceId(o.practice);
      const [rows, sites] = await Promise.all([listGateways(ctx.db(), practiceId), listSites(ctx.db(), practiceId)]);
      const codes = new Map(sites.map((s) => [s.id, s.code]));
      emit(ctx.out(), rows.map((g) => gatewayJson(g, codes.get(g.siteId) ?? null)), () =>
        table(rows, [
          ['NAME', (g) => g.name],
          ['SITE', (g) => codes.get(g.siteId)],
          ['KEY ID', (g) => g.keyId],
          ['VERSION', (g) => g.version],
          ['LAST SEEN', (g) => g.lastSeenAt],
          ['REVOKED', (g) => g.revokedAt],
          ['ID', (g) => g.id],
        ]),
      );
    });
  gateway
    .command('revoke')
    .description('revoke a gateway (it can no longer upload)')
    .requiredOption('--practice <slug>', 'practice slug')
    .requiredOption('--id <id>', 'gateway id (see gateway list)')
    .action(async (o: { practice: string; id: string }) => {
      const ok = await revokeGateway(ctx.db(), await ctx.practiceId(o.practice), o.id, ctx.actor);
      if (!ok) throw new RepoError('NOT_FOUND', `no active gateway ${o.id} in ${o.practice}`);
      emit(ctx.out(), { id: o.id, revoked: true }, () => `revoked gateway ${o.id}`);
    });
}
