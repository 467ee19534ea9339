// The `net` patch: servers' 'connection' listeners run each in a green thread
// (through `net.Server.prototype.emit`, which http, https and tls servers
// inherit, hence `reachedThrough`), and `net.connectSync` is added. The blocking socket and server
// methods (`recv`, `sendall`, `accept`, ...) are on the prototypes as soon as
// greenpatch/green/net is loaded.
import type { PatchDefinition } from './types.js';

// Loaded when the patch is applied, not when the table is read.
const green = (): typeof import('../green/net.js') => require('../green/net.js');

export const definition: PatchDefinition = {
  name: 'net',
  module: 'net',
  // Servers made by these inherit net.Server.prototype.emit (http2 servers too).
  reachedThrough: ['tls', '_tls_wrap', 'http', '_http_server', 'https', 'http2'],
  exports: () => ({ connectSync: green().connectSync }),
  members: [{ path: 'Server.prototype', methods: { emit: (original) => green().makeServerEmit(original) } }],
};
