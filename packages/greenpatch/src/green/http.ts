// greenpatch/green/http: Node's `http`, plus `requestSync` and `getSync`,
// which block only the calling green thread and return a response whose body
// is read with blocking methods, and servers whose 'request' (and
// 'connection') listeners run each in a green thread of their own (`Server`,
// `createServer`). Every export of `node:http` is here and behaves as in
// stock Node.
import http = require('node:http');

import { greenHttpApi } from './internal/http-api.js';

export * from 'node:http';

// The names of node:http (on any supported Node) for ESM importers: Node learns
// a CommonJS module's named exports by reading its source, and does not follow
// the re-export of a builtin above. This never runs; a test checks the list.
if ((0 as number) === 1) {
  exports.Agent = exports.ClientRequest = exports.CloseEvent = exports.IncomingMessage = exports.METHODS = exports.MessageEvent = exports.OutgoingMessage = exports.STATUS_CODES = exports.ServerResponse = exports.WebSocket = exports.get = exports.globalAgent = exports.maxHeaderSize = exports.request = exports.setGlobalProxyFromEnv = exports.setMaxIdleHTTPParsers = exports.validateHeaderName = exports.validateHeaderValue = exports.isValidHeaderName = exports.isValidHeaderValue = exports.websocketMask = exports.websocketUnmask = undefined;
}
export { SyncResponse, type Body } from './internal/response.js';

/** An `http.Server` whose 'request' and 'connection' listeners each run in their own green thread. */
export class Server extends http.Server {}

/**
 * `requestSync`, `getSync` (blocking the green thread until the response
 * head is there), `createServer` (returning a green {@link Server}) and the
 * `emit` the `http` patch puts on `http.Server.prototype` (the very functions
 * the patch puts on `http`): see internal/http-api.ts, which http and https share.
 */
export const { requestSync, getSync, makeServerEmit, createServer } = greenHttpApi<Server, http.ServerOptions>(http, 'http', Server);
