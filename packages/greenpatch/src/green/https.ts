// greenpatch/green/https: Node's `https`, plus `requestSync` and `getSync`
// (as in greenpatch/green/http, over TLS), and servers whose 'request' (and
// 'connection') listeners run each in a green thread of their own (`Server`,
// `createServer`). Every export of `node:https` is here and behaves as in
// stock Node.
import https = require('node:https');
import type { RequestOptions, ServerOptions } from 'node:https';

import { greenHttpApi } from './internal/http-api.js';

export * from 'node:https';

// The names of node:https (on any supported Node) for ESM importers: Node learns
// a CommonJS module's named exports by reading its source, and does not follow
// the re-export of a builtin above. This never runs; a test checks the list.
if ((0 as number) === 1) {
  exports.Agent = exports.get = exports.globalAgent = exports.request = undefined;
}
export { SyncResponse, type Body } from './internal/response.js';

/** An `https.Server` whose 'request' and 'connection' listeners each run in their own green thread. */
export class Server extends https.Server {}

/**
 * `requestSync`, `getSync` (blocking the green thread until the response
 * head is there), `createServer` (returning a green {@link Server}) and the
 * `emit` the `https` patch puts on `https.Server.prototype` (the very functions
 * the patch puts on `https`): see internal/http-api.ts, which https and http share.
 */
export const { requestSync, getSync, makeServerEmit, createServer } = greenHttpApi<Server, ServerOptions, RequestOptions>(https, 'https', Server);
