/**
 * The e2e run's world, started once: real server + worker against a fresh database, the demo
 * practice seeded through STOW (see support/stack.ts), and a second practice to prove isolation.
 * Tests reach it through `inject('baseUrl')`.
 */
import { createDb, createPractice, createSite, createUser } from '@vetpacs/db';
import type { TestProject } from 'vitest/node';
import { startStack } from './support/stack';

export default async function setup(project: TestProject) {
  const stack = await startStack({ seedDemo: true });
  try {
    // A second practice with one study-less vet: it must see nothing of the demo practice.
    const db = createDb(stack.databaseUrl, { maxConnections: 2 });
    const actor = { type: 'SYSTEM' as const, id: 'e2e' };
    const slug = stack.runId.replace(/_/g, '-');
    const other = await createPractice(db, { name: 'Elsewhere Animal Clinic', slug: `elsewhere-${slug}` }, actor);
    await createSite(db, other.id, { name: 'Elsewhere', code: 'ELS' }, actor);
    const otherUser = { email: `vet-${slug}@elsewhere.example`, password: 'elsewhere-password' };
    await createUser(db, other.id, { ...otherUser, name: 'Dr Other', role: 'VET' }, actor);
    await db.close();

    project.provide('baseUrl', stack.baseUrl);
    project.provide('otherUser', otherUser);
    project.provide('hasWorker', stack.hasWorker);
  } catch (err) {
    await stack.stop();
    throw err;
  }
  return () => stack.stop();
}

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
    otherUser: { email: string; password: string };
    hasWorker: boolean;
  }
}
