/**
 * Bundles a Node app's TypeScript (its own code and the workspace packages it uses) into one ESM
 * file for production, so the process runs plain JavaScript instead of compiling through tsx at
 * start-up: the tsx loader thread and its per-module transforms cost ~60 MB of RSS for the life of
 * the server, which matters for the ingest memory budget (docs/benchmarks.md, "Ingest").
 *
 *   node --import tsx scripts/bundle.ts apps/server/src/main.ts apps/server/dist/main.mjs
 *
 * The bundle is built in place and runs in place: third-party packages stay external and are
 * imported by their resolved absolute path (pnpm gives each workspace package its own
 * node_modules, so bare names would not resolve from dist/), and `import.meta.url` /
 * `import.meta.dirname` keep the value they have in the source file (paths to the web build,
 * migrations and the WASM codecs are relative to the source tree). A container image builds it in
 * its own tree (infra/docker/Dockerfile).
 */
import { readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';

const [entry, outfile] = process.argv.slice(2);
if (!entry || !outfile) {
  console.error('usage: bundle.ts <entry.ts> <out.mjs>');
  process.exit(2);
}

const builtins = new Set(builtinModules);
const isBuiltin = (spec: string) => spec.startsWith('node:') || builtins.has(spec) || builtins.has(spec.split('/')[0]!);

const inPlace: Plugin = {
  name: 'vetpacs-in-place',
  setup(b) {
    // Bare specifiers: workspace packages (@vetpacs/*, TypeScript sources) are bundled; everything
    // else stays external, resolved from the importing file exactly as Node would.
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData?.resolving || args.path.startsWith('@vetpacs/')) return undefined;
      if (isBuiltin(args.path)) return { path: args.path, external: true };
      const r = await b.resolve(args.path, { resolveDir: args.resolveDir, kind: args.kind, importer: args.importer, pluginData: { resolving: true } });
      if (r.errors.length) return { errors: r.errors };
      return { path: r.path, external: true };
    });
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const contents = source
        .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href))
        .replaceAll('import.meta.dirname', JSON.stringify(path.dirname(args.path)));
      return { contents, loader: 'ts' };
    });
  },
};

await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  sourcemap: true,
  // Function names in production stack traces; the .map maps lines to the sources (run with
  // NODE_OPTIONS=--enable-source-maps: the server is started without it, scripts/runtime.ts).
  keepNames: true,
  logLevel: 'warning',
  plugins: [inPlace],
});
console.log(`bundled ${entry} → ${outfile}`);
