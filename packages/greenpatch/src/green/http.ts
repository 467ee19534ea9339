// greenpatch/green/http: Node's `http`, plus `requestSync` and `getSync`,
// which block only the calling green thread and return a response whose body
// is read with blocking methods, and servers whose 'request' (and
// 'connection') listeners run each in a green thread of their own (`Server`,
// `createServer`). Every export of `node:http` is here and behaves as in
// stock Node.
import http = require('node:http');
import type { RequestOptions } from 'node:http';

import { greenEmit } from './listeners.js';
import { requestArgs, sendSync, type Body, SyncResponse } from './response.js';

export * from 'node:http';

// The names of node:http (on any supported Node) for ESM importers: Node learns
// a CommonJS module's named exports by reading its source, and does not follow
// the re-export of a builtin above. This never runs.
if ((0 as number) === 1) {
  exports.Agent = exports.ClientRequest = exports.CloseEvent = exports.IncomingMessage = exports.METHODS = exports.MessageEvent = exports.OutgoingMessage = exports.STATUS_CODES = exports.ServerResponse = exports.WebSocket = exports.get = exports.globalAgent = exports.maxHeaderSize = exports.request = exports.setGlobalProxyFromEnv = exports.setMaxIdleHTTPParsers = exports.validateHeaderName = exports.validateHeaderValue = undefined;
}
export { SyncResponse, type Body } from './response.js';

/**
 * Sends a request and blocks the green thread until the response head is
 * there: `requestSync(url, body?)`, `requestSync(options, body?)` or
 * `requestSync(url, options, body?)`, with what `http.request` takes (method,
 * headers, agent, ...). Keep-alive agents reuse the connection once the body
 * has been read. Throws Node's errors (ECONNREFUSED, ...).
 */
export function requestSync(url: string | URL | RequestOptions, body?: Body): SyncResponse;
export function requestSync(url: string | URL, options: RequestOptions, body?: Body): SyncResponse;
export function requestSync(...args: unknown[]): SyncResponse {
  const { call, body } = requestArgs(args);
  return sendSync('http.requestSync()', () => Reflect.apply(http.request, http, call), body);
}

/** `requestSync` with method GET: `getSync(url)`, `getSync(url, options)`, `getSync(options)`. */
export function getSync(url: string | URL | RequestOptions, options?: RequestOptions): SyncResponse {
  return sendSync('http.getSync()', () => (options === undefined ? http.get(url as any) : http.get(url as any, options)), undefined);
}

const serverEvents: ReadonlySet<string | symbol> = new Set(['request', 'connection']);
const requestEvents: ReadonlySet<string | symbol> = new Set(['request']);
const netServerProto = Object.getPrototypeOf(http.Server.prototype);

/**
 * The `emit` greenpatch puts on `http.Server.prototype` when `http` is
 * patched: 'request' listeners each run in their own green thread; other
 * events go to `net.Server.prototype.emit` (green for 'connection' when `net`
 * is patched).
 */
export function makeServerEmit(): (...args: any[]) => boolean {
  return greenEmit(requestEvents, () => netServerProto.emit);
}

/** An `http.Server` whose 'request' and 'connection' listeners each run in their own green thread. */
export class Server extends http.Server {}
Object.defineProperty(Server.prototype, 'emit', {
  value: greenEmit(serverEvents, () => http.Server.prototype.emit),
  writable: true,
  configurable: true,
  enumerable: false,
});

/** `http.createServer`, returning a green {@link Server}. */
export function createServer(requestListener?: http.RequestListener): Server;
export function createServer(options: http.ServerOptions, requestListener?: http.RequestListener): Server;
export function createServer(...args: any[]): Server {
  return new Server(...args);
}
