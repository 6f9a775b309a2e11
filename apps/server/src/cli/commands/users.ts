/** `pacs user …`. */
import { Option, type Command } from 'commander';
import { createUser, getMemberByEmail, listUsers, type Member, RepoError, Role, setUserPassword } from '@vetpacs/db';
import type { CliContext } from '../context';
import { emit, fieldsText, table } from '../output';

const memberJson = (m: Member) => ({
  userId: m.userId,
  email: m.email,
  name: m.name,
  role: m.role,
  disabled: m.disabled,
  hasPassword: m.hasPassword,
  createdAt: m.createdAt,
});

/** Registers the user commands. */
export function registerUserCommands(program: Command, ctx: CliContext): void {
  const user = program.command('user').description('users and their roles in a practice');
  user
    .command('create')
    .description('add a user to a practice (creates the account if the email is new)')
    .requiredOption('--practice <slug>', 'practice slug')
    .requiredOption('--email <email>', 'sign-in email')
    .requiredOption('--name <name>', 'display name')
    .addOption(new Option('--role <role>', 'role in the practice').choices(Object.values(Role)).makeOptionMandatory())
    .option('--password <password>', 'initial password (default: generate one and print it once)')
    .action(async (o: { practice: string; email: string; name: string; role: Role; password?: string }) => {
      const practiceId = await ctx.practiceId(o.practice);
      const r = await createUser(
        ctx.db(),
        practiceId,
        { email: o.email, name: o.name, role: o.role, password: o.password },
        ctx.actor,
      );
      const value = {
        userId: r.member.userId,
        email: r.member.email,
        name: r.member.name,
        role: r.member.role,
        existingUser: r.existingUser,
        password: r.generatedPassword,
      };
      emit(ctx.out(), value, () =>
        fieldsText([
          [r.existingUser ? 'added existing user' : 'created user', r.member.email],
          ['id', r.member.userId],
          ['role', r.member.role],
          ...(r.generatedPassword ? [['password (shown once)', r.generatedPassword] as [string, string]] : []),
        ]),
      );
    });
  user
    .command('list')
    .description("list a practice's users")
    .requiredOption('--practice <slug>', 'practice slug')
    .action(async (o: { practice: string }) => {
      const rows = await listUsers(ctx.db(), await ctx.practiceId(o.practice));
      emit(ctx.out(), rows.map(memberJson), () =>
        table(rows, [
          ['EMAIL', (m) => m.email],
          ['NAME', (m) => m.name],
          ['ROLE', (m) => m.role],
          ['DISABLED', (m) => (m.disabled ? 'yes' : 'no')],
          ['ID', (m) => m.userId],
        ]),
      );
    });
  user
    .command('set-password')
    .description("set a member's password (ends their sessions)")
    .requiredOption('--practice <slug>', 'practice slug')
    .requiredOption('--email <email>', "the member's email")
    .option('--password <password>', 'new password (default: generate one and print it once)')
    .action(async (o: { practice: string; email: string; password?: string }) => {
      const practiceId = await ctx.practiceId(o.practice);
      const member = await getMemberByEmail(ctx.db(), practiceId, o.email);
      if (!member) throw new RepoError('NOT_FOUND', `${o.email} is not a member of ${o.practice}`);
      const r = await setUserPassword(ctx.db(), practiceId, member.userId, o.password, ctx.actor);
      if (!r.ok) throw new RepoError('NOT_FOUND', `${o.email} is not a member of ${o.practice}`);
      emit(ctx.out(), { userId: member.userId, email: member.email, password: r.generatedPassword }, () =>
        r.generatedPassword
          ? `password of ${member.email} set to (shown once): ${r.generatedPassword}`
          : `password of ${member.email} updated`,
      );
    });
}
