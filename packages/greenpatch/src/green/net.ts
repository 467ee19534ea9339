// greenpatch/green/net: Node's `net`, plus what blocks only the calling green
// thread. Every export of `node:net` is here and behaves as in stock Node;
// added: `connectSync`, and servers whose 'connection' listeners run each in a
// green thread (`Server`, `createServer`). Loading this module adds the
// blocking methods `recv`, `recvExactly`, `readLine`, `sendall` to
// `net.Socket.prototype` and `accept` to `net.Server.prototype`: names Node
// does not use, so nothing else changes.
import net = require('node:net');

import * as api from './internal/net-api.js';
import { greenServerClass } from './internal/server-emit.js';

export * from 'node:net';

// The names of node:net (on any supported Node) for ESM importers: Node learns
// a CommonJS module's named exports by reading its source, and does not follow
// the re-export of a builtin above. This never runs.
if ((0 as number) === 1) {
  exports.BlockList = exports.BoundSocket = exports.Socket = exports.SocketAddress = exports.Stream = exports.connect = exports.createConnection = exports.getDefaultAutoSelectFamily = exports.getDefaultAutoSelectFamilyAttemptTimeout = exports.isIP = exports.isIPv4 = exports.isIPv6 = exports.setDefaultAutoSelectFamily = exports.setDefaultAutoSelectFamilyAttemptTimeout = undefined;
}

// What the `net` patch puts on `net` is defined in internal/net-api.ts, and
// exported here: the very same values. TypeScript learns of the methods from
// ../builtin-types.ts.

/** The blocking socket methods, as installed on `net.Socket.prototype`. */
export const socketMethods = api.socketMethods;
/** The blocking server methods, as installed on `net.Server.prototype`. */
export const serverMethods = api.serverMethods;
api.installBlockingMethods(net);

/**
 * The `emit` greenpatch puts on `net.Server.prototype` when `net` is patched:
 * 'connection' listeners (and TLS servers' 'secureConnection' listeners)
 * each run in their own green thread.
 */
export const makeServerEmit = api.makeServerEmit;

/**
 * Connects and blocks the green thread until the socket is connected; returns
 * it, or throws Node's error (`ECONNREFUSED`, `ENOTFOUND`, ...). Takes what
 * `net.connect` takes, without the listener. Abandoning the wait (a Timeout,
 * a kill) destroys the socket. Later errors of the socket are thrown by its
 * next blocking call (`recv`, `sendall`, ...) rather than emitted unheard.
 */
export const connectSync: typeof api.connectSync = api.connectSync;

/** A `net.Server` whose 'connection' listeners each run in their own green thread. */
export class Server extends net.Server {}
greenServerClass(Server, api.connectionEvents, net.Server);

/** `net.createServer`, returning a {@link Server}. */
export function createServer(connectionListener?: (socket: net.Socket) => void): Server;
export function createServer(options?: net.ServerOpts, connectionListener?: (socket: net.Socket) => void): Server;
export function createServer(...args: any[]): Server {
  return new Server(...args);
}
