// The `fs` patch: Node's fs, with its `*Sync` functions made cooperative
// (see green/fs.ts): inside a green thread they block only that thread.
import type { PatchDefinition } from './types.js';

// Loaded when the patch is applied, not when the table is read.
const green = (): typeof import('../green/fs.js') => require('../green/fs.js');

export const definition: PatchDefinition = {
  name: 'fs',
  module: 'fs',
  exports: () => ({ ...green().syncFunctions }),
  // A Dir's own sync methods, for Dirs from opendirSync and opendir alike.
  members: [
    {
      path: 'Dir.prototype',
      methods: {
        readSync: (original) => green().dirMethods.readSync(original),
        closeSync: (original) => green().dirMethods.closeSync(original),
      },
    },
  ],
};
