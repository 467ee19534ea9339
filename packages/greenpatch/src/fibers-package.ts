// @greenpatch/fibers, the module `require('@greenpatch/fibers')` gives
// greenpatch, required by its path where that is sure to be the same file.
// Node finds a package with an "exports" map through its package resolver,
// whose first use in a process costs every start-up of greenpatch/register
// 0.7 to 1.4 ms of CPU (docs/performance.md); requiring the file by its path
// skips it. The bundles send greenpatch's `require('@greenpatch/fibers')`
// here (scripts/bundle-dist.mjs, `--package-through`); tsc's own output, run
// unbundled, requires the package by name.
//
// The path is taken only where Node's own search would end at the same
// file: the first of the directories Node searches (`require.resolve.paths`,
// in its order) that holds anything under `@greenpatch/` holds a
// @greenpatch/fibers whose exports map sends "." to dist/index.js under any
// conditions Node's CommonJS loader uses, and no `--conditions` was given.
// Anything else (no such directory, another layout or version of the
// package, a package.json that does not parse, a file missing, a file system
// that refuses the reads) leaves the require to Node, by name, so that it
// resolves or fails exactly as it would have.
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FIBERS_BUNDLE, FIBERS_CACHE, loadCached } from './boot/code-cache.js';

type Fibers = typeof import('@greenpatch/fibers');

const NAME = '@greenpatch/fibers';

/** What the package's exports map gives for "." (any condition but `types`). */
const MAIN = './dist/index.js';

/**
 * Whether the command line or NODE_OPTIONS adds conditions (`-C`,
 * `--conditions`), which may select another target of an exports map, or
 * a policy manifest (Node 20), which may redirect a specifier.
 */
function resolutionChangedByFlags(): boolean {
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  return flags.some((flag) => /^(-C|--conditions|--experimental-policy)/.test(flag));
}

/** Whether `pkg` (a parsed package.json) is @greenpatch/fibers with the exports map this file knows. */
function knownPackage(pkg: unknown): boolean {
  const { name, exports } = (pkg ?? {}) as { name?: unknown; exports?: unknown };
  if (name !== NAME || exports === null || typeof exports !== 'object') return false;
  // Subpaths only (a map of conditions at the top would apply to ".").
  if (!Object.keys(exports).every((key) => key.startsWith('.'))) return false;
  const dot = (exports as Record<string, unknown>)['.'];
  if (dot === null || typeof dot !== 'object') return false;
  // `types` never matches under Node's conditions (none are given, checked above).
  return Object.keys(dot).join() === 'types,default' && (dot as Record<string, unknown>).default === MAIN;
}

/** The file `require('@greenpatch/fibers')` would load from here, when sure of it; undefined otherwise. */
function fibersMainFile(): string | undefined {
  if (resolutionChangedByFlags()) return undefined;
  for (const dir of require.resolve.paths(NAME) ?? []) {
    const root = join(dir, NAME);
    let text: string;
    try {
      text = readFileSync(join(root, 'package.json'), 'utf8');
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      // Nothing there that Node could take for the package (all of it
      // would be under @greenpatch/): Node goes on to the next directory.
      if ((code === 'ENOENT' || code === 'ENOTDIR') && !existsSync(join(dir, '@greenpatch'))) continue;
      return undefined;
    }
    let pkg: unknown;
    try {
      pkg = JSON.parse(text);
    } catch {
      return undefined;
    }
    if (!knownPackage(pkg)) return undefined;
    const file = join(root, MAIN);
    return existsSync(file) ? file : undefined;
  }
  return undefined;
}

/**
 * The real path (Node's key for the module) of the engine's bundle when the
 * main file at `file` is the stub of a bundled engine; undefined otherwise
 * (tsc's own output requires no bundle).
 */
function engineBundle(file: string): string | undefined {
  try {
    if (!readFileSync(file, 'utf8').includes(`require("./${FIBERS_BUNDLE}")`)) return undefined;
    return realpathSync(join(dirname(file), FIBERS_BUNDLE));
  } catch {
    return undefined;
  }
}

const file = fibersMainFile();
// The engine's bundle from V8's code cache, when the install wrote one
// (boot/code-cache.ts): the main module's stub then finds it in require.cache.
const bundle = file !== undefined ? engineBundle(file) : undefined;
if (bundle !== undefined) loadCached(bundle, FIBERS_CACHE);
// A path into the package is required as Node requires the file its exports
// map names: same real path, so the same module instance as by name.
const fibers: Fibers = file !== undefined ? require(file) : require('@greenpatch/fibers');
export = fibers;
