// dist/'s bundles (runtime-start.js, runtime-patches.js, runtime.js: see
// scripts/bundle-dist.mjs) are loaded here rather than by a plain require(),
// so that V8 can skip compiling the two a hooked process loads at start:
// compiling runtime-start.js is about 3 ms of every hooked start, 0.7 ms
// from V8's code cache. runtime.js, which holds import() calls, is always
// require()d: a function compiled here has no module to import from.
//
// The cache of a bundle is written for one Node (its version and
// architecture in the file's name) by writeCodeCaches(), which the package's
// build and install run (scripts/code-cache.mjs), never at run time. Its
// first line records the bundle's size and modification time, so that a
// rebuilt or edited bundle never meets an old cache; V8 itself refuses data
// from another V8, other flags or a source of another length, and then
// compiles as usual. Without a usable cache, or with source maps enabled
// (Node maps only what its own loader compiled), a bundle is require()d as
// before. Either way it becomes the same CommonJS module: in require.cache
// under its path, with Node's require, __filename and __dirname.
import fs = require('node:fs');
import path = require('node:path');
// vm is loaded only where there is a cache to use (a type-only import here).
import type * as vmTypes from 'node:vm';

// Node's Module class, without loading the public `module` builtin.
type ModuleClass = typeof import('node:module') & { _nodeModulePaths(dir: string): string[] };
const Module = module.constructor as ModuleClass;

const dist = path.join(__dirname, '..');
const PARAMETERS = ['exports', 'require', 'module', '__filename', '__dirname'];
const HEADER = 'greenpatch code cache 1';

/** @internal @greenpatch/fibers' bundle (beside its main module), and the name of its cache here. */
export const FIBERS_BUNDLE = 'runtime-start.js';
/** @internal */
export const FIBERS_CACHE = 'fibers-runtime-start.js';

/** How each bundle was loaded: from V8's cache, compiled after V8 refused the cache, or by a plain require(). */
const outcomes: Record<string, 'cache' | 'rejected' | 'require'> = {};

/** The cache file of the bundle named `name` for the Node running this. */
function cacheFileOf(name: string): string {
  return path.join(dist, `${name}.${process.version}-${process.arch}.cache`);
}

/** The first line of a cache of the file with these stats. */
function headerFor(stats: fs.Stats): string {
  return `${HEADER} ${stats.size} ${stats.mtimeMs}\n`;
}

/** V8's data for `file` from its cache, if one was written for this Node and this version of the file. */
function cachedDataFor(file: string, name: string): Buffer | undefined {
  try {
    const data = fs.readFileSync(cacheFileOf(name));
    const header = headerFor(fs.statSync(file));
    if (data.length <= header.length || data.toString('latin1', 0, header.length) !== header) return undefined;
    return data.subarray(header.length);
  } catch {
    // No cache (the common case before an install wrote one), or unreadable.
    return undefined;
  }
}

function compile(file: string, source: string, cachedData?: Buffer, produceCachedData = false) {
  const vm = require('node:vm') as typeof vmTypes;
  return vm.compileFunction(source, PARAMETERS, { filename: file, cachedData, produceCachedData }) as ((...args: unknown[]) => void) & {
    cachedData?: Buffer;
    cachedDataRejected?: boolean;
  };
}

/** Whether `source` calls import(): such a bundle is left to require(). */
function importsDynamically(source: string): boolean {
  return /(?:^|[^.\w$])import\s*\(/m.test(source);
}

/**
 * @internal Loads `file` (a bundle, its cache named `name`) as a CommonJS
 * module into require.cache from V8's code cache, if there is one for it;
 * returns whether it did.
 */
export function loadCached(file: string, name: string): boolean {
  const cachedData = process.sourceMapsEnabled ? undefined : cachedDataFor(file, name);
  if (cachedData === undefined) {
    outcomes[name] = 'require';
    return false;
  }
  const fn = compile(file, fs.readFileSync(file, 'utf8'), cachedData);
  outcomes[name] = fn.cachedDataRejected === true ? 'rejected' : 'cache';
  const dir = path.dirname(file);
  const mod = new Module(file, module);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(dir);
  // In the cache before it runs, as Node does, for requires that come back to it.
  require.cache[file] = mod;
  try {
    fn.call(mod.exports, mod.exports, Module.createRequire(file), mod, file, dir);
  } catch (error) {
    delete require.cache[file];
    throw error;
  }
  mod.loaded = true;
  return true;
}

/**
 * @internal The exports of `bundle` (a file name in dist/), loading it once
 * as a CommonJS module, from V8's code cache when there is one for it.
 */
export function load(bundle: string): unknown {
  const file = path.join(dist, bundle);
  const known = require.cache[file];
  if (known !== undefined) return known.exports;
  return loadCached(file, bundle) ? require.cache[file]!.exports : require(file);
}

/** @internal For tests: how the bundles loaded so far were loaded. */
export function loadOutcomes(): Record<string, string> {
  return { ...outcomes };
}

/**
 * @internal Writes V8's code cache of each of `bundles` (file names in
 * dist/) and `others` (cache name to file) for the Node running this, but
 * of one that calls import(); returns the files written. Each file is
 * written whole under another name and then renamed, so that a process
 * starting meanwhile reads the old cache or the new one, never part of one.
 */
export function writeCodeCaches(bundles: readonly string[], others: Readonly<Record<string, string>> = {}): string[] {
  const written: string[] = [];
  const all: [string, string][] = [...bundles.map((b): [string, string] => [b, path.join(dist, b)]), ...Object.entries(others)];
  for (const [bundle, file] of all) {
    const source = fs.readFileSync(file, 'utf8');
    if (importsDynamically(source)) continue;
    const stats = fs.statSync(file);
    const data = compile(file, source, undefined, true).cachedData;
    if (data === undefined) continue;
    const target = cacheFileOf(bundle);
    const temporary = `${target}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, Buffer.concat([Buffer.from(headerFor(stats), 'latin1'), data]));
    fs.renameSync(temporary, target);
    written.push(target);
  }
  return written;
}
