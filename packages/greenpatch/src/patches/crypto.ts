// The `crypto` patch: Node's crypto, with its `*Sync` functions made cooperative
// (see green/crypto.ts): inside a green thread they block only that thread.
// Applied only when asked for by name (GREENPATCH_PATCH=crypto, patch({ crypto: true })).
import crypto = require('node:crypto');

import type { PatchDefinition } from '../patcher.js';
import { syncFunctions } from '../green/crypto.js';

export const definition: PatchDefinition = {
  name: 'crypto',
  module: 'crypto',
  target: () => crypto,
  // Opt-in: these calls only compute, so stock Node's blocking cannot
  // deadlock, and cooperating would let callbacks run in the middle of them.
  optIn: true,
  exports: () => ({ ...syncFunctions }),
};
