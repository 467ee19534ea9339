// The `http` patch: 'request' listeners of every `http.Server` run each in a
// green thread (through `http.Server.prototype.emit`), and `requestSync`,
// `getSync` are added.
import http = require('node:http');

import type { PatchDefinition } from '../patcher.js';
import { getSync, makeServerEmit, requestSync } from '../green/http.js';

export const definition: PatchDefinition = {
  name: 'http',
  module: 'http',
  target: () => http,
  exports: () => ({ requestSync, getSync }),
  members: [{ path: 'Server.prototype', methods: { emit: makeServerEmit } }],
};
