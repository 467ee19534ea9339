// The `crypto` patch: Node's crypto, with its `*Sync` functions made cooperative
// (see green/crypto.ts): inside a green thread they block only that thread.
import type { PatchDefinition } from './types.js';

// Loaded when the patch is applied, not when the table is read.
const green = (): typeof import('../green/crypto.js') => require('../green/crypto.js');

export const definition: PatchDefinition = {
  name: 'crypto',
  module: 'crypto',
  exports: () => ({ ...green().syncFunctions }),
};
