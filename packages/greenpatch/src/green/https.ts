// greenpatch/green/https: Node's `https`, plus `requestSync` and `getSync`
// (as in greenpatch/green/http, over TLS), and servers whose 'request' (and
// 'connection') listeners run each in a green thread of their own (`Server`,
// `createServer`). Every export of `node:https` is here and behaves as in
// stock Node.
import https = require('node:https');
import type { RequestListener } from 'node:http';
import type { RequestOptions, ServerOptions } from 'node:https';

import { greenEmit } from './listeners.js';
import { requestArgs, sendSync, type Body, SyncResponse } from './response.js';

export * from 'node:https';

// The names of node:https (on any supported Node) for ESM importers: Node learns
// a CommonJS module's named exports by reading its source, and does not follow
// the re-export of a builtin above. This never runs.
if ((0 as number) === 1) {
  exports.Agent = exports.get = exports.globalAgent = exports.request = undefined;
}
export { SyncResponse, type Body } from './response.js';

/**
 * Sends a request over TLS and blocks the green thread until the response
 * head is there; see greenpatch/green/http's `requestSync`. Throws Node's
 * errors (ECONNREFUSED, certificate errors, ...).
 */
export function requestSync(url: string | URL | RequestOptions, body?: Body): SyncResponse;
export function requestSync(url: string | URL, options: RequestOptions, body?: Body): SyncResponse;
export function requestSync(...args: unknown[]): SyncResponse {
  const { call, body } = requestArgs(args);
  return sendSync('https.requestSync()', () => Reflect.apply(https.request, https, call), body);
}

/** `requestSync` with method GET. */
export function getSync(url: string | URL | RequestOptions, options?: RequestOptions): SyncResponse {
  return sendSync('https.getSync()', () => (options === undefined ? https.get(url as any) : https.get(url as any, options)), undefined);
}

const serverEvents: ReadonlySet<string | symbol> = new Set(['request', 'connection']);
const requestEvents: ReadonlySet<string | symbol> = new Set(['request']);
const tlsServerProto = Object.getPrototypeOf(https.Server.prototype);

/**
 * The `emit` greenpatch puts on `https.Server.prototype` when `https` is
 * patched: 'request' listeners each run in their own green thread; other
 * events go to `tls.Server`'s emit (green for 'connection' when `net` is patched).
 */
export function makeServerEmit(): (...args: any[]) => boolean {
  return greenEmit(requestEvents, () => tlsServerProto.emit);
}

/** An `https.Server` whose 'request' and 'connection' listeners each run in their own green thread. */
export class Server extends https.Server {}
Object.defineProperty(Server.prototype, 'emit', {
  value: greenEmit(serverEvents, () => https.Server.prototype.emit),
  writable: true,
  configurable: true,
  enumerable: false,
});

/** `https.createServer`, returning a green {@link Server}. */
export function createServer(requestListener?: RequestListener): Server;
export function createServer(options: ServerOptions, requestListener?: RequestListener): Server;
export function createServer(...args: any[]): Server {
  return new Server(...args);
}
