// dist/'s bundles (runtime-start.js, runtime-patches.js, runtime.js: see
// scripts/bundle-dist.mjs) are loaded here rather than by a plain require(),
// so that V8 can skip compiling the ones a hooked process loads at start:
// compiling them is about 3 ms of every hooked start. runtime.js, which
// holds import() calls, is always require()d: code compiled here has no
// module to import from.
//
// The cache of a bundle is written for one Node (its version and
// architecture in the file's name) by scripts/code-cache.mjs, which the
// package's build and install run: it runs a hooked start in a child with
// GREENPATCH_WRITE_CODE_CACHE=1, whose bundles are compiled here and
// written out at its exit, with every function the start compiled. Its
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
type ModuleClass = typeof import('node:module') & { _nodeModulePaths(dir: string): string[]; wrap(source: string): string };
const Module = module.constructor as ModuleClass;

const dist = path.join(__dirname, '..');
const HEADER = 'greenpatch code cache 1';

/** @internal @greenpatch/fibers' bundle (beside its main module), and the name of its cache here. */
export const FIBERS_BUNDLE = 'runtime-start.js';
/** @internal */
export const FIBERS_CACHE = 'fibers-runtime-start.js';

/** How each bundle was loaded: from V8's cache, compiled after V8 refused the cache, or by a plain require(). */
const outcomes: Record<string, 'cache' | 'rejected' | 'require' | 'compiled'> = {};

/** Set by scripts/code-cache.mjs in the child whose start is cached: compile here, write at exit. */
const writing = process.env.GREENPATCH_WRITE_CODE_CACHE === '1';
/** The bundles this process compiled here, to write out at exit when `writing`. */
const compiled: { name: string; file: string; stats: fs.Stats; script: vmTypes.Script }[] = [];

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

/** Whether `source` calls import(): such a bundle is left to require(). */
function importsDynamically(source: string): boolean {
  return /(?:^|[^.\w$])import\s*\(/m.test(source);
}

/**
 * @internal Loads `file` (a bundle, its cache named `name`) as a CommonJS
 * module into require.cache from V8's code cache, if there is one for it;
 * returns whether it did. (While writing caches: compiled here, without.)
 */
export function loadCached(file: string, name: string): boolean {
  let cachedData: Buffer | undefined;
  let source: string | undefined;
  let stats: fs.Stats | undefined;
  if (writing) {
    source = fs.readFileSync(file, 'utf8');
    stats = fs.statSync(file);
    if (importsDynamically(source)) source = undefined;
  } else if (!process.sourceMapsEnabled) {
    cachedData = cachedDataFor(file, name);
    if (cachedData !== undefined) source = fs.readFileSync(file, 'utf8');
  }
  if (source === undefined) {
    outcomes[name] = 'require';
    return false;
  }
  const vm = require('node:vm') as typeof vmTypes;
  // Node's own wrapper: the bundle's code keeps its lines (the wrapper's
  // head shares line 1 with the bundle's "use strict").
  const script = new vm.Script(Module.wrap(source), { filename: file, cachedData });
  outcomes[name] = writing ? 'compiled' : script.cachedDataRejected === true ? 'rejected' : 'cache';
  if (writing) compiled.push({ name, file, stats: stats!, script });
  const dir = path.dirname(file);
  const mod = new Module(file, module);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(dir);
  // In the cache before it runs, as Node does, for requires that come back to it.
  require.cache[file] = mod;
  try {
    (script.runInThisContext() as (...args: unknown[]) => void).call(mod.exports, mod.exports, Module.createRequire(file), mod, file, dir);
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

// The caches of what this start compiled, with the functions it ran. Each
// file is written whole under another name and then renamed, so that a
// process starting meanwhile reads the old cache or the new one, never
// part of one.
if (writing) {
  process.on('exit', () => {
    for (const { name, file, stats, script } of compiled) {
      const target = cacheFileOf(name);
      const temporary = `${target}.${process.pid}.tmp`;
      fs.writeFileSync(temporary, Buffer.concat([Buffer.from(headerFor(stats), 'latin1'), script.createCachedData()]));
      fs.renameSync(temporary, target);
      fs.writeSync(1, `${path.basename(target)} (${path.basename(file)})\n`);
    }
  });
}
