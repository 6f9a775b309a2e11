/** `pacs practice …` and `pacs site …`. */
import { Option, type Command } from 'commander';
import { createPractice, createSite, listPractices, listSites, PatientNameStyle, type Practice, type Site } from '@vetpacs/db';
import type { CliContext } from '../context';
import { emit, fieldsText, table } from '../output';

const practiceJson = (p: Practice) => ({ id: p.id, name: p.name, slug: p.slug, createdAt: p.createdAt });
const siteJson = (s: Site) => ({
  id: s.id,
  practiceId: s.practiceId,
  name: s.name,
  code: s.code,
  patientNameStyle: s.patientNameStyle,
  createdAt: s.createdAt,
});

/** Registers the practice and site commands. */
export function registerPracticeCommands(program: Command, ctx: CliContext): void {
  const practice = program.command('practice').description('practices (tenants)');
  practice
    .command('create')
    .description('create a practice')
    .requiredOption('--name <name>', 'display name')
    .requiredOption('--slug <slug>', 'URL slug: lower-case letters, digits, dashes')
    .action(async (o: { name: string; slug: string }) => {
      const p = await createPractice(ctx.db(), { name: o.name, slug: o.slug }, ctx.actor);
      emit(ctx.out(), practiceJson(p), () => `created practice ${p.slug} (${p.id})`);
    });
  practice
    .command('list')
    .description('list practices')
    .action(async () => {
      const rows = await listPractices(ctx.db());
      emit(ctx.out(), rows.map(practiceJson), () =>
        table(rows, [
          ['SLUG', (p) => p.slug],
          ['NAME', (p) => p.name],
          ['ID', (p) => p.id],
          ['CREATED', (p) => p.createdAt],
        ]),
      );
    });

  const site = program.command('site').description('sites (branches) of a practice');
  site
    .command('create')
    .description('create a site')
    .requiredOption('--practice <slug>', 'practice slug')
    .requiredOption('--name <name>', 'display name')
    .requiredOption('--code <code>', 'short unique code within the practice')
    .addOption(
      new Option('--name-style <style>', "PatientName convention of the site's devices")
        .choices(Object.values(PatientNameStyle))
        .default(PatientNameStyle.OWNER_PET),
    )
    .action(async (o: { practice: string; name: string; code: string; nameStyle: PatientNameStyle }) => {
      const practiceId = await ctx.practiceId(o.practice);
      const s = await createSite(ctx.db(), practiceId, { name: o.name, code: o.code, patientNameStyle: o.nameStyle }, ctx.actor);
      emit(ctx.out(), siteJson(s), () =>
        fieldsText([
          ['created site', s.code],
          ['id', s.id],
          ['name style', s.patientNameStyle],
        ]),
      );
    });
  site
    .command('list')
    .description("list a practice's sites")
    .requiredOption('--practice <slug>', 'practice slug')
    .action(async (o: { practice: string }) => {
      const rows = await listSites(ctx.db(), await ctx.practiceId(o.practice));
      emit(ctx.out(), rows.map(siteJson), () =>
        table(rows, [
          ['CODE', (s) => s.code],
          ['NAME', (s) => s.name],
          ['NAME STYLE', (s) => s.patientNameStyle],
          ['ID', (s) => s.id],
        ]),
      );
    });
}
