// The `http` patch: 'request' listeners of every `http.Server` run each in a
// green thread (through `http.Server.prototype.emit`), and `requestSync`,
// `getSync` are added: the same functions greenpatch/green/http exports, from
// green/internal/http-api.ts, which is light to apply (the blocking machinery
// loads at the first blocking call).
import type { PatchDefinition } from './types.js';

// Loaded when the patch is applied, not when the table is read (from
// dist/runtime-patches.js: package.json's `bundle` names it).
const green = (): typeof import('../green/internal/http-api.js') => require('../green/internal/http-api.js');

export const definition: PatchDefinition = {
  name: 'http',
  module: 'http',
  // Where http.Server is defined; `require('_http_server').Server` is the same class.
  reachedThrough: ['_http_server'],
  exports: (http) => {
    const { requestSync, getSync } = green().httpPatchApi(http, 'http');
    return { requestSync, getSync };
  },
  members: () => [
    {
      path: 'Server.prototype',
      methods: { emit: (original) => green().httpPatchApi(require('node:http'), 'http').makeServerEmit(original) },
    },
  ],
};
