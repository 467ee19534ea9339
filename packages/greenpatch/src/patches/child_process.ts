// The `child_process` patch: Node's child_process, with its `*Sync` functions made cooperative
// (see green/child_process.ts): inside a green thread they block only that thread. The
// replacements call Node's own functions; what they change is the one call of Node's
// `spawn_sync` binding, whose `spawn` green/internal/spawn-cooperative wraps at the first
// cooperative call. They are those greenpatch/green/child_process exports, from
// green/internal/child-process-sync.ts (light to apply: the machinery loads at the first
// cooperative call).
import type { PatchDefinition } from './types.js';

// Loaded when the patch is applied, not when the table is read (from
// dist/runtime-patches.js: package.json's `bundle` names it).
const green = (): typeof import('../green/internal/child-process-sync.js') => require('../green/internal/child-process-sync.js');

export const definition: PatchDefinition = {
  name: 'child_process',
  module: 'child_process',
  exports: () => {
    const { spawnSync, execSync, execFileSync } = green().childProcessSyncApi();
    return { spawnSync, execSync, execFileSync };
  },
};
