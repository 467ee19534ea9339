// The `fs` patch: Node's fs, with its `*Sync` functions made cooperative
// (see green/fs.ts): inside a green thread, on a FIFO, pipe, socket or
// character device, they block only that thread.
import fs = require('node:fs');

import type { PatchDefinition } from '../patcher.js';
import { syncFunctions } from '../green/fs.js';

export const definition: PatchDefinition = {
  name: 'fs',
  module: 'fs',
  target: () => fs,
  exports: () => ({ ...syncFunctions }),
};
