// The `https` patch: 'request' listeners of every `https.Server` run each in a
// green thread (through `https.Server.prototype.emit`), and `requestSync`,
// `getSync` are added.
import https = require('node:https');

import type { PatchDefinition } from '../patcher.js';
import { getSync, makeServerEmit, requestSync } from '../green/https.js';

export const definition: PatchDefinition = {
  name: 'https',
  module: 'https',
  target: () => https,
  exports: () => ({ requestSync, getSync }),
  members: [{ path: 'Server.prototype', methods: { emit: makeServerEmit } }],
};
