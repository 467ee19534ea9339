// greenpatch/register as an ES module: `node --import greenpatch/register app.mjs`.
// Applies the patches at start-up (register.ts) and runs the entry module,
// CommonJS or ES, in the main green thread: from this preload itself when
// it is the last `--import` (preload-entry.ts); otherwise through module
// hooks that serve the entry as a stand-in module running it
// (register-hooks.mts): `module.registerHooks` where Node has it (22.15+,
// 24, 26), else `module.register` (Node 20), whose hooks thread costs more
// at start-up than the whole hook should.
//
// import-in-the-middle, for the npm entries of the patch table whose
// packages are imported as ES modules, is installed where Node has
// registerHooks when the program first imports such a module
// (esm-package-hooks.ts); on Node 20 only with the hooks thread.
import * as module from 'node:module';
import { fileURLToPath } from 'node:url';

import * as hooks from './register-hooks.mjs';

const require = module.createRequire(import.meta.url);
// Applies the patches (register.ts); one file for all this module uses.
const runtime = require('./register-esm-runtime.js') as typeof import('./register-esm-runtime.js');
// This module's evaluation is a promise job (Node's loader evaluates an
// `--import` module after awaiting its load), where Node's async-id stack is
// empty: the engine learns here what that looks like, so that the entry's
// main green thread, entered in this job or in Node's import of a CommonJS
// entry, need not reach Node's internal async-id stack through the
// inspector (@greenpatch/fibers' async-ids.ts).
// Through fibers-package.ts, which requires it by path where it can: by
// name, Node's exports-map resolver would cost its first use (about 1 ms).
const fibers = runtime.fibers as unknown as Record<symbol, (() => boolean) | undefined>;
fibers[Symbol.for('@greenpatch/fibers.learnTopLevelResource')]?.();
const patcher = runtime;

// The specifiers import-in-the-middle wraps: the npm entries armed.
const packages = patcher.packageModuleNames(patcher.parsePatchList(process.env.GREENPATCH_PATCH));
const runtimeURL = new URL('./register.js', import.meta.url).href;
const registerHooks = (module as { registerHooks?: (hooks: object) => unknown }).registerHooks;

/** import-in-the-middle's loader on Node's hooks thread. */
function registerIITMThread(): void {
  module.register('import-in-the-middle/hook.mjs', import.meta.url, { data: { include: packages } });
  patcher.esmHooksEnabled();
}

// The entry is run from this preload when it is the last --import
// (preload-entry.ts); else module hooks run it.
const preload = runtime;
const entry = preload.entryToRun(fileURLToPath(import.meta.url));

if (typeof registerHooks === 'function') {
  if (packages.length > 0) {
    const lazy = require('./esm-package-hooks.js') as typeof import('./esm-package-hooks.js');
    // Its synchronous hooks need 22.22.3+ or 24.11.1+; before, its hooks thread, at once.
    if (lazy.syncHooksSupported()) lazy.installOnFirstESModule(packages, patcher.esmHooksEnabled);
    else registerIITMThread();
  }
  if (entry !== undefined) {
    preload.runEntry(entry);
  } else {
    hooks.initialize({ runtime: runtimeURL });
    registerHooks(hooks.syncHooks);
  }
} else if (entry !== undefined) {
  // What the entry throws before it first blocks fails this module, and Node reports it as the entry's.
  preload.runEntry(entry);
} else {
  if (packages.length > 0) registerIITMThread();
  module.register('./register-hooks.mjs', import.meta.url, { data: { runtime: runtimeURL } });
  // ES modules' imports of builtins cannot be seen (register.ts).
  runtime.importsUnseen();
}
