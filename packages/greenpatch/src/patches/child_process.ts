// The `child_process` patch: Node's child_process, with its `*Sync` functions made cooperative
// (see green/child_process.ts): inside a green thread they block only that thread.
import child_process = require('node:child_process');

import type { PatchDefinition } from '../patcher.js';
import { spawnSync, execSync, execFileSync } from '../green/child_process.js';

export const definition: PatchDefinition = {
  name: 'child_process',
  module: 'child_process',
  target: () => child_process,
  exports: () => ({ spawnSync, execSync, execFileSync }),
};
