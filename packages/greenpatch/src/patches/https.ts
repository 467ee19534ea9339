// The `https` patch: 'request' listeners of every `https.Server` run each in a
// green thread (through `https.Server.prototype.emit`), and `requestSync`,
// `getSync` are added: the same functions greenpatch/green/https exports, from
// green/internal/http-api.ts, which is light to apply (the blocking machinery
// loads at the first blocking call).
import type { PatchDefinition } from './types.js';

// Loaded when the patch is applied, not when the table is read (from
// dist/runtime-patches.js: package.json's `bundle` names it).
const green = (): typeof import('../green/internal/http-api.js') => require('../green/internal/http-api.js');

export const definition: PatchDefinition = {
  name: 'https',
  module: 'https',
  exports: (https) => {
    const { requestSync, getSync } = green().httpPatchApi(https, 'https');
    return { requestSync, getSync };
  },
  members: () => [
    {
      path: 'Server.prototype',
      methods: { emit: (original) => green().httpPatchApi(require('node:https'), 'https').makeServerEmit(original) },
    },
  ],
};
