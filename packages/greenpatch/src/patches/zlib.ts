// The `zlib` patch: Node's zlib, with its `*Sync` functions made cooperative
// (see green/zlib.ts): inside a green thread they block only that thread.
import zlib = require('node:zlib');

import type { PatchDefinition } from '../patcher.js';
import { syncFunctions } from '../green/zlib.js';

export const definition: PatchDefinition = {
  name: 'zlib',
  module: 'zlib',
  target: () => zlib,
  exports: () => ({ ...syncFunctions }),
};
