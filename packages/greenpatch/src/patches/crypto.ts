// The `crypto` patch: Node's crypto, with its `*Sync` functions made cooperative
// (see green/crypto.ts): inside a green thread they block only that thread.
// Applied only when asked for by name (GREENPATCH_PATCH=crypto, patch({ crypto: true })).
import type { PatchDefinition } from './types.js';

// Loaded when the patch is applied, not when the table is read.
const green = (): typeof import('../green/crypto.js') => require('../green/crypto.js');

export const definition: PatchDefinition = {
  name: 'crypto',
  module: 'crypto',
  // Opt-in: these calls only compute, so stock Node's blocking cannot
  // deadlock, and cooperating would let callbacks run in the middle of them
  // (docs/cooperative-sync.md).
  byDefault: false,
  exports: () => ({ ...green().syncFunctions }),
};
