// The `crypto` patch: Node's crypto, with its `*Sync` functions made cooperative
// (see green/crypto.ts): inside a green thread they block only that thread.
import crypto = require('node:crypto');

import type { PatchDefinition } from '../patcher.js';
import { syncFunctions } from '../green/crypto.js';

export const definition: PatchDefinition = {
  name: 'crypto',
  module: 'crypto',
  target: () => crypto,
  exports: () => ({ ...syncFunctions }),
};
