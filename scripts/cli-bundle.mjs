// The CLI and its worker threads run from an esbuild bundle of the TypeScript sources, rebuilt whenever a source it
// was built from changes. Why: loading ≈ 200 modules through tsx's loader costs every `regime` process ≈ 0.5 s CPU
// and ≈ 30 MB, and every worker thread ≈ 0.55 s CPU and ≈ 34 MB more (it needs its own loader thread); the bundle
// loads in plain node. There is still no build step between a clone and a run: the first run builds (≈ 0.3 s CPU),
// the next ones check the recorded sources' mtime and size (≈ 200 stats) and reuse it.
// REGIME_BUNDLE=0 runs from the sources through tsx as before; any failure to build falls back to that too.
import fs from 'node:fs';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const COMMANDS = path.join(ROOT, 'engine/cli/commands');
/** what a process or worker thread may start from: the CLI, each command module (main.ts imports them by name), each worker */
const FIXED_ENTRIES = ['engine/cli/main.ts', 'engine/score/baseline-worker.ts', 'engine/sweep/worker.ts', 'engine/results/parquet-writer-worker.ts'];
/** the one module that must find its neighbours in the bundle (main.ts lists the command modules beside it) */
const BUNDLE_RELATIVE = new Set(['engine/cli/main.ts']);
/**
 * Packages bundled in rather than imported at run time: pure JavaScript that is slow to load as many files
 * (@duckdb/node-api ≈ 0.45 s CPU per process as CommonJS, ≈ 0.1 s bundled; zod ≈ 100 ES modules, ≈ 48 ms in every
 * thread that loads it: the CLI's and each worker's). fastify-type-provider-zod comes with zod: the one package
 * that imports zod itself, it must see the same copy. Native code (@duckdb/node-bindings) stays outside.
 */
const BUNDLED_PACKAGES = new Set(['@duckdb/node-api', 'zod', 'fastify-type-provider-zod']);
/** a bundle is removed once no process started from it for this long (each start touches it), so a long-running process (regime live) keeps its lazy chunks */
const KEEP_OLD_MS = 24 * 3600_000;
/** and at most this many are kept (≈ 4.4 MB each): every edit followed by a run builds one */
const KEEP_BUNDLES = 8;

/** the cache folder: REGIME_BUNDLE_CACHE (tests; it must lie inside the project, where the packages resolve), else node_modules/.cache/regime-cli */
function cacheDir() {
  return process.env.REGIME_BUNDLE_CACHE ?? path.join(ROOT, 'node_modules/.cache/regime-cli');
}

function commandEntries() {
  return fs
    .readdirSync(COMMANDS)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .sort()
    .map((f) => `engine/cli/commands/${f}`);
}

/**
 * what, besides the sources' stats, makes a bundle stale: node, this file, the packages (esbuild's version among
 * them), tsconfig.json (esbuild reads it: class fields, decorators, paths), the entries
 */
function buildKey(entries) {
  return createHash('sha256')
    .update(`${process.version}\0${entries.join(',')}\0`)
    .update(fs.readFileSync(fileURLToPath(import.meta.url)))
    .update(fs.readFileSync(path.join(ROOT, 'package-lock.json')))
    .update(fs.readFileSync(path.join(ROOT, 'tsconfig.json')))
    .digest('hex')
    .slice(0, 16);
}

function statOf(file) {
  const s = fs.statSync(file);
  return `${s.mtimeMs}:${s.size}`;
}

/** the recorded bundle when every source it was built from is unchanged, else null */
function fresh(manifest, key) {
  if (!manifest || manifest.key !== key) return null;
  try {
    for (const [rel, stat] of Object.entries(manifest.inputs)) if (statOf(path.join(ROOT, rel)) !== stat) return null;
    if (!fs.existsSync(path.join(cacheDir(), manifest.dir, 'engine/cli/main.js'))) return null;
  } catch {
    return null;
  }
  const dir = path.join(cacheDir(), manifest.dir);
  try {
    // the last start, which decides when it may be removed
    const now = new Date();
    fs.utimesSync(dir, now, now);
  } catch {
    // a read-only cache is still usable
  }
  return dir;
}

function readManifest() {
  try {
    return JSON.parse(fs.readFileSync(path.join(cacheDir(), 'current.json'), 'utf8'));
  } catch {
    return null;
  }
}

/** every other package of package.json stays an import (and so does any subpath of it) */
function externalPackages() {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  return Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })
    .filter((name) => !BUNDLED_PACKAGES.has(name))
    .flatMap((name) => [name, `${name}/*`]);
}

/**
 * A bundled package's require() of an outside package or a node built-in would become a dynamic require, which ESM output cannot do:
 * it requires this small ES module instead, which imports the package.
 */
function requireOfExternalPlugin(external) {
  const outside = new Set(external);
  return {
    name: 'require-of-external',
    setup(build) {
      build.onResolve({ filter: /^[@a-z]/ }, (args) => {
        if (args.kind !== 'require-call' || !(outside.has(args.path) || isBuiltin(args.path))) return undefined;
        return { path: args.path, namespace: 'external-as-esm' };
      });
      build.onLoad({ filter: /.*/, namespace: 'external-as-esm' }, (args) => ({
        contents: `import pkg from ${JSON.stringify(args.path)}; export default pkg;`,
        loader: 'js',
        resolveDir: ROOT,
      }));
    },
  };
}

/** import.meta.url / dirname / filename of a bundled module keep naming its source file: assets are found beside the sources */
function sourceLocationPlugin() {
  return {
    name: 'source-location',
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, async (args) => {
        let text = await fs.promises.readFile(args.path, 'utf8');
        const rel = path.relative(ROOT, args.path).split(path.sep).join('/');
        if (!BUNDLE_RELATIVE.has(rel)) {
          text = text
            .replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href))
            .replaceAll('import.meta.dirname', JSON.stringify(path.dirname(args.path)))
            .replaceAll('import.meta.filename', JSON.stringify(args.path));
        }
        return { contents: text, loader: 'ts' };
      });
    },
  };
}

async function build(entries, key) {
  const esbuild = await import('esbuild');
  const dir = `b-${key}-${Date.now().toString(36)}-${process.pid}`;
  const tmp = path.join(cacheDir(), `.tmp-${dir}`);
  // stats taken before the build reads the sources: one saved meanwhile makes the next run rebuild, never a stale reuse
  const before = new Map();
  for (const top of ['engine', 'web']) {
    for (const rel of fs.readdirSync(path.join(ROOT, top), { recursive: true })) {
      const file = path.join(top, String(rel)).split(path.sep).join('/');
      if (file.endsWith('.ts')) before.set(file, statOf(path.join(ROOT, file)));
    }
  }
  const external = externalPackages();
  let result;
  try {
    result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: entries.map((e) => `./${e}`),
    outbase: '.',
    outdir: tmp,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external,
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'silent',
    plugins: [sourceLocationPlugin(), requireOfExternalPlugin(external)],
    });
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  const inputs = {};
  for (const rel of Object.keys(result.metafile.inputs)) {
    // a plugin's virtual module ("namespace:path") is no file; what it stands for is covered by the key
    if (!/^[\w-]+:/.test(rel)) inputs[rel] = before.get(rel) ?? statOf(path.join(ROOT, rel));
  }
  fs.renameSync(tmp, path.join(cacheDir(), dir));
  const manifestTmp = path.join(cacheDir(), `.tmp-current-${process.pid}.json`);
  fs.writeFileSync(manifestTmp, JSON.stringify({ dir, key, inputs }));
  fs.renameSync(manifestTmp, path.join(cacheDir(), 'current.json'));
  removeOld(dir);
  return path.join(cacheDir(), dir);
}

function removeOld(keep) {
  const now = Date.now();
  const bundles = [];
  for (const name of fs.readdirSync(cacheDir())) {
    if (name === keep || name === 'current.json') continue;
    try {
      bundles.push({ full: path.join(cacheDir(), name), used: fs.statSync(path.join(cacheDir(), name)).mtimeMs });
    } catch {
      // another process removed it first
    }
  }
  // most recently started first: beyond KEEP_BUNDLES, or not started for KEEP_OLD_MS, a bundle goes
  bundles.sort((a, b) => b.used - a.used);
  bundles.forEach((b, i) => {
    if (i >= KEEP_BUNDLES - 1 || now - b.used > KEEP_OLD_MS) fs.rmSync(b.full, { recursive: true, force: true });
  });
}

/**
 * The folder of an up-to-date bundle (built now if needed), or null when bundling is off or failed: the caller then
 * runs the sources through tsx. `onBuild` is told when a build starts (the CLI says so on a TTY).
 */
export async function ensureBundle(onBuild) {
  if (process.env.REGIME_BUNDLE === '0') return null;
  try {
    const entries = [...FIXED_ENTRIES, ...commandEntries()];
    const key = buildKey(entries);
    const ready = fresh(readManifest(), key);
    if (ready) return ready;
    onBuild?.();
    fs.mkdirSync(cacheDir(), { recursive: true });
    return await build(entries, key);
  } catch (err) {
    if (process.env.REGIME_BUNDLE === '1') throw err;
    return null;
  }
}

/** the bundled file of a TypeScript entry in the bundle the CLI runs from (REGIME_BUNDLE_DIR), or null */
function bundledEntry(sourceUrl) {
  const bundle = process.env.REGIME_BUNDLE_DIR;
  if (!bundle) return null;
  const file = path.join(bundle, path.relative(ROOT, fileURLToPath(sourceUrl)).replace(/\.ts$/, '.js'));
  return fs.existsSync(file) ? file : null;
}

/**
 * Starts a worker thread's TypeScript entry: from the bundle the CLI runs from (REGIME_BUNDLE_DIR, set by
 * scripts/regime.mjs), else through tsx — Node 20 worker threads do not inherit the loader.
 */
export async function importEntry(sourceUrl) {
  const file = bundledEntry(sourceUrl);
  if (file) return import(pathToFileURL(file).href);
  const { register } = await import('tsx/esm/api');
  register();
  return import(sourceUrl.href ?? String(sourceUrl));
}
