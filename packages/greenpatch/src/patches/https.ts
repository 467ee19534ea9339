// The `https` patch: 'request' listeners of every `https.Server` run each in a
// green thread (through `https.Server.prototype.emit`), and `requestSync`,
// `getSync` are added.
import type { PatchDefinition } from './types.js';

// Loaded when the patch is applied, not when the table is read.
const green = (): typeof import('../green/https.js') => require('../green/https.js');

export const definition: PatchDefinition = {
  name: 'https',
  module: 'https',
  exports: () => {
    const { requestSync, getSync } = green();
    return { requestSync, getSync };
  },
  members: [{ path: 'Server.prototype', methods: { emit: (original) => green().makeServerEmit(original) } }],
};
