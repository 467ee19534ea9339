// greenpatch/green/net: Node's `net`, plus what blocks only the calling green
// thread. Every export of `node:net` is here and behaves as in stock Node;
// added: `connectSync`, and servers whose 'connection' listeners run each in a
// green thread (`Server`, `createServer`). Loading this module adds the
// blocking methods `recv`, `recvExactly`, `readLine`, `sendall` to
// `net.Socket.prototype` and `accept` to `net.Server.prototype`: names Node
// does not use, so nothing else changes.
import net = require('node:net');

import { EventEmitter } from 'node:events';

import type { Emit } from './internal/listeners.js';
import { greenServerClass, patchedServerEmit } from './internal/server-emit.js';
import { blockUntilEvent, codedError } from './internal/runtime.js';
import { accept, quietErrors, readLine, recv, recvExactly, sendall } from './internal/socket.js';

export * from 'node:net';

// The names of node:net (on any supported Node) for ESM importers: Node learns
// a CommonJS module's named exports by reading its source, and does not follow
// the re-export of a builtin above. This never runs.
if ((0 as number) === 1) {
  exports.BlockList = exports.BoundSocket = exports.Socket = exports.SocketAddress = exports.Stream = exports.connect = exports.createConnection = exports.getDefaultAutoSelectFamily = exports.getDefaultAutoSelectFamilyAttemptTimeout = exports.isIP = exports.isIPv4 = exports.isIPv6 = exports.setDefaultAutoSelectFamily = exports.setDefaultAutoSelectFamilyAttemptTimeout = undefined;
}

// TypeScript learns of these methods from ../builtin-types.ts.
/** The blocking socket methods, as installed on `net.Socket.prototype`. */
export const socketMethods = { recv, recvExactly, readLine, sendall } as const;
/** The blocking server methods, as installed on `net.Server.prototype`. */
export const serverMethods = { accept } as const;

function install(proto: object, methods: Record<string, Function>): void {
  for (const [name, fn] of Object.entries(methods)) {
    if (Object.prototype.hasOwnProperty.call(proto, name)) continue;
    Object.defineProperty(proto, name, { value: fn, writable: true, configurable: true, enumerable: false });
  }
}
install(net.Socket.prototype, socketMethods);
install(net.Server.prototype, serverMethods);

// 'secureConnection' is the 'connection' of TLS servers (which inherit this
// emit); Node's own listener for it in https servers is called plainly.
const connectionEvents: ReadonlySet<string | symbol> = new Set(['connection', 'secureConnection']);

/**
 * The `emit` greenpatch puts on `net.Server.prototype` when `net` is patched:
 * 'connection' listeners (and TLS servers' 'secureConnection' listeners)
 * each run in their own green thread.
 */
export function makeServerEmit(original: Emit): Emit {
  return patchedServerEmit(connectionEvents, original, EventEmitter.prototype);
}

/** A `net.Server` whose 'connection' listeners each run in their own green thread. */
export class Server extends net.Server {}
greenServerClass(Server, connectionEvents, net.Server);

/** `net.createServer`, returning a {@link Server}. */
export function createServer(connectionListener?: (socket: net.Socket) => void): Server;
export function createServer(options?: net.ServerOpts, connectionListener?: (socket: net.Socket) => void): Server;
export function createServer(...args: any[]): Server {
  return new Server(...args);
}

/**
 * Connects and blocks the green thread until the socket is connected; returns
 * it, or throws Node's error (`ECONNREFUSED`, `ENOTFOUND`, ...). Takes what
 * `net.connect` takes, without the listener. Abandoning the wait (a Timeout,
 * a kill) destroys the socket. Later errors of the socket are thrown by its
 * next blocking call (`recv`, `sendall`, ...) rather than emitted unheard.
 */
export function connectSync(port: number, host?: string): net.Socket;
export function connectSync(path: string): net.Socket;
export function connectSync(options: net.NetConnectOpts): net.Socket;
export function connectSync(...args: any[]): net.Socket {
  if (typeof args[args.length - 1] === 'function') {
    throw codedError('ERR_INVALID_ARG_TYPE', 'connectSync() takes no callback; it returns the connected socket');
  }
  return blockUntilEvent(
    'net.connectSync()',
    'connect',
    () => net.connect(...(args as [any])),
    (socket) => {
      quietErrors(socket);
      return socket;
    },
    (socket) => socket.destroy(),
  );
}
