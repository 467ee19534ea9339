// What register.mts (`--import greenpatch/register`) uses of the runtime, in
// one module: an ES module's require of each file costs a resolution, a read
// and a compile (a few tenths of a millisecond each at start-up, where the
// start bundle's stubs have nothing else to do), so it requires this one.
// Requiring it applies the patches (register.ts) first, as requiring
// register.js did.
export { importsUnseen } from './register.js';
export { esmHooksEnabled, packageModuleNames, parsePatchList } from './patcher.js';
export { entryToRun, runEntry } from './preload-entry.js';
export import fibers = require('./fibers-package.js');
