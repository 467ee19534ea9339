// `node --require greenpatch/register --import other app`: Node's own
// runMain evaluates the `--import` modules before it loads the entry, so the
// entry must be run from inside Node's runMain, not in place of it
// (register.ts). A CommonJS entry is caught where Node's ES module loader
// loads it with `Module._load` (preload-entry.ts); an ES entry is served
// through the stand-in module hooks that `--import greenpatch/register`
// uses when it is not the last `--import` (register-hooks.mts).
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { runWhenNodeLoadsIt } from './preload-entry.js';

interface ModuleHooksAPI {
  registerHooks?: (hooks: object) => unknown;
  register(specifier: string, parentURL: string, options: { data: unknown }): void;
}

/** @internal Arranges for the entry `file` to run in the main green thread once Node has run the `--import` modules. */
export function runEntryAfterImports(file: string, isCommonJS: boolean): void {
  if (isCommonJS) {
    runWhenNodeLoadsIt(file);
    return;
  }
  const module = require('node:module') as ModuleHooksAPI;
  const runtime = pathToFileURL(join(__dirname, 'register.js')).href;
  if (typeof module.registerHooks === 'function') {
    // Node has require(esm) wherever it has registerHooks.
    const hooks = require('./register-hooks.mjs') as { initialize(data: { runtime: string }): void; syncHooks: object };
    hooks.initialize({ runtime });
    module.registerHooks(hooks.syncHooks);
  } else {
    module.register(pathToFileURL(join(__dirname, 'register-hooks.mjs')).href, runtime, { data: { runtime } });
  }
}
