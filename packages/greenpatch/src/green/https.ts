// greenpatch/green/https: Node's `https`, plus `requestSync` and `getSync`
// (as in greenpatch/green/http, over TLS), and servers whose 'request' (and
// 'connection') listeners run each in a green thread of their own (`Server`,
// `createServer`). Every export of `node:https` is here and behaves as in
// stock Node.
import https = require('node:https');
import type { RequestListener } from 'node:http';
import type { RequestOptions, ServerOptions } from 'node:https';

import { greenHttpApi, type RequestSync } from './internal/http-api.js';
import type { SyncResponse } from './internal/response.js';

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

const api = greenHttpApi(https, 'https', Server);

/**
 * Sends a request over TLS and blocks the green thread until the response
 * head is there; see greenpatch/green/http's `requestSync`. Throws Node's
 * errors (ECONNREFUSED, certificate errors, ...).
 */
export const requestSync: RequestSync = api.requestSync;

/** `requestSync` with method GET. */
export const getSync: (url: string | URL | RequestOptions, options?: RequestOptions) => SyncResponse = api.getSync;

/** The `emit` greenpatch puts on `https.Server.prototype` when `https` is patched (see greenpatch/green/http's). */
export const makeServerEmit = api.makeServerEmit;

/** `https.createServer`, returning a green {@link Server}. */
export const createServer: {
  (requestListener?: RequestListener): Server;
  (options: ServerOptions, requestListener?: RequestListener): Server;
} = api.createServer;
