// greenpatch/register as an ES module: `node --import greenpatch/register app.mjs`.
// Applies the patches at start-up (register.ts) and installs the hooks that run the entry
// module, CommonJS or ES, in the main green thread.
import * as module from 'node:module';

import * as hooks from './register-hooks.mjs';

const require = module.createRequire(import.meta.url);
require('./register.js');

// npm packages in the patch table that are loaded as ES modules (or imported
// from one) are patched through import-in-the-middle, whose loader sees only
// the packages named here: registered only when there are some.
const patcher = require('./patcher.js') as typeof import('./patcher.js');
const packages = patcher.packageModuleNames(patcher.parsePatchList(process.env.GREENPATCH_PATCH));
if (packages.length > 0) {
  const iitmHooks = (await import('import-in-the-middle/register-hooks.mjs')) as {
    supportsSyncHooks(): boolean;
    register(options: { include: string[] }): void;
  };
  if (iitmHooks.supportsSyncHooks()) iitmHooks.register({ include: packages });
  else module.register('import-in-the-middle/hook.mjs', import.meta.url, { data: { include: packages } });
  patcher.esmHooksEnabled();
}

const runtime = new URL('./register.js', import.meta.url).href;
const registerHooks = (module as { registerHooks?: (hooks: object) => unknown }).registerHooks;
if (typeof registerHooks === 'function') {
  hooks.initialize({ runtime });
  registerHooks(hooks.syncHooks);
} else {
  module.register('./register-hooks.mjs', import.meta.url, { data: { runtime } });
  // Node 20: ES modules' imports of builtins cannot be seen (register.ts).
  (require('./register.js') as typeof import('./register.js')).importsUnseen();
}
