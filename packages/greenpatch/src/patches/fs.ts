// The `fs` patch: Node's fs, with its `*Sync` functions made cooperative
// (see green/fs.ts): inside a green thread, on a FIFO, pipe, socket or
// character device, they block only that thread.
import type { PatchDefinition } from './types.js';

// Loaded when the patch is applied, not when the table is read; the
// functions alone, which green/fs.js re-exports (the very same values).
const green = (): typeof import('../green/internal/fs-sync.js') => require('../green/internal/fs-sync.js');

export const definition: PatchDefinition = {
  name: 'fs',
  module: 'fs',
  exports: () => ({ ...green().syncFunctions }),
};
