// greenpatch/register: `node --require greenpatch/register app.js` (and,
// through register.mts, `node --import greenpatch/register app.mjs`).
// Applies the patch table at start-up (all of it, or the entries named in
// GREENPATCH_PATCH): builtins are patched when the program first loads them
// (see patcher.ts), and runs the entry module in the main green thread, so its
// top-level code may block.
//
// The entry is loaded synchronously inside that green thread: CommonJS with
// Module._load (as Node's own runMain does), ES modules with require(esm),
// which evaluates the module graph on the calling stack. An ES entry that uses
// top-level await cannot be required; it is imported as Node would, and its
// top-level code then runs on the hub (it awaits instead of blocking).
import Fiber = require('@greenpatch/fibers');

import { asStockEntryStack, entryStart } from './entry-stack.js';
import { switchIn } from './hub.js';
import { getUnwaitedErrorPolicy } from './error-handler.js';
import { GreenThread } from './greenthread.js';
import { watchMainThread } from './main-thread-watch.js';
import { moduleFormat } from './module-format.js';
import { expectMainLoad, NodeModule as Module, withNodesLoad } from './load-wrappers.js';
import { applyArmedBuiltins, diagnosticsFromEnv, parsePatchList, patch } from './patcher.js';
// What the patches add to Node's builtins, for TypeScript (an empty module at run time).
import './builtin-types.js';

interface InternalModule {
  runMain(main?: string): void;
  _load(request: string, parent: unknown, isMain: boolean): unknown;
  _resolveFilename(request: string, parent: unknown, isMain: boolean): string;
}
const M = Module as unknown as InternalModule;


/**
 * Runs the entry module `file` (a path) in a new green thread, started at
 * once; `load` loads it (default: Node's CommonJS loader, or require(esm)).
 * What the entry throws, before or after it first blocks, is reported as
 * Node reports an uncaught exception, from the line that threw it, with the
 * stack stock Node prints (entry-stack.ts). One exception: called from the
 * stand-in module of `--import` (register-hooks.mts, no `load`), what the
 * entry throws before it first blocks is thrown here, so that the stand-in's
 * evaluation fails as the entry's own would. Returns false, or true when
 * `file` is an ES module with top-level await, which the caller must import
 * itself.
 */
export function runEntryInGreenThread(file: string, isCommonJS: boolean, load?: () => void): boolean {
  if (!isCommonJS) importsUnseen();
  let needsImport = false;
  let returned = false;
  let early: { error: unknown } | undefined;
  const start = entryStart(!isCommonJS);
  const run = load ?? (isCommonJS ? () => M._load(file, null, true) : () => Module.createRequire(file)(file));
  const mainThread = new GreenThread<void>(
    () => {
      // No JavaScript catch between the entry's throw and Node's report.
      Fiber.reportUncaught(run, (error) => {
        if (!isCommonJS && !returned && (error as { code?: unknown })?.code === 'ERR_REQUIRE_ASYNC_MODULE') {
          needsImport = true;
          return true;
        }
        asStockEntryStack(error, start, withNodesLoad);
        if (returned || load !== undefined) return false;
        early = { error };
        return true;
      });
    },
    [],
    true,
  );
  mainThread.name = 'main';
  switchIn(mainThread);
  returned = true;
  watchMainThread(mainThread);
  if (early !== undefined) throw early.error;
  return needsImport;
}

/**
 * Where Node has no in-thread module hooks (`module.registerHooks`: Node 20,
 * 22 before 22.15), an ES module's `import` of a builtin cannot be seen by
 * the patcher (require(esm) does not run module.register's hooks either):
 * when ES modules are about to run, the builtins the patches cover are
 * loaded and patched now, as they were before patching became lazy.
 * @internal
 */
export function importsUnseen(): void {
  if (typeof (Module as { registerHooks?: unknown }).registerHooks !== 'function') applyArmedBuiltins();
}

const originalRunMain = M.runMain;

/** Node's `Module.runMain` (used by `--require` preloads), running the entry in the main green thread. */
function runMain(this: unknown, main: string = process.argv[1]): void {
  // Node calls it once. Put back, Node's own is what stack traces name.
  if (M.runMain === runMain) M.runMain = originalRunMain;
  let file: string;
  try {
    file = M._resolveFilename(main, null, true);
  } catch {
    // Not found: let Node report it exactly as it does.
    return Reflect.apply(originalRunMain, this, [main]);
  }
  const isCommonJS = moduleFormat(file) === 'commonjs';
  if (nodeLoadsEntryAsESM() && (require('./preload-entry.js') as typeof import('./preload-entry.js')).otherImportsGiven()) {
    // Node's runMain runs the --import modules first: the entry is run from inside it.
    (require('./entry-after-imports.js') as typeof import('./entry-after-imports.js')).runEntryAfterImports(file, isCommonJS);
    return Reflect.apply(originalRunMain, this, [main]);
  }
  if (isCommonJS) {
    // Node's own entry point, in the green thread, so that the stack below
    // the entry is Node's; unless Node would take its ES module loader
    // there, which loads asynchronously: then its CommonJS loader directly.
    const load = nodeLoadsEntryAsESM() ? () => M._load(main, null, true) : () => Reflect.apply(originalRunMain, M, [main]);
    expectMainLoad();
    runEntryInGreenThread(file, true, load);
  } else if (runEntryInGreenThread(file, false, () => Module.createRequire(file)(file))) {
    Reflect.apply(originalRunMain, this, [main]);
  }
}

/**
 * Whether Node's own runMain would load even a CommonJS entry through its
 * ES module loader: with module hooks or imports given on the command line
 * (or in NODE_OPTIONS), or another default module type.
 */
function nodeLoadsEntryAsESM(): boolean {
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  return flags.some((flag) => /^--(import|loader|experimental-loader|experimental-default-type)(=|$)/.test(flag));
}

let started = false;

/** Patches as GREENPATCH_PATCH says, starts the monitor GREENPATCH_MONITOR asks for and arranges for the entry to run in the main green thread. Idempotent. */
export function start(): void {
  if (started) return;
  started = true;
  // A bad value of any is a start-up error, like one of GREENPATCH_PATCH.
  getUnwaitedErrorPolicy();
  diagnosticsFromEnv();
  patch(parsePatchList(process.env.GREENPATCH_PATCH));
  M.runMain = runMain;
}

start();
