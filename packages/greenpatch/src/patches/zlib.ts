// The `zlib` patch: Node's zlib, with its `*Sync` functions made cooperative
// (see green/zlib.ts): inside a green thread they block only that thread.
// Applied only when asked for by name (GREENPATCH_PATCH=zlib, patch({ zlib: true })).
import type { PatchDefinition } from './types.js';

// Loaded when the patch is applied, not when the table is read.
const green = (): typeof import('../green/zlib.js') => require('../green/zlib.js');

export const definition: PatchDefinition = {
  name: 'zlib',
  module: 'zlib',
  // Opt-in: these calls only compute, so stock Node's blocking cannot
  // deadlock, and cooperating would let callbacks run in the middle of them
  // (docs/cooperative-sync.md).
  byDefault: false,
  exports: () => ({ ...green().syncFunctions }),
};
