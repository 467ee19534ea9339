// The `zlib` patch: Node's zlib, with its `*Sync` functions made cooperative
// (see green/zlib.ts): inside a green thread they block only that thread.
// Applied only when asked for by name (GREENPATCH_PATCH=zlib, patch({ zlib: true })).
import zlib = require('node:zlib');

import type { PatchDefinition } from '../patcher.js';
import { syncFunctions } from '../green/zlib.js';

export const definition: PatchDefinition = {
  name: 'zlib',
  module: 'zlib',
  target: () => zlib,
  // Opt-in: these calls only compute, so stock Node's blocking cannot
  // deadlock, and cooperating would let callbacks run in the middle of them.
  optIn: true,
  exports: () => ({ ...syncFunctions }),
};
