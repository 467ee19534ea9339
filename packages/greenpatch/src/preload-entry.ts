// `node --import greenpatch/register app`: when greenpatch/register is the
// last `--import`, the entry is run from here, in the main green thread, and
// Node's own import of it that follows finds it loaded. No module hook is
// needed for it: on Node 20 (and 22 before 22.15) the only kind,
// `module.register`, starts a hooks thread that costs more at start-up
// (~25 ms) than the whole hook may; where Node has `module.registerHooks`,
// this also spares the stand-in module (register-hooks.mts).
//
// - A CommonJS entry: Node's ES module loader loads it with
//   `Module._load(file, undefined, true)`; a wrapper of `Module._load` runs
//   that load in the green thread. Node's frames below the entry stay Node's
//   own; what it throws is reported as under `--require` (commonjs-entry.ts).
// - An ES module entry: required (require(esm)) in the green thread now, as
//   register.ts runs it under `--require`. Node's import of it then finds
//   its module already evaluated (or evaluating, when it blocked), or, for
//   an entry with top-level await, linked, and evaluates it as it would.
//   What it throws before it first blocks fails this preload, and Node
//   reports it as it reports the entry's own failure.
//
// Anything else is left to the hooks: another `--import` after this one,
// `--loader`, eval, a worker, an ES entry under `--inspect-brk` or where
// Node has no require(esm), and a `.js` entry that does not compile as
// CommonJS (ES module syntax in a package without "type", which Node's
// import detects, with a warning).
import Module = require('node:module');
import Fiber = require('@greenpatch/fibers');
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { entryRunFromPreload } from './entry-stack.js';
import { runCommonJSEntry } from './commonjs-entry.js';
import { registerLoadWrapper } from './load-wrappers.js';
import { moduleFormat } from './module-format.js';
import { runEntryInGreenThread } from './register.js';

interface InternalModule {
  _load(request: string, parent: unknown, isMain: boolean): unknown;
  _resolveFilename(request: string, parent: unknown, isMain: boolean): string;
  _cache: Record<string, { exports: unknown } | undefined>;
}
const M = Module as unknown as InternalModule;

/** How the entry is run from the preload; `missing`: there is none to run, Node reports it as it does. */
export type EntryPlan = { file: string; format: 'commonjs' | 'module' } | { file: undefined; format: 'missing' };

/** The command-line values of a Node option given as `--name value` or `--name=value`, in order. */
function optionValues(args: readonly string[], name: string): string[] {
  const values: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === name && i + 1 < args.length) values.push(args[++i]);
    else if (args[i].startsWith(`${name}=`)) values.push(args[i].slice(name.length + 1));
  }
  return values;
}

/** Node's options: NODE_OPTIONS first, then the command line's (the order Node applies `--import`s in). */
function nodeOptions(): string[] {
  const fromEnv = (process.env.NODE_OPTIONS ?? '').split(/\s+/).filter(Boolean);
  return [...fromEnv, ...process.execArgv];
}

function sameFile(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

/** Whether the `--import` specifier `specifier` names this copy of greenpatch/register (`self`: the path of register.mjs). */
function namesSelf(specifier: string, self: string): boolean {
  let file: string;
  try {
    if (specifier.startsWith('file:')) file = fileURLToPath(specifier);
    else if (isAbsolute(specifier) || /^\.\.?(\/|\\|$)/.test(specifier)) file = resolve(specifier);
    // A package specifier, resolved from the working directory as Node does
    // (by CommonJS rules, which lead to register.js beside this file).
    else file = Module.createRequire(resolve('noop.js')).resolve(specifier);
  } catch {
    return false;
  }
  return sameFile(file, self) || (dirname(file) === dirname(self) && sameFile(file, resolve(dirname(self), 'register.js')));
}

/**
 * @internal Whether Node will evaluate `--import` modules other than
 * greenpatch/register before the entry (and no `--loader`): then
 * `--require greenpatch/register` runs the entry from inside Node's runMain.
 */
export function otherImportsGiven(): boolean {
  const options = nodeOptions();
  for (const name of ['--loader', '--experimental-loader', '--experimental-default-type']) {
    if (optionValues(options, name).length > 0) return false;
  }
  const self = join(__dirname, 'register.mjs');
  return optionValues(options, '--import').some((specifier) => !namesSelf(specifier, self));
}

function inMainThread(): boolean {
  // Workers load worker_threads as they start; the main thread only when the
  // program does (it costs milliseconds to load).
  const loaded = (process as { moduleLoadList?: readonly string[] }).moduleLoadList;
  if (Array.isArray(loaded) && !loaded.includes('NativeModule worker_threads')) return true;
  return (require('node:worker_threads') as typeof import('node:worker_threads')).isMainThread;
}

/** Whether `file` compiles as a CommonJS module body. */
function compilesAsCommonJS(file: string): boolean {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch {
    return true;
  }
  if (source.startsWith('#!')) source = `//${source}`;
  try {
    (require('node:vm') as typeof import('node:vm')).compileFunction(source, ['exports', 'require', 'module', '__filename', '__dirname'], { filename: file });
    return true;
  } catch {
    return false;
  }
}

/**
 * The entry this preload can run itself, or undefined when Node must be
 * left to run it (through the module hooks). `self` is the path of
 * register.mjs.
 */
export function entryToRun(self: string): EntryPlan | undefined {
  const main = process.argv[1];
  if (typeof main !== 'string' || (process as { _eval?: unknown })._eval !== undefined) return undefined;
  if (!inMainThread()) return undefined;
  const options = nodeOptions();
  for (const name of ['--loader', '--experimental-loader', '--experimental-default-type']) {
    if (optionValues(options, name).length > 0) return undefined;
  }
  // This module is evaluated at its first --import; every later one must name it too.
  const imports = optionValues(options, '--import');
  const first = imports.findIndex((specifier) => namesSelf(specifier, self));
  if (first < 0 || imports.slice(first + 1).some((specifier) => !namesSelf(specifier, self))) return undefined;
  let file: string;
  try {
    file = M._resolveFilename(main, null, true);
  } catch {
    return { file: undefined, format: 'missing' };
  }
  if (moduleFormat(file) === 'module') {
    // Node's import of the entry is where --inspect-brk pauses; required first, it would not.
    if (options.some((flag) => /^--inspect-(brk|wait)(=|$)/.test(flag))) return undefined;
    const features = process.features as { require_module?: boolean };
    return features.require_module === true ? { file, format: 'module' } : undefined;
  }
  // ES module syntax in a file of no declared type: what Node's import of
  // it detects, and warns about, is left to it.
  return file.endsWith('.cjs') || compilesAsCommonJS(file) ? { file, format: 'commonjs' } : undefined;
}

/** Runs the entry as `plan` says (see the top of this file). */
export function runEntry(plan: EntryPlan): void {
  if (plan.format === 'missing') return;
  if (plan.format === 'commonjs') {
    runWhenNodeLoadsIt(plan.file);
    return;
  }
  entryRunFromPreload();
  // require(esm); with top-level await the entry is left linked, for Node's
  // import of it to evaluate as it would.
  runEntryInGreenThread(plan.file, false);
}

/**
 * @internal Runs the CommonJS entry `file` in the main green thread when
 * Node's ES module loader loads it (with `Module._load(file, _, true)`).
 */
export function runWhenNodeLoadsIt(file: string): void {
  const original = M._load;
  let done = false;
  const load = function (this: unknown, request: string, parent: unknown, isMain: boolean): unknown {
    if (done || isMain !== true || request !== file) return Reflect.apply(original, this, arguments);
    done = true;
    if (M._load === load) M._load = original;
    // Node's ES module loader loads the entry in a promise job (after
    // awaiting the `--import` modules): the engine learns there what an
    // empty async-id stack looks like, as register.mts does, so that the
    // main green thread need not reach it through node:inspector (under
    // `--require greenpatch/register --import other`, the first place it can).
    (Fiber as unknown as Record<symbol, (() => boolean) | undefined>)[Symbol.for('@greenpatch/fibers.learnTopLevelResource')]?.();
    runCommonJSEntry(file);
    // The entry's exports so far, as a require of a module still loading gets.
    return M._cache[file]?.exports;
  };
  M._load = load;
  registerLoadWrapper(load, original);
}
