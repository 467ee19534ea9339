// The `net` patch: servers' 'connection' listeners run each in a green thread
// (through `net.Server.prototype.emit`, which http, https and tls servers
// inherit, hence `reachedThrough`), and `net.connectSync` is added. Applying
// it also puts the blocking socket and server methods (`recv`, `sendall`,
// `accept`, ...) on the prototypes, as loading greenpatch/green/net does, for
// good (unpatch leaves them: names Node does not use).
//
// What it installs is light (green/internal/net-api.ts): the blocking
// machinery loads at the first blocking call, so applying the patch before an
// ES entry on Node 20 (where its imports cannot be seen) costs little.
import type { PatchDefinition } from './types.js';

// Loaded when the patch is applied, not when the table is read (from
// dist/runtime-patches.js: package.json's `bundle` names it).
const green = (): typeof import('../green/internal/net-api.js') => require('../green/internal/net-api.js');

export const definition: PatchDefinition = {
  name: 'net',
  module: 'net',
  // Servers made by these inherit net.Server.prototype.emit (http2 servers too).
  reachedThrough: ['tls', '_tls_wrap', 'http', '_http_server', 'https', 'http2'],
  exports: (net) => {
    green().installBlockingMethods(net);
    return { connectSync: green().connectSync };
  },
  members: [{ path: 'Server.prototype', methods: { emit: (original) => green().makeServerEmit(original) } }],
};
