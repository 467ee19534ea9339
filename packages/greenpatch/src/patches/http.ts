// The `http` patch: 'request' listeners of every `http.Server` run each in a
// green thread (through `http.Server.prototype.emit`), and `requestSync`,
// `getSync` are added.
import type { PatchDefinition } from './types.js';

// Loaded when the patch is applied, not when the table is read.
const green = (): typeof import('../green/http.js') => require('../green/http.js');

export const definition: PatchDefinition = {
  name: 'http',
  module: 'http',
  // Where http.Server is defined; `require('_http_server').Server` is the same class.
  reachedThrough: ['_http_server'],
  exports: () => {
    const { requestSync, getSync } = green();
    return { requestSync, getSync };
  },
  members: [{ path: 'Server.prototype', methods: { emit: (original) => green().makeServerEmit(original) } }],
};
