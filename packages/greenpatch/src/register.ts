// greenpatch/register: `node --require greenpatch/register app.js` (and,
// through register.mts, `node --import greenpatch/register app.mjs`).
// Patches the builtins at start-up (all of the table, or those named in
// GREENPATCH_PATCH) and runs the entry module in the main green thread, so its
// top-level code may block.
//
// The entry is loaded synchronously inside that green thread: CommonJS with
// Module._load (as Node's own runMain does), ES modules with require(esm),
// which evaluates the module graph on the calling stack. An ES entry that uses
// top-level await cannot be required; it is imported as Node would, and its
// top-level code then runs on the hub (it awaits instead of blocking).
import Module = require('node:module');

import { switchIn } from './hub.js';
import { getUnwaitedErrorPolicy } from './error-handler.js';
import { GreenThread } from './greenthread.js';
import { watchMainThread } from './main-thread-watch.js';
import { moduleFormat } from './module-format.js';
import { startMonitorFromEnv } from './monitor.js';
import { parsePatchList, patch } from './patcher.js';
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
 * once. An error it throws before it first blocks is thrown here (so Node
 * reports it as it would); one thrown later is an uncaught exception. Returns
 * false, or true when `file` is an ES module with top-level await, which the
 * caller must import itself.
 */
export function runEntryInGreenThread(file: string, isCommonJS: boolean): boolean {
  let returned = false;
  let needsImport = false;
  let early: { error: unknown } | undefined;
  const mainThread = new GreenThread<void>(
    () => {
      try {
        if (isCommonJS) M._load(file, null, true);
        else Module.createRequire(file)(file);
      } catch (error) {
        if (!returned) {
          if (!isCommonJS && (error as { code?: unknown })?.code === 'ERR_REQUIRE_ASYNC_MODULE') needsImport = true;
          else early = { error };
          return;
        }
        // As a throw from any callback would be: Node prints it and exits.
        process.nextTick(() => {
          throw error;
        });
      }
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

const originalRunMain = M.runMain;

/** Node's `Module.runMain` (used by `--require` preloads), running the entry in the main green thread. */
function runMain(this: unknown, main: string = process.argv[1]): void {
  let file: string;
  try {
    file = M._resolveFilename(main, null, true);
  } catch {
    // Not found: let Node report it exactly as it does.
    return Reflect.apply(originalRunMain, this, [main]);
  }
  const commonJS = moduleFormat(file) === 'commonjs';
  if (runEntryInGreenThread(commonJS ? main : file, commonJS)) {
    Reflect.apply(originalRunMain, this, [main]);
  }
}

let started = false;

/** Patches as GREENPATCH_PATCH says, starts the monitor GREENPATCH_MONITOR asks for and arranges for the entry to run in the main green thread. Idempotent. */
export function start(): void {
  if (started) return;
  started = true;
  // A bad value of either is a start-up error, like one of GREENPATCH_PATCH.
  getUnwaitedErrorPolicy();
  startMonitorFromEnv();
  patch(parsePatchList(process.env.GREENPATCH_PATCH));
  M.runMain = runMain;
}

start();
