// What the `net` patch puts on Node's `net` and what greenpatch/green/net
// exports of it, the very same values: `connectSync`, the blocking socket and
// server methods, and the servers' green `emit`. Light to load and to apply:
// it loads no builtin (each function takes or requires `net` when called),
// and the socket machinery (socket.ts, not in the start-up bundle) at a first
// blocking call, so that applying the patch before an ES entry on Node 20
// costs a program that never blocks next to nothing (see deferred.ts).
import type * as net from 'node:net';
import { EventEmitter } from 'node:events';

import { codedError } from '../../errors.js';
import { deferredFunction, lazily } from './deferred.js';
import type { Emit } from './listeners.js';
import { blockUntilEvent } from './runtime.js';
import { patchedServerEmit } from './server-emit.js';

// Not in the start-up bundle: loaded at the first blocking call.
const socket = lazily((): typeof import('./socket.js') => require('./socket.js'));

type SocketMethods = typeof import('./socket.js');

/** The blocking socket methods, as installed on `net.Socket.prototype` (names and lengths: socket.ts's). */
export const socketMethods = {
  recv: deferredFunction<SocketMethods['recv']>('recv', 0, () => socket().recv),
  recvExactly: deferredFunction<SocketMethods['recvExactly']>('recvExactly', 1, () => socket().recvExactly),
  readLine: deferredFunction<SocketMethods['readLine']>('readLine', 0, () => socket().readLine),
  sendall: deferredFunction<SocketMethods['sendall']>('sendall', 2, () => socket().sendall),
} as const;

/** The blocking server methods, as installed on `net.Server.prototype`. */
export const serverMethods = {
  accept: deferredFunction<SocketMethods['accept']>('accept', 0, () => socket().accept),
} as const;

function install(proto: object, methods: Record<string, Function>): void {
  for (const [name, fn] of Object.entries(methods)) {
    if (Object.prototype.hasOwnProperty.call(proto, name)) continue;
    Object.defineProperty(proto, name, { value: fn, writable: true, configurable: true, enumerable: false });
  }
}

/**
 * Adds the blocking methods to `net.Socket.prototype` and
 * `net.Server.prototype` (names Node does not use; one already there is
 * left alone). Done when greenpatch/green/net loads or the `net` patch is
 * applied, whichever is first; never undone.
 */
export function installBlockingMethods(netModule: typeof net): void {
  install(netModule.Socket.prototype, socketMethods);
  install(netModule.Server.prototype, serverMethods);
}

// 'secureConnection' is the 'connection' of TLS servers (which inherit this
// emit); Node's own listener for it in https servers is called plainly.
/** The server events whose listeners run in green threads. */
export const connectionEvents: ReadonlySet<string | symbol> = new Set(['connection', 'secureConnection']);

/**
 * The `emit` greenpatch puts on `net.Server.prototype` when `net` is patched:
 * 'connection' listeners (and TLS servers' 'secureConnection' listeners)
 * each run in their own green thread.
 */
export function makeServerEmit(original: Emit): Emit {
  return patchedServerEmit(connectionEvents, original, EventEmitter.prototype);
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
  // Loaded by now: this function is reached through it.
  const netModule = require('node:net') as typeof net;
  return blockUntilEvent(
    'net.connectSync()',
    'connect',
    () => netModule.connect(...(args as [any])),
    (connected) => {
      socket().quietErrors(connected);
      return connected;
    },
    (connected) => connected.destroy(),
  );
}
