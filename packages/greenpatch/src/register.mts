// greenpatch/register as an ES module: `node --import greenpatch/register app.mjs`.
// Patches at start-up (register.ts) and installs the hooks that run the entry
// module, CommonJS or ES, in the main green thread.
import * as module from 'node:module';

import * as hooks from './register-hooks.mjs';

const require = module.createRequire(import.meta.url);
require('./register.js');

const runtime = new URL('./register.js', import.meta.url).href;
const registerHooks = (module as { registerHooks?: (hooks: object) => unknown }).registerHooks;
if (typeof registerHooks === 'function') {
  hooks.configure(runtime);
  registerHooks(hooks.syncHooks);
} else {
  module.register('./register-hooks.mjs', import.meta.url, { data: { runtime } });
}
