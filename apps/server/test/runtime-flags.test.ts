import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SERVER_ENTRY, SERVER_NODE_FLAGS, WORKER_NODE_FLAGS } from '../../../scripts/runtime';

// The container image cannot import scripts/runtime.ts, so its CMD restates the Node flags: this
// keeps the two from drifting apart (the young generation, the scavenger's --expose-gc).
describe('infra/docker/Dockerfile', () => {
  const root = path.resolve(import.meta.dirname, '../../..');
  const cmd = readFileSync(path.join(root, 'infra/docker/Dockerfile'), 'utf8')
    .split('\n')
    .find((line) => line.startsWith('CMD '));

  it('starts the server with the flags of scripts/runtime.ts', () => {
    expect(cmd).toContain(`exec node ${SERVER_NODE_FLAGS.join(' ')} ${SERVER_ENTRY}`);
  });

  it('starts the other apps with the worker flags', () => {
    expect(cmd).toContain(`exec node ${WORKER_NODE_FLAGS.join(' ')} apps/\${APP}/dist/main.mjs`);
  });
});
