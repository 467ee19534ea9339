// The `zlib` patch: Node's zlib, with its `*Sync` functions made cooperative
// (see green/zlib.ts): inside a green thread they block only that thread.
import type { PatchDefinition } from './types.js';

// Loaded when the patch is applied, not when the table is read.
const green = (): typeof import('../green/zlib.js') => require('../green/zlib.js');

export const definition: PatchDefinition = {
  name: 'zlib',
  module: 'zlib',
  exports: () => ({ ...green().syncFunctions }),
};
