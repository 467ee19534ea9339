// greenpatch/green/http: Node's `http`, plus `requestSync` and `getSync`,
// which block only the calling green thread and return a response whose body
// is read with blocking methods, and servers whose 'request' (and
// 'connection') listeners run each in a green thread of their own (`Server`,
// `createServer`). Every export of `node:http` is here and behaves as in
// stock Node.
import http = require('node:http');
import type { RequestOptions } from 'node:http';

import { greenHttpApi, type RequestSync } from './internal/http-api.js';
import type { SyncResponse } from './internal/response.js';

export * from 'node:http';

// The names of node:http (on any supported Node) for ESM importers: Node learns
// a CommonJS module's named exports by reading its source, and does not follow
// the re-export of a builtin above. This never runs; a test checks the list.
if ((0 as number) === 1) {
  exports.Agent = exports.ClientRequest = exports.CloseEvent = exports.IncomingMessage = exports.METHODS = exports.MessageEvent = exports.OutgoingMessage = exports.STATUS_CODES = exports.ServerResponse = exports.WebSocket = exports.get = exports.globalAgent = exports.maxHeaderSize = exports.request = exports.setGlobalProxyFromEnv = exports.setMaxIdleHTTPParsers = exports.validateHeaderName = exports.validateHeaderValue = undefined;
}
export { SyncResponse, type Body } from './internal/response.js';

/** An `http.Server` whose 'request' and 'connection' listeners each run in their own green thread. */
export class Server extends http.Server {}

const api = greenHttpApi(http, 'http', Server);

/**
 * Sends a request and blocks the green thread until the response head is
 * there: `requestSync(url, body?)`, `requestSync(options, body?)` or
 * `requestSync(url, options, body?)`, with what `http.request` takes (method,
 * headers, agent, ...). Keep-alive agents reuse the connection once the body
 * has been read. Throws Node's errors (ECONNREFUSED, ...).
 */
export const requestSync: RequestSync = api.requestSync;

/** `requestSync` with method GET: `getSync(url)`, `getSync(url, options)`, `getSync(options)`. */
export const getSync: (url: string | URL | RequestOptions, options?: RequestOptions) => SyncResponse = api.getSync;

/**
 * The `emit` greenpatch puts on `http.Server.prototype` when `http` is
 * patched, in place of `original`: 'request' listeners each run in their
 * own green thread; other events go to `original` (net.Server's emit, green
 * for 'connection' when `net` is patched, or a wrapper put there before).
 */
export const makeServerEmit = api.makeServerEmit;

/** `http.createServer`, returning a green {@link Server}. */
export const createServer: {
  (requestListener?: http.RequestListener): Server;
  (options: http.ServerOptions, requestListener?: http.RequestListener): Server;
} = api.createServer;
