// The `child_process` patch: Node's child_process, with its `*Sync` functions made cooperative
// (see green/child_process.ts): inside a green thread they block only that thread. The
// replacements call Node's own functions; what they change is the one call of Node's
// `spawn_sync` binding, whose `spawn` green/child_process wraps at the first cooperative call.
import type { PatchDefinition } from './types.js';

// Loaded when the patch is applied, not when the table is read.
const green = (): typeof import('../green/child_process.js') => require('../green/child_process.js');

export const definition: PatchDefinition = {
  name: 'child_process',
  module: 'child_process',
  exports: () => {
    const { spawnSync, execSync, execFileSync } = green();
    return { spawnSync, execSync, execFileSync };
  },
};
