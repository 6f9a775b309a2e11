/**
 * Puts the prebuilt OHIF v3 viewer (`@ohif/app` on npm, package/dist) into dist/ohif, rewritten to
 * run under the `/ohif/` sub-path, with our app-config.js. The viewer is configured, not forked:
 * only public-path strings change (see ../../shared docs: index.html hrefs/srcs and PUBLIC_URL,
 * `__webpack_require__.p = "/"` in the app bundle, lazy chunks and workers, `url(/…)` in CSS,
 * manifest icons).
 *
 * `@ohif/app`'s own dependency list cannot be resolved from npm (it names unpublished workspace
 * versions), so the tarball is fetched with `npm pack` (integrity-checked against the pin below)
 * and cached in node_modules/.cache; later builds work offline. Unchanged files are hard-linked
 * from the cache, so a rebuild takes a few seconds.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { copyFile, link, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';

const OHIF_VERSION = '3.13.2';
const OHIF_INTEGRITY = 'sha512-WZdxmpmG7rqFgW9ZJLcbgr3XCtLi1KDNPoMaeY5PPe6j4G4fjEjjkycZM6C6Zk2F87BKxFfpq+jd5xXZB9E8EA==';
const BASE = '/ohif/';

const webDir = path.resolve(import.meta.dirname, '..');
const cacheDir = path.join(webDir, 'node_modules', '.cache', `ohif-app-${OHIF_VERSION}`);
const outDir = path.join(webDir, 'dist', 'ohif');
// Netlify/serve files of the demo deploy, and the config we replace.
const SKIP = new Set(['_headers', '_redirects', 'serve.json', 'app-config.js']);
const GZIP = /\.(js|css|wasm|json|html|svg|mjs)$/;

const log = (m: string) => process.stdout.write(`[ohif] ${m}\n`);

async function sha512(file: string): Promise<string> {
  const h = createHash('sha512');
  await pipeline(createReadStream(file), h);
  return `sha512-${h.digest('base64')}`;
}

/** Downloads (once) and unpacks the dist into the cache; returns the dist directory. */
async function ensureDist(): Promise<string> {
  const dist = path.join(cacheDir, 'package', 'dist');
  const stamp = path.join(cacheDir, '.complete');
  if (existsSync(stamp)) return dist;
  await rm(cacheDir, { recursive: true, force: true });
  await mkdir(cacheDir, { recursive: true });
  log(`fetching @ohif/app@${OHIF_VERSION} (~50 MB, once)`);
  const npmCli = path.join(webDir, 'node_modules', 'npm', 'bin', 'npm-cli.js');
  const out = execFileSync(process.execPath, [npmCli, 'pack', `@ohif/app@${OHIF_VERSION}`, '--json', '--pack-destination', cacheDir], {
    cwd: cacheDir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const packed = (JSON.parse(out) as { filename: string }[])[0];
  if (!packed) throw new Error('npm pack reported no file');
  const tgz = path.join(cacheDir, packed.filename);
  const integrity = await sha512(tgz);
  if (integrity !== OHIF_INTEGRITY) throw new Error(`@ohif/app tarball integrity mismatch: ${integrity}`);
  execFileSync('tar', ['-xzf', tgz, '-C', cacheDir, 'package/dist'], { stdio: 'inherit' });
  await rm(tgz);
  // Precompress the unchanged text assets once; the server sends `.gz` to gzip-capable clients.
  for (const rel of await walk(dist)) {
    if (GZIP.test(rel) && !isRewritten(rel)) await writeFile(path.join(dist, `${rel}.gz`), gzipSync(await readFile(path.join(dist, rel)), { level: 6 }));
  }
  await writeFile(stamp, new Date().toISOString());
  return dist;
}

async function walk(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await walk(dir, rel)));
    else out.push(rel);
  }
  return out;
}

/** Top-level HTML, JS, CSS and the manifest may hold absolute `/` paths. */
function isRewritten(rel: string): boolean {
  return !rel.includes('/') && /\.(html|js|css)$|^manifest\.json$/.test(rel) && rel !== 'sw.js';
}

/** Applies the sub-path rewrite to one file; returns the new text and how many places changed. */
function rewrite(rel: string, text: string): { text: string; changes: number } {
  let changes = 0;
  const sub = (re: RegExp, to: (...groups: string[]) => string) => {
    text = text.replace(re, (...args: string[]) => {
      changes++;
      return to(...args);
    });
  };
  if (rel.endsWith('.html')) {
    sub(/window\.PUBLIC_URL="\/"/g, () => `window.PUBLIC_URL="${BASE}"`);
    sub(/(href|src)="\/(?!\/)/g, (_m, attr) => `${attr}="${BASE}`);
    sub(/<title>OHIF Viewer<\/title>/, () => '<title>Vet PACS viewer</title>');
  } else if (rel.endsWith('.js')) {
    sub(/__webpack_require__\.p = "\/";/g, () => `__webpack_require__.p = "${BASE}";`);
  } else if (rel.endsWith('.css')) {
    sub(/url\(\/(?!\/)/g, () => `url(${BASE}`);
  } else if (rel === 'manifest.json') {
    sub(/"\/assets\//g, () => `"${BASE}assets/`);
  }
  return { text, changes };
}

async function main() {
  const started = Date.now();
  const dist = await ensureDist();
  await rm(outDir, { recursive: true, force: true });
  let rewritten = 0;
  let webpackPaths = 0;
  for (const rel of await walk(dist)) {
    if (SKIP.has(rel)) continue;
    const from = path.join(dist, rel);
    const to = path.join(outDir, rel);
    await mkdir(path.dirname(to), { recursive: true });
    if (isRewritten(rel)) {
      const r = rewrite(rel, await readFile(from, 'utf8'));
      if (rel.endsWith('.js')) webpackPaths += r.changes;
      if (r.changes) rewritten++;
      await writeFile(to, r.text);
      if (GZIP.test(rel)) await writeFile(`${to}.gz`, gzipSync(r.text, { level: 6 }));
    } else if (!(rel.endsWith('.gz') && isRewritten(rel.slice(0, -3)))) {
      await link(from, to).catch(() => copyFile(from, to));
    }
  }
  const config = await readFile(path.join(webDir, 'tools', 'ohif-config.js'));
  await writeFile(path.join(outDir, 'app-config.js'), config);
  // A missed public path shows up as ChunkLoadError and a blank viewer: fail the build instead.
  if (webpackPaths < 1) throw new Error('no __webpack_require__.p found: the OHIF dist layout changed');
  const index = await readFile(path.join(outDir, 'index.html'), 'utf8');
  if (/(href|src)="\/(?!ohif\/)/.test(index)) throw new Error('index.html still has root-absolute paths');
  const size = (await stat(path.join(outDir, 'index.html'))).size;
  log(`viewer ready in dist/ohif (${rewritten} files rewritten, ${webpackPaths} webpack public paths, index ${size} B) in ${Date.now() - started} ms`);
}

main().catch((err) => {
  process.stderr.write(`[ohif] failed: ${err instanceof Error ? err.message : err}\n`);
  process.exit(1);
});
