// The `net` patch: servers' 'connection' listeners run each in a green thread
// (through `net.Server.prototype.emit`, which http, https and tls servers
// inherit), and `net.connectSync` is added. The blocking socket and server
// methods (`recv`, `sendall`, `accept`, ...) are on the prototypes as soon as
// greenpatch/green/net is loaded.
import net = require('node:net');

import type { PatchDefinition } from '../patcher.js';
import { connectSync, makeServerEmit } from '../green/net.js';

export const definition: PatchDefinition = {
  name: 'net',
  module: 'net',
  target: () => net,
  exports: () => ({ connectSync }),
  members: [{ path: 'Server.prototype', methods: { emit: makeServerEmit } }],
};
